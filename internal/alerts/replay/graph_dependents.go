package replay

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// DependentCounts implements correlate.Graph: for each of cis, how many
// other CIs depend on it at each distance 1..hops, in one recursive
// statement for the whole batch. The CTE carries (root, CI, depth) so that
// each root counts its own dependents (graphwalk's walks merge their
// roots), each at its smallest depth; it steps from to_id to from_id
// through relationships' (to_id, type, from_id) index. A CI nothing
// depends on is left out.
func (g *Graph) DependentCounts(ctx context.Context, cis []int, hops int) (map[int][]int, error) {
	out := make(map[int][]int, len(cis))
	if len(cis) == 0 || hops < 1 {
		return out, nil
	}
	seed, arg := `SELECT CAST(s.value AS BIGINT) AS id FROM json_each(?) s`, any(nil)
	if g.st.Backend() == store.Postgres {
		seed, arg = `SELECT CAST(s.id AS BIGINT) AS id FROM unnest(?::bigint[]) AS s(id)`, graphwalk.PGArray(cis)
	} else {
		b, _ := json.Marshal(cis)
		arg = string(b)
	}
	q := `WITH RECURSIVE roots(id) AS (` + seed + `),
dep(root, id, depth) AS (
  SELECT id, id, 0 FROM roots
  UNION
  SELECT dep.root, r.from_id, dep.depth + 1 FROM dep JOIN relationships r ON r.to_id = dep.id
  WHERE dep.depth < ?
)
SELECT root, depth, COUNT(*) FROM (
  SELECT root, id, MIN(depth) AS depth FROM dep WHERE id <> root GROUP BY root, id
) d GROUP BY root, depth`
	rows, err := g.st.Query(ctx, g.st.Rebind(q), arg, hops)
	if err != nil {
		return nil, fmt.Errorf("counting the dependents of %d CIs within %d hops: %w", len(cis), hops, err)
	}
	defer rows.Close()
	for rows.Next() {
		var root, depth, n int
		if err := rows.Scan(&root, &depth, &n); err != nil {
			return nil, fmt.Errorf("counting dependents: %w", err)
		}
		if depth < 1 || depth > hops {
			continue
		}
		if out[root] == nil {
			out[root] = make([]int, hops)
		}
		out[root][depth-1] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting dependents: %w", err)
	}
	return out, nil
}
