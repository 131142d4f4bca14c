package reconcile

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

func (r *reconciler) loadDrifts(ctx context.Context) error {
	rows, err := r.c.Drift.Query().Where(drift.StatusIn(activeStatuses...)).Order(ent.Asc(drift.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("loading open drifts: %w", err)
	}
	r.open = make(map[driftKey]*ent.Drift, len(rows))
	r.openByCI = map[int][]*ent.Drift{}
	for _, d := range rows {
		k := keyOf(d)
		if _, dup := r.open[k]; dup {
			continue // the oldest active drift of a key is the one
		}
		r.open[k] = d
		if k.ci != 0 {
			r.openByCI[k.ci] = append(r.openByCI[k.ci], d)
		}
	}
	return nil
}

func keyOf(d *ent.Drift) driftKey {
	k := driftKey{kind: d.Kind}
	if d.ConfigurationItemID != nil {
		k.ci = *d.ConfigurationItemID
	}
	if d.ConfigurationItemID == nil && d.Identity != nil {
		k.field = *d.Identity
	} else if d.FieldName != nil {
		k.field = *d.FieldName
	}
	return k
}

// loadAuthorizations finds the matched CIs covered by an approved change
// whose window contains now.
func (r *reconciler) loadAuthorizations(ctx context.Context, ms []matched) error {
	r.authorized = map[int]bool{}
	crs, err := r.c.ChangeRecord.Query().Where(
		changerecord.StatusIn(changerecord.StatusApproved, changerecord.StatusInProgress, changerecord.StatusImplemented),
		changerecord.WindowStartLTE(r.o.Now), changerecord.WindowEndGTE(r.o.Now),
	).WithConfigurationItems(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).All(ctx)
	if err != nil {
		return fmt.Errorf("loading approved changes: %w", err)
	}
	for _, cr := range crs {
		for _, ci := range cr.Edges.ConfigurationItems {
			r.authorized[ci.ID] = true
		}
	}
	return nil
}

// sawIt reports whether this run's source is the one that saw d (drifts
// from before sources were recorded count as anyone's).
func (r *reconciler) sawIt(d *ent.Drift) bool {
	return d.Source == nil || *d.Source == r.o.Actor
}

// ciByID returns the CI this run matched or created with id (every CI a
// relationship of the run names is one), so that ignore rules see its kind
// and tags.
func (r *reconciler) ciByID(id int) *ent.ConfigurationItem {
	if ci := r.cis[id]; ci != nil {
		return ci
	}
	return &ent.ConfigurationItem{ID: id}
}

// ignoredBy returns the name of the first enabled rule that matches. For a
// drift without a CI (unregistered, ambiguous), obsKind is the observed kind,
// which a rule's CI kind matches.
func (r *reconciler) ignoredBy(ci *ent.ConfigurationItem, obsKind string, kind drift.Kind, field string) string {
	job := strings.TrimPrefix(r.o.Actor, "discovery:")
	for _, rule := range r.o.IgnoreRules {
		if !rule.Enabled {
			continue
		}
		if rule.DriftKind != nil && *rule.DriftKind != string(kind) {
			continue
		}
		if rule.JobName != nil && *rule.JobName != job {
			continue
		}
		if rule.CiKind != nil {
			k := obsKind
			if ci != nil {
				k = string(ci.Kind)
			}
			if k != *rule.CiKind {
				continue
			}
		}
		if rule.Tag != nil {
			if ci == nil || !contains(ci.Tags, *rule.Tag) {
				continue
			}
		}
		if rule.FieldPattern != nil {
			if ok, _ := path.Match(*rule.FieldPattern, field); !ok {
				continue
			}
		}
		return rule.Name
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// openOrTouch opens a drift, or updates the active one with the same key.
// obsKind is the observed kind of a drift without a CI, for ignore rules.
func (r *reconciler) openOrTouch(ci *ent.ConfigurationItem, obsKind string, key driftKey, recorded, observed, obsKey, identity string) {
	if ex := r.open[key]; ex != nil {
		r.touched[ex.ID] = true
		r.refresh(ex, recorded, observed)
		r.out.Counts.DriftsUpdated++
		r.change(schematype.PlannedChange{Action: ActUpdateDrift, CI: key.ci, ObservationKey: obsKey, Field: key.field, Before: recorded, After: observed, DriftKind: string(key.kind)})
		return
	}
	if r.newDriftKey[key] {
		return
	}
	status := drift.StatusOpen
	field := key.field
	if ci == nil {
		field = ""
	}
	rule := r.ignoredBy(ci, obsKind, key.kind, field)
	if rule != "" {
		status = drift.StatusIgnored
	}
	r.addDrift(ci, key, recorded, observed, status, obsKey, identity)
	if rule != "" {
		r.newDrifts[len(r.newDrifts)-1].SetIgnoredBy(rule)
	}
}

// refresh notes the values an active drift's row must take: what was
// observed now, and what the record holds now.
func (r *reconciler) refresh(d *ent.Drift, recorded, observed string) {
	if d.Observed == nil || *d.Observed != observed {
		r.observedUpd[d.ID] = observed
	}
	if d.Recorded != nil && *d.Recorded != recorded {
		r.recordedUpd[d.ID] = recorded
	}
}

func (r *reconciler) addDrift(ci *ent.ConfigurationItem, key driftKey, recorded, observed string, status drift.Status, obsKey, identity string) {
	r.newDriftKey[key] = true
	dc := r.c.Drift.Create().
		SetKind(key.kind).SetStatus(status).
		SetFirstSeenAt(r.o.Now).SetLastSeenAt(r.o.Now).
		SetSource(r.o.Actor).SetObservationKey(textclip.Bytes(obsKey, 1000))
	if r.o.RunID != 0 {
		dc.SetRunID(r.o.RunID)
	}
	if r.o.JobID != 0 {
		dc.SetDiscoveryJobID(r.o.JobID)
	}
	if ci != nil {
		dc.SetConfigurationItemID(ci.ID).SetAuthorized(r.authorized[ci.ID])
		if key.field != "" {
			dc.SetFieldName(key.field)
		}
	}
	if identity != "" {
		dc.SetIdentity(textclip.Bytes(identity, 1000))
	}
	if recorded != "" || ci != nil {
		dc.SetRecorded(recorded)
	}
	dc.SetObserved(observed)
	if status == drift.StatusAccepted {
		dc.SetResolvedAt(r.o.Now)
	}
	r.newDrifts = append(r.newDrifts, dc)
	act := ActOpenDrift
	switch status {
	case drift.StatusIgnored:
		act = ActIgnoreDrift
		r.out.Counts.DriftsIgnored++
	case drift.StatusAccepted:
		act = "" // reported as an UPDATE
	default:
		r.out.Counts.DriftsOpened++
	}
	if act != "" {
		pc := schematype.PlannedChange{Action: act, ObservationKey: obsKey, Field: key.field, Before: recorded, After: observed, DriftKind: string(key.kind)}
		if ci != nil {
			pc.CI = ci.ID
		}
		r.change(pc)
	}
}

func (r *reconciler) resolveAs(d *ent.Drift, st drift.Status) {
	if r.touched[d.ID] {
		return
	}
	r.touched[d.ID] = true
	r.resolve = append(r.resolve, d.ID)
	if st == drift.StatusAccepted {
		r.acceptIDs = append(r.acceptIDs, d.ID)
	} else {
		r.out.Counts.DriftsResolved++
	}
	pc := schematype.PlannedChange{Action: ActResolveDrift, Field: keyOf(d).field, DriftKind: string(d.Kind)}
	if d.ConfigurationItemID != nil {
		pc.CI = *d.ConfigurationItemID
	}
	r.change(pc)
}

// resolveUnseen resolves unregistered and ambiguous drifts without a CI
// that a complete run of this job no longer sees (or now matches).
func (r *reconciler) resolveUnseen(byKey map[string]int, obs []*discovery.Observation, amb []ambiguousObs) {
	if r.o.JobID == 0 {
		return
	}
	stillAmb := map[string]bool{}
	for _, a := range amb {
		stillAmb[observationIdentity(a.obs)] = true
	}
	stillUnreg := map[string]bool{}
	for _, o := range obs {
		if _, ok := byKey[o.Key]; !ok && !stillAmb[observationIdentity(o)] {
			stillUnreg[observationIdentity(o)] = true
		}
	}
	for key, d := range r.open {
		if key.ci != 0 || d.DiscoveryJobID == nil || *d.DiscoveryJobID != r.o.JobID {
			continue
		}
		switch key.kind {
		case drift.KindUnregistered:
			if !stillUnreg[key.field] {
				r.resolveAs(d, drift.StatusResolved)
			}
		case drift.KindAmbiguous:
			if !stillAmb[key.field] {
				r.resolveAs(d, drift.StatusResolved)
			}
		}
	}
}

// flushDrifts writes new drifts in batches and updates re-detected and
// resolved ones.
func (r *reconciler) flushDrifts(ctx context.Context) error {
	for start := 0; start < len(r.newDrifts); start += chunk / 5 {
		end := min(start+chunk/5, len(r.newDrifts))
		if err := r.c.Drift.CreateBulk(r.newDrifts[start:end]...).Exec(ctx); err != nil {
			return fmt.Errorf("recording drifts: %w", err)
		}
	}
	// Re-detected: last seen and run, in bulk; changed observed values one by one.
	var touched []int
	for id := range r.touched {
		touched = append(touched, id)
	}
	sort.Ints(touched)
	resolving := map[int]bool{}
	for _, id := range r.resolve {
		resolving[id] = true
	}
	var plain []int
	for _, id := range touched {
		if !resolving[id] {
			plain = append(plain, id)
		}
	}
	for start := 0; start < len(plain); start += chunk {
		end := min(start+chunk, len(plain))
		u := r.c.Drift.Update().Where(drift.IDIn(plain[start:end]...)).SetLastSeenAt(r.o.Now)
		if r.o.RunID != 0 {
			u.SetRunID(r.o.RunID)
		}
		if _, err := u.Save(ctx); err != nil {
			return fmt.Errorf("updating re-detected drifts: %w", err)
		}
	}
	valIDs := make([]int, 0, len(r.observedUpd)+len(r.recordedUpd))
	for id := range r.observedUpd {
		valIDs = append(valIDs, id)
	}
	for id := range r.recordedUpd {
		if _, dup := r.observedUpd[id]; !dup {
			valIDs = append(valIDs, id)
		}
	}
	sort.Ints(valIDs)
	for _, id := range valIDs {
		u := r.c.Drift.UpdateOneID(id)
		if v, ok := r.observedUpd[id]; ok {
			u.SetObserved(v)
		}
		if v, ok := r.recordedUpd[id]; ok {
			u.SetRecorded(v)
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("updating drift %d: %w", id, err)
		}
	}
	accepted := map[int]bool{}
	for _, id := range r.acceptIDs {
		accepted[id] = true
	}
	var res, acc []int
	for _, id := range r.resolve {
		if accepted[id] {
			acc = append(acc, id)
		} else {
			res = append(res, id)
		}
	}
	for _, set := range []struct {
		ids []int
		st  drift.Status
	}{{res, drift.StatusResolved}, {acc, drift.StatusAccepted}} {
		for start := 0; start < len(set.ids); start += chunk {
			end := min(start+chunk, len(set.ids))
			u := r.c.Drift.Update().Where(drift.IDIn(set.ids[start:end]...)).
				SetStatus(set.st).SetResolvedAt(r.o.Now).SetLastSeenAt(r.o.Now)
			if r.o.RunID != 0 {
				u.SetRunID(r.o.RunID)
			}
			if _, err := u.Save(ctx); err != nil {
				return fmt.Errorf("resolving drifts: %w", err)
			}
		}
	}
	return nil
}

// acceptRelease accepts an identifier drift (field "identifier.<KIND>",
// IdentifierClaim): the recorded values the job that saw it had recorded
// on the CI are removed, audited through the hooks. Rows of the same value
// that a person, an import or another job recorded stay.
func acceptRelease(ctx context.Context, c *ent.Client, d *ent.Drift) error {
	kind, _ := identifierField(*d.FieldName)
	if d.Source == nil || d.Recorded == nil {
		return apperr.New(apperr.Conflict, "drift %d names no identifier a job recorded", d.ID)
	}
	values := strings.Fields(*d.Recorded)
	if len(values) == 0 {
		return nil
	}
	_, err := c.Identifier.Delete().Where(identifier.ConfigurationItemID(*d.ConfigurationItemID),
		identifier.KindEQ(identifier.Kind(kind)), identifier.ValueIn(values...), identifier.Source(*d.Source)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("releasing %s of CI %d: %w", kind, *d.ConfigurationItemID, err)
	}
	return nil
}

// plural returns one when n is 1 and many otherwise, for drift and log text
// ("not seen by 1 complete run", "by 2 complete runs").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
