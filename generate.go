// Package cairn holds the code generation entry point and the embedded demo
// estate. The binary is cmd/cairn.
package cairn

// ent first, then gqlgen (it reads ent's schema/ent.graphql), then genqlient
// (the typed client of internal/client, checked against the fresh schema).
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod ./internal/codegen/gqlgen
//go:generate go run -mod=mod github.com/Khan/genqlient ./internal/client/genqlient.yaml
