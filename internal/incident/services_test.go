package incident_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
)

func TestServiceMap(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		for _, c := range []struct {
			service string
			nodes   []string // "TYPE label in|out", sorted
			edges   []string // "from TYPE to", sorted
		}{
			{"Shop",
				[]string{"CI app out", "CI lb in", "CI web-01 in", "SERVICE Payments out", "SERVICE Shop in"},
				[]string{"Shop MEMBER lb", "Shop MEMBER web-01", "Shop SERVICE_DEPENDS_ON Payments", "lb DEPENDS_ON web-01", "web-01 RUNS_ON app"}},
			{"Payments",
				[]string{"CI app in", "CI db-a in", "SERVICE Payments in", "SERVICE Shop out"},
				[]string{"Payments MEMBER app", "Payments MEMBER db-a", "Shop SERVICE_DEPENDS_ON Payments", "app USES db-a"}},
			{"Reporting",
				[]string{"CI app out", "CI db-b in", "SERVICE Reporting in"},
				[]string{"Reporting MEMBER db-b", "db-b USES app"}},
		} {
			t.Run(c.service, func(t *testing.T) {
				m, err := s.e.ServiceMap(context.Background(), s.ids[c.service])
				if err != nil {
					t.Fatal(err)
				}
				if n := m.Nodes[0]; n.Type != "SERVICE" || n.Label != c.service || !n.InService {
					t.Errorf("first node %+v, want the service itself", n)
				}
				var nodes, edges []string
				for _, n := range m.Nodes {
					in := "out"
					if n.InService {
						in = "in"
					}
					nodes = append(nodes, fmt.Sprintf("%s %s %s", n.Type, n.Label, in))
					if (n.Type == "SERVICE") != (n.Tier != nil) || (n.Type == "CI") != (n.CIKind != nil) {
						t.Errorf("node %s: tier %v, CI kind %v", n.Label, n.Tier, n.CIKind)
					}
				}
				for _, e := range m.Edges {
					edges = append(edges, fmt.Sprintf("%s %s %s", s.name(e.From), e.Type, s.name(e.To)))
				}
				sort.Strings(nodes)
				sort.Strings(edges)
				if !reflect.DeepEqual(nodes, c.nodes) {
					t.Errorf("nodes\n%s\nwant\n%s", strings.Join(nodes, "\n"), strings.Join(c.nodes, "\n"))
				}
				if !reflect.DeepEqual(edges, c.edges) {
					t.Errorf("edges\n%s\nwant\n%s", strings.Join(edges, "\n"), strings.Join(c.edges, "\n"))
				}
			})
		}
	})
}

func TestServiceImpact(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		one := 1
		for _, c := range []struct {
			name, service string
			dir           graphwalk.Direction
			maxDepth      *int
			want          string // "service@depth/via …"
		}{
			{"dependents: a service link and a member's dependent CI", "Payments", graphwalk.Dependents, nil, "Reporting@1/CI Shop@1/SERVICE"},
			{"dependencies: a service link wins over the CIs", "Shop", graphwalk.Dependencies, nil, "Payments@1/SERVICE"},
			{"dependencies through members' CIs, two steps", "Reporting", graphwalk.Dependencies, nil, "Payments@1/CI"},
			{"dependents two steps away", "Reporting", graphwalk.Dependents, nil, ""},
			{"depth 1", "Payments", graphwalk.Dependents, &one, "Reporting@1/CI Shop@1/SERVICE"},
		} {
			t.Run(c.name, func(t *testing.T) {
				si, err := s.e.ServiceImpact(context.Background(), s.ids[c.service], c.dir, c.maxDepth, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, n := range si.Services {
					got = append(got, fmt.Sprintf("%s@%d/%s", n.Service.Name, n.Depth, n.Via))
				}
				if strings.Join(got, " ") != c.want || si.Root.Name != c.service {
					t.Errorf("ServiceImpact(%s) = %s from %s, want %s", c.service, strings.Join(got, " "), si.Root.Name, c.want)
				}
			})
		}
		neg := -1
		if _, err := s.e.ServiceImpact(context.Background(), s.ids["Shop"], graphwalk.Dependents, &neg, nil); !isCode(err, apperr.BadUserInput, "maxDepth") {
			t.Errorf("maxDepth -1: %v, want BAD_USER_INPUT on maxDepth", err)
		}
	})
}

func TestDependencyPath(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		two, zero := 2, 0
		for _, c := range []struct {
			name, from, to string
			maxDepth       *int
			want           string // "ci -TYPE-> ci …", "none"
		}{
			{"three hops", "lb", "db-a", nil, "lb -DEPENDS_ON-> web-01 -RUNS_ON-> app -USES-> db-a"},
			{"one hop", "db-b", "app", nil, "db-b -USES-> app"},
			{"maxDepth 0 is any length", "lb", "db-a", &zero, "lb -DEPENDS_ON-> web-01 -RUNS_ON-> app -USES-> db-a"},
			{"too long for maxDepth", "lb", "db-a", &two, "none"},
			{"the other way round", "db-a", "lb", nil, "none"},
			{"no relationship at all", "edge-v6", "lb", nil, "none"},
			{"to itself", "app", "app", nil, "app"},
		} {
			t.Run(c.name, func(t *testing.T) {
				p, err := s.e.DependencyPath(context.Background(), s.ids[c.from], s.ids[c.to], c.maxDepth, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := "none"
				if p != nil {
					if p.Length != len(p.Relationships) || len(p.CIs) != p.Length+1 {
						t.Errorf("length %d with %d CIs and %d relationships", p.Length, len(p.CIs), len(p.Relationships))
					}
					got = p.CIs[0].Name
					for i, r := range p.Relationships {
						if r.FromID != p.CIs[i].ID || r.ToID != p.CIs[i+1].ID {
							t.Errorf("relationship %d links %d → %d, want %d → %d", i, r.FromID, r.ToID, p.CIs[i].ID, p.CIs[i+1].ID)
						}
						got += fmt.Sprintf(" -%s-> %s", r.Type, p.CIs[i+1].Name)
					}
				}
				if got != c.want {
					t.Errorf("DependencyPath(%s, %s) = %q, want %q", c.from, c.to, got, c.want)
				}
			})
		}
		if _, err := s.e.DependencyPath(context.Background(), s.ids["lb"], 999_999_999, nil, nil); !isCode(err, apperr.NotFound, "to") {
			t.Errorf("missing to: %v, want NOT_FOUND on to", err)
		}
		neg := -1
		if _, err := s.e.DependencyPath(context.Background(), s.ids["lb"], s.ids["app"], &neg, nil); !isCode(err, apperr.BadUserInput, "maxDepth") {
			t.Errorf("maxDepth -1: %v, want BAD_USER_INPUT on maxDepth", err)
		}
	})
}

func isCode(err error, code apperr.Code, field string) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == code && ae.Field == field
}
