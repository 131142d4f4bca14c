package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// DependentCounts implements correlate.Graph: for each of cis, how many
// other CIs depend on it at each distance 1..hops. The relationships are
// read breadth first over all the roots at once, one statement per level
// (at most hops, served by relationships' (to_id, type, from_id) index):
// the relationships entering the roots, then those entering the CIs they
// reached for the first time, and so on; each CI's dependents are read
// once however many roots reach it (roots under the same hubs share most
// of their dependents). Each root then counts its own dependents, each at
// its smallest depth, in memory. A CI nothing depends on is left out.
func (g *Graph) DependentCounts(ctx context.Context, cis []int, hops int) (map[int][]int, error) {
	out := make(map[int][]int, len(cis))
	if len(cis) == 0 || hops < 1 {
		return out, nil
	}
	// in: CI → the CIs depending on it directly (read for every CI within
	// hops-1 of some root).
	in := map[int][]int{}
	read := map[int]bool{}
	var frontier []int
	for _, c := range cis {
		if !read[c] {
			read[c] = true
			frontier = append(frontier, c)
		}
	}
	roots := append([]int(nil), frontier...)
	for d := 0; d < hops && len(frontier) > 0; d++ {
		sort.Ints(frontier)
		if err := g.edgesInto(ctx, frontier, in); err != nil {
			return nil, fmt.Errorf("counting the dependents of %d CIs within %d hops: %w", len(cis), hops, err)
		}
		if d == hops-1 {
			break
		}
		var next []int
		for _, x := range frontier {
			for _, f := range in[x] {
				if !read[f] {
					read[f] = true
					next = append(next, f)
				}
			}
		}
		if len(read) > maxReach {
			return nil, fmt.Errorf("counting dependents: more than %d CIs within %d hops", maxReach, hops)
		}
		frontier = next
	}
	// Per root, breadth first over in: each dependent at its smallest depth.
	depth := map[int]int{}
	for _, r := range roots {
		clear(depth)
		depth[r] = 0
		level := []int{r}
		var counts []int
		for d := 1; d <= hops && len(level) > 0; d++ {
			var next []int
			for _, x := range level {
				for _, f := range in[x] {
					if _, ok := depth[f]; !ok {
						depth[f] = d
						next = append(next, f)
					}
				}
			}
			if len(next) > 0 {
				if counts == nil {
					counts = make([]int, hops)
				}
				counts[d-1] = len(next)
			}
			level = next
		}
		if counts != nil {
			out[r] = counts
		}
	}
	return out, nil
}

// edgesInto adds to in, for each of ids, the CIs depending on it directly
// (one per relationship: a CI related twice appears twice, which the
// walks above absorb), in one statement.
func (g *Graph) edgesInto(ctx context.Context, ids []int, in map[int][]int) error {
	var q string
	var arg any
	if g.st.Backend() == store.Postgres {
		q, arg = `SELECT to_id, from_id FROM relationships WHERE to_id = ANY(?::bigint[])`, graphwalk.PGArray(ids)
	} else {
		b, _ := json.Marshal(ids)
		q, arg = `SELECT to_id, from_id FROM relationships WHERE to_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`, string(b)
	}
	rows, err := g.q.QueryContext(ctx, g.st.Rebind(q), arg)
	if err != nil {
		return fmt.Errorf("reading relationships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var to, from int
		if err := rows.Scan(&to, &from); err != nil {
			return fmt.Errorf("reading relationships: %w", err)
		}
		in[to] = append(in[to], from)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading relationships: %w", err)
	}
	return nil
}
