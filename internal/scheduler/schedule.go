package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// parser accepts standard 5-field specs, 6-field specs with a leading seconds
// field, and descriptors (@hourly, @daily, @every 5m, ...).
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// maxPreview bounds the number of times Next computes.
const maxPreview = 1000

// ParseSchedule parses a cron spec interpreted in the IANA time zone tz (""
// means UTC). spec is a standard 5-field spec ("30 2 * * *"), a 6-field spec
// whose first field is seconds ("0 30 2 * * *"), or a descriptor ("@hourly",
// "@daily", "@every 5m"). A CRON_TZ= or TZ= prefix in spec is rejected: the
// time zone is set by tz. The errors are meant to be shown to users.
func ParseSchedule(spec, tz string) (cron.Schedule, error) {
	sched, _, err := parseSchedule(spec, tz)
	return sched, err
}

func parseSchedule(spec, tz string) (cron.Schedule, *time.Location, error) {
	loc, err := loadLocation(tz)
	if err != nil {
		return nil, nil, err
	}
	s := strings.TrimSpace(spec)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid cron schedule %q: %s", spec, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return nil, nil, bad("empty schedule")
	}
	upper := strings.ToUpper(s)
	for _, prefix := range []string{"CRON_TZ=", "TZ="} {
		if strings.HasPrefix(upper, prefix) {
			return nil, nil, bad("a %s prefix is not allowed; set the time zone separately", prefix)
		}
	}
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, nil, bad("bad duration %q", strings.TrimSpace(rest))
		}
		if d < time.Second {
			return nil, nil, bad("interval must be at least 1s")
		}
		if d%time.Second != 0 {
			return nil, nil, bad("interval must be a whole number of seconds")
		}
		return alignedEvery(d), loc, nil
	}
	if !strings.HasPrefix(s, "@") {
		if n := len(strings.Fields(s)); n != 5 && n != 6 {
			return nil, nil, bad("expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, found %d", n)
		}
	}
	sched, err := parser.Parse(s)
	if err != nil {
		return nil, nil, bad("%s", err)
	}
	// The parser leaves specs in time.Local, which SpecSchedule.Next reads as
	// "the zone of the time given": pin the zone instead.
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	if sched.Next(time.Now()).IsZero() {
		return nil, nil, bad("the schedule never fires")
	}
	return sched, loc, nil
}

// alignedEvery is "@every d" on the wall clock: it fires at the multiples of
// d since the Unix epoch (UTC), not d after each process started as cron's
// own @every does. Processes sharing a database then fire at the same
// moments, so the tick guard (Options.TickGuard) lets one of them run each
// fire; with cron's @every, two processes started half an interval apart
// would each run the job once per interval.
type alignedEvery time.Duration

// Next implements cron.Schedule.
func (a alignedEvery) Next(t time.Time) time.Time {
	d := int64(time.Duration(a) / time.Second)
	u := t.Unix()
	next := (u/d + 1) * d
	if u < 0 && u%d != 0 { // before 1970: Go's division truncates toward zero
		next -= d
	}
	return time.Unix(next, 0).UTC()
}

func loadLocation(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	// "Local" would make the schedule depend on the host running it.
	if tz == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", tz)
	}
	return loc, nil
}

// Next returns the next n activation times of spec in time zone tz strictly
// after after, in tz, for previews. It returns fewer than n times when the
// schedule has no more (e.g. "0 0 30 2 *", 30 February). n must be between 0
// and 1000.
func Next(spec, tz string, after time.Time, n int) ([]time.Time, error) {
	if n < 0 || n > maxPreview {
		return nil, fmt.Errorf("number of times must be between 0 and %d, got %d", maxPreview, n)
	}
	sched, loc, err := parseSchedule(spec, tz)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	t := after
	for range n {
		t = sched.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.In(loc))
	}
	return out, nil
}

// Previews of nextRuns (GraphQL nextRuns(count) of discovery jobs and report
// schedules): DefaultNextRuns when no count is given, at most MaxNextRuns.
const (
	DefaultNextRuns = 3
	MaxNextRuns     = 100
)

// NextRuns is the preview of a job's next run times after now: count
// (nil: DefaultNextRuns; 0 to MaxNextRuns, else BAD_USER_INPUT on "count"),
// none for a job without a schedule or one that is disabled.
func NextRuns(spec, tz string, enabled bool, count *int, now time.Time) ([]time.Time, error) {
	n := DefaultNextRuns
	if count != nil {
		n = *count
	}
	if n < 0 || n > MaxNextRuns {
		return nil, apperr.Invalid("count", "must be between 0 and %d", MaxNextRuns)
	}
	if spec == "" || !enabled || n == 0 {
		return []time.Time{}, nil
	}
	return Next(spec, tz, now, n)
}
