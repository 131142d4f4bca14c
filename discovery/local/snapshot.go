package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
	psnet "github.com/shirou/gopsutil/v4/net"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Snapshot is what Collect read of a machine. Empty strings and zero
// numbers are values that could not be read.
type Snapshot struct {
	// Hostname is the kernel's host name (os.Hostname); required.
	Hostname string
	// OSRelease holds the variables of /etc/os-release (or
	// /usr/lib/os-release): ID, NAME, VERSION_ID, VERSION, PRETTY_NAME …
	OSRelease map[string]string
	// Platform and PlatformVersion are gopsutil's names for the operating
	// system ("debian", "12.8"), used when there is no os-release.
	Platform, PlatformVersion string
	// KernelRelease ("6.1.0-18-amd64"), KernelArch ("x86_64") and
	// KernelSysname ("Linux") are uname's release, machine and sysname.
	KernelRelease, KernelArch, KernelSysname string
	// Virtualization is the hypervisor or container system gopsutil
	// detects ("kvm", "docker"), VirtualizationRole "guest" or "host".
	Virtualization, VirtualizationRole string
	// MemoryTotal is MemTotal, in bytes.
	MemoryTotal uint64
	// CPUCount is the number of online logical CPUs (the cpuN lines of
	// /proc/stat, as node_exporter counts them).
	CPUCount int
	// CPUModels are the distinct "model name"s of /proc/cpuinfo, sorted.
	CPUModels []string
	// CPUCores is the number of physical cores in all: the distinct
	// (package, core) pairs of /sys/devices/system/cpu/cpu*/topology, else
	// of /proc/cpuinfo's "physical id" and "core id"; 0 when unknown.
	CPUCores int
	DMI      DMI
	// MemoryModules are the populated memory devices of the SMBIOS table
	// (type 17, /sys/firmware/dmi/entries/17-*/raw, readable by root),
	// in table order; MemoryModulesRead says the table was read (a machine
	// without SMBIOS, or a non-root run, reads none and claims nothing).
	MemoryModules     []MemoryModule
	MemoryModulesRead bool
	// Packages are the installed packages of PackageManager ("dpkg" or
	// "rpm"); PackagesRead says the package database was read in full.
	Packages       []Package
	PackageManager string
	PackagesRead   bool
	// DNSServers are the nameserver addresses of /etc/resolv.conf, in
	// order, each once.
	DNSServers []string
	// PCIDevices are the devices of /sys/bus/pci/devices, by slot;
	// PCIRead says the directory was read.
	PCIDevices []PCIDevice
	PCIRead    bool
	// Guests are the virtual machines and containers this machine hosts
	// (libvirt domains, Docker containers, LXC containers).
	Guests []Guest
	// Filesystems are the real file systems (nodeexporter.RealFilesystem),
	// in mount order.
	Filesystems []Filesystem
	// Interfaces are the network interfaces, in kernel order.
	Interfaces []Interface
	// Warnings say what could not be read without failing the run, such as
	// the size of a file system whose statfs failed.
	Warnings []string
}

// DMI is what /sys/class/dmi/id tells of the hardware. The UUID and the
// serial numbers are readable by root only.
type DMI struct {
	Vendor, Product                           string // sys_vendor, product_name
	ProductUUID, ProductSerial, ChassisSerial string
	// BIOSVendor, BIOSVersion and BIOSDate are bios_vendor, bios_version
	// and bios_date (as the firmware writes it, usually MM/DD/YYYY).
	BIOSVendor, BIOSVersion, BIOSDate string
	// BoardVendor, BoardProduct and BoardSerial are board_vendor,
	// board_name and board_serial (root only).
	BoardVendor, BoardProduct, BoardSerial string
	// ChassisAssetTag is chassis_asset_tag.
	ChassisAssetTag string
}

// Filesystem is one mounted file system.
type Filesystem struct {
	Mountpoint, Fstype string
	SizeBytes          uint64
}

// Interface is one network interface.
type Interface struct {
	Name string
	// MAC is the link-layer address as gopsutil reports it.
	MAC string
	// Loopback is set for the loopback interface.
	Loopback bool
	// RandomMAC is set when the kernel made the address up at random
	// (addr_assign_type 1): veth pairs, most bridges.
	RandomMAC bool
	// OperState is /sys/class/net/<name>/operstate ("up", "down").
	OperState string
	// Addrs are the addresses in CIDR form, sorted, without temporary
	// (privacy) IPv6 addresses, which change every day.
	Addrs []string
}

// Collect reads this machine. It fails when the host's identity, memory,
// mounts or network interfaces cannot be read; other values that cannot be
// read are left empty. It honours gopsutil's HOST_PROC, HOST_SYS and
// HOST_ETC for its own reads too.
func Collect(ctx context.Context) (*Snapshot, error) {
	info, err := host.InfoWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("local source: %w", err)
	}
	if strings.TrimSpace(info.Hostname) == "" {
		return nil, errors.New("local source: this machine has no host name")
	}
	s := &Snapshot{
		Hostname:           info.Hostname,
		OSRelease:          readOSRelease(),
		Platform:           info.Platform,
		PlatformVersion:    info.PlatformVersion,
		KernelRelease:      info.KernelVersion,
		KernelArch:         info.KernelArch,
		KernelSysname:      readLine(procPath("sys/kernel/ostype")),
		Virtualization:     info.VirtualizationSystem,
		VirtualizationRole: info.VirtualizationRole,
		DMI: DMI{
			Vendor:        readLine(sysPath("class/dmi/id/sys_vendor")),
			Product:       readLine(sysPath("class/dmi/id/product_name")),
			ProductUUID:   readLine(sysPath("class/dmi/id/product_uuid")),
			ProductSerial: readLine(sysPath("class/dmi/id/product_serial")),
			ChassisSerial: readLine(sysPath("class/dmi/id/chassis_serial")),

			BIOSVendor:      readLine(sysPath("class/dmi/id/bios_vendor")),
			BIOSVersion:     readLine(sysPath("class/dmi/id/bios_version")),
			BIOSDate:        readLine(sysPath("class/dmi/id/bios_date")),
			BoardVendor:     readLine(sysPath("class/dmi/id/board_vendor")),
			BoardProduct:    readLine(sysPath("class/dmi/id/board_name")),
			BoardSerial:     readLine(sysPath("class/dmi/id/board_serial")),
			ChassisAssetTag: readLine(sysPath("class/dmi/id/chassis_asset_tag")),
		},
	}
	warn := func(w string) { s.Warnings = append(s.Warnings, w) }
	if s.KernelSysname == "" && runtime.GOOS == "linux" {
		s.KernelSysname = "Linux"
	}

	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("local source: memory: %w", err)
	}
	s.MemoryTotal = vm.Total

	s.CPUCount, s.CPUModels = readCPUs()
	s.CPUCores = readCPUCores()
	s.MemoryModules, s.MemoryModulesRead = readMemoryModules()
	s.PackageManager, s.Packages, s.PackagesRead = readPackages(ctx, s.OSRelease, warn)
	if b, err := os.ReadFile(etcPath("resolv.conf")); err == nil {
		s.DNSServers = ParseResolvConf(b)
	}
	s.PCIDevices, s.PCIRead = readPCI()
	s.Guests = readGuests(ctx, warn)

	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("local source: mounts: %w", err)
	}
	for _, p := range parts {
		if !nodeexporter.RealFilesystem(p.Fstype, p.Mountpoint) {
			continue
		}
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil {
			s.Warnings = append(s.Warnings, fmt.Sprintf("file system %s: %v", p.Mountpoint, err))
			continue
		}
		s.Filesystems = append(s.Filesystems, Filesystem{Mountpoint: p.Mountpoint, Fstype: p.Fstype, SizeBytes: u.Total})
	}

	ifs, err := psnet.InterfacesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("local source: network interfaces: %w", err)
	}
	temporary := temporaryIPv6()
	for _, i := range ifs {
		it := Interface{
			Name:      i.Name,
			MAC:       i.HardwareAddr,
			Loopback:  slices.Contains(i.Flags, "loopback"),
			RandomMAC: readLine(sysPath("class/net", i.Name, "addr_assign_type")) == "1",
			OperState: readLine(sysPath("class/net", i.Name, "operstate")),
		}
		for _, a := range i.Addrs {
			if p, err := netip.ParsePrefix(a.Addr); err == nil && temporary[p.Addr()] {
				continue
			}
			it.Addrs = append(it.Addrs, a.Addr)
		}
		sort.Strings(it.Addrs)
		s.Interfaces = append(s.Interfaces, it)
	}
	return s, nil
}

// Observation maps the snapshot to the machine's observation:
//   - Key "local <hostname>", Kind SERVER, Name the host name;
//   - Fields "hostname" (the first label) and "fqdn" (when dotted),
//     normalised, when the host name is a valid DNS name;
//   - Identifiers: HOSTNAME and FQDN as the fields; UUID, the DMI
//     product_uuid (which is gopsutil's host ID when readable; its
//     fallbacks, /etc/machine-id and the boot ID, are not hardware
//     identifiers: cloned machines share the first and the second changes
//     on every boot); SERIAL from the DMI product and chassis serial numbers
//     unless they are placeholders; MAC for every interface that is not the
//     loopback, has a real 48-bit address and did not get it at random;
//   - Facts "os.id", "os.name", "os.version" (VERSION_ID, else VERSION),
//     "os.pretty_name" from os-release (without one, gopsutil's platform
//     and platform version); "kernel.release", "kernel.arch",
//     "kernel.sysname"; "virtualization" and "virtualization.role";
//     "dmi.vendor", "dmi.product"; "memory.total_bytes"; "cpu.count",
//     "cpu.model" (distinct models joined by "; "); for each real file
//     system "fs.<mountpoint>.size_bytes" and "fs.<mountpoint>.fstype";
//     for each interface "net.<name>.mac" (when it has an address that is
//     not all zeros), "net.<name>.operstate" and "net.<name>.addrs" (its
//     addresses in CIDR form, sorted, joined by ","). The names and values
//     are those of the node_exporter source where they overlap;
//   - the inventory facts, named as the ssh source and the agent endpoint
//     name them: "cpu.cores" (physical cores in all); "bios.vendor",
//     "bios.version", "bios.date" (YYYY-MM-DD, see ISODate);
//     "board.vendor", "board.product", "board.serial"; "dmi.asset_tag"
//     (also an ASSET_TAG identifier unless a placeholder such as "No
//     Asset Tag"); per memory module "memory.module.<slot>.size_bytes",
//     ".type", ".speed_mts", ".manufacturer", ".serial" (see MemorySlots);
//     "packages.manager", "packages.count", and per package
//     "package.<name>" and "package_arch.<name>" (see PackageFacts);
//     "dns.servers" (comma-joined, in order); per PCI device
//     "pci.<slot>.vendor", ".product", ".class" (hexadecimal IDs);
//   - CompleteFacts "fs.", "net.", and "memory.module.", "package." and
//     "package_arch.", "pci." when the SMBIOS table, the package database
//     and /sys/bus/pci were read;
//   - SeenAt zero (Discover stamps it).
//
// The guests the machine hosts are observations of their own: see
// Observations.
func (s *Snapshot) Observation() discovery.Observation {
	o := discovery.Observation{
		Key:           KeyPrefix + s.Hostname,
		Kind:          discovery.KindServer,
		Name:          strings.TrimSpace(s.Hostname),
		Facts:         map[string]string{},
		CompleteFacts: nodeexporter.CompletePrefixes(),
	}
	o.AddHostName(o.Name)

	id := s.OSRelease["ID"]
	if id == "" {
		id = s.Platform
	}
	o.SetFact("os.id", id)
	o.SetFact("os.name", s.OSRelease["NAME"])
	version := s.OSRelease["VERSION_ID"]
	if version == "" {
		version = s.OSRelease["VERSION"]
	}
	if version == "" && len(s.OSRelease) == 0 {
		version = s.PlatformVersion
	}
	o.SetFact("os.version", version)
	o.SetFact("os.pretty_name", s.OSRelease["PRETTY_NAME"])
	o.SetFact("kernel.release", s.KernelRelease)
	o.SetFact("kernel.arch", s.KernelArch)
	o.SetFact("kernel.sysname", s.KernelSysname)
	if strings.TrimSpace(s.Virtualization) != "" {
		o.SetFact("virtualization", s.Virtualization)
		o.SetFact("virtualization.role", s.VirtualizationRole)
	}
	o.SetFact("dmi.vendor", s.DMI.Vendor)
	o.SetFact("dmi.product", s.DMI.Product)
	if s.MemoryTotal > 0 {
		o.Facts["memory.total_bytes"] = strconv.FormatUint(s.MemoryTotal, 10)
	}
	if s.CPUCount > 0 {
		o.Facts["cpu.count"] = strconv.Itoa(s.CPUCount)
	}
	if len(s.CPUModels) > 0 {
		models := slices.Clone(s.CPUModels)
		sort.Strings(models)
		o.SetFact("cpu.model", strings.Join(slices.Compact(models), "; "))
	}

	o.AddNormalized(ident.UUID, s.DMI.ProductUUID)
	o.AddSerials(s.DMI.ProductSerial, s.DMI.ChassisSerial)
	s.inventoryFacts(&o)

	for _, f := range s.Filesystems {
		if !nodeexporter.RealFilesystem(f.Fstype, f.Mountpoint) {
			continue
		}
		o.Facts["fs."+f.Mountpoint+".size_bytes"] = strconv.FormatUint(f.SizeBytes, 10)
		o.Facts["fs."+f.Mountpoint+".fstype"] = f.Fstype
	}

	for _, i := range s.Interfaces {
		if i.Name == "" {
			continue
		}
		o.SetFact("net."+i.Name+".operstate", i.OperState)
		if len(i.Addrs) > 0 {
			addrs := slices.Clone(i.Addrs)
			sort.Strings(addrs)
			o.Facts["net."+i.Name+".addrs"] = strings.Join(addrs, ",")
		}
		o.AddInterfaceMAC(i.Name, i.MAC, !i.Loopback && !i.RandomMAC)
	}
	return o
}

// hostPath joins a gopsutil-style root (HOST_PROC and the like, else def)
// with the rest of a path.
func hostPath(env, def string, elem ...string) string {
	root := os.Getenv(env)
	if root == "" {
		root = def
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

func procPath(elem ...string) string { return hostPath("HOST_PROC", "/proc", elem...) }
func sysPath(elem ...string) string  { return hostPath("HOST_SYS", "/sys", elem...) }
func etcPath(elem ...string) string  { return hostPath("HOST_ETC", "/etc", elem...) }

// readLine returns the first line of a small file, trimmed; "" when it
// cannot be read.
func readLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return strings.TrimSpace(string(line))
}

// readOSRelease reads os-release(5); nil when there is none.
func readOSRelease() map[string]string {
	for _, p := range []string{etcPath("os-release"), "/usr/lib/os-release"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		return ParseOSRelease(b)
	}
	return nil
}

// ParseOSRelease parses the KEY=value lines of os-release(5), with values
// in double or single quotes or bare, and backslash escapes in double
// quotes.
func ParseOSRelease(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			continue
		}
		switch {
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			v = v[1 : len(v)-1]
			var b strings.Builder
			for i := 0; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
					i++
				}
				b.WriteByte(v[i])
			}
			v = b.String()
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out
}

// readCPUs counts the cpuN lines of /proc/stat and gathers the distinct
// model names of /proc/cpuinfo. Without /proc/stat the count is Go's.
func readCPUs() (count int, models []string) {
	if b, err := os.ReadFile(procPath("stat")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if len(line) > 3 && strings.HasPrefix(line, "cpu") && line[3] >= '0' && line[3] <= '9' {
				count++
			}
		}
	}
	if count == 0 {
		count = runtime.NumCPU()
	}
	if b, err := os.ReadFile(procPath("cpuinfo")); err == nil {
		seen := map[string]bool{}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.TrimSpace(k) != "model name" {
				continue
			}
			if v = strings.TrimSpace(v); v != "" && !seen[v] {
				seen[v] = true
				models = append(models, v)
			}
		}
		sort.Strings(models)
	}
	return count, models
}

// temporaryIPv6 returns the temporary (privacy) IPv6 addresses of
// /proc/net/if_inet6 (flag IFA_F_TEMPORARY).
func temporaryIPv6() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	b, err := os.ReadFile(procPath("net/if_inet6"))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || len(f[0]) != 32 {
			continue
		}
		flags, err := strconv.ParseUint(f[4], 16, 32)
		if err != nil || flags&0x01 == 0 {
			continue
		}
		var a [16]byte
		ok := true
		for i := 0; i < 16; i++ {
			n, err := strconv.ParseUint(f[0][2*i:2*i+2], 16, 8)
			if err != nil {
				ok = false
				break
			}
			a[i] = byte(n)
		}
		if ok {
			out[netip.AddrFrom16(a)] = true
		}
	}
	return out
}

// inventoryFacts adds the facts of the hardware and software inventory
// (issue 21's parity with the FusionInventory and OCS agents).
func (s *Snapshot) inventoryFacts(o *discovery.Observation) {
	if s.CPUCores > 0 {
		o.Facts["cpu.cores"] = strconv.Itoa(s.CPUCores)
	}
	d := s.DMI
	o.SetFact("bios.vendor", d.BIOSVendor)
	o.SetFact("bios.version", d.BIOSVersion)
	o.SetFact("bios.date", ISODate(d.BIOSDate))
	o.SetFact("board.vendor", d.BoardVendor)
	o.SetFact("board.product", d.BoardProduct)
	o.SetFact("board.serial", d.BoardSerial)
	o.SetFact("dmi.asset_tag", d.ChassisAssetTag)
	if tag := strings.TrimSpace(d.ChassisAssetTag); tag != "" {
		o.AddNormalized(ident.AssetTag, tag)
	}

	for i, slot := range MemorySlots(s.MemoryModules) {
		m, p := s.MemoryModules[i], "memory.module."+slot+"."
		o.Facts[p+"size_bytes"] = strconv.FormatUint(m.SizeBytes, 10)
		o.SetFact(p+"type", m.Type)
		if m.SpeedMTs > 0 {
			o.Facts[p+"speed_mts"] = strconv.FormatUint(uint64(m.SpeedMTs), 10)
		}
		o.SetFact(p+"manufacturer", m.Manufacturer)
		o.SetFact(p+"serial", m.Serial)
	}
	if s.MemoryModulesRead {
		o.CompleteFacts = append(o.CompleteFacts, "memory.module.")
	}

	if s.PackagesRead && len(s.Packages) > 0 {
		facts := PackageFacts(s.Packages)
		n := 0
		for name, v := range facts {
			if name != strings.TrimSpace(name) || strings.ContainsAny(name, " \t\n") {
				continue
			}
			o.SetFact("package."+name, v[0])
			o.SetFact("package_arch."+name, v[1])
			n++
		}
		o.SetFact("packages.manager", s.PackageManager)
		o.Facts["packages.count"] = strconv.Itoa(n)
		o.CompleteFacts = append(o.CompleteFacts, "package.", "package_arch.")
	}

	o.SetFact("dns.servers", strings.Join(s.DNSServers, ","))

	for _, d := range s.PCIDevices {
		if d.Slot == "" || strings.ContainsAny(d.Slot, " \t\n") {
			continue
		}
		p := "pci." + d.Slot + "."
		o.SetFact(p+"vendor", d.Vendor)
		o.SetFact(p+"product", d.Device)
		o.SetFact(p+"class", d.Class)
	}
	if s.PCIRead {
		o.CompleteFacts = append(o.CompleteFacts, "pci.")
	}
}

// Observations returns the machine's observation (Observation) followed by
// one for each guest it hosts (see GuestObservations).
func (s *Snapshot) Observations() []discovery.Observation {
	host := s.Observation()
	return append([]discovery.Observation{host}, GuestObservations(host.Key, s.Guests)...)
}

// GuestObservations returns an observation for each guest of the host
// whose observation has the key hostKey (the ssh source uses it too):
//   - Key "<host key> guest <UUID or name>", StableKey (the key is the
//     source's stable name for the guest), Name the guest's name;
//   - Kind VM for a libvirt domain, CONTAINER for Docker, Podman and LXC;
//   - a UUID identifier for a libvirt domain (its UUID is the guest's DMI
//     product UUID, which the guest's own observation carries);
//   - facts "guest.type" (libvirt, docker, podman, lxc), "guest.vcpus" and
//     "guest.memory_bytes" when known (never its running state, which
//     changes by itself);
//   - a RUNS_ON relationship to the host.
//
// When two engines name a container alike, the second's key is "<host
// key> guest <type> <name>"; a guest listed twice is kept once.
func GuestObservations(hostKey string, guests []Guest) []discovery.Observation {
	var out []discovery.Observation
	seen := map[string]bool{}
	for _, g := range guests {
		name := strings.TrimSpace(g.Name)
		if name == "" {
			continue
		}
		kind := discovery.KindContainer
		if g.Type == "libvirt" {
			kind = discovery.KindVM
		}
		id := name
		uuid, err := ident.Normalize(ident.UUID, g.UUID)
		if err == nil {
			id = uuid
		}
		o := discovery.Observation{
			Key:           hostKey + " guest " + id,
			Kind:          kind,
			Name:          name,
			StableKey:     true,
			Facts:         map[string]string{},
			Relationships: []discovery.Relationship{{Type: "RUNS_ON", To: hostKey}},
		}
		if seen[g.Type+" "+id] {
			continue
		}
		seen[g.Type+" "+id] = true
		if seen[o.Key] {
			// Two engines name a container alike (docker and podman).
			o.Key = hostKey + " guest " + g.Type + " " + id
		}
		seen[o.Key] = true
		if err == nil {
			o.AddIdentifier(ident.UUID, uuid)
		}
		o.SetFact("guest.type", g.Type)
		if g.VCPUs > 0 {
			o.Facts["guest.vcpus"] = strconv.Itoa(g.VCPUs)
		}
		if g.MemoryBytes > 0 {
			o.Facts["guest.memory_bytes"] = strconv.FormatUint(g.MemoryBytes, 10)
		}
		out = append(out, o)
	}
	return out
}
