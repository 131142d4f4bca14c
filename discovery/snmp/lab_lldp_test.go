package snmp_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/lab"
)

var recordLLDP = flag.Bool("record-lldp", false, "rewrite testdata/walks/lldpd_lab.walk with snmpwalk from the LLDP lab (needs root, lldpd, snmpd, snmp), then run with -update")

// lldpLabSource builds a source for the LLDP lab's switch agent.
func lldpLabSource(t testing.TB, l *lab.LLDPLab) (*snmp.Source, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	r, err := discovery.NewRegistry(snmp.Kind())
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.Build("snmp", []byte(`{"port": `+port+`, "timeout": "1s"}`))
	if err != nil {
		t.Fatal(err)
	}
	return src.(*snmp.Source), host
}

// discoverUntil walks the switch until ok accepts the observations (the
// neighbours' lldpd send every second), or fails after 20s.
func discoverUntil(t *testing.T, s *snmp.Source, host string, l *lab.LLDPLab, what string, ok func([]discovery.Observation) bool) []discovery.Observation {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := s.Discover(context.Background(), discovery.Env{Targets: []string{host}, Credentials: map[string]string{"community": l.Community}})
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkObservations(res.Observations); msg != "" {
			t.Fatal(msg)
		}
		if ok(res.Observations) {
			return res.Observations
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 20s; last walk: %+v\n%s", what, res.Observations, l.Output())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestLabLLDP walks a switch (snmpd with lldpd as AgentX sub-agent, in a
// network namespace) cabled to two hosts running lldpd, then moves one
// cable to another port.
func TestLabLLDP(t *testing.T) {
	if *recordLLDP {
		t.Run("record", recordLLDPWalk)
	}
	l := lab.StartLLDPLab(t, 1, "nb-b", "nb-c.example.net")
	s, host := lldpLabSource(t, l)
	b, c := l.Neighbours[0], l.Neighbours[1]
	keyB, keyC := "neighbour mac:"+b.MAC, "neighbour mac:"+c.MAC
	// Until both lldpd have applied their configuration (lldpd may send
	// before lldpcli names it), a neighbour can show up under another key.
	obs := discoverUntil(t, s, host, l, "two neighbours", func(o []discovery.Observation) bool {
		m := byKey(o)
		return len(o) == 3 && m[keyB].Name == "nb-b" && m[keyC].Name == "nb-c.example.net"
	})

	sw, m := obs[0], byKey(obs)
	if sw.Name != l.SysName || sw.Facts["lldp.neighbours"] != "2" {
		t.Errorf("switch: name %q, lldp.neighbours %q", sw.Name, sw.Facts["lldp.neighbours"])
	}
	for _, c := range []struct {
		nb       *lab.LLDPNeighbour
		key      string
		wantIDs  []discovery.Identifier
		wantPort string
	}{
		{b, keyB, ids("MAC", b.MAC, "HOSTNAME", "nb-b", "IP", b.MgmtAddr), "swp1"},
		{c, keyC, ids("MAC", c.MAC, "FQDN", "nb-c.example.net", "HOSTNAME", "nb-c", "IP", c.MgmtAddr), "swp2"},
	} {
		nb, ok := m[c.key]
		if !ok {
			t.Fatalf("no neighbour %s in %v", c.key, slices.Collect(maps.Keys(m)))
		}
		// lldpd on a host that does not forward says "station" only.
		if nb.Name != c.nb.Name || nb.Kind != discovery.KindServer || !nb.Reference {
			t.Errorf("%s: name %q kind %q reference %v", c.key, nb.Name, nb.Kind, nb.Reference)
		}
		if !slices.Equal(nb.Identifiers, c.wantIDs) {
			t.Errorf("%s: identifiers %v, want %v", c.key, nb.Identifiers, c.wantIDs)
		}
		want := map[string]string{"local_port": c.wantPort, "remote_port": "eth0", "remote_port_description": "eth0", "protocol": "lldp"}
		if got := relTo(sw, c.key); !maps.Equal(got, want) {
			t.Errorf("CONNECTS_TO %s: %v, want %v", c.key, got, want)
		}
	}
	for _, id := range sw.Identifiers {
		if id.Kind == ident.MAC && (id.Value == b.MAC || id.Value == c.MAC) {
			t.Errorf("switch has a neighbour's MAC %s", id.Value)
		}
	}

	// Move B's cable from swp1 to the spare swp3: same neighbour, new port.
	l.Replug(t, b, "swp3")
	obs = discoverUntil(t, s, host, l, "nb-b on swp3", func(o []discovery.Observation) bool {
		return len(o) == 3 && relTo(o[0], keyB)["local_port"] == "swp3"
	})
	if got := relTo(obs[0], keyC)["local_port"]; got != "swp2" {
		t.Errorf("nb-c moved too: local_port %q", got)
	}
	if nb := byKey(obs)[keyB]; nb.Name != "nb-b" {
		t.Errorf("after the move: %+v", nb)
	}
}

// recordLLDPWalk (run by TestLabLLDP with -record-lldp) records the lab
// switch's system group, interface names and LLDP-MIB with snmpwalk into
// testdata/walks/lldpd_lab.walk, with the commands in its header.
func recordLLDPWalk(t *testing.T) {
	l := lab.StartLLDPLab(t, 0, "nb-b", "nb-c.example.net")
	s, host := lldpLabSource(t, l)
	keyB, keyC := "neighbour mac:"+l.Neighbours[0].MAC, "neighbour mac:"+l.Neighbours[1].MAC
	discoverUntil(t, s, host, l, "two neighbours", func(o []discovery.Observation) bool {
		m := byKey(o)
		return len(o) == 3 && m[keyB].Name == "nb-b" && m[keyC].Name == "nb-c.example.net"
	})
	bin, err := lab.LookPath("snmpwalk")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "# The LLDP lab (internal/lab StartLLDPLab): Net-SNMP 5.9.3 snmpd with lldpd 1.0.16 as AgentX\n")
	fmt.Fprintf(&out, "# sub-agent in network namespace %s, neighbours nb-b (%s) on swp1 and nb-c.example.net\n", lab.LLDPSwitchNS, l.Neighbours[0].MgmtAddr)
	fmt.Fprintf(&out, "# (%s) on swp2, each lldpd in its own namespace, on Debian 12; recorded %s by\n", l.Neighbours[1].MgmtAddr, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&out, "# go test ./discovery/snmp/ -run TestLabLLDP -record-lldp, with these commands (MIBS= set):\n")
	for _, root := range []string{".1.3.6.1.2.1.1", ".1.3.6.1.2.1.2.2.1.2", ".1.3.6.1.2.1.31.1.1.1.1", ".1.0.8802.1.1.2.1.3", ".1.0.8802.1.1.2.1.4"} {
		args := []string{"-v2c", "-c", l.Community, "-On", "-Ox", l.Addr, root}
		fmt.Fprintf(&out, "#   snmpwalk %s\n", strings.Join(args, " "))
	}
	for _, root := range []string{".1.3.6.1.2.1.1", ".1.3.6.1.2.1.2.2.1.2", ".1.3.6.1.2.1.31.1.1.1.1", ".1.0.8802.1.1.2.1.3", ".1.0.8802.1.1.2.1.4"} {
		cmd := exec.Command(bin, "-v2c", "-c", l.Community, "-On", "-Ox", l.Addr, root)
		cmd.Env = append(os.Environ(), "MIBS=", "SNMPCONFPATH="+l.Dir, "SNMP_PERSISTENT_DIR="+l.Dir)
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("snmpwalk %s: %v", root, err)
		}
		out.Write(b)
	}
	if err := os.WriteFile(filepath.Join(walks, "lldpd_lab.walk"), []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
