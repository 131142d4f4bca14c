package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

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
		var got []struct {
			CI        int     `json:"configuration_item_id"`
			MatchedBy *string `json:"matched_by"`
		}
		err := r.c.Sighting.Query().
			Where(sighting.DiscoveryJobID(r.o.JobID), sighting.ConfigurationItemIDIn(ids...)).
			Select(sighting.FieldConfigurationItemID, sighting.FieldMatchedBy).Scan(ctx, &got)
		if err != nil {
			return fmt.Errorf("loading sightings: %w", err)
		}
		for _, g := range got {
			r.seenBefore[g.CI] = true
			if m, ok := r.matchedBy[g.CI]; ok && (g.MatchedBy == nil || m.by != *g.MatchedBy) {
				r.sightingBy = append(r.sightingBy, g.CI)
			}
		}
	}
	return r.loadJobIdentifiers(ctx, ms)
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

// ciPass is the state of reconciling one observation against its matched CI:
// the record's values as they are being changed, the pending update, and the
// differences found.
type ciPass struct {
	m     matched
	ci    *ent.ConfigurationItem
	o     *discovery.Observation
	prov  map[string]schematype.Provenance
	facts map[string]any
	// mine is this job's provenance stamp.
	mine schematype.Provenance
	upd  *ent.ConfigurationItemUpdateOne
	// dirty: the CI row changes; factsDirty: its facts do; updated: a
	// difference was written over (update mode).
	dirty, factsDirty, updated bool
	diffs                      []fieldDiff
	// covered are the fields and facts ("facts.k") the observation speaks for.
	covered map[string]bool
	// release are the IDs of identifier rows this job recorded that the
	// observation no longer shows and update mode removes.
	release []int
}

// reconcileCI compares one matched observation with its CI: fills empty
// values, turns differences into drifts or (update mode) accepted updates,
// resolves drifts the observation agrees with, revives a CI this job retired,
// and writes the CI and its new identifiers.
func (r *reconciler) reconcileCI(ctx context.Context, m matched) error {
	// p stays on this goroutine's stack (a value, its address never kept):
	// one pass per matched observation, 100,000 in a normal run.
	p := r.newCIPass(m)
	r.compareFields(&p)
	r.compareFacts(&p)
	r.factsGone(&p)
	r.identifiersGone(&p)
	if err := r.applyDiffs(ctx, &p); err != nil {
		return err
	}
	r.coverSettledFacts(&p)
	r.resolveAgreed(&p)
	r.revive(&p)
	if err := r.writeCI(ctx, &p); err != nil {
		return err
	}
	if err := r.releaseIdentifiers(ctx, &p); err != nil {
		return err
	}
	return r.addIdentifiers(ctx, p.ci.ID, p.o)
}

func (r *reconciler) newCIPass(m matched) ciPass {
	ci, o := m.ci, m.obs
	prov := make(map[string]schematype.Provenance, len(ci.Provenance)+4)
	for k, v := range ci.Provenance {
		prov[k] = v
	}
	facts := make(map[string]any, len(ci.Facts)+len(o.Facts))
	for k, v := range ci.Facts {
		facts[k] = v
	}
	return ciPass{
		m: m, ci: ci, o: o, prov: prov, facts: facts,
		mine:    schematype.Provenance{By: r.o.Actor, At: r.o.Now, Priority: r.o.Priority},
		upd:     r.c.ConfigurationItem.UpdateOneID(ci.ID),
		covered: make(map[string]bool, len(o.Fields)+len(o.Facts)),
	}
}

// compareFields fills empty CI fields and collects the differing ones.
func (r *reconciler) compareFields(p *ciPass) {
	fields := make([]string, 0, len(p.o.Fields))
	for f := range p.o.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v := p.o.Fields[f]
		p.covered[f] = true
		rec := recordField(p.ci, f)
		switch {
		case rec == v:
		case rec == "":
			setField(p.upd, f, v)
			p.prov[f] = withPriority(p.mine, r.priorityFor(f))
			p.dirty = true
			r.out.Counts.Filled++
			r.change(schematype.PlannedChange{Action: ActFill, CI: p.ci.ID, Field: f, After: v, MatchedBy: p.m.matchedBy})
		default:
			p.diffs = append(p.diffs, fieldDiff{f, rec, v})
		}
	}
}

// compareFacts fills facts the CI lacks (unless a new key under a complete
// prefix is a change) and collects the differing ones.
func (r *reconciler) compareFacts(p *ciPass) {
	keys := make([]string, 0, len(p.o.Facts))
	for k := range p.o.Facts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := p.o.Facts[k]
		f := "facts." + k
		p.covered[f] = true
		recV, has := p.ci.Facts[k]
		rec := factString(recV)
		switch {
		case has && rec == v:
		case !has && !(r.completePrefix(p.o, k) && r.priorObserved(p.ci, p.o, k)):
			p.facts[k] = v
			p.prov[f] = withPriority(p.mine, r.priorityFor(f))
			p.factsDirty = true
			r.out.Counts.Filled++
			r.change(schematype.PlannedChange{Action: ActFill, CI: p.ci.ID, Field: f, After: v, MatchedBy: p.m.matchedBy})
		default:
			p.diffs = append(p.diffs, fieldDiff{f, rec, v})
		}
	}
}

// factsGone collects facts gone from a prefix the observation reports in
// full. A fact another discovery job set is that job's to report gone: two
// sources that both speak for "net." (ssh with addresses, node_exporter
// without) must not undo each other on every run.
func (r *reconciler) factsGone(p *ciPass) {
	if len(p.o.CompleteFacts) == 0 {
		return
	}
	gone := []string{}
	for k := range p.ci.Facts {
		if _, ok := p.o.Facts[k]; ok {
			continue
		}
		if pv, ok := p.ci.Provenance["facts."+k]; ok && pv.By != r.o.Actor && strings.HasPrefix(pv.By, "discovery:") {
			continue
		}
		if r.completePrefix(p.o, k) {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		p.covered["facts."+k] = true
		p.diffs = append(p.diffs, fieldDiff{"facts." + k, factString(p.ci.Facts[k]), ""})
	}
}

// applyDiffs writes each difference over the record where update mode and
// precedence allow (recording the drift as accepted), and otherwise opens or
// re-detects its drift.
func (r *reconciler) applyDiffs(ctx context.Context, p *ciPass) error {
	for _, d := range p.diffs {
		key := driftKey{ci: p.ci.ID, kind: drift.KindAttributeChanged, field: d.field}
		if r.o.Mode == ModeUpdate {
			ok, err := r.mayOverwrite(ctx, p.ci.ID, d.field, p.prov)
			if err != nil {
				return err
			}
			if ok {
				r.acceptDiff(p, d, key)
				continue
			}
		}
		r.openOrTouch(p.ci, "", key, d.recorded, d.observ, p.o.Key, "")
	}
	return nil
}

// acceptDiff takes the observed value of d (update mode) and records the
// drift as accepted.
func (r *reconciler) acceptDiff(p *ciPass, d fieldDiff, key driftKey) {
	if kind, isID := identifierField(d.field); isID {
		// Released below (releaseIdentifiers); identifiers carry their
		// source in their own row, not in the CI's provenance.
		for _, row := range r.jobIdents[p.ci.ID] {
			if ident.Kind(row.Kind) == kind && slices.Contains(strings.Fields(d.recorded), row.Value) {
				p.release = append(p.release, row.ID)
			}
		}
	} else if k, isFact := strings.CutPrefix(d.field, "facts."); isFact {
		if d.observ == "" {
			delete(p.facts, k)
		} else {
			p.facts[k] = d.observ
		}
		p.factsDirty = true
		p.prov[d.field] = withPriority(p.mine, r.priorityFor(d.field))
	} else {
		setField(p.upd, d.field, d.observ)
		p.dirty = true
		p.prov[d.field] = withPriority(p.mine, r.priorityFor(d.field))
	}
	p.updated = true
	r.change(schematype.PlannedChange{Action: ActUpdate, CI: p.ci.ID, Field: d.field, Before: d.recorded, After: d.observ, MatchedBy: p.m.matchedBy})
	if ex := r.open[key]; ex != nil {
		r.refresh(ex, d.recorded, d.observ)
		r.resolveAs(ex, drift.StatusAccepted)
	} else {
		r.addDrift(p.ci, key, d.recorded, d.observ, drift.StatusAccepted, p.o.Key, "")
	}
}

// coverSettledFacts: facts under a complete prefix that neither the record
// nor the observation has agree too: a port that opened and closed again.
func (r *reconciler) coverSettledFacts(p *ciPass) {
	if !r.o.Complete || len(p.o.CompleteFacts) == 0 {
		return
	}
	for _, d := range r.openByCI[p.ci.ID] {
		if d.Kind != drift.KindAttributeChanged || d.FieldName == nil {
			continue
		}
		k, isFact := strings.CutPrefix(*d.FieldName, "facts.")
		if !isFact || !r.completePrefix(p.o, k) {
			continue
		}
		_, observed := p.o.Facts[k]
		_, recorded := p.ci.Facts[k]
		if !observed && !recorded {
			p.covered[*d.FieldName] = true
		}
	}
}

// resolveAgreed: agreement resolves drifts on the fields this observation
// covers — drifts this source saw: another source agreeing with the record
// does not mean the reality the first one saw has changed.
func (r *reconciler) resolveAgreed(p *ciPass) {
	if !r.o.Complete {
		return
	}
	for f := range p.covered {
		key := driftKey{ci: p.ci.ID, kind: drift.KindAttributeChanged, field: f}
		if ex := r.open[key]; ex != nil && !r.touched[ex.ID] && r.sawIt(ex) {
			r.resolveAs(ex, drift.StatusResolved)
		}
	}
	// Only this job's missing drift: another job that cannot see the
	// CI keeps its own.
	if ex := r.open[r.missingKey(p.ci.ID)]; ex != nil {
		r.resolveAs(ex, drift.StatusResolved)
	}
}

// writeCI counts the outcome for the CI and writes its row when it changed.
func (r *reconciler) writeCI(ctx context.Context, p *ciPass) error {
	if p.factsDirty {
		p.upd.SetFacts(p.facts)
		p.dirty = true
	}
	if p.updated {
		r.out.Counts.Updated++
	}
	if !p.dirty && len(p.diffs) == 0 {
		r.out.Counts.Unchanged++
	}
	if !p.dirty {
		return nil
	}
	p.upd.SetProvenance(p.prov)
	if err := p.upd.Exec(ctx); err != nil {
		return fmt.Errorf("updating CI %d (%s) from %s: %w", p.ci.ID, p.ci.Name, p.o.Key, err)
	}
	return nil
}

func withPriority(p schematype.Provenance, prio int) schematype.Provenance {
	p.Priority = prio
	return p
}

func (r *reconciler) completePrefix(o *discovery.Observation, key string) bool {
	for _, p := range o.CompleteFacts {
		if strings.HasPrefix(p, IdentifierClaim) {
			continue // an identifier kind, not facts
		}
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
		if strings.HasPrefix(p, IdentifierClaim) {
			continue
		}
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

// IdentifierClaim prefixes an entry of Observation.CompleteFacts that
// claims an identifier kind in full rather than facts: "identifier.MAC"
// says the observation carries every MAC address of the thing (an SNMP
// walk of the whole interface table; not nmap, which sees at most the
// address of the interface it reached). A MAC address this job recorded on
// the CI that such an observation no longer shows is released through an
// ATTRIBUTE_CHANGED drift on the field "identifier.MAC" (recorded: the
// released values, observed: the values seen now, each sorted and joined
// by a space): report mode keeps it until the drift is accepted, update
// mode removes it (audited) and records the drift as accepted. Only
// identifier rows whose source is this job ("discovery:<job>") are ever
// released: what a person, an import or another job recorded stays. Kinds
// mirrored from the CI's own columns (HOSTNAME, FQDN, SERIAL, ASSET_TAG)
// change through their field instead and are not claimed this way; a
// partial run and a one-off run (no job) release nothing.
const IdentifierClaim = "identifier."

// identifierField reports whether a drift field names an identifier kind
// ("identifier.MAC"), and which.
func identifierField(field string) (ident.Kind, bool) {
	k, ok := strings.CutPrefix(field, IdentifierClaim)
	if !ok || !ident.Kind(k).Valid() {
		return "", false
	}
	return ident.Kind(k), true
}

// claimedKinds returns the identifier kinds o reports in full
// (IdentifierClaim), without the kinds mirrored from the CI's columns.
func claimedKinds(o *discovery.Observation) []ident.Kind {
	var out []ident.Kind
	for _, p := range o.CompleteFacts {
		k, ok := identifierField(p)
		if !ok || slices.Contains(out, k) {
			continue
		}
		switch k {
		case ident.Hostname, ident.FQDN, ident.Serial, ident.AssetTag:
			continue
		}
		out = append(out, k)
	}
	return out
}

// loadJobIdentifiers loads, for the matched CIs whose observations claim
// identifier kinds in full, the identifier rows of those kinds this job
// recorded (source Actor). Only a complete run of a job releases any.
func (r *reconciler) loadJobIdentifiers(ctx context.Context, ms []matched) error {
	r.jobIdents = map[int][]*ent.Identifier{}
	if !r.o.Complete || r.o.JobID == 0 {
		return nil
	}
	var ids []int
	var kinds []identifier.Kind
	for _, m := range ms {
		ks := claimedKinds(m.obs)
		if len(ks) == 0 {
			continue
		}
		ids = append(ids, m.ci.ID)
		for _, k := range ks {
			if !slices.Contains(kinds, identifier.Kind(k)) {
				kinds = append(kinds, identifier.Kind(k))
			}
		}
	}
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		rows, err := r.c.Identifier.Query().Where(identifier.ConfigurationItemIDIn(ids[start:end]...),
			identifier.Source(r.o.Actor), identifier.KindIn(kinds...)).Order(ent.Asc(identifier.FieldID)).All(ctx)
		if err != nil {
			return fmt.Errorf("loading the identifiers %s recorded: %w", r.o.Actor, err)
		}
		for _, row := range rows {
			r.jobIdents[row.ConfigurationItemID] = append(r.jobIdents[row.ConfigurationItemID], row)
		}
	}
	return nil
}

// identifiersGone collects, per identifier kind the observation claims in
// full, the values this job recorded on the CI that it no longer shows, as
// one difference on the field "identifier.<KIND>" (see IdentifierClaim).
// A claimed kind with nothing gone is covered: its drift resolves.
func (r *reconciler) identifiersGone(p *ciPass) {
	if !r.o.Complete || r.o.JobID == 0 {
		return
	}
	for _, k := range claimedKinds(p.o) {
		field := IdentifierClaim + string(k)
		p.covered[field] = true
		var seen, gone []string
		for _, id := range p.o.Identifiers {
			if id.Kind == k {
				seen = append(seen, id.Value)
			}
		}
		for _, row := range r.jobIdents[p.ci.ID] {
			if ident.Kind(row.Kind) == k && !slices.Contains(seen, row.Value) && !slices.Contains(gone, row.Value) {
				gone = append(gone, row.Value)
			}
		}
		if len(gone) == 0 {
			continue
		}
		sort.Strings(seen)
		sort.Strings(gone)
		p.diffs = append(p.diffs, fieldDiff{field, strings.Join(gone, " "), strings.Join(seen, " ")})
	}
}

// releaseIdentifiers removes (audited, through the hooks) the identifier
// rows update mode released from the CI.
func (r *reconciler) releaseIdentifiers(ctx context.Context, p *ciPass) error {
	if len(p.release) == 0 {
		return nil
	}
	if _, err := r.c.Identifier.Delete().Where(identifier.IDIn(p.release...)).Exec(ctx); err != nil {
		return fmt.Errorf("releasing identifiers of CI %d: %w", p.ci.ID, err)
	}
	return nil
}
