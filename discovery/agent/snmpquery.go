package agent

// # Network inventory (SNMPQUERY)
//
// fusioninventory-netinventory (Debian's fusioninventory-agent-task-network)
// walks a device over SNMP and sends what it read as <QUERY>SNMPQUERY</QUERY>,
// one CONTENT/DEVICE a message, with CONTENT/AGENT START and END messages
// around a batch (answered, nothing mapped) and CONTENT/DEVICE/ERROR for a
// device that did not answer (a warning, nothing mapped).
// Request.SNMPObservations maps each DEVICE as the snmp source maps a walk,
// so that a switch both see is one CI with the same facts: the device's
// values are turned back into the MIB values they were read from (IF-MIB,
// IP-MIB, ENTITY-MIB, SNMPv2-MIB, LLDP-MIB, CISCO-CDP-MIB) and given to
// snmp.Observations, which names, filters and groups them exactly as for a
// walk of its own.
//
//	Element                               MIB value it was read from    What it becomes (as the snmp source)
//	INFO/NAME (or SNMPHOSTNAME)           sysName                       Name; hostname, fqdn fields and identifiers; snmp.sysName
//	INFO/COMMENTS, CONTACT, LOCATION      sysDescr, sysContact, -Loc.   snmp.sysDescr, snmp.sysContact, snmp.sysLocation
//	INFO/TYPE                             (the agent's guess)           Kind: NETWORKING, PRINTER, POWER, PHONE, VIDEO, KVM
//	                                                                    NETWORK_DEVICE; COMPUTER SERVER; STORAGE STORAGE;
//	                                                                    without one, the snmp source's rules; netinventory.type
//	INFO/SERIAL                           entPhysicalSerialNum, vendor  SERIAL identifier; serial_number field unless a chassis
//	                                                                    COMPONENT gives one (the snmp source's rule)
//	INFO/MAC                              bridge or first interface     MAC identifier
//	INFO/IPS/IP                           ipAdEntAddr                   IP identifiers (usable addresses only)
//	INFO/MODEL, MANUFACTURER, FIRMWARE    (vendor tables)               netinventory.model, .manufacturer, .firmware
//	INFO/RAM (MiB)                        hrMemorySize, memTotalReal    netinventory.ram_mib
//	COMPONENTS/COMPONENT: INDEX, NAME,    entPhysicalTable              entity.<INDEX>.name, .descr, .class, .model, .serial;
//	  DESCRIPTION, TYPE, MODEL, SERIAL                                  the first chassis serial is serial_number and SERIAL
//	PORTS/PORT: IFNUMBER, IFNAME          ifIndex, ifName (or ifDescr)  the interface's name: IFNAME, else IFDESCR, else IFNUMBER
//	  IFTYPE, IFSTATUS, IFSPEED           ifType, ifOperStatus, speed   if.<name>.type, .oper_status, .speed_bps
//	  MAC, IFALIAS                        ifPhysAddress, ifAlias        if.<name>.mac and a MAC identifier; if.<name>.alias
//	  IP, IPS/IP                          ipAdEntIfIndex                ip.<address>.ifname; IP identifiers
//	PORT/CONNECTIONS (CDP or LLDP = 1)    lldpRemTable, cdpCacheTable   one Reference observation per neighbour and one
//	  CONNECTION: SYSMAC, SYSNAME, IP,                                  CONNECTS_TO to it, as the snmp source's (lldp.go):
//	  SYSDESCR, MODEL, IFDESCR, IFNUMBER                                keyed by chassis MAC, serial, name or address, never
//	                                                                    a port's MAC; ports as local_port / remote_port, a LAG's
//	                                                                    members joined; lldp.neighbours, cdp.neighbours
//	PORT/CONNECTIONS without CDP/LLDP     dot1dTpFdbTable (MAC table)   nothing: the MACs a port learnt name no device (a warning
//	                                                                    counts them)
//
// The device's observation has Key "netinventory serial:<SERIAL>", else
// "netinventory mac:<MAC>", else "netinventory ip:<first address>", with
// StableKey set; a device with none of the three is a warning. Its
// CompleteFacts are the snmp source's. FusionInventory marks every
// discovery-protocol neighbour CDP=1 and merges a port's LLDP and CDP rows,
// so the protocol is inferred: a MODEL (cdpCachePlatform) means CDP, a
// SYSMAC (FusionInventory reads LLDP neighbours by chassis MAC only) means
// LLDP, both mean both (a CDP neighbour whose device ID is its MAC counts
// as both); LLDP=1 alone means LLDP. Never facts: UPTIME, CPU, MEMORY
// (free), the interface counters (IFINOCTETS, IFINERRORS …), IFLASTCHANGE,
// IFINTERNALSTATUS, and printer PAGECOUNTERS and CARTRIDGES levels. Not
// mapped: VLANS, TRUNK, AGGREGATE, IFMTU, IFPORTDUPLEX, MODEMS, SIMCARDS,
// FIRMWARES.

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// netInventoryKeyPrefix starts the key of a network device an SNMPQUERY
// reports.
const netInventoryKeyPrefix = "netinventory "

// The MIB columns a DEVICE's values are turned back into (the snmp
// source reads the same; see discovery/snmp).
const (
	oidSysDescr       = ".1.3.6.1.2.1.1.1.0"
	oidSysContact     = ".1.3.6.1.2.1.1.4.0"
	oidSysName        = ".1.3.6.1.2.1.1.5.0"
	oidSysLocation    = ".1.3.6.1.2.1.1.6.0"
	oidIfDescr        = ".1.3.6.1.2.1.2.2.1.2"
	oidIfType         = ".1.3.6.1.2.1.2.2.1.3"
	oidIfSpeed        = ".1.3.6.1.2.1.2.2.1.5"
	oidIfPhysAddress  = ".1.3.6.1.2.1.2.2.1.6"
	oidIfOperStatus   = ".1.3.6.1.2.1.2.2.1.8"
	oidIfName         = ".1.3.6.1.2.1.31.1.1.1.1"
	oidIfHighSpeed    = ".1.3.6.1.2.1.31.1.1.1.15"
	oidIfAlias        = ".1.3.6.1.2.1.31.1.1.1.18"
	oidIPAdEntAddr    = ".1.3.6.1.2.1.4.20.1.1"
	oidIPAdEntIfIndex = ".1.3.6.1.2.1.4.20.1.2"
	oidIPAddressIf    = ".1.3.6.1.2.1.4.34.1.3"
	oidEntDescr       = ".1.3.6.1.2.1.47.1.1.1.1.2"
	oidEntClass       = ".1.3.6.1.2.1.47.1.1.1.1.5"
	oidEntName        = ".1.3.6.1.2.1.47.1.1.1.1.7"
	oidEntSerial      = ".1.3.6.1.2.1.47.1.1.1.1.11"
	oidEntModel       = ".1.3.6.1.2.1.47.1.1.1.1.13"
	oidLldpRem        = ".1.0.8802.1.1.2.1.4.1.1"
	oidLldpRemManAddr = ".1.0.8802.1.1.2.1.4.2.1.3"
	oidCdpCache       = ".1.3.6.1.4.1.9.9.23.1.2.1.1"
)

// deviceKinds maps INFO/TYPE to a CI kind.
var deviceKinds = map[string]string{
	"NETWORKING": discovery.KindNetworkDevice, "PRINTER": discovery.KindNetworkDevice,
	"POWER": discovery.KindNetworkDevice, "PHONE": discovery.KindNetworkDevice,
	"VIDEO": discovery.KindNetworkDevice, "KVM": discovery.KindNetworkDevice,
	"COMPUTER": discovery.KindServer, "STORAGE": discovery.KindStorage,
}

// entityClasses are ENTITY-MIB's PhysicalClass names, as COMPONENT/TYPE
// writes them, with their numbers.
var entityClasses = map[string]int{
	"other": 1, "unknown": 2, "chassis": 3, "backplane": 4, "container": 5, "powerSupply": 6,
	"fan": 7, "sensor": 8, "module": 9, "port": 10, "stack": 11, "cpu": 12, "energyObject": 13,
	"battery": 14, "storageDrive": 15,
}

// SNMPObservations maps an SNMPQUERY (fusioninventory-netinventory's
// results) to one observation per CONTENT/DEVICE, each followed by the
// Reference observations of its LLDP/CDP neighbours (a neighbour two
// devices of the message see is one), all stamped now, and returns
// warnings: devices that failed or could not be identified, MAC address
// tables left out. A START or END message (CONTENT/AGENT) maps to nothing
// and no error; a CONTENT with neither DEVICE nor AGENT is an error. See
// the table above for the mapping.
func (r *Request) SNMPObservations(now time.Time) ([]discovery.Observation, []string, error) {
	if r.Query != "SNMPQUERY" {
		return nil, nil, fmt.Errorf("a %s request carries no network inventory", clip(r.Query))
	}
	if r.Content == nil {
		return nil, nil, fmt.Errorf("the SNMPQUERY of %q has no CONTENT", clip(r.DeviceID))
	}
	var obs []discovery.Observation
	var warnings []string
	keys := map[string]bool{}
	devices, macTables := 0, 0
	for i := range r.Content.Children {
		d := &r.Content.Children[i]
		if d.Name != "DEVICE" {
			continue
		}
		devices++
		got, warn, macs := mapDevice(d, devices, now)
		warnings = append(warnings, warn...)
		macTables += macs
		if len(got) == 0 {
			continue
		}
		if keys[got[0].Key] {
			warnings = append(warnings, fmt.Sprintf("DEVICE %d: %s reported twice in one message; the first kept", devices, clip(got[0].Key)))
			continue
		}
		keys[got[0].Key] = true
		obs = append(obs, got...)
	}
	if devices == 0 && r.Content.Child("AGENT") == nil {
		return nil, nil, fmt.Errorf("the SNMPQUERY of %q carries neither DEVICE nor AGENT", clip(r.DeviceID))
	}
	if macTables > 0 {
		warnings = append(warnings, fmt.Sprintf("PORTS: %d MAC addresses learnt on ports (MAC address tables, no CDP or LLDP) not mapped: they name no device", macTables))
	}
	obs = snmp.MergeReferences(obs)
	for i := range obs {
		obs[i].Identifiers = filterIdentity(obs[i].Identifiers)
	}
	return obs, warnings, nil
}

// device gathers one DEVICE's values as the MIB values they came from.
type device struct {
	pdus     []gosnmp.SnmpPDU
	ifIndex  map[*Node]uint32 // each PORT's ifIndex
	nextIf   uint32
	remIndex uint32
	macs     int // MAC table entries left out
}

func (d *device) str(oid, v string) {
	if v = strings.TrimSpace(v); v != "" {
		d.pdus = append(d.pdus, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte(v)})
	}
}

func (d *device) raw(oid string, v []byte) {
	d.pdus = append(d.pdus, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: v})
}

func (d *device) integer(oid string, n int) {
	d.pdus = append(d.pdus, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: n})
}

func (d *device) gauge(oid string, n uint64) {
	d.pdus = append(d.pdus, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Gauge32, Value: n})
}

func idx(oid string, i uint32) string { return oid + "." + strconv.FormatUint(uint64(i), 10) }

// addrIndex is an address as a table index: "a.b.c.d" for ipAddrTable,
// "2.16.<octets>" (ipAddressTable) for IPv6.
func addrIndex(a netip.Addr) string {
	var b strings.Builder
	s := a.AsSlice()
	if a.Is6() {
		b.WriteString("2.16")
	}
	for i, c := range s {
		if i > 0 || a.Is6() {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(int(c)))
	}
	return b.String()
}

// mapDevice maps one DEVICE (n-th of the message): its observation first,
// then its neighbours; warnings; MAC table entries left out.
func mapDevice(dev *Node, n int, now time.Time) ([]discovery.Observation, []string, int) {
	info := dev.Child("INFO")
	if info == nil {
		if e := dev.Child("ERROR"); e != nil {
			return nil, []string{fmt.Sprintf("DEVICE %d: the agent could not inventory %s: %s", n,
				clip(firstNonEmpty(e.Get("IP"), e.Get("ID"), "a device")), clipLong(e.Get("MESSAGE")))}, 0
		}
		return nil, []string{fmt.Sprintf("DEVICE %d: no INFO, not mapped", n)}, 0
	}
	name := firstNonEmpty(info.Get("NAME"), info.Get("SNMPHOSTNAME"))
	key, host := deviceKey(info, dev)
	if key == "" {
		return nil, []string{fmt.Sprintf("DEVICE %d (%s): no serial number, MAC or address to know it by, not mapped", n, clip(firstNonEmpty(name, "no name")))}, 0
	}
	d := &device{ifIndex: map[*Node]uint32{}}
	d.str(oidSysDescr, firstNonEmpty(info.Get("COMMENTS"), info.Get("DESCRIPTION")))
	d.str(oidSysContact, info.Get("CONTACT"))
	d.str(oidSysName, name)
	d.str(oidSysLocation, info.Get("LOCATION"))
	if name == "" && info.Get("COMMENTS") == "" {
		// snmp.FromPDUs wants one of the system group's names.
		d.raw(oidSysDescr, nil)
	}
	d.components(dev.Child("COMPONENTS"))
	ports := d.ports(dev.Child("PORTS"))
	for _, a := range infoIPs(info) {
		if a.Is4() {
			d.pdus = append(d.pdus, gosnmp.SnmpPDU{Name: oidIPAdEntAddr + "." + addrIndex(a), Type: gosnmp.IPAddress, Value: a.String()})
		}
	}
	for _, p := range ports {
		d.connections(p)
	}
	obs, err := snmp.Observations(host, d.pdus, true)
	if err != nil {
		// Not reached: a system group value is always given.
		return nil, []string{fmt.Sprintf("DEVICE %d: %v", n, err)}, d.macs
	}
	o := &obs[0]
	o.Key = key
	o.StableKey = true
	if k, ok := deviceKinds[strings.ToUpper(info.Get("TYPE"))]; ok {
		o.Kind = k
		delete(o.Facts, snmp.KindEvidenceFact)
	}
	setFact(o, "netinventory.type", strings.ToUpper(info.Get("TYPE")))
	setFact(o, "netinventory.model", info.Get("MODEL"))
	setFact(o, "netinventory.manufacturer", info.Get("MANUFACTURER"))
	setFact(o, "netinventory.firmware", info.Get("FIRMWARE"))
	if ram, ok := parseNumber(info.Get("RAM")); ok && ram > 0 && ram < 1<<40 {
		setFact(o, "netinventory.ram_mib", strconv.FormatInt(int64(math.Round(ram)), 10))
	}
	if s := strings.TrimSpace(info.Get("SERIAL")); s != "" && !ident.IsPlaceholderSerial(s) {
		if v, err := ident.Normalize(ident.Serial, s); err == nil {
			o.AddIdentifier(ident.Serial, v)
			if o.Fields["serial_number"] == "" {
				o.SetField("serial_number", v)
			}
		}
	}
	o.AddNormalized(ident.MAC, info.Get("MAC"))
	for _, a := range infoIPs(info) {
		if a.Is6() && usableAddr(a) {
			o.AddIdentifier(ident.IP, a.String())
		}
	}
	for i := range obs {
		obs[i].SeenAt = now
	}
	return obs, nil, d.macs
}

// deviceKey is the device's key ("netinventory serial:…", "… mac:…",
// "… ip:…") and the host the snmp mapping names it by; "" when it has no
// identity.
func deviceKey(info, dev *Node) (string, string) {
	serial := strings.TrimSpace(info.Get("SERIAL"))
	if serial == "" || ident.IsPlaceholderSerial(serial) {
		// The chassis serial of COMPONENTS, as the snmp source takes it.
		serial = chassisSerial(dev.Child("COMPONENTS"))
	}
	if v, err := ident.Normalize(ident.Serial, serial); err == nil && serial != "" && !ident.IsPlaceholderSerial(serial) {
		return netInventoryKeyPrefix + "serial:" + v, firstNonEmpty(firstIP(info), v)
	}
	if v, err := ident.Normalize(ident.MAC, info.Get("MAC")); err == nil && !ident.IsPlaceholderMAC(v) {
		return netInventoryKeyPrefix + "mac:" + v, firstNonEmpty(firstIP(info), v)
	}
	if a := firstIP(info); a != "" {
		return netInventoryKeyPrefix + "ip:" + a, a
	}
	return "", ""
}

func firstIP(info *Node) string {
	for _, a := range infoIPs(info) {
		if usableAddr(a) {
			return a.String()
		}
	}
	return ""
}

// infoIPs are INFO/IPS/IP (and INFO/IP), parsed, without duplicates.
func infoIPs(info *Node) []netip.Addr {
	var out []netip.Addr
	add := func(s string) {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && !a.Is4In6() {
			a = a.WithZone("")
			for _, b := range out {
				if b == a {
					return
				}
			}
			out = append(out, a)
		}
	}
	add(info.Get("IP"))
	if ips := info.Child("IPS"); ips != nil {
		for _, c := range ips.Children {
			if c.Name == "IP" {
				add(c.Text)
			}
		}
	}
	return out
}

func usableAddr(a netip.Addr) bool {
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && !a.IsUnspecified() && !a.IsInterfaceLocalMulticast()
}

// chassisSerial is the serial of the chassis COMPONENT of lowest INDEX that
// has one.
func chassisSerial(comps *Node) string {
	best, serial := uint64(math.MaxUint64), ""
	if comps == nil {
		return ""
	}
	for _, c := range comps.Children {
		if c.Name != "COMPONENT" || c.Get("TYPE") != "chassis" {
			continue
		}
		s := strings.TrimSpace(c.Get("SERIAL"))
		i, err := strconv.ParseUint(c.Get("INDEX"), 10, 32)
		if s == "" || ident.IsPlaceholderSerial(s) || err != nil || i >= best {
			continue
		}
		best, serial = i, s
	}
	return serial
}

// components turns COMPONENTS into entPhysicalTable rows, by INDEX (a
// component without a valid one is numbered after the others).
func (d *device) components(comps *Node) {
	if comps == nil {
		return
	}
	used := map[uint32]bool{}
	var last uint32
	for _, c := range comps.Children {
		if i, err := strconv.ParseUint(c.Get("INDEX"), 10, 31); err == nil {
			last = max(last, uint32(i))
		}
	}
	for i := range comps.Children {
		c := &comps.Children[i]
		if c.Name != "COMPONENT" {
			continue
		}
		n64, err := strconv.ParseUint(c.Get("INDEX"), 10, 31)
		n := uint32(n64)
		if err != nil || n == 0 || used[n] {
			last++
			n = last
		}
		used[n] = true
		d.str(idx(oidEntDescr, n), c.Get("DESCRIPTION"))
		d.str(idx(oidEntName, n), c.Get("NAME"))
		d.str(idx(oidEntSerial, n), c.Get("SERIAL"))
		d.str(idx(oidEntModel, n), c.Get("MODEL"))
		if t := c.Get("TYPE"); t != "" {
			if cl, ok := entityClasses[t]; ok {
				d.integer(idx(oidEntClass, n), cl)
			} else if v, err := strconv.Atoi(t); err == nil && v > 0 {
				d.integer(idx(oidEntClass, n), v)
			}
		}
	}
}

// ports turns PORTS into ifTable, ifXTable and ipAddrTable rows, by
// IFNUMBER (a port without a valid or with a repeated one is numbered
// after the others), and returns the PORT elements.
func (d *device) ports(ports *Node) []*Node {
	if ports == nil {
		return nil
	}
	var out []*Node
	used := map[uint32]bool{}
	for i := range ports.Children {
		if n, err := strconv.ParseUint(ports.Children[i].Get("IFNUMBER"), 10, 31); err == nil {
			d.nextIf = max(d.nextIf, uint32(n))
		}
	}
	for i := range ports.Children {
		p := &ports.Children[i]
		if p.Name != "PORT" {
			continue
		}
		n64, err := strconv.ParseUint(p.Get("IFNUMBER"), 10, 31)
		n := uint32(n64)
		if err != nil || n == 0 || used[n] {
			d.nextIf++
			n = d.nextIf
		}
		used[n] = true
		d.ifIndex[p] = n
		out = append(out, p)
		d.str(idx(oidIfDescr, n), p.Get("IFDESCR"))
		d.str(idx(oidIfName, n), p.Get("IFNAME"))
		d.str(idx(oidIfAlias, n), p.Get("IFALIAS"))
		if v, err := strconv.Atoi(p.Get("IFTYPE")); err == nil && v >= 0 {
			d.integer(idx(oidIfType, n), v)
		}
		if v, err := strconv.Atoi(p.Get("IFSTATUS")); err == nil && v >= 0 {
			d.integer(idx(oidIfOperStatus, n), v)
		}
		// IFSPEED is ifHighSpeed × 10⁶ when the agent has it, else ifSpeed.
		if v, err := strconv.ParseUint(p.Get("IFSPEED"), 10, 64); err == nil {
			if v > math.MaxUint32 {
				d.gauge(idx(oidIfSpeed, n), math.MaxUint32)
				d.gauge(idx(oidIfHighSpeed, n), v/1_000_000)
			} else {
				d.gauge(idx(oidIfSpeed, n), v)
			}
		}
		if b, ok := ident.MACOctets(p.Get("MAC")); ok {
			d.raw(idx(oidIfPhysAddress, n), b[:])
		}
		seen := map[netip.Addr]bool{}
		addIP := func(s string) {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil || seen[a] || a.Zone() != "" {
				return
			}
			seen[a] = true
			if a.Is4() {
				d.integer(oidIPAdEntIfIndex+"."+addrIndex(a), int(n))
			} else if a.Is6() && !a.Is4In6() {
				d.integer(oidIPAddressIf+"."+addrIndex(a), int(n))
			}
		}
		addIP(p.Get("IP"))
		if ips := p.Child("IPS"); ips != nil {
			for _, c := range ips.Children {
				if c.Name == "IP" {
					addIP(c.Text)
				}
			}
		}
	}
	return out
}

// connections turns a PORT's CONNECTIONS into lldpRemTable and
// cdpCacheTable rows on that port, or counts a MAC address table.
func (d *device) connections(p *Node) {
	for ci := range p.Children {
		cs := &p.Children[ci]
		if cs.Name != "CONNECTIONS" {
			continue
		}
		cdpFlag, lldpFlag := cs.Get("CDP") == "1", cs.Get("LLDP") == "1"
		for i := range cs.Children {
			c := &cs.Children[i]
			if c.Name != "CONNECTION" {
				continue
			}
			if !cdpFlag && !lldpFlag {
				for _, m := range c.Children {
					if m.Name == "MAC" {
						d.macs++
					}
				}
				continue
			}
			d.neighbour(d.ifIndex[p], c, cdpFlag, lldpFlag)
		}
	}
}

// neighbour adds the LLDP and/or CDP row of one CONNECTION seen on the
// port of ifIndex port (see the package documentation for the protocol).
func (d *device) neighbour(port uint32, c *Node, cdpFlag, lldpFlag bool) {
	mac, macOK := ident.MACOctets(c.Get("SYSMAC"))
	model := c.Get("MODEL")
	// FusionInventory reads LLDP neighbours by chassis MAC only, and CDP
	// ones only with a platform (MODEL); LLDP=1 alone says LLDP.
	lldp, cdp := macOK, !macOK || model != ""
	if lldpFlag && !cdpFlag {
		lldp, cdp = true, false
	}
	remotePort := firstNonEmpty(c.Get("IFNUMBER"), c.Get("IFDESCR"))
	var addrs []netip.Addr
	for _, s := range append([]string{c.Get("IP")}, childTexts(c.Child("IPS"), "IP")...) {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && a.Zone() == "" && !a.Is4In6() {
			addrs = append(addrs, a)
		}
	}
	d.remIndex++
	ri := d.remIndex
	if lldp {
		rk := "0." + strconv.FormatUint(uint64(port), 10) + "." + strconv.FormatUint(uint64(ri), 10)
		if macOK {
			d.integer(oidLldpRem+".4."+rk, 4) // chassis ID subtype macAddress
			d.raw(oidLldpRem+".5."+rk, mac[:])
		}
		d.integer(oidLldpRem+".6."+rk, 7) // port ID subtype local: as text
		d.str(oidLldpRem+".7."+rk, remotePort)
		if c.Get("IFNUMBER") != "" {
			d.str(oidLldpRem+".8."+rk, c.Get("IFDESCR"))
		}
		d.str(oidLldpRem+".9."+rk, c.Get("SYSNAME"))
		d.str(oidLldpRem+".10."+rk, c.Get("SYSDESCR"))
		if !cdp {
			for _, a := range addrs {
				fam := "1.4."
				if a.Is6() {
					fam = "2.16."
				}
				d.integer(oidLldpRemManAddr+"."+rk+"."+fam+strings.TrimPrefix(addrIndex(a), "2.16."), 2)
			}
		}
	}
	if cdp {
		ck := strconv.FormatUint(uint64(port), 10) + "." + strconv.FormatUint(uint64(ri), 10)
		id := c.Get("SYSNAME")
		if id == "" && macOK {
			id = fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5])
		}
		d.str(oidCdpCache+".6."+ck, id)
		d.str(oidCdpCache+".7."+ck, firstNonEmpty(c.Get("IFDESCR"), c.Get("IFNUMBER")))
		d.str(oidCdpCache+".8."+ck, model)
		for _, a := range addrs {
			if a.Is4() {
				d.integer(oidCdpCache+".3."+ck, 1)
				b := a.As4()
				d.raw(oidCdpCache+".4."+ck, b[:])
				break
			}
			if a.Is6() {
				d.integer(oidCdpCache+".3."+ck, 20)
				b := a.As16()
				d.raw(oidCdpCache+".4."+ck, b[:])
				break
			}
		}
	}
}

func childTexts(n *Node, name string) []string {
	if n == nil {
		return nil
	}
	var out []string
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c.Text)
		}
	}
	return out
}

// clipLong shortens an agent's error message quoted in a warning.
func clipLong(s string) string {
	s = discovery.CleanFactValue(s)
	if len(s) > 300 {
		cut := 300
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
