package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func httpGet(t *testing.T, env *servertest.Env, path string, header http.Header) servertest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return env.Send(t, req)
}

func TestHTTPEndpoints(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, backend store.Backend, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})

		t.Run("healthz", func(t *testing.T) {
			r := httpGet(t, env, "/healthz", nil)
			if r.Status != 200 || string(r.Body) != "ok\n" {
				t.Errorf("/healthz: %s", r)
			}
		})
		t.Run("readyz", func(t *testing.T) {
			r := httpGet(t, env, "/readyz", nil)
			if r.Status != 200 || string(r.Body) != "ready\n" {
				t.Errorf("/readyz: %s", r)
			}
		})
		t.Run("GraphiQL", func(t *testing.T) {
			r := httpGet(t, env, "/graphiql", nil)
			body := string(r.Body)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("/graphiql: HTTP %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
			}
			if !strings.Contains(strings.ToLower(body), "<!doctype html") || !strings.Contains(strings.ToLower(body), "graphiql") {
				t.Errorf("/graphiql is not the GraphiQL page: %.300s", body)
			}
			// Works offline: every script and stylesheet is served by Cairn.
			for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1) {
				ref := m[1]
				if strings.Contains(ref, "://") || strings.HasPrefix(ref, "//") {
					t.Errorf("GraphiQL page loads %s from elsewhere", ref)
					continue
				}
				if !strings.HasPrefix(ref, "/") {
					ref = "/" + ref
				}
				if a := httpGet(t, env, ref, nil); a.Status != 200 || len(a.Body) == 0 {
					t.Errorf("asset %s: HTTP %d", ref, a.Status)
				}
			}
		})
		t.Run("request IDs", func(t *testing.T) {
			// The server's own ID in X-Request-ID; a client's well-formed ID
			// comes back in X-Client-Request-ID.
			r := env.DoRequest(t, servertest.Request{Token: env.Viewer, Query: `{ viewer { name } }`, Header: http.Header{"X-Request-ID": {"incident-4711"}}})
			if got := r.Header.Get("X-Client-Request-ID"); got != "incident-4711" {
				t.Errorf("X-Client-Request-ID = %q, want the client's ID echoed", got)
			}
			if got := r.Header.Get("X-Request-ID"); !hex16Re.MatchString(got) {
				t.Errorf("X-Request-ID = %q, want the server's own ID", got)
			}
			a, b := httpGet(t, env, "/healthz", nil), httpGet(t, env, "/healthz", nil)
			ida, idb := a.Header.Get("X-Request-ID"), b.Header.Get("X-Request-ID")
			if !hex16Re.MatchString(ida) || ida == idb {
				t.Errorf("generated request IDs %q and %q: want distinct 16-hex-digit IDs", ida, idb)
			}
			long := strings.Repeat("x", 200)
			if got := httpGet(t, env, "/healthz", http.Header{"X-Request-Id": {long}}); got.Header.Get("X-Request-ID") == long || got.Header.Get("X-Client-Request-ID") != "" {
				t.Errorf("an oversized X-Request-ID was echoed (%d bytes)", len(long))
			}
			// Errors name the request ID so operators can find the log line.
			r = env.DoRequest(t, servertest.Request{Token: env.Viewer, Query: `{ viewer { name } }`})
			if r.Header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID on a GraphQL response")
			}
		})
		t.Run("metrics", func(t *testing.T) {
			env.Do(t, env.Viewer, `{ configurationItems { totalCount } }`, nil).OK(t)
			env.Do(t, env.Viewer, `mutation { createOwner(input: {name: "m", kind: TEAM}) { id } }`, nil)
			env.Do(t, env.Editor, `mutation { createOwner(input: {name: "m", kind: TEAM}) { id } }`, nil).OK(t)
			env.Do(t, env.Editor, `mutation { createOwner(input: {name: "m", kind: TEAM}) { id } }`, nil)
			r := httpGet(t, env, "/metrics", nil)
			if r.Status != 200 {
				t.Fatalf("/metrics: HTTP %d", r.Status)
			}
			body := string(r.Body)
			pool := `db_name="cairn"`
			if backend == store.SQLite {
				pool = `db_name="cairn_writer"`
			}
			for _, want := range []string{
				`cairn_http_requests_total{code="200",method="POST",route="/graphql"}`,
				`cairn_http_requests_total{code="200",method="GET",route="/healthz"}`,
				`cairn_http_request_duration_seconds_bucket{method="POST",route="/graphql",le="+Inf"}`,
				`cairn_graphql_operations_total{status="ok",type="query"}`,
				`cairn_graphql_operations_total{status="ok",type="mutation"} 1`,
				`cairn_graphql_operations_total{status="error",type="mutation"} 1`,
				`cairn_graphql_operations_total{status="refused",type="mutation"} 1`,
				`cairn_graphql_operation_duration_seconds_count{type="query"}`,
				`go_sql_open_connections{` + pool + `}`,
				`go_sql_max_open_connections{` + pool + `}`,
				`go_sql_wait_count_total{` + pool + `}`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			if backend == store.SQLite && !strings.Contains(body, `go_sql_open_connections{db_name="cairn_reader"}`) {
				t.Error("/metrics lacks the SQLite reader pool")
			}
		})
		t.Run("malformed requests", func(t *testing.T) {
			for _, c := range []struct {
				name, method, contentType, body string
				status                          int
				msg                             string
			}{
				{"syntax error", "POST", "application/json", `{"query": "{ viewer { name "}`, 422, "Expected Name, found <EOF>"},
				{"unknown field", "POST", "application/json", `{"query": "{ viewer { nope } }"}`, 422, `Cannot query field "nope" on type "Viewer"`},
				{"missing variable", "POST", "application/json", `{"query": "query($id: ID!) { node(id: $id) { id } }"}`, 422, "must be defined"},
				{"malformed JSON", "POST", "application/json", `{"query": "{ viewer { name } }"`, 400, "json request body could not be decoded"},
				{"wrong content type", "POST", "text/plain", `{ viewer { name } }`, http.StatusUnsupportedMediaType, "application/json"},
			} {
				t.Run(c.name, func(t *testing.T) {
					req, _ := http.NewRequest(c.method, env.URL("/graphql"), strings.NewReader(c.body))
					req.Header.Set("Content-Type", c.contentType)
					req.Header.Set("Authorization", "Bearer "+env.Viewer)
					r := env.Send(t, req)
					if r.Status != c.status && !(c.status == http.StatusUnsupportedMediaType && r.Status == http.StatusBadRequest) {
						t.Errorf("HTTP %d, want %d", r.Status, c.status)
					}
					if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, c.msg) || r.Errors[0].Code() == "" {
						t.Errorf("want one error with an extensions.code and a message containing %q, got %s", c.msg, r)
					}
					if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Errorf("Content-Type %q, want application/json", ct)
					}
				})
			}
			// Arguments that do not parse are the client's fault, not INTERNAL.
			for name, q := range map[string]string{
				"malformed ID":     `{ node(id: "web01") { id } }`,
				"malformed cursor": `{ configurationItems(after: "bm9wZQ") { totalCount } }`,
			} {
				t.Run(name, func(t *testing.T) {
					r := env.Do(t, env.Viewer, q, nil)
					if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
						t.Errorf("want one BAD_USER_INPUT error, got %s", r)
					}
				})
			}
		})
		t.Run("readyz without a database", func(t *testing.T) {
			if err := env.DB.Close(); err != nil {
				t.Fatal(err)
			}
			r := httpGet(t, env, "/readyz", nil)
			if r.Status != http.StatusServiceUnavailable || !strings.HasPrefix(string(r.Body), "database not ready: ") {
				t.Errorf("/readyz with the database closed: %s", r)
			}
			if r := httpGet(t, env, "/healthz", nil); r.Status != 200 {
				t.Errorf("/healthz with the database closed: HTTP %d (liveness must not depend on the database)", r.Status)
			}
		})
	})
}
