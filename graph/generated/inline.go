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
