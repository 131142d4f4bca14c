package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
	"github.com/cairn-cmdb/cairn/internal/server"
)

// seededIncidents are what seedIncidents writes, by name.
type seededIncidents struct {
	storm, resolved, acked int // incidents
	unbound, suppressed    int // alerts in no incident
	tor, esx01, esx04      int // CIs
	app03, web01, fraWeb   int
	virtualisation         int // a service
	checkout               int
	change                 int // CHG-2026-0412, whose window covers fra1-esx01
}

// seedIncidents writes incidents and alerts directly, as intake would
// store them, so the pages are tested without intake: a storm on four AMS
// hosts behind the silent ams2-tor-sw02 (the top candidate, ams2-esx01 the
// second), an acknowledged one, a resolved one on fra1-web01 in Checkout,
// an unbound alert and one expected inside a change window.
func seedIncidents(t *testing.T, env *browsertest.Env) seededIncidents {
	t.Helper()
	var s seededIncidents
	now := time.Now().UTC().Truncate(time.Second)
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		for _, c := range []struct {
			name string
			id   *int
		}{
			{"ams2-tor-sw02", &s.tor}, {"ams2-esx01", &s.esx01}, {"ams2-esx04", &s.esx04},
			{"ams2-app03", &s.app03}, {"ams2-web01", &s.web01}, {"fra1-web01", &s.fraWeb},
		} {
			id, err := tx.ConfigurationItem.Query().Where(configurationitem.Name(c.name)).OnlyID(ctx)
			if err != nil {
				return fmt.Errorf("CI %s: %w", c.name, err)
			}
			*c.id = id
		}
		var err error
		if s.virtualisation, err = tx.Service.Query().Where(service.Name("Virtualisation")).OnlyID(ctx); err != nil {
			return err
		}
		if s.checkout, err = tx.Service.Query().Where(service.Name("Checkout")).OnlyID(ctx); err != nil {
			return err
		}
		if s.change, err = tx.ChangeRecord.Query().Where(changerecord.Number("CHG-2026-0412")).OnlyID(ctx); err != nil {
			return err
		}
		start := now.Add(-40 * time.Minute)
		storm, err := tx.Incident.Create().
			SetTitle("ams2-tor-sw02: 4 alerts on 4 CIs").
			SetOpenedAt(start.Add(2*time.Minute)).SetFirstAlertAt(start).SetLastAlertAt(start.Add(90*time.Second)).
			SetAlertCount(4).SetFiringCount(4).
			SetCandidates([]schematype.CauseCandidate{
				{CI: s.tor, Score: 1.0, Reasons: []string{"the shared dependency of 4 of 4 alerted CIs, silent itself"},
					Paths:     [][]int{{s.app03, s.esx01, s.tor}, {s.web01, s.esx01, s.tor}, {s.esx01, s.tor}, {s.esx04, s.tor}},
					PathCount: 4},
				{CI: s.esx01, Score: 0.6, Alerted: true, Reasons: []string{"alerted, with no alerted dependency below it"},
					Paths: [][]int{{s.app03, s.esx01}, {s.web01, s.esx01}}, PathCount: 2},
			}).
			SetTopCandidateID(s.tor).
			AddConfigurationItemIDs(s.esx01, s.esx04, s.app03, s.web01).
			AddServiceIDs(s.virtualisation).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("storm incident: %w", err)
		}
		s.storm = storm.ID
		for i, c := range []struct {
			ci   int
			name string
		}{{s.esx01, "HostDown"}, {s.esx04, "HostDown"}, {s.app03, "HTTPErrors"}, {s.web01, "HTTPErrors"}} {
			if _, err := tx.Alert.Create().
				SetFingerprint(fmt.Sprintf("storm-%d", i)).SetStatus(alert.StatusFiring).SetName(c.name).
				SetLabels(map[string]string{"alertname": c.name, "instance": fmt.Sprintf("10.1.0.%d:9100", i+1), "severity": "critical"}).
				SetStartsAt(start.Add(time.Duration(i) * 30 * time.Second)).SetSource(alert.SourceAlertmanager).
				SetBoundBy(alert.BoundByInstance).SetBindingNote(fmt.Sprintf("instance=10.1.0.%d", i+1)).
				SetConfigurationItemID(c.ci).SetIncidentID(s.storm).Save(ctx); err != nil {
				return fmt.Errorf("storm alert %d: %w", i, err)
			}
		}
		acked, err := tx.Incident.Create().
			SetTitle("DiskFull").SetStatus(incident.StatusAcknowledged).
			SetOpenedAt(now.Add(-3 * time.Hour)).SetFirstAlertAt(now.Add(-3 * time.Hour)).SetLastAlertAt(now.Add(-3 * time.Hour)).
			SetAcknowledgedAt(now.Add(-170 * time.Minute)).SetAcknowledgedBy("test-editor").SetNote("cleaning up old logs").
			SetAlertCount(1).SetFiringCount(1).SetCandidates([]schematype.CauseCandidate{{CI: s.esx04, Score: 1.1, Alerted: true, Reasons: []string{"alerted"}}}).
			SetTopCandidateID(s.esx04).AddConfigurationItemIDs(s.esx04).Save(ctx)
		if err != nil {
			return fmt.Errorf("acknowledged incident: %w", err)
		}
		s.acked = acked.ID
		if _, err := tx.Alert.Create().SetFingerprint("disk-1").SetStatus(alert.StatusFiring).SetName("DiskFull").
			SetLabels(map[string]string{"alertname": "DiskFull", "host": "ams2-esx04"}).SetStartsAt(now.Add(-3 * time.Hour)).
			SetSource(alert.SourceAlertmanager).SetBoundBy(alert.BoundByHost).SetConfigurationItemID(s.esx04).SetIncidentID(s.acked).Save(ctx); err != nil {
			return err
		}
		res, err := tx.Incident.Create().
			SetTitle("CheckoutLatency").SetStatus(incident.StatusResolved).
			SetOpenedAt(now.Add(-50 * time.Hour)).SetFirstAlertAt(now.Add(-50 * time.Hour)).SetLastAlertAt(now.Add(-50 * time.Hour)).
			SetAcknowledgedAt(now.Add(-49 * time.Hour)).SetAcknowledgedBy("test-editor").
			SetResolvedAt(now.Add(-48 * time.Hour)).SetAlertCount(1).
			SetCandidates([]schematype.CauseCandidate{{CI: s.fraWeb, Score: 1.1, Alerted: true, Reasons: []string{"alerted"}}}).
			SetTopCandidateID(s.fraWeb).AddConfigurationItemIDs(s.fraWeb).AddServiceIDs(s.checkout).Save(ctx)
		if err != nil {
			return fmt.Errorf("resolved incident: %w", err)
		}
		s.resolved = res.ID
		if _, err := tx.Alert.Create().SetFingerprint("latency-1").SetStatus(alert.StatusResolved).SetName("CheckoutLatency").
			SetLabels(map[string]string{"alertname": "CheckoutLatency", "instance": "fra1-web01:443"}).
			SetStartsAt(now.Add(-50 * time.Hour)).SetEndsAt(now.Add(-48 * time.Hour)).SetSource(alert.SourceAlertmanager).
			SetBoundBy(alert.BoundByInstance).SetConfigurationItemID(s.fraWeb).SetIncidentID(s.resolved).Save(ctx); err != nil {
			return err
		}
		unbound, err := tx.Alert.Create().SetFingerprint("unbound-1").SetStatus(alert.StatusFiring).SetName("TargetDown").
			SetLabels(map[string]string{"alertname": "TargetDown", "instance": "10.99.0.7:9100"}).SetStartsAt(now.Add(-10 * time.Minute)).
			SetSource(alert.SourceAlertmanager).SetBindingNote(`no CI matches instance="10.99.0.7"`).Save(ctx)
		if err != nil {
			return err
		}
		s.unbound = unbound.ID
		fraESX, err := tx.ConfigurationItem.Query().Where(configurationitem.Name("fra1-esx01")).OnlyID(ctx)
		if err != nil {
			return err
		}
		sup, err := tx.Alert.Create().SetFingerprint("patching-1").SetStatus(alert.StatusFiring).SetName("HostRebooting").
			SetLabels(map[string]string{"alertname": "HostRebooting", "host": "fra1-esx01"}).SetStartsAt(now.Add(-5 * time.Minute)).
			SetSource(alert.SourceAlertmanager).SetBoundBy(alert.BoundByHost).SetConfigurationItemID(fraESX).SetSuppressedByID(s.change).Save(ctx)
		if err != nil {
			return err
		}
		s.suppressed = sup.ID
		return nil
	})
	return s
}

// alertsConsole serves env's database again with the alert service (as
// cairn serve does with intake on), so the incident actions work, and
// returns its URL; env's tokens work on it.
func alertsConsole(t *testing.T, env *browsertest.Env) string {
	t.Helper()
	svc, err := alerts.New(context.Background(), env.DB.Client, env.DB.Store, alerts.Config{Settings: correlate.DefaultSettings()})
	if err != nil {
		t.Fatalf("alerts.New: %v", err)
	}
	srv, err := server.New(env.DB, server.Config{AllowAnonymousRead: true, Alerts: svc, Registry: prometheus.NewRegistry(), Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	return h.URL
}

// testLogger logs through t, so a server error a page shows as "internal
// error (request …)" is in the test's output with its cause.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// rowIDs returns the values of data-attr of the rows sel matches, in order.
func rowIDs(t *testing.T, tab *browsertest.Tab, sel, attr string) []string {
	t.Helper()
	var ids []string
	tab.Eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].map(r => r.getAttribute(%q))`, sel, attr), &ids)
	return ids
}

func sameSet(got []string, want ...int) bool {
	w := make([]string, len(want))
	for i, n := range want {
		w[i] = fmt.Sprint(n)
	}
	g := append([]string(nil), got...)
	sort.Strings(g)
	sort.Strings(w)
	return strings.Join(g, ",") == strings.Join(w, ",")
}

// graphClasses returns, per drawn node ID, its Cytoscape classes.
func graphClasses(t *testing.T, tab *browsertest.Tab) map[string]string {
	t.Helper()
	deskWaitCount(t, tab, "#graph .graph-canvas[data-drawn]", 1)
	var got map[string]string
	tab.Eval(`Object.fromEntries(document.querySelector("#graph .graph-canvas").cy.nodes().map(n => [n.id(), n.classes().join(" ")]))`, &got)
	return got
}

// TestIncidentPages: the incident list shows the seeded incidents not
// resolved, with their top candidate and services; the status and service
// filters (in the URL) narrow it; the KPI panel shows. The incident page
// ranks the candidates with their reasons and paths, draws the alerted CIs,
// the candidates and the path CIs with the top candidate highlighted and
// the alerted marked, and lists its alerts; a node click opens the CI. A
// viewer sees no action; an editor acknowledges with a note and the page
// and the API say ACKNOWLEDGED. /alerts shows unbound and expected alerts.
func TestIncidentPages(t *testing.T) {
	env := browsertest.Start(t)
	s := seedIncidents(t, env)
	// An incident merged into the storm: hidden from the list unless asked.
	var merged int
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		at := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
		m, err := tx.Incident.Create().SetTitle("Merged away").SetStatus(incident.StatusResolved).
			SetOpenedAt(at).SetFirstAlertAt(at).SetLastAlertAt(at).SetResolvedAt(at.Add(time.Minute)).SetResolvedBy("test-editor").
			SetManual(true).SetMergedIntoID(s.storm).Save(ctx)
		if err != nil {
			return err
		}
		merged = m.ID
		return nil
	})

	viewer := env.Tab(t, env.Viewer)
	viewer.Go("/incidents")
	const rows = "table.inc-table tbody tr[data-incident]"
	deskWaitCount(t, viewer, rows, 2)
	if got := rowIDs(t, viewer, rows, "data-incident"); !sameSet(got, s.storm, s.acked) {
		t.Errorf("/incidents lists %v, want the storm %d and the acknowledged %d (not resolved)", got, s.storm, s.acked)
	}
	row := fmt.Sprintf(`tr[data-incident="%d"]`, s.storm)
	viewer.WaitText(row, "ams2-tor-sw02: 4 alerts on 4 CIs")
	viewer.WaitText(row, "open")
	viewer.WaitText(row, "4")
	viewer.WaitText(row, "Virtualisation")
	if n := viewer.Count(fmt.Sprintf(`%s a[href="/ci/%d"]`, row, s.tor)); n != 1 {
		t.Errorf("the storm's row links its top candidate %d times, want 1", n)
	}
	viewer.WaitText("#incident-kpis", "MTTA")
	viewer.WaitText("#incident-kpis", "change success")
	if strings.Contains(viewer.Text("main"), "Acknowledge") {
		t.Error("a viewer sees Acknowledge on the list")
	}
	viewer.Axe("incident list")
	// Filters narrow the list and go into the URL.
	deskChoose(t, viewer, `select[name="status"]`, "RESOLVED")
	viewer.WaitPath("/incidents?status=RESOLVED")
	deskWaitCount(t, viewer, rows, 1)
	if got := rowIDs(t, viewer, rows, "data-incident"); !sameSet(got, s.resolved) {
		t.Errorf("status=RESOLVED lists %v, want [%d]", got, s.resolved)
	}
	viewer.Go("/incidents?status=all")
	deskWaitCount(t, viewer, rows, 3)
	if got := rowIDs(t, viewer, rows, "data-incident"); !sameSet(got, s.storm, s.acked, s.resolved) {
		t.Errorf("status=all lists %v, want %d, %d and %d (not the merged %d)", got, s.storm, s.acked, s.resolved, merged)
	}
	viewer.Click(`input[name="merged"]`)
	viewer.WaitPath("/incidents?status=all&merged=1")
	deskWaitCount(t, viewer, rows, 4)
	viewer.WaitText(fmt.Sprintf(`tr[data-incident="%d"]`, merged), fmt.Sprintf("merged into incident %d", s.storm))
	viewer.Go("/incidents?status=all")
	deskWaitCount(t, viewer, rows, 3)
	deskChoose(t, viewer, `select[name="service"]`, fmt.Sprint(s.checkout))
	viewer.WaitPath(fmt.Sprintf("/incidents?status=all&service=%d", s.checkout))
	deskWaitCount(t, viewer, rows, 1)
	viewer.WaitText(rows, "CheckoutLatency")
	// A time range that ends before the resolved incident opened leaves none.
	viewer.Go(fmt.Sprintf("/incidents?status=all&to=%s", time.Now().UTC().AddDate(0, 0, -5).Format("2006-01-02")))
	viewer.WaitText("#incident-list", "No incident matches")

	// The incident page: candidates ranked, the graph, the alerts; no actions.
	viewer.Go(fmt.Sprintf("/incidents/%d", s.storm))
	viewer.WaitText("h1", "ams2-tor-sw02: 4 alerts on 4 CIs")
	viewer.WaitText("#candidates", "the shared dependency of 4 of 4 alerted CIs")
	var cands []string
	viewer.Eval(`[...document.querySelectorAll("#candidates li[data-candidate]")].map(l => l.dataset.candidate)`, &cands)
	if want := []string{fmt.Sprint(s.tor), fmt.Sprint(s.esx01)}; strings.Join(cands, ",") != strings.Join(want, ",") {
		t.Errorf("candidates ranked %v, want %v", cands, want)
	}
	viewer.WaitText("#candidates li.top", "top candidate")
	// The top candidate's paths name their CIs as links.
	if n := viewer.Count(fmt.Sprintf(`#candidates li.top .path a[href="/ci/%d"]`, s.app03)); n != 1 {
		t.Errorf("the top candidate's paths link ams2-app03 %d times, want 1", n)
	}
	viewer.WaitText("#impact", "Virtualisation")
	viewer.WaitText("#impact", "tier 0")
	viewer.WaitText("#timeline", "Opened")
	classes := graphClasses(t, viewer)
	for id, want := range map[int][]string{
		s.tor:   {"candidate", "top"},
		s.esx01: {"alerted", "candidate"},
		s.esx04: {"alerted"},
		s.app03: {"alerted"},
		s.web01: {"alerted"},
	} {
		got, ok := classes[fmt.Sprint(id)]
		if !ok {
			t.Errorf("the graph does not draw CI %d (drawn: %v)", id, classes)
			continue
		}
		for _, c := range want {
			if !strings.Contains(" "+got+" ", " "+c+" ") {
				t.Errorf("CI %d is drawn with classes %q, want %q among them", id, got, c)
			}
		}
	}
	var tops []string
	viewer.Eval(`document.querySelector("#graph .graph-canvas").cy.nodes(".top").map(n => n.id())`, &tops)
	if len(tops) != 1 || tops[0] != fmt.Sprint(s.tor) {
		t.Errorf("the graph highlights %v as the top candidate, want only %d", tops, s.tor)
	}
	var edges int
	viewer.Eval(`document.querySelector("#graph .graph-canvas").cy.edges().length`, &edges)
	if edges != 4 {
		t.Errorf("the graph draws %d edges, want 4 (app03→esx01, web01→esx01, esx01→tor, esx04→tor)", edges)
	}
	// The keyboard's way through the graph: its CIs as links, marked in words.
	viewer.WaitText(fmt.Sprintf(`#graph .node-list li[data-node="%d"]`, s.tor), "top candidate")
	viewer.WaitText(fmt.Sprintf(`#graph .node-list li[data-node="%d"]`, s.esx04), "alerted")
	const alertRows = "#alerts table.alert-table tbody tr[data-alert]"
	deskWaitCount(t, viewer, alertRows, 4)
	viewer.WaitText("#alerts", "instance=10.1.0.1:9100")
	viewer.WaitText("#alerts", "instance")
	if n := viewer.Count("#alerts button, .inc-actions"); n != 0 {
		t.Errorf("a viewer sees %d incident controls", n)
	}
	viewer.Axe("incident page (viewer)")
	// A click on a node opens its CI.
	if id := clickGraphNode(t, viewer, "ams2-esx04"); id != fmt.Sprint(s.esx04) {
		t.Errorf("clicked node %s, want ams2-esx04 (%d)", id, s.esx04)
	}
	viewer.WaitPath(fmt.Sprintf("/ci/%d", s.esx04))
	// The CI's page lists its incidents.
	viewer.WaitText("#ci-incidents", "DiskFull")
	viewer.WaitText("#ci-incidents", "ams2-tor-sw02: 4 alerts on 4 CIs")

	// /alerts: firing by default, unbound ones visible with why, expected ones marked.
	viewer.Go("/alerts")
	const alertList = "#alert-list table.alert-table tbody tr[data-alert]"
	deskWaitCount(t, viewer, alertList, 7)
	deskChoose(t, viewer, `select[name="bound"]`, "no")
	viewer.WaitPath("/alerts?bound=no")
	deskWaitCount(t, viewer, alertList, 1)
	if got := rowIDs(t, viewer, alertList, "data-alert"); !sameSet(got, s.unbound) {
		t.Errorf("bound=no lists %v, want [%d]", got, s.unbound)
	}
	viewer.WaitText(alertList, `no CI matches instance="10.99.0.7"`)
	viewer.Go("/alerts?suppressed=yes")
	deskWaitCount(t, viewer, alertList, 1)
	viewer.WaitText(alertList, "CHG-2026-0412")
	viewer.Go("/alerts?status=RESOLVED")
	deskWaitCount(t, viewer, alertList, 1)
	if n := viewer.Count(fmt.Sprintf(`%s a[href="/incidents/%d"]`, alertList, s.resolved)); n != 1 {
		t.Errorf("the resolved alert links its incident %d times, want 1", n)
	}
	viewer.Axe("alert list")

	// The editor's page: the actions show (shot for the README; phone width, dark).
	editor := env.Tab(t, env.Editor)
	editor.Go(fmt.Sprintf("/incidents/%d", s.storm))
	editor.WaitText("h1", "ams2-tor-sw02")
	editor.WaitText(".inc-actions", "Acknowledge")
	deskWaitCount(t, editor, "#graph .graph-canvas[data-drawn]", 1)
	deskWaitCount(t, editor, alertRows, 4)
	editor.Axe("incident page (editor)")
	editor.Shot("incident-page")
	deskPhoneDark(t, editor, "incident page")
	editor.Go("/incidents?status=all")
	deskWaitCount(t, editor, rows, 3)
	editor.Shot("incidents")
	deskPhoneDark(t, editor, "incident list")
}

// TestIncidentActions: an editor acknowledges an incident with a note (the
// page and the API say ACKNOWLEDGED, by whom, with the note), resolves it
// and reopens it; moves an alert out into a new incident; and merges that
// one back (it stays, emptied and resolved); merging into itself is refused. Against a server with the alert service, as cairn serve runs.
func TestIncidentActions(t *testing.T) {
	env := browsertest.Start(t)
	s := seedIncidents(t, env)
	editor := env.Browser.Tab(t, alertsConsole(t, env), env.Editor)
	editor.Go(fmt.Sprintf("/incidents/%d", s.storm))
	editor.WaitText("h1", "ams2-tor-sw02")
	editor.Click("#inc-act-ack")
	note := "network team is on the ToR switch"
	editor.Type("#inc-note-ack", note)
	editor.Axe("incident page (editor, acknowledge form)")
	editor.Click("#inc-panel button[type=submit]")
	editor.WaitText(".inc-said", "Acknowledged")
	editor.WaitText("header.page-h", "acknowledged")
	editor.WaitText("#timeline", "test-editor")
	editor.WaitText("#timeline", note)
	var got struct {
		Node struct{ Status, Note, AcknowledgedBy string }
	}
	deskAPI(t, env, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Incident { status note acknowledgedBy } } }`, map[string]any{"id": fmt.Sprint(s.storm)}, &got)
	if got.Node.Status != "ACKNOWLEDGED" || got.Node.Note != note || got.Node.AcknowledgedBy != "test-editor" {
		t.Errorf("the API says %+v after acknowledging", got.Node)
	}

	// Resolve, then reopen.
	editor.Click("#inc-act-resolve")
	editor.Type("#inc-note-resolve", "switch replaced")
	editor.Click("#inc-panel button[type=submit]")
	editor.WaitText(".inc-said", "Resolved")
	editor.WaitText("header.page-h", "resolved")
	editor.WaitText("#timeline", "Resolved by test-editor")
	if n := editor.Count("#inc-act-ack, #inc-act-resolve"); n != 0 {
		t.Errorf("a resolved incident offers %d acknowledge or resolve buttons", n)
	}
	editor.Click("#inc-act-reopen")
	editor.Click("#inc-panel button[type=submit]")
	editor.WaitText(".inc-said", "Reopened")
	editor.WaitText("header.page-h", "open")

	// Move an alert out into a new incident of its own, then merge that one back.
	const alertRows = "#alerts table.alert-table tbody tr[data-alert]"
	deskWaitCount(t, editor, alertRows, 4)
	var first string
	editor.Eval(`document.querySelector("#alerts tbody tr[data-alert]").dataset.alert`, &first)
	editor.Click("#move-" + first)
	editor.Click("tr.inc-panel button[type=submit]")
	editor.WaitText(".inc-said", "into incident #")
	deskWaitCount(t, editor, alertRows, 3)
	var moved struct {
		Node struct{ Incident struct{ ID string } }
	}
	deskAPI(t, env, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Alert { incident { id } } } }`, map[string]any{"id": first}, &moved)
	other := moved.Node.Incident.ID
	if other == "" || other == fmt.Sprint(s.storm) {
		t.Fatalf("the moved alert is in incident %q", other)
	}
	editor.Go("/incidents/" + other)
	deskWaitCount(t, editor, alertRows, 1)
	editor.Click("#inc-act-merge")
	editor.Type("#inc-merge-keep", fmt.Sprint(s.storm))
	editor.Click("#inc-panel button[type=submit]")
	editor.WaitPath(fmt.Sprintf("/incidents/%d", s.storm))
	deskWaitCount(t, editor, alertRows, 4)
	var emptied struct {
		Node struct {
			Status     string
			AlertCount int
		}
	}
	deskAPI(t, env, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Incident { status alertCount } } }`, map[string]any{"id": other}, &emptied)
	if emptied.Node.Status != "RESOLVED" || emptied.Node.AlertCount != 0 {
		t.Errorf("the incident merged away is %+v, want RESOLVED with no alert", emptied.Node)
	}
	// Merging an incident into itself is refused, and the page says why.
	editor.Click("#inc-act-merge")
	editor.Type("#inc-merge-keep", fmt.Sprint(s.storm))
	editor.Click("#inc-panel button[type=submit]")
	editor.WaitText("#inc-panel .error", "CONFLICT")
	editor.Axe("incident page (editor, merge refused)")
}
