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

// Well-known OIDs the lab agent answers.
const (
	OIDSysDescr    = ".1.3.6.1.2.1.1.1.0"
	OIDSysContact  = ".1.3.6.1.2.1.1.4.0"
	OIDSysName     = ".1.3.6.1.2.1.1.5.0"
	OIDSysLocation = ".1.3.6.1.2.1.1.6.0"
)

// SNMPD is a Net-SNMP agent on udp 127.0.0.3:1161 that answers v2c for
// Community and v3 for User (SHA authentication, AES privacy, authPriv
// required). The whole tree (.1) is readable.
type SNMPD struct {
	Addr      string // "127.0.0.3:1161"
	Community string // v1/v2c read-only community
	User      string // v3 user (SHA/AES, authPriv)
	AuthPass  string
	PrivPass  string

	SysContact  string
	SysLocation string
	SysName     string

	Dir string // snmpd.conf, pid file, persistent dir

	lock *lock
	proc *process
}

// StartSNMPD starts snmpd on udp 127.0.0.3:1161 with sysContact and stops it
// when the test ends.
func StartSNMPD(t testing.TB, sysContact string) *SNMPD {
	t.Helper()
	Need(t, "snmpd and snmpget for the snmp lab", "snmpd", "snmpget")
	s, err := testEnv(t).StartSNMPD(sysContact)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return s
}

// Restart stops the agent and starts it again, on the same address with the
// same users and engine ID (engineBoots goes up), now with sysContact.
func (s *SNMPD) Restart(t testing.TB, sysContact string) {
	t.Helper()
	if err := s.RestartErr(sysContact); err != nil {
		t.Fatalf("lab: %v", err)
	}
}

// RestartErr is Restart for use outside tests.
func (s *SNMPD) RestartErr(sysContact string) error {
	if s.proc != nil {
		if err := s.proc.stop(); err != nil {
			return err
		}
	}
	s.SysContact = sysContact
	return s.start()
}

// StartSNMPD starts snmpd on udp 127.0.0.3:1161; e.Close stops it.
func (e *Env) StartSNMPD(sysContact string) (*SNMPD, error) {
	if _, err := LookPath("snmpd"); err != nil {
		return nil, err
	}
	lk, err := acquireLock("snmpd", "snmpd", e.lockTimeout(), e.logf)
	if err != nil {
		return nil, err
	}
	e.addCleanup(lk.release)
	dir, err := e.mkdir("snmpd")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "persist"), 0o700); err != nil {
		return nil, err
	}
	s := &SNMPD{
		Addr:        SNMPDAddr,
		Community:   "cairn-lab",
		User:        "cairnlab",
		AuthPass:    "cairn-lab-auth",
		PrivPass:    "cairn-lab-priv",
		SysContact:  sysContact,
		SysLocation: "cairn lab, loopback 127.0.0.3",
		SysName:     "cairn-lab-snmp",
		Dir:         dir,
		lock:        lk,
	}
	e.addCleanup(func() error {
		if s.proc == nil {
			return nil
		}
		return s.proc.stop()
	})
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// start writes the configuration, runs snmpd and waits until it answers.
func (s *SNMPD) start() error {
	bin, err := LookPath("snmpd")
	if err != nil {
		return err
	}
	if strings.ContainsAny(s.SysContact+s.SysLocation+s.SysName, "\n\r") {
		return fmt.Errorf("snmpd: sysContact, sysLocation and sysName must be one line")
	}
	conf := filepath.Join(s.Dir, "snmpd.conf")
	pidFile := filepath.Join(s.Dir, "snmpd.pid")
	text := fmt.Sprintf(`# cairn lab snmpd: loopback only.
agentAddress udp:%s
view all included .1
rocommunity %s 127.0.0.0/8 -V all
createUser %s SHA %s AES %s
rouser %s priv -V all
sysContact %s
sysLocation %s
sysName %s
sysServices 72
dontLogTCPWrappersConnects yes
`, s.Addr, s.Community, s.User, s.AuthPass, s.PrivPass, s.User, s.SysContact, s.SysLocation, s.SysName)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return fmt.Errorf("snmpd: %w", err)
	}
	env := append(os.Environ(),
		"SNMP_PERSISTENT_DIR="+filepath.Join(s.Dir, "persist"),
		"SNMPCONFPATH="+s.Dir,
		"MIBS=", // load no MIB files: nothing here needs names
	)
	// -f foreground, -Lo log to stdout, -I -smux: no SMUX (TCP port 199 on
	// every address), -C: no default configuration files.
	p, err := startProcess("snmpd", env, bin, "-f", "-Lo", "-I", "-smux", "-C", "-c", conf, "-p", pidFile)
	if err != nil {
		return err
	}
	s.proc = p
	s.lock.setPID(p.pid())
	return s.waitReady(StartTimeout)
}

// waitReady waits until a v2c GET of sysName answers, then checks v3.
func (s *SNMPD) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := s.check(s.V2c())
		if err == nil {
			break
		}
		if s.proc.exited() {
			return fmt.Errorf("snmpd exited: %s", s.proc.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("snmpd on %s did not answer within %v: %v; output: %s", s.Addr, timeout, err, s.proc.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.check(s.V3()); err != nil {
		return fmt.Errorf("snmpd on %s: v3 user %s: %v; output: %s", s.Addr, s.User, err, s.proc.output())
	}
	return nil
}

func (s *SNMPD) check(g *gosnmp.GoSNMP) error {
	g.Timeout = 300 * time.Millisecond
	g.Retries = 0
	if err := g.Connect(); err != nil {
		return err
	}
	defer g.Conn.Close()
	res, err := g.Get([]string{OIDSysName})
	if err != nil {
		return err
	}
	if len(res.Variables) != 1 || res.Variables[0].Type != gosnmp.OctetString {
		return fmt.Errorf("unexpected answer to GET sysName: %+v", res.Variables)
	}
	if got := string(res.Variables[0].Value.([]byte)); got != s.SysName {
		return fmt.Errorf("sysName is %q, want %q", got, s.SysName)
	}
	return nil
}

// V2c returns an unconnected gosnmp client for s.Community (call Connect).
func (s *SNMPD) V2c() *gosnmp.GoSNMP {
	host, port := s.hostPort()
	return &gosnmp.GoSNMP{
		Target:    host,
		Port:      port,
		Transport: "udp",
		Community: s.Community,
		Version:   gosnmp.Version2c,
		Timeout:   2 * time.Second,
		Retries:   1,
		MaxOids:   gosnmp.MaxOids,
	}
}

// V3 returns an unconnected gosnmp client for s.User with SHA/AES authPriv
// (call Connect).
func (s *SNMPD) V3() *gosnmp.GoSNMP {
	host, port := s.hostPort()
	return &gosnmp.GoSNMP{
		Target:        host,
		Port:          port,
		Transport:     "udp",
		Version:       gosnmp.Version3,
		SecurityModel: gosnmp.UserSecurityModel,
		MsgFlags:      gosnmp.AuthPriv,
		SecurityParameters: &gosnmp.UsmSecurityParameters{
			UserName:                 s.User,
			AuthenticationProtocol:   gosnmp.SHA,
			AuthenticationPassphrase: s.AuthPass,
			PrivacyProtocol:          gosnmp.AES,
			PrivacyPassphrase:        s.PrivPass,
		},
		Timeout: 2 * time.Second,
		Retries: 1,
		MaxOids: gosnmp.MaxOids,
	}
}

func (s *SNMPD) hostPort() (string, uint16) {
	host, portStr, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(portStr)
	return host, uint16(port)
}
