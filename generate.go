// Package cairn holds the code generation entry point and the embedded demo
// estate. The binary is cmd/cairn.
package cairn

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod ./internal/codegen/gqlgen
