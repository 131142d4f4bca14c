package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/money"
	"github.com/cairn-cmdb/cairn/internal/relationships"
)

func (r *Resolver) addRelationship(ctx context.Context, from, to int, typ relationship.Type, description *string, attrs map[string]string) (*ent.Relationship, error) {
	return relationships.Add(ctx, r.tx(ctx), from, to, typ, description, attrs, "record")
}

// currencyOf converts an input currency, or def when none is given.
func currencyOf(in *string, def string) (string, error) {
	cur, err := money.CurrencyOr(in, def)
	if err != nil {
		return "", apperr.InvalidErr("currency", err)
	}
	return cur, nil
}

// amounts converts the decimal amounts of an input, by field name, into
// minor units of cur and hands each given one to its setter.
func amounts(cur string, fields []amountInput) error {
	for _, f := range fields {
		v, err := money.ParseOptional(f.in, cur)
		if err != nil {
			return apperr.InvalidErr(f.name, err)
		}
		if v != nil {
			f.set(*v)
		}
	}
	return nil
}

type amountInput struct {
	name string
	in   *string
	set  func(int64)
}

// The create and update mutations of contracts and assets convert decimal
// amounts in the record's currency; the hooks keep stored amounts in step
// when an update changes the currency (internal/hooks/money.go).

func (r *Resolver) createContract(ctx context.Context, in model.CreateContractInput) (*ent.Contract, error) {
	cur, err := currencyOf(in.Currency, contract.DefaultCurrency)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	b := r.tx(ctx).Contract.Create().SetInput(in.CreateContractInput)
	if err := amounts(cur, []amountInput{{"cost", in.Cost, func(v int64) { b.SetCostMinor(v) }}}); err != nil {
		return nil, err
	}
	return b.Save(ctx)
}

func (r *Resolver) updateContract(ctx context.Context, id int, in model.UpdateContractInput) (*ent.Contract, error) {
	c := r.tx(ctx)
	stored, err := c.Contract.Query().Where(contract.ID(id)).Select(contract.FieldCurrency).String(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := currencyOf(in.Currency, stored)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	b := c.Contract.UpdateOneID(id).SetInput(in.UpdateContractInput)
	if err := amounts(cur, []amountInput{{"cost", in.Cost, func(v int64) { b.SetCostMinor(v) }}}); err != nil {
		return nil, err
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
	if err := amounts(cur, []amountInput{
		{"cost", in.Cost, func(v int64) { b.SetCostMinor(v) }},
		{"salvageValue", in.SalvageValue, func(v int64) { b.SetSalvageMinor(v) }},
		{"disposalProceeds", in.DisposalProceeds, func(v int64) { b.SetDisposalProceedsMinor(v) }},
	}); err != nil {
		return nil, err
	}
	return b.Save(ctx)
}

func (r *Resolver) updateAsset(ctx context.Context, id int, in model.UpdateAssetInput) (*ent.Asset, error) {
	c := r.tx(ctx)
	stored, err := c.Asset.Query().Where(asset.ID(id)).Select(asset.FieldCurrency).String(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := currencyOf(in.Currency, stored)
	if err != nil {
		return nil, err
	}
	in.Currency = &cur
	b := c.Asset.UpdateOneID(id).SetInput(in.UpdateAssetInput)
	if err := amounts(cur, []amountInput{
		{"cost", in.Cost, func(v int64) { b.SetCostMinor(v) }},
		{"salvageValue", in.SalvageValue, func(v int64) { b.SetSalvageMinor(v) }},
		{"disposalProceeds", in.DisposalProceeds, func(v int64) { b.SetDisposalProceedsMinor(v) }},
	}); err != nil {
		return nil, err
	}
	if in.ClearDisposalProceeds != nil && *in.ClearDisposalProceeds {
		// Two fields of the input that contradict each other: ent would
		// let the later call win.
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
