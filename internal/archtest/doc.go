// Package archtest holds tests of the code's shape rather than its
// behaviour: imports_test.go checks, with `go list`, that each package
// imports only what its layer may (the GraphQL adapter in graph/ is mounted
// by internal/server alone; commands and domain services do not reach for
// it, nor for net/http or gqlgen). It has no code of its own.
package archtest
