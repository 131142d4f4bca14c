package reconcile

import (
	"context"
	"fmt"
	"sort"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
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

// takenEdges are the services, contracts and change records of remove that
// keep is not linked to already (linking those again would make duplicate
// rows): what the merge links to keep, and what its plan counts.
type takenEdges struct{ services, contracts, changes []int }

func (m *merger) takenEdges() takenEdges {
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
	var t takenEdges
	for _, s := range r.Edges.Services {
		if !has[fmt.Sprint("service", s.ID)] {
			t.services = append(t.services, s.ID)
		}
	}
	for _, ct := range r.Edges.Contracts {
		if !has[fmt.Sprint("contract", ct.ID)] {
			t.contracts = append(t.contracts, ct.ID)
		}
	}
	for _, cr := range r.Edges.ChangeRecords {
		if !has[fmt.Sprint("change", cr.ID)] {
			t.changes = append(t.changes, cr.ID)
		}
	}
	return t
}

// addEdges links keep to the edges it takes from remove.
func (m *merger) addEdges(u *ent.ConfigurationItemUpdateOne) {
	t := m.takenEdges()
	u.AddServiceIDs(t.services...).AddContractIDs(t.contracts...).AddChangeRecordIDs(t.changes...)
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
		seen[identifierKey(i)] = true
	}
	for _, i := range m.r.Edges.Identifiers {
		if (i.Source == "record" && !adopt[i.ID]) || seen[identifierKey(i)] {
			continue
		}
		if err := m.c.Identifier.UpdateOneID(i.ID).SetConfigurationItemID(m.keep).Exec(ctx); err != nil {
			return fmt.Errorf("moving identifier %s: %w", i.Value, err)
		}
		seen[identifierKey(i)] = true
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

// identifierKey is what makes two identifiers of one CI the same row: one
// CI holds a kind and value once (the unique index), whatever its scope.
func identifierKey(i *ent.Identifier) string { return string(i.Kind) + "\x00" + i.Value }

// What a merge moves, as MergeMove.What.
const (
	MoveField        = "FIELD"
	MoveFact         = "FACT"
	MoveTag          = "TAG"
	MoveIdentifier   = "IDENTIFIER"
	MoveRelationship = "RELATIONSHIP"
	MoveService      = "SERVICE"
	MoveContract     = "CONTRACT"
	MoveChangeRecord = "CHANGE_RECORD"
	MoveAsset        = "ASSET"
	MoveDrift        = "DRIFT"
	MoveSighting     = "SIGHTING"
	MoveAuditEvent   = "AUDIT_EVENT"
)

// MergePlan is what Merge does to two CIs: what moves from remove to keep
// (counts by kind, in a fixed order, zero counts included) and the
// conflicts, each with what the merge does about it. PlanMerge computes it
// without writing anything.
type MergePlan struct {
	Keep, Remove *ent.ConfigurationItem
	Moves        []MergeMove
	Conflicts    []MergeConflict
}

// MergeMove is how many things of one kind move.
type MergeMove struct {
	What  string
	Count int
}

// MergeConflict is one thing of remove that cannot move as it is.
type MergeConflict struct {
	What, Detail, Resolution string
}

// Count returns the count of what in the plan's moves.
func (p *MergePlan) Count(what string) int {
	for _, m := range p.Moves {
		if m.What == what {
			return m.Count
		}
	}
	return 0
}

// PlanMerge returns what Merge(keep, remove) would do, reading only: the
// dry run of mergeConfigurationItems. It refuses what Merge refuses.
func PlanMerge(ctx context.Context, c *ent.Client, keep, remove int) (*MergePlan, error) {
	m, err := loadMerge(ctx, c, keep, remove)
	if err != nil {
		return nil, err
	}
	p := &MergePlan{Keep: m.k, Remove: m.r}
	counts := map[string]int{}
	conflict := func(what, detail, resolution string) {
		p.Conflicts = append(p.Conflicts, MergeConflict{What: what, Detail: detail, Resolution: resolution})
	}
	final := m.planFields(counts, conflict)
	if err := m.planIdentifiers(ctx, final, counts, conflict); err != nil {
		return nil, err
	}
	if err := m.planRelationships(ctx, counts, conflict); err != nil {
		return nil, err
	}
	m.planEdges(counts)
	if err := m.planDrifts(ctx, counts, conflict); err != nil {
		return nil, err
	}
	if err := m.planSightings(ctx, counts, conflict); err != nil {
		return nil, err
	}
	n, err := c.AuditEvent.Query().Where(auditevent.Or(
		auditevent.And(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(remove)),
		auditevent.FromCiID(remove), auditevent.ToCiID(remove),
	)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting the audit trail of CI %d: %w", remove, err)
	}
	counts[MoveAuditEvent] = n
	for _, what := range []string{MoveField, MoveFact, MoveTag, MoveIdentifier, MoveRelationship, MoveService,
		MoveContract, MoveChangeRecord, MoveAsset, MoveDrift, MoveSighting, MoveAuditEvent} {
		p.Moves = append(p.Moves, MergeMove{What: what, Count: counts[what]})
	}
	return p, nil
}

// planFields counts the fields, facts and tags keep takes from remove and
// reports those both hold with different values; it returns keep's primary
// identifier fields after the merge, as takeFields sets them.
func (m *merger) planFields(counts map[string]int, conflict func(what, detail, resolution string)) map[identifier.Kind]string {
	k, r := m.k, m.r
	final := map[identifier.Kind]string{}
	field := func(name string, kind identifier.Kind, kv, rv *string) {
		switch {
		case kv != nil && *kv != "":
			if kind != "" {
				final[kind] = *kv
			}
			if rv != nil && *rv != "" && *rv != *kv {
				res := "keep's value stays"
				if kind != "" {
					res += "; remove's stays an identifier of keep"
				}
				conflict(MoveField, fmt.Sprintf("%s: keep %q, remove %q", name, *kv, *rv), res)
			}
		case rv != nil && *rv != "":
			if kind != "" {
				final[kind] = *rv
			}
			counts[MoveField]++
		}
	}
	field("hostname", identifier.KindHostname, k.Hostname, r.Hostname)
	field("fqdn", identifier.KindFQDN, k.Fqdn, r.Fqdn)
	field("serialNumber", identifier.KindSerial, k.SerialNumber, r.SerialNumber)
	field("assetTag", identifier.KindAssetTag, k.AssetTag, r.AssetTag)
	field("description", "", k.Description, r.Description)
	ref := func(name string, kv, rv *int) {
		switch {
		case kv == nil && rv != nil:
			counts[MoveField]++
		case kv != nil && rv != nil && *kv != *rv:
			conflict(MoveField, fmt.Sprintf("%s: keep %d, remove %d", name, *kv, *rv), "keep's value stays")
		}
	}
	ref("owner", k.OwnerID, r.OwnerID)
	ref("vendor", k.VendorID, r.VendorID)
	ref("location", k.LocationID, r.LocationID)
	for _, f := range sortedKeys(r.Facts) {
		kv, ok := k.Facts[f]
		switch {
		case !ok:
			counts[MoveFact]++
		case fmt.Sprint(kv) != fmt.Sprint(r.Facts[f]):
			conflict(MoveFact, fmt.Sprintf("%s: keep %v, remove %v", f, kv, r.Facts[f]), "keep's value stays")
		}
	}
	for _, t := range r.Tags {
		if !contains(k.Tags, t) {
			counts[MoveTag]++
		}
	}
	return final
}

// planIdentifiers counts remove's identifiers that become keep's (moved, or
// recorded again through a field keep takes over) and reports those keep
// holds already.
func (m *merger) planIdentifiers(ctx context.Context, final map[identifier.Kind]string, counts map[string]int, conflict func(what, detail, resolution string)) error {
	have, err := m.c.Identifier.Query().Where(identifier.ConfigurationItemID(m.keep)).All(ctx)
	if err != nil {
		return fmt.Errorf("reading identifiers of CI %d: %w", m.keep, err)
	}
	held := map[string]*ent.Identifier{}
	for _, i := range have {
		held[identifierKey(i)] = i
	}
	for kind, v := range final {
		// A field keep takes over is recorded on keep.
		if _, ok := held[string(kind)+"\x00"+v]; !ok {
			held[string(kind)+"\x00"+v] = &ent.Identifier{Kind: kind, Value: v}
		}
	}
	for _, i := range m.r.Edges.Identifiers {
		key := identifierKey(i)
		if i.Source == "record" && final[i.Kind] == i.Value && !keepHasField(m.k, i.Kind, i.Value) {
			counts[MoveIdentifier]++ // recorded on keep by the field it takes over
			continue
		}
		if h, ok := held[key]; ok && h.ID != 0 {
			res := "dropped: keep holds it"
			if scopeOf(h) != scopeOf(i) {
				res = fmt.Sprintf("dropped: keep holds it in scope %s", scopeName(scopeOf(h)))
			}
			conflict(MoveIdentifier, fmt.Sprintf("%s %s (scope %s) is held by both", i.Kind, i.Value, scopeName(scopeOf(i))), res)
			continue
		}
		counts[MoveIdentifier]++
		held[key] = i
	}
	return nil
}

func keepHasField(k *ent.ConfigurationItem, kind identifier.Kind, v string) bool {
	var f *string
	switch kind {
	case identifier.KindHostname:
		f = k.Hostname
	case identifier.KindFQDN:
		f = k.Fqdn
	case identifier.KindSerial:
		f = k.SerialNumber
	case identifier.KindAssetTag:
		f = k.AssetTag
	}
	return f != nil && *f == v
}

func scopeOf(i *ent.Identifier) string {
	if i.Scope == nil {
		return ""
	}
	return *i.Scope
}

func scopeName(s string) string {
	if s == "" {
		return "global"
	}
	return s
}

// planRelationships counts remove's relationships recreated on keep and
// reports those that would join keep to itself or duplicate one of keep's.
func (m *merger) planRelationships(ctx context.Context, counts map[string]int, conflict func(what, detail, resolution string)) error {
	keep, remove := m.keep, m.remove
	rels, err := m.c.Relationship.Query().Where(relationship.Or(
		relationship.FromIDIn(keep, remove), relationship.ToIDIn(keep, remove),
	)).Order(ent.Asc(relationship.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("reading relationships: %w", err)
	}
	type edge struct {
		from, to int
		typ      relationship.Type
	}
	exists := map[edge]bool{}
	for _, rel := range rels {
		if rel.FromID != remove && rel.ToID != remove {
			exists[edge{rel.FromID, rel.ToID, rel.Type}] = true
		}
	}
	for _, rel := range rels {
		if rel.FromID != remove && rel.ToID != remove {
			continue
		}
		e := edge{rel.FromID, rel.ToID, rel.Type}
		if e.from == remove {
			e.from = keep
		}
		if e.to == remove {
			e.to = keep
		}
		detail := fmt.Sprintf("relationship %d: %d %s %d", rel.ID, rel.FromID, rel.Type, rel.ToID)
		switch {
		case e.from == e.to:
			conflict(MoveRelationship, detail, "dropped: it would join keep to itself")
		case exists[e]:
			conflict(MoveRelationship, detail, fmt.Sprintf("dropped: %d %s %d exists", e.from, e.typ, e.to))
		default:
			exists[e] = true
			counts[MoveRelationship]++
		}
	}
	return nil
}

// planEdges counts the services, contracts, change records and asset keep
// takes from remove.
func (m *merger) planEdges(counts map[string]int) {
	t := m.takenEdges()
	counts[MoveService] += len(t.services)
	counts[MoveContract] += len(t.contracts)
	counts[MoveChangeRecord] += len(t.changes)
	if m.r.Edges.Asset != nil {
		counts[MoveAsset] = 1
	}
}

// planDrifts counts remove's drifts (all move) and reports its active
// drifts that keep has too: those are resolved.
func (m *merger) planDrifts(ctx context.Context, counts map[string]int, conflict func(what, detail, resolution string)) error {
	ds, err := m.c.Drift.Query().Where(drift.ConfigurationItemIDIn(m.keep, m.remove)).Order(ent.Asc(drift.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("reading drifts: %w", err)
	}
	active := map[driftKey]bool{}
	isActive := func(d *ent.Drift) bool {
		for _, s := range activeStatuses {
			if d.Status == s {
				return true
			}
		}
		return false
	}
	for _, d := range ds {
		if *d.ConfigurationItemID == m.keep && isActive(d) {
			k := keyOf(d)
			k.ci = 0
			active[k] = true
		}
	}
	for _, d := range ds {
		if *d.ConfigurationItemID != m.remove {
			continue
		}
		counts[MoveDrift]++
		if !isActive(d) {
			continue
		}
		k := keyOf(d)
		k.ci = 0
		if active[k] {
			conflict(MoveDrift, fmt.Sprintf("drift %d: %s %s is active on both", d.ID, d.Kind, k.field), "remove's is resolved")
		}
		active[k] = true
	}
	return nil
}

// planSightings counts remove's sightings that move and reports those of
// jobs that saw keep too: keep's sighting stays, remove's is deleted.
func (m *merger) planSightings(ctx context.Context, counts map[string]int, conflict func(what, detail, resolution string)) error {
	ss, err := m.c.Sighting.Query().Where(sighting.ConfigurationItemIDIn(m.keep, m.remove)).
		WithJob(func(q *ent.DiscoveryJobQuery) { q.Select(discoveryjob.FieldName) }).
		Order(ent.Asc(sighting.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("reading sightings: %w", err)
	}
	keepJobs := map[int]bool{}
	for _, s := range ss {
		if s.ConfigurationItemID == m.keep {
			keepJobs[s.DiscoveryJobID] = true
		}
	}
	for _, s := range ss {
		if s.ConfigurationItemID != m.remove {
			continue
		}
		if keepJobs[s.DiscoveryJobID] {
			name := fmt.Sprint(s.DiscoveryJobID)
			if s.Edges.Job != nil {
				name = s.Edges.Job.Name
			}
			conflict(MoveSighting, fmt.Sprintf("job %s saw both", name), "keep's sighting stays; remove's is deleted")
			continue
		}
		counts[MoveSighting]++
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
