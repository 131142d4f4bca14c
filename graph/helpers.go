package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/money"
)

func (r *Resolver) addRelationship(ctx context.Context, from, to int, typ relationship.Type, description *string) (*ent.Relationship, error) {
	c := r.tx(ctx)
	if err := hooks.CheckRelationshipEnds(from, to); err != nil {
		return nil, err
	}
	found, err := c.ConfigurationItem.Query().Where(configurationitem.IDIn(from, to)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking CIs %d and %d: %w", from, to, err)
	}
	for _, want := range []struct {
		id    int
		field string
	}{{from, "from"}, {to, "to"}} {
		if !containsInt(found, want.id) {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: want.field, Msg: fmt.Sprintf("configuration item %d does not exist", want.id)}
		}
	}
	exists, err := c.Relationship.Query().Where(relationship.FromID(from), relationship.ToID(to), relationship.TypeEQ(typ)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking relationship: %w", err)
	}
	if exists {
		return nil, &apperr.Error{Code: apperr.Conflict, Field: "type", Msg: fmt.Sprintf("CI %d already has a %s relationship to CI %d", from, typ, to)}
	}
	return c.Relationship.Create().
		SetFromID(from).SetToID(to).SetType(typ).
		SetNillableDescription(description).
		SetSource("record").
		Save(ctx)
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// currencyOf normalises an input currency, or falls back to def.
func currencyOf(in *string, def string) (string, error) {
	if in == nil {
		return def, nil
	}
	c, err := money.NormalizeCurrency(*in)
	if err != nil {
		return "", apperr.InvalidErr("currency", err)
	}
	return c, nil
}

// amount parses a decimal money input in currency cur.
func amount(field string, in *string, cur string) (*int64, error) {
	if in == nil {
		return nil, nil
	}
	v, err := money.ParseNonNegative(strings.TrimSpace(*in), cur)
	if err != nil {
		return nil, apperr.InvalidErr(field, err)
	}
	return &v, nil
}

// recast re-expresses a stored amount in a new currency with the same
// decimal value, or fails when the new currency cannot hold it.
func recast(field string, minor int64, from, to string) (int64, error) {
	if from == to {
		return minor, nil
	}
	s := money.Format(minor, from)
	v, err := money.Parse(s, to)
	if err != nil {
		return 0, apperr.Invalid("currency", "the stored %s %s cannot be expressed in %s: give %s in the same update", field, s, to, field)
	}
	return v, nil
}

func (r *Resolver) createContract(ctx context.Context, in model.CreateContractInput) (*ent.Contract, error) {
	cur, err := currencyOf(in.Currency, contract.DefaultCurrency)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	cost, err := amount("cost", in.Cost, cur)
	if err != nil {
		return nil, err
	}
	b := r.tx(ctx).Contract.Create().SetInput(in.CreateContractInput)
	if cost != nil {
		b.SetCostMinor(*cost)
	}
	return b.Save(ctx)
}

func (r *Resolver) updateContract(ctx context.Context, id int, in model.UpdateContractInput) (*ent.Contract, error) {
	c := r.tx(ctx)
	old, err := c.Contract.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	cur, err := currencyOf(in.Currency, old.Currency)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	cost, err := amount("cost", in.Cost, cur)
	if err != nil {
		return nil, err
	}
	if cost == nil && cur != old.Currency {
		v, err := recast("cost", old.CostMinor, old.Currency, cur)
		if err != nil {
			return nil, err
		}
		cost = &v
	}
	b := c.Contract.UpdateOneID(id).SetInput(in.UpdateContractInput)
	if cost != nil {
		b.SetCostMinor(*cost)
	}
	return b.Save(ctx)
}

func (r *Resolver) createAsset(ctx context.Context, in model.CreateAssetInput) (*ent.Asset, error) {
	cur, err := currencyOf(in.Currency, asset.DefaultCurrency)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	b := r.tx(ctx).Asset.Create().SetInput(in.CreateAssetInput)
	for _, f := range []struct {
		name string
		in   *string
		set  func(int64)
	}{
		{"cost", in.Cost, func(v int64) { b.SetCostMinor(v) }},
		{"salvageValue", in.SalvageValue, func(v int64) { b.SetSalvageMinor(v) }},
		{"disposalProceeds", in.DisposalProceeds, func(v int64) { b.SetDisposalProceedsMinor(v) }},
	} {
		v, err := amount(f.name, f.in, cur)
		if err != nil {
			return nil, err
		}
		if v != nil {
			f.set(*v)
		}
	}
	return b.Save(ctx)
}

func (r *Resolver) updateAsset(ctx context.Context, id int, in model.UpdateAssetInput) (*ent.Asset, error) {
	c := r.tx(ctx)
	old, err := c.Asset.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	cur, err := currencyOf(in.Currency, old.Currency)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	b := c.Asset.UpdateOneID(id).SetInput(in.UpdateAssetInput)
	oldProceeds := int64(0)
	if old.DisposalProceedsMinor != nil {
		oldProceeds = *old.DisposalProceedsMinor
	}
	for _, f := range []struct {
		name string
		in   *string
		old  int64
		keep bool
		set  func(int64)
	}{
		{"cost", in.Cost, old.CostMinor, true, func(v int64) { b.SetCostMinor(v) }},
		{"salvageValue", in.SalvageValue, old.SalvageMinor, true, func(v int64) { b.SetSalvageMinor(v) }},
		{"disposalProceeds", in.DisposalProceeds, oldProceeds, old.DisposalProceedsMinor != nil, func(v int64) { b.SetDisposalProceedsMinor(v) }},
	} {
		v, err := amount(f.name, f.in, cur)
		if err != nil {
			return nil, err
		}
		if v == nil && f.keep && cur != old.Currency {
			rv, err := recast(f.name, f.old, old.Currency, cur)
			if err != nil {
				return nil, err
			}
			v = &rv
		}
		if v != nil {
			f.set(*v)
		}
	}
	if in.ClearDisposalProceeds != nil && *in.ClearDisposalProceeds {
		if in.DisposalProceeds != nil {
			return nil, apperr.Invalid("clearDisposalProceeds", "give either disposalProceeds or clearDisposalProceeds, not both")
		}
		b.ClearDisposalProceedsMinor()
	}
	return b.Save(ctx)
}

func (r *Resolver) configurationItemAt(ctx context.Context, id int, at time.Time) (*model.ConfigurationItemSnapshot, error) {
	s, err := audit.RebuildCI(ctx, r.client, id, at)
	if err != nil || s == nil {
		return nil, err
	}
	str := func(k string) *string {
		if v, ok := s.Fields[k].(string); ok {
			return &v
		}
		return nil
	}
	num := func(k string) *int {
		if v, ok := s.Fields[k].(float64); ok {
			n := int(v)
			return &n
		}
		return nil
	}
	out := &model.ConfigurationItemSnapshot{
		ID:           id,
		At:           at,
		Existed:      s.Existed,
		Hostname:     str("hostname"),
		Fqdn:         str("fqdn"),
		SerialNumber: str("serial_number"),
		AssetTag:     str("asset_tag"),
		Description:  str("description"),
		OwnerID:      num("owner_id"),
		VendorID:     num("vendor_id"),
		LocationID:   num("location_id"),
		Fields:       s.Fields,
		LastChange:   s.LastChange,
	}
	if v := str("name"); v != nil {
		out.Name = *v
	}
	if v := str("kind"); v != nil {
		out.Kind = configurationitem.Kind(*v)
	}
	if v := str("status"); v != nil {
		out.Status = configurationitem.Status(*v)
	}
	if v := str("environment"); v != nil {
		out.Environment = configurationitem.Environment(*v)
	}
	if v := str("criticality"); v != nil {
		out.Criticality = configurationitem.Criticality(*v)
	}
	if tags, ok := s.Fields["tags"].([]any); ok {
		for _, t := range tags {
			out.Tags = append(out.Tags, fmt.Sprint(t))
		}
	}
	if attrs, ok := s.Fields["attributes"].(map[string]any); ok {
		out.Attributes = attrs
	}
	for _, rel := range s.Relationships {
		out.Relationships = append(out.Relationships, &model.RelationshipSnapshot{
			ID: rel.ID, Type: relationship.Type(rel.Type), FromID: rel.FromID, ToID: rel.ToID,
		})
	}
	if out.Relationships == nil {
		out.Relationships = []*model.RelationshipSnapshot{}
	}
	return out, nil
}
