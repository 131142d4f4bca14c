package agent

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var testNow = time.Date(2026, 12, 8, 1, 30, 0, 0, time.UTC)

// golden is what a golden file holds: the observations and warnings of
// one inventory.
type golden struct {
	Observations []discovery.Observation `json:"observations"`
	Warnings     []string                `json:"warnings"`
}

func mapFile(t *testing.T, name string) golden {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRequest(body)
	if err != nil {
		t.Fatalf("ParseRequest(%s): %v", name, err)
	}
	obs, warnings, err := r.Observations(testNow)
	if err != nil {
		t.Fatalf("Observations(%s): %v", name, err)
	}
	for i := range obs {
		if err := obs[i].Check(); err != nil {
			t.Errorf("%s: observation %d: Check: %v", name, i, err)
		}
	}
	return golden{Observations: obs, Warnings: warnings}
}

// TestGoldenMappings maps the captured and synthetic inventories and
// compares them with testdata/<name>.golden.json (go test -update rewrites
// them).
func TestGoldenMappings(t *testing.T) {
	for _, name := range []string{"fusion.xml", "ocs.xml", "physical.xml", "placeholders.xml"} {
		t.Run(name, func(t *testing.T) {
			got := mapFile(t, name)
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", strings.TrimSuffix(name, ".xml")+".golden.json")
			if *update {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("the mapping of %s differs from %s (go test -update rewrites it); got:\n%s", name, path, clipLines(string(b), 80))
			}
		})
	}
}

func clipLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// TestPhysicalHost checks the values that matter of the synthetic physical
// host and its guests one by one, so that a wrong golden file cannot hide
// them.
func TestPhysicalHost(t *testing.T) {
	g := mapFile(t, "physical.xml")
	if len(g.Observations) != 4 {
		t.Fatalf("%d observations, want the host and 3 guests", len(g.Observations))
	}
	h := g.Observations[0]
	if h.Key != "agent db01-2024-03-02-10-15-22" || !h.StableKey || h.Kind != discovery.KindServer || h.Name != "db01" {
		t.Errorf("host: key %q stable %v kind %s name %q", h.Key, h.StableKey, h.Kind, h.Name)
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.FQDN, Value: "db01.prod.example.net"},
		{Kind: ident.Hostname, Value: "db01"},
		{Kind: ident.UUID, Value: "4c4c4544-0058-4a10-8032-b7c04f4b3133"},
		{Kind: ident.Serial, Value: "7XJ2K13"},
		{Kind: ident.AssetTag, Value: "CMDB-004211"},
		{Kind: ident.MAC, Value: "24:6e:96:1a:2b:3c"},
		{Kind: ident.MAC, Value: "24:6e:96:1a:2b:3d"},
	}
	if !equalIDs(h.Identifiers, wantIDs) {
		t.Errorf("host identifiers = %v, want %v", h.Identifiers, wantIDs)
	}
	for f, want := range map[string]string{"name": "db01", "hostname": "db01", "fqdn": "db01.prod.example.net", "serial_number": "7XJ2K13"} {
		if h.Fields[f] != want {
			t.Errorf("field %s = %q, want %q", f, h.Fields[f], want)
		}
	}
	for k, want := range map[string]string{
		"bios.vendor": "Dell Inc.", "bios.version": "2.19.1", "bios.date": "2023-06-12",
		"board.vendor": "Dell Inc.", "board.product": "0X45NX", "board.serial": ".7XJ2K13.CNFCP0012300AB.",
		"dmi.vendor": "Dell Inc.", "dmi.product": "PowerEdge R640", "dmi.asset_tag": "CMDB-004211",
		"cpu.model": "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "cpu.count": "80", "cpu.cores": "40",
		"memory.total_bytes":          "270074380288",
		"memory.module.a1.size_bytes": "68719476736", "memory.module.a1.type": "DDR4",
		"memory.module.a1.speed_mts": "2933", "memory.module.a1.manufacturer": "Hynix Semiconductor",
		"memory.module.a1.serial": "33A1B2C4", "memory.module.b1.speed_mts": "2933",
		"memory.module.b_2.serial": "H0XY1235",
		"dns.servers":              "10.20.0.53,10.20.0.54", "route.default": "10.20.0.1",
		"fs./.size_bytes": "107374182400", "fs./.type": "xfs", "fs./var/lib/pgsql.size_bytes": "1825361100800",
		"fs./boot/efi.type":   "vfat",
		"disk.sda.size_bytes": "1919850000000", "disk.sda.model": "PERC H730P Mini",
		"net.eno1.mac": "24:6e:96:1a:2b:3c", "net.eno1.addrs": "10.20.0.21/24,2001:db8:20::21/64", "net.eno1.operstate": "up",
		"net.virbr0.mac": "52:54:00:ab:cd:ef",
		"os.name":        "Rocky Linux", "os.version": "9.3", "os.pretty_name": "Rocky Linux 9.3 (Blue Onyx)",
		"kernel.release": "5.14.0-362.13.1.el9_3.x86_64", "kernel.arch": "x86_64", "virtualization": "none",
		"packages.manager": "rpm", "packages.count": "4",
		"package.glibc": "2.34-83.el9_3.7", "package_arch.glibc": "i686,x86_64",
		"package.kernel-core": "5.14.0-362.13.1.el9_3,5.14.0-362.8.1.el9_3", "package_arch.kernel-core": "x86_64,x86_64",
		"package.tzdata": "2023c-1.el9", "package_arch.tzdata": "noarch",
		"pci.0000:18:00.0.vendor": "1000", "pci.0000:18:00.0.class": "0104",
		"pci.0000:3b:00.0.product": "1572",
	} {
		if h.Facts[k] != want {
			t.Errorf("fact %s = %q, want %q", k, h.Facts[k], want)
		}
	}
	for _, k := range []string{
		"memory.module.a3.size_bytes", "memory.module.a3.type", // an empty slot
		"fs./run.size_bytes", "disk.sr0.size_bytes", "disk.sr0.model",
		"package.org.gnome.Platform", "net.lo.mac", "net.lo.addrs",
	} {
		if v, ok := h.Facts[k]; ok {
			t.Errorf("fact %s = %q, want none", k, v)
		}
	}
	wantComplete := []string{"memory.module.", "disk.", "fs.", "net.", "package.", "package_arch.", "pci."}
	if strings.Join(h.CompleteFacts, " ") != strings.Join(wantComplete, " ") {
		t.Errorf("CompleteFacts = %v, want %v", h.CompleteFacts, wantComplete)
	}

	guests := []struct {
		key, kind, name, typ, vcpus, mem string
		ids                              []discovery.Identifier
	}{
		{"agent db01-2024-03-02-10-15-22 guest 6f1c0a8e-2b1d-4c39-9d7e-5b0e8f3a1c21", discovery.KindVM, "web01", "libvirt", "2", "4294967296",
			[]discovery.Identifier{{Kind: ident.UUID, Value: "6f1c0a8e-2b1d-4c39-9d7e-5b0e8f3a1c21"}}},
		{"agent db01-2024-03-02-10-15-22 guest 0d4a7b2e-91f3-4e6a-b8c2-7f1e3d5a9b04", discovery.KindVM, "web02", "libvirt", "4", "8589934592",
			[]discovery.Identifier{{Kind: ident.UUID, Value: "0d4a7b2e-91f3-4e6a-b8c2-7f1e3d5a9b04"}}},
		{"agent db01-2024-03-02-10-15-22 guest cache-redis", discovery.KindContainer, "cache-redis", "docker", "", "", nil},
	}
	for i, w := range guests {
		g := g.Observations[i+1]
		if g.Key != w.key || g.Kind != w.kind || g.Name != w.name || !g.StableKey {
			t.Errorf("guest %d: key %q kind %s name %q stable %v; want %q %s %q", i, g.Key, g.Kind, g.Name, g.StableKey, w.key, w.kind, w.name)
		}
		if !equalIDs(g.Identifiers, w.ids) {
			t.Errorf("guest %s identifiers = %v, want %v", w.name, g.Identifiers, w.ids)
		}
		if g.Facts["guest.type"] != w.typ || g.Facts["guest.vcpus"] != w.vcpus || g.Facts["guest.memory_bytes"] != w.mem {
			t.Errorf("guest %s facts = %v", w.name, g.Facts)
		}
		if len(g.Relationships) != 1 || g.Relationships[0].Type != "RUNS_ON" || g.Relationships[0].To != h.Key {
			t.Errorf("guest %s relationships = %v, want RUNS_ON %q", w.name, g.Relationships, h.Key)
		}
		if _, ok := g.Facts["guest.status"]; ok {
			t.Errorf("guest %s has a status fact", w.name)
		}
	}
	wantWarn := `SOFTWARES: 1 from "flatpak" not mapped (package.* holds the rpm packages)`
	if len(g.Warnings) != 1 || g.Warnings[0] != wantWarn {
		t.Errorf("warnings = %q, want [%q]", g.Warnings, wantWarn)
	}
}

func equalIDs(a, b []discovery.Identifier) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPlaceholdersFiltered checks that a machine whose firmware was never
// filled in gets no identifier from its placeholders.
func TestPlaceholdersFiltered(t *testing.T) {
	g := mapFile(t, "placeholders.xml")
	h := g.Observations[0]
	if len(h.Identifiers) != 0 {
		t.Errorf("identifiers = %v, want none (placeholder serial, UUID, asset tag, MACs; localhost)", h.Identifiers)
	}
	if _, ok := h.Fields["serial_number"]; ok {
		t.Errorf("serial_number = %q, want none", h.Fields["serial_number"])
	}
	if _, ok := h.Fields["hostname"]; ok {
		t.Errorf("hostname = %q, want none for localhost", h.Fields["hostname"])
	}
	if h.Kind != discovery.KindServer {
		t.Errorf("kind = %s, want SERVER", h.Kind)
	}
	for k, want := range map[string]string{
		"cpu.count": "8", "cpu.cores": "4", "cpu.model": "Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz",
		"os.pretty_name": "Ubuntu 22.04.3 LTS", "os.version": "22.04",
		"memory.module.channela-dimm0_0.size_bytes": "8589934592", "memory.module.channela-dimm0_1.speed_mts": "2400",
		"bios.date": "Not Specified", "package_arch.openssh-server": "amd64", "packages.manager": "dpkg",
	} {
		if h.Facts[k] != want {
			t.Errorf("fact %s = %q, want %q", k, h.Facts[k], want)
		}
	}
	for _, k := range []string{"memory.module.channela-dimm0_0.speed_mts", "memory.module.channela-dimm0_0.manufacturer", "memory.module.channela-dimm0_0.serial"} {
		if v, ok := h.Facts[k]; ok {
			t.Errorf("%s = %q, want none (Unknown, Not Specified, 00000000)", k, v)
		}
	}
	if len(g.Observations) != 3 {
		t.Fatalf("%d observations, want the host and 2 guests (one has neither name nor UUID)", len(g.Observations))
	}
	vb, ct := g.Observations[1], g.Observations[2]
	if vb.Key != h.Key+" guest vm-without-uuid" || len(vb.Identifiers) != 0 || vb.Kind != discovery.KindVM {
		t.Errorf("VirtualBox guest = %+v, want key by name and no identifier", vb)
	}
	if ct.Kind != discovery.KindContainer || ct.Facts["guest.memory_bytes"] != "536870912" || ct.Facts["guest.vcpus"] != "2" ||
		!equalIDs(ct.Identifiers, []discovery.Identifier{{Kind: ident.MAC, Value: "00:16:3e:12:34:56"}}) {
		t.Errorf("lxc guest = %+v", ct)
	}
	if len(g.Warnings) != 1 || !strings.Contains(g.Warnings[0], "1 guests without a name or UUID") {
		t.Errorf("warnings = %q", g.Warnings)
	}
}

// TestVolatileValuesAbsent checks that nothing that changes while a
// machine is idle becomes a fact: free space, users, processes, uptime,
// boot time, guest status, LOGDATE.
func TestVolatileValuesAbsent(t *testing.T) {
	volatile := []string{
		"51234", "1501234", // DRIVES/FREE
		"dba", "postgres", "Mon Dec  7", // users
		"2026-11-30 04:10", "2026-12-08 01:12:22", // BOOT_TIME, LOGDATE
		"running", "off", "12.5", "35123456", // STATUS, CPUUSAGE, VIRTUALMEMORY
		"00-00-12 04:11:37",      // OCS uptime in HARDWARE/DESCRIPTION
		"01/11/2026", "31457280", // INSTALLDATE, FILESIZE
	}
	for _, name := range []string{"physical.xml", "placeholders.xml", "fusion.xml", "ocs.xml"} {
		g := mapFile(t, name)
		for _, o := range g.Observations {
			for k, v := range o.Facts {
				for _, bad := range volatile {
					if strings.Contains(v, bad) && !strings.HasPrefix(k, "package") {
						t.Errorf("%s: %s fact %s = %q holds the volatile value %q", name, o.Key, k, v, bad)
					}
				}
				for _, word := range []string{"free", "uptime", "boot", "user", "process", "status", "logdate", "installdate"} {
					if strings.Contains(strings.ToLower(k), word) && !strings.HasPrefix(k, "package") && !strings.HasPrefix(k, "fs.") {
						t.Errorf("%s: %s has a volatile fact %s", name, o.Key, k)
					}
				}
			}
		}
	}
}

// TestObservationsRefusesOtherQueries checks that only an INVENTORY maps.
func TestObservationsRefusesOtherQueries(t *testing.T) {
	for _, body := range []string{
		`<REQUEST><DEVICEID>a-1</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>`,
		`<REQUEST><DEVICEID>a-1</DEVICEID><QUERY>SNMPQUERY</QUERY><CONTENT/></REQUEST>`,
	} {
		r, err := ParseRequest([]byte(body))
		if err != nil {
			t.Fatalf("ParseRequest(%q): %v", body, err)
		}
		if _, _, err := r.Observations(testNow); err == nil {
			t.Errorf("Observations of %s: no error", r.Query)
		}
	}
}

// TestKindFromVirtualization checks the host kind from VMSYSTEM and the
// BIOS.
func TestKindFromVirtualization(t *testing.T) {
	for _, tc := range []struct{ hardware, bios, kind, fact string }{
		{"<VMSYSTEM>Physical</VMSYSTEM>", "", discovery.KindServer, "none"},
		{"<VMSYSTEM>KVM</VMSYSTEM>", "", discovery.KindVM, "kvm"},
		{"<VMSYSTEM>VMware</VMSYSTEM>", "", discovery.KindVM, "vmware"},
		{"<VMSYSTEM>Docker</VMSYSTEM>", "", discovery.KindContainer, ""},
		{"<VMSYSTEM>lxc</VMSYSTEM>", "", discovery.KindContainer, ""},
		{"", "<SMANUFACTURER>QEMU</SMANUFACTURER><SMODEL>Standard PC (Q35 + ICH9, 2009)</SMODEL>", discovery.KindVM, "qemu"},
		{"", "<SMANUFACTURER>Microsoft Corporation</SMANUFACTURER><SMODEL>Virtual Machine</SMODEL>", discovery.KindVM, "microsoft"},
		{"", "<SMANUFACTURER>Dell Inc.</SMANUFACTURER><SMODEL>PowerEdge R640</SMODEL>", discovery.KindServer, ""},
	} {
		body := `<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>h-1</DEVICEID><CONTENT><HARDWARE><NAME>h</NAME>` + tc.hardware +
			`</HARDWARE><BIOS>` + tc.bios + `</BIOS></CONTENT></REQUEST>`
		r, err := ParseRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		obs, _, err := r.Observations(testNow)
		if err != nil {
			t.Fatal(err)
		}
		if obs[0].Kind != tc.kind || obs[0].Facts["virtualization"] != tc.fact {
			t.Errorf("%s %s: kind %s virtualization %q, want %s %q", tc.hardware, tc.bios, obs[0].Kind, obs[0].Facts["virtualization"], tc.kind, tc.fact)
		}
	}
}

func TestCIDR(t *testing.T) {
	for _, tc := range []struct{ addr, mask, want string }{
		{"192.0.2.2", "255.255.255.0", "192.0.2.2/24"},
		{"fe80::1", "ffff:ffff:ffff:ffff::", "fe80::1/64"},
		{"10.0.0.1", "255.0.255.0", "10.0.0.1/32"},
		{"10.0.0.1", "", "10.0.0.1/32"},
		{"10.0.0.1", "16", "10.0.0.1/16"},
		{"fe80::1%eth0", "64", "fe80::1/64"},
		{"not-an-ip", "255.0.0.0", ""},
	} {
		if got := cidr(tc.addr, tc.mask); got != tc.want {
			t.Errorf("cidr(%q, %q) = %q, want %q", tc.addr, tc.mask, got, tc.want)
		}
	}
}

func discoveryEnv() discovery.Env { return discovery.Env{Now: testNow} }

// TestPackageFactsAsLocal checks that packageFacts gives the values of
// local.PackageFacts, which the local and ssh sources write.
func TestPackageFactsAsLocal(t *testing.T) {
	pkgs := []local.Package{
		{Name: "libc6", Version: "2.36-9", Arch: "amd64"}, {Name: "libc6", Version: "2.36-9", Arch: "i386"}, {Name: "libc6", Version: "2.36-9", Arch: "amd64"},
		{Name: "kernel-core", Version: "5.14.0-362.8.1", Arch: "x86_64"}, {Name: "kernel-core", Version: "5.14.0-362.13.1", Arch: "x86_64"},
		{Name: "tzdata", Version: "2023c", Arch: ""}, {Name: "a", Version: "2", Arch: "x"}, {Name: "a", Version: "1", Arch: ""}, {Name: "z", Version: "1", Arch: "all"},
	}
	for _, name := range []string{"fusion.xml", "ocs.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRequest(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Content.Children {
			if c.Name == "SOFTWARES" {
				pkgs = append(pkgs, local.Package{Name: c.Get("NAME"), Version: c.Get("VERSION"), Arch: c.Get("ARCH") + c.Get("ARCHITECTURE")})
			}
		}
	}
	want := local.PackageFacts(slices.Clone(pkgs))
	got := map[string][2]string{}
	n := packageFacts(slices.Clone(pkgs), func(name, v, a string) { got[name] = [2]string{v, a} })
	if n != len(want) || !maps.Equal(got, want) {
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %q, local.PackageFacts %q", k, got[k], w)
			}
		}
		t.Errorf("%d names, local.PackageFacts %d", n, len(want))
	}
}

// TestAgentsAgreeOnPackages: ocsinventory-agent names multi-arch Debian
// packages "name:arch" and FusionInventory "name": both captures of this
// one machine give the same package facts.
func TestAgentsAgreeOnPackages(t *testing.T) {
	facts := map[string]map[string]string{}
	for _, name := range []string{"fusion.xml", "ocs.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRequest(b)
		if err != nil {
			t.Fatal(err)
		}
		obs, _, err := r.Observations(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		facts[name] = map[string]string{}
		for k, v := range obs[0].Facts {
			if strings.HasPrefix(k, "package") {
				facts[name][k] = v
			}
		}
	}
	f, o := facts["fusion.xml"], facts["ocs.xml"]
	if len(f) < 1000 || !maps.Equal(f, o) {
		for k, v := range f {
			if o[k] != v {
				t.Errorf("%s: FusionInventory %q, OCS %q", k, v, o[k])
			}
		}
		t.Fatalf("%d package facts from FusionInventory, %d from OCS", len(f), len(o))
	}
	if o["package_arch.binutils-common"] != "amd64" {
		t.Errorf("package_arch.binutils-common = %q, want amd64", o["package_arch.binutils-common"])
	}
}
