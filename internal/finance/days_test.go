package finance

import (
	"testing"
	"time"
)

func TestDaysLeft(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name     string
		asOf     string
		end      string
		wantDays int
	}{
		{"same instant", "2026-03-10T00:00:00Z", "2026-03-10T00:00:00Z", 0},
		{"same day, end earlier in the day", "2026-03-10T18:00:00Z", "2026-03-10T00:00:00Z", 0},
		{"same day, end later in the day", "2026-03-10T00:00:00Z", "2026-03-10T23:59:59Z", 0},
		{"next day, less than 24 hours away", "2026-03-10T23:59:00Z", "2026-03-11T00:01:00Z", 1},
		{"whole days from a morning", "2026-03-10T06:00:00Z", "2026-03-20T00:00:00Z", 10},
		{"end a day before", "2026-03-10T00:01:00Z", "2026-03-09T23:59:00Z", -1},
		{"end long before", "2026-12-07T12:50:00Z", "2025-01-01T00:00:00Z", -705},
		{"across UTC midnight from another zone", "2026-03-10T23:30:00-02:00", "2026-03-11T12:00:00Z", 0},
		{"end given in a zone east of UTC", "2026-03-10T12:00:00Z", "2026-03-12T00:30:00+02:00", 1},
		{"across a leap day", "2028-02-28T12:00:00Z", "2028-03-01T00:00:00Z", 2},
		{"on a leap day", "2028-02-29T00:00:00Z", "2028-02-29T23:00:00Z", 0},
		{"a leap year", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z", 366},
		{"a common year", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", 365},
		{"over a European DST change (UTC has none)", "2026-03-28T12:00:00+01:00", "2026-03-30T12:00:00+02:00", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := DaysLeft(at(c.asOf), at(c.end)); got != c.wantDays {
				t.Errorf("DaysLeft(%s, %s) = %d, want %d", c.asOf, c.end, got, c.wantDays)
			}
		})
	}
}

func TestRenewalNoticeDate(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("loading Europe/Paris: %v", err)
	}
	tests := []struct {
		end  time.Time
		days int
		want string
	}{
		{time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), 90, "2026-12-31T00:00:00Z"},
		{time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), 0, "2027-03-31T00:00:00Z"},
		{time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), 1, "2028-02-29T00:00:00Z"},
		// A local time across a clock change gives the UTC answer.
		{time.Date(2027, 4, 1, 2, 0, 0, 0, paris), 30, "2027-03-02T00:00:00Z"},
	}
	for _, tt := range tests {
		if got := RenewalNoticeDate(tt.end, tt.days).Format(time.RFC3339); got != tt.want {
			t.Errorf("RenewalNoticeDate(%s, %d) = %s, want %s", tt.end, tt.days, got, tt.want)
		}
	}
}
