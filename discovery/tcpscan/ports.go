package tcpscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// FactPrefix starts every fact key this source reports: "open.tcp.22".
const FactPrefix = "open.tcp."

// PortList is a TCP port list in nmap's basic syntax, as written in a job's
// settings: comma-separated ports and inclusive ranges such as
// "22,80,443,8000-8100". Ports run from 1 to 65535; white space around an
// item is ignored; overlapping items are merged. nmap's other forms
// (service names, "T:" prefixes, open-ended ranges such as "1-" or "-")
// are not accepted.
//
// A PortList is checked when it is decoded from JSON, so a bad list is a
// configuration error the moment the job is saved, not when it first runs.
type PortList string

// UnmarshalJSON reads a JSON string and checks it with ParsePorts.
func (l *PortList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("ports: want a string such as \"22,80,8000-8100\", got %s", discovery.JSONKind(b))
	}
	if _, err := ParsePorts(s); err != nil {
		return fmt.Errorf("ports: %w", err)
	}
	*l = PortList(s)
	return nil
}

// PortRange is an inclusive range of ports, First <= Last.
type PortRange struct {
	First, Last uint16
}

// PortSet is a set of TCP ports, held as sorted, disjoint ranges that do not
// touch. The zero value is the empty set.
type PortSet struct {
	ranges []PortRange
}

// ParsePorts reads a port list (see PortList). An error names the offending
// item.
func ParsePorts(s string) (PortSet, error) {
	if strings.TrimSpace(s) == "" {
		return PortSet{}, errors.New("empty port list")
	}
	var rs []PortRange
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return PortSet{}, fmt.Errorf("item %d of %q is empty", i+1, textclip.Message(s))
		}
		r, err := parseItem(item)
		if err != nil {
			return PortSet{}, fmt.Errorf("item %q: %w", textclip.Message(item), err)
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b PortRange) int { return int(a.First) - int(b.First) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if int(r.First) <= int(last.Last)+1 {
			last.Last = max(last.Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return PortSet{ranges: slices.Clip(out)}, nil
}

func parseItem(item string) (PortRange, error) {
	lo, hi, isRange := strings.Cut(item, "-")
	a, err := parsePort(lo)
	if err != nil {
		return PortRange{}, err
	}
	if !isRange {
		return PortRange{a, a}, nil
	}
	b, err := parsePort(hi)
	if err != nil {
		return PortRange{}, err
	}
	if a > b {
		return PortRange{}, fmt.Errorf("range is reversed (%d > %d)", a, b)
	}
	return PortRange{a, b}, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New(`want a port such as 22 or a range such as 8000-8100`)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New(`want a port such as 22 or a range such as 8000-8100`)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %s is out of range 1-65535", textclip.Message(s))
	}
	return uint16(n), nil
}

// MustParsePorts is ParsePorts for a list known to be valid; it panics on
// an error. It is meant for constants in tests and defaults.
func MustParsePorts(s string) PortSet {
	p, err := ParsePorts(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the normalised list: ascending, merged, a range written
// "first-last", such as "22,80-82,443". It parses back to the same set.
func (p PortSet) String() string {
	var b strings.Builder
	for i, r := range p.ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(r.First)))
		if r.Last != r.First {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.Last)))
		}
	}
	return b.String()
}

// Ranges returns the set's ranges in ascending order.
func (p PortSet) Ranges() []PortRange { return slices.Clone(p.ranges) }

// Len returns how many ports the set holds.
func (p PortSet) Len() int {
	n := 0
	for _, r := range p.ranges {
		n += int(r.Last) - int(r.First) + 1
	}
	return n
}

// Contains reports whether port n is in the set.
func (p PortSet) Contains(n int) bool {
	i, _ := slices.BinarySearchFunc(p.ranges, n, func(r PortRange, n int) int {
		if int(r.Last) < n {
			return -1
		}
		return 1
	})
	return i < len(p.ranges) && int(p.ranges[i].First) <= n && n <= int(p.ranges[i].Last)
}

// All yields the set's ports in ascending order.
func (p PortSet) All() iter.Seq[uint16] {
	return func(yield func(uint16) bool) {
		for _, r := range p.ranges {
			for n := int(r.First); n <= int(r.Last); n++ {
				if !yield(uint16(n)) {
					return
				}
			}
		}
	}
}

// CompletePrefixes returns what an observation of a scan of p reports in
// full (discovery.Observation.CompleteFacts): FactPrefix itself when p is
// every port, otherwise the exact key of each scanned port, so that a
// recorded open port missing from the scan's facts is one the scan found
// closed, and a port outside the scan is never claimed.
func CompletePrefixes(p PortSet) []string {
	var out []string
	all := true
	for v := 1; v <= 65535; v++ {
		if p.Contains(v) {
			out = append(out, FactPrefix+strconv.Itoa(v))
		} else {
			all = false
		}
	}
	if all {
		return []string{FactPrefix}
	}
	slices.Sort(out)
	return out
}
