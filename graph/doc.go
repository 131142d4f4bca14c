// Package graph is Cairn's GraphQL adapter: the gqlgen resolvers of the
// schema in schema/*.graphql, and nothing that decides.
//
// A resolver here may
//   - check the shape of its GraphQL input (a field given together with its
//     "clear" twin, say) and turn graph/model inputs into domain inputs;
//   - apply field selection: the generated CollectFields (entgql) on the
//     queries it runs, and the subField helpers that hand it to the domain
//     packages as incident.Select callbacks, so that a list loads in a
//     constant number of statements whatever its length;
//   - call one domain package and convert its answer to graph/model types.
//
// Every rule lives in a domain package (ARCHITECTURE.md, "Where a rule
// lives"): identifier matching and the incident context in internal/incident,
// walks in internal/graphwalk, jobs in internal/discoveryjobs, report
// schedules in internal/reportschedules, write validation and audit in
// internal/hooks (every write path goes through them, so a mutation here is
// validated exactly like an import or a discovery run), money and
// depreciation in internal/money, internal/finance and internal/costs.
// Mutations write through the transaction entgql.Transactioner opened
// (Resolver.tx), so one mutation is one transaction.
//
// Only internal/server (and its test helpers) import this package; the
// import rules are a test in internal/archtest.
package graph
