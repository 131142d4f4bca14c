package incident

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/identity"
)

// Search box bounds.
const (
	DefaultHits = 10
	MaxHits     = 100
)

// Hit types.
const (
	HitCI      = "CONFIGURATION_ITEM"
	HitService = "SERVICE"
)

// What a hit matched, with its score (higher is better). A CI matched in
// several ways keeps its best score; services rank among CIs by score.
const (
	ByIdentifier   = "IDENTIFIER"    // 100: a recorded identifier, any notation (identity.RuleIdentifier)
	ByShortName    = "SHORT_NAME"    // 92: a short host name where the domains allow it (identity.RuleShortName)
	ByServiceName  = "SERVICE_NAME"  // 95, 75, 40: a service's name, its start, or part of it
	ByName         = "NAME"          // 90: a CI's name
	ByNamePrefix   = "NAME_PREFIX"   // 70: the start of a CI's name or host name
	ByNameContains = "NAME_CONTAINS" // 30: part of a CI's name
)

// Hit is a search box hit: a CI or a service.
type Hit struct {
	// Type is HitCI or HitService; CI or Service is set accordingly.
	Type    string
	CI      *ent.ConfigurationItem
	Service *ent.Service
	// MatchedBy is one of the By constants; MatchedValue what matched (for
	// an identifier, "KIND value").
	MatchedBy    string
	MatchedValue string
	Score        float64
}

func (h Hit) label() string {
	if h.CI != nil {
		return h.CI.Name
	}
	return h.Service.Name
}

// Lookup ranks CIs and services for a search box: by score, then name; at
// most first hits (nil: DefaultHits, at most MaxHits). Identifier hits
// follow internal/identity's rule, as Match does, in the network scope
// given (nil: every scope). sel shapes the CIs.
func (e *Engine) Lookup(ctx context.Context, query string, first *int, scope *string, sel Select[*ent.ConfigurationItemQuery]) ([]Hit, error) {
	n := DefaultHits
	if first != nil {
		if *first < 1 || *first > MaxHits {
			return nil, apperr.Invalid("first", "first must be between 1 and %d, got %d", MaxHits, *first)
		}
		n = *first
	}
	scope, err := Scope(scope)
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(query)
	if q == "" {
		return []Hit{}, nil
	}
	ciHits, err := e.searchCIs(ctx, q, scope, n)
	if err != nil {
		return nil, err
	}
	hits, err := e.searchServices(ctx, q, n)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(ciHits))
	for id := range ciHits {
		ids = append(ids, id)
	}
	sort.Ints(ids) // equal scores and names come out in ID order
	cis, err := e.LoadCIs(ctx, ids, sel)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if c, h := cis[id], ciHits[id]; c != nil {
			h.CI = c
			hits = append(hits, h)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].label() < hits[j].label()
	})
	if len(hits) > n {
		hits = hits[:n]
	}
	if hits == nil {
		hits = []Hit{}
	}
	return hits, nil
}

// searchCIs finds up to about n CIs for q, each with its best match (the CI
// itself is not loaded yet): the CIs internal/identity's rule names (as
// Match: the strongest kind that matches, domain-aware, in scope), then the
// name, the start of the name or host name, and part of the name, stopping
// once n CIs are found.
func (e *Engine) searchCIs(ctx context.Context, q string, scope *string, n int) (map[int]Hit, error) {
	lower := strings.ToLower(q)
	hits := map[int]Hit{}
	add := func(id int, score float64, by, value string) {
		if h, ok := hits[id]; !ok || h.Score < score {
			hits[id] = Hit{Type: HitCI, MatchedBy: by, MatchedValue: value, Score: score}
		}
	}
	in := identityInput(q, scope)
	res, rows, err := e.decide(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("searching identifiers: %w", err)
	}
	if res.Matched() {
		by, score := ByIdentifier, 100.0
		if res.Rule == identity.RuleShortName {
			by, score = ByShortName, 92
		}
		ids := res.IDs
		if len(ids) > n {
			// Keep the first n by name, as the ranking shows them.
			if ids, err = e.inNameOrder(ctx, ids); err != nil {
				return nil, err
			}
			ids = ids[:n]
		}
		for _, id := range ids {
			kind, value := matchedFor(in, rows, id, res)
			add(id, score, by, string(kind)+" "+value)
		}
	}
	// An address, MAC or UUID is searched as an identifier (and as a CI's
	// exact name when no scope is given), never as the start or part of a
	// name: "10.0.0.5" is not "10.0.0.50" (Match has the same rule).
	addressLike := isAddressLike(in)
	for i, step := range []struct {
		pred  predicate.ConfigurationItem
		score float64
		by    string
	}{
		{configurationitem.NameEqualFold(q), 90, ByName},
		{configurationitem.Or(prefixFold(configurationitem.FieldName, lower), prefixFold(configurationitem.FieldHostname, lower)), 70, ByNamePrefix},
		{configurationitem.NameContainsFold(q), 30, ByNameContains},
	} {
		if len(hits) >= n || (addressLike && (i > 0 || scope != nil)) {
			break
		}
		rows, err := e.client.ConfigurationItem.Query().Where(step.pred).
			Order(configurationitem.ByName(), configurationitem.ByID()).Limit(n).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("searching names: %w", err)
		}
		for _, c := range rows {
			add(c.ID, step.score, step.by, c.Name)
		}
	}
	return hits, nil
}

// searchServices finds up to about n services for q, in score order, exact
// names first, so that cutting each step to n never drops a better hit for
// one that sorts first by name.
func (e *Engine) searchServices(ctx context.Context, q string, n int) ([]Hit, error) {
	lower := strings.ToLower(q)
	var hits []Hit
	seen := map[int]bool{}
	for _, step := range []struct {
		pred  predicate.Service
		score float64
	}{
		{service.NameEqualFold(q), 95},
		{predicate.Service(func(s *sql.Selector) { s.Where(sql.HasPrefixFold(s.C(service.FieldName), lower)) }), 75},
		{service.NameContainsFold(q), 40},
	} {
		if len(seen) >= n {
			break
		}
		svcs, err := e.client.Service.Query().Where(step.pred).Order(service.ByName(), service.ByID()).Limit(n).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("searching services: %w", err)
		}
		for _, s := range svcs {
			if !seen[s.ID] {
				seen[s.ID] = true
				hits = append(hits, Hit{Type: HitService, Service: s, MatchedBy: ByServiceName, MatchedValue: s.Name, Score: step.score})
			}
		}
	}
	return hits, nil
}
