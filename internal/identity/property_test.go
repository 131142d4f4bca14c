package identity

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

func FuzzParse(f *testing.F) {
	for _, row := range readDoc(f).shapes {
		if in, err := strconv.Unquote(row[1]); err == nil {
			f.Add(in)
		}
	}
	for _, s := range []string{"a:1", "[::1]", "x://", "ftp://@:1", "[fe80::1%eth0]:22", "web01..", "::", "ab:cd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		for _, c := range Parse(input) {
			if !c.Kind.Valid() || c.Value == "" {
				t.Fatalf("Parse(%q) gave %v", input, c)
			}
			if v, err := ident.Normalize(c.Kind, c.Value); err != nil || v != c.Value {
				t.Fatalf("Parse(%q) gave %v, not normalised: %q, %v", input, c, v, err)
			}
			if c.Derived && (c.Kind != ident.Hostname || c.Domain == "") {
				t.Fatalf("Parse(%q) gave derived %v", input, c)
			}
			if _, isURL := urlHost(c.Value); isURL && c.Kind != ident.IP {
				continue // a value in URL syntax is read as a URL (package doc)
			}
			again := Parse(c.Value)
			found := false
			for _, a := range again {
				if a.Kind == c.Kind && a.Value == c.Value {
					found = true
				}
			}
			if !found {
				t.Fatalf("Parse(%q) gave %v, but Parse(%q) = %v does not give it back", input, c, c.Value, again)
			}
		}
	})
}

// randomEstate builds n CIs whose short names collide across domains and
// whose private addresses are reused across scopes. Each CI gets one
// domain ("" for domainless) and one scope.
type synth struct {
	idx     *Index
	domain  map[int]string
	scope   map[int]string
	names   []string
	domains []string
	scopes  []string
}

func newSynth(r *rand.Rand, n int) *synth {
	s := &synth{
		idx: NewIndex(n * 4), domain: map[int]string{}, scope: map[int]string{},
		domains: []string{"", "eu.example.org", "us.example.org", "lon3.example.org"},
		scopes:  []string{"", "lon3", "fra1", "vpc-1"},
	}
	hosts := max(2, n/3) // few names, so they collide
	for ci := 1; ci <= n; ci++ {
		host := fmt.Sprintf("h%d", r.IntN(hosts))
		dom := s.domains[r.IntN(len(s.domains))]
		sc := s.scopes[r.IntN(len(s.scopes))]
		s.domain[ci], s.scope[ci] = dom, sc
		if r.IntN(3) > 0 || dom == "" {
			s.idx.Add(ci, ident.Hostname, host, "")
		}
		if dom != "" {
			s.idx.Add(ci, ident.FQDN, host+"."+dom, "")
		}
		s.idx.Add(ci, ident.IP, fmt.Sprintf("10.0.0.%d", r.IntN(hosts)), sc)
		if r.IntN(4) == 0 {
			s.idx.Add(ci, ident.IP, fmt.Sprintf("203.0.113.%d", ci%250), "")
		}
		s.names = append(s.names, host)
	}
	return s
}

// randomInput is a lookup or an observation: a name with or without a
// domain, an address, with or without a scope.
func (s *synth) randomInput(r *rand.Rand) (Input, string, string) {
	var in Input
	host := s.names[r.IntN(len(s.names))]
	dom := s.domains[r.IntN(len(s.domains))]
	if dom != "" {
		in.Candidates = Expand(in.Candidates, ident.FQDN, host+"."+dom)
	} else if r.IntN(2) == 0 {
		in.Candidates = Expand(in.Candidates, ident.Hostname, host)
	}
	if r.IntN(2) == 0 {
		in.Candidates = Expand(in.Candidates, ident.IP, fmt.Sprintf("10.0.0.%d", r.IntN(len(s.names)/3+2)))
	}
	if r.IntN(3) == 0 {
		in.AnyScope = true
	} else {
		in.Scope = s.scopes[r.IntN(len(s.scopes))]
	}
	return in, dom, host
}

// TestNeverAnotherDomainOrScope: over random small estates, no answer is a
// CI of another domain (when both sides have one) or, for a scoped address
// with a scope given, of another scope.
func TestNeverAnotherDomainOrScope(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 1))
	var sc Scratch
	checked := 0
	for range 300 {
		s := newSynth(r, 2+r.IntN(30))
		for range 50 {
			in, dom, _ := s.randomInput(r)
			res := s.idx.Decide(in, &sc)
			for _, ci := range res.IDs {
				checked++
				if dom != "" && s.domain[ci] != "" && s.domain[ci] != dom {
					t.Fatalf("input %v (domain %s) answered CI %d of domain %s: %+v", in.Candidates, dom, ci, s.domain[ci], res)
				}
				if res.By == ident.IP && IsScoped(res.Value) && !in.AnyScope && s.scope[ci] != in.Scope {
					t.Fatalf("input %v in scope %q answered CI %d of scope %q by %s", in.Candidates, in.Scope, ci, s.scope[ci], res.Value)
				}
				if res.Rule == RuleIdentifier && res.By == ident.Hostname {
					t.Fatalf("a host name match answered IDENTIFIER: %+v", res)
				}
			}
			if slices.Contains(res.IDs, 0) || !slices.IsSorted(res.IDs) {
				t.Fatalf("bad IDs %v", res.IDs)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no input matched anything; the generator is broken")
	}
}

// BenchmarkDecide100k decides 100,000 observations (FQDN, host name, two
// addresses, a MAC) against an index of 100,000 CIs, as one reconcile run.
func BenchmarkDecide100k(b *testing.B) {
	const n = 100_000
	idx := NewIndex(n * 5)
	doms := []string{"eu.example.org", "us.example.org", "lon3.example.org"}
	scopes := []string{"lon3", "fra1"}
	for ci := 1; ci <= n; ci++ {
		host := fmt.Sprintf("host%05d", ci%(n/3)) // short names collide across domains
		idx.Add(ci, ident.Hostname, host, "")
		idx.Add(ci, ident.FQDN, host+"."+doms[ci%3], "")
		idx.Add(ci, ident.IP, fmt.Sprintf("10.%d.%d.%d", ci>>16&255, ci>>8&255, ci&255), scopes[ci%2])
		idx.Add(ci, ident.MAC, fmt.Sprintf("02:00:00:%02x:%02x:%02x", ci>>16&255, ci>>8&255, ci&255), "")
	}
	obs := make([]Input, n)
	for i := range obs {
		ci := i + 1
		host := fmt.Sprintf("host%05d", ci%(n/3))
		var c []Candidate
		c = Expand(c, ident.MAC, fmt.Sprintf("02:00:00:%02x:%02x:%02x", ci>>16&255, ci>>8&255, ci&255))
		if i%4 == 0 { // a quarter without MAC: decided by FQDN
			c = c[:0]
		}
		c = Expand(c, ident.FQDN, host+"."+doms[(ci+i%7/6)%3])
		c = Expand(c, ident.Hostname, host)
		c = Expand(c, ident.IP, fmt.Sprintf("10.%d.%d.%d", ci>>16&255, ci>>8&255, ci&255))
		obs[i] = Input{Candidates: c, Scope: scopes[ci%2]}
	}
	b.ReportAllocs()
	var s Scratch
	matched := 0
	for b.Loop() {
		matched = 0
		for i := range obs {
			if idx.Decide(obs[i], &s).Matched() {
				matched++
			}
		}
	}
	b.ReportMetric(float64(matched), "matched/run")
	if matched == 0 {
		b.Fatal("nothing matched")
	}
}

// BenchmarkLegacyIdentify100k is today's reconcile identification
// (discovery/reconcile/identify.go before the matcher: a map per kind, a set
// per kind tried), over the same estate and observations, so that one run
// compares the two.
func BenchmarkLegacyIdentify100k(b *testing.B) {
	const n = 100_000
	idx := map[ident.Kind]map[string][]int{}
	add := func(ci int, k ident.Kind, v string) {
		if idx[k] == nil {
			idx[k] = map[string][]int{}
		}
		idx[k][v] = append(idx[k][v], ci)
	}
	doms := []string{"eu.example.org", "us.example.org", "lon3.example.org"}
	for ci := 1; ci <= n; ci++ {
		host := fmt.Sprintf("host%05d", ci%(n/3))
		add(ci, ident.Hostname, host)
		add(ci, ident.FQDN, host+"."+doms[ci%3])
		add(ci, ident.IP, fmt.Sprintf("10.%d.%d.%d", ci>>16&255, ci>>8&255, ci&255))
		add(ci, ident.MAC, fmt.Sprintf("02:00:00:%02x:%02x:%02x", ci>>16&255, ci>>8&255, ci&255))
	}
	type id struct {
		Kind  ident.Kind
		Value string
	}
	obs := make([][]id, n)
	for i := range obs {
		ci := i + 1
		host := fmt.Sprintf("host%05d", ci%(n/3))
		var o []id
		if i%4 != 0 {
			o = append(o, id{ident.MAC, fmt.Sprintf("02:00:00:%02x:%02x:%02x", ci>>16&255, ci>>8&255, ci&255)})
		}
		o = append(o, id{ident.FQDN, host + "." + doms[(ci+i%7/6)%3]}, id{ident.Hostname, host},
			id{ident.IP, fmt.Sprintf("10.%d.%d.%d", ci>>16&255, ci>>8&255, ci&255)})
		obs[i] = o
	}
	identify := func(o []id) []int {
		for _, k := range []ident.Kind{ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.Hostname, ident.AssetTag, ident.IP} {
			set := map[int]bool{}
			for _, x := range o {
				if x.Kind != k {
					continue
				}
				for _, ci := range idx[k][x.Value] {
					set[ci] = true
				}
			}
			if len(set) == 0 {
				continue
			}
			ids := make([]int, 0, len(set))
			for id := range set {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			return ids
		}
		return nil
	}
	b.ReportAllocs()
	matched := 0
	for b.Loop() {
		matched = 0
		for _, o := range obs {
			if len(identify(o)) > 0 {
				matched++
			}
		}
	}
	b.ReportMetric(float64(matched), "matched/run")
}
