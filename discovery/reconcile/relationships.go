package reconcile

import (
	"context"
	"fmt"
	"sort"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/relationships"
)

type edgeKey struct {
	from, to int
	typ      string
}

// edges are the relationships of one run: observed between observations
// that resolve to CIs, and recorded from the CIs the run saw.
type edges struct {
	observed map[edgeKey]bool
	// types are the relationship types the run reports.
	types map[string]bool
	// fromIDs are the CIs with an observed edge.
	fromIDs  map[int]bool
	recorded map[edgeKey]bool
	// hasType: the CI (from) has a recorded edge of the type.
	hasType map[[2]any]bool
	// seen are the CIs the run saw.
	seen map[int]bool
}

// relationships reconciles observed edges between observations that resolve
// to CIs: a missing edge is created (fill) when the CI has none of that type,
// otherwise it is drift (report) or created and accepted (update). A recorded
// edge of a type the run reports, between two CIs the run saw, that was not
// observed is drift (complete runs only).
func (r *reconciler) relationships(ctx context.Context, obs []*discovery.Observation, byKey map[string]int) error {
	e := observedEdges(obs, byKey)
	if len(e.types) == 0 {
		return nil
	}
	if err := r.loadRecordedEdges(ctx, e, byKey); err != nil {
		return err
	}
	for _, k := range e.sortedObserved() {
		if e.recorded[k] {
			continue
		}
		if err := r.observedEdge(ctx, e, k); err != nil {
			return err
		}
	}
	if !r.o.Complete {
		return nil
	}
	r.unobservedEdges(e)
	r.resolveAgreedEdges(e)
	return nil
}

// observedEdges collects the edges the observations report between CIs of
// this run. An edge from a CI to itself is left out: a CI cannot depend on
// itself.
func observedEdges(obs []*discovery.Observation, byKey map[string]int) *edges {
	e := &edges{observed: map[edgeKey]bool{}, types: map[string]bool{}, fromIDs: map[int]bool{}}
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
			e.observed[edgeKey{from, to, rel.Type}] = true
			e.types[rel.Type] = true
			e.fromIDs[from] = true
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
	e.recorded, e.hasType = map[edgeKey]bool{}, map[[2]any]bool{}
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		rels, err := r.c.Relationship.Query().Where(relationship.FromIDIn(ids[start:end]...)).
			Select(relationship.FieldFromID, relationship.FieldToID, relationship.FieldType).All(ctx)
		if err != nil {
			return fmt.Errorf("loading relationships: %w", err)
		}
		for _, rel := range rels {
			e.recorded[edgeKey{rel.FromID, rel.ToID, string(rel.Type)}] = true
			e.hasType[[2]any{rel.FromID, string(rel.Type)}] = true
		}
	}
	e.seen = make(map[int]bool, len(ids))
	for _, id := range ids {
		e.seen[id] = true
	}
	return nil
}

// sortedObserved returns the observed edges by from, to and type.
func (e *edges) sortedObserved() []edgeKey {
	keys := make([]edgeKey, 0, len(e.observed))
	for k := range e.observed {
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
	return keys
}

// observedEdge handles an observed edge the record lacks: created as a fill
// when the CI has no edge of its type, created and accepted in update mode,
// drift otherwise.
func (r *reconciler) observedEdge(ctx context.Context, e *edges, k edgeKey) error {
	field := discovery.RelationshipFieldName(k.typ, k.to)
	dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
	fill := !e.hasType[[2]any{k.from, k.typ}]
	if !fill && r.o.Mode != ModeUpdate {
		r.openOrTouch(r.ciByID(k.from), "", dk, "absent", "present", "", "")
		return nil
	}
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

// unobservedEdges: a recorded edge of a type the run reports, between two
// CIs the run saw, that was not observed is drift.
func (r *reconciler) unobservedEdges(e *edges) {
	for k := range e.recorded {
		if e.observed[k] || !e.types[k.typ] || !e.seen[k.to] || !e.fromIDs[k.from] {
			continue
		}
		field := discovery.RelationshipFieldName(k.typ, k.to)
		dk := driftKey{ci: k.from, kind: drift.KindRelationshipChanged, field: field}
		r.openOrTouch(r.ciByID(k.from), "", dk, "present", "absent", "", "")
	}
}

// resolveAgreedEdges: agreement resolves relationship drifts of the CIs seen.
func (r *reconciler) resolveAgreedEdges(e *edges) {
	for key, d := range r.open {
		if key.kind != drift.KindRelationshipChanged || !e.seen[key.ci] || r.touched[d.ID] {
			continue
		}
		typ, to, ok := discovery.RelationshipField(key.field)
		if !ok {
			continue
		}
		if e.types[typ] && e.recorded[edgeKey{key.ci, to, typ}] == e.observed[edgeKey{key.ci, to, typ}] {
			r.resolveAs(d, drift.StatusResolved)
		}
	}
}
