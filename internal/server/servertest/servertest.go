// Package servertest starts a real Cairn HTTP server (httptest.NewServer over
// server.New) on a given database DSN, with one API token per role, and sends
// GraphQL requests to it the way a client does: JSON over POST /graphql.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// Names of the tokens Start creates; they are also the audit actors of the
// writes made with them.
const (
	AdminName  = "test-admin"
	EditorName = "test-editor"
	ViewerName = "test-viewer"
	// SetupActor is the audit actor of Seed.
	SetupActor = "test-setup"
)

// Options tune Start.
type Options struct {
	// Config is passed to server.New. A nil Registry gets a fresh one that
	// Env.Registry exposes.
	Config server.Config
	// HTTP tunes the http.Server (server.NewHTTPServer, with its
	// connection cap), as cairn serve builds it.
	HTTP server.HTTPConfig
	// CountStatements wraps the driver in a store.CountingDriver (Env.Counter).
	CountStatements bool
	// WrapDriver, when set, wraps the database driver (inside the counter),
	// for instance to slow statements down.
	WrapDriver func(dialect.Driver) dialect.Driver
	// Discovery serves discovery jobs (every built-in source kind,
	// credentials sealed with SecretKey) and report schedules through
	// Env.Jobs and Env.Reports, on a shared scheduler (Env.Scheduler) that
	// is not started.
	Discovery bool
	// Store tunes the database (PostgreSQL pools, a read replica).
	Store store.Options
}

// SecretKey seals credentials in test servers.
const SecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// Env is a running server over a fresh database.
type Env struct {
	DB       *app.DB
	Server   *server.Server
	HTTP     *httptest.Server
	Registry *prometheus.Registry
	// Counter counts SQL statements when Options.CountStatements is set.
	Counter *store.CountingDriver
	// Jobs, Reports and their Scheduler are set when Options.Discovery is.
	Jobs      *discoveryjobs.Service
	Reports   *reportschedules.Service
	Scheduler *scheduler.Scheduler
	// Secrets of the tokens of each role.
	Admin, Editor, Viewer string
}

// Start opens dsn (migrating it), creates an admin, an editor and a viewer
// token, and serves server.New over it until the test ends.
func Start(t testing.TB, dsn string, opts Options) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := &Env{}
	aopts := app.Options{
		Store: opts.Store,
		WrapDriver: func(d dialect.Driver) dialect.Driver {
			if opts.WrapDriver != nil {
				d = opts.WrapDriver(d)
			}
			if opts.CountStatements {
				env.Counter = store.NewCountingDriver(d)
				d = env.Counter
			}
			return d
		},
	}
	db, err := app.Open(ctx, dsn, aopts)
	if err != nil {
		t.Fatalf("servertest: opening %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	env.DB = db
	cfg := opts.Config
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	env.Registry = cfg.Registry
	if opts.Discovery {
		box, err := secret.Load(SecretKey, "")
		if err != nil {
			t.Fatalf("servertest: %v", err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: install.Registry(), Secrets: box, Dialect: db.Store.Dialect()}
		env.Jobs = discoveryjobs.New(rn, nil)
		env.Reports = reportschedules.New(&reportschedules.Runner{Client: db.Client, Secrets: box, Dialect: db.Store.Dialect(),
			// Test receivers listen on loopback, which webhooks reach only
			// when the operator allows it (--webhook-allow).
			Webhook: deliver.Webhook{Backoff: 10 * time.Millisecond, Timeout: 2 * time.Second, MaxAttempts: 3,
				Egress: deliver.Egress{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}})
		env.Scheduler = scheduler.NewShared(scheduler.Options{Leaser: env.Jobs.Leaser}, env.Jobs, env.Reports)
		cfg.Discovery, cfg.Reports = env.Jobs, env.Reports
	}
	srv, err := server.New(db, cfg)
	if err != nil {
		t.Fatalf("servertest: server.New: %v", err)
	}
	env.Server = srv
	env.HTTP = httptest.NewUnstartedServer(srv)
	env.HTTP.Config = server.NewHTTPServer("", srv, opts.HTTP)
	if opts.HTTP.MaxConns > 0 || opts.HTTP.MaxConnsPerIP > 0 {
		env.HTTP.Listener = server.LimitListener(env.HTTP.Listener, opts.HTTP)
	}
	env.HTTP.Start()
	t.Cleanup(env.HTTP.Close)
	actx := audit.WithActor(ctx, SetupActor)
	for _, tok := range []struct {
		name string
		role apitoken.Role
		dst  *string
	}{
		{AdminName, auth.Admin, &env.Admin},
		{EditorName, auth.Editor, &env.Editor},
		{ViewerName, auth.Viewer, &env.Viewer},
	} {
		secret, _, err := auth.CreateToken(actx, db.Client, tok.name, tok.role, nil)
		if err != nil {
			t.Fatalf("servertest: creating %s token: %v", tok.role, err)
		}
		*tok.dst = secret
	}
	return env
}

// URL returns the server's URL for path.
func (e *Env) URL(path string) string { return e.HTTP.URL + path }

// Seed runs fn in one transaction as the audit actor SetupActor, the way
// every write path does (the hooks refuse writes outside a transaction).
func (e *Env) Seed(t testing.TB, fn func(ctx context.Context, tx *ent.Client) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx = audit.WithActor(ctx, SetupActor)
	if err := txn.Do(ctx, e.DB.Client, func(tx *ent.Client) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("servertest: seeding: %v", err)
	}
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Code returns extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Field returns extensions.field.
func (e Error) Field() string { s, _ := e.Extensions["field"].(string); return s }

// Response is a decoded GraphQL HTTP response.
type Response struct {
	Status int
	Header http.Header
	// Body is the raw response body.
	Body   []byte
	Data   json.RawMessage
	Errors []Error
}

// Request is a GraphQL request with optional extra headers.
type Request struct {
	Token     string // bearer secret; "" sends no Authorization header
	Query     string
	Variables map[string]any
	Header    http.Header
}

// Do POSTs query with vars as JSON to /graphql with token ("" for none) and
// decodes the response.
func (e *Env) Do(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	return e.DoRequest(t, Request{Token: token, Query: query, Variables: vars})
}

// DoRequest is Do with headers.
func (e *Env) DoRequest(t testing.TB, r Request) Response {
	t.Helper()
	body := map[string]any{"query": r.Query}
	if r.Variables != nil {
		body["variables"] = r.Variables
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("servertest: encoding request: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, e.URL("/graphql"), bytes.NewReader(b))
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	return e.Send(t, req)
}

// Send sends a prepared request (any path, method or body) and decodes the
// body as a GraphQL response when it is JSON.
func (e *Env) Send(t testing.TB, req *http.Request) Response {
	t.Helper()
	if req.Header.Get("Content-Type") == "" && req.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("servertest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("servertest: reading response: %v", err)
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") || bytes.HasPrefix(raw, []byte(`{"`)) {
		var env struct {
			Data   json.RawMessage `json:"data"`
			Errors []Error         `json:"errors"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("servertest: decoding response %q: %v", raw, err)
		}
		out.Data, out.Errors = env.Data, env.Errors
	}
	return out
}

// OK fails the test unless the response has status 200, data and no errors.
func (r Response) OK(t testing.TB) Response {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 || len(r.Data) == 0 || string(r.Data) == "null" {
		t.Fatalf("servertest: want a successful response, got HTTP %d: %s", r.Status, r.Body)
	}
	return r
}

// Decode unmarshals data into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("servertest: decoding data %s: %v", r.Data, err)
	}
}

// Err returns the only error of the response, failing the test when there
// is not exactly one.
func (r Response) Err(t testing.TB) Error {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("servertest: want exactly one error, got HTTP %d: %s", r.Status, r.Body)
	}
	return r.Errors[0]
}

// String is the raw body, for messages.
func (r Response) String() string { return fmt.Sprintf("HTTP %d %s", r.Status, r.Body) }

// SlowDriver delays every Query whose SQL contains Match by Delay, or until
// the statement's context ends (then it fails with the context's error, as a
// real driver does when a query is cancelled). Tests use it to exceed the
// request timeout in the middle of execution.
type SlowDriver struct {
	dialect.Driver
	Match string
	Delay time.Duration
}

// Query delays matching statements.
func (d *SlowDriver) Query(ctx context.Context, query string, args, v any) error {
	if strings.Contains(query, d.Match) {
		select {
		case <-time.After(d.Delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return d.Driver.Query(ctx, query, args, v)
}

// StartScheduler starts the shared scheduler (Options.Discovery must be
// set) and stops it when the test ends.
func (e *Env) StartScheduler(t testing.TB) {
	t.Helper()
	if err := e.Scheduler.Start(context.Background()); err != nil {
		t.Fatalf("servertest: starting the scheduler: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Scheduler.Stop(ctx)
	})
}
