package lab

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// remSysNames walks lldpRemSysName and returns the names by local port
// number.
func remSysNames(t *testing.T, l *LLDPLab) map[string]string {
	t.Helper()
	g := l.V2c()
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	out := map[string]string{}
	err := g.BulkWalk(".1.0.8802.1.1.2.1.4.1.1.9", func(p gosnmp.SnmpPDU) error {
		idx := strings.Split(strings.TrimPrefix(p.Name, ".1.0.8802.1.1.2.1.4.1.1.9."), ".")
		if len(idx) == 3 {
			out[idx[1]] = string(p.Value.([]byte))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk lldpRemSysName: %v", err)
	}
	return out
}

// TestLLDPLab: the switch's snmpd serves, through lldpd's AgentX
// sub-agent, the system names the neighbours' lldpd announce; a replugged
// cable shows on the new port only; the namespaces go with the test.
func TestLLDPLab(t *testing.T) {
	start := time.Now()
	l := StartLLDPLab(t, 1, "nb-b", "nb-c")
	t.Logf("LLDP lab up in %v", time.Since(start))
	if len(l.Ports) != 3 || len(l.Neighbours) != 2 || l.Neighbours[0].SwitchPort != "swp1" || l.Neighbours[0].MAC == "" {
		t.Fatalf("lab: ports %v, neighbours %+v", l.Ports, l.Neighbours)
	}
	names := func() []string {
		var n []string
		for _, v := range remSysNames(t, l) {
			n = append(n, v)
		}
		slices.Sort(n)
		return n
	}
	deadline := time.Now().Add(15 * time.Second)
	for !slices.Equal(names(), []string{"nb-b", "nb-c"}) {
		if time.Now().After(deadline) {
			t.Fatalf("lldpRemSysName: %v after 15s, want nb-b and nb-c\n%s", names(), l.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	mac := l.Neighbours[0].MAC
	l.Replug(t, l.Neighbours[0], "swp3")
	if l.Neighbours[0].SwitchPort != "swp3" || l.Neighbours[0].MAC != mac {
		t.Fatalf("after Replug: %+v (MAC was %s)", l.Neighbours[0], mac)
	}
	for {
		n := remSysNames(t, l)
		if len(n) == 2 && n[portNum(t, "swp3")] == "nb-b" {
			break
		}
		if time.Now().After(deadline.Add(15 * time.Second)) {
			t.Fatalf("after moving nb-b to swp3: %v", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// portNum is the ifIndex of a switch port.
func portNum(t *testing.T, port string) string {
	t.Helper()
	out, err := runIn(LLDPSwitchNS, "cat", "/sys/class/net/"+port+"/ifindex")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}
