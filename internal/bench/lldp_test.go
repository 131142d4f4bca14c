package bench

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/lab"
)

// switch48 returns the snmprec (snmpsim's "OID|type|value" lines, in OID
// order) of a 48-port switch: system group, ifTable and ifXTable columns
// the snmp source reads for 48 Gigabit ports, the local LLDP chassis and
// port table, and on every port one neighbour announced by both LLDP
// (lldpRemTable with chassis MAC, port, names, capabilities, and its
// management address in lldpRemManAddrTable) and CDP (cdpCacheTable).
func switch48() string {
	rows := map[string]string{}
	add := func(oid, typ, val string) { rows[oid] = typ + "|" + val }
	add("1.3.6.1.2.1.1.1.0", "4", "Cairn benchmark 48-port switch")
	add("1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.9.1.1208")
	add("1.3.6.1.2.1.1.3.0", "67", "123456")
	add("1.3.6.1.2.1.1.4.0", "4", "noc@example.net")
	add("1.3.6.1.2.1.1.5.0", "4", "bench-sw48.example.net")
	add("1.3.6.1.2.1.1.6.0", "4", "bench rack 1")
	add("1.3.6.1.2.1.1.7.0", "2", "6")
	add("1.0.8802.1.1.2.1.3.1.0", "2", "4")
	add("1.0.8802.1.1.2.1.3.2.0", "4x", "0200000000ff")
	add("1.3.6.1.4.1.9.9.23.1.3.1.0", "2", "1")
	for i := 1; i <= 48; i++ {
		n := strconv.Itoa(i)
		name, descr := "Gi1/0/"+n, "GigabitEthernet1/0/"+n
		host := fmt.Sprintf("host-%02d.example.net", i)
		add("1.3.6.1.2.1.2.2.1.2."+n, "4", descr)
		add("1.3.6.1.2.1.2.2.1.3."+n, "2", "6")
		add("1.3.6.1.2.1.2.2.1.5."+n, "66", "1000000000")
		add("1.3.6.1.2.1.2.2.1.6."+n, "4x", fmt.Sprintf("0200000001%02x", i))
		add("1.3.6.1.2.1.2.2.1.8."+n, "2", "1")
		add("1.3.6.1.2.1.31.1.1.1.1."+n, "4", name)
		add("1.3.6.1.2.1.31.1.1.1.15."+n, "66", "1000")
		add("1.3.6.1.2.1.31.1.1.1.18."+n, "4", "to "+host)
		add("1.0.8802.1.1.2.1.3.7.1.2."+n, "2", "5")
		add("1.0.8802.1.1.2.1.3.7.1.3."+n, "4", name)
		add("1.0.8802.1.1.2.1.3.7.1.4."+n, "4", descr)
		rem := "0." + n + ".1"
		caps := "0100" // station only
		if i%2 == 0 {
			caps = "2800" // bridge, router
		}
		for col, v := range map[string][2]string{
			"4": {"2", "4"}, "5": {"4x", fmt.Sprintf("0a00000000%02x", i)}, "6": {"2", "5"}, "7": {"4", "eth0"},
			"8": {"4", "eth0"}, "9": {"4", host}, "10": {"4", "Debian GNU/Linux 12 (bookworm)"},
			"11": {"4x", "2880"}, "12": {"4x", caps},
		} {
			add("1.0.8802.1.1.2.1.4.1.1."+col+"."+rem, v[0], v[1])
		}
		add("1.0.8802.1.1.2.1.4.2.1.3."+rem+".1.4.10.1.0."+n, "2", "2")
		cdp := n + ".1"
		add("1.3.6.1.4.1.9.9.23.1.2.1.1.3."+cdp, "2", "1")
		add("1.3.6.1.4.1.9.9.23.1.2.1.1.4."+cdp, "4x", fmt.Sprintf("0a0100%02x", i))
		add("1.3.6.1.4.1.9.9.23.1.2.1.1.6."+cdp, "4", host)
		add("1.3.6.1.4.1.9.9.23.1.2.1.1.7."+cdp, "4", "eth0")
		add("1.3.6.1.4.1.9.9.23.1.2.1.1.8."+cdp, "4", "Linux")
		add("1.3.6.1.4.1.9.9.23.1.2.1.1.9."+cdp, "4x", "00000010")
	}
	oids := make([]string, 0, len(rows))
	for o := range rows {
		oids = append(oids, o)
	}
	sort.Slice(oids, func(i, j int) bool { return oidLess(oids[i], oids[j]) })
	var b strings.Builder
	for _, o := range oids {
		b.WriteString(o + "|" + rows[o] + "\n")
	}
	return b.String()
}

// oidLess orders dotted OIDs arc by arc, as snmpsim needs its data.
func oidLess(a, b string) bool {
	x, y := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(x) && i < len(y); i++ {
		m, _ := strconv.Atoi(x[i])
		n, _ := strconv.Atoi(y[i])
		if m != n {
			return m < n
		}
	}
	return len(x) < len(y)
}

// BenchmarkLLDPWalk48 measures the snmp source's walk of a 48-port switch
// with 48 LLDP and CDP neighbours, served by snmpsim on 127.0.0.1 (v2c,
// GETBULK of 25 rows, the source's defaults), plus the mapping of the
// values to the device, its 48 neighbours and their CONNECTS_TO edges:
// ns/op is one walk and mapping. Goal: at most 1 s.
func BenchmarkLLDPWalk48(b *testing.B) {
	sim := lab.StartSNMPSim(b, map[string]string{"switch48": switch48()})
	host, port, err := net.SplitHostPort(sim.Addr)
	if err != nil {
		b.Fatal(err)
	}
	r, err := discovery.NewRegistry(snmp.Kind())
	if err != nil {
		b.Fatal(err)
	}
	src, err := r.Build("snmp", []byte(`{"port": `+port+`}`))
	if err != nil {
		b.Fatal(err)
	}
	s := src.(*snmp.Source)
	creds := map[string]string{"community": "switch48"}
	ctx := context.Background()
	walk := func() ([]discovery.Observation, int) {
		pdus, err := s.Walk(ctx, host, creds)
		if err != nil {
			b.Fatal(err)
		}
		obs, err := snmp.Observations(host, pdus, true)
		if err != nil {
			b.Fatal(err)
		}
		return obs, len(pdus)
	}
	obs, values := walk()
	if len(obs) != 49 || len(obs[0].Relationships) != 48 || obs[0].Facts["lldp.neighbours"] != "48" || obs[0].Facts["cdp.neighbours"] != "48" {
		b.Fatalf("walk: %d observations, %d relationships, facts lldp %q cdp %q; want the switch and 48 neighbours seen by both",
			len(obs), len(obs[0].Relationships), obs[0].Facts["lldp.neighbours"], obs[0].Facts["cdp.neighbours"])
	}
	b.Run("walk+map", func(b *testing.B) {
		start, n := time.Now(), 0
		for b.Loop() {
			walk()
			n++
		}
		ms := float64(time.Since(start).Microseconds()) / 1000 / float64(n)
		b.ReportMetric(ms, "ms/walk")
		b.ReportMetric(float64(values), "values")
		if ms > 1000 {
			b.Errorf("a walk took %.0f ms on average, goal at most 1 s", ms)
		}
	})
	// The mapping alone, from the values of one walk: what of the above
	// is not the network and the simulator.
	b.Run("map", func(b *testing.B) {
		pdus, err := s.Walk(ctx, host, creds)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := snmp.Observations(host, pdus, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
