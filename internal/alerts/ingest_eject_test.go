package alerts_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestEjectionMovesStoredAlerts: correlation moves an alert stored by an
// earlier batch out of its incident (noise that joined through a deep
// shared dependency, ejected once the cause is clear: correlate's
// TestEjectWhenTopExplainsHalf on the database, one alert per batch). The
// stored alert follows into the new incident, and both incidents' counts
// and alerted CIs follow it.
func TestEjectionMovesStoredAlerts(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		// a2 → a1 → deep; n60 … n64 → deep
		if err := txn.Do(f.ctx, f.db.Client, func(tx *ent.Client) error {
			for _, n := range []string{"deep", "a1", "a2", "n60", "n61", "n62", "n63", "n64"} {
				c, err := tx.ConfigurationItem.Create().SetName(n).SetKind(configurationitem.KindServer).Save(f.ctx)
				if err != nil {
					return err
				}
				f.ids[n] = c.ID
			}
			for _, r := range [][2]string{{"a2", "a1"}, {"a1", "deep"}, {"n60", "deep"}, {"n61", "deep"}, {"n62", "deep"}, {"n63", "deep"}, {"n64", "deep"}} {
				if err := tx.Relationship.Create().SetFromID(f.id(r[0])).SetToID(f.id(r[1])).SetType(relationship.TypeDependsOn).Exec(f.ctx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		s := f.service(t)
		x := fire("X", t0, "cairn_ci", "a1")
		n1 := fire("N", t0.Add(30*time.Second), "cairn_ci", "n60")
		res := ingest(t, f, s, x, n1)
		if len(res.Opened) != 1 {
			t.Fatalf("first batch %+v, want x and n1 in one incident", res)
		}
		first := res.Opened[0]
		if got := f.alert(t, n1.Key).IncidentID; ptr(got) != first {
			t.Fatalf("n1 in incident %d, want %d with x", ptr(got), first)
		}
		// d makes a1 the cause of two of three alerted CIs: n1, stored in
		// the first batch, moves out.
		d := fire("D", t0.Add(time.Minute), "cairn_ci", "a2")
		res = ingest(t, f, s, d)
		if len(res.Opened) != 1 || len(res.Changed) != 1 || res.Changed[0] != first {
			t.Fatalf("second batch %+v, want incident %d changed and one opened for n1", res, first)
		}
		second := res.Opened[0]
		n2 := fire("N", t0.Add(90*time.Second), "cairn_ci", "n61")
		// n2 joins the first incident through deep and is moved out at
		// once (both re-ranked): it lands with n1.
		if res = ingest(t, f, s, n2); len(res.Opened) != 0 || !equalInts(res.Changed, []int{first, second}) {
			t.Errorf("third batch %+v, want n2 to join n1 in %d", res, second)
		}
		for _, c := range []struct {
			key string
			inc int
		}{{x.Key, first}, {d.Key, first}, {n1.Key, second}, {n2.Key, second}} {
			if got := ptr(f.alert(t, c.key).IncidentID); got != c.inc {
				t.Errorf("alert %s in incident %d, want %d", c.key, got, c.inc)
			}
		}
		for _, c := range []struct {
			id   int
			cis  string
			want int
		}{{first, "a1,a2", 2}, {second, "n60,n61", 2}} {
			inc := f.incident(t, c.id)
			var names []string
			for _, ci := range inc.Edges.ConfigurationItems {
				names = append(names, ci.Name)
			}
			sort.Strings(names)
			if strings.Join(names, ",") != c.cis || inc.AlertCount != c.want || inc.FiringCount != c.want {
				t.Errorf("incident %d: %d alerts (%d firing) on %v, want %d on %s", c.id, inc.AlertCount, inc.FiringCount, names, c.want, c.cis)
			}
		}
	})
}
