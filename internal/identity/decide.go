package identity

import (
	"slices"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Rule says how an input matched.
type Rule string

// The rules Decide answers. The values are GraphQL enum values.
const (
	// RuleIdentifier: a stored identifier equal to a candidate (any kind
	// but HOSTNAME).
	RuleIdentifier Rule = "IDENTIFIER"
	// RuleShortName: a host name, the short name of an FQDN input or a
	// short-name input, equal to a stored host name or to the first label
	// of a stored FQDN. Weaker than IDENTIFIER.
	RuleShortName Rule = "SHORT_NAME"
)

// Row is one stored identifier as the decision sees it.
type Row struct {
	CI    int
	Kind  ident.Kind
	Value string // normalised
	Scope string // network scope of an address; "" is global
	// Domains are the CI's known domains: the domains of its FQDNs (see
	// Domain). The caller fills them in; an FQDN row's own domain counts
	// even when left out.
	Domains []string
}

// Input is what Decide matches: an input's candidates (Parse) or an
// observation's identifiers (Expand), and the network scope its addresses
// were seen in.
type Input struct {
	Candidates []Candidate
	// Scope is the network scope of the input's addresses; "" is global.
	Scope string
	// AnyScope says that the input names no scope (a lookup without
	// scope:): a scoped address is then matched in every scope. A discovery
	// job always has a scope (global by default) and leaves this false.
	AnyScope bool
}

// Result is what Decide answers.
type Result struct {
	// IDs are the matched CIs in ascending order; nil or empty when nothing
	// matched, more than one when ambiguous.
	IDs  []int
	Rule Rule
	// By and Value are the kind and normalised value of the stored
	// identifier that matched (of IDs[0] when several did): FQDN and the
	// FQDN when a short name matched a stored FQDN's first label.
	By    ident.Kind
	Value string
	// NotIdentity is the reason of the first candidate Decide skipped as
	// not identity (see NotIdentity), so that an answer can say why a value
	// matched nothing; "" when none was skipped.
	NotIdentity string
}

// Matched reports whether any CI matched.
func (r Result) Matched() bool { return len(r.IDs) > 0 }

// Ambiguous reports whether several CIs matched.
func (r Result) Ambiguous() bool { return len(r.IDs) > 1 }

// order returns the identifier kinds strongest first; it equals
// ident.Kinds() (a test checks) without allocating.
func order() [9]ident.Kind {
	return [9]ident.Kind{ident.SourceKey, ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.Hostname, ident.AssetTag, ident.IP}
}

// Decide returns the CIs the input names among rows, by the rules in the
// package doc: the strongest kind with a match wins. rows are the stored
// identifiers that may share a value with a candidate (Keys); any others
// are ignored, so a superset is fine. The IDs of the result are appended
// to ids[:0], so that a caller deciding many inputs reuses one buffer;
// Decide allocates nothing else.
func Decide(in Input, rows []Row, ids []int) Result {
	res := Result{IDs: ids[:0]}
	for _, k := range order() {
		if decideKind(in, k, rows, &res) {
			return res
		}
	}
	return res
}

// decideKind matches the input's candidates of kind k against rows,
// appending the matched CIs to res.IDs; it reports whether any matched
// (then res is complete).
func decideKind(in Input, k ident.Kind, rows []Row, res *Result) bool {
	best := -1
	for ci := range in.Candidates {
		c := &in.Candidates[ci]
		if c.Kind != k {
			continue
		}
		if reason, bad := NotIdentity(c.Kind, c.Value); bad {
			if res.NotIdentity == "" {
				res.NotIdentity = reason
			}
			continue
		}
		scopedAddr := k == ident.IP && IsScoped(c.Value)
		for ri := range rows {
			r := &rows[ri]
			if !rowMatches(c, r) {
				continue
			}
			if scopedAddr && !in.AnyScope && r.Scope != in.Scope {
				continue
			}
			if weak(k) && !domainsAgree(in.Candidates, r) {
				continue
			}
			if !slices.Contains(res.IDs, r.CI) {
				res.IDs = append(res.IDs, r.CI)
			}
			if best < 0 || r.CI < best || r.CI == best && r.Value < res.Value {
				best, res.By, res.Value = r.CI, r.Kind, r.Value
			}
		}
	}
	if len(res.IDs) == 0 {
		return false
	}
	slices.Sort(res.IDs)
	res.Rule = RuleIdentifier
	if k == ident.Hostname {
		res.Rule = RuleShortName
	}
	return true
}

// weak reports whether a match by kind k is subject to the domain rule.
func weak(k ident.Kind) bool {
	return k == ident.Hostname || k == ident.AssetTag || k == ident.IP
}

// rowMatches reports whether stored row r carries candidate c: the same
// kind and value, or for a HOSTNAME candidate an FQDN whose first label it
// is.
func rowMatches(c *Candidate, r *Row) bool {
	if r.Kind == c.Kind {
		return r.Value == c.Value
	}
	return c.Kind == ident.Hostname && r.Kind == ident.FQDN && firstLabelIs(r.Value, c.Value)
}

func firstLabelIs(fqdn, label string) bool {
	return len(fqdn) > len(label) && fqdn[len(label)] == '.' && fqdn[:len(label)] == label
}

// domainsAgree reports whether the input's domains and the CI's known
// domains allow a weak match: either side has none, or they share one.
func domainsAgree(cands []Candidate, r *Row) bool {
	own := ""
	if r.Kind == ident.FQDN {
		own = Domain(r.Value)
	}
	if len(r.Domains) == 0 && own == "" {
		return true
	}
	any := false
	for i := range cands {
		d := cands[i].Domain
		if d == "" {
			continue
		}
		any = true
		if d == own || slices.Contains(r.Domains, d) {
			return true
		}
	}
	return !any
}
