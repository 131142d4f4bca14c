package generated

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInline marshals the elements of a list one after another on
// the calling goroutine, with the same field context and panic recovery per
// element as gqlgen's graphql.MarshalSliceConcurrently, which it replaces in
// generated.go (internal/codegen/gqlgen, run by `go generate ./...` and
// `make generate`, rewrites the calls after gqlgen runs; gqlgen has no
// setting for it).
//
// Why: gqlgen starts a goroutine per list element. Cairn's list resolvers
// eager-load what the elements need (entgql CollectFields, one statement
// per edge), so an element never waits on I/O, and the goroutines only cost:
// creation, scheduling and, above all, stack growth through gqlgen's deep
// generic calls. A random host's 21 dependents spent a fifth of the
// request's CPU there; a core switch's 10,000, tens of milliseconds.
// Fields that do resolve per element still work, one after another.
func marshalSliceInline(ctx context.Context, length int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// newDeferredGroup is graphql.NewDeferredGroup without the path, which
// gqlgen's template computes for every object it marshals (walking the
// field contexts up to the root and allocating the path) though only a
// group holding deferred fields uses it: 7% of the CPU of a page of 100
// CIs. withDeferredPath sets it where such a group is processed.
// internal/codegen/gqlgen rewrites generated.go's calls.
func newDeferredGroup(ctx context.Context) graphql.DeferredGroup {
	return graphql.DeferredGroup{
		FieldSet: graphql.NewFieldSet(nil),
		Defers:   make(map[string]*graphql.FieldSetView),
		Context:  ctx,
	}
}

// withDeferredPath completes a group from newDeferredGroup.
func withDeferredPath(ctx context.Context, g graphql.DeferredGroup) graphql.DeferredGroup {
	g.Path = graphql.GetPath(ctx)
	return g
}
