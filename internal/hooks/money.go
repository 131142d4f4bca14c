package hooks

import (
	"context"
	"fmt"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/money"
)

// currencyColumn is the currency of contracts and assets alike.
const currencyColumn = contract.FieldCurrency

// amountField is a column holding minor units of the row's currency, with
// the name people know it by (the GraphQL and import field).
type amountField struct {
	column string
	name   string
}

// amountFields returns the money columns of a mutation type, or nil for a
// type without money.
func amountFields(typ string) []amountField {
	switch typ {
	case ent.TypeContract:
		return []amountField{{contract.FieldCostMinor, "cost"}}
	case ent.TypeAsset:
		return []amountField{
			{asset.FieldCostMinor, "cost"},
			{asset.FieldSalvageMinor, "salvageValue"},
			{asset.FieldDisposalProceedsMinor, "disposalProceeds"},
		}
	}
	return nil
}

// storedMoney keeps what contracts and assets store consistent with their
// currency. An update that changes the currency without giving an amount
// re-expresses the stored amount in the new currency with the same decimal
// value (12.50 EUR becomes 12.50 USD), or is refused on "currency" when the
// new currency cannot hold it (12.50 EUR in JPY). Bulk updates of the
// currency are refused unless they give every amount. An amount the
// update clears (disposal proceeds) is not recast.
//
// It is registered before the type hooks, so validateAsset compares the
// salvage value with the cost in the new currency.
func storedMoney(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		fields := amountFields(m.Type())
		if fields == nil {
			return next.Mutate(ctx, m)
		}
		if err := recastAmounts(ctx, m, fields); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// recastAmounts re-expresses the stored amounts m does not set when m
// changes the currency.
func recastAmounts(ctx context.Context, m ent.Mutation, fields []amountField) error {
	v, ok := m.Field(currencyColumn)
	if !ok || m.Op().Is(ent.OpCreate) {
		return nil
	}
	s, _ := v.(string)
	to := strings.ToUpper(strings.TrimSpace(s))
	if !money.ValidCurrency(to) {
		return nil // the column's validator names the field
	}
	var keep []amountField
	for _, f := range fields {
		if _, set := m.Field(f.column); !set && !m.FieldCleared(f.column) {
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	if !m.Op().Is(ent.OpUpdateOne) {
		return apperr.New(apperr.BadUserInput, "bulk updates of the currency without %s are not supported: update each %s",
			keep[0].name, strings.ToLower(m.Type()))
	}
	ov, err := m.OldField(ctx, currencyColumn)
	if err != nil {
		return fmt.Errorf("reading stored currency: %w", err)
	}
	from, _ := ov.(string)
	if from == to {
		return nil
	}
	for _, f := range keep {
		old, err := m.OldField(ctx, f.column)
		if err != nil {
			return fmt.Errorf("reading stored %s: %w", f.name, err)
		}
		var minor int64
		switch x := old.(type) {
		case int64:
			minor = x
		case *int64:
			if x == nil {
				continue
			}
			minor = *x
		default:
			return fmt.Errorf("stored %s is a %T, want minor units", f.name, old)
		}
		nv, err := money.Recast(minor, from, to)
		if err != nil {
			return apperr.Invalid("currency", "the stored %s %s cannot be expressed in %s: give %s in the same update",
				f.name, money.Format(minor, from), to, f.name)
		}
		if err := m.SetField(f.column, nv); err != nil {
			return fmt.Errorf("setting %s in %s: %w", f.name, to, err)
		}
	}
	return nil
}
