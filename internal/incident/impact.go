package incident

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
)

// ImpactOptions shape an impact walk; nil MaxDepth or Limit mean any depth
// and graphwalk.DefaultLimit.
type ImpactOptions struct {
	Direction graphwalk.Direction
	MaxDepth  *int
	// Types keeps only relationships of these types; empty means all.
	Types []relationship.Type
	// Limit caps the CIs reached, from 1 to MaxImpactLimit.
	Limit *int
}

// ImpactParts says which parts of an Impact to load and how to shape them;
// a nil Select leaves the part out.
type ImpactParts struct {
	// Root shapes the root CI. Without it the root is loaded only to tell
	// a missing CI from an isolated one.
	Root Select[*ent.ConfigurationItemQuery]
	// Nodes shapes the reached CIs.
	Nodes Select[*ent.ConfigurationItemQuery]
	// Services shapes the services of the root and the reached CIs.
	Services Select[*ent.ServiceQuery]
}

// Impact is a blast radius.
type Impact struct {
	// Root is the root CI when ImpactParts.Root asks for it, else nil.
	Root      *ent.ConfigurationItem
	Direction graphwalk.Direction
	// Nodes in walk order (depth, then ID), without CIs deleted meanwhile.
	Nodes []ImpactNode
	// Services of the root and the reached CIs, by name.
	Services  []*ent.Service
	Count     int
	Truncated bool
}

// ImpactNode is a CI reached by an impact walk.
type ImpactNode struct {
	CI *ent.ConfigurationItem
	graphwalk.Node
}

// nonNegative refuses a negative maxDepth.
func nonNegative(maxDepth *int) (int, error) {
	if maxDepth == nil {
		return 0, nil
	}
	if *maxDepth < 0 {
		return 0, apperr.Invalid("maxDepth", "maxDepth must not be negative, got %d", *maxDepth)
	}
	return *maxDepth, nil
}

// Impact walks from the CI root.
func (e *Engine) Impact(ctx context.Context, rootID int, o ImpactOptions, parts ImpactParts) (*Impact, error) {
	opts, err := walkOptions(o)
	if err != nil {
		return nil, err
	}
	if e.pipelines(ctx) {
		var out *Impact
		p := newPipeline(e.db.Reader())
		loads, finish, err := e.impactLoads(ctx, e.on(p), rootID, o, parts, false, &out)
		if err != nil {
			return nil, err
		}
		if err := errors.Join(p.run(ctx, loads...)...); err != nil {
			return nil, err
		}
		if err := finish(); err != nil {
			return nil, err
		}
		return out, nil
	}
	res, err := e.walker.Walk(ctx, rootID, opts)
	if err != nil {
		return nil, err
	}
	ids := nodeIDs(res)
	var cis map[int]*ent.ConfigurationItem
	if parts.Nodes != nil {
		if cis, err = e.LoadCIs(ctx, ids, parts.Nodes); err != nil {
			return nil, err
		}
	}
	return e.impactOf(ctx, rootID, o, parts, res, ids, cis, nil, false)
}

// walkOptions are the walk's options of o, refused when out of bounds.
func walkOptions(o ImpactOptions) (graphwalk.Options, error) {
	opts := graphwalk.Options{Direction: o.Direction, Types: o.Types}
	var err error
	if opts.MaxDepth, err = nonNegative(o.MaxDepth); err != nil {
		return opts, err
	}
	if o.Limit != nil {
		if *o.Limit < 1 || *o.Limit > MaxImpactLimit {
			return opts, apperr.Invalid("limit", "limit must be between 1 and %d, got %d", MaxImpactLimit, *o.Limit)
		}
		opts.Limit = *o.Limit
	}
	return opts, nil
}

// nodeIDs are the IDs of res's nodes, in order.
func nodeIDs(res graphwalk.Result) []int {
	ids := make([]int, len(res.Nodes))
	for i, n := range res.Nodes {
		ids[i] = n.ID
	}
	return ids
}

// impactLoads are Impact as independent loads through le (an Engine on a
// pipeline) and what combines them into *out: the walk, the CIs it reads
// (loaded with the walk's statement as a subquery, so in the same round
// trip) and the root when parts ask for it. rootExists says the caller
// knows the root exists (a context's CI), so an empty walk needs no look.
func (e *Engine) impactLoads(ctx context.Context, le *Engine, rootID int, o ImpactOptions, parts ImpactParts, rootExists bool, out **Impact) (loads []func() error, finish func() error, err error) {
	opts, err := walkOptions(o)
	if err != nil {
		return nil, nil, err
	}
	var res graphwalk.Result
	var cis, roots map[int]*ent.ConfigurationItem
	if parts.Nodes != nil {
		// The walk's CIs with the relationships among them, in one
		// statement: the recursive CTE runs once.
		loads = append(loads, func() (err error) {
			res, cis, err = le.walkCIs(ctx, rootID, opts, parts.Nodes)
			return err
		})
	} else {
		loads = append(loads, func() (err error) {
			res, err = le.walker.Walk(ctx, rootID, opts)
			return err
		})
	}
	if parts.Root != nil {
		loads = append(loads, func() (err error) {
			roots, err = le.LoadCIs(ctx, []int{rootID}, parts.Root)
			return err
		})
	}
	finish = func() (err error) {
		*out, err = e.impactOf(ctx, rootID, o, parts, res, nodeIDs(res), cis, roots, rootExists)
		return err
	}
	return loads, finish, nil
}

// impactOf builds the Impact of the walk res from root: cis are the CIs
// loaded for its nodes (nil when parts leave them out), roots the root's
// row when already loaded.
func (e *Engine) impactOf(ctx context.Context, rootID int, o ImpactOptions, parts ImpactParts, res graphwalk.Result, ids []int, cis, roots map[int]*ent.ConfigurationItem, rootExists bool) (*Impact, error) {
	// A CI with dependents or dependencies exists; load it only when asked
	// for or to tell a missing CI from an isolated one.
	var root *ent.ConfigurationItem
	if cis[rootID] != nil {
		// The pipelined walk loads the root with its CIs (walkCIs).
		rootExists = true
	}
	if roots == nil && (parts.Root != nil || (len(res.Nodes) == 0 && !rootExists)) {
		var err error
		if roots, err = e.LoadCIs(ctx, []int{rootID}, parts.Root); err != nil {
			return nil, err
		}
	}
	if roots != nil {
		if root = roots[rootID]; root == nil {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: "ci", Msg: fmt.Sprintf("configuration item %d does not exist", rootID)}
		}
	}
	if parts.Root == nil {
		root = nil // loaded only to tell a missing CI from an isolated one
	}
	out := &Impact{Root: root, Direction: o.Direction, Count: len(res.Nodes), Truncated: res.Truncated}
	if parts.Nodes != nil {
		out.Nodes = make([]ImpactNode, 0, len(res.Nodes))
		for _, n := range res.Nodes {
			if c := cis[n.ID]; c != nil { // deleted while walking: skip
				out.Nodes = append(out.Nodes, ImpactNode{CI: c, Node: n})
			}
		}
	}
	if parts.Services != nil {
		sids, err := e.walker.ServicesOf(ctx, append(ids, rootID))
		if err != nil {
			return nil, err
		}
		out.Services = []*ent.Service{}
		if len(sids) > 0 {
			if out.Services, err = all(ctx, e.client.Service.Query().Where(service.IDIn(sids...)).Order(service.ByName()), parts.Services); err != nil {
				return nil, fmt.Errorf("loading services: %w", err)
			}
		}
	}
	return out, nil
}

// ServiceImpact is a blast radius at service level.
type ServiceImpact struct {
	Root      *ent.Service
	Direction graphwalk.Direction
	// Services by depth, then name.
	Services []ServiceImpactNode
}

// ServiceImpactNode is a service reached at service level.
type ServiceImpactNode struct {
	Service *ent.Service
	Depth   int
	// Via is graphwalk.ViaService or graphwalk.ViaCI.
	Via string
}

// ServiceImpact walks at service level (graphwalk.ServiceWalk) from the
// service id; maxDepth 0 or nil means graphwalk.DefaultServiceDepth steps.
// sel shapes the reached services.
func (e *Engine) ServiceImpact(ctx context.Context, id int, dir graphwalk.Direction, maxDepth *int, sel Select[*ent.ServiceQuery]) (*ServiceImpact, error) {
	root, err := e.client.Service.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	depth, err := nonNegative(maxDepth)
	if err != nil {
		return nil, err
	}
	hops, err := e.walker.ServiceWalk(ctx, e.client, id, graphwalk.ServiceOptions{Direction: dir, MaxDepth: depth, CILimit: MaxImpactLimit})
	if err != nil {
		return nil, err
	}
	out := &ServiceImpact{Root: root, Direction: dir, Services: []ServiceImpactNode{}}
	if len(hops) == 0 {
		return out, nil
	}
	ids := make([]int, len(hops))
	byID := make(map[int]graphwalk.ServiceHop, len(hops))
	for i, h := range hops {
		ids[i], byID[h.ID] = h.ID, h
	}
	svcs, err := all(ctx, e.client.Service.Query().Where(service.IDIn(ids...)), sel)
	if err != nil {
		return nil, fmt.Errorf("loading services: %w", err)
	}
	for _, s := range svcs {
		out.Services = append(out.Services, ServiceImpactNode{Service: s, Depth: byID[s.ID].Depth, Via: byID[s.ID].Via})
	}
	sort.Slice(out.Services, func(i, j int) bool {
		a, b := out.Services[i], out.Services[j]
		if a.Depth != b.Depth {
			return a.Depth < b.Depth
		}
		return a.Service.Name < b.Service.Name
	})
	return out, nil
}
