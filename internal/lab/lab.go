// Package lab starts real daemons on loopback addresses for integration tests
// of the discovery sources, and for `make lab` (cmd/cairnlab).
//
// Every daemon listens on a fixed loopback address, never anything else:
//
//	sshd                      127.0.0.2:2222 (tcp)  StartSSHD
//	snmpd                     127.0.0.3:1161 (udp)  StartSNMPD, (*SNMPD).Restart
//	prometheus-node-exporter  127.0.0.4:9100 (tcp)  StartNodeExporter, (*NodeExporter).Stop
//	banner listener           any loopback addr     Listen
//	LLDP lab (root only)      198.18.231.2:1161 (udp) StartLLDPLab, (*LLDPLab).Replug
//
// The LLDP lab is the exception to loopback: a "switch" network namespace
// (cairn-lldp-sw) runs snmpd with lldpd as its AgentX sub-agent, neighbour
// namespaces (cairn-lldp-1, -2, ...) run lldpd, veth pairs are the cables
// (switch ports swp1, swp2, ...), and one veth pair from the root namespace
// (cairnlldp0, 198.18.231.1/30, a benchmarking range on no real network)
// reaches the agent. Namespaces go with the test; it needs root.
//
// The daemons' configuration, keys and pid files live in t.TempDir(); each is
// stopped (SIGTERM, then wait) when the test ends. Because the addresses are
// fixed, each daemon is serialised across test processes by an exclusive
// flock on /tmp/cairn-lab-<daemon>.lock, held from Start until the test's
// cleanup: a second test (in this or another process) that starts the same
// daemon waits for the first to finish (up to LockTimeout, then fails).
// A test that starts the same daemon twice therefore waits for itself, and fails.
//
// Each Start* calls Need first: when a binary is missing the test is skipped,
// or fails when CAIRN_LAB=1 or CI=true. To run the lab tests:
//
//	apt-get install openssh-server snmpd snmp nmap prometheus-node-exporter prometheus-alertmanager lldpd iproute2 fusioninventory-agent fusioninventory-agent-task-network ocsinventory-agent
//	CAIRN_LAB=1 make test
//
// The API (all Start* stop their daemon when the test ends):
//
//	Need(t, what, binaries...)          skip, or fail under CAIRN_LAB=1/CI=true
//
//	s := StartSSHD(t)                   *SSHD: Addr "127.0.0.2:2222", Host, Port,
//	                                    User (current user, e.g. root),
//	                                    ClientKeyPEM, ClientKeyFile, Signer (ed25519),
//	                                    HostKey, KnownHostsFile, Dir;
//	                                    s.ClientConfig() logs in with Signer, checks HostKey
//
//	n := StartSNMPD(t, "ops@example.com")
//	                                    *SNMPD: Addr "127.0.0.3:1161" (udp),
//	                                    Community "cairn-lab" (v2c, whole tree),
//	                                    User "cairnlab" / AuthPass / PrivPass (v3 SHA+AES,
//	                                    authPriv only), SysContact, SysLocation, SysName, Dir;
//	                                    n.V2c(), n.V3() give unconnected gosnmp clients
//	n.Restart(t, "noc@example.com")     same address, users and engine ID, new sysContact
//
//	ne := StartNodeExporter(t)          *NodeExporter: Addr "127.0.0.4:9100",
//	                                    URL "http://127.0.0.4:9100/metrics"
//	ne.Stop()                           stop it now (the address then refuses connections)
//
//	ln := Listen(t, "127.0.0.5:8443")   net.Listener writing Banner ("CAIRN-LAB 1.0\r\n")
//	                                    to each connection, then closing it ("a new port opens")
//
// Commands run over the lab sshd start with SHLVL=1, so bash does not source
// the user's ~/.bashrc (on a machine with pyenv in root's .bashrc that cost
// seconds per command).
//
// Outside tests (cmd/cairnlab, `make lab`), NewEnv gives the same daemons
// with explicit cleanup: Env.StartSSHD, Env.StartSNMPD, Env.StartNodeExporter
// and Env.Close.
package lab

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fixed lab addresses.
const (
	SSHDAddr         = "127.0.0.2:2222"
	SNMPDAddr        = "127.0.0.3:1161"
	NodeExporterAddr = "127.0.0.4:9100"
)

// Banner is what a Listen listener writes to every connection before closing
// it.
const Banner = "CAIRN-LAB 1.0\r\n"

// LockTimeout bounds how long a Start waits for another test (or process)
// using the same daemon.
var LockTimeout = 5 * time.Minute

// StartTimeout bounds how long a daemon may take to answer after it starts.
var StartTimeout = 30 * time.Second

// Packages is the apt-get install line for everything the lab tests use.
const Packages = "openssh-server snmpd snmp nmap prometheus-node-exporter prometheus prometheus-alertmanager lldpd iproute2 snmpsim fusioninventory-agent fusioninventory-agent-task-network ocsinventory-agent"

// Required reports whether missing lab components must fail tests rather than
// skip them: CAIRN_LAB=1 or CI=true.
func Required() bool {
	return os.Getenv("CAIRN_LAB") == "1" || os.Getenv("CI") == "true"
}

// Need checks that every binary is installed (in PATH or in /usr/sbin, /sbin,
// /usr/local/sbin). When one is missing it skips the test, or fails it when
// CAIRN_LAB=1 or CI=true. what says what the test needs them for, e.g.
// "sshd for the ssh discovery tests".
func Need(t testing.TB, what string, binaries ...string) {
	t.Helper()
	var missing []string
	for _, b := range binaries {
		if _, err := LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) == 0 {
		return
	}
	pkgs := packagesFor(missing)
	if Required() {
		t.Fatalf("lab: %s: %s not installed but CAIRN_LAB=1 or CI=true, so it must be present: install it: apt-get install %s",
			what, strings.Join(missing, ", "), pkgs)
		return
	}
	t.Skipf("lab: %s: %s not installed; to run these tests: apt-get install %s, then CAIRN_LAB=1 make test",
		what, strings.Join(missing, ", "), Packages)
}

// LookPath finds a binary in PATH or in the sbin directories that are often
// missing from a non-root PATH.
func LookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if !strings.ContainsRune(name, '/') {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"} {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s: not found in PATH or sbin directories", name)
}

// packagesFor names the Debian packages providing binaries.
func packagesFor(binaries []string) string {
	seen := map[string]bool{}
	var out []string
	for _, b := range binaries {
		p := map[string]string{
			"sshd":                         "openssh-server",
			"ssh":                          "openssh-client",
			"snmpd":                        "snmpd",
			"snmpget":                      "snmp",
			"snmpwalk":                     "snmp",
			"nmap":                         "nmap",
			"prometheus-node-exporter":     "prometheus-node-exporter",
			"prometheus-alertmanager":      "prometheus-alertmanager",
			"lldpd":                        "lldpd",
			"ip":                           "iproute2",
			"snmpsimd":                     "snmpsim",
			"fusioninventory-agent":        "fusioninventory-agent",
			"fusioninventory-injector":     "fusioninventory-agent",
			"fusioninventory-netinventory": "fusioninventory-agent-task-network",
			"ocsinventory-agent":           "ocsinventory-agent",
		}[filepath.Base(b)]
		if p == "" {
			p = filepath.Base(b)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// Env runs lab daemons outside tests: each Start* registers its cleanup
// with the Env, and Close runs them (last first). Tests use the package-level
// Start* functions instead.
type Env struct {
	// Dir is where each daemon gets its own directory.
	Dir string
	// Logf, if set, reports progress (e.g. waiting for a lock).
	Logf func(format string, args ...any)
	// LockTimeout overrides the package LockTimeout when non-zero.
	LockTimeout time.Duration

	mu       sync.Mutex
	cleanups []func() error
}

// NewEnv returns an Env whose daemons keep their files under dir.
func NewEnv(dir string) *Env { return &Env{Dir: dir} }

func (e *Env) addCleanup(f func() error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, f)
}

// Close stops every daemon started through e, last first, and releases their
// locks.
func (e *Env) Close() error {
	e.mu.Lock()
	cs := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	var errs []error
	for i := len(cs) - 1; i >= 0; i-- {
		errs = append(errs, cs[i]())
	}
	return errors.Join(errs...)
}

func (e *Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

func (e *Env) lockTimeout() time.Duration {
	if e.LockTimeout > 0 {
		return e.LockTimeout
	}
	return LockTimeout
}

// mkdir makes a fresh directory for one daemon under e.Dir.
func (e *Env) mkdir(name string) (string, error) {
	if e.Dir == "" {
		d, err := os.MkdirTemp("", "cairn-lab-")
		if err != nil {
			return "", err
		}
		e.Dir = d
	}
	if err := os.MkdirAll(e.Dir, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(e.Dir, name+"-")
}

// testEnv returns an Env whose cleanups run when t ends.
func testEnv(t testing.TB) *Env {
	t.Helper()
	e := &Env{Dir: t.TempDir(), Logf: t.Logf}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("lab: %v", err)
		}
	})
	return e
}

// Listen opens a TCP listener on addr, which must be a loopback address
// (e.g. "127.0.0.5:8443"; port 0 picks a free one). Every connection it
// accepts gets Banner and is closed at once. The listener is closed when the
// test ends (closing it earlier is fine).
func Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	if err := checkLoopback(addr); err != nil {
		t.Fatalf("lab: Listen: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("lab: Listen %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				return
			}
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte(Banner))
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln
}

// checkLoopback refuses addresses outside 127.0.0.0/8 and ::1.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback address: the lab binds to 127.0.0.0/8 only", addr)
	}
	return nil
}

// waitTCP waits until addr accepts TCP connections or p exits.
func waitTCP(addr string, p *process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s: %s", p.name, addr, p.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within %v: %v; output: %s", p.name, addr, timeout, err, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
