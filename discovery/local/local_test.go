package local_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

func registry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(local.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKind(t *testing.T) {
	k := local.Kind()
	if k.Name != "local" {
		t.Errorf("Kind().Name = %q, want local", k.Name)
	}
	if _, ok := k.NewConfig().(*local.Config); !ok {
		t.Fatalf("NewConfig() is %T, want *local.Config", k.NewConfig())
	}
	for _, raw := range []string{``, `{}`, ` { } `} {
		src, err := registry(t).Build("local", []byte(raw))
		if err != nil {
			t.Fatalf("Build(%q): %v", raw, err)
		}
		if _, ok := src.(*local.Source); !ok {
			t.Fatalf("Build returned %T", src)
		}
	}
	_, err := registry(t).Build("local", []byte(`{"hosts": ["web01"]}`))
	var ce *discovery.ConfigError
	if err == nil || !strings.Contains(err.Error(), `unknown field "hosts"`) || !errors.As(err, &ce) || ce.Kind != "local" {
		t.Fatalf("Build with a setting = %v, want an unknown-field ConfigError", err)
	}
}

// procMemTotal reads MemTotal from /proc/meminfo, in bytes.
func procMemTotal(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return strconv.FormatUint(kb*1024, 10)
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return ""
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The real machine, against what the kernel says directly.
func TestDiscoverThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("compares with /proc, which only Linux has")
	}
	src, err := (&local.Config{}).Build()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	res, err := src.Discover(context.Background(), discovery.Env{Now: now, Targets: []string{"192.0.2.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial || len(res.HostErrors) > 0 || len(res.Observations) == 0 {
		t.Fatalf("result %+v, want this host's observation first", res)
	}
	o := res.Observations[0]
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "local "+host || o.Name != host || o.Kind != discovery.KindServer {
		t.Errorf("key %q name %q kind %q, want local %s", o.Key, o.Name, o.Kind, host)
	}
	if !o.SeenAt.Equal(now) || o.SeenAt.Location() != time.UTC {
		t.Errorf("seenAt %v, want env.Now in UTC", o.SeenAt)
	}
	if got, want := o.Facts["memory.total_bytes"], procMemTotal(t); got != want {
		t.Errorf("memory.total_bytes %q, want MemTotal of /proc/meminfo ×1024 = %s", got, want)
	}
	if got, want := o.Facts["kernel.release"], readTrim(t, "/proc/sys/kernel/osrelease"); got != want {
		t.Errorf("kernel.release %q, want %q", got, want)
	}
	if got, want := o.Facts["kernel.sysname"], readTrim(t, "/proc/sys/kernel/ostype"); got != want {
		t.Errorf("kernel.sysname %q, want %q", got, want)
	}
	stat := readTrim(t, "/proc/stat")
	cpus := 0
	for _, line := range strings.Split(stat, "\n") {
		if len(line) > 3 && strings.HasPrefix(line, "cpu") && line[3] >= '0' && line[3] <= '9' {
			cpus++
		}
	}
	if got := o.Facts["cpu.count"]; got != strconv.Itoa(cpus) {
		t.Errorf("cpu.count %q, want %d cpuN lines of /proc/stat", got, cpus)
	}
	if rel, err := os.ReadFile("/etc/os-release"); err == nil {
		osr := local.ParseOSRelease(rel)
		if o.Facts["os.id"] != osr["ID"] || o.Facts["os.pretty_name"] != osr["PRETTY_NAME"] {
			t.Errorf("os facts %q, %q; want os-release's %q, %q", o.Facts["os.id"], o.Facts["os.pretty_name"], osr["ID"], osr["PRETTY_NAME"])
		}
	}
	wantComplete := []string{"fs.", "net."}
	if _, err := os.Stat("/sys/firmware/dmi/entries/17-0/raw"); err == nil {
		wantComplete = append(wantComplete, "memory.module.")
	}
	if _, err := os.Stat("/var/lib/dpkg/status"); err == nil {
		wantComplete = append(wantComplete, "package.", "package_arch.")
	}
	if _, err := os.Stat("/sys/bus/pci/devices"); err == nil {
		wantComplete = append(wantComplete, "pci.")
	}
	if !reflect.DeepEqual(o.CompleteFacts, wantComplete) {
		t.Errorf("completeFacts %q, want %q", o.CompleteFacts, wantComplete)
	}
	checkInventory(t, o)
	for _, g := range res.Observations[1:] {
		if err := g.Check(); err != nil || len(g.Relationships) != 1 || g.Relationships[0].To != o.Key || !g.StableKey {
			t.Errorf("guest observation %+v (%v): want RUNS_ON %s, stable key", g, err, o.Key)
		}
	}
	// The loopback interface is a fact but never an identifier.
	if o.Facts["net.lo.operstate"] == "" {
		t.Errorf("no net.lo.operstate fact: %q", o.Facts)
	}
	for _, id := range o.Identifiers {
		if id.Kind == ident.MAC && id.Value == "00:00:00:00:00:00" {
			t.Errorf("loopback MAC is an identifier")
		}
	}
	// Every file system fact is a mount point of this machine.
	mounts := readTrim(t, "/proc/self/mounts")
	for k := range o.Facts {
		if mp, ok := strings.CutSuffix(strings.TrimPrefix(k, "fs."), ".size_bytes"); ok && strings.HasPrefix(k, "fs.") {
			if !strings.Contains(mounts, " "+strings.ReplaceAll(mp, " ", `\040`)+" ") {
				t.Errorf("fact %s names no mount point of /proc/self/mounts", k)
			}
		}
	}

	// Nothing moves between two runs on an idle machine (network interfaces
	// may come and go with containers, so they are left out).
	again, err := src.Discover(context.Background(), discovery.Env{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	stable := func(o discovery.Observation) map[string]string {
		out := map[string]string{"key": o.Key, "name": o.Name}
		for k, v := range o.Facts {
			if !strings.HasPrefix(k, "net.") {
				out[k] = v
			}
		}
		return out
	}
	if a, b := stable(o), stable(again.Observations[0]); !reflect.DeepEqual(a, b) {
		t.Errorf("second run differs:\nfirst  %q\nsecond %q", a, b)
	}
}

func TestDiscoverCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src, _ := (&local.Config{}).Build()
	// gopsutil checks the context only in places; a cancelled run must not
	// panic, and when it fails it says so.
	if _, err := src.Discover(ctx, discovery.Env{}); err != nil && !strings.Contains(err.Error(), "local source") {
		t.Errorf("error %q does not name the source", err)
	}
}

// The mapping, from hand-made snapshots.
func TestObservation(t *testing.T) {
	type DMI = local.DMI
	base := func() *local.Snapshot {
		return &local.Snapshot{
			Hostname:           "DB01.example.com",
			OSRelease:          map[string]string{"ID": "ubuntu", "NAME": "Ubuntu", "VERSION_ID": "24.04", "VERSION": "24.04.1 LTS (Noble Numbat)", "PRETTY_NAME": "Ubuntu 24.04.1 LTS"},
			Platform:           "ubuntu",
			PlatformVersion:    "24.04",
			KernelRelease:      "6.8.0-45-generic",
			KernelArch:         "x86_64",
			KernelSysname:      "Linux",
			Virtualization:     "kvm",
			VirtualizationRole: "guest",
			MemoryTotal:        16 << 30,
			CPUCount:           8,
			CPUModels:          []string{"Intel Xeon Processor (Icelake)", "AMD EPYC", "AMD EPYC"},
			DMI: DMI{
				Vendor: "QEMU", Product: "Standard PC (Q35 + ICH9, 2009)",
				ProductUUID: "8C3B1F2A-4D5E-4F60-8A7B-9C0D1E2F3A4B", ProductSerial: "VMW-1234", ChassisSerial: "Not Specified",
			},
			Filesystems: []local.Filesystem{
				{Mountpoint: "/", Fstype: "ext4", SizeBytes: 100 << 30},
				{Mountpoint: "/run", Fstype: "tmpfs", SizeBytes: 1 << 30},
				{Mountpoint: "/data dir", Fstype: "xfs", SizeBytes: 2 << 40},
			},
			Interfaces: []local.Interface{
				{Name: "lo", Loopback: true, OperState: "unknown", Addrs: []string{"::1/128", "127.0.0.1/8"}},
				{Name: "ens3", MAC: "52:54:00:AB:CD:EF", OperState: "up", Addrs: []string{"192.0.2.10/24", "2001:db8::10/64"}},
				{Name: "veth1", MAC: "9a:3c:11:22:33:44", RandomMAC: true, OperState: "up"},
				{Name: "tun0", OperState: "unknown", Addrs: []string{"10.8.0.2/24"}},
			},
		}
	}
	o := base().Observation()
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	if o.Key != "local DB01.example.com" || o.Name != "DB01.example.com" || o.Kind != "SERVER" {
		t.Errorf("key %q name %q kind %q", o.Key, o.Name, o.Kind)
	}
	if want := map[string]string{"hostname": "db01", "fqdn": "db01.example.com"}; !reflect.DeepEqual(o.Fields, want) {
		t.Errorf("fields %q, want %q", o.Fields, want)
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.FQDN, Value: "db01.example.com"},
		{Kind: ident.Hostname, Value: "db01"},
		{Kind: ident.UUID, Value: "8c3b1f2a-4d5e-4f60-8a7b-9c0d1e2f3a4b"},
		{Kind: ident.Serial, Value: "VMW-1234"},
		{Kind: ident.MAC, Value: "52:54:00:ab:cd:ef"},
	}
	if !reflect.DeepEqual(o.Identifiers, wantIDs) {
		t.Errorf("identifiers\n got %v\nwant %v", o.Identifiers, wantIDs)
	}
	wantFacts := map[string]string{
		"os.id": "ubuntu", "os.name": "Ubuntu", "os.version": "24.04", "os.pretty_name": "Ubuntu 24.04.1 LTS",
		"kernel.release": "6.8.0-45-generic", "kernel.arch": "x86_64", "kernel.sysname": "Linux",
		"virtualization": "kvm", "virtualization.role": "guest",
		"dmi.vendor": "QEMU", "dmi.product": "Standard PC (Q35 + ICH9, 2009)",
		"memory.total_bytes": "17179869184",
		"cpu.count":          "8",
		"cpu.model":          "AMD EPYC; Intel Xeon Processor (Icelake)",
		"fs./.size_bytes":    "107374182400", "fs./.fstype": "ext4",
		"fs./data dir.size_bytes": "2199023255552", "fs./data dir.fstype": "xfs",
		"net.lo.operstate": "unknown", "net.lo.addrs": "127.0.0.1/8,::1/128",
		"net.ens3.operstate": "up", "net.ens3.mac": "52:54:00:ab:cd:ef", "net.ens3.addrs": "192.0.2.10/24,2001:db8::10/64",
		"net.veth1.operstate": "up", "net.veth1.mac": "9a:3c:11:22:33:44",
		"net.tun0.operstate": "unknown", "net.tun0.addrs": "10.8.0.2/24",
	}
	if !reflect.DeepEqual(o.Facts, wantFacts) {
		t.Errorf("facts\n got %q\nwant %q", o.Facts, wantFacts)
	}

	// Without os-release, gopsutil's platform names the OS.
	s := base()
	s.OSRelease = nil
	s.Hostname = "web_01" // not a DNS name: a name, but no identifier
	s.Virtualization, s.VirtualizationRole = "", ""
	s.DMI = DMI{ProductUUID: "03000200-0400-0500-0006-000700080009", ProductSerial: "To Be Filled By O.E.M."}
	o = s.Observation()
	if o.Facts["os.id"] != "ubuntu" || o.Facts["os.version"] != "24.04" || o.Facts["os.name"] != "" {
		t.Errorf("os facts without os-release: %q", o.Facts)
	}
	if _, ok := o.Facts["virtualization"]; ok {
		t.Errorf("virtualization fact without a system")
	}
	if len(o.Fields) != 0 {
		t.Errorf("fields %q for an invalid host name", o.Fields)
	}
	for _, id := range o.Identifiers {
		if id.Kind != ident.MAC {
			t.Errorf("identifier %v from a placeholder or invalid name", id)
		}
	}
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestParseOSRelease(t *testing.T) {
	in := `# comment
NAME="Debian GNU/Linux"
ID=debian
VERSION_ID='12'
PRETTY_NAME="Say \"hi\" \$HOME \\ done"
BROKEN
=novalue
EMPTY=
`
	want := map[string]string{"NAME": "Debian GNU/Linux", "ID": "debian", "VERSION_ID": "12", "PRETTY_NAME": `Say "hi" $HOME \ done`, "EMPTY": ""}
	if got := local.ParseOSRelease([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseOSRelease = %q, want %q", got, want)
	}
}

// checkInventory compares the inventory facts of this host's observation
// with what dpkg-query, /etc/resolv.conf, /proc/cpuinfo and /sys say.
func checkInventory(t *testing.T, o discovery.Observation) {
	t.Helper()
	if _, err := os.Stat("/var/lib/dpkg/status"); err == nil {
		if _, err := exec.LookPath("dpkg-query"); err != nil {
			t.Fatalf("dpkg's status file but no dpkg-query: %v", err)
		}
		out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n").Output()
		if err != nil {
			t.Fatal(err)
		}
		versions, arches := map[string][]string{}, map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(l, "\t")
			if len(f) != 4 || len(f[0]) < 2 || f[0][1] != 'i' {
				continue
			}
			versions[f[1]] = append(versions[f[1]], f[2])
			arches[f[1]] = append(arches[f[1]], f[3])
		}
		if o.Facts["packages.manager"] != "dpkg" || o.Facts["packages.count"] != strconv.Itoa(len(versions)) {
			t.Errorf("packages.manager %q, packages.count %q; want dpkg, %d (dpkg-query)", o.Facts["packages.manager"], o.Facts["packages.count"], len(versions))
		}
		n := 0
		for name, vs := range versions {
			if len(vs) != 1 {
				continue // multiarch: PackageFacts' tests cover the order
			}
			n++
			if got := o.Facts["package."+name]; got != vs[0] {
				t.Errorf("package.%s = %q, want dpkg-query's %q", name, got, vs[0])
			}
			if got := o.Facts["package_arch."+name]; got != arches[name][0] {
				t.Errorf("package_arch.%s = %q, want dpkg-query's %q", name, got, arches[name][0])
			}
		}
		if n == 0 {
			t.Error("no package compared")
		}
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		var want []string
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "nameserver" && !slices.Contains(want, f[1]) {
				want = append(want, f[1])
			}
		}
		if got := o.Facts["dns.servers"]; got != strings.Join(want, ",") {
			t.Errorf("dns.servers %q, want %q", got, strings.Join(want, ","))
		}
	}
	if slots, err := os.ReadDir("/sys/bus/pci/devices"); err == nil {
		for _, s := range slots {
			vendor := readTrim(t, "/sys/bus/pci/devices/"+s.Name()+"/vendor")
			if got := o.Facts["pci."+s.Name()+".vendor"]; "0x"+got != vendor {
				t.Errorf("pci.%s.vendor %q, want %s without 0x", s.Name(), got, vendor)
			}
		}
		n := 0
		for k := range o.Facts {
			if strings.HasPrefix(k, "pci.") && strings.HasSuffix(k, ".vendor") {
				n++
			}
		}
		if n != len(slots) {
			t.Errorf("%d pci.*.vendor facts, want %d devices", n, len(slots))
		}
	}
	if ci, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if want := local.CPUInfoCores(ci); want > 0 && o.Facts["cpu.cores"] != strconv.Itoa(want) {
			t.Errorf("cpu.cores %q, want %d (physical id, core id) pairs of /proc/cpuinfo", o.Facts["cpu.cores"], want)
		}
	}
	volatile := regexp.MustCompile(`(^|\.)(free|used|available|avail)(_bytes)?$|^(uptime|boot|users|processes)\b`)
	for k := range o.Facts {
		if volatile.MatchString(k) {
			t.Errorf("volatile fact %s", k)
		}
	}
}
