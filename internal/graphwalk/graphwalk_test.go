package graphwalk_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// graph builds CIs named by the edges "a>b:TYPE" (a depends on b) and
// returns the name → ID map.
func graph(t *testing.T, db *app.DB, edges ...string) map[string]int {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test")
	ids := map[string]int{}
	err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
		ci := func(name string) (int, error) {
			if id, ok := ids[name]; ok {
				return id, nil
			}
			c, err := tx.ConfigurationItem.Create().SetName(name).SetKind(configurationitem.KindServer).Save(ctx)
			if err != nil {
				return 0, err
			}
			ids[name] = c.ID
			return c.ID, nil
		}
		for _, e := range edges {
			pair, typ, _ := strings.Cut(e, ":")
			from, to, _ := strings.Cut(pair, ">")
			f, err := ci(from)
			if err != nil {
				return err
			}
			if to == "" {
				continue
			}
			tt, err := ci(to)
			if err != nil {
				return err
			}
			if typ == "" {
				typ = "DEPENDS_ON"
			}
			if err := tx.Relationship.Create().SetFromID(f).SetToID(tt).SetType(relationship.Type(typ)).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func names(ids map[string]int, res graphwalk.Result) string {
	byID := map[int]string{}
	for n, id := range ids {
		byID[id] = n
	}
	var out []string
	for _, n := range res.Nodes {
		out = append(out, fmt.Sprintf("%s@%d/%s", byID[n.ID], n.Depth, n.Via))
	}
	return strings.Join(out, " ")
}

func TestWalk(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// app runs on vm1 and vm2; both hosted on host; host connects to sw;
		// db1 and db2 replicate to each other (a cycle); app uses db1;
		// a diamond: app → lb → host at depth 2 and app → vm1 → host.
		ids := graph(t, db,
			"app>vm1:RUNS_ON", "app>vm2:RUNS_ON", "vm1>host:HOSTED_ON", "vm2>host:HOSTED_ON",
			"host>sw:CONNECTS_TO", "app>db1:USES", "db1>db2:REPLICATES_TO", "db2>db1:REPLICATES_TO",
			"db2>host:HOSTED_ON", "web>app:DEPENDS_ON", "lonely>",
		)
		w := graphwalk.New(db.Store)
		ctx := context.Background()
		tests := []struct {
			name  string
			root  string
			opt   graphwalk.Options
			want  string
			trunc bool
		}{
			{"dependents of the switch", "sw", graphwalk.Options{},
				"host@1/CONNECTS_TO vm1@2/HOSTED_ON vm2@2/HOSTED_ON db2@2/HOSTED_ON app@3/RUNS_ON db1@3/REPLICATES_TO web@4/DEPENDS_ON", false},
			{"max depth 2", "sw", graphwalk.Options{MaxDepth: 2},
				"host@1/CONNECTS_TO vm1@2/HOSTED_ON vm2@2/HOSTED_ON db2@2/HOSTED_ON", false},
			{"only hosting and connection types", "sw", graphwalk.Options{Types: []relationship.Type{relationship.TypeConnectsTo, relationship.TypeHostedOn}},
				"host@1/CONNECTS_TO vm1@2/HOSTED_ON vm2@2/HOSTED_ON db2@2/HOSTED_ON", false},
			{"dependencies of web", "web", graphwalk.Options{Direction: graphwalk.Dependencies},
				"app@1/DEPENDS_ON vm1@2/RUNS_ON vm2@2/RUNS_ON db1@2/USES host@3/HOSTED_ON db2@3/REPLICATES_TO sw@4/CONNECTS_TO", false},
			{"cycle: dependents of db1", "db1", graphwalk.Options{},
				"app@1/USES db2@1/REPLICATES_TO web@2/DEPENDS_ON", false},
			{"capped", "sw", graphwalk.Options{Limit: 3},
				"host@1/CONNECTS_TO vm1@2/HOSTED_ON vm2@2/HOSTED_ON", true},
			{"capped within max depth", "sw", graphwalk.Options{MaxDepth: 2, Limit: 3},
				"host@1/CONNECTS_TO vm1@2/HOSTED_ON vm2@2/HOSTED_ON", true},
			{"cap equal to what max depth allows", "sw", graphwalk.Options{MaxDepth: 2, Limit: 4},
				"host@1/CONNECTS_TO vm1@2/HOSTED_ON vm2@2/HOSTED_ON db2@2/HOSTED_ON", false},
			{"dependencies of web to depth 2", "web", graphwalk.Options{Direction: graphwalk.Dependencies, MaxDepth: 2},
				"app@1/DEPENDS_ON vm1@2/RUNS_ON vm2@2/RUNS_ON db1@2/USES", false},
			{"dependencies of web to depth 3, running and hosting only", "web", graphwalk.Options{Direction: graphwalk.Dependencies, MaxDepth: 3,
				Types: []relationship.Type{relationship.TypeDependsOn, relationship.TypeRunsOn, relationship.TypeHostedOn}},
				"app@1/DEPENDS_ON vm1@2/RUNS_ON vm2@2/RUNS_ON host@3/HOSTED_ON", false},
			{"dependencies of web to depth 3, capped", "web", graphwalk.Options{Direction: graphwalk.Dependencies, MaxDepth: 3, Limit: 4},
				"app@1/DEPENDS_ON vm1@2/RUNS_ON vm2@2/RUNS_ON db1@2/USES", true},
			{"dependencies of web capped", "web", graphwalk.Options{Direction: graphwalk.Dependencies, Limit: 5},
				"app@1/DEPENDS_ON vm1@2/RUNS_ON vm2@2/RUNS_ON db1@2/USES host@3/HOSTED_ON", true},
			{"nothing depends on web", "web", graphwalk.Options{}, "", false},
			{"isolated CI", "lonely", graphwalk.Options{Direction: graphwalk.Dependencies}, "", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := w.Walk(ctx, ids[tt.root], tt.opt)
				if err != nil {
					t.Fatal(err)
				}
				// Order within a depth is by ID, which follows creation order here.
				if got := names(ids, res); got != tt.want {
					t.Errorf("Walk(%s) = %q, want %q", tt.root, got, tt.want)
				}
				if res.Truncated != tt.trunc {
					t.Errorf("Truncated = %v, want %v", res.Truncated, tt.trunc)
				}
			})
		}
	})
}

// A chain longer than one recursive chunk, closed into a ring, must still
// reach every CI exactly once at its true depth.
func TestWalkDeepRing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		const n = 40
		var edges []string
		for i := 0; i < n; i++ {
			edges = append(edges, fmt.Sprintf("c%d>c%d", (i+1)%n, i))
		}
		ids := graph(t, db, edges...)
		res, err := graphwalk.New(db.Store).Walk(context.Background(), ids["c0"], graphwalk.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Nodes) != n-1 {
			t.Fatalf("reached %d CIs, want %d", len(res.Nodes), n-1)
		}
		for i, node := range res.Nodes {
			if node.Depth != i+1 || node.ID != ids[fmt.Sprintf("c%d", i+1)] {
				t.Fatalf("node %d = %+v, want c%d at depth %d", i, node, i+1, i+1)
			}
		}
		res, err = graphwalk.New(db.Store).Walk(context.Background(), ids["c0"], graphwalk.Options{MaxDepth: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Nodes) != 20 || res.Nodes[19].Depth != 20 || res.Truncated {
			t.Fatalf("max depth 20 reached %d CIs (last %+v, truncated %v), want 20", len(res.Nodes), res.Nodes[len(res.Nodes)-1], res.Truncated)
		}
		// Bounded walks (the depth-carrying CTE) and deep bounds cut in Go,
		// with and without the cap.
		for _, tc := range []struct {
			maxDepth, limit, want int
			trunc                 bool
		}{
			{5, 0, 5, false}, {5, 5, 5, false}, {5, 4, 4, true},
			{20, 20, 20, false}, {20, 19, 19, true}, {0, 10, 10, true}, {0, 39, 39, false},
		} {
			res, err := graphwalk.New(db.Store).Walk(context.Background(), ids["c0"], graphwalk.Options{MaxDepth: tc.maxDepth, Limit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Nodes) != tc.want || res.Truncated != tc.trunc {
				t.Errorf("max depth %d, limit %d: %d CIs, truncated %v; want %d, %v", tc.maxDepth, tc.limit, len(res.Nodes), res.Truncated, tc.want, tc.trunc)
			}
			for i, node := range res.Nodes {
				if node.Depth != i+1 || node.ID != ids[fmt.Sprintf("c%d", i+1)] || node.Parent != ids[fmt.Sprintf("c%d", i)] {
					t.Errorf("max depth %d, limit %d: node %d = %+v, want c%d at depth %d", tc.maxDepth, tc.limit, i, node, i+1, i+1)
				}
			}
		}
	})
}

// TestWalkMatchesBFS checks walks over a random graph with cycles against a
// breadth-first search in memory: every option combination, both
// directions, every root; exact results when not capped, and when capped
// the right number of CIs, each at its true depth, reached by a real
// relationship from a CI one level closer.
func TestWalkMatchesBFS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		types := []relationship.Type{relationship.TypeDependsOn, relationship.TypeRunsOn, relationship.TypeHostedOn, relationship.TypeUses}
		type edge struct {
			from, to string
			typ      relationship.Type
		}
		const n = 40
		rng := rand.New(rand.NewPCG(7, 11))
		var edges []edge
		var specs []string
		seen := map[[2]int]bool{}
		for len(edges) < 3*n {
			f, to := rng.IntN(n), rng.IntN(n)
			if f == to || seen[[2]int{f, to}] {
				continue
			}
			seen[[2]int{f, to}] = true
			e := edge{fmt.Sprintf("n%02d", f), fmt.Sprintf("n%02d", to), types[rng.IntN(len(types))]}
			edges = append(edges, e)
			specs = append(specs, e.from+">"+e.to+":"+string(e.typ))
		}
		ids := graph(t, db, specs...)
		name := map[int]string{}
		for k, v := range ids {
			name[v] = k
		}
		w := graphwalk.New(db.Store)
		type hop struct {
			to  string
			via relationship.Type
		}
		// expect walks in memory: depth, and the smallest (type, parent
		// ID) among the shortest-path parents.
		expect := func(root string, o graphwalk.Options) map[string]graphwalk.Node {
			next := map[string][]hop{}
			allowed := map[relationship.Type]bool{}
			for _, ty := range o.Types {
				allowed[ty] = true
			}
			for _, e := range edges {
				if len(allowed) > 0 && !allowed[e.typ] {
					continue
				}
				if o.Direction == graphwalk.Dependents {
					next[e.to] = append(next[e.to], hop{e.from, e.typ})
				} else {
					next[e.from] = append(next[e.from], hop{e.to, e.typ})
				}
			}
			out := map[string]graphwalk.Node{}
			depth := map[string]int{root: 0}
			level := []string{root}
			for d := 1; len(level) > 0 && (o.MaxDepth == 0 || d <= o.MaxDepth); d++ {
				var found []string
				for _, p := range level {
					for _, h := range next[p] {
						if dd, ok := depth[h.to]; ok && dd < d {
							continue
						}
						cand := graphwalk.Node{ID: ids[h.to], Depth: d, Via: h.via, Parent: ids[p]}
						cur, ok := out[h.to]
						if !ok {
							depth[h.to] = d
							found = append(found, h.to)
							out[h.to] = cand
						} else if cand.Via < cur.Via || (cand.Via == cur.Via && cand.Parent < cur.Parent) {
							out[h.to] = cand
						}
					}
				}
				level = found
			}
			return out
		}
		edgeOK := func(n graphwalk.Node, o graphwalk.Options) bool {
			for _, e := range edges {
				f, to := ids[e.from], ids[e.to]
				if o.Direction == graphwalk.Dependents {
					f, to = to, f
				}
				if f == n.Parent && to == n.ID && e.typ == n.Via {
					return true
				}
			}
			return false
		}
		ctx := context.Background()
		checked, capped := 0, 0
		for _, dir := range []graphwalk.Direction{graphwalk.Dependents, graphwalk.Dependencies} {
			for _, maxDepth := range []int{0, 1, 2, 3, 5, 9} {
				for _, limit := range []int{0, 5} {
					for _, ty := range [][]relationship.Type{nil, types[:2]} {
						o := graphwalk.Options{Direction: dir, MaxDepth: maxDepth, Limit: limit, Types: ty}
						for i := 0; i < n; i += 3 {
							root := fmt.Sprintf("n%02d", i)
							want := expect(root, o)
							walked, err := w.Walk(ctx, ids[root], o)
							if err != nil {
								t.Fatal(err)
							}
							checked++
							// One statement reading the walk's CIs with their
							// relationships (FromReached) gives the same
							// Result; which CIs of the last level a capped
							// walk keeps may differ between two runs of the
							// CTE, so both are checked against the BFS.
							reached := fromReached(t, db, w, ids[root], o)
							if !walked.Truncated && fmt.Sprint(reached) != fmt.Sprint(walked) {
								t.Fatalf("%s %+v: FromReached %+v, Walk %+v", root, o, reached, walked)
							}
							if limit > 0 && len(want) > limit {
								capped++
							}
							for _, res := range []graphwalk.Result{walked, reached} {
								if limit > 0 && len(want) > limit {
									if len(res.Nodes) != limit || !res.Truncated {
										t.Fatalf("%s %+v: %d CIs, truncated %v; want %d of %d, truncated", root, o, len(res.Nodes), res.Truncated, limit, len(want))
									}
									for _, nd := range res.Nodes {
										if wn, ok := want[name[nd.ID]]; !ok || wn.Depth != nd.Depth || !edgeOK(nd, o) {
											t.Fatalf("%s %+v: node %s %+v, want depth %d", root, o, name[nd.ID], nd, wn.Depth)
										}
									}
									continue
								}
								if res.Truncated || len(res.Nodes) != len(want) {
									t.Fatalf("%s %+v: %d CIs, truncated %v; want %d", root, o, len(res.Nodes), res.Truncated, len(want))
								}
								for _, nd := range res.Nodes {
									if wn := want[name[nd.ID]]; wn != nd {
										t.Fatalf("%s %+v: node %s = %+v, want %+v", root, o, name[nd.ID], nd, wn)
									}
								}
							}
						}
					}
				}
			}
		}
		t.Logf("%d walks checked, %d of them capped", checked, capped)
	})
}

// fromReached is the walk from root with o through ReachedSQL, EdgesColumn
// and FromReached: one statement, as the incident pipeline reads it.
func fromReached(t *testing.T, db *app.DB, w *graphwalk.Walker, root int, o graphwalk.Options) graphwalk.Result {
	t.Helper()
	sub, subArgs := w.ReachedSQL(root, o)
	col, colArgs := w.EdgesColumn("c.id", o)
	q := `SELECT c.id, (` + col + `) FROM configuration_items c WHERE c.id IN (` + sub + `)`
	rows, err := db.Store.Query(context.Background(), db.Store.Rebind(q), append(colArgs, subArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cis []graphwalk.ReachedCI
	for rows.Next() {
		var c graphwalk.ReachedCI
		var edges *string
		if err := rows.Scan(&c.ID, &edges); err != nil {
			t.Fatal(err)
		}
		if edges != nil {
			c.Edges = *edges
		}
		cis = append(cis, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	res, err := graphwalk.FromReached(root, o, cis)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// FromReached refuses relationships it cannot read.
func TestFromReachedRefusesBadEdges(t *testing.T) {
	for _, edges := range []string{"x:RUNS_ON", "12", "12:", ",", "12:RUNS_ON,,"} {
		if _, err := graphwalk.FromReached(1, graphwalk.Options{}, []graphwalk.ReachedCI{{ID: 1, Edges: edges}}); err == nil {
			t.Errorf("FromReached accepted edges %q", edges)
		}
	}
	res, err := graphwalk.FromReached(1, graphwalk.Options{}, []graphwalk.ReachedCI{{ID: 1}, {ID: 2, Edges: "1:RUNS_ON,3:USES"}, {ID: 3, Edges: "1:DEPENDS_ON"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(res), "{[{2 1 RUNS_ON 1} {3 1 DEPENDS_ON 1}] false}"; got != want {
		t.Errorf("FromReached = %s, want %s", got, want)
	}
}
