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
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
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

	// bg is what Run drives: the notification queue and the escalation
	// tick (notify.go, escalate.go).
	bg background
}
