package lab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// SNMPSim is snmpsim's command responder (Debian package snmpsim,
// snmpsimd) on a free UDP port of 127.0.0.1, serving recorded walks: each
// snmprec file "<name>.snmprec" answers v2c for community <name>.
type SNMPSim struct {
	Addr string // "127.0.0.1:<port>"
	Dir  string // the data directory

	proc *process
}

// StartSNMPSim starts snmpsimd serving files (name → snmprec text, OIDs in
// ascending order) and stops it when the test ends.
func StartSNMPSim(t testing.TB, files map[string]string) *SNMPSim {
	t.Helper()
	Need(t, "snmpsimd (snmpsim) for the SNMP simulator", "snmpsimd")
	s, err := testEnv(t).StartSNMPSim(files)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return s
}

// StartSNMPSim is StartSNMPSim for use outside tests; e.Close stops it.
func (e *Env) StartSNMPSim(files map[string]string) (*SNMPSim, error) {
	bin, err := LookPath("snmpsimd")
	if err != nil {
		return nil, err
	}
	// snmpsimd refuses to run as root and drops to nobody, which must read
	// the data and write the index cache: not under the test's private
	// temporary directory.
	dir, err := os.MkdirTemp("", "cairn-lab-snmpsim-")
	if err != nil {
		return nil, err
	}
	e.addCleanup(func() error { return os.RemoveAll(dir) })
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for _, d := range []string{dir, data, cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o777); err != nil {
			return nil, err
		}
	}
	var community string
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(data, name+".snmprec"), []byte(text), 0o644); err != nil {
			return nil, err
		}
		community = name
	}
	port, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	s := &SNMPSim{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: data}
	argv := []string{bin, "--data-dir=" + data, "--cache-dir=" + cache, "--agent-udpv4-endpoint=" + s.Addr,
		"--logging-method=stderr"}
	if os.Geteuid() == 0 {
		argv = append(argv, "--process-user=nobody", "--process-group=nogroup")
	}
	p, err := startProcess("snmpsimd", os.Environ(), argv...)
	if err != nil {
		return nil, err
	}
	s.proc = p
	e.addCleanup(p.stop)
	// snmpsimd indexes the files before it answers.
	deadline := time.Now().Add(StartTimeout)
	for {
		err := s.check(community)
		if err == nil {
			return s, nil
		}
		if p.exited() {
			return nil, fmt.Errorf("snmpsimd exited: %s", p.output())
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("snmpsimd on %s did not answer within %v: %v; output: %s", s.Addr, StartTimeout, err, p.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *SNMPSim) check(community string) error {
	host, portStr, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(portStr)
	g := &gosnmp.GoSNMP{Target: host, Port: uint16(port), Transport: "udp", Community: community,
		Version: gosnmp.Version2c, Timeout: 300 * time.Millisecond, MaxOids: gosnmp.MaxOids}
	if err := g.Connect(); err != nil {
		return err
	}
	defer g.Conn.Close()
	res, err := g.GetNext([]string{".1.3.6.1.2.1.1"})
	if err != nil {
		return err
	}
	if len(res.Variables) != 1 || !strings.HasPrefix(res.Variables[0].Name, ".1.3.6.1.2.1.1.") {
		return fmt.Errorf("unexpected answer to GETNEXT system: %+v", res.Variables)
	}
	return nil
}

// freeUDPPort returns a UDP port of 127.0.0.1 that was free a moment ago.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
