// Package reconcile matches observations to the record and decides what they
// mean: fills, updates, and drifts opened, re-detected, resolved or ignored.
// It is the one place that writes what discovery saw.
//
// Reconcile is built for size: it loads the identifier index in one query,
// the matched CIs and open drifts in chunks, compares in memory, and writes
// in batches inside the caller's transaction.
package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Mode says what a difference between record and observation does.
type Mode string

// The modes.
const (
	// ModeReport opens a drift for every difference.
	ModeReport Mode = "REPORT"
	// ModeUpdate writes the observed value (audited) and records the drift as
	// accepted, where the job's precedence allows.
	ModeUpdate Mode = "UPDATE"
)

// Options configure one reconciliation.
type Options struct {
	// Actor is the audit actor, "discovery:<job name>".
	Actor string
	// JobID is the discovery job, 0 for a one-off run (which keeps no
	// sightings and so never concludes that anything is missing).
	JobID int
	// RunID is the run row the drifts point at.
	RunID int
	Mode  Mode
	// Complete is false for a partial run: nothing is marked missing and
	// nothing is resolved.
	Complete bool
	// NoMissing: the run is complete about what it reports, but not about
	// the job's scope (an agent pushing its own observation), so nothing is
	// marked missing and unseen unregistered things are not resolved.
	NoMissing          bool
	CreateUnregistered bool
	// MissingGrace is the number of complete runs a CI must be unseen
	// before a missing drift opens (at least 1).
	MissingGrace int
	// RetireAfter further missed complete runs retire the CI; 0 = never.
	RetireAfter int
	// Priority is the precedence of this job's values; FieldPriorities
	// override it per field or fact glob ("facts.os.*").
	Priority        int
	FieldPriorities map[string]int
	// StaleAfter gives, per actor, how long after that actor's last
	// sighting of a CI its values may be taken over by lower-priority jobs.
	StaleAfter map[string]time.Duration
	// JobIDs maps actors of other jobs to their IDs (for staleness).
	JobIDs map[string]int
	// Scope narrows the CIs this job answers for when looking for missing
	// ones.
	Scope       schematype.DiscoveryScope
	IgnoreRules []*ent.DriftIgnoreRule
	// Dialect is the SQL dialect of the client (dialect.SQLite or
	// dialect.Postgres), for bulk statements.
	Dialect string
	Now     time.Time
	// MaxChanges caps the change list kept in the outcome (default 1,000).
	MaxChanges int
}

// Outcome is what a reconciliation did.
type Outcome struct {
	Counts  schematype.RunCounts
	Changes []schematype.PlannedChange
	// Log holds notable, per-observation messages (dropped identifiers,
	// duplicate observations).
	Log []string
}

// The planned actions.
const (
	ActCreate       = "CREATE"
	ActFill         = "FILL"
	ActUpdate       = "UPDATE"
	ActOpenDrift    = "OPEN_DRIFT"
	ActUpdateDrift  = "UPDATE_DRIFT"
	ActResolveDrift = "RESOLVE_DRIFT"
	ActIgnoreDrift  = "IGNORE_DRIFT"
	ActRetire       = "RETIRE"
	ActRevive       = "REVIVE"
)

// active drift statuses: one per (CI, kind, field).
var activeStatuses = []drift.Status{drift.StatusOpen, drift.StatusAcknowledged, drift.StatusIgnored}

// chunk is the number of IDs per IN list: well under SQLite's 32,766 and
// PostgreSQL's 65,535 bind parameters even with several per row.
const chunk = 2000

type driftKey struct {
	ci    int
	kind  drift.Kind
	field string // field name, or identity for drifts without a CI
}

type matched struct {
	obs       *discovery.Observation
	ci        *ent.ConfigurationItem
	matchedBy string
}

type reconciler struct {
	c    *ent.Client
	o    Options
	out  *Outcome
	idx  map[ident.Kind]map[string][]int
	open map[driftKey]*ent.Drift
	// openByCI lists the active drifts of each CI.
	openByCI map[int][]*ent.Drift
	// cis are the CIs this run matched or created, by ID.
	cis map[int]*ent.ConfigurationItem
	// spared are CIs an ambiguous observation names: seen, but not told
	// apart, so not missing either.
	spared map[int]bool
	// seen drift IDs re-detected in this run
	touched     map[int]bool
	authorized  map[int]bool
	seenBefore  map[int]bool
	newDrifts   []*ent.DriftCreate
	newDriftKey map[driftKey]bool
	observedUpd map[int]string
	recordedUpd map[int]string
	resolve     []int
	acceptIDs   []int
}

// Reconcile reconciles observations against the record through c, which
// must belong to a transaction. It returns what it did.
func Reconcile(ctx context.Context, c *ent.Client, obs []discovery.Observation, o Options) (*Outcome, error) {
	if o.MissingGrace < 1 {
		o.MissingGrace = 1
	}
	if o.MaxChanges == 0 {
		o.MaxChanges = 1000
	}
	if o.Mode == "" {
		o.Mode = ModeReport
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	r := &reconciler{
		c: c, o: o, out: &Outcome{},
		touched: map[int]bool{}, newDriftKey: map[driftKey]bool{}, observedUpd: map[int]string{},
		recordedUpd: map[int]string{}, cis: map[int]*ent.ConfigurationItem{}, spared: map[int]bool{},
	}
	r.out.Counts.Observed = len(obs)
	if err := r.loadIndex(ctx); err != nil {
		return nil, err
	}
	norm := make([]*discovery.Observation, 0, len(obs))
	for i := range obs {
		if err := obs[i].Check(); err != nil {
			return nil, fmt.Errorf("observation %d: %w", i+1, err)
		}
		norm = append(norm, r.normalize(&obs[i]))
	}
	matches, unmatched, ambiguous, err := r.match(ctx, norm)
	if err != nil {
		return nil, err
	}
	if err := r.loadDrifts(ctx); err != nil {
		return nil, err
	}
	if err := r.loadAuthorizations(ctx, matches); err != nil {
		return nil, err
	}
	if err := r.loadSeenBefore(ctx, matches); err != nil {
		return nil, err
	}
	byKey := map[string]int{}
	for _, m := range matches {
		byKey[m.obs.Key] = m.ci.ID
	}
	for _, m := range matches {
		if err := r.reconcileCI(ctx, m); err != nil {
			return nil, err
		}
	}
	for _, a := range ambiguous {
		r.ambiguous(a.obs, a.cands)
		for _, id := range a.cands {
			r.spared[id] = true
		}
	}
	for _, u := range unmatched {
		id, err := r.unregistered(ctx, u)
		if err != nil {
			return nil, err
		}
		if id != 0 {
			byKey[u.Key] = id
		}
	}
	if err := r.relationships(ctx, norm, byKey); err != nil {
		return nil, err
	}
	seenIDs := make([]int, 0, len(byKey))
	for _, id := range byKey {
		seenIDs = append(seenIDs, id)
	}
	sort.Ints(seenIDs)
	if err := r.missing(ctx, seenIDs); err != nil {
		return nil, err
	}
	if o.Complete && !o.NoMissing {
		r.resolveUnseen(byKey, norm, ambiguous)
	}
	if err := r.flushDrifts(ctx); err != nil {
		return nil, err
	}
	if err := r.markSeen(ctx, seenIDs); err != nil {
		return nil, err
	}
	return r.out, nil
}

func (r *reconciler) change(pc schematype.PlannedChange) {
	if len(r.out.Changes) < r.o.MaxChanges {
		r.out.Changes = append(r.out.Changes, pc)
	}
}

func (r *reconciler) logf(format string, args ...any) {
	if len(r.out.Log) < 200 {
		r.out.Log = append(r.out.Log, fmt.Sprintf(format, args...))
	}
}

// normalize returns a copy of o with identifiers and fields in canonical form;
// invalid values are dropped with a log line.
func (r *reconciler) normalize(o *discovery.Observation) *discovery.Observation {
	n := *o
	n.Identifiers = nil
	seen := map[discovery.Identifier]bool{}
	add := func(k ident.Kind, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		nv, err := ident.Normalize(k, v)
		if err != nil {
			r.logf("%s: dropped %s identifier: %v", o.Key, k, err)
			return
		}
		id := discovery.Identifier{Kind: k, Value: nv}
		if !seen[id] {
			seen[id] = true
			n.Identifiers = append(n.Identifiers, id)
		}
	}
	for _, id := range o.Identifiers {
		add(id.Kind, id.Value)
	}
	n.Fields = map[string]string{}
	for f, v := range o.Fields {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		var k ident.Kind
		switch f {
		case "hostname":
			k = ident.Hostname
		case "fqdn":
			k = ident.FQDN
		case "serial_number":
			k = ident.Serial
		}
		if k != "" {
			nv, err := ident.Normalize(k, v)
			if err != nil {
				r.logf("%s: dropped field %s: %v", o.Key, f, err)
				continue
			}
			v = nv
			add(k, nv)
		}
		n.Fields[f] = v
	}
	return &n
}

func (r *reconciler) loadIndex(ctx context.Context) error {
	// A plain scan: this reads every identifier (several per CI), and ent's
	// reflective Scan costs more than the query.
	rows, err := r.c.QueryContext(ctx, "SELECT "+identifier.FieldKind+", "+identifier.FieldValue+", "+
		identifier.FieldConfigurationItemID+" FROM "+identifier.Table)
	if err != nil {
		return fmt.Errorf("loading the identifier index: %w", err)
	}
	defer rows.Close()
	r.idx = map[ident.Kind]map[string][]int{}
	var kind, value string
	var ci int
	for rows.Next() {
		if err := rows.Scan(&kind, &value, &ci); err != nil {
			return fmt.Errorf("loading the identifier index: %w", err)
		}
		k := ident.Kind(kind)
		m := r.idx[k]
		if m == nil {
			m = map[string][]int{}
			r.idx[k] = m
		}
		ids := m[value]
		dup := false
		for _, id := range ids {
			if id == ci {
				dup = true
				break
			}
		}
		if !dup {
			m[value] = append(ids, ci)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading the identifier index: %w", err)
	}
	return nil
}

type ambiguousObs struct {
	obs   *discovery.Observation
	cands []int
	by    ident.Kind
}

// identify returns the CIs the observation names, trying the strongest
// identifier kind first. An IP counts only when it names exactly one CI.
func (r *reconciler) identify(o *discovery.Observation) (cands []int, by ident.Kind) {
	for _, k := range []ident.Kind{ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.Hostname, ident.AssetTag, ident.IP} {
		set := map[int]bool{}
		for _, id := range o.Identifiers {
			if id.Kind != k {
				continue
			}
			for _, ci := range r.idx[k][id.Value] {
				set[ci] = true
			}
		}
		if len(set) == 0 {
			continue
		}
		if k == ident.IP && len(set) > 1 {
			return nil, ""
		}
		ids := make([]int, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		return ids, k
	}
	return nil, ""
}

func (r *reconciler) match(ctx context.Context, obs []*discovery.Observation) ([]matched, []*discovery.Observation, []ambiguousObs, error) {
	type pending struct {
		obs *discovery.Observation
		id  int
		by  ident.Kind
	}
	var pend []pending
	var unmatched []*discovery.Observation
	var amb []ambiguousObs
	claimed := map[int]string{}
	for _, o := range obs {
		cands, by := r.identify(o)
		switch len(cands) {
		case 0:
			unmatched = append(unmatched, o)
		case 1:
			if prev, dup := claimed[cands[0]]; dup {
				r.logf("%s: names the same CI as %s; skipped", o.Key, prev)
				continue
			}
			claimed[cands[0]] = o.Key
			pend = append(pend, pending{o, cands[0], by})
		default:
			amb = append(amb, ambiguousObs{o, cands, by})
		}
	}
	cis := make(map[int]*ent.ConfigurationItem, len(pend))
	for start := 0; start < len(pend); start += chunk {
		end := min(start+chunk, len(pend))
		ids := make([]int, 0, end-start)
		for _, p := range pend[start:end] {
			ids = append(ids, p.id)
		}
		rows, err := r.c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("loading matched CIs: %w", err)
		}
		for _, ci := range rows {
			cis[ci.ID] = ci
		}
	}
	out := make([]matched, 0, len(pend))
	for _, p := range pend {
		ci, ok := cis[p.id]
		if !ok {
			unmatched = append(unmatched, p.obs)
			continue
		}
		r.cis[ci.ID] = ci
		out = append(out, matched{obs: p.obs, ci: ci, matchedBy: string(p.by)})
	}
	r.out.Counts.Matched = len(out)
	r.out.Counts.Ambiguous = len(amb)
	return out, unmatched, amb, nil
}

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

// loadSeenBefore records which matched CIs this job has seen before: for
// them a new fact under a complete prefix (a port that opened) is drift, not
// a fill.
func (r *reconciler) loadSeenBefore(ctx context.Context, ms []matched) error {
	r.seenBefore = map[int]bool{}
	if r.o.JobID == 0 {
		return nil
	}
	for start := 0; start < len(ms); start += chunk {
		end := min(start+chunk, len(ms))
		ids := make([]int, 0, end-start)
		for _, m := range ms[start:end] {
			ids = append(ids, m.ci.ID)
		}
		got, err := r.c.Sighting.Query().
			Where(sighting.DiscoveryJobID(r.o.JobID), sighting.ConfigurationItemIDIn(ids...)).
			Select(sighting.FieldConfigurationItemID).Ints(ctx)
		if err != nil {
			return fmt.Errorf("loading sightings: %w", err)
		}
		for _, id := range got {
			r.seenBefore[id] = true
		}
	}
	return nil
}

func (r *reconciler) priorityFor(field string) int {
	best, bestLen := r.o.Priority, -1
	for pat, p := range r.o.FieldPriorities {
		if ok, _ := path.Match(pat, field); ok && len(pat) > bestLen {
			best, bestLen = p, len(pat)
		}
	}
	return best
}

// mayOverwrite applies precedence: update mode outranks people; among jobs,
// the higher priority wins unless the owner's sighting of the CI is stale.
func (r *reconciler) mayOverwrite(ctx context.Context, ciID int, field string, prov map[string]schematype.Provenance) (bool, error) {
	p, ok := prov[field]
	if !ok || p.By == r.o.Actor {
		return true, nil
	}
	if !strings.HasPrefix(p.By, "discovery:") {
		return true, nil // people and imports yield to a job in update mode
	}
	if p.Priority <= r.priorityFor(field) {
		return true, nil
	}
	owner, known := r.o.JobIDs[p.By]
	if !known && r.o.JobIDs != nil {
		return true, nil // the owning job is gone: nobody defends the value
	}
	ttl := r.o.StaleAfter[p.By]
	if ttl <= 0 || !known {
		return false, nil
	}
	s, err := r.c.Sighting.Query().Where(sighting.DiscoveryJobID(owner), sighting.ConfigurationItemID(ciID)).Only(ctx)
	if ent.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking staleness of %s on CI %d: %w", field, ciID, err)
	}
	return r.o.Now.Sub(s.LastSeenAt) > ttl, nil
}

func recordField(ci *ent.ConfigurationItem, f string) string {
	var p *string
	switch f {
	case "name":
		return ci.Name
	case "hostname":
		p = ci.Hostname
	case "fqdn":
		p = ci.Fqdn
	case "serial_number":
		p = ci.SerialNumber
	case "description":
		p = ci.Description
	}
	if p == nil {
		return ""
	}
	return *p
}

func setField(u *ent.ConfigurationItemUpdateOne, f, v string) {
	switch f {
	case "name":
		u.SetName(v)
	case "hostname":
		u.SetHostname(v)
	case "fqdn":
		u.SetFqdn(v)
	case "serial_number":
		u.SetSerialNumber(v)
	case "description":
		u.SetDescription(v)
	}
}

func factString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

type fieldDiff struct {
	field            string // "hostname" or "facts.port.tcp.22"
	recorded, observ string
}

func (r *reconciler) reconcileCI(ctx context.Context, m matched) error {
	ci, o := m.ci, m.obs
	prov := make(map[string]schematype.Provenance, len(ci.Provenance)+4)
	for k, v := range ci.Provenance {
		prov[k] = v
	}
	facts := make(map[string]any, len(ci.Facts)+len(o.Facts))
	for k, v := range ci.Facts {
		facts[k] = v
	}
	mine := schematype.Provenance{By: r.o.Actor, At: r.o.Now, Priority: r.o.Priority}
	upd := r.c.ConfigurationItem.UpdateOneID(ci.ID)
	dirty, factsDirty, updated := false, false, false
	var diffs []fieldDiff
	covered := map[string]bool{}

	fields := make([]string, 0, len(o.Fields))
	for f := range o.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v := o.Fields[f]
		covered[f] = true
		rec := recordField(ci, f)
		switch {
		case rec == v:
		case rec == "":
			setField(upd, f, v)
			prov[f] = withPriority(mine, r.priorityFor(f))
			dirty = true
			r.out.Counts.Filled++
			r.change(schematype.PlannedChange{Action: ActFill, CI: ci.ID, Field: f, After: v, MatchedBy: m.matchedBy})
		default:
			diffs = append(diffs, fieldDiff{f, rec, v})
		}
	}
	keys := make([]string, 0, len(o.Facts))
	for k := range o.Facts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := o.Facts[k]
		f := "facts." + k
		covered[f] = true
		recV, has := ci.Facts[k]
		rec := factString(recV)
		switch {
		case has && rec == v:
		case !has && !(r.completePrefix(o, k) && r.priorObserved(ci, o, k)):
			facts[k] = v
			prov[f] = withPriority(mine, r.priorityFor(f))
			factsDirty = true
			r.out.Counts.Filled++
			r.change(schematype.PlannedChange{Action: ActFill, CI: ci.ID, Field: f, After: v, MatchedBy: m.matchedBy})
		default:
			diffs = append(diffs, fieldDiff{f, rec, v})
		}
	}
	// Facts gone from a prefix the observation reports in full. A fact
	// another discovery job set is that job's to report gone: two sources
	// that both speak for "net." (ssh with addresses, node_exporter
	// without) must not undo each other on every run.
	if len(o.CompleteFacts) > 0 {
		gone := []string{}
		for k := range ci.Facts {
			if _, ok := o.Facts[k]; ok {
				continue
			}
			if p, ok := ci.Provenance["facts."+k]; ok && p.By != r.o.Actor && strings.HasPrefix(p.By, "discovery:") {
				continue
			}
			if r.completePrefix(o, k) {
				gone = append(gone, k)
			}
		}
		sort.Strings(gone)
		for _, k := range gone {
			covered["facts."+k] = true
			diffs = append(diffs, fieldDiff{"facts." + k, factString(ci.Facts[k]), ""})
		}
	}
	for _, d := range diffs {
		key := driftKey{ci: ci.ID, kind: drift.KindAttributeChanged, field: d.field}
		if r.o.Mode == ModeUpdate {
			ok, err := r.mayOverwrite(ctx, ci.ID, d.field, prov)
			if err != nil {
				return err
			}
			if ok {
				if k, isFact := strings.CutPrefix(d.field, "facts."); isFact {
					if d.observ == "" {
						delete(facts, k)
					} else {
						facts[k] = d.observ
					}
					factsDirty = true
				} else {
					setField(upd, d.field, d.observ)
					dirty = true
				}
				prov[d.field] = withPriority(mine, r.priorityFor(d.field))
				updated = true
				r.change(schematype.PlannedChange{Action: ActUpdate, CI: ci.ID, Field: d.field, Before: d.recorded, After: d.observ, MatchedBy: m.matchedBy})
				if ex := r.open[key]; ex != nil {
					r.refresh(ex, d.recorded, d.observ)
					r.resolveAs(ex, drift.StatusAccepted)
				} else {
					r.addDrift(ci, key, d.recorded, d.observ, drift.StatusAccepted, o.Key, "")
				}
				continue
			}
		}
		r.openOrTouch(ci, "", key, d.recorded, d.observ, o.Key, "")
	}
	// Facts under a complete prefix that neither the record nor the
	// observation has agree too: a port that opened and closed again.
	if r.o.Complete && len(o.CompleteFacts) > 0 {
		for _, d := range r.openByCI[ci.ID] {
			if d.Kind != drift.KindAttributeChanged || d.FieldName == nil {
				continue
			}
			k, isFact := strings.CutPrefix(*d.FieldName, "facts.")
			if !isFact || !r.completePrefix(o, k) {
				continue
			}
			_, observed := o.Facts[k]
			_, recorded := ci.Facts[k]
			if !observed && !recorded {
				covered[*d.FieldName] = true
			}
		}
	}
	// Agreement resolves drifts on the fields this observation covers —
	// drifts this source saw: another source agreeing with the record does
	// not mean the reality the first one saw has changed.
	if r.o.Complete {
		for f := range covered {
			key := driftKey{ci: ci.ID, kind: drift.KindAttributeChanged, field: f}
			if ex := r.open[key]; ex != nil && !r.touched[ex.ID] && r.sawIt(ex) {
				r.resolveAs(ex, drift.StatusResolved)
			}
		}
		// Only this job's missing drift: another job that cannot see the
		// CI keeps its own.
		if ex := r.open[r.missingKey(ci.ID)]; ex != nil {
			r.resolveAs(ex, drift.StatusResolved)
		}
	}
	// A CI this job retired comes back when seen.
	if ci.Status == configurationitem.StatusRetired && prov["status"].By == r.o.Actor {
		upd.SetStatus(configurationitem.StatusActive)
		prov["status"] = mine
		dirty = true
		r.change(schematype.PlannedChange{Action: ActRevive, CI: ci.ID, Field: "status", Before: string(configurationitem.StatusRetired), After: string(configurationitem.StatusActive)})
	}
	if factsDirty {
		upd.SetFacts(facts)
		dirty = true
	}
	if updated {
		r.out.Counts.Updated++
	}
	if !dirty && len(diffs) == 0 {
		r.out.Counts.Unchanged++
	}
	if dirty {
		upd.SetProvenance(prov)
		if err := upd.Exec(ctx); err != nil {
			return fmt.Errorf("updating CI %d (%s) from %s: %w", ci.ID, ci.Name, o.Key, err)
		}
	}
	return r.addIdentifiers(ctx, ci.ID, o)
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

func withPriority(p schematype.Provenance, prio int) schematype.Provenance {
	p.Priority = prio
	return p
}

func (r *reconciler) completePrefix(o *discovery.Observation, key string) bool {
	for _, p := range o.CompleteFacts {
		if key == p || strings.HasSuffix(p, ".") && strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// priorObserved reports whether the record already holds facts under the
// complete prefix of key, or this job has seen the CI before: then a new key
// there is a change, not a first fill.
func (r *reconciler) priorObserved(ci *ent.ConfigurationItem, o *discovery.Observation, key string) bool {
	if r.seenBefore[ci.ID] {
		return true
	}
	for _, p := range o.CompleteFacts {
		if key != p && !(strings.HasSuffix(p, ".") && strings.HasPrefix(key, p)) {
			continue
		}
		// An exact entry ("open.tcp.22") belongs to its family ("open.tcp.").
		family := p[:strings.LastIndexByte(p, '.')+1]
		if family == "" {
			family = p
		}
		for k := range ci.Facts {
			if !strings.HasPrefix(k, family) {
				continue
			}
			// What another discovery source put there is that source's
			// account, not the record's claim about this one's facts.
			if p, ok := ci.Provenance["facts."+k]; ok && p.By != r.o.Actor && strings.HasPrefix(p.By, "discovery:") {
				continue
			}
			return true
		}
	}
	return false
}

// addIdentifiers records observed identifiers the CI does not have yet
// (fills, audited, source discovery:<job>).
func (r *reconciler) addIdentifiers(ctx context.Context, ciID int, o *discovery.Observation) error {
	for _, id := range o.Identifiers {
		if id.Kind == ident.Hostname || id.Kind == ident.FQDN || id.Kind == ident.Serial {
			continue // mirrored from the CI's own fields
		}
		owners := r.idx[id.Kind][id.Value]
		has := false
		for _, ow := range owners {
			if ow == ciID {
				has = true
				break
			}
		}
		if has {
			continue
		}
		if err := r.c.Identifier.Create().SetConfigurationItemID(ciID).SetKind(identifier.Kind(id.Kind)).
			SetValue(id.Value).SetSource(r.o.Actor).Exec(ctx); err != nil {
			return fmt.Errorf("recording %s identifier %q of CI %d: %w", id.Kind, id.Value, ciID, err)
		}
		if r.idx[id.Kind] == nil {
			r.idx[id.Kind] = map[string][]int{}
		}
		r.idx[id.Kind][id.Value] = append(owners, ciID)
		r.out.Counts.Filled++
		r.change(schematype.PlannedChange{Action: ActFill, CI: ciID, Field: "identifier." + string(id.Kind), After: id.Value})
	}
	return nil
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
		SetSource(r.o.Actor).SetObservationKey(clip(obsKey, 1000))
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
		dc.SetIdentity(clip(identity, 1000))
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

// clip shortens s to at most n bytes (the columns' limits count bytes)
// without splitting a character: PostgreSQL refuses invalid UTF-8.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
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

func identity(o *discovery.Observation) string {
	for _, k := range ident.Kinds() {
		for _, id := range o.Identifiers {
			if id.Kind == k {
				return string(k) + ":" + id.Value
			}
		}
	}
	return "KEY:" + o.Key
}

func (r *reconciler) ambiguous(o *discovery.Observation, cands []int) {
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = fmt.Sprint(c)
	}
	key := driftKey{kind: drift.KindAmbiguous, field: identity(o)}
	r.openOrTouch(nil, o.Kind, key, "", "matches CIs "+strings.Join(ids, ", "), o.Key, key.field)
	r.logf("%s: matches %d CIs (%s); not updated", o.Key, len(cands), strings.Join(ids, ", "))
}

func summary(o *discovery.Observation) string {
	b, _ := json.Marshal(struct {
		Kind        string                 `json:"kind"`
		Name        string                 `json:"name"`
		Identifiers []discovery.Identifier `json:"identifiers,omitempty"`
	}{o.Kind, o.Name, o.Identifiers})
	return string(b)
}

func (r *reconciler) unregistered(ctx context.Context, o *discovery.Observation) (int, error) {
	r.out.Counts.Unregistered++
	idn := identity(o)
	if !r.o.CreateUnregistered {
		key := driftKey{kind: drift.KindUnregistered, field: idn}
		r.openOrTouch(nil, o.Kind, key, "", summary(o), o.Key, idn)
		return 0, nil
	}
	name := o.Name
	if name == "" {
		name = o.Key
	}
	prov := map[string]schematype.Provenance{}
	mine := schematype.Provenance{By: r.o.Actor, At: r.o.Now, Priority: r.o.Priority}
	cr := r.c.ConfigurationItem.Create().
		SetName(clip(name, 255)).
		SetKind(configurationitem.Kind(o.Kind)).
		SetStatus(configurationitem.StatusDiscovered).
		SetLastSeenAt(r.o.Now)
	prov["name"], prov["kind"], prov["status"] = mine, mine, mine
	for f, v := range o.Fields {
		switch f {
		case "hostname":
			cr.SetHostname(v)
		case "fqdn":
			cr.SetFqdn(v)
		case "serial_number":
			cr.SetSerialNumber(v)
		case "description":
			cr.SetDescription(v)
		case "name":
			cr.SetName(clip(v, 255))
		}
		prov[f] = withPriority(mine, r.priorityFor(f))
	}
	if len(o.Facts) > 0 {
		facts := make(map[string]any, len(o.Facts))
		for k, v := range o.Facts {
			facts[k] = v
			prov["facts."+k] = withPriority(mine, r.priorityFor("facts."+k))
		}
		cr.SetFacts(facts)
	}
	cr.SetProvenance(prov)
	ci, err := cr.Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("creating CI for unregistered %s: %w", o.Key, err)
	}
	r.cis[ci.ID] = ci
	r.out.Counts.Created++
	r.change(schematype.PlannedChange{Action: ActCreate, CI: ci.ID, ObservationKey: o.Key, After: name})
	if err := r.addIdentifiers(ctx, ci.ID, o); err != nil {
		return 0, err
	}
	// The new CI carries an unregistered drift so that someone reviews it.
	r.openOrTouch(ci, "", driftKey{ci: ci.ID, kind: drift.KindUnregistered}, "", summary(o), o.Key, idn)
	return ci.ID, nil
}

// resolveUnseen resolves unregistered and ambiguous drifts without a CI
// that a complete run of this job no longer sees (or now matches).
func (r *reconciler) resolveUnseen(byKey map[string]int, obs []*discovery.Observation, amb []ambiguousObs) {
	if r.o.JobID == 0 {
		return
	}
	stillAmb := map[string]bool{}
	for _, a := range amb {
		stillAmb[identity(a.obs)] = true
	}
	stillUnreg := map[string]bool{}
	for _, o := range obs {
		if _, ok := byKey[o.Key]; !ok && !stillAmb[identity(o)] {
			stillUnreg[identity(o)] = true
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

// relationships reconciles observed edges between observations that resolve
// to CIs: a missing edge is created (fill) when the CI has none of that type,
// otherwise it is drift (report) or created and accepted (update). A recorded
// edge of a type the run reports, between two CIs the run saw, that was not
// observed is drift (complete runs only).
func (r *reconciler) relationships(ctx context.Context, obs []*discovery.Observation, byKey map[string]int) error {
	type edgeKey struct {
		from, to int
		typ      string
	}
	observed := map[edgeKey]bool{}
	types := map[string]bool{}
	fromIDs := map[int]bool{}
	for _, o := range obs {
		from, ok := byKey[o.Key]
		if !ok {
			continue
		}
		for _, rel := range o.Relationships {
			to, ok := byKey[rel.To]
			if !ok || to == from {
				continue
			}
			observed[edgeKey{from, to, rel.Type}] = true
			types[rel.Type] = true
			fromIDs[from] = true
		}
	}
	if len(types) == 0 {
		return nil
	}
	ids := make([]int, 0, len(byKey))
	for _, id := range byKey {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	recorded := map[edgeKey]bool{}
	hasType := map[[2]any]bool{}
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		rels, err := r.c.Relationship.Query().Where(relationship.FromIDIn(ids[start:end]...)).
			Select(relationship.FieldFromID, relationship.FieldToID, relationship.FieldType).All(ctx)
		if err != nil {
			return fmt.Errorf("loading relationships: %w", err)
		}
		for _, rel := range rels {
			recorded[edgeKey{rel.FromID, rel.ToID, string(rel.Type)}] = true
			hasType[[2]any{rel.FromID, string(rel.Type)}] = true
		}
	}
	seen := map[int]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	keys := make([]edgeKey, 0, len(observed))
	for k := range observed {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].from != keys[j].from {
			return keys[i].from < keys[j].from
		}
		if keys[i].to != keys[j].to {
			return keys[i].to < keys[j].to
		}
		return keys[i].typ < keys[j].typ
	})
	for _, k := range keys {
		if recorded[k] {
			continue
		}
		field := discovery.RelationshipFieldName(k.typ, k.to)
		dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
		fill := !hasType[[2]any{k.from, k.typ}]
		if fill || r.o.Mode == ModeUpdate {
			if err := r.c.Relationship.Create().SetFromID(k.from).SetToID(k.to).
				SetType(relationship.Type(k.typ)).SetSource(r.o.Actor).Exec(ctx); err != nil {
				return fmt.Errorf("recording relationship %s from CI %d to CI %d: %w", k.typ, k.from, k.to, err)
			}
			ex := r.open[dk]
			if fill {
				r.out.Counts.Filled++
				r.change(schematype.PlannedChange{Action: ActFill, CI: k.from, Field: field, After: "present"})
				if ex != nil && r.o.Complete {
					r.resolveAs(ex, drift.StatusResolved) // the record now agrees
				}
			} else {
				r.out.Counts.Updated++
				r.change(schematype.PlannedChange{Action: ActUpdate, CI: k.from, Field: field, Before: "absent", After: "present"})
				if ex != nil {
					r.refresh(ex, "absent", "present")
					r.resolveAs(ex, drift.StatusAccepted)
				} else {
					r.addDrift(r.ciByID(k.from), dk, "absent", "present", drift.StatusAccepted, "", "")
				}
			}
			continue
		}
		r.openOrTouch(r.ciByID(k.from), "", dk, "absent", "present", "", "")
	}
	if !r.o.Complete {
		return nil
	}
	for k := range recorded {
		if observed[k] || !types[k.typ] || !seen[k.to] || !fromIDs[k.from] {
			continue
		}
		field := discovery.RelationshipFieldName(k.typ, k.to)
		dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
		r.openOrTouch(r.ciByID(k.from), "", dk, "present", "absent", "", "")
	}
	// Agreement resolves relationship drifts of the CIs seen.
	for key, d := range r.open {
		if key.kind != drift.KindRelationshipChanged || !seen[key.ci] || r.touched[d.ID] {
			continue
		}
		typ, to, ok := discovery.RelationshipField(key.field)
		if !ok {
			continue
		}
		if types[typ] && recorded[edgeKey{key.ci, to, typ}] == observed[edgeKey{key.ci, to, typ}] {
			r.resolveAs(d, drift.StatusResolved)
		}
	}
	return nil
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
	q := r.c.Sighting.Query().Where(sighting.DiscoveryJobID(r.o.JobID))
	sc := r.o.Scope
	if len(sc.Kinds) > 0 || len(sc.Environments) > 0 {
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
		q = q.Where(sighting.HasConfigurationItemWith(ps...))
	}
	all, err := q.Select(sighting.FieldID, sighting.FieldConfigurationItemID, sighting.FieldMissedRuns).All(ctx)
	if err != nil {
		return fmt.Errorf("loading the job's sightings: %w", err)
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
			return fmt.Errorf("loading unseen CIs: %w", err)
		}
		for _, ci := range got {
			cis[ci.ID] = ci
		}
	}
	for _, s := range rows {
		s.Edges.ConfigurationItem = cis[s.ConfigurationItemID]
	}
	var bump []int
	for _, s := range rows {
		if seen[s.ConfigurationItemID] || r.spared[s.ConfigurationItemID] {
			continue
		}
		ci := s.Edges.ConfigurationItem
		if ci == nil {
			continue
		}
		if len(sc.Tags) > 0 && !anyTag(ci.Tags, sc.Tags) {
			continue
		}
		if ci.Status == configurationitem.StatusRetired || ci.Status == configurationitem.StatusDisposed {
			// Gone from reality and from the record alike: keep an active
			// missing drift current, but never open one (a person who
			// retired the CI, or accepted its missing drift, agrees).
			if r.open[r.missingKey(ci.ID)] != nil {
				r.touchMissing(ci, s.MissedRuns+1)
			}
			bump = append(bump, s.ID)
			continue
		}
		missed := s.MissedRuns + 1
		bump = append(bump, s.ID)
		if missed < r.o.MissingGrace {
			continue
		}
		r.out.Counts.Missing++
		r.touchMissing(ci, missed)
		if r.o.RetireAfter > 0 && missed >= r.o.MissingGrace+r.o.RetireAfter {
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
		}
	}
	for start := 0; start < len(bump); start += chunk {
		end := min(start+chunk, len(bump))
		if _, err := r.c.Sighting.Update().Where(sighting.IDIn(bump[start:end]...)).AddMissedRuns(1).Save(ctx); err != nil {
			return fmt.Errorf("counting missed runs: %w", err)
		}
	}
	return nil
}

// missingKey is the key of this job's missing drift on a CI: each job
// reports what it cannot see, so the drift's field is the job's actor.
func (r *reconciler) missingKey(ci int) driftKey {
	return driftKey{ci: ci, kind: drift.KindMissing, field: r.o.Actor}
}

func (r *reconciler) touchMissing(ci *ent.ConfigurationItem, missed int) {
	key := r.missingKey(ci.ID)
	r.openOrTouch(ci, "", key, "present", fmt.Sprintf("not seen by %d complete runs", missed), "", "")
}

func anyTag(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
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
	// This job's sightings first (new ones inserted, known ones updated),
	// then every CI this run saw gets its last-seen time in one statement.
	var fresh, known []int
	for _, id := range ids {
		if r.seenBefore[id] {
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
	const rowsPerInsert = chunk / 5
	for start := 0; start < len(fresh); start += rowsPerInsert {
		end := min(start+rowsPerInsert, len(fresh))
		ins := d.Insert(sighting.Table).
			Columns(sighting.FieldDiscoveryJobID, sighting.FieldConfigurationItemID, sighting.FieldLastSeenAt, sighting.FieldLastRunID, sighting.FieldMissedRuns)
		for _, id := range fresh[start:end] {
			ins.Values(r.o.JobID, id, r.o.Now, r.o.RunID, 0)
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
