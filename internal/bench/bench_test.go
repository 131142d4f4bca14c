package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/loadgen"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// estateSize is the synthetic estate's CI count (CAIRN_BENCH_N, default 100,000).
func estateSize() int {
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_N")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// loadDuration is how long each load phase runs (CAIRN_BENCH_DURATION, default 10s).
func loadDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("CAIRN_BENCH_DURATION")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

type env struct {
	db    *app.DB
	url   string
	token string
	h     http.Handler
	n     int
}

// setup opens (seeding once and caching in the temp dir) the synthetic
// estate and serves it on a real loopback listener.
func setup(b *testing.B) *env {
	b.Helper()
	// CAIRN_BENCH_POSTGRES_DSN runs the benchmarks on PostgreSQL: an empty
	// database is seeded once, one holding the estate is reused.
	path := os.Getenv("CAIRN_BENCH_POSTGRES_DSN")
	if path == "" {
		path = sqliteBenchPath()
	}
	return setupAt(b, path)
}

// sqliteBenchPath is where the SQLite estate is cached.
func sqliteBenchPath() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("cairn-bench-%d.db", estateSize()))
}

// setupAt is setup on the given database: a PostgreSQL DSN or a SQLite
// file path.
func setupAt(b *testing.B, path string) *env {
	b.Helper()
	// The same GC target as `cairn serve` (its --gc-percent default).
	old := debug.SetGCPercent(400)
	b.Cleanup(func() { debug.SetGCPercent(old) })
	ctx := context.Background()
	n := estateSize()
	fresh := false
	if lower := strings.ToLower(path); !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		if _, err := os.Stat(path); err != nil {
			fresh = true
		}
	}
	db, err := app.Open(ctx, path, app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if db.Store.Backend() == store.Postgres {
		have, err := db.Client.ConfigurationItem.Query().Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if have != 0 && have != n {
			b.Fatalf("the PostgreSQL database holds %d CIs, not the %d-CI estate: use an empty one", have, n)
		}
		fresh = have == 0
	}
	if fresh {
		start := time.Now()
		if _, err := estate.SeedSynthetic(ctx, db, n); err != nil {
			if db.Store.Backend() == store.SQLite {
				_ = os.Remove(path)
			}
			b.Fatal(err)
		}
		b.Logf("seeded %d CIs in %s", n, time.Since(start))
		if err := store.Optimize(ctx, db.Store); err != nil {
			b.Fatal(err)
		}
	}
	secret, _, err := auth.CreateToken(audit.WithActor(ctx, "bench"), db.Client,
		fmt.Sprintf("bench-%d", time.Now().UnixNano()), apitoken.RoleEditor, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(db, server.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	return &env{db: db, url: ts.URL + "/graphql", token: secret, h: srv, n: n}
}

const lookupQuery = `query($h: String!) {
  configurationItems(where: {hostname: $h}, first: 1) {
    edges { node { id name kind hostname
      owner { name email oncallContact }
      vendor { name }
      services { name tier }
      identifiers { kind value } } }
  }
}`

const vmsQuery = `{
  configurationItems(first: 100, where: {kind: VM}, orderBy: [{field: NAME}]) {
    edges { node { id name hostname owner { name } vendor { name } } }
  }
}`

func (e *env) run(b *testing.B, clients int, body loadgen.Request) loadgen.Result {
	b.Helper()
	return e.runPaced(b, clients, 0, body)
}

// runPaced is run with each client sending at most one request per
// interval (0: back to back).
func (e *env) runPaced(b *testing.B, clients int, interval time.Duration, body loadgen.Request) loadgen.Result {
	b.Helper()
	res, err := loadgen.Run(context.Background(), loadgen.Options{
		URL: e.url, Token: e.token, Clients: clients,
		Duration: loadDuration(), Warmup: time.Second, Body: body, Interval: interval,
	})
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors > 0 {
		b.Fatalf("%d errors, first: %s", res.Errors, res.FirstErr)
	}
	// CPU per request (server and load generator share this process) is
	// steadier than req/s on a machine whose speed varies.
	cpuPerReq := res.CPUPerRequest()
	b.ReportMetric(res.PerSecond, "req/s")
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpuPerReq.Microseconds()), "cpu-µs/req")
	if interval > 0 {
		b.Logf("%d clients, each paced to one request per %s: %s", clients, interval, res)
	} else {
		b.Logf("%d clients: %s", clients, res)
	}
	return res
}

func (e *env) lookupBody(c, i int) []byte {
	k := (c*7919 + i*104729) % e.n
	return loadgen.Body(lookupQuery, map[string]any{"h": estate.SyntheticHostname(k)})
}

// BenchmarkLookupByHostnameHTTP: one CI by hostname with owner, vendor,
// services and identifiers, hostnames varying per request.
func BenchmarkLookupByHostnameHTTP(b *testing.B) {
	e := setup(b)
	for _, clients := range []int{2, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			for b.Loop() {
				e.run(b, clients, e.lookupBody)
			}
		})
	}
}

// BenchmarkFirst100VMsHTTP: the first 100 VMs ordered by name with owner
// and vendor.
func BenchmarkFirst100VMsHTTP(b *testing.B) {
	e := setup(b)
	body := loadgen.Body(vmsQuery, nil)
	for b.Loop() {
		e.run(b, 2, func(int, int) []byte { return body })
	}
}

// BenchmarkLookupGraphQLvsSQL runs the lookup in process (the handler,
// without the network) and as raw SQL doing the same work, and reports both
// and their ratio.
func BenchmarkLookupGraphQLvsSQL(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	const rounds = 5000
	for b.Loop() {
		start := time.Now()
		for i := 0; i < rounds; i++ {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(e.lookupBody(0, i))))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.token)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
				b.Fatalf("lookup failed: %d %s", rec.Code, rec.Body.String())
			}
		}
		gql := time.Since(start) / rounds
		start = time.Now()
		for i := 0; i < rounds; i++ {
			k := (i * 104729) % e.n
			if err := rawLookup(ctx, e.db.Store, estate.SyntheticHostname(k)); err != nil {
				b.Fatal(err)
			}
		}
		raw := time.Since(start) / rounds
		b.ReportMetric(float64(gql.Microseconds()), "graphql-us")
		b.ReportMetric(float64(raw.Microseconds()), "sql-us")
		b.ReportMetric(float64(gql)/float64(raw), "ratio")
		b.Logf("in-process GraphQL %s, raw SQL %s, ratio %.2f", gql, raw, float64(gql)/float64(raw))
	}
}

// rawLookup is the SQL the lookup needs, written by hand: the CI by
// hostname, then its owner, vendor, services and identifiers.
func rawLookup(ctx context.Context, st *store.DB, hostname string) error {
	db := st.Reader()
	var (
		id                int
		name, kind        string
		ownerID, vendorID sql.NullInt64
	)
	if err := db.QueryRowContext(ctx, st.Rebind(`SELECT id, name, kind, owner_id, vendor_id FROM configuration_items WHERE hostname = ? LIMIT 1`), hostname).
		Scan(&id, &name, &kind, &ownerID, &vendorID); err != nil {
		return fmt.Errorf("ci %q: %w", hostname, err)
	}
	var s1, s2, s3 sql.NullString
	if ownerID.Valid {
		if err := db.QueryRowContext(ctx, st.Rebind(`SELECT name, email, oncall_contact FROM owners WHERE id = ?`), ownerID.Int64).Scan(&s1, &s2, &s3); err != nil {
			return fmt.Errorf("owner: %w", err)
		}
	}
	if vendorID.Valid {
		if err := db.QueryRowContext(ctx, st.Rebind(`SELECT name FROM vendors WHERE id = ?`), vendorID.Int64).Scan(&s1); err != nil {
			return fmt.Errorf("vendor: %w", err)
		}
	}
	for _, q := range []string{
		`SELECT s.name, s.tier FROM services s JOIN service_members m ON m.service_id = s.id WHERE m.configuration_item_id = ?`,
		`SELECT kind, value FROM identifiers WHERE configuration_item_id = ?`,
	} {
		rows, err := db.QueryContext(ctx, st.Rebind(q), id)
		if err != nil {
			return fmt.Errorf("lookup: %w", err)
		}
		for rows.Next() {
			var a, b any
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkUpdateCIHTTP: an update of one CI with its audit event, one
// client, over HTTP.
func BenchmarkUpdateCIHTTP(b *testing.B) {
	e := setup(b)
	ids := sampleIDs(b, e, 1000)
	const q = `mutation($id: ID!, $d: String!) { updateConfigurationItem(id: $id, input: {description: $d}) { id } }`
	for b.Loop() {
		e.run(b, 1, func(c, i int) []byte {
			return loadgen.Body(q, map[string]any{"id": ids[i%len(ids)], "d": fmt.Sprintf("bench update %d", i)})
		})
	}
}

// BenchmarkMixed8Clients: 8 clients for 30 s, 4 of 5 requests reads and 1 a
// write; afterwards every client's last write must be in the database.
func BenchmarkMixed8Clients(b *testing.B) {
	e := setup(b)
	ids := sampleIDs(b, e, 8)
	const q = `mutation($id: ID!, $d: String!) { updateConfigurationItem(id: $id, input: {description: $d}) { id } }`
	for b.Loop() {
		last := make([]int, 8)
		res, err := loadgen.Run(context.Background(), loadgen.Options{
			URL: e.url, Token: e.token, Clients: 8, Duration: 3 * loadDuration(),
			Body: func(c, i int) []byte {
				if i%5 == 4 {
					last[c] = i
					return loadgen.Body(q, map[string]any{"id": ids[c], "d": fmt.Sprintf("client %d write %d", c, i)})
				}
				return e.lookupBody(c, i)
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		if res.Errors > 0 {
			b.Fatalf("%d errors, first: %s", res.Errors, res.FirstErr)
		}
		for c, id := range ids {
			ci, err := e.db.Client.ConfigurationItem.Get(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			if ci.Description == nil {
				b.Fatalf("client %d: CI %d has no description: writes lost", c, id)
			}
			var wrote int
			if _, err := fmt.Sscanf(*ci.Description, "client %d write %d", new(int), &wrote); err != nil || wrote < last[c]-5 {
				b.Fatalf("client %d: CI %d holds %q, last write was %d: a write was lost", c, id, *ci.Description, last[c])
			}
		}
		b.ReportMetric(res.PerSecond, "req/s")
		b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
		b.Logf("8 clients mixed: %s", res)
	}
}

func sampleIDs(b *testing.B, e *env, n int) []int {
	b.Helper()
	ids, err := e.db.Client.ConfigurationItem.Query().Limit(n).IDs(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if len(ids) < n {
		b.Fatalf("estate has %d CIs, want at least %d", len(ids), n)
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}

const impactQuery = `query($id: ID!) {
  impact(ci: $id) { count truncated nodes { depth via ci { id name kind } } }
}`

const incidentQuery = `query($h: String!) {
  incidentContext(identifier: $h) {
    matchedBy ci { name kind hostname }
    owner { name oncallContact escalation } services { name tier sloTarget runbookURL }
    dependents { count truncated nodes { depth ci { name } } }
    dependencies { count nodes { depth ci { name } } }
    vendor { name supportPhone } supportContracts { number slaResponseMinutes }
    warranty { active daysLeft } openDrifts { kind } recentChanges { action at }
  }
}`

// hostSample returns n synthetic hostnames spread over the estate: hosts
// (the "random host": physical servers and VMs, whose dependents
// number about 35 on average) or, with anyKind, CIs of every kind (network
// devices and storage arrays among them, whose dependents number
// thousands).
func hostSample(e *env, n int, anyKind bool) []string {
	var out []string
	for i := 0; len(out) < n && i < 50*n; i++ {
		k := (i * 104729) % e.n
		if kind := estate.SyntheticKind(k); anyKind || kind == "SERVER" || kind == "VM" {
			out = append(out, estate.SyntheticHostname(k))
		}
	}
	return out
}

// hostIDs maps hostnames to CI IDs for impact requests.
func hostIDs(b *testing.B, e *env, names []string) []int {
	b.Helper()
	ids := make([]int, 0, len(names))
	for _, h := range names {
		id, err := e.db.Client.ConfigurationItem.Query().Where(configurationitem.Hostname(h)).OnlyID(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// BenchmarkImpactDependentsHTTP: a random host's dependents, 2 clients;
// and, for comparison, a random CI's of any kind.
func BenchmarkImpactDependentsHTTP(b *testing.B) {
	e := setup(b)
	for _, anyKind := range []bool{false, true} {
		name := "hosts"
		if anyKind {
			name = "any-kind"
		}
		b.Run(name, func(b *testing.B) {
			ids := hostIDs(b, e, hostSample(e, 2000, anyKind))
			// The shape of the sample: how many dependents its CIs have.
			w := graphwalk.New(e.db.Store)
			total, most, capped := 0, 0, 0
			for _, id := range ids {
				res, err := w.Walk(context.Background(), id, graphwalk.Options{})
				if err != nil {
					b.Fatal(err)
				}
				total += len(res.Nodes)
				most = max(most, len(res.Nodes))
				if res.Truncated {
					capped++
				}
			}
			b.Logf("%s: %d CIs, dependents mean %.1f, max %d, %d capped at %d",
				name, len(ids), float64(total)/float64(len(ids)), most, capped, graphwalk.DefaultLimit)
			b.ReportMetric(float64(total)/float64(len(ids)), "mean-dependents")
			for b.Loop() {
				e.run(b, 2, func(c, i int) []byte {
					return loadgen.Body(impactQuery, map[string]any{"id": ids[(c*7919+i)%len(ids)]})
				})
			}
		})
	}
}

// BenchmarkIncidentContextHTTP: incidentContext for a random host, 2 and 8 clients.
func BenchmarkIncidentContextHTTP(b *testing.B) {
	e := setup(b)
	hosts := hostSample(e, 2000, false)
	body := func(c, i int) []byte {
		return loadgen.Body(incidentQuery, map[string]any{"h": hosts[(c*7919+i)%len(hosts)]})
	}
	for _, clients := range []int{2, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			for b.Loop() {
				e.run(b, clients, body)
			}
		})
	}
	// Closed-loop clients saturate the two cores, so their latency is
	// clients / throughput; latency at a load the server sustains is what
	// an engineer opening the page sees: 8 clients, each sending one
	// request every 10 ms (800 requests/s in all).
	b.Run("clients=8-paced-800rps", func(b *testing.B) {
		for b.Loop() {
			e.runPaced(b, 8, 10*time.Millisecond, body)
		}
	})
}

// BenchmarkCoreSwitchDependents: the dependents of the first core switch
// (capped at the default 10,000) through the walker and as a whole GraphQL
// request over HTTP, against the bare recursive CTE reading the same number
// of rows, interleaved in the same run; medians of 15 rounds.
func BenchmarkCoreSwitchDependents(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	core := -1
	for i, nd := 0, 0; i < e.n; i++ {
		if estate.SyntheticKind(i) == "NETWORK_DEVICE" {
			if nd%50 == 0 {
				core = i
				break
			}
			nd++
		}
	}
	id, err := e.db.Client.ConfigurationItem.Query().Where(configurationitem.Hostname(estate.SyntheticHostname(core))).OnlyID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	w := graphwalk.New(e.db.Store)
	body := loadgen.Body(impactQuery, map[string]any{"id": id})
	client := &http.Client{}
	median := func(d []time.Duration) time.Duration {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	for b.Loop() {
		var walks, bares, requests []time.Duration
		var res graphwalk.Result
		n := 0
		for round := 0; round < 15; round++ {
			start := time.Now()
			res, err = w.Walk(ctx, id, graphwalk.Options{})
			if err != nil {
				b.Fatal(err)
			}
			walks = append(walks, time.Since(start))

			start = time.Now()
			rows, err := e.db.Store.Reader().QueryContext(ctx, e.db.Store.Rebind(`WITH RECURSIVE reached(id) AS (
  SELECT CAST(? AS BIGINT) UNION SELECT r.from_id FROM reached JOIN relationships r ON r.to_id = reached.id
) SELECT id FROM reached LIMIT ?`), id, len(res.Nodes)+1)
			if err != nil {
				b.Fatal(err)
			}
			n = 0
			for rows.Next() {
				n++
			}
			rows.Close()
			bares = append(bares, time.Since(start))

			start = time.Now()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, strings.NewReader(string(body)))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(out), `"count":10000`) {
				b.Fatalf("core switch request: %v, status %d, %.200s", err, resp.StatusCode, out)
			}
			requests = append(requests, time.Since(start))
		}
		walk, bare, request := median(walks), median(bares), median(requests)
		b.ReportMetric(float64(walk.Microseconds())/1000, "walk-ms")
		b.ReportMetric(float64(request.Microseconds())/1000, "http-ms")
		b.ReportMetric(float64(bare.Microseconds())/1000, "bare-cte-ms")
		b.ReportMetric(float64(len(res.Nodes)), "cis")
		b.Logf("core switch %s: %d dependents (truncated %v): walk %s, GraphQL over HTTP %s; bare CTE for %d rows %s; walk %.2fx, request %.2fx the bare CTE (medians of 15)",
			estate.SyntheticHostname(core), len(res.Nodes), res.Truncated, walk, request, n, bare,
			float64(walk)/float64(bare), float64(request)/float64(bare))
	}
}

// BenchmarkWalk: the walker alone (no HTTP, no GraphQL) over the hosts
// sample, as incidentContext and impact use it: ns/op is one walk.
func BenchmarkWalk(b *testing.B) {
	e := setup(b)
	ids := hostIDs(b, e, hostSample(e, 500, false))
	w := graphwalk.New(e.db.Store)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		opt  graphwalk.Options
	}{
		{"dependents", graphwalk.Options{}},
		{"dependents-depth3", graphwalk.Options{MaxDepth: 3}},
		{"dependencies-depth3", graphwalk.Options{Direction: graphwalk.Dependencies, MaxDepth: 3}},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := w.Walk(ctx, ids[i%len(ids)], c.opt); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
