package ssh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// completePrefixes are the fact prefixes an observation may report in
// full, each only when the host's output held the section it comes from (so
// a missing or failing tool never makes recorded facts look gone):
// listening ports, network interfaces, disks, file systems and installed
// packages. Never modified.
var completePrefixes = []string{"listen.", "net.", "disk.", "fs.", "package.", "package_arch.", "memory.module.", "pci."}

// CompleteFacts returns the fact prefixes an observation can report in
// full: "listen.", "net.", "disk.", "fs.", "package.", "package_arch.",
// "memory.module.", "pci.".
func CompleteFacts() []string { return append([]string(nil), completePrefixes...) }

// Parse maps the output of the inventory script (see Script) run on host to an
// observation. It is pure: the same output always yields the same
// observation, with SeenAt zero.
//
// The output is a series of sections, each introduced by a line
// "@@cairn:NONCE:NAME@@"; NONCE is the word of the first such line, and a
// line with another word is content. Text before the first marker (a login
// banner) is ignored; output without the final "@@cairn:NONCE:end@@" is an
// error (the session was cut short). A section that is missing, empty or
// unreadable yields nothing; it is never an error.
//
// The observation has:
//   - Key "ssh <host>"; Kind VM when a hypervisor was detected (see the
//     fact "virtualization"), else SERVER;
//   - Name: the short host name, else host;
//   - Fields "hostname" (the short name, from "hostname") and "fqdn" (from
//     "hostname -f", or "hostname" itself when it is dotted) when valid and
//     not "localhost"; "serial_number": the DMI product serial unless it is
//     a placeholder such as "To Be Filled By O.E.M.";
//   - Identifiers HOSTNAME and FQDN (as the fields), UUID (/etc/machine-id
//     written as a UUID, and the DMI product UUID), SERIAL (as the field),
//     MAC (every non-loopback interface's address, and its permanent
//     address when it differs), IP (every global unicast address, except
//     temporary IPv6 privacy addresses and addresses of well-known
//     container and VM bridges such as docker0 and virbr0, which many hosts
//     share). Values are normalised with ident.Normalize; those that do not
//     validate are dropped;
//   - Facts (see below); CompleteFacts: the prefixes of CompleteFacts()
//     whose section was present and readable.
//
// Facts are flat strings that do not change while the host is idle (no
// uptime, free memory or used space):
//
//	os.id, os.id_like, os.name,   /etc/os-release ID, ID_LIKE, NAME,
//	os.version, os.pretty_name    VERSION_ID, PRETTY_NAME
//	kernel.release, kernel.arch   uname -r -m
//	cpu.model, cpu.count,         lscpu "Model name", "CPU(s)", "Socket(s)"
//	cpu.sockets                   (or /proc/cpuinfo without lscpu)
//	memory.total_bytes            MemTotal × 1024
//	virtualization                the hypervisor (kvm, vmware, microsoft,
//	                              xen, oracle, …), or "none" on bare metal
//	container                     the container technology (docker, lxc, …)
//	                              when the host is a container
//	dmi.vendor, dmi.product       DMI sys_vendor, product_name
//	disk.<name>.size_bytes        every whole disk (lsblk TYPE disk, not
//	disk.<name>.model, .serial    loop, ram or zram), with model and serial
//	fs.<mountpoint>.size_bytes    every local disk file system (ext4, xfs,
//	fs.<mountpoint>.type          btrfs, …; not tmpfs, overlay, proc, …)
//	net.<iface>.mac               every interface but loopback
//	net.<iface>.addrs             its addresses as sorted CIDRs, comma-joined
//	route.default, route.default6 the IPv4 and IPv6 default gateways
//	listen.tcp.<n>, listen.udp.<n> "listening", for every listening socket (localhost-only ones too; port.* is for what scanners see from outside)
//	packages.manager              dpkg or rpm
//	packages.count                the number of installed packages
//	package.<name>                its version (versions, comma-joined, when
//	                              several are installed)
//	package_arch.<name>           the architecture of each installed
//	                              instance, in the order of the versions
//	                              (see local.PackageFacts)
//	cpu.cores                     lscpu "Core(s) per socket" × "Socket(s)"
//	                              (or /proc/cpuinfo's core ids)
//	bios.vendor, bios.version,    DMI bios_vendor, bios_version, bios_date
//	bios.date                     (YYYY-MM-DD, see local.ISODate)
//	board.vendor, board.product,  DMI board_vendor, board_name, board_serial
//	board.serial                  (root only)
//	dmi.asset_tag                 DMI chassis_asset_tag, also an ASSET_TAG
//	                              identifier unless a placeholder
//	memory.module.<slot>.*        size_bytes, type, speed_mts, manufacturer,
//	                              serial of each memory module: the SMBIOS
//	                              type 17 entries, readable by root only
//	                              (see local.ParseMemoryDevice)
//	pci.<slot>.vendor, .product,  /sys/bus/pci/devices IDs, hexadecimal
//	.class
//	dns.servers                   /etc/resolv.conf's nameservers, in order
//
// ParseAll adds the guests the host runs.
func Parse(out []byte, host string) (discovery.Observation, error) {
	o, _, err := parse(out, host)
	return o, err
}

// ParseAll is Parse followed by an observation for each guest the host
// runs (local.GuestObservations): libvirt domains ("virsh list --all
// --uuid --name", vCPUs and memory from "virsh dominfo"), Docker
// containers ("docker ps -a", when the Docker socket is readable) and LXC
// containers (/var/lib/lxc/*/config), each RUNS_ON the host.
func ParseAll(out []byte, host string) ([]discovery.Observation, error) {
	o, secs, err := parse(out, host)
	if err != nil {
		return nil, err
	}
	return append([]discovery.Observation{o}, local.GuestObservations(o.Key, guests(secs))...), nil
}

func parse(out []byte, host string) (discovery.Observation, sections, error) {
	secs, err := split(out)
	if err != nil {
		return discovery.Observation{}, nil, fmt.Errorf("parsing the ssh inventory of %s: %w", textclip.Message(host), err)
	}
	b := &builder{o: discovery.Observation{
		Key:    "ssh " + host,
		Kind:   discovery.KindServer,
		Fields: map[string]string{},
		Facts:  map[string]string{},
	}, ids: map[string]bool{}}
	b.names(secs)
	b.machine(secs)
	b.osRelease(secs.get("os-release"))
	b.kernel(secs.get("kernel"))
	b.cpu(secs)
	b.memory(secs.get("memory"))
	b.virt(secs)
	b.disks(secs)
	b.filesystems(secs)
	b.network(secs)
	b.routes(secs)
	b.ports(secs)
	b.packages(secs)
	b.memoryModules(secs.get("smbios17"))
	b.pci(secs)
	b.fact("dns.servers", strings.Join(local.ParseResolvConf([]byte(secs.get("resolv"))), ","))
	o := b.o
	if o.Name == "" {
		o.Name = host
	}
	if len(o.Fields) == 0 {
		o.Fields = nil
	}
	if len(o.Facts) == 0 {
		o.Facts = nil
	}
	for _, p := range completePrefixes {
		if b.complete[p] {
			o.CompleteFacts = append(o.CompleteFacts, p)
		}
	}
	return o, secs, nil
}

// sections are the script's output by section name.
type sections map[string]string

func (s sections) get(name string) string { return s[name] }

func (s sections) has(name string) bool {
	_, ok := s[name]
	return ok
}

// split cuts the output into its sections.
func split(out []byte) (sections, error) {
	secs := sections{}
	nonce, cur := "", ""
	var body []string
	flush := func() {
		if cur != "" {
			if _, dup := secs[cur]; !dup {
				secs[cur] = strings.TrimSpace(strings.Join(body, "\n"))
			}
		}
		body = body[:0]
	}
	for len(out) > 0 {
		var line []byte
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			line, out = out, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if n, name, ok := marker(line); ok && (nonce == "" || n == nonce) {
			flush()
			nonce, cur = n, name
			if name == "end" {
				return secs, nil
			}
			continue
		}
		if cur != "" {
			body = append(body, string(line))
		}
	}
	if nonce == "" {
		return nil, errors.New(`no inventory sections in the output (want lines "@@cairn:NONCE:NAME@@"; is the login shell printing instead of running "sh -s"?)`)
	}
	return nil, fmt.Errorf("the output ends in section %q, before the end marker: cut short", cur)
}

// marker parses a line "@@cairn:NONCE:NAME@@".
func marker(line []byte) (nonce, name string, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte("@@cairn:"))
	if !ok {
		return "", "", false
	}
	rest, ok = bytes.CutSuffix(rest, []byte("@@"))
	if !ok {
		return "", "", false
	}
	n, nm, ok := bytes.Cut(rest, []byte(":"))
	if !ok || !word(n, 64) || !word(nm, 32) {
		return "", "", false
	}
	return string(n), string(nm), true
}

// word reports whether b is 1 to max letters, digits, '-' or '_'.
func word(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// builder accumulates one observation.
type builder struct {
	o        discovery.Observation
	ids      map[string]bool // "KIND value" already added
	complete map[string]bool
}

// id adds an identifier when raw normalises.
func (b *builder) id(kind ident.Kind, raw string) {
	v, err := ident.Normalize(kind, raw)
	if err != nil {
		return
	}
	if k := string(kind) + " " + v; !b.ids[k] {
		b.ids[k] = true
		b.o.Identifiers = append(b.o.Identifiers, discovery.Identifier{Kind: kind, Value: v})
	}
}

// fact sets a fact; an empty value, or a key or value that is not clean
// text, is dropped.
func (b *builder) fact(key, value string) {
	value = discovery.CleanFactValue(value)
	if value == "" || !discovery.CleanFactKey(key) {
		return
	}
	b.o.Facts[key] = value
}

func (b *builder) setComplete(prefix string) {
	if b.complete == nil {
		b.complete = map[string]bool{}
	}
	b.complete[prefix] = true
}

// nameOK reports whether s can stand in a fact key as an interface, disk,
// mount point or package name.
func nameOK(s string) bool {
	return s != "" && discovery.CleanFactKey(s) && strings.TrimSpace(s) == s
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// keyValues parses "key=value" lines; the first of a key wins.
func keyValues(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, dup := m[k]; !dup {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// names sets the host and domain names.
func (b *builder) names(secs sections) {
	h := firstLine(secs.get("hostname"))
	if i := strings.IndexAny(h, " \t"); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if _, err := netip.ParseAddr(h); err == nil {
		h = "" // an address is no name
	}
	fqdn := ""
	if strings.Contains(h, ".") {
		fqdn = h
	}
	if f := strings.Fields(firstLine(secs.get("fqdn"))); len(f) > 0 {
		if c := strings.TrimSuffix(f[0], "."); strings.Contains(c, ".") && ident.ValidFQDN(c) && !localName(c) {
			fqdn = c
		}
	}
	short := ident.ShortName(h)
	if short == "" && fqdn != "" {
		short = ident.ShortName(fqdn)
	}
	if ident.ValidHostname(short) && !localName(short) {
		v, _ := ident.Normalize(ident.Hostname, short)
		b.o.Fields["hostname"] = v
		b.o.Name = v
		b.id(ident.Hostname, v)
	}
	if fqdn != "" && ident.ValidFQDN(fqdn) && !localName(fqdn) {
		v, _ := ident.Normalize(ident.FQDN, fqdn)
		b.o.Fields["fqdn"] = v
		b.id(ident.FQDN, v)
	}
}

// localName reports whether a host name names every host: localhost,
// localhost.localdomain and the like.
func localName(s string) bool {
	s = strings.ToLower(s)
	first, rest, _ := strings.Cut(s, ".")
	return first == "localhost" || first == "localhost4" || first == "localhost6" ||
		rest == "localdomain" || rest == "localdomain4" || rest == "localdomain6" || s == "(none)"
}

// machine sets the machine-id and DMI identity.
func (b *builder) machine(secs sections) {
	if id := firstLine(secs.get("machine-id")); len(id) == 32 {
		b.id(ident.UUID, id[:8]+"-"+id[8:12]+"-"+id[12:16]+"-"+id[16:20]+"-"+id[20:])
	}
	dmi := keyValues(secs.get("dmi"))
	if v := dmi["product_uuid"]; v != "" {
		b.id(ident.UUID, v)
	}
	if v := strings.TrimSpace(dmi["product_serial"]); v != "" && !ident.IsPlaceholderSerial(v) {
		if n, err := ident.Normalize(ident.Serial, v); err == nil {
			b.o.Fields["serial_number"] = n
			b.id(ident.Serial, n)
		}
	}
	b.fact("dmi.vendor", dmi["sys_vendor"])
	b.fact("dmi.product", dmi["product_name"])
	b.fact("bios.vendor", dmi["bios_vendor"])
	b.fact("bios.version", dmi["bios_version"])
	b.fact("bios.date", local.ISODate(dmi["bios_date"]))
	b.fact("board.vendor", dmi["board_vendor"])
	b.fact("board.product", dmi["board_name"])
	b.fact("board.serial", dmi["board_serial"])
	if tag := discovery.CleanFactValue(dmi["chassis_asset_tag"]); tag != "" {
		b.fact("dmi.asset_tag", tag)
		b.id(ident.AssetTag, tag)
	}
}

// osRelease parses /etc/os-release (os-release(5): shell-style assignments).
func (b *builder) osRelease(s string) {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		if _, dup := m[k]; !dup {
			m[k] = unquote(v)
		}
	}
	b.fact("os.id", m["ID"])
	b.fact("os.id_like", m["ID_LIKE"])
	b.fact("os.name", m["NAME"])
	b.fact("os.version", m["VERSION_ID"])
	b.fact("os.pretty_name", m["PRETTY_NAME"])
}

// unquote reads a shell-quoted os-release value.
func unquote(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	switch v[0] {
	case '\'':
		if i := strings.IndexByte(v[1:], '\''); i >= 0 {
			return v[1 : 1+i]
		}
		return v[1:]
	case '"':
		var sb strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"':
				return sb.String()
			case c == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0:
				i++
				sb.WriteByte(v[i])
			default:
				sb.WriteByte(c)
			}
		}
		return sb.String()
	}
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		v = v[:i]
	}
	return v
}

// kernel reads "uname -r -m": the release and machine, on one line or
// two.
func (b *builder) kernel(s string) {
	f := strings.Fields(s)
	if len(f) > 0 {
		b.fact("kernel.release", f[0])
	}
	if len(f) > 1 {
		b.fact("kernel.arch", f[1])
	}
}

// lscpuEntry is one entry of "lscpu -J": flat before util-linux 2.37 and
// since 2.38 when not on a terminal, nested in 2.37.
type lscpuEntry struct {
	Field    string       `json:"field"`
	Data     any          `json:"data"`
	Children []lscpuEntry `json:"children"`
}

// cpu sets the processor facts from lscpu (JSON or text) or /proc/cpuinfo.
func (b *builder) cpu(secs sections) {
	fields := map[string]string{}
	set := func(k, v string) {
		k = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(k), ":"))
		if _, dup := fields[k]; !dup {
			fields[k] = strings.TrimSpace(v)
		}
	}
	s := secs.get("cpu")
	if strings.HasPrefix(s, "{") {
		var doc struct {
			Lscpu []lscpuEntry `json:"lscpu"`
		}
		if json.Unmarshal([]byte(s), &doc) == nil {
			var walk func([]lscpuEntry, int)
			walk = func(es []lscpuEntry, depth int) {
				if depth > 8 {
					return
				}
				for _, e := range es {
					if d, ok := e.Data.(string); ok {
						set(e.Field, d)
					}
					walk(e.Children, depth+1)
				}
			}
			walk(doc.Lscpu, 0)
		}
	} else {
		for _, l := range strings.Split(s, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				set(k, v)
			}
		}
	}
	if ci := secs.get("cpuinfo"); ci != "" && len(fields) == 0 {
		n := 0
		sockets := map[string]bool{}
		for _, l := range strings.Split(ci, "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "processor":
				n++
			case "model name":
				set("Model name", v)
			case "physical id":
				sockets[strings.TrimSpace(v)] = true
			}
		}
		if c := local.CPUInfoCores([]byte(ci)); c > 0 {
			set("Core(s) in all", strconv.Itoa(c))
		}
		if n > 0 {
			set("CPU(s)", strconv.Itoa(n))
		}
		if len(sockets) > 0 {
			set("Socket(s)", strconv.Itoa(len(sockets)))
		}
	}
	b.fact("cpu.model", fields["Model name"])
	b.fact("cpu.count", number(fields["CPU(s)"]))
	b.fact("cpu.sockets", number(fields["Socket(s)"]))
	cores := number(fields["Core(s) in all"])
	if perSocket, sockets := number(fields["Core(s) per socket"]), number(fields["Socket(s)"]); cores == "" && perSocket != "" && sockets != "" {
		p, _ := strconv.ParseUint(perSocket, 10, 32)
		n, _ := strconv.ParseUint(sockets, 10, 32)
		if p > 0 && n > 0 {
			cores = strconv.FormatUint(p*n, 10)
		}
	}
	b.fact("cpu.cores", cores)
}

// number returns s when it is a decimal number, else "".
func number(s string) string {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

func (b *builder) memory(s string) {
	for _, l := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(k) != "MemTotal" {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || n > math.MaxUint64/1024 {
			return
		}
		if len(f) > 1 && !strings.EqualFold(f[1], "kB") {
			return
		}
		b.fact("memory.total_bytes", strconv.FormatUint(n*1024, 10))
		return
	}
}

// hypervisors maps DMI vendor or product names to systemd-detect-virt's
// names, for hosts without systemd-detect-virt.
var hypervisors = []struct{ match, name string }{
	{"vmware", "vmware"},
	{"virtualbox", "oracle"},
	{"innotek", "oracle"},
	{"kvm", "kvm"},
	{"qemu", "qemu"},
	{"microsoft corporation virtual machine", "microsoft"},
	{"hvm domu", "xen"},
	{"xen", "xen"},
	{"amazon ec2", "amazon"},
	{"google compute engine", "google"},
	{"bhyve", "bhyve"},
	{"parallels", "parallels"},
}

// virt sets "virtualization", "container" and the kind.
func (b *builder) virt(secs sections) {
	m := keyValues(secs.get("virt"))
	vm := m["vm"]
	if vm == "" || strings.ContainsAny(vm, " \t") {
		vm = ""
		dmi := keyValues(secs.get("dmi"))
		id := strings.ToLower(dmi["sys_vendor"] + " " + dmi["product_name"])
		for _, h := range hypervisors {
			if strings.Contains(id, h.match) {
				vm = h.name
				break
			}
		}
		if vm == "" && m["cpuflag"] == "hypervisor" {
			vm = "vm"
		}
	}
	b.fact("virtualization", vm)
	if vm != "" && vm != "none" {
		b.o.Kind = discovery.KindVM
	}
	c := m["container"]
	if c == "" {
		c = m["file"]
	}
	if c != "none" {
		b.fact("container", c)
	}
}

// disks sets a fact per whole disk, from lsblk -J or -P.
func (b *builder) disks(secs sections) {
	s := secs.get("disks")
	var devs []map[string]string
	if strings.HasPrefix(s, "{") {
		var doc struct {
			Blockdevices []map[string]any `json:"blockdevices"`
		}
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if d.Decode(&doc) != nil {
			return
		}
		for _, bd := range doc.Blockdevices {
			m := map[string]string{}
			for k, v := range bd {
				switch t := v.(type) {
				case string:
					m[strings.ToLower(k)] = t
				case json.Number:
					m[strings.ToLower(k)] = t.String()
				}
			}
			devs = append(devs, m)
		}
	} else {
		for _, l := range strings.Split(s, "\n") {
			if m := pairs(l); len(m) > 0 {
				devs = append(devs, m)
			}
		}
	}
	n := 0
	for _, d := range devs {
		name := strings.TrimSpace(d["name"])
		if d["type"] != "disk" || !nameOK(name) || strings.HasPrefix(name, "loop") ||
			strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		size := number(d["size"])
		if size == "" || size == "0" {
			continue
		}
		n++
		p := "disk." + name + "."
		b.fact(p+"size_bytes", size)
		b.fact(p+"model", d["model"])
		if sn := strings.TrimSpace(d["serial"]); !ident.IsPlaceholderSerial(sn) {
			b.fact(p+"serial", sn)
		}
	}
	if n > 0 {
		b.setComplete("disk.")
	}
}

// pairs parses a line of lsblk -P: KEY="value" pairs, with unsafe bytes
// written \xHH.
func pairs(l string) map[string]string {
	m := map[string]string{}
	for {
		l = strings.TrimLeft(l, " \t")
		k, rest, ok := strings.Cut(l, `="`)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return m
		}
		v, after, ok := strings.Cut(rest, `"`)
		if !ok {
			return m
		}
		m[strings.ToLower(k)] = unescapeHex(v)
		l = after
	}
}

// unescapeHex decodes the \xHH escapes of lsblk -P.
func unescapeHex(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				sb.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// realFS are the file system types of local disks.
var realFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true,
	"vfat": true, "exfat": true, "ntfs": true, "ntfs3": true, "f2fs": true, "jfs": true,
	"reiserfs": true, "bcachefs": true, "hfsplus": true, "nilfs2": true, "ufs": true,
}

// filesystems sets a fact per local disk file system, from df and
// /proc/mounts.
func (b *builder) filesystems(secs sections) {
	types := map[string]string{}
	for _, l := range strings.Split(secs.get("mounts"), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 {
			types[unescapeOctal(f[1])] = f[2]
		}
	}
	lines := strings.Split(secs.get("df"), "\n")
	if len(types) == 0 || len(lines) < 2 {
		return
	}
	head := strings.Fields(lines[0])
	if len(head) < 2 {
		return
	}
	unit, ok := blockSize(head[1])
	if !ok {
		return
	}
	rows := 0
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		blocks, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || blocks > math.MaxUint64/unit {
			continue
		}
		rows++
		mp := strings.Join(f[5:], " ")
		t := types[mp]
		if !realFS[t] || !nameOK(mp) || !strings.HasPrefix(mp, "/") {
			continue
		}
		b.fact("fs."+mp+".size_bytes", strconv.FormatUint(blocks*unit, 10))
		b.fact("fs."+mp+".type", t)
	}
	if rows > 0 {
		b.setComplete("fs.")
	}
}

// blockSize reads df's column header "1-blocks", "1024-blocks", "1K-blocks".
func blockSize(h string) (uint64, bool) {
	n, ok := strings.CutSuffix(h, "-blocks")
	if !ok {
		return 0, false
	}
	mult := uint64(1)
	switch {
	case strings.HasSuffix(n, "K"):
		mult, n = 1024, strings.TrimSuffix(n, "K")
	case strings.HasSuffix(n, "M"):
		mult, n = 1<<20, strings.TrimSuffix(n, "M")
	}
	v, err := strconv.ParseUint(n, 10, 32)
	if err != nil || v == 0 {
		return 0, false
	}
	return v * mult, true
}

// unescapeOctal decodes the \NNN escapes of /proc/mounts.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				sb.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// iface is a network interface as ip or /sys report it.
type iface struct {
	mac, permMAC string
	loopback     bool
	addrs        []ifaddr
}

type ifaddr struct {
	prefix    netip.Prefix
	global    bool // scope global
	temporary bool
}

// ipAddr is one interface of "ip -j addr".
type ipAddr struct {
	Ifname   string   `json:"ifname"`
	LinkType string   `json:"link_type"`
	Address  string   `json:"address"`
	Permaddr string   `json:"permaddr"`
	Flags    []string `json:"flags"`
	AddrInfo []struct {
		Local     string `json:"local"`
		Prefixlen int    `json:"prefixlen"`
		Scope     string `json:"scope"`
		Temporary bool   `json:"temporary"`
	} `json:"addr_info"`
}

// bridged are name prefixes of interfaces whose addresses many hosts share
// (container and VM bridges): not identifiers.
var bridged = []string{"docker", "br-", "virbr", "veth", "cni", "flannel", "cali", "podman", "lxcbr", "lxdbr", "kube-", "weave", "cilium"}

// network sets the interface facts and the MAC and IP identifiers.
func (b *builder) network(secs sections) {
	ifs := map[string]*iface{}
	get := func(name string) *iface {
		if i := strings.IndexByte(name, '@'); i > 0 {
			name = name[:i]
		}
		if ifs[name] == nil {
			ifs[name] = &iface{}
		}
		return ifs[name]
	}
	// The interfaces are known in full when ip's output was read, or
	// when there is no ip and /sys/class/net was read.
	ipRead, sysRead := false, false
	s := secs.get("ip")
	if strings.HasPrefix(s, "[") {
		var doc []ipAddr
		if json.Unmarshal([]byte(s), &doc) == nil {
			ipRead = true
			for _, a := range doc {
				if !nameOK(a.Ifname) {
					continue
				}
				i := get(a.Ifname)
				i.loopback = a.LinkType == "loopback" || hasFlag(a.Flags, "LOOPBACK")
				if a.LinkType == "ether" || a.LinkType == "" {
					i.mac = a.Address
					i.permMAC = a.Permaddr
				}
				for _, ai := range a.AddrInfo {
					addr, err := netip.ParseAddr(ai.Local)
					if err != nil || ai.Prefixlen < 0 || ai.Prefixlen > addr.BitLen() {
						continue
					}
					i.addrs = append(i.addrs, ifaddr{netip.PrefixFrom(addr, ai.Prefixlen), ai.Scope == "global", ai.Temporary})
				}
			}
		}
	} else if s != "" {
		// ip -o addr: "2: eth0    inet 10.0.0.5/24 brd … scope global eth0\ …"
		for _, l := range strings.Split(s, "\n") {
			f := strings.Fields(l)
			if len(f) < 4 || !strings.HasSuffix(f[0], ":") || (f[2] != "inet" && f[2] != "inet6") || !nameOK(f[1]) {
				continue
			}
			p, err := netip.ParsePrefix(f[3])
			if err != nil {
				continue
			}
			ipRead = true
			a := ifaddr{prefix: p}
			for j := 4; j < len(f); j++ {
				switch f[j] {
				case "scope":
					a.global = j+1 < len(f) && f[j+1] == "global"
				case "temporary":
					a.temporary = true
				}
			}
			i := get(f[1])
			i.addrs = append(i.addrs, a)
			if p.Addr().IsLoopback() {
				i.loopback = true
			}
		}
	}
	// /sys/class/net: every interface's MAC, for "ip -o" and hosts
	// without ip.
	for _, l := range strings.Split(secs.get("sysnet"), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		name, ok := strings.CutPrefix(f[0], "/sys/class/net/")
		if !ok || !nameOK(name) || strings.Contains(name, "/") {
			continue
		}
		sysRead = true
		i := get(name)
		if i.mac == "" {
			i.mac = f[1]
		}
		if name == "lo" {
			i.loopback = true
		}
	}
	names := make([]string, 0, len(ifs))
	for n := range ifs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		i := ifs[n]
		if i.loopback || n == "lo" {
			continue
		}
		p := "net." + n + "."
		if mac, err := ident.Normalize(ident.MAC, i.mac); err == nil {
			b.fact(p+"mac", mac)
			b.id(ident.MAC, mac)
		}
		if i.permMAC != "" {
			b.id(ident.MAC, i.permMAC)
		}
		var cidrs []string
		shared := false
		for _, pre := range bridged {
			shared = shared || strings.HasPrefix(n, pre)
		}
		for _, a := range i.addrs {
			if a.temporary {
				continue
			}
			cidrs = append(cidrs, a.prefix.String())
			ad := a.prefix.Addr()
			if a.global && !shared && ad.IsGlobalUnicast() && !ad.IsLinkLocalUnicast() && !ad.IsLoopback() {
				b.id(ident.IP, ad.String())
			}
		}
		sort.Strings(cidrs)
		cidrs = compact(cidrs)
		b.fact(p+"addrs", strings.Join(cidrs, ","))
	}
	if ipRead || s == "" && sysRead {
		b.setComplete("net.")
	}
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// compact removes adjacent duplicates from a sorted slice.
func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// route is one route of "ip -j route".
type route struct {
	Dst     string `json:"dst"`
	Gateway string `json:"gateway"`
	Metric  *int64 `json:"metric"`
}

// routes sets the default gateways.
func (b *builder) routes(secs sections) {
	b.fact("route.default", gateway(secs.get("routes")))
	b.fact("route.default6", gateway(secs.get("routes6")))
}

// gateway returns the gateway of the default route of least metric, from
// "ip -j route" or "ip route".
func gateway(s string) string {
	var rs []route
	if strings.HasPrefix(s, "[") {
		if json.Unmarshal([]byte(s), &rs) != nil {
			return ""
		}
	} else {
		for _, l := range strings.Split(s, "\n") {
			f := strings.Fields(l)
			if len(f) == 0 {
				continue
			}
			r := route{Dst: f[0]}
			for j := 1; j+1 < len(f); j++ {
				switch f[j] {
				case "via":
					r.Gateway = f[j+1]
				case "metric":
					if m, err := strconv.ParseInt(f[j+1], 10, 64); err == nil {
						r.Metric = &m
					}
				}
			}
			rs = append(rs, r)
		}
	}
	best, bestMetric := "", int64(math.MaxInt64)
	for _, r := range rs {
		if r.Dst != "default" && r.Dst != "0.0.0.0/0" && r.Dst != "::/0" {
			continue
		}
		a, err := netip.ParseAddr(r.Gateway)
		if err != nil {
			continue
		}
		m := int64(0)
		if r.Metric != nil {
			m = *r.Metric
		}
		if best == "" || m < bestMetric {
			best, bestMetric = a.String(), m
		}
	}
	return best
}

// ports sets a fact per listening port, from ss or /proc/net.
func (b *builder) ports(secs sections) {
	var tcp, udp []int
	tcp = append(ssPorts(secs.get("tcp")), procPorts(secs.get("proc-tcp"), "0A")...)
	udp = append(ssPorts(secs.get("udp")), procPorts(secs.get("proc-udp"), "07")...)
	complete := secs.has("tcp") && secs.has("udp") || secs.has("proc-tcp") && secs.has("proc-udp")
	for _, p := range tcp {
		b.fact("listen.tcp."+strconv.Itoa(p), "listening")
	}
	for _, p := range udp {
		b.fact("listen.udp."+strconv.Itoa(p), "listening")
	}
	// The SSH server listens on something: no TCP port at all means the
	// tool failed, not that every port closed.
	if complete && len(tcp) > 0 {
		b.setComplete("listen.")
	}
}

// ssPorts reads the local ports of "ss -ltn"/"ss -lun" lines.
func ssPorts(s string) []int {
	var out []int
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		local := f[3]
		i := strings.LastIndexByte(local, ':')
		if i < 0 {
			continue
		}
		if p, ok := port(local[i+1:], 10); ok {
			out = append(out, p)
		}
	}
	return out
}

// procPorts reads the local ports of /proc/net/tcp or udp lines in state st.
func procPorts(s, st string) []int {
	var out []int
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || f[3] != st {
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			continue
		}
		if p, ok := port(f[1][i+1:], 16); ok {
			out = append(out, p)
		}
	}
	return out
}

func port(s string, base int) (int, bool) {
	n, err := strconv.ParseUint(s, base, 16)
	if err != nil || n == 0 {
		return 0, false
	}
	return int(n), true
}

// packages sets the package facts from dpkg or rpm: "package.<name>" as
// it always was (the versions, sorted, each once), and
// "package_arch.<name>" when the output has the architecture column (see
// local.PackageFacts).
func (b *builder) packages(secs sections) {
	dpkg, dOK, dArch := dpkgPackages(secs)
	rpm, rOK, rArch := rpmPackages(secs)
	manager, pkgs, arch := "", []local.Package(nil), false
	switch {
	case dOK && (!rOK || local.PreferDpkg(b.o.Facts["os.id"], b.o.Facts["os.id_like"], names(dpkg), names(rpm))):
		manager, pkgs, arch = "dpkg", dpkg, dArch
	case rOK:
		manager, pkgs, arch = "rpm", rpm, rArch
	}
	if len(pkgs) == 0 {
		return
	}
	b.fact("packages.manager", manager)
	n := 0
	for name, v := range local.PackageFacts(pkgs) {
		if !nameOK(name) || strings.ContainsAny(name, " \t") {
			continue
		}
		b.fact("package."+name, v[0])
		if arch {
			b.fact("package_arch."+name, v[1])
		}
		n++
	}
	b.fact("packages.count", strconv.Itoa(n))
	b.setComplete("package.")
	if arch {
		b.setComplete("package_arch.")
	}
}

// names counts the distinct package names.
func names(pkgs []local.Package) int {
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.Name] = true
	}
	return len(seen)
}

// dpkgPackages reads "dpkg-query -W -f
// '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n'" (and the
// output of version 1 of the script, without the architecture): installed
// packages only. Lines without the status column count as installed. arch
// says the architecture column was there.
func dpkgPackages(secs sections) (pkgs []local.Package, ok, arch bool) {
	if !secs.has("dpkg") {
		return nil, false, false
	}
	for _, l := range strings.Split(secs.get("dpkg"), "\n") {
		f := strings.Split(l, "\t")
		if len(f) >= 3 && statusAbbrev(f[0]) {
			if f[0][1] != 'i' {
				continue
			}
			f = f[1:]
		}
		if len(f) != 2 && len(f) != 3 {
			continue
		}
		p := local.Package{Name: strings.TrimSpace(f[0]), Version: strings.TrimSpace(f[1])}
		if len(f) == 3 {
			p.Arch = strings.TrimSpace(f[2])
			arch = true
		}
		if p.Name != "" && p.Version != "" {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, len(pkgs) > 0, arch
}

// statusAbbrev reports whether s is dpkg's ${db:Status-Abbrev}: the
// wanted state (u, i, h, r, p), the current state (n, i, c, U, F, h, W,
// t) and the error flag (R or a space).
func statusAbbrev(s string) bool {
	return len(s) == 3 && strings.IndexByte("uihrp", s[0]) >= 0 &&
		strings.IndexByte("nicUFhWt", s[1]) >= 0 && (s[2] == ' ' || s[2] == 'R')
}

// rpmPackages reads "rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n'"
// (and version 1's output, without %{ARCH}), without the gpg-pubkey
// pseudo-packages. arch says the architecture column was there.
func rpmPackages(secs sections) (pkgs []local.Package, ok, arch bool) {
	if !secs.has("rpm") {
		return nil, false, false
	}
	pkgs = local.ParseRPMList([]byte(secs.get("rpm")))
	for _, l := range strings.Split(secs.get("rpm"), "\n") {
		if strings.Count(l, "\t") == 2 {
			arch = true
			break
		}
	}
	return pkgs, len(pkgs) > 0, arch
}

// memoryModules sets the memory module facts from the SMBIOS type 17
// entries, each a line "<entry directory> <hexadecimal bytes>" (od -tx1).
func (b *builder) memoryModules(s string) {
	var mods []local.MemoryModule
	read := false
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.Contains(f[0], "/17-") {
			continue
		}
		raw := make([]byte, 0, len(f)-1)
		ok := true
		for _, h := range f[1:] {
			v, err := strconv.ParseUint(h, 16, 8)
			if err != nil || len(h) != 2 {
				ok = false
				break
			}
			raw = append(raw, byte(v))
		}
		if !ok {
			continue
		}
		read = true
		if m, populated := local.ParseMemoryDevice(raw); populated {
			mods = append(mods, m)
		}
	}
	for i, slot := range local.MemorySlots(mods) {
		m, p := mods[i], "memory.module."+slot+"."
		b.fact(p+"size_bytes", strconv.FormatUint(m.SizeBytes, 10))
		b.fact(p+"type", m.Type)
		if m.SpeedMTs > 0 {
			b.fact(p+"speed_mts", strconv.FormatUint(uint64(m.SpeedMTs), 10))
		}
		b.fact(p+"manufacturer", m.Manufacturer)
		b.fact(p+"serial", m.Serial)
	}
	if read {
		b.setComplete("memory.module.")
	}
}

// pci sets the PCI device facts from lines "<slot> <vendor> <device>
// <class>" of /sys/bus/pci/devices ("0x8086"…).
func (b *builder) pci(secs sections) {
	n := 0
	for _, l := range strings.Split(secs.get("pci"), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || !nameOK(f[0]) {
			continue
		}
		vendor, device, class := hexID(f[1], 4), hexID(f[2], 4), hexID(f[3], 6)
		if vendor == "" || device == "" {
			continue
		}
		n++
		p := "pci." + f[0] + "."
		b.fact(p+"vendor", vendor)
		b.fact(p+"product", device)
		if class != "" {
			b.fact(p+"class", class[:4])
		}
	}
	if n > 0 {
		b.setComplete("pci.")
	}
}

// hexID reads "0x8086" as "8086", zero-padded to digits; "" when it is not
// a hexadecimal number of at most that many digits.
func hexID(s string, digits int) string {
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil || len(s) > digits {
		return ""
	}
	return fmt.Sprintf("%0*x", digits, n)
}

// guests reads the libvirt, Docker and LXC sections.
func guests(secs sections) []local.Guest {
	var out []local.Guest
	info := map[string][2]uint64{} // UUID → vCPUs, memory
	for _, block := range strings.Split(secs.get("virsh-dominfo"), "\n\n") {
		kv := map[string]string{}
		for _, l := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		u, err := ident.Normalize(ident.UUID, kv["UUID"])
		if err != nil {
			continue
		}
		v, m := local.ParseVirshDominfo([]byte(block))
		info[u] = [2]uint64{uint64(v), m}
	}
	for _, g := range local.ParseVirshList([]byte(secs.get("virsh"))) {
		if i, ok := info[g.UUID]; ok && g.UUID != "" {
			g.VCPUs, g.MemoryBytes = int(i[0]), i[1]
		}
		out = append(out, g)
	}
	for _, l := range strings.Split(secs.get("docker"), "\n") {
		id, names, _ := strings.Cut(strings.TrimSpace(l), "\t")
		name := ""
		for _, n := range strings.Split(names, ",") {
			if n = strings.TrimPrefix(strings.TrimSpace(n), "/"); n != "" && !strings.Contains(n, "/") {
				name = n
				break
			}
		}
		if name == "" && len(id) >= 12 {
			name = id[:12]
		}
		if name != "" {
			out = append(out, local.Guest{Type: "docker", Name: name})
		}
	}
	var lxc *local.Guest
	var conf strings.Builder
	flush := func() {
		if lxc != nil {
			lxc.VCPUs, lxc.MemoryBytes = local.ParseLXCConfig([]byte(conf.String()))
			out = append(out, *lxc)
		}
		lxc = nil
		conf.Reset()
	}
	for _, l := range strings.Split(secs.get("lxc"), "\n") {
		if name, ok := strings.CutPrefix(l, "name="); ok {
			flush()
			if name = strings.TrimSpace(name); name != "" {
				lxc = &local.Guest{Type: "lxc", Name: name}
			}
			continue
		}
		conf.WriteString(l + "\n")
	}
	flush()
	// Names come from the host: clean, and not too long for a CI name.
	clean := out[:0]
	for _, g := range out {
		g.Name = discovery.CleanFactValue(g.Name)
		if g.Name != "" && len(g.Name) <= 255 && len(clean) < 10000 {
			clean = append(clean, g)
		}
	}
	return clean
}
