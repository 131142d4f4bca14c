package ident

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

func normalizeIP(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("invalid IP address %q: %s", textclip.Message(s), why)
	}
	if s == "" {
		return bad("must not be empty")
	}
	text := s
	bracketed := false
	if strings.HasPrefix(text, "[") {
		inner, ok := strings.CutSuffix(text[1:], "]")
		if !ok {
			return bad("unbalanced brackets (ports are not allowed)")
		}
		text, bracketed = inner, true
	}
	// A zone (fe80::1%eth0) names an interface of the machine that wrote
	// the address, not a network: the address is the same without it, and
	// which network it belongs to is the identifier's scope.
	if i := strings.IndexByte(text, '%'); i >= 0 {
		if i == len(text)-1 {
			return bad("an empty zone after %")
		}
		text = text[:i]
	}
	if strings.Contains(text, "/") {
		return bad("a prefix length is not allowed, want a single address")
	}
	addr, err := netip.ParseAddr(text)
	if err != nil {
		// netip's message repeats the input; keep only the reason.
		msg := strings.TrimPrefix(err.Error(), "ParseAddr("+strconv.Quote(text)+"): ")
		return bad(msg)
	}
	if bracketed && !addr.Is6() {
		return bad("brackets are only allowed around an IPv6 address")
	}
	return addr.Unmap().String(), nil
}

// macHex parses a MAC address and returns its 12 hex digits, or a reason
// why it is not a 48-bit MAC address.
func macHex(s string) (hex string, problem string) {
	if s == "" {
		return "", "must not be empty"
	}
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':' || c == '-' || c == '.':
			if sep != 0 && sep != c {
				return "", "mixes separators"
			}
			sep = c
		case !isHex(c):
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", fmt.Sprintf("contains %q, want hex digits and one of the separators : - .", r)
		}
	}
	const want = `want six hex octets such as "aa:bb:cc:dd:ee:ff"`
	const eui64 = "64-bit EUI-64 identifiers are not supported, want a 48-bit MAC address"
	if sep == 0 {
		switch len(s) {
		case 12:
			return s, ""
		case 16:
			return "", eui64
		}
		return "", want
	}
	groups := strings.Split(s, string(sep))
	short := true // every group has one or two digits
	same := true  // every group has the same length
	for _, g := range groups {
		if g == "" {
			return "", "has an empty group"
		}
		short = short && len(g) <= 2
		same = same && len(g) == len(groups[0])
	}
	total := len(s) - (len(groups) - 1)
	switch {
	case short && len(groups) == 6:
		var b strings.Builder
		for _, g := range groups {
			if len(g) == 1 {
				b.WriteByte('0')
			}
			b.WriteString(g)
		}
		return b.String(), ""
	case short && len(groups) == 8, same && total == 16:
		return "", eui64
	case same && total == 12 && len(groups[0])%2 == 0:
		// Cisco "aabb.ccdd.eeff", HP "aabbcc-ddeeff" and the like.
		return strings.Join(groups, ""), ""
	}
	return "", want
}

// isPlaceholderMACHex reports whether hex (12 lower-case hex digits) is the
// all-zero or the broadcast MAC address, which name no interface.
func isPlaceholderMACHex(hex string) bool {
	return hex == "000000000000" || hex == "ffffffffffff"
}

// IsPlaceholderMAC reports whether s, in any notation Normalize accepts, is
// the all-zero or the broadcast MAC address: values that drivers and tools
// report for an interface without an address, which name no interface.
func IsPlaceholderMAC(s string) bool {
	o, ok := MACOctets(s)
	return ok && (o == [6]byte{} || o == [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
}

// MACOctets returns the six octets of a 48-bit MAC address written in any
// notation Normalize accepts (colons, dashes, Cisco dots, bare hex), and
// false when s is not one. Unlike Normalize it accepts placeholder
// addresses, so that callers can classify them.
func MACOctets(s string) (octets [6]byte, ok bool) {
	if canonicalMAC(s) { // the stored form, without allocating
		for i := range octets {
			octets[i] = unhex(s[3*i])<<4 | unhex(s[3*i+1])
		}
		return octets, true
	}
	hex, p := macHex(strings.TrimSpace(s))
	if p != "" {
		return octets, false
	}
	for i := range octets {
		octets[i] = unhex(hex[2*i])<<4 | unhex(hex[2*i+1])
	}
	return octets, true
}

// canonicalMAC reports whether s is six colon-separated two-digit hex
// octets.
func canonicalMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		if i%3 == 2 {
			if s[i] != ':' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func normalizeMAC(s string) (string, error) {
	hex, p := macHex(s)
	if p != "" {
		return "", fmt.Errorf("invalid MAC address %q: %s", textclip.Message(s), p)
	}
	hex = lowerASCII(hex)
	if isPlaceholderMACHex(hex) {
		return "", fmt.Errorf("placeholder MAC address %q", s)
	}
	var b strings.Builder
	b.Grow(17)
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex[i : i+2])
	}
	return b.String(), nil
}

// uuidHex returns the 32 hex digits of a UUID, or a reason why s is not one.
func uuidHex(s string) (hex string, problem string) {
	if hasPrefixFold(s, "urn:uuid:") {
		s = s[len("urn:uuid:"):]
	}
	if strings.HasPrefix(s, "{") || strings.HasSuffix(s, "}") {
		if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
			return "", "unbalanced braces"
		}
		s = s[1 : len(s)-1]
	}
	switch len(s) {
	case 32:
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", "want dashes in the 8-4-4-4-12 positions"
		}
		s = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	default:
		return "", `want 32 hex digits such as "123e4567-e89b-12d3-a456-426614174000"`
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", fmt.Sprintf("contains %q, want hex digits", r)
		}
	}
	return s, ""
}

// isPlaceholderUUID reports whether hex (32 lower-case hex digits) is a UUID
// that firmware reports when it has none: one hex digit repeated (the nil
// and max UUIDs among them), the well-known bogus SMBIOS UUID of many AMI
// boards in both byte orders (SMBIOS 2.6 and later store the first three
// fields little-endian, so tools print either), and the counting pattern
// some vendors ship.
func isPlaceholderUUID(hex string) bool {
	if strings.Trim(hex, hex[:1]) == "" {
		return true // 000…0, fff…f, 111…1, …
	}
	switch hex {
	case "03000200040005000006000700080009",
		"00020003000400050006000700080009",
		"0123456789abcdef0123456789abcdef":
		return true
	}
	return false
}

// IsPlaceholderUUID reports whether s, in any notation Normalize accepts, is
// a UUID that firmware reports when it has none, such as
// "00000000-0000-0000-0000-000000000000" or the bogus SMBIOS UUID
// "03000200-0400-0500-0006-000700080009". Such a UUID is shared by many
// machines and names none of them.
func IsPlaceholderUUID(s string) bool {
	hex, p := uuidHex(strings.TrimSpace(s))
	return p == "" && isPlaceholderUUID(lowerASCII(hex))
}

func normalizeUUID(s string) (string, error) {
	hex, p := uuidHex(s)
	if p != "" {
		return "", fmt.Errorf("invalid UUID %q: %s", textclip.Message(s), p)
	}
	hex = lowerASCII(hex)
	if isPlaceholderUUID(hex) {
		return "", fmt.Errorf("placeholder UUID %q", s)
	}
	return hex[:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:], nil
}
