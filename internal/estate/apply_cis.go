package estate

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

func (im *importer) applyCIs(ctx context.Context, tx *ent.Client) error {
	members := map[int]map[int]bool{} // service → member CI IDs
	for _, s := range im.db.svcByName {
		set := map[int]bool{}
		for _, m := range s.Edges.Members {
			set[m.ID] = true
		}
		members[s.ID] = set
	}
	var creates []*ciIn
	for _, in := range im.cis {
		if in.bad {
			continue
		}
		if in.match == nil {
			creates = append(creates, in)
			continue
		}
		if err := im.updateCI(ctx, tx, in, members); err != nil {
			return err
		}
	}
	for start := 0; start < len(creates); start += ciChunk {
		chunk := creates[start:min(start+ciChunk, len(creates))]
		builders := make([]*ent.ConfigurationItemCreate, len(chunk))
		for i, in := range chunk {
			builders[i] = im.ciCreate(tx, in)
		}
		cis, err := tx.ConfigurationItem.CreateBulk(builders...).Save(ctx)
		if err != nil {
			if len(chunk) == 1 {
				return wrapAt(&chunk[0].elem, err)
			}
			return fmt.Errorf("%s to %s: %w", chunk[0].loc.prefix, chunk[len(chunk)-1].loc.prefix, err)
		}
		for i, ci := range cis {
			in := chunk[i]
			in.id = ci.ID
			for _, f := range primaryOf(ci) {
				if f.value != "" {
					im.db.hold(f.kind, f.value, ci.ID)
				}
			}
			im.rep.created(EntConfigurationItems, ciName(in))
		}
		if err := im.addIdentifiers(ctx, tx, chunk); err != nil {
			return err
		}
	}
	var updated []*ciIn
	for _, in := range im.cis {
		if !in.bad && in.match != nil {
			updated = append(updated, in)
		}
	}
	return im.addIdentifiers(ctx, tx, updated)
}

// addIdentifiers creates the listed identifiers the CIs do not have yet.
func (im *importer) addIdentifiers(ctx context.Context, tx *ent.Client, cis []*ciIn) error {
	var builders []*ent.IdentifierCreate
	var owners []*ciIn
	for _, in := range cis {
		for _, id := range in.e.Identifiers {
			if im.db.ciIdents[in.id][identKey(id.Kind, id.Value)] {
				continue
			}
			b := tx.Identifier.Create().SetConfigurationItemID(in.id).
				SetKind(identifier.Kind(id.Kind)).SetValue(id.Value).SetSource(id.Source)
			if id.Scope != "" {
				b.SetScope(id.Scope)
			}
			builders = append(builders, b)
			owners = append(owners, in)
			im.db.hold(ident.Kind(id.Kind), id.Value, in.id)
			im.rep.created(EntIdentifiers, id.Value)
		}
	}
	for start := 0; start < len(builders); start += ciChunk {
		end := min(start+ciChunk, len(builders))
		if err := tx.Identifier.CreateBulk(builders[start:end]...).Exec(ctx); err != nil {
			if end-start == 1 {
				return wrapAt(&owners[start].elem, err)
			}
			return fmt.Errorf("identifiers of %s to %s: %w", owners[start].loc.prefix, owners[end-1].loc.prefix, err)
		}
	}
	return nil
}

func (im *importer) ciCreate(tx *ent.Client, in *ciIn) *ent.ConfigurationItemCreate {
	e := in.e
	b := tx.ConfigurationItem.Create().SetName(e.Name).SetKind(configurationitem.Kind(e.Kind)).
		SetNillableHostname(nz(e.Hostname)).SetNillableFqdn(nz(e.FQDN)).
		SetNillableSerialNumber(nz(e.SerialNumber)).SetNillableAssetTag(nz(e.AssetTag)).
		SetNillableDescription(nz(e.Description)).SetNillableLastSeenAt(e.LastSeenAt)
	if e.Status != "" {
		b.SetStatus(configurationitem.Status(e.Status))
	}
	if e.Environment != "" {
		b.SetEnvironment(configurationitem.Environment(e.Environment))
	}
	if e.Criticality != "" {
		b.SetCriticality(configurationitem.Criticality(e.Criticality))
	}
	if e.Tags != nil {
		b.SetTags(e.Tags)
	}
	if e.Attributes != nil {
		b.SetAttributes(e.Attributes)
	}
	if e.Facts != nil {
		b.SetFacts(e.Facts)
	}
	if in.owner.set() {
		b.SetOwnerID(in.owner.id())
	}
	if in.vendor.set() {
		b.SetVendorID(in.vendor.id())
	}
	if in.location.set() {
		b.SetLocationID(in.location.id())
	}
	if len(in.svcIDs) > 0 {
		b.AddServiceIDs(in.svcIDs...)
	}
	return b
}

func (im *importer) updateCI(ctx context.Context, tx *ent.Client, in *ciIn, members map[int]map[int]bool) error {
	e := in.e
	cur := in.match
	u := tx.ConfigurationItem.UpdateOneID(in.id)
	changed := false
	if e.Name != cur.Name {
		u.SetName(e.Name)
		changed = true
	}
	if e.Kind != "" && e.Kind != string(cur.Kind) {
		u.SetKind(configurationitem.Kind(e.Kind))
		changed = true
	}
	if e.Status != "" && e.Status != string(cur.Status) {
		u.SetStatus(configurationitem.Status(e.Status))
		changed = true
	}
	if e.Environment != "" && e.Environment != string(cur.Environment) {
		u.SetEnvironment(configurationitem.Environment(e.Environment))
		changed = true
	}
	if e.Criticality != "" && e.Criticality != string(cur.Criticality) {
		u.SetCriticality(configurationitem.Criticality(e.Criticality))
		changed = true
	}
	changed = setStr(e.Hostname, cur.Hostname, u.SetHostname) || changed
	changed = setStr(e.FQDN, cur.Fqdn, u.SetFqdn) || changed
	changed = setStr(e.SerialNumber, cur.SerialNumber, u.SetSerialNumber) || changed
	changed = setStr(e.AssetTag, cur.AssetTag, u.SetAssetTag) || changed
	changed = setStr(e.Description, cur.Description, u.SetDescription) || changed
	changed = setTime(e.LastSeenAt, cur.LastSeenAt, u.SetLastSeenAt) || changed
	if e.Tags != nil && !slices.Equal(e.Tags, cur.Tags) && !(len(e.Tags) == 0 && len(cur.Tags) == 0) {
		u.SetTags(e.Tags)
		changed = true
	}
	if m, diff := mergeMap(cur.Attributes, e.Attributes); diff {
		u.SetAttributes(m)
		changed = true
	}
	if m, diff := mergeMap(cur.Facts, e.Facts); diff {
		u.SetFacts(m)
		changed = true
	}
	changed = setRef(in.owner, cur.OwnerID, u.SetOwnerID) || changed
	changed = setRef(in.vendor, cur.VendorID, u.SetVendorID) || changed
	changed = setRef(in.location, cur.LocationID, u.SetLocationID) || changed
	for _, s := range in.svcIDs {
		if !members[s][in.id] {
			u.AddServiceIDs(s)
			changed = true
		}
	}
	if err := im.finish(ctx, &in.elem, EntConfigurationItems, ciName(in), changed, u.Exec); err != nil {
		return err
	}
	if changed {
		for _, f := range primaryOfElem(e) {
			if f.value != "" {
				im.db.hold(f.kind, f.value, in.id)
			}
		}
	}
	return nil
}

func (im *importer) applyRelationships(ctx context.Context, tx *ent.Client) error {
	if len(im.rels) == 0 {
		return nil
	}
	var from []int
	for _, in := range im.rels {
		if !in.bad && in.from.id() != 0 {
			from = append(from, in.from.id())
		}
	}
	existing, err := relationshipSet(ctx, tx, from)
	if err != nil {
		return err
	}
	for _, in := range im.rels {
		if in.bad {
			continue
		}
		name := in.e.From + " " + in.e.Type + " " + in.e.To
		k := relKey{in.from.id(), in.to.id(), in.e.Type}
		if cur, ok := existing[k]; ok {
			u := tx.Relationship.UpdateOneID(cur.ID)
			changed := setStr(in.e.Description, cur.Description, u.SetDescription)
			if len(in.e.Attributes) > 0 && !maps.Equal(in.e.Attributes, cur.Attributes) {
				u.SetAttributes(in.e.Attributes)
				changed = true
			}
			if err := im.finish(ctx, &in.elem, EntRelationships, name, changed, u.Exec); err != nil {
				return err
			}
			continue
		}
		cr := tx.Relationship.Create().SetFromID(k.from).SetToID(k.to).SetType(relationship.Type(in.e.Type)).
			SetSource(in.e.Source).SetNillableDescription(nz(in.e.Description))
		if len(in.e.Attributes) > 0 {
			cr.SetAttributes(in.e.Attributes)
		}
		r, err := cr.Save(ctx)
		if err != nil {
			return wrapAt(&in.elem, err)
		}
		existing[k] = r
		im.rep.created(EntRelationships, name)
	}
	return nil
}

func missingIDs(targets []target, have []int) []int {
	set := map[int]bool{}
	for _, h := range have {
		set[h] = true
	}
	var out []int
	for _, t := range targets {
		if id := t.id(); id != 0 && !set[id] {
			set[id] = true
			out = append(out, id)
		}
	}
	return out
}
