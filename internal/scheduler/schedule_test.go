package scheduler

import (
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestParseSchedule(t *testing.T) {
	const after = "2025-01-15T12:00:00Z" // a Wednesday, in winter
	tests := []struct {
		name, spec, tz string
		next           string // the first activation after `after`, in UTC
		err            string
	}{
		{name: "5 fields", spec: "15 3 * * *", next: "2025-01-16T03:15:00Z"},
		{name: "5 fields, spaces", spec: "  */20   *  * * * ", next: "2025-01-15T12:20:00Z"},
		{name: "5 fields, names", spec: "0 9 * jan mon-fri", next: "2025-01-16T09:00:00Z"},
		{name: "6 fields with seconds", spec: "30 * * * * *", next: "2025-01-15T12:00:30Z"},
		{name: "6 fields every 10s", spec: "*/10 * * * * *", next: "2025-01-15T12:00:10Z"},
		{name: "hourly", spec: "@hourly", next: "2025-01-15T13:00:00Z"},
		{name: "daily", spec: "@daily", next: "2025-01-16T00:00:00Z"},
		{name: "weekly", spec: "@weekly", next: "2025-01-19T00:00:00Z"},
		{name: "every 5m", spec: "@every 5m", next: "2025-01-15T12:05:00Z"},
		{name: "daily in Paris", spec: "@daily", tz: "Europe/Paris", next: "2025-01-15T23:00:00Z"},
		{name: "9am in New York", spec: "0 9 * * *", tz: "America/New_York", next: "2025-01-15T14:00:00Z"},
		{name: "UTC by name", spec: "0 9 * * *", tz: "UTC", next: "2025-01-16T09:00:00Z"},
		{name: "every ignores tz", spec: "@every 1h30m", tz: "Asia/Tokyo", next: "2025-01-15T13:30:00Z"},

		{name: "minute out of range", spec: "61 * * * *",
			err: `invalid cron schedule "61 * * * *": end of range (61) above maximum (59): 61`},
		{name: "hour out of range", spec: "0 24 * * *",
			err: `invalid cron schedule "0 24 * * *": end of range (24) above maximum (23): 24`},
		{name: "not a number", spec: "x * * * *",
			err: `invalid cron schedule "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`},
		{name: "zero step", spec: "*/0 * * * *",
			err: `invalid cron schedule "*/0 * * * *": step of range should be a positive number: */0`},
		{name: "too few fields", spec: "* * * *",
			err: `invalid cron schedule "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, found 4`},
		{name: "too many fields", spec: "0 0 0 * * * 2025",
			err: `invalid cron schedule "0 0 0 * * * 2025": expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, found 7`},
		{name: "empty", spec: "  ", err: `invalid cron schedule "  ": empty schedule`},
		{name: "unknown descriptor", spec: "@fortnightly",
			err: `invalid cron schedule "@fortnightly": unrecognized descriptor: @fortnightly`},
		{name: "bad every", spec: "@every 5x", err: `invalid cron schedule "@every 5x": bad duration "5x"`},
		{name: "every too short", spec: "@every 500ms",
			err: `invalid cron schedule "@every 500ms": interval must be at least 1s`},
		{name: "every negative", spec: "@every -1m",
			err: `invalid cron schedule "@every -1m": interval must be at least 1s`},
		{name: "every fractional", spec: "@every 1500ms",
			err: `invalid cron schedule "@every 1500ms": interval must be a whole number of seconds`},
		{name: "never fires", spec: "0 0 30 2 *", err: `invalid cron schedule "0 0 30 2 *": the schedule never fires`},
		{name: "unknown tz", spec: "@daily", tz: "Mars/Base", err: `unknown time zone "Mars/Base"`},
		{name: "Local tz", spec: "@daily", tz: "Local", err: `unknown time zone "Local"`},
		{name: "CRON_TZ prefix", spec: "CRON_TZ=Europe/Paris 0 3 * * *",
			err: `invalid cron schedule "CRON_TZ=Europe/Paris 0 3 * * *": a CRON_TZ= prefix is not allowed; set the time zone separately`},
		{name: "TZ prefix", spec: "TZ=Europe/Paris 0 3 * * *", tz: "Europe/Paris",
			err: `invalid cron schedule "TZ=Europe/Paris 0 3 * * *": a TZ= prefix is not allowed; set the time zone separately`},
		{name: "TZ prefix alone", spec: "TZ=UTC", // panics inside cron's parser
			err: `invalid cron schedule "TZ=UTC": a TZ= prefix is not allowed; set the time zone separately`},
		{name: "lower-case prefix", spec: "cron_tz=UTC @daily",
			err: `invalid cron schedule "cron_tz=UTC @daily": a CRON_TZ= prefix is not allowed; set the time zone separately`},
	}
	from := mustTime(t, after)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := ParseSchedule(tt.spec, tt.tz)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("ParseSchedule(%q, %q) succeeded, want error %q", tt.spec, tt.tz, tt.err)
				}
				if err.Error() != tt.err {
					t.Fatalf("ParseSchedule(%q, %q) error\n got %q\nwant %q", tt.spec, tt.tz, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSchedule(%q, %q): %v", tt.spec, tt.tz, err)
			}
			if got, want := sched.Next(from), mustTime(t, tt.next); !got.Equal(want) {
				t.Errorf("Next(%s) = %s, want %s", after, got.UTC().Format(time.RFC3339), tt.next)
			}
			// The zone is pinned: the zone of the time given does not matter.
			tokyo, _ := time.LoadLocation("Asia/Tokyo")
			if got, want := sched.Next(from.In(tokyo)), mustTime(t, tt.next); !got.Equal(want) {
				t.Errorf("Next(%s in Tokyo) = %s, want %s", after, got.UTC().Format(time.RFC3339), tt.next)
			}
		})
	}
}

func TestNextAcrossDST(t *testing.T) {
	format := func(ts []time.Time) []string {
		out := make([]string, len(ts))
		for i, x := range ts {
			out[i] = x.Format(time.RFC3339)
		}
		return out
	}
	tests := []struct {
		name, spec, tz, after string
		want                  []string
	}{
		{
			// Berlin springs forward at 02:00 CET on 31 March 2024: 02:xx
			// does not exist, the hourly run after 01:00 is at 03:00 CEST,
			// an hour later in UTC.
			name: "hourly, spring forward", spec: "0 * * * *", tz: "Europe/Berlin", after: "2024-03-30T23:30:00Z",
			want: []string{"2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00"},
		},
		{
			// 09:00 local every day: 08:00Z before the change, 07:00Z after.
			name: "daily, spring forward", spec: "0 9 * * *", tz: "Europe/Berlin", after: "2024-03-29T12:00:00Z",
			want: []string{"2024-03-30T09:00:00+01:00", "2024-03-31T09:00:00+02:00", "2024-04-01T09:00:00+02:00"},
		},
		{
			// A time that does not exist on the day of the change is skipped
			// that day (robfig/cron behaviour).
			name: "daily in the gap", spec: "30 2 * * *", tz: "Europe/Berlin", after: "2024-03-29T12:00:00Z",
			want: []string{"2024-03-30T02:30:00+01:00", "2024-04-01T02:30:00+02:00", "2024-04-02T02:30:00+02:00"},
		},
		{
			// New York falls back at 02:00 EDT on 3 November 2024: 01:xx
			// happens twice, and so does an hourly run at 01:00.
			name: "hourly, fall back", spec: "0 * * * *", tz: "America/New_York", after: "2024-11-03T04:30:00Z",
			want: []string{"2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"},
		},
		{
			// 12:00 local: 16:00Z in EDT, 17:00Z in EST.
			name: "6-field daily, fall back", spec: "0 0 12 * * *", tz: "America/New_York", after: "2024-11-02T00:00:00Z",
			want: []string{"2024-11-02T12:00:00-04:00", "2024-11-03T12:00:00-05:00", "2024-11-04T12:00:00-05:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Next(tt.spec, tt.tz, mustTime(t, tt.after), len(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			g := format(got)
			if len(g) != len(tt.want) {
				t.Fatalf("Next = %v, want %v", g, tt.want)
			}
			for i := range g {
				if g[i] != tt.want[i] {
					t.Fatalf("Next = %v, want %v", g, tt.want)
				}
			}
			// Times come back in the job's zone.
			if loc := got[0].Location().String(); loc != tt.tz {
				t.Errorf("location %s, want %s", loc, tt.tz)
			}
		})
	}
}

func TestNextArguments(t *testing.T) {
	after := mustTime(t, "2025-01-15T12:00:00Z")
	if got, err := Next("@hourly", "", after, 0); err != nil || len(got) != 0 {
		t.Errorf("Next(n=0) = %v, %v; want none", got, err)
	}
	for _, n := range []int{-1, 1001} {
		if _, err := Next("@hourly", "", after, n); err == nil {
			t.Errorf("Next(n=%d) succeeded", n)
		}
	}
	_, err := Next("61 * * * *", "", after, 3)
	if want := `invalid cron schedule "61 * * * *": end of range (61) above maximum (59): 61`; err == nil || err.Error() != want {
		t.Errorf("Next(bad spec) error %v, want %q", err, want)
	}
	_, err = Next("@daily", "Mars/Base", after, 3)
	if want := `unknown time zone "Mars/Base"`; err == nil || err.Error() != want {
		t.Errorf("Next(bad tz) error %v, want %q", err, want)
	}
	got, err := Next("@every 90m", "", after, 3)
	if err != nil || len(got) != 3 || !got[2].Equal(after.Add(270*time.Minute)) {
		t.Errorf("Next(@every 90m) = %v, %v", got, err)
	}
	// Feb 29 fires, but only in leap years.
	got, err = Next("0 0 29 2 *", "", after, 2)
	if err != nil || len(got) != 2 || got[0].Year() != 2028 || got[1].Year() != 2032 {
		t.Errorf("Next(29 Feb) = %v, %v", got, err)
	}
}

func TestNextRuns(t *testing.T) {
	now := mustTime(t, "2026-12-07T10:15:00Z")
	n := func(v int) *int { return &v }
	tests := []struct {
		name    string
		spec    string
		enabled bool
		count   *int
		want    []string
		wantErr bool
	}{
		{"default count", "0 2 * * *", true, nil, []string{"2026-12-08T02:00:00Z", "2026-12-09T02:00:00Z", "2026-12-10T02:00:00Z"}, false},
		{"one", "0 2 * * *", true, n(1), []string{"2026-12-08T02:00:00Z"}, false},
		{"zero", "0 2 * * *", true, n(0), []string{}, false},
		{"disabled", "0 2 * * *", false, n(2), []string{}, false},
		{"no schedule", "", true, n(2), []string{}, false},
		{"negative", "0 2 * * *", true, n(-1), nil, true},
		{"too many", "0 2 * * *", true, n(MaxNextRuns + 1), nil, true},
	}
	for _, tt := range tests {
		got, err := NextRuns(tt.spec, "UTC", tt.enabled, tt.count, now)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: NextRuns = %v, want an error", tt.name, got)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%s: NextRuns = %v, %v; want %v", tt.name, got, err, tt.want)
			continue
		}
		for i := range got {
			if got[i].Format(time.RFC3339) != tt.want[i] {
				t.Errorf("%s: NextRuns[%d] = %s, want %s", tt.name, i, got[i].Format(time.RFC3339), tt.want[i])
			}
		}
	}
}

// TestEveryIsOnTheWallClock: "@every d" fires at the multiples of d since
// the Unix epoch, whenever it is asked, so that processes started at
// different moments fire together and the tick guard keeps it to one run.
func TestEveryIsOnTheWallClock(t *testing.T) {
	for _, tc := range []struct {
		spec, after, next string
	}{
		{"@every 5m", "2025-01-15T12:02:30Z", "2025-01-15T12:05:00Z"},
		{"@every 5m", "2025-01-15T12:05:00Z", "2025-01-15T12:10:00Z"}, // strictly after
		{"@every 4s", "2025-01-15T12:00:01.9Z", "2025-01-15T12:00:04Z"},
		{"@every 7s", "1970-01-01T00:00:20Z", "1970-01-01T00:00:21Z"},
		{"@every 7s", "1969-12-31T23:59:50Z", "1969-12-31T23:59:53Z"}, // -10 → -7
		{"@every 1h30m", "2025-01-15T12:10:00Z", "2025-01-15T13:30:00Z"},
	} {
		sched, err := ParseSchedule(tc.spec, "Asia/Tokyo")
		if err != nil {
			t.Fatal(err)
		}
		got := sched.Next(mustTime(t, tc.after))
		if want := mustTime(t, tc.next); !got.Equal(want) {
			t.Errorf("%s after %s = %s, want %s", tc.spec, tc.after, got.Format(time.RFC3339Nano), tc.next)
		}
	}
	// Two processes asking at different moments within one interval get
	// the same fire.
	sched, err := ParseSchedule("@every 10s", "")
	if err != nil {
		t.Fatal(err)
	}
	a, b := sched.Next(mustTime(t, "2025-01-15T12:00:00.5Z")), sched.Next(mustTime(t, "2025-01-15T12:00:07Z"))
	if !a.Equal(b) {
		t.Errorf("asked 6.5 s apart, @every 10s fires at %s and %s", a, b)
	}
}
