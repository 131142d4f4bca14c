package lab

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// The LLDP lab's fixed names and addresses: a "switch" namespace running
// snmpd with lldpd as its AgentX sub-agent, neighbour namespaces running
// lldpd, veth pairs as cables, and one veth pair from the root namespace to
// the switch's management interface, over which the agent is walked.
const (
	LLDPSwitchNS  = "cairn-lldp-sw"
	lldpNSPrefix  = "cairn-lldp-"
	lldpMgmtRoot  = "cairnlldp0"        // root end of the management cable
	lldpMgmtIface = "mgmt0"             // switch end
	lldpMgmtNet   = "198.18.231.0/30"   // RFC 2544 benchmarking range: on no real network
	LLDPAgentAddr = "198.18.231.2:1161" // snmpd in the switch namespace
	lldpRootAddr  = "198.18.231.1/30"
	lldpSwitchIP  = "198.18.231.2/30"
)

// LLDPNeighbour is a namespace running lldpd, cabled to a port of the
// switch.
type LLDPNeighbour struct {
	Name       string // system name it announces (lldpcli configure system hostname)
	NetNS      string // its network namespace
	Iface      string // its interface ("eth0")
	MAC        string // the interface's MAC: lldpd's chassis ID
	MgmtAddr   string // the management address it announces (on Iface)
	SwitchPort string // the switch interface its cable is plugged into

	proc *process
}

// LLDPLab is a switch with neighbours, all real lldpd daemons in network
// namespaces, and the switch's snmpd serving LLDP-MIB through lldpd's AgentX
// sub-agent. Needs root (network namespaces), ip, lldpd and snmpd.
type LLDPLab struct {
	Addr      string // the switch's agent, LLDPAgentAddr (udp)
	Community string // v2c community
	SysName   string // the switch's sysName and LLDP system name
	// Ports are the switch interfaces that have lldpd running, by name
	// ("swp1" ...); cables may be plugged into any of them.
	Ports      []string
	Neighbours []*LLDPNeighbour
	Dir        string

	lock   *lock
	snmpd  *process
	lldpd  *process
	agentX string
}

// StartLLDPLab builds the LLDP lab with neighbours named names (at most 8),
// the i-th cabled to switch port "swp<i+1>", and n spare ports beyond them;
// everything is torn down when the test ends. It skips the test when not
// root or a binary is missing (fails under CAIRN_LAB=1).
func StartLLDPLab(t testing.TB, spare int, names ...string) *LLDPLab {
	t.Helper()
	Need(t, "lldpd, snmpd and ip for the LLDP lab", "lldpd", "snmpd", "ip")
	if os.Geteuid() != 0 {
		if Required() {
			t.Fatal("lab: the LLDP lab needs root (network namespaces) but CAIRN_LAB=1 or CI=true: run the tests as root")
		}
		t.Skip("lab: the LLDP lab needs root (network namespaces); run as root with CAIRN_LAB=1")
	}
	l, err := testEnv(t).StartLLDPLab(spare, names...)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return l
}

// StartLLDPLab is StartLLDPLab for use outside tests; e.Close tears it down.
func (e *Env) StartLLDPLab(spare int, names ...string) (*LLDPLab, error) {
	if len(names) > 8 || spare < 0 || len(names)+spare > 16 {
		return nil, fmt.Errorf("lldp lab: %d neighbours and %d spare ports: at most 8 neighbours and 16 ports", len(names), spare)
	}
	for _, b := range []string{"lldpd", "snmpd", "ip"} {
		if _, err := LookPath(b); err != nil {
			return nil, err
		}
	}
	lk, err := acquireLock("lldp", "lldpd", e.lockTimeout(), e.logf)
	if err != nil {
		return nil, err
	}
	e.addCleanup(lk.release)
	dir, err := e.mkdir("lldp")
	if err != nil {
		return nil, err
	}
	// lldpd's unprivileged half and snmpd reach the sockets here.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	// The AgentX socket must be reachable by lldpd's unprivileged user:
	// not under the test's private temporary directory.
	sockDir := filepath.Join(os.TempDir(), "cairn-lab-lldp")
	if err := os.MkdirAll(sockDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(sockDir, 0o755); err != nil {
		return nil, err
	}
	l := &LLDPLab{Addr: LLDPAgentAddr, Community: "cairn-lldp", SysName: "cairn-lab-switch", Dir: dir, lock: lk,
		agentX: filepath.Join(sockDir, "agentx.sock")}
	_ = os.Remove(l.agentX)
	e.addCleanup(l.teardown)
	removeLLDPNamespaces() // left over by a test process that was killed
	if err := l.build(spare, names); err != nil {
		return nil, err
	}
	return l, nil
}

// ip runs ip(8) with args.
func ip(args ...string) error {
	bin, err := LookPath("ip")
	if err != nil {
		return err
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func ipAll(cmds ...[]string) error {
	for _, c := range cmds {
		if err := ip(c...); err != nil {
			return err
		}
	}
	return nil
}

func (l *LLDPLab) build(spare int, names []string) error {
	if err := ipAll(
		[]string{"netns", "add", LLDPSwitchNS},
		[]string{"-n", LLDPSwitchNS, "link", "set", "lo", "up"},
		[]string{"link", "add", lldpMgmtRoot, "type", "veth", "peer", "name", lldpMgmtIface, "netns", LLDPSwitchNS},
		[]string{"addr", "add", lldpRootAddr, "dev", lldpMgmtRoot},
		[]string{"link", "set", lldpMgmtRoot, "up"},
		[]string{"-n", LLDPSwitchNS, "addr", "add", lldpSwitchIP, "dev", lldpMgmtIface},
		[]string{"-n", LLDPSwitchNS, "link", "set", lldpMgmtIface, "up"},
	); err != nil {
		return err
	}
	for i := 0; i < len(names)+spare; i++ {
		l.Ports = append(l.Ports, "swp"+strconv.Itoa(i+1))
	}
	for i, name := range names {
		nb := &LLDPNeighbour{Name: name, NetNS: lldpNSPrefix + strconv.Itoa(i+1), Iface: "eth0",
			MgmtAddr: "192.0.2." + strconv.Itoa(11+i), SwitchPort: l.Ports[i]}
		if err := ipAll(
			[]string{"netns", "add", nb.NetNS},
			[]string{"-n", nb.NetNS, "link", "set", "lo", "up"},
		); err != nil {
			return err
		}
		l.Neighbours = append(l.Neighbours, nb)
	}
	// Cables: a veth pair per neighbour; spare ports are veth pairs whose
	// other end stays in the switch namespace, down (an empty port).
	for _, nb := range l.Neighbours {
		if err := l.cable(nb, nb.SwitchPort); err != nil {
			return err
		}
		if err := ipAll(
			[]string{"-n", nb.NetNS, "addr", "add", nb.MgmtAddr + "/24", "dev", nb.Iface},
		); err != nil {
			return err
		}
	}
	for _, p := range l.Ports[len(names):] {
		if err := sparePort(p); err != nil {
			return err
		}
	}
	if err := l.startSNMPD(); err != nil {
		return err
	}
	p, err := l.startLLDPD(LLDPSwitchNS, "switch", l.SysName, "", "-x", "-X", l.agentX, "-I", "swp*")
	if err != nil {
		return err
	}
	l.lldpd = p
	for _, nb := range l.Neighbours {
		p, err := l.startLLDPD(nb.NetNS, nb.NetNS, nb.Name, nb.MgmtAddr, "-I", nb.Iface)
		if err != nil {
			return err
		}
		nb.proc = p
	}
	return nil
}

// cable plugs nb into switch port port with a new veth pair.
func (l *LLDPLab) cable(nb *LLDPNeighbour, port string) error {
	if err := ipAll(
		[]string{"-n", LLDPSwitchNS, "link", "add", port, "type", "veth", "peer", "name", nb.Iface, "netns", nb.NetNS},
		[]string{"-n", LLDPSwitchNS, "link", "set", port, "up"},
		[]string{"-n", nb.NetNS, "link", "set", nb.Iface, "up"},
	); err != nil {
		return err
	}
	mac, err := nsMAC(nb.NetNS, nb.Iface)
	if err != nil {
		return err
	}
	nb.MAC, nb.SwitchPort = mac, port
	return nil
}

// Replug moves nb's cable to switch port port (a spare one): the old veth
// pair is deleted and a new one made, so nb's interface gets a new MAC
// (and lldpd a new chassis ID) unless mac is kept: the new interface is
// given the old MAC, as a moved cable keeps the neighbour's NIC.
func (l *LLDPLab) Replug(t testing.TB, nb *LLDPNeighbour, port string) {
	t.Helper()
	if err := l.ReplugErr(nb, port); err != nil {
		t.Fatalf("lab: %v", err)
	}
}

// ReplugErr is Replug for use outside tests.
func (l *LLDPLab) ReplugErr(nb *LLDPNeighbour, port string) error {
	if err := ip("-n", LLDPSwitchNS, "link", "del", nb.SwitchPort); err != nil {
		return err
	}
	if err := ip("-n", LLDPSwitchNS, "link", "del", port); err != nil && !strings.Contains(err.Error(), "Cannot find") {
		return err
	}
	oldMAC, oldPort := nb.MAC, nb.SwitchPort
	if err := l.cable(nb, port); err != nil {
		return err
	}
	if err := ipAll(
		[]string{"-n", nb.NetNS, "link", "set", nb.Iface, "down"},
		[]string{"-n", nb.NetNS, "link", "set", nb.Iface, "address", oldMAC},
		[]string{"-n", nb.NetNS, "addr", "add", nb.MgmtAddr + "/24", "dev", nb.Iface},
		[]string{"-n", nb.NetNS, "link", "set", nb.Iface, "up"},
	); err != nil {
		return err
	}
	nb.MAC = oldMAC
	// The freed port becomes a spare one, so that cables can move back.
	return sparePort(oldPort)
}

// spare makes an empty switch port: a veth pair whose other end ("sp<N>"
// for "swp<N>", outside lldpd's "swp*") stays down in the switch namespace.
func sparePort(port string) error {
	return ipAll(
		[]string{"-n", LLDPSwitchNS, "link", "add", port, "type", "veth", "peer", "name", "sp" + strings.TrimPrefix(port, "swp")},
		[]string{"-n", LLDPSwitchNS, "link", "set", port, "up"},
	)
}

// nsMAC reads the MAC address of iface in namespace ns.
func nsMAC(ns, iface string) (string, error) {
	bin, err := LookPath("ip")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(bin, "-n", ns, "-o", "link", "show", "dev", iface).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ip -n %s link show %s: %v: %s", ns, iface, err, bytes.TrimSpace(out))
	}
	f := strings.Fields(string(out))
	for i, w := range f {
		if w == "link/ether" && i+1 < len(f) {
			return f[i+1], nil
		}
	}
	return "", fmt.Errorf("%s in %s has no Ethernet address: %s", iface, ns, out)
}

// startSNMPD runs snmpd in the switch namespace as AgentX master.
func (l *LLDPLab) startSNMPD() error {
	bin, err := LookPath("snmpd")
	if err != nil {
		return err
	}
	dir := filepath.Join(l.Dir, "snmpd")
	if err := os.MkdirAll(filepath.Join(dir, "persist"), 0o700); err != nil {
		return err
	}
	conf := filepath.Join(dir, "snmpd.conf")
	text := fmt.Sprintf(`# cairn LLDP lab snmpd: in namespace %s, reached over the management veth only.
agentAddress udp:%s
view all included .1
rocommunity %s %s -V all
sysName %s
sysServices 6
master agentx
agentXSocket %s
agentXPerms 0666 0755
dontLogTCPWrappersConnects yes
`, LLDPSwitchNS, l.Addr, l.Community, lldpMgmtNet, l.SysName, l.agentX)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	env := append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "SNMPCONFPATH="+dir, "MIBS=")
	ipBin, err := LookPath("ip")
	if err != nil {
		return err
	}
	p, err := startProcess("snmpd", env, ipBin, "netns", "exec", LLDPSwitchNS,
		bin, "-f", "-Lo", "-I", "-smux", "-C", "-c", conf, "-p", filepath.Join(dir, "snmpd.pid"))
	if err != nil {
		return err
	}
	l.snmpd = p
	l.lock.setPID(p.pid())
	deadline := time.Now().Add(StartTimeout)
	for {
		if _, err := os.Stat(l.agentX); err == nil {
			if err := l.get(); err == nil {
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("snmpd in %s exited: %s", LLDPSwitchNS, p.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("snmpd in %s did not answer on %s within %v: %s", LLDPSwitchNS, l.Addr, StartTimeout, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get reads sysName over v2c.
func (l *LLDPLab) get() error {
	g := l.V2c()
	g.Timeout, g.Retries = 300*time.Millisecond, 0
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
	return nil
}

// V2c returns an unconnected gosnmp client for the switch's agent.
func (l *LLDPLab) V2c() *gosnmp.GoSNMP {
	host, portStr, _ := net.SplitHostPort(l.Addr)
	port, _ := strconv.Atoi(portStr)
	return &gosnmp.GoSNMP{Target: host, Port: uint16(port), Transport: "udp", Community: l.Community,
		Version: gosnmp.Version2c, Timeout: 2 * time.Second, Retries: 1, MaxOids: gosnmp.MaxOids}
}

// startLLDPD runs lldpd in namespace ns with system name sysName, sending
// every second, port IDs of subtype interfaceName, management address mgmt
// ("" for lldpd's choice).
func (l *LLDPLab) startLLDPD(ns, tag, sysName, mgmt string, args ...string) (*process, error) {
	bin, err := LookPath("lldpd")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(filepath.Dir(l.agentX), tag+".conf") // read by lldpcli as _lldpd
	text := fmt.Sprintf("configure system hostname %s\nconfigure lldp portidsubtype ifname\nconfigure lldp tx-interval 1\n", sysName)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	ipBin, err := LookPath("ip")
	if err != nil {
		return nil, err
	}
	// The control socket, like the AgentX one, must be reachable by
	// lldpd's unprivileged half (lldpcli applies conf through it, and
	// lldpd sends nothing until lldpcli tells it to resume).
	ctl := filepath.Join(filepath.Dir(l.agentX), tag+".sock")
	_ = os.Remove(ctl)
	argv := []string{ipBin, "netns", "exec", ns, bin, "-d", "-u", ctl, "-O", conf}
	if mgmt != "" {
		argv = append(argv, "-m", mgmt)
	}
	argv = append(argv, args...)
	p, err := startProcess("lldpd", os.Environ(), argv...)
	if err != nil {
		return nil, err
	}
	time.Sleep(20 * time.Millisecond)
	if p.exited() {
		return nil, fmt.Errorf("lldpd in %s exited: %s", ns, p.output())
	}
	return p, nil
}

// teardown stops the daemons and deletes the namespaces (and with them
// every veth pair).
func (l *LLDPLab) teardown() error {
	var errs []string
	for _, nb := range l.Neighbours {
		if nb.proc != nil {
			if err := nb.proc.stop(); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	for _, p := range []*process{l.lldpd, l.snmpd} {
		if p != nil {
			if err := p.stop(); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	removeLLDPNamespaces()
	// The sockets and lldpcli configurations (the lab's lock is still held).
	if err := os.RemoveAll(filepath.Dir(l.agentX)); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("lldp lab: %s", strings.Join(errs, "; "))
	}
	return nil
}

// removeLLDPNamespaces kills what still runs in the lab's namespaces and
// deletes them; the caller holds the lab's lock, so they are its own.
func removeLLDPNamespaces() {
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), lldpNSPrefix) {
			continue
		}
		bin, err := LookPath("ip")
		if err != nil {
			return
		}
		out, _ := exec.Command(bin, "netns", "pids", e.Name()).Output()
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = ip("netns", "del", e.Name())
	}
	_ = ip("link", "del", lldpMgmtRoot)
}

// runIn runs a command in namespace ns and returns its output.
func runIn(ns string, argv ...string) (string, error) {
	bin, err := LookPath("ip")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(bin, append([]string{"netns", "exec", ns}, argv...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("in %s: %s: %v: %s", ns, strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// PortIndex returns the ifIndex of a switch port (what LLDP-MIB calls its
// lldpLocPortNum under lldpd).
func (l *LLDPLab) PortIndex(port string) (int, error) {
	out, err := runIn(LLDPSwitchNS, "cat", "/sys/class/net/"+port+"/ifindex")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// Output returns what the lab's daemons wrote, for failure messages.
func (l *LLDPLab) Output() string {
	var b strings.Builder
	for _, p := range []*process{l.snmpd, l.lldpd} {
		if p != nil {
			fmt.Fprintf(&b, "--- %s (switch):\n%s\n", p.name, p.output())
		}
	}
	for _, nb := range l.Neighbours {
		if nb.proc != nil {
			fmt.Fprintf(&b, "--- lldpd (%s):\n%s\n", nb.NetNS, nb.proc.output())
		}
	}
	return b.String()
}
