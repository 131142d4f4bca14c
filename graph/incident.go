package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/costs"
	"github.com/cairn-cmdb/cairn/internal/finance"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/money"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// MaxImpactLimit is the largest cap a caller may ask an impact walk for.
const MaxImpactLimit = 100_000

// subField returns ctx with the field context of the selection reached from
// the current field by path (e.g. "nodes", "ci"), so that the generated
// CollectFields eager-loads exactly what the query asks for under it. It
// returns nil when the query does not select that path.
func subField(ctx context.Context, path ...string) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	field := fc.Field
	for _, name := range path {
		found := false
		var merged graphql.CollectedField
		for _, f := range graphql.CollectFields(oc, field.Selections, nil) {
			if f.Name != name {
				continue
			}
			// The same field under several aliases: load the union of
			// what they select.
			if !found {
				merged, found = f, true
				merged.Selections = append(ast.SelectionSet(nil), f.Selections...)
			} else {
				merged.Selections = append(merged.Selections, f.Selections...)
			}
		}
		if !found {
			return nil
		}
		field = merged
	}
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: fc, Field: field, Object: field.ObjectDefinition.Name})
}

// loadCIs loads CIs by ID with the fields selected at ctx (nil ctx: plain
// rows), keyed by ID.
func (r *Resolver) loadCIs(ctx, sel context.Context, ids []int) (map[int]*ent.ConfigurationItem, error) {
	out := make(map[int]*ent.ConfigurationItem, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q := r.client.ConfigurationItem.Query().Where(predicate.ConfigurationItem(r.idsIn(configurationitem.FieldID, ids)))
	if sel != nil {
		var err error
		if q, err = q.CollectFields(sel); err != nil {
			return nil, fmt.Errorf("collecting fields: %w", err)
		}
	}
	cis, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading CIs: %w", err)
	}
	for _, c := range cis {
		out[c.ID] = c
	}
	return out, nil
}

// idFromCI is the condition "column = the CI's ciColumn" as an uncorrelated
// subquery: a primary-key lookup in both tables. (ent's HasXWith on an
// edge held by the CI is a correlated EXISTS that probes the CI table once
// per owner or vendor.)
func idFromCI(column, ciColumn string, ciID int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C(column), sql.Select(ciColumn).From(sql.Table(configurationitem.Table)).Where(sql.EQ(configurationitem.FieldID, ciID))))
	}
}

// ownerOfCI selects the owner of the CI.
func ownerOfCI(ciID int) predicate.Owner {
	return idFromCI(owner.FieldID, configurationitem.FieldOwnerID, ciID)
}

// vendorOfCI selects the vendor of the CI.
func vendorOfCI(ciID int) predicate.Vendor {
	return idFromCI(vendor.FieldID, configurationitem.FieldVendorID, ciID)
}

// idsIn is the condition "column IN ids" as one parameter, so that the
// statement text does not change with the number of IDs and its prepared
// form is reused: json_each on SQLite, an array on PostgreSQL.
func (r *Resolver) idsIn(column string, ids []int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			if r.store.Backend() == store.Postgres {
				b.Ident(s.C(column)).WriteString(" = ANY(").Arg(graphwalk.PGArray(ids)).WriteString("::bigint[])")
				return
			}
			list, _ := json.Marshal(ids)
			b.Ident(s.C(column)).WriteString(" IN (SELECT value FROM json_each(").Arg(string(list)).WriteString("))")
		}))
	}
}

func (r *Resolver) walker() *graphwalk.Walker { return graphwalk.New(r.store) }

func direction(d *model.ImpactDirection) (model.ImpactDirection, graphwalk.Direction) {
	if d != nil && *d == model.ImpactDirectionDependencies {
		return model.ImpactDirectionDependencies, graphwalk.Dependencies
	}
	return model.ImpactDirectionDependents, graphwalk.Dependents
}

// impact walks from root; ctx is the field context of an Impact-typed field.
func (r *Resolver) impact(ctx context.Context, rootID int, dir *model.ImpactDirection, maxDepth *int, types []relationship.Type, limit *int) (*model.Impact, error) {
	opts := graphwalk.Options{Types: types}
	gdir, wdir := direction(dir)
	opts.Direction = wdir
	if maxDepth != nil {
		if *maxDepth < 0 {
			return nil, apperr.Invalid("maxDepth", "maxDepth must not be negative, got %d", *maxDepth)
		}
		opts.MaxDepth = *maxDepth
	}
	if limit != nil {
		if *limit < 1 || *limit > MaxImpactLimit {
			return nil, apperr.Invalid("limit", "limit must be between 1 and %d, got %d", MaxImpactLimit, *limit)
		}
		opts.Limit = *limit
	}
	res, err := r.walker().Walk(ctx, rootID, opts)
	if err != nil {
		return nil, err
	}
	// A CI with dependents or dependencies exists; load it only when the
	// query asks for it or to tell a missing CI from an isolated one.
	var root *ent.ConfigurationItem
	if sel := subField(ctx, "root"); sel != nil || len(res.Nodes) == 0 {
		roots, err := r.loadCIs(ctx, sel, []int{rootID})
		if err != nil {
			return nil, err
		}
		if root = roots[rootID]; root == nil {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: "ci", Msg: fmt.Sprintf("configuration item %d does not exist", rootID)}
		}
	}
	out := &model.Impact{Root: root, Direction: gdir, Count: len(res.Nodes), Truncated: res.Truncated}
	ids := make([]int, len(res.Nodes))
	for i, n := range res.Nodes {
		ids[i] = n.ID
	}
	if sel := subField(ctx, "nodes"); sel != nil {
		cis, err := r.loadCIs(ctx, subField(sel, "ci"), ids)
		if err != nil {
			return nil, err
		}
		out.Nodes = make([]*model.ImpactNode, 0, len(res.Nodes))
		for _, n := range res.Nodes {
			if c := cis[n.ID]; c != nil { // deleted while walking: skip
				out.Nodes = append(out.Nodes, &model.ImpactNode{Ci: c, Depth: n.Depth, Via: n.Via, ParentID: n.Parent})
			}
		}
	}
	if sel := subField(ctx, "services"); sel != nil {
		sids, err := r.walker().ServicesOf(ctx, append(ids, rootID))
		if err != nil {
			return nil, err
		}
		out.Services = []*ent.Service{}
		if len(sids) > 0 {
			q, err := r.client.Service.Query().Where(service.IDIn(sids...)).Order(service.ByName()).CollectFields(sel)
			if err != nil {
				return nil, fmt.Errorf("collecting fields: %w", err)
			}
			if out.Services, err = q.All(ctx); err != nil {
				return nil, fmt.Errorf("loading services: %w", err)
			}
		}
	}
	return out, nil
}

// serviceImpact walks at service level: service-to-service links, and the
// services of the CIs reached from the service's members.
func (r *Resolver) serviceImpact(ctx context.Context, id int, dir *model.ImpactDirection, maxDepth *int) (*model.ServiceImpact, error) {
	gdir, wdir := direction(dir)
	root, err := r.client.Service.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	limit := 50
	if maxDepth != nil {
		if *maxDepth < 0 {
			return nil, apperr.Invalid("maxDepth", "maxDepth must not be negative, got %d", *maxDepth)
		}
		if *maxDepth > 0 {
			limit = *maxDepth
		}
	}
	depth := map[int]int{id: 0}
	via := map[int]string{}
	frontier := []int{id}
	for d := 1; d <= limit && len(frontier) > 0; d++ {
		next := map[int]string{}
		// Service-to-service links.
		q := r.client.Service.Query()
		if wdir == graphwalk.Dependents {
			q = q.Where(service.HasDependsOnWith(service.IDIn(frontier...)))
		} else {
			q = q.Where(service.HasDependentsWith(service.IDIn(frontier...)))
		}
		linked, err := q.IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("following service links: %w", err)
		}
		for _, s := range linked {
			next[s] = "SERVICE"
		}
		// Through member CIs.
		members, err := r.client.ConfigurationItem.Query().
			Where(configurationitem.HasServicesWith(service.IDIn(frontier...))).IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading members: %w", err)
		}
		if len(members) > 0 {
			res, err := r.walker().WalkFrom(ctx, members, graphwalk.Options{Direction: wdir, Limit: MaxImpactLimit})
			if err != nil {
				return nil, err
			}
			reached := make([]int, len(res.Nodes))
			for i, n := range res.Nodes {
				reached[i] = n.ID
			}
			sids, err := r.walker().ServicesOf(ctx, reached)
			if err != nil {
				return nil, err
			}
			for _, s := range sids {
				if _, ok := next[s]; !ok {
					next[s] = "CI"
				}
			}
		}
		frontier = frontier[:0]
		for s, v := range next {
			if _, seen := depth[s]; seen {
				continue
			}
			depth[s], via[s] = d, v
			frontier = append(frontier, s)
		}
	}
	delete(depth, id)
	ids := make([]int, 0, len(depth))
	for s := range depth {
		ids = append(ids, s)
	}
	out := &model.ServiceImpact{Root: root, Direction: gdir, Services: []*model.ServiceImpactNode{}}
	if len(ids) == 0 {
		return out, nil
	}
	q := r.client.Service.Query().Where(service.IDIn(ids...))
	if sel := subField(ctx, "services", "service"); sel != nil {
		if q, err = q.CollectFields(sel); err != nil {
			return nil, fmt.Errorf("collecting fields: %w", err)
		}
	}
	svcs, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading services: %w", err)
	}
	for _, s := range svcs {
		out.Services = append(out.Services, &model.ServiceImpactNode{Service: s, Depth: depth[s.ID], Via: via[s.ID]})
	}
	sort.Slice(out.Services, func(i, j int) bool {
		a, b := out.Services[i], out.Services[j]
		if a.Depth != b.Depth {
			return a.Depth < b.Depth
		}
		return a.Service.Name < b.Service.Name
	})
	return out, nil
}

// serviceMap draws a service: itself, its members, the members' direct
// dependencies, the services it depends on and those that depend on it.
func (r *Resolver) serviceMap(ctx context.Context, id int) (*model.ServiceMap, error) {
	svc, err := r.client.Service.Query().Where(service.ID(id)).
		WithMembers().WithDependsOn().WithDependents().Only(ctx)
	if err != nil {
		return nil, err
	}
	m := &model.ServiceMap{Nodes: []*model.ServiceMapNode{}, Edges: []*model.ServiceMapEdge{}}
	seen := map[int]bool{}
	addSvc := func(s *ent.Service, in bool) {
		if seen[s.ID] {
			return
		}
		seen[s.ID] = true
		tier := s.Tier
		m.Nodes = append(m.Nodes, &model.ServiceMapNode{ID: s.ID, Type: "SERVICE", Label: s.Name, Tier: &tier, InService: in})
	}
	addCI := func(c *ent.ConfigurationItem, in bool) {
		if seen[c.ID] {
			return
		}
		seen[c.ID] = true
		kind := c.Kind
		m.Nodes = append(m.Nodes, &model.ServiceMapNode{ID: c.ID, Type: "CI", Label: c.Name, CiKind: &kind, InService: in})
	}
	addSvc(svc, true)
	memberIDs := make([]int, 0, len(svc.Edges.Members))
	for _, c := range svc.Edges.Members {
		addCI(c, true)
		memberIDs = append(memberIDs, c.ID)
		m.Edges = append(m.Edges, &model.ServiceMapEdge{From: svc.ID, To: c.ID, Type: "MEMBER"})
	}
	for _, d := range svc.Edges.DependsOn {
		addSvc(d, false)
		m.Edges = append(m.Edges, &model.ServiceMapEdge{From: svc.ID, To: d.ID, Type: "SERVICE_DEPENDS_ON"})
	}
	for _, d := range svc.Edges.Dependents {
		addSvc(d, false)
		m.Edges = append(m.Edges, &model.ServiceMapEdge{From: d.ID, To: svc.ID, Type: "SERVICE_DEPENDS_ON"})
	}
	if len(memberIDs) > 0 {
		rels, err := r.client.Relationship.Query().Where(relationship.FromIDIn(memberIDs...)).
			WithTo().Order(relationship.ByID()).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading member relationships: %w", err)
		}
		for _, rel := range rels {
			if rel.Edges.To != nil {
				addCI(rel.Edges.To, false)
			}
			m.Edges = append(m.Edges, &model.ServiceMapEdge{From: rel.FromID, To: rel.ToID, Type: string(rel.Type)})
		}
	}
	return m, nil
}

// dependencyPath is the shortest chain by which from depends on to.
func (r *Resolver) dependencyPath(ctx context.Context, from, to int, maxDepth *int) (*model.DependencyPath, error) {
	opts := graphwalk.Options{Direction: graphwalk.Dependencies, Limit: MaxImpactLimit}
	if maxDepth != nil {
		if *maxDepth < 0 {
			return nil, apperr.Invalid("maxDepth", "maxDepth must not be negative, got %d", *maxDepth)
		}
		opts.MaxDepth = *maxDepth
	}
	cis, err := r.loadCIs(ctx, nil, []int{from, to})
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		id    int
		field string
	}{{from, "from"}, {to, "to"}} {
		if cis[p.id] == nil {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: p.field, Msg: fmt.Sprintf("configuration item %d does not exist", p.id)}
		}
	}
	if from == to {
		return &model.DependencyPath{Length: 0, Cis: []*ent.ConfigurationItem{cis[from]}, Relationships: []*ent.Relationship{}}, nil
	}
	res, err := r.walker().Walk(ctx, from, opts)
	if err != nil {
		return nil, err
	}
	byID := make(map[int]graphwalk.Node, len(res.Nodes))
	for _, n := range res.Nodes {
		byID[n.ID] = n
	}
	n, ok := byID[to]
	if !ok {
		return nil, nil
	}
	var chain []graphwalk.Node
	for {
		chain = append(chain, n)
		if n.Parent == from {
			break
		}
		n = byID[n.Parent]
	}
	ids := []int{from}
	for i := len(chain) - 1; i >= 0; i-- {
		ids = append(ids, chain[i].ID)
	}
	loaded, err := r.loadCIs(ctx, subField(ctx, "cis"), ids)
	if err != nil {
		return nil, err
	}
	out := &model.DependencyPath{Length: len(ids) - 1}
	for i, id := range ids {
		out.Cis = append(out.Cis, loaded[id])
		if i == 0 {
			continue
		}
		rel, err := r.client.Relationship.Query().Where(
			relationship.FromID(ids[i-1]), relationship.ToID(id), relationship.TypeEQ(byID[id].Via),
		).First(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading relationship %d → %d: %w", ids[i-1], id, err)
		}
		out.Relationships = append(out.Relationships, rel)
	}
	return out, nil
}

// match finds the CIs an incident input names: identifiers first (every
// notation normalised), then CI names, then a unique name or host name
// prefix. It returns nil when nothing matches.
func (r *Resolver) match(ctx context.Context, input string) (*model.IncidentContext, []int, error) {
	in := strings.TrimSpace(input)
	if in == "" {
		return nil, nil, nil
	}
	cands := ident.Guess(in)
	if len(cands) > 0 {
		preds := make([]predicate.Identifier, 0, len(cands))
		for _, c := range cands {
			preds = append(preds, identifier.And(identifier.KindEQ(identifier.Kind(c.Kind)), identifier.Value(c.Value)))
		}
		rows, err := r.client.Identifier.Query().Where(identifier.Or(preds...)).All(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("matching identifiers: %w", err)
		}
		for _, c := range cands {
			var ids []int
			for _, row := range rows {
				if string(row.Kind) == string(c.Kind) && row.Value == c.Value && !containsInt(ids, row.ConfigurationItemID) {
					ids = append(ids, row.ConfigurationItemID)
				}
			}
			if len(ids) > 0 {
				if ids, err = r.inNameOrder(ctx, ids); err != nil {
					return nil, nil, err
				}
				return &model.IncidentContext{MatchedBy: identifier.Kind(c.Kind), MatchRule: model.MatchRuleIdentifier, MatchedValue: c.Value}, ids, nil
			}
		}
		// A short host name typed for a CI whose FQDN alone is recorded
		// (discovery and imports often record only the FQDN): match the
		// FQDN's first label. Only for single-label input, so that an FQDN
		// never matches a host of the same name in another domain.
		if host, ok := shortHostCandidate(cands); ok {
			rows, err := r.client.Identifier.Query().Where(
				identifier.KindEQ(identifier.KindFQDN), identifier.ValueHasPrefix(host+"."),
			).Order(identifier.ByValue(), identifier.ByID()).All(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("matching FQDNs by host name: %w", err)
			}
			var ids []int
			fqdn := map[int]string{}
			for _, row := range rows {
				if ident.ShortName(row.Value) == host && !containsInt(ids, row.ConfigurationItemID) {
					ids = append(ids, row.ConfigurationItemID)
					fqdn[row.ConfigurationItemID] = row.Value
				}
			}
			if len(ids) > 0 {
				if ids, err = r.inNameOrder(ctx, ids); err != nil {
					return nil, nil, err
				}
				return &model.IncidentContext{MatchedBy: identifier.KindFQDN, MatchRule: model.MatchRuleIdentifier, MatchedValue: fqdn[ids[0]]}, ids, nil
			}
		}
	}
	ids, err := r.client.ConfigurationItem.Query().Where(configurationitem.NameEqualFold(in)).
		Order(configurationitem.ByName(), configurationitem.ByID()).Limit(21).IDs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("matching names: %w", err)
	}
	if len(ids) > 0 {
		return &model.IncidentContext{MatchedBy: identifier.KindHostname, MatchRule: model.MatchRuleName, MatchedValue: in}, ids, nil
	}
	lower := strings.ToLower(in)
	ids, err = r.client.ConfigurationItem.Query().Where(configurationitem.Or(
		prefixFold(configurationitem.FieldName, lower), prefixFold(configurationitem.FieldHostname, lower),
	)).Order(configurationitem.ByName(), configurationitem.ByID()).Limit(21).IDs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("matching prefixes: %w", err)
	}
	if len(ids) > 0 {
		return &model.IncidentContext{MatchedBy: identifier.KindHostname, MatchRule: model.MatchRulePrefix, MatchedValue: lower}, ids, nil
	}
	return nil, nil, nil
}

// shortHostCandidate returns the HOSTNAME interpretation of a single-label
// input (one Guess offered no FQDN for).
func shortHostCandidate(cands []ident.Candidate) (string, bool) {
	host, ok := "", false
	for _, c := range cands {
		switch c.Kind {
		case ident.FQDN:
			return "", false
		case ident.Hostname:
			host, ok = c.Value, true
		}
	}
	return host, ok
}

// inNameOrder orders several matched CIs by name (then ID), the order the
// name and prefix matches use, so that the CI an ambiguous match shows
// first does not depend on the database's row order.
func (r *Resolver) inNameOrder(ctx context.Context, ids []int) ([]int, error) {
	if len(ids) < 2 {
		return ids, nil
	}
	sorted, err := r.client.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).
		Order(configurationitem.ByName(), configurationitem.ByID()).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("ordering matches: %w", err)
	}
	if len(sorted) == 0 {
		return ids, nil
	}
	return sorted, nil
}

func prefixFold(column, prefix string) predicate.ConfigurationItem {
	return predicate.ConfigurationItem(func(s *sql.Selector) {
		s.Where(sql.HasPrefixFold(s.C(column), prefix))
	})
}

// incidentContext resolves what was typed into the context of one CI.
func (r *Resolver) incidentContext(ctx context.Context, input string, asOf *time.Time, depth *int) (*model.IncidentContext, error) {
	// Validate before matching, so that a bad depth is refused whether or
	// not the identifier matches.
	d := 3
	if depth != nil {
		if *depth < 1 || *depth > 50 {
			return nil, apperr.Invalid("depth", "depth must be between 1 and 50, got %d", *depth)
		}
		d = *depth
	}
	ic, ids, err := r.match(ctx, input)
	if err != nil || ic == nil {
		return nil, err
	}
	ic.AsOf = time.Now().UTC()
	if asOf != nil {
		ic.AsOf = *asOf
	}
	ic.Depth = d
	// The matched CIs, in name order; the first is the CI, the rest are
	// alternatives.
	cis, err := r.loadCIs(ctx, subField(ctx, "ci"), ids[:1])
	if err != nil {
		return nil, err
	}
	ic.CI = cis[ids[0]]
	if ic.CI == nil {
		return nil, nil
	}
	ic.Alternatives = []*ent.ConfigurationItem{}
	if len(ids) > 1 {
		ic.Ambiguous = true
		alts, err := r.loadCIs(ctx, subField(ctx, "alternatives"), ids[1:])
		if err != nil {
			return nil, err
		}
		for _, id := range ids[1:] {
			if c := alts[id]; c != nil {
				ic.Alternatives = append(ic.Alternatives, c)
			}
		}
	}
	if err := r.fill(ctx, ic); err != nil {
		return nil, err
	}
	return ic, nil
}

// fill computes the parts of ic that the query selects, one after another
// on this goroutine. As resolvers, gqlgen would run each on a goroutine of
// its own, whose stack grows through SQLite's deep call chains; on a busy
// server that costs more than running the statements side by side saves.
// ctx is the field context of the incidentContext field.
func (r *Resolver) fill(ctx context.Context, ic *model.IncidentContext) error {
	dependents, dependencies := model.ImpactDirectionDependents, model.ImpactDirectionDependencies
	// A part that fails is an error on its field: a nullable part is then
	// null and the rest of the context still answers, as a resolver of its
	// own would; a failing non-null part fails the context.
	parts := []struct {
		field    string
		nullable bool
		load     func(context.Context) error
	}{
		{"owner", true, func(ctx context.Context) (err error) { ic.Owner, err = r.icOwner(ctx, ic); return err }},
		{"team", true, func(ctx context.Context) (err error) { ic.Team, err = r.icTeam(ctx, ic); return err }},
		{"services", false, func(ctx context.Context) (err error) { ic.Services, err = r.icServices(ctx, ic); return err }},
		{"dependents", false, func(ctx context.Context) (err error) {
			ic.Dependents, err = r.impact(ctx, ic.CI.ID, &dependents, &ic.Depth, nil, nil)
			return err
		}},
		{"dependencies", false, func(ctx context.Context) (err error) {
			ic.Dependencies, err = r.impact(ctx, ic.CI.ID, &dependencies, &ic.Depth, nil, nil)
			return err
		}},
		{"vendor", true, func(ctx context.Context) (err error) { ic.Vendor, err = r.icVendor(ctx, ic); return err }},
		{"supportContracts", false, func(ctx context.Context) (err error) {
			ic.SupportContracts, err = r.supportContracts(ctx, ic)
			return err
		}},
		{"warranty", true, func(ctx context.Context) (err error) { ic.Warranty, err = r.warranty(ctx, ic); return err }},
		{"bookValue", true, func(ctx context.Context) (err error) { ic.BookValue, err = r.bookValue(ctx, ic); return err }},
		{"openDrifts", false, func(ctx context.Context) (err error) { ic.OpenDrifts, err = r.openDrifts(ctx, ic); return err }},
		{"recentChanges", false, func(ctx context.Context) (err error) { ic.RecentChanges, err = r.recentChanges(ctx, ic); return err }},
	}
	for _, p := range parts {
		sel := subField(ctx, p.field)
		if sel == nil {
			continue
		}
		if err := p.load(sel); err != nil {
			if !p.nullable {
				return fmt.Errorf("incident context, %s: %w", p.field, err)
			}
			graphql.AddError(sel, err) // reported at incidentContext.<field>
		}
	}
	return nil
}

// orNone turns ent's not-found into no value.
func orNone[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

// icOwner is the CI's owner, with the fields selected at ctx.
func (r *Resolver) icOwner(ctx context.Context, ic *model.IncidentContext) (*ent.Owner, error) {
	// The CI was loaded with only the fields the query selected, so go
	// by its ID rather than its owner_id.
	q, err := r.client.Owner.Query().Where(ownerOfCI(ic.CI.ID)).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return orNone(q.Only(ctx))
}

// icTeam is the team of the CI's owner, when the owner is a person.
func (r *Resolver) icTeam(ctx context.Context, ic *model.IncidentContext) (*ent.Owner, error) {
	q, err := r.client.Owner.Query().Where(owner.HasMembersWith(ownerOfCI(ic.CI.ID))).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return orNone(q.Only(ctx))
}

// icServices are the services the CI belongs to, most critical first.
func (r *Resolver) icServices(ctx context.Context, ic *model.IncidentContext) ([]*ent.Service, error) {
	q, err := r.client.Service.Query().Where(service.HasMembersWith(configurationitem.ID(ic.CI.ID))).
		Order(service.ByTier(), service.ByName()).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return q.All(ctx)
}

// icVendor is the CI's vendor.
func (r *Resolver) icVendor(ctx context.Context, ic *model.IncidentContext) (*ent.Vendor, error) {
	q, err := r.client.Vendor.Query().Where(vendorOfCI(ic.CI.ID)).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return orNone(q.Only(ctx))
}

// supportContracts are the support, maintenance and warranty contracts
// covering the CI that are in force at asOf.
func (r *Resolver) supportContracts(ctx context.Context, ic *model.IncidentContext) ([]*ent.Contract, error) {
	q, err := r.client.Contract.Query().Where(
		contract.HasCoveredCisWith(configurationitem.ID(ic.CI.ID)),
		contract.KindIn(contract.KindSupport, contract.KindMaintenance, contract.KindWarranty),
		contract.StartDateLTE(ic.AsOf), contract.EndDateGTE(ic.AsOf),
	).Order(contract.ByEndDate(), contract.ByID()).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return q.All(ctx)
}

// warranty combines the asset's warranty end with WARRANTY contracts
// covering the CI: the one in force at asOf, else the latest that had
// started by then.
func (r *Resolver) warranty(ctx context.Context, ic *model.IncidentContext) (*model.WarrantyStatus, error) {
	ws, err := r.client.Contract.Query().Where(
		contract.HasCoveredCisWith(configurationitem.ID(ic.CI.ID)),
		contract.KindEQ(contract.KindWarranty),
		contract.StartDateLTE(ic.AsOf),
	).Order(contract.ByEndDate(sql.OrderDesc())).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("loading warranty contracts: %w", err)
	}
	var end *time.Time
	var from *ent.Contract
	if ws != nil {
		end, from = &ws.EndDate, ws
	}
	a, err := ic.CI.QueryAsset().Select(asset.FieldWarrantyEnd).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("loading asset: %w", err)
	}
	if a != nil && a.WarrantyEnd != nil && (end == nil || a.WarrantyEnd.After(*end)) {
		end, from = a.WarrantyEnd, nil
	}
	if end == nil {
		return nil, nil
	}
	days := int(end.Sub(ic.AsOf).Hours() / 24)
	if end.Before(ic.AsOf) && end.Sub(ic.AsOf)%(24*time.Hour) != 0 {
		days-- // floor for the past
	}
	return &model.WarrantyStatus{Active: !ic.AsOf.After(*end), EndDate: end, DaysLeft: &days, Contract: from}, nil
}

func (r *Resolver) openDrifts(ctx context.Context, ic *model.IncidentContext) ([]*ent.Drift, error) {
	q, err := r.client.Drift.Query().Where(
		drift.ConfigurationItemID(ic.CI.ID), drift.StatusIn(drift.StatusOpen, drift.StatusAcknowledged),
	).Order(drift.ByLastSeenAt(sql.OrderDesc())).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return q.All(ctx)
}

func (r *Resolver) recentChanges(ctx context.Context, ic *model.IncidentContext) ([]*ent.AuditEvent, error) {
	q, err := r.client.AuditEvent.Query().Where(
		auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(ic.CI.ID), auditevent.AtLTE(ic.AsOf),
	).Order(auditevent.ByAt(sql.OrderDesc()), auditevent.ByID(sql.OrderDesc())).Limit(10).CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting fields: %w", err)
	}
	return q.All(ctx)
}

// lookup ranks CIs and services for a search box.
func (r *Resolver) lookup(ctx context.Context, query string, first *int) ([]*model.LookupHit, error) {
	n := 10
	if first != nil {
		if *first < 1 || *first > 100 {
			return nil, apperr.Invalid("first", "first must be between 1 and 100, got %d", *first)
		}
		n = *first
	}
	q := strings.TrimSpace(query)
	if q == "" {
		return []*model.LookupHit{}, nil
	}
	lower := strings.ToLower(q)
	type ciHit struct {
		score     float64
		by, value string
	}
	ciHits := map[int]ciHit{}
	add := func(id int, score float64, by, value string) {
		if h, ok := ciHits[id]; !ok || h.score < score {
			ciHits[id] = ciHit{score, by, value}
		}
	}
	if cands := ident.Guess(q); len(cands) > 0 {
		preds := make([]predicate.Identifier, 0, len(cands))
		for _, c := range cands {
			preds = append(preds, identifier.And(identifier.KindEQ(identifier.Kind(c.Kind)), identifier.Value(c.Value)))
		}
		rows, err := r.client.Identifier.Query().Where(identifier.Or(preds...)).Limit(n).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("searching identifiers: %w", err)
		}
		for _, row := range rows {
			add(row.ConfigurationItemID, 100, "IDENTIFIER", string(row.Kind)+" "+row.Value)
		}
	}
	for _, step := range []struct {
		pred  predicate.ConfigurationItem
		score float64
		by    string
	}{
		{configurationitem.NameEqualFold(q), 90, "NAME"},
		{configurationitem.Or(prefixFold(configurationitem.FieldName, lower), prefixFold(configurationitem.FieldHostname, lower)), 70, "NAME_PREFIX"},
		{configurationitem.NameContainsFold(q), 30, "NAME_CONTAINS"},
	} {
		if len(ciHits) >= n {
			break
		}
		rows, err := r.client.ConfigurationItem.Query().Where(step.pred).
			Order(configurationitem.ByName(), configurationitem.ByID()).Limit(n).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("searching names: %w", err)
		}
		for _, c := range rows {
			add(c.ID, step.score, step.by, c.Name)
		}
	}
	// Services in score order, exact names first, so that cutting each
	// step to n never drops a better hit for one that sorts first by name.
	var hits []*model.LookupHit
	svcSeen := map[int]bool{}
	for _, step := range []struct {
		pred  predicate.Service
		score float64
	}{
		{service.NameEqualFold(q), 95},
		{predicate.Service(func(s *sql.Selector) { s.Where(sql.HasPrefixFold(s.C(service.FieldName), lower)) }), 75},
		{service.NameContainsFold(q), 40},
	} {
		if len(svcSeen) >= n {
			break
		}
		svcs, err := r.client.Service.Query().Where(step.pred).Order(service.ByName(), service.ByID()).Limit(n).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("searching services: %w", err)
		}
		for _, s := range svcs {
			if !svcSeen[s.ID] {
				svcSeen[s.ID] = true
				hits = append(hits, &model.LookupHit{Type: "SERVICE", Service: s, MatchedBy: "SERVICE_NAME", MatchedValue: s.Name, Score: step.score})
			}
		}
	}
	ids := make([]int, 0, len(ciHits))
	for id := range ciHits {
		ids = append(ids, id)
	}
	cis, err := r.loadCIs(ctx, subField(ctx, "ci"), ids)
	if err != nil {
		return nil, err
	}
	for id, h := range ciHits {
		if c := cis[id]; c != nil {
			hits = append(hits, &model.LookupHit{Type: "CONFIGURATION_ITEM", Ci: c, MatchedBy: h.by, MatchedValue: h.value, Score: h.score})
		}
	}
	label := func(h *model.LookupHit) string {
		if h.Ci != nil {
			return h.Ci.Name
		}
		return h.Service.Name
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return label(hits[i]) < label(hits[j])
	})
	if len(hits) > n {
		hits = hits[:n]
	}
	if hits == nil {
		hits = []*model.LookupHit{}
	}
	return hits, nil
}

// bookValue is the CI's asset's book value at asOf, from the depreciation
// engine; null when the CI has no asset record.
func (r *Resolver) bookValue(ctx context.Context, ic *model.IncidentContext) (*money.Money, error) {
	a, err := r.client.Asset.Query().Where(asset.ConfigurationItemID(ic.CI.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading asset: %w", err)
	}
	v, err := finance.BookValue(costs.FinanceAsset(a), ic.AsOf)
	if err != nil {
		return nil, financeErr(err)
	}
	return &money.Money{Minor: v, Currency: a.Currency}, nil
}

func asOfOrNow(t *time.Time) time.Time {
	if t == nil {
		return time.Now().UTC()
	}
	return *t
}

// financeErr turns the engine's field errors into BAD_USER_INPUT.
func financeErr(err error) error {
	var fe *finance.FieldError
	if errors.As(err, &fe) {
		return apperr.Invalid(fe.Field, "%s", fe.Msg)
	}
	return err
}
