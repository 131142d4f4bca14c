package incident_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestLookupRanking(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		two := 2
		for _, c := range []struct {
			name, query string
			first       *int
			// want: "TYPE label BY value score" in rank order.
			want []string
		}{
			{"exact service name beats exact CI name", "payments", nil, []string{
				"SERVICE Payments SERVICE_NAME Payments 95",
				"CONFIGURATION_ITEM payments NAME payments 90",
			}},
			{"service prefix beats CI prefixes, which rank by name", "pay", nil, []string{
				"SERVICE Payments SERVICE_NAME Payments 75",
				"CONFIGURATION_ITEM Payroll Batch NAME_PREFIX Payroll Batch 70",
				"CONFIGURATION_ITEM Payroll Server NAME_PREFIX Payroll Server 70",
				"CONFIGURATION_ITEM payments NAME_PREFIX payments 70",
			}},
			{"first cuts the ranked list", "pay", &two, []string{
				"SERVICE Payments SERVICE_NAME Payments 75",
				"CONFIGURATION_ITEM Payroll Batch NAME_PREFIX Payroll Batch 70",
			}},
			{"identifiers rank first, in any notation", "10.0.0.9", nil, []string{
				"CONFIGURATION_ITEM db-a IDENTIFIER IP 10.0.0.9 100",
				"CONFIGURATION_ITEM db-b IDENTIFIER IP 10.0.0.9 100",
			}},
			{"a MAC", "001a.2b3c.4d5e", nil, []string{"CONFIGURATION_ITEM web-01 IDENTIFIER MAC 00:1a:2b:3c:4d:5e 100"}},
			{"a short name ranks below identifiers, above names", "mx02", nil, []string{"CONFIGURATION_ITEM Mail relay SHORT_NAME FQDN mx02.corp.example.com 92"}},
			{"a short name in two domains", "cache", nil, []string{
				"CONFIGURATION_ITEM Cache East SHORT_NAME FQDN cache.east.example.com 92",
				"CONFIGURATION_ITEM Cache West SHORT_NAME FQDN cache.west.example.com 92",
			}},
			{"an FQDN names its own domain's host only", "cache.west.example.com", nil, []string{"CONFIGURATION_ITEM Cache West IDENTIFIER FQDN cache.west.example.com 100"}},
			{"an FQDN in another domain is no identifier hit", "web-01.staging.example.com", nil, []string{}},
			{"host name prefix", "web", nil, []string{"CONFIGURATION_ITEM web-01 NAME_PREFIX web-01 70"}},
			{"part of a name", "relay", nil, []string{"CONFIGURATION_ITEM Mail relay NAME_CONTAINS Mail relay 30"}},
			{"part of a service name", "port", nil, []string{"SERVICE Reporting SERVICE_NAME Reporting 40"}},
			{"nothing", "zzz", nil, []string{}},
			{"blank", "  ", nil, []string{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				hits, err := s.e.Lookup(context.Background(), c.query, c.first, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, h := range hits {
					label := ""
					if h.CI != nil {
						label = h.CI.Name
					} else {
						label = h.Service.Name
					}
					got = append(got, fmt.Sprintf("%s %s %s %s %g", h.Type, label, h.MatchedBy, h.MatchedValue, h.Score))
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("Lookup(%q) =\n%s\nwant\n%s", c.query, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
				}
			})
		}
		for _, n := range []int{0, 101} {
			if _, err := s.e.Lookup(context.Background(), "pay", &n, nil, nil); err == nil || !strings.Contains(err.Error(), "first must be between 1 and 100") {
				t.Errorf("first %d: %v, want refused", n, err)
			}
		}
	})
}
