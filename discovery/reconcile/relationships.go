package reconcile

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/relationships"
)

type edgeKey struct {
	from, to int
	typ      string
}

// recordedEdge is what the record holds of one edge.
type recordedEdge struct {
	id     int
	source string
	attrs  map[string]string
}

// edges are the relationships of one run: observed between observations
// that resolve to CIs, and recorded from the CIs the run saw.
type edges struct {
	// observed are the observed edges with the attributes the
	// observation gives (nil when none).
	observed map[edgeKey]map[string]string
	// types are the relationship types the run reports.
	types map[string]bool
	// fromIDs are the CIs with an observed edge from a full (not
	// reference) observation: the CIs whose edges the run answers for.
	fromIDs  map[int]bool
	recorded map[edgeKey]*recordedEdge
	// hasType: the CI (from) has a recorded edge of the type.
	hasType map[[2]any]bool
	// seen are the CIs the run saw, references included.
	seen map[int]bool
}

// relationships reconciles observed edges between observations that resolve
// to CIs (reference observations included: they anchor the edges to a
// neighbour): a missing edge is created (fill) when the CI has none of that
// type, otherwise it is drift (report) or created and accepted (update). An
// edge that exists has its observed attributes compared: an empty recorded
// one is filled, a different one is drift on "relationship.TYPE.ID.ATTR"
// (report) or written and accepted (update). On complete runs, a recorded
// edge of a type the run reports, from a CI whose edges the run observed,
// that was not observed is drift when the run saw the CI at its other end
// or this job asserted the edge; in update mode an edge this job asserted
// is deleted and its drift accepted (a VM that moved to another host).
// refOnly are the CIs only reference observations named: their own edges
// are never concluded unobserved.
func (r *reconciler) relationships(ctx context.Context, obs []*discovery.Observation, byKey map[string]int, refOnly map[int]bool) error {
	e := observedEdges(obs, byKey, refOnly)
	if len(e.types) == 0 {
		return nil
	}
	if err := r.loadRecordedEdges(ctx, e, byKey); err != nil {
		return err
	}
	for _, k := range e.sortedObserved() {
		if rec := e.recorded[k]; rec != nil {
			if err := r.edgeAttributes(ctx, k, rec, e.observed[k]); err != nil {
				return err
			}
			continue
		}
		if err := r.observedEdge(ctx, e, k); err != nil {
			return err
		}
	}
	if !r.o.Complete {
		return nil
	}
	if err := r.unobservedEdges(ctx, e); err != nil {
		return err
	}
	r.resolveAgreedEdges(e)
	return nil
}

// observedEdges collects the edges the observations report between CIs of
// this run. An edge from a CI to itself is left out: a CI cannot depend on
// itself. When two observations report the same edge, the attributes of
// the first that gives any are kept.
func observedEdges(obs []*discovery.Observation, byKey map[string]int, refOnly map[int]bool) *edges {
	e := &edges{observed: map[edgeKey]map[string]string{}, types: map[string]bool{}, fromIDs: map[int]bool{}}
	for _, o := range obs {
		from, ok := byKey[o.Key]
		if !ok {
			continue
		}
		for _, rel := range o.Relationships {
			to, ok := byKey[rel.To]
			if !ok || relationships.CheckEnds(from, to) != nil {
				continue
			}
			k := edgeKey{from, to, rel.Type}
			if have, dup := e.observed[k]; !dup || (have == nil && len(rel.Attributes) > 0) {
				var attrs map[string]string
				if len(rel.Attributes) > 0 {
					attrs = maps.Clone(rel.Attributes)
				}
				e.observed[k] = attrs
			}
			e.types[rel.Type] = true
			if !o.Reference && !refOnly[from] {
				e.fromIDs[from] = true
			}
		}
	}
	return e
}

// loadRecordedEdges loads the recorded edges from every CI the run saw.
func (r *reconciler) loadRecordedEdges(ctx context.Context, e *edges, byKey map[string]int) error {
	ids := make([]int, 0, len(byKey))
	for _, id := range byKey {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	ids = compactInts(ids)
	e.recorded, e.hasType = map[edgeKey]*recordedEdge{}, map[[2]any]bool{}
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		rels, err := r.c.Relationship.Query().Where(relationship.FromIDIn(ids[start:end]...)).
			Select(relationship.FieldFromID, relationship.FieldToID, relationship.FieldType,
				relationship.FieldSource, relationship.FieldAttributes).All(ctx)
		if err != nil {
			return fmt.Errorf("loading relationships: %w", err)
		}
		for _, rel := range rels {
			e.recorded[edgeKey{rel.FromID, rel.ToID, string(rel.Type)}] = &recordedEdge{id: rel.ID, source: rel.Source, attrs: rel.Attributes}
			e.hasType[[2]any{rel.FromID, string(rel.Type)}] = true
		}
	}
	e.seen = make(map[int]bool, len(ids))
	for _, id := range ids {
		e.seen[id] = true
	}
	return nil
}

// compactInts drops repeated values of a sorted slice.
func compactInts(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// sortedObserved returns the observed edges by from, to and type.
func (e *edges) sortedObserved() []edgeKey {
	keys := make([]edgeKey, 0, len(e.observed))
	for k := range e.observed {
		keys = append(keys, k)
	}
	sortEdgeKeys(keys)
	return keys
}

func sortEdgeKeys(keys []edgeKey) {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].from != keys[j].from {
			return keys[i].from < keys[j].from
		}
		if keys[i].to != keys[j].to {
			return keys[i].to < keys[j].to
		}
		return keys[i].typ < keys[j].typ
	})
}

// observedEdge handles an observed edge the record lacks: created (with its
// attributes) as a fill when the CI has no edge of its type, created and
// accepted in update mode, drift otherwise.
func (r *reconciler) observedEdge(ctx context.Context, e *edges, k edgeKey) error {
	field := discovery.RelationshipFieldName(k.typ, k.to)
	dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
	fill := !e.hasType[[2]any{k.from, k.typ}]
	if !fill && r.o.Mode != ModeUpdate {
		r.openOrTouch(r.ciByID(k.from), "", dk, "absent", "present", "", "")
		return nil
	}
	cr := r.c.Relationship.Create().SetFromID(k.from).SetToID(k.to).
		SetType(relationship.Type(k.typ)).SetSource(r.o.Actor)
	if attrs := e.observed[k]; len(attrs) > 0 {
		cr.SetAttributes(attrs)
	}
	if err := cr.Exec(ctx); err != nil {
		return fmt.Errorf("recording relationship %s from CI %d to CI %d: %w", k.typ, k.from, k.to, err)
	}
	ex := r.open[dk]
	if fill {
		r.out.Counts.Filled++
		r.change(schematype.PlannedChange{Action: ActFill, CI: k.from, Field: field, After: "present"})
		if ex != nil && r.o.Complete {
			r.resolveAs(ex, drift.StatusResolved) // the record now agrees
		}
		return nil
	}
	r.out.Counts.Updated++
	r.change(schematype.PlannedChange{Action: ActUpdate, CI: k.from, Field: field, Before: "absent", After: "present"})
	if ex != nil {
		r.refresh(ex, "absent", "present")
		r.resolveAs(ex, drift.StatusAccepted)
	} else {
		r.addDrift(r.ciByID(k.from), dk, "absent", "present", drift.StatusAccepted, "", "")
	}
	return nil
}

// edgeAttributes compares the attributes an observation gives of an edge
// the record holds (only the keys it gives; a recorded key it lacks is left
// alone): an empty recorded value is filled; a different one is drift on
// "relationship.TYPE.ID.ATTR" in report mode, written (audited) and
// accepted in update mode; agreement resolves an open attribute drift on a
// complete run. The edge's attributes are written once, in one update.
func (r *reconciler) edgeAttributes(ctx context.Context, k edgeKey, rec *recordedEdge, obs map[string]string) error {
	if len(obs) == 0 {
		return nil
	}
	keys := make([]string, 0, len(obs))
	for a := range obs {
		keys = append(keys, a)
	}
	sort.Strings(keys)
	var next map[string]string
	set := func(a, v string) {
		if next == nil {
			next = maps.Clone(rec.attrs)
			if next == nil {
				next = map[string]string{}
			}
		}
		next[a] = v
	}
	for _, a := range keys {
		want, have := obs[a], rec.attrs[a]
		field := discovery.RelationshipAttributeFieldName(k.typ, k.to, a)
		dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
		ex := r.open[dk]
		switch {
		case want == have:
			if ex != nil && r.o.Complete && !r.touched[ex.ID] {
				r.resolveAs(ex, drift.StatusResolved)
			}
		case have == "":
			set(a, want)
			r.out.Counts.Filled++
			r.change(schematype.PlannedChange{Action: ActFill, CI: k.from, Field: field, After: want})
			if ex != nil && r.o.Complete {
				r.resolveAs(ex, drift.StatusResolved)
			}
		case r.o.Mode != ModeUpdate:
			r.openOrTouch(r.ciByID(k.from), "", dk, have, want, "", "")
		default:
			set(a, want)
			r.out.Counts.Updated++
			r.change(schematype.PlannedChange{Action: ActUpdate, CI: k.from, Field: field, Before: have, After: want})
			if ex != nil {
				r.refresh(ex, have, want)
				r.resolveAs(ex, drift.StatusAccepted)
			} else {
				r.addDrift(r.ciByID(k.from), dk, have, want, drift.StatusAccepted, "", "")
			}
		}
	}
	if next == nil {
		return nil
	}
	if err := r.c.Relationship.UpdateOneID(rec.id).SetAttributes(next).Exec(ctx); err != nil {
		return fmt.Errorf("recording attributes of relationship %s from CI %d to CI %d: %w", k.typ, k.from, k.to, err)
	}
	rec.attrs = next
	return nil
}

// unobservedEdges: a recorded edge of a type the run reports, from a CI
// whose edges the run observed, that was not observed is drift when the run
// saw the CI at its other end, or when this job asserted the edge (it
// answers for the edges it recorded wherever they lead). In update mode an
// edge this job asserted is deleted (audited) and its drift accepted, so a
// VM that moved to another host runs on that one only. Each such edge gets
// a log line saying what the CI has of that type now ("CONNECTS_TO sw1 no
// longer observed; connects to sw2 (local_port Gi0/3) now").
func (r *reconciler) unobservedEdges(ctx context.Context, e *edges) error {
	var gone []edgeKey
	for k, rec := range e.recorded {
		if _, obs := e.observed[k]; obs || !e.types[k.typ] || !e.fromIDs[k.from] {
			continue
		}
		if (!e.seen[k.to] && rec.source != r.o.Actor) || r.spared[k.to] {
			// Not the run's to judge, or the CI at the other end was
			// named by an observation that could not tell it apart.
			continue
		}
		gone = append(gone, k)
	}
	if len(gone) == 0 {
		return nil
	}
	sortEdgeKeys(gone)
	names, err := r.ciNames(ctx, e, gone)
	if err != nil {
		return err
	}
	var del []int
	for _, k := range gone {
		rec := e.recorded[k]
		field := discovery.RelationshipFieldName(k.typ, k.to)
		dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
		r.logf("%s", movedText(e, k, names))
		if r.o.Mode != ModeUpdate || rec.source != r.o.Actor {
			r.openOrTouch(r.ciByID(k.from), "", dk, "present", "absent", "", "")
			continue
		}
		del = append(del, rec.id)
		r.out.Counts.Updated++
		r.change(schematype.PlannedChange{Action: ActUpdate, CI: k.from, Field: field, Before: "present", After: "absent"})
		if ex := r.open[dk]; ex != nil {
			r.refresh(ex, "present", "absent")
			r.resolveAs(ex, drift.StatusAccepted)
		} else {
			r.addDrift(r.ciByID(k.from), dk, "present", "absent", drift.StatusAccepted, "", "")
		}
		delete(e.recorded, k)
	}
	for start := 0; start < len(del); start += chunk {
		end := min(start+chunk, len(del))
		// Through the hooks: one audit event per deleted edge.
		if _, err := r.c.Relationship.Delete().Where(relationship.IDIn(del[start:end]...)).Exec(ctx); err != nil {
			return fmt.Errorf("removing relationships no longer observed: %w", err)
		}
	}
	return nil
}

// ciNames names the CIs at both ends of the unobserved edges and of the
// observed edges of the same CIs and types, for the log: from the CIs the
// run loaded, the rest in one query per chunk.
func (r *reconciler) ciNames(ctx context.Context, e *edges, gone []edgeKey) (map[int]string, error) {
	names := map[int]string{}
	var missing []int
	want := func(id int) {
		if _, ok := names[id]; ok {
			return
		}
		if ci := r.cis[id]; ci != nil {
			names[id] = ci.Name
			return
		}
		names[id] = ""
		missing = append(missing, id)
	}
	froms := map[[2]any]bool{}
	for _, k := range gone {
		want(k.from)
		want(k.to)
		froms[[2]any{k.from, k.typ}] = true
	}
	for k := range e.observed {
		if froms[[2]any{k.from, k.typ}] {
			want(k.to)
		}
	}
	sort.Ints(missing)
	for start := 0; start < len(missing); start += chunk {
		end := min(start+chunk, len(missing))
		cis, err := r.c.ConfigurationItem.Query().Where(configurationitem.IDIn(missing[start:end]...)).
			Select(configurationitem.FieldName).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("naming the ends of relationships no longer observed: %w", err)
		}
		for _, ci := range cis {
			names[ci.ID] = ci.Name
		}
	}
	return names, nil
}

// relationVerb is how a relationship type reads in a sentence.
func relationVerb(typ string) string {
	switch typ {
	case "DEPENDS_ON":
		return "depends on"
	case "RUNS_ON":
		return "runs on"
	case "HOSTED_ON":
		return "is hosted on"
	case "CONNECTS_TO":
		return "connects to"
	case "MEMBER_OF":
		return "is a member of"
	case "USES":
		return "uses"
	case "BACKS_UP_TO":
		return "backs up to"
	case "REPLICATES_TO":
		return "replicates to"
	}
	return strings.ToLower(strings.ReplaceAll(typ, "_", " "))
}

// movedText says that an edge is no longer observed and what the CI has of
// that type now: "db01: RUNS_ON esx1 no longer observed; runs on esx2 now,
// was esx1", "sw-a: CONNECTS_TO sw1 (local_port Gi0/1) no longer observed;
// connects to sw2 (local_port Gi0/3) now, was sw1".
func movedText(e *edges, k edgeKey, names map[int]string) string {
	name := func(id int) string {
		if n := names[id]; n != "" {
			return n
		}
		return fmt.Sprintf("CI %d", id)
	}
	var now []string
	for o, attrs := range e.observed {
		if o.from == k.from && o.typ == k.typ {
			now = append(now, name(o.to)+attrText(attrs))
		}
	}
	sort.Strings(now)
	var rec map[string]string
	if re := e.recorded[k]; re != nil {
		rec = re.attrs
	}
	s := fmt.Sprintf("%s: %s %s%s no longer observed", name(k.from), k.typ, name(k.to), attrText(rec))
	if len(now) == 0 {
		return s
	}
	return s + "; " + relationVerb(k.typ) + " " + strings.Join(now, ", ") + " now, was " + name(k.to)
}

// attrText is " (port Gi0/3)" for the port attributes of an edge, or the
// first attributes in key order, "" when none.
func attrText(attrs map[string]string) string {
	if len(attrs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(attrs))
	for a := range attrs {
		keys = append(keys, a)
	}
	sort.Strings(keys)
	var parts []string
	for _, a := range keys {
		if a == "remote_port" {
			parts = append([]string{"port " + attrs[a]}, parts...)
			continue
		}
		if a == "local_port" {
			parts = append(parts, "local port "+attrs[a])
			continue
		}
		if len(parts) < 2 && !strings.HasSuffix(a, "_description") {
			parts = append(parts, a+" "+attrs[a])
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// resolveAgreedEdges: agreement resolves relationship drifts of the CIs
// seen; an attribute drift whose edge is gone from both record and
// observation resolves too (edgeAttributes resolves the others).
func (r *reconciler) resolveAgreedEdges(e *edges) {
	for key, d := range r.open {
		if key.kind != drift.KindRelationshipChanged || !e.seen[key.ci] || r.touched[d.ID] {
			continue
		}
		typ, to, attr, ok := discovery.ParseRelationshipField(key.field)
		if !ok || !e.types[typ] {
			continue
		}
		k := edgeKey{key.ci, to, typ}
		_, observed := e.observed[k]
		recorded := e.recorded[k] != nil
		if attr != "" {
			if !observed && !recorded && e.fromIDs[key.ci] {
				r.resolveAs(d, drift.StatusResolved)
			}
			continue
		}
		if recorded == observed {
			r.resolveAs(d, drift.StatusResolved)
		}
	}
}
