package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/kpi"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/auth"
)

// WithAlerts gives the resolver the alert and incident service the incident
// mutations act through; without it (nil) they answer that alert intake is
// not enabled. Reads (alerts, incidents, KPIs) need no service.
func (r *Resolver) WithAlerts(s *alerts.Service) *Resolver {
	r.alerts = s
	return r
}

// incidentActions is the service for a mutation, for editors.
func (r *Resolver) incidentActions(ctx context.Context) (*alerts.Service, error) {
	if err := auth.Require(ctx, auth.Editor); err != nil {
		return nil, err
	}
	if r.alerts == nil {
		return nil, apperr.New(apperr.Conflict, "alert intake is not enabled on this server: incidents cannot be changed")
	}
	return r.alerts, nil
}

// reloaded reads the incident an action returned again through the
// resolver's client, with what the mutation selects: the service's
// transaction, which loaded it, is over, so its edges could not load
// through it.
func (r *Resolver) reloaded(ctx context.Context) func(*ent.Incident, error) (*ent.Incident, error) {
	return func(inc *ent.Incident, err error) (*ent.Incident, error) {
		if err != nil || inc == nil {
			return inc, err
		}
		q, err := r.client.Incident.Query().Where(incident.ID(inc.ID)).CollectFields(ctx)
		if err != nil {
			return nil, err
		}
		return q.Only(ctx)
	}
}

// stringMap is a JSON-stored string map as a GraphQL Map.
func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// seconds is b − a in whole seconds, never below zero.
func seconds(a, b time.Time) int {
	return int(max(b.Sub(a), 0) / time.Second)
}

func timeToDetect(in *ent.Incident) int {
	start := in.FirstAlertAt
	if in.ImpactStartedAt != nil {
		start = *in.ImpactStartedAt
	}
	return seconds(start, in.OpenedAt)
}

func timeSince(opened time.Time, at *time.Time) *int {
	if at == nil {
		return nil
	}
	s := seconds(opened, *at)
	return &s
}

// Loaders is the gqlgen extension that gives every operation its own cache
// of batched loads, so that a field of each element of a list (an incident's
// root-cause candidates and impacted services) loads once for the whole
// list, in a constant number of statements, rather than once per element.
// The server installs it; without it those fields load per element.
type Loaders struct{}

var (
	_ graphql.HandlerExtension     = Loaders{}
	_ graphql.OperationInterceptor = Loaders{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Loaders) ExtensionName() string { return "CairnLoaders" }

// Validate implements graphql.HandlerExtension.
func (Loaders) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (Loaders) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, batchesKey{}, &batches{loaded: map[string]any{}}))
}

type batchesKey struct{}

// batches is one operation's cache: per place in the query (the field's
// path without list indexes), what was loaded by incident ID.
type batches struct {
	mu     sync.Mutex
	loaded map[string]any
}

// batchLoad returns what load gives for id. With the operation's cache, it
// loads for id and every incident of the list id's incident is an element
// of (siblings) at once, and answers the rest of the list from the cache.
func batchLoad[V any](ctx context.Context, obj *ent.Incident, load func(ids []int) (map[int]V, error)) (V, error) {
	b, _ := ctx.Value(batchesKey{}).(*batches)
	if b == nil {
		m, err := load([]int{obj.ID})
		return m[obj.ID], err
	}
	key := placeOf(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	cached, _ := b.loaded[key].(map[int]V)
	if v, ok := cached[obj.ID]; ok {
		return v, nil
	}
	if cached == nil {
		cached = map[int]V{}
		b.loaded[key] = cached
	}
	ids := []int{obj.ID}
	for _, s := range siblingIncidents(ctx) {
		if _, ok := cached[s.ID]; !ok && s.ID != obj.ID {
			ids = append(ids, s.ID)
		}
	}
	m, err := load(ids)
	if err != nil {
		var zero V
		return zero, err
	}
	for _, id := range ids {
		cached[id] = m[id]
	}
	return cached[obj.ID], nil
}

// placeOf names the field of ctx by its path without list indexes (every
// element of a list shares it), with the field's arguments.
func placeOf(ctx context.Context) string {
	fc := graphql.GetFieldContext(ctx)
	var sb strings.Builder
	for _, p := range fc.Path() {
		if name, ok := p.(ast.PathName); ok {
			sb.WriteString(string(name))
			sb.WriteByte('.')
		}
	}
	fmt.Fprint(&sb, fc.Args)
	return sb.String()
}

// siblingIncidents are the incidents of the list the incident whose field
// ctx resolves is an element of: a list of incidents, of incident edges, or
// of alerts (and their edges) whose incident was loaded with them.
func siblingIncidents(ctx context.Context) []*ent.Incident {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	for p := fc.Parent; p != nil; p = p.Parent {
		if p.Index == nil {
			continue
		}
		if p.Parent == nil {
			return nil
		}
		var out []*ent.Incident
		add := func(in *ent.Incident) {
			if in != nil {
				out = append(out, in)
			}
		}
		switch l := p.Parent.Result.(type) {
		case []*ent.Incident:
			return l
		case []*ent.IncidentEdge:
			for _, e := range l {
				if e != nil {
					add(e.Node)
				}
			}
		case []*ent.Alert:
			for _, a := range l {
				if a != nil {
					add(a.Edges.Incident)
				}
			}
		case []*ent.AlertEdge:
			for _, e := range l {
				if e != nil && e.Node != nil {
					add(e.Node.Edges.Incident)
				}
			}
		}
		return out
	}
	return nil
}

// rootCauseCandidates converts the stored candidates of obj, loading their
// CIs and their paths' CIs and relationships for the whole list obj is in:
// at most four statements per list, whatever its length.
func (r *Resolver) rootCauseCandidates(ctx context.Context, obj *ent.Incident) ([]*model.RootCauseCandidate, error) {
	if len(obj.Candidates) == 0 {
		return []*model.RootCauseCandidate{}, nil
	}
	ciSel := subField(ctx, "configurationItem")
	pathsSel := subField(ctx, "paths")
	return batchLoad(ctx, obj, func(ids []int) (map[int][]*model.RootCauseCandidate, error) {
		incs := map[int]*ent.Incident{obj.ID: obj}
		if len(ids) > 1 {
			// The siblings as stored: their candidates may not have been
			// selected by the list's query.
			rows, err := r.client.Incident.Query().Where(incident.IDIn(ids...)).
				Select(incident.FieldCandidates).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading incidents' candidates: %w", err)
			}
			for _, in := range rows {
				incs[in.ID] = in
			}
		}
		var candIDs, pathIDs []int
		for _, id := range ids {
			in := incs[id]
			if in == nil {
				continue
			}
			for _, c := range in.Candidates {
				candIDs = append(candIDs, c.CI)
				for _, p := range c.Paths {
					pathIDs = append(pathIDs, p...)
				}
			}
		}
		var cands, pathCIs map[int]*ent.ConfigurationItem
		var links map[[2]int]*ent.Relationship
		var err error
		if ciSel != nil {
			if cands, err = r.cisByID(ctx, candIDs, rowsFor[*ent.ConfigurationItemQuery](ciSel)); err != nil {
				return nil, err
			}
		}
		if pathsSel != nil && len(pathIDs) > 0 {
			if pathCIs, err = r.cisByID(ctx, pathIDs, rowsFor[*ent.ConfigurationItemQuery](subField(pathsSel, "cis"))); err != nil {
				return nil, err
			}
			if links, err = r.linksAmong(ctx, pathIDs, rowsFor[*ent.RelationshipQuery](subField(pathsSel, "relationships"))); err != nil {
				return nil, err
			}
		}
		out := map[int][]*model.RootCauseCandidate{}
		for _, id := range ids {
			in := incs[id]
			if in == nil {
				continue
			}
			list := make([]*model.RootCauseCandidate, 0, len(in.Candidates))
			for _, c := range in.Candidates {
				rc := &model.RootCauseCandidate{Score: c.Score, Alerted: c.Alerted, Reasons: c.Reasons, PathCount: c.PathCount, Paths: []*model.DependencyPath{}}
				if rc.Reasons == nil {
					rc.Reasons = []string{}
				}
				if cands != nil {
					rc.ConfigurationItem = cands[c.CI]
				}
				if pathsSel != nil {
					for _, p := range c.Paths {
						if dp := pathOf(p, pathCIs, links); dp != nil {
							rc.Paths = append(rc.Paths, dp)
						}
					}
				}
				list = append(list, rc)
			}
			out[id] = list
		}
		return out, nil
	})
}

// pathOf is a stored path (CI IDs from an alerted CI to the candidate) with
// its CIs and the relationship between each two; nil when a CI or a link
// has been deleted since.
func pathOf(ids []int, cis map[int]*ent.ConfigurationItem, links map[[2]int]*ent.Relationship) *model.DependencyPath {
	if len(ids) == 0 {
		return nil
	}
	dp := &model.DependencyPath{Length: len(ids) - 1, Cis: make([]*ent.ConfigurationItem, 0, len(ids)), Relationships: make([]*ent.Relationship, 0, len(ids)-1)}
	for i, id := range ids {
		ci := cis[id]
		if ci == nil {
			return nil
		}
		dp.Cis = append(dp.Cis, ci)
		if i == 0 {
			continue
		}
		rel := links[[2]int{ids[i-1], id}]
		if rel == nil {
			rel = links[[2]int{id, ids[i-1]}]
		}
		if rel == nil {
			return nil
		}
		dp.Relationships = append(dp.Relationships, rel)
	}
	return dp
}

// cisByID loads the CIs of ids (one statement).
func (r *Resolver) cisByID(ctx context.Context, ids []int, sel func(*ent.ConfigurationItemQuery) (*ent.ConfigurationItemQuery, error)) (map[int]*ent.ConfigurationItem, error) {
	out := map[int]*ent.ConfigurationItem{}
	if len(ids) == 0 {
		return out, nil
	}
	q, err := sel(r.client.ConfigurationItem.Query().Where(configurationitem.IDIn(unique(ids)...)))
	if err != nil {
		return nil, err
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading candidate CIs: %w", err)
	}
	for _, ci := range rows {
		out[ci.ID] = ci
	}
	return out, nil
}

// linksAmong loads the relationships between the CIs of ids (one
// statement), the lowest ID per ordered pair.
func (r *Resolver) linksAmong(ctx context.Context, ids []int, sel func(*ent.RelationshipQuery) (*ent.RelationshipQuery, error)) (map[[2]int]*ent.Relationship, error) {
	u := unique(ids)
	q, err := sel(r.client.Relationship.Query().
		Where(relationship.FromIDIn(u...), relationship.ToIDIn(u...)).
		Order(ent.Asc(relationship.FieldID)))
	if err != nil {
		return nil, err
	}
	// Paths pair relationships by their ends: load them (and the ID)
	// whatever the query selects under relationships.
	q.Modify(func(s *sql.Selector) {
		cols := s.SelectedColumns()
		for _, f := range []string{relationship.FieldID, relationship.FieldFromID, relationship.FieldToID} {
			if c := s.C(f); len(cols) > 0 && !slices.Contains(cols, c) {
				s.AppendSelect(c)
			}
		}
	})
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the relationships of candidate paths: %w", err)
	}
	out := map[[2]int]*ent.Relationship{}
	for _, rel := range rows {
		k := [2]int{rel.FromID, rel.ToID}
		if out[k] == nil {
			out[k] = rel
		}
	}
	return out, nil
}

func unique(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// impactedServices loads the services of obj's whole list in one statement
// (two with the join), lowest tier first, then by name.
func (r *Resolver) impactedServices(ctx context.Context, obj *ent.Incident) ([]*ent.Service, error) {
	sel := rowsFor[*ent.ServiceQuery](subField(ctx))
	out, err := batchLoad(ctx, obj, func(ids []int) (map[int][]*ent.Service, error) {
		rows, err := r.client.Incident.Query().Where(incident.IDIn(ids...)).Select(incident.FieldID).
			WithServices(func(q *ent.ServiceQuery) {
				q.Order(ent.Asc(service.FieldTier), ent.Asc(service.FieldName), ent.Asc(service.FieldID))
				if _, err := sel(q); err != nil {
					graphql.AddError(ctx, err)
				}
			}).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading impacted services: %w", err)
		}
		m := make(map[int][]*ent.Service, len(rows))
		for _, in := range rows {
			m[in.ID] = in.Edges.Services
		}
		return m, nil
	})
	if out == nil && err == nil {
		out = []*ent.Service{}
	}
	return out, err
}

// topCandidateImpact is the blast radius (dependents) of the top candidate.
func (r *Resolver) topCandidateImpact(ctx context.Context, obj *ent.Incident, maxDepth *int) (*model.Impact, error) {
	if obj.TopCandidateID == nil {
		return nil, nil
	}
	exists, err := r.client.ConfigurationItem.Query().Where(configurationitem.ID(*obj.TopCandidateID)).Exist(ctx)
	if err != nil || !exists {
		return nil, err
	}
	return r.impact(ctx, *obj.TopCandidateID, nil, maxDepth, nil, nil)
}

// operationsKPIs converts internal/alerts/kpi's report.
func (r *Resolver) operationsKPIs(ctx context.Context, from, to time.Time, groupBy *model.KPIGroupBy) (*model.OperationsKPIs, error) {
	by := kpi.Service
	if groupBy != nil {
		by = kpi.GroupBy(*groupBy)
	}
	rep, err := kpi.Compute(ctx, r.client, from, to, by)
	if err != nil {
		return nil, err
	}
	group := func(g kpi.Group) *model.OperationsKPIGroup {
		return &model.OperationsKPIGroup{
			GroupBy: string(g.GroupBy), ID: g.ID, Name: g.Name,
			Incidents: g.Incidents, Open: g.Open, Acknowledged: g.Acknowledged, Resolved: g.Resolved,
			Mtta: g.MTTA, Mttr: g.MTTR, Mttd: g.MTTD, Recurring: g.Recurring, Alerts: g.Alerts, SuppressedAlerts: g.SuppressedAlerts,
		}
	}
	out := &model.OperationsKPIs{
		From: rep.From, To: rep.To, Total: group(rep.Total),
		Groups:       make([]*model.OperationsKPIGroup, len(rep.Groups)),
		Availability: make([]*model.ServiceAvailability, len(rep.Availability)),
		Changes: &model.ChangeOutcomes{
			Total: rep.Changes.Total, Successful: rep.Changes.Successful, Failed: rep.Changes.Failed, RolledBack: rep.Changes.RolledBack,
			SuccessRate: rep.Changes.SuccessRate, CausedIncidents: rep.Changes.CausedIncidents,
		},
	}
	for i, g := range rep.Groups {
		out.Groups[i] = group(g)
	}
	for i, a := range rep.Availability {
		out.Availability[i] = &model.ServiceAvailability{Service: a.Service, DowntimeSeconds: a.DowntimeSeconds,
			Availability: a.Availability, SloTarget: a.SLOTarget, Breached: a.Breached}
	}
	return out, nil
}

// incidentUpdate converts the updateIncident input; the service checks it.
func incidentUpdate(in model.UpdateIncidentInput) alerts.IncidentUpdate {
	return alerts.IncidentUpdate{
		Title: in.Title, ImpactStartedAt: in.ImpactStartedAt, CausedByChange: in.CausedByChangeID,
		ClearImpactStartedAt: in.ClearImpactStartedAt != nil && *in.ClearImpactStartedAt,
		ClearCausedByChange:  in.ClearCausedByChange != nil && *in.ClearCausedByChange,
	}
}

func noteOf(note *string) string {
	if note == nil {
		return ""
	}
	return *note
}
