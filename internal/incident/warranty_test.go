package incident_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestWarranty(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		for _, c := range []struct {
			name, ci string
			asOf     time.Time
			// want: "active|ended END daysLeft from CONTRACT|asset", or "none".
			want string
		}{
			{"the asset's end is later than the contract's", "web-01", date("2023-06-01"), "active 2027-03-01 1369 from asset"},
			{"the contract in force", "app", date("2025-01-15"), "active 2026-06-30 531 from W-APP"},
			{"a contract not yet started does not count", "app", date("2023-06-01"), "none"},
			{"the latest started contract", "app", date("2027-01-01"), "active 2028-06-30 546 from W-APP2"},
			{"on the end date at midnight", "app", date("2028-06-30"), "active 2028-06-30 0 from W-APP2"},
			{"later on the end date", "app", date("2028-06-30").Add(18 * time.Hour), "ended 2028-06-30 0 from W-APP2"},
			{"ended", "app", date("2029-01-01"), "ended 2028-06-30 -185 from W-APP2"},
			{"no asset, no contract", "edge-v6", date("2025-01-01"), "none"},
		} {
			t.Run(c.name, func(t *testing.T) {
				w, err := s.e.Warranty(context.Background(), s.ids[c.ci], c.asOf)
				if err != nil {
					t.Fatal(err)
				}
				got := "none"
				if w != nil {
					state, from := "ended", "asset"
					if w.Active {
						state = "active"
					}
					if w.Contract != nil {
						from = w.Contract.Number
					}
					got = fmt.Sprintf("%s %s %d from %s", state, w.EndDate.UTC().Format(time.DateOnly), w.DaysLeft, from)
				}
				if got != c.want {
					t.Errorf("Warranty(%s, %s) = %q, want %q", c.ci, c.asOf.Format(time.RFC3339), got, c.want)
				}
			})
		}
	})
}
