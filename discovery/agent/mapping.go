package agent

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
)

// KeyPrefix starts the key of an agent's host observation: "agent " and
// the agent's DEVICEID.
const KeyPrefix = "agent "

// mib is a mebibyte: the agents report memory and file systems in MiB.
const mib = 1 << 20

// Observations maps an INVENTORY to the host's observation, first, then
// one per guest it hosts (VIRTUALMACHINES), all stamped now, and returns
// warnings: what it read but did not use. A SNMPQUERY (network inventory)
// goes to SNMPObservations; other queries are an error. See the package
// documentation for the mapping.
func (r *Request) Observations(now time.Time) ([]discovery.Observation, []string, error) {
	if r.Query == "SNMPQUERY" {
		return r.SNMPObservations(now)
	}
	if r.Query != "INVENTORY" {
		return nil, nil, fmt.Errorf("a %s request carries no inventory", clip(r.Query))
	}
	if r.Content == nil {
		return nil, nil, fmt.Errorf("the INVENTORY of %q has no CONTENT", clip(r.DeviceID))
	}
	if p := deviceIDProblem(r.DeviceID); p != "" {
		return nil, nil, fmt.Errorf("REQUEST/DEVICEID: %s", p)
	}
	m := &mapper{
		o: discovery.Observation{
			Key:       KeyPrefix + r.DeviceID,
			Kind:      discovery.KindServer,
			SeenAt:    now,
			StableKey: true,
		},
		now:      now,
		sections: map[string][]*Node{},
	}
	for i := range r.Content.Children {
		s := &r.Content.Children[i]
		m.sections[s.Name] = append(m.sections[s.Name], s)
	}
	// Two facts a package: grow the map once.
	m.o.Facts = make(map[string]string, 64+2*len(m.sections["SOFTWARES"])+4*len(m.sections["CONTROLLERS"]))
	m.hardware()
	m.os()
	m.bios()
	m.cpus()
	m.memories()
	m.storages()
	m.drives()
	m.networks()
	m.softwares()
	m.controllers()
	m.identifiers()
	if m.o.Name == "" {
		m.o.Name = r.DeviceID
	}
	m.unused()
	obs := append([]discovery.Observation{m.o}, m.guests()...)
	return obs, m.warnings, nil
}

// mapper builds the observations of one inventory.
type mapper struct {
	o        discovery.Observation
	now      time.Time
	sections map[string][]*Node
	warnings []string
}

// first returns the first element of a section, nil without one.
func (m *mapper) first(section string) *Node {
	if s := m.sections[section]; len(s) > 0 {
		return s[0]
	}
	return nil
}

func (m *mapper) warn(format string, args ...any) {
	m.warnings = append(m.warnings, fmt.Sprintf(format, args...))
}

// fact sets a fact; a key or value that is not clean text is dropped.
func (m *mapper) fact(key, value string) { setFact(&m.o, key, value) }

func setFact(o *discovery.Observation, key, value string) {
	value = discovery.CleanFactValue(value)
	if value == "" || !discovery.CleanFactKey(key) {
		return
	}
	if o.Facts == nil {
		o.Facts = map[string]string{}
	}
	o.Facts[key] = value
}

func (m *mapper) complete(prefix string) {
	if !slices.Contains(m.o.CompleteFacts, prefix) {
		m.o.CompleteFacts = append(m.o.CompleteFacts, prefix)
	}
}

// hardware maps HARDWARE: names, memory, DNS servers, gateway and the
// virtualisation system.
func (m *mapper) hardware() {
	h := m.first("HARDWARE")
	if h == nil {
		return
	}
	opsys := m.first("OPERATINGSYSTEM")
	name := h.Get("NAME")
	// The FQDN first, so that the fields are hostname = its first label
	// and fqdn = it.
	fqdn := opsys.Get("FQDN")
	if !strings.Contains(fqdn, ".") {
		fqdn = ""
		if dom := opsys.Get("DNS_DOMAIN"); name != "" && dom != "" && !strings.ContainsAny(dom, "/ ") {
			fqdn = name + "." + dom
		}
	}
	for _, n := range []string{fqdn, name} {
		if n == "" {
			continue
		}
		if _, no := identity.NotIdentity(ident.Hostname, n); no {
			continue
		}
		m.o.AddHostName(n)
	}
	if v := discovery.CleanFactValue(name); v != "" {
		m.o.Name = v
		m.o.SetField("name", v)
	}
	if mem, ok := parseNumber(h.Get("MEMORY")); ok && mem > 0 {
		m.fact("memory.total_bytes", bytesOf(mem, mib))
	}
	if dns := splitList(h.Get("DNS")); len(dns) > 0 {
		m.fact("dns.servers", strings.Join(dns, ","))
	}
	if gw := h.Get("DEFAULTGATEWAY"); gw != "" {
		if a, err := netip.ParseAddr(gw); err == nil {
			m.fact("route.default", a.String())
		}
	}
	m.o.AddNormalized(ident.UUID, h.Get("UUID"))
	switch vm := h.Get("VMSYSTEM"); {
	case vm == "":
	case strings.EqualFold(vm, "Physical"):
		m.fact("virtualization", "none")
	case containerType(vm):
		m.o.Kind = discovery.KindContainer
		m.fact("container", strings.ToLower(vm))
	default:
		m.o.Kind = discovery.KindVM
		m.fact("virtualization", strings.ToLower(vm))
	}
	if opsys == nil {
		// OCS Inventory's agent: the OS only in HARDWARE.
		m.fact("os.pretty_name", firstNonEmpty(h.Get("OSCOMMENTS"), h.Get("OSNAME")))
		m.fact("os.version", h.Get("OSVERSION"))
	}
}

// os maps OPERATINGSYSTEM.
func (m *mapper) os() {
	s := m.first("OPERATINGSYSTEM")
	if s == nil {
		return
	}
	m.fact("os.name", s.Get("NAME"))
	m.fact("os.version", s.Get("VERSION"))
	m.fact("os.pretty_name", s.Get("FULL_NAME"))
	m.fact("kernel.release", s.Get("KERNEL_VERSION"))
	m.fact("kernel.arch", s.Get("ARCH"))
}

// hypervisorMarks are what BIOS manufacturer and model strings of virtual
// machines contain, lower case, with the virtualization fact they mean.
var hypervisorMarks = []struct{ mark, name string }{
	{"qemu", "qemu"}, {"kvm", "kvm"}, {"vmware", "vmware"}, {"virtualbox", "virtualbox"},
	{"innotek", "virtualbox"}, {"xen", "xen"}, {"bochs", "bochs"}, {"parallels", "parallels"},
	{"microsoft corporation virtual machine", "microsoft"}, {"openstack", "kvm"},
	{"google compute engine", "kvm"}, {"bhyve", "bhyve"},
}

// bios maps BIOS: serial number, DMI, BIOS and board facts, asset tag.
func (m *mapper) bios() {
	b := m.first("BIOS")
	if b == nil {
		return
	}
	ssn := strings.TrimSpace(b.Get("SSN"))
	if ssn != "" && !ident.IsPlaceholderSerial(ssn) {
		if v, err := ident.Normalize(ident.Serial, ssn); err == nil {
			m.o.SetField("serial_number", v)
		}
	}
	m.o.AddSerials(ssn)
	m.fact("dmi.vendor", b.Get("SMANUFACTURER"))
	m.fact("dmi.product", b.Get("SMODEL"))
	m.fact("bios.vendor", b.Get("BMANUFACTURER"))
	m.fact("bios.version", b.Get("BVERSION"))
	m.fact("bios.date", local.ISODate(b.Get("BDATE")))
	m.fact("board.vendor", b.Get("MMANUFACTURER"))
	m.fact("board.product", b.Get("MMODEL"))
	m.fact("board.serial", b.Get("MSN"))
	if tag := strings.TrimSpace(b.Get("ASSETTAG")); tag != "" {
		m.fact("dmi.asset_tag", tag)
		if _, no := identity.NotIdentity(ident.AssetTag, tag); !no {
			m.o.AddNormalized(ident.AssetTag, tag)
		}
	}
	if _, known := m.o.Facts["virtualization"]; !known && m.o.Kind == discovery.KindServer {
		id := strings.ToLower(b.Get("SMANUFACTURER") + " " + b.Get("SMODEL"))
		for _, h := range hypervisorMarks {
			if strings.Contains(id, h.mark) {
				m.o.Kind = discovery.KindVM
				m.fact("virtualization", h.name)
				break
			}
		}
	}
}

// cpus maps CPUS: the model(s), logical CPUs and physical cores in all.
func (m *mapper) cpus() {
	var models []string
	logical, cores := 0, 0
	for _, c := range m.sections["CPUS"] {
		if n := firstNonEmpty(c.Get("NAME"), c.Get("TYPE"), c.Get("MODEL")); n != "" && !isDigits(n) {
			models = append(models, n)
		}
		core := atoi(firstNonEmpty(c.Get("CORE"), c.Get("CORES")))
		// FusionInventory's THREAD and OCS's LOGICAL_CPUS are the logical
		// CPUs of one socket (siblings), not threads per core.
		l := atoi(firstNonEmpty(c.Get("LOGICAL_CPUS"), c.Get("THREAD"), c.Get("THREADS")))
		if l == 0 {
			l = max(core, 1)
		}
		logical += l
		cores += core
	}
	if len(models) == 0 {
		if h := m.first("HARDWARE"); h != nil && h.Get("PROCESSORT") != "" {
			models = append(models, h.Get("PROCESSORT"))
		}
	}
	if len(models) > 0 {
		sort.Strings(models)
		m.fact("cpu.model", strings.Join(slices.Compact(models), "; "))
	}
	if logical > 0 {
		m.fact("cpu.count", strconv.Itoa(logical))
	}
	if cores > 0 {
		m.fact("cpu.cores", strconv.Itoa(cores))
	}
}

// memories maps MEMORIES: one set of memory.module.<slot>.* facts per
// installed module (an empty slot has no capacity), named as the local
// source names them (local.MemorySlots) and without the placeholders
// firmware writes in module strings.
func (m *mapper) memories() {
	entries := m.sections["MEMORIES"]
	if len(entries) == 0 {
		return
	}
	m.complete("memory.module.")
	mods := make([]local.MemoryModule, 0, len(entries))
	for _, e := range entries {
		size, ok := parseNumber(e.Get("CAPACITY"))
		if !ok || size <= 0 {
			continue
		}
		b, _ := strconv.ParseUint(bytesOf(size, mib), 10, 64)
		speed, _ := strconv.ParseUint(leadingDigits(e.Get("SPEED")), 10, 32)
		mods = append(mods, local.MemoryModule{
			Locator:      discovery.CleanFactValue(firstNonEmpty(e.Get("CAPTION"), e.Get("NUMSLOTS"))),
			SizeBytes:    b,
			Type:         memoryText(e.Get("TYPE")),
			SpeedMTs:     uint32(speed),
			Manufacturer: memoryText(e.Get("MANUFACTURER")),
			Serial:       memoryText(e.Get("SERIALNUMBER")),
		})
	}
	for i, slot := range local.MemorySlots(mods) {
		mod, p := mods[i], "memory.module."+slot+"."
		if !discovery.CleanFactKey(p) {
			continue
		}
		m.fact(p+"size_bytes", strconv.FormatUint(mod.SizeBytes, 10))
		m.fact(p+"type", mod.Type)
		if mod.SpeedMTs > 0 {
			m.fact(p+"speed_mts", strconv.FormatUint(uint64(mod.SpeedMTs), 10))
		}
		m.fact(p+"manufacturer", mod.Manufacturer)
		m.fact(p+"serial", mod.Serial)
	}
}

// memoryText drops the placeholders firmware writes in memory module
// strings, as the local source does ("Unknown", "Not Specified",
// "00000000" …).
func memoryText(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "unknown", "other", "not specified", "none", "n/a", "na", "undefined", "manufacturer00",
		"manufacturer0", "manufacturer", "serialnum", "partnum", "assettagnum", "0000", "00000000":
		return ""
	}
	if ident.IsPlaceholderSerial(s) {
		return ""
	}
	return discovery.CleanFactValue(s)
}

// storages maps STORAGES: every whole disk but optical drives, RAM and
// loop devices.
func (m *mapper) storages() {
	disks := m.sections["STORAGES"]
	if len(disks) == 0 {
		return
	}
	m.complete("disk.")
	for _, d := range disks {
		name := strings.TrimPrefix(d.Get("NAME"), "/dev/")
		if !nameOK(name) || strings.Contains(name, "/") {
			continue
		}
		typ := strings.ToLower(d.Get("TYPE"))
		if typ != "" && typ != "disk" && !strings.Contains(typ, "disk") {
			continue
		}
		if strings.HasPrefix(name, "zram") || strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "sr") {
			continue
		}
		p := "disk." + name + "."
		// DISKSIZE is in millions of bytes (decimal MB).
		if size, ok := parseNumber(d.Get("DISKSIZE")); ok && size > 0 {
			m.fact(p+"size_bytes", bytesOf(size, 1e6))
		}
		m.fact(p+"model", d.Get("MODEL"))
		m.fact(p+"serial", d.Get("SERIALNUMBER"))
	}
}

// drives maps DRIVES: every real file system's size and type (never its
// free space).
func (m *mapper) drives() {
	drives := m.sections["DRIVES"]
	if len(drives) == 0 {
		return
	}
	m.complete("fs.")
	for _, d := range drives {
		// On Unix TYPE is the mount point; Windows agents give LETTER.
		mp := d.Get("TYPE")
		if !strings.HasPrefix(mp, "/") {
			mp = d.Get("LETTER")
		}
		fstype := d.Get("FILESYSTEM")
		if !nameOK(mp) || !nodeexporter.RealFilesystem(fstype, mp) {
			continue
		}
		if size, ok := parseNumber(d.Get("TOTAL")); ok && size > 0 {
			m.fact("fs."+mp+".size_bytes", bytesOf(size, mib))
		}
		m.fact("fs."+mp+".type", fstype)
	}
}

// virtualInterfaces start the names of interfaces without hardware of
// their own, when the agent does not say (OCS sends no VIRTUALDEV).
var virtualInterfaces = []string{"lo", "docker", "veth", "virbr", "vnet", "br-", "cni", "flannel", "cali", "tun", "tap", "ifb", "dummy", "kube", "weave", "vxlan", "podman"}

// networks maps NETWORKS: per interface its MAC, addresses and state; the
// MACs of interfaces with hardware of their own are identifiers.
func (m *mapper) networks() {
	nets := m.sections["NETWORKS"]
	if len(nets) == 0 {
		return
	}
	m.complete("net.")
	type iface struct {
		mac, state string
		addrs      []string
		virtual    bool
	}
	ifs := map[string]*iface{}
	var order []string
	for _, n := range nets {
		name := n.Get("DESCRIPTION")
		if !nameOK(name) {
			continue
		}
		if strings.EqualFold(n.Get("TYPE"), "loopback") || name == "lo" {
			continue
		}
		it := ifs[name]
		if it == nil {
			it = &iface{}
			ifs[name] = it
			order = append(order, name)
		}
		if it.mac == "" {
			it.mac = n.Get("MACADDR")
		}
		if it.state == "" {
			it.state = strings.ToLower(n.Get("STATUS"))
		}
		switch n.Get("VIRTUALDEV") {
		case "1":
			it.virtual = true
		case "":
			for _, p := range virtualInterfaces {
				if strings.HasPrefix(name, p) {
					it.virtual = true
				}
			}
		}
		if a := cidr(n.Get("IPADDRESS"), n.Get("IPMASK")); a != "" {
			it.addrs = append(it.addrs, a)
		}
		if a := cidr(n.Get("IPADDRESS6"), n.Get("IPMASK6")); a != "" {
			it.addrs = append(it.addrs, a)
		}
	}
	for _, name := range order {
		it := ifs[name]
		m.fact("net."+name+".operstate", it.state)
		if len(it.addrs) > 0 {
			sort.Strings(it.addrs)
			m.fact("net."+name+".addrs", strings.Join(slices.Compact(it.addrs), ","))
		}
		m.o.AddInterfaceMAC(name, it.mac, !it.virtual)
	}
}

// cidr writes an address and its mask (dotted or IPv6 notation, or a
// prefix length) as a CIDR; "" when the address does not parse.
func cidr(addr, mask string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return ""
	}
	a = a.WithZone("")
	bits := -1
	if n, err := strconv.Atoi(mask); err == nil && n >= 0 && n <= a.BitLen() {
		bits = n
	} else if mk, err := netip.ParseAddr(strings.TrimSpace(mask)); err == nil && mk.BitLen() == a.BitLen() {
		bits = maskBits(mk.AsSlice())
	}
	if bits < 0 {
		bits = a.BitLen()
	}
	return netip.PrefixFrom(a, bits).String()
}

// maskBits counts a contiguous netmask's leading ones; -1 when the mask is
// not contiguous.
func maskBits(b []byte) int {
	n, zero := 0, false
	for _, c := range b {
		for i := 7; i >= 0; i-- {
			if c&(1<<i) != 0 {
				if zero {
					return -1
				}
				n++
			} else {
				zero = true
			}
		}
	}
	return n
}

// managers maps SOFTWARES/FROM to packages.manager.
var managers = map[string]string{"deb": "dpkg", "rpm": "rpm", "apk": "apk", "pacman": "pacman", "gentoo": "portage", "slackware": "slackpkg", "nix": "nix", "pkg": "pkg", "pkgng": "pkg"}

// softwares maps SOFTWARES: the packages of the system's package manager
// (the one that knows most packages), with their versions and
// architectures.
func (m *mapper) softwares() {
	sw := m.sections["SOFTWARES"]
	if len(sw) == 0 {
		return
	}
	byFrom := map[string]int{}
	for _, s := range sw {
		byFrom[strings.ToLower(s.Get("FROM"))]++
	}
	from, best := "", -1
	for f, n := range byFrom {
		_, known := managers[f]
		_, bestKnown := managers[from]
		if best < 0 || known && !bestKnown || known == bestKnown && (n > best || n == best && f < from) {
			from, best = f, n
		}
	}
	var others []string
	for f, n := range byFrom {
		if f != from {
			others = append(others, fmt.Sprintf("%d from %q", n, clip(f)))
		}
	}
	if len(others) > 0 {
		sort.Strings(others)
		m.warn("SOFTWARES: %s not mapped (package.* holds the %s packages)", strings.Join(others, ", "), firstNonEmpty(managers[from], from, "system"))
	}
	pkgs := make([]local.Package, 0, best)
	for _, e := range sw {
		if strings.ToLower(e.Get("FROM")) != from {
			continue
		}
		name, version := e.Get("NAME"), e.Get("VERSION")
		arch := firstNonEmpty(e.Get("ARCH"), e.Get("ARCHITECTURE"))
		if from == "deb" {
			// ocsinventory-agent names multi-arch packages as dpkg-query's
			// ${binary:Package} does, "libc6:amd64": a Debian package name
			// never holds ':', so the suffix is the architecture, and the
			// fact is the package's, as FusionInventory and local name it.
			if base, suffix, ok := strings.Cut(name, ":"); ok {
				name, arch = base, firstNonEmpty(arch, suffix)
			}
		}
		if !nameOK(name) || version == "" {
			continue
		}
		pkgs = append(pkgs, local.Package{Name: name, Version: version, Arch: arch})
	}
	if len(pkgs) == 0 {
		return
	}
	m.complete("package.")
	m.complete("package_arch.")
	m.fact("packages.manager", managers[from])
	n := packageFacts(pkgs, func(name, versions, arches string) {
		m.fact("package."+name, versions)
		m.fact("package_arch."+name, arches)
	})
	m.fact("packages.count", strconv.Itoa(n))
}

// packageFacts calls set with the values of "package.<name>" and
// "package_arch.<name>" of each package name, as local.PackageFacts makes
// them (TestPackageFactsAsLocal), and returns the number of names. It
// sorts pkgs in place once instead of grouping them in a map: an
// inventory's 1,000 packages cost 1,000 allocations less.
func packageFacts(pkgs []local.Package, set func(name, versions, arches string)) int {
	slices.SortFunc(pkgs, func(a, b local.Package) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Version, b.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Arch, b.Arch)
	})
	pkgs = slices.Compact(pkgs)
	n := 0
	var versions, arches []string
	for i := 0; i < len(pkgs); {
		j := i + 1
		for j < len(pkgs) && pkgs[j].Name == pkgs[i].Name {
			j++
		}
		n++
		if j == i+1 {
			set(pkgs[i].Name, pkgs[i].Version, pkgs[i].Arch)
			i = j
			continue
		}
		versions, arches = versions[:0], arches[:0]
		anyArch := false
		for _, p := range pkgs[i:j] {
			if len(versions) == 0 || versions[len(versions)-1] != p.Version {
				versions = append(versions, p.Version)
			}
			arches = append(arches, p.Arch)
			anyArch = anyArch || p.Arch != ""
		}
		a := ""
		if anyArch {
			a = strings.Join(arches, ",")
		}
		set(pkgs[i].Name, strings.Join(versions, ","), a)
		i = j
	}
	return n
}

// controllers maps CONTROLLERS with a PCI slot.
func (m *mapper) controllers() {
	cs := m.sections["CONTROLLERS"]
	if len(cs) == 0 {
		return
	}
	m.complete("pci.")
	for _, c := range cs {
		slot := strings.ToLower(c.Get("PCISLOT"))
		if !nameOK(slot) {
			continue
		}
		p := "pci." + slot + "."
		vendor, product, class := c.Get("VENDORID"), c.Get("PRODUCTID"), c.Get("PCICLASS")
		if id := c.Get("PCIID"); vendor == "" && id != "" {
			// OCS Inventory's agent: PCIID "8086:0d57", the class code at
			// the end of NAME ("Host bridge [0600]").
			vendor, product, _ = strings.Cut(id, ":")
			class = classCode(c.Get("NAME"))
		}
		m.fact(p+"vendor", hexID(vendor))
		m.fact(p+"product", hexID(product))
		m.fact(p+"class", hexID(class))
	}
}

// hexID is a PCI ID as the local source writes it: lower-case
// hexadecimal without "0x"; "" when s is not hexadecimal.
func hexID(s string) string {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if s == "" || len(s) > 8 || !allHex(s) {
		return ""
	}
	return s
}

// classCode is the class code lspci writes at the end of a name:
// "0600" of "Host bridge [0600]".
func classCode(s string) string {
	s = strings.TrimSpace(s)
	i := strings.LastIndex(s, "[")
	if i < 0 || !strings.HasSuffix(s, "]") {
		return ""
	}
	return s[i+1 : len(s)-1]
}

// identifiers drops the identifiers that identity.NotIdentity says name no
// machine in particular (multicast and virtual-router MACs, placeholders).
func (m *mapper) identifiers() {
	m.o.Identifiers = filterIdentity(m.o.Identifiers)
}

func filterIdentity(ids []discovery.Identifier) []discovery.Identifier {
	out := ids[:0]
	for _, id := range ids {
		if _, no := identity.NotIdentity(id.Kind, id.Value); !no {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mapped are the sections Observations reads; volatile ones that it never
// reads are listed in ignored.
var mapped = map[string]bool{
	"HARDWARE": true, "OPERATINGSYSTEM": true, "BIOS": true, "CPUS": true, "MEMORIES": true,
	"STORAGES": true, "DRIVES": true, "NETWORKS": true, "SOFTWARES": true, "CONTROLLERS": true,
	"VIRTUALMACHINES": true,
	// What the agent says of itself.
	"VERSIONCLIENT": true, "VERSIONPROVIDER": true,
}

// ignored are sections never mapped because they change while the machine
// does not (or say nothing of it): no warning for them.
var ignored = map[string]bool{
	"ACCESSLOG": true, "PROCESSES": true, "USERS": true, "LOCAL_USERS": true, "LOCAL_GROUPS": true,
	"ENVS": true, "RUDDER": true,
}

// unused warns once of the other sections, with their counts.
func (m *mapper) unused() {
	var out []string
	for name, secs := range m.sections {
		if !mapped[name] && !ignored[name] {
			out = append(out, fmt.Sprintf("%s (%d)", clip(name), len(secs)))
		}
	}
	if len(out) > 0 {
		sort.Strings(out)
		m.warn("sections not mapped: %s", strings.Join(out, ", "))
	}
}

// containerTypes are the VMSYSTEM and VMTYPE values of container systems.
var containerTypes = []string{"docker", "lxc", "lxd", "podman", "containerd", "cri-o", "openvz", "virtuozzo", "systemd-nspawn", "nspawn", "jail", "bsd jail", "zone", "solariszone", "wpar", "rkt", "vserver", "linux-vserver", "wsl"}

func containerType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	return slices.Contains(containerTypes, t)
}

// guests maps VIRTUALMACHINES: one observation per guest, RUNS_ON the
// host.
func (m *mapper) guests() []discovery.Observation {
	vms := m.sections["VIRTUALMACHINES"]
	if len(vms) == 0 {
		return nil
	}
	out := make([]discovery.Observation, 0, len(vms))
	keys := map[string]bool{}
	skipped := 0
	for _, vm := range vms {
		name := discovery.CleanFactValue(vm.Get("NAME"))
		uuid, uerr := ident.Normalize(ident.UUID, vm.Get("UUID"))
		id := uuid
		if uerr != nil {
			id = name
		}
		if id == "" {
			skipped++
			continue
		}
		typ := strings.ToLower(discovery.CleanFactValue(vm.Get("VMTYPE")))
		key := m.o.Key + " guest " + id
		if keys[key] {
			// Two systems name a guest alike (docker and lxc), as the
			// local source keys them.
			key = m.o.Key + " guest " + typ + " " + id
		}
		if keys[key] {
			skipped++
			continue
		}
		keys[key] = true
		g := discovery.Observation{
			Key:           key,
			Kind:          discovery.KindVM,
			Name:          firstNonEmpty(name, uuid),
			SeenAt:        m.now,
			StableKey:     true,
			Relationships: []discovery.Relationship{{Type: "RUNS_ON", To: m.o.Key}},
		}
		if containerType(typ) {
			g.Kind = discovery.KindContainer
		}
		if uerr == nil {
			g.AddIdentifier(ident.UUID, uuid)
		}
		for _, mac := range splitList(vm.Get("MAC")) {
			g.AddNormalized(ident.MAC, mac)
		}
		g.Identifiers = filterIdentity(g.Identifiers)
		setFact(&g, "guest.type", typ)
		if n := atoi(vm.Get("VCPU")); n > 0 {
			setFact(&g, "guest.vcpus", strconv.Itoa(n))
		}
		if b := guestMemory(vm.Get("MEMORY"), typ); b != "" {
			setFact(&g, "guest.memory_bytes", b)
		}
		out = append(out, g)
	}
	if skipped > 0 {
		m.warn("VIRTUALMACHINES: %d guests without a name or UUID, or listed twice, not mapped", skipped)
	}
	return out
}

// guestMemory reads a guest's MEMORY: MiB (libvirt, VirtualBox, …), or for
// LXC the cgroup limit as written in its configuration (bytes, or with a
// K, M or G suffix).
func guestMemory(s, typ string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	unit := float64(mib)
	if typ == "lxc" {
		unit = 1
		switch strings.ToUpper(s[len(s)-1:]) {
		case "K":
			unit, s = 1<<10, s[:len(s)-1]
		case "M":
			unit, s = 1<<20, s[:len(s)-1]
		case "G":
			unit, s = 1<<30, s[:len(s)-1]
		}
	}
	n, ok := parseNumber(s)
	if !ok || n <= 0 {
		return ""
	}
	return bytesOf(n, unit)
}

// bytesOf writes n units as a whole number of bytes; "" when it does not
// fit.
func bytesOf(n, unit float64) string {
	b := math.Round(n * unit)
	if b <= 0 || b > math.MaxInt64/2 {
		return ""
	}
	return strconv.FormatInt(int64(b), 10)
}

// splitList splits a list separated by '/', ',' or white space (DNS
// servers, MAC addresses), dropping empty items and duplicates.
func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ',' || unicode.IsSpace(r) })
	out := f[:0]
	for _, v := range f {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// atoi reads a whole non-negative number ("2", "2.0"); 0 when it is none.
func atoi(s string) int {
	f, ok := parseNumber(s)
	if !ok || f > 1<<20 {
		return 0
	}
	return int(f)
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// leadingDigits returns the digits s starts with ("2400" of "2400 MT/s").
func leadingDigits(s string) string {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return ""
	}
	if d := strings.TrimLeft(s[:i], "0"); d != "" {
		return d
	}
	return "0"
}

// nameOK reports whether s can stand in a fact key as an interface, disk,
// mount point, slot or package name.
func nameOK(s string) bool {
	return s != "" && len(s) <= 255 && discovery.CleanFactKey(s) && strings.TrimSpace(s) == s
}
