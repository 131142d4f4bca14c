package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func TestPageSizeLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		seedEstate(t, env, 3)
		cases := []struct {
			name, query string
			vars        map[string]any
			field, msg  string
		}{
			{"first 1001", `{ configurationItems(first: 1001) { totalCount } }`, nil,
				"first", "configurationItems.first: first may be at most 1000, got 1001: page through the rest with after/before"},
			{"last 5000", `{ owners(last: 5000) { totalCount } }`, nil,
				"last", "owners.last: last may be at most 1000, got 5000"},
			{"first from a variable", `query($n: Int) { auditEvents(first: $n) { totalCount } }`, map[string]any{"n": 1001},
				"first", "auditEvents.first: first may be at most 1000, got 1001"},
			{"negative first", `{ services(first: -1) { totalCount } }`, nil,
				"first", "services.first: first must not be negative, got -1"},
			{"aliased", `{ big: vendors(first: 2000) { totalCount } }`, nil,
				"first", "big.first: first may be at most 1000, got 2000"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantErr(t, env.Do(t, env.Viewer, c.query, c.vars), "BAD_USER_INPUT", c.field, c.msg)
			})
		}
		t.Run("1000 is allowed with a realistic selection", func(t *testing.T) {
			// The largest page, with the nested selection of the incident
			// view, fits the default complexity limit.
			var p struct{ ConfigurationItems struct{ TotalCount int } }
			env.Do(t, env.Viewer, nestedCIQuery, map[string]any{"n": 1000}).OK(t).Decode(t, &p)
			if p.ConfigurationItems.TotalCount != 3 {
				t.Errorf("totalCount %d", p.ConfigurationItems.TotalCount)
			}
			env.Do(t, env.Viewer, `{ auditEvents(first: 1000) { totalCount edges { node { actor action entityType entityID requestID changes { field before after } } } } }`, nil).OK(t)
		})
	})
}

func TestComplexityLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Config: server.Config{ComplexityLimit: 100}})
		const q = `query($n: Int) { configurationItems(first: $n) { edges { node { name owner { name } } } } }`
		// Cost: 1 + n × (edges 1 + node (1 + name 1 + owner 2)) = 1 + 5n.
		env.Do(t, env.Viewer, q, map[string]any{"n": 19}).OK(t)
		mustNotWrite(t, env, func() {
			e := wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"n": 20}), "BAD_USER_INPUT", "",
				"operation costs at least 101, above the limit of 100: ask for fewer rows (first/last) or fewer nested fields")
			if e.Extensions["cost"] != float64(101) || e.Extensions["limit"] != float64(100) {
				t.Errorf("extensions %v, want cost 101 and limit 100", e.Extensions)
			}
		})
		// Without first or last a connection counts as the default page
		// (100): the check stops at the first 101 it counts of the 301.
		wantErr(t, env.Do(t, env.Viewer, `{ owners { edges { node { name } } } }`, nil), "BAD_USER_INPUT", "",
			"operation costs at least 101, above the limit of 100")
		// Mutations are costed too, and refused before anything is written.
		mustNotWrite(t, env, func() {
			wantErr(t, env.Do(t, env.Editor, `mutation { createOwner(input: {name: "x", kind: TEAM}) { name configurationItems { name services { name owner { name } } } } }`, nil),
				"BAD_USER_INPUT", "", "above the limit of 100")
		})
	})
}

// TestFragmentFanOutRefusedPromptly: the 28-level double-spread
// fragment query (1.1 KB, anonymous; 9.7 s of cost checking before) is
// refused by the cost check as soon as it passes the limit. The walk's
// visit count is asserted in TestCostPricesEachFragmentOnce; here the
// bound is generous, for a loaded machine.
func TestFragmentFanOutRefusedPromptly(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{Config: server.Config{AllowAnonymousRead: true}})
	var q strings.Builder
	q.WriteString("{ ...F0 }")
	for i := 0; i < 27; i++ {
		fmt.Fprintf(&q, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	q.WriteString(" fragment F27 on Query { viewer { name } }")
	start := time.Now()
	r := env.Do(t, "", q.String(), nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	e := wantErr(t, r, "BAD_USER_INPUT", "", ", above the limit of 250000: ask for fewer rows")
	if c, _ := e.Extensions["cost"].(float64); c <= 250_000 {
		t.Errorf("extensions.cost %v, want a count above the limit", e.Extensions["cost"])
	}
}

func TestParserTokenLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Config: server.Config{ParserTokenLimit: 40}})
		env.Do(t, env.Viewer, `{ a: viewer { name } b: viewer { name } }`, nil).OK(t)
		q := "{" + strings.Repeat(" viewer { name }", 20) + " }"
		r := env.Do(t, env.Viewer, q, nil)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("HTTP %d, want 422", r.Status)
		}
		wantErr(t, r, "GRAPHQL_PARSE_FAILED", "", "exceeded token limit of 40")
	})
}

func TestBodyLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Config: server.Config{MaxBodyBytes: 1024}})
		env.Do(t, env.Viewer, `{ viewer { name } }`, map[string]any{"pad": strings.Repeat("x", 800)}).OK(t)
		mustNotWrite(t, env, func() {
			for name, body := range map[string]string{
				"with Content-Length": "",
				"chunked":             "chunked",
			} {
				t.Run(name, func(t *testing.T) {
					payload := `{"query":"mutation { createOwner(input: {name: \"big\", kind: TEAM, escalation: \"` + strings.Repeat("y", 2000) + `\"}) { id } }"}`
					var rd io.Reader = bytes.NewReader([]byte(payload))
					if body == "chunked" {
						rd = io.NopCloser(rd) // unknown length: the client sends it chunked
					}
					req, _ := http.NewRequest(http.MethodPost, env.URL("/graphql"), rd)
					req.Header.Set("Authorization", "Bearer "+env.Editor)
					r := env.Send(t, req)
					if r.Status != http.StatusRequestEntityTooLarge {
						t.Errorf("HTTP %d, want 413: %s", r.Status, r.Body)
					}
					if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "1024") || !strings.Contains(r.Errors[0].Message, "too large") {
						t.Errorf("want one error saying the body is too large and naming the 1024-byte limit, got %s", r)
					}
				})
			}
		})
	})
}

func TestRequestTimeout(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, backend store.Backend, dsn string) {
		t.Run("expired before execution", func(t *testing.T) {
			env := servertest.Start(t, dsn, servertest.Options{Config: server.Config{RequestTimeout: time.Nanosecond, AllowAnonymousRead: true}})
			for name, token := range map[string]string{"anonymous": "", "token": env.Viewer} {
				t.Run(name, func(t *testing.T) {
					start := time.Now()
					r := env.Do(t, token, `{ configurationItems { totalCount } }`, nil)
					if d := time.Since(start); d > 5*time.Second {
						t.Errorf("took %s", d)
					}
					if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "took too long") {
						t.Errorf("want one error saying the request took too long, got %s", r)
					}
				})
			}
		})
		t.Run("expires during execution", func(t *testing.T) {
			env := servertest.Start(t, storetest.DSN(t, backend), servertest.Options{
				Config: server.Config{RequestTimeout: 300 * time.Millisecond},
				WrapDriver: func(d dialect.Driver) dialect.Driver {
					return &servertest.SlowDriver{Driver: d, Match: "configuration_items", Delay: 10 * time.Second}
				},
			})
			env.Do(t, env.Viewer, `{ viewer { name } }`, nil).OK(t)
			start := time.Now()
			r := env.Do(t, env.Viewer, `{ configurationItems { totalCount } }`, nil)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s, want about the 300ms timeout", d)
			}
			if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "took too long") {
				t.Errorf("want one error saying the request took too long, got %s", r)
			}
		})
	})
}
