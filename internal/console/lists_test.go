package console_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// seedListRows gives the demo estate (which has none) a discovery job,
// one run of it, and two drifts it saw: a changed attribute of ams2-db01
// and an unregistered thing.
func seedListRows(t *testing.T, env *browsertest.Env) (runID int) {
	t.Helper()
	now := time.Now().UTC()
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		db, err := tx.ConfigurationItem.Query().Where(configurationitem.Name("ams2-db01")).OnlyID(ctx)
		if err != nil {
			return err
		}
		job, err := tx.DiscoveryJob.Create().SetName("ssh-ams2").SetSourceKind("ssh").Save(ctx)
		if err != nil {
			return err
		}
		run, err := tx.DiscoveryRun.Create().SetJob(job).SetSourceKind("ssh").SetTrigger("schedule").
			SetStatus(discoveryrun.StatusPartial).SetStartedAt(now.Add(-time.Hour)).SetFinishedAt(now.Add(-time.Hour + 90*time.Second)).
			SetCounts(schematype.RunCounts{Observed: 12, DriftsOpened: 2}).Save(ctx)
		if err != nil {
			return err
		}
		runID = run.ID
		if err := tx.Drift.Create().SetKind(drift.KindAttributeChanged).SetConfigurationItemID(db).SetFieldName("attributes.os").
			SetRecorded(`"Red Hat Enterprise Linux 9.4"`).SetObserved(`"Red Hat Enterprise Linux 9.5"`).
			SetSource("discovery:ssh-ams2").SetDiscoveryJobID(job.ID).SetRunID(run.ID).Exec(ctx); err != nil {
			return err
		}
		return tx.Drift.Create().SetKind(drift.KindUnregistered).SetObservationKey("10.20.9.99").SetIdentity("IP:10.20.9.99").
			SetSource("discovery:ssh-ams2").SetDiscoveryJobID(job.ID).SetRunID(run.ID).Exec(ctx)
	})
	return runID
}

// listKinds are the lists at /list/:kind and the heading each shows.
var listKinds = []struct{ kind, title string }{
	{"cis", "Configuration items"},
	{"services", "Services"},
	{"owners", "Owners"},
	{"vendors", "Vendors"},
	{"contracts", "Contracts"},
	{"assets", "Assets"},
	{"changes", "Change records"},
	{"jobs", "Discovery jobs"},
	{"runs", "Discovery runs"},
	{"drifts", "Drifts"},
	{"locations", "Locations"},
}

// rowNames reads the first link of each row's header cell: the names the
// list shows, in order.
const rowNames = `[...document.querySelectorAll(".list-table tbody th[scope=row]")].map(th => th.querySelector("a,code")?.textContent ?? th.textContent.trim())`

// ciNames asks the API for the names of the CIs matching where, by name.
func ciNames(t *testing.T, env *browsertest.Env, where map[string]any) (names []string, total int) {
	t.Helper()
	return ciNamesBy(t, env, where, "NAME")
}

// ciNamesBy is ciNames in the order of an order field, ascending.
func ciNamesBy(t *testing.T, env *browsertest.Env, where map[string]any, order string) (names []string, total int) {
	t.Helper()
	var out struct {
		ConfigurationItems struct {
			TotalCount int
			Edges      []struct{ Node struct{ Name string } }
		}
	}
	env.Do(t, env.Viewer, `query($where: ConfigurationItemWhereInput, $order: ConfigurationItemOrderField!) {
		configurationItems(first: 1000, where: $where, orderBy: [{field: $order}]) { totalCount edges { node { name } } }
	}`, map[string]any{"where": where, "order": order}).OK(t).Decode(t, &out)
	for _, e := range out.ConfigurationItems.Edges {
		names = append(names, e.Node.Name)
	}
	return names, out.ConfigurationItems.TotalCount
}

// waitRows waits until the table shows want, in order.
func waitRows(t *testing.T, tab *browsertest.Tab, want []string) {
	t.Helper()
	var got []string
	for range 300 {
		tab.Eval(rowNames, &got)
		if slices.Equal(got, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("list rows = %q,\nwant %q", got, want)
}

// TestListsPageWithCursors: the CI list pages through cursors (page size
// 20: Next shows the 21st to 40th CI by name, Previous the first 20
// again), keeps filters, order and cursor in the URL (a reload shows the
// same rows), filters by select and by typed text, sorts by a column
// header, opens a row's details, says so for a list that does not exist,
// shows discovery jobs and runs to admins only, and passes axe-core on
// every list as a viewer and on the CI list as an editor.
func TestListsPageWithCursors(t *testing.T) {
	env := browsertest.Start(t)
	all, total := ciNames(t, env, nil)
	if total < 41 {
		t.Fatalf("the demo estate has %d CIs; the test needs more than 40", total)
	}

	tab := env.Tab(t, "")
	tab.Go("/list/cis?size=20")
	tab.WaitText("main h1", "Configuration items")
	tab.WaitText(".list-range", fmt.Sprintf("1–20 of %d CIs", total))
	waitRows(t, tab, all[:20])
	tab.Shot("list-cis")

	tab.Click(".list-pager a[rel=next]")
	tab.WaitText(".list-range", fmt.Sprintf("21–40 of %d CIs", total))
	waitRows(t, tab, all[20:40])
	// The page changed its own URL: focus stays on the pager (Layout
	// moves it to <main> only when the control that navigated is gone).
	var inPager bool
	tab.Eval(`!!document.activeElement.closest(".list-pager")`, &inPager)
	if !inPager {
		t.Errorf("after Next the focus left the pager")
	}
	if p := tab.Path(); !strings.Contains(p, "after=") || !strings.Contains(p, "size=20") {
		t.Errorf("after Next the URL is %s: want the cursor and the page size in it", p)
	}
	// The cursor is in the URL: a reload shows the same page.
	tab.Do(chromedp.Reload())
	waitRows(t, tab, all[20:40])
	tab.Click(".list-pager a[rel=prev]")
	tab.WaitText(".list-range", fmt.Sprintf("1–20 of %d CIs", total))
	waitRows(t, tab, all[:20])
	// Back returns to the second page.
	tab.Do(chromedp.NavigateBack())
	waitRows(t, tab, all[20:40])

	// Paging by a time: on SQLite a time cursor compares just below its
	// own row (stored with Go's monotonic clock reading), so the API
	// returns the cursor's row again; the page leaves it out.
	byCreation, _ := ciNamesBy(t, env, nil, "CREATED_AT")
	tab.Go("/list/cis?order=CREATED_AT&size=10")
	waitRows(t, tab, byCreation[:10])
	tab.Click(".list-pager a[rel=next]")
	tab.WaitText(".list-range", "11–20")
	waitRows(t, tab, byCreation[10:20])
	tab.Click(".list-pager a[rel=prev]")
	tab.WaitText(".list-range", "1–10")
	waitRows(t, tab, byCreation[:10])

	// A filter in the URL filters, and survives a reload.
	dbs, n := ciNames(t, env, map[string]any{"kind": "DATABASE", "environment": "PRODUCTION"})
	if n == 0 || n > 20 {
		t.Fatalf("the demo estate has %d production databases; the test wants 1 to 20", n)
	}
	tab.Go("/list/cis?kind=DATABASE&env=PRODUCTION")
	waitRows(t, tab, dbs)
	tab.WaitText(".list-total", fmt.Sprintf("%d CIs match", n))
	tab.Do(chromedp.Reload())
	waitRows(t, tab, dbs)
	var kindValue string
	tab.Eval(`document.querySelector("#filter-kind").value`, &kindValue)
	if kindValue != "DATABASE" {
		t.Errorf("after a reload the kind filter shows %q, want DATABASE", kindValue)
	}

	// Choosing a value writes the URL and starts at the first page.
	tab.Eval(`(() => { const s = document.querySelector("#filter-env"); s.focus(); s.value = "DR"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, nil)
	drDBs, _ := ciNames(t, env, map[string]any{"kind": "DATABASE", "environment": "DR"})
	waitRows(t, tab, drDBs)
	var focused string
	tab.Eval(`document.activeElement.id`, &focused)
	if focused != "filter-env" {
		t.Errorf("after choosing a filter the focus is on %q, want the filter (filter-env)", focused)
	}
	if p := tab.Path(); !strings.Contains(p, "env=DR") || !strings.Contains(p, "kind=DATABASE") {
		t.Errorf("after choosing DR the URL is %s", p)
	}

	// Typed text filters once typing settles, and is in the URL.
	tab.Go("/list/cis")
	tab.Type("#filter-q", "esx")
	esx, _ := ciNames(t, env, map[string]any{"nameContainsFold": "esx"})
	waitRows(t, tab, esx[:min(20, len(esx))])
	if got := tab.WaitPath("/list/cis?q=esx"); got != "/list/cis?q=esx" {
		t.Errorf("after typing the URL is %s", got)
	}

	// A column header sorts; again reverses.
	tab.Go("/list/cis?size=10")
	tab.Click(".list-table thead th:first-child button")
	rev := slices.Clone(all)
	slices.Reverse(rev)
	waitRows(t, tab, rev[:10])
	if p := tab.Path(); !strings.Contains(p, "order=NAME") || !strings.Contains(p, "dir=DESC") {
		t.Errorf("after sorting by name the URL is %s", p)
	}
	var sorted string
	tab.Eval(`document.querySelector(".list-table thead th:first-child").getAttribute("aria-sort")`, &sorted)
	if sorted != "descending" {
		t.Errorf("the name header says aria-sort=%q, want descending", sorted)
	}

	// A row's details open below it and are in the URL.
	tab.Go("/list/contracts?q=HPE-WTY")
	tab.WaitText(".list-table", "HPE-WTY-CZJ2023")
	tab.Click(".list-table button.list-more")
	tab.WaitText(".list-details", "Covered CIs")
	if p := tab.Path(); !strings.Contains(p, "open=") {
		t.Errorf("opening the details left the URL at %s", p)
	}
	tab.WaitText(".list-details", "ams2-db01")

	// A link from a row leads to its page.
	tab.Go("/list/services?q=checkout")
	tab.Click(".list-table tbody th a")
	tab.WaitPath("/services/")
	tab.WaitText("main h1", "Checkout")

	// Drifts: a filter by kind and by the run that saw them, a CI link and details.
	run := seedListRows(t, env)
	tab.Go("/list/drifts?kind=ATTRIBUTE_CHANGED")
	tab.WaitText(".list-table", "ams2-db01")
	tab.WaitText(".list-table", "Red Hat Enterprise Linux 9.5")
	if n := tab.Count(".list-table tbody tr"); n != 1 {
		t.Errorf("%d drifts of kind ATTRIBUTE_CHANGED listed, want 1", n)
	}
	tab.Click(".list-table button.list-more")
	tab.WaitText(".list-details", "discovery:ssh-ams2")
	tab.Go(fmt.Sprintf("/list/drifts?run=%d", run))
	tab.WaitText(".list-total", "2 drifts match")
	tab.Axe("list drifts, filtered by run, with rows")

	tab.Go("/list/no-such-kind")
	tab.WaitText("main", "There is no list called “no-such-kind”")
	tab.Axe("unknown list")

	// Every list, as a viewer: jobs and runs are for admins only.
	viewer := env.Tab(t, env.Viewer)
	for _, k := range listKinds {
		viewer.Go("/list/" + k.kind)
		viewer.WaitText("main h1", k.title)
		if k.kind == "jobs" || k.kind == "runs" {
			viewer.WaitText("main .notice", "Only admins")
			if n := viewer.Count(".list-table"); n != 0 {
				t.Errorf("a viewer sees the %s table", k.kind)
			}
		} else {
			viewer.WaitText(".list-pager", "Showing")
		}
		viewer.Axe("list " + k.kind + " (viewer)")
	}
	admin := env.Tab(t, env.Admin)
	for _, k := range []struct{ kind, row string }{{"jobs", "ssh-ams2"}, {"runs", "partial"}} {
		admin.Go("/list/" + k.kind)
		admin.WaitText(".list-table", k.row)
		admin.Axe("list " + k.kind + " (admin)")
	}
	// A run links to the drifts it opened.
	admin.Click(`.list-table a[href="/list/drifts?run=` + fmt.Sprint(run) + `"]`)
	admin.WaitText(".list-total", "2 drifts match")
	editor := env.Tab(t, env.Editor)
	editor.Go("/list/cis?" + url.Values{"kind": {"SERVER"}, "order": {"FQDN"}, "dir": {"DESC"}}.Encode())
	editor.WaitText(".list-pager", "Showing")
	editor.Axe("list cis (editor)")

	// More owners than the choices hold (the first 500 by name; the drift
	// desk's 200): every place that offers them says so and takes an ID.
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		bulk := make([]*ent.OwnerCreate, 510)
		for i := range bulk {
			bulk[i] = tx.Owner.Create().SetName(fmt.Sprintf("Extra owner %03d", i)).SetKind(owner.KindTeam)
		}
		return tx.Owner.CreateBulk(bulk...).Exec(ctx)
	})
	var owners struct{ Owners struct{ TotalCount int } }
	env.Do(t, env.Viewer, `{ owners(first: 0) { totalCount } }`, nil).OK(t).Decode(t, &owners)
	n = owners.Owners.TotalCount
	web := idOf(t, env, "owners", "Web Team") // past the first 500 by name
	editor.Go("/list/cis")
	editor.WaitText(".list-filters", fmt.Sprintf("The first 500 of %d by name", n))
	if c := editor.Count(`#filter-owner option[value="` + web + `"]`); c != 0 {
		t.Fatalf("the Web Team is among the first 500 owners: the test needs it past them")
	}
	editor.Type(`.list-filters input[aria-label="Owner ID"]`, web+"\r")
	webCIs, _ := ciNames(t, env, map[string]any{"ownerID": web})
	waitRows(t, editor, webCIs[:min(20, len(webCIs))])
	if p := editor.Path(); !strings.Contains(p, "owner="+web) {
		t.Errorf("the owner typed by ID is not in the URL: %s", p)
	}
	editor.Axe("list cis, owners past the choices (editor)")

	editor.Go("/drifts")
	editor.WaitText(".drift-owner", fmt.Sprintf("The first 200 of %d owners", n))

	db := idOf(t, env, "cis", "ams2-db01")
	editor.Go("/ci/" + db + "/details")
	editor.Click(`button[aria-label="Edit owner"]`)
	waitFocus(t, editor, "the owner choice", `el.tagName === "SELECT"`)
	editor.WaitText(`#fields form[aria-label="Edit owner"]`, fmt.Sprintf("The first 500 of %d by name", n))
	editor.Type(`#fields form[aria-label="Edit owner"] input[aria-label="New owner ID"]`, web)
	editor.Click(`#fields form[aria-label="Edit owner"] button[type=submit]`)
	editor.WaitText("#fields", "Web Team")
	if c := editor.Count(`#fields form[aria-label="Edit owner"]`); c != 0 {
		t.Errorf("the owner editor stayed open after saving")
	}
}
