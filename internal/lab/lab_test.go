package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestSSHD(t *testing.T) {
	start := time.Now()
	s := StartSSHD(t)
	t.Logf("sshd ready on %s in %v", s.Addr, time.Since(start))
	if s.Addr != "127.0.0.2:2222" || s.Host != "127.0.0.2" || s.Port != 2222 {
		t.Fatalf("address %q %q %d", s.Addr, s.Host, s.Port)
	}

	// The known_hosts file and the key file are usable as they are.
	hostKeyCallback, err := knownhosts.New(s.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(s.ClientKeyPEM)
	if err != nil {
		t.Fatalf("ClientKeyPEM: %v", err)
	}
	if pem, err := os.ReadFile(s.ClientKeyFile); err != nil || !bytes.Equal(pem, s.ClientKeyPEM) {
		t.Fatalf("ClientKeyFile: %v", err)
	}
	cfg := &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeyCallback,
		Timeout:         10 * time.Second,
	}
	c, err := ssh.Dial("tcp", s.Addr, cfg)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("hostname")
	if err != nil {
		t.Fatalf("hostname: %v", err)
	}
	want, _ := os.Hostname()
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("hostname over ssh = %q, want %q", got, want)
	}

	// A wrong host key is refused.
	other, _, _, err := newEd25519Key("other")
	if err != nil {
		t.Fatal(err)
	}
	bad := s.ClientConfig()
	bad.HostKeyCallback = ssh.FixedHostKey(other)
	if c, err := ssh.Dial("tcp", s.Addr, bad); err == nil {
		c.Close()
		t.Fatal("login with the wrong host key succeeded")
	}
}

// Discovery scans many hosts at once: 50 quick concurrent logins must work.
func TestSSHDManyLogins(t *testing.T) {
	s := StartSSHD(t)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	start := time.Now()
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ssh.Dial("tcp", s.Addr, s.ClientConfig())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			sess, err := c.NewSession()
			if err != nil {
				errs <- err
				return
			}
			defer sess.Close()
			if _, err := sess.Output("true"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("50 concurrent logins in %v", time.Since(start))
}

func TestSNMPD(t *testing.T) {
	start := time.Now()
	s := StartSNMPD(t, "ops@example.com")
	t.Logf("snmpd ready on %s in %v", s.Addr, time.Since(start))
	if s.Addr != "127.0.0.3:1161" {
		t.Fatalf("Addr %q", s.Addr)
	}
	if got := snmpget(t, s, OIDSysContact); got != "ops@example.com" {
		t.Fatalf("sysContact = %q", got)
	}
	if got := snmpget(t, s, OIDSysLocation); got != s.SysLocation {
		t.Fatalf("sysLocation = %q, want %q", got, s.SysLocation)
	}

	start = time.Now()
	s.Restart(t, "noc@example.com")
	t.Logf("snmpd restarted in %v", time.Since(start))
	if got := snmpget(t, s, OIDSysContact); got != "noc@example.com" {
		t.Fatalf("sysContact after Restart = %q", got)
	}
	if s.SysContact != "noc@example.com" {
		t.Fatalf("SysContact field = %q", s.SysContact)
	}

	// v3 authPriv with gosnmp.
	g := s.V3()
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	res, err := g.Get([]string{OIDSysContact, OIDSysName})
	if err != nil {
		t.Fatalf("v3 get: %v", err)
	}
	if got := string(res.Variables[0].Value.([]byte)); got != "noc@example.com" {
		t.Fatalf("v3 sysContact = %q", got)
	}
	if got := string(res.Variables[1].Value.([]byte)); got != s.SysName {
		t.Fatalf("v3 sysName = %q", got)
	}

	// The whole tree is readable (not just the system group), over v2c.
	v2 := s.V2c()
	if err := v2.Connect(); err != nil {
		t.Fatal(err)
	}
	defer v2.Conn.Close()
	ifaces := 0
	if err := v2.BulkWalk(".1.3.6.1.2.1.2.2.1.2", func(gosnmp.SnmpPDU) error { ifaces++; return nil }); err != nil {
		t.Fatalf("walk ifDescr: %v", err)
	}
	if ifaces == 0 {
		t.Fatal("ifDescr walk returned nothing")
	}

	// A v3 request without privacy is refused (rouser ... priv).
	noPriv := s.V3()
	noPriv.MsgFlags = gosnmp.AuthNoPriv
	noPriv.SecurityParameters.(*gosnmp.UsmSecurityParameters).PrivacyProtocol = gosnmp.NoPriv
	noPriv.Timeout = 500 * time.Millisecond
	noPriv.Retries = 0
	if err := noPriv.Connect(); err != nil {
		t.Fatal(err)
	}
	defer noPriv.Conn.Close()
	if res, err := noPriv.Get([]string{OIDSysContact}); err == nil && len(res.Variables) == 1 &&
		res.Variables[0].Type == gosnmp.OctetString {
		t.Fatal("v3 authNoPriv was answered; want authPriv only")
	}
}

// snmpget reads one OID with the net-snmp command line tool over v2c.
func snmpget(t *testing.T, s *SNMPD, oid string) string {
	t.Helper()
	bin, err := LookPath("snmpget")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-v2c", "-c", s.Community, "-On", "-Oqv", "-t", "2", "-r", "1", s.Addr, oid)
	// Persistent files in the lab's directory, and stdout only: on a fresh
	// machine net-snmp reports creating /var/lib/snmp/… on stderr.
	cmd.Env = append(os.Environ(), "MIBS=", "SNMPCONFPATH="+s.Dir, "SNMP_PERSISTENT_DIR="+s.Dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("snmpget %s: %v: %s%s", oid, err, out, stderr.String())
	}
	return strings.Trim(strings.TrimSpace(string(out)), `"`)
}

func TestNodeExporter(t *testing.T) {
	start := time.Now()
	n := StartNodeExporter(t)
	t.Logf("node_exporter ready on %s in %v", n.Addr, time.Since(start))
	if n.URL != "http://127.0.0.4:9100/metrics" {
		t.Fatalf("URL %q", n.URL)
	}
	res, err := http.Get(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte("node_uname_info")) {
		t.Fatalf("/metrics has no node_uname_info:\n%.2000s", body)
	}
	n.Stop()
	if c, err := net.DialTimeout("tcp", n.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("node_exporter still listening after Stop")
	}
	n.Stop() // twice is fine, and so is the cleanup after it
}

func TestListen(t *testing.T) {
	ln := Listen(t, "127.0.0.5:0")
	for i := 0; i < 3; i++ {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != Banner {
			t.Fatalf("banner %q, want %q", b, Banner)
		}
	}
	if err := checkLoopback("192.0.2.1:80"); err == nil {
		t.Fatal("checkLoopback accepted a non-loopback address")
	}
}

// Two tests starting the same daemon at once take turns.
func TestLockSerialisesStarts(t *testing.T) {
	Need(t, "snmpd and snmpget for the snmp lab", "snmpd", "snmpget")
	type span struct{ from, to time.Time }
	var mu sync.Mutex
	var spans []span
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				contact := fmt.Sprintf("contact-%d@example.com", i)
				s := StartSNMPD(t, contact)
				from := time.Now()
				// Runs before the daemon stops and the lock is released.
				t.Cleanup(func() {
					mu.Lock()
					spans = append(spans, span{from, time.Now()})
					mu.Unlock()
				})
				for j := 0; j < 5; j++ {
					if got := snmpget(t, s, OIDSysContact); got != contact {
						t.Fatalf("sysContact = %q, want %q: two agents at once", got, contact)
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
	})
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	a, b := spans[0], spans[1]
	if a.from.Before(b.to) && b.from.Before(a.to) {
		t.Fatalf("the two daemons overlapped: %v–%v and %v–%v", a.from, a.to, b.from, b.to)
	}
}

// The lock also excludes another process, and is free again once that
// process exits.
func TestLockAcrossProcesses(t *testing.T) {
	const name = "lab-selftest"
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "CAIRN_LAB_HOLD_LOCK="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	if l, err := acquireLock(name, "none", 300*time.Millisecond, t.Logf); err == nil {
		_ = l.release()
		t.Fatal("took a lock another process holds")
	}
	stdin.Close() // the helper exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	l, err := acquireLock(name, "none", 5*time.Second, t.Logf)
	if err != nil {
		t.Fatalf("lock not freed after the holder exited: %v", err)
	}
	_ = l.release()
}

// TestHelperHoldLock is the other process of TestLockAcrossProcesses.
func TestHelperHoldLock(t *testing.T) {
	name := os.Getenv("CAIRN_LAB_HOLD_LOCK")
	if name == "" {
		return
	}
	l, err := acquireLock(name, "none", 5*time.Second, nil)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = l.release()
	os.Exit(0)
}

// fakeTB records how Need ends a test.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }
func (f *fakeTB) Skipf(format string, args ...any)  { f.skip = fmt.Sprintf(format, args...) }

func TestNeed(t *testing.T) {
	t.Setenv("CAIRN_LAB", "")
	t.Setenv("CI", "")
	f := &fakeTB{}
	Need(f, "sshd", "sshd-not-installed-xyz")
	if f.fatal != "" || !strings.Contains(f.skip, "apt-get install "+Packages) || !strings.Contains(f.skip, "CAIRN_LAB=1 make test") {
		t.Fatalf("without CAIRN_LAB: skip %q fatal %q", f.skip, f.fatal)
	}
	t.Setenv("CAIRN_LAB", "1")
	f = &fakeTB{}
	Need(f, "sshd", "sshd-not-installed-xyz")
	if f.skip != "" || !strings.Contains(f.fatal, "must be present") || !strings.Contains(f.fatal, "apt-get install") {
		t.Fatalf("with CAIRN_LAB=1: skip %q fatal %q", f.skip, f.fatal)
	}
	t.Setenv("CAIRN_LAB", "")
	t.Setenv("CI", "true")
	f = &fakeTB{}
	Need(f, "sshd", "sshd-not-installed-xyz")
	if f.fatal == "" {
		t.Fatal("with CI=true: not fatal")
	}
	f = &fakeTB{}
	Need(f, "sh", "sh")
	if f.fatal != "" || f.skip != "" {
		t.Fatalf("sh is installed: skip %q fatal %q", f.skip, f.fatal)
	}
}
