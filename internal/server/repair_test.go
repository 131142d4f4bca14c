package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestDuplicateCandidatesOverGraphQL: a viewer reads the pairs with their
// evidence; first is checked; and the number of SQL statements does not
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
			env.Do(t, env.Viewer, q, map[string]any{"first": first}).OK(t).Decode(t, &out)
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
		for _, first := range []int{0, 501} {
			if e := env.Do(t, env.Viewer, q, map[string]any{"first": first}).Err(t); e.Code() != "BAD_USER_INPUT" || e.Field() != "first" {
				t.Errorf("first %d: %+v, want BAD_USER_INPUT on first", first, e)
			}
		}
	})
}
