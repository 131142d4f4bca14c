package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// timeEstate seeds CIs whose created_at are known instants: times read from
// the clock (with a monotonic reading, which time.String() writes as
// " m=+…"), two rows at the same instant, and one given in another offset
// that falls between rows given in UTC. It returns the names in created_at
// order (ties by ID, the order they are created in).
func timeEstate(t *testing.T, env *servertest.Env) []string {
	t.Helper()
	base := time.Now() // keeps its monotonic clock reading through Add
	plus2 := time.FixedZone("+02", 2*60*60)
	rows := []struct {
		name string
		at   time.Time
	}{
		{"t0", base},
		{"t1", base.Add(1500 * time.Microsecond)},
		{"t2a", base.Add(2 * time.Second)},
		{"t2b", base.Add(2 * time.Second)},
		{"t3-plus2", base.Add(3 * time.Second).In(plus2)},
		{"t4", base.Add(4 * time.Second)},
		{"t5", base.Add(5*time.Second + 7*time.Microsecond)},
	}
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		for _, r := range rows {
			if err := tx.ConfigurationItem.Create().SetName(r.name).SetKind(configurationitem.KindServer).
				SetCreatedAt(r.at).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.name
	}
	return names
}

type timePage struct {
	ConfigurationItems struct {
		PageInfo pageInfo
		Edges    []struct {
			Cursor string
			Node   struct {
				Name      string
				CreatedAt string
			}
		}
	}
}

// TestCursorPagingByTime: paging a connection ordered by CREATED_AT, two
// rows at a time in either direction, returns every row once. On SQLite a
// time stored in Go's time.String() form (with the monotonic " m=+…" and
// the zone name) compared as text greater than the same instant sent back
// from the cursor, so the page after a cursor began with the cursor's own
// row (and a time in another offset sorted by its wall clock).
func TestCursorPagingByTime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		asc := timeEstate(t, env)
		// Ties go by ID, ascending in both directions (entgql's order).
		desc := []string{"t5", "t4", "t3-plus2", "t2a", "t2b", "t1", "t0"}
		const q = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $dir: OrderDirection!) {
			configurationItems(first: $first, after: $after, last: $last, before: $before,
				where: {kind: SERVER}, orderBy: [{field: CREATED_AT, direction: $dir}]) {
				pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
				edges { cursor node { name createdAt } } } }`
		for _, c := range []struct {
			dir  string
			want []string
		}{{"ASC", asc}, {"DESC", desc}} {
			t.Run(c.dir, func(t *testing.T) {
				// Forward with first/after.
				var got []string
				var after any
				for range len(c.want) + 1 {
					var p timePage
					env.Do(t, env.Viewer, q, map[string]any{"first": 2, "after": after, "dir": c.dir}).OK(t).Decode(t, &p)
					for _, e := range p.ConfigurationItems.Edges {
						got = append(got, e.Node.Name)
					}
					if !p.ConfigurationItems.PageInfo.HasNextPage {
						break
					}
					after = *p.ConfigurationItems.PageInfo.EndCursor
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("forward pages: %s, want %s", strings.Join(got, ","), strings.Join(c.want, ","))
				}
				// Backward with last/before.
				got = nil
				var before any
				for range len(c.want) + 1 {
					var p timePage
					env.Do(t, env.Viewer, q, map[string]any{"last": 2, "before": before, "dir": c.dir}).OK(t).Decode(t, &p)
					var page []string
					for _, e := range p.ConfigurationItems.Edges {
						page = append(page, e.Node.Name)
					}
					got = append(page, got...)
					if !p.ConfigurationItems.PageInfo.HasPreviousPage {
						break
					}
					before = *p.ConfigurationItems.PageInfo.StartCursor
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("backward pages: %s, want %s", strings.Join(got, ","), strings.Join(c.want, ","))
				}
			})
		}
	})
}

// TestTimeFilterAtInstant: a filter at the exact instant of a row's
// createdAt (EQ, GTE, LTE, as read back through GraphQL) includes that row,
// and GT, LT leave it out. On SQLite the stored text carried the monotonic
// reading or another offset, so the same instant compared unequal.
func TestTimeFilterAtInstant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		names := timeEstate(t, env)
		var all timePage
		env.Do(t, env.Viewer, `{ configurationItems(where: {kind: SERVER}, orderBy: [{field: CREATED_AT}]) {
			edges { node { name createdAt } } } }`, nil).OK(t).Decode(t, &all)
		at := map[string]string{}
		for _, e := range all.ConfigurationItems.Edges {
			at[e.Node.Name] = e.Node.CreatedAt
		}
		if len(at) != len(names) {
			t.Fatalf("read %d CIs, want %d", len(at), len(names))
		}
		const q = `query($w: ConfigurationItemWhereInput) { configurationItems(where: $w, orderBy: [{field: CREATED_AT}]) {
			edges { node { name createdAt } } } }`
		// i is the row's place in names; ties share an instant.
		for i, name := range names {
			first, last := i, i
			for first > 0 && at[names[first-1]] == at[name] {
				first--
			}
			for last < len(names)-1 && at[names[last+1]] == at[name] {
				last++
			}
			for _, c := range []struct {
				op   string
				want []string
			}{
				{"createdAt", names[first : last+1]},
				{"createdAtGTE", names[first:]},
				{"createdAtLTE", names[:last+1]},
				{"createdAtGT", names[last+1:]},
				{"createdAtLT", names[:first]},
			} {
				var p timePage
				env.Do(t, env.Viewer, q, map[string]any{"w": map[string]any{"kind": "SERVER", c.op: at[name]}}).OK(t).Decode(t, &p)
				var got []string
				for _, e := range p.ConfigurationItems.Edges {
					got = append(got, e.Node.Name)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: %s (%s) = [%s], want [%s]", name, c.op, at[name], strings.Join(got, ","), strings.Join(c.want, ","))
				}
			}
		}
	})
}
