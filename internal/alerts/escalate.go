package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// EscalationActor is the audit actor of escalations.
const EscalationActor = "alerts:escalation"

// ErrRunning is Run's answer when the service's Run is already running.
var ErrRunning = errors.New("alerts: Run is already running")

// Run drives the service's background work until ctx ends, then returns
// nil (ErrRunning when another Run of the service is running):
//
//   - it delivers the incident notifications notify queued (New starts
//     nothing: events queued before Run starts wait for it, up to the
//     queue's bound), one at a time, each to every webhook in turn;
//   - at once and then every 30 seconds it escalates the incidents still
//     OPEN (not acknowledged) Config.EscalateAfter after they opened, once
//     each (escalated_at set, incident.escalated sent), and compacts the
//     correlation engine (correlate.Engine.Compact) under the service's
//     lock, at now minus the correlation window, so that an alert arriving
//     up to a window after its start still finds its incident.
//
// Errors of a tick are logged, and the next tick tries again.
func (s *Service) Run(ctx context.Context) error {
	if !s.bg.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.bg.running.Store(false)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.deliverLoop(ctx)
	}()
	every := s.bg.tick
	if every <= 0 {
		every = defaultTick
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			<-done
			return nil
		case <-t.C:
		}
	}
}

// tick escalates what is due and compacts the engine.
func (s *Service) tick(ctx context.Context) {
	now := s.nowUTC()
	if _, err := s.escalate(ctx); err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "escalating incidents", "err", err)
	}
	s.compact(now)
}

// escalate marks the incidents OPEN since Config.EscalateAfter or longer
// and not yet escalated as escalated now, in one transaction (one query
// finds them, one update marks them), and queues incident.escalated for
// each. It returns their IDs, ascending.
func (s *Service) escalate(ctx context.Context) ([]int, error) {
	now := s.nowUTC()
	after := s.cfg.EscalateAfter
	if after <= 0 {
		after = DefaultEscalateAfter
	}
	due := []predicate.Incident{
		entincident.StatusEQ(entincident.StatusOpen),
		entincident.EscalatedAtIsNil(),
		entincident.OpenedAtLTE(now.Add(-after)),
	}
	ctx = audit.WithActor(ctx, EscalationActor)
	var ids []int
	err := txn.Do(ctx, s.client, func(tx *ent.Client) error {
		var err error
		ids, err = tx.Incident.Query().Where(due...).Order(entincident.ByID()).IDs(ctx)
		if err != nil {
			return fmt.Errorf("finding incidents to escalate: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		// The conditions again: an incident acknowledged meanwhile is
		// not escalated (PostgreSQL re-reads the row it updates).
		if err := tx.Incident.Update().Where(append(due, entincident.IDIn(ids...))...).
			SetEscalatedAt(now).Exec(ctx); err != nil {
			return fmt.Errorf("escalating incidents: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, EventEscalated, ids...)
	return ids, nil
}

// compact lets the engine forget what can no longer change, and the
// engine incidents it forgot.
func (s *Service) compact(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engine == nil {
		return
	}
	w := s.cfg.Settings.Window
	if w < 0 {
		w = 0
	}
	if s.engine.Compact(now.Add(-w)) == 0 || len(s.incidentOf) == 0 {
		return
	}
	live := map[int]bool{}
	for _, inc := range s.engine.Incidents() {
		live[inc.ID] = true
	}
	for e := range s.incidentOf {
		if !live[e] {
			delete(s.incidentOf, e)
		}
	}
}
