package kpi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// The period: the week from 1 March 2026.
var (
	from = day(3, 1, 0, 0)
	to   = day(3, 8, 0, 0)
	// now is long after the period.
	now = day(6, 1, 0, 0)
)

func day(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, time.UTC) }

var openMu sync.Mutex

type env struct {
	c     *ent.Client
	count *store.CountingDriver
}

func open(t *testing.T, dsn string) *env {
	t.Helper()
	e := &env{}
	openMu.Lock()
	db, err := app.Open(context.Background(), dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
		e.count = store.NewCountingDriver(d)
		return e.count
	}})
	openMu.Unlock()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e.c = db.Client
	return e
}

func (e *env) tx(t *testing.T, fn func(ctx context.Context, c *ent.Client) error) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test:kpi")
	tx, err := e.c.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// fixture IDs by name.
type fixture map[string]int

// seed writes:
//
//   - owners Net (sw-1, intranet) and App (app-1); db-1 has no owner;
//   - services payments (tier 0, SLO 99.0, db-1 a member), checkout (tier 1,
//     SLO 99.9), intranet (tier 2, no SLO), legacy (tier 3, SLO 99.99);
//   - changes CHG-1 SUCCESSFUL (ends 2 March), CHG-2 FAILED (3 March,
//     caused I2), CHG-3 ROLLED_BACK (4 March), CHG-4 no outcome (5 March),
//     CHG-5 SUCCESSFUL (20 February) and CHG-6 FAILED (20 February, caused
//     I7), the last two outside the period;
//   - incidents (opened, first alert, impact start, ack, resolved, top,
//     services, alerts):
//     I5 3 Feb db-1, 31 days before I6 (not recurring by it);
//     I0 20 Feb 10:00, resolved 11:00, sw-1, payments;
//     I1 2 Mar 10:00, first 09:58, ack 10:05, resolved 11:00, sw-1, {checkout, payments}, 3 alerts;
//     I7 2 Mar 10:30, first 10:29, resolved 11:30, app-1, {payments};
//     I2 3 Mar 12:00, first 11:59, impact 11:50, ack 12:10 (ACKNOWLEDGED), app-1, {checkout}, 2 alerts;
//     I3 4 Mar 00:00, first 00:00, OPEN, no candidate, {intranet}, 1 alert;
//     I6 6 Mar 00:00, first 5 Mar 23:59, resolved 02:00, db-1, no service;
//     I8 8 Mar 00:00 (after the period), sw-1, {checkout};
//   - a suppressed alert on db-1 starting 2 March (counted) and one from 25
//     February (not).
func seed(t *testing.T, e *env) fixture {
	f := fixture{}
	e.tx(t, func(ctx context.Context, c *ent.Client) error {
		net := c.Owner.Create().SetName("Net").SetKind(owner.KindTeam).SaveX(ctx)
		appTeam := c.Owner.Create().SetName("App").SetKind(owner.KindTeam).SaveX(ctx)
		sw := c.ConfigurationItem.Create().SetName("sw-1").SetKind(configurationitem.KindNetworkDevice).SetOwnerID(net.ID).SaveX(ctx)
		ap := c.ConfigurationItem.Create().SetName("app-1").SetKind(configurationitem.KindApplication).SetOwnerID(appTeam.ID).SaveX(ctx)
		db := c.ConfigurationItem.Create().SetName("db-1").SetKind(configurationitem.KindDatabase).SaveX(ctx)
		f["net"], f["app"], f["sw-1"], f["app-1"], f["db-1"] = net.ID, appTeam.ID, sw.ID, ap.ID, db.ID
		svc := func(name string, tier int, slo *float64, own *int, members ...int) int {
			b := c.Service.Create().SetName(name).SetTier(tier).SetNillableSloTarget(slo).SetNillableOwnerID(own).AddMemberIDs(members...)
			return b.SaveX(ctx).ID
		}
		f["payments"] = svc("payments", 0, ptr(99.0), nil, db.ID)
		f["checkout"] = svc("checkout", 1, ptr(99.9), &appTeam.ID)
		f["intranet"] = svc("intranet", 2, nil, &net.ID)
		f["legacy"] = svc("legacy", 3, ptr(99.99), nil)
		chg := func(n string, end time.Time, out *changerecord.Outcome) int {
			return c.ChangeRecord.Create().SetNumber(n).SetTitle(n).SetRequester("ops").SetStatus(changerecord.StatusApproved).
				SetWindowStart(end.Add(-time.Hour)).SetWindowEnd(end).SetNillableOutcome(out).SaveX(ctx).ID
		}
		ok, failed, rolled := changerecord.OutcomeSuccessful, changerecord.OutcomeFailed, changerecord.OutcomeRolledBack
		f["CHG-1"] = chg("CHG-1", day(3, 2, 4, 0), &ok)
		f["CHG-2"] = chg("CHG-2", day(3, 3, 4, 0), &failed)
		f["CHG-3"] = chg("CHG-3", day(3, 4, 4, 0), &rolled)
		f["CHG-4"] = chg("CHG-4", day(3, 5, 4, 0), nil)
		f["CHG-5"] = chg("CHG-5", day(2, 20, 4, 0), &ok)
		f["CHG-6"] = chg("CHG-6", day(2, 20, 5, 0), &failed)
		type in struct {
			name                 string
			opened, first        time.Time
			impact, ack, resolve *time.Time
			top                  *int
			services             []int
			change               *int
			alerts               int
		}
		for _, i := range []in{
			{name: "I5", opened: day(2, 3, 0, 0), first: day(2, 3, 0, 0), resolve: tp(day(2, 3, 1, 0)), top: &db.ID},
			{name: "I0", opened: day(2, 20, 10, 0), first: day(2, 20, 10, 0), resolve: tp(day(2, 20, 11, 0)), top: &sw.ID, services: []int{f["payments"]}},
			{name: "I1", opened: day(3, 2, 10, 0), first: day(3, 2, 9, 58), ack: tp(day(3, 2, 10, 5)), resolve: tp(day(3, 2, 11, 0)), top: &sw.ID, services: []int{f["checkout"], f["payments"]}, alerts: 3},
			{name: "I7", opened: day(3, 2, 10, 30), first: day(3, 2, 10, 29), resolve: tp(day(3, 2, 11, 30)), top: &ap.ID, services: []int{f["payments"]}, change: ptr(f["CHG-6"])},
			{name: "I2", opened: day(3, 3, 12, 0), first: day(3, 3, 11, 59), impact: tp(day(3, 3, 11, 50)), ack: tp(day(3, 3, 12, 10)), top: &ap.ID, services: []int{f["checkout"]}, change: ptr(f["CHG-2"]), alerts: 2},
			{name: "I3", opened: day(3, 4, 0, 0), first: day(3, 4, 0, 0), services: []int{f["intranet"]}, alerts: 1},
			{name: "I6", opened: day(3, 6, 0, 0), first: day(3, 5, 23, 59), resolve: tp(day(3, 6, 2, 0)), top: &db.ID},
			{name: "I8", opened: day(3, 8, 0, 0), first: day(3, 8, 0, 0), top: &sw.ID, services: []int{f["checkout"]}, alerts: 1},
		} {
			status := incident.StatusOpen
			switch {
			case i.resolve != nil:
				status = incident.StatusResolved
			case i.ack != nil:
				status = incident.StatusAcknowledged
			}
			row := c.Incident.Create().SetTitle(i.name).SetStatus(status).SetOpenedAt(i.opened).
				SetFirstAlertAt(i.first).SetLastAlertAt(i.first).SetNillableImpactStartedAt(i.impact).
				SetNillableAcknowledgedAt(i.ack).SetNillableResolvedAt(i.resolve).SetNillableTopCandidateID(i.top).
				SetNillableCausedByChangeID(i.change).AddServiceIDs(i.services...).SetAlertCount(i.alerts).SaveX(ctx)
			f[i.name] = row.ID
			for n := range i.alerts {
				c.Alert.Create().SetFingerprint(fmt.Sprintf("%s-%d", i.name, n)).SetStatus(alert.StatusFiring).
					SetLabels(map[string]string{"alertname": "Down"}).SetStartsAt(i.first).SetSource(alert.SourceAPI).
					SetIncidentID(row.ID).ExecX(ctx)
			}
		}
		for _, s := range []struct {
			fp     string
			starts time.Time
		}{{"sup-in", day(3, 2, 3, 30)}, {"sup-out", day(2, 25, 0, 0)}} {
			c.Alert.Create().SetFingerprint(s.fp).SetStatus(alert.StatusFiring).SetLabels(map[string]string{"alertname": "Down"}).
				SetStartsAt(s.starts).SetSource(alert.SourceAPI).SetConfigurationItemID(db.ID).SetSuppressedByID(f["CHG-1"]).ExecX(ctx)
		}
		return nil
	})
	return f
}

func ptr[T any](v T) *T           { return &v }
func tp(t time.Time) *time.Time   { return &t }
func fp(v float64) *float64       { return &v }
func name(s string) *string       { return &s }
func id(f fixture, n string) *int { return ptr(f[n]) }

func TestCompute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		total := Group{GroupBy: Total, Incidents: 5, Open: 1, Acknowledged: 1, Resolved: 3,
			MTTA: fp(450), MTTR: fp(4800), MTTD: fp(168), Recurring: 3, Alerts: 6, SuppressedAlerts: 1}
		changes := ChangeOutcomes{Total: 3, Successful: 1, Failed: 1, RolledBack: 1, SuccessRate: fp(1.0 / 3), CausedIncidents: 1}
		period := to.Sub(from).Seconds()
		avail := []struct {
			service  string
			down     int
			slo      float64
			breached bool
		}{
			{"payments", 5400, 99.0, false},  // I1 ∪ I7: 10:00–11:30
			{"checkout", 392400, 99.9, true}, // I1 1 h + I2 from 3 Mar 12:00 to the end
			{"legacy", 0, 99.99, false},
		}
		for _, tc := range []struct {
			by     GroupBy
			groups []Group
		}{
			{Service, []Group{
				{GroupBy: Service, ID: id(f, "checkout"), Name: name("checkout"), Incidents: 2, Acknowledged: 1, Resolved: 1, MTTA: fp(450), MTTR: fp(3600), MTTD: fp(360), Recurring: 2, Alerts: 5},
				{GroupBy: Service, ID: id(f, "payments"), Name: name("payments"), Incidents: 2, Resolved: 2, MTTA: fp(300), MTTR: fp(3600), MTTD: fp(90), Recurring: 2, Alerts: 3, SuppressedAlerts: 1},
				{GroupBy: Service, ID: id(f, "intranet"), Name: name("intranet"), Incidents: 1, Open: 1, MTTD: fp(0), Alerts: 1},
				{GroupBy: Service, Incidents: 1, Resolved: 1, MTTR: fp(7200), MTTD: fp(60)},
			}},
			{ConfigurationItem, []Group{
				{GroupBy: ConfigurationItem, ID: id(f, "app-1"), Name: name("app-1"), Incidents: 2, Acknowledged: 1, Resolved: 1, MTTA: fp(600), MTTR: fp(3600), MTTD: fp(330), Recurring: 2, Alerts: 2},
				{GroupBy: ConfigurationItem, ID: id(f, "db-1"), Name: name("db-1"), Incidents: 1, Resolved: 1, MTTR: fp(7200), MTTD: fp(60), SuppressedAlerts: 1},
				{GroupBy: ConfigurationItem, ID: id(f, "sw-1"), Name: name("sw-1"), Incidents: 1, Resolved: 1, MTTA: fp(300), MTTR: fp(3600), MTTD: fp(120), Recurring: 1, Alerts: 3},
				{GroupBy: ConfigurationItem, Incidents: 1, Open: 1, MTTD: fp(0), Alerts: 1},
			}},
			{Owner, []Group{
				{GroupBy: Owner, ID: id(f, "app"), Name: name("App"), Incidents: 2, Acknowledged: 1, Resolved: 1, MTTA: fp(600), MTTR: fp(3600), MTTD: fp(330), Recurring: 2, Alerts: 2},
				{GroupBy: Owner, ID: id(f, "net"), Name: name("Net"), Incidents: 2, Open: 1, Resolved: 1, MTTA: fp(300), MTTR: fp(3600), MTTD: fp(60), Recurring: 1, Alerts: 4},
				{GroupBy: Owner, Incidents: 1, Resolved: 1, MTTR: fp(7200), MTTD: fp(60), SuppressedAlerts: 1},
			}},
		} {
			t.Run(string(tc.by), func(t *testing.T) {
				rep, err := ComputeWith(context.Background(), e.c, from, to, Options{GroupBy: tc.by, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				checkGroup(t, "total", rep.Total, total)
				if len(rep.Groups) != len(tc.groups) {
					for _, g := range rep.Groups {
						t.Logf("got group %s", show(g))
					}
					t.Fatalf("%d groups, want %d", len(rep.Groups), len(tc.groups))
				}
				for i, want := range tc.groups {
					checkGroup(t, fmt.Sprintf("group %d", i), rep.Groups[i], want)
				}
				if show(changes) != show(rep.Changes) {
					t.Errorf("changes = %s, want %s", show(rep.Changes), show(changes))
				}
				if len(rep.Availability) != len(avail) {
					t.Fatalf("%d availability rows, want %d", len(rep.Availability), len(avail))
				}
				for i, w := range avail {
					got := rep.Availability[i]
					want := 100 * (1 - float64(w.down)/period)
					if got.Service.Name != w.service || got.DowntimeSeconds != w.down || !near(got.Availability, want) ||
						got.SLOTarget == nil || *got.SLOTarget != w.slo || got.Breached != w.breached {
						t.Errorf("availability[%d] = %s %ds %.6f%% slo %v breached %v, want %s %ds %.6f%% slo %v breached %v",
							i, got.Service.Name, got.DowntimeSeconds, got.Availability, got.SLOTarget, got.Breached,
							w.service, w.down, want, w.slo, w.breached)
					}
				}
			})
		}
	})
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func show(v any) string {
	switch g := v.(type) {
	case Group:
		s := fmt.Sprintf("%s id=%s name=%s n=%d open=%d ack=%d res=%d mtta=%s mttr=%s mttd=%s rec=%d alerts=%d sup=%d",
			g.GroupBy, opt(g.ID), opt(g.Name), g.Incidents, g.Open, g.Acknowledged, g.Resolved, opt(g.MTTA), opt(g.MTTR), opt(g.MTTD), g.Recurring, g.Alerts, g.SuppressedAlerts)
		return s
	case ChangeOutcomes:
		return fmt.Sprintf("total=%d ok=%d failed=%d rolled=%d rate=%s caused=%d", g.Total, g.Successful, g.Failed, g.RolledBack, opt(g.SuccessRate), g.CausedIncidents)
	}
	return fmt.Sprint(v)
}

func opt[T any](p *T) string {
	if p == nil {
		return "null"
	}
	if f, ok := any(*p).(float64); ok {
		return fmt.Sprintf("%.6f", f)
	}
	return fmt.Sprint(*p)
}

func checkGroup(t *testing.T, what string, got, want Group) {
	t.Helper()
	if show(got) != show(want) {
		t.Errorf("%s = %s\nwant     %s", what, show(got), show(want))
	}
}

// TestComputeEmpty: a period with nothing has zero counts and null means.
func TestComputeEmpty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		rep, err := Compute(context.Background(), e.c, from, to, "")
		if err != nil {
			t.Fatal(err)
		}
		checkGroup(t, "total", rep.Total, Group{GroupBy: Total})
		if rep.GroupBy != Service || len(rep.Groups) != 0 || rep.Changes.SuccessRate != nil || len(rep.Availability) != 0 {
			t.Errorf("empty report = %+v", rep)
		}
	})
}

// TestComputeStatements: the statements do not grow with the incidents.
func TestComputeStatements(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		measure := func() int64 {
			e.count.Reset()
			if _, err := Compute(context.Background(), e.c, from, to, Owner); err != nil {
				t.Fatal(err)
			}
			return e.count.Count()
		}
		before := measure()
		e.tx(t, func(ctx context.Context, c *ent.Client) error {
			for i := range 30 {
				at := day(3, 5, i%24, 0)
				c.Incident.Create().SetTitle(fmt.Sprint("extra ", i)).SetOpenedAt(at).SetFirstAlertAt(at).SetLastAlertAt(at).
					SetTopCandidateID(f["app-1"]).AddServiceIDs(f["checkout"], f["legacy"]).ExecX(ctx)
			}
			return nil
		})
		if after := measure(); after != before || before > 14 {
			t.Errorf("statements: %d with 5 incidents, %d with 35 (want equal, at most 14)", before, after)
		}
	})
}

func TestComputeInvalid(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		for _, tc := range []struct {
			name     string
			from, to time.Time
			by       GroupBy
			field    string
		}{
			{"equal", from, from, Service, "to"},
			{"reversed", to, from, Service, "to"},
			{"too long", from, from.Add(367 * 24 * time.Hour), Service, "to"},
			{"unknown grouping", from, to, "VENDOR", "groupBy"},
		} {
			_, err := Compute(context.Background(), e.c, tc.from, tc.to, tc.by)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != tc.field {
				t.Errorf("%s: err = %v, want BAD_USER_INPUT on %s", tc.name, err, tc.field)
			}
		}
		if _, err := Compute(context.Background(), e.c, from, from.Add(MaxRange), Service); err != nil {
			t.Errorf("a period of exactly %v: %v", MaxRange, err)
		}
	})
}

func TestUnion(t *testing.T) {
	h := func(n int) time.Time { return from.Add(time.Duration(n) * time.Hour) }
	for _, tc := range []struct {
		name  string
		spans []span
		want  time.Duration
	}{
		{"none", nil, 0},
		{"one", []span{{h(0), h(2)}}, 2 * time.Hour},
		{"disjoint", []span{{h(5), h(6)}, {h(0), h(2)}}, 3 * time.Hour},
		{"overlap", []span{{h(0), h(2)}, {h(1), h(3)}}, 3 * time.Hour},
		{"nested", []span{{h(0), h(5)}, {h(1), h(2)}, {h(3), h(4)}}, 5 * time.Hour},
		{"touching", []span{{h(0), h(1)}, {h(1), h(2)}}, 2 * time.Hour},
	} {
		if got := union(tc.spans); got != tc.want {
			t.Errorf("union(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestMergedIncidentsCountInNoFigure: an incident merged into another
// changes no figure of any grouping, though it is in the period, was
// acknowledged and resolved, has alerts, a top candidate that would make I6
// recurring, services with an SLO and a change linked as its cause.
func TestMergedIncidentsCountInNoFigure(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		reports := func() map[GroupBy]Report {
			out := map[GroupBy]Report{}
			for _, g := range []GroupBy{Service, Owner, ConfigurationItem} {
				r, err := ComputeWith(context.Background(), e.c, from, to, Options{GroupBy: g, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				out[g] = r
			}
			return out
		}
		before := reports()
		e.tx(t, func(ctx context.Context, c *ent.Client) error {
			m := c.Incident.Create().SetTitle("IM").SetStatus(incident.StatusResolved).SetOpenedAt(day(3, 5, 0, 0)).
				SetFirstAlertAt(day(3, 4, 23, 0)).SetLastAlertAt(day(3, 5, 0, 0)).SetAcknowledgedAt(day(3, 5, 0, 1)).
				SetResolvedAt(day(3, 5, 6, 0)).SetTopCandidateID(f["db-1"]).AddServiceIDs(f["legacy"], f["payments"]).
				SetCausedByChangeID(f["CHG-3"]).SetAlertCount(2).SetMergedIntoID(f["I1"]).SaveX(ctx)
			for n := range 2 {
				c.Alert.Create().SetFingerprint(fmt.Sprintf("IM-%d", n)).SetStatus(alert.StatusResolved).
					SetLabels(map[string]string{"alertname": "Down"}).SetStartsAt(day(3, 4, 23, 0)).SetSource(alert.SourceAPI).
					SetIncidentID(m.ID).ExecX(ctx)
			}
			return nil
		})
		after := reports()
		for g, want := range before {
			got := after[g]
			if showReport(got) != showReport(want) {
				t.Errorf("%s: with a merged incident\n%s\nwant\n%s", g, showReport(got), showReport(want))
			}
		}
	})
}

// showReport prints a report's figures (pointers followed).
func showReport(r Report) string {
	g := func(x Group) string {
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprintf("%.1f", *p)
		}
		return fmt.Sprintf("%v %v %d(%d/%d/%d) mtta %s mttr %s mttd %s rec %d alerts %d sup %d",
			deref(x.Name), x.ID != nil, x.Incidents, x.Open, x.Acknowledged, x.Resolved, f(x.MTTA), f(x.MTTR), f(x.MTTD), x.Recurring, x.Alerts, x.SuppressedAlerts)
	}
	s := "total " + g(r.Total) + "\n"
	for _, x := range r.Groups {
		s += "  " + g(x) + "\n"
	}
	c := r.Changes
	rate := "-"
	if c.SuccessRate != nil {
		rate = fmt.Sprintf("%.3f", *c.SuccessRate)
	}
	s += fmt.Sprintf("changes %d (%d/%d/%d) rate %s caused %d\n", c.Total, c.Successful, c.Failed, c.RolledBack, rate, c.CausedIncidents)
	for _, a := range r.Availability {
		s += fmt.Sprintf("  %s down %d availability %.4f breached %v\n", a.Service.Name, a.DowntimeSeconds, a.Availability, a.Breached)
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
