package graph

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// WithDiscovery returns r serving discovery jobs through jobs; a resolver
// without it answers discovery mutations with an error.
func (r *Resolver) WithDiscovery(jobs *discoveryjobs.Service) *Resolver {
	r.jobs = jobs
	return r
}

// scopeOf converts a scope input; nil stays nil (the scope is unchanged).
func scopeOf(in *model.DiscoveryScopeInput) *schematype.DiscoveryScope {
	if in == nil {
		return nil
	}
	s := schematype.DiscoveryScope{Targets: in.Targets, Tags: in.Tags}
	for _, k := range in.Kinds {
		s.Kinds = append(s.Kinds, string(k))
	}
	for _, e := range in.Environments {
		s.Environments = append(s.Environments, string(e))
	}
	return &s
}

func plannedChanges(ctx context.Context, c *ent.Client, in []schematype.PlannedChange) ([]*model.PlannedChange, error) {
	ids := map[int]bool{}
	for _, pc := range in {
		if pc.CI != 0 {
			ids[pc.CI] = true
		}
	}
	cis := map[int]*ent.ConfigurationItem{}
	if len(ids) > 0 {
		list := make([]int, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		sort.Ints(list)
		rows, err := c.ConfigurationItem.Query().Where(ciIDIn(list)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading the run's CIs: %w", err)
		}
		for _, ci := range rows {
			cis[ci.ID] = ci
		}
	}
	out := make([]*model.PlannedChange, 0, len(in))
	for _, pc := range in {
		m := &model.PlannedChange{
			Action:            model.PlannedAction(pc.Action),
			ConfigurationItem: cis[pc.CI],
			ObservationKey:    strPtr(pc.ObservationKey),
			Field:             strPtr(pc.Field),
			Before:            strPtr(pc.Before),
			After:             strPtr(pc.After),
			MatchedBy:         strPtr(pc.MatchedBy),
		}
		if pc.DriftKind != "" {
			k := driftKind(pc.DriftKind)
			m.DriftKind = &k
		}
		out = append(out, m)
	}
	return out, nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func ciIDIn(ids []int) predicate.ConfigurationItem { return configurationitem.IDIn(ids...) }

func driftKind(s string) drift.Kind { return drift.Kind(s) }

func (r *Resolver) dialect() string { return r.store.Dialect() }

func (r *Resolver) runJob(ctx context.Context, id int, dryRun bool) (*ent.DiscoveryRun, error) {
	res, err := r.jobs.RunNow(ctx, id, dryRun)
	if err != nil {
		return nil, err
	}
	return res.Run, nil
}

func (r *Resolver) driftSummary(ctx context.Context, since *time.Time) (*model.DriftSummary, error) {
	s := reconcile.SummarySince(since, time.Now())
	sum, err := reconcile.Summarize(ctx, r.client, s, r.dialect())
	if err != nil {
		return nil, err
	}
	counts := func(in []reconcile.Count) []*model.DriftCount {
		out := make([]*model.DriftCount, 0, len(in))
		for _, c := range in {
			out = append(out, &model.DriftCount{Key: c.Key, Count: c.Count})
		}
		return out
	}
	return &model.DriftSummary{
		Since: &s, Opened: sum.Opened, Open: sum.Open, Acknowledged: sum.Acknowledged,
		Resolved: sum.Resolved, Accepted: sum.Accepted, Ignored: sum.Ignored,
		Authorized: sum.Authorized, Unauthorized: sum.Unauthorized,
		ByKind: counts(sum.ByKind), ByJob: counts(sum.ByJob), ByService: counts(sum.ByService),
	}, nil
}

// discoveryObservations converts pushed observations; discoveryjobs checks them.
func discoveryObservations(in []*model.ObservationInput) []discoveryjobs.Observation {
	out := make([]discoveryjobs.Observation, 0, len(in))
	for _, o := range in {
		ob := discoveryjobs.Observation{
			Key: o.Key, Kind: string(o.Kind), Name: o.Name, Fields: o.Fields, Facts: o.Facts,
			CompleteFacts: o.CompleteFacts, SeenAt: o.SeenAt,
		}
		for _, id := range o.Identifiers {
			ob.Identifiers = append(ob.Identifiers, discovery.Identifier{Kind: ident.Kind(id.Kind), Value: id.Value})
		}
		for _, r := range o.Relationships {
			ob.Relationships = append(ob.Relationships, discoveryjobs.Relationship{Type: string(r.Type), To: r.To, Attributes: r.Attributes})
		}
		ob.StableKey = o.StableKey != nil && *o.StableKey
		out = append(out, ob)
	}
	return out
}
