package deliver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Egress decides which addresses a webhook may reach. It refuses, unless
// Allow holds the address:
//
//   - loopback (127.0.0.0/8, ::1): services on Cairn's own machine;
//   - link-local (169.254.0.0/16, fe80::/10): the cloud metadata service at
//     169.254.169.254 hands out the machine's credentials;
//   - unspecified (0.0.0.0, ::) and 0.0.0.0/8, which reach this machine;
//   - multicast and the IPv4 broadcast address, never a web server.
//
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) and NAT64 ones
// (64:ff9b::/96) are judged by the IPv4 address they carry. Private
// addresses (10/8, 172.16/12, 192.168/16, fc00::/7) are allowed: Cairn runs
// on internal networks, where chat and ticketing webhooks live.
type Egress struct {
	// Allow lists the ranges the operator lets webhooks reach although
	// they are refused by default (--webhook-allow).
	Allow []netip.Prefix
}

// ParseAllow reads a list of CIDR ranges or single addresses ("127.0.0.0/8",
// "::1"), as --webhook-allow gives them.
func ParseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR range nor an address", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// RefusedError is a connection Egress refused.
type RefusedError struct {
	Addr netip.Addr
	// Why names the kind of address: "a loopback address".
	Why string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("webhook address %s is refused: %s (the operator allows it with --webhook-allow)", e.Addr, e.Why)
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// refusedKind names why a is refused by default, or "" when it is not.
func refusedKind(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	switch {
	case a.IsUnspecified():
		return "an unspecified address, which reaches this machine"
	case a.Is4() && a.As4()[0] == 0:
		return "a 0.0.0.0/8 address, which reaches this machine"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (the cloud metadata service is 169.254.169.254)"
	case a.IsMulticast():
		return "a multicast address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	return ""
}

// Check refuses a unless it is allowed (see Egress).
func (e Egress) Check(a netip.Addr) error {
	a = a.Unmap()
	why := refusedKind(a)
	if why == "" {
		return nil
	}
	for _, p := range e.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	return &RefusedError{Addr: a, Why: why}
}

// CheckURL checks what can be checked of a webhook URL before any name is
// resolved: a literal address in its host, and "localhost". Names are
// checked when they are dialled (Check, through the dialer).
func (e Egress) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // the URL's own rule (hooks.CheckWebhookURL) says what is wrong
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return e.Check(a)
	}
	if h := strings.TrimSuffix(strings.ToLower(host), "."); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return e.Check(netip.AddrFrom4([4]byte{127, 0, 0, 1}))
	}
	return nil
}

// control is the dialer's check of each address it connects to, after DNS
// resolution: the one place a name that resolves (or rebinds) to a refused
// address is caught.
func (e Egress) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q: %w", address, err)
	}
	return e.Check(ap.Addr())
}

// client returns an HTTP client whose every connection Egress checks,
// without a proxy and without following redirects.
func (e Egress) client() *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: e.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// IsRefused reports whether err is (or wraps) a connection Egress refused.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}
