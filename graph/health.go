package graph

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/report"
)

func (r *Resolver) cmdbHealth(ctx context.Context, staleDays, expiringDays *int) (*model.CMDBHealth, error) {
	o := report.HealthOptions{Now: time.Now().UTC(), StaleDays: 30, ExpiringDays: 30}
	if staleDays != nil {
		if *staleDays < 1 || *staleDays > 3650 {
			return nil, apperr.Invalid("staleDays", "must be between 1 and 3650")
		}
		o.StaleDays = *staleDays
	}
	if expiringDays != nil {
		if *expiringDays < 1 || *expiringDays > 3650 {
			return nil, apperr.Invalid("expiringDays", "must be between 1 and 3650")
		}
		o.ExpiringDays = *expiringDays
	}
	h, err := report.Health(ctx, r.client, o)
	if err != nil {
		return nil, err
	}
	// The CIs the samples name, in one query.
	want := map[int]bool{}
	for _, c := range h.OrphanSample {
		want[c.ID] = true
	}
	for _, d := range h.Duplicates {
		for _, c := range d.CIs {
			want[c.ID] = true
		}
	}
	ids := make([]int, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	cis := map[int]*ent.ConfigurationItem{}
	if len(ids) > 0 {
		rows, err := r.client.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading health sample CIs: %w", err)
		}
		for _, ci := range rows {
			cis[ci.ID] = ci
		}
	}
	out := &model.CMDBHealth{
		GeneratedAt: h.GeneratedAt, TotalCIs: h.TotalCIs, Stale: h.Stale, NeverSeen: h.NeverSeen,
		Orphans: h.Orphans, DuplicateIdentifiers: h.DuplicateIdentifiers,
		WarrantiesExpiring: h.WarrantiesExpiring, ContractsExpiring: h.ContractsExpiring,
		Completeness: []*model.KindCompleteness{}, OrphanSample: []*ent.ConfigurationItem{},
		Duplicates: []*model.DuplicateIdentifier{}, FailingJobs: []*model.FailingJob{},
	}
	for _, k := range h.Completeness {
		out.Completeness = append(out.Completeness, &model.KindCompleteness{
			Kind: configurationitem.Kind(k.Kind), Count: k.Count,
			WithOwner: k.WithOwnerShare, WithService: k.WithServiceShare,
			WithLocation: k.WithLocationShare, WithAsset: k.WithAssetShare,
		})
	}
	for _, c := range h.OrphanSample {
		if ci := cis[c.ID]; ci != nil {
			out.OrphanSample = append(out.OrphanSample, ci)
		}
	}
	for _, d := range h.Duplicates {
		g := &model.DuplicateIdentifier{Kind: identifier.Kind(d.Kind), Value: d.Value, ConfigurationItems: []*ent.ConfigurationItem{}}
		for _, c := range d.CIs {
			if ci := cis[c.ID]; ci != nil {
				g.ConfigurationItems = append(g.ConfigurationItems, ci)
			}
		}
		out.Duplicates = append(out.Duplicates, g)
	}
	for _, j := range h.FailingJobs {
		at := j.At
		out.FailingJobs = append(out.FailingJobs, &model.FailingJob{
			Name: j.Name, Status: discoveryrun.Status(j.Status), Error: strPtr(j.Error), At: &at,
		})
	}
	return out, nil
}
