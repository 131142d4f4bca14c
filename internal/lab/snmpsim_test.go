package lab

import (
	"net"
	"strconv"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// TestSNMPSim: snmpsimd answers v2c for the community named after the
// file, with the file's values, on a port of 127.0.0.1.
func TestSNMPSim(t *testing.T) {
	s := StartSNMPSim(t, map[string]string{"sw": "1.3.6.1.2.1.1.1.0|4|simulated\n1.3.6.1.2.1.1.5.0|4|sim-sw\n1.3.6.1.2.1.2.2.1.2.7|4|Gi1/0/7\n"})
	host, portStr, err := net.SplitHostPort(s.Addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr %q", s.Addr)
	}
	port, _ := strconv.Atoi(portStr)
	g := &gosnmp.GoSNMP{Target: host, Port: uint16(port), Transport: "udp", Community: "sw", Version: gosnmp.Version2c,
		Timeout: 2e9, Retries: 1, MaxOids: gosnmp.MaxOids}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	res, err := g.Get([]string{".1.3.6.1.2.1.1.5.0", ".1.3.6.1.2.1.2.2.1.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Variables) != 2 || string(res.Variables[0].Value.([]byte)) != "sim-sw" || string(res.Variables[1].Value.([]byte)) != "Gi1/0/7" {
		t.Fatalf("GET: %+v", res.Variables)
	}
}
