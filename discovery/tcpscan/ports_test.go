package tcpscan_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/tcpscan"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		in   string
		want string // normalised list, or a substring of the error
		err  bool
	}{
		{"22", "22", false},
		{"22,80-82", "22,80-82", false},
		{" 443 , 22 ,80 ", "22,80,443", false},
		{"80-82,81,83,85", "80-83,85", false},
		{"1-65535", "1-65535", false},
		{"65535,1", "1,65535", false},
		{"22,22,22", "22", false},
		{"100-200,150-300,50-99", "50-300", false},
		{"8080-8080", "8080", false},
		{"007", "7", false},
		{"", "empty port list", true},
		{"  ", "empty port list", true},
		{"22,,80", `item 2 of "22,,80" is empty`, true},
		{"22,", `item 2 of "22," is empty`, true},
		{"0", `item "0": port 0 is out of range 1-65535`, true},
		{"0-10", `item "0-10": port 0 is out of range`, true},
		{"22,65536", `item "65536": port 65536 is out of range 1-65535`, true},
		{"1-65536", `item "1-65536": port 65536 is out of range`, true},
		{"99999999999999999999999", `port 99999999999999999999999 is out of range`, true},
		{"100-80", `item "100-80": range is reversed (100 > 80)`, true},
		{"22,443-80", `item "443-80": range is reversed`, true},
		{"1-", `item "1-": want a port`, true},
		{"-1024", `item "-1024": want a port`, true},
		{"-", `item "-": want a port`, true},
		{"1-2-3", `item "1-2-3": want a port`, true},
		{"ssh", `item "ssh": want a port`, true},
		{"T:22", `item "T:22": want a port`, true},
		{"+22", `item "+22": want a port`, true},
		{"2 2", `item "2 2": want a port`, true},
		{"22;80", `item "22;80": want a port`, true},
		{"1 - 5", `item "1 - 5": want a port`, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := tcpscan.ParsePorts(tt.in)
			if tt.err {
				if err == nil {
					t.Fatalf("ParsePorts(%q) = %v, want an error containing %q", tt.in, p, tt.want)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ParsePorts(%q) error %q lacks %q", tt.in, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("ParsePorts(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPortSet(t *testing.T) {
	p := tcpscan.MustParsePorts("22,80-82,65535")
	if got := p.Len(); got != 5 {
		t.Errorf("Len = %d, want 5", got)
	}
	if got := slices.Collect(p.All()); !slices.Equal(got, []uint16{22, 80, 81, 82, 65535}) {
		t.Errorf("All = %v", got)
	}
	for n := 0; n <= 65536; n++ {
		want := n == 22 || (n >= 80 && n <= 82) || n == 65535
		if p.Contains(n) != want {
			t.Errorf("Contains(%d) = %v", n, !want)
		}
	}
	if got := p.Ranges(); !slices.Equal(got, []tcpscan.PortRange{{22, 22}, {80, 82}, {65535, 65535}}) {
		t.Errorf("Ranges = %v", got)
	}
	var empty tcpscan.PortSet
	if empty.Len() != 0 || empty.Contains(1) || empty.String() != "" {
		t.Error("the zero PortSet is not empty")
	}
}

func TestPortListJSON(t *testing.T) {
	var l tcpscan.PortList
	if err := json.Unmarshal([]byte(`"22, 80-82"`), &l); err != nil || l != "22, 80-82" {
		t.Errorf("Unmarshal = %q, %v", l, err)
	}
	for raw, want := range map[string]string{
		`"0"`:     `ports: item "0": port 0 is out of range`,
		`22`:      `ports: want a string such as "22,80,8000-8100", got a number`,
		`["22"]`:  `got an array`,
		`""`:      `ports: empty port list`,
		`"80-22"`: `range is reversed`,
	} {
		if err := json.Unmarshal([]byte(raw), &l); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Unmarshal(%s) = %v, want an error containing %q", raw, err, want)
		}
	}
}

// claims reports whether an entry covers the fact key of port n, the way
// the reconciler reads CompleteFacts: an entry ending in "." is a prefix,
// any other one exact key.
func claims(prefixes []string, n int) bool {
	key := tcpscan.FactPrefix + strconv.Itoa(n)
	for _, p := range prefixes {
		if key == p || strings.HasSuffix(p, ".") && strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func TestCompletePrefixes(t *testing.T) {
	tests := []struct {
		ports string
		want  []string
	}{
		{tcpscan.DefaultPorts, []string{"open.tcp.22", "open.tcp.3306", "open.tcp.443", "open.tcp.5432", "open.tcp.6379", "open.tcp.80", "open.tcp.8080", "open.tcp.9100"}},
		{"1-65535", []string{"open.tcp."}},
		{"22", []string{"open.tcp.22"}},
		{"8000-8002", []string{"open.tcp.8000", "open.tcp.8001", "open.tcp.8002"}},
	}
	for _, tt := range tests {
		t.Run(tt.ports, func(t *testing.T) {
			got := tcpscan.CompletePrefixes(tcpscan.MustParsePorts(tt.ports))
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("CompletePrefixes(%s) = %q, want %q", tt.ports, got, want)
			}
		})
	}
}

// checkPrefixes checks the contract of CompletePrefixes exhaustively: every
// port of p is claimed and no port outside it.
func checkPrefixes(t *testing.T, p tcpscan.PortSet) {
	t.Helper()
	prefixes := tcpscan.CompletePrefixes(p)
	for n := 1; n <= 65535; n++ {
		if claims(prefixes, n) != p.Contains(n) {
			t.Fatalf("ports %s: port %d claimed %v, in the scan %v", p, n, claims(prefixes, n), p.Contains(n))
		}
	}
}

func TestCompletePrefixesExact(t *testing.T) {
	for _, s := range []string{tcpscan.DefaultPorts, "1-65535", "1-1024", "8000-8100", "6000-7000", "65535"} {
		checkPrefixes(t, tcpscan.MustParsePorts(s))
	}
}

// FuzzParsePorts: ParsePorts never panics; an accepted list normalises to
// a string that parses back to the same set, and the complete prefixes of
// any set claim only its ports.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"22", "22,80-82", tcpscan.DefaultPorts, "1-65535", "0", "65536", "100-80", "1-", ",", " 1 , 2 ", "8000-8100,6554", "9-9,8-8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := tcpscan.ParsePorts(s)
		if err != nil {
			if p.Len() != 0 {
				t.Fatalf("ParsePorts(%q) returned ports with error %v", s, err)
			}
			return
		}
		if p.Len() == 0 {
			t.Fatalf("ParsePorts(%q) accepted an empty set", s)
		}
		norm := p.String()
		q, err := tcpscan.ParsePorts(norm)
		if err != nil {
			t.Fatalf("normalised %q of %q does not parse: %v", norm, s, err)
		}
		if q.String() != norm || q.Len() != p.Len() {
			t.Fatalf("%q → %q → %q", s, norm, q.String())
		}
		rs := p.Ranges()
		for i, r := range rs {
			if r.First < 1 || r.First > r.Last || (i > 0 && int(rs[i-1].Last)+1 >= int(r.First)) {
				t.Fatalf("ranges of %q are not sorted, disjoint and apart: %v", s, rs)
			}
		}
		prefixes := tcpscan.CompletePrefixes(p)
		for n := 1; n <= 65535; n++ {
			if claims(prefixes, n) && !p.Contains(n) {
				t.Fatalf("ports %s: prefixes claim port %d outside the scan", norm, n)
			}
		}
	})
}
