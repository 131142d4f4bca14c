package local

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseDpkgStatus(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "dpkg-status"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseDpkgStatus(f)
	if err != nil {
		t.Fatal(err)
	}
	// Three stanzas recorded from Debian 12, the rest written by hand: the
	// removed, half-installed and version-less ones are left out, the held
	// one is installed.
	want := []Package{
		{"base-files", "12.4+deb12u11", "amd64"},
		{"dpkg", "1.21.22", "amd64"},
		{"libc6", "2.36-9+deb12u14", "amd64"},
		{"libc6", "2.36-9+deb12u14", "i386"},
		{"pinned-tool", "1:2.4.1-3", "all"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDpkgStatus =\n%q\nwant\n%q", got, want)
	}
	if got, err := ParseDpkgStatus(strings.NewReader("Package: x\nStatus: install ok installed\nVersion: 1")); err != nil || len(got) != 1 {
		t.Errorf("a last stanza without a blank line: %v, %v", got, err)
	}
	if _, err := ParseDpkgStatus(strings.NewReader("Package: x\nDescription: " + strings.Repeat("y", 5<<20))); err == nil {
		t.Error("a 5 MB line: no error")
	}
}

func TestParseRPMList(t *testing.T) {
	in := "kernel\t5.14.0-362.24.1.el9_3\tx86_64\nkernel\t5.14.0-427.13.1.el9_4\tx86_64\n" +
		"gpg-pubkey\t8483c65d-5ccc5b19\t(none)\nglibc\t2.34-100.el9_4.2\ti686\r\n" +
		"old-format\t1.0-1\nbroken\n\tno-name\tx86_64\ncrypto-policies\t20240202-1.git283706d.el9\tnoarch\n" +
		"noarch-none\t1-1\t(none)\n"
	want := []Package{
		{"kernel", "5.14.0-362.24.1.el9_3", "x86_64"},
		{"kernel", "5.14.0-427.13.1.el9_4", "x86_64"},
		{"glibc", "2.34-100.el9_4.2", "i686"},
		{"old-format", "1.0-1", ""},
		{"crypto-policies", "20240202-1.git283706d.el9", "noarch"},
		{"noarch-none", "1-1", ""},
	}
	if got := ParseRPMList([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseRPMList =\n%q\nwant\n%q", got, want)
	}
}

func TestPackageFacts(t *testing.T) {
	got := PackageFacts([]Package{
		{"kernel", "5.14.0-427", "x86_64"}, {"kernel", "5.14.0-362", "x86_64"},
		{"libc6", "2.36-9", "i386"}, {"libc6", "2.36-9", "amd64"}, {"libc6", "2.36-9", "amd64"},
		{"mixed", "2.0", "i386"}, {"mixed", "1.0", "amd64"},
		{"bash", "5.2.15-2+b2", "amd64"},
		{"noarch", "1-1", ""},
	})
	want := map[string][2]string{
		"kernel": {"5.14.0-362,5.14.0-427", "x86_64,x86_64"},
		"libc6":  {"2.36-9", "amd64,i386"},
		"mixed":  {"1.0,2.0", "amd64,i386"},
		"bash":   {"5.2.15-2+b2", "amd64"},
		"noarch": {"1-1", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PackageFacts =\n%q\nwant\n%q", got, want)
	}
}

func TestParseResolvConf(t *testing.T) {
	in := "# generated\nsearch example.com\nnameserver 10.0.0.2\nnameserver  2001:db8::53 \nnameserver 10.0.0.2\n" +
		"nameserver fe80::1%eth0\nnameserver not-an-address\noptions edns0\n;nameserver 10.9.9.9\n"
	want := []string{"10.0.0.2", "2001:db8::53", "fe80::1%eth0"}
	if got := ParseResolvConf([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseResolvConf = %q, want %q", got, want)
	}
}

func TestISODate(t *testing.T) {
	for in, want := range map[string]string{
		"03/14/2023":   "2023-03-14",
		"2019-07-01":   "2019-07-01",
		"4/1/2014":     "2014-04-01",
		"12/01/06":     "2006-12-01",
		"06/15/98":     "1998-06-15",
		" 11/30/2021 ": "2021-11-30",
		"13/45/2020":   "13/45/2020",
		"2020":         "2020",
		"":             "",
	} {
		if got := ISODate(in); got != want {
			t.Errorf("ISODate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCPUInfoCores(t *testing.T) {
	// Two sockets of two cores with hyper-threading: 8 logical CPUs, 4
	// cores.
	var b strings.Builder
	for cpu := 0; cpu < 8; cpu++ {
		phys, core := cpu/4, cpu%2
		b.WriteString("processor\t: " + string(rune('0'+cpu)) + "\nmodel name\t: X\nphysical id\t: " + string(rune('0'+phys)) + "\ncore id\t\t: " + string(rune('0'+core)) + "\n\n")
	}
	if got := CPUInfoCores([]byte(b.String())); got != 4 {
		t.Errorf("CPUInfoCores = %d, want 4", got)
	}
	if got := CPUInfoCores([]byte("processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\n")); got != 0 {
		t.Errorf("CPUInfoCores without core ids = %d, want 0", got)
	}
}

// type17 builds an SMBIOS type 17 structure of length n (0x28: SMBIOS 2.8,
// 0x5C: 3.3 and later) with the given strings, in order locator, bank,
// manufacturer, serial, part; those left out point past the string set.
func type17(n int, size uint16, ext uint32, memType byte, speed uint16, extSpeed uint32, strs ...string) []byte {
	b := make([]byte, n)
	b[0], b[1] = 17, byte(n)
	binary.LittleEndian.PutUint16(b[0x0C:], size)
	b[0x12] = memType
	binary.LittleEndian.PutUint16(b[0x15:], speed)
	// An empty string has index 0 and is not in the set.
	var set []string
	for i, off := range []int{0x10, 0x11, 0x17, 0x18, 0x1A} {
		switch {
		case i >= len(strs):
			b[off] = byte(len(set) + 1) // past the set
		case strs[i] != "":
			set = append(set, strs[i])
			b[off] = byte(len(set))
		}
	}
	strs = set
	if n >= 0x20 {
		binary.LittleEndian.PutUint32(b[0x1C:], ext)
	}
	if n >= 0x58 {
		binary.LittleEndian.PutUint32(b[0x54:], extSpeed)
	}
	for _, s := range strs {
		b = append(b, s...)
		b = append(b, 0)
	}
	if len(strs) == 0 {
		b = append(b, 0)
	}
	return append(b, 0)
}

func TestParseMemoryDevice(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want MemoryModule
		ok   bool
	}{
		{"DDR4 16 GiB", type17(0x28, 16384, 0, 0x1A, 3200, 0, "DIMM A1", "P0 CHANNEL A", "Samsung", "4137C1A2", "M393A2K43DB3-CWE"),
			MemoryModule{Locator: "DIMM A1", Bank: "P0 CHANNEL A", SizeBytes: 16 << 30, Type: "DDR4", SpeedMTs: 3200, Manufacturer: "Samsung", Serial: "4137C1A2", Part: "M393A2K43DB3-CWE"}, true},
		{"extended size 64 GiB, DDR5, extended speed", type17(0x5C, 0x7FFF, 65536, 0x22, 0xFFFF, 70000, "DIMM_B2", "BANK 3", "SK Hynix", "00000000", "HMCG94AEBRA"),
			MemoryModule{Locator: "DIMM_B2", Bank: "BANK 3", SizeBytes: 64 << 30, Type: "DDR5", SpeedMTs: 70000, Manufacturer: "SK Hynix", Part: "HMCG94AEBRA"}, true},
		{"size in KiB, unknown type, QEMU placeholders", type17(0x28, 0x8000|512, 0, 0x07, 0, 0, "DIMM 0", "", "QEMU", "Not Specified", "Not Specified"),
			MemoryModule{Locator: "DIMM 0", SizeBytes: 512 << 10, Type: "RAM", Manufacturer: "QEMU"}, true},
		{"other type, unknown speed and strings", type17(0x28, 8192, 0, 0x01, 0, 0, "ChannelA-DIMM0", "BANK 0", "Unknown", "SerialNum", "PartNum"),
			MemoryModule{Locator: "ChannelA-DIMM0", Bank: "BANK 0", SizeBytes: 8 << 30}, true},
		{"empty slot", type17(0x28, 0, 0, 0x02, 0, 0, "DIMM A2", "BANK 1", "NO DIMM", "NO DIMM", "NO DIMM"), MemoryModule{}, false},
		{"unknown size", type17(0x28, 0xFFFF, 0, 0x1A, 0, 0, "DIMM", "B"), MemoryModule{}, false},
		{"extended size past a short structure", type17(0x1C, 0x7FFF, 0, 0x1A, 0, 0, "DIMM"), MemoryModule{}, false},
		{"another type", append([]byte{16}, type17(0x28, 8192, 0, 0x1A, 0, 0)[1:]...), MemoryModule{}, false},
		{"truncated", type17(0x28, 8192, 0, 0x1A, 0, 0)[:0x10], MemoryModule{}, false},
		{"string index past the set", type17(0x28, 1024, 0, 0x1A, 2400, 0, "only one"),
			MemoryModule{Locator: "only one", SizeBytes: 1 << 30, Type: "DDR4", SpeedMTs: 2400}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseMemoryDevice(tt.raw)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMemoryDevice = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMemorySlots(t *testing.T) {
	got := MemorySlots([]MemoryModule{
		{Locator: "DIMM A1"}, {Locator: "DIMM 0", Bank: "BANK 0"}, {Locator: "DIMM 0", Bank: "BANK 1"},
		{Locator: ""}, {Locator: "X", Bank: "B"}, {Locator: "X", Bank: "B"},
	})
	want := []string{"dimm_a1", "bank_0_dimm_0", "bank_1_dimm_0", "3", "b_x_4", "b_x_5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MemorySlots = %q, want %q", got, want)
	}
}

// The readers of /sys, against a tree made up in a temporary directory
// (HOST_SYS, HOST_VAR, as gopsutil honours them).
func TestReadSysTree(t *testing.T) {
	root := t.TempDir()
	write := func(path string, b []byte) {
		t.Helper()
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sys/bus/pci/devices/0000:00:1f.2/vendor", []byte("0x8086\n"))
	write("sys/bus/pci/devices/0000:00:1f.2/device", []byte("0x2922\n"))
	write("sys/bus/pci/devices/0000:00:1f.2/class", []byte("0x010601\n"))
	write("sys/bus/pci/devices/0000:00:02.0/vendor", []byte("0x1af4\n"))
	write("sys/bus/pci/devices/0000:00:02.0/device", []byte("0x1045\n"))
	write("sys/bus/pci/devices/0000:00:02.0/class", []byte("0x00ff00\n"))
	write("sys/firmware/dmi/entries/17-10/raw", type17(0x28, 4096, 0, 0x1A, 2666, 0, "DIMM B", "BANK 1", "Micron", "1A2B", "P"))
	write("sys/firmware/dmi/entries/17-2/raw", type17(0x28, 8192, 0, 0x1A, 2666, 0, "DIMM A", "BANK 0", "Micron", "3C4D", "P"))
	write("sys/firmware/dmi/entries/17-3/raw", type17(0x28, 0, 0, 0x02, 0, 0, "DIMM C", "BANK 2"))
	for cpu, topo := range map[string][2]string{"cpu0": {"0", "0"}, "cpu1": {"0", "1"}, "cpu2": {"0", "0"}, "cpu3": {"0", "1"}} {
		write("sys/devices/system/cpu/"+cpu+"/topology/physical_package_id", []byte(topo[0]+"\n"))
		write("sys/devices/system/cpu/"+cpu+"/topology/core_id", []byte(topo[1]+"\n"))
	}
	write("var/lib/lxc/web/config", []byte("lxc.uts.name = web\nlxc.cgroup2.memory.max = 512M\nlxc.cgroup2.cpuset.cpus = 0-1,4\n"))
	write("var/lib/lxc/notes.txt", []byte("not a container"))
	write("var/lib/lxc/half/rootfs/x", []byte(""))
	t.Setenv("HOST_SYS", filepath.Join(root, "sys"))
	t.Setenv("HOST_VAR", filepath.Join(root, "var"))

	pci, ok := readPCI()
	want := []PCIDevice{{"0000:00:02.0", "1af4", "1045", "00ff"}, {"0000:00:1f.2", "8086", "2922", "0106"}}
	if !ok || !reflect.DeepEqual(pci, want) {
		t.Errorf("readPCI = %q, %v; want %q", pci, ok, want)
	}
	mods, ok := readMemoryModules()
	if !ok || len(mods) != 2 || mods[0].Locator != "DIMM A" || mods[1].Locator != "DIMM B" || mods[0].SizeBytes != 8<<30 {
		t.Errorf("readMemoryModules = %+v, %v; want DIMM A (8 GiB) then DIMM B, the empty slot left out", mods, ok)
	}
	if got := readCPUCores(); got != 2 {
		t.Errorf("readCPUCores = %d, want 2", got)
	}
	lxc, err := ReadLXC(filepath.Join(root, "var", "lib", "lxc"))
	if err != nil || !reflect.DeepEqual(lxc, []Guest{{Type: "lxc", Name: "web", VCPUs: 3, MemoryBytes: 512 << 20}}) {
		t.Errorf("ReadLXC = %+v, %v", lxc, err)
	}
	if gs, err := ReadLXC(filepath.Join(root, "nowhere")); gs != nil || err != nil {
		t.Errorf("ReadLXC of a missing directory = %v, %v", gs, err)
	}

	// Without the directories: nothing read, nothing claimed.
	t.Setenv("HOST_SYS", filepath.Join(root, "empty"))
	if pci, ok := readPCI(); ok || pci != nil {
		t.Errorf("readPCI without /sys/bus/pci = %v, %v", pci, ok)
	}
	if mods, ok := readMemoryModules(); ok || mods != nil {
		t.Errorf("readMemoryModules without SMBIOS = %v, %v", mods, ok)
	}
}

func TestParseVirsh(t *testing.T) {
	list := " 0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d   web01\n" +
		" 7C0E8F3A-1B2C-4D5E-9F60-718293A4B5C6   db server\n\n" +
		"old-virsh-name-only\n"
	want := []Guest{
		{Type: "libvirt", Name: "web01", UUID: "0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
		{Type: "libvirt", Name: "db server", UUID: "7c0e8f3a-1b2c-4d5e-9f60-718293a4b5c6"},
		{Type: "libvirt", Name: "old-virsh-name-only"},
	}
	if got := ParseVirshList([]byte(list)); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseVirshList =\n%+v\nwant\n%+v", got, want)
	}
	info := "Id:             3\nName:           web01\nUUID:           0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\nOS Type:        hvm\n" +
		"State:          running\nCPU(s):         4\nCPU time:       12.3s\nMax memory:     4194304 KiB\nUsed memory:    2097152 KiB\n"
	if v, m := ParseVirshDominfo([]byte(info)); v != 4 || m != 4<<30 {
		t.Errorf("ParseVirshDominfo = %d, %d; want 4, 4 GiB (Max memory, not Used)", v, m)
	}
}

func TestParseLXCConfig(t *testing.T) {
	for in, want := range map[string][2]uint64{
		"lxc.cgroup.memory.limit_in_bytes = 1073741824\nlxc.cgroup.cpuset.cpus = 2": {1, 1 << 30},
		"lxc.cgroup2.memory.max = max\nlxc.cgroup2.cpuset.cpus = 0-3":               {4, 0},
		"lxc.cgroup2.memory.max = 2G\nlxc.cgroup2.cpuset.cpus = 3-1":                {0, 2 << 30},
		"# nothing": {0, 0},
	} {
		v, m := ParseLXCConfig([]byte(in))
		if uint64(v) != want[0] || m != want[1] {
			t.Errorf("ParseLXCConfig(%q) = %d, %d; want %d, %d", in, v, m, want[0], want[1])
		}
	}
}

// The Docker Engine API on a unix socket, served by a fake engine.
func TestReadDockerContainers(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	var paths []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.String())
		if r.URL.Path != "/containers/json" {
			http.Error(w, `{"message":"page not found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"Id":"8dfafdbc3a40aaaa","Names":["/web"],"Image":"nginx:1.25","State":"running"},
{"Id":"9cd87474be90bbbb","Names":["/db/alias","/db"],"State":"exited"},
{"Id":"0123456789abcdef0123","Names":[]}]`))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	got, err := ReadDockerContainers(context.Background(), sock, "docker")
	if err != nil {
		t.Fatal(err)
	}
	want := []Guest{{Type: "docker", Name: "0123456789ab"}, {Type: "docker", Name: "db"}, {Type: "docker", Name: "web"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadDockerContainers =\n%+v\nwant\n%+v", got, want)
	}
	if len(paths) != 1 || paths[0] != "GET /containers/json?all=1" {
		t.Errorf("requests %q, want one GET /containers/json?all=1", paths)
	}
	if _, err := ReadDockerContainers(context.Background(), filepath.Join(t.TempDir(), "none.sock"), "docker"); err == nil || !strings.Contains(err.Error(), "none.sock") {
		t.Errorf("no socket: %v", err)
	}
	if _, err := ParseDockerContainers([]byte(`{"message":"x"}`), "docker"); err == nil {
		t.Error("an object instead of a list: no error")
	}
}

func TestHexID(t *testing.T) {
	for _, tt := range []struct {
		in     string
		digits int
		want   string
	}{
		{"0x8086", 4, "8086"}, {"0x10DE\n", 4, "10de"}, {"0x1", 4, "0001"}, {"0x010601", 6, "010601"},
		{"0x12345", 4, ""}, {"zz", 4, ""}, {"", 4, ""},
	} {
		if got := hexID(tt.in, tt.digits); got != tt.want {
			t.Errorf("hexID(%q, %d) = %q, want %q", tt.in, tt.digits, got, tt.want)
		}
	}
}

// FuzzParseMemoryDevice: any bytes, no panic; a module it accepts has a
// size and clean strings.
func FuzzParseMemoryDevice(f *testing.F) {
	f.Add(type17(0x28, 16384, 0, 0x1A, 3200, 0, "DIMM A1", "P0", "Samsung", "4137C1A2", "M393"))
	f.Add(type17(0x5C, 0x7FFF, 65536, 0x22, 0xFFFF, 70000, "DIMM_B2", "BANK 3"))
	f.Add(type17(0x1C, 0x7FFF, 0, 0x1A, 0, 0))
	f.Add([]byte{17, 0x15})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, ok := ParseMemoryDevice(raw)
		if !ok {
			return
		}
		if m.SizeBytes == 0 {
			t.Fatalf("accepted a module of size 0: %+v", m)
		}
		for _, s := range []string{m.Locator, m.Bank, m.Manufacturer, m.Serial, m.Part} {
			if strings.ContainsRune(s, 0) || s != strings.TrimSpace(s) {
				t.Fatalf("string %q", s)
			}
		}
	})
}

// FuzzParseDpkgStatus: any text, no panic; every package has a name and a
// version.
func FuzzParseDpkgStatus(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "dpkg-status")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Package: x\nStatus: install ok installed\nVersion: 1\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := ParseDpkgStatus(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package %+v", p)
			}
		}
		_ = PackageFacts(pkgs)
	})
}
