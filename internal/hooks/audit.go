package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/driftignorerule"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/reportschedule"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/audit"
)

// Redacted replaces secret values in the audit trail.
const Redacted = "[redacted]"

// ignoredFields never produce audit changes on their own.
func ignoredField(typ, field string) bool {
	switch field {
	case "updated_at":
		return true
	case "last_used_at":
		return typ == ent.TypeAPIToken
	case "provenance":
		return typ == ent.TypeConfigurationItem
	case "last_run_at":
		return typ == ent.TypeDiscoveryJob || typ == ent.TypeReportSchedule
	case "last_seen_at", "run_id", "observed", "recorded":
		return typ == ent.TypeDrift
	case "candidates", "last_alert_at":
		// Re-ranked on every batch of alerts; the top candidate is audited.
		return typ == ent.TypeIncident
	}
	return false
}

// unaudited reports whether m is bookkeeping rather than a change of the
// record: audit events themselves, scheduler leases, discovery sightings and
// runs, alerts (bulk machine data from monitoring; a person's move of an
// alert is audited on the incidents), and drifts as discovery opens them
// (a person's later change of a drift is audited).
func unaudited(m ent.Mutation) bool {
	switch m.Type() {
	case ent.TypeAuditEvent, ent.TypeLease, ent.TypeSighting, ent.TypeDiscoveryRun, ent.TypeReportRun, ent.TypeAlert:
		return true
	case ent.TypeDrift:
		return m.Op().Is(ent.OpCreate)
	}
	return false
}

func secretField(field string) bool {
	for _, s := range []string{"hash", "secret", "password", "credential", "private_key", "webhook"} {
		if strings.Contains(field, s) {
			return true
		}
	}
	return false
}

type idMutation interface {
	ent.Mutation
	ID() (int, bool)
	IDs(context.Context) ([]int, error)
	Client() *ent.Client
	Tx() (*ent.Tx, error)
}

// auditHook writes one AuditEvent per created, updated or deleted entity, in
// the mutation's transaction. Writes outside a transaction are refused, so
// an entity change can never land without its audit event.
func auditHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if unaudited(m) {
			return next.Mutate(ctx, m)
		}
		im, ok := m.(idMutation)
		if !ok {
			return nil, fmt.Errorf("auditing %s: unexpected mutation type %T", m.Type(), m)
		}
		if _, err := im.Tx(); err != nil {
			return nil, fmt.Errorf("writing %s: audited writes must run in a transaction", m.Type())
		}
		client := im.Client()
		switch {
		case m.Op().Is(ent.OpCreate):
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			id, _ := im.ID()
			after := map[string]any{}
			for _, f := range m.Fields() {
				val, _ := m.Field(f)
				after[f] = val
			}
			changes := diff(m.Type(), nil, after)
			changes = append(changes, edgeChanges(m, after)...)
			if err := writeEvent(ctx, client, auditevent.ActionCreate, m.Type(), id, changes, after); err != nil {
				return nil, err
			}
			return v, nil
		case m.Op().Is(ent.OpUpdate) || m.Op().Is(ent.OpUpdateOne):
			ids, err := mutationIDs(ctx, im)
			if err != nil {
				return nil, err
			}
			before, err := loadRows(ctx, client, m.Type(), ids)
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			after, err := loadRows(ctx, client, m.Type(), ids)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				changes := diff(m.Type(), before[id], after[id])
				changes = append(changes, edgeChanges(m, after[id])...)
				if len(changes) == 0 {
					continue
				}
				if err := writeEvent(ctx, client, auditevent.ActionUpdate, m.Type(), id, changes, after[id]); err != nil {
					return nil, err
				}
			}
			return v, nil
		case m.Op().Is(ent.OpDelete) || m.Op().Is(ent.OpDeleteOne):
			ids, err := mutationIDs(ctx, im)
			if err != nil {
				return nil, err
			}
			before, err := loadRows(ctx, client, m.Type(), ids)
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if before[id] == nil {
					continue
				}
				if err := writeEvent(ctx, client, auditevent.ActionDelete, m.Type(), id, diff(m.Type(), before[id], nil), before[id]); err != nil {
					return nil, err
				}
			}
			return v, nil
		}
		return next.Mutate(ctx, m)
	})
}

func mutationIDs(ctx context.Context, m idMutation) ([]int, error) {
	if id, ok := m.ID(); ok {
		return []int{id}, nil
	}
	ids, err := m.IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("auditing %s: listing affected rows: %w", m.Type(), err)
	}
	return ids, nil
}

func writeEvent(ctx context.Context, c *ent.Client, action auditevent.Action, typ string, id int, changes []schematype.FieldChange, row map[string]any) error {
	if changes == nil {
		changes = []schematype.FieldChange{}
	}
	b := c.AuditEvent.Create().
		SetActor(audit.Actor(ctx)).
		SetAction(action).
		SetEntityType(typ).
		SetEntityID(id).
		SetChanges(changes).
		SetRequestID(audit.RequestID(ctx))
	if typ == ent.TypeRelationship && row != nil {
		if from, ok := asInt(row["from_id"]); ok {
			b.SetFromCiID(from)
		}
		if to, ok := asInt(row["to_id"]); ok {
			b.SetToCiID(to)
		}
	}
	if err := b.Exec(ctx); err != nil {
		return fmt.Errorf("writing audit event for %s %d: %w", typ, id, err)
	}
	return nil
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case *int:
		if x != nil {
			return *x, true
		}
	}
	return 0, false
}

// diff lists the fields whose values differ between before and after, in
// field order. Either side may be nil (create, delete).
func diff(typ string, before, after map[string]any) []schematype.FieldChange {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		if k == "id" || ignoredField(typ, k) {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var out []schematype.FieldChange
	for _, k := range names {
		b, a := plain(before[k]), plain(after[k])
		if equalJSON(b, a) {
			continue
		}
		if secretField(k) {
			if b != nil {
				b = Redacted
			}
			if a != nil {
				a = Redacted
			}
		}
		out = append(out, schematype.FieldChange{Field: k, Before: b, After: a})
	}
	return out
}

// edgeChanges records edges added to or removed from the entity that are not
// already visible as a foreign-key field of row (owner → owner_id).
func edgeChanges(m ent.Mutation, row map[string]any) []schematype.FieldChange {
	var out []schematype.FieldChange
	skip := func(edge string) bool {
		_, isField := row[edge+"_id"]
		return isField
	}
	added := m.AddedEdges()
	sort.Strings(added)
	for _, e := range added {
		if skip(e) {
			continue
		}
		if ids := m.AddedIDs(e); len(ids) > 0 {
			out = append(out, schematype.FieldChange{Field: e + ".added", After: idList(ids)})
		}
	}
	removed := m.RemovedEdges()
	sort.Strings(removed)
	for _, e := range removed {
		if skip(e) {
			continue
		}
		if ids := m.RemovedIDs(e); len(ids) > 0 {
			out = append(out, schematype.FieldChange{Field: e + ".removed", Before: idList(ids)})
		}
	}
	cleared := m.ClearedEdges()
	sort.Strings(cleared)
	for _, e := range cleared {
		if skip(e) {
			continue
		}
		out = append(out, schematype.FieldChange{Field: e + ".cleared", After: true})
	}
	return out
}

func idList(vals []ent.Value) []int {
	out := make([]int, 0, len(vals))
	for _, v := range vals {
		if id, ok := v.(int); ok {
			out = append(out, id)
		}
	}
	sort.Ints(out)
	return out
}

// plain dereferences pointers so that a nillable field and its plain value
// compare and print the same.
func plain(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return nil
	}
	if rv.Kind() == reflect.Map && rv.IsNil() {
		return nil
	}
	return rv.Interface()
}

func equalJSON(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// loadRows reads the entities of type typ with the given IDs as maps from
// storage field name to value.
func loadRows(ctx context.Context, c *ent.Client, typ string, ids []int) (map[int]map[string]any, error) {
	if len(ids) == 0 {
		return map[int]map[string]any{}, nil
	}
	var rows any
	var err error
	switch typ {
	case ent.TypeConfigurationItem:
		rows, err = c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).All(ctx)
	case ent.TypeIdentifier:
		rows, err = c.Identifier.Query().Where(identifier.IDIn(ids...)).All(ctx)
	case ent.TypeRelationship:
		rows, err = c.Relationship.Query().Where(relationship.IDIn(ids...)).All(ctx)
	case ent.TypeService:
		rows, err = c.Service.Query().Where(service.IDIn(ids...)).All(ctx)
	case ent.TypeOwner:
		rows, err = c.Owner.Query().Where(owner.IDIn(ids...)).All(ctx)
	case ent.TypeVendor:
		rows, err = c.Vendor.Query().Where(vendor.IDIn(ids...)).All(ctx)
	case ent.TypeContract:
		rows, err = c.Contract.Query().Where(contract.IDIn(ids...)).All(ctx)
	case ent.TypeAsset:
		rows, err = c.Asset.Query().Where(asset.IDIn(ids...)).All(ctx)
	case ent.TypeLocation:
		rows, err = c.Location.Query().Where(location.IDIn(ids...)).All(ctx)
	case ent.TypeChangeRecord:
		rows, err = c.ChangeRecord.Query().Where(changerecord.IDIn(ids...)).All(ctx)
	case ent.TypeAPIToken:
		rows, err = c.APIToken.Query().Where(apitoken.IDIn(ids...)).All(ctx)
	case ent.TypeDrift:
		rows, err = c.Drift.Query().Where(drift.IDIn(ids...)).All(ctx)
	case ent.TypeDiscoveryJob:
		rows, err = c.DiscoveryJob.Query().Where(discoveryjob.IDIn(ids...)).All(ctx)
	case ent.TypeDriftIgnoreRule:
		rows, err = c.DriftIgnoreRule.Query().Where(driftignorerule.IDIn(ids...)).All(ctx)
	case ent.TypeReportSchedule:
		rows, err = c.ReportSchedule.Query().Where(reportschedule.IDIn(ids...)).All(ctx)
	case ent.TypeIncident:
		rows, err = c.Incident.Query().Where(incident.IDIn(ids...)).All(ctx)
	default:
		if extra, ok := extraLoaders(typ); ok {
			rows, err = extra(ctx, c, ids)
		} else {
			return nil, fmt.Errorf("auditing %s: no loader for this entity type", typ)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("auditing %s: loading rows: %w", typ, err)
	}
	return RowsToMaps(rows), nil
}

// extraLoaders is the place for entity types added by later schema changes.
func extraLoaders(string) (func(context.Context, *ent.Client, []int) (any, error), bool) {
	return nil, false
}

// RowsToMaps turns a slice of generated ent entities into maps keyed by ID,
// from storage field name (the json tag) to value. Edges, secrets (json "-")
// and unexported fields are left out.
func RowsToMaps(rows any) map[int]map[string]any {
	out := map[int]map[string]any{}
	rv := reflect.ValueOf(rows)
	if rv.Kind() != reflect.Slice {
		return out
	}
	for i := 0; i < rv.Len(); i++ {
		e := rv.Index(i)
		if e.Kind() == reflect.Pointer {
			if e.IsNil() {
				continue
			}
			e = e.Elem()
		}
		m := EntityToMap(e)
		if id, ok := m["id"].(int); ok {
			out[id] = m
		}
	}
	return out
}

// EntityToMap reads one entity struct value as a field map.
func EntityToMap(e reflect.Value) map[string]any {
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	t := e.Type()
	m := make(map[string]any, t.NumField())
	for j := 0; j < t.NumField(); j++ {
		sf := t.Field(j)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "edges" {
			continue
		}
		m[name] = plain(e.Field(j).Interface())
	}
	return m
}
