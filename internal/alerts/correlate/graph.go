package correlate

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Edge is a relationship: From depends on To.
type Edge struct {
	From, To int
	Type     string
}

// Graph is what the engine reads of the dependency graph, in one call per
// batch of new alerts (never one walk per alert).
//
// DependencyEdges returns, for all the given CIs at once, every
// relationship leaving a CI that is one of them or is reachable from them
// by following dependencies in fewer than hops steps; each such CI's
// relationships come complete. On the database this is internal/graphwalk's
// WalkFrom(cis, Dependencies, MaxDepth hops-1) (one recursive CTE over all
// roots) followed by one read of the relationships by from_id, the two
// statements a walk already runs.
//
// DependentCounts returns, for each of the given CIs, how many other CIs
// depend on it at each distance 1..hops (element d-1 counts the CIs whose
// shortest dependency path to it has d steps: its dependents within H by
// level, the reverse of the reach), in one call for the whole batch; a CI
// nothing depends on may be left out. On the database it is one recursive
// query walking relationships from to_id to from_id for all the CIs at once.
type Graph interface {
	DependencyEdges(ctx context.Context, cis []int, hops int) ([]Edge, error)
	DependentCounts(ctx context.Context, cis []int, hops int) (map[int][]int, error)
}

// Finding is one piece of evidence on a CI.
type Finding struct {
	CI int
	// CIName names CI in reasons when the evidence knows it ("" falls
	// back to "CI <id>").
	CIName string `json:",omitempty"`
	// Kind is the evidence's kind: FindingChange, FindingDrift or FindingAudit.
	Kind string
	// Ref names the evidence (a change record's number, a drift item, an audit event ID).
	Ref     string
	At      time.Time
	Summary string
}

// Kinds of evidence and how much each raises a candidate (half as much
// when the finding is on one of the candidate's direct dependencies).
const (
	FindingChange = "CHANGE"
	FindingDrift  = "DRIFT"
	FindingAudit  = "AUDIT"
)

var findingWeight = map[string]float64{FindingChange: 0.3, FindingDrift: 0.2, FindingAudit: 0.1}

// maxEvidenceBoost caps what evidence adds to a score.
const maxEvidenceBoost = 0.5

// Evidence finds what happened on CIs between since and until: change
// records, unauthorised drift, audit changes. One call per incident ranking.
type Evidence interface {
	Findings(ctx context.Context, cis []int, since, until time.Time) ([]Finding, error)
}

// MemGraph is an in-memory Graph (tests, replays over a snapshot).
type MemGraph struct {
	out map[int][]Edge
	// in (the reverse index) and counts (memoised dependents' counts by
	// hops, then CI) are built on the first DependentCounts.
	mu     sync.Mutex
	in     map[int][]int
	counts map[int]map[int][]int
}

// NewMemGraph indexes edges by their From end.
func NewMemGraph(edges []Edge) *MemGraph {
	g := &MemGraph{out: make(map[int][]Edge)}
	for _, e := range edges {
		g.out[e.From] = append(g.out[e.From], e)
	}
	for _, es := range g.out {
		sort.Slice(es, func(i, j int) bool { return es[i].To < es[j].To })
	}
	return g
}

// DependencyEdges implements Graph.
func (g *MemGraph) DependencyEdges(ctx context.Context, cis []int, hops int) ([]Edge, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dist := make(map[int]int, len(cis))
	queue := make([]int, 0, len(cis))
	for _, c := range cis {
		if _, ok := dist[c]; !ok {
			dist[c] = 0
			queue = append(queue, c)
		}
	}
	var out []Edge
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if dist[n] >= hops {
			continue
		}
		for _, e := range g.out[n] {
			out = append(out, e)
			if _, ok := dist[e.To]; !ok {
				dist[e.To] = dist[n] + 1
				queue = append(queue, e.To)
			}
		}
	}
	return out, nil
}

// DependentCounts implements Graph.
func (g *MemGraph) DependentCounts(ctx context.Context, cis []int, hops int) (map[int][]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.in == nil {
		g.in, g.counts = map[int][]int{}, map[int]map[int][]int{}
		for _, es := range g.out {
			for _, e := range es {
				g.in[e.To] = append(g.in[e.To], e.From)
			}
		}
	}
	memo := g.counts[hops]
	if memo == nil {
		memo = map[int][]int{}
		g.counts[hops] = memo
	}
	out := make(map[int][]int, len(cis))
	for _, c := range cis {
		if n, ok := memo[c]; ok {
			out[c] = n
			continue
		}
		seen := map[int]bool{c: true}
		frontier := []int{c}
		levels := make([]int, hops)
		for d := 0; d < hops && len(frontier) > 0; d++ {
			var next []int
			for _, n := range frontier {
				for _, m := range g.in[n] {
					if !seen[m] {
						seen[m] = true
						next = append(next, m)
					}
				}
			}
			frontier = next
			levels[d] = len(next)
		}
		out[c] = levels
		memo[c] = levels
	}
	return out, nil
}

// reached is one CI in a reach: its distance and the CI one step closer
// to the root on a shortest path.
type reached struct {
	dist, parent int
}

// reachOf walks adj from root up to hops steps, breadth first, neighbours
// in CI order, so parents are deterministic.
func reachOf(adj map[int][]Edge, root, hops int) map[int]reached {
	r := map[int]reached{root: {0, 0}}
	frontier := []int{root}
	for d := 1; d <= hops && len(frontier) > 0; d++ {
		var next []int
		for _, n := range frontier {
			for _, e := range adj[n] {
				if _, ok := r[e.To]; !ok {
					r[e.To] = reached{d, n}
					next = append(next, e.To)
				}
			}
		}
		frontier = next
	}
	return r
}

// pathTo is the path from root down to x through r's parents.
func pathTo(r map[int]reached, root, x int) Path {
	var rev []int
	for n := x; ; n = r[n].parent {
		rev = append(rev, n)
		if n == root {
			break
		}
	}
	p := make(Path, len(rev))
	for i, n := range rev {
		p[len(rev)-1-i] = n
	}
	return p
}
