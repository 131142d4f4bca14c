package identity

import (
	"net/netip"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// NotIdentity reports whether value, an identifier of the given kind in any
// notation, is a value that is kept as a fact but never matched on, and the
// rule that says so. It is the one list: createIdentifier refuses these
// values with the reason, and Decide never matches them.
func NotIdentity(kind ident.Kind, value string) (reason string, ok bool) {
	switch kind {
	case ident.MAC:
		return notIdentityMAC(value)
	case ident.Serial:
		if ident.IsPlaceholderSerial(value) {
			return "a placeholder serial number, which firmware reports when none was set, names no machine in particular", true
		}
	case ident.AssetTag:
		if ident.IsPlaceholderAssetTag(value) {
			return "a placeholder asset tag, which firmware reports when none was set, names no machine in particular", true
		}
	case ident.UUID:
		if ident.IsPlaceholderUUID(value) {
			return "a placeholder UUID, which firmware reports when it has none, is shared by many machines", true
		}
	case ident.IP:
		return notIdentityIP(value)
	case ident.Hostname, ident.FQDN:
		v := strings.TrimSuffix(strings.TrimSpace(value), ".")
		for _, l := range [...]string{"localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6"} {
			if strings.EqualFold(v, l) {
				return "localhost is every machine's name for itself", true
			}
		}
	}
	return "", false
}

func notIdentityMAC(value string) (string, bool) {
	if ident.IsPlaceholderMAC(value) {
		return "an all-zero or broadcast MAC address names no interface", true
	}
	o, ok := ident.MACOctets(value)
	if !ok {
		return "", false
	}
	switch {
	case o[0] == 0x00 && o[1] == 0x00 && o[2] == 0x5e && o[3] == 0x00 && o[4] == 0x01:
		return "a VRRP or CARP virtual router MAC (00:00:5e:00:01:xx) is shared by the routers of a group, not one host's identity", true
	case o[0] == 0x00 && o[1] == 0x00 && o[2] == 0x5e && o[3] == 0x00 && o[4] == 0x02:
		return "an IPv6 VRRP virtual router MAC (00:00:5e:00:02:xx) is shared by the routers of a group, not one host's identity", true
	case o[0] == 0x00 && o[1] == 0x00 && o[2] == 0x0c && o[3] == 0x07 && o[4] == 0xac:
		return "an HSRPv1 virtual router MAC (00:00:0c:07:ac:xx) is shared by the routers of a group, not one host's identity", true
	case o[0] == 0x00 && o[1] == 0x00 && o[2] == 0x0c && o[3] == 0x9f && o[4]&0xf0 == 0xf0:
		return "an HSRPv2 virtual router MAC (00:00:0c:9f:fx:xx) is shared by the routers of a group, not one host's identity", true
	case o[0] == 0x00 && o[1] == 0x07 && o[2] == 0xb4 && o[3] == 0x00:
		return "a GLBP virtual forwarder MAC (00:07:b4:00:xx:xx) is shared by the routers of a group, not one host's identity", true
	case o[0]&0x01 != 0:
		return "a multicast MAC address (group bit set) names a group of interfaces, not one", true
	}
	return "", false
}

func notIdentityIP(value string) (string, bool) {
	s := strings.TrimPrefix(strings.TrimSuffix(strings.TrimSpace(value), "]"), "[")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	a = a.Unmap()
	switch {
	case a == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || a == netip.IPv6Loopback():
		// Only the loopback address every machine has: other 127/8
		// addresses are configured on purpose (a service bound to
		// 127.0.0.53, a lab of daemons on 127.0.0.2-5) and are scoped like
		// private addresses (IsScoped).
		return "the loopback address 127.0.0.1 or ::1 is every machine's address for itself", true
	case a.IsUnspecified():
		return "the unspecified address names no machine", true
	case a.IsMulticast():
		return "a multicast address names a group, not one machine", true
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address names every machine on a link", true
	}
	return "", false
}

// NotIdentityFact is the fact under which a CI keeps its values of kind
// that are not identity ("not_identity.mac"): discovery records them there
// instead of as identifiers, and an export writes older identifier rows of
// such values there too. The fact's value is the values, sorted and joined
// by a space.
func NotIdentityFact(kind ident.Kind) string {
	return "not_identity." + strings.ToLower(string(kind))
}
