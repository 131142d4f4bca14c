package replay_test

import (
	"context"
	"reflect"
	"testing"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestDependentCounts runs on the demo estate, on SQLite and PostgreSQL:
// the database Graph counts, for a batch of CIs, exactly the dependents
// within H that MemGraph counts over all the relationships.
func TestDependentCounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		rels, err := db.Client.Relationship.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var all []correlate.Edge
		for _, r := range rels {
			all = append(all, correlate.Edge{From: r.FromID, To: r.ToID, Type: string(r.Type)})
		}
		mem := correlate.NewMemGraph(all)
		id := func(name string) int {
			return db.Client.ConfigurationItem.Query().Where(configurationitem.Name(name)).OnlyIDX(ctx)
		}
		g := replay.NewGraph(db.Store)
		every, err := db.Client.ConfigurationItem.Query().IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			cis  []string
			hops int
			all  bool // every CI of the estate: roots sharing their dependents
		}{
			{[]string{"ams2-tor-sw04"}, 1, false},
			{[]string{"ams2-tor-sw04", "ams2-esx03", "ams2-db01", "euc1-web01"}, 3, false},
			{[]string{"ams2-tor-sw04", "fra1-db01"}, 8, false},
			{[]string{"ams2-tor-sw04"}, 2, true},
			{[]string{"ams2-tor-sw04"}, 8, true},
		} {
			var ids []int
			for _, n := range c.cis {
				ids = append(ids, id(n))
			}
			if c.all {
				ids = append(ids, every...)
			}
			got, err := g.DependentCounts(ctx, ids, c.hops)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := mem.DependentCounts(ctx, ids, c.hops)
			for k, v := range want {
				if v[0] == 0 {
					delete(want, k) // left out or none: both mean none
				}
			}
			if !reflect.DeepEqual(got, want) || want[ids[0]] == nil {
				t.Errorf("%v (all: %v) hops %d: database counts %v, want (MemGraph) %v, the switch with some", c.cis, c.all, c.hops, got, want)
			}
		}
		if got, err := g.DependentCounts(ctx, nil, 3); err != nil || len(got) != 0 {
			t.Errorf("no CIs: %v, %v; want empty", got, err)
		}
	})
}
