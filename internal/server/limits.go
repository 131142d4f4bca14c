package server

import (
	"context"
	"fmt"
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

// listEstimate is the assumed length of a plain list field (an edge without
// pagination) when costing a query.
const listEstimate = 10

// complexityLimit refuses operations whose cost exceeds limit. A field costs
// 1 plus its children, and the children of a paginated field count once per
// row asked for: first/last, or DefaultPageSize when neither is given. It
// also refuses page sizes above MaxPageSize or below zero, naming the field.
type complexityLimit struct{ limit int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = complexityLimit{}

func (complexityLimit) ExtensionName() string                   { return "CairnComplexityLimit" }
func (complexityLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (c complexityLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost, err := selectionCost(oc.Operation.SelectionSet, oc.Variables, 0)
	if err != nil {
		return err
	}
	if cost > c.limit {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation costs %d, above the limit of %d: ask for fewer rows (first/last) or fewer nested fields", cost, c.limit),
			Extensions: map[string]any{"code": string(apperr.BadUserInput), "cost": cost, "limit": c.limit},
		}
	}
	return nil
}

func selectionCost(set ast.SelectionSet, vars map[string]any, depth int) (int, *gqlerror.Error) {
	if depth > 50 {
		return 0, &gqlerror.Error{Message: "query nests deeper than 50 levels", Extensions: map[string]any{"code": string(apperr.BadUserInput)}}
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			c, err := fieldCost(s, vars, depth)
			if err != nil {
				return 0, err
			}
			total += c
		case *ast.FragmentSpread:
			if s.Definition != nil {
				c, err := selectionCost(s.Definition.SelectionSet, vars, depth+1)
				if err != nil {
					return 0, err
				}
				total += c
			}
		case *ast.InlineFragment:
			c, err := selectionCost(s.SelectionSet, vars, depth+1)
			if err != nil {
				return 0, err
			}
			total += c
		}
		if total > 1<<40 {
			return total, nil
		}
	}
	return total, nil
}

func fieldCost(f *ast.Field, vars map[string]any, depth int) (int, *gqlerror.Error) {
	if strings.HasPrefix(f.Name, "__") {
		return 1, nil
	}
	children, err := selectionCost(f.SelectionSet, vars, depth+1)
	if err != nil {
		return 0, err
	}
	if len(f.SelectionSet) == 0 {
		return 1, nil
	}
	mult := 1
	paginated := false
	if f.Definition != nil {
		args := f.ArgumentMap(vars)
		for _, name := range []string{"first", "last"} {
			v, ok := args[name]
			if !ok || v == nil {
				continue
			}
			n, ok := toInt(v)
			if !ok {
				continue
			}
			if n < 0 {
				return 0, pageErr(f, name, fmt.Sprintf("%s must not be negative, got %d", name, n))
			}
			if n > MaxPageSize {
				return 0, pageErr(f, name, fmt.Sprintf("%s may be at most %d, got %d: page through the rest with after/before", name, MaxPageSize, n))
			}
			paginated = true
			if n > mult || mult == 1 {
				mult = n
			}
		}
		if !paginated {
			switch {
			case f.Name == "edges" && f.ObjectDefinition != nil && strings.HasSuffix(f.ObjectDefinition.Name, "Connection"):
				mult = 1 // the connection's first/last already counts its edges
			case strings.HasSuffix(f.Definition.Type.Name(), "Connection"):
				mult = DefaultPageSize
			case f.Definition.Type.Elem != nil:
				mult = listEstimate
			}
		}
	}
	if mult == 0 {
		mult = 1
	}
	return 1 + mult*children, nil
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
