package costs_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/costs"
	"github.com/cairn-cmdb/cairn/internal/finance"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func TestPerYear(t *testing.T) {
	for _, c := range []struct {
		name       string
		cost       int64
		start, end string
		want       int64
	}{
		{"one year of 365 days", 120000, "2025-01-01", "2026-01-01", 120000},
		{"two years of 365 days", 73000, "2024-07-01", "2026-07-01", 36500},
		{"a leap year: cost × 365/366, half up", 100000, "2024-01-01", "2025-01-01", 99727}, // 99726.78
		{"half a year: 182 days", 100000, "2025-01-01", "2025-07-02", 200549},               // 200549.45
		{"a half minor unit rounds up", 1, "2025-01-01", "2027-01-01", 1},                   // 0.5
		{"zero cost", 0, "2025-01-01", "2026-01-01", 0},
		{"no duration: the cost", 5000, "2025-01-01", "2025-01-01", 5000},
		{"end before start: the cost", 5000, "2025-01-01", "2024-01-01", 5000},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := &ent.Contract{CostMinor: c.cost, StartDate: day(c.start), EndDate: day(c.end), Currency: "EUR"}
			if got := costs.PerYear(k); got != c.want {
				t.Errorf("PerYear(%d over %s … %s) = %d, want %d", c.cost, c.start, c.end, got, c.want)
			}
		})
	}
}

func TestFinanceAsset(t *testing.T) {
	// Midnight UTC as a driver may return it, in the local zone of a server
	// west of Greenwich: still the previous evening there.
	est := time.FixedZone("EST", -5*3600)
	at := func(s string) *time.Time { d := day(s).In(est); return &d }
	a := &ent.Asset{
		ID: 7, PurchaseDate: at("2024-09-01"), InServiceDate: at("2024-09-01"), CostMinor: 100000, SalvageMinor: 10000,
		Currency: "EUR", UsefulLifeMonths: 30, DepreciationMethod: asset.DepreciationMethodDecliningBalance,
		DecliningRate: ptr(0.6), Convention: asset.ConventionMidMonth, CostCenter: ptr("CC-1"),
		DisposalDate: at("2024-12-01"), DisposalProceedsMinor: ptr(int64(80000)), WarrantyEnd: at("2027-09-01"),
	}
	want := finance.Asset{
		Cost: 100000, Salvage: 10000, Currency: "EUR", UsefulLifeMonths: 30, Method: finance.DecliningBalance,
		DecliningRate: 0.6, Convention: finance.MidMonth, PurchaseDate: ptr(day("2024-09-01")), InServiceDate: day("2024-09-01"),
		DisposalDate: ptr(day("2024-12-01")), DisposalProceeds: ptr(int64(80000)),
	}
	got := costs.FinanceAsset(a)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FinanceAsset =\n%+v\nwant\n%+v", got, want)
	}
	// The schedule starts in September, not on the evening of August 31.
	rows, err := finance.Schedule(got, finance.Month)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || !rows[0].PeriodStart.Equal(day("2024-09-01")) {
		t.Errorf("schedule starts %v, want 2024-09-01", rows)
	}
	// The stored record is not modified.
	if a.InServiceDate.Location() != est {
		t.Errorf("FinanceAsset changed the ent record")
	}

	// Defaults: not in service, no rate, no disposal.
	bare := costs.FinanceAsset(&ent.Asset{CostMinor: 500, Currency: "JPY", UsefulLifeMonths: 60,
		DepreciationMethod: asset.DepreciationMethodStraightLine, Convention: asset.ConventionFullMonth})
	if !reflect.DeepEqual(bare, finance.Asset{Cost: 500, Currency: "JPY", UsefulLifeMonths: 60, Method: finance.StraightLine, Convention: finance.FullMonth}) {
		t.Errorf("FinanceAsset of a bare asset = %+v", bare)
	}
	if v, err := finance.BookValue(bare, day("2030-01-01")); err != nil || v != 500 {
		t.Errorf("book value of an asset not in service = %d, %v; want the cost", v, err)
	}

	// Proceeds recorded before any disposal date (the API allows it) are
	// left out, so that the engine accepts the asset.
	early := costs.FinanceAsset(&ent.Asset{CostMinor: 1200, Currency: "EUR", UsefulLifeMonths: 12, InServiceDate: ptr(day("2025-01-01")),
		DepreciationMethod: asset.DepreciationMethodStraightLine, Convention: asset.ConventionFullMonth, DisposalProceedsMinor: ptr(int64(10))})
	if early.DisposalProceeds != nil {
		t.Errorf("proceeds without a disposal date passed on: %d", *early.DisposalProceeds)
	}
	if v, err := finance.BookValue(early, day("2025-03-15")); err != nil || v != 900 {
		t.Errorf("book value = %d, %v; want 900", v, err)
	}
}

// rollupEstate, as of 2025-02-15:
//
//	asset  CI  currency  cost        method                           in service  book value  depreciation 2025  cost centre
//	X      w1  EUR       1200.00     SUM_OF_YEARS_DIGITS, 3 months     2025-01-05  400.00      800.00 (400 + 400)   OPS
//	Y      w2  JPY       ¥360000     STRAIGHT_LINE 36 m, MID_MONTH     2024-11-20  ¥325000     ¥20000 (Jan, Feb)    OPS
//	Z      b1  EUR       500.00      STRAIGHT_LINE 12 m                2025-06-01  500.00      0 (not yet)          —
//	—      n1  (no asset)
//
// X: a 3-month life is one short asset year, spread evenly: 400.00 a month.
// Y: ¥10000 a month, half in November 2024: 5000 + 3 × 10000 by February.
// Services: Web {w1, w2}, Batch {w2, b1}; n1 in none.
//
// Contracts: C1 EUR 1000.00 2024-06-01 → 2025-06-02 (366 days: 99727 cents a
// year) covers w1, w2; C2 JPY ¥120000 2025-01-01 → 2027-01-01 (¥60000 a
// year) covers b1, n1; C3 EUR ended 2025-01-01 covers w1.
func rollupEstate(t *testing.T, ctx context.Context, c *ent.Client) {
	t.Helper()
	err := txn.Do(audit.WithActor(ctx, "costs-test"), c, func(tx *ent.Client) error {
		ctx := audit.WithActor(ctx, "costs-test")
		ci := func(name string) *ent.ConfigurationItem {
			x, err := tx.ConfigurationItem.Create().SetName(name).SetKind(configurationitem.KindServer).Save(ctx)
			if err != nil {
				t.Fatalf("CI %s: %v", name, err)
			}
			return x
		}
		w1, w2, b1, n1 := ci("w1"), ci("w2"), ci("b1"), ci("n1")
		if err := tx.Service.Create().SetName("Web").AddMembers(w1, w2).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Service.Create().SetName("Batch").AddMembers(w2, b1).Exec(ctx); err != nil {
			return err
		}
		for _, a := range []*ent.AssetCreate{
			tx.Asset.Create().SetConfigurationItem(w1).SetCurrency("EUR").SetCostMinor(120000).SetUsefulLifeMonths(3).
				SetDepreciationMethod(asset.DepreciationMethodSumOfYearsDigits).SetInServiceDate(day("2025-01-05")).SetCostCenter("OPS"),
			tx.Asset.Create().SetConfigurationItem(w2).SetCurrency("JPY").SetCostMinor(360000).SetUsefulLifeMonths(36).
				SetConvention(asset.ConventionMidMonth).SetInServiceDate(day("2024-11-20")).SetCostCenter("OPS"),
			tx.Asset.Create().SetConfigurationItem(b1).SetCurrency("EUR").SetCostMinor(50000).SetUsefulLifeMonths(12).
				SetInServiceDate(day("2025-06-01")),
		} {
			if err := a.Exec(ctx); err != nil {
				return err
			}
		}
		for _, k := range []*ent.ContractCreate{
			tx.Contract.Create().SetNumber("C1").SetCurrency("EUR").SetCostMinor(100000).
				SetStartDate(day("2024-06-01")).SetEndDate(day("2025-06-02")).AddCoveredCis(w1, w2),
			tx.Contract.Create().SetNumber("C2").SetCurrency("JPY").SetCostMinor(120000).
				SetStartDate(day("2025-01-01")).SetEndDate(day("2027-01-01")).AddCoveredCis(b1, n1),
			tx.Contract.Create().SetNumber("C3").SetCurrency("EUR").SetCostMinor(999900).
				SetStartDate(day("2024-01-01")).SetEndDate(day("2025-01-01")).AddCoveredCis(w1),
		} {
			if err := k.SetKind(contract.KindSupport).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
}

// line renders a row: group currency count | purchase book depreciation contracts/yr TCO, in minor units.
func line(r costs.Row) string {
	return fmt.Sprintf("%s %s %s %d | %d %d %d %d %d", r.Key, r.Group, r.Currency, r.AssetCount,
		r.PurchaseCost, r.BookValue, r.DepreciationThisYear, r.ContractCostPerYear, r.TotalCostOfOwnership)
}

func TestRollup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		rows, err := costs.Rollup(ctx, db.Client, costs.ByService, day("2025-02-15"))
		if err != nil || len(rows) != 0 {
			t.Fatalf("empty estate: %v, %v; want no rows", rows, err)
		}

		rollupEstate(t, ctx, db.Client)
		for _, c := range []struct {
			key  costs.Key
			asOf string
			want []string
		}{
			{costs.ByService, "2025-02-15", []string{
				// n1 has no service and no asset: no life to spread C2 over.
				"SERVICE (none) JPY 0 | 0 0 0 60000 0",
				// C1 covers w2, in Batch: 500.00 + 997.27 × 1 year.
				"SERVICE Batch EUR 1 | 50000 50000 0 99727 149727",
				// ¥360000 + ¥60000 × 3 years.
				"SERVICE Batch JPY 1 | 360000 325000 20000 60000 540000",
				// C1 covers w1 and w2, both in Web: once. 1200.00 + 997.27 × 0.25.
				"SERVICE Web EUR 1 | 120000 40000 80000 99727 144932",
				"SERVICE Web JPY 1 | 360000 325000 20000 0 360000",
			}},
			{costs.ByCostCenter, "2025-02-15", []string{
				"COST_CENTER (none) EUR 1 | 50000 50000 0 0 50000",
				// C2 covers b1 (Z, no cost centre) and n1 (no asset): once.
				// No JPY asset without a cost centre: Z's 1 year.
				"COST_CENTER (none) JPY 0 | 0 0 0 60000 60000",
				"COST_CENTER OPS EUR 1 | 120000 40000 80000 99727 144932",
				"COST_CENTER OPS JPY 1 | 360000 325000 20000 0 360000",
			}},
			// No owner, vendor or location anywhere: one group per currency.
			{costs.ByOwner, "2025-02-15", []string{
				// 1200.00 + 500.00 + (997.27 × (0.25 + 1) / 2 = 623.29375).
				"OWNER (none) EUR 2 | 170000 90000 80000 99727 232329",
				"OWNER (none) JPY 1 | 360000 325000 20000 60000 540000",
			}},
			{costs.ByVendor, "2025-02-15", []string{
				"VENDOR (none) EUR 2 | 170000 90000 80000 99727 232329",
				"VENDOR (none) JPY 1 | 360000 325000 20000 60000 540000",
			}},
			{costs.ByLocation, "2025-02-15", []string{
				"LOCATION (none) EUR 2 | 170000 90000 80000 99727 232329",
				"LOCATION (none) JPY 1 | 360000 325000 20000 60000 540000",
			}},
			// A year later: X fully depreciated; Y at month 17 of its
			// mid-month schedule (165000 accumulated, 2026 = Jan … Mar =
			// 30000); Z at month 10 of 12, rounding carried: 50000 × 10/12 =
			// 41666.67 → 41667 accumulated, 2026 = 41667 − 29167 = 12500. C1
			// has ended.
			{costs.ByService, "2026-03-31", []string{
				"SERVICE (none) JPY 0 | 0 0 0 60000 0",
				"SERVICE Batch EUR 1 | 50000 8333 12500 0 50000",
				"SERVICE Batch JPY 1 | 360000 195000 30000 60000 540000",
				"SERVICE Web EUR 1 | 120000 0 0 0 120000",
				"SERVICE Web JPY 1 | 360000 195000 30000 0 360000",
			}},
			// Before anything is in service: book value = cost; C2 has not
			// started yet and C3 still runs: 9999.00 × 365/366 = 9971.68 a
			// year more for Web, TCO 1200.00 + 10968.95 × 0.25 = 3942.2375.
			{costs.ByService, "2024-10-01", []string{
				"SERVICE Batch EUR 1 | 50000 50000 0 99727 149727",
				"SERVICE Batch JPY 1 | 360000 360000 0 0 360000",
				"SERVICE Web EUR 1 | 120000 120000 0 1096895 394224",
				"SERVICE Web JPY 1 | 360000 360000 0 0 360000",
			}},
		} {
			t.Run(fmt.Sprintf("%s at %s", c.key, c.asOf), func(t *testing.T) {
				rows, err := costs.Rollup(ctx, db.Client, c.key, day(c.asOf))
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range rows {
					got = append(got, line(r))
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("Rollup(%s, %s):\n got %q\nwant %q", c.key, c.asOf, got, c.want)
				}
			})
		}
	})
}
