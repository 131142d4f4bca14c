package finance

import "time"

// DaysLeft is the number of whole UTC calendar days from asOf to end: the
// UTC date of end minus the UTC date of asOf, whatever the times of day. It
// is 0 on the end date itself, negative once the end date has passed, and
// counts a leap day like any other. This is the one rule for "days left"
// on a warranty or a contract (warranty status, contract daysToEnd, the
// health report).
func DaysLeft(asOf, end time.Time) int {
	return int(utcDate(end).Sub(utcDate(asOf)) / (24 * time.Hour))
}

// utcDate is midnight UTC of t's UTC date.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// RenewalNoticeDate is the last day to give notice on a contract ending at
// end with a notice period of noticeDays: end minus the notice period, in
// UTC (in a local zone a clock change between the two dates would shift it
// by an hour; PostgreSQL hands times back in the local zone).
func RenewalNoticeDate(end time.Time, noticeDays int) time.Time {
	return end.UTC().AddDate(0, 0, -noticeDays)
}
