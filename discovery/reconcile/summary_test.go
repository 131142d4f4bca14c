package reconcile

import (
	"testing"
	"time"
)

func TestSummarySince(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	given := time.Date(2026, 12, 1, 0, 0, 0, 0, time.FixedZone("EST", -5*3600))
	tests := []struct {
		name  string
		since *time.Time
		want  string
	}{
		{"default: a day before now, in UTC", nil, "2026-12-06T09:00:00Z"},
		{"given: as is, in UTC", &given, "2026-12-01T05:00:00Z"},
	}
	for _, tt := range tests {
		if got := SummarySince(tt.since, now).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s: SummarySince = %s, want %s", tt.name, got, tt.want)
		}
	}
}
