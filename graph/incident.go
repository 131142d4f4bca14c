package graph

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/finance"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/incident"
)

// MaxImpactLimit is the largest cap a caller may ask an impact walk for.
const MaxImpactLimit = incident.MaxImpactLimit

// incidents is the incident service on the resolver's database.
func (r *Resolver) incidents() *incident.Engine { return incident.New(r.client, r.store) }

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

// collector is an ent query with gqlgen field collection.
type collector[Q any] interface {
	CollectFields(context.Context, ...string) (Q, error)
}

// collect eager-loads what the query selects at sel; nil when sel is nil
// (not selected).
func collect[Q collector[Q]](sel context.Context) incident.Select[Q] {
	if sel == nil {
		return nil
	}
	return func(q Q) (Q, error) { return q.CollectFields(sel) }
}

// rowsFor is collect for a selected part whose rows are needed even when
// the query selects nothing under it (sel is nil): plain rows then.
func rowsFor[Q collector[Q]](sel context.Context) incident.Select[Q] {
	if sel == nil {
		return func(q Q) (Q, error) { return q, nil }
	}
	return collect[Q](sel)
}

func direction(d *model.ImpactDirection) graphwalk.Direction {
	if d != nil && *d == model.ImpactDirectionDependencies {
		return graphwalk.Dependencies
	}
	return graphwalk.Dependents
}

func directionOut(d graphwalk.Direction) model.ImpactDirection {
	if d == graphwalk.Dependencies {
		return model.ImpactDirectionDependencies
	}
	return model.ImpactDirectionDependents
}

// impactParts are the parts an Impact-typed field at ctx selects.
func impactParts(ctx context.Context) incident.ImpactParts {
	p := incident.ImpactParts{
		Root:     collect[*ent.ConfigurationItemQuery](subField(ctx, "root")),
		Services: collect[*ent.ServiceQuery](subField(ctx, "services")),
	}
	if nodes := subField(ctx, "nodes"); nodes != nil {
		p.Nodes = rowsFor[*ent.ConfigurationItemQuery](subField(nodes, "ci"))
	}
	return p
}

func impactOut(im *incident.Impact) *model.Impact {
	if im == nil {
		return nil
	}
	out := &model.Impact{Root: im.Root, Direction: directionOut(im.Direction), Services: im.Services, Count: im.Count, Truncated: im.Truncated}
	if im.Nodes != nil {
		out.Nodes = make([]*model.ImpactNode, len(im.Nodes))
		for i, n := range im.Nodes {
			out.Nodes[i] = &model.ImpactNode{Ci: n.CI, Depth: n.Depth, Via: n.Via, ParentID: n.Parent}
		}
	}
	return out
}

// impact walks from root; ctx is the field context of an Impact-typed field.
func (r *Resolver) impact(ctx context.Context, rootID int, dir *model.ImpactDirection, maxDepth *int, types []relationship.Type, limit *int) (*model.Impact, error) {
	im, err := r.incidents().Impact(ctx, rootID, incident.ImpactOptions{Direction: direction(dir), MaxDepth: maxDepth, Types: types, Limit: limit}, impactParts(ctx))
	return impactOut(im), err
}

func (r *Resolver) serviceImpact(ctx context.Context, id int, dir *model.ImpactDirection, maxDepth *int) (*model.ServiceImpact, error) {
	si, err := r.incidents().ServiceImpact(ctx, id, direction(dir), maxDepth, collect[*ent.ServiceQuery](subField(ctx, "services", "service")))
	if err != nil {
		return nil, err
	}
	out := &model.ServiceImpact{Root: si.Root, Direction: directionOut(si.Direction), Services: make([]*model.ServiceImpactNode, len(si.Services))}
	for i, s := range si.Services {
		out.Services[i] = &model.ServiceImpactNode{Service: s.Service, Depth: s.Depth, Via: s.Via}
	}
	return out, nil
}

func (r *Resolver) serviceMap(ctx context.Context, id int) (*model.ServiceMap, error) {
	m, err := r.incidents().ServiceMap(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &model.ServiceMap{Nodes: make([]*model.ServiceMapNode, len(m.Nodes)), Edges: make([]*model.ServiceMapEdge, len(m.Edges))}
	for i, n := range m.Nodes {
		out.Nodes[i] = &model.ServiceMapNode{ID: n.ID, Type: n.Type, Label: n.Label, Tier: n.Tier, CiKind: n.CIKind, InService: n.InService}
	}
	for i, e := range m.Edges {
		out.Edges[i] = &model.ServiceMapEdge{From: e.From, To: e.To, Type: e.Type}
	}
	return out, nil
}

func (r *Resolver) dependencyPath(ctx context.Context, from, to int, maxDepth *int) (*model.DependencyPath, error) {
	p, err := r.incidents().DependencyPath(ctx, from, to, maxDepth, collect[*ent.ConfigurationItemQuery](subField(ctx, "cis")))
	if err != nil || p == nil {
		return nil, err
	}
	return &model.DependencyPath{Length: p.Length, Cis: p.CIs, Relationships: p.Relationships}, nil
}

// incidentContext resolves what was typed into the context of one CI,
// filling only the parts the query selects.
func (r *Resolver) incidentContext(ctx context.Context, req incident.Request) (*model.IncidentContext, error) {
	parts := incident.Parts{
		CI:               collect[*ent.ConfigurationItemQuery](subField(ctx, "ci")),
		Alternatives:     collect[*ent.ConfigurationItemQuery](subField(ctx, "alternatives")),
		Owner:            collect[*ent.OwnerQuery](subField(ctx, "owner")),
		Team:             collect[*ent.OwnerQuery](subField(ctx, "team")),
		Services:         collect[*ent.ServiceQuery](subField(ctx, "services")),
		Vendor:           collect[*ent.VendorQuery](subField(ctx, "vendor")),
		SupportContracts: collect[*ent.ContractQuery](subField(ctx, "supportContracts")),
		Warranty:         subField(ctx, "warranty") != nil,
		BookValue:        subField(ctx, "bookValue") != nil,
		OpenDrifts:       collect[*ent.DriftQuery](subField(ctx, "openDrifts")),
		RecentChanges:    collect[*ent.AuditEventQuery](subField(ctx, "recentChanges")),
		// A failing nullable part is an error on its field, which is then
		// null, as with a resolver of its own.
		PartFailed: func(part string, err error) { graphql.AddError(subField(ctx, part), financeErr(err)) },
	}
	for _, d := range []struct {
		field string
		to    **incident.ImpactParts
	}{{"dependents", &parts.Dependents}, {"dependencies", &parts.Dependencies}} {
		if sel := subField(ctx, d.field); sel != nil {
			p := impactParts(sel)
			*d.to = &p
		}
	}
	ic, err := r.incidents().Context(ctx, req, parts)
	if err != nil || ic == nil {
		return nil, err
	}
	return &model.IncidentContext{
		CI: ic.CI, MatchedBy: ic.MatchedBy, MatchRule: model.MatchRule(ic.Rule), MatchedValue: ic.MatchedValue, MatchedScope: orNil(ic.MatchedScope),
		Alternatives: ic.Alternatives, Ambiguous: ic.Ambiguous, AsOf: ic.AsOf, Depth: ic.Depth,
		Owner: ic.Owner, Team: ic.Team, Services: ic.Services,
		Dependents: impactOut(ic.Dependents), Dependencies: impactOut(ic.Dependencies),
		Vendor: ic.Vendor, SupportContracts: ic.SupportContracts, Warranty: warrantyOut(ic.Warranty),
		BookValue: ic.BookValue, OpenDrifts: ic.OpenDrifts, RecentChanges: ic.RecentChanges,
	}, nil
}

func warrantyOut(w *incident.Warranty) *model.WarrantyStatus {
	if w == nil {
		return nil
	}
	end, days := w.EndDate, w.DaysLeft
	return &model.WarrantyStatus{Active: w.Active, EndDate: &end, DaysLeft: &days, Contract: w.Contract}
}

// lookup ranks CIs and services for a search box.
func (r *Resolver) lookup(ctx context.Context, query string, first *int, scope *string) ([]*model.LookupHit, error) {
	hits, err := r.incidents().Lookup(ctx, query, first, scope, collect[*ent.ConfigurationItemQuery](subField(ctx, "ci")))
	if err != nil {
		return nil, err
	}
	out := make([]*model.LookupHit, len(hits))
	for i, h := range hits {
		out[i] = &model.LookupHit{Type: h.Type, Ci: h.CI, Service: h.Service, MatchedBy: h.MatchedBy, MatchedValue: h.MatchedValue, Score: h.Score}
	}
	return out, nil
}

// orNone turns ent's not-found into no value.
func orNone[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
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

// orNil is nil for "", else a pointer to s.
func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// whyNoMatch says why incidentContext answers null for input; null when it
// matches.
func (r *Resolver) whyNoMatch(ctx context.Context, input string, scope *string) (*string, error) {
	m, err := r.incidents().Match(ctx, input, scope)
	if err != nil || m != nil {
		return nil, err
	}
	why, err := r.incidents().WhyNoMatch(ctx, input, scope)
	if err != nil {
		return nil, err
	}
	return orNil(why), nil
}
