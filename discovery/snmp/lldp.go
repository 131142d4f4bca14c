package snmp

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// LLDP-MIB (IEEE 802.1AB, 1.0.8802.1.1.2) OIDs: only the columns the
// neighbour mapping uses (CISCO-CDP-MIB's are in cdp.go).
const (
	oidLldpLocChassisIDSubtype = ".1.0.8802.1.1.2.1.3.1.0"
	oidLldpLocChassisID        = ".1.0.8802.1.1.2.1.3.2.0"

	// lldpLocPortTable, index lldpLocPortNum.
	oidLldpLocPortEntry     = ".1.0.8802.1.1.2.1.3.7.1"
	oidLldpLocPortIDSubtype = oidLldpLocPortEntry + ".2"
	oidLldpLocPortID        = oidLldpLocPortEntry + ".3"
	oidLldpLocPortDesc      = oidLldpLocPortEntry + ".4"

	// lldpRemTable, index lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex.
	oidLldpRemEntry            = ".1.0.8802.1.1.2.1.4.1.1"
	oidLldpRemChassisIDSubtype = oidLldpRemEntry + ".4"
	oidLldpRemChassisID        = oidLldpRemEntry + ".5"
	oidLldpRemPortIDSubtype    = oidLldpRemEntry + ".6"
	oidLldpRemPortID           = oidLldpRemEntry + ".7"
	oidLldpRemPortDesc         = oidLldpRemEntry + ".8"
	oidLldpRemSysName          = oidLldpRemEntry + ".9"
	oidLldpRemSysDesc          = oidLldpRemEntry + ".10"
	oidLldpRemSysCapSupported  = oidLldpRemEntry + ".11"
	oidLldpRemSysCapEnabled    = oidLldpRemEntry + ".12"

	// lldpRemManAddrTable, index lldpRemTimeMark.lldpRemLocalPortNum.
	// lldpRemIndex.lldpRemManAddrSubtype.lldpRemManAddr: the address is in
	// the index (length-prefixed octets), so one column that every row has
	// is enough.
	oidLldpRemManAddrIfSubtype = ".1.0.8802.1.1.2.1.4.2.1.3"
)

// neighbourTables are the LLDP and CDP tables walked when neighbours are
// asked for, after the tables of tables().
func neighbourTables() []table {
	return []table{
		{"lldpLocPortTable", []string{oidLldpLocPortIDSubtype, oidLldpLocPortID, oidLldpLocPortDesc}},
		{"lldpRemTable", []string{oidLldpRemChassisIDSubtype, oidLldpRemChassisID, oidLldpRemPortIDSubtype,
			oidLldpRemPortID, oidLldpRemPortDesc, oidLldpRemSysName, oidLldpRemSysDesc,
			oidLldpRemSysCapSupported, oidLldpRemSysCapEnabled}},
		{"lldpRemManAddrTable", []string{oidLldpRemManAddrIfSubtype}},
		{"cdpCacheTable", []string{oidCdpCacheDeviceID, oidCdpCacheAddressType, oidCdpCacheAddress,
			oidCdpCacheDevicePort, oidCdpCachePlatform, oidCdpCacheCapabilities}},
	}
}

// neighbourScalars are read with the system group: the local LLDP chassis
// ID and whether CDP runs.
func neighbourScalars() []string {
	return []string{oidLldpLocChassisIDSubtype, oidLldpLocChassisID, oidCdpGlobalRun}
}

// The protocols a link is seen by.
const (
	ProtocolLLDP = "lldp"
	ProtocolCDP  = "cdp"
)

// Link is one cable between a local port of the walked device and a port of
// a neighbour, as LLDP or CDP reports it.
type Link struct {
	Protocol              string // ProtocolLLDP or ProtocolCDP
	LocalPort             string // local interface name
	LocalPortDescription  string // LLDP lldpLocPortDesc when it says more than the name
	RemotePort            string // the neighbour's port ID (name, MAC or address as text)
	RemotePortDescription string // LLDP lldpRemPortDesc
}

// Neighbour is a device seen by the walked device through LLDP or CDP: all
// the rows of both tables that share an identity (chassis MAC, name,
// management address or serial) are one neighbour.
type Neighbour struct {
	// Key is "neighbour " + the strongest identity: "mac:<chassis MAC>",
	// else "serial:<serial>", else "name:<host name>", else "ip:<address>".
	Key  string
	Name string // sysName or CDP device ID (without a serial in parentheses)
	Kind string // see capabilityKind
	// Identifiers: chassis MAC (LLDP chassis ID subtype macAddress, or a CDP
	// device ID that is a MAC), chassis network address, management
	// addresses, host names from sysName / device ID, CDP serial. Never the
	// MAC of a port.
	Identifiers  []discovery.Identifier
	Capabilities []string // capability names, sorted
	Description  string   // lldpRemSysDesc
	Platform     string   // cdpCachePlatform
	Protocols    []string // the protocols that show it, sorted
	// Links are the cables to it, sorted by local port then remote port; a
	// link both protocols show is one (LLDP's, with its descriptions).
	Links []Link
}

// neighbourWalk gathers the LLDP and CDP rows of one walk.
type neighbourWalk struct {
	locChassisSubtype int64
	locChassis        []byte
	hasLocChassis     bool
	cdpRun            bool
	locPorts          map[uint32]*locPort
	rem               map[[2]uint32]*remRow // (localPortNum, remIndex)
	cdp               map[[2]uint32]*cdpRow // (ifIndex, deviceIndex)
}

type locPort struct {
	subtype  int64
	id, desc string
}

type remRow struct {
	chassisSubtype, portSubtype int64
	chassis, port               []byte
	portDesc, sysName, sysDesc  string
	capSupported, capEnabled    []byte
	manAddrs                    []netip.Addr
}

func newNeighbourWalk() *neighbourWalk {
	return &neighbourWalk{
		locPorts: map[uint32]*locPort{},
		rem:      map[[2]uint32]*remRow{},
		cdp:      map[[2]uint32]*cdpRow{},
	}
}

func (n *neighbourWalk) remRow(k [2]uint32) *remRow {
	if n.rem[k] == nil {
		n.rem[k] = &remRow{}
	}
	return n.rem[k]
}

func (n *neighbourWalk) locPort(i uint32) *locPort {
	if n.locPorts[i] == nil {
		n.locPorts[i] = &locPort{}
	}
	return n.locPorts[i]
}

// remIndex parses timeMark.localPortNum.remIndex (and returns what follows).
func remIndex(idx string) ([2]uint32, []uint32, bool) {
	a, ok := arcs(idx)
	if !ok || len(a) < 3 {
		return [2]uint32{}, nil, false
	}
	return [2]uint32{a[1], a[2]}, a[3:], true
}

func twoIndex(idx string) ([2]uint32, bool) {
	a, ok := arcs(idx)
	if !ok || len(a) != 2 {
		return [2]uint32{}, false
	}
	return [2]uint32{a[0], a[1]}, true
}

// add files one LLDP or CDP value; it reports whether name was one.
func (n *neighbourWalk) add(name string, p *gosnmp.SnmpPDU) bool {
	switch p.Type {
	case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return false
	}
	switch name {
	case oidLldpLocChassisIDSubtype:
		if v, ok := intValue(p); ok {
			n.locChassisSubtype = v
		}
		return true
	case oidLldpLocChassisID:
		if b, ok := bytesValue(p); ok {
			n.locChassis, n.hasLocChassis = b, true
		}
		return true
	case oidCdpGlobalRun:
		if v, ok := intValue(p); ok {
			n.cdpRun = v == 1
		}
		return true
	}
	if strings.HasPrefix(name, ".1.0.8802.1.1.2.1.") {
		n.addLLDP(name, p)
		return true
	}
	if strings.HasPrefix(name, oidCdpCacheEntry+".") {
		n.addCDP(name, p)
		return true
	}
	return false
}

func (n *neighbourWalk) addLLDP(name string, p *gosnmp.SnmpPDU) {
	if idx, ok := column(name, oidLldpLocPortIDSubtype); ok {
		if i, ok := oneIndex(idx); ok {
			if v, ok := intValue(p); ok {
				n.locPort(i).subtype = v
			}
		}
	} else if idx, ok := column(name, oidLldpLocPortID); ok {
		if i, ok := oneIndex(idx); ok {
			if b, ok := bytesValue(p); ok {
				lp := n.locPort(i)
				lp.id = cleanText(b)
			}
		}
	} else if idx, ok := column(name, oidLldpLocPortDesc); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				n.locPort(i).desc = s
			}
		}
	} else if idx, ok := column(name, oidLldpRemManAddrIfSubtype); ok {
		k, rest, ok := remIndex(idx)
		if !ok {
			return
		}
		if a, ok := manAddrIndex(rest); ok {
			r := n.remRow(k)
			r.manAddrs = append(r.manAddrs, a)
		}
	} else if strings.HasPrefix(name, oidLldpRemEntry+".") {
		rest := name[len(oidLldpRemEntry)+1:]
		dot := strings.IndexByte(rest, '.')
		if dot < 0 {
			return
		}
		col, err := strconv.Atoi(rest[:dot])
		if err != nil {
			return
		}
		k, tail, ok := remIndex(rest[dot+1:])
		if !ok || len(tail) != 0 {
			return
		}
		n.addRem(k, col, p)
	}
}

func (n *neighbourWalk) addRem(k [2]uint32, col int, p *gosnmp.SnmpPDU) {
	switch col {
	case 4, 6:
		v, ok := intValue(p)
		if !ok {
			return
		}
		if col == 4 {
			n.remRow(k).chassisSubtype = v
		} else {
			n.remRow(k).portSubtype = v
		}
	case 5, 7, 11, 12:
		b, ok := bytesValue(p)
		if !ok {
			return
		}
		r := n.remRow(k)
		switch col {
		case 5:
			r.chassis = b
		case 7:
			r.port = b
		case 11:
			r.capSupported = b
		case 12:
			r.capEnabled = b
		}
	case 8, 9, 10:
		s, ok := textValue(p)
		if !ok {
			return
		}
		r := n.remRow(k)
		switch col {
		case 8:
			r.portDesc = s
		case 9:
			r.sysName = s
		case 10:
			r.sysDesc = s
		}
	}
}

// manAddrIndex decodes lldpRemManAddrSubtype.lldpRemManAddr from the end of
// a lldpRemManAddrTable index: the address family (1 IPv4, 2 IPv6) then the
// address octets, length-prefixed as the MIB says, or without the length
// as some agents send it (IMPLIED).
func manAddrIndex(a []uint32) (netip.Addr, bool) {
	if len(a) < 2 {
		return netip.Addr{}, false
	}
	family, rest := a[0], a[1:]
	if int(rest[0]) == len(rest)-1 {
		rest = rest[1:]
	}
	b := make([]byte, len(rest))
	for i, v := range rest {
		if v > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(v)
	}
	return familyAddr(family, b)
}

// familyAddr turns an IANA address family number and the address octets
// into an address: 1 IPv4 (4 octets), 2 IPv6 (16 octets).
func familyAddr(family uint32, b []byte) (netip.Addr, bool) {
	switch {
	case family == 1 && len(b) == 4:
		return netip.AddrFrom4([4]byte(b)), true
	case family == 2 && len(b) == 16:
		return netip.AddrFrom16([16]byte(b)).Unmap(), true
	}
	return netip.Addr{}, false
}

// usableIP reports whether a is an address that names one device.
func usableIP(a netip.Addr) bool {
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() &&
		!a.IsUnspecified() && !a.IsInterfaceLocalMulticast()
}

// macText returns a normalised MAC from 6 octets, or from the text form
// some agents send ("00:11:22:33:44:55", "0011.2233.4455"); "" when it is
// neither or a placeholder.
func macText(b []byte) string {
	if len(b) == 6 {
		return macString(b)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < 12 || len(s) > 17 {
		return ""
	}
	v, err := ident.Normalize(ident.MAC, s)
	if err != nil {
		return ""
	}
	return v
}

// portIDText renders an LLDP port or chassis ID of the given subtype as
// text: a MAC (port subtype 3, chassis subtype 4) in its normal form, a
// network address (port 4, chassis 5) as the address, anything else as
// clean text.
func portIDText(b []byte, macSubtype, addrSubtype int64, subtype int64) string {
	switch subtype {
	case macSubtype:
		if m := macText(b); m != "" {
			return m
		}
	case addrSubtype:
		if len(b) > 1 {
			if a, ok := familyAddr(uint32(b[0]), b[1:]); ok {
				return a.String()
			}
		}
	}
	s := cleanText(b)
	if !utf8Printable(s) {
		return hexString(b)
	}
	return s
}

func utf8Printable(s string) bool {
	return !strings.ContainsRune(s, '\uFFFD')
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// lldpCaps names the bits set in an LLDP capabilities map; a value longer
// than 2 octets is not one and yields nothing.
func lldpCaps(b []byte) []string {
	if len(b) == 0 || len(b) > 2 {
		return nil
	}
	// LldpSystemCapabilitiesMap: BITS, bit 0 is the most significant bit
	// of the first octet.
	lldpCapNames := [...]string{"other", "repeater", "bridge", "wlanAccessPoint", "router", "telephone",
		"docsisCableDevice", "station", "customerBridge", "serviceBridge", "twoPortMACRelay"}
	var out []string
	for i, name := range lldpCapNames {
		if i/8 < len(b) && b[i/8]&(0x80>>(i%8)) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// capabilityKind is the CI kind of a neighbour from its capabilities:
//
//	repeater, bridge, switch, source-route bridge, router, WLAN access
//	point, telephone, DOCSIS cable device, customer/service VLAN bridge,
//	two-port MAC relay                              NETWORK_DEVICE
//	station (LLDP) or host (CDP) only               SERVER
//	none known                                      NETWORK_DEVICE
//
// (IGMP, "remotely managed", "cvta" and "other" say nothing of the kind.)
func capabilityKind(caps []string) string {
	station := false
	for _, c := range caps {
		switch c {
		case "station", "host":
			station = true
		case "other", "igmp", "remotelyManaged", "cvta":
		default:
			return discovery.KindNetworkDevice
		}
	}
	if station {
		return discovery.KindServer
	}
	return discovery.KindNetworkDevice
}

// record is one row of lldpRemTable or cdpCacheTable with what identifies
// its device.
type record struct {
	link     Link
	name     string
	mac      string // chassis MAC
	serial   string
	ips      []netip.Addr
	caps     []string
	sysDesc  string
	platform string
}

// tokens are the identity values a record shares with others of the same
// device.
func (r *record) tokens() []string {
	var out []string
	if r.mac != "" {
		out = append(out, "mac:"+r.mac)
	}
	if r.serial != "" {
		out = append(out, "serial:"+r.serial)
	}
	if n := nameToken(r.name); n != "" {
		out = append(out, "name:"+n)
	}
	for _, a := range r.ips {
		out = append(out, "ip:"+a.String())
	}
	return out
}

// nameToken is the lower-case first label of a host name, "" when name is
// not a valid host name or FQDN.
func nameToken(name string) string {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" {
		return ""
	}
	if strings.Contains(name, ".") {
		f, err := ident.Normalize(ident.FQDN, name)
		if err != nil {
			return ""
		}
		name = ident.ShortName(f)
	}
	h, err := ident.Normalize(ident.Hostname, name)
	if err != nil {
		return ""
	}
	return h
}

// neighbours groups the rows of both tables by device. ifNames maps an
// ifIndex to the interface name the observation uses.
func (n *neighbourWalk) neighbours(ifNames map[uint32]string) []Neighbour {
	var recs []*record
	for _, k := range sortedPairs(n.rem) {
		r := n.rem[k]
		rec := &record{link: Link{Protocol: ProtocolLLDP}}
		rec.link.LocalPort, rec.link.LocalPortDescription = n.localPort(k[0], ifNames)
		rec.link.RemotePort = portIDText(r.port, 3, 4, r.portSubtype)
		rec.link.RemotePortDescription = r.portDesc
		rec.name = r.sysName
		rec.sysDesc = r.sysDesc
		switch r.chassisSubtype {
		case 4: // macAddress
			rec.mac = macText(r.chassis)
		case 5: // networkAddress
			if len(r.chassis) > 1 {
				if a, ok := familyAddr(uint32(r.chassis[0]), r.chassis[1:]); ok && usableIP(a) {
					rec.ips = append(rec.ips, a)
				}
			}
		}
		for _, a := range r.manAddrs {
			if usableIP(a) {
				rec.ips = append(rec.ips, a)
			}
		}
		caps := r.capEnabled
		if len(lldpCaps(caps)) == 0 {
			caps = r.capSupported
		}
		rec.caps = lldpCaps(caps)
		recs = append(recs, rec)
	}
	recs = append(recs, n.cdpRecords(ifNames)...)
	return group(recs)
}

// localPort names the local port an LLDP row was received on: lldpLocPortId
// when its subtype says it is an interface name (5), else the interface of
// the same number (lldpLocPortNum is the ifIndex on most agents), else
// lldpLocPortId as text, else lldpLocPortDesc, else the number. The
// description is lldpLocPortDesc when it differs from the name.
func (n *neighbourWalk) localPort(num uint32, ifNames map[uint32]string) (string, string) {
	lp := n.locPorts[num]
	var name string
	switch {
	case lp != nil && lp.subtype == 5 && keyText(lp.id) != "":
		name = keyText(lp.id)
	case ifNames[num] != "":
		name = ifNames[num]
	case lp != nil && lp.subtype != 3 && lp.subtype != 4 && keyText(lp.id) != "":
		name = keyText(lp.id)
	case lp != nil && keyText(lp.desc) != "":
		name = keyText(lp.desc)
	default:
		name = strconv.FormatUint(uint64(num), 10)
	}
	desc := ""
	if lp != nil && lp.desc != name {
		desc = lp.desc
	}
	return name, desc
}

func ifName(i uint32, ifNames map[uint32]string) string {
	if n := ifNames[i]; n != "" {
		return n
	}
	return strconv.FormatUint(uint64(i), 10)
}

func sortedPairs[V any](m map[[2]uint32]V) [][2]uint32 {
	out := make([][2]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// group joins the records that share an identity token into neighbours; a
// record without any is dropped (nothing could ever match it).
func group(recs []*record) []Neighbour {
	parent := make([]int, len(recs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, r := range recs {
		for _, t := range r.tokens() {
			if j, ok := owner[t]; ok {
				a, b := find(i), find(j)
				if a != b {
					if a < b {
						parent[b] = a
					} else {
						parent[a] = b
					}
				}
			} else {
				owner[t] = i
			}
		}
	}
	groups := map[int][]*record{}
	var roots []int
	for i, r := range recs {
		if len(r.tokens()) == 0 {
			continue
		}
		root := find(i)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], r)
	}
	out := make([]Neighbour, 0, len(roots))
	for _, root := range roots {
		out = append(out, neighbourOf(groups[root]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// neighbourOf builds the neighbour of a group of records (in table order:
// LLDP rows first).
func neighbourOf(recs []*record) Neighbour {
	var nb Neighbour
	var o discovery.Observation
	var macs, serials, names, ips []string
	capSet := map[string]bool{}
	links := map[[2]string]Link{}
	var order [][2]string
	for _, r := range recs {
		if r.mac != "" {
			macs = appendUnique(macs, r.mac)
			o.AddIdentifier(ident.MAC, r.mac)
		}
		if r.serial != "" {
			serials = appendUnique(serials, r.serial)
			o.AddIdentifier(ident.Serial, r.serial)
		}
		if r.name != "" {
			if nb.Name == "" {
				nb.Name = r.name
			}
			if t := nameToken(r.name); t != "" {
				names = appendUnique(names, t)
				o.AddHostName(r.name)
			}
		}
		for _, a := range r.ips {
			ips = appendUnique(ips, a.String())
			o.AddIdentifier(ident.IP, a.String())
		}
		for _, c := range r.caps {
			capSet[c] = true
		}
		if nb.Description == "" {
			nb.Description = r.sysDesc
		}
		if nb.Platform == "" {
			nb.Platform = r.platform
		}
		nb.Protocols = appendUnique(nb.Protocols, r.link.Protocol)
		k := [2]string{r.link.LocalPort, r.link.RemotePort}
		if l, ok := links[k]; ok {
			if l.LocalPortDescription == "" {
				l.LocalPortDescription = r.link.LocalPortDescription
			}
			if l.RemotePortDescription == "" {
				l.RemotePortDescription = r.link.RemotePortDescription
			}
			links[k] = l
		} else {
			links[k] = r.link
			order = append(order, k)
		}
	}
	sort.Strings(nb.Protocols)
	switch {
	case len(macs) > 0:
		nb.Key = "neighbour mac:" + macs[0]
	case len(serials) > 0:
		nb.Key = "neighbour serial:" + serials[0]
	case len(names) > 0:
		nb.Key = "neighbour name:" + names[0]
	default:
		nb.Key = "neighbour ip:" + ips[0]
	}
	if nb.Name == "" {
		nb.Name = strings.TrimPrefix(nb.Key, "neighbour ")
	}
	nb.Identifiers = o.Identifiers
	for c := range capSet {
		nb.Capabilities = append(nb.Capabilities, c)
	}
	sort.Strings(nb.Capabilities)
	nb.Kind = capabilityKind(nb.Capabilities)
	for _, k := range order {
		nb.Links = append(nb.Links, links[k])
	}
	sort.Slice(nb.Links, func(i, j int) bool {
		a, b := nb.Links[i], nb.Links[j]
		if a.LocalPort != b.LocalPort {
			return a.LocalPort < b.LocalPort
		}
		return a.RemotePort < b.RemotePort
	})
	return nb
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// Neighbours returns the LLDP and CDP neighbours in one walk's values (in
// any order; other values are ignored), sorted by key. Local ports are
// named as in the device's observation (ifName, else ifDescr, else the
// number). Rows that name no device (no chassis MAC, name, address or
// serial) are left out.
func Neighbours(pdus []gosnmp.SnmpPDU) []Neighbour {
	w := newWalk()
	nw := newNeighbourWalk()
	for i := range pdus {
		w.add(&pdus[i])
		nw.add(pduName(&pdus[i]), &pdus[i])
	}
	return nw.neighbours(w.ifNames())
}

func pduName(p *gosnmp.SnmpPDU) string {
	if strings.HasPrefix(p.Name, ".") {
		return p.Name
	}
	return "." + p.Name
}

// ifNames returns the interface names the observation uses, by ifIndex.
func (w *walk) ifNames() map[uint32]string {
	out := map[uint32]string{}
	taken := map[string]bool{}
	for _, i := range sortedKeys(w.ifs) {
		f := w.ifs[i]
		name := keyText(f.name)
		if name == "" {
			name = keyText(f.descr)
		}
		if name == "" {
			name = strconv.FormatUint(uint64(i), 10)
		}
		for taken[name] {
			name += "#" + strconv.FormatUint(uint64(i), 10)
		}
		taken[name] = true
		out[i] = name
	}
	return out
}

// Relationship type and fact keys of the neighbour mapping.
const (
	RelConnectsTo       = "CONNECTS_TO"
	FactLLDPNeighbours  = "lldp.neighbours"
	FactCDPNeighbours   = "cdp.neighbours"
	maxAttributeJoinLen = discovery.MaxAttributeLen
)

// Observations maps one walk of host like FromPDUs and, when neighbours is
// set, adds what LLDP and CDP say:
//
//   - the device's observation (first) gets the MAC of its LLDP chassis ID
//     (lldpLocChassisId of subtype macAddress) as an identifier, the facts
//     "lldp.neighbours" (when the agent does LLDP: lldpLocChassisId
//     answered, or neighbours were listed) and "cdp.neighbours" (when
//     cdpGlobalRun is true or CDP neighbours were listed), the number of
//     distinct neighbours each protocol shows, and one CONNECTS_TO
//     relationship per neighbour, with attributes "local_port",
//     "remote_port", "local_port_description", "remote_port_description"
//     (the ports of every link to that neighbour, sorted by local port and
//     joined with ", ": a LAG's members are one relationship) and
//     "protocol" ("lldp", "cdp" or "cdp, lldp");
//   - one Reference observation per neighbour (see Neighbour), keyed
//     Neighbour.Key, with its name, kind and identifiers, and the facts
//     "neighbour.capabilities", "neighbour.description" (lldpRemSysDesc) and
//     "neighbour.platform" (cdpCachePlatform) when known.
//
// The neighbours follow the device, sorted by key. Errors are FromPDUs'.
func Observations(host string, pdus []gosnmp.SnmpPDU, neighbours bool) ([]discovery.Observation, error) {
	o, err := FromPDUs(host, pdus)
	if err != nil {
		return nil, err
	}
	if !neighbours {
		return []discovery.Observation{o}, nil
	}
	w := newWalk()
	nw := newNeighbourWalk()
	for i := range pdus {
		name := pduName(&pdus[i])
		if !nw.add(name, &pdus[i]) {
			w.add(&pdus[i])
		}
	}
	if nw.locChassisSubtype == 4 {
		if m := macText(nw.locChassis); m != "" {
			o.AddIdentifier(ident.MAC, m)
		}
	}
	nbs := nw.neighbours(w.ifNames())
	var lldpN, cdpN int
	out := make([]discovery.Observation, 0, len(nbs)+1)
	for _, nb := range nbs {
		if slices.Contains(nb.Protocols, ProtocolLLDP) {
			lldpN++
		}
		if slices.Contains(nb.Protocols, ProtocolCDP) {
			cdpN++
		}
		o.Relationships = append(o.Relationships, discovery.Relationship{
			Type: RelConnectsTo, To: nb.Key, Attributes: linkAttributes(nb.Links, nb.Protocols),
		})
		ref := discovery.Observation{
			Key:         nb.Key,
			Kind:        nb.Kind,
			Name:        nb.Name,
			Identifiers: nb.Identifiers,
			Reference:   true,
		}
		if len(nb.Capabilities) > 0 {
			ref.SetFact("neighbour.capabilities", strings.Join(nb.Capabilities, ", "))
		}
		ref.SetFact("neighbour.description", nb.Description)
		ref.SetFact("neighbour.platform", nb.Platform)
		out = append(out, ref)
	}
	if nw.hasLocChassis || lldpN > 0 {
		o.Facts[FactLLDPNeighbours] = strconv.Itoa(lldpN)
	}
	if nw.cdpRun || cdpN > 0 {
		o.Facts[FactCDPNeighbours] = strconv.Itoa(cdpN)
	}
	o.CompleteFacts = append(o.CompleteFacts, FactLLDPNeighbours, FactCDPNeighbours)
	return append([]discovery.Observation{o}, out...), nil
}

// linkAttributes are the CONNECTS_TO attributes of a neighbour's links.
func linkAttributes(links []Link, protos []string) map[string]string {
	var local, remote, localDesc, remoteDesc []string
	anyLocalDesc, anyRemoteDesc := false, false
	for _, l := range links {
		local = append(local, l.LocalPort)
		remote = append(remote, l.RemotePort)
		localDesc = append(localDesc, l.LocalPortDescription)
		remoteDesc = append(remoteDesc, l.RemotePortDescription)
		anyLocalDesc = anyLocalDesc || l.LocalPortDescription != ""
		anyRemoteDesc = anyRemoteDesc || l.RemotePortDescription != ""
	}
	attrs := map[string]string{
		"local_port":  joinAttr(local),
		"remote_port": joinAttr(remote),
		"protocol":    strings.Join(protos, ", "),
	}
	if anyLocalDesc {
		attrs["local_port_description"] = joinAttr(localDesc)
	}
	if anyRemoteDesc {
		attrs["remote_port_description"] = joinAttr(remoteDesc)
	}
	return attrs
}

// joinAttr joins values with ", ", clipped to an attribute's length.
func joinAttr(v []string) string {
	s := strings.Join(v, ", ")
	if len(s) <= maxAttributeJoinLen {
		return s
	}
	return textclip.BytesMarked(s, maxAttributeJoinLen-len(textclip.Ellipsis))
}

// MergeReferences joins the Reference observations that share a key (one
// neighbour seen by two walked switches) into the first of them: its
// identifiers gain the others', and an empty name or fact is filled. Other
// observations are kept as they are, in order.
func MergeReferences(obs []discovery.Observation) []discovery.Observation {
	first := map[string]int{}
	out := obs[:0:0]
	for _, o := range obs {
		if !o.Reference {
			out = append(out, o)
			continue
		}
		i, dup := first[o.Key]
		if !dup {
			first[o.Key] = len(out)
			out = append(out, o)
			continue
		}
		m := &out[i]
		for _, id := range o.Identifiers {
			m.AddIdentifier(id.Kind, id.Value)
		}
		if m.Name == "" {
			m.Name = o.Name
		}
		for k, v := range o.Facts {
			if _, ok := m.Facts[k]; !ok {
				m.SetFact(k, v)
			}
		}
	}
	return out
}
