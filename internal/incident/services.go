package incident

import (
	"context"
	"fmt"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
)

// Node and edge types of a service map.
const (
	NodeService = "SERVICE"
	NodeCI      = "CI"
	// EdgeMember links a service to a member CI.
	EdgeMember = "MEMBER"
	// EdgeServiceDependsOn links a service to a service it depends on.
	// Other edges carry the relationship type.
	EdgeServiceDependsOn = "SERVICE_DEPENDS_ON"
)

// ServiceMap is a service drawn as a graph.
type ServiceMap struct {
	Nodes []MapNode
	Edges []MapEdge
}

// MapNode is a service or a CI of a service map.
type MapNode struct {
	ID int
	// Type is NodeService or NodeCI.
	Type  string
	Label string
	// Tier is set on service nodes, CIKind on CI nodes.
	Tier   *int
	CIKind *configurationitem.Kind
	// InService is true for the service itself and its members.
	InService bool
}

// MapEdge links two nodes of a service map.
type MapEdge struct {
	From, To int
	Type     string
}

// ServiceMap draws a service: itself, its members, the members' direct
// dependencies, the services it depends on and those that depend on it.
// Nodes come in that order; edges: memberships, service links, then the
// members' relationships by ID.
func (e *Engine) ServiceMap(ctx context.Context, id int) (*ServiceMap, error) {
	svc, err := e.client.Service.Query().Where(service.ID(id)).
		WithMembers().WithDependsOn().WithDependents().Only(ctx)
	if err != nil {
		return nil, err
	}
	m := &ServiceMap{Nodes: []MapNode{}, Edges: []MapEdge{}}
	seen := map[int]bool{}
	addSvc := func(s *ent.Service, in bool) {
		if seen[s.ID] {
			return
		}
		seen[s.ID] = true
		tier := s.Tier
		m.Nodes = append(m.Nodes, MapNode{ID: s.ID, Type: NodeService, Label: s.Name, Tier: &tier, InService: in})
	}
	addCI := func(c *ent.ConfigurationItem, in bool) {
		if seen[c.ID] {
			return
		}
		seen[c.ID] = true
		kind := c.Kind
		m.Nodes = append(m.Nodes, MapNode{ID: c.ID, Type: NodeCI, Label: c.Name, CIKind: &kind, InService: in})
	}
	addSvc(svc, true)
	memberIDs := make([]int, 0, len(svc.Edges.Members))
	for _, c := range svc.Edges.Members {
		addCI(c, true)
		memberIDs = append(memberIDs, c.ID)
		m.Edges = append(m.Edges, MapEdge{From: svc.ID, To: c.ID, Type: EdgeMember})
	}
	for _, d := range svc.Edges.DependsOn {
		addSvc(d, false)
		m.Edges = append(m.Edges, MapEdge{From: svc.ID, To: d.ID, Type: EdgeServiceDependsOn})
	}
	for _, d := range svc.Edges.Dependents {
		addSvc(d, false)
		m.Edges = append(m.Edges, MapEdge{From: d.ID, To: svc.ID, Type: EdgeServiceDependsOn})
	}
	if len(memberIDs) > 0 {
		rels, err := e.client.Relationship.Query().Where(relationship.FromIDIn(memberIDs...)).
			WithTo().Order(relationship.ByID()).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading member relationships: %w", err)
		}
		for _, rel := range rels {
			if rel.Edges.To != nil {
				addCI(rel.Edges.To, false)
			}
			m.Edges = append(m.Edges, MapEdge{From: rel.FromID, To: rel.ToID, Type: string(rel.Type)})
		}
	}
	return m, nil
}

// Path is a dependency chain: CIs[0] is the start, the last CI the end, and
// Relationships[i] links CIs[i] to CIs[i+1].
type Path struct {
	Length        int
	CIs           []*ent.ConfigurationItem
	Relationships []*ent.Relationship
}

// DependencyPath is the shortest chain by which the CI from depends
// (transitively) on the CI to, nil when it does not; maxDepth nil or 0
// means any length. sel shapes the CIs of the chain.
func (e *Engine) DependencyPath(ctx context.Context, from, to int, maxDepth *int, sel Select[*ent.ConfigurationItemQuery]) (*Path, error) {
	opts := graphwalk.Options{Direction: graphwalk.Dependencies, Limit: MaxImpactLimit}
	var err error
	if opts.MaxDepth, err = nonNegative(maxDepth); err != nil {
		return nil, err
	}
	cis, err := e.LoadCIs(ctx, []int{from, to}, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		id    int
		field string
	}{{from, "from"}, {to, "to"}} {
		if cis[p.id] == nil {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: p.field, Msg: fmt.Sprintf("configuration item %d does not exist", p.id)}
		}
	}
	if from == to {
		return &Path{Length: 0, CIs: []*ent.ConfigurationItem{cis[from]}, Relationships: []*ent.Relationship{}}, nil
	}
	res, err := e.walker.Walk(ctx, from, opts)
	if err != nil {
		return nil, err
	}
	chain, ok := graphwalk.Chain(res, to)
	if !ok {
		return nil, nil
	}
	ids := []int{from}
	for _, n := range chain {
		ids = append(ids, n.ID)
	}
	loaded, err := e.LoadCIs(ctx, ids, sel)
	if err != nil {
		return nil, err
	}
	out := &Path{Length: len(chain)}
	for i, id := range ids {
		out.CIs = append(out.CIs, loaded[id])
		if i == 0 {
			continue
		}
		rel, err := e.client.Relationship.Query().Where(
			relationship.FromID(ids[i-1]), relationship.ToID(id), relationship.TypeEQ(chain[i-1].Via),
		).First(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading relationship %d → %d: %w", ids[i-1], id, err)
		}
		out.Relationships = append(out.Relationships, rel)
	}
	return out, nil
}
