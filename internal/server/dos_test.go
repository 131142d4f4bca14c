package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// anonymousEnv is a server with anonymous read on, as `make run` serves.
func anonymousEnv(t *testing.T, cfg server.Config) *servertest.Env {
	t.Helper()
	cfg.AllowAnonymousRead = true
	return servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{Config: cfg})
}

// timed sends query anonymously and fails when the answer took longer than
// limit (generous: the machine is shared) or its body is larger than
// maxBody bytes.
func timed(t *testing.T, env *servertest.Env, query string, limit time.Duration, maxBody int) servertest.Response {
	t.Helper()
	start := time.Now()
	r := env.Do(t, "", query, nil)
	if d := time.Since(start); d > limit {
		t.Errorf("%d-byte query answered in %s, want under %s", len(query), d, limit)
	}
	if len(r.Body) > maxBody {
		t.Errorf("answer of %d bytes, want at most %d: %.300s", len(r.Body), maxBody, r.Body)
	}
	return r
}

// TestValidationCost: documents whose validation time grows with the square
// of their fields are refused before gqlparser validates them (14,000
// copies of one field ran 32 s; 1,000 differently-argued aliases ran 23 s
// and answered 117 MB of errors), and no response lists more than 20
// errors.
func TestValidationCost(t *testing.T) {
	env := anonymousEnv(t, server.Config{})
	t.Run("14,000 copies of one field", func(t *testing.T) {
		r := timed(t, env, "{"+strings.Repeat(" __typename", 14_000)+" }", 2*time.Second, 2048)
		e := wantErr(t, r, "BAD_USER_INPUT", "", "the query selects more than 500 fields and fragments: ask for fewer fields, or split it into several requests")
		if e.Extensions["limit"] != float64(500) {
			t.Errorf("extensions %v, want limit 500", e.Extensions)
		}
	})
	t.Run("1,000 differently-argued aliases", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 1000 {
			fmt.Fprintf(&q, " c%d: configurationItems(first: %d) { totalCount }", i, i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "the query uses more than 200 aliases")
	})
	t.Run("one field name with different arguments", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 1000 {
			fmt.Fprintf(&q, " configurationItems(first: %d) { totalCount }", i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "the query selects more than 500 fields")
	})
	t.Run("1,000 fragments that only spread another", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 1000 {
			fmt.Fprintf(&q, " ...F%d", i)
		}
		q.WriteString(" }")
		for i := range 1000 {
			fmt.Fprintf(&q, " fragment F%d on Query { ...Z }", i)
		}
		q.WriteString(" fragment Z on Query { __typename }")
		r := timed(t, env, q.String(), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "the query selects more than 500 fields and fragments")
	})
	t.Run("many conflicts under the field limit", func(t *testing.T) {
		// 100 fields of one response name with different arguments: 4,950
		// conflicting pairs; the answer lists 20 and says there are more.
		var q strings.Builder
		q.WriteString("{")
		for i := range 100 {
			fmt.Fprintf(&q, " configurationItems(first: %d) { totalCount }", i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 16<<10)
		if len(r.Errors) != 21 {
			t.Fatalf("%d errors, want 20 and a last one saying there are more: %.500s", len(r.Errors), r.Body)
		}
		if e := r.Errors[0]; e.Code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(e.Message, "configurationItems") {
			t.Errorf("first error %+v, want the field conflict", e)
		}
		if last := r.Errors[20]; last.Code() != "GRAPHQL_VALIDATION_FAILED" || last.Message != "more errors were found and are not shown: a response lists at most 20" {
			t.Errorf("last error %+v", last)
		}
	})
	t.Run("unknown fields", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 300 {
			fmt.Fprintf(&q, " nope%d", i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 16<<10)
		if len(r.Errors) != 21 || !strings.Contains(r.Errors[0].Message, `Cannot query field "nope0"`) {
			t.Errorf("%d errors, want 20 and a note: %.500s", len(r.Errors), r.Body)
		}
	})
	t.Run("error messages are clipped", func(t *testing.T) {
		name := "x" + strings.Repeat("y", 5000)
		r := timed(t, env, "{ "+name+" }", 2*time.Second, 4096)
		if len(r.Errors) != 1 || len(r.Errors[0].Message) > 1100 || !strings.HasSuffix(r.Errors[0].Message, "…") {
			t.Errorf("want one clipped message, got %.300s", r.Body)
		}
	})
	t.Run("limits are settable and a cached document passes again", func(t *testing.T) {
		small := anonymousEnv(t, server.Config{MaxSelections: 4, MaxAliases: 1})
		small.Do(t, "", `{ a: viewer { name } viewer { role } }`, nil).OK(t)
		small.Do(t, "", `{ a: viewer { name } viewer { role } }`, nil).OK(t)
		wantErr(t, small.Do(t, "", `{ viewer { name role authenticated } a: viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 4 fields and fragments")
		wantErr(t, small.Do(t, "", `{ a: viewer { name } b: viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 1 aliases")
		// Fields in fragments count once each, where they are written, and
		// so do spreads and inline fragments.
		wantErr(t, small.Do(t, "", `{ ...V } fragment V on Query { viewer { name role } x: viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 4 fields and fragments")
		wantErr(t, small.Do(t, "", `{ ...V ...V ...V ... on Query { ...V } } fragment V on Query { viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 4 fields and fragments")
	})
}

// values counts the fields a JSON answer holds, at every depth: what the
// cost counts (a field costs 1, its children once per row).
func values(t *testing.T, raw []byte) int {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var count func(any) int
	count = func(v any) int {
		n := 0
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				n += 1 + count(e)
			}
		case []any:
			for _, e := range x {
				n += count(e)
			}
		}
		return n
	}
	return count(v)
}

// measured re-measures env's estate for the cost model after seeding.
func measured(t *testing.T, env *servertest.Env) {
	t.Helper()
	if err := env.Server.MeasureEstate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// unlimited serves env's database with no cost or size limits, to see
// what a query really returns.
func unlimited(t *testing.T, env *servertest.Env) *servertest.Env {
	t.Helper()
	srv, err := server.New(env.DB, server.Config{AllowAnonymousRead: true, ComplexityLimit: 1 << 60, MaxResponseBytes: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &servertest.Env{DB: env.DB, Server: srv, HTTP: ts}
}

// TestCostModelBoundsRealWork: plain list edges are priced from the
// database's real fan-out, so a query's price is at least the values it
// returns (the issue's vendors query was priced 111,301 whatever the
// lists held and returned 300,000 objects); expensive resolvers carry
// their own work (150 costRollup aliases were priced ~1,650 and ran
// 5.4 s).
func TestCostModelBoundsRealWork(t *testing.T) {
	t.Run("plain lists by real fan-out", func(t *testing.T) {
		env := anonymousEnv(t, server.Config{})
		// One vendor with 200 CIs; 5 services with all of them as members.
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			v, err := tx.Vendor.Create().SetName("bulk").Save(ctx)
			if err != nil {
				return err
			}
			var cis []int
			for i := range 200 {
				ci, err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("bulk-%03d", i)).SetKind(configurationitem.KindServer).SetVendorID(v.ID).Save(ctx)
				if err != nil {
					return err
				}
				cis = append(cis, ci.ID)
			}
			for i := range 5 {
				if err := tx.Service.Create().SetName(fmt.Sprintf("shared-%d", i)).AddMemberIDs(cis...).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		measured(t, env)
		const issue = `{ vendors(first:100){ edges { node { configurationItems { services { members { name } } } } } } }`
		wantErr(t, env.Do(t, "", issue, nil), "BAD_USER_INPUT", "", "above the limit of 250000")
		open := unlimited(t, env)
		for _, q := range []string{
			issue,
			`{ services(first: 10) { edges { node { name members { name vendor { name } services { name } } } } } }`,
			`{ configurationItems(first: 50) { edges { node { name services { name members { name } } } } } }`,
			`{ vendors { edges { node { name configurationItems { name } contracts { number } } } } }`,
			// The vendor every CI shares repeats under each of them.
			`{ configurationItems(first: 300) { edges { node { name vendor { name configurationItems { name } } } } } }`,
			`{ ...S } fragment S on Query { services(first: 3) { edges { node { members { services { name } } } } } }`,
		} {
			r := open.Do(t, "", q, nil).OK(t)
			got := values(t, r.Data)
			cost, err := server.QueryCost(env.Server, q, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("priced %d, returned %d fields: %s", cost, got, q)
			if cost < got {
				t.Errorf("%s: priced %d, returned %d fields", q, cost, got)
			}
		}
	})
	t.Run("expensive resolvers", func(t *testing.T) {
		env := anonymousEnv(t, server.Config{})
		if _, err := estate.SeedDemo(audit.WithActor(context.Background(), estate.DemoActor), env.DB.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		measured(t, env)
		rollups := func(n int) string {
			var q strings.Builder
			q.WriteString("{")
			for i := range n {
				fmt.Fprintf(&q, " r%d: costRollup(groupBy: SERVICE) { group assetCount }", i)
			}
			return q.String() + " }"
		}
		r := timed(t, env, rollups(150), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "above the limit of 250000")
		env.Do(t, "", rollups(10), nil).OK(t)
		for _, c := range []struct {
			query   string
			atLeast int
		}{
			// Whole-table work on top of the rows returned.
			{`{ costRollup(groupBy: OWNER) { group } }`, 2000},
			{`{ cmdbHealth { totalCIs } }`, 2000},
			{`{ driftSummary { byKind { count } } }`, 2000},
			{`{ expiringContracts { number } }`, 2000},
			{`{ lookup(query: "web") { score } }`, 2000},
			// Walks: the CIs they may reach.
			{`query($id: ID!) { impact(ci: $id) { count } }`, 199},
			{`{ incidentContext(identifier: "x") { dependents { count } } }`, 199},
		} {
			cost, err := server.QueryCost(env.Server, c.query, map[string]any{"id": "1"})
			if err != nil {
				t.Fatal(err)
			}
			if cost < c.atLeast {
				t.Errorf("%s: priced %d, want at least %d", c.query, cost, c.atLeast)
			}
		}
	})
}

// TestResponseSizeCap: whatever the estimate, an operation whose response
// grows past MaxResponseBytes is cancelled and answers one small error.
func TestResponseSizeCap(t *testing.T) {
	env := anonymousEnv(t, server.Config{MaxResponseBytes: 8 << 10})
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		for i := range 3 {
			if err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("big-%d", i)).SetKind(configurationitem.KindServer).SetDescription(strings.Repeat("d", 4000)).Exec(ctx); err != nil {
				return err
			}
		}
		for i := range 300 {
			if err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("host-%03d", i)).SetKind(configurationitem.KindVM).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	env.Do(t, "", `{ configurationItems(first: 5) { edges { node { name } } } }`, nil).OK(t)
	for _, q := range []string{
		`{ configurationItems(where: {nameHasPrefix: "big-"}) { edges { node { name description } } } }`,
		`{ configurationItems(first: 1000) { edges { node { id name kind status hostname } } } }`,
	} {
		r := timed(t, env, q, 5*time.Second, 1024)
		e := wantErr(t, r, "BAD_USER_INPUT", "", "the response is larger than the limit of 8192 bytes: ask for fewer rows (first/last) or fewer fields")
		if string(r.Data) != "null" {
			t.Errorf("data %s, want null", r.Data)
		}
		if e.Extensions["limit"] != float64(8192) {
			t.Errorf("extensions %v", e.Extensions)
		}
	}
}
