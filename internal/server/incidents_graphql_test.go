package server_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// The incident estate's clock: incident A opened at incT0, B a day before.
var incT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// incidentFixture names what incidentGraph seeded.
type incidentFixture map[string]int

// incidentGraph seeds, through the ent client:
//
//   - core-sw01 (network device) with web-01 and db-01 CONNECTS_TO it;
//     services infra (tier 0, SLO 99.0, member core-sw01) and shop (tier 1,
//     SLO 99.9, member web-01); change CHG-7 (approved);
//   - incident A, OPEN, opened incT0, first alert 2 minutes before: top
//     candidate core-sw01 (silent, paths web-01 → core-sw01 and db-01 →
//     core-sw01), then web-01 (alerted, its own path); alerted CIs web-01 and
//     db-01; services infra and shop; alerts a-web and a-db;
//   - incident B, RESOLVED, opened a day before, acknowledged after 5
//     minutes and resolved after an hour: candidate db-01; service shop;
//     alert b-db (resolved);
//   - alert u-1 bound to nothing; alert s-1 on web-01 suppressed by CHG-7.
func incidentGraph(t *testing.T, env *servertest.Env) incidentFixture {
	t.Helper()
	f := incidentFixture{}
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		sw := tx.ConfigurationItem.Create().SetName("core-sw01").SetKind(configurationitem.KindNetworkDevice).SaveX(ctx)
		web := tx.ConfigurationItem.Create().SetName("web-01").SetKind(configurationitem.KindServer).SaveX(ctx)
		db := tx.ConfigurationItem.Create().SetName("db-01").SetKind(configurationitem.KindServer).SaveX(ctx)
		f["sw"], f["web"], f["db"] = sw.ID, web.ID, db.ID
		f["web-sw"] = tx.Relationship.Create().SetFromID(web.ID).SetToID(sw.ID).SetType("CONNECTS_TO").SaveX(ctx).ID
		f["db-sw"] = tx.Relationship.Create().SetFromID(db.ID).SetToID(sw.ID).SetType("CONNECTS_TO").SaveX(ctx).ID
		f["infra"] = tx.Service.Create().SetName("infra").SetTier(0).SetSloTarget(99.0).AddMemberIDs(sw.ID).SaveX(ctx).ID
		f["shop"] = tx.Service.Create().SetName("shop").SetTier(1).SetSloTarget(99.9).AddMemberIDs(web.ID).SaveX(ctx).ID
		f["chg"] = tx.ChangeRecord.Create().SetNumber("CHG-7").SetTitle("switch firmware").SetRequester("ops").
			SetStatus(changerecord.StatusApproved).SetWindowStart(incT0.Add(-time.Hour)).SetWindowEnd(incT0.Add(time.Hour)).SaveX(ctx).ID
		a := tx.Incident.Create().SetTitle("core-sw01: 2 alerts on 2 CIs").SetOpenedAt(incT0).
			SetFirstAlertAt(incT0.Add(-2*time.Minute)).SetLastAlertAt(incT0).SetTopCandidateID(sw.ID).
			SetCandidates([]schematype.CauseCandidate{
				{CI: sw.ID, Score: 1.0, Reasons: []string{"shared dependency of 2 alerted CIs"}, Paths: [][]int{{web.ID, sw.ID}, {db.ID, sw.ID}}, PathCount: 2},
				{CI: web.ID, Score: 0.6, Alerted: true, Reasons: []string{"alerted, no alerted dependency"}, Paths: [][]int{{web.ID}}, PathCount: 1},
			}).
			AddConfigurationItemIDs(web.ID, db.ID).AddServiceIDs(f["shop"], f["infra"]).SetAlertCount(2).SetFiringCount(2).SaveX(ctx)
		b := tx.Incident.Create().SetTitle("db-01 down").SetStatus(incident.StatusResolved).SetOpenedAt(incT0.Add(-24 * time.Hour)).
			SetFirstAlertAt(incT0.Add(-24 * time.Hour)).SetLastAlertAt(incT0.Add(-24 * time.Hour)).
			SetAcknowledgedAt(incT0.Add(-24*time.Hour + 5*time.Minute)).SetResolvedAt(incT0.Add(-23 * time.Hour)).
			SetTopCandidateID(db.ID).SetCandidates([]schematype.CauseCandidate{{CI: db.ID, Score: 0.5, Alerted: true, Reasons: []string{"alerted"}, Paths: [][]int{{db.ID}}, PathCount: 1}}).
			AddConfigurationItemIDs(db.ID).AddServiceIDs(f["shop"]).SetAlertCount(1).SaveX(ctx)
		f["A"], f["B"] = a.ID, b.ID
		mk := func(fp string, ci *int, status alert.Status, inc *int, starts time.Time) *ent.AlertCreate {
			c := tx.Alert.Create().SetFingerprint(fp).SetName("InstanceDown").SetStatus(status).
				SetLabels(map[string]string{"alertname": "InstanceDown", "instance": fp + ":9100"}).
				SetAnnotations(map[string]string{"summary": fp + " is down"}).
				SetStartsAt(starts).SetSource(alert.SourceAlertmanager).SetNillableConfigurationItemID(ci).SetNillableIncidentID(inc)
			if ci != nil {
				c.SetBoundBy(alert.BoundByInstance)
			}
			return c
		}
		f["a-web"] = mk("a-web", &web.ID, alert.StatusFiring, &a.ID, incT0.Add(-2*time.Minute)).SaveX(ctx).ID
		f["a-db"] = mk("a-db", &db.ID, alert.StatusFiring, &a.ID, incT0.Add(-time.Minute)).SaveX(ctx).ID
		f["b-db"] = mk("b-db", &db.ID, alert.StatusResolved, &b.ID, incT0.Add(-24*time.Hour)).SaveX(ctx).ID
		f["u-1"] = mk("u-1", nil, alert.StatusFiring, nil, incT0).SetBindingNote(`no CI matches host="ghost"`).SaveX(ctx).ID
		f["s-1"] = mk("s-1", &web.ID, alert.StatusFiring, nil, incT0).SetSuppressedByID(f["chg"]).SaveX(ctx).ID
		return nil
	})
	return f
}

// gid is a fixture ID as GraphQL sends it.
func (f incidentFixture) gid(name string) string { return fmt.Sprint(f[name]) }

// titles lists the titles of an incidents connection's nodes.
func incidentTitles(t *testing.T, d map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range get(t, d, "incidents.edges").([]any) {
		out = append(out, str(t, e, "node.title"))
	}
	return out
}

func TestIncidentsQuery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := incidentGraph(t, env)
		const q = `query($w: IncidentWhereInput) { incidents(where: $w, orderBy: [{field: OPENED_AT, direction: DESC}]) { totalCount edges { node { title } } } }`
		for _, tc := range []struct {
			name  string
			where map[string]any
			want  []string
		}{
			{"all", nil, []string{"core-sw01: 2 alerts on 2 CIs", "db-01 down"}},
			{"open", map[string]any{"status": "OPEN"}, []string{"core-sw01: 2 alerts on 2 CIs"}},
			{"resolved", map[string]any{"statusIn": []string{"RESOLVED"}}, []string{"db-01 down"}},
			{"service shop", map[string]any{"hasServicesWith": []any{map[string]any{"name": "shop"}}}, []string{"core-sw01: 2 alerts on 2 CIs", "db-01 down"}},
			{"service infra", map[string]any{"hasServicesWith": []any{map[string]any{"name": "infra"}}}, []string{"core-sw01: 2 alerts on 2 CIs"}},
			{"CI db-01", map[string]any{"hasConfigurationItemsWith": []any{map[string]any{"name": "db-01"}}}, []string{"core-sw01: 2 alerts on 2 CIs", "db-01 down"}},
			{"CI web-01", map[string]any{"hasConfigurationItemsWith": []any{map[string]any{"name": "web-01"}}}, []string{"core-sw01: 2 alerts on 2 CIs"}},
			{"top candidate", map[string]any{"hasTopCandidateWith": []any{map[string]any{"name": "db-01"}}}, []string{"db-01 down"}},
			{"opened since", map[string]any{"openedAtGTE": incT0.Add(-time.Hour).Format(time.RFC3339)}, []string{"core-sw01: 2 alerts on 2 CIs"}},
			{"opened before", map[string]any{"openedAtLT": incT0.Add(-time.Hour).Format(time.RFC3339)}, []string{"db-01 down"}},
		} {
			d := data(t, env.Do(t, env.Viewer, q, map[string]any{"w": tc.where}))
			if got := incidentTitles(t, d); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}

		// An incident in full, as a viewer reads it.
		const full = `query($id: ID!) { node(id: $id) { ... on Incident {
			title status openedAt acknowledgedAt resolvedAt timeToDetect timeToAcknowledge timeToResolve
			topCandidate { name }
			rootCauseCandidates { configurationItem { name kind } score alerted reasons pathCount
				paths { length cis { name } relationships { type from { name } to { name } } } }
			impactedServices { name tier sloTarget }
			topCandidateImpact { root { name } count nodes { depth ci { name } } }
		} } }`
		resp := env.Do(t, env.Viewer, full, map[string]any{"id": f.gid("A")}).OK(t)
		golden(t, "incident_full", resp.Data)
		d := data(t, resp)
		if got := get(t, d, "node.timeToDetect"); got != float64(120) {
			t.Errorf("timeToDetect = %v, want 120", got)
		}
		if got := get(t, d, "node.timeToAcknowledge"); got != nil {
			t.Errorf("timeToAcknowledge = %v, want null", got)
		}
		if got := str(t, d, "node.rootCauseCandidates.0.paths.1.relationships.0.from.name"); got != "db-01" {
			t.Errorf("second path starts at %q, want db-01", got)
		}
		// Paths selecting only the relationships' type still find them
		// (their ends are loaded whatever the selection).
		dt := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Incident { rootCauseCandidates { paths { relationships { type } } } } } }`,
			map[string]any{"id": f.gid("A")}))
		var types [][][]any
		for _, c := range get(t, dt, "node.rootCauseCandidates").([]any) {
			var ps [][]any
			for _, p := range get(t, c.(map[string]any), "paths").([]any) {
				var ts []any
				for _, r := range get(t, p.(map[string]any), "relationships").([]any) {
					ts = append(ts, get(t, r.(map[string]any), "type"))
				}
				ps = append(ps, ts)
			}
			types = append(types, ps)
		}
		if got := fmt.Sprint(types); got != "[[[CONNECTS_TO] [CONNECTS_TO]] [[]]]" {
			t.Errorf("paths selecting only relationships { type } = %s, want [[[CONNECTS_TO] [CONNECTS_TO]] [[]]]", got)
		}
		if got := get(t, d, "node.topCandidateImpact.count"); got != float64(2) {
			t.Errorf("topCandidateImpact.count = %v, want 2", got)
		}
		if got := fmt.Sprint(get(t, d, "node.impactedServices")); got != "[map[name:infra sloTarget:99 tier:0] map[name:shop sloTarget:99.9 tier:1]]" {
			t.Errorf("impactedServices = %s", got)
		}
		db := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Incident { timeToDetect timeToAcknowledge timeToResolve topCandidateImpact { count } } } }`,
			map[string]any{"id": f.gid("B")}))
		if got := fmt.Sprint(get(t, db, "node")); got != "map[timeToAcknowledge:300 timeToDetect:0 timeToResolve:3600 topCandidateImpact:map[count:0]]" {
			t.Errorf("incident B times = %s", got)
		}
	})
}

// TestIncidentListStatements: an incident list with its candidates, their
// CIs, paths and impacted services loads in the same number of statements
// for 2 incidents as for 12.
func TestIncidentListStatements(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{CountStatements: true})
		f := incidentGraph(t, env)
		const q = `{ incidents(first: 20) { edges { node { title
			rootCauseCandidates { configurationItem { name owner { name } } score paths { length cis { name } relationships { type } } }
			impactedServices { name owner { name } }
		} } } }`
		measure := func() (int64, int) {
			env.Counter.Reset()
			d := data(t, env.Do(t, env.Viewer, q, nil))
			return env.Counter.Count(), len(get(t, d, "incidents.edges").([]any))
		}
		measure() // warm: the token lookup is cached after the first request
		small, n := measure()
		if n != 2 {
			t.Fatalf("%d incidents, want 2", n)
		}
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			for i := range 10 {
				tx.Incident.Create().SetTitle(fmt.Sprint("more ", i)).SetOpenedAt(incT0).SetFirstAlertAt(incT0).SetLastAlertAt(incT0).
					SetCandidates([]schematype.CauseCandidate{{CI: f["sw"], Score: 1, Paths: [][]int{{f["web"], f["sw"]}}, PathCount: 1}, {CI: f["db"], Score: 0.2}}).
					AddServiceIDs(f["shop"], f["infra"]).ExecX(ctx)
			}
			return nil
		})
		large, n := measure()
		if n != 12 || large != small {
			t.Errorf("statements: %d for 2 incidents, %d for %d; want the same", small, large, n)
		}
	})
}

func TestAlertsQuery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		incidentGraph(t, env)
		const q = `query($w: AlertWhereInput) { alerts(where: $w, orderBy: [{field: FINGERPRINT}]) { edges { node { fingerprint bindingNote } } } }`
		for _, tc := range []struct {
			name  string
			where map[string]any
			want  string
		}{
			{"unbound", map[string]any{"boundByIsNil": true}, `[u-1 no CI matches host="ghost"]`},
			{"suppressed", map[string]any{"hasSuppressedBy": true}, "[s-1 <nil>]"},
			{"firing on web-01", map[string]any{"status": "FIRING", "hasConfigurationItemWith": []any{map[string]any{"name": "web-01"}}}, "[a-web <nil> s-1 <nil>]"},
			{"of an open incident", map[string]any{"hasIncidentWith": []any{map[string]any{"status": "OPEN"}}}, "[a-db <nil> a-web <nil>]"},
			{"in no incident", map[string]any{"hasIncident": false}, "[s-1 <nil> u-1 no CI matches host=\"ghost\"]"},
		} {
			d := data(t, env.Do(t, env.Viewer, q, map[string]any{"w": tc.where}))
			var got []any
			for _, e := range get(t, d, "alerts.edges").([]any) {
				got = append(got, get(t, e, "node.fingerprint"), get(t, e, "node.bindingNote"))
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
			}
		}
		d := data(t, env.Do(t, env.Viewer, `{ alerts(where: {fingerprint: "s-1"}) { edges { node { labels annotations suppressedBy { number } incident { id } } } } }`, nil))
		if got := fmt.Sprint(get(t, d, "alerts.edges.0.node")); got != "map[annotations:map[summary:s-1 is down] incident:<nil> labels:map[alertname:InstanceDown instance:s-1:9100] suppressedBy:map[number:CHG-7]]" {
			t.Errorf("suppressed alert = %s", got)
		}
	})
}

func TestOperationsKPIsQuery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		incidentGraph(t, env)
		from, to := incT0.Add(-48*time.Hour), incT0.Add(24*time.Hour)
		const q = `query($from: Time!, $to: Time!, $by: KPIGroupBy) { operationsKPIs(from: $from, to: $to, groupBy: $by) {
			from to
			total { groupBy incidents open acknowledged resolved mtta mttr mttd recurring alerts suppressedAlerts }
			groups { groupBy name incidents recurring alerts suppressedAlerts }
			changes { total successRate causedIncidents }
			availability { service { name } downtimeSeconds availability sloTarget breached }
		} }`
		vars := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "by": "CONFIGURATION_ITEM"}
		d := data(t, env.Do(t, env.Viewer, q, vars))
		k := get(t, d, "operationsKPIs").(map[string]any)
		// A recurs: it hit shop, like B the day before.
		if got := fmt.Sprint(k["total"]); got != "map[acknowledged:0 alerts:3 groupBy:TOTAL incidents:2 mtta:300 mttd:60 mttr:3600 open:1 recurring:1 resolved:1 suppressedAlerts:1]" {
			t.Errorf("total = %s", got)
		}
		if got := fmt.Sprint(k["groups"]); got != "[map[alerts:2 groupBy:CONFIGURATION_ITEM incidents:1 name:core-sw01 recurring:1 suppressedAlerts:0] "+
			"map[alerts:1 groupBy:CONFIGURATION_ITEM incidents:1 name:db-01 recurring:0 suppressedAlerts:0] "+
			"map[alerts:0 groupBy:CONFIGURATION_ITEM incidents:0 name:web-01 recurring:0 suppressedAlerts:1]]" {
			t.Errorf("groups = %s", got)
		}
		// A is still open: infra has been down from incT0 to the end (now is
		// later), shop also for B's hour.
		period := to.Sub(from).Seconds()
		for i, w := range []struct {
			name     string
			down     float64
			breached bool
		}{{"infra", 24 * 3600, true}, {"shop", 25 * 3600, true}} {
			a := get(t, k, fmt.Sprintf("availability.%d", i)).(map[string]any)
			want := 100 * (1 - w.down/period)
			if str(t, a, "service.name") != w.name || a["downtimeSeconds"] != w.down || math.Abs(a["availability"].(float64)-want) > 1e-9 || a["breached"] != w.breached {
				t.Errorf("availability %d = %v, want %s down %v (%.4f%%)", i, a, w.name, w.down, want)
			}
		}
		// Bad periods name the field.
		for _, bad := range []map[string]any{
			{"from": to.Format(time.RFC3339), "to": from.Format(time.RFC3339)},
			{"from": from.Format(time.RFC3339), "to": from.Add(400 * 24 * time.Hour).Format(time.RFC3339)},
		} {
			wantErr(t, env.Do(t, env.Viewer, q, bad), "BAD_USER_INPUT", "to", "")
		}
	})
}

// alertsServer serves the same database with the alert service, as cairn
// serve does with intake on; env's tokens work on it.
func alertsServer(t *testing.T, env *servertest.Env) *servertest.Env {
	t.Helper()
	srv, _ := alertsServerWith(t, env)
	return srv
}

func alertsServerWith(t *testing.T, env *servertest.Env) (*servertest.Env, *alerts.Service) {
	t.Helper()
	svc, err := alerts.New(context.Background(), env.DB.Client, env.DB.Store, alerts.Config{Settings: correlate.DefaultSettings()})
	if err != nil {
		t.Fatalf("alerts.New: %v", err)
	}
	srv, err := server.New(env.DB, server.Config{Alerts: svc, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	out := *env
	out.Server = srv
	out.HTTP = httptest.NewServer(srv)
	t.Cleanup(out.HTTP.Close)
	return &out, svc
}

// TestIncidentFromIngest: alerts ingested on two hosts behind one switch
// read back as one incident whose candidates carry the stored paths, with
// their CIs and relationships, and the service hit.
func TestIncidentFromIngest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			sw := tx.ConfigurationItem.Create().SetName("core-sw01").SetKind(configurationitem.KindNetworkDevice).SaveX(ctx)
			web := tx.ConfigurationItem.Create().SetName("web-01").SetKind(configurationitem.KindServer).SetHostname("web-01").SaveX(ctx)
			app := tx.ConfigurationItem.Create().SetName("app-01").SetKind(configurationitem.KindServer).SetHostname("app-01").SaveX(ctx)
			for _, from := range []int{web.ID, app.ID} {
				tx.Relationship.Create().SetFromID(from).SetToID(sw.ID).SetType("CONNECTS_TO").ExecX(ctx)
			}
			tx.Service.Create().SetName("shop").SetTier(1).AddMemberIDs(web.ID).ExecX(ctx)
			return nil
		})
		_, svc := alertsServerWith(t, env)
		start := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		batch, err := intake.ParseAlerts([]byte(`[
			{"status": "firing", "labels": {"alertname": "InstanceDown", "instance": "web-01:9100"}, "startsAt": "`+start+`"},
			{"status": "firing", "labels": {"alertname": "InstanceDown", "instance": "app-01:9100"}, "startsAt": "`+start+`"}]`), intake.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Ingest(audit.WithActor(context.Background(), "test:ingest"), alerts.Batch{Source: alert.SourceAPI, Alerts: batch}); err != nil {
			t.Fatalf("Ingest: %v", err)
		}
		d := data(t, env.Do(t, env.Viewer, `{ incidents { edges { node {
			status topCandidate { name } impactedServices { name }
			rootCauseCandidates { configurationItem { name } alerted pathCount paths { length cis { name } relationships { type from { name } to { name } } } }
		} } } }`, nil))
		edges := get(t, d, "incidents.edges").([]any)
		if len(edges) != 1 {
			t.Fatalf("%d incidents, want 1: %v", len(edges), d)
		}
		n := get(t, edges[0], "node")
		if got := fmt.Sprint(get(t, n, "impactedServices")); got != "[map[name:shop]]" {
			t.Errorf("impactedServices = %s", got)
		}
		// core-sw01 explains both hosts: its paths run from each to it,
		// each over the host's CONNECTS_TO.
		var sw any
		for _, c := range get(t, n, "rootCauseCandidates").([]any) {
			if get(t, c, "configurationItem.name") == "core-sw01" {
				sw = c
			}
		}
		if sw == nil {
			t.Fatalf("core-sw01 is no candidate: %v", n)
		}
		paths := map[string]string{}
		for _, p := range get(t, sw, "paths").([]any) {
			if get(t, p, "length") != float64(1) || len(get(t, p, "cis").([]any)) != 2 || len(get(t, p, "relationships").([]any)) != 1 {
				t.Errorf("path %v", p)
				continue
			}
			paths[str(t, p, "cis.0.name")] = fmt.Sprintf("%s %s→%s", str(t, p, "relationships.0.type"), str(t, p, "relationships.0.from.name"), str(t, p, "relationships.0.to.name"))
		}
		if fmt.Sprint(paths) != "map[app-01:CONNECTS_TO app-01→core-sw01 web-01:CONNECTS_TO web-01→core-sw01]" || get(t, sw, "pathCount") != float64(2) || get(t, sw, "alerted") != false {
			t.Errorf("core-sw01's candidate = %v", sw)
		}
	})
}

func TestIncidentMutations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := incidentGraph(t, env)
		const ack = `mutation($id: ID!, $note: String) { acknowledgeIncident(id: $id, note: $note) { status acknowledgedAt note timeToAcknowledge } }`
		vars := map[string]any{"id": f.gid("A"), "note": "looking"}
		// Without the alert service.
		wantErr(t, env.Do(t, env.Editor, ack, vars), "CONFLICT", "", "alert intake is not enabled")

		srv := alertsServer(t, env)
		mustNotWrite(t, env, func() {
			wantErr(t, srv.Do(t, srv.Viewer, ack, vars), "FORBIDDEN", "", "")
		})
		d := data(t, srv.Do(t, srv.Editor, ack, vars))
		if get(t, d, "acknowledgeIncident.status") != "ACKNOWLEDGED" || get(t, d, "acknowledgeIncident.note") != "looking" ||
			get(t, d, "acknowledgeIncident.acknowledgedAt") == nil {
			t.Errorf("acknowledged: %v", d)
		}
		wantErr(t, srv.Do(t, srv.Editor, ack, map[string]any{"id": f.gid("B")}), "CONFLICT", "", "")
		wantErr(t, srv.Do(t, srv.Editor, ack, map[string]any{"id": "987654321"}), "NOT_FOUND", "", "987654321")

		// Link the change that caused it, record the impact start.
		const upd = `mutation($id: ID!, $in: UpdateIncidentInput!) { updateIncident(id: $id, input: $in) { causedByChange { number } impactStartedAt timeToDetect } }`
		d = data(t, srv.Do(t, srv.Editor, upd, map[string]any{"id": f.gid("A"), "in": map[string]any{
			"causedByChangeID": f.gid("chg"), "impactStartedAt": incT0.Add(-10 * time.Minute).Format(time.RFC3339)}}))
		if got := fmt.Sprint(get(t, d, "updateIncident")); got != "map[causedByChange:map[number:CHG-7] impactStartedAt:2026-03-02T09:50:00Z timeToDetect:600]" {
			t.Errorf("updateIncident = %s", got)
		}
		// Errors name the GraphQL argument or input field.
		wantErr(t, srv.Do(t, srv.Editor, upd, map[string]any{"id": f.gid("A"), "in": map[string]any{"causedByChangeID": "987654321"}}),
			"NOT_FOUND", "causedByChangeID", "change record 987654321 not found")
		wantErr(t, srv.Do(t, srv.Editor, upd, map[string]any{"id": f.gid("A"), "in": map[string]any{"causedByChangeID": f.gid("chg"), "clearCausedByChange": true}}),
			"BAD_USER_INPUT", "causedByChangeID", "not both")
		wantErr(t, srv.Do(t, srv.Editor, `mutation { moveAlert(alert: "987654321") { id } }`, nil),
			"NOT_FOUND", "alert", "alert 987654321 not found")
		k := data(t, srv.Do(t, srv.Viewer, `query($f: Time!, $t: Time!) { operationsKPIs(from: $f, to: $t) { changes { causedIncidents } } }`,
			map[string]any{"f": incT0.Add(-24 * time.Hour).Format(time.RFC3339), "t": incT0.Add(24 * time.Hour).Format(time.RFC3339)}))
		if got := get(t, k, "operationsKPIs.changes.causedIncidents"); got != float64(1) {
			t.Errorf("causedIncidents = %v, want 1", got)
		}

		const resolve = `mutation($id: ID!) { resolveIncident(id: $id, note: "fixed") { status resolvedAt timeToResolve } }`
		d = data(t, srv.Do(t, srv.Editor, resolve, map[string]any{"id": f.gid("A")}))
		if get(t, d, "resolveIncident.status") != "RESOLVED" || get(t, d, "resolveIncident.timeToResolve") == nil {
			t.Errorf("resolved: %v", d)
		}
		d = data(t, srv.Do(t, srv.Editor, `mutation($id: ID!) { reopenIncident(id: $id) { status resolvedAt } }`, map[string]any{"id": f.gid("A")}))
		if got := fmt.Sprint(get(t, d, "reopenIncident")); got != "map[resolvedAt:<nil> status:OPEN]" {
			t.Errorf("reopened: %s", got)
		}

		// Merge B into A: B's alert moves, B stays, empty and resolved.
		wantErr(t, srv.Do(t, srv.Editor, `mutation($k: ID!) { mergeIncidents(keep: $k, remove: $k) { id } }`, map[string]any{"k": f.gid("A")}), "CONFLICT", "", "")
		d = data(t, srv.Do(t, srv.Editor, `mutation($k: ID!, $r: ID!) { mergeIncidents(keep: $k, remove: $r) { id alerts { fingerprint } } }`,
			map[string]any{"k": f.gid("A"), "r": f.gid("B")}))
		if n := len(get(t, d, "mergeIncidents.alerts").([]any)); n != 3 {
			t.Errorf("merged incident has %d alerts, want 3: %v", n, d)
		}
		r := data(t, srv.Do(t, srv.Viewer, `query($id: ID!) { node(id: $id) { ... on Incident { status alertCount mergedInto { id } } } }`, map[string]any{"id": f.gid("B")}))
		if got := fmt.Sprint(get(t, r, "node")); got != fmt.Sprintf("map[alertCount:0 mergedInto:map[id:%s] status:RESOLVED]", f.gid("A")) {
			t.Errorf("merged-away incident = %s", got)
		}
		// The list without merged incidents, as the console asks for it.
		ml := data(t, srv.Do(t, srv.Viewer, `{ incidents(where: {mergedIntoIDIsNil: true}) { totalCount } all: incidents { totalCount } }`, nil))
		if got := fmt.Sprint(get(t, ml, "incidents.totalCount"), " of ", get(t, ml, "all.totalCount")); got != "1 of 2" {
			t.Errorf("incidents not merged away: %s, want 1 of 2", got)
		}
		// Move an alert out into a new incident.
		d = data(t, srv.Do(t, srv.Editor, `mutation($a: ID!) { moveAlert(alert: $a) { id alerts { fingerprint } } }`, map[string]any{"a": f.gid("a-db")}))
		if got := fmt.Sprint(get(t, d, "moveAlert.alerts")); got != "[map[fingerprint:a-db]]" || str(t, d, "moveAlert.id") == f.gid("A") {
			t.Errorf("moveAlert = %v", d)
		}
	})
}

// TestChangeRecordOutcome: the outcome is part of the change record inputs.
func TestChangeRecordOutcome(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		const create = `mutation($in: CreateChangeRecordInput!) { createChangeRecord(input: $in) { id outcome } }`
		in := map[string]any{"number": "CHG-9", "title": "upgrade", "requester": "ops", "status": "IMPLEMENTED",
			"windowStart": "2026-03-01T00:00:00Z", "windowEnd": "2026-03-01T02:00:00Z", "outcome": "FAILED"}
		d := data(t, env.Do(t, env.Editor, create, map[string]any{"in": in}))
		if get(t, d, "createChangeRecord.outcome") != "FAILED" {
			t.Errorf("created: %v", d)
		}
		id := str(t, d, "createChangeRecord.id")
		const update = `mutation($id: ID!, $in: UpdateChangeRecordInput!) { updateChangeRecord(id: $id, input: $in) { outcome } }`
		for _, tc := range []struct {
			in   map[string]any
			want any
		}{
			{map[string]any{"outcome": "ROLLED_BACK"}, "ROLLED_BACK"},
			{map[string]any{"clearOutcome": true}, nil},
			{map[string]any{"outcome": "SUCCESSFUL"}, "SUCCESSFUL"},
		} {
			d := data(t, env.Do(t, env.Editor, update, map[string]any{"id": id, "in": tc.in}))
			if got := get(t, d, "updateChangeRecord.outcome"); got != tc.want {
				t.Errorf("update %v: outcome %v, want %v", tc.in, got, tc.want)
			}
		}
		r := env.Do(t, env.Editor, update, map[string]any{"id": id, "in": map[string]any{"outcome": "MAYBE"}})
		if len(r.Errors) == 0 {
			t.Errorf("outcome MAYBE accepted: %s", r)
		}
		d = data(t, env.Do(t, env.Viewer, `{ operationsKPIs(from: "2026-03-01T00:00:00Z", to: "2026-03-02T00:00:00Z") { changes { total successful successRate } } }`, nil))
		if got := fmt.Sprint(get(t, d, "operationsKPIs.changes")); got != "map[successRate:1 successful:1 total:1]" {
			t.Errorf("changes = %s", got)
		}
	})
}
