package identity

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// docTables reads the tables of the package doc (doc.go): the input
// shapes, the estate and the decision rows, so that the documented table
// is the test table.
type docTables struct {
	shapes    [][]string // shape, input, candidates
	estate    [][2]string
	decisions [][]string // input, scope, rule, result
}

func readDoc(t testing.TB) docTables {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatalf("reading the package doc: %v", err)
	}
	var d docTables
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(l, "// # "); ok {
			section = h
			continue
		}
		row, ok := strings.CutPrefix(l, "//\t")
		if !ok {
			continue
		}
		cols := strings.Split(row, " | ")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		switch {
		case section == "Input shapes" && len(cols) == 3 && cols[0] != "shape":
			d.shapes = append(d.shapes, cols)
		case section == "Decision" && len(cols) == 1:
			name, ids, ok := strings.Cut(cols[0], ":")
			if !ok {
				t.Fatalf("estate line %q: want name: identifiers", row)
			}
			d.estate = append(d.estate, [2]string{name, strings.TrimSpace(ids)})
		case section == "Decision" && len(cols) == 4 && cols[0] != "input":
			d.decisions = append(d.decisions, cols)
		}
	}
	if len(d.shapes) < 15 || len(d.estate) < 5 || len(d.decisions) < 15 {
		t.Fatalf("package doc tables: %d shapes, %d estate lines, %d decisions; the doc format changed", len(d.shapes), len(d.estate), len(d.decisions))
	}
	return d
}

func formatCands(cs []Candidate) string {
	if len(cs) == 0 {
		return "-"
	}
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

func TestInputShapes(t *testing.T) {
	for _, row := range readDoc(t).shapes {
		t.Run(row[0], func(t *testing.T) {
			in, err := strconv.Unquote(row[1])
			if err != nil {
				t.Fatalf("input column %s: %v", row[1], err)
			}
			if got := formatCands(Parse(in)); got != row[2] {
				t.Fatalf("Parse(%q) = %s\nwant (doc.go)  %s", in, got, row[2])
			}
		})
	}
}

// estate is the doc's fixture: CI names by ID and every stored row.
type estate struct {
	names map[int]string
	rows  []Row
	idx   *Index
}

func loadEstate(t testing.TB, lines [][2]string) estate {
	t.Helper()
	e := estate{names: map[int]string{}, idx: NewIndex(64)}
	for i, l := range lines {
		ci := i + 1
		e.names[ci] = l[0]
		for _, id := range strings.Split(l[1], ", ") {
			kind, val, ok := strings.Cut(id, " ")
			if !ok {
				t.Fatalf("estate identifier %q: want KIND value", id)
			}
			val, scope, _ := strings.Cut(val, "@")
			e.rows = append(e.rows, Row{CI: ci, Kind: ident.Kind(kind), Value: val, Scope: scope})
			e.idx.Add(ci, ident.Kind(kind), val, scope)
		}
	}
	return e
}

// viaKeys decides the way a DB-backed lookup does: fetch the rows of
// Keys, fill in domains, Decide.
func (e estate) viaKeys(in Input) Result {
	var rows []Row
	for _, k := range Keys(in, nil) {
		for _, r := range e.rows {
			if k.FirstLabel && r.Kind == ident.FQDN && ident.ShortName(r.Value) == k.Value ||
				!k.FirstLabel && r.Kind == k.Kind && r.Value == k.Value {
				r.Domains = e.idx.Domains(r.CI)
				rows = append(rows, r)
			}
		}
	}
	return Decide(in, rows, nil)
}

func (e estate) format(r Result) string {
	if !r.Matched() {
		return "none"
	}
	names := make([]string, len(r.IDs))
	for i, id := range r.IDs {
		names[i] = e.names[id]
	}
	slices.Sort(names)
	return fmt.Sprintf("%s %s %s %s", strings.Join(names, ","), r.Rule, r.By, r.Value)
}

func decisionInput(input, scope string) Input {
	var in Input
	for _, part := range strings.Split(input, " + ") {
		in.Candidates = append(in.Candidates, Parse(part)...)
	}
	switch scope {
	case "-":
		in.AnyScope = true
	case "global":
	default:
		in.Scope = scope
	}
	return in
}

func TestDecisionTable(t *testing.T) {
	d := readDoc(t)
	e := loadEstate(t, d.estate)
	var s Scratch
	for _, row := range d.decisions {
		t.Run(row[0]+"@"+row[1], func(t *testing.T) {
			in := decisionInput(row[0], row[1])
			got := e.format(e.idx.Decide(in, &s))
			if got != row[3] {
				t.Fatalf("%s (scope %s): index answers %q, want (doc.go, %s) %q", row[0], row[1], got, row[2], row[3])
			}
			if got := e.format(e.viaKeys(in)); got != row[3] {
				t.Fatalf("%s (scope %s): Keys path answers %q, want %q", row[0], row[1], got, row[3])
			}
		})
	}
}

func TestOrderIsIdentKinds(t *testing.T) {
	o := order()
	if !slices.Equal(o[:], ident.Kinds()) {
		t.Fatalf("order() = %v, want ident.Kinds() %v", o, ident.Kinds())
	}
}

func TestNotIdentity(t *testing.T) {
	for _, tc := range []struct {
		kind  ident.Kind
		value string
		rule  string // substring of the reason; "" means identity
	}{
		{ident.MAC, "00:00:5e:00:01:0a", "VRRP"},
		{ident.MAC, "0000.5e00.0203", "IPv6 VRRP"},
		{ident.MAC, "00-00-0C-07-AC-01", "HSRPv1"},
		{ident.MAC, "00:00:0c:9f:f0:01", "HSRPv2"},
		{ident.MAC, "00:00:0c:9f:e0:01", ""},
		{ident.MAC, "00:07:b4:00:01:02", "GLBP"},
		{ident.MAC, "ff:ff:ff:ff:ff:ff", "broadcast"},
		{ident.MAC, "000000000000", "all-zero"},
		{ident.MAC, "01:00:5e:00:00:fb", "multicast"},
		{ident.MAC, "33:33:00:00:00:01", "multicast"},
		{ident.MAC, "00:1a:2b:3c:4d:5e", ""},
		{ident.MAC, "02:42:ac:11:00:02", ""}, // locally administered unicast is identity
		{ident.Serial, "To Be Filled By O.E.M.", "placeholder serial"},
		{ident.Serial, "CZ1234567X", ""},
		// Every placeholder issue 18 names, as vendors padded them.
		{ident.Serial, "serial", "placeholder serial"},
		{ident.Serial, "<private>", "placeholder serial"},
		{ident.Serial, " To be filled by O.E.M. ", "placeholder serial"},
		{ident.Serial, "Not Specified", "placeholder serial"},
		{ident.Serial, "default STRING", "placeholder serial"},
		{ident.Serial, "0123456789", "placeholder serial"},
		{ident.Serial, "System Serial Number", "placeholder serial"},
		{ident.Serial, "Chassis Serial Number", "placeholder serial"},
		{ident.Serial, "none", "placeholder serial"},
		{ident.Serial, "N/A", "placeholder serial"},
		{ident.AssetTag, "<private>", "placeholder asset tag"},
		{ident.AssetTag, "Not Specified", "placeholder asset tag"},
		{ident.MAC, " 00:00:00:00:00:00 ", "all-zero"},
		{ident.UUID, " 00000000000000000000000000000000 ", "placeholder UUID"},
		{ident.AssetTag, "No Asset Tag", "placeholder asset tag"},
		{ident.UUID, "03000200-0400-0500-0006-000700080009", "placeholder UUID"},
		{ident.UUID, "00000000-0000-0000-0000-000000000000", "placeholder UUID"},
		{ident.UUID, "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "placeholder UUID"},
		{ident.UUID, "123e4567-e89b-12d3-a456-426614174000", ""},
		{ident.IP, "127.0.0.1", "loopback"},
		{ident.IP, "::1", "loopback"},
		{ident.IP, "127.0.0.5", ""}, // configured on purpose; scoped like a private address
		{ident.IP, "0.0.0.0", "unspecified"},
		{ident.IP, "224.0.0.1", "multicast"},
		{ident.IP, "255.255.255.255", "broadcast"},
		{ident.IP, "10.0.0.1", ""},
		{ident.Hostname, "LOCALHOST", "localhost"},
		{ident.FQDN, "localhost.localdomain", "localhost"},
		{ident.Hostname, "web01", ""},
	} {
		reason, bad := NotIdentity(tc.kind, tc.value)
		if bad != (tc.rule != "") || !strings.Contains(reason, tc.rule) {
			t.Errorf("NotIdentity(%s, %q) = %q, %v; want rule %q", tc.kind, tc.value, reason, bad, tc.rule)
		}
		if bad && (reason == "" || strings.ToLower(reason[:1]) != reason[:1]) {
			t.Errorf("NotIdentity(%s, %q) reason %q: want a lower-case sentence", tc.kind, tc.value, reason)
		}
	}
}

func TestAddressScope(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		scoped bool
	}{
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"172.32.0.1", false}, {"192.168.1.1", true},
		{"100.64.0.1", true}, {"100.127.255.255", true}, {"100.128.0.1", false},
		{"169.254.1.1", true}, {"fe80::1", true}, {"fe80::1%eth0", true}, {"fd00::1", true},
		{"fc00::1", true}, {"127.0.0.1", true}, {"::1", true}, {"::ffff:10.0.0.1", true},
		{"8.8.8.8", false}, {"2001:4860::8888", false}, {"203.0.113.10", false}, {"not an ip", false},
	} {
		if got := IsScoped(tc.ip); got != tc.scoped {
			t.Errorf("IsScoped(%q) = %v, want %v", tc.ip, got, tc.scoped)
		}
		want := ""
		if tc.scoped {
			want = "site-a"
		}
		if got := AddressScope(tc.ip, "site-a"); got != want {
			t.Errorf("AddressScope(%q, site-a) = %q, want %q", tc.ip, got, want)
		}
	}
	if s, err := NormalizeScope("  VPC-0ABC "); err != nil || s != "vpc-0abc" {
		t.Errorf("NormalizeScope = %q, %v; want vpc-0abc", s, err)
	}
	if _, err := NormalizeScope("a\x00b"); err == nil {
		t.Errorf("NormalizeScope accepted a control character")
	}
	if _, err := NormalizeScope(strings.Repeat("s", 256)); err == nil {
		t.Errorf("NormalizeScope accepted 256 bytes")
	}
}

func TestDecideReusesBuffer(t *testing.T) {
	d := readDoc(t)
	e := loadEstate(t, d.estate)
	in := decisionInput("10.0.0.5", "-")
	var s Scratch
	if r := e.idx.Decide(in, &s); len(r.IDs) != 2 {
		t.Fatalf("10.0.0.5 without scope: %v, want two CIs", r.IDs)
	}
	allocs := testing.AllocsPerRun(100, func() { e.idx.Decide(in, &s) })
	if allocs != 0 {
		t.Fatalf("Index.Decide allocates %.0f times per call with a warm Scratch, want 0", allocs)
	}
}
