package identity

import (
	"net/netip"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Candidate is one identifier an input may be, normalised for its kind.
type Candidate struct {
	Kind  ident.Kind
	Value string
	// Domain is the domain the candidate was given in: the part of an FQDN
	// after its first label, for the FQDN itself and for the short host
	// name derived from it (then Derived is true). "" when the input
	// carried no domain.
	Domain  string
	Derived bool
}

// String is "KIND value", with "@domain" for a derived short name.
func (c Candidate) String() string {
	if c.Derived {
		return string(c.Kind) + " " + c.Value + "@" + c.Domain
	}
	return string(c.Kind) + " " + c.Value
}

// Domain returns the domain of a normalised FQDN: everything after its
// first label ("eu.example.org" for "db01.eu.example.org"), or "" for a
// name without a dot.
func Domain(fqdn string) string {
	_, d, _ := strings.Cut(fqdn, ".")
	return d
}

// Expand appends to dst the candidates of one identifier whose kind is
// known and whose value is already normalised (an observation's
// identifiers, a stored row): the identifier itself, and for an FQDN its
// short host name as a weaker, derived HOSTNAME candidate carrying the
// FQDN's domain.
func Expand(dst []Candidate, kind ident.Kind, value string) []Candidate {
	if kind != ident.FQDN {
		return append(dst, Candidate{Kind: kind, Value: value})
	}
	short, dom, _ := strings.Cut(value, ".")
	return append(dst,
		Candidate{Kind: ident.FQDN, Value: value, Domain: dom},
		Candidate{Kind: ident.Hostname, Value: short, Domain: dom, Derived: true})
}

// Parse returns every identifier an input of unknown shape can be, such as
// what a person typed or an alert carried, normalised and strongest first,
// without duplicates; nil when nothing fits. See the package doc for the
// shapes it reads. Parse builds on ident.Guess and adds URLs, ports, zones,
// a trailing root dot on a short name and the domain of derived short
// names.
func Parse(input string) []Candidate {
	s := strings.TrimSpace(input)
	if s == "" {
		return nil
	}
	if host, ok := urlHost(s); ok {
		return hostCandidates(nil, host)
	}
	var out []Candidate
	if host, ok := splitPort(s); ok {
		out = hostCandidates(out, host)
		for _, c := range ident.Guess(s) {
			switch c.Kind {
			case ident.Serial, ident.AssetTag, ident.CloudID:
				out = appendNew(out, c.Kind, c.Value)
			}
		}
		return out
	}
	if ip, ok := stripZone(s); ok {
		s = ip
	}
	if t, ok := strings.CutSuffix(s, "."); ok && ident.ValidHostname(t) {
		s = t // "web01." is the host web01, not a serial
		return hostCandidates(nil, s)
	}
	return fromGuess(out, s, false)
}

// fromGuess appends ident.Guess's candidates of s, marking the short name
// of an FQDN as derived; with network set, only IP, FQDN and HOSTNAME.
func fromGuess(out []Candidate, s string, network bool) []Candidate {
	var fqdn Candidate
	for _, c := range ident.Guess(s) {
		if network && c.Kind != ident.IP && c.Kind != ident.FQDN && c.Kind != ident.Hostname {
			continue
		}
		switch {
		case c.Kind == ident.FQDN:
			fqdn = Candidate{Kind: ident.FQDN, Value: c.Value, Domain: Domain(c.Value)}
			out = appendCand(out, fqdn)
		case c.Kind == ident.Hostname && fqdn.Value != "" && c.Value == ident.ShortName(fqdn.Value):
			out = appendCand(out, Candidate{Kind: ident.Hostname, Value: c.Value, Domain: fqdn.Domain, Derived: true})
		default:
			out = appendNew(out, c.Kind, c.Value)
		}
	}
	return out
}

// hostCandidates appends the network candidates (IP, FQDN, HOSTNAME) of the
// host part of a URL or host:port.
func hostCandidates(out []Candidate, host string) []Candidate {
	if ip, ok := stripZone(host); ok {
		host = ip
	}
	if t, ok := strings.CutSuffix(host, "."); ok && ident.ValidHostname(t) {
		host = t
	}
	return fromGuess(out, host, true)
}

func appendNew(out []Candidate, k ident.Kind, v string) []Candidate {
	return appendCand(out, Candidate{Kind: k, Value: v})
}

func appendCand(out []Candidate, c Candidate) []Candidate {
	for _, o := range out {
		if o.Kind == c.Kind && o.Value == c.Value {
			return out
		}
	}
	return append(out, c)
}

// urlHost returns the host of scheme://[user@]host[:port][/path][?q][#f],
// unbracketed and with a %25-escaped zone decoded; false when s is not a
// URL with a host.
func urlHost(s string) (string, bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !validScheme(scheme) {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host := rest
	if strings.HasPrefix(rest, "[") {
		inner, after, ok := strings.Cut(rest[1:], "]")
		if !ok || (after != "" && !isPort(strings.TrimPrefix(after, ":"), after)) {
			return "", false
		}
		host = strings.Replace(inner, "%25", "%", 1)
	} else if h, p, ok := strings.Cut(rest, ":"); ok {
		if !isPort(p, ":"+p) {
			return "", false
		}
		host = h
	}
	return host, host != ""
}

// validScheme reports whether s is an RFC 3986 scheme.
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// isPort reports whether p is a port number of one to five digits; sep is
// the text p came from, which must have started with the colon.
func isPort(p, sep string) bool {
	if len(sep) == 0 || sep[0] != ':' || len(p) == 0 || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// splitPort returns the host of "[v6]:port" or "host:port" (exactly one
// colon, so that IPv6 addresses, MACs and ARNs are left alone).
func splitPort(s string) (string, bool) {
	if strings.HasPrefix(s, "[") {
		inner, after, ok := strings.Cut(s[1:], "]")
		if !ok || after == "" || !isPort(after[1:], after) {
			return "", false
		}
		return inner, inner != ""
	}
	if strings.Count(s, ":") != 1 {
		return "", false
	}
	h, p, _ := strings.Cut(s, ":")
	return h, h != "" && isPort(p, ":"+p)
}

// stripZone returns an IPv6 address without its %zone, or false when s is
// not a zoned address.
func stripZone(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[")
	addr, _, ok := strings.Cut(s, "%")
	if !ok {
		return "", false
	}
	if a, err := netip.ParseAddr(addr); err != nil || !a.Is6() {
		return "", false
	}
	return addr, true
}
