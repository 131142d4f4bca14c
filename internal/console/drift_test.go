package console_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// deskAPI runs a GraphQL query as token and decodes its data into out,
// failing the test on any error.
func deskAPI(t *testing.T, env *browsertest.Env, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := env.Do(t, token, query, vars).OK(t)
	if out != nil {
		r.Decode(t, out)
	}
}

// deskChoose picks value in the select sel as a person would (the change
// event the page listens to).
func deskChoose(t *testing.T, tab *browsertest.Tab, sel, value string) {
	t.Helper()
	tab.Eval(fmt.Sprintf(`(() => {
		const s = document.querySelector(%q);
		if (!s) throw new Error("no select " + %q);
		s.value = %q;
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, sel, sel, value), nil)
}

// deskWaitCount waits until sel matches n elements.
func deskWaitCount(t *testing.T, tab *browsertest.Tab, sel string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	got := -1
	for time.Now().Before(deadline) {
		if got = tab.Count(sel); got == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %d elements, want %d", sel, got, n)
}

// deskPhoneDark looks at the page at a phone's width, dark: the document
// must not scroll sideways (wide tables scroll inside their wrappers) and
// axe must pass with the dark palette (contrast of the charts' page
// included). It leaves the tab as it was.
func deskPhoneDark(t *testing.T, tab *browsertest.Tab, name string) {
	t.Helper()
	const phone = 390
	if _, err := chromedp.Call(tab.Ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: phone, Height: 844, DeviceScaleFactor: 1}); err != nil {
		t.Fatalf("phone width: %v", err)
	}
	dark := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
	if _, err := chromedp.Call(tab.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: dark}); err != nil {
		t.Fatalf("dark scheme: %v", err)
	}
	defer func() {
		if _, err := chromedp.Call(tab.Ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
			t.Errorf("phone width: %v", err)
		}
		if _, err := chromedp.Call(tab.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Errorf("dark scheme: %v", err)
		}
	}()
	var over struct {
		Doc, Win int
		Wide     []string
	}
	tab.Eval(`new Promise(ok => setTimeout(() => requestAnimationFrame(() => ok({
		doc: document.documentElement.scrollWidth, win: window.innerWidth,
		wide: [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.parentElement.closest(".table-wrap"))
			.slice(0, 5).map(e => e.tagName + "." + e.className)
	})), 300))`, &over)
	if over.Win != phone || over.Doc > over.Win {
		t.Errorf("%s at phone width: the page is %d px wide in a %d px window; too wide: %v", name, over.Doc, over.Win, over.Wide)
	}
	tab.Axe(name + " (phone width, dark)")
}

// seededDrifts are the drifts seedDrifts writes, by name.
type seededDrifts struct {
	jobID, runID                           int
	hostname, osVersion, missing, relation int
	resolved                               int
	coreSW, lb, tor, fw, vsphere           int // their CIs
}

// seedDrifts gives the demo estate (which has none) a discovery job, one
// finished run of it, and drifts on demo CIs: four active (one authorised)
// and one resolved.
func seedDrifts(t *testing.T, env *browsertest.Env) seededDrifts {
	t.Helper()
	var s seededDrifts
	now := time.Now().UTC()
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		ci := func(name string) (int, error) {
			return tx.ConfigurationItem.Query().Where(configurationitem.Name(name)).OnlyID(ctx)
		}
		var err error
		for _, c := range []struct {
			name string
			id   *int
		}{{"ams2-core-sw01", &s.coreSW}, {"ams2-lb01", &s.lb}, {"ams2-tor-sw01", &s.tor}, {"ams2-fw01", &s.fw}, {"ams2-vsphere-dr", &s.vsphere}} {
			if *c.id, err = ci(c.name); err != nil {
				return fmt.Errorf("CI %s: %w", c.name, err)
			}
		}
		job, err := tx.DiscoveryJob.Create().SetName("nmap-ams").SetSourceKind("nmap").Save(ctx)
		if err != nil {
			return err
		}
		run, err := tx.DiscoveryRun.Create().SetJob(job).SetSourceKind("nmap").SetTrigger("schedule").
			SetStatus(discoveryrun.StatusSucceeded).SetStartedAt(now.Add(-2 * time.Hour)).SetFinishedAt(now.Add(-2*time.Hour + time.Minute)).
			SetCounts(schematype.RunCounts{}).Save(ctx)
		if err != nil {
			return err
		}
		s.jobID, s.runID = job.ID, run.ID
		mk := func(kind drift.Kind, ciID int, field, recorded, observed string, firstDaysAgo int) *ent.DriftCreate {
			c := tx.Drift.Create().SetKind(kind).SetConfigurationItemID(ciID).
				SetSource("discovery:nmap-ams").SetDiscoveryJobID(job.ID).SetRunID(run.ID).
				SetFirstSeenAt(now.AddDate(0, 0, -firstDaysAgo)).SetLastSeenAt(now.Add(-2 * time.Hour))
			if field != "" {
				c.SetFieldName(field)
			}
			if recorded != "" {
				c.SetRecorded(recorded)
			}
			if observed != "" {
				c.SetObserved(observed)
			}
			return c
		}
		for _, d := range []struct {
			c  *ent.DriftCreate
			id *int
		}{
			// Values as discovery/reconcile writes them.
			{mk(drift.KindAttributeChanged, s.coreSW, "hostname", "ams2-core-sw01", "ams2-core-sw01-b", 5), &s.hostname},
			{mk(drift.KindAttributeChanged, s.lb, "facts.os.version", "9.1", "9.2", 3).SetAuthorized(true), &s.osVersion},
			{mk(drift.KindMissing, s.tor, "", "present", "not seen by 2 complete runs", 2), &s.missing},
			{mk(drift.KindRelationshipChanged, s.fw, fmt.Sprintf("relationship.RUNS_ON.%d", s.vsphere), "absent", "present", 1), &s.relation},
			{mk(drift.KindAttributeChanged, s.tor, "serial_number", "ABC", "ABD", 9).
				SetStatus(drift.StatusResolved).SetResolvedAt(now.AddDate(0, 0, -4)), &s.resolved},
		} {
			row, err := d.c.Save(ctx)
			if err != nil {
				return err
			}
			*d.id = row.ID
		}
		return nil
	})
	return s
}

// deskRows returns the drift IDs the desk lists, in order.
func deskRows(t *testing.T, tab *browsertest.Tab) []string {
	t.Helper()
	var ids []string
	tab.Eval(`[...document.querySelectorAll("table.drift-table tbody tr[data-drift]")].map(r => r.dataset.drift)`, &ids)
	return ids
}

// TestDriftDesk: the desk lists the seeded drifts and their CIs and runs, a
// filter (in the URL) narrows them, ?ci= keeps one CI's; a viewer sees no
// control to change them; an editor acknowledges one with a note (the row
// and the API say ACKNOWLEDGED with the note), creates an ignore rule from
// another (prefilled from the drift; an error shows next to the field it
// names), and accepts a third (the CI's record takes the observed value).
func TestDriftDesk(t *testing.T) {
	env := browsertest.Start(t)
	s := seedDrifts(t, env)
	id := func(n int) string { return fmt.Sprint(n) }

	viewer := env.Tab(t, env.Viewer)
	viewer.Go("/drifts")
	deskWaitCount(t, viewer, "table.drift-table tbody tr[data-drift]", 4)
	got := deskRows(t, viewer)
	sort.Strings(got)
	want := []string{id(s.hostname), id(s.osVersion), id(s.missing), id(s.relation)}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the desk lists drifts %v, want the active %v", got, want)
	}
	row := fmt.Sprintf("tr[data-drift=%q]", id(s.hostname))
	viewer.WaitText(row, "ams2-core-sw01")
	viewer.WaitText(row, "hostname")
	viewer.WaitText(row, "ams2-core-sw01-b")
	viewer.WaitText(row, "nmap-ams")
	viewer.WaitText(row, "last run")
	if n := viewer.Count(row + fmt.Sprintf(` a[href="/ci/%d"]`, s.coreSW)); n != 1 {
		t.Errorf("the row links its CI %d times", n)
	}
	viewer.WaitText("#drift-summary", "4")
	viewer.WaitText("#drift-summary", "3")
	viewer.WaitText("#drift-trend", "First seen")
	// A viewer may change nothing: no action column, no button in the list.
	if n := viewer.Count("table.drift-table button, .drift-actions"); n != 0 {
		t.Errorf("a viewer sees %d drift controls", n)
	}
	if strings.Contains(viewer.Text("table.drift-table"), "Acknowledge") {
		t.Error("a viewer sees Acknowledge")
	}
	viewer.Axe("drift desk (viewer)")

	// A filter narrows the list and goes into the URL.
	deskChoose(t, viewer, `select[name="kind"]`, "MISSING")
	viewer.WaitPath("/drifts?kind=MISSING")
	deskWaitCount(t, viewer, "table.drift-table tbody tr[data-drift]", 1)
	if got := deskRows(t, viewer); len(got) != 1 || got[0] != id(s.missing) {
		t.Errorf("kind=MISSING lists %v, want [%d]", got, s.missing)
	}
	viewer.WaitText("table.drift-table", "not seen by 2 complete runs")
	deskChoose(t, viewer, `select[name="kind"]`, "")
	deskChoose(t, viewer, `select[name="auth"]`, "yes")
	viewer.WaitPath("/drifts?auth=yes")
	deskWaitCount(t, viewer, "table.drift-table tbody tr[data-drift]", 1)
	viewer.WaitText("table.drift-table", "facts.os.version")
	// Every status shows the resolved one too; the incident view's link keeps one CI's.
	viewer.Go("/drifts?status=all")
	deskWaitCount(t, viewer, "table.drift-table tbody tr[data-drift]", 5)
	viewer.Go(fmt.Sprintf("/drifts?ci=%d&status=all", s.tor))
	deskWaitCount(t, viewer, "table.drift-table tbody tr[data-drift]", 2)
	viewer.WaitText(".drift-ci-filter", "ams2-tor-sw01")
	viewer.Go("/drifts?service=Core%20Network")
	viewer.WaitText("#drift-list", "ams2-core-sw01")
	// Sixty days of trend (120 counts in one request) are drawn.
	viewer.Go("/drifts?days=60")
	deskWaitCount(t, viewer, ".drift-chart .chart-canvas[data-drawn] canvas", 1)
	viewer.WaitText("#drift-trend", "60 days")

	// An admin may open the run that saw a drift.
	admin := env.Tab(t, env.Admin)
	admin.Go("/drifts")
	deskWaitCount(t, admin, fmt.Sprintf(`%s a[href="/admin/jobs?job=%d&run=%d"]`, row, s.jobID, s.runID), 1)

	// An editor acknowledges a drift with a note.
	editor := env.Tab(t, env.Editor)
	editor.Go("/drifts")
	deskWaitCount(t, editor, "table.drift-table tbody tr[data-drift]", 4)
	editor.Click("#act-ack-" + id(s.hostname))
	note := "known: the switch was renamed in change CHG-1042"
	editor.Type("#ack-note-"+id(s.hostname), note)
	editor.Click(`tr.drift-panel button[type=submit]`)
	editor.WaitText(row+" .drift-status", "acknowledged")
	editor.WaitText(row+" .drift-status", note)
	editor.WaitText(row+" .drift-status", "test-editor")
	editor.WaitText("#drift-list [role=status]", "Acknowledged")
	var acked struct {
		Node struct {
			Status, Note, AcknowledgedBy string
		}
	}
	deskAPI(t, env, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Drift { status note acknowledgedBy } } }`, map[string]any{"id": id(s.hostname)}, &acked)
	if acked.Node.Status != "ACKNOWLEDGED" || acked.Node.Note != note || acked.Node.AcknowledgedBy != "test-editor" {
		t.Errorf("the API says %+v after acknowledging", acked.Node)
	}
	// After a reload, the row still says so (the API's answer, not the page's memory).
	editor.Go("/drifts")
	editor.WaitText(row+" .drift-status", note)

	// An ignore rule from a drift: prefilled from it; clearing every
	// criterion is refused next to the field the API names.
	editor.Click("#act-ignore-" + id(s.osVersion))
	prefix := fmt.Sprintf("#rule-%d-", s.osVersion)
	var form map[string]string
	editor.Eval(fmt.Sprintf(`Object.fromEntries(["name","driftKind","ciKind","fieldPattern","jobName","tag"].map(f => [f, document.querySelector(%q + f).value]))`, prefix), &form)
	prefilled := map[string]string{"driftKind": "ATTRIBUTE_CHANGED", "ciKind": "LOAD_BALANCER", "fieldPattern": "facts.os.version", "jobName": "nmap-ams", "tag": ""}
	for k, v := range prefilled {
		if form[k] != v {
			t.Errorf("ignore rule form: %s = %q, want %q (prefilled from the drift)", k, form[k], v)
		}
	}
	editor.Axe("drift desk (editor, ignore rule form)")
	editor.Eval(fmt.Sprintf(`(() => {
		for (const f of ["driftKind","ciKind","fieldPattern","jobName"]) {
			const el = document.querySelector(%q + f);
			el.value = "";
			el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", {bubbles: true}));
		}
		return true;
	})()`, prefix), nil)
	editor.Click("tr.drift-panel button[type=submit]")
	editor.WaitText(prefix+"fieldPattern-err", "at least one criterion")
	if v := editor.Count(prefix + `fieldPattern[aria-invalid="true"][aria-describedby~="rule-` + id(s.osVersion) + `-fieldPattern-err"]`); v != 1 {
		t.Errorf("the refused field is not marked invalid and described by its error")
	}
	editor.Eval(fmt.Sprintf(`(() => {
		const el = document.querySelector(%q + "fieldPattern");
		el.value = "facts.os.*";
		el.dispatchEvent(new Event("input", {bubbles: true}));
		return true;
	})()`, prefix), nil)
	editor.Click("tr.drift-panel button[type=submit]")
	editor.WaitText("#drift-list [role=status]", "Ignore rule")
	var rules struct {
		DriftIgnoreRules struct {
			Edges []struct {
				Node struct {
					Name, FieldPattern string
					DriftKind, CiKind  *string
					Enabled            bool
				}
			}
		}
	}
	deskAPI(t, env, env.Editor, `{ driftIgnoreRules(first: 5) { edges { node { name fieldPattern driftKind ciKind enabled } } } }`, nil, &rules)
	if e := rules.DriftIgnoreRules.Edges; len(e) != 1 || e[0].Node.FieldPattern != "facts.os.*" || e[0].Node.DriftKind != nil || !e[0].Node.Enabled ||
		!strings.Contains(e[0].Node.Name, "facts.os.version") {
		t.Errorf("ignore rules after creating one: %+v", e)
	}

	// Accepting a drift: the record takes the observed value.
	editor.Click("#act-accept-" + id(s.hostname))
	editor.WaitText("tr.drift-panel", "ams2-core-sw01-b")
	editor.Click("tr.drift-panel button[type=submit]")
	editor.WaitText(row+" .drift-status", "accepted")
	var ci struct{ Node struct{ Hostname *string } }
	deskAPI(t, env, env.Viewer, `query($id: ID!) { node(id: $id) { ... on ConfigurationItem { hostname } } }`, map[string]any{"id": id(s.coreSW)}, &ci)
	if ci.Node.Hostname == nil || *ci.Node.Hostname != "ams2-core-sw01-b" {
		t.Errorf("after accepting, the CI's hostname is %v", ci.Node.Hostname)
	}
	editor.Axe("drift desk (editor)")
	editor.Eval(`window.scrollTo(0, 0)`, nil)
	editor.Shot("drifts")
	deskPhoneDark(t, editor, "drift desk")
}
