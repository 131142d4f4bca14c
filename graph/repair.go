package graph

import (
	"context"

	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/auth"
)

// mergeConfigurationItems plans the merge of remove into keep and, unless
// dryRun, does it. A dry run writes nothing.
func (r *Resolver) mergeConfigurationItems(ctx context.Context, keep, remove int, dryRun bool) (*model.MergeResult, error) {
	c := r.tx(ctx)
	plan, err := reconcile.PlanMerge(ctx, c, keep, remove)
	if err != nil {
		return nil, err
	}
	out := &model.MergeResult{ConfigurationItem: plan.Keep, DryRun: dryRun, Plan: mergePlan(plan)}
	if dryRun {
		return out, nil
	}
	ci, err := reconcile.Merge(ctx, c, keep, remove, r.dialect())
	if err != nil {
		return nil, err
	}
	out.ConfigurationItem = ci
	return out, nil
}

func mergePlan(p *reconcile.MergePlan) *model.MergePlan {
	out := &model.MergePlan{Keep: p.Keep, Remove: p.Remove,
		Moves: make([]*model.MergeMove, 0, len(p.Moves)), Conflicts: make([]*model.MergeConflict, 0, len(p.Conflicts))}
	for _, m := range p.Moves {
		out.Moves = append(out.Moves, &model.MergeMove{What: m.What, Count: m.Count})
	}
	for _, c := range p.Conflicts {
		out.Conflicts = append(out.Conflicts, &model.MergeConflict{What: c.What, Detail: c.Detail, Resolution: c.Resolution})
	}
	return out
}

// duplicateCandidates converts reconcile.DuplicateCandidates, loading each
// side's CIs with what the query selects under a and under b (two
// statements plus the edges selected, whatever the number of pairs).
//
// Editors and admins only: it is the repair desk's query (merge needs an
// editor too), and it reads every identifier of the estate, which no
// anonymous or viewer request should be able to make the server do.
func (r *Resolver) duplicateCandidates(ctx context.Context, first *int) ([]*model.DuplicateCandidate, error) {
	if err := auth.Require(ctx, auth.Editor); err != nil {
		return nil, err
	}
	pairs, err := reconcile.DuplicateCandidates(ctx, r.tx(ctx), first)
	if err != nil {
		return nil, err
	}
	as := make([]int, 0, len(pairs))
	bs := make([]int, 0, len(pairs))
	for _, p := range pairs {
		as, bs = append(as, p.A), append(bs, p.B)
	}
	eng := r.incidents()
	byA, err := eng.LoadCIs(ctx, as, rowsFor[*ent.ConfigurationItemQuery](subField(ctx, "a")))
	if err != nil {
		return nil, err
	}
	byB, err := eng.LoadCIs(ctx, bs, rowsFor[*ent.ConfigurationItemQuery](subField(ctx, "b")))
	if err != nil {
		return nil, err
	}
	out := make([]*model.DuplicateCandidate, 0, len(pairs))
	for _, p := range pairs {
		a, b := byA[p.A], byB[p.B]
		if a == nil || b == nil {
			continue // deleted since the pairs were read
		}
		d := &model.DuplicateCandidate{A: a, B: b, Evidence: make([]*model.DuplicateEvidence, 0, len(p.Evidence))}
		for _, e := range p.Evidence {
			d.Evidence = append(d.Evidence, &model.DuplicateEvidence{Rule: model.DuplicateRule(e.Rule), Detail: e.Detail})
		}
		out = append(out, d)
	}
	return out, nil
}
