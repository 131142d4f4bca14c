package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// Limits of the fuzzed server: small, so that a mutated query reaches them.
const (
	fuzzTimeout       = 3 * time.Second
	fuzzResponseBytes = 1 << 20
)

// panicCounter is a slog handler that counts the resolver panics the
// server logs (gqlgen recovers them into errors).
type panicCounter struct {
	n    *atomic.Int64
	last *atomic.Value
}

func (panicCounter) Enabled(context.Context, slog.Level) bool { return true }
func (p panicCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "graphql resolver panicked" {
		p.n.Add(1)
		var b strings.Builder
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		p.last.Store(b.String())
	}
	return nil
}
func (p panicCounter) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p panicCounter) WithGroup(string) slog.Handler      { return p }

// fuzzSeeds are the corpus: the README's GraphQL examples, the console's
// queries, and the tests' queries, the attacks among them.
func fuzzSeeds(t testing.TB) []string {
	seeds := []string{
		`{ viewer { name role authenticated } }`,
		nestedCIQuery,
		`{ configurationItems(first: 3, where: {kind: SERVER}) { totalCount edges { cursor node { id name hostname identifiers { kind value } services { name } } } pageInfo { hasNextPage endCursor } } }`,
		`{ incidentContext(identifier: "web-01") { matchedBy ci { name } owner { name } services { name } dependents { count nodes { depth ci { name } } } dependencies { count } supportContracts { number } warranty { active daysLeft } openDrifts { kind } recentChanges { action at } } }`,
		`{ lookup(query: "db", first: 5) { type matchedBy matchedValue score ci { name } service { name } } }`,
		`{ whyNoMatch(identifier: "10.9.9.9") }`,
		`query($id: ID!) { impact(ci: $id, maxDepth: 2) { count truncated nodes { depth via ci { name } } services { name } } }`,
		`{ costRollup(groupBy: VENDOR) { key group currency assetCount purchaseCost { amount currency } bookValue { amount } totalCostOfOwnership { amount } } }`,
		`{ expiringContracts(withinDays: 365) { number endDate daysToEnd vendor { name } coveredCis { name } } }`,
		`{ assets(first: 2) { edges { node { bookValue { amount } depreciationSchedule(period: YEAR) { periodStart depreciation { amount } } } } } }`,
		`{ services(first: 5) { edges { node { name tier members { name } dependsOn { name } dependents { name } } } } }`,
		`{ vendors(first:100){ edges { node { configurationItems { services { members { name } } } } } } }`,
		`{ ...F0 } fragment F0 on Query { ...F1 ...F1 } fragment F1 on Query { ...F2 ...F2 } fragment F2 on Query { viewer { name } }`,
		`{ a: configurationItems(first: 1) { totalCount } b: configurationItems(first: 2) { totalCount } }`,
		`{ configurationItems(first: 1) { totalCount } configurationItems(first: 2) { totalCount } }`,
		`{ __typename __typename __typename }`,
		`query Named($n: Int = 5) { owners(first: $n) { edges { node { name members { name } services { name } } } } }`,
		`{ node(id: "1") { id ... on ConfigurationItem { name } } nodes(ids: ["1", "2"]) { id } }`,
		`mutation { createOwner(input: {name: "x", kind: TEAM}) { id } }`,
		`{ configurationItems(first: 1001) { totalCount } }`,
		`{ auditEvents(first: 5) { edges { node { actor action entityType requestID changes { field before after } } } } }`,
		`{ serviceMap(service: "1") { nodes { id } edges { from to } } }`,
		`{ dependencyPath(from: "1", to: "2", maxDepth: 4) { length cis { name } } }`,
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllSubmatch(readme, -1) {
		seeds = append(seeds, string(m[1]))
		for _, line := range strings.Split(string(m[1]), "\n") {
			if strings.HasPrefix(line, "{") || strings.HasPrefix(line, "mutation {") {
				seeds = append(seeds, line)
			}
		}
	}
	queries, _ := filepath.Glob(filepath.Join("..", "console", "src", "queries", "*.graphql"))
	for _, q := range queries {
		b, err := os.ReadFile(q)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	return seeds
}

// FuzzGraphQLHandler drives the real handler over the demo estate (SQLite)
// with mutated queries and variables, anonymously as `make run` serves: no
// resolver panics, every request answered within the request timeout (and
// a margin for a loaded machine), no response body above the response
// limit, no 500.
// fuzzAllocBytes bounds what one fuzzed request may allocate.
const fuzzAllocBytes = 256 << 20

func FuzzGraphQLHandler(f *testing.F) {
	panics, last := &atomic.Int64{}, &atomic.Value{}
	env := servertest.Start(f, storetest.DSN(f, store.SQLite), servertest.Options{Config: server.Config{
		AllowAnonymousRead: true,
		RequestTimeout:     fuzzTimeout,
		MaxResponseBytes:   fuzzResponseBytes,
		Logger:             slog.New(panicCounter{n: panics, last: last}),
	}})
	if _, err := estate.SeedDemo(audit.WithActor(context.Background(), estate.DemoActor), env.DB.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
		f.Fatal(err)
	}
	if err := env.Server.MeasureEstate(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds(f) {
		f.Add(s, `{"id": "17179869185", "n": 3}`)
	}
	f.Fuzz(func(t *testing.T, query, vars string) {
		req := map[string]any{"query": query}
		var v map[string]any
		if json.Unmarshal([]byte(vars), &v) == nil {
			req["variables"] = v
		}
		body, err := json.Marshal(req)
		if err != nil {
			return // not representable as JSON text (invalid UTF-8 is replaced, so rare)
		}
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		before := panics.Load()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		env.Server.ServeHTTP(w, r)
		runtime.ReadMemStats(&m1)
		// Memory bounded: what one request allocates (garbage included),
		// whatever it asks for.
		if a := m1.TotalAlloc - m0.TotalAlloc; a > fuzzAllocBytes {
			t.Errorf("one request allocated %d MiB, above %d MiB: %.300q", a>>20, fuzzAllocBytes>>20, query)
		}
		if d := time.Since(start); d > fuzzTimeout+5*time.Second {
			t.Errorf("answered in %s, past the %s request timeout: %.300q", d, fuzzTimeout, query)
		}
		if panics.Load() != before {
			t.Errorf("a resolver panicked (%v): %.300q", last.Load(), query)
		}
		if n := w.Body.Len(); n > fuzzResponseBytes {
			t.Errorf("a response of %d bytes, above the %d limit: %.300q", n, fuzzResponseBytes, query)
		}
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Errorf("HTTP %d: %.300s for %.300q", w.Code, w.Body.String(), query)
		}
	})
}
