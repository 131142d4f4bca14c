// Package finance is Cairn's depreciation engine: pure functions over an
// Asset value (no database, no I/O, no package-level mutable state).
//
// # Money
//
// Amounts are integer minor units of the asset's currency (cents for EUR,
// yen for JPY, fils for BHD; see package money). Rates may be fractional,
// but every period's depreciation is an integer number of minor units and
// the rounding is carried from period to period: each period's amount is the
// rounded (half up) accumulated depreciation minus what was already
// depreciated, and the last period of the useful life takes whatever is left
// of cost − salvage. A full schedule therefore sums exactly to cost −
// salvage, the book value never increases and never falls below salvage.
// All products are taken in 128-bit integer arithmetic, so any int64 cost
// works without overflow; declining-balance rates are used to 12 decimals.
//
// # Calendar
//
// Schedules are monthly. Dates are calendar dates: only the year, month
// and day of a time.Time in its own location are used (pass UTC). The month
// containing the in-service date is month 1 of the life; nothing is
// depreciated before it, and an asset with a zero InServiceDate is not
// depreciated at all.
//
// # Asset years
//
// Straight line depreciates cost − salvage evenly over the months of the
// life. The accelerated methods (DOUBLE_DECLINING_BALANCE,
// DECLINING_BALANCE, SUM_OF_YEARS_DIGITS) are computed as accountants and
// ERP systems compute them: once per asset year, the year of useful life
// counted from the in-service month (life months 1–12, 13–24, …), and each
// asset year's amount is spread evenly over its twelve months. An asset in
// service in January therefore shows the textbook table in its calendar
// years (10,000 cost, 1,000 salvage, 5 years: DDB 4,000, 2,400, 1,440, 864,
// 296; SYD 3,000, 2,400, 1,800, 1,200, 600); one in service in April has
// 9/12 of asset year 1 in its first calendar year and 3/12 of it plus 9/12
// of asset year 2 in the next (the textbook's partial-period treatment). A
// life that is not whole years ends with a short asset year whose rate is
// prorated by its months. See assetYears for each method's rule. The
// monthly compounding of earlier versions is not offered.
//
// Conventions (how the N months of useful life map onto calendar months):
//
//   - FULL_MONTH: the in-service month gets a full month of depreciation; the
//     life covers exactly N calendar months, the in-service month and the
//     N − 1 months after it.
//   - MID_MONTH: the asset is deemed in service in the middle of its
//     in-service month. That month gets the first half of life month 1, each
//     following calendar month the second half of one life month plus the
//     first half of the next, and the calendar month after the last full month
//     the second half of life month N; the life spans N + 1 calendar months.
//     For straight line this is half a month's amount in the first and the
//     last calendar month. For the accelerated methods the same split applies
//     to the life months of their asset years.
//
// # Disposal
//
// The schedule stops at the disposal month. Under FULL_MONTH the disposal
// month is depreciated in full; under MID_MONTH the asset is deemed disposed
// of in the middle of the month, so the disposal month gets half a month
// (the second half of the life month that ends at mid-month). A disposal
// after the end of life changes nothing in the schedule. The book value at
// disposal is cost minus the accumulated depreciation of the last row, and
// the gain (positive) or loss (negative) is the proceeds minus that book
// value; no proceeds means 0 (scrapped).
//
// # As-of queries
//
// BookValue and AccumulatedDepreciation treat the month containing asOf as
// complete: they equal the schedule row for that month (cost before the
// in-service month, the last row after the end of life). From the disposal
// date on the asset is no longer carried: BookValue is 0, while
// AccumulatedDepreciation stays at its amount at disposal.
package finance

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cairn-cmdb/cairn/internal/money"
)

// Method is a depreciation method. The values are the strings of the ent
// enum asset.DepreciationMethod and of the GraphQL enum.
type Method string

// The depreciation methods.
const (
	// StraightLine depreciates cost − salvage evenly over the life.
	StraightLine Method = "STRAIGHT_LINE"
	// DecliningBalance depreciates, each asset year, DecliningRate (an
	// annual rate) of the year's opening book value, never below salvage;
	// the last asset year takes whatever is left down to salvage.
	DecliningBalance Method = "DECLINING_BALANCE"
	// DoubleDecliningBalance depreciates, each asset year, 2 / (life in
	// years) of the year's opening book value, never below salvage, and
	// switches to straight line over the remaining life in the first asset
	// year where straight line gives at least as much.
	DoubleDecliningBalance Method = "DOUBLE_DECLINING_BALANCE"
	// SumOfYearsDigits gives asset year j of an L-year life
	// (L − j + 1) / (L(L+1)/2) of cost − salvage; a life that is not whole
	// years ends with a short year taking the remainder.
	SumOfYearsDigits Method = "SUM_OF_YEARS_DIGITS"
	// None is no depreciation: the book value stays at cost and the schedule
	// is empty.
	None Method = "NONE"
)

// Convention is how the in-service (and disposal) month is counted; see the
// package documentation.
type Convention string

// The period conventions.
const (
	FullMonth Convention = "FULL_MONTH"
	MidMonth  Convention = "MID_MONTH"
)

// Period is the length of a schedule row.
type Period string

// The schedule periods.
const (
	// Month rows are calendar months.
	Month Period = "MONTH"
	// Year rows are calendar years: the sum of the year's month rows.
	Year Period = "YEAR"
)

// MaxUsefulLifeMonths is the longest useful life accepted (100 years); it
// bounds the work and memory of a schedule.
const MaxUsefulLifeMonths = 1200

// Asset is the financial record of an asset, as the engine sees it.
type Asset struct {
	Cost     int64  // purchase cost, minor units of Currency, >= 0
	Salvage  int64  // salvage value, minor units, 0 <= Salvage <= Cost
	Currency string // ISO 4217 code such as "EUR"

	UsefulLifeMonths int     // 1..MaxUsefulLifeMonths
	Method           Method  // depreciation method
	DecliningRate    float64 // annual rate in (0, 1], DECLINING_BALANCE only
	Convention       Convention

	PurchaseDate  *time.Time // optional; the in-service date must not be before it
	InServiceDate time.Time  // zero: not in service, no depreciation

	DisposalDate     *time.Time // nil: not disposed of
	DisposalProceeds *int64     // minor units, >= 0; nil with a DisposalDate is 0
}

// FieldError is invalid input: Field is the GraphQL name of the asset field
// at fault ("salvageValue", "usefulLifeMonths", ...) and Msg says why. The
// API layer turns it into a BAD_USER_INPUT error on Field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate reports the first problem with a, as a *FieldError, or nil.
func (a Asset) Validate() error {
	if !money.ValidCurrency(a.Currency) {
		return fieldErr("currency", "unknown currency %q (want an ISO 4217 code such as \"EUR\")", a.Currency)
	}
	if a.Cost < 0 {
		return fieldErr("cost", "must not be negative, got %s", money.Format(a.Cost, a.Currency))
	}
	if a.Salvage < 0 {
		return fieldErr("salvageValue", "must not be negative, got %s", money.Format(a.Salvage, a.Currency))
	}
	if a.Salvage > a.Cost {
		return fieldErr("salvageValue", "salvage value %s must not exceed the cost %s",
			money.Format(a.Salvage, a.Currency), money.Format(a.Cost, a.Currency))
	}
	if a.UsefulLifeMonths <= 0 || a.UsefulLifeMonths > MaxUsefulLifeMonths {
		return fieldErr("usefulLifeMonths", "must be between 1 and %d months, got %d",
			MaxUsefulLifeMonths, a.UsefulLifeMonths)
	}
	switch a.Method {
	case StraightLine, DoubleDecliningBalance, SumOfYearsDigits, None:
	case DecliningBalance:
		if !(a.DecliningRate > 0 && a.DecliningRate <= 1) { // also rejects NaN
			return fieldErr("decliningRate", "must be an annual rate in (0, 1] for DECLINING_BALANCE, got %v",
				a.DecliningRate)
		}
	default:
		return fieldErr("depreciationMethod", "unknown depreciation method %q", string(a.Method))
	}
	switch a.Convention {
	case FullMonth, MidMonth:
	default:
		return fieldErr("convention", "unknown convention %q (want FULL_MONTH or MID_MONTH)", string(a.Convention))
	}
	if a.PurchaseDate != nil && !dateInRange(*a.PurchaseDate) {
		return fieldErr("purchaseDate", "year must be between 1 and 9999")
	}
	if !a.InServiceDate.IsZero() {
		if !dateInRange(a.InServiceDate) {
			return fieldErr("inServiceDate", "year must be between 1 and 9999")
		}
		if a.PurchaseDate != nil && dayKey(a.InServiceDate) < dayKey(*a.PurchaseDate) {
			return fieldErr("inServiceDate", "in-service date %s must not be before the purchase date %s",
				isoDate(a.InServiceDate), isoDate(*a.PurchaseDate))
		}
	}
	if a.DisposalProceeds != nil {
		if *a.DisposalProceeds < 0 {
			return fieldErr("disposalProceeds", "must not be negative, got %s",
				money.Format(*a.DisposalProceeds, a.Currency))
		}
		if a.DisposalDate == nil {
			return fieldErr("disposalProceeds", "disposal proceeds need a disposal date")
		}
	}
	if a.DisposalDate != nil {
		d := *a.DisposalDate
		if !dateInRange(d) {
			return fieldErr("disposalDate", "year must be between 1 and 9999")
		}
		if !a.InServiceDate.IsZero() && dayKey(d) < dayKey(a.InServiceDate) {
			return fieldErr("disposalDate", "disposal date %s must not be before the in-service date %s",
				isoDate(d), isoDate(a.InServiceDate))
		}
		if a.PurchaseDate != nil && dayKey(d) < dayKey(*a.PurchaseDate) {
			return fieldErr("disposalDate", "disposal date %s must not be before the purchase date %s",
				isoDate(d), isoDate(*a.PurchaseDate))
		}
	}
	return nil
}

// Row is one period of a depreciation schedule. PeriodStart is the first
// and PeriodEnd the last day of the period (inclusive), at midnight UTC;
// the first and last rows are clipped to the scheduled months.
// Depreciation is the period's amount, Accumulated and BookValue the
// figures at the end of the period (BookValue = cost − Accumulated).
type Row struct {
	PeriodStart  time.Time
	PeriodEnd    time.Time
	Depreciation int64
	Accumulated  int64
	BookValue    int64
}

// Schedule returns the depreciation schedule of a: with Month, one row per
// calendar month from the in-service month to the end of life (N rows under
// FULL_MONTH, N + 1 under MID_MONTH) or to the disposal month; with Year,
// one row per calendar year, aggregating the month rows. An asset that is
// not in service, or depreciated with NONE, has an empty schedule.
func Schedule(a Asset, p Period) ([]Row, error) {
	if p != Month && p != Year {
		return nil, fieldErr("period", "unknown period %q (want MONTH or YEAR)", string(p))
	}
	pl, err := newPlan(a)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, rowCount(pl, p))
	var prev int64
	start := monthStart(pl.start)
	for k, acc := range pl.cum {
		m := pl.start + k
		// UTC has no clock changes, so whole days can be added (much faster
		// than time.Date for every row).
		next := start.Add(time.Duration(daysIn(m)) * 24 * time.Hour)
		r := Row{
			PeriodStart:  start,
			PeriodEnd:    next.Add(-24 * time.Hour),
			Depreciation: acc - prev,
			Accumulated:  acc,
			BookValue:    a.Cost - acc,
		}
		prev, start = acc, next
		if p == Year && len(rows) > 0 && (m%12 != 0) {
			last := &rows[len(rows)-1]
			last.PeriodEnd = r.PeriodEnd
			last.Depreciation += r.Depreciation
			last.Accumulated = r.Accumulated
			last.BookValue = r.BookValue
			continue
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func rowCount(pl plan, p Period) int {
	n := len(pl.cum)
	if p == Year && n > 0 {
		return (pl.start+n-1)/12 - pl.start/12 + 1
	}
	return n
}

// BookValue returns the book value of a at asOf, the month containing asOf
// counted as complete: the BookValue of the schedule row of that month, the
// cost before the in-service month (or if not in service), the last row's
// after the end of life, and 0 from the disposal date on.
func BookValue(a Asset, asOf time.Time) (int64, error) {
	pl, err := newPlan(a)
	if err != nil {
		return 0, err
	}
	if pl.disposed && dayKey(asOf) >= dayKey(pl.disposalDate) {
		return 0, nil
	}
	return a.Cost - pl.accumulated(monthIndex(asOf)), nil
}

// AccumulatedDepreciation returns the depreciation of a up to the end of the
// month containing asOf: the Accumulated of that month's schedule row, 0
// before the in-service month, the last row's after the end of life or the
// disposal.
func AccumulatedDepreciation(a Asset, asOf time.Time) (int64, error) {
	pl, err := newPlan(a)
	if err != nil {
		return 0, err
	}
	return pl.accumulated(monthIndex(asOf)), nil
}

// DepreciationBetween returns the depreciation of a over the whole calendar
// months from the month containing from to the month containing to, both
// included: the sum of those months' schedule rows. For the depreciation of
// year Y so far, pass January 1 of Y and the as-of date; for the full year,
// January 1 and December 31.
func DepreciationBetween(a Asset, from, to time.Time) (int64, error) {
	if dayKey(to) < dayKey(from) {
		return 0, errors.New("the end of the range is before its start")
	}
	pl, err := newPlan(a)
	if err != nil {
		return 0, err
	}
	return pl.accumulated(monthIndex(to)) - pl.accumulated(monthIndex(from)-1), nil
}

// Disposal returns the book value of a at its disposal and the gain
// (positive) or loss (negative) on it: proceeds (0 if unset) minus that
// book value. ok is false if a has no disposal date.
func Disposal(a Asset) (bookValueAtDisposal, gainOrLoss int64, ok bool, err error) {
	pl, err := newPlan(a)
	if err != nil || !pl.disposed {
		return 0, 0, false, err
	}
	var acc int64
	if n := len(pl.cum); n > 0 {
		acc = pl.cum[n-1]
	}
	bv := a.Cost - acc
	var proceeds int64
	if a.DisposalProceeds != nil {
		proceeds = *a.DisposalProceeds
	}
	// Both are in [0, MaxInt64], so the difference cannot overflow.
	return bv, proceeds - bv, true, nil
}

// monthIndex numbers calendar months: year*12 + month − 1.
func monthIndex(t time.Time) int {
	y, m, _ := t.Date()
	return y*12 + int(m) - 1
}

// monthStart is the first day of month index m, at midnight UTC.
func monthStart(m int) time.Time {
	return time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// daysIn returns the number of days of month index m.
func daysIn(m int) int {
	switch y, mon := m/12, m%12+1; mon {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// dayKey orders calendar dates.
func dayKey(t time.Time) int {
	y, m, d := t.Date()
	return (y*12+int(m)-1)*31 + d - 1
}

func dateInRange(t time.Time) bool {
	y := t.Year()
	return y >= 1 && y <= 9999
}

func isoDate(t time.Time) string { return t.Format(time.DateOnly) }

// clampInt64 is for results known to be in [0, MaxInt64].
func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
