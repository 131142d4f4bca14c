package reconcile

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// normalize returns a copy of o with identifiers and fields in canonical form;
// invalid values are dropped with a log line. An observation with a stable
// key gets its SOURCE_KEY identifier (discovery.SourceKey of the run's
// actor and its key) here.
func (r *reconciler) normalize(o *discovery.Observation) *discovery.Observation {
	n := *o
	n.Identifiers = nil
	seen := map[discovery.Identifier]bool{}
	var notID []discovery.Identifier
	add := func(k ident.Kind, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		nv, err := ident.Normalize(k, v)
		if err != nil {
			if reason, bad := identity.NotIdentity(k, v); bad {
				// A placeholder internal/ident refuses: still a fact.
				nv, err = strings.TrimSpace(v), nil
				r.logf("%s: %s %s kept as a fact, not an identifier: %s", o.Key, k, nv, reason)
				notID = appendNew(notID, discovery.Identifier{Kind: k, Value: nv})
				return
			}
			r.logf("%s: dropped %s identifier: %v", o.Key, k, err)
			return
		}
		id := discovery.Identifier{Kind: k, Value: nv}
		if seen[id] {
			return
		}
		seen[id] = true
		if reason, bad := identity.NotIdentity(k, nv); bad {
			// Kept as a fact, never matched on nor stored as an identifier.
			notID = appendNew(notID, id)
			r.logf("%s: %s %s kept as a fact, not an identifier: %s", o.Key, k, nv, reason)
			return
		}
		n.Identifiers = append(n.Identifiers, id)
	}
	if o.StableKey {
		// The source's own stable name, namespaced by this job: the
		// strongest identifier, so a re-run finds what it created even
		// when nothing else names the thing.
		add(ident.SourceKey, discovery.SourceKey(r.o.Actor, o.Key))
	}
	for _, id := range o.Identifiers {
		if id.Kind == ident.SourceKey {
			continue // only the line above makes one (Check refuses them)
		}
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
				if _, bad := identity.NotIdentity(k, v); bad {
					add(k, v) // kept as a fact
				} else {
					r.logf("%s: dropped field %s: %v", o.Key, f, err)
				}
				continue
			}
			v = nv
			add(k, nv)
			if _, bad := identity.NotIdentity(k, nv); bad {
				// A placeholder serial or localhost is no value for the
				// record's field either (the field is an identifier too).
				continue
			}
		}
		n.Fields[f] = v
	}
	if len(notID) > 0 {
		n.Facts = notIdentityFacts(o.Facts, notID)
	}
	return &n
}

// notIdentityFacts returns a copy of facts with the values that are not
// identity (identity.NotIdentity) added as facts "not_identity.<kind>"
// (lower case: "not_identity.mac"), each the kind's values sorted and
// joined by a space, so that a VRRP MAC or a placeholder serial is still
// seen on the record without ever naming the CI.
func notIdentityFacts(facts map[string]string, ids []discovery.Identifier) map[string]string {
	byKind := map[string][]string{}
	for _, id := range ids {
		k := identity.NotIdentityFact(id.Kind)
		byKind[k] = append(byKind[k], id.Value)
	}
	out := make(map[string]string, len(facts)+len(byKind))
	for k, v := range facts {
		out[k] = v
	}
	for k, vs := range byKind {
		sort.Strings(vs)
		out[k] = strings.Join(vs, " ")
	}
	return out
}

func appendNew(ids []discovery.Identifier, id discovery.Identifier) []discovery.Identifier {
	for _, have := range ids {
		if have == id {
			return ids
		}
	}
	return append(ids, id)
}

// loadIndex loads every stored identifier, with its scope, into the
// matcher's index; sizeHint is about how many rows to expect (a run sees
// most of the CIs it knows, each with a few identifiers).
func (r *reconciler) loadIndex(ctx context.Context, sizeHint int) error {
	// A plain scan: this reads every identifier (several per CI), and ent's
	// reflective Scan costs more than the query.
	rows, err := r.c.QueryContext(ctx, "SELECT "+identifier.FieldKind+", "+identifier.FieldValue+", "+
		identifier.FieldScope+", "+identifier.FieldConfigurationItemID+" FROM "+identifier.Table)
	if err != nil {
		return fmt.Errorf("loading the identifier index: %w", err)
	}
	defer rows.Close()
	r.idx = identity.NewIndex(max(sizeHint, 1024))
	var kind, value string
	var scope sql.NullString
	var ci int
	for rows.Next() {
		if err := rows.Scan(&kind, &value, &scope, &ci); err != nil {
			return fmt.Errorf("loading the identifier index: %w", err)
		}
		r.idx.Add(ci, ident.Kind(kind), value, scope.String)
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

// identify decides which CIs the observation names through the one matcher
// (identity.Index.Decide): the strongest identifier kind that names any CI
// decides, within the domain rule (an observation whose FQDN is in another
// domain than a CI's names a different host) and the job's network scope
// for private addresses. An IP counts only when it names exactly one CI.
// The returned IDs are a copy when several; by is the identifier that
// decided, "KIND value".
func (r *reconciler) identify(o *discovery.Observation) (cands []int, kind ident.Kind, by string) {
	r.cands = r.cands[:0]
	for _, id := range o.Identifiers {
		r.cands = identity.Expand(r.cands, id.Kind, id.Value)
	}
	res := r.idx.Decide(identity.Input{Candidates: r.cands, Scope: r.scope}, &r.scratch)
	switch {
	case !res.Matched():
		return nil, "", ""
	case res.By == ident.IP && res.Ambiguous():
		return nil, "", ""
	case res.Ambiguous():
		return append([]int(nil), res.IDs...), res.By, ""
	}
	return []int{res.IDs[0]}, res.By, string(res.By) + " " + res.Value
}

// match identifies every observation: full observations first, then
// reference ones (discovery.Observation.Reference), so that a thing seen
// both in full and through another observation is the full observation's.
// A reference that names a CI another observation claimed is an alias of
// it (refs, with the edges it anchors), not a duplicate.
func (r *reconciler) match(ctx context.Context, obs []*discovery.Observation) (full, refs []matched, unmatched []*discovery.Observation, amb []ambiguousObs, err error) {
	type pending struct {
		obs  *discovery.Observation
		id   int
		kind ident.Kind
		by   string
	}
	var pend []pending
	claimed := map[int]string{}
	adopt, err := r.adoptable(ctx, obs)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ordered := make([]*discovery.Observation, 0, len(obs))
	for _, o := range obs {
		if !o.Reference {
			ordered = append(ordered, o)
		}
	}
	for _, o := range obs {
		if o.Reference {
			ordered = append(ordered, o)
		}
	}
	for _, o := range ordered {
		cands, kind, by := r.identify(o)
		if len(cands) == 0 && !o.Reference {
			if id, ok := adopt[o.Name]; ok {
				cands, kind, by = []int{id}, ident.SourceKey, "name, adopted by the job's source key"
			}
		}
		switch len(cands) {
		case 0:
			unmatched = append(unmatched, o)
		case 1:
			if prev, dup := claimed[cands[0]]; dup {
				if o.Reference {
					pend = append(pend, pending{o, cands[0], kind, by})
					continue
				}
				r.logf("%s: names the same CI as %s; skipped", o.Key, prev)
				continue
			}
			claimed[cands[0]] = o.Key
			pend = append(pend, pending{o, cands[0], kind, by})
		default:
			amb = append(amb, ambiguousObs{o, cands, kind})
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
			return nil, nil, nil, nil, fmt.Errorf("loading matched CIs: %w", err)
		}
		for _, ci := range rows {
			cis[ci.ID] = ci
		}
	}
	full = make([]matched, 0, len(pend))
	for _, p := range pend {
		ci, ok := cis[p.id]
		if !ok {
			unmatched = append(unmatched, p.obs)
			continue
		}
		r.cis[ci.ID] = ci
		m := matched{obs: p.obs, ci: ci, matchedBy: string(p.kind)}
		if p.obs.Reference {
			if _, ok := r.matchedBy[ci.ID]; !ok {
				r.matchedBy[ci.ID] = matchedBy{kind: p.kind, by: p.by}
			}
			refs = append(refs, m)
			continue
		}
		r.matchedBy[ci.ID] = matchedBy{kind: p.kind, by: p.by}
		full = append(full, m)
	}
	r.out.Counts.Matched = len(full) + len(refs)
	r.out.Counts.Ambiguous = len(amb)
	return full, refs, unmatched, amb, nil
}

// reference handles a reference observation that matched a CI: none of its
// fields or facts are applied, only an empty name is filled (audited).
func (r *reconciler) reference(ctx context.Context, m matched) error {
	name := strings.TrimSpace(m.obs.Name)
	if m.ci.Name != "" || name == "" {
		return nil
	}
	name = textclip.Bytes(name, 255)
	prov := make(map[string]schematype.Provenance, len(m.ci.Provenance)+1)
	for k, v := range m.ci.Provenance {
		prov[k] = v
	}
	prov["name"] = schematype.Provenance{By: r.o.Actor, At: r.o.Now, Priority: r.o.Priority}
	if err := r.c.ConfigurationItem.UpdateOneID(m.ci.ID).SetName(name).SetProvenance(prov).Exec(ctx); err != nil {
		return fmt.Errorf("naming CI %d from %s: %w", m.ci.ID, m.obs.Key, err)
	}
	m.ci.Name = name
	r.out.Counts.Filled++
	r.change(schematype.PlannedChange{Action: ActFill, CI: m.ci.ID, ObservationKey: m.obs.Key, Field: "name", After: name})
	return nil
}

// adoptable maps, for the observations with stable keys of a job, the
// names of the CIs this job has sighted and that hold no source key yet to
// their IDs: CIs it recorded before source keys existed. An observation
// with a stable key that matches nothing else adopts the CI of its name
// (when exactly one), so the first run after the upgrade records the key
// on it instead of creating the thing again and marking it missing. One
// statement, and none for a one-off run or a source without stable keys.
func (r *reconciler) adoptable(ctx context.Context, obs []*discovery.Observation) (map[string]int, error) {
	if r.o.JobID == 0 {
		return nil, nil
	}
	names := map[string]bool{}
	for _, o := range obs {
		if o.StableKey && o.Name != "" {
			names[o.Name] = true
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	cis, err := r.c.ConfigurationItem.Query().
		Where(configurationitem.HasSightingsWith(sighting.DiscoveryJobID(r.o.JobID)),
			configurationitem.Not(configurationitem.HasIdentifiersWith(identifier.KindEQ(identifier.KindSourceKey)))).
		Select(configurationitem.FieldID, configurationitem.FieldName).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the job's CIs without a source key: %w", err)
	}
	out := map[string]int{}
	seen := map[string]int{}
	for _, ci := range cis {
		if names[ci.Name] {
			out[ci.Name] = ci.ID
			seen[ci.Name]++
		}
	}
	for name, n := range seen {
		if n > 1 {
			delete(out, name) // several of that name: not sure which
		}
	}
	return out, nil
}

// addIdentifiers records observed identifiers the CI does not have yet
// (fills, audited, source discovery:<job>). A private address is recorded
// in the job's network scope (identity.AddressScope), a public one globally.
func (r *reconciler) addIdentifiers(ctx context.Context, ciID int, o *discovery.Observation) error {
	for _, id := range o.Identifiers {
		if id.Kind == ident.Hostname || id.Kind == ident.FQDN || id.Kind == ident.Serial {
			continue // mirrored from the CI's own fields
		}
		scope := ""
		if id.Kind == ident.IP {
			scope = identity.AddressScope(id.Value, r.scope)
		}
		if r.idx.Holds(ciID, id.Kind, id.Value, scope) {
			continue
		}
		if other, ok := r.heldElsewhere(ciID, id.Kind, id.Value); ok {
			// One row per (CI, kind, value): the CI keeps the address in the
			// scope it was recorded in (a person or another job said so).
			r.logf("%s: CI %d holds %s %s in scope %q, not the job's %q; left as it is",
				o.Key, ciID, id.Kind, id.Value, other, scope)
			continue
		}
		cr := r.c.Identifier.Create().SetConfigurationItemID(ciID).SetKind(identifier.Kind(id.Kind)).
			SetValue(id.Value).SetSource(r.o.Actor)
		if scope != "" {
			cr.SetScope(scope)
		}
		if err := cr.Exec(ctx); err != nil {
			return fmt.Errorf("recording %s identifier %q of CI %d: %w", id.Kind, id.Value, ciID, err)
		}
		r.idx.Add(ciID, id.Kind, id.Value, scope)
		r.out.Counts.Filled++
		after := id.Value
		if scope != "" {
			after += " (scope " + scope + ")"
		}
		r.change(schematype.PlannedChange{Action: ActFill, CI: ciID, Field: "identifier." + string(id.Kind), After: after})
	}
	return nil
}

// heldElsewhere reports whether CI ciID holds (kind, value) in another
// scope than the one being added, and which.
func (r *reconciler) heldElsewhere(ciID int, kind ident.Kind, value string) (string, bool) {
	if kind != ident.IP {
		return "", false
	}
	r.rowBuf = r.idx.Rows(identity.Input{Candidates: append(r.cands[:0], identity.Candidate{Kind: kind, Value: value})}, r.rowBuf[:0])
	for _, row := range r.rowBuf {
		if row.CI == ciID && row.Kind == kind && row.Value == value {
			return row.Scope, true
		}
	}
	return "", false
}

// observationIdentity is the identity of a drift without a CI: the
// observation's strongest identifier, "KIND:value", or its key.
func observationIdentity(o *discovery.Observation) string {
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
	key := driftKey{kind: drift.KindAmbiguous, field: observationIdentity(o)}
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
	idn := observationIdentity(o)
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
		SetName(textclip.Bytes(name, 255)).
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
			cr.SetName(textclip.Bytes(v, 255))
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
	// The identifiers the hooks derive from the CI's own fields, so that a
	// later observation of this run names the new CI.
	for f, k := range map[string]ident.Kind{"hostname": ident.Hostname, "fqdn": ident.FQDN, "serial_number": ident.Serial} {
		if v := o.Fields[f]; v != "" {
			r.idx.Add(ci.ID, k, v, "")
		}
	}
	r.change(schematype.PlannedChange{Action: ActCreate, CI: ci.ID, ObservationKey: o.Key, After: name})
	if err := r.addIdentifiers(ctx, ci.ID, o); err != nil {
		return 0, err
	}
	// The new CI carries an unregistered drift so that someone reviews it.
	r.openOrTouch(ci, "", driftKey{ci: ci.ID, kind: drift.KindUnregistered}, "", summary(o), o.Key, idn)
	return ci.ID, nil
}
