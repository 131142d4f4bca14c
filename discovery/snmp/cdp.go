package snmp

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// CISCO-CDP-MIB OIDs: only the columns the neighbour mapping uses.
const (
	// cdpCacheTable, index cdpCacheIfIndex.cdpCacheDeviceIndex.
	oidCdpCacheEntry        = ".1.3.6.1.4.1.9.9.23.1.2.1.1"
	oidCdpCacheAddressType  = oidCdpCacheEntry + ".3"
	oidCdpCacheAddress      = oidCdpCacheEntry + ".4"
	oidCdpCacheDeviceID     = oidCdpCacheEntry + ".6"
	oidCdpCacheDevicePort   = oidCdpCacheEntry + ".7"
	oidCdpCachePlatform     = oidCdpCacheEntry + ".8"
	oidCdpCacheCapabilities = oidCdpCacheEntry + ".9"
	// cdpGlobalRun: whether CDP runs at all (so that "0 neighbours" is said
	// only by an agent that does CDP).
	oidCdpGlobalRun = ".1.3.6.1.4.1.9.9.23.1.3.1.0"
)

// cdpRow is one cdpCacheTable row.
type cdpRow struct {
	addrType              int64
	addr                  []byte
	deviceID, port, platf string
	caps                  []byte
}

func (n *neighbourWalk) cdpRow(k [2]uint32) *cdpRow {
	if n.cdp[k] == nil {
		n.cdp[k] = &cdpRow{}
	}
	return n.cdp[k]
}

func (n *neighbourWalk) addCDP(name string, p *gosnmp.SnmpPDU) {
	rest := name[len(oidCdpCacheEntry)+1:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return
	}
	col, err := strconv.Atoi(rest[:dot])
	if err != nil {
		return
	}
	k, ok := twoIndex(rest[dot+1:])
	if !ok {
		return
	}
	switch col {
	case 3:
		if v, ok := intValue(p); ok {
			n.cdpRow(k).addrType = v
		}
	case 4:
		if b, ok := bytesValue(p); ok {
			n.cdpRow(k).addr = b
		}
	case 6, 7, 8:
		s, ok := textValue(p)
		if !ok {
			return
		}
		r := n.cdpRow(k)
		switch col {
		case 6:
			r.deviceID = s
		case 7:
			r.port = s
		case 8:
			r.platf = s
		}
	case 9:
		if b, ok := bytesValue(p); ok {
			n.cdpRow(k).caps = b
		}
	}
}

// cdpCaps names the flags set in a CDP capabilities value (4 octets, big
// endian).
func cdpCaps(b []byte) []string {
	if len(b) != 4 {
		return nil
	}
	// The flags, lowest bit first.
	cdpCapNames := [...]string{"router", "bridge", "sourceRouteBridge", "switch", "host", "igmp",
		"repeater", "telephone", "remotelyManaged", "cvta", "twoPortMACRelay"}
	v := binary.BigEndian.Uint32(b)
	var out []string
	for i, name := range cdpCapNames {
		if v&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// cdpSerial matches an NX-OS style device ID "name(SERIAL)".
var cdpSerial = regexp.MustCompile(`^(.+?)\s*\(([A-Za-z0-9._-]{4,64})\)$`)

// cdpPhone matches a Cisco IP phone's device ID "SEP" + its MAC.
var cdpPhone = regexp.MustCompile(`^(?i:SEP)([0-9A-Fa-f]{12})$`)

// cdpRecords are the cdpCacheTable rows as records: the local port is the
// interface of the row's ifIndex; the device ID gives the name, a serial
// ("name(SERIAL)", NX-OS) or a MAC (a MAC-looking ID, or "SEP"+MAC of an
// IP phone); cdpCacheAddress of type ip(1) or ipv6(20) an address.
func (n *neighbourWalk) cdpRecords(ifNames map[uint32]string) []*record {
	var recs []*record
	for _, k := range sortedPairs(n.cdp) {
		r := n.cdp[k]
		rec := &record{link: Link{Protocol: ProtocolCDP, RemotePort: r.port, LocalPort: ifName(k[0], ifNames)}}
		id := r.deviceID
		if m := cdpSerial.FindStringSubmatch(id); m != nil {
			id = m[1]
			if s, err := ident.Normalize(ident.Serial, m[2]); err == nil && !ident.IsPlaceholderSerial(m[2]) {
				rec.serial = s
			}
		}
		if m := cdpPhone.FindStringSubmatch(id); m != nil {
			rec.mac = macText([]byte(m[1]))
		} else if m := macText([]byte(id)); m != "" {
			rec.mac, id = m, ""
		}
		rec.name = id
		rec.platform = r.platf
		if (r.addrType == 1 && len(r.addr) == 4) || (r.addrType == 20 && len(r.addr) == 16) {
			fam := uint32(1)
			if r.addrType == 20 {
				fam = 2
			}
			if a, ok := familyAddr(fam, r.addr); ok && usableIP(a) {
				rec.ips = append(rec.ips, a)
			}
		}
		rec.caps = cdpCaps(r.caps)
		recs = append(recs, rec)
	}
	return recs
}
