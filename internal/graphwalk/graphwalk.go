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
// carries a depth bound and deduplicates (id, depth) rows with UNION. Both
// engines produce those rows level by level, so the first row of a CI holds
// its shortest depth, and reading stops as soon as the cap is reached: a
// hub with a million dependents costs what the cap allows, not the whole
// closure. To reach any depth without letting a cycle multiply rows, the
// walk runs in chunks of chunkDepth levels: CIs first reached at the last
// level of a chunk seed the next chunk, and CIs already reached are dropped
// in Go, so every CI appears once at its shortest depth. A second query
// finds, for the CIs returned, the relationship type and parent by which
// each was reached.
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
	depth := make(map[int]int, len(roots))
	for _, r := range roots {
		depth[r] = 0
	}
	var order []int // reached CIs in BFS order
	frontier := append([]int(nil), roots...)
	base := 0
	truncated := false
	for len(frontier) > 0 && !truncated {
		bound := chunkDepth
		if o.MaxDepth > 0 {
			if base >= o.MaxDepth {
				break
			}
			bound = min(bound, o.MaxDepth-base)
		}
		// Ask for one more CI than the cap still allows, to know whether
		// the cap cut the walk short.
		want := limit - len(order) + 1
		chunk, complete, err := w.chunk(ctx, frontier, bound, want, depth, o)
		if err != nil {
			return Result{}, err
		}
		frontier = frontier[:0]
		for _, n := range chunk {
			depth[n.id] = base + n.depth
			order = append(order, n.id)
			if n.depth == bound {
				frontier = append(frontier, n.id)
			}
		}
		if !complete || len(order) > limit {
			truncated = true
		}
		base += bound
	}
	if len(order) > limit {
		order = order[:limit]
	}
	nodes, err := w.annotate(ctx, order, depth, o)
	if err != nil {
		return Result{}, err
	}
	return Result{Nodes: nodes, Truncated: truncated}, nil
}

type reachedRow struct{ id, depth int }

// typeFilter is the SQL condition (with its arguments) keeping only
// relationships of the given types; empty when types is.
func typeFilter(column string, types []relationship.Type) (string, []any) {
	if len(types) == 0 {
		return "", nil
	}
	ph := make([]string, len(types))
	args := make([]any, len(types))
	for i, t := range types {
		ph[i], args[i] = "?", string(t)
	}
	return " AND " + column + " IN (" + strings.Join(ph, ", ") + ")", args
}

// chunk runs one bounded recursive query from seeds and returns up to want
// CIs not in seen, each at its smallest depth within the bound, in
// breadth-first order. The query yields (id, depth) rows level by level on
// both engines, so the first row of a CI carries its smallest depth and
// reading can stop as soon as want CIs are known. complete is false when it
// stopped early.
func (w *Walker) chunk(ctx context.Context, seeds []int, bound, want int, seen map[int]int, o Options) ([]reachedRow, bool, error) {
	near, far := "to_id", "from_id"
	if o.Direction == Dependencies {
		near, far = "from_id", "to_id"
	}
	seedSQL, seedArg := w.idList(seeds)
	typeCond, typeArgs := typeFilter("r.type", o.Types)
	args := append([]any{seedArg, bound}, typeArgs...)
	q := `WITH RECURSIVE reached(id, depth) AS (
  SELECT CAST(s.id AS BIGINT), 0 FROM (` + seedSQL + `) s
  UNION
  SELECT r.` + far + `, reached.depth + 1
  FROM reached JOIN relationships r ON r.` + near + ` = reached.id
  WHERE reached.depth < ?` + typeCond + `
)
SELECT id, depth FROM reached WHERE depth > 0 LIMIT ?`
	// A CI can come back at several depths; read in budgets that grow
	// until enough distinct CIs are known or the walk is exhausted.
	for budget := max(4*want, 1024); ; budget *= 4 {
		rows, err := w.st.Reader().QueryContext(ctx, w.st.Rebind(q), append(args, budget)...)
		if err != nil {
			return nil, false, fmt.Errorf("walking relationships: %w", err)
		}
		var out []reachedRow
		got := map[int]bool{}
		n := 0
		for rows.Next() {
			var r reachedRow
			if err := rows.Scan(&r.id, &r.depth); err != nil {
				rows.Close()
				return nil, false, fmt.Errorf("reading walk row: %w", err)
			}
			n++
			if _, old := seen[r.id]; old || got[r.id] {
				continue
			}
			got[r.id] = true
			out = append(out, r)
			if len(out) >= want {
				break
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, false, fmt.Errorf("walking relationships: %w", err)
		}
		if len(out) >= want {
			return out, false, nil
		}
		if n < budget {
			return out, true, nil
		}
	}
}

// annotate gives each reached CI the relationship type and the parent by
// which it was reached on a shortest path (smallest type, then parent, when
// there are several), in one query, and orders the nodes by depth then ID.
func (w *Walker) annotate(ctx context.Context, ids []int, depth map[int]int, o Options) ([]Node, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	self, other := "from_id", "to_id"
	if o.Direction == Dependencies {
		self, other = "to_id", "from_id"
	}
	sub, arg := w.idList(ids)
	typeCond, typeArgs := typeFilter("type", o.Types)
	args := append([]any{arg}, typeArgs...)
	q := `SELECT ` + self + `, ` + other + `, type FROM relationships WHERE ` + self + ` IN (` + sub + `)` + typeCond
	rows, err := w.st.Reader().QueryContext(ctx, w.st.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading reached relationships: %w", err)
	}
	defer rows.Close()
	best := make(map[int]Node, len(ids))
	for rows.Next() {
		var id, parent int
		var typ string
		if err := rows.Scan(&id, &parent, &typ); err != nil {
			return nil, fmt.Errorf("reading reached relationship: %w", err)
		}
		d, ok := depth[id]
		pd, pok := depth[parent]
		if !ok || !pok || pd != d-1 {
			continue
		}
		cand := Node{ID: id, Depth: d, Via: relationship.Type(typ), Parent: parent}
		if cur, ok := best[id]; !ok || cand.Via < cur.Via || (cand.Via == cur.Via && cand.Parent < cur.Parent) {
			best[id] = cand
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading reached relationships: %w", err)
	}
	nodes := make([]Node, 0, len(ids))
	for _, id := range ids {
		if n, ok := best[id]; ok {
			nodes = append(nodes, n)
		}
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].Depth != nodes[j].Depth {
			return nodes[i].Depth < nodes[j].Depth
		}
		return nodes[i].ID < nodes[j].ID
	})
	return nodes, nil
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
