package ident

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

const (
	maxLabelLen = 63
	maxNameLen  = 253
)

// labelProblem returns why l is not an RFC 1123 label, or "" if it is one.
// Letters of either case are accepted.
func labelProblem(l string) string {
	if l == "" {
		return "empty label"
	}
	if len(l) > maxLabelLen {
		return fmt.Sprintf("label %q is %d characters long, want at most %d", textclip.Message(l), len(l), maxLabelLen)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-':
			if i == 0 || i == len(l)-1 {
				return fmt.Sprintf("label %q starts or ends with a hyphen", textclip.Message(l))
			}
		default:
			r, _ := utf8.DecodeRuneInString(l[i:])
			return fmt.Sprintf("label %q contains %q, want only letters, digits and hyphens", textclip.Message(l), r)
		}
	}
	return ""
}

// hostnameProblem returns why s is not a single-label host name, or "".
func hostnameProblem(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if strings.Contains(s, ".") {
		return "contains a dot; a dotted name is an FQDN, not a hostname"
	}
	return labelProblem(s)
}

// fqdnProblem returns why s (with at most one trailing dot already removed)
// is not a fully qualified domain name, or "".
func fqdnProblem(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > maxNameLen {
		return fmt.Sprintf("is %d characters long, want at most %d", len(s), maxNameLen)
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "has a single label, want at least two (a single label is a HOSTNAME)"
	}
	for _, l := range labels {
		if p := labelProblem(l); p != "" {
			return p
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return fmt.Sprintf("top-level label %q is all-numeric", tld)
	}
	return ""
}

func normalizeHostname(s string) (string, error) {
	// "web01." is the host name web01 written as an absolute name.
	if t := strings.TrimSuffix(s, "."); t != "" {
		s = t
	}
	if p := hostnameProblem(s); p != "" {
		return "", fmt.Errorf("invalid hostname %q: %s", textclip.Message(s), p)
	}
	return lowerASCII(s), nil
}

func normalizeFQDN(s string) (string, error) {
	name := strings.TrimSuffix(s, ".")
	if p := fqdnProblem(name); p != "" {
		return "", fmt.Errorf("invalid FQDN %q: %s", textclip.Message(s), p)
	}
	return lowerASCII(name), nil
}

// ValidHostname reports whether s, exactly as given, is an RFC 1123 host
// name of a single label. Letters of either case are accepted.
func ValidHostname(s string) bool {
	return hostnameProblem(s) == ""
}

// ValidFQDN reports whether s, exactly as given, is a fully qualified RFC
// 1123 domain name of at least two labels, optionally with a trailing dot.
// Letters of either case are accepted.
func ValidFQDN(s string) bool {
	return fqdnProblem(strings.TrimSuffix(s, ".")) == ""
}

// ShortName returns the first label of a dotted name, unchanged:
// ShortName("web01.example.com") is "web01". A name without a dot is
// returned as is.
func ShortName(fqdn string) string {
	first, _, _ := strings.Cut(fqdn, ".")
	return first
}
