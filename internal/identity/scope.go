package identity

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
)

// maxScopeLen is the longest network scope name, in bytes.
const maxScopeLen = 255

// IsScoped reports whether ip (normalised or not; IPv4-mapped and zoned
// forms are read as their address) is private or otherwise not globally
// unique, so that it identifies only within a network scope: RFC 1918,
// RFC 6598 (100.64.0.0/10), link-local (169.254.0.0/16, fe80::/10), IPv6 ULA
// (fc00::/7), loopback, and anything else that is not global unicast. It
// returns false for a value that is not an address.
func IsScoped(ip string) bool {
	a, ok := parseAddr(ip)
	return ok && scoped(a)
}

func scoped(a netip.Addr) bool {
	if a.Is4() {
		b := a.As4()
		if b[0] == 100 && b[1]&0xc0 == 64 { // 100.64.0.0/10, RFC 6598
			return true
		}
	}
	return a.IsPrivate() || !a.IsGlobalUnicast()
}

// AddressScope returns the scope an address is stored and matched in:
// scope for a scoped address (see IsScoped), "" (global) for a public one
// and for a value that is not an address.
func AddressScope(ip, scope string) string {
	if IsScoped(ip) {
		return scope
	}
	return ""
}

// NormalizeScope returns the canonical form of a network scope name (a
// site, VRF, VPC or datacenter): surrounding space trimmed and ASCII
// letters lower-cased, so that "LON3" and "lon3 " are one scope. "" is the
// global scope.
func NormalizeScope(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxScopeLen {
		return "", fmt.Errorf("invalid network scope: %d bytes long, want at most %d", len(s), maxScopeLen)
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "", fmt.Errorf("invalid network scope %q: contains control, format or invalid character %U", s, r)
		}
	}
	return lowerASCII(s), nil
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// parseAddr reads an address, brackets, zone and IPv4 mapping removed.
func parseAddr(ip string) (netip.Addr, bool) {
	s := strings.TrimPrefix(strings.TrimSuffix(strings.TrimSpace(ip), "]"), "[")
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
