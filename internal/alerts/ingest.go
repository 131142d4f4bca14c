package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/textclip"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// Batch is one delivery of alerts: an Alertmanager notification or one
// call of the generic alert API.
type Batch struct {
	Source   alert.Source // alert.SourceAlertmanager or alert.SourceAPI
	Receiver string       // Alertmanager's receiver ("" for the API)
	// Alerts were validated by intake.ParseAlertmanager or ParseAlerts.
	Alerts []intake.Alert
}

// IngestResult is what a batch did.
type IngestResult struct {
	// Received alerts; Created new records; Updated records already
	// known (repeats included); Resolved alerts that closed (or arrived
	// closed); Unbound alerts bound to no CI and no service; Suppressed
	// alerts inside an approved change window; Flapping alerts marked
	// flapping.
	Received, Created, Updated, Resolved, Unbound, Suppressed, Flapping int
	// Incidents opened or changed by this batch, stored IDs ascending
	// (Changed leaves out those in Opened).
	Opened, Changed []int
}

// item is one alert of a batch on its way to the database.
type item struct {
	a   intake.Alert
	old *ent.Alert
	// newFiring: a firing not stored before (a new alert or a re-fire).
	newFiring bool
	bd        replay.Binding
	suppress  *int
	// the row as it will be stored
	status      alert.Status
	ci, svc     *int
	boundBy     *alert.BoundBy
	note        *string
	start       time.Time
	end         *time.Time
	refires     int
	flapping    bool
	transitions []time.Time
	// incident: before and after
	oldInc, inc *int
	fed         bool // given to the engine as a new firing
}

// Ingest stores a batch of alerts and correlates them, in one
// transaction: all of the batch or nothing (a failure leaves the database
// as it was, and the engine is rebuilt from it before the next batch).
//
// Per alert, by its Key (intake's fingerprint): a new key is created; the
// same firing again (same start) updates it (a resolution closes it:
// status RESOLVED, ends_at); a later start is a re-fire (refires + 1,
// rejoins its incident while that is alive). A new firing is bound
// (replay.Binder: cairn_ci, instance, host, … serial, then service) and,
// when its CI is in the window of a change record APPROVED, IN_PROGRESS
// or IMPLEMENTED, suppressed by that change: stored, never in an
// incident, never paged. An alert that changed state
// Settings.FlapTransitions times within Settings.FlapPeriod is marked
// flapping (the mark stays) and never opens an incident. An alert never
// seen before that arrives already resolved is stored and correlated with
// nothing.
//
// The other new firings go to the correlation engine; the incidents it
// forms or changes are stored (see the package doc of correlate): one
// stored incident per engine incident, except that an incident a person
// resolved takes no new alerts (a new stored incident opens for them) and
// one a person regrouped (manual) keeps its alerts. A stored incident
// resolves itself (RESOLVED, resolved_at the last end, resolved_by null)
// when all its alerts have resolved, and reopens (OPEN) when one fires
// again. Its title is "<top candidate>: <n> alerts on <m> CIs" (an
// incident of one alert: "<alertname> on <CI>"; of unbound alerts:
// "<service label>: <n> alerts"), kept up to date until a person changes
// it (Update sets title_set_by_person: never retitled, across restarts
// too); its candidates, top candidate, alerted CIs and impacted services
// follow correlation.
//
// The batch reads and writes in a constant number of statements whatever
// its size (plus one update per incident it changes, audited).
func (s *Service) Ingest(ctx context.Context, b Batch) (IngestResult, error) {
	res := IngestResult{Received: len(b.Alerts)}
	if err := alert.SourceValidator(b.Source); err != nil {
		return res, apperr.Invalid("source", "source %q: want ALERTMANAGER or API", b.Source)
	}
	for i, a := range b.Alerts {
		if a.Key == "" || a.StartsAt.IsZero() {
			return res, apperr.Invalid(fmt.Sprintf("alerts[%d]", i), "alerts[%d] has no key or no start: parse alerts with internal/alerts/intake", i)
		}
	}
	if len(b.Alerts) == 0 {
		return res, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale {
		if err := s.rebuild(ctx); err != nil {
			return res, fmt.Errorf("rebuilding the correlation engine: %w", err)
		}
	}
	var p *plan
	err := txn.Do(ctx, s.client, func(tx *ent.Client) error {
		var err error
		p, err = s.ingest(ctx, tx, b)
		return err
	})
	if err != nil {
		if p != nil && p.touched {
			s.stale = true
		}
		return res, err
	}
	p.commit(s)
	s.pruneCur()
	out := p.res
	out.Received = len(b.Alerts)
	opened, resolved := p.opened, p.resolved
	txn.AfterCommit(ctx, func(ctx context.Context) {
		if len(opened) > 0 {
			s.notify(ctx, EventOpened, opened...)
		}
		if len(resolved) > 0 {
			s.notify(ctx, EventResolved, resolved...)
		}
	})
	return out, nil
}

// plan is what a batch changes in the service's memory, applied once the
// transaction committed.
type plan struct {
	res      IngestResult
	touched  bool // the engine took the batch
	cur      map[string]curRef
	mapped   map[int]int // engine incident → stored incident
	titles   map[int]string
	opened   []int
	resolved []int
}

func (p *plan) commit(s *Service) {
	if s.cur == nil {
		s.cur = map[string]curRef{}
	}
	if s.incidentOf == nil {
		s.incidentOf = map[int]int{}
	}
	if s.titles == nil {
		s.titles = map[int]string{}
	}
	for k, v := range p.cur {
		s.cur[k] = v
	}
	for e, id := range p.mapped {
		s.incidentOf[e] = id
	}
	for id, t := range p.titles {
		s.titles[id] = t
	}
}

// pruneCur forgets, from time to time (when cur has doubled since the last
// time), where the alerts of engine incidents no longer mapped are: Run's
// compaction drops dead incidents from incidentOf, and an alert of theirs
// that fires again starts afresh in the engine anyway.
func (s *Service) pruneCur() {
	if len(s.cur) < 2*max(s.curPruned, 1024) {
		return
	}
	for k, c := range s.cur {
		if _, ok := s.incidentOf[c.inc]; !ok {
			delete(s.cur, k)
		}
	}
	s.curPruned = len(s.cur)
}

func (s *Service) ingest(ctx context.Context, tx *ent.Client, b Batch) (*plan, error) {
	p := &plan{cur: map[string]curRef{}, mapped: map[int]int{}, titles: map[int]string{}}
	now := s.nowUTC()
	s.graph.cur = s.graph.base.On(tx)
	defer func() { s.graph.cur = nil }()
	items := dedup(b.Alerts)
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.a.Key
	}
	olds, err := tx.Alert.Query().Where(alert.FingerprintIn(keys...)).All(ctx)
	if err != nil {
		return p, fmt.Errorf("reading stored alerts: %w", err)
	}
	byKey := make(map[string]*ent.Alert, len(olds))
	for _, o := range olds {
		byKey[o.Fingerprint] = o
	}
	// Bind the new firings (one binder per batch: each distinct hint once).
	var bindIdx []int
	var labels []map[string]string
	for i := range items {
		it := &items[i]
		it.old = byKey[it.a.Key]
		it.newFiring = it.old == nil || it.a.StartsAt.After(it.old.StartsAt)
		if it.newFiring {
			bindIdx = append(bindIdx, i)
			labels = append(labels, it.a.Labels)
		}
	}
	bds, err := replay.NewBinder(tx, s.db).On(tx).BindAll(ctx, labels)
	if err != nil {
		return p, err
	}
	for j, i := range bindIdx {
		items[i].bd = bds[j]
	}
	if err := s.suppressions(ctx, tx, items); err != nil {
		return p, err
	}
	var feed []correlate.Alert
	for i := range items {
		it := &items[i]
		s.shape(it)
		if f, ok := s.feed(it); ok {
			feed = append(feed, f)
		}
		switch {
		case it.old == nil:
			p.res.Created++
		default:
			p.res.Updated++
		}
		if it.status == alert.StatusResolved && (it.old == nil || it.old.Status == alert.StatusFiring || it.newFiring) {
			p.res.Resolved++
		}
		if it.ci == nil && it.svc == nil {
			p.res.Unbound++
		}
		if it.suppress != nil {
			p.res.Suppressed++
		}
		if it.flapping {
			p.res.Flapping++
		}
	}
	// Correlate: from here a failure leaves the engine ahead of the
	// database, and the next batch rebuilds it.
	p.touched = len(feed) > 0
	var changed []correlate.Incident
	if len(feed) > 0 {
		changed, err = s.engine.Add(ctx, feed...)
		if err != nil {
			return p, fmt.Errorf("correlating %d alerts: %w", len(feed), err)
		}
	}
	w := &writer{s: s, tx: tx, p: p, now: now, items: items, changed: changed}
	if err := w.run(ctx, b); err != nil {
		return p, err
	}
	return p, nil
}

// dedup keeps one alert per key: the latest firing, and of the same
// firing the resolved report.
func dedup(in []intake.Alert) []item {
	idx := map[string]int{}
	out := make([]item, 0, len(in))
	for _, a := range in {
		j, ok := idx[a.Key]
		if !ok {
			idx[a.Key] = len(out)
			out = append(out, item{a: a})
			continue
		}
		o := out[j].a
		if a.StartsAt.After(o.StartsAt) || a.StartsAt.Equal(o.StartsAt) && !a.Firing() {
			out[j].a = a
		}
	}
	return out
}

// shape computes the row an item will be stored as.
func (s *Service) shape(it *item) {
	a, old := it.a, it.old
	st := s.cfg.Settings
	if old != nil {
		it.refires, it.flapping, it.transitions = old.Refires, old.Flapping, append([]time.Time(nil), old.Transitions...)
		it.ci, it.svc, it.note, it.suppress, it.oldInc = old.ConfigurationItemID, old.ServiceID, old.BindingNote, old.SuppressedByID, old.IncidentID
		it.boundBy = old.BoundBy
		it.inc = old.IncidentID
		it.start, it.status, it.end = old.StartsAt, old.Status, old.EndsAt
	}
	switch {
	case old == nil || it.newFiring:
		if old != nil {
			it.refires++
			it.transitions = append(it.transitions, a.StartsAt)
		}
		it.start = a.StartsAt
		it.ci, it.svc, it.boundBy = nil, nil, nil
		if it.bd.CI != 0 {
			ci := it.bd.CI
			it.ci = &ci
			bb := boundBy(it.bd.BoundBy)
			it.boundBy = &bb
		}
		if it.bd.Service != 0 {
			svc := it.bd.Service
			it.svc = &svc
			if it.ci == nil {
				bb := alert.BoundByService
				it.boundBy = &bb
			}
		}
		note := it.bd.Note
		it.note = &note
		if note == "" {
			it.note = nil
		}
		// it.suppress was set by suppressions for new firings.
		if a.Firing() {
			it.status, it.end = alert.StatusFiring, nil
		} else {
			end := a.EndsAt
			it.status, it.end = alert.StatusResolved, &end
			if old != nil {
				it.transitions = append(it.transitions, end)
			}
		}
	case a.StartsAt.Equal(old.StartsAt) && !a.Firing() && old.Status == alert.StatusFiring:
		end := a.EndsAt
		it.status, it.end = alert.StatusResolved, &end
		it.transitions = append(it.transitions, end)
	}
	// Keep the transitions within the flapping period of the latest.
	if n := len(it.transitions); n > 0 {
		sort.Slice(it.transitions, func(i, j int) bool { return it.transitions[i].Before(it.transitions[j]) })
		last := it.transitions[n-1]
		lo := 0
		for lo < n && last.Sub(it.transitions[lo]) > st.FlapPeriod {
			lo++
		}
		it.transitions = it.transitions[lo:]
		if len(it.transitions) >= st.FlapTransitions {
			it.flapping = true
		}
	}
}

// feed is what the engine takes of an item, if anything: a new firing
// (not suppressed), or the end of a firing the engine holds.
func (s *Service) feed(it *item) (correlate.Alert, bool) {
	old := it.old
	engineHolds := old != nil && old.Status == alert.StatusFiring && old.SuppressedByID == nil
	oldCI := 0
	if old != nil && old.ConfigurationItemID != nil {
		oldCI = *old.ConfigurationItemID
	}
	switch {
	case it.newFiring && it.status == alert.StatusFiring && it.suppress == nil:
		it.fed = true
		return correlate.Alert{Key: it.a.Key, CI: deref0(it.ci), Start: it.start, Labels: it.a.Labels}, true
	case it.newFiring && engineHolds:
		// The held firing ended when the new one began; the new one is
		// suppressed or arrived resolved.
		return correlate.Alert{Key: it.a.Key, CI: oldCI, Start: old.StartsAt, End: it.start, Labels: old.Labels}, true
	case !it.newFiring && engineHolds && it.status == alert.StatusResolved:
		return correlate.Alert{Key: it.a.Key, CI: oldCI, Start: old.StartsAt, End: *it.end, Labels: old.Labels}, true
	}
	return correlate.Alert{}, false
}

func deref0(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// boundBy is the stored rule of a hint label.
func boundBy(label string) alert.BoundBy {
	switch label {
	case intake.LabelCI:
		return alert.BoundByCairnCI
	case "instance":
		return alert.BoundByInstance
	case "host":
		return alert.BoundByHost
	case "hostname":
		return alert.BoundByHostname
	case "nodename":
		return alert.BoundByNodename
	case "fqdn":
		return alert.BoundByFqdn
	case "ip":
		return alert.BoundByIP
	case "mac":
		return alert.BoundByMac
	case "serial":
		return alert.BoundBySerial
	}
	return alert.BoundByService
}

// alertColumns are the columns an upsert rewrites from the new row (all
// but the ID, the fingerprint and created_at).
var alertColumns = []string{
	alert.FieldUpdatedAt, alert.FieldStatus, alert.FieldName, alert.FieldLabels, alert.FieldAnnotations,
	alert.FieldStartsAt, alert.FieldEndsAt, alert.FieldGeneratorURL, alert.FieldSource, alert.FieldReceiver,
	alert.FieldBoundBy, alert.FieldBindingNote, alert.FieldFlapping, alert.FieldRefires, alert.FieldTransitions,
	alert.FieldLastReceivedAt, alert.FieldConfigurationItemID, alert.FieldServiceID, alert.FieldSuppressedByID,
	alert.FieldIncidentID,
}

// upsertAlerts writes the batch's rows in one statement: new fingerprints
// are inserted, known ones rewritten whole (a column left out of the
// insert is NULL in EXCLUDED, so a cleared field is cleared).
func upsertAlerts(ctx context.Context, tx *ent.Client, items []item, b Batch, now time.Time) error {
	builders := make([]*ent.AlertCreate, len(items))
	for i := range items {
		it := &items[i]
		c := tx.Alert.Create().
			SetFingerprint(it.a.Key).SetStatus(it.status).SetName(it.a.Labels["alertname"]).
			SetLabels(it.a.Labels).SetStartsAt(it.start).SetNillableEndsAt(it.end).
			SetSource(b.Source).SetNillableBoundBy(it.boundBy).SetNillableBindingNote(it.note).
			SetFlapping(it.flapping).SetRefires(it.refires).SetLastReceivedAt(now).SetUpdatedAt(now).
			SetNillableConfigurationItemID(it.ci).SetNillableServiceID(it.svc).
			SetNillableSuppressedByID(it.suppress).SetNillableIncidentID(it.inc)
		if !it.newFiring && it.old != nil {
			// The same firing again: its labels and annotations as sent now.
			c.SetLabels(it.a.Labels)
		}
		if len(it.a.Annotations) > 0 {
			c.SetAnnotations(it.a.Annotations)
		}
		if len(it.transitions) > 0 {
			c.SetTransitions(it.transitions)
		}
		if it.a.GeneratorURL != "" {
			c.SetGeneratorURL(it.a.GeneratorURL)
		}
		if b.Receiver != "" {
			c.SetReceiver(b.Receiver)
		}
		builders[i] = c
	}
	err := tx.Alert.CreateBulk(builders...).
		OnConflict(sql.ConflictColumns(alert.FieldFingerprint), sql.ResolveWith(func(u *sql.UpdateSet) {
			for _, c := range alertColumns {
				u.SetExcluded(c)
			}
		})).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("storing %d alerts: %w", len(items), err)
	}
	return nil
}

// stored incident helpers

func isPersonResolved(inc *ent.Incident) bool {
	return inc != nil && inc.Status == entincident.StatusResolved && inc.ResolvedBy != nil
}

// candidatesOf converts the engine's candidates for storing.
func candidatesOf(cs []correlate.Candidate) []schematype.CauseCandidate {
	out := make([]schematype.CauseCandidate, 0, len(cs))
	for _, c := range cs {
		cc := schematype.CauseCandidate{CI: c.CI, Score: c.Score, Alerted: c.Alerted, Reasons: c.Reasons, PathCount: c.PathCount, Paths: [][]int{}}
		if cc.Reasons == nil {
			cc.Reasons = []string{}
		}
		for _, p := range c.Paths {
			cc.Paths = append(cc.Paths, append([]int(nil), p...))
		}
		out = append(out, cc)
	}
	return out
}

// writer stores what the engine made of a batch.
type writer struct {
	s       *Service
	tx      *ent.Client
	p       *plan
	now     time.Time
	items   []item
	changed []correlate.Incident
}

// row is one alert whose incident or state a batch changes: a batch item,
// or an alert the engine moved (ejected into another incident).
type row struct {
	it       *item // nil for a moved alert outside the batch
	moved    *ent.Alert
	key      string
	oldInc   *int
	inc      *int
	oldFire  bool
	fire     bool
	oldCI    *int
	ci       *int
	start    time.Time
	end      *time.Time
	newStart bool // a new firing: counts for first and last alert times
}

// delta is what a batch changes in one stored incident (negative IDs are
// incidents to create).
type delta struct {
	alerts, firing int
	joined, left   []int // CIs of alerts that joined, left
	first, last    timeBounds
	lastEnd        timeBounds
	eng            *correlate.Incident // the engine incident mapped to it, when changed
	single         *item               // the one alert of a new incident of one alert
}

func (w *writer) place(key string) (curRef, bool) {
	if c, ok := w.p.cur[key]; ok {
		return c, true
	}
	c, ok := w.s.cur[key]
	return c, ok
}

func (w *writer) run(ctx context.Context, b Batch) error {
	s, tx, p := w.s, w.tx, w.p
	// Where each key is in the engine now: the newest copy of it among the
	// changed incidents.
	moved := map[string]int{}
	snap := map[int]*correlate.Incident{}
	for i := range w.changed {
		e := &w.changed[i]
		snap[e.ID] = e
		for _, m := range e.Alerts {
			c, ok := w.place(m.Key)
			switch {
			case !ok || c.inc != e.ID && !m.Start.Before(c.start):
				p.cur[m.Key] = curRef{e.ID, m.Start}
				moved[m.Key] = e.ID
			case c.inc == e.ID && m.Start.After(c.start):
				p.cur[m.Key] = curRef{e.ID, m.Start}
			}
		}
	}
	inBatch := make(map[string]*item, len(w.items))
	for i := range w.items {
		inBatch[w.items[i].a.Key] = &w.items[i]
	}
	// Alerts outside the batch the engine moved.
	var outKeys []string
	for k := range moved {
		if inBatch[k] == nil {
			outKeys = append(outKeys, k)
		}
	}
	sort.Strings(outKeys)
	var outRows []*ent.Alert
	if len(outKeys) > 0 {
		var err error
		outRows, err = tx.Alert.Query().Where(alert.FingerprintIn(outKeys...)).
			Select(alert.FieldID, alert.FieldFingerprint, alert.FieldIncidentID, alert.FieldStatus,
				alert.FieldConfigurationItemID, alert.FieldStartsAt, alert.FieldEndsAt).All(ctx)
		if err != nil {
			return fmt.Errorf("reading moved alerts: %w", err)
		}
	}
	// The stored incidents involved.
	idSet := map[int]bool{}
	for _, e := range w.changed {
		if id := s.incidentOf[e.ID]; id != 0 {
			idSet[id] = true
		}
	}
	for i := range w.items {
		if w.items[i].oldInc != nil {
			idSet[*w.items[i].oldInc] = true
		}
	}
	for _, a := range outRows {
		if a.IncidentID != nil {
			idSet[*a.IncidentID] = true
		}
	}
	stored := map[int]*ent.Incident{}
	if len(idSet) > 0 {
		incs, err := tx.Incident.Query().Where(entincident.IDIn(setInts(idSet)...)).All(ctx)
		if err != nil {
			return fmt.Errorf("reading incidents: %w", err)
		}
		for _, inc := range incs {
			stored[inc.ID] = inc
		}
	}
	stays := func(oldInc *int, newFiring bool) bool {
		if oldInc == nil {
			return false
		}
		st := stored[*oldInc]
		return st != nil && (st.Manual || !newFiring && isPersonResolved(st))
	}
	// Rows and the engine incident each wants.
	var rows []*row
	want := map[*row]int{}
	for i := range w.items {
		it := &w.items[i]
		r := &row{it: it, key: it.a.Key, oldInc: it.oldInc, inc: it.oldInc, fire: it.status == alert.StatusFiring,
			ci: it.ci, start: it.start, end: it.end, newStart: it.newFiring}
		if it.old != nil {
			r.oldFire, r.oldCI = it.old.Status == alert.StatusFiring, it.old.ConfigurationItemID
		}
		rows = append(rows, r)
		c, placed := p.cur[it.a.Key]
		switch {
		case it.fed && (!placed || !c.start.Equal(it.start)):
			// Held: flapping, in no incident.
			r.inc = nil
			if stays(it.oldInc, true) {
				r.inc = it.oldInc
			}
		case it.newFiring && !it.fed:
			// Suppressed, or arrived resolved: in no incident.
			r.inc = nil
			if stays(it.oldInc, true) {
				r.inc = it.oldInc
			}
		case it.fed || moved[it.a.Key] != 0:
			if !stays(it.oldInc, it.newFiring) {
				want[r] = c.inc
			}
		}
	}
	for _, a := range outRows {
		r := &row{moved: a, key: a.Fingerprint, oldInc: a.IncidentID, inc: a.IncidentID,
			oldFire: a.Status == alert.StatusFiring, fire: a.Status == alert.StatusFiring,
			oldCI: a.ConfigurationItemID, ci: a.ConfigurationItemID, start: a.StartsAt, end: a.EndsAt}
		rows = append(rows, r)
		if !stays(a.IncidentID, false) {
			want[r] = moved[a.Fingerprint]
		}
	}
	// Map the engine incidents: a new stored incident for one not mapped
	// (or mapped to an incident a person resolved) when a non-flapping new
	// firing, or an alert the engine moved, goes to it.
	opens := map[int]bool{}
	for r, e := range want {
		sid := s.incidentOf[e]
		if sid != 0 && stored[sid] != nil && !isPersonResolved(stored[sid]) {
			continue
		}
		if sid != 0 && stored[sid] == nil {
			// Mapped to an incident not read yet (another engine incident's
			// alerts never met it in this batch): read below.
			idSet[sid] = true
		}
		if r.it == nil || !r.it.flapping {
			opens[e] = true
		}
	}
	if err := w.readMore(ctx, idSet, stored); err != nil {
		return err
	}
	next := -1
	target := map[int]int{} // engine incident → stored (negative: to create)
	for _, e := range sortedKeys(opens) {
		sid := s.incidentOf[e]
		if sid != 0 && stored[sid] != nil && !isPersonResolved(stored[sid]) {
			continue
		}
		target[e] = next
		next--
	}
	for r, e := range want {
		sid, ok := target[e]
		if !ok {
			sid = s.incidentOf[e]
			if sid != 0 && (stored[sid] == nil || isPersonResolved(stored[sid])) {
				sid = 0
			}
		}
		switch {
		case sid != 0:
			v := sid
			r.inc = &v
		case r.it != nil && r.it.fed:
			r.inc = nil // a flapping alert opens nothing
		}
	}
	// Deltas per stored incident.
	deltas := map[int]*delta{}
	d := func(id int) *delta {
		x := deltas[id]
		if x == nil {
			x = &delta{}
			deltas[id] = x
		}
		return x
	}
	for _, r := range rows {
		same := r.oldInc != nil && r.inc != nil && *r.oldInc == *r.inc
		if r.oldInc != nil && !same {
			x := d(*r.oldInc)
			x.alerts--
			if r.oldFire {
				x.firing--
			}
			if r.oldCI != nil {
				x.left = append(x.left, *r.oldCI)
			}
			if r.fire != r.oldFire && r.end != nil {
				x.lastEnd.max(*r.end)
			}
		}
		if r.inc == nil {
			continue
		}
		x := d(*r.inc)
		if same {
			switch {
			case r.oldFire && !r.fire:
				x.firing--
			case !r.oldFire && r.fire:
				x.firing++
			}
			if !ptrEq(r.oldCI, r.ci) {
				if r.oldCI != nil {
					x.left = append(x.left, *r.oldCI)
				}
				if r.ci != nil {
					x.joined = append(x.joined, *r.ci)
				}
			}
		} else {
			x.alerts++
			if r.fire {
				x.firing++
			}
			if r.ci != nil {
				x.joined = append(x.joined, *r.ci)
			}
			x.first.min(r.start)
			x.last.max(r.start)
			if r.it != nil && *r.inc < 0 {
				x.single = r.it
			}
		}
		if r.newStart {
			x.first.min(r.start)
			x.last.max(r.start)
		}
		if r.end != nil && !r.fire {
			x.lastEnd.max(*r.end)
		}
	}
	for e, sid := range target {
		d(sid).eng = snap[e]
	}
	for _, e := range w.changed {
		if sid := s.incidentOf[e.ID]; sid != 0 && stored[sid] != nil && !isPersonResolved(stored[sid]) {
			if _, remapped := target[e.ID]; !remapped {
				ec := e
				d(sid).eng = &ec
			}
		}
	}
	for id := range deltas {
		if id > 0 && stored[id] == nil {
			delete(deltas, id) // deleted meanwhile
		}
	}
	return w.store(ctx, b, rows, target, deltas, stored)
}

func (w *writer) readMore(ctx context.Context, idSet map[int]bool, stored map[int]*ent.Incident) error {
	var more []int
	for id := range idSet {
		if stored[id] == nil {
			more = append(more, id)
		}
	}
	if len(more) == 0 {
		return nil
	}
	incs, err := w.tx.Incident.Query().Where(entincident.IDIn(more...)).All(ctx)
	if err != nil {
		return fmt.Errorf("reading incidents: %w", err)
	}
	for _, inc := range incs {
		stored[inc.ID] = inc
	}
	// Still missing: deleted; forget them.
	for _, id := range more {
		if stored[id] == nil {
			stored[id] = nil
		}
	}
	return nil
}

func ptrEq(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func setInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func sortedKeys(m map[int]bool) []int { return setInts(m) }

// autoTitle matches the titles intake writes for incidents of several
// alerts: after a restart these are still intake's to update.
var autoTitle = regexp.MustCompile(`: \d+ alerts( on \d+ CIs?)?$`)

// title is an incident's generated title: "<alertname> on <CI>" for one
// alert, "<top candidate>: <n> alerts on <m> CIs", "<service label>: <n>
// alerts" for unbound alerts of one service, else "<n> alerts on <m> CIs".
func title(n, m int, top, serviceLabel string, single *item, singleCI string) string {
	switch {
	case n == 1 && single != nil:
		name := single.a.Labels["alertname"]
		if name == "" {
			name = "alert " + single.a.Key
		}
		if singleCI != "" {
			return textclip.Bytes(name+" on "+singleCI, 500)
		}
		return textclip.Bytes(name, 500)
	case top != "":
		return textclip.Bytes(fmt.Sprintf("%s: %s on %s", top, plural(n, "alert"), plural(m, "CI")), 500)
	case serviceLabel != "":
		return textclip.Bytes(fmt.Sprintf("%s: %s", serviceLabel, plural(n, "alert")), 500)
	}
	return fmt.Sprintf("%s on %s", plural(n, "alert"), plural(m, "CI"))
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func distinct(ids []int) []int {
	set := map[int]bool{}
	for _, id := range ids {
		set[id] = true
	}
	return setInts(set)
}

// store writes the batch: new incidents, the alerts, then each changed
// incident (one audited update each).
func (w *writer) store(ctx context.Context, b Batch, rows []*row, target map[int]int, deltas map[int]*delta, stored map[int]*ent.Incident) error {
	s, tx, p := w.s, w.tx, w.p
	// The single alert of an incident: the batch item that joined it.
	for _, r := range rows {
		if r.it != nil && r.inc != nil && (r.oldInc == nil || *r.oldInc != *r.inc) {
			deltas[*r.inc].single = r.it
		}
	}
	// Names for titles, and the CIs whose services are hit.
	var nameIDs []int
	impact := map[int][]int{}
	topOf := func(id int, x *delta) (int, bool) {
		if x.eng != nil && len(x.eng.Candidates) > 0 {
			return x.eng.Candidates[0].CI, true
		}
		if st := stored[id]; x.eng == nil && st != nil && st.TopCandidateID != nil {
			return *st.TopCandidateID, true
		}
		return 0, false
	}
	for id, x := range deltas {
		top, ok := topOf(id, x)
		if ok {
			nameIDs = append(nameIDs, top)
		}
		if x.single != nil && x.single.ci != nil {
			nameIDs = append(nameIDs, *x.single.ci)
		}
		cis := append([]int(nil), x.joined...)
		if st := stored[id]; ok && (st == nil || st.TopCandidateID == nil || *st.TopCandidateID != top) {
			cis = append(cis, top)
		}
		if len(cis) > 0 {
			impact[id] = cis
		}
	}
	names, err := replay.CINames(ctx, tx, nameIDs)
	if err != nil {
		return err
	}
	svcOf, err := s.impactedServices(ctx, tx, impact)
	if err != nil {
		return err
	}
	// New incidents.
	var newIDs []int
	for id := range deltas {
		if id < 0 {
			newIDs = append(newIDs, id)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(newIDs))) // -1, -2, …: engine order
	real := map[int]int{}
	if len(newIDs) > 0 {
		builders := make([]*ent.IncidentCreate, len(newIDs))
		titles := make([]string, len(newIDs))
		for i, id := range newIDs {
			x := deltas[id]
			cis := distinct(x.joined)
			top, hasTop := topOf(id, x)
			svcLabel := ""
			if x.eng != nil {
				svcLabel = x.eng.Service
			}
			t := title(x.alerts, len(cis), names[top], svcLabel, x.single, ciName(names, x.single))
			titles[i] = t
			c := tx.Incident.Create().SetTitle(t).SetOpenedAt(w.now).
				SetFirstAlertAt(x.first.t).SetLastAlertAt(x.last.t).
				SetAlertCount(max(x.alerts, 0)).SetFiringCount(max(x.firing, 0)).
				AddConfigurationItemIDs(cis...).AddServiceIDs(svcOf[id]...)
			if x.eng != nil {
				c.SetCandidates(candidatesOf(x.eng.Candidates))
			}
			if hasTop {
				c.SetTopCandidateID(top)
			}
			if svcLabel != "" {
				c.SetServiceLabel(svcLabel)
			}
			if x.firing <= 0 {
				c.SetStatus(entincident.StatusResolved).SetResolvedAt(orNow(x.lastEnd, w.now))
			}
			builders[i] = c
		}
		created, err := tx.Incident.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return fmt.Errorf("opening %d incidents: %w", len(builders), err)
		}
		for i, id := range newIDs {
			real[id] = created[i].ID
			p.titles[created[i].ID] = titles[i]
			if deltas[id].firing > 0 {
				p.opened = append(p.opened, created[i].ID)
			}
		}
		for e, id := range target {
			p.mapped[e] = real[id]
		}
	}
	for _, r := range rows {
		if r.inc != nil && *r.inc < 0 {
			v := real[*r.inc]
			r.inc = &v
		}
		if r.it != nil {
			r.it.inc = r.inc
		}
	}
	// The alerts: the batch in one statement, the moved ones by target.
	if err := upsertAlerts(ctx, tx, w.items, b, w.now); err != nil {
		return err
	}
	movedTo := map[int][]int{} // stored incident (0: none) → alert IDs
	for _, r := range rows {
		if r.moved != nil && !ptrEq(r.oldInc, r.inc) {
			movedTo[deref0(r.inc)] = append(movedTo[deref0(r.inc)], r.moved.ID)
		}
	}
	for _, to := range sortedKeys(keysOf(movedTo)) {
		u := tx.Alert.Update().Where(alert.IDIn(movedTo[to]...))
		if to == 0 {
			u.ClearIncidentID()
		} else {
			u.SetIncidentID(to)
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("moving %d alerts: %w", len(movedTo[to]), err)
		}
	}
	p.res.Opened = append(p.res.Opened, p.opened...)
	sort.Ints(p.res.Opened)
	return w.updateIncidents(ctx, deltas, stored, names, svcOf)
}

func keysOf(m map[int][]int) map[int]bool {
	out := make(map[int]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func ciName(names map[int]string, it *item) string {
	if it == nil || it.ci == nil {
		return ""
	}
	return names[*it.ci]
}

func orNow(b timeBounds, now time.Time) time.Time {
	if b.set {
		return b.t
	}
	return now
}

// updateIncidents applies the deltas to the stored incidents that
// existed before the batch.
func (w *writer) updateIncidents(ctx context.Context, deltas map[int]*delta, stored map[int]*ent.Incident, names map[int]string, svcOf map[int][]int) error {
	s, tx, p := w.s, w.tx, w.p
	var ids, cis, svcs, leftIncs, leftCIs []int
	for id, x := range deltas {
		if id <= 0 {
			continue
		}
		ids = append(ids, id)
		cis = append(cis, x.joined...)
		cis = append(cis, x.left...)
		svcs = append(svcs, svcOf[id]...)
		if len(x.left) > 0 {
			leftIncs = append(leftIncs, id)
			leftCIs = append(leftCIs, x.left...)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Ints(ids)
	cis, svcs = distinct(cis), distinct(svcs)
	// The edges the deltas may add or remove, as stored.
	q := tx.Incident.Query().Where(entincident.IDIn(ids...)).Select(entincident.FieldID)
	if len(cis) > 0 {
		q.WithConfigurationItems(func(q *ent.ConfigurationItemQuery) {
			q.Where(configurationitem.IDIn(cis...)).Select(configurationitem.FieldID)
		})
	}
	if len(svcs) > 0 {
		q.WithServices(func(q *ent.ServiceQuery) { q.Where(service.IDIn(svcs...)).Select(service.FieldID) })
	}
	withEdges, err := q.All(ctx)
	if err != nil {
		return fmt.Errorf("reading incidents' CIs and services: %w", err)
	}
	hasCI, hasSvc := map[[2]int]bool{}, map[[2]int]bool{}
	for _, inc := range withEdges {
		for _, c := range inc.Edges.ConfigurationItems {
			hasCI[[2]int{inc.ID, c.ID}] = true
		}
		for _, sv := range inc.Edges.Services {
			hasSvc[[2]int{inc.ID, sv.ID}] = true
		}
	}
	// Alerts still on the CIs some alert left.
	still := map[[2]int]bool{}
	if len(leftIncs) > 0 {
		left, err := tx.Alert.Query().
			Where(alert.IncidentIDIn(distinct(leftIncs)...), alert.ConfigurationItemIDIn(distinct(leftCIs)...)).
			Select(alert.FieldIncidentID, alert.FieldConfigurationItemID).All(ctx)
		if err != nil {
			return fmt.Errorf("reading incidents' remaining alerts: %w", err)
		}
		for _, a := range left {
			still[[2]int{*a.IncidentID, *a.ConfigurationItemID}] = true
		}
	}
	ciCount, err := s.countCIs(ctx, tx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		st, x := stored[id], deltas[id]
		u := tx.Incident.UpdateOneID(id)
		alerts := max(st.AlertCount+x.alerts, 0)
		firing := min(max(st.FiringCount+x.firing, 0), alerts)
		u.SetAlertCount(alerts).SetFiringCount(firing)
		if x.first.set && x.first.t.Before(st.FirstAlertAt) {
			u.SetFirstAlertAt(x.first.t)
		}
		if x.last.set && x.last.t.After(st.LastAlertAt) {
			u.SetLastAlertAt(x.last.t)
		}
		var add, remove []int
		for _, c := range distinct(x.joined) {
			if !hasCI[[2]int{id, c}] {
				add = append(add, c)
				hasCI[[2]int{id, c}] = true
			}
		}
		joined := map[int]bool{}
		for _, c := range x.joined {
			joined[c] = true
		}
		for _, c := range distinct(x.left) {
			if !joined[c] && !still[[2]int{id, c}] && hasCI[[2]int{id, c}] {
				remove = append(remove, c)
			}
		}
		u.AddConfigurationItemIDs(add...).RemoveConfigurationItemIDs(remove...)
		var addSvc []int
		for _, sv := range svcOf[id] {
			if !hasSvc[[2]int{id, sv}] {
				addSvc = append(addSvc, sv)
			}
		}
		u.AddServiceIDs(addSvc...)
		top := st.TopCandidateID
		if x.eng != nil {
			u.SetCandidates(candidatesOf(x.eng.Candidates))
			if len(x.eng.Candidates) > 0 {
				t := x.eng.Candidates[0].CI
				top = &t
				u.SetTopCandidateID(t)
			} else {
				top = nil
				u.ClearTopCandidateID()
			}
		}
		switch {
		case firing == 0 && alerts > 0 && st.Status != entincident.StatusResolved:
			at := orNow(x.lastEnd, w.now)
			if x.eng != nil && !x.eng.ResolvedAt.IsZero() && x.eng.ResolvedAt.After(at) {
				at = x.eng.ResolvedAt
			}
			u.SetStatus(entincident.StatusResolved).SetResolvedAt(at).ClearResolvedBy()
			p.resolved = append(p.resolved, id)
		case firing > 0 && st.Status == entincident.StatusResolved && st.ResolvedBy == nil:
			u.SetStatus(entincident.StatusOpen).ClearResolvedAt()
		}
		if !st.Manual && !st.TitleSetByPerson && (st.Title == s.titles[id] || autoTitle.MatchString(st.Title)) {
			m := ciCount[id] + len(add) - len(remove)
			topName := ""
			if top != nil {
				topName = names[*top]
			}
			single := x.single
			if alerts != 1 {
				single = nil
			}
			label := ""
			if st.ServiceLabel != nil {
				label = *st.ServiceLabel
			}
			if alerts != 1 || single != nil {
				t := title(alerts, m, topName, label, single, ciName(names, single))
				if t != st.Title {
					u.SetTitle(t)
				}
				p.titles[id] = t
			}
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("updating incident %d: %w", id, err)
		}
		p.res.Changed = append(p.res.Changed, id)
	}
	return nil
}

// countCIs counts each incident's alerted CIs, in one statement.
func (s *Service) countCIs(ctx context.Context, tx *ent.Client, ids []int) (map[int]int, error) {
	in, arg := `SELECT CAST(value AS BIGINT) FROM json_each(?)`, any(nil)
	if s.db.Backend() == store.Postgres {
		in, arg = `SELECT unnest(?::bigint[])`, graphwalk.PGArray(ids)
	} else {
		b, _ := json.Marshal(ids)
		arg = string(b)
	}
	rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT incident_id, COUNT(*) FROM incident_configuration_items WHERE incident_id IN (`+in+`) GROUP BY incident_id`), arg)
	if err != nil {
		return nil, fmt.Errorf("counting incidents' CIs: %w", err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var id, n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("counting incidents' CIs: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting incidents' CIs: %w", err)
	}
	return out, nil
}
