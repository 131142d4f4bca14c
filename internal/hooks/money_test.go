package hooks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// assetMoney renders an asset's stored money as "cost salvage proceeds CUR"
// in minor units, proceeds "-" when there are none.
func assetMoney(a *ent.Asset) string {
	p := "-"
	if a.DisposalProceedsMinor != nil {
		p = fmt.Sprint(*a.DisposalProceedsMinor)
	}
	return fmt.Sprintf("%d %d %s %s", a.CostMinor, a.SalvageMinor, p, a.Currency)
}

// TestCurrencyChangeRecastsStoredAmounts writes contracts and assets
// straight through the ent client, as an import or the CLI does: a new
// currency without amounts re-expresses the stored ones with the same
// decimal value, or is refused on "currency" naming the amount to give,
// exactly as the GraphQL API answers.
func TestCurrencyChangeRecastsStoredAmounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "test")
		var assetID, contractID int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("money").SetKind(configurationitem.KindServer).Save(ctx)
			if err != nil {
				return err
			}
			a, err := tx.Asset.Create().SetConfigurationItemID(ci.ID).SetCurrency("EUR").
				SetCostMinor(1250).SetSalvageMinor(100).SetDisposalProceedsMinor(1010).Save(ctx)
			if err != nil {
				return err
			}
			start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			k, err := tx.Contract.Create().SetNumber("C-1").SetKind(contract.KindLicense).
				SetStartDate(start).SetEndDate(start.AddDate(1, 0, 0)).SetCurrency("BHD").SetCostMinor(12005).Save(ctx)
			if err != nil {
				return err
			}
			assetID, contractID = a.ID, k.ID
			return nil
		}); err != nil {
			t.Fatalf("creating rows: %v", err)
		}
		storedAsset := func() string { return assetMoney(c.Asset.GetX(ctx, assetID)) }
		storedContract := func() string {
			k := c.Contract.GetX(ctx, contractID)
			return fmt.Sprintf("%d %s", k.CostMinor, k.Currency)
		}
		tests := []struct {
			name   string
			write  func(tx *ent.Client) error
			field  string // refused on this field when msg is set
			msg    string
			stored func() string
			want   string
		}{
			{"asset to USD keeps every amount's decimal value", func(tx *ent.Client) error {
				return tx.Asset.UpdateOneID(assetID).SetCurrency(" usd ").Exec(ctx)
			}, "", "", storedAsset, "1250 100 1010 USD"},
			{"same currency changes nothing", func(tx *ent.Client) error {
				return tx.Asset.UpdateOneID(assetID).SetCurrency("USD").Exec(ctx)
			}, "", "", storedAsset, "1250 100 1010 USD"},
			{"asset to JPY cannot hold 12.50", func(tx *ent.Client) error {
				return tx.Asset.UpdateOneID(assetID).SetCurrency("JPY").Exec(ctx)
			}, "currency", "the stored cost 12.50 cannot be expressed in JPY: give cost in the same update", storedAsset, "1250 100 1010 USD"},
			{"given cost and salvage, the proceeds still cannot be held", func(tx *ent.Client) error {
				return tx.Asset.UpdateOneID(assetID).SetCurrency("JPY").SetCostMinor(1900).SetSalvageMinor(0).Exec(ctx)
			}, "currency", "the stored disposalProceeds 10.10 cannot be expressed in JPY: give disposalProceeds in the same update", storedAsset, "1250 100 1010 USD"},
			{"cleared proceeds are not recast", func(tx *ent.Client) error {
				return tx.Asset.UpdateOneID(assetID).SetCurrency("JPY").SetCostMinor(1900).SetSalvageMinor(0).ClearDisposalProceedsMinor().Exec(ctx)
			}, "", "", storedAsset, "1900 0 - JPY"},
			{"salvage is checked against the recast cost", func(tx *ent.Client) error {
				// 1900 JPY is 1900.00 USD: a salvage value of 1000.00 USD fits.
				return tx.Asset.UpdateOneID(assetID).SetCurrency("USD").SetSalvageMinor(100000).Exec(ctx)
			}, "", "", storedAsset, "190000 100000 - USD"},
			{"salvage above the recast cost is refused", func(tx *ent.Client) error {
				return tx.Asset.UpdateOneID(assetID).SetCurrency("KWD").SetSalvageMinor(1900001).Exec(ctx)
			}, "salvageValue", "salvage value 1900.001 must not exceed cost 1900.000", storedAsset, "190000 100000 - USD"},
			{"bulk currency change without the amounts", func(tx *ent.Client) error {
				return tx.Asset.Update().SetCurrency("EUR").Exec(ctx)
			}, "", "bulk updates of the currency without cost are not supported: update each asset", storedAsset, "190000 100000 - USD"},
			{"bulk currency change giving every amount", func(tx *ent.Client) error {
				return tx.Asset.Update().SetCurrency("EUR").SetCostMinor(500).SetSalvageMinor(0).SetDisposalProceedsMinor(0).Exec(ctx)
			}, "", "", storedAsset, "500 0 0 EUR"},
			{"contract to KWD keeps three decimals", func(tx *ent.Client) error {
				return tx.Contract.UpdateOneID(contractID).SetCurrency("KWD").Exec(ctx)
			}, "", "", storedContract, "12005 KWD"},
			{"contract to EUR cannot hold 12.005", func(tx *ent.Client) error {
				return tx.Contract.UpdateOneID(contractID).SetCurrency("EUR").Exec(ctx)
			}, "currency", "the stored cost 12.005 cannot be expressed in EUR: give cost in the same update", storedContract, "12005 KWD"},
			{"contract to EUR with its cost", func(tx *ent.Client) error {
				return tx.Contract.UpdateOneID(contractID).SetCurrency("EUR").SetCostMinor(1201).Exec(ctx)
			}, "", "", storedContract, "1201 EUR"},
			{"bulk contract update", func(tx *ent.Client) error {
				return tx.Contract.Update().SetCurrency("USD").Exec(ctx)
			}, "", "bulk updates of the currency without cost are not supported: update each contract", storedContract, "1201 EUR"},
		}
		for _, tc := range tests {
			err := txn.Do(ctx, c, tc.write)
			switch {
			case tc.msg == "" && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.msg != "":
				ae, ok := apperr.As(err)
				if !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field || !strings.Contains(ae.Error(), tc.msg) {
					t.Errorf("%s: err = %v, want BAD_USER_INPUT on %q containing %q", tc.name, err, tc.field, tc.msg)
				}
			}
			if got := tc.stored(); got != tc.want {
				t.Errorf("%s: stored %s, want %s", tc.name, got, tc.want)
			}
		}
		// An unknown currency is left to the column's validator, which
		// names the field.
		err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.Asset.UpdateOneID(assetID).SetCurrency("ZZZ").Exec(ctx)
		})
		var ve *ent.ValidationError
		if !errors.As(err, &ve) || ve.Name != "currency" || !strings.Contains(err.Error(), `unknown currency "ZZZ"`) {
			t.Errorf("unknown currency: err = %v, want a validation error on currency", err)
		}
	})
}
