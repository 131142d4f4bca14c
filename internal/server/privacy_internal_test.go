package server

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/internal/auth"
)

// TestReadRulesRefuseAnOperationWithoutCaller: request contexts carry a
// principal (authenticate makes them); an operation without one would read
// as the process itself, so it is refused.
func TestReadRulesRefuseAnOperationWithoutCaller(t *testing.T) {
	r := &readRules{schema: &ast.Schema{Types: map[string]*ast.Definition{}}}
	oc := &graphql.OperationContext{Operation: &ast.OperationDefinition{}, Doc: &ast.QueryDocument{}}
	err := r.MutateOperationContext(context.Background(), oc)
	if err == nil || err.Extensions["code"] != "INTERNAL" {
		t.Fatalf("an operation without a caller: %v, want an INTERNAL refusal", err)
	}
	viewer := auth.WithPrincipal(context.Background(), auth.Principal{Name: "v", Role: auth.Viewer, Authenticated: true})
	if err := r.MutateOperationContext(viewer, oc); err != nil {
		t.Fatalf("a viewer's operation: %v", err)
	}
}
