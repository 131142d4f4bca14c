package finance

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// checkSchedule checks the invariants of a's MONTH and YEAR schedules.
func checkSchedule(t testing.TB, a Asset, months, years []Row) {
	t.Helper()
	if a.InServiceDate.IsZero() || a.Method == None {
		if len(months) != 0 || len(years) != 0 {
			t.Fatalf("%+v: not depreciated but %d month rows, %d year rows", a, len(months), len(years))
		}
		checkAsOf(t, a, nil)
		return
	}
	// Row count: the life, or up to the disposal month.
	n := a.UsefulLifeMonths
	if a.Convention == MidMonth {
		n++
	}
	start := monthIndex(a.InServiceDate)
	disposedEarly := false
	if a.DisposalDate != nil {
		if d := monthIndex(*a.DisposalDate) - start; d < n {
			n, disposedEarly = d+1, true
		}
	}
	if len(months) != n {
		t.Fatalf("%+v: %d month rows, want %d", a, len(months), n)
	}
	var acc int64
	prevBV := a.Cost
	for k, r := range months {
		if !r.PeriodStart.Equal(monthStart(start+k)) || !r.PeriodEnd.Equal(monthStart(start+k+1).AddDate(0, 0, -1)) {
			t.Fatalf("%+v: row %d is %s–%s", a, k, isoDate(r.PeriodStart), isoDate(r.PeriodEnd))
		}
		if r.Depreciation < 0 {
			t.Fatalf("%+v: row %d depreciation %d < 0", a, k, r.Depreciation)
		}
		acc += r.Depreciation
		if r.Accumulated != acc || r.BookValue != a.Cost-acc {
			t.Fatalf("%+v: row %d: accumulated %d, book value %d, want %d, %d", a, k, r.Accumulated, r.BookValue, acc, a.Cost-acc)
		}
		if r.BookValue > prevBV || r.BookValue < a.Salvage {
			t.Fatalf("%+v: row %d: book value %d after %d (salvage %d)", a, k, r.BookValue, prevBV, a.Salvage)
		}
		prevBV = r.BookValue
	}
	if !disposedEarly && acc != a.Cost-a.Salvage {
		t.Fatalf("%+v: depreciation sums to %d, want cost − salvage = %d", a, acc, a.Cost-a.Salvage)
	}
	if bv, gain, ok, err := Disposal(a); err != nil || ok != (a.DisposalDate != nil) ||
		(ok && (bv != a.Cost-acc || gain != proceeds(a)-bv)) {
		t.Fatalf("%+v: Disposal = %d, %d, %v, %v; accumulated %d", a, bv, gain, ok, err, acc)
	}

	// Years aggregate the months.
	var yacc int64
	mi := 0
	for i, y := range years {
		if i > 0 && y.PeriodStart.Year() != years[i-1].PeriodStart.Year()+1 {
			t.Fatalf("%+v: year rows %d and %d are not consecutive", a, i-1, i)
		}
		var sum int64
		first := mi
		for mi < len(months) && months[mi].PeriodStart.Year() == y.PeriodStart.Year() {
			sum += months[mi].Depreciation
			mi++
		}
		last := months[mi-1]
		if y.Depreciation != sum || y.Accumulated != last.Accumulated || y.BookValue != last.BookValue ||
			!y.PeriodStart.Equal(months[first].PeriodStart) || !y.PeriodEnd.Equal(last.PeriodEnd) {
			t.Fatalf("%+v: year row %d = %+v, months sum to %d ending %+v", a, i, y, sum, last)
		}
		if i%max(1, len(years)/8) == 0 { // a sample of the years keeps the test fast
			if d, err := DepreciationBetween(a, y.PeriodStart, y.PeriodEnd); err != nil || d != y.Depreciation {
				t.Fatalf("%+v: DepreciationBetween(year %d) = %d, %v, want %d", a, y.PeriodStart.Year(), d, err, y.Depreciation)
			}
		}
		yacc += sum
	}
	if mi != len(months) || yacc != acc {
		t.Fatalf("%+v: year rows cover %d of %d months, sum %d of %d", a, mi, len(months), yacc, acc)
	}
	checkAsOf(t, a, months)
}

func proceeds(a Asset) int64 {
	if a.DisposalProceeds == nil {
		return 0
	}
	return *a.DisposalProceeds
}

// checkAsOf checks BookValue and AccumulatedDepreciation against the rows,
// on about 20 months (and the months before and after).
func checkAsOf(t testing.TB, a Asset, months []Row) {
	t.Helper()
	want := func(asOf time.Time, acc int64) {
		t.Helper()
		bv := a.Cost - acc
		if a.DisposalDate != nil && dayKey(asOf) >= dayKey(*a.DisposalDate) {
			bv = 0
		}
		if got, err := BookValue(a, asOf); err != nil || got != bv {
			t.Fatalf("%+v: BookValue(%s) = %d, %v, want %d", a, isoDate(asOf), got, err, bv)
		}
		if got, err := AccumulatedDepreciation(a, asOf); err != nil || got != acc {
			t.Fatalf("%+v: AccumulatedDepreciation(%s) = %d, %v, want %d", a, isoDate(asOf), got, err, acc)
		}
	}
	if len(months) == 0 {
		want(date(1, 1, 1), 0)
		want(date(9999, 12, 31), 0)
		return
	}
	want(months[0].PeriodStart.AddDate(0, 0, -1), 0)
	step := max(1, len(months)/20)
	for k := 0; k < len(months); k += step {
		r := months[k]
		want(r.PeriodStart.AddDate(0, 0, k%28), r.Accumulated)
		want(r.PeriodEnd, r.Accumulated)
	}
	last := months[len(months)-1]
	want(last.PeriodEnd.AddDate(0, 0, 1), last.Accumulated)
	want(last.PeriodEnd.AddDate(30, 0, 0), last.Accumulated)
}

var (
	methods     = []Method{StraightLine, DecliningBalance, DoubleDecliningBalance, SumOfYearsDigits, None}
	conventions = []Convention{FullMonth, MidMonth}
	currencies  = []string{"EUR", "JPY", "BHD", "CLF"}
)

// randomAsset is a valid asset with parameters spread over the edge cases:
// costs up to MaxInt64, salvage 0 or cost, very short and long lives, high
// and tiny rates, disposals before, at and after the end of life.
func randomAsset(r *rand.Rand) Asset {
	var cost int64
	switch r.IntN(4) {
	case 0:
		cost = r.Int64N(1_000_000)
	case 1:
		cost = r.Int64N(1_000_000_000_000_000) // up to 10^15
	case 2:
		cost = math.MaxInt64 - r.Int64N(1000)
	default:
		cost = r.Int64N(100)
	}
	var salvage int64
	switch r.IntN(4) {
	case 0:
	case 1:
		salvage = cost
	default:
		salvage = r.Int64N(cost + 1)
	}
	var life int
	switch r.IntN(3) {
	case 0:
		life = 1 + r.IntN(3)
	case 1:
		life = 1 + r.IntN(120)
	default:
		life = 1 + r.IntN(MaxUsefulLifeMonths)
	}
	a := Asset{
		Cost: cost, Salvage: salvage, Currency: currencies[r.IntN(len(currencies))],
		UsefulLifeMonths: life,
		Method:           methods[r.IntN(len(methods))],
		Convention:       conventions[r.IntN(len(conventions))],
		InServiceDate:    date(1990+r.IntN(60), time.Month(1+r.IntN(12)), 1+r.IntN(31)),
	}
	if a.Method == DecliningBalance {
		a.DecliningRate = []float64{1, 1e-9, r.Float64(), 0.5}[r.IntN(4)]
		if a.DecliningRate == 0 {
			a.DecliningRate = 0.25
		}
	}
	if r.IntN(10) == 0 {
		a.InServiceDate = time.Time{}
	}
	if r.IntN(3) == 0 {
		base := a.InServiceDate
		if base.IsZero() {
			base = date(2020, 1, 1)
		}
		d := base.AddDate(0, r.IntN(life+3), r.IntN(40))
		a.DisposalDate = &d
		if r.IntN(2) == 0 {
			p := r.Int64N(math.MaxInt64)
			a.DisposalProceeds = &p
		}
	}
	return a
}

// TestProperties checks the invariants over random assets.
func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		a := randomAsset(r)
		if err := a.Validate(); err != nil {
			t.Fatalf("random asset %+v: %v", a, err)
		}
		months, err := Schedule(a, Month)
		if err != nil {
			t.Fatal(err)
		}
		years, err := Schedule(a, Year)
		if err != nil {
			t.Fatal(err)
		}
		checkSchedule(t, a, months, years)
		checkMethod(t, a, months)
	}
}

// checkMethod checks method-specific shapes of a full FULL_MONTH schedule:
// straight-line months differ by at most one minor unit, SYD months never
// increase by more than the one minor unit of rounding, and the months of
// one asset year of the other methods differ by at most one minor unit.
func checkMethod(t testing.TB, a Asset, months []Row) {
	t.Helper()
	if a.Convention != FullMonth || a.DisposalDate != nil || len(months) < 2 {
		return
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, r := range months {
		lo, hi = min(lo, r.Depreciation), max(hi, r.Depreciation)
	}
	switch a.Method {
	case StraightLine:
		if hi-lo > 1 {
			t.Fatalf("%+v: straight-line months range from %d to %d", a, lo, hi)
		}
	case SumOfYearsDigits:
		for k := 1; k < len(months); k++ {
			if months[k].Depreciation > months[k-1].Depreciation+1 {
				t.Fatalf("%+v: SYD month %d (%d) above month %d (%d)", a, k, months[k].Depreciation, k-1, months[k-1].Depreciation)
			}
		}
	}
	if a.Method != StraightLine {
		// Each asset year is spread evenly over its months.
		for first := 0; first < len(months); first += 12 {
			lo, hi := int64(math.MaxInt64), int64(0)
			for _, r := range months[first:min(first+12, len(months))] {
				lo, hi = min(lo, r.Depreciation), max(hi, r.Depreciation)
			}
			if hi-lo > 1 {
				t.Fatalf("%+v: asset year from month %d ranges from %d to %d a month", a, first+1, lo, hi)
			}
		}
	}
}

// FuzzSchedule checks the invariants over fuzzed parameters.
func FuzzSchedule(f *testing.F) {
	f.Add(int64(1_000_000), int64(100_000), 60, uint8(0), uint8(0), 0.0, int64(1704067200), int16(-1), int64(0))
	f.Add(int64(1_000_000), int64(500_000), 60, uint8(1), uint8(1), 1.0, int64(1704067200), int16(30), int64(600_000))
	f.Add(int64(math.MaxInt64), int64(0), 1200, uint8(2), uint8(1), 0.0, int64(0), int16(1199), int64(math.MaxInt64))
	f.Add(int64(6660), int64(0), 36, uint8(3), uint8(0), 0.0, int64(-1), int16(0), int64(1))
	f.Add(int64(7), int64(7), 1, uint8(4), uint8(0), 0.5, int64(1e10), int16(2), int64(-1))
	f.Fuzz(func(t *testing.T, cost, salvage int64, life int, method, conv uint8, rate float64,
		inService int64, disposalMonths int16, proceeds int64) {
		a := Asset{
			Cost: cost, Salvage: salvage, Currency: currencies[int(method/8)%len(currencies)],
			UsefulLifeMonths: life, Method: methods[int(method)%len(methods)],
			Convention: conventions[int(conv)%len(conventions)], DecliningRate: rate,
		}
		if inService != -1 {
			a.InServiceDate = time.Unix(inService, 0).UTC()
		}
		if disposalMonths >= 0 {
			base := a.InServiceDate
			if base.IsZero() {
				base = date(2000, 1, 1)
			}
			d := base.AddDate(0, int(disposalMonths), int(conv)%31)
			a.DisposalDate = &d
			if proceeds != -1 {
				a.DisposalProceeds = &proceeds
			}
		}
		months, err := Schedule(a, Month)
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("%+v: error %v is not a *FieldError", a, err)
			}
			if a.Validate() == nil {
				t.Fatalf("%+v: Schedule failed with %v but Validate passes", a, err)
			}
			return
		}
		years, err := Schedule(a, Year)
		if err != nil {
			t.Fatal(err)
		}
		checkSchedule(t, a, months, years)
		checkMethod(t, a, months)
	})
}

// BenchmarkSchedule10YearMonthly is the budget: at most 50 µs for
// a 10-year monthly schedule.
func BenchmarkSchedule10YearMonthly(b *testing.B) {
	for _, m := range []Method{StraightLine, DoubleDecliningBalance, DecliningBalance, SumOfYearsDigits} {
		a := Asset{Cost: 1_234_567_89, Salvage: 1_000_00, Currency: "EUR", UsefulLifeMonths: 120,
			Method: m, DecliningRate: 0.3, Convention: MidMonth, InServiceDate: date(2024, 7, 15)}
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if _, err := Schedule(a, Month); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBookValue10Year(b *testing.B) {
	a := Asset{Cost: 1_234_567_89, Salvage: 1_000_00, Currency: "EUR", UsefulLifeMonths: 120,
		Method: DoubleDecliningBalance, Convention: FullMonth, InServiceDate: date(2024, 7, 15)}
	asOf := date(2029, 3, 1)
	for b.Loop() {
		if _, err := BookValue(a, asOf); err != nil {
			b.Fatal(err)
		}
	}
}
