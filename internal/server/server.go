// Package server is Cairn's HTTP side: POST /graphql with auth, limits,
// metrics and logs; the alert intake, POST /api/v1/alerts/alertmanager and
// POST /api/v1/alerts (alerts_routes.go); the web console at /
// (internal/console); GraphiQL at /graphiql; /healthz, /readyz and
// /metrics.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/graph"
	"github.com/cairn-cmdb/cairn/graph/generated"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/console"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/server/graphiql"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Config tunes the server. Zero values take the defaults in brackets.
type Config struct {
	// AllowAnonymousRead lets callers without a token query (never mutate).
	AllowAnonymousRead bool
	// RequestTimeout bounds each request [30s].
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request body, read only once the caller is
	// authenticated (or anonymous read is on) [1 MiB].
	MaxBodyBytes int64
	// BodyReadTimeout bounds reading a /graphql request's body, from the
	// moment it is admitted to be read; a body that arrives slower is
	// answered 400 [10s].
	BodyReadTimeout time.Duration
	// MaxBodyReads bounds the /graphql request bodies being received at
	// once; past it a request is answered 503 with Retry-After. Anonymous
	// callers may hold three quarters of them, one client address an
	// eighth. Bodies are read before a request takes an execution slot,
	// so a slow body holds only this; memory held by bodies is at most
	// (MaxBodyReads + MaxInFlight) x MaxBodyBytes [128].
	MaxBodyReads int
	// MaxInFlight bounds the /graphql requests executed at once, each once
	// its body is in memory; past it a request is answered 503 with
	// Retry-After instead of queueing. Anonymous callers may hold three
	// quarters of them: the rest is kept for token holders [32].
	MaxInFlight int
	// ComplexityLimit bounds an operation's cost [250000].
	ComplexityLimit int
	// ParserTokenLimit bounds the tokens of a query document [15000].
	ParserTokenLimit int
	// MaxSelections bounds the selections written in a query document
	// (fields, fragment spreads and inline fragments, in operations and
	// fragments), checked before validation, whose time grows with their
	// square [500].
	MaxSelections int
	// MaxAliases bounds the aliased fields of a query document [200].
	MaxAliases int
	// MaxErrors bounds the errors of one response; a last one says more
	// were found [20].
	MaxErrors int
	// MaxResponseBytes bounds the JSON body of one GraphQL response: an
	// operation whose resolved values pass it is cancelled and answers one
	// error [16 MiB].
	MaxResponseBytes int64
	// StatsInterval is how often the cost model measures the estate (row
	// counts, the most children of any parent on each plain list edge) to
	// price queries; the first measure is taken in New [5m].
	StatsInterval time.Duration
	// Logger receives request logs [discard].
	Logger *slog.Logger
	// Registry receives metrics [a fresh registry].
	Registry *prometheus.Registry
	// Discovery serves discovery jobs and runs [none: those mutations fail].
	Discovery *discoveryjobs.Service
	// Reports serves report schedules and runs them on demand [none:
	// report schedule mutations fail].
	Reports *reportschedules.Service
	// Alerts takes the alert intake routes, POST /api/v1/alerts/alertmanager
	// and POST /api/v1/alerts (alerts_routes.go) [none: they answer 503].
	Alerts *alerts.Service
	// MaxAlertBodyBytes bounds an alert intake request's body, read like a
	// /graphql body (BodyReadTimeout, MaxBodyReads, MaxInFlight) [16 MiB].
	MaxAlertBodyBytes int64
}

func (c *Config) defaults() {
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxAlertBodyBytes <= 0 {
		c.MaxAlertBodyBytes = DefaultMaxAlertBodyBytes
	}
	if c.BodyReadTimeout <= 0 {
		c.BodyReadTimeout = 10 * time.Second
	}
	if c.MaxBodyReads <= 0 {
		c.MaxBodyReads = 128
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 32
	}
	if c.ComplexityLimit <= 0 {
		c.ComplexityLimit = 250_000
	}
	if c.ParserTokenLimit <= 0 {
		c.ParserTokenLimit = 15_000
	}
	if c.MaxSelections <= 0 {
		c.MaxSelections = 500
	}
	if c.MaxAliases <= 0 {
		c.MaxAliases = 200
	}
	if c.MaxErrors <= 0 {
		c.MaxErrors = 20
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 16 << 20
	}
	if c.StatsInterval <= 0 {
		c.StatsInterval = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
}

// Server is the HTTP handler of Cairn.
type Server struct {
	cfg     Config
	db      *app.DB
	authn   *auth.Authenticator
	mux     *http.ServeMux
	metrics *metrics
	// alertMetrics count the alert intake (alerts_routes.go).
	alertMetrics *alertMetrics
	costs        *costModel
	// inflight bounds the /graphql requests executed at once
	// (Config.MaxInFlight), bodyReads the bodies being received
	// (Config.MaxBodyReads).
	inflight, bodyReads *slots
}

// New builds the handler over db.
func New(db *app.DB, cfg Config) (*Server, error) {
	cfg.defaults()
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	am, err := newAlertMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	if err := cfg.Registry.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("registering go metrics: %w", err)
	}
	if err := store.RegisterMetrics(cfg.Registry, db.Store); err != nil {
		return nil, fmt.Errorf("registering database metrics: %w", err)
	}
	s := &Server{cfg: cfg, db: db, authn: auth.NewAuthenticator(db.Client), mux: http.NewServeMux(), metrics: m, alertMetrics: am,
		inflight: newSlots(cfg.MaxInFlight, 0), bodyReads: newSlots(cfg.MaxBodyReads, max(1, cfg.MaxBodyReads/8))}

	gql := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers: graph.NewResolver(db.Client, db.Store, s.authn).WithDiscovery(cfg.Discovery).WithReports(cfg.Reports).WithAlerts(cfg.Alerts),
	}))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	docs := lru.New[*ast.QueryDocument](1000)
	gql.SetQueryCache(docs)
	gql.SetParserTokenLimit(cfg.ParserTokenLimit)
	gql.SetValidationRulesFn(cappedRules(cfg.MaxErrors))
	gql.Use(introspectionGate{})
	gql.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	// After the persisted query extension, which fills in the query text.
	gql.Use(documentLimits{maxSelections: cfg.MaxSelections, maxAliases: cfg.MaxAliases, tokenLimit: cfg.ParserTokenLimit, cache: docs})
	if s.costs, err = newCostModel(db.Store, cfg.StatsInterval, cfg.Logger); err != nil {
		return nil, err
	}
	gql.Use(complexityLimit{limit: cfg.ComplexityLimit, model: s.costs})
	gql.Use(&readRules{})
	gql.Use(txExtension{entgql.Transactioner{TxOpener: db.Client}})
	// Per-operation caches of batched loads (an incident list's candidates).
	gql.Use(graph.Loaders{})
	gql.AroundOperations(s.aroundOperation)
	gql.AroundFields(countResponse)
	gql.AroundResponses(capErrors(cfg.MaxErrors))
	gql.SetErrorPresenter(presentError(cfg.Logger))
	gql.SetRecoverFunc(func(ctx context.Context, v any) error {
		cfg.Logger.ErrorContext(ctx, "graphql resolver panicked", "panic", fmt.Sprint(v), "request_id", audit.RequestID(ctx))
		return apperr.New(apperr.Internal, "internal error (request %s)", audit.RequestID(ctx))
	})

	ui := graphiql.Handler("/graphql")
	web, err := console.New()
	if err != nil {
		return nil, err
	}
	s.mux.Handle("/graphql", s.authenticate(gql))
	for _, rt := range alertRoutes {
		s.mux.Handle(rt.path, s.alertIntake(rt))
	}
	if err := s.mountAgentRoutes(); err != nil {
		return nil, err
	}
	s.mux.Handle("/", web)
	s.mux.Handle("/graphiql", ui)
	s.mux.Handle("/graphiql/", ui)
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc("/readyz", s.ready)
	s.mux.Handle("/metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	return s, nil
}

// Authenticator returns the server's token checker.
func (s *Server) Authenticator() *auth.Authenticator { return s.authn }

// ServeHTTP implements http.Handler: request IDs, timeouts, body limits,
// metrics and logs around every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id, client := newRequestID(), clientRequestID(r.Header.Get("X-Request-ID"))
	w.Header().Set("X-Request-ID", id)
	if client != "" {
		w.Header().Set("X-Client-Request-ID", client)
	}
	ctx, cancel := context.WithTimeout(audit.WithRequestID(r.Context(), id), s.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	if r.URL.Path == "/graphql" {
		// The /graphql handler reads the body once the caller is known
		// (readBody), then takes an execution slot (admit), never here.
		capped := &sizeCappedWriter{ResponseWriter: rw, limit: s.cfg.MaxResponseBytes}
		s.mux.ServeHTTP(capped, r)
		capped.finish()
	} else {
		s.mux.ServeHTTP(rw, r)
	}
	route := routeOf(r.URL.Path)
	elapsed := time.Since(start)
	s.metrics.httpRequests.WithLabelValues(route, r.Method, strconv.Itoa(rw.status)).Inc()
	s.metrics.httpDuration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
	if route != "/metrics" && route != "/healthz" {
		attrs := []slog.Attr{slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rw.status), slog.Duration("duration", elapsed)}
		if client != "" {
			attrs = append(attrs, slog.String("client_request_id", client))
		}
		s.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "http request", attrs...)
	}
}

func routeOf(p string) string {
	switch {
	case p == "/graphql", p == "/healthz", p == "/readyz", p == "/metrics", p == AlertmanagerRoute, p == AlertsRoute:
		return p
	case strings.HasPrefix(p, AgentRoutePrefix):
		return AgentRoutePrefix + "{job}"
	case p == "/graphiql", strings.HasPrefix(p, "/graphiql/"):
		return "/graphiql/"
	case strings.HasPrefix(p, "/assets/"):
		return "/assets/"
	}
	return "console"
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := s.db.Client.APIToken.Query().Exist(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "database not ready: %v\n", err)
		return
	}
	if st, ok := s.db.Store.ReplicaStatus(r.Context()); ok {
		// The primary answers either way: a lagging replica is reported,
		// not a reason to take this process out of service.
		switch {
		case st.Err != nil:
			_, _ = fmt.Fprintf(w, "ready\nread replica: not used, queries go to the primary: %v\n", st.Err)
		case !st.Usable:
			_, _ = fmt.Fprintf(w, "ready\nread replica: lag %s over --db-read-max-lag %s, queries go to the primary\n", lagText(st.Lag), st.MaxLag)
		default:
			_, _ = fmt.Fprintf(w, "ready\nread replica: lag %s (max %s), serving queries\n", lagText(st.Lag), st.MaxLag)
		}
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// lagText prints a replica's lag; one that never replayed has no figure.
func lagText(d time.Duration) string {
	if d == time.Duration(math.MaxInt64) {
		return "unknown (nothing replayed yet)"
	}
	return d.Round(time.Millisecond).String()
}

// authenticate resolves the bearer token (or anonymous read) into a
// principal. A bad token is refused outright; no token is refused unless
// anonymous read is on. Then it reads the body (readBody) and only with the
// body in memory takes an execution slot (admit), released however the
// request ends (the size-capped writer aborts with a panic).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		// A refusal before the body is read closes the connection: the
		// server would otherwise wait for the unread body (up to its read
		// timeout) before answering, so as to keep the connection alive.
		refuse := func(status int, code apperr.Code, msg string) {
			closeUnread(w, r)
			writeGraphQLError(w, status, code, msg)
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && mt != "application/json" {
			refuse(http.StatusUnsupportedMediaType, apperr.BadUserInput, "POST /graphql takes a JSON body: send Content-Type: application/json")
			return
		}
		h := r.Header.Get("Authorization")
		ctx := r.Context()
		anonymous := false
		switch {
		case h != "":
			scheme, secret, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
				refuse(http.StatusUnauthorized, apperr.Unauthenticated, "the Authorization header must be \"Bearer <token>\"")
				return
			}
			p, err := s.authn.Authenticate(ctx, strings.TrimSpace(secret))
			if err != nil && ctx.Err() != nil {
				refuse(http.StatusServiceUnavailable, apperr.Internal, fmt.Sprintf("the request took too long (limit %s) and was cancelled", s.cfg.RequestTimeout))
				return
			}
			if err != nil {
				if ae, ok := apperr.As(err); ok {
					refuse(http.StatusUnauthorized, ae.Code, ae.Error())
					return
				}
				s.cfg.Logger.ErrorContext(ctx, "authenticating", "err", err)
				refuse(http.StatusInternalServerError, apperr.Internal, "could not check the token")
				return
			}
			ctx = auth.WithPrincipal(ctx, p)
		case s.cfg.AllowAnonymousRead:
			anonymous = true
			ctx = auth.WithPrincipal(ctx, auth.Principal{Name: "anonymous", Role: auth.Viewer})
		default:
			refuse(http.StatusUnauthorized, apperr.Unauthenticated, "an API token is needed: send Authorization: Bearer <token> (cairn token create --name NAME --role viewer)")
			return
		}
		if p, _ := auth.FromContext(ctx); p.Role == auth.Ingest {
			refuse(http.StatusForbidden, apperr.Forbidden, auth.IngestOnly(p.Name))
			return
		}
		if !s.readBody(w, r, anonymous, s.cfg.MaxBodyBytes, writeGraphQLError) {
			return
		}
		release, ok := s.admit(w, r, anonymous, writeGraphQLError)
		if !ok {
			return
		}
		defer release()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// errorWriter answers a request with an error in its route's shape:
// writeGraphQLError for /graphql, writeAlertError for the alert routes.
type errorWriter func(w http.ResponseWriter, status int, code apperr.Code, msg string)

// readBody reads r's body into memory, at most limit bytes (a declared
// length above it is refused unread) within BodyReadTimeout, holding one of
// the MaxBodyReads slots meanwhile, and answers the error itself (through
// fail) when it cannot. It runs after authentication: an unauthenticated
// request is refused without its body being read; and before admission, so
// a slow body never holds an execution slot.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, anonymous bool, limit int64, fail errorWriter) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	tooLarge := func() {
		fail(w, http.StatusRequestEntityTooLarge, apperr.BadUserInput, fmt.Sprintf("request body too large: the limit is %d bytes", limit))
	}
	if r.ContentLength > limit {
		tooLarge()
		return false
	}
	release, ok := s.bodyReads.acquire(remoteIP(r), anonymous)
	if !ok {
		closeUnread(w, r)
		shed(w, fmt.Sprintf("%d request bodies being received", s.bodyReads.total), fail)
		return false
	}
	defer release()
	rc := http.NewResponseController(w)
	// Not every ResponseWriter has a connection (a test recorder): then
	// the body is in memory already.
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var ne net.Error
	switch {
	case errors.As(err, new(*http.MaxBytesError)):
		tooLarge()
		return false
	case errors.As(err, &ne) && ne.Timeout():
		fail(w, http.StatusBadRequest, apperr.BadUserInput,
			fmt.Sprintf("the request body arrived too slowly: it must arrive within %s", s.cfg.BodyReadTimeout))
		return false
	case err != nil:
		// Never the error's text: it names the connection's addresses.
		fail(w, http.StatusBadRequest, apperr.BadUserInput, "could not read the request body: the connection failed or the body was malformed")
		return false
	}
	// The body is in: the request is bounded by RequestTimeout from here,
	// and a read deadline passing while it runs would cancel it. (On an
	// error the deadline stays, so that the server's reading what is left
	// of the body ends too.)
	_ = rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// closeUnread asks that the connection be closed after the answer to r
// when r has a body left unread.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

func writeGraphQLError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cairn"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": string(code)}}},
		"data":   nil,
	})
}

func principal(ctx context.Context) (auth.Principal, bool) { return auth.FromContext(ctx) }

// aroundOperation enforces roles per operation type and records metrics.
func (s *Server) aroundOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	opType := "query"
	if oc.Operation != nil {
		opType = string(oc.Operation.Operation)
	}
	start := time.Now()
	ctx, budget := withBudget(ctx, s.cfg.MaxResponseBytes)
	if opType == string(ast.Query) {
		// Queries may read from the read replica (--db-read) while it is
		// within its lag bound; mutations and every transaction stay on
		// the primary (store.ReadFromReplica).
		ctx = store.ReadFromReplica(ctx)
	}
	if opType == string(ast.Mutation) {
		if err := auth.Require(ctx, auth.Editor); err != nil {
			s.metrics.gqlOps.WithLabelValues(opType, "refused").Inc()
			ae, _ := apperr.As(err)
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
				Message: ae.Error(), Extensions: map[string]any{"code": string(ae.Code)},
			}}})
		}
	}
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		budget.cancel()
		if budget.over.Load() {
			resp = tooLarge(budget.limit)
		}
		if resp == nil && ctx.Err() != nil {
			// gqlgen answers nothing at all once the context has ended.
			resp = &graphql.Response{Errors: gqlerror.List{{
				Message:    fmt.Sprintf("the request took too long (limit %s) and was cancelled", s.cfg.RequestTimeout),
				Extensions: map[string]any{"code": string(apperr.Internal)},
			}}}
		}
		status := "ok"
		if resp != nil && len(resp.Errors) > 0 {
			status = "error"
		}
		s.metrics.gqlOps.WithLabelValues(opType, status).Inc()
		s.metrics.gqlDuration.WithLabelValues(opType).Observe(time.Since(start).Seconds())
		return resp
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Unwrap lets http.ResponseController reach the connection (readBody's
// read deadline).
func (w *sizeCappedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type metrics struct {
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	gqlOps       *prometheus.CounterVec
	gqlDuration  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cairn_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		gqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_graphql_operations_total", Help: "GraphQL operations by type and outcome (ok, error, refused).",
		}, []string{"type", "status"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cairn_graphql_operation_duration_seconds", Help: "GraphQL operation latency by type.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"type"}),
	}
	for _, c := range []prometheus.Collector{m.httpRequests, m.httpDuration, m.gqlOps, m.gqlDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	return m, nil
}

// txExtension runs entgql.Transactioner only inside an operation: gqlgen
// also runs response interceptors for transport errors (an unreadable or
// malformed body), where Transactioner panics on the missing operation
// context.
type txExtension struct{ entgql.Transactioner }

func (t txExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) || selfTransacting(graphql.GetOperationContext(ctx)) {
		return next(ctx)
	}
	return t.Transactioner.InterceptResponse(ctx, next)
}

// selfTransactingFields are mutations that manage their own transactions:
// a discovery run records a failed run row even when its reconciliation
// rolls back, and must not wait behind a request transaction holding
// SQLite's single writer; the incident actions write under the alert
// service's lock, in step with its correlation engine, in a transaction of
// their own (internal/alerts).
func selfTransactingFields(name string) bool {
	switch name {
	case "runDiscoveryJob", "submitObservations", "runReportSchedule",
		"acknowledgeIncident", "resolveIncident", "reopenIncident", "mergeIncidents", "moveAlert", "updateIncident":
		return true
	}
	return false
}

// selfTransacting reports whether every root field of the operation manages
// its own transaction.
func selfTransacting(oc *graphql.OperationContext) bool {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return false
	}
	n := 0
	for _, sel := range oc.Operation.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || !selfTransactingFields(f.Name) {
			return false
		}
		n++
	}
	return n > 0
}
