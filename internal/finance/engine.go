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
	life := lifeCumulative(a.Method, a.Cost, a.Salvage, n, 12, a.DecliningRate)

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
// the n periods of a life (periodsPerYear periods a year): l[0] = 0 and
// l[n] = cost − salvage, nondecreasing. Monthly schedules use
// periodsPerYear 12; periodsPerYear 1 gives the textbook yearly tables.
func lifeCumulative(m Method, cost, salvage int64, n, periodsPerYear int, rate float64) []int64 {
	l := make([]int64, n+1)
	d := uint64(cost - salvage)
	un := uint64(n)
	switch m {
	case StraightLine:
		for j := 1; j <= n; j++ {
			l[j] = clampInt64(mulDivRound(d, uint64(j), un))
		}
	case SumOfYearsDigits:
		// Period j (1-based) weighs n − j + 1; the first j periods weigh
		// j·n − j(j−1)/2 out of n(n+1)/2.
		total := un * (un + 1) / 2
		for j := uint64(1); j <= un; j++ {
			l[j] = clampInt64(mulDivRound(d, j*un-j*(j-1)/2, total))
		}
	case DecliningBalance:
		// The rate is used to 12 decimals, in integer arithmetic, so that the
		// schedule is the same on every platform.
		const scale = 1e12
		r := uint64(math.Round(rate * scale))
		den := uint64(periodsPerYear) * scale
		declining(l, cost, salvage, func(bv uint64) uint64 { return mulDivRound(bv, r, den) }, false)
	case DoubleDecliningBalance:
		// An annual rate of 2 / (n / periodsPerYear) is 2/n per period.
		declining(l, cost, salvage, func(bv uint64) uint64 { return mulDivRound(bv, 2, un) }, true)
	}
	l[n] = cost - salvage // the last period takes the remainder
	return l
}

// declining fills l for a declining-balance method: each period depreciates
// amount(opening book value), never below salvage. With switchToSL, it
// switches to straight line over the remaining life in the first period
// where straight line gives more, and stays there.
func declining(l []int64, cost, salvage int64, amount func(bv uint64) uint64, switchToSL bool) {
	n := len(l) - 1
	s := uint64(salvage)
	for j := 0; j < n; j++ {
		bv := uint64(cost - l[j])
		left := bv - s
		a := amount(bv)
		if switchToSL && slBeats(left, bv, uint64(n-j), uint64(n)) {
			// Straight line over the remaining n − j periods, rounding carried.
			for k := 1; j+k <= n; k++ {
				l[j+k] = l[j] + clampInt64(mulDivRound(left, uint64(k), uint64(n-j)))
			}
			return
		}
		l[j+1] = l[j] + clampInt64(min(a, left))
	}
}

// slBeats reports whether straight line over the remaining periods,
// left/remaining, is at least the double-declining amount bv·2/n (both
// unrounded): left·n >= 2·bv·remaining.
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
