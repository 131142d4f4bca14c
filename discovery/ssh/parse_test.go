package ssh_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/ssh"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/discovery/ssh")

// fixtures holds recorded script outputs (see README.md there).
const fixtures = "../../testdata/discovery/ssh"

func parseFile(t testing.TB, name string) discovery.Observation {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	o, err := ssh.Parse(b, "host.test")
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	if err := o.Check(); err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return o
}

// Every recorded output against its golden JSON.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.out"))
	if err != nil || len(files) < 2 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			o := parseFile(t, name)
			got, err := json.MarshalIndent(o, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join(fixtures, strings.TrimSuffix(name, ".out")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Parse(%s) differs from %s (run with -update to accept):\n%s", name, golden, got)
			}
			again := parseFile(t, name)
			if !reflect.DeepEqual(o, again) {
				t.Error("a second parse differs")
			}
		})
	}
}

// Values of the hand-written RHEL-family output, checked by hand.
func TestParseRocky(t *testing.T) {
	o := parseFile(t, "rocky9.out")
	if o.Key != "ssh host.test" || o.Kind != discovery.KindVM || o.Name != "db01" {
		t.Errorf("key, kind, name = %q, %q, %q", o.Key, o.Kind, o.Name)
	}
	wantFields := map[string]string{"hostname": "db01", "fqdn": "db01.example.com",
		"serial_number": "VMWARE-42 1A 6B 7C 8D 9E 0F 10-21 32 43 54 65 76 87 98"}
	if !reflect.DeepEqual(o.Fields, wantFields) {
		t.Errorf("fields = %v, want %v", o.Fields, wantFields)
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.Hostname, Value: "db01"},
		{Kind: ident.FQDN, Value: "db01.example.com"},
		{Kind: ident.UUID, Value: "6f2a1c9e-8d7b-4a3f-9e0d-1c2b3a4f5e6d"},
		{Kind: ident.UUID, Value: "421a6b7c-8d9e-0f10-2132-435465768798"},
		{Kind: ident.Serial, Value: "VMWARE-42 1A 6B 7C 8D 9E 0F 10-21 32 43 54 65 76 87 98"},
		{Kind: ident.MAC, Value: "02:42:5c:1d:8e:a2"},
		{Kind: ident.MAC, Value: "00:50:56:9a:3b:4c"},
		{Kind: ident.IP, Value: "10.20.30.41"},
		{Kind: ident.IP, Value: "2001:db8:20:30::41"},
		{Kind: ident.MAC, Value: "00:50:56:9a:7e:11"},
		{Kind: ident.IP, Value: "192.168.50.41"},
	}
	if !reflect.DeepEqual(o.Identifiers, wantIDs) {
		t.Errorf("identifiers = %v,\nwant %v", o.Identifiers, wantIDs)
	}
	want := map[string]string{
		"os.id":                           "rocky",
		"os.id_like":                      "rhel centos fedora",
		"os.name":                         "Rocky Linux",
		"os.version":                      "9.4",
		"os.pretty_name":                  "Rocky Linux 9.4 (Blue Onyx)",
		"kernel.release":                  "5.14.0-427.13.1.el9_4.x86_64",
		"kernel.arch":                     "x86_64",
		"cpu.model":                       "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
		"cpu.count":                       "4",
		"cpu.sockets":                     "2",
		"memory.total_bytes":              "16492732416",
		"virtualization":                  "vmware",
		"dmi.vendor":                      "VMware, Inc.",
		"dmi.product":                     "VMware7,1",
		"disk.sda.size_bytes":             "107374182400",
		"disk.sda.model":                  "Virtual disk",
		"disk.sdb.size_bytes":             "536870912000",
		"disk.sdb.model":                  "Virtual disk",
		"disk.sdb.serial":                 "6000c29a1b2c3d4e5f60718293a4b5c6",
		"fs./.size_bytes":                 "75125227520",
		"fs./.type":                       "xfs",
		"fs./boot.size_bytes":             "1006632960",
		"fs./boot.type":                   "xfs",
		"fs./boot/efi.size_bytes":         "627900416",
		"fs./boot/efi.type":               "vfat",
		"fs./var/lib/pgsql.size_bytes":    "429228294144",
		"fs./var/lib/pgsql.type":          "xfs",
		"fs./srv/data archive.size_bytes": "107321753600",
		"fs./srv/data archive.type":       "xfs",
		"net.ens192.mac":                  "00:50:56:9a:3b:4c",
		"net.ens192.addrs":                "10.20.30.41/24,2001:db8:20:30::41/64,fe80::250:56ff:fe9a:3b4c/64",
		"net.ens224.mac":                  "00:50:56:9a:7e:11",
		"net.ens224.addrs":                "192.168.50.41/24,fe80::250:56ff:fe9a:7e11/64",
		"net.docker0.mac":                 "02:42:5c:1d:8e:a2",
		"net.docker0.addrs":               "172.17.0.1/16",
		"route.default":                   "10.20.30.1",
		"route.default6":                  "fe80::1",
		"listen.tcp.22":                   "listening",
		"listen.tcp.25":                   "listening",
		"listen.tcp.5432":                 "listening",
		"listen.tcp.9100":                 "listening",
		"listen.udp.323":                  "listening",
		"packages.manager":                "rpm",
		"packages.count":                  "21",
		"package.kernel":                  "5.14.0-362.24.1.el9_3,5.14.0-427.13.1.el9_4",
		"package.glibc":                   "2.34-100.el9_4.2",
		"package.postgresql16-server":     "16.3-1PGDG.rhel9",
	}
	for k, v := range want {
		if got := o.Facts[k]; got != v {
			t.Errorf("fact %s = %q, want %q", k, got, v)
		}
	}
	for k := range o.Facts {
		for _, bad := range []string{"gpg-pubkey", "disk.sr0", "fs./run", "fs./dev", "overlay", "net.lo.", "container"} {
			if strings.Contains(k, bad) {
				t.Errorf("unexpected fact %s", k)
			}
		}
	}
	// Version 1 of the script: no architectures, SMBIOS or PCI sections.
	if want := []string{"listen.", "net.", "disk.", "fs.", "package."}; !reflect.DeepEqual(o.CompleteFacts, want) {
		t.Errorf("CompleteFacts = %v, want %v", o.CompleteFacts, want)
	}
}

// Values of the output recorded on Debian 12, checked by hand.
func TestParseDebian(t *testing.T) {
	o := parseFile(t, "debian12.out")
	for k, v := range map[string]string{
		"os.id": "debian", "os.version": "12", "os.pretty_name": "Debian GNU/Linux 12 (bookworm)",
		"packages.manager": "dpkg", "kernel.arch": "x86_64", "memory.total_bytes": "25276026880",
		"package.util-linux": "2.38.1-5+deb12u3", "package.iproute2": "6.1.0-3",
		"virtualization": "bhyve", "container": "docker",
	} {
		if got := o.Facts[k]; got != v {
			t.Errorf("fact %s = %q, want %q", k, got, v)
		}
	}
	if o.Kind != discovery.KindVM {
		t.Errorf("kind %s, want VM (bhyve)", o.Kind)
	}
	if _, ok := o.Facts["os.id_like"]; ok {
		t.Error("Debian has no ID_LIKE")
	}
	if want := []string{"listen.", "net.", "disk.", "fs.", "package."}; !reflect.DeepEqual(o.CompleteFacts, want) {
		t.Errorf("CompleteFacts = %v, want %v (version 1 of the script)", o.CompleteFacts, want)
	}
	// The package values version 2 of the script keeps.
	for k, v := range o.Facts {
		if strings.HasPrefix(k, "package_arch.") {
			t.Errorf("fact %s = %q from version 1's output, which has no architectures", k, v)
		}
	}
}

// Version 2 of the script recorded on Debian 12 (the same kind of
// machine: a Docker container on a bhyve VM, as root, no DMI directory).
func TestParseDebianV2(t *testing.T) {
	o := parseFile(t, "debian12-v2.out")
	for k, v := range map[string]string{
		"packages.manager": "dpkg", "packages.count": "874",
		"package.libc6": "2.36-9+deb12u14", "package_arch.libc6": "amd64",
		"package.base-files": "12.4+deb12u11", "package_arch.tzdata": "all",
		"dns.servers":             "10.255.255.53",
		"pci.0000:00:01.0.vendor": "1af4", "pci.0000:00:01.0.product": "1045", "pci.0000:00:01.0.class": "ffff",
		"pci.0000:00:03.0.class": "0200",
		"cpu.cores":              "2",
	} {
		if got := o.Facts[k]; got != v {
			t.Errorf("fact %s = %q, want %q", k, got, v)
		}
	}
	for k := range o.Facts {
		if strings.HasPrefix(k, "bios.") || strings.HasPrefix(k, "board.") || strings.HasPrefix(k, "memory.module.") {
			t.Errorf("fact %s without a DMI directory or SMBIOS entries", k)
		}
	}
	// No SMBIOS entries: memory modules are not claimed in full.
	if want := []string{"listen.", "net.", "disk.", "fs.", "package.", "package_arch.", "pci."}; !reflect.DeepEqual(o.CompleteFacts, want) {
		t.Errorf("CompleteFacts = %v, want %v", o.CompleteFacts, want)
	}
	all, err := ssh.ParseAll(mustRead(t, "debian12-v2.out"), "host.test")
	if err != nil || len(all) != 1 || !reflect.DeepEqual(all[0], o) {
		t.Errorf("ParseAll = %d observations (%v), want the host's only", len(all), err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The hand-written hypervisor: DMI, memory modules, PCI, packages with
// architectures, and its libvirt, Docker and LXC guests.
func TestParseHypervisor(t *testing.T) {
	obs, err := ssh.ParseAll(mustRead(t, "hypervisor-v2.out"), "hv01.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if err := o.Check(); err != nil {
			t.Fatal(err)
		}
	}
	host := obs[0]
	for k, v := range map[string]string{
		"bios.vendor": "Dell Inc.", "bios.version": "1.13.2", "bios.date": "2024-03-14",
		"board.vendor": "Dell Inc.", "board.product": "0JMK61", "board.serial": ".4B5RK73.CNFCP0033K00T1.",
		"dmi.asset_tag": "CRN-00042", "cpu.cores": "16", "cpu.count": "32",
		"memory.module.a1.size_bytes": "34359738368", "memory.module.a1.type": "DDR4", "memory.module.a1.speed_mts": "3200",
		"memory.module.a1.serial": "B2C1D0E9", "memory.module.b1.serial": "B2C1D0EA", "memory.module.a2.size_bytes": "",
		"dns.servers":   "10.20.0.53,10.20.1.53",
		"package.libc6": "2.36-9+deb12u9", "package_arch.libc6": "amd64,i386",
		"package.docker-ce": "5:27.3.1-1~debian.12~bookworm", "package.lxd": "", "package.vvv": "1.0", "package_arch.vvv": "amd64",
		"packages.count":          "9",
		"pci.0000:00:17.0.vendor": "8086", "pci.0000:00:17.0.product": "a1d2", "pci.0000:00:17.0.class": "0106",
	} {
		if got, ok := host.Facts[k]; got != v || v == "" && ok {
			t.Errorf("fact %s = %q, want %q", k, got, v)
		}
	}
	hasAsset := false
	for _, id := range host.Identifiers {
		hasAsset = hasAsset || id.Kind == ident.AssetTag && id.Value == "CRN-00042"
	}
	if !hasAsset {
		t.Errorf("no ASSET_TAG identifier: %v", host.Identifiers)
	}
	type guest struct {
		key, kind, name, uuid, typ, vcpus, mem string
	}
	var got []guest
	for _, o := range obs[1:] {
		g := guest{o.Key, o.Kind, o.Name, "", o.Facts["guest.type"], o.Facts["guest.vcpus"], o.Facts["guest.memory_bytes"]}
		for _, id := range o.Identifiers {
			if id.Kind == ident.UUID {
				g.uuid = id.Value
			}
		}
		if len(o.Relationships) != 1 || !reflect.DeepEqual(o.Relationships[0], discovery.Relationship{Type: "RUNS_ON", To: "ssh hv01.test"}) || !o.StableKey {
			t.Errorf("guest %s: relationships %v, stableKey %v; want RUNS_ON ssh hv01.test, stable", o.Key, o.Relationships, o.StableKey)
		}
		got = append(got, g)
	}
	want := []guest{
		{"ssh hv01.test guest 0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "VM", "web01", "0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "libvirt", "4", "8589934592"},
		{"ssh hv01.test guest 7c0e8f3a-1b2c-4d5e-9f60-718293a4b5c6", "VM", "db01", "7c0e8f3a-1b2c-4d5e-9f60-718293a4b5c6", "libvirt", "8", "34359738368"},
		{"ssh hv01.test guest 11111111-2222-4333-8444-555555555555", "VM", "win-template", "11111111-2222-4333-8444-555555555555", "libvirt", "2", "4294967296"},
		{"ssh hv01.test guest prometheus", "CONTAINER", "prometheus", "", "docker", "", ""},
		{"ssh hv01.test guest grafana", "CONTAINER", "grafana", "", "docker", "", ""},
		{"ssh hv01.test guest build", "CONTAINER", "build", "", "lxc", "4", "2147483648"},
		{"ssh hv01.test guest ci-runner", "CONTAINER", "ci-runner", "", "lxc", "", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("guests\n got %+v\nwant %+v", got, want)
	}
}

// out builds script output from "name" → body pairs, with the end marker.
func out(kv ...string) []byte {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("\n@@cairn:n0nce:" + kv[i] + "@@\n" + kv[i+1] + "\n")
	}
	b.WriteString("\n@@cairn:n0nce:end@@\n")
	return []byte(b.String())
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "no inventory sections"},
		{"shell error", "sh: 1: Syntax error: end of file unexpected\n", "no inventory sections"},
		{"cut short", "@@cairn:n0nce:hostname@@\nweb01\n@@cairn:n0nce:dpkg@@\nii \tbash\t5.2\n", `ends in section "dpkg"`},
		{"end of another nonce", "@@cairn:n0nce:hostname@@\nweb01\n@@cairn:other:end@@\n", "before the end marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ssh.Parse([]byte(tt.in), "web01.test")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "web01.test") {
				t.Fatalf("Parse = %+v, %v; want an error naming the host and containing %q", o, err, tt.want)
			}
		})
	}
}

// Edge cases, each from a small hand-made output.
func TestParseCases(t *testing.T) {
	type check func(t *testing.T, o discovery.Observation)
	fact := func(k, v string) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			if got, ok := o.Facts[k]; v == "" && ok {
				t.Errorf("fact %s = %q, want none", k, got)
			} else if got != v {
				t.Errorf("fact %s = %q, want %q", k, got, v)
			}
		}
	}
	noFactPrefix := func(p string) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			for k := range o.Facts {
				if strings.HasPrefix(k, p) {
					t.Errorf("unexpected fact %s", k)
				}
			}
		}
	}
	complete := func(want ...string) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			if !reflect.DeepEqual(o.CompleteFacts, want) {
				t.Errorf("CompleteFacts = %v, want %v", o.CompleteFacts, want)
			}
		}
	}
	field := func(k, v string) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			if got := o.Fields[k]; got != v {
				t.Errorf("field %s = %q, want %q", k, got, v)
			}
		}
	}
	hasID := func(kind ident.Kind, v string, want bool) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			found := false
			for _, id := range o.Identifiers {
				found = found || id.Kind == kind && id.Value == v
			}
			if found != want {
				t.Errorf("identifier %s %s present=%v, want %v (have %v)", kind, v, found, want, o.Identifiers)
			}
		}
	}
	kind := func(k string) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			if o.Kind != k {
				t.Errorf("kind %s, want %s", o.Kind, k)
			}
		}
	}
	name := func(n string) check {
		return func(t *testing.T, o discovery.Observation) {
			t.Helper()
			if o.Name != n {
				t.Errorf("name %q, want %q", o.Name, n)
			}
		}
	}
	tests := []struct {
		name   string
		in     []byte
		checks []check
	}{
		{"only the end marker", out(), []check{name("web01.test"), kind(discovery.KindServer), complete(), noFactPrefix("")}},
		{"missing sections", out("hostname", "web01"), []check{name("web01"), field("hostname", "web01"), field("fqdn", ""), complete(), noFactPrefix("package")}},
		{"login banner and forged marker", []byte("Last login: today\n@@cairn:n0nce:hostname@@\nweb01\n@@cairn:evil:hostname@@\nevil\n@@cairn:n0nce:end@@\ntrailing\n"),
			[]check{name("web01")}},
		{"CRLF line ends", []byte("@@cairn:n0nce:hostname@@\r\nweb01\r\n@@cairn:n0nce:end@@\r\n"), []check{name("web01")}},
		{"hostname is an FQDN, hostname -f fails", out("hostname", "Web01.Example.COM", "fqdn", ""),
			[]check{name("web01"), field("hostname", "web01"), field("fqdn", "web01.example.com"), hasID(ident.FQDN, "web01.example.com", true)}},
		{"fqdn from hostname -f", out("hostname", "web01", "fqdn", "web01.corp.example."),
			[]check{field("fqdn", "web01.corp.example"), hasID(ident.Hostname, "web01", true)}},
		{"localhost names", out("hostname", "localhost", "fqdn", "localhost.localdomain"),
			[]check{name("web01.test"), field("hostname", ""), field("fqdn", "")}},
		{"undotted fqdn", out("hostname", "web01", "fqdn", "web01"), []check{field("fqdn", "")}},
		{"invalid hostname", out("hostname", "web_01!"), []check{name("web01.test"), field("hostname", "")}},
		{"address as hostname", out("hostname", "10.0.0.5"), []check{name("web01.test"), field("hostname", ""), field("fqdn", "")}},
		{"placeholder serial", out("dmi", "sys_vendor=To Be Filled By O.E.M.\nproduct_serial=To Be Filled By O.E.M.\nproduct_uuid=03000200-0400-0500-0006-000700080009"),
			[]check{field("serial_number", ""), hasID(ident.Serial, "TO BE FILLED BY O.E.M.", false), hasID(ident.UUID, "03000200-0400-0500-0006-000700080009", false)}},
		{"real serial", out("dmi", "product_serial=CZ12345678\nproduct_uuid=4C4C4544-0042-3510-8052-B4C04F4B4E32"),
			[]check{field("serial_number", "CZ12345678"), hasID(ident.Serial, "CZ12345678", true), hasID(ident.UUID, "4c4c4544-0042-3510-8052-b4c04f4b4e32", true)}},
		{"unreadable DMI (not root)", out("dmi", "sys_vendor=Dell Inc.\nproduct_name=PowerEdge R650"),
			[]check{field("serial_number", ""), fact("dmi.vendor", "Dell Inc."), fact("dmi.product", "PowerEdge R650")}},
		{"machine-id uninitialized", out("machine-id", "uninitialized"), []check{func(t *testing.T, o discovery.Observation) {
			if len(o.Identifiers) != 0 {
				t.Errorf("identifiers %v", o.Identifiers)
			}
		}}},
		{"no dpkg and no rpm", out("os-release", "ID=alpine"), []check{noFactPrefix("package"), complete(), fact("os.id", "alpine")}},
		{"empty dpkg output", out("dpkg", ""), []check{noFactPrefix("package"), complete()}},
		{"dpkg states", out("dpkg", "ii \tbash\t5.2.15-2+b2\nrc \told\t1.0\nhi \theld\t2.0\niU \thalf\t3.0\nii \tlibc6\t2.36-9\nii \tlibc6\t2.36-9"),
			[]check{fact("package.bash", "5.2.15-2+b2"), fact("package.old", ""), fact("package.held", "2.0"), fact("package.half", ""),
				fact("packages.count", "3"), fact("package.libc6", "2.36-9"), complete("package.")}},
		{"rpm and dpkg on Debian", out("os-release", "ID=debian", "dpkg", "ii \tbash\t5.2", "rpm", "rpm\t4.18.0-1\nfoo\t1-1\nbar\t2-1"),
			[]check{fact("packages.manager", "dpkg"), fact("package.rpm", ""), fact("packages.count", "1")}},
		{"rpm and dpkg on Fedora", out("os-release", "ID=fedora", "dpkg", "ii \tdpkg\t1.21\nii \tfoo\t1\n", "rpm", "bash\t5.2.26-3.fc40"),
			[]check{fact("packages.manager", "rpm"), fact("package.bash", "5.2.26-3.fc40"), fact("package.dpkg", "")}},
		{"os-release quoting", out("os-release", "# comment\nNAME='Acme OS'\nPRETTY_NAME=\"Acme \\\"Rolling\\\" \\$1\"\nID=acme # trailing\nVERSION_ID=\"1.2\""),
			[]check{fact("os.name", "Acme OS"), fact("os.pretty_name", `Acme "Rolling" $1`), fact("os.id", "acme"), fact("os.version", "1.2")}},
		{"lscpu text", out("cpu", "Architecture:        aarch64\nCPU(s):              8\nModel name:          Cortex-A72\nSocket(s):           -\nCluster(s):          2"),
			[]check{fact("cpu.count", "8"), fact("cpu.model", "Cortex-A72"), fact("cpu.sockets", "")}},
		{"no lscpu: /proc/cpuinfo", out("cpu", "", "cpuinfo", "processor\t: 0\nmodel name\t: Intel(R) Atom(TM)\nphysical id\t: 0\nprocessor\t: 1\nmodel name\t: Intel(R) Atom(TM)\nphysical id\t: 0"),
			[]check{fact("cpu.count", "2"), fact("cpu.model", "Intel(R) Atom(TM)"), fact("cpu.sockets", "1")}},
		{"memory", out("memory", "MemTotal:        2048 kB"), []check{fact("memory.total_bytes", "2097152")}},
		{"memory overflow", out("memory", "MemTotal: 99999999999999999999 kB"), []check{fact("memory.total_bytes", "")}},
		{"lsblk -P", out("disks", `NAME="sda" SIZE="500107862016" TYPE="disk" MODEL="Samsung\x20SSD\x20860" SERIAL="S3Z9NB0K123456"`+"\n"+`NAME="loop0" SIZE="4096" TYPE="loop" MODEL="" SERIAL=""`),
			[]check{fact("disk.sda.size_bytes", "500107862016"), fact("disk.sda.model", "Samsung SSD 860"), fact("disk.sda.serial", "S3Z9NB0K123456"), noFactPrefix("disk.loop"), complete("disk.")}},
		{"lsblk -J with sizes as strings", out("disks", `{"blockdevices":[{"name":"vda","size":"10737418240","type":"disk","model":null,"serial":"0"}]}`),
			[]check{fact("disk.vda.size_bytes", "10737418240"), fact("disk.vda.serial", ""), fact("disk.vda.model", "")}},
		{"no disks", out("disks", `{"blockdevices":[{"name":"zram0","size":1024,"type":"disk"}]}`), []check{noFactPrefix("disk."), complete()}},
		{"df in KiB", out("mounts", "/dev/sda1 / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0", "df", "Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/sda1         1000 500 500 50% /\ntmpfs 10 0 10 0% /tmp"),
			[]check{fact("fs./.size_bytes", "1024000"), fact("fs./.type", "ext4"), fact("fs./tmp.size_bytes", ""), complete("fs.")}},
		{"df without mounts", out("df", "Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/sda1 1000 500 500 50% /"),
			[]check{noFactPrefix("fs."), complete()}},
		{"ip -o and sysnet", out("ip", "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n2: eth0    inet 198.51.100.7/24 brd 198.51.100.255 scope global dynamic eth0\\       valid_lft 86000sec\n2: eth0    inet6 2001:db8::7/64 scope global temporary dynamic \\       valid_lft 1sec\n3: br0@if9    inet 203.0.113.1/24 scope global br0",
			"sysnet", "/sys/class/net/eth0 52:54:00:12:34:56\n/sys/class/net/lo 00:00:00:00:00:00"),
			[]check{fact("net.eth0.mac", "52:54:00:12:34:56"), fact("net.eth0.addrs", "198.51.100.7/24"), fact("net.br0.addrs", "203.0.113.1/24"),
				hasID(ident.IP, "198.51.100.7", true), hasID(ident.IP, "2001:db8::7", false), hasID(ident.MAC, "52:54:00:12:34:56", true),
				noFactPrefix("net.lo."), complete("net.")}},
		{"no ip: sysnet only", out("sysnet", "/sys/class/net/enp3s0 3c:ec:ef:01:02:03\n/sys/class/net/wg0 "),
			[]check{fact("net.enp3s0.mac", "3c:ec:ef:01:02:03"), hasID(ident.MAC, "3c:ec:ef:01:02:03", true), complete("net.")}},
		{"ip output unreadable", out("ip", "[{garbage", "sysnet", "/sys/class/net/eth0 52:54:00:12:34:56"),
			[]check{fact("net.eth0.mac", "52:54:00:12:34:56"), complete()}},
		{"bridge and link-local addresses are no identifiers", out("ip", `[{"ifname":"virbr0","link_type":"ether","address":"52:54:00:aa:bb:cc","addr_info":[{"local":"192.168.122.1","prefixlen":24,"scope":"global"}]},{"ifname":"eth0","link_type":"ether","address":"00:00:00:00:00:00","permaddr":"52:54:00:00:00:01","addr_info":[{"local":"fe80::1","prefixlen":64,"scope":"link"},{"local":"169.254.3.4","prefixlen":16,"scope":"global"}]}]`),
			[]check{hasID(ident.IP, "192.168.122.1", false), hasID(ident.IP, "169.254.3.4", false), hasID(ident.MAC, "52:54:00:00:00:01", true),
				fact("net.virbr0.addrs", "192.168.122.1/24"), fact("net.eth0.mac", ""), fact("net.eth0.addrs", "169.254.3.4/16,fe80::1/64")}},
		{"routes text, lowest metric", out("routes", "default via 192.0.2.1 dev eth0 proto dhcp metric 600\ndefault via 192.0.2.254 dev wlan0 metric 100", "routes6", "default via fe80::1 dev eth0 proto ra metric 1024 pref medium"),
			[]check{fact("route.default", "192.0.2.254"), fact("route.default6", "fe80::1")}},
		{"ECMP default route has no single gateway", out("routes", `[{"dst":"default","nexthops":[{"gateway":"192.0.2.1"},{"gateway":"192.0.2.2"}]}]`),
			[]check{fact("route.default", "")}},
		{"ss without -H", out("tcp", "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 128 *:22 *:*\nLISTEN 0 128 127.0.0.53%lo:53 0.0.0.0:*", "udp", "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nUNCONN 0 0 0.0.0.0%eth0:68 0.0.0.0:*"),
			[]check{fact("listen.tcp.22", "listening"), fact("listen.tcp.53", "listening"), fact("listen.udp.68", "listening"), complete("listen.")}},
		{"ss found nothing", out("tcp", "", "udp", ""), []check{noFactPrefix("listen."), complete()}},
		{"tcp without udp", out("tcp", "LISTEN 0 128 *:22 *:*"), []check{fact("listen.tcp.22", "listening"), complete()}},
		{"no ss: /proc/net", out("proc-tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n   1: 0100007F:8AE4 0100007F:0016 01 00000000:00000000",
			"proc-udp", "  sl  local_address rem_address   st\n  7: 00000000:0044 00000000:0000 07 00000000:00000000"),
			[]check{fact("listen.tcp.22", "listening"), fact("listen.tcp.35556", ""), fact("listen.udp.68", "listening"), complete("listen.")}},
		{"bare metal", out("virt", "vm=none\ncontainer=none"), []check{kind(discovery.KindServer), fact("virtualization", "none"), fact("container", "")}},
		{"container on bare metal", out("virt", "vm=none\ncontainer=lxc"), []check{kind(discovery.KindServer), fact("container", "lxc")}},
		{"KVM", out("virt", "vm=kvm\ncontainer=none"), []check{kind(discovery.KindVM), fact("virtualization", "kvm")}},
		{"no systemd-detect-virt: DMI", out("virt", "cpuflag=hypervisor\nfile=docker", "dmi", "sys_vendor=Microsoft Corporation\nproduct_name=Virtual Machine"),
			[]check{kind(discovery.KindVM), fact("virtualization", "microsoft"), fact("container", "docker")}},
		{"no systemd-detect-virt: CPU flag only", out("virt", "cpuflag=hypervisor"), []check{kind(discovery.KindVM), fact("virtualization", "vm")}},
		{"no systemd-detect-virt, no sign", out("virt", ""), []check{kind(discovery.KindServer), fact("virtualization", "")}},
		{"dpkg with architectures", out("dpkg", "ii \tlibc6\t2.36-9\tamd64\nii \tlibc6\t2.36-9\ti386\nii \tvim\t2:9.0.1378-2\tamd64\nrc \told\t1\tamd64"),
			[]check{fact("package.libc6", "2.36-9"), fact("package_arch.libc6", "amd64,i386"), fact("package.vim", "2:9.0.1378-2"),
				fact("package_arch.vim", "amd64"), fact("package.old", ""), fact("packages.count", "2"), complete("package.", "package_arch.")}},
		{"dpkg without the status column, three letter name", out("dpkg", "vim\t2:9.0\tamd64\nbash\t5.2"),
			[]check{fact("package.vim", "2:9.0"), fact("package_arch.vim", "amd64"), fact("package.bash", "5.2"), fact("package_arch.bash", "")}},
		{"rpm with architectures", out("os-release", "ID=rocky", "rpm", "kernel\t5.14.0-427\tx86_64\nkernel\t5.14.0-362\tx86_64\nglibc\t2.34-100\ti686\nglibc\t2.34-100\tx86_64\ngpg-pubkey\t1-1\t(none)\ntzdata\t2024a-1.el9\tnoarch"),
			[]check{fact("package.kernel", "5.14.0-362,5.14.0-427"), fact("package_arch.kernel", "x86_64,x86_64"), fact("package_arch.glibc", "i686,x86_64"),
				fact("package_arch.tzdata", "noarch"), fact("package.gpg-pubkey", ""), fact("packages.count", "3"), complete("package.", "package_arch.")}},
		{"DMI inventory with placeholders", out("dmi", "bios_vendor=SeaBIOS\nbios_version=1.16.2-debian-1.16.2-1\nbios_date=04/01/2014\nboard_vendor=\nchassis_asset_tag=No Asset Tag"),
			[]check{fact("bios.vendor", "SeaBIOS"), fact("bios.date", "2014-04-01"), fact("board.vendor", ""), fact("dmi.asset_tag", "No Asset Tag"),
				hasID(ident.AssetTag, "NO ASSET TAG", false)}},
		{"BIOS date not MM/DD/YYYY", out("dmi", "bios_date=2019"), []check{fact("bios.date", "2019")}},
		{"no lscpu: cores from /proc/cpuinfo", out("cpu", "", "cpuinfo", "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\nprocessor\t: 1\nphysical id\t: 0\ncore id\t: 0\nprocessor\t: 2\nphysical id\t: 1\ncore id\t: 0"),
			[]check{fact("cpu.count", "3"), fact("cpu.cores", "2"), fact("cpu.sockets", "2")}},
		{"lscpu text cores", out("cpu", "CPU(s): 16\nCore(s) per socket: 4\nSocket(s): 2"), []check{fact("cpu.cores", "8")}},
		{"SMBIOS unreadable or garbage", out("smbios17", "/sys/firmware/dmi/entries/17-0 11 zz\n/sys/firmware/dmi/entries/17-1\nnot an entry 11 28"),
			[]check{noFactPrefix("memory.module."), complete()}},
		{"SMBIOS empty slots only", out("smbios17", "/sys/firmware/dmi/entries/17-0 11 15 00 11 00 10 fe ff 48 00 40 00 00 00 09 00 00 00 02 80 20 00 00 00 00"),
			[]check{noFactPrefix("memory.module."), complete("memory.module.")}},
		{"PCI lines", out("pci", "0000:00:1f.2 0x8086 0x2922 0x010601\n0000:00:02.0 0x1af4 zz 0x00ff00\nbad line\n00:03.0 0x10de 0x1eb8 0x030200"),
			[]check{fact("pci.0000:00:1f.2.vendor", "8086"), fact("pci.0000:00:1f.2.class", "0106"), fact("pci.0000:00:02.0.vendor", ""),
				fact("pci.00:03.0.product", "1eb8"), complete("pci.")}},
		{"resolv.conf", out("resolv", "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.com"), []check{fact("dns.servers", "127.0.0.53")}},
		{"control characters and invalid UTF-8", out("os-release", "NAME=\"Evil\x1b[31m\xff\"", "dpkg", "ii \tbad\x01name\t1\nii \tgood\t1\x07"),
			[]check{fact("os.name", "Evil [31m\uFFFD"), fact("package.good", "1"), fact("packages.count", "1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ssh.Parse(tt.in, "web01.test")
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Check(); err != nil {
				t.Fatal(err)
			}
			if o.Key != "ssh web01.test" {
				t.Errorf("key %q", o.Key)
			}
			for _, c := range tt.checks {
				c(t, o)
			}
		})
	}
}
