package alerts

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestEscalate escalates OPEN incidents older than EscalateAfter, once
// each, on both backends.
func TestEscalate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		f := newLifeFixture(t, dsn, Config{EscalateAfter: 15 * time.Minute})
		// incidentWith opens an incident 30 s after its first alert.
		mk := func(title string, status entincident.Status, start time.Duration) int {
			return f.incidentWith(title, status, "", fakeAlert{fp: title, ci: "web-01", start: start})
		}
		due := mk("due", entincident.StatusOpen, -20*time.Minute)
		soon := mk("soon", entincident.StatusOpen, -10*time.Minute)
		acked := mk("acked", entincident.StatusAcknowledged, -time.Hour)
		resolved := mk("resolved", entincident.StatusResolved, -time.Hour)
		already := mk("already", entincident.StatusOpen, -time.Hour)
		edge := mk("edge", entincident.StatusOpen, -15*time.Minute-30*time.Second) // opened exactly 15 minutes ago
		earlier := lifeT0.Add(-30 * time.Minute)
		f.tx(func(tx *ent.Client) error {
			return tx.Incident.UpdateOneID(already).SetEscalatedAt(earlier).Exec(f.ctx)
		})
		_ = acked
		_ = resolved

		steps := []struct {
			clock time.Duration
			want  []int
		}{
			{0, sorted(due, edge)},
			{time.Minute, nil}, // once only
			{6 * time.Minute, []int{soon}},
			{time.Hour, nil},
		}
		for _, st := range steps {
			f.clock.Store(int64(st.clock))
			got, err := f.svc.escalate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, st.want) {
				t.Errorf("at +%v escalated %v, want %v", st.clock, got, st.want)
			}
		}
		for _, tc := range []struct {
			id   int
			want *time.Time
		}{
			{due, ptrTime(lifeT0)}, {edge, ptrTime(lifeT0)}, {soon, ptrTime(lifeT0.Add(6 * time.Minute))},
			{acked, nil}, {resolved, nil}, {already, &earlier},
		} {
			inc := f.incident(tc.id)
			if (inc.EscalatedAt == nil) != (tc.want == nil) || inc.EscalatedAt != nil && !inc.EscalatedAt.Equal(*tc.want) {
				t.Errorf("incident %q escalated at %v, want %v", inc.Title, inc.EscalatedAt, tc.want)
			}
		}
		// Audited, by the escalation's actor.
		evs, err := f.db.Client.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeIncident), auditevent.EntityID(due),
			auditevent.ActionEQ(auditevent.ActionUpdate)).All(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Actor != EscalationActor || len(evs[0].Changes) != 1 || evs[0].Changes[0].Field != "escalated_at" {
			t.Errorf("audit of the escalation = %+v, want one change of escalated_at by %s", evs, EscalationActor)
		}
	})
}

// TestRunEscalates: Run escalates at once and on its ticks, and the
// webhook hears of each escalation once.
func TestRunEscalates(t *testing.T) {
	rcv := newReceiver(t)
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{EscalateAfter: 15 * time.Minute})
	f.svc.cfg.Webhooks = []deliver.Webhook{rcv.hook()}
	f.svc.bg.tick = 5 * time.Millisecond
	due := f.incidentWith("due", entincident.StatusOpen, "", fakeAlert{fp: "e1", ci: "web-01", start: -20 * time.Minute})
	run(t, f.svc)
	d := rcv.next(t)
	var n Notification
	if err := json.Unmarshal(d.body, &n); err != nil {
		t.Fatal(err)
	}
	if d.event != EventEscalated || n.Incident.ID != due || n.Incident.EscalatedAt == nil || !n.Incident.EscalatedAt.Equal(lifeT0) {
		t.Errorf("got %s on incident %d escalated at %v, want %s on %d at %v", d.event, n.Incident.ID, n.Incident.EscalatedAt, EventEscalated, due, lifeT0)
	}
	rcv.none(t, 100*time.Millisecond) // twenty ticks later, still once
}

// TestCompact: a tick compacts the engine and forgets the stored mapping
// of the engine incidents it dropped.
func TestCompact(t *testing.T) {
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{EscalateAfter: 15 * time.Minute})
	st := correlate.DefaultSettings()
	eng, err := correlate.NewEngine(correlate.NewMemGraph(nil), nil, st)
	if err != nil {
		t.Fatal(err)
	}
	incs, err := eng.Add(context.Background(),
		correlate.Alert{Key: "old", CI: 1, Start: lifeT0.Add(-3 * time.Hour), End: lifeT0.Add(-2 * time.Hour)},
		correlate.Alert{Key: "new", CI: 2, Start: lifeT0.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 2 {
		t.Fatalf("engine formed %d incidents, want 2", len(incs))
	}
	f.svc.cfg.Settings = st
	f.svc.engine = eng
	f.svc.incidentOf = map[int]int{incs[0].ID: 100, incs[1].ID: 200}
	f.svc.tick(context.Background())
	if got := eng.Incidents(); len(got) != 1 || got[0].ID != incs[1].ID {
		t.Errorf("engine keeps %v after a tick, want only incident %d", got, incs[1].ID)
	}
	if want := map[int]int{incs[1].ID: 200}; len(f.svc.incidentOf) != 1 || f.svc.incidentOf[incs[1].ID] != 200 {
		t.Errorf("incidentOf = %v, want %v", f.svc.incidentOf, want)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
