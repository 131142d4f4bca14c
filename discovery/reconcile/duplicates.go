package reconcile

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// DuplicateRule says why two CIs may be one thing recorded twice. The
// values are those of the GraphQL enum DuplicateRule.
type DuplicateRule string

// The duplicate rules, strongest first.
const (
	// DupSharedIdentifier: both hold a strong identifier (serial, cloud
	// ID, UUID, MAC, FQDN) or an address in the same scope.
	DupSharedIdentifier DuplicateRule = "SHARED_IDENTIFIER"
	// DupNameAndEnvironment: same name (case-insensitive), same
	// environment.
	DupNameAndEnvironment DuplicateRule = "NAME_AND_ENVIRONMENT"
	// DupShortNameDomainless: same short host name (a host name or an
	// FQDN's first label), and one of them has no known domain.
	DupShortNameDomainless DuplicateRule = "SHORT_NAME_DOMAINLESS"
)

// DuplicateEvidence is one reason two CIs may be duplicates.
type DuplicateEvidence struct {
	Rule   DuplicateRule
	Detail string // what they share, e.g. "SERIAL ABC123"
	rank   int
}

// DuplicatePair is a pair of CIs (A < B) that may be one thing recorded
// twice, with its evidence strongest first.
type DuplicatePair struct {
	A, B     int
	Evidence []DuplicateEvidence
}

// sharedKinds are the identifier kinds whose sharing is evidence, strongest
// first: their position is the evidence's rank (IP's is rankAddress).
func sharedKinds() []ident.Kind {
	return []ident.Kind{ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.IP}
}

// Ranks of the weaker evidence, after every shared kind but IP: a shared
// address is the weakest evidence of all (a virtual or anycast address, or
// a private one that addresses stored before scopes existed reuse across
// sites, is shared by design), and an address without a scope that is not
// global is weaker still.
const (
	rankNameAndEnvironment = 10
	rankShortName          = 11
	rankAddress            = 12
	rankUnscopedPrivate    = 13
)

// dupGroup is a set of CIs (ascending, distinct) that share one piece of
// evidence: for every pair of them, or (only not nil) for the pairs with at
// least one CI of only (ascending, a subset of cis).
type dupGroup struct {
	ev   DuplicateEvidence
	cis  []int
	only []int
}

// pairs calls fn with the group's pairs in (A, B) order until fn returns
// false.
func (g dupGroup) pairs(fn func(a, b int) bool) {
	for i, a := range g.cis {
		partners := g.cis[i+1:]
		if g.only != nil && !slices.Contains(g.only, a) {
			j, _ := slices.BinarySearch(g.only, a+1)
			partners = g.only[j:]
		}
		for _, b := range partners {
			if !fn(a, b) {
				return
			}
		}
	}
}

// holds reports whether the group is evidence for the pair a < b.
func (g dupGroup) holds(a, b int) bool {
	_, okA := slices.BinarySearch(g.cis, a)
	_, okB := slices.BinarySearch(g.cis, b)
	if !okA || !okB {
		return false
	}
	if g.only == nil {
		return true
	}
	_, onlyA := slices.BinarySearch(g.only, a)
	_, onlyB := slices.BinarySearch(g.only, b)
	return onlyA || onlyB
}

// Limits of DuplicateCandidates.
const (
	DefaultDuplicateCandidates = 50
	MaxDuplicateCandidates     = 500
)

// DuplicateCandidates returns at most first pairs of CIs that may be one
// thing recorded twice: pairs that share a strong identifier (serial, cloud
// ID, UUID, MAC, FQDN, or an IP address in the same scope), a name
// (case-insensitive) and environment, or a short host name where one side
// has no known domain. Values that are not identity (identity.NotIdentity)
// are never evidence. Pairs come strongest evidence first, then by A and B;
// each pair carries all its evidence, strongest first.
//
// It reads with three statements whatever the size of the estate: the
// identifiers that share a (kind, value, scope) with another CI's, the CIs
// that share a name and environment with another, and the host name and
// FQDN rows.
//
// first is nil for DefaultDuplicateCandidates, at most MaxDuplicateCandidates
// (else BAD_USER_INPUT on "first").
func DuplicateCandidates(ctx context.Context, c *ent.Client, firstArg *int) ([]DuplicatePair, error) {
	first := DefaultDuplicateCandidates
	if firstArg != nil {
		first = *firstArg
	}
	if first < 1 || first > MaxDuplicateCandidates {
		return nil, apperr.Invalid("first", "first must be between 1 and %d, got %d", MaxDuplicateCandidates, first)
	}
	if first <= 0 {
		return nil, nil
	}
	var groups []dupGroup
	shared, err := sharedIdentifierGroups(ctx, c)
	if err != nil {
		return nil, err
	}
	groups = append(groups, shared...)
	named, err := nameGroups(ctx, c)
	if err != nil {
		return nil, err
	}
	groups = append(groups, named...)
	short, err := shortNameGroups(ctx, c)
	if err != nil {
		return nil, err
	}
	groups = append(groups, short...)
	return pairUp(groups, first), nil
}

// pairUp turns groups into the first pairs by (strongest rank, A, B), each
// with every group's evidence that holds both.
//
// Only the first `first` pairs of each group (by A, B) are considered: a
// pair beyond them sorts after `first` pairs of that group's rank or
// stronger, so it cannot be among the first overall. This keeps a value
// shared by thousands of CIs from making millions of pairs.
func pairUp(groups []dupGroup, first int) []DuplicatePair {
	type key struct{ a, b int }
	best := map[key]int{}
	for _, g := range groups {
		n := 0
		g.pairs(func(a, b int) bool {
			k := key{a, b}
			if r, ok := best[k]; !ok || g.ev.rank < r {
				best[k] = g.ev.rank
			}
			n++
			return n < first
		})
	}
	keys := make([]key, 0, len(best))
	for k := range best {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := best[keys[i]], best[keys[j]]
		if ri != rj {
			return ri < rj
		}
		if keys[i].a != keys[j].a {
			return keys[i].a < keys[j].a
		}
		return keys[i].b < keys[j].b
	})
	if len(keys) > first {
		keys = keys[:first]
	}
	// Every piece of evidence of the chosen pairs, from the groups that
	// hold both CIs.
	want := map[int]bool{}
	for _, k := range keys {
		want[k.a], want[k.b] = true, true
	}
	groupsOf := map[int][]int{}
	for gi, g := range groups {
		for _, ci := range g.cis {
			if want[ci] {
				groupsOf[ci] = append(groupsOf[ci], gi)
			}
		}
	}
	out := make([]DuplicatePair, 0, len(keys))
	for _, k := range keys {
		p := DuplicatePair{A: k.a, B: k.b}
		seen := map[string]bool{}
		for _, gi := range groupsOf[k.a] {
			if ev := groups[gi].ev; groups[gi].holds(k.a, k.b) && !seen[string(ev.Rule)+ev.Detail] {
				seen[string(ev.Rule)+ev.Detail] = true
				p.Evidence = append(p.Evidence, ev)
			}
		}
		sort.SliceStable(p.Evidence, func(i, j int) bool {
			if p.Evidence[i].rank != p.Evidence[j].rank {
				return p.Evidence[i].rank < p.Evidence[j].rank
			}
			return p.Evidence[i].Detail < p.Evidence[j].Detail
		})
		out = append(out, p)
	}
	return out
}

// sharedIdentifierGroups reads, in one statement, the identifiers of the
// strong kinds whose (kind, value, scope) more than one CI holds.
func sharedIdentifierGroups(ctx context.Context, c *ent.Client) ([]dupGroup, error) {
	kinds := sharedKinds()
	lits := make([]string, len(kinds))
	rank := map[ident.Kind]int{}
	for i, k := range kinds {
		lits[i] = "'" + string(k) + "'"
		rank[k] = i
	}
	q := `SELECT configuration_item_id, kind, value, sc FROM (
  SELECT configuration_item_id, kind, value, COALESCE(scope, '') AS sc,
    COUNT(*) OVER (PARTITION BY kind, value, COALESCE(scope, '')) AS n
  FROM identifiers WHERE kind IN (` + strings.Join(lits, ", ") + `)
) t WHERE n > 1 ORDER BY kind, value, sc, configuration_item_id`
	var out []dupGroup
	err := store.EachRow(ctx, c, "reading shared identifiers", q, nil, func(rows *sql.Rows) error {
		var ci int
		var kind, value, scope string
		if err := rows.Scan(&ci, &kind, &value, &scope); err != nil {
			return err
		}
		k := ident.Kind(kind)
		if _, bad := identity.NotIdentity(k, value); bad {
			return nil
		}
		detail := kind + " " + value
		if scope != "" {
			detail += " in scope " + scope
		}
		r := rank[k]
		if k == ident.IP {
			r = rankAddress
			if scope == "" && identity.IsScoped(value) {
				r, detail = rankUnscopedPrivate, detail+" (a private address with no scope)"
			}
		}
		out = appendMember(out, DuplicateEvidence{Rule: DupSharedIdentifier, Detail: detail, rank: r}, ci)
		return nil
	})
	return dropSingles(out), err
}

// nameGroups reads, in one statement, the CIs whose name
// (case-insensitive) and environment another CI has too.
func nameGroups(ctx context.Context, c *ent.Client) ([]dupGroup, error) {
	q := `SELECT id, name, env FROM (
  SELECT id, name, COALESCE(environment, '') AS env,
    COUNT(*) OVER (PARTITION BY LOWER(name), COALESCE(environment, '')) AS n
  FROM configuration_items
) t WHERE n > 1`
	type row struct {
		id        int
		name, env string
	}
	byKey := map[string][]row{}
	err := store.EachRow(ctx, c, "reading CIs that share a name", q, nil, func(rows *sql.Rows) error {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.env); err != nil {
			return err
		}
		k := strings.ToLower(r.name) + "\x00" + r.env
		byKey[k] = append(byKey[k], r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []dupGroup
	for _, k := range keys {
		rs := byKey[k]
		if len(rs) < 2 {
			continue
		}
		env := rs[0].env
		if env == "" {
			env = "none"
		}
		g := dupGroup{ev: DuplicateEvidence{Rule: DupNameAndEnvironment,
			Detail: fmt.Sprintf("name %s, environment %s", strings.ToLower(rs[0].name), env), rank: rankNameAndEnvironment}}
		for _, r := range rs {
			g.cis = append(g.cis, r.id)
		}
		sort.Ints(g.cis)
		out = append(out, g)
	}
	return out, nil
}

// shortNameGroups reads every host name and FQDN row in one statement and
// groups the CIs by short name (a host name, an FQDN's first label); a
// group is evidence for the pairs in which at least one CI has no known
// domain (the domains of its FQDNs). Two CIs with known, different domains
// are different hosts.
func shortNameGroups(ctx context.Context, c *ent.Client) ([]dupGroup, error) {
	q := `SELECT configuration_item_id, kind, value FROM identifiers WHERE kind IN ('` +
		string(ident.Hostname) + `', '` + string(ident.FQDN) + `')`
	byShort := map[string]map[int]bool{}
	domained := map[int]bool{}
	err := store.EachRow(ctx, c, "reading host names", q, nil, func(rows *sql.Rows) error {
		var ci int
		var kind, value string
		if err := rows.Scan(&ci, &kind, &value); err != nil {
			return err
		}
		if _, bad := identity.NotIdentity(ident.Kind(kind), value); bad {
			return nil
		}
		short := value
		if ident.Kind(kind) == ident.FQDN {
			if identity.Domain(value) != "" {
				domained[ci] = true
			}
			short, _, _ = strings.Cut(value, ".")
		}
		if byShort[short] == nil {
			byShort[short] = map[int]bool{}
		}
		byShort[short][ci] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	shorts := make([]string, 0, len(byShort))
	for s, cis := range byShort {
		if len(cis) > 1 {
			shorts = append(shorts, s)
		}
	}
	sort.Strings(shorts)
	var out []dupGroup
	for _, s := range shorts {
		var without, with []int
		for ci := range byShort[s] {
			if domained[ci] {
				with = append(with, ci)
			} else {
				without = append(without, ci)
			}
		}
		if len(without) == 0 {
			continue
		}
		sort.Ints(without)
		sort.Ints(with)
		ev := DuplicateEvidence{Rule: DupShortNameDomainless, Detail: "short name " + s, rank: rankShortName}
		g := dupGroup{ev: ev, cis: append(append([]int{}, without...), with...)}
		sort.Ints(g.cis)
		if len(with) > 0 {
			g.only = without
		}
		out = append(out, g)
	}
	return out, nil
}

// appendMember adds ci to the last group when it has the same evidence,
// else starts a group (rows come ordered by evidence).
func appendMember(gs []dupGroup, ev DuplicateEvidence, ci int) []dupGroup {
	if n := len(gs); n > 0 && gs[n-1].ev == ev {
		if last := gs[n-1].cis; last[len(last)-1] != ci {
			gs[n-1].cis = append(gs[n-1].cis, ci)
		}
		return gs
	}
	return append(gs, dupGroup{ev: ev, cis: []int{ci}})
}

func dropSingles(gs []dupGroup) []dupGroup {
	out := gs[:0]
	for _, g := range gs {
		if len(g.cis) > 1 {
			out = append(out, g)
		}
	}
	return out
}
