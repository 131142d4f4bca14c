package identity

import (
	"slices"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Key is one look-up a caller makes to fetch the rows Decide needs.
type Key struct {
	Kind  ident.Kind
	Value string
	// FirstLabel asks for the FQDN rows whose first label is Value (Kind
	// is then HOSTNAME): in SQL, kind = 'FQDN' AND value LIKE Value || '.%'.
	// Otherwise the rows of exactly (Kind, Value).
	FirstLabel bool
}

// Keys appends to dst the look-ups that fetch every stored row Decide may
// match for in: one per candidate that is identity, and for a HOSTNAME
// candidate also its FQDN first-label look-up. A DB-backed lookup fetches
// these rows (all scopes; Decide applies the scope rule), then the FQDNs of
// the CIs they name to fill Row.Domains, then calls Decide.
func Keys(in Input, dst []Key) []Key {
	for _, c := range in.Candidates {
		if _, bad := NotIdentity(c.Kind, c.Value); bad {
			continue
		}
		dst = appendKey(dst, Key{Kind: c.Kind, Value: c.Value})
		if c.Kind == ident.Hostname {
			dst = appendKey(dst, Key{Kind: ident.Hostname, Value: c.Value, FirstLabel: true})
		}
	}
	return dst
}

func appendKey(dst []Key, k Key) []Key {
	if slices.Contains(dst, k) {
		return dst
	}
	return append(dst, k)
}

type indexKey struct {
	kind  ident.Kind
	value string
}

// Index is an in-memory identifier index for reconciliation: every stored
// row by (kind, value), FQDN rows also by first label, and each CI's known
// domains. It is not safe for concurrent use.
type Index struct {
	// exact holds the CIs of each (kind, value); label the FQDNs of each
	// first label. An entry carries only what the key does not, so that a
	// reconciliation's index of every stored identifier stays small; Rows
	// makes full rows of them on demand.
	exact   map[indexKey][]entry
	label   map[string][]labelEntry
	domains map[int][]string
}

// entry is one stored identifier of a known (kind, value).
type entry struct {
	CI    int
	Scope string
}

// labelEntry is one stored FQDN of a known first label.
type labelEntry struct {
	CI    int
	Value string
	Scope string
}

// NewIndex returns an empty index sized for about n rows.
func NewIndex(n int) *Index {
	return &Index{
		exact:   make(map[indexKey][]entry, n),
		label:   make(map[string][]labelEntry, n/4),
		domains: make(map[int][]string, n/4),
	}
}

// Add records a stored identifier (normalised kind and value, its scope).
// Adding a row that is already there does nothing; Add reports whether the
// row was new.
func (x *Index) Add(ci int, kind ident.Kind, value, scope string) bool {
	k := indexKey{kind, value}
	rows := x.exact[k]
	for _, r := range rows {
		if r.CI == ci && r.Scope == scope {
			return false
		}
	}
	x.exact[k] = append(rows, entry{CI: ci, Scope: scope})
	if kind == ident.FQDN {
		short, dom, _ := strings.Cut(value, ".")
		x.label[short] = append(x.label[short], labelEntry{CI: ci, Value: value, Scope: scope})
		if ds := x.domains[ci]; !slices.Contains(ds, dom) {
			x.domains[ci] = append(ds, dom)
		}
	}
	return true
}

// Holds reports whether CI ci has the identifier (kind, value) in scope.
func (x *Index) Holds(ci int, kind ident.Kind, value, scope string) bool {
	for _, r := range x.exact[indexKey{kind, value}] {
		if r.CI == ci && r.Scope == scope {
			return true
		}
	}
	return false
}

// Domains returns the known domains of CI ci. The caller must not modify
// the slice.
func (x *Index) Domains(ci int) []string { return x.domains[ci] }

// Rows appends to dst the rows of the look-ups Keys would make for in,
// with Row.Domains filled in.
func (x *Index) Rows(in Input, dst []Row) []Row {
	for _, k := range order() {
		dst = x.rowsOf(in, k, dst)
	}
	return dst
}

// rowsOf appends the rows of the look-ups for in's candidates of kind k.
func (x *Index) rowsOf(in Input, k ident.Kind, dst []Row) []Row {
	for i := range in.Candidates {
		c := &in.Candidates[i]
		if c.Kind != k || dup(in.Candidates[:i], c) {
			continue
		}
		if _, bad := NotIdentity(c.Kind, c.Value); bad {
			continue
		}
		for _, e := range x.exact[indexKey{c.Kind, c.Value}] {
			dst = append(dst, Row{CI: e.CI, Kind: c.Kind, Value: c.Value, Scope: e.Scope, Domains: x.domains[e.CI]})
		}
		if c.Kind == ident.Hostname {
			for _, e := range x.label[c.Value] {
				dst = append(dst, Row{CI: e.CI, Kind: ident.FQDN, Value: e.Value, Scope: e.Scope, Domains: x.domains[e.CI]})
			}
		}
	}
	return dst
}

func dup(prev []Candidate, c *Candidate) bool {
	for i := range prev {
		if prev[i].Kind == c.Kind && prev[i].Value == c.Value {
			return true
		}
	}
	return false
}

// Scratch holds the buffers Index.Decide reuses between calls.
type Scratch struct {
	rows []Row
	ids  []int
}

// Decide decides in over the index's rows (see Decide). The result's IDs
// live in s and are overwritten by the next call with s: copy them to keep
// them.
//
// It looks up one kind at a time, strongest first, and stops at the first
// kind that matches, so an observation with a serial or MAC costs one
// look-up; the answer is Decide's over all of Rows.
func (x *Index) Decide(in Input, s *Scratch) Result {
	res := Result{IDs: s.ids[:0]}
	for _, k := range order() {
		s.rows = x.rowsOf(in, k, s.rows[:0])
		if len(s.rows) == 0 {
			// Still note a candidate skipped as not identity.
			if res.NotIdentity == "" {
				res.NotIdentity = notIdentityOf(in, k)
			}
			continue
		}
		if decideKind(in, k, s.rows, &res) {
			break
		}
	}
	s.ids = res.IDs
	return res
}

// notIdentityOf returns the reason of the first candidate of kind k that
// is not identity, or "".
func notIdentityOf(in Input, k ident.Kind) string {
	for i := range in.Candidates {
		if c := &in.Candidates[i]; c.Kind == k {
			if reason, bad := NotIdentity(c.Kind, c.Value); bad {
				return reason
			}
		}
	}
	return ""
}
