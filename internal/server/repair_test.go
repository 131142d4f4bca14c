package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestDuplicateCandidatesOverGraphQL: an editor reads the pairs with their
// evidence (a viewer may not: it reads every identifier); first is checked;
// and the number of SQL statements does not
// grow with the number of pairs (each side's CIs and owners load once).
func TestDuplicateCandidatesOverGraphQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{CountStatements: true})
		seed := func(pairs int) {
			env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
				o, err := tx.Owner.Create().SetName(fmt.Sprintf("team-%d", pairs)).SetKind(owner.KindTeam).Save(ctx)
				if err != nil {
					return err
				}
				for i := range pairs {
					for side := range 2 {
						if err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("p%d-%d-%d", pairs, i, side)).
							SetKind(configurationitem.KindServer).SetSerialNumber(fmt.Sprintf("SN%04d%04d", pairs, i)).
							SetOwner(o).Exec(ctx); err != nil {
							return err
						}
					}
				}
				return nil
			})
		}
		const q = `query($first: Int) { duplicateCandidates(first: $first) { a { name owner { name } } b { name owner { name } } evidence { rule detail } } }`
		type pair struct {
			A, B struct {
				Name  string
				Owner struct{ Name string }
			}
			Evidence []struct{ Rule, Detail string }
		}
		run := func(first int) ([]pair, int64) {
			env.Counter.Reset()
			var out struct{ DuplicateCandidates []pair }
			env.Do(t, env.Editor, q, map[string]any{"first": first}).OK(t).Decode(t, &out)
			return out.DuplicateCandidates, env.Counter.Count()
		}
		seed(3)
		run(50) // the first request also reads the token
		got, few := run(50)
		if len(got) != 3 {
			t.Fatalf("3 pairs seeded, got %d: %+v", len(got), got)
		}
		p := got[0]
		if p.A.Name != "p3-0-0" || p.B.Name != "p3-0-1" || p.A.Owner.Name != "team-3" || len(p.Evidence) != 1 ||
			p.Evidence[0].Rule != "SHARED_IDENTIFIER" || p.Evidence[0].Detail != "SERIAL SN00030000" {
			t.Errorf("first pair = %+v, want p3-0-0 and p3-0-1 (team-3) sharing SERIAL SN00030000", p)
		}
		seed(40)
		got, many := run(50)
		if len(got) != 43 {
			t.Errorf("43 pairs seeded, got %d", len(got))
		}
		if many != few {
			t.Errorf("statements: %d for 3 pairs, %d for 43: they must not grow with the pairs", few, many)
		}
		if e := env.Do(t, env.Viewer, q, map[string]any{"first": 5}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer reading duplicate candidates: %+v, want FORBIDDEN", e)
		}
		for _, first := range []int{0, 501} {
			if e := env.Do(t, env.Editor, q, map[string]any{"first": first}).Err(t); e.Code() != "BAD_USER_INPUT" || e.Field() != "first" {
				t.Errorf("first %d: %+v, want BAD_USER_INPUT on first", first, e)
			}
		}
	})
}

// TestIdentityOverGraphQL: an answer names the scope of the address that
// matched, and whyNoMatch says why an input answers null.
func TestIdentityOverGraphQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			for _, c := range []struct{ name, fqdn, scope string }{
				{"lon3-app05", "lon3-app05.lon3.example.org", "lon3"},
				{"fra1-app05", "fra1-app05.fra1.example.org", "fra1"},
			} {
				ci, err := tx.ConfigurationItem.Create().SetName(c.name).SetKind(configurationitem.KindServer).SetFqdn(c.fqdn).Save(ctx)
				if err != nil {
					return err
				}
				if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind("IP").SetValue("10.0.0.5").SetScope(c.scope).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		const q = `query($id: String!, $scope: String) {
  incidentContext(identifier: $id, scope: $scope) { ci { name } matchRule matchedBy matchedValue matchedScope ambiguous }
  whyNoMatch(identifier: $id, scope: $scope) }`
		type answer struct {
			IncidentContext *struct {
				CI                                 struct{ Name string }
				MatchRule, MatchedBy, MatchedValue string
				MatchedScope                       *string
				Ambiguous                          bool
			}
			WhyNoMatch *string
		}
		for _, tt := range []struct {
			id, scope string
			want      string // "name rule by value scope ambiguous" or "null: <part of the reason>"
		}{
			{"10.0.0.5", "LON3", "lon3-app05 IDENTIFIER IP 10.0.0.5 lon3 false"},
			{"10.0.0.5", "", "fra1-app05 IDENTIFIER IP 10.0.0.5 fra1 true"},
			{"lon3-app05.lon3.example.org", "", "lon3-app05 IDENTIFIER FQDN lon3-app05.lon3.example.org - false"},
			{"lon3-app05.staging.example.org", "", "null: in another domain"},
			{"10.0.0.5", "ams2", "null: not in ams2"},
			{"00:00:5e:00:01:07", "", "null: VRRP"},
		} {
			vars := map[string]any{"id": tt.id}
			if tt.scope != "" {
				vars["scope"] = tt.scope
			}
			var a answer
			env.Do(t, env.Viewer, q, vars).OK(t).Decode(t, &a)
			var got string
			if ic := a.IncidentContext; ic != nil {
				scope := "-"
				if ic.MatchedScope != nil {
					scope = *ic.MatchedScope
				}
				got = fmt.Sprintf("%s %s %s %s %s %v", ic.CI.Name, ic.MatchRule, ic.MatchedBy, ic.MatchedValue, scope, ic.Ambiguous)
				if a.WhyNoMatch != nil {
					t.Errorf("%s: whyNoMatch %q for an input that matches", tt.id, *a.WhyNoMatch)
				}
			} else if a.WhyNoMatch != nil {
				got = "null: " + *a.WhyNoMatch
			}
			if reason, ok := strings.CutPrefix(tt.want, "null: "); ok {
				if !strings.HasPrefix(got, "null: ") || !strings.Contains(got, reason) {
					t.Errorf("%s (scope %q) = %q, want null with a reason containing %q", tt.id, tt.scope, got, reason)
				}
			} else if got != tt.want {
				t.Errorf("%s (scope %q) = %q, want %q", tt.id, tt.scope, got, tt.want)
			}
		}
	})
}
