package finance

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/money"
)

var update = flag.Bool("update", false, "rewrite the golden schedules in testdata")

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ptr[T any](v T) *T { return &v }

// mustParse converts a decimal amount of currency into minor units.
func mustParse(t testing.TB, amount, currency string) int64 {
	t.Helper()
	v, err := money.Parse(amount, currency)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// example is a worked example: the whole schedule is a golden file, and
// the figures worked out by hand in the comments are checked here too.
type example struct {
	name  string
	asset func(t testing.TB) Asset
	// Hand-computed YEAR row depreciation, as decimals of the currency.
	years []string
	// Hand-computed first MONTH rows' depreciation (optional).
	months []string
	// Hand-computed book value at disposal and gain (+) or loss (−).
	disposalBV, disposalGain string
}

// eur builds an asset in EUR from decimal strings.
func eur(cost, salvage string, life int, m Method, c Convention, inService time.Time) func(testing.TB) Asset {
	return cur("EUR", cost, salvage, life, m, c, inService)
}

func cur(currency, cost, salvage string, life int, m Method, c Convention, inService time.Time) func(testing.TB) Asset {
	return func(t testing.TB) Asset {
		return Asset{
			Cost: mustParse(t, cost, currency), Salvage: mustParse(t, salvage, currency), Currency: currency,
			UsefulLifeMonths: life, Method: m, Convention: c, InServiceDate: inService,
		}
	}
}

// with applies changes to an asset built by base.
func with(base func(testing.TB) Asset, change func(t testing.TB, a *Asset)) func(testing.TB) Asset {
	return func(t testing.TB) Asset {
		a := base(t)
		change(t, &a)
		return a
	}
}

func disposed(d time.Time, proceeds string) func(testing.TB, *Asset) {
	return func(t testing.TB, a *Asset) {
		a.DisposalDate = &d
		if proceeds != "" {
			a.DisposalProceeds = ptr(mustParse(t, proceeds, a.Currency))
		}
	}
}

func rate(r float64) func(testing.TB, *Asset) {
	return func(_ testing.TB, a *Asset) { a.DecliningRate = r }
}

var examples = []example{
	{
		// 9,000.00 over 60 months is exactly 150.00 a month, 1,800.00 a
		// calendar year when in service in January.
		name:   "straight_line_60m",
		asset:  eur("10000.00", "1000.00", 60, StraightLine, FullMonth, date(2024, 1, 15)),
		years:  []string{"1800.00", "1800.00", "1800.00", "1800.00", "1800.00"},
		months: []string{"150.00", "150.00"},
	},
	{
		// Mid-month: half a month (75.00) in January 2024, then 150.00 a
		// month, and the last half month in January 2029:
		// 2024 = 75 + 11×150 = 1,725.00; 2029 = 75.00.
		name:   "straight_line_60m_mid_month",
		asset:  eur("10000.00", "1000.00", 60, StraightLine, MidMonth, date(2024, 1, 15)),
		years:  []string{"1725.00", "1800.00", "1800.00", "1800.00", "1800.00", "75.00"},
		months: []string{"75.00", "150.00"},
	},
	{
		// A 30-month life in service in the middle of a year: 100.00 a
		// month; July–December 2024 = 6 months, then 12 and 12.
		name:  "straight_line_30m_mid_year",
		asset: eur("3000.00", "0.00", 30, StraightLine, FullMonth, date(2024, 7, 10)),
		years: []string{"600.00", "1200.00", "1200.00"},
	},
	{
		// The same under MID_MONTH: 2024 = 50 + 5×100 = 550.00, then 1,200.00
		// twice and the last half month (50.00) in January 2027.
		name:  "straight_line_30m_mid_year_mid_month",
		asset: eur("3000.00", "0.00", 30, StraightLine, MidMonth, date(2024, 7, 10)),
		years: []string{"550.00", "1200.00", "1200.00", "50.00"},
	},
	{
		// 1,000.00 over 3 months: accumulated round(333.333) = 333.33,
		// round(666.667) = 666.67, 1,000.00, so the months are 333.33,
		// 333.34, 333.33: the rounding is carried and the sum is exact.
		name:   "straight_line_rounding_carried",
		asset:  eur("1000.00", "0.00", 3, StraightLine, FullMonth, date(2024, 11, 5)),
		years:  []string{"666.67", "333.33"},
		months: []string{"333.33", "333.34", "333.33"},
	},
	{
		// Disposed of on 2026-06-20 under FULL_MONTH: January 2024 to June
		// 2026 is 30 full months × 150.00 = 4,500.00; book value 5,500.00;
		// proceeds 5,000.00 give a loss of 500.00.
		name: "straight_line_disposal_loss",
		asset: with(eur("10000.00", "1000.00", 60, StraightLine, FullMonth, date(2024, 1, 15)),
			disposed(date(2026, 6, 20), "5000.00")),
		years:      []string{"1800.00", "1800.00", "900.00"},
		disposalBV: "5500.00", disposalGain: "-500.00",
	},
	{
		// The same under MID_MONTH with proceeds of 6,000.00: 75.00 in
		// January 2024, 28 full months (February 2024 – May 2026) × 150.00
		// = 4,200.00, half of June 2026 = 75.00: 4,350.00 in all; book value
		// 5,650.00, gain 350.00. 2026 = 5×150 + 75 = 825.00.
		name: "straight_line_disposal_gain_mid_month",
		asset: with(eur("10000.00", "1000.00", 60, StraightLine, MidMonth, date(2024, 1, 15)),
			disposed(date(2026, 6, 20), "6000.00")),
		years:      []string{"1725.00", "1800.00", "825.00"},
		disposalBV: "5650.00", disposalGain: "350.00",
	},
	{
		// Disposal after the end of life changes nothing; no proceeds
		// (scrapped) is a loss of the salvage value.
		name: "straight_line_disposal_after_end_scrapped",
		asset: with(eur("3000.00", "300.00", 12, StraightLine, FullMonth, date(2024, 1, 1)),
			disposed(date(2027, 3, 1), "")),
		years:      []string{"2700.00"},
		disposalBV: "300.00", disposalGain: "-300.00",
	},
	{
		// Salvage equal to cost: nothing to depreciate.
		name:  "salvage_equals_cost",
		asset: eur("5000.00", "5000.00", 36, DoubleDecliningBalance, FullMonth, date(2024, 1, 1)),
		years: []string{"0.00", "0.00", "0.00"},
	},
	{
		// NONE: no schedule, the book value stays at cost.
		name:  "none",
		asset: eur("2500.00", "0.00", 60, None, FullMonth, date(2024, 1, 1)),
		years: []string{},
	},
	{
		// The example and the textbook DDB table (5 years: 2/5 = 40%
		// of the opening book value each asset year): 40% of 10,000.00,
		// 6,000.00, 3,600.00, 2,160.00 = 4,000, 2,400, 1,440, 864; year 5
		// would be 40% of 1,296.00 = 518.40 but only 296.00 is left above
		// salvage. Straight line never gives as much (year 4: 1,160/2 = 580
		// < 864), so no switch. In service in January, the calendar years
		// are the asset years; each month is 1/12 of its year: 4,000/12 =
		// 333.33, 333.34, 333.33 (rounding carried).
		name:   "double_declining_60m",
		asset:  eur("10000.00", "1000.00", 60, DoubleDecliningBalance, FullMonth, date(2024, 1, 1)),
		years:  []string{"4000.00", "2400.00", "1440.00", "864.00", "296.00"},
		months: []string{"333.33", "333.34", "333.33"},
	},
	{
		// Textbook DDB with the switch to straight line: salvage 0, so in
		// asset year 4 straight line over the 2 years left gives 2,160/2 =
		// 1,080 > 40% of 2,160 = 864: 4,000, 2,400, 1,440, 1,080, 1,080.
		name:  "double_declining_switch_to_straight_line",
		asset: eur("10000.00", "0.00", 60, DoubleDecliningBalance, FullMonth, date(2024, 1, 1)),
		years: []string{"4000.00", "2400.00", "1440.00", "1080.00", "1080.00"},
	},
	{
		// The crane of Kieso, Weygandt & Warfield, Intermediate Accounting
		// (the depreciation chapter): cost 500,000, salvage 50,000, 5 years.
		// DDB: 200,000, 120,000, 72,000, 43,200, and 14,800 in year 5
		// (limited so that the book value stays at the salvage value).
		name:  "textbook_crane_double_declining",
		asset: cur("USD", "500000.00", "50000.00", 60, DoubleDecliningBalance, FullMonth, date(2024, 1, 1)),
		years: []string{"200000.00", "120000.00", "72000.00", "43200.00", "14800.00"},
	},
	{
		// The same crane by sum of the years' digits: 5+4+3+2+1 = 15;
		// 450,000·5/15 = 150,000, then 120,000, 90,000, 60,000, 30,000.
		name:  "textbook_crane_sum_of_years_digits",
		asset: cur("USD", "500000.00", "50000.00", 60, SumOfYearsDigits, FullMonth, date(2024, 1, 1)),
		years: []string{"150000.00", "120000.00", "90000.00", "60000.00", "30000.00"},
	},
	{
		// The example by SYD: 9,000·5/15 = 3,000 (not the 3,216.39
		// that monthly digits gave), 2,400, 1,800, 1,200, 600; 250.00 a
		// month in the first year.
		name:   "sum_of_years_digits_60m_january",
		asset:  eur("10000.00", "1000.00", 60, SumOfYearsDigits, FullMonth, date(2024, 1, 1)),
		years:  []string{"3000.00", "2400.00", "1800.00", "1200.00", "600.00"},
		months: []string{"250.00", "250.00"},
	},
	{
		// Partial periods, the textbook way: the same asset in service on
		// 1 July. Asset year 1 (3,000) runs July 2024 – June 2025, so 2024
		// gets 6/12 of it = 1,500; 2025 = 1,500 + 6/12 of 2,400 = 2,700;
		// 2026 = 1,200 + 900 = 2,100; 2027 = 900 + 600 = 1,500; 2028 =
		// 600 + 300 = 900; 2029 = 300.
		name:  "sum_of_years_digits_60m_july",
		asset: eur("10000.00", "1000.00", 60, SumOfYearsDigits, FullMonth, date(2024, 7, 1)),
		years: []string{"1500.00", "2700.00", "2100.00", "1500.00", "900.00", "300.00"},
	},
	{
		// DDB in service in April: 9/12 of asset year 1 in 2024 = 3,000;
		// 2025 = 3/12 of 4,000 + 9/12 of 2,400 = 1,000 + 1,800 = 2,800;
		// 2026 = 600 + 1,080 = 1,680; 2027 = 360 + 648 = 1,008; 2028 =
		// 216 + 9/12 of 296 = 216 + 222 = 438; 2029 = 74.
		name:  "double_declining_60m_april",
		asset: eur("10000.00", "1000.00", 60, DoubleDecliningBalance, FullMonth, date(2024, 4, 1)),
		years: []string{"3000.00", "2800.00", "1680.00", "1008.00", "438.00", "74.00"},
	},
	{
		// Reducing balance as British textbooks teach it: the rate that
		// reaches salvage at the end of life, 1 − (1,000/10,000)^(1/5) =
		// 36.9% to 3 places, of the opening book value each year: 3,690.00;
		// 6,310.00·0.369 = 2,328.39; 3,981.61·0.369 = 1,469.21;
		// 2,512.40·0.369 = 927.08; the last year takes what is left above
		// salvage: 1,585.32 − 1,000 = 585.32.
		name:  "declining_balance_textbook_rate",
		asset: with(eur("10000.00", "1000.00", 60, DecliningBalance, FullMonth, date(2024, 1, 1)), rate(0.369)),
		years: []string{"3690.00", "2328.39", "1469.21", "927.08", "585.32"},
	},
	{
		// Declining balance at 100% a year reaches a high salvage in the
		// first asset year: 100% of 10,000 is capped at the 5,000 above
		// salvage; nothing after. The year's 5,000 is spread evenly:
		// accumulated round(5,000·k/12) gives 416.67 and 416.66.
		name:  "declining_balance_reaches_salvage_early",
		asset: with(eur("10000.00", "5000.00", 60, DecliningBalance, FullMonth, date(2024, 1, 1)), rate(1)),
		years: []string{"5000.00", "0.00", "0.00", "0.00", "0.00"},
		months: []string{"416.67", "416.66", "416.67", "416.67", "416.66", "416.67",
			"416.67", "416.66", "416.67", "416.67", "416.66", "416.67", "0.00"},
	},
	{
		// Declining balance at 20% a year for 2 years: 2,000.00 in year 1,
		// and the last year takes what is left down to the salvage value:
		// 8,000 − 1,000 = 7,000.00.
		name:  "declining_balance_remainder_last",
		asset: with(eur("10000.00", "1000.00", 24, DecliningBalance, FullMonth, date(2024, 1, 1)), rate(0.2)),
		years: []string{"2000.00", "7000.00"},
	},
	{
		// SYD, 3 years, salvage 0: digits 3+2+1 = 6, so the asset years are
		// 3,330.00, 2,220.00 and 1,110.00, a month 277.50, 185.00 and 92.50.
		// In service in March 2024, asset years run March to February:
		// 2024 = 10 × 277.50 = 2,775.00; 2025 = 2 × 277.50 + 10 × 185.00 =
		// 2,405.00; 2026 = 2 × 185.00 + 10 × 92.50 = 1,295.00; 2027 = 2 ×
		// 92.50 = 185.00.
		name:   "sum_of_years_digits_36m_salvage_0",
		asset:  eur("6660.00", "0.00", 36, SumOfYearsDigits, FullMonth, date(2024, 3, 1)),
		years:  []string{"2775.00", "2405.00", "1295.00", "185.00"},
		months: []string{"277.50", "277.50", "277.50"},
	},
	{
		// SYD over a 30-month life (2.5 years, not whole years), in service
		// in July: the digits of L = 2.5 sum to L(L+1)/2 = 4.375; asset year
		// 1 = 4,650·2.5/4.375 = 2,657.14, year 2 = 4,650·1.5/4.375 =
		// 1,594.29, and the short last year (6 months) the remainder,
		// 398.57 (= 4,650·0.375/4.375). Calendar years: 2024 = half of year
		// 1 = 1,328.57; 2025 = 1,328.57 + half of year 2 (797.15) =
		// 2,125.72; 2026 = 797.14 + 398.57 = 1,195.71.
		name:  "sum_of_years_digits_30m_mid_year",
		asset: eur("4750.00", "100.00", 30, SumOfYearsDigits, FullMonth, date(2024, 7, 31)),
		years: []string{"1328.57", "2125.72", "1195.71"},
	},
	{
		// JPY has no decimals: 900,000 yen over 7 months is 128,571.43, so
		// accumulated round(128,571.43·j) gives 128,571 and 128,572
		// alternately.
		name:   "jpy_straight_line",
		asset:  cur("JPY", "1000000", "100000", 7, StraightLine, FullMonth, date(2024, 6, 1)),
		years:  []string{"900000"},
		months: []string{"128571", "128572", "128571", "128572", "128571", "128572", "128571"},
	},
	{
		// JPY declining balance at 50% a year, mid-month, disposed of in
		// March 2025 (half a month) for 120,000 yen.
		// Asset year 1 = 125,000, life month 1 = 125,000/12 = 10,417
		// (rounded); calendar month 1 is its first half, 5,209 (rounded half
		// up).
		name: "jpy_declining_balance_disposal_mid_month",
		asset: with(with(cur("JPY", "250000", "0", 48, DecliningBalance, MidMonth, date(2024, 1, 20)), rate(0.5)),
			disposed(date(2025, 3, 3), "120000")),
		months: []string{"5209"},
	},
	{
		// BHD has 3 decimals: 1,234.567 − 0.001 over 30 months (2.5 years)
		// by DDB, mid-month, in service on the last day of November. Asset
		// year 1 is 2/2.5 = 80% of 1,234.567 = 987.654 (rounded), life month
		// 1 is 987.654/12 = 82.305 (82.3045 rounded half up) and calendar
		// month 1 is its first half, 41.153 (rounded half up).
		name:   "bhd_double_declining_mid_month",
		asset:  cur("BHD", "1234.567", "0.001", 30, DoubleDecliningBalance, MidMonth, date(2023, 11, 30)),
		months: []string{"41.153"},
	},
}

func TestExamples(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			a := ex.asset(t)
			years, err := Schedule(a, Year)
			if err != nil {
				t.Fatal(err)
			}
			months, err := Schedule(a, Month)
			if err != nil {
				t.Fatal(err)
			}
			checkSchedule(t, a, months, years)

			if ex.years != nil {
				var got []string
				for _, r := range years {
					got = append(got, money.Format(r.Depreciation, a.Currency))
				}
				if !slices.Equal(got, ex.years) && !(len(got) == 0 && len(ex.years) == 0) {
					t.Errorf("yearly depreciation = %v, want %v", got, ex.years)
				}
			}
			for i, want := range ex.months {
				if i >= len(months) {
					t.Fatalf("%d month rows, want at least %d", len(months), len(ex.months))
				}
				if got := money.Format(months[i].Depreciation, a.Currency); got != want {
					t.Errorf("month %d depreciation = %s, want %s", i+1, got, want)
				}
			}
			bv, gain, ok, err := Disposal(a)
			if err != nil {
				t.Fatal(err)
			}
			if ex.disposalBV != "" {
				if !ok || money.Format(bv, a.Currency) != ex.disposalBV || money.Format(gain, a.Currency) != ex.disposalGain {
					t.Errorf("Disposal = %s, %s, %v, want %s, %s, true", money.Format(bv, a.Currency),
						money.Format(gain, a.Currency), ok, ex.disposalBV, ex.disposalGain)
				}
			}
			golden(t, ex.name, render(a, years, months))
		})
	}
}

// TestAssetYears checks the asset-year figures of each method directly,
// including lives that are not whole years, against hand computation.
func TestAssetYears(t *testing.T) {
	for _, tc := range []struct {
		name          string
		m             Method
		cost, salvage string
		months        int
		rate          float64
		want          []string
	}{
		// 2 years of DDB at 2/2 = 100%: everything above salvage in year 1.
		{"double declining 2 years", DoubleDecliningBalance, "10000.00", "1000.00", 24, 0,
			[]string{"9000.00", "0.00"}},
		// 18 months = 1.5 years: rate 2/1.5 = 133% is capped at the 9,000
		// above salvage in asset year 1.
		{"double declining 18 months", DoubleDecliningBalance, "10000.00", "1000.00", 18, 0,
			[]string{"9000.00", "0.00"}},
		// 42 months = 3.5 years, salvage 0: rate 2/3.5 = 4/7. Year 1:
		// 5,714.29; year 2: 4/7 of 4,285.71 = 2,448.98 (book value
		// 1,836.73); year 3: straight line over the 18 months left gives
		// 1,836.73·12/18 = 1,224.49 >= 4/7 of 1,836.73 = 1,049.56, so it
		// switches: 1,224.49 and the short last year 612.24.
		{"double declining 3.5 years", DoubleDecliningBalance, "10000.00", "0.00", 42, 0,
			[]string{"5714.29", "2448.98", "1224.49", "612.24"}},
		// SYD 1 year: everything in year 1.
		{"sum of years digits 1 year", SumOfYearsDigits, "1200.00", "0.00", 12, 0,
			[]string{"1200.00"}},
		// SYD 18 months = 1.5 years: digits 1.5·2.5/2 = 1.875; year 1 =
		// 1.5/1.875 = 80% of 1,000 = 800.00, the short year 200.00.
		{"sum of years digits 18 months", SumOfYearsDigits, "1000.00", "0.00", 18, 0,
			[]string{"800.00", "200.00"}},
		// Declining balance at 40% over 2.5 years: 4,000; 40% of 6,000 =
		// 2,400; the short last year takes what is left: 3,600 − 1,000.
		{"declining balance 2.5 years", DecliningBalance, "10000.00", "1000.00", 30, 0.4,
			[]string{"4000.00", "2400.00", "2600.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := assetYears(tc.m, mustParse(t, tc.cost, "EUR"), mustParse(t, tc.salvage, "EUR"), tc.months, tc.rate)
			var got []string
			for j := 1; j < len(y); j++ {
				got = append(got, money.Format(y[j]-y[j-1], "EUR"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("asset years = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAsOf checks the as-of functions on a straight-line example:
// 150.00 a month from January 2024, disposed of on 2026-06-20.
func TestAsOf(t *testing.T) {
	a := Asset{Cost: 1_000_000, Salvage: 100_000, Currency: "EUR", UsefulLifeMonths: 60,
		Method: StraightLine, Convention: FullMonth, InServiceDate: date(2024, 1, 15)}
	for _, tc := range []struct {
		asOf   time.Time
		bv, ad int64
	}{
		{date(2023, 12, 31), 1_000_000, 0},
		{date(2024, 1, 1), 985_000, 15_000}, // the in-service month counts in full
		{date(2024, 12, 31), 820_000, 180_000},
		{date(2028, 12, 1), 100_000, 900_000},
		{date(2040, 1, 1), 100_000, 900_000},
	} {
		bv, err := BookValue(a, tc.asOf)
		if err != nil || bv != tc.bv {
			t.Errorf("BookValue(%s) = %d, %v, want %d", isoDate(tc.asOf), bv, err, tc.bv)
		}
		ad, err := AccumulatedDepreciation(a, tc.asOf)
		if err != nil || ad != tc.ad {
			t.Errorf("AccumulatedDepreciation(%s) = %d, %v, want %d", isoDate(tc.asOf), ad, err, tc.ad)
		}
	}
	if d, err := DepreciationBetween(a, date(2025, 1, 1), date(2025, 3, 10)); err != nil || d != 45_000 {
		t.Errorf("DepreciationBetween(Q1 2025) = %d, %v, want 45000", d, err)
	}
	if d, err := DepreciationBetween(a, date(2020, 1, 1), date(2030, 12, 31)); err != nil || d != 900_000 {
		t.Errorf("DepreciationBetween(all) = %d, %v, want 900000", d, err)
	}
	if _, err := DepreciationBetween(a, date(2025, 1, 2), date(2025, 1, 1)); err == nil {
		t.Error("DepreciationBetween with to before from: no error")
	}

	a.DisposalDate = ptr(date(2026, 6, 20))
	a.DisposalProceeds = ptr(int64(500_000))
	for _, tc := range []struct {
		asOf   time.Time
		bv, ad int64
	}{
		{date(2026, 6, 19), 550_000, 450_000}, // June counts in full
		{date(2026, 6, 20), 0, 450_000},       // disposed of: no longer carried
		{date(2030, 1, 1), 0, 450_000},
	} {
		bv, err := BookValue(a, tc.asOf)
		if err != nil || bv != tc.bv {
			t.Errorf("disposed: BookValue(%s) = %d, %v, want %d", isoDate(tc.asOf), bv, err, tc.bv)
		}
		ad, err := AccumulatedDepreciation(a, tc.asOf)
		if err != nil || ad != tc.ad {
			t.Errorf("disposed: AccumulatedDepreciation(%s) = %d, %v, want %d", isoDate(tc.asOf), ad, err, tc.ad)
		}
	}

	// Not in service: no depreciation, no schedule; disposal at cost.
	a.InServiceDate = time.Time{}
	if rows, err := Schedule(a, Month); err != nil || len(rows) != 0 {
		t.Errorf("not in service: Schedule = %d rows, %v, want none", len(rows), err)
	}
	if bv, err := BookValue(a, date(2026, 1, 1)); err != nil || bv != 1_000_000 {
		t.Errorf("not in service: BookValue = %d, %v, want cost", bv, err)
	}
	if bv, gain, ok, err := Disposal(a); err != nil || !ok || bv != 1_000_000 || gain != -500_000 {
		t.Errorf("not in service: Disposal = %d, %d, %v, %v, want 1000000, -500000, true", bv, gain, ok, err)
	}
}

func TestValidate(t *testing.T) {
	good := Asset{Cost: 100_000, Salvage: 10_000, Currency: "EUR", UsefulLifeMonths: 36,
		Method: StraightLine, Convention: FullMonth, InServiceDate: date(2024, 3, 1)}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid asset: %v", err)
	}
	for _, tc := range []struct {
		field  string
		change func(a *Asset)
	}{
		{"salvageValue", func(a *Asset) { a.Salvage = a.Cost + 1 }},
		{"salvageValue", func(a *Asset) { a.Salvage = -1 }},
		{"cost", func(a *Asset) { a.Cost = -5 }},
		{"usefulLifeMonths", func(a *Asset) { a.UsefulLifeMonths = 0 }},
		{"usefulLifeMonths", func(a *Asset) { a.UsefulLifeMonths = -12 }},
		{"usefulLifeMonths", func(a *Asset) { a.UsefulLifeMonths = MaxUsefulLifeMonths + 1 }},
		{"decliningRate", func(a *Asset) { a.Method = DecliningBalance }},
		{"decliningRate", func(a *Asset) { a.Method, a.DecliningRate = DecliningBalance, -0.1 }},
		{"decliningRate", func(a *Asset) { a.Method, a.DecliningRate = DecliningBalance, 1.0001 }},
		{"decliningRate", func(a *Asset) { a.Method, a.DecliningRate = DecliningBalance, math.NaN() }},
		{"decliningRate", func(a *Asset) { a.Method, a.DecliningRate = DecliningBalance, math.Inf(1) }},
		{"depreciationMethod", func(a *Asset) { a.Method = "LINEAR" }},
		{"depreciationMethod", func(a *Asset) { a.Method = "" }},
		{"convention", func(a *Asset) { a.Convention = "HALF_YEAR" }},
		{"currency", func(a *Asset) { a.Currency = "XAU" }},
		{"currency", func(a *Asset) { a.Currency = "eur" }},
		{"inServiceDate", func(a *Asset) { a.PurchaseDate = ptr(date(2024, 3, 2)) }},
		{"inServiceDate", func(a *Asset) { a.InServiceDate = date(10000, 1, 1) }},
		{"disposalDate", func(a *Asset) { a.DisposalDate = ptr(date(2024, 2, 29)) }},
		{"disposalProceeds", func(a *Asset) { a.DisposalDate, a.DisposalProceeds = ptr(date(2025, 1, 1)), ptr(int64(-1)) }},
		{"disposalProceeds", func(a *Asset) { a.DisposalProceeds = ptr(int64(1)) }},
	} {
		a := good
		tc.change(&a)
		err := a.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: Validate() = %v, want a FieldError on %s", a, err, tc.field)
			continue
		}
		if m := fe.Msg; m == "" || strings.ToLower(m[:1]) != m[:1] {
			t.Errorf("message %q does not start lower-case", m)
		}
		// Every entry point refuses it.
		if _, err := Schedule(a, Month); !errors.As(err, &fe) {
			t.Errorf("Schedule accepted %+v", a)
		}
		if _, err := BookValue(a, date(2025, 1, 1)); !errors.As(err, &fe) {
			t.Errorf("BookValue accepted %+v", a)
		}
	}
	// Accepted edge cases.
	for _, change := range []func(a *Asset){
		func(a *Asset) { a.Method, a.DecliningRate = DecliningBalance, 1 },
		func(a *Asset) { a.Method, a.DecliningRate = StraightLine, 7 }, // the rate is only for DECLINING_BALANCE
		func(a *Asset) { a.Salvage = a.Cost },
		func(a *Asset) { a.Cost, a.Salvage = 0, 0 },
		func(a *Asset) { a.PurchaseDate = ptr(date(2024, 3, 1)) },
		func(a *Asset) { a.DisposalDate = ptr(date(2024, 3, 1)) },
		func(a *Asset) { a.InServiceDate = time.Time{}; a.DisposalDate = ptr(date(2020, 1, 1)) },
		func(a *Asset) { a.Currency, a.UsefulLifeMonths = "JPY", MaxUsefulLifeMonths },
	} {
		a := good
		change(&a)
		if err := a.Validate(); err != nil {
			t.Errorf("%+v: %v", a, err)
		}
	}
	if _, err := Schedule(good, "WEEK"); err == nil {
		t.Error("Schedule accepted period WEEK")
	}
}

// render is the golden text of a schedule.
func render(a Asset, years, months []Row) string {
	var b strings.Builder
	f := func(v int64) string { return money.Format(v, a.Currency) }
	fmt.Fprintf(&b, "cost %s %s, salvage %s, %d months, %s", f(a.Cost), a.Currency, f(a.Salvage),
		a.UsefulLifeMonths, a.Method)
	if a.Method == DecliningBalance {
		fmt.Fprintf(&b, " at %v a year", a.DecliningRate)
	}
	fmt.Fprintf(&b, ", %s, in service %s", a.Convention, isoDate(a.InServiceDate))
	if a.DisposalDate != nil {
		fmt.Fprintf(&b, ", disposed of %s", isoDate(*a.DisposalDate))
		if a.DisposalProceeds != nil {
			fmt.Fprintf(&b, " for %s", f(*a.DisposalProceeds))
		}
	}
	b.WriteString("\n")
	table := func(title string, rows []Row) {
		fmt.Fprintf(&b, "\n%s\n%-10s  %-10s  %16s  %16s  %16s\n", title, "start", "end", "depreciation", "accumulated", "book value")
		for _, r := range rows {
			fmt.Fprintf(&b, "%-10s  %-10s  %16s  %16s  %16s\n", isoDate(r.PeriodStart), isoDate(r.PeriodEnd),
				f(r.Depreciation), f(r.Accumulated), f(r.BookValue))
		}
	}
	table("YEAR", years)
	table("MONTH", months)
	if bv, gain, ok, err := Disposal(a); err == nil && ok {
		fmt.Fprintf(&b, "\ndisposal: book value %s, gain (loss) %s\n", f(bv), f(gain))
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/finance -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("schedule differs from %s (run with -update if intended):\n%s", path, got)
	}
}
