package finance

import (
	"math"
	"math/bits"
	"time"
)

// plan is an asset's depreciation laid onto the calendar: cum[k] is the
// accumulated depreciation at the end of calendar month start + k, for every
// scheduled month (empty if the asset is not depreciated).
type plan struct {
	start        int // month index of the in-service month
	cum          []int64
	disposed     bool
	disposalDate time.Time
}

// accumulated returns the accumulated depreciation at the end of month m.
func (pl plan) accumulated(m int) int64 {
	k := m - pl.start
	switch {
	case len(pl.cum) == 0 || k < 0:
		return 0
	case k >= len(pl.cum):
		return pl.cum[len(pl.cum)-1]
	default:
		return pl.cum[k]
	}
}

func newPlan(a Asset) (plan, error) {
	if err := a.Validate(); err != nil {
		return plan{}, err
	}
	var pl plan
	if a.DisposalDate != nil {
		pl.disposed, pl.disposalDate = true, *a.DisposalDate
	}
	if a.InServiceDate.IsZero() || a.Method == None {
		return pl, nil
	}
	pl.start = monthIndex(a.InServiceDate)
	n := a.UsefulLifeMonths
	life := lifeCumulative(a.Method, a.Cost, a.Salvage, n, a.DecliningRate)

	// Lay the life months onto calendar months.
	var cum []int64
	if a.Convention == MidMonth {
		cum = make([]int64, n+1)
		for k := range cum {
			lo, hi := life[k], life[min(k+1, n)]
			cum[k] = lo + (hi-lo+1)/2 // half of life month k+1, rounded half up
		}
	} else {
		cum = life[1:]
	}
	if pl.disposed {
		if d := monthIndex(pl.disposalDate) - pl.start; d < len(cum) {
			cum = cum[:d+1]
			if a.Convention == MidMonth {
				cum[d] = life[d] // disposed of mid-month: half the month
			}
		}
	}
	pl.cum = cum
	return pl, nil
}

// lifeCumulative returns the accumulated depreciation at the end of each of
// the n months of a life: l[0] = 0 and l[n] = cost − salvage,
// nondecreasing. Straight line is even over the months. The other methods
// are computed per asset year (assetYears) and each asset year's amount is
// spread evenly over its months, the rounding carried within the year, so a
// year's months differ by at most one minor unit and the year sums to the
// method's figure for that year.
func lifeCumulative(m Method, cost, salvage int64, n int, rate float64) []int64 {
	l := make([]int64, n+1)
	if m == StraightLine {
		d, un := uint64(cost-salvage), uint64(n)
		for j := 1; j <= n; j++ {
			l[j] = clampInt64(mulDivRound(d, uint64(j), un))
		}
		l[n] = cost - salvage
		return l
	}
	ys := assetYears(m, cost, salvage, n, rate)
	for j := 1; j < len(ys); j++ {
		first := 12 * (j - 1) // months before asset year j
		months := min(12, n-first)
		amount := uint64(ys[j] - ys[j-1])
		for k := 1; k <= months; k++ {
			l[first+k] = ys[j-1] + clampInt64(mulDivRound(amount, uint64(k), uint64(months)))
		}
	}
	return l
}

// assetYears returns the accumulated depreciation at the end of each asset
// year of an n-month life: y[0] = 0, y[len−1] = cost − salvage. Asset year j
// (1-based) is life months 12(j−1)+1 … min(12j, n): the years of useful life
// counted from the in-service month, so they straddle calendar years when
// the asset goes into service after January. A life that is not whole years
// ends with a short asset year of the months left; every per-year rate is
// prorated by months/12 in it, and the last asset year takes whatever is
// left down to salvage.
//
//   - SUM_OF_YEARS_DIGITS: year j weighs its share of the digits of a life
//     of L = n/12 years, the remaining life at its start (L − j + 1) for a
//     whole year; the digits sum to L(L+1)/2 (5 years: 15, year 1 = 5/15).
//     In months, with R the months left at the start of the year and m its
//     months, twice the weight is m(2R − m + 12) out of n(n + 12); for a
//     short last year this is the remainder, as an ERP computes it.
//   - DOUBLE_DECLINING_BALANCE: 2/L of the opening book value of each
//     asset year (prorated for a short year), never below salvage, and from
//     the first asset year where straight line over the remaining life
//     gives at least as much, straight line over the remaining life to
//     salvage (the usual switch; it is never taken when salvage is reached
//     first).
//   - DECLINING_BALANCE: the annual rate (DecliningRate) of the opening book
//     value of each asset year, never below salvage; no switch.
func assetYears(m Method, cost, salvage int64, n int, rate float64) []int64 {
	years := (n + 11) / 12
	y := make([]int64, years+1)
	d := uint64(cost - salvage)
	un := uint64(n)
	months := func(j int) uint64 { return uint64(min(12, n-12*(j-1))) }
	switch m {
	case SumOfYearsDigits:
		total := un * (un + 12) // twice the digits, in month units
		var w uint64
		for j := 1; j <= years; j++ {
			mj, rj := months(j), un-uint64(12*(j-1))
			w += mj * (2*rj - mj + 12)
			y[j] = clampInt64(mulDivRound(d, w, total))
		}
	case DecliningBalance:
		// The rate is used to 12 decimals, in integer arithmetic, so that the
		// schedule is the same on every platform.
		const scale = 1e12
		r := uint64(math.Round(rate * scale))
		declining(y, n, cost, salvage, func(bv, mj uint64) uint64 { return mulDivRound(bv, r*mj, 12*scale) }, false)
	case DoubleDecliningBalance:
		// An annual rate of 2/L = 24/n, prorated by mj/12: 2·mj/n.
		declining(y, n, cost, salvage, func(bv, mj uint64) uint64 { return mulDivRound(bv, 2*mj, un) }, true)
	}
	y[years] = cost - salvage // the last asset year takes the remainder
	return y
}

// declining fills y, the asset-year accumulations of an n-month life, for a
// declining-balance method: each asset year depreciates amount(opening book
// value, months of the year), never below salvage. With switchToSL it
// switches, in the first asset year where straight line over the remaining
// months gives at least the declining amount, to straight line over the
// remaining months and stays there.
func declining(y []int64, n int, cost, salvage int64, amount func(bv, months uint64) uint64, switchToSL bool) {
	years := len(y) - 1
	s := uint64(salvage)
	for j := 0; j < years; j++ {
		bv := uint64(cost - y[j])
		left := bv - s
		remaining := uint64(n - 12*j)
		if switchToSL && slBeats(left, bv, remaining, uint64(n)) {
			// Straight line over the remaining months, rounding carried.
			for k := j + 1; k <= years; k++ {
				done := uint64(min(n, 12*k) - 12*j)
				y[k] = y[j] + clampInt64(mulDivRound(left, done, remaining))
			}
			return
		}
		y[j+1] = y[j] + clampInt64(min(amount(bv, uint64(min(12, n-12*j))), left))
	}
}

// slBeats reports whether straight line over the remaining months of an
// n-month life, left·m/remaining for an asset year of m months, is at least
// the double-declining amount bv·2m/n (both unrounded):
// left·n >= 2·bv·remaining.
func slBeats(left, bv, remaining, n uint64) bool {
	lh, ll := bits.Mul64(left, n)
	rh, rl := bits.Mul64(bv, 2*remaining)
	return lh > rh || (lh == rh && ll >= rl)
}

// mulDivRound returns a·b/c rounded half up, computed in 128 bits, or
// MaxUint64 if the quotient does not fit. c must not be 0.
func mulDivRound(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	var carry uint64
	lo, carry = bits.Add64(lo, c/2, 0)
	hi += carry
	if hi >= c {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}
