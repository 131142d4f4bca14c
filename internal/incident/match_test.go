package incident_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/incident"
)

func TestMatch(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		for _, c := range []struct {
			name, input string
			// want is "RULE MATCHEDBY value: CI, CI…"; empty for no match.
			want string
		}{
			{"hostname: a short name", "web-01", "SHORT_NAME HOSTNAME web-01: web-01"},
			{"hostname in capitals, with spaces", "  WEB-01 ", "SHORT_NAME HOSTNAME web-01: web-01"},
			{"FQDN", "web-01.prod.example.com", "IDENTIFIER FQDN web-01.prod.example.com: web-01"},
			{"FQDN with a trailing dot", "WEB-01.Prod.Example.Com.", "IDENTIFIER FQDN web-01.prod.example.com: web-01"},
			{"IPv4", "10.0.0.1", "IDENTIFIER IP 10.0.0.1: web-01"},
			{"IPv4-mapped IPv6", "::ffff:10.0.0.1", "IDENTIFIER IP 10.0.0.1: web-01"},
			{"IPv6 written out", "2001:DB8:0:0:0:0:0:1", "IDENTIFIER IP 2001:db8::1: edge-v6"},
			{"IPv6 in brackets", "[2001:db8::1]", "IDENTIFIER IP 2001:db8::1: edge-v6"},
			{"MAC with colons", "00:1A:2B:3C:4D:5E", "IDENTIFIER MAC 00:1a:2b:3c:4d:5e: web-01"},
			{"MAC with dashes", "00-1a-2b-3c-4d-5e", "IDENTIFIER MAC 00:1a:2b:3c:4d:5e: web-01"},
			{"MAC Cisco dotted", "001a.2b3c.4d5e", "IDENTIFIER MAC 00:1a:2b:3c:4d:5e: web-01"},
			{"MAC bare", "001A2B3C4D5E", "IDENTIFIER MAC 00:1a:2b:3c:4d:5e: web-01"},
			{"serial, any case", "sn-web-01", "IDENTIFIER SERIAL SN-WEB-01: web-01"},
			{"asset tag", "at-0001", "IDENTIFIER ASSET_TAG AT-0001: web-01"},
			{"short host name of a recorded FQDN", "mx02", "SHORT_NAME FQDN mx02.corp.example.com: Mail relay"},
			{"an FQDN in another domain does not fall back", "mx02.other.example.com", ""},
			{"short host name of two FQDNs: ambiguous, in name order", "cache", "SHORT_NAME FQDN cache.east.example.com: Cache East, Cache West"},
			{"an FQDN in a domain of neither: nothing", "cache.north.example.com", ""},
			{"an FQDN picks its domain among same-named hosts", "cache.west.example.com", "IDENTIFIER FQDN cache.west.example.com: Cache West"},
			{"a host name of a host in another domain: nothing", "web-01.staging.example.com", ""},
			{"URL", "https://web-01.prod.example.com:8443/health", "IDENTIFIER FQDN web-01.prod.example.com: web-01"},
			{"host:port", "10.0.0.1:22", "IDENTIFIER IP 10.0.0.1: web-01"},
			{"VRRP MAC is not identity", "00:00:5e:00:01:01", ""},
			{"shared IP: ambiguous, in name order", "10.0.0.9", "IDENTIFIER IP 10.0.0.9: db-a, db-b"},
			{"CI name, any case", "payroll server", "NAME HOSTNAME payroll server: Payroll Server"},
			{"name prefix", "Payr", "PREFIX HOSTNAME payr: Payroll Batch, Payroll Server"},
			{"nothing", "no-such-thing", ""},
			{"empty", "   ", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				m, err := s.e.Match(context.Background(), c.input, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if m != nil {
					names := make([]string, len(m.IDs))
					for i, id := range m.IDs {
						names[i] = s.name(id)
					}
					got = string(m.Rule) + " " + string(m.MatchedBy) + " " + m.Value + ": " + strings.Join(names, ", ")
				}
				if got != c.want {
					t.Errorf("Match(%q) = %q, want %q", c.input, got, c.want)
				}
			})
		}
	})
}

func TestContextAmbiguity(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		ic, err := s.e.Context(context.Background(), incident.Request{Identifier: "10.0.0.9"}, incident.Parts{})
		if err != nil {
			t.Fatal(err)
		}
		if ic == nil || ic.CI.Name != "db-a" || !ic.Ambiguous || len(ic.Alternatives) != 1 || ic.Alternatives[0].Name != "db-b" {
			t.Fatalf("context of a shared IP = %+v, want db-a, ambiguous with db-b", ic)
		}
		ic, err = s.e.Context(context.Background(), incident.Request{Identifier: "web-01"}, incident.Parts{})
		if err != nil || ic == nil || ic.Ambiguous || len(ic.Alternatives) != 0 || ic.Depth != incident.DefaultContextDepth {
			t.Fatalf("context of web-01 = %+v, %v; want not ambiguous, no alternatives, depth %d", ic, err, incident.DefaultContextDepth)
		}
		for _, d := range []int{0, 51} {
			if _, err := s.e.Context(context.Background(), incident.Request{Identifier: "no-such-thing", Depth: &d}, incident.Parts{}); err == nil ||
				!strings.Contains(err.Error(), "depth must be between 1 and 50") {
				t.Errorf("depth %d: %v, want refused before matching", d, err)
			}
		}
	})
}
