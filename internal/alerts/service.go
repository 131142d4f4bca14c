// Package alerts is the alert and incident service (issue 15): it takes
// parsed alerts (internal/alerts/intake) from the HTTP routes, binds them
// to CIs and services, marks those inside an approved change window as
// expected, correlates the rest into incidents (internal/alerts/correlate)
// over the database's dependency graph, and stores alerts and incidents in
// one transaction per batch. People act on incidents through it
// (acknowledge, resolve, reopen, merge, move an alert, link a change); it
// notifies signed webhooks when an incident opens, escalates or resolves.
//
// One Service runs per process and serialises intake (the correlation
// engine is in memory, rebuilt from the database at start).
package alerts

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Defaults of Config, documented for operators.
const (
	// DefaultEscalateAfter is how long an incident may stay OPEN
	// (unacknowledged) before the escalated notification.
	DefaultEscalateAfter = 15 * time.Minute
)

// Config of the service; zero fields take the defaults.
type Config struct {
	// Settings are the correlation settings (H, W, L, flapping, evidence).
	Settings correlate.Settings
	// EscalateAfter: see DefaultEscalateAfter.
	EscalateAfter time.Duration
	// Webhooks receive incident events (opened, escalated, resolved),
	// signed with their Secret, through internal/report/deliver.
	Webhooks []deliver.Webhook
	// VolatileLabels are left out of the fingerprint of alerts sent
	// without one (intake.Options.VolatileLabels).
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the alert and incident service of one process.
type Service struct {
	client *ent.Client
	db     *store.DB
	cfg    Config
	log    *slog.Logger

	// mu serialises intake and every action that changes incident
	// membership, so the engine and the database agree.
	mu     sync.Mutex
	engine *correlate.Engine
	// incidentOf maps the engine's incident IDs to stored incident IDs.
	incidentOf map[int]int

	// graph and evidence are what the engine reads: replay.Graph (one
	// walk per batch) and replay.Evidence (change records, unauthorised
	// drift, audit changes; kept briefly, see cachedEvidence), the same as
	// `cairn alerts replay`.
	graph    *batchGraph
	evidence correlate.Evidence
	// stale says the engine may disagree with the database (a batch
	// failed after correlating): the next batch rebuilds it first.
	stale bool
	// cur is where each alert key's current firing is in the engine: its
	// engine incident and start (an incident keeps old copies of members
	// that re-fired elsewhere; the newest copy is the alert's place).
	cur map[string]curRef
	// curPruned is cur's size after it was last pruned (pruneCur).
	curPruned int
	// titles are the titles intake last gave each stored incident: a
	// title that differs was set otherwise and is left alone. A title a
	// person set (title_set_by_person) is never intake's.
	titles map[int]string

	// bg is what Run drives: the notification queue and the escalation
	// tick (notify.go, escalate.go).
	bg background
}

// curRef is where an alert key's current firing sits in the engine.
type curRef struct {
	inc   int
	start time.Time
}

// New returns the service over the database: cfg's zero fields take the
// defaults (each zero correlation setting its correlate default), the
// settings are validated, and the engine is rebuilt from the stored
// alerts of incidents not resolved, or resolved within the quiet period
// (see rebuild). It starts nothing: Run drives the background work.
func New(ctx context.Context, c *ent.Client, db *store.DB, cfg Config) (*Service, error) {
	if c == nil || db == nil {
		return nil, fmt.Errorf("alert service: no database")
	}
	cfg.Settings = withDefaults(cfg.Settings)
	if err := cfg.Settings.Validate(); err != nil {
		return nil, err
	}
	if cfg.EscalateAfter == 0 {
		cfg.EscalateAfter = DefaultEscalateAfter
	}
	if cfg.EscalateAfter < 0 {
		return nil, fmt.Errorf("escalate after %s: must be positive", cfg.EscalateAfter)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{
		client: c, db: db, cfg: cfg, log: log,
		graph: &batchGraph{base: replay.NewGraph(db)}, evidence: newCachedEvidence(replay.NewEvidence(c)),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.rebuild(ctx); err != nil {
		return nil, fmt.Errorf("rebuilding the correlation engine: %w", err)
	}
	return s, nil
}

// withDefaults fills each zero correlation setting with its default.
func withDefaults(st correlate.Settings) correlate.Settings {
	d := correlate.DefaultSettings()
	if st.Hops == 0 {
		st.Hops = d.Hops
	}
	if st.Window == 0 {
		st.Window = d.Window
	}
	if st.Quiet == 0 {
		st.Quiet = d.Quiet
	}
	if st.FlapTransitions == 0 {
		st.FlapTransitions = d.FlapTransitions
	}
	if st.FlapPeriod == 0 {
		st.FlapPeriod = d.FlapPeriod
	}
	if st.EvidenceLookback == 0 {
		st.EvidenceLookback = d.EvidenceLookback
	}
	if st.MaxCandidates == 0 {
		st.MaxCandidates = d.MaxCandidates
	}
	if st.MaxPaths == 0 {
		st.MaxPaths = d.MaxPaths
	}
	return st
}

// Settings returns the correlation settings in force (defaults filled).
func (s *Service) Settings() correlate.Settings { return s.cfg.Settings }

// Notification call sites (notify is implemented in notify.go): intake
// calls s.notify(ctx, EventOpened, ids...) for the incidents a batch
// opened and s.notify(ctx, EventResolved, ids...) for those it resolved,
// once the batch has committed (txn.AfterCommit); notify never blocks
// intake and never fails it.

// batchGraph is the engine's graph: replay.Graph on the database's
// readers, or, while a batch is taken (cur, set and cleared under s.mu by
// ingest), on the batch's transaction (see replay.Querier: on SQLite the
// writer connection's page cache survives the intake's own commits, a
// reader's does not).
type batchGraph struct {
	base, cur *replay.Graph
}

func (g *batchGraph) graph() *replay.Graph {
	if g.cur != nil {
		return g.cur
	}
	return g.base
}

func (g *batchGraph) DependencyEdges(ctx context.Context, cis []int, hops int) ([]correlate.Edge, error) {
	return g.graph().DependencyEdges(ctx, cis, hops)
}

func (g *batchGraph) DependentCounts(ctx context.Context, cis []int, hops int) (map[int][]int, error) {
	return g.graph().DependentCounts(ctx, cis, hops)
}
