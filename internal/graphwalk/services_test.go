package graphwalk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func TestChain(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ids := graph(t, db, "a>b:RUNS_ON", "b>c:USES", "c>d", "a>x", "x>y", "z>a")
		byID := map[int]string{}
		for n, id := range ids {
			byID[id] = n
		}
		res, err := graphwalk.New(db.Store).Walk(context.Background(), ids["a"], graphwalk.Options{Direction: graphwalk.Dependencies})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ to, want string }{
			{"d", "b/RUNS_ON c/USES d/DEPENDS_ON"},
			{"b", "b/RUNS_ON"},
			{"y", "x/DEPENDS_ON y/DEPENDS_ON"},
			{"z", "unreached"}, // z depends on a, not the other way round
			{"a", "unreached"}, // the root is not part of a walk
		} {
			chain, ok := graphwalk.Chain(res, ids[c.to])
			got := "unreached"
			if ok {
				var parts []string
				for _, n := range chain {
					parts = append(parts, byID[n.ID]+"/"+string(n.Via))
				}
				got = strings.Join(parts, " ")
			}
			if got != c.want {
				t.Errorf("Chain(a → %s) = %q, want %q", c.to, got, c.want)
			}
		}
	})
}

func TestServiceWalk(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// Members m1..m4 of S1..S4; S1 depends on S2 depends on S3 (links);
		// m4 depends on m3 (a relationship), so S4 depends on S3 through CIs.
		ids := graph(t, db, "m1", "m2", "m3", "m4>m3")
		ctx := audit.WithActor(context.Background(), "test")
		svc := map[string]int{}
		err = txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			for _, s := range []struct{ name, member, dependsOn string }{
				{"S3", "m3", ""}, {"S2", "m2", "S3"}, {"S1", "m1", "S2"}, {"S4", "m4", ""},
			} {
				c := tx.Service.Create().SetName(s.name).AddMemberIDs(ids[s.member])
				if s.dependsOn != "" {
					c.AddDependsOnIDs(svc[s.dependsOn])
				}
				v, err := c.Save(ctx)
				if err != nil {
					return err
				}
				svc[s.name] = v.ID
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int]string{}
		for n, id := range svc {
			byID[id] = n
		}
		for _, c := range []struct {
			name, root string
			o          graphwalk.ServiceOptions
			want       string
		}{
			{"dependencies by links", "S1", graphwalk.ServiceOptions{Direction: graphwalk.Dependencies}, "S2@1/SERVICE S3@2/SERVICE"},
			{"dependencies, one step", "S1", graphwalk.ServiceOptions{Direction: graphwalk.Dependencies, MaxDepth: 1}, "S2@1/SERVICE"},
			{"dependents by links and CIs", "S3", graphwalk.ServiceOptions{Direction: graphwalk.Dependents}, "S2@1/SERVICE S4@1/CI S1@2/SERVICE"},
			{"dependencies through CIs", "S4", graphwalk.ServiceOptions{Direction: graphwalk.Dependencies}, "S3@1/CI"},
			{"nothing depends on S1", "S1", graphwalk.ServiceOptions{Direction: graphwalk.Dependents}, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				hops, err := graphwalk.New(db.Store).ServiceWalk(context.Background(), db.Client, svc[c.root], c.o)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hops {
					got = append(got, fmt.Sprintf("%s@%d/%s", byID[h.ID], h.Depth, h.Via))
				}
				if strings.Join(got, " ") != c.want {
					t.Errorf("ServiceWalk(%s) = %q, want %q", c.root, strings.Join(got, " "), c.want)
				}
			})
		}
	})
}
