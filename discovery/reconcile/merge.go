package reconcile

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
)

// Merge moves everything of remove to keep and deletes remove: identifiers,
// relationships, services, contracts, change records, drifts, sightings,
// the asset record, empty fields and facts, and the audit trail. The merge
// itself is an audit event on keep. dialect is the SQL dialect of c.
//
// remove's primary identifiers (host name, FQDN, serial number, asset tag)
// that keep does not take over as its own fields stay identifiers of keep,
// so that discovery still recognises what it knew as remove. An active drift
// of remove that duplicates one of keep (same kind and field) is resolved:
// one active drift per CI, kind and field.
func Merge(ctx context.Context, c *ent.Client, keep, remove int, dialect string) (*ent.ConfigurationItem, error) {
	m, err := loadMerge(ctx, c, keep, remove)
	if err != nil {
		return nil, err
	}
	u := c.ConfigurationItem.UpdateOneID(keep)
	adopt, err := m.takeFields(ctx, u)
	if err != nil {
		return nil, err
	}
	m.fillRest(u)
	m.addEdges(u)
	if err := u.Exec(ctx); err != nil {
		return nil, fmt.Errorf("merging fields into CI %d: %w", keep, err)
	}
	for _, step := range []func(context.Context) error{
		func(ctx context.Context) error { return m.moveIdentifiers(ctx, adopt) },
		m.moveRelationships,
		m.moveAsset,
		m.moveDrifts,
		m.moveSightings,
		func(ctx context.Context) error { return m.moveAuditTrail(ctx, dialect) },
		m.finish,
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return c.ConfigurationItem.Get(ctx, keep)
}

// merger holds the two CIs of a merge, loaded with their edges.
type merger struct {
	c            *ent.Client
	keep, remove int
	k, r         *ent.ConfigurationItem
	actor        string
}

// loadMerge loads both CIs and refuses a merge that cannot be done.
func loadMerge(ctx context.Context, c *ent.Client, keep, remove int) (*merger, error) {
	if keep == remove {
		return nil, apperr.Invalid("remove", "cannot merge a CI into itself")
	}
	k, err := c.ConfigurationItem.Query().Where(configurationitem.ID(keep)).
		WithAsset().WithServices().WithContracts().WithChangeRecords().Only(ctx)
	if err != nil {
		return nil, apperr.InvalidErr("keep", err)
	}
	r, err := c.ConfigurationItem.Query().Where(configurationitem.ID(remove)).
		WithAsset().WithServices().WithContracts().WithChangeRecords().WithIdentifiers().Only(ctx)
	if err != nil {
		return nil, apperr.InvalidErr("remove", err)
	}
	if k.Edges.Asset != nil && r.Edges.Asset != nil {
		return nil, apperr.New(apperr.Conflict, "both CIs have an asset record (%d and %d): delete or move one first", k.Edges.Asset.ID, r.Edges.Asset.ID)
	}
	return &merger{c: c, keep: keep, remove: remove, k: k, r: r, actor: audit.Actor(ctx)}, nil
}

// takeFields fills keep's empty primary fields and description from
// remove (keep's values win), keeps remove's other primary identifiers as
// plain identifiers, and releases remove's primary fields so that keep can
// take them over. It returns the identifiers kept that way.
func (m *merger) takeFields(ctx context.Context, u *ent.ConfigurationItemUpdateOne) (map[int]bool, error) {
	k, r := m.k, m.r
	final := map[identifier.Kind]string{}
	fill := func(kind identifier.Kind, cur *string, v *string, set func(string)) {
		if cur != nil && *cur != "" {
			final[kind] = *cur
			return
		}
		if v != nil && *v != "" {
			set(*v)
			final[kind] = *v
		}
	}
	fill(identifier.KindHostname, k.Hostname, r.Hostname, func(v string) { u.SetHostname(v) })
	fill(identifier.KindFQDN, k.Fqdn, r.Fqdn, func(v string) { u.SetFqdn(v) })
	fill(identifier.KindSerial, k.SerialNumber, r.SerialNumber, func(v string) { u.SetSerialNumber(v) })
	fill(identifier.KindAssetTag, k.AssetTag, r.AssetTag, func(v string) { u.SetAssetTag(v) })
	fill("", k.Description, r.Description, func(v string) { u.SetDescription(v) })
	// remove's primary identifiers keep does not take as fields are kept as
	// plain identifiers: they stop being "record" ones, which releasing
	// remove's fields below would delete.
	adopt := map[int]bool{}
	for _, i := range r.Edges.Identifiers {
		if i.Source != "record" || final[i.Kind] == i.Value {
			continue
		}
		if err := m.c.Identifier.UpdateOneID(i.ID).SetSource(m.actor).Exec(ctx); err != nil {
			return nil, fmt.Errorf("keeping identifier %s of CI %d: %w", i.Value, m.remove, err)
		}
		adopt[i.ID] = true
	}
	// Remove's primary identifiers go first so keep can take them over.
	if err := m.c.ConfigurationItem.UpdateOneID(m.remove).ClearHostname().ClearFqdn().ClearSerialNumber().ClearAssetTag().Exec(ctx); err != nil {
		return nil, fmt.Errorf("releasing identifiers of CI %d: %w", m.remove, err)
	}
	return adopt, nil
}

// fillRest fills keep's empty owner, vendor and location from remove, adds
// the facts keep lacks and the tags it does not have.
func (m *merger) fillRest(u *ent.ConfigurationItemUpdateOne) {
	k, r := m.k, m.r
	if k.OwnerID == nil && r.OwnerID != nil {
		u.SetOwnerID(*r.OwnerID)
	}
	if k.VendorID == nil && r.VendorID != nil {
		u.SetVendorID(*r.VendorID)
	}
	if k.LocationID == nil && r.LocationID != nil {
		u.SetLocationID(*r.LocationID)
	}
	if len(r.Facts) > 0 {
		facts := map[string]any{}
		for f, v := range r.Facts {
			facts[f] = v
		}
		for f, v := range k.Facts {
			facts[f] = v
		}
		u.SetFacts(facts)
	}
	tags := append([]string{}, k.Tags...)
	for _, t := range r.Tags {
		if !contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) != len(k.Tags) {
		u.SetTags(tags)
	}
}

// addEdges links keep to remove's services, contracts and change records
// it is not linked to already (those would be duplicate rows).
func (m *merger) addEdges(u *ent.ConfigurationItemUpdateOne) {
	k, r := m.k, m.r
	has := map[string]bool{}
	for _, s := range k.Edges.Services {
		has[fmt.Sprint("service", s.ID)] = true
	}
	for _, ct := range k.Edges.Contracts {
		has[fmt.Sprint("contract", ct.ID)] = true
	}
	for _, cr := range k.Edges.ChangeRecords {
		has[fmt.Sprint("change", cr.ID)] = true
	}
	for _, s := range r.Edges.Services {
		if !has[fmt.Sprint("service", s.ID)] {
			u.AddServiceIDs(s.ID)
		}
	}
	for _, ct := range r.Edges.Contracts {
		if !has[fmt.Sprint("contract", ct.ID)] {
			u.AddContractIDs(ct.ID)
		}
	}
	for _, cr := range r.Edges.ChangeRecords {
		if !has[fmt.Sprint("change", cr.ID)] {
			u.AddChangeRecordIDs(cr.ID)
		}
	}
}

// moveIdentifiers moves remove's identifiers keep does not have: its plain
// ones and the adopted primary ones.
func (m *merger) moveIdentifiers(ctx context.Context, adopt map[int]bool) error {
	have, err := m.c.Identifier.Query().Where(identifier.ConfigurationItemID(m.keep)).All(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, i := range have {
		seen[string(i.Kind)+"\x00"+i.Value] = true
	}
	for _, i := range m.r.Edges.Identifiers {
		if (i.Source == "record" && !adopt[i.ID]) || seen[string(i.Kind)+"\x00"+i.Value] {
			continue
		}
		if err := m.c.Identifier.UpdateOneID(i.ID).SetConfigurationItemID(m.keep).Exec(ctx); err != nil {
			return fmt.Errorf("moving identifier %s: %w", i.Value, err)
		}
		seen[string(i.Kind)+"\x00"+i.Value] = true
	}
	return nil
}

// moveRelationships recreates remove's relationships on keep
// (relationships are immutable edges); one that would join keep to itself
// or duplicate one of keep's is dropped.
func (m *merger) moveRelationships(ctx context.Context) error {
	c, keep, remove := m.c, m.keep, m.remove
	rels, err := c.Relationship.Query().Where(relationship.Or(relationship.FromID(remove), relationship.ToID(remove))).All(ctx)
	if err != nil {
		return err
	}
	for _, rel := range rels {
		from, to := rel.FromID, rel.ToID
		if from == remove {
			from = keep
		}
		if to == remove {
			to = keep
		}
		if err := c.Relationship.DeleteOneID(rel.ID).Exec(ctx); err != nil {
			return err
		}
		if from == to {
			continue
		}
		exists, err := c.Relationship.Query().Where(relationship.FromID(from), relationship.ToID(to), relationship.TypeEQ(rel.Type)).Exist(ctx)
		if err != nil {
			return err
		}
		if !exists {
			if err := c.Relationship.Create().SetFromID(from).SetToID(to).SetType(rel.Type).
				SetSource(rel.Source).SetNillableDescription(rel.Description).Exec(ctx); err != nil {
				return fmt.Errorf("moving relationship %d: %w", rel.ID, err)
			}
		}
	}
	return nil
}

// moveAsset moves remove's asset record, if any, to keep.
func (m *merger) moveAsset(ctx context.Context) error {
	if a := m.r.Edges.Asset; a != nil {
		if err := m.c.Asset.UpdateOneID(a.ID).SetConfigurationItemID(m.keep).Exec(ctx); err != nil {
			return fmt.Errorf("moving asset %d: %w", a.ID, err)
		}
	}
	return nil
}

// moveDrifts moves remove's drifts to keep; its active drifts that keep
// has too (same kind and field) are closed.
func (m *merger) moveDrifts(ctx context.Context) error {
	c, keep, remove := m.c, m.keep, m.remove
	keepActive, err := c.Drift.Query().Where(drift.ConfigurationItemID(keep), drift.StatusIn(activeStatuses...)).All(ctx)
	if err != nil {
		return err
	}
	dup := map[driftKey]bool{}
	for _, d := range keepActive {
		dk := keyOf(d)
		dk.ci = 0
		dup[dk] = true
	}
	removeActive, err := c.Drift.Query().Where(drift.ConfigurationItemID(remove), drift.StatusIn(activeStatuses...)).All(ctx)
	if err != nil {
		return err
	}
	var superseded []int
	for _, d := range removeActive {
		dk := keyOf(d)
		dk.ci = 0
		if dup[dk] {
			superseded = append(superseded, d.ID)
		}
		dup[dk] = true
	}
	if _, err := c.Drift.Update().Where(drift.ConfigurationItemID(remove)).SetConfigurationItemID(keep).Save(ctx); err != nil {
		return fmt.Errorf("moving drifts: %w", err)
	}
	if len(superseded) > 0 {
		if _, err := c.Drift.Update().Where(drift.IDIn(superseded...)).SetStatus(drift.StatusResolved).
			SetResolvedAt(time.Now().UTC()).Save(ctx); err != nil {
			return fmt.Errorf("closing duplicate drifts: %w", err)
		}
	}
	return nil
}

// moveSightings moves remove's sightings to keep; keep's own win.
func (m *merger) moveSightings(ctx context.Context) error {
	c := m.c
	keepJobs, err := c.Sighting.Query().Where(sighting.ConfigurationItemID(m.keep)).Select(sighting.FieldDiscoveryJobID).Ints(ctx)
	if err != nil {
		return err
	}
	if _, err := c.Sighting.Delete().Where(sighting.ConfigurationItemID(m.remove), sighting.DiscoveryJobIDIn(keepJobs...)).Exec(ctx); err != nil {
		return err
	}
	if _, err := c.Sighting.Update().Where(sighting.ConfigurationItemID(m.remove)).SetConfigurationItemID(m.keep).Save(ctx); err != nil {
		return err
	}
	return nil
}

// moveAuditTrail makes the audit trail of remove, its own events and those
// of its relationships, keep's (entity IDs are immutable in ent, so these
// are plain statements). remove's own events say where they came from (the
// first merge's CI, when merged again), so that keep's state at a past
// moment is rebuilt from keep's own events. Relationship events are not
// marked: they are also the history of the CI at their other end.
func (m *merger) moveAuditTrail(ctx context.Context, dialect string) error {
	keep, remove := m.keep, m.remove
	d := entsql.Dialect(dialect)
	for _, st := range []struct {
		set    string
		cond   *entsql.Predicate
		origin bool
	}{
		{auditevent.FieldEntityID, entsql.And(entsql.EQ(auditevent.FieldEntityType, ent.TypeConfigurationItem), entsql.EQ(auditevent.FieldEntityID, remove)), true},
		{auditevent.FieldFromCiID, entsql.EQ(auditevent.FieldFromCiID, remove), false},
		{auditevent.FieldToCiID, entsql.EQ(auditevent.FieldToCiID, remove), false},
	} {
		u := d.Update(auditevent.Table).Set(st.set, keep)
		if st.origin {
			u = u.Set(auditevent.FieldMergedFromID, entsql.ExprFunc(func(b *entsql.Builder) {
				b.WriteString("COALESCE(").Ident(auditevent.FieldMergedFromID).WriteString(", ").Arg(remove).WriteString(")")
			}))
		}
		q, args := u.Where(st.cond).Query()
		if _, err := m.c.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("moving the audit trail: %w", err)
		}
	}
	return nil
}

// finish deletes remove and records the merge as an audit event on keep.
func (m *merger) finish(ctx context.Context) error {
	if err := m.c.ConfigurationItem.DeleteOneID(m.remove).Exec(ctx); err != nil {
		return fmt.Errorf("deleting merged CI %d: %w", m.remove, err)
	}
	if err := m.c.AuditEvent.Create().SetEntityType(ent.TypeConfigurationItem).SetEntityID(m.keep).
		SetAction(auditevent.ActionUpdate).SetActor(m.actor).
		SetChanges([]schematype.FieldChange{{Field: "merged_from", Before: nil, After: map[string]any{"id": m.remove, "name": m.r.Name}}}).
		Exec(ctx); err != nil {
		return fmt.Errorf("auditing the merge: %w", err)
	}
	return nil
}
