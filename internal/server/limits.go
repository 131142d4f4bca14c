package server

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// MaxPageSize is the most rows one connection returns.
const MaxPageSize = 1000

// DefaultPageSize is used when a connection is asked for neither first nor last.
const DefaultPageSize = 100

// maxNesting is the deepest a query may nest (fields, fragment spreads and
// inline fragments each count a level).
const maxNesting = 50

// costCheckEvery is how many selections the cost check visits between two
// looks at the request's context.
const costCheckEvery = 256

// complexityLimit refuses operations whose cost exceeds limit. A field costs
// 1 plus its children, and the children of a paginated field count once per
// row asked for: first/last, or DefaultPageSize when neither is given. It
// also refuses page sizes above MaxPageSize or below zero, naming the field.
// The check prices each fragment once, stops as soon as the running total
// passes the limit, and gives up when the request's context ends.
type complexityLimit struct {
	limit int
	model *costModel
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = complexityLimit{}

func (complexityLimit) ExtensionName() string                   { return "CairnComplexityLimit" }
func (complexityLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (c complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost, _, err := operationCost(ctx, oc.Operation, oc.Variables, c.model.current(), c.limit)
	if err != nil {
		return err
	}
	if cost > c.limit {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation costs at least %d, above the limit of %d: ask for fewer rows (first/last) or fewer nested fields", cost, c.limit),
			Extensions: map[string]any{"code": string(apperr.BadUserInput), "cost": cost, "limit": c.limit},
		}
	}
	return nil
}

// operationCost prices op against limit. A cost at or below limit is exact;
// above it, the walk stopped early and the cost is a lower bound. visits
// counts the selections walked: each fragment's selections once for each
// scale of parents it is spread under (parentScale), however often it is
// spread.
func operationCost(ctx context.Context, op *ast.OperationDefinition, vars map[string]any, stats *costStats, limit int) (cost, visits int, err *gqlerror.Error) {
	defer func() {
		if v := recover(); v != nil {
			// ArgumentMap panics on a value it cannot read; validation should
			// have refused it first.
			cost, err = 0, &gqlerror.Error{Message: fmt.Sprintf("the query's arguments could not be read: %v", v), Extensions: map[string]any{"code": string(apperr.BadUserInput)}}
		}
	}()
	c := &coster{ctx: ctx, vars: vars, stats: stats, frags: map[fragmentKey]fragmentCost{}, pending: map[*ast.FragmentDefinition]bool{}}
	cost, _, err = c.selections(op.SelectionSet, 0, limit, level{parents: 1, distinct: true})
	return cost, c.visits, err
}

// coster walks one operation's selections.
type coster struct {
	ctx     context.Context
	vars    map[string]any
	stats   *costStats
	frags   map[fragmentKey]fragmentCost
	pending map[*ast.FragmentDefinition]bool
	visits  int
}

// level is what the cost check knows of the objects a selection set is
// asked of: how many there may be (the product of the rows of the fields
// above), and whether they are distinct rows (a root connection's page and
// what one-to-many edges lead to from it) or may repeat (the owner many
// CIs share, a service several CIs belong to).
type level struct {
	parents  int
	distinct bool
}

// fragmentKey names a fragment priced at a level: plain lists cost per
// distinct parent what the largest fan-outs of that many parents average
// (costStats.listRows), so a fragment's price depends on the scale of the
// level it is spread at, and on nothing else.
type fragmentKey struct {
	def      *ast.FragmentDefinition
	scale    int
	distinct bool
}

// fragmentCost is a fragment's priced selection set: its cost (exact), and
// height, how many levels it nests below its spread.
type fragmentCost struct{ cost, height int }

// selections prices set at nesting depth within budget, for parents
// objects of its type (the product of the rows of the fields above). It
// returns the cost (a lower bound once above budget, when the walk
// stopped) and the levels the set nests below depth.
func (c *coster) selections(set ast.SelectionSet, depth, budget int, at level) (total, height int, err *gqlerror.Error) {
	if depth > maxNesting {
		return 0, 0, nestingErr()
	}
	for _, sel := range set {
		if err := c.visit(); err != nil {
			return 0, 0, err
		}
		var cost, h int
		switch s := sel.(type) {
		case *ast.Field:
			cost, h, err = c.field(s, depth, budget-total, at)
		case *ast.FragmentSpread:
			cost, h, err = c.spread(s, depth, budget-total, at)
		case *ast.InlineFragment:
			cost, h, err = c.selections(s.SelectionSet, depth+1, budget-total, at)
			h++
		}
		if err != nil {
			return 0, 0, err
		}
		total = satAdd(total, cost)
		height = max(height, h)
		if total > budget {
			return total, height, nil
		}
	}
	return total, height, nil
}

// spread prices a fragment spread: the fragment's selections are walked the
// first time it is spread under a scale of parents, and remembered.
func (c *coster) spread(s *ast.FragmentSpread, depth, budget int, at level) (int, int, *gqlerror.Error) {
	def := s.Definition
	if def == nil {
		return 0, 0, nil
	}
	if c.pending[def] {
		return 0, 0, &gqlerror.Error{Message: fmt.Sprintf("fragment %s spreads itself", def.Name), Extensions: map[string]any{"code": string(apperr.BadUserInput)}}
	}
	scale := parentScale(at.parents)
	key := fragmentKey{def, scale, at.distinct}
	if f, ok := c.frags[key]; ok {
		if depth+1+f.height > maxNesting {
			return 0, 0, nestingErr()
		}
		return f.cost, f.height + 1, nil
	}
	c.pending[def] = true
	cost, h, err := c.selections(def.SelectionSet, depth+1, budget, level{parents: scaleParents(scale), distinct: at.distinct})
	delete(c.pending, def)
	if err != nil {
		return 0, 0, err
	}
	if cost <= budget {
		// Above the budget it is a lower bound, never reused: the walk stops.
		c.frags[key] = fragmentCost{cost: cost, height: h}
	}
	return cost, h + 1, nil
}

func (c *coster) visit() *gqlerror.Error {
	c.visits++
	if c.visits%costCheckEvery == 0 && c.ctx.Err() != nil {
		return &gqlerror.Error{
			Message:    "the request took too long while its cost was checked and was cancelled",
			Extensions: map[string]any{"code": string(apperr.Internal)},
		}
	}
	return nil
}

func nestingErr() *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf("query nests deeper than %d levels", maxNesting), Extensions: map[string]any{"code": string(apperr.BadUserInput)}}
}

// field prices f within budget: 1, plus the work its resolver does, plus
// its children times the rows it returns. A leaf field of an object costs
// 1; a root leaf field (whyNoMatch) may do work.
func (c *coster) field(f *ast.Field, depth, budget int, at level) (int, int, *gqlerror.Error) {
	if strings.HasPrefix(f.Name, "__") || (len(f.SelectionSet) == 0 && f.ObjectDefinition != nil && !isRoot(f.ObjectDefinition.Name)) {
		return 1, 0, nil
	}
	work, mult, distinct, err := c.rows(f, at)
	if err != nil {
		return 0, 0, err
	}
	own := satAdd(1, work)
	if len(f.SelectionSet) == 0 || own > budget {
		return own, 0, nil
	}
	children, h, err := c.selections(f.SelectionSet, depth+1, (budget-own)/mult, level{parents: satMul(at.parents, mult), distinct: distinct})
	if err != nil {
		return 0, 0, err
	}
	return satAdd(own, satMul(mult, children)), h + 1, nil
}

// rows is the work f's resolver does once per parent, how many times its
// children count (the rows asked for (first or last), the default page of
// a connection, 1 for a connection's edges, and otherwise what the cost
// model says: price), and whether its children are distinct rows.
func (c *coster) rows(f *ast.Field, at level) (work, mult int, distinct bool, err *gqlerror.Error) {
	if f.Definition == nil {
		return 0, 1, false, nil
	}
	var argMap map[string]any
	args := func() map[string]any {
		if argMap == nil {
			argMap = f.ArgumentMap(c.vars)
		}
		return argMap
	}
	paginated := false
	if f.Definition.Arguments.ForName("first") != nil || f.Definition.Arguments.ForName("last") != nil {
		for _, name := range []string{"first", "last"} {
			v, ok := args()[name]
			if !ok || v == nil {
				continue
			}
			n, ok := toInt(v)
			if !ok {
				continue
			}
			if n < 0 {
				return 0, 0, false, pageErr(f, name, fmt.Sprintf("%s must not be negative, got %d", name, n))
			}
			if n > MaxPageSize {
				return 0, 0, false, pageErr(f, name, fmt.Sprintf("%s may be at most %d, got %d: page through the rest with after/before", name, MaxPageSize, n))
			}
			if !paginated || n > mult {
				mult = n
			}
			paginated = true
		}
	}
	connection := strings.HasSuffix(f.Definition.Type.Name(), "Connection")
	switch {
	case paginated:
		work, _, _ = c.price(f, args, at)
		// A page of a connection asked once holds distinct rows.
		distinct = connection && at.parents == 1 && at.distinct
	case f.ObjectDefinition != nil && (f.Name == "edges" && strings.HasSuffix(f.ObjectDefinition.Name, "Connection") ||
		f.Name == "node" && strings.HasSuffix(f.ObjectDefinition.Name, "Edge")):
		mult, distinct = 1, at.distinct // the connection's first/last already counts its edges
	case connection:
		mult, distinct = DefaultPageSize, at.parents == 1 && at.distinct
	default:
		work, mult, distinct = c.price(f, args, at)
	}
	return work, max(mult, 1), distinct, nil
}

func isRoot(typ string) bool { return typ == "Query" || typ == "Mutation" || typ == "Subscription" }

// costCeiling keeps sums and products of costs from overflowing.
const costCeiling = math.MaxInt / 4

func satAdd(a, b int) int {
	if a >= costCeiling-b {
		return costCeiling
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > costCeiling/a {
		return costCeiling
	}
	return a * b
}

func pageErr(f *ast.Field, arg, msg string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%s.%s: %s", f.Alias, arg, msg),
		Locations:  []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}},
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "field": arg},
	}
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	case float64:
		return int(n), true
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// introspectionGate allows introspection to authenticated callers only.
type introspectionGate struct{}

func (introspectionGate) ExtensionName() string                   { return "CairnIntrospectionGate" }
func (introspectionGate) Validate(graphql.ExecutableSchema) error { return nil }
func (introspectionGate) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	p, ok := principal(ctx)
	oc.DisableIntrospection = !(ok && p.Authenticated)
	return nil
}
