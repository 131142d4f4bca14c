package graphwalk

import (
	"context"
	"fmt"
	"sort"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/service"
)

// How a service walk reached a service.
const (
	// ViaService: by a service-to-service link.
	ViaService = "SERVICE"
	// ViaCI: through the relationships of the member CIs of a service one
	// step closer to the root.
	ViaCI = "CI"
)

// DefaultServiceDepth is how many service-level steps a service walk takes
// unless told otherwise.
const DefaultServiceDepth = 50

// ServiceOptions shape a service-level walk.
type ServiceOptions struct {
	Direction Direction
	// MaxDepth bounds the service-level steps; 0 means DefaultServiceDepth.
	MaxDepth int
	// CILimit caps each CI walk from a step's member CIs (DefaultLimit
	// when 0).
	CILimit int
}

// ServiceHop is a service reached by a service walk.
type ServiceHop struct {
	ID int
	// Depth is the shortest number of service-level steps from the root.
	Depth int
	// Via is ViaService or ViaCI; a service-to-service link wins when both
	// reach the service at the same depth.
	Via string
}

// ServiceWalk walks at service level from the service root: each step
// follows the service-to-service links of the services reached so far and,
// through their member CIs, a CI walk in the same direction to the services
// of the CIs it reaches. The root is not part of the result, which is in
// order of depth, then ID.
func (w *Walker) ServiceWalk(ctx context.Context, c *ent.Client, root int, o ServiceOptions) ([]ServiceHop, error) {
	limit := o.MaxDepth
	if limit <= 0 {
		limit = DefaultServiceDepth
	}
	depth := map[int]int{root: 0}
	via := map[int]string{}
	frontier := []int{root}
	for d := 1; d <= limit && len(frontier) > 0; d++ {
		next := map[int]string{}
		q := c.Service.Query()
		if o.Direction == Dependents {
			q = q.Where(service.HasDependsOnWith(service.IDIn(frontier...)))
		} else {
			q = q.Where(service.HasDependentsWith(service.IDIn(frontier...)))
		}
		linked, err := q.IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("following service links: %w", err)
		}
		for _, s := range linked {
			next[s] = ViaService
		}
		members, err := c.ConfigurationItem.Query().
			Where(configurationitem.HasServicesWith(service.IDIn(frontier...))).IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading members: %w", err)
		}
		if len(members) > 0 {
			res, err := w.WalkFrom(ctx, members, Options{Direction: o.Direction, Limit: o.CILimit})
			if err != nil {
				return nil, err
			}
			reached := make([]int, len(res.Nodes))
			for i, n := range res.Nodes {
				reached[i] = n.ID
			}
			sids, err := w.ServicesOf(ctx, reached)
			if err != nil {
				return nil, err
			}
			for _, s := range sids {
				if _, ok := next[s]; !ok {
					next[s] = ViaCI
				}
			}
		}
		frontier = frontier[:0]
		for s, v := range next {
			if _, seen := depth[s]; seen {
				continue
			}
			depth[s], via[s] = d, v
			frontier = append(frontier, s)
		}
		sort.Ints(frontier)
	}
	delete(depth, root)
	out := make([]ServiceHop, 0, len(depth))
	for s, d := range depth {
		out = append(out, ServiceHop{ID: s, Depth: d, Via: via[s]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Depth != out[j].Depth {
			return out[i].Depth < out[j].Depth
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Chain returns the nodes of res on the way from the walk's root to the CI
// to, root excluded and to last, following each node's parent; false when
// the walk did not reach to.
func Chain(res Result, to int) ([]Node, bool) {
	byID := make(map[int]Node, len(res.Nodes))
	for _, n := range res.Nodes {
		byID[n.ID] = n
	}
	n, ok := byID[to]
	if !ok {
		return nil, false
	}
	var rev []Node
	for {
		rev = append(rev, n)
		p, ok := byID[n.Parent]
		if !ok { // the parent is the root
			break
		}
		n = p
	}
	chain := make([]Node, len(rev))
	for i, n := range rev {
		chain[len(rev)-1-i] = n
	}
	return chain, true
}
