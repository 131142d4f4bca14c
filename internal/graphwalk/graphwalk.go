// Package graphwalk answers blast-radius questions over the relationship
// graph in the database, with recursive CTEs that run on SQLite and
// PostgreSQL alike, never by loading the graph into memory.
//
// Every relationship reads "FROM depends on TO". The dependents of a CI
// (what breaks when it breaks) are reached by following relationships
// backwards, from their TO end to their FROM end; its dependencies (what it
// needs) forwards.
//
// A walk is two statements. The first is a recursive CTE that yields the
// reached CIs in breadth-first order: both engines evaluate a recursive
// UNION level by level (SQLite's queue is FIFO, PostgreSQL iterates a
// working table), so the rows come out in order of distance and reading
// stops at the cap; a hub with a million dependents costs what the cap
// allows. Without a depth bound the CTE carries only the CI ID and UNION
// drops every CI already reached, so cycles end and each CI is expanded
// once, exactly as the bare closure query. With a small depth bound it
// carries (id, depth) so that the bound can stop it. The second statement
// reads the relationships leaving the reached CIs (always by from_id, the
// side with few rows per CI); a breadth-first pass over those few rows in
// Go gives each CI its shortest depth and the relationship type and parent
// it was reached by.
package graphwalk

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

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

// boundedDepth is the largest MaxDepth walked with the depth-carrying
// CTE; deeper bounds use the closure CTE (which stops at the cap) and cut
// in Go. The depth-carrying CTE keeps a CI once per depth at which it is
// reached, so on a hub its rows grow with the bound: the dependents of a
// core switch to depth 8 read 90,000 rows (0.5 s) where the closure reads
// the cap's 10,000 (80 ms).
const boundedDepth = 3

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
	// via, when set, runs the walk statement instead of st's readers.
	via Querier
}

// Querier runs a read the way an ent driver does (dialect.Driver's Query,
// filling an *entsql.Rows); statements are in st.Rebind's form.
type Querier interface {
	Query(ctx context.Context, query string, args, v any) error
}

// New returns a Walker over st.
func New(st *store.DB) *Walker { return &Walker{st: st} }

// Via returns a Walker over the same database whose walk statement runs
// through q (an incident pipeline batching it with other reads); the other
// reads still go to st.
func (w *Walker) Via(q Querier) *Walker { return &Walker{st: w.st, via: q} }

// rowScanner is what reach reads of *sql.Rows and entsql.Rows alike.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// query runs a read through via, or st's readers.
func (w *Walker) query(ctx context.Context, q string, args []any) (rowScanner, error) {
	if w.via == nil {
		return w.st.Query(ctx, w.st.Rebind(q), args...)
	}
	var rows entsql.Rows
	if err := w.via.Query(ctx, w.st.Rebind(q), args, &rows); err != nil {
		return nil, err
	}
	return &rows, nil
}

// Walk returns every CI reachable from root in the given direction.
func (w *Walker) Walk(ctx context.Context, root int, o Options) (Result, error) {
	return w.WalkFrom(ctx, []int{root}, o)
}

// WalkFrom walks from several roots at once (depth 0); the roots are not
// part of the result.
func (w *Walker) WalkFrom(ctx context.Context, roots []int, o Options) (Result, error) {
	limit := limitOf(o)
	for _, t := range o.Types {
		if err := relationship.TypeValidator(t); err != nil {
			return Result{}, fmt.Errorf("relationship type %q: %w", t, err)
		}
	}
	isRoot := make(map[int]bool, len(roots))
	uniq := make([]int, 0, len(roots))
	for _, r := range roots {
		if !isRoot[r] {
			isRoot[r] = true
			uniq = append(uniq, r)
		}
	}
	roots = uniq
	if len(roots) == 0 {
		return Result{}, nil
	}
	// Read one CI more than the cap allows, to know whether it cut the
	// walk short.
	reached, edges, err := w.reach(ctx, roots, isRoot, limit+1, o)
	if err != nil {
		return Result{}, err
	}
	return result(roots, reached, edges, o), nil
}

// result is the walk's Result from the CIs it read (roots excluded, each
// once) and the relationships leaving roots and reached CIs.
func result(roots []int, reached []int, edges []edge, o Options) Result {
	limit := limitOf(o)
	in := make(map[int]bool, len(reached))
	for _, id := range reached {
		in[id] = true
	}
	next := make(map[int][]step, len(reached)+len(roots))
	for _, e := range edges {
		parent, child := e.to, e.from
		if o.Direction == Dependencies {
			parent, child = e.from, e.to
		}
		if in[child] {
			next[parent] = append(next[parent], step{to: child, via: e.via})
		}
	}
	nodes := annotate(roots, len(reached), next)
	if o.MaxDepth > 0 {
		// A breadth-first prefix that went past the bound holds every CI
		// within it.
		kept := nodes[:0]
		for _, n := range nodes {
			if n.Depth <= o.MaxDepth {
				kept = append(kept, n)
			}
		}
		nodes = kept
	}
	truncated := len(nodes) > limit
	if truncated {
		// The extra CI is of the deepest level read.
		nodes = nodes[:limit]
	}
	return Result{Nodes: nodes, Truncated: truncated}
}

// edge is a relationship read by a walk.
type edge struct {
	from, to int
	via      relationship.Type
}

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

// steps returns the columns a walk step joins on and reads: near is
// matched against the CI reached so far, far is the CI reached next.
func steps(d Direction) (near, far string) {
	if d == Dependencies {
		return "from_id", "to_id"
	}
	return "to_id", "from_id"
}

// step is a relationship seen from the walk: from the CI one level closer
// to the roots to the CI reached through it.
type step struct {
	to  int
	via relationship.Type
}

// walkSQL is the one statement of a walk. The recursive CTE "reached"
// yields the roots, then the CIs reached from them, level by level; "lim"
// keeps the first of them (distinct, roots included); the outer query
// returns, for each CI of lim, the relationships leaving it (a row with
// NULLs when there are none), read by from_id, the side with few rows per
// CI: a CI depends on a handful of things, while a switch or a storage
// array has thousands of dependents. A CI of lim is joined to the
// relationships through a nested loop (SQLite: lim is the left side of a
// LEFT JOIN; PostgreSQL: LATERAL), never by scanning the relationships
// table.
//
// Without a depth bound the CTE carries only the ID, so that UNION expands
// each CI once, as the bare closure query does. With one it carries (id,
// depth) so that the bound stops it; UNION then keeps a CI once per depth,
// so lim reads at most (bound+1) rows per distinct CI, and groups them to
// keep each CI's smallest depth, ordered by it, then by ID (a DISTINCT
// does not keep row order on PostgreSQL: a capped walk would keep
// arbitrary CIs; with the ID, the same CIs of the last level on every run).
func (w *Walker) walkSQL(nRoots int, o Options, want int) (string, []any) {
	q, args, lastLevel := w.cteSQL(nRoots, o, want)
	pg := w.st.Backend() == store.Postgres
	edgeCond, edgeArgs := typeFilter("r.type", o.Types)
	if lastLevel {
		edgeCond += ` AND lim.depth < ?`
		edgeArgs = append(edgeArgs, o.MaxDepth)
	}
	if pg {
		q += `
SELECT lim.id, r.to_id, r.type FROM lim
LEFT JOIN LATERAL (SELECT r.to_id, r.type FROM relationships r WHERE r.from_id = lim.id` + edgeCond + `) r ON true`
	} else {
		q += `
SELECT lim.id, r.to_id, r.type FROM lim LEFT JOIN relationships r ON r.from_id = lim.id` + edgeCond
	}
	return q, append(args, edgeArgs...)
}

// ReachedSQL is a statement yielding, in one column id, the CIs the walk
// from root with o reads (root included): a superset of the nodes of
// Walk(root, o), which cuts the deeper levels of a depth-bounded walk and
// the one CI read past the cap in Go. Its "?" placeholders are unbound
// (store.DB.Rebind) and its text does not depend on root. A caller loads
// the walk's CIs with it as a subquery in the same round trip as the walk.
func (w *Walker) ReachedSQL(root int, o Options) (string, []any) {
	q, args, _ := w.cteSQL(1, o, limitOf(o)+1)
	args[0] = w.rootsArg([]int{root})
	return q + `
SELECT id FROM lim`, args
}

// limitOf is the cap of a walk with o.
func limitOf(o Options) int {
	if o.Limit <= 0 {
		return DefaultLimit
	}
	return o.Limit
}

// rootsArg is the one parameter holding the roots of a walk.
func (w *Walker) rootsArg(roots []int) any {
	if w.st.Backend() == store.Postgres {
		return pgArray(roots)
	}
	b, _ := json.Marshal(roots)
	return string(b)
}

// cteSQL is the walk's WITH RECURSIVE clause, defining lim, with its
// arguments (the first, the roots, left nil), and whether the CIs of the
// last level need no relationships read.
func (w *Walker) cteSQL(nRoots int, o Options, want int) (string, []any, bool) {
	near, far := steps(o.Direction)
	pg := w.st.Backend() == store.Postgres
	// The roots come from one parameter (set by reach), so that the
	// statement text does not depend on how many there are.
	seed := func(cols string) string {
		if pg {
			return `SELECT CAST(s.id AS BIGINT)` + cols + ` FROM unnest(?::bigint[]) AS s(id)`
		}
		return `SELECT CAST(s.value AS BIGINT)` + cols + ` FROM json_each(?) s`
	}
	stepCond, stepArgs := typeFilter("r.type", o.Types)
	var q string
	args := []any{nil}
	lastLevel := false
	if o.MaxDepth > 0 && o.MaxDepth <= boundedDepth {
		q = `WITH RECURSIVE reached(id, depth) AS (
  ` + seed(", 0") + `
  UNION
  SELECT r.` + far + `, reached.depth + 1 FROM reached JOIN relationships r ON r.` + near + ` = reached.id
  WHERE reached.depth < ?` + stepCond + `
),
lim(id, depth) AS (SELECT id, MIN(depth) FROM (SELECT id, depth FROM reached LIMIT ?) b GROUP BY id ORDER BY 2, 1 LIMIT ?)`
		// Walking towards dependencies, the CIs of the last level need no
		// relationships: theirs lead past the bound.
		lastLevel = o.Direction == Dependencies
		args = append(args, o.MaxDepth)
		args = append(args, stepArgs...)
		args = append(args, (o.MaxDepth+1)*(want+nRoots), want+nRoots)
	} else {
		q = `WITH RECURSIVE reached(id) AS (
  ` + seed("") + `
  UNION
  SELECT r.` + far + ` FROM reached JOIN relationships r ON r.` + near + ` = reached.id` + stepCond + `
),
lim(id) AS (SELECT id FROM reached LIMIT ?)`
		args = append(args, stepArgs...)
		args = append(args, want+nRoots)
	}
	return q, args, lastLevel
}

// reach runs the walk's statement and returns the CIs reached (roots
// excluded), in the order the CTE produced them (at most want), and the
// relationships leaving roots and reached CIs.
func (w *Walker) reach(ctx context.Context, roots []int, isRoot map[int]bool, want int, o Options) ([]int, []edge, error) {
	q, args := w.walkSQL(len(roots), o, want)
	args[0] = w.rootsArg(roots)
	rows, err := w.query(ctx, q, args)
	if err != nil {
		return nil, nil, fmt.Errorf("walking relationships: %w", err)
	}
	defer rows.Close()
	var reached []int
	var edges []edge
	in := map[int]bool{}
	types := map[string]relationship.Type{}
	for rows.Next() {
		var id int
		var to sql.NullInt64
		var raw sql.RawBytes
		if err := rows.Scan(&id, &to, &raw); err != nil {
			return nil, nil, fmt.Errorf("reading walk row: %w", err)
		}
		if !isRoot[id] && !in[id] {
			in[id] = true
			reached = append(reached, id)
		}
		if !to.Valid {
			continue
		}
		typ, ok := types[string(raw)] // a map lookup by []byte does not allocate
		if !ok {
			typ = relationship.Type(raw)
			types[string(typ)] = typ
		}
		edges = append(edges, edge{from: id, to: int(to.Int64), via: typ})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("walking relationships: %w", err)
	}
	return reached, edges, nil
}

// EdgesColumn is an SQL expression, correlated to idColumn (the quoted id
// column of the CIs of the enclosing query), yielding the relationships a
// walk with o reads from that CI as text, "to_id:TYPE" pairs joined by
// commas (NULL when there are none), with its arguments ("?" placeholders,
// unbound). With ReachedSQL as the enclosing query's condition, one
// statement reads a walk's CIs with the relationships among them, which
// FromReached turns into the walk's Result: PostgreSQL then runs the
// recursive CTE once instead of once for the walk and once for the CIs.
func (w *Walker) EdgesColumn(idColumn string, o Options) (string, []any) {
	cond, args := typeFilter("r.type", o.Types)
	agg := `group_concat(r.to_id || ':' || r.type, ',')`
	if w.st.Backend() == store.Postgres {
		agg = `string_agg(r.to_id::text || ':' || r.type, ',')`
	}
	return `SELECT ` + agg + ` FROM relationships r WHERE r.from_id = ` + idColumn + cond, args
}

// ReachedCI is a CI of ReachedSQL's statement with its EdgesColumn.
type ReachedCI struct {
	ID    int
	Edges string
}

// FromReached is the Result of the walk from root with o, built from the
// CIs its ReachedSQL yields (root included, in any order), each with its
// EdgesColumn: the same Result as Walk's.
func FromReached(root int, o Options, cis []ReachedCI) (Result, error) {
	reached := make([]int, 0, len(cis))
	var edges []edge
	for _, c := range cis {
		if c.ID != root {
			reached = append(reached, c.ID)
		}
		for rest := c.Edges; rest != ""; {
			var pair string
			pair, rest, _ = strings.Cut(rest, ",")
			to, typ, ok := strings.Cut(pair, ":")
			n, err := strconv.Atoi(to)
			if !ok || err != nil || typ == "" {
				return Result{}, fmt.Errorf("walk of CI %d: relationship %q of CI %d is not to_id:TYPE", root, pair, c.ID)
			}
			edges = append(edges, edge{from: c.ID, to: n, via: relationship.Type(typ)})
		}
	}
	// The reached CIs in the walk's order are not needed: result sorts.
	return result([]int{root}, reached, edges, o), nil
}

// annotate walks the relationships among the reached CIs breadth-first
// from the roots and returns each CI at its shortest depth with the
// relationship type and parent by which it was reached on a shortest path
// (smallest type, then parent, when there are several), ordered by depth
// then ID. A CI that cannot be reached from the roots through the others
// (a relationship deleted while the statement ran) is dropped.
func annotate(roots []int, reached int, next map[int][]step) []Node {
	best := make(map[int]Node, reached)
	level := roots
	for d := 1; len(level) > 0; d++ {
		var found []int
		for _, p := range level {
			for _, s := range next[p] {
				cur, seen := best[s.to]
				if !seen {
					found = append(found, s.to)
				} else if cur.Depth < d || s.via > cur.Via || (s.via == cur.Via && p >= cur.Parent) {
					continue
				}
				best[s.to] = Node{ID: s.to, Depth: d, Via: s.via, Parent: p}
			}
		}
		level = found
	}
	nodes := make([]Node, 0, len(best))
	for _, n := range best {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].Depth != nodes[j].Depth {
			return nodes[i].Depth < nodes[j].Depth
		}
		return nodes[i].ID < nodes[j].ID
	})
	return nodes
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

// PGArray is the PostgreSQL array literal of ids, for "= ANY(?::bigint[])".
func PGArray(ids []int) string { return pgArray(ids) }

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
	rows, err := w.st.Query(ctx, w.st.Rebind(q), arg)
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
