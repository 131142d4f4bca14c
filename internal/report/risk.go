package report

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-cmdb/cairn/ent"
)

// The services a drift puts at risk are those of its CI and of the CIs
// that depend on it, up to RiskDepth relationships away (relationships
// read "FROM depends on TO", so dependents are reached from TO to FROM).
// They are computed once per distinct drifted CI, in one of two ways with
// the same result:
//
//   - few drifted CIs (fewer than riskScanFrom): one recursive query walks
//     from all of them at once, every row carrying its root, deduplicated
//     per (root, CI, depth), and joins the service memberships;
//   - many: the per-root rows of that walk grow with the roots times their
//     fan-in (a 10,000-drift day on a 100,000-CI estate makes ~350,000 of
//     them, seconds on SQLite), while the whole relationship and membership
//     tables read in two plain scans in a fraction of that. The sets are
//     then computed in memory, memoised per (CI, hops left), so dependents
//     shared by many drifted CIs are visited once.
//
// Both are a bounded number of statements whatever the number of drifts.

// riskScanFrom is the number of distinct drifted CIs from which the graph
// is read whole rather than walked from each of them (a variable so that
// tests run both paths).
var riskScanFrom = 500

// riskByWalk is the recursive query over the listed drifts' CIs.
func (b *builder) riskByWalk(ctx context.Context) (map[int][]string, error) {
	a := &args{}
	q := `WITH RECURSIVE roots(id) AS (
  SELECT DISTINCT d.configuration_item_id` + fromDrifts + `
  WHERE ` + b.inWindow(a) + ` AND ` + listed + ` AND d.configuration_item_id IS NOT NULL
), reached(root, id, depth) AS (
  SELECT id, id, 0 FROM roots
  UNION
  SELECT reached.root, r.from_id, reached.depth + 1
  FROM reached JOIN relationships r ON r.to_id = reached.id
  WHERE reached.depth < ` + a.p(RiskDepth) + `
)
SELECT DISTINCT reached.root, s.name FROM reached
JOIN service_members sm ON sm.configuration_item_id = reached.id
JOIN services s ON s.id = sm.service_id`
	at := map[int][]string{}
	err := query(ctx, b.c, "finding the services at risk", q, a, func(rows *sql.Rows) error {
		var root int
		var name string
		if err := rows.Scan(&root, &name); err != nil {
			return err
		}
		at[root] = append(at[root], name)
		return nil
	})
	return at, err
}

// riskGraph is the relationship graph in compact form: CIs by dense index,
// each with its dependents and its services.
type riskGraph struct {
	index      map[int]int32
	dependents [][]int32
	own        [][]int32 // service indexes
	services   []string  // names by service index
	memo       [RiskDepth + 1]map[int32][]int32
	stamp      []uint32
	gen        uint32
}

func (g *riskGraph) node(id int) int32 {
	if i, ok := g.index[id]; ok {
		return i
	}
	i := int32(len(g.dependents))
	g.index[id] = i
	g.dependents = append(g.dependents, nil)
	g.own = append(g.own, nil)
	return i
}

// riskByScan reads every relationship and service membership and computes
// the services at risk of roots in memory.
func riskByScan(ctx context.Context, c *ent.Client, roots map[int]bool) (map[int][]string, error) {
	g := &riskGraph{index: make(map[int]int32, 4*len(roots))}
	svcIndex := map[int]int32{}
	err := query(ctx, c, "reading services", `SELECT id, name FROM services`, &args{}, func(rows *sql.Rows) error {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		svcIndex[id] = int32(len(g.services))
		g.services = append(g.services, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = query(ctx, c, "reading relationships", `SELECT to_id, from_id FROM relationships`, &args{}, func(rows *sql.Rows) error {
		var to, from int
		if err := rows.Scan(&to, &from); err != nil {
			return err
		}
		t, f := g.node(to), g.node(from)
		g.dependents[t] = append(g.dependents[t], f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = query(ctx, c, "reading service memberships", `SELECT configuration_item_id, service_id FROM service_members`, &args{}, func(rows *sql.Rows) error {
		var ci, svc int
		if err := rows.Scan(&ci, &svc); err != nil {
			return err
		}
		s, ok := svcIndex[svc]
		if !ok {
			return fmt.Errorf("service %d of CI %d not found", svc, ci)
		}
		n := g.node(ci)
		g.own[n] = append(g.own[n], s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.stamp = make([]uint32, len(g.services))
	for k := range g.memo {
		g.memo[k] = map[int32][]int32{}
	}
	at := make(map[int][]string, len(roots))
	for id := range roots {
		n, ok := g.index[id]
		if !ok {
			continue // no relationship and no service
		}
		set := g.atRisk(n, RiskDepth)
		if len(set) == 0 {
			continue
		}
		names := make([]string, len(set))
		for i, s := range set {
			names[i] = g.services[s]
		}
		at[id] = names
	}
	return at, nil
}

// atRisk returns the services of n and of its dependents up to hops
// relationships away, memoised per (n, hops). The slice must not be
// modified.
func (g *riskGraph) atRisk(n int32, hops int) []int32 {
	if hops == 0 || len(g.dependents[n]) == 0 {
		return g.own[n]
	}
	if s, ok := g.memo[hops][n]; ok {
		return s
	}
	// Children first: the stamps below are shared.
	children := make([][]int32, len(g.dependents[n]))
	for i, d := range g.dependents[n] {
		children[i] = g.atRisk(d, hops-1)
	}
	g.gen++
	if g.gen == 0 { // wrapped: clear the stamps
		clear(g.stamp)
		g.gen = 1
	}
	var out []int32
	add := func(set []int32) {
		for _, s := range set {
			if g.stamp[s] != g.gen {
				g.stamp[s] = g.gen
				out = append(out, s)
			}
		}
	}
	add(g.own[n])
	for _, c := range children {
		add(c)
	}
	g.memo[hops][n] = out
	return out
}
