package reconcile

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// HeldReason is the text of a run held as partial by the missing guard
// (Options.MaxMissingPercent): it would mark gone of total CIs missing.
func HeldReason(gone, total, maxPercent int) string {
	return fmt.Sprintf("would mark %d of %d CIs (%d%%) missing, above the job's %d%%: held as PARTIAL; "+
		"a scan that saw nothing is more likely broken than the estate gone",
		gone, total, (gone*100+total/2)/total, maxPercent)
}

// guardMissing holds a complete run as partial when it would mark more
// than MaxMissingPercent of the job's CIs missing: the CIs this job has
// sightings of, within its scope, that are not retired or disposed. The
// observations matched (and CIs an ambiguous observation names) are seen;
// the rest would be missing. A held run is partial from here on: nothing
// is marked missing, nothing resolved, no complete fact concluded.
func (r *reconciler) guardMissing(ctx context.Context, matches []matched, ambiguous []ambiguousObs) error {
	if r.o.JobID == 0 || !r.o.Complete || r.o.NoMissing || r.o.MaxMissingPercent <= 0 {
		return nil
	}
	seen := make(map[int]bool, len(matches))
	for _, m := range matches {
		seen[m.ci.ID] = true
	}
	for _, a := range ambiguous {
		if a.obs.Reference {
			continue
		}
		for _, id := range a.cands {
			seen[id] = true
		}
	}
	rows, err := r.unseenSightings(ctx, seen)
	if err != nil {
		return err
	}
	r.unseen = rows
	gone := 0
	for _, s := range rows {
		if ci := s.Edges.ConfigurationItem; ci != nil && r.inTagScope(ci) && live(ci) {
			gone++
		}
	}
	if gone == 0 {
		return nil
	}
	// The seen CIs in scope: this job's sightings of them, narrowed like
	// the unseen ones.
	q := r.c.Sighting.Query().Where(sighting.DiscoveryJobID(r.o.JobID))
	if ps := scopePredicates(r.o.Scope); len(ps) > 0 {
		q = q.Where(sighting.HasConfigurationItemWith(ps...))
	}
	ids, err := q.Select(sighting.FieldConfigurationItemID).Ints(ctx)
	if err != nil {
		return fmt.Errorf("counting the job's sightings: %w", err)
	}
	total := gone
	for _, id := range ids {
		if !seen[id] {
			continue
		}
		// A CI only an ambiguous observation names was not loaded: it
		// counts.
		if ci := r.cis[id]; ci == nil || (r.inTagScope(ci) && live(ci)) {
			total++
		}
	}
	if gone*100 <= r.o.MaxMissingPercent*total {
		return nil
	}
	r.out.Held = HeldReason(gone, total, r.o.MaxMissingPercent)
	r.logf("%s", r.out.Held)
	r.o.Complete = false
	return nil
}

// live: a CI a run may still mark missing.
func live(ci *ent.ConfigurationItem) bool {
	return ci.Status != configurationitem.StatusRetired && ci.Status != configurationitem.StatusDisposed
}

// inTagScope: the job's scope names no tags, or the CI carries one of them.
func (r *reconciler) inTagScope(ci *ent.ConfigurationItem) bool {
	sc := r.o.Scope
	return len(sc.Tags) == 0 || anyTag(ci.Tags, sc.Tags)
}

// missing counts complete runs that did not see CIs this job saw before,
// opens missing drifts after the grace and retires after RetireAfter more.
func (r *reconciler) missing(ctx context.Context, seenIDs []int) error {
	if r.o.JobID == 0 || !r.o.Complete || r.o.NoMissing {
		return nil
	}
	seen := make(map[int]bool, len(seenIDs))
	for _, id := range seenIDs {
		seen[id] = true
	}
	rows := r.unseen
	if rows == nil {
		var err error
		if rows, err = r.unseenSightings(ctx, seen); err != nil {
			return err
		}
	}
	var bump []int
	var fresh []*ent.Sighting
	for _, s := range rows {
		if seen[s.ConfigurationItemID] || r.spared[s.ConfigurationItemID] {
			continue
		}
		ci := s.Edges.ConfigurationItem
		if ci == nil {
			continue
		}
		if !r.inTagScope(ci) {
			continue
		}
		if s.ID == 0 {
			fresh = append(fresh, s) // covered, never sighted by this job
		} else {
			bump = append(bump, s.ID)
		}
		if err := r.missedRun(ctx, ci, s.MissedRuns+1); err != nil {
			return err
		}
	}
	if err := r.createCoveredSightings(ctx, fresh); err != nil {
		return err
	}
	for start := 0; start < len(bump); start += chunk {
		end := min(start+chunk, len(bump))
		if _, err := r.c.Sighting.Update().Where(sighting.IDIn(bump[start:end]...)).AddMissedRuns(1).Save(ctx); err != nil {
			return fmt.Errorf("counting missed runs: %w", err)
		}
	}
	return nil
}

// unseenSightings loads this job's sightings, within its scope, of CIs the
// run did not see, each with its CI.
func (r *reconciler) unseenSightings(ctx context.Context, seen map[int]bool) ([]*ent.Sighting, error) {
	q := r.c.Sighting.Query().Where(sighting.DiscoveryJobID(r.o.JobID))
	if ps := scopePredicates(r.o.Scope); len(ps) > 0 {
		q = q.Where(sighting.HasConfigurationItemWith(ps...))
	}
	all, err := q.Select(sighting.FieldID, sighting.FieldConfigurationItemID, sighting.FieldMissedRuns).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the job's sightings: %w", err)
	}
	var rows []*ent.Sighting
	var unseen []int
	for _, s := range all {
		if !seen[s.ConfigurationItemID] {
			rows = append(rows, s)
			unseen = append(unseen, s.ConfigurationItemID)
		}
	}
	cis := make(map[int]*ent.ConfigurationItem, len(unseen))
	for start := 0; start < len(unseen); start += chunk {
		end := min(start+chunk, len(unseen))
		got, err := r.c.ConfigurationItem.Query().Where(configurationitem.IDIn(unseen[start:end]...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading unseen CIs: %w", err)
		}
		for _, ci := range got {
			cis[ci.ID] = ci
		}
	}
	for _, s := range rows {
		s.Edges.ConfigurationItem = cis[s.ConfigurationItemID]
	}
	sighted := make(map[int]bool, len(all))
	for _, s := range all {
		sighted[s.ConfigurationItemID] = true
	}
	covered, err := r.coveredUnseen(ctx, seen, sighted)
	if err != nil {
		return nil, err
	}
	return append(rows, covered...), nil
}

// scopePredicates narrows CIs to the scope's kinds and environments (tags
// are checked in memory).
func scopePredicates(sc schematype.DiscoveryScope) []predicate.ConfigurationItem {
	var ps []predicate.ConfigurationItem
	if len(sc.Kinds) > 0 {
		ks := make([]configurationitem.Kind, len(sc.Kinds))
		for i, k := range sc.Kinds {
			ks[i] = configurationitem.Kind(k)
		}
		ps = append(ps, configurationitem.KindIn(ks...))
	}
	if len(sc.Environments) > 0 {
		es := make([]configurationitem.Environment, len(sc.Environments))
		for i, e := range sc.Environments {
			es[i] = configurationitem.Environment(e)
		}
		ps = append(ps, configurationitem.EnvironmentIn(es...))
	}
	return ps
}

// missedRun handles a CI unseen by one more complete run (missed in all):
// after the grace its missing drift opens or is re-detected, after
// RetireAfter more runs it is retired.
func (r *reconciler) missedRun(ctx context.Context, ci *ent.ConfigurationItem, missed int) error {
	if ci.Status == configurationitem.StatusRetired || ci.Status == configurationitem.StatusDisposed {
		// Gone from reality and from the record alike: keep an active
		// missing drift current, but never open one (a person who
		// retired the CI, or accepted its missing drift, agrees).
		if r.open[r.missingKey(ci.ID)] != nil {
			r.touchMissing(ci, missed)
		}
		return nil
	}
	if missed < r.o.MissingGrace {
		return nil
	}
	r.out.Counts.Missing++
	r.touchMissing(ci, missed)
	if r.o.RetireAfter > 0 && missed >= r.o.MissingGrace+r.o.RetireAfter {
		return r.retire(ctx, ci)
	}
	return nil
}

// retire sets the CI's status to retired, owned by this job.
func (r *reconciler) retire(ctx context.Context, ci *ent.ConfigurationItem) error {
	prov := make(map[string]schematype.Provenance, len(ci.Provenance)+1)
	for k, v := range ci.Provenance {
		prov[k] = v
	}
	prov["status"] = schematype.Provenance{By: r.o.Actor, At: r.o.Now, Priority: r.o.Priority}
	if err := r.c.ConfigurationItem.UpdateOneID(ci.ID).SetStatus(configurationitem.StatusRetired).
		SetProvenance(prov).Exec(ctx); err != nil {
		return fmt.Errorf("retiring CI %d (%s): %w", ci.ID, ci.Name, err)
	}
	r.out.Counts.Retired++
	r.change(schematype.PlannedChange{Action: ActRetire, CI: ci.ID, Field: "status", Before: string(ci.Status), After: string(configurationitem.StatusRetired)})
	return nil
}

// missingKey is the key of this job's missing drift on a CI: each job
// reports what it cannot see, so the drift's field is the job's actor.
func (r *reconciler) missingKey(ci int) driftKey {
	return driftKey{ci: ci, kind: drift.KindMissing, field: r.o.Actor}
}

func (r *reconciler) touchMissing(ci *ent.ConfigurationItem, missed int) {
	key := r.missingKey(ci.ID)
	r.openOrTouch(ci, "", key, "present", fmt.Sprintf("not seen by %d complete %s", missed, plural(missed, "run", "runs")), "", "")
}

func anyTag(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

// markSeen stamps last-seen on the CIs seen and upserts this job's
// sightings, in bulk statements: bookkeeping, not a change of the record,
// so it is not audited.
func (r *reconciler) markSeen(ctx context.Context, ids []int) error {
	d := entsql.Dialect(r.o.Dialect)
	stampIDs := func() error {
		for start := 0; start < len(ids); start += chunk {
			end := min(start+chunk, len(ids))
			args := make([]any, 0, end-start)
			for _, id := range ids[start:end] {
				args = append(args, id)
			}
			q, qa := d.Update(configurationitem.Table).
				Set(configurationitem.FieldLastSeenAt, r.o.Now).
				Where(entsql.In(configurationitem.FieldID, args...)).Query()
			if _, err := r.c.ExecContext(ctx, q, qa...); err != nil {
				return fmt.Errorf("stamping last-seen times: %w", err)
			}
		}
		return nil
	}
	if r.o.JobID == 0 {
		return stampIDs()
	}
	// This job's sightings first (new ones and those identified another
	// way than last time upserted with what identified the CI, known ones
	// updated), then every CI this run saw gets its last-seen time in one
	// statement.
	restamp := make(map[int]bool, len(r.sightingBy))
	for _, id := range r.sightingBy {
		restamp[id] = true
	}
	var fresh, known []int
	for _, id := range ids {
		if r.seenBefore[id] && !restamp[id] {
			known = append(known, id)
		} else {
			fresh = append(fresh, id)
		}
	}
	for start := 0; start < len(known); start += chunk {
		end := min(start+chunk, len(known))
		args := make([]any, 0, end-start)
		for _, id := range known[start:end] {
			args = append(args, id)
		}
		q, qa := d.Update(sighting.Table).
			Set(sighting.FieldLastSeenAt, r.o.Now).Set(sighting.FieldLastRunID, r.o.RunID).Set(sighting.FieldMissedRuns, 0).
			Where(entsql.And(entsql.EQ(sighting.FieldDiscoveryJobID, r.o.JobID), entsql.In(sighting.FieldConfigurationItemID, args...))).Query()
		if _, err := r.c.ExecContext(ctx, q, qa...); err != nil {
			return fmt.Errorf("recording sightings: %w", err)
		}
	}
	const rowsPerInsert = chunk / 6
	for start := 0; start < len(fresh); start += rowsPerInsert {
		end := min(start+rowsPerInsert, len(fresh))
		ins := d.Insert(sighting.Table).
			Columns(sighting.FieldDiscoveryJobID, sighting.FieldConfigurationItemID, sighting.FieldLastSeenAt, sighting.FieldLastRunID,
				sighting.FieldMissedRuns, sighting.FieldMatchedBy)
		for _, id := range fresh[start:end] {
			ins.Values(r.o.JobID, id, r.o.Now, r.o.RunID, 0, textclip.Bytes(r.matchedBy[id].by, 300))
		}
		ins.OnConflict(
			entsql.ConflictColumns(sighting.FieldDiscoveryJobID, sighting.FieldConfigurationItemID),
			entsql.ResolveWithNewValues(),
		)
		q, qa := ins.Query()
		if _, err := r.c.ExecContext(ctx, q, qa...); err != nil {
			return fmt.Errorf("recording sightings: %w", err)
		}
	}
	if r.o.RunID == 0 {
		// Without a run row the sightings of this run cannot be told from
		// earlier ones without one.
		return stampIDs()
	}
	sub := d.Select(sighting.FieldConfigurationItemID).From(entsql.Table(sighting.Table)).
		Where(entsql.And(entsql.EQ(sighting.FieldDiscoveryJobID, r.o.JobID), entsql.EQ(sighting.FieldLastRunID, r.o.RunID)))
	q, qa := d.Update(configurationitem.Table).
		Set(configurationitem.FieldLastSeenAt, r.o.Now).
		Where(entsql.In(configurationitem.FieldID, sub)).Query()
	if _, err := r.c.ExecContext(ctx, q, qa...); err != nil {
		return fmt.Errorf("stamping last-seen times: %w", err)
	}
	return nil
}

// revivable: a CI this job retired, which it revives when it sees it.
func (r *reconciler) revivable(ci *ent.ConfigurationItem) bool {
	return ci.Status == configurationitem.StatusRetired && ci.Provenance["status"].By == r.o.Actor
}

// loadRetiredFrom reads, for each matched CI this job retired, the status
// it had before: the "before" of the status change in the newest audit
// event of this job that retired it.
func (r *reconciler) loadRetiredFrom(ctx context.Context, matches []matched) error {
	var ids []int
	for _, m := range matches {
		if r.revivable(m.ci) {
			ids = append(ids, m.ci.ID)
		}
	}
	r.retiredFrom = make(map[int]configurationitem.Status, len(ids))
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		evs, err := r.c.AuditEvent.Query().
			Where(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityIDIn(ids[start:end]...),
				auditevent.Actor(r.o.Actor)).
			Order(ent.Desc(auditevent.FieldID)).All(ctx)
		if err != nil {
			return fmt.Errorf("loading the retirements of CIs to revive: %w", err)
		}
		for _, ev := range evs {
			if _, done := r.retiredFrom[ev.EntityID]; done {
				continue
			}
			for _, ch := range ev.Changes {
				before, _ := ch.Before.(string)
				if ch.Field != configurationitem.FieldStatus || fmt.Sprint(ch.After) != string(configurationitem.StatusRetired) {
					continue
				}
				st := configurationitem.Status(before)
				if configurationitem.StatusValidator(st) != nil || !live(&ent.ConfigurationItem{Status: st}) {
					st = configurationitem.StatusActive
				}
				r.retiredFrom[ev.EntityID] = st
			}
		}
	}
	return nil
}

// revive brings back a CI this job retired, now that it is seen, to the
// status it had before it was retired (ACTIVE when the audit trail does not
// say).
func (r *reconciler) revive(p *ciPass) {
	if !r.revivable(p.ci) {
		return
	}
	st, ok := r.retiredFrom[p.ci.ID]
	if !ok {
		st = configurationitem.StatusActive
	}
	p.upd.SetStatus(st)
	p.prov["status"] = p.mine
	p.dirty = true
	r.change(schematype.PlannedChange{Action: ActRevive, CI: p.ci.ID, Field: "status", Before: string(configurationitem.StatusRetired), After: string(st)})
}
