package intake

import (
	"net/url"
	"strconv"
	"strings"
)

// HintLabels are the labels that name an alert's CI, in the order the
// binding tries them: an explicit cairn_ci (a CI name or decimal ID), then
// the identifiers internal/incident matches (instance with its port
// stripped, host, hostname, nodename, fqdn, ip, mac, serial), then service
// (a Service name, not a CI).
var hintLabels = [...]string{
	LabelCI, "instance", "host", "hostname", "nodename", "fqdn", "ip", "mac", "serial", LabelService,
}

// Labels with a meaning of their own.
const (
	LabelCI      = "cairn_ci"
	LabelService = "service"
)

// HintLabels returns the labels Hints reads, in order.
func HintLabels() []string { return append([]string(nil), hintLabels[:]...) }

// Hint is one thing to try when binding an alert: the label it came from
// (the rule recorded as boundBy) and the value to match.
type Hint struct {
	Rule  string `json:"rule"`  // the label name: cairn_ci, instance, host, …, service
	Value string `json:"value"` // what to match: Engine.Match's input, a Service name for service
}

// CIID returns the CI ID a cairn_ci hint names when its value is a
// positive decimal number.
func (h Hint) CIID() (int, bool) {
	if h.Rule != LabelCI {
		return 0, false
	}
	id, err := strconv.Atoi(h.Value)
	if err != nil || id <= 0 || strconv.Itoa(id) != h.Value {
		return 0, false
	}
	return id, true
}

// Hints lists what labels say about an alert's CI, in binding order.
// Empty values are left out, and so is a CI value an earlier rule already
// gave (the earlier rule is the one that would bind).
func Hints(labels map[string]string) []Hint {
	var out []Hint
	seen := map[string]bool{}
	for _, rule := range hintLabels {
		v := strings.TrimSpace(labels[rule])
		if rule == "instance" {
			v = InstanceHost(v)
		}
		if v == "" {
			continue
		}
		if rule != LabelService {
			if seen[v] {
				continue
			}
			seen[v] = true
		}
		out = append(out, Hint{Rule: rule, Value: v})
	}
	return out
}

// InstanceHost is the host an instance label names: "host:9100" → "host",
// "[2001:db8::1]:9100" → "2001:db8::1", "https://web-01:8443/metrics" →
// "web-01", "10.0.0.5" and a bare IPv6 address or MAC (more than one
// colon, no brackets) as they are. The user and path of a URL are dropped.
func InstanceHost(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if i := strings.Index(s, "://"); i > 0 {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return s
		}
		return u.Hostname()
	}
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "]"); end > 1 {
			return s[1:end]
		}
		return s
	}
	if strings.Count(s, ":") == 1 {
		host, port, _ := strings.Cut(s, ":")
		if host != "" && isPort(port) {
			return host
		}
	}
	return s
}

func isPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535 && p != "" && p[0] != '+' && p[0] != '-'
}
