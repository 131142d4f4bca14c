// Package graphwalk answers blast-radius questions over the relationship
// graph in the database, with recursive CTEs that run on SQLite and
// PostgreSQL alike, never by loading the graph into memory.
//
// Every relationship reads "FROM depends on TO". The dependents of a CI
// (what breaks when it breaks) are reached by following relationships
// backwards, from their TO end to their FROM end; its dependencies (what it
// needs) forwards.
//
// Cycles (replication pairs, mutual dependencies) end because the recursion
// carries a depth bound and deduplicates (id, depth, via) rows with UNION.
// To reach any depth without letting a cycle multiply rows, the walk runs in
// chunks of chunkDepth levels: CIs first reached at the last level of a
// chunk seed the next chunk, and CIs already reached are dropped in Go, so
// every CI appears once at its shortest depth.
package graphwalk

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Direction says which way to walk.
type Direction int

// Directions.
const (
	Dependents Direction = iota
	Dependencies
)

// DefaultLimit is the most CIs one walk returns unless told otherwise.
const DefaultLimit = 10_000

// chunkDepth is the depth bound of one recursive query.
const chunkDepth = 16

// Options shape a walk.
type Options struct {
	Direction Direction
	// MaxDepth bounds the walk; 0 or less means any depth.
	MaxDepth int
	// Types keeps only relationships of these types; empty means all.
	Types []relationship.Type
	// Limit caps the CIs returned (DefaultLimit when 0); Truncated says
	// when it was hit.
	Limit int
}

// Node is a CI reached by a walk.
type Node struct {
	ID    int
	Depth int
	// Via is the type of the relationship the CI was reached by on one of
	// its shortest paths.
	Via relationship.Type
	// Parent is the CI one step closer to the root on that path.
	Parent int
}

// Result is a walk's outcome, nodes ordered by depth then ID.
type Result struct {
	Nodes     []Node
	Truncated bool
}

// Walker runs walks on one database.
type Walker struct {
	st *store.DB
}

// New returns a Walker over st.
func New(st *store.DB) *Walker { return &Walker{st: st} }

// Walk returns every CI reachable from root in the given direction.
func (w *Walker) Walk(ctx context.Context, root int, o Options) (Result, error) {
	return w.WalkFrom(ctx, []int{root}, o)
}

// WalkFrom walks from several roots at once (depth 0); the roots are not
// part of the result.
func (w *Walker) WalkFrom(ctx context.Context, roots []int, o Options) (Result, error) {
	limit := o.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	for _, t := range o.Types {
		if err := relationship.TypeValidator(t); err != nil {
			return Result{}, fmt.Errorf("relationship type %q: %w", t, err)
		}
	}
	seen := make(map[int]bool, len(roots))
	for _, r := range roots {
		seen[r] = true
	}
	var nodes []Node
	frontier := append([]int(nil), roots...)
	base := 0
	for len(frontier) > 0 {
		bound := chunkDepth
		if o.MaxDepth > 0 {
			if base >= o.MaxDepth {
				break
			}
			bound = min(bound, o.MaxDepth-base)
		}
		chunk, err := w.chunk(ctx, frontier, bound, o)
		if err != nil {
			return Result{}, err
		}
		frontier = frontier[:0]
		for _, n := range chunk {
			if seen[n.ID] {
				continue
			}
			seen[n.ID] = true
			n.Depth += base
			nodes = append(nodes, n)
			if n.Depth == base+bound {
				frontier = append(frontier, n.ID)
			}
		}
		base += bound
		if len(nodes) > limit {
			break
		}
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].Depth != nodes[j].Depth {
			return nodes[i].Depth < nodes[j].Depth
		}
		return nodes[i].ID < nodes[j].ID
	})
	res := Result{Nodes: nodes}
	if len(nodes) > limit {
		res.Nodes, res.Truncated = nodes[:limit], true
	}
	return res, nil
}

// chunk runs one bounded recursive query from seeds and returns each CI
// once at its smallest depth within the bound (seeds excluded).
func (w *Walker) chunk(ctx context.Context, seeds []int, bound int, o Options) ([]Node, error) {
	near, far := "to_id", "from_id"
	if o.Direction == Dependencies {
		near, far = "from_id", "to_id"
	}
	var args []any
	seedSQL, seedArg := w.idList(seeds)
	args = append(args, seedArg, bound)
	typeFilter := ""
	if len(o.Types) > 0 {
		ph := make([]string, len(o.Types))
		for i, t := range o.Types {
			ph[i] = "?"
			args = append(args, string(t))
		}
		typeFilter = " AND r.type IN (" + strings.Join(ph, ", ") + ")"
	}
	q := `WITH RECURSIVE reached(id, depth, via, parent) AS (
  SELECT CAST(s.id AS BIGINT), 0, CAST('' AS VARCHAR(32)), CAST(0 AS BIGINT) FROM (` + seedSQL + `) s
  UNION
  SELECT r.` + far + `, reached.depth + 1, CAST(r.type AS VARCHAR(32)), reached.id
  FROM reached JOIN relationships r ON r.` + near + ` = reached.id
  WHERE reached.depth < ?` + typeFilter + `
)
SELECT id, depth, via, parent FROM (
  SELECT id, depth, via, parent,
         ROW_NUMBER() OVER (PARTITION BY id ORDER BY depth, via, parent) AS rn
  FROM reached WHERE depth > 0
) best WHERE rn = 1`
	rows, err := w.st.Reader().QueryContext(ctx, w.st.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("walking relationships: %w", err)
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		var n Node
		var via string
		if err := rows.Scan(&n.ID, &n.Depth, &via, &n.Parent); err != nil {
			return nil, fmt.Errorf("reading walk row: %w", err)
		}
		n.Via = relationship.Type(via)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("walking relationships: %w", err)
	}
	return out, nil
}

// idList returns a subquery yielding one column "id" from a single
// parameter holding all ids, so the statement text does not depend on how
// many there are.
func (w *Walker) idList(ids []int) (string, any) {
	if w.st.Backend() == store.Postgres {
		return `SELECT unnest(?::bigint[]) AS id`, pgArray(ids)
	}
	b, _ := json.Marshal(ids)
	return `SELECT value AS id FROM json_each(?)`, string(b)
}

// IDListSQL is idList for other packages: a subquery yielding column "id"
// from one parameter, and that parameter's value.
func (w *Walker) IDListSQL(ids []int) (string, any) { return w.idList(ids) }

func pgArray(ids []int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", id)
	}
	b.WriteByte('}')
	return b.String()
}

// ServicesOf returns the IDs of the services that have any of ciIDs as a
// member, in ID order.
func (w *Walker) ServicesOf(ctx context.Context, ciIDs []int) ([]int, error) {
	if len(ciIDs) == 0 {
		return nil, nil
	}
	sub, arg := w.idList(ciIDs)
	q := `SELECT DISTINCT service_id FROM service_members WHERE configuration_item_id IN (` + sub + `) ORDER BY service_id`
	rows, err := w.st.Reader().QueryContext(ctx, w.st.Rebind(q), arg)
	if err != nil {
		return nil, fmt.Errorf("finding services of reached CIs: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading service id: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
