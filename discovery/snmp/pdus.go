package snmp

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// The OIDs the source reads, numeric only: Debian ships no MIB files, and
// the source needs none.
const (
	// SNMPv2-MIB system group (scalars).
	oidSysDescr    = ".1.3.6.1.2.1.1.1.0"
	oidSysObjectID = ".1.3.6.1.2.1.1.2.0"
	oidSysUpTime   = ".1.3.6.1.2.1.1.3.0"
	oidSysContact  = ".1.3.6.1.2.1.1.4.0"
	oidSysName     = ".1.3.6.1.2.1.1.5.0"
	oidSysLocation = ".1.3.6.1.2.1.1.6.0"
	oidSysServices = ".1.3.6.1.2.1.1.7.0"

	// HOST-RESOURCES-MIB hrSystemUptime: read only to learn whether the
	// agent implements HOST-RESOURCES-MIB (its value changes all the time).
	oidHrSystemUptime = ".1.3.6.1.2.1.25.1.1.0"

	// IF-MIB ifTable columns (.1.3.6.1.2.1.2.2.1.<column>.<ifIndex>).
	oidIfEntry       = ".1.3.6.1.2.1.2.2.1"
	oidIfDescr       = oidIfEntry + ".2"
	oidIfType        = oidIfEntry + ".3"
	oidIfSpeed       = oidIfEntry + ".5"
	oidIfPhysAddress = oidIfEntry + ".6"
	oidIfOperStatus  = oidIfEntry + ".8"

	// IF-MIB ifXTable columns (.1.3.6.1.2.1.31.1.1.1.<column>.<ifIndex>).
	oidIfXEntry    = ".1.3.6.1.2.1.31.1.1.1"
	oidIfName      = oidIfXEntry + ".1"
	oidIfHighSpeed = oidIfXEntry + ".15"
	oidIfAlias     = oidIfXEntry + ".18"

	// IP-MIB ipAddrTable (IPv4 only, deprecated, indexed by the address)
	// and ipAddressTable (RFC 4293, indexed by type, length and address).
	oidIPAddrEntry  = ".1.3.6.1.2.1.4.20.1"
	oidIPAdEntAddr  = oidIPAddrEntry + ".1"
	oidIPAdEntIf    = oidIPAddrEntry + ".2"
	oidIPAdEntMask  = oidIPAddrEntry + ".3"
	oidIPAddressEnt = ".1.3.6.1.2.1.4.34.1"
	oidIPAddressIf  = oidIPAddressEnt + ".3"
	oidIPAddressTyp = oidIPAddressEnt + ".4"
	oidIPAddressPfx = oidIPAddressEnt + ".5"
	// ipAddressPrefixOrigin's column, the prefix row that ipAddressPrefix
	// points to: ...32.1.5.<ifIndex>.<type>.<len>.<address>.<prefixLength>.
	oidIPAddressPrefixRow = ".1.3.6.1.2.1.4.32.1.5"

	// HOST-RESOURCES-MIB hrStorageTable and hrDeviceTable columns.
	oidHrStorageEntry = ".1.3.6.1.2.1.25.2.3.1"
	oidHrStorageType  = oidHrStorageEntry + ".2"
	oidHrStorageDescr = oidHrStorageEntry + ".3"
	oidHrStorageUnits = oidHrStorageEntry + ".4"
	oidHrStorageSize  = oidHrStorageEntry + ".5"
	oidHrStorageOther = ".1.3.6.1.2.1.25.2.1.1" // hrStorageTypes.hrStorageOther
	oidHrDeviceEntry  = ".1.3.6.1.2.1.25.3.2.1"
	oidHrDeviceType   = oidHrDeviceEntry + ".2"
	oidHrDeviceDescr  = oidHrDeviceEntry + ".3"
	oidHrDeviceTypes  = ".1.3.6.1.2.1.25.3.1"

	// ENTITY-MIB entPhysicalTable columns.
	oidEntPhysicalEntry  = ".1.3.6.1.2.1.47.1.1.1.1"
	oidEntPhysicalDescr  = oidEntPhysicalEntry + ".2"
	oidEntPhysicalClass  = oidEntPhysicalEntry + ".5"
	oidEntPhysicalName   = oidEntPhysicalEntry + ".7"
	oidEntPhysicalSerial = oidEntPhysicalEntry + ".11"
	oidEntPhysicalModel  = oidEntPhysicalEntry + ".13"
)

// CompleteFacts returns the fact prefixes every SNMP observation reports in
// full: a recorded interface, address, storage area or physical entity that
// the walk no longer shows has gone. It also claims the MAC identifiers in
// full ("identifier.MAC", reconcile.IdentifierClaim): a walk reads the whole
// interface table or fails, so a MAC address the job recorded that the walk
// no longer shows has gone from the device. The caller owns the returned
// slice.
func CompleteFacts() []string {
	return []string{"if.", "ip.", "storage.", "entity.", "identifier." + string(ident.MAC)}
}

// entPhysicalClass value of a chassis.
const classChassis = 3

// FromPDUs maps the values one walk of host returned (in any order; values
// of other OIDs are ignored) to the observation of the walked device.
//
// The observation has:
//   - Key "snmp <host>";
//   - Kind from the evidence the walk gives: sysObjectID's enterprise and
//     product, sysServices' layer bits, HOST-RESOURCES-MIB answering, and
//     sysDescr when sysObjectID says nothing; the table and rule order are
//     (*walk).kind's (kind.go). SERVER or NETWORK_DEVICE; when the evidence
//     does not settle it, NETWORK_DEVICE and the fact "kind.evidence" =
//     "unsure: ..." naming the evidence there was;
//   - Name: sysName, else host;
//   - Fields "hostname" (sysName's first label, when sysName is a valid
//     host name or FQDN), "fqdn" (sysName, when it is a valid dotted name)
//     and "serial_number" (the serial number of the chassis entity of
//     lowest index that has one that is not a placeholder);
//   - Identifiers: HOSTNAME and FQDN as in the fields; IP for every
//     address of the ipAddrTable and of the unicast and anycast rows of the
//     ipAddressTable, except loopback, link-local, multicast and unspecified
//     addresses, which name no device in particular; MAC for every
//     interface whose ifPhysAddress is 6 bytes, not all zero or all one;
//     SERIAL as in the field. Normalised, without duplicates;
//   - Facts (all strings; only values that do not change while the device
//     is idle, so no sysUpTime, counter or used-space value):
//     "snmp.sysDescr", "snmp.sysObjectID", "snmp.sysContact",
//     "snmp.sysLocation", "snmp.sysName" when the agent returned them
//     (even empty); "snmp.sysServices" (the number) when returned;
//     per interface, named by ifName, else ifDescr, else its ifIndex (a
//     name already taken gets "#<ifIndex>" appended): "if.<name>.type"
//     (IANAifType name such as "ethernetCsmacd" or "softwareLoopback",
//     else the number), "if.<name>.oper_status" ("up", "down", ...),
//     "if.<name>.speed_bps" (ifSpeed, or ifHighSpeed × 10⁶ when ifSpeed is
//     saturated or missing), "if.<name>.mac" and "if.<name>.alias" (when
//     not empty);
//     per address: "ip.<address>.ifname" (the interface name as above, or
//     its ifIndex when the interface is unknown) and
//     "ip.<address>.prefix_len";
//     per storage area except hrStorageOther rows (where net-snmp reports
//     buffers, cache, shared and available memory, whose sizes move):
//     "storage.<descr>.size_bytes" = hrStorageSize × hrStorageAllocationUnits
//     (a repeated descr gets "#<index>" appended);
//     per device: "device.<index>.descr", "device.<index>.type" (the
//     hrDeviceTypes name such as "processor", else the OID);
//     per physical entity: "entity.<index>.descr", ".name", ".class"
//     ("chassis", "module", "port", ...), ".model", ".serial", when not
//     empty;
//   - CompleteFacts ["if.", "ip.", "storage.", "entity.", "identifier.MAC"];
//   - SeenAt zero: the caller stamps it.
//
// Text values have trailing NUL bytes and surrounding white space removed,
// invalid UTF-8 replaced and control characters other than tab and newline
// dropped. A value of the wrong type for its OID, or an index that is not
// one, is skipped. The only errors are an empty host and a walk that holds
// none of sysDescr, sysObjectID and sysName.
func FromPDUs(host string, pdus []gosnmp.SnmpPDU) (discovery.Observation, error) {
	var o discovery.Observation
	if strings.TrimSpace(host) == "" {
		return o, errors.New("snmp: no host")
	}
	w := newWalk()
	for i := range pdus {
		w.add(&pdus[i])
	}
	if !w.sys.hasDescr && !w.sys.hasObjectID && !w.sys.hasName {
		return o, fmt.Errorf("snmp %s: the walk holds no sysDescr, sysObjectID or sysName (%d values)", textclip.Message(host), len(pdus))
	}
	return w.observation(host), nil
}

// walk gathers the values of one walk by table and index.
type walk struct {
	sys struct {
		descr, objectID, contact, name, location                string
		hasDescr, hasObjectID, hasContact, hasName, hasLocation bool
		services                                                int64
		hasServices                                             bool
		hrSystem                                                bool // hrSystemUptime answered
	}
	ifs      map[uint32]*iface
	ips      map[netip.Addr]*ipAddr
	storage  map[uint32]*storage
	devices  map[uint32]*device
	entities map[uint32]*entity
}

type iface struct {
	descr, name, alias string
	typ, oper          int64
	speed, highSpeed   uint64
	mac                string // normalised, "" when none
	hasType, hasOper   bool
	hasSpeed, hasHigh  bool
}

type ipAddr struct {
	ifIndex   uint32
	prefixLen int
	hasIf     bool
	hasPrefix bool
	broadcast bool // ipAddressType broadcast(3)
}

type storage struct {
	descr             string
	other             bool // hrStorageType is hrStorageOther
	units, size       int64
	hasUnits, hasSize bool
}

type device struct{ descr, typ string }

type entity struct {
	descr, name, model, serial string
	class                      int64
	hasClass                   bool
}

func newWalk() *walk {
	return &walk{
		ifs:      map[uint32]*iface{},
		ips:      map[netip.Addr]*ipAddr{},
		storage:  map[uint32]*storage{},
		devices:  map[uint32]*device{},
		entities: map[uint32]*entity{},
	}
}

func (w *walk) iface(i uint32) *iface {
	if w.ifs[i] == nil {
		w.ifs[i] = &iface{}
	}
	return w.ifs[i]
}

func (w *walk) ip(a netip.Addr) *ipAddr {
	if w.ips[a] == nil {
		w.ips[a] = &ipAddr{}
	}
	return w.ips[a]
}

func (w *walk) stor(i uint32) *storage {
	if w.storage[i] == nil {
		w.storage[i] = &storage{}
	}
	return w.storage[i]
}

func (w *walk) device(i uint32) *device {
	if w.devices[i] == nil {
		w.devices[i] = &device{}
	}
	return w.devices[i]
}

func (w *walk) entity(i uint32) *entity {
	if w.entities[i] == nil {
		w.entities[i] = &entity{}
	}
	return w.entities[i]
}

// add files one value under its table and index.
func (w *walk) add(p *gosnmp.SnmpPDU) {
	switch p.Type {
	case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return
	}
	name := p.Name
	if !strings.HasPrefix(name, ".") {
		name = "." + name
	}
	switch name {
	case oidSysDescr:
		w.sys.descr, w.sys.hasDescr = textValue(p)
		return
	case oidSysObjectID:
		w.sys.objectID, w.sys.hasObjectID = oidValue(p)
		return
	case oidSysContact:
		w.sys.contact, w.sys.hasContact = textValue(p)
		return
	case oidSysName:
		w.sys.name, w.sys.hasName = textValue(p)
		return
	case oidSysLocation:
		w.sys.location, w.sys.hasLocation = textValue(p)
		return
	case oidSysServices:
		if n, ok := intValue(p); ok && n >= 0 && n <= 127 {
			w.sys.services, w.sys.hasServices = n, true
		}
		return
	case oidHrSystemUptime:
		w.sys.hrSystem = true
		return
	}

	if idx, ok := column(name, oidIfDescr); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.iface(i).descr = s
			}
		}
	} else if idx, ok := column(name, oidIfType); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := intValue(p); ok {
				f := w.iface(i)
				f.typ, f.hasType = n, true
			}
		}
	} else if idx, ok := column(name, oidIfSpeed); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := uintValue(p); ok {
				f := w.iface(i)
				f.speed, f.hasSpeed = n, true
			}
		}
	} else if idx, ok := column(name, oidIfPhysAddress); ok {
		if i, ok := oneIndex(idx); ok {
			if b, ok := bytesValue(p); ok {
				w.iface(i).mac = macString(b)
			}
		}
	} else if idx, ok := column(name, oidIfOperStatus); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := intValue(p); ok {
				f := w.iface(i)
				f.oper, f.hasOper = n, true
			}
		}
	} else if idx, ok := column(name, oidIfName); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.iface(i).name = s
			}
		}
	} else if idx, ok := column(name, oidIfHighSpeed); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := uintValue(p); ok {
				f := w.iface(i)
				f.highSpeed, f.hasHigh = n, true
			}
		}
	} else if idx, ok := column(name, oidIfAlias); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.iface(i).alias = s
			}
		}
	} else if idx, ok := column(name, oidIPAdEntAddr); ok {
		if a, ok := ipv4Index(idx); ok {
			w.ip(a)
		}
	} else if idx, ok := column(name, oidIPAdEntIf); ok {
		if a, ok := ipv4Index(idx); ok {
			if n, ok := intValue(p); ok && n >= 0 && n <= math.MaxUint32 {
				r := w.ip(a)
				r.ifIndex, r.hasIf = uint32(n), true
			}
		}
	} else if idx, ok := column(name, oidIPAdEntMask); ok {
		if a, ok := ipv4Index(idx); ok {
			if n, ok := maskValue(p); ok {
				r := w.ip(a)
				r.prefixLen, r.hasPrefix = n, true
			}
		}
	} else if idx, ok := column(name, oidIPAddressIf); ok {
		if a, ok := inetIndex(idx); ok {
			if n, ok := intValue(p); ok && n >= 0 && n <= math.MaxUint32 {
				r := w.ip(a)
				r.ifIndex, r.hasIf = uint32(n), true
			}
		}
	} else if idx, ok := column(name, oidIPAddressTyp); ok {
		if a, ok := inetIndex(idx); ok {
			if n, ok := intValue(p); ok {
				w.ip(a).broadcast = n == 3
			}
		}
	} else if idx, ok := column(name, oidIPAddressPfx); ok {
		if a, ok := inetIndex(idx); ok {
			if n, ok := prefixPointer(p, a); ok {
				r := w.ip(a)
				r.prefixLen, r.hasPrefix = n, true
			}
		}
	} else if idx, ok := column(name, oidHrStorageType); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := oidValue(p); ok {
				w.stor(i).other = s == oidHrStorageOther
			}
		}
	} else if idx, ok := column(name, oidHrStorageDescr); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.stor(i).descr = s
			}
		}
	} else if idx, ok := column(name, oidHrStorageUnits); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := intValue(p); ok {
				st := w.stor(i)
				st.units, st.hasUnits = n, true
			}
		}
	} else if idx, ok := column(name, oidHrStorageSize); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := intValue(p); ok {
				st := w.stor(i)
				st.size, st.hasSize = n, true
			}
		}
	} else if idx, ok := column(name, oidHrDeviceType); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := oidValue(p); ok {
				w.device(i).typ = deviceTypeName(s)
			}
		}
	} else if idx, ok := column(name, oidHrDeviceDescr); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.device(i).descr = s
			}
		}
	} else if idx, ok := column(name, oidEntPhysicalDescr); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.entity(i).descr = s
			}
		}
	} else if idx, ok := column(name, oidEntPhysicalClass); ok {
		if i, ok := oneIndex(idx); ok {
			if n, ok := intValue(p); ok {
				e := w.entity(i)
				e.class, e.hasClass = n, true
			}
		}
	} else if idx, ok := column(name, oidEntPhysicalName); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.entity(i).name = s
			}
		}
	} else if idx, ok := column(name, oidEntPhysicalSerial); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.entity(i).serial = s
			}
		}
	} else if idx, ok := column(name, oidEntPhysicalModel); ok {
		if i, ok := oneIndex(idx); ok {
			if s, ok := textValue(p); ok {
				w.entity(i).model = s
			}
		}
	}
}

// observation builds the observation from what add gathered.
func (w *walk) observation(host string) discovery.Observation {
	o := discovery.Observation{
		Key:           "snmp " + host,
		Kind:          discovery.KindNetworkDevice,
		Name:          host,
		Fields:        map[string]string{},
		Facts:         map[string]string{},
		CompleteFacts: CompleteFacts(),
	}
	seen := map[discovery.Identifier]bool{}
	addIdent := func(k ident.Kind, v string) {
		id := discovery.Identifier{Kind: k, Value: v}
		if !seen[id] {
			seen[id] = true
			o.Identifiers = append(o.Identifiers, id)
		}
	}

	// System group.
	sysFacts := []struct {
		key, val string
		has      bool
	}{
		{"snmp.sysDescr", w.sys.descr, w.sys.hasDescr},
		{"snmp.sysObjectID", w.sys.objectID, w.sys.hasObjectID},
		{"snmp.sysContact", w.sys.contact, w.sys.hasContact},
		{"snmp.sysName", w.sys.name, w.sys.hasName},
		{"snmp.sysLocation", w.sys.location, w.sys.hasLocation},
	}
	for _, f := range sysFacts {
		if f.has {
			o.Facts[f.key] = f.val
		}
	}
	if w.sys.hasServices {
		o.Facts["snmp.sysServices"] = strconv.FormatInt(w.sys.services, 10)
	}
	kind, unsure := w.kind()
	o.Kind = kind
	if unsure != "" {
		o.Facts[KindEvidenceFact] = unsure
	}
	if n := w.sys.name; n != "" {
		o.Name = n
		o.AddHostName(n)
	}

	// Physical entities; the first chassis serial names the device.
	for _, i := range sortedKeys(w.entities) {
		e := w.entities[i]
		p := "entity." + strconv.FormatUint(uint64(i), 10) + "."
		setNonEmpty(o.Facts, p+"descr", e.descr)
		setNonEmpty(o.Facts, p+"name", e.name)
		setNonEmpty(o.Facts, p+"model", e.model)
		setNonEmpty(o.Facts, p+"serial", e.serial)
		if e.hasClass {
			o.Facts[p+"class"] = entityClass(e.class)
		}
		if e.hasClass && e.class == classChassis && o.Fields["serial_number"] == "" {
			if s, err := ident.Normalize(ident.Serial, e.serial); err == nil {
				o.Fields["serial_number"] = s
				addIdent(ident.Serial, s)
			}
		}
	}

	// Interfaces.
	ifNames := map[uint32]string{}
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
		ifNames[i] = name
		p := "if." + name + "."
		if f.hasType {
			o.Facts[p+"type"] = ifTypeName(f.typ)
		}
		if f.hasOper {
			o.Facts[p+"oper_status"] = operStatus(f.oper)
		}
		if bps, ok := f.bps(); ok {
			o.Facts[p+"speed_bps"] = strconv.FormatUint(bps, 10)
		}
		setNonEmpty(o.Facts, p+"alias", f.alias)
		if f.mac != "" {
			o.Facts[p+"mac"] = f.mac
			addIdent(ident.MAC, f.mac)
		}
	}

	// Addresses.
	addrs := make([]netip.Addr, 0, len(w.ips))
	for a, r := range w.ips {
		if !r.broadcast {
			addrs = append(addrs, a)
		}
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	for _, a := range addrs {
		r := w.ips[a]
		p := "ip." + a.String() + "."
		if r.hasIf {
			if n, ok := ifNames[r.ifIndex]; ok {
				o.Facts[p+"ifname"] = n
			} else {
				o.Facts[p+"ifname"] = strconv.FormatUint(uint64(r.ifIndex), 10)
			}
		}
		if r.hasPrefix {
			o.Facts[p+"prefix_len"] = strconv.Itoa(r.prefixLen)
		}
		if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() {
			continue
		}
		addIdent(ident.IP, a.String())
	}

	// Storage.
	taken = map[string]bool{}
	for _, i := range sortedKeys(w.storage) {
		st := w.storage[i]
		if st.other || !st.hasSize || !st.hasUnits || st.size < 0 || st.units <= 0 {
			continue
		}
		name := keyText(st.descr)
		if name == "" {
			name = strconv.FormatUint(uint64(i), 10)
		}
		for taken[name] {
			name += "#" + strconv.FormatUint(uint64(i), 10)
		}
		taken[name] = true
		hi, size := bits.Mul64(uint64(st.size), uint64(st.units))
		if hi != 0 {
			continue // more than 16 EiB: not a real size
		}
		o.Facts["storage."+name+".size_bytes"] = strconv.FormatUint(size, 10)
	}

	// Devices.
	for _, i := range sortedKeys(w.devices) {
		d := w.devices[i]
		p := "device." + strconv.FormatUint(uint64(i), 10) + "."
		setNonEmpty(o.Facts, p+"descr", d.descr)
		setNonEmpty(o.Facts, p+"type", d.typ)
	}

	if len(o.Fields) == 0 {
		o.Fields = nil
	}
	return o
}

// bps returns the interface's speed in bits per second: ifSpeed, unless it
// is missing or saturated (4294967295) and ifHighSpeed (in Mb/s) says more.
func (f *iface) bps() (uint64, bool) {
	const saturated = math.MaxUint32
	if f.hasHigh && f.highSpeed <= math.MaxUint64/1_000_000 {
		high := f.highSpeed * 1_000_000
		if !f.hasSpeed || (f.speed >= saturated && high > f.speed) {
			return high, true
		}
	}
	return f.speed, f.hasSpeed
}

func setNonEmpty(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// column returns the index part of name when name lies under the column
// OID col: ".1.3.6.1.2.1.2.2.1.2.7" under ".1.3.6.1.2.1.2.2.1.2" is "7".
func column(name, col string) (string, bool) {
	if len(name) <= len(col)+1 || !strings.HasPrefix(name, col) || name[len(col)] != '.' {
		return "", false
	}
	return name[len(col)+1:], true
}

// arcs splits a dotted index into its sub-identifiers.
func arcs(idx string) ([]uint32, bool) {
	parts := strings.Split(idx, ".")
	out := make([]uint32, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || (len(p) > 1 && p[0] == '0') {
			return nil, false
		}
		out[i] = uint32(n)
	}
	return out, true
}

// oneIndex parses a single-integer table index.
func oneIndex(idx string) (uint32, bool) {
	a, ok := arcs(idx)
	if !ok || len(a) != 1 {
		return 0, false
	}
	return a[0], true
}

// ipv4Index parses the ipAddrTable index, the four octets of the address.
func ipv4Index(idx string) (netip.Addr, bool) {
	a, ok := arcs(idx)
	if !ok || len(a) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, n := range a {
		if n > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

// inetIndex parses an InetAddressType.InetAddress index (the ipAddressTable
// one): "1.4.a.b.c.d" for IPv4, "2.16.<16 octets>" for IPv6. Zoned
// addresses (types 3 and 4) are skipped.
func inetIndex(idx string) (netip.Addr, bool) {
	a, ok := arcs(idx)
	if !ok || len(a) < 2 || int(a[1]) != len(a)-2 {
		return netip.Addr{}, false
	}
	b := make([]byte, len(a)-2)
	for i, n := range a[2:] {
		if n > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	switch {
	case a[0] == 1 && len(b) == 4:
		return netip.AddrFrom4([4]byte(b)), true
	case a[0] == 2 && len(b) == 16:
		return netip.AddrFrom16([16]byte(b)).Unmap(), true
	}
	return netip.Addr{}, false
}

// prefixPointer returns the prefix length that an ipAddressPrefix value
// points to: the last sub-identifier of a row of ipAddressPrefixTable.
// ".0.0" (unknown) and anything else yield false.
func prefixPointer(p *gosnmp.SnmpPDU, a netip.Addr) (int, bool) {
	s, ok := oidValue(p)
	if !ok {
		return 0, false
	}
	rest, ok := column(s, oidIPAddressPrefixRow)
	if !ok {
		return 0, false
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 0 || n > a.BitLen() {
		return 0, false
	}
	return n, true
}

// textValue returns an OCTET STRING value as clean text.
func textValue(p *gosnmp.SnmpPDU) (string, bool) {
	b, ok := bytesValue(p)
	if !ok {
		return "", false
	}
	return cleanText(b), true
}

func bytesValue(p *gosnmp.SnmpPDU) ([]byte, bool) {
	if p.Type != gosnmp.OctetString {
		return nil, false
	}
	switch v := p.Value.(type) {
	case []byte:
		return v, true
	case string:
		return []byte(v), true
	}
	return nil, false
}

// oidValue returns an OBJECT IDENTIFIER value with a leading dot, checked
// to be dotted decimal.
func oidValue(p *gosnmp.SnmpPDU) (string, bool) {
	if p.Type != gosnmp.ObjectIdentifier {
		return "", false
	}
	s, ok := p.Value.(string)
	if !ok {
		return "", false
	}
	s = strings.TrimPrefix(s, ".")
	if _, ok := arcs(s); !ok {
		return "", false
	}
	return "." + s, true
}

// intValue returns an INTEGER, Gauge32 or Counter value as int64.
func intValue(p *gosnmp.SnmpPDU) (int64, bool) {
	switch p.Type {
	case gosnmp.Integer, gosnmp.Gauge32, gosnmp.Uinteger32, gosnmp.Counter32, gosnmp.Counter64, gosnmp.TimeTicks:
	default:
		return 0, false
	}
	switch v := p.Value.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		if uint64(v) > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	}
	return 0, false
}

// uintValue returns a non-negative number value as uint64.
func uintValue(p *gosnmp.SnmpPDU) (uint64, bool) {
	if v, ok := p.Value.(uint64); ok && (p.Type == gosnmp.Counter64 || p.Type == gosnmp.Gauge32) {
		return v, true
	}
	n, ok := intValue(p)
	if !ok || n < 0 {
		return 0, false
	}
	return uint64(n), true
}

// maskValue returns the prefix length of a contiguous IPv4 net mask.
func maskValue(p *gosnmp.SnmpPDU) (int, bool) {
	if p.Type != gosnmp.IPAddress {
		return 0, false
	}
	var s string
	switch v := p.Value.(type) {
	case string:
		s = v
	case []byte:
		if len(v) != 4 {
			return 0, false
		}
		s = netip.AddrFrom4([4]byte(v)).String()
	default:
		return 0, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for m&(1<<31) != 0 {
		n++
		m <<= 1
	}
	if m != 0 {
		return 0, false // not contiguous
	}
	return n, true
}

// macString returns the normalised MAC address of a 6-byte ifPhysAddress,
// or "" for any other length and for all-zero or all-one addresses.
func macString(b []byte) string {
	if len(b) != 6 {
		return ""
	}
	s, err := ident.Normalize(ident.MAC, fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]))
	if err != nil {
		return ""
	}
	return s
}

// cleanText turns an OCTET STRING into a fact value: trailing NUL bytes
// (some agents count the C terminator) and surrounding white space removed,
// invalid UTF-8 replaced by U+FFFD, carriage returns and control characters
// other than tab and newline dropped.
func cleanText(b []byte) string {
	s := strings.TrimRight(string(b), "\x00")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// keyText turns a name into a fact key component: clean text on one line,
// runs of white space as one space.
func keyText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// operStatus names an IF-MIB ifOperStatus value.
func operStatus(n int64) string {
	switch n {
	case 1:
		return "up"
	case 2:
		return "down"
	case 3:
		return "testing"
	case 4:
		return "unknown"
	case 5:
		return "dormant"
	case 6:
		return "notPresent"
	case 7:
		return "lowerLayerDown"
	}
	return strconv.FormatInt(n, 10)
}

// entityClass names an ENTITY-MIB PhysicalClass value.
func entityClass(n int64) string {
	names := [...]string{
		1: "other", 2: "unknown", 3: "chassis", 4: "backplane", 5: "container", 6: "powerSupply",
		7: "fan", 8: "sensor", 9: "module", 10: "port", 11: "stack", 12: "cpu", 13: "energyObject",
		14: "battery", 15: "storageDrive",
	}
	if n > 0 && n < int64(len(names)) {
		return names[n]
	}
	return strconv.FormatInt(n, 10)
}

// deviceTypeName names an hrDeviceType value, one of HOST-RESOURCES-TYPES'
// hrDeviceTypes (.1.3.6.1.2.1.25.3.1.N); any other OID is returned as is.
func deviceTypeName(oid string) string {
	names := [...]string{
		1: "other", 2: "unknown", 3: "processor", 4: "network", 5: "printer", 6: "diskStorage",
		10: "video", 11: "audio", 12: "coprocessor", 13: "keyboard", 14: "modem", 15: "parallelPort",
		16: "pointing", 17: "serialPort", 18: "tape", 19: "clock", 20: "volatileMemory",
		21: "nonVolatileMemory",
	}
	if rest, ok := column(oid, oidHrDeviceTypes); ok {
		if n, ok := oneIndex(rest); ok && int(n) < len(names) && names[n] != "" {
			return names[n]
		}
	}
	return oid
}

// ifTypeName names the common IANAifType values; others are returned as
// numbers.
func ifTypeName(n int64) string {
	switch n {
	case 1:
		return "other"
	case 6:
		return "ethernetCsmacd"
	case 15:
		return "fddi"
	case 20:
		return "basicISDN"
	case 23:
		return "ppp"
	case 24:
		return "softwareLoopback"
	case 32:
		return "frameRelay"
	case 37:
		return "atm"
	case 53:
		return "propVirtual"
	case 62:
		return "fastEther"
	case 69:
		return "fastEtherFX"
	case 71:
		return "ieee80211"
	case 117:
		return "gigabitEthernet"
	case 131:
		return "tunnel"
	case 135:
		return "l2vlan"
	case 136:
		return "l3ipvlan"
	case 142:
		return "ipForward"
	case 150:
		return "mplsTunnel"
	case 161:
		return "ieee8023adLag"
	case 166:
		return "mpls"
	case 209:
		return "bridge"
	case 244:
		return "wwanPP2"
	case 246:
		return "ilan"
	}
	return strconv.FormatInt(n, 10)
}
