package console_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// recordGraphQL makes the tab keep the body of every request the console
// sends (window.__gql), from the next page load on.
func recordGraphQL(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	const src = `window.__gql = [];
	(() => {
		const f = window.fetch;
		window.fetch = function (input, init) {
			if (init && typeof init.body === "string") window.__gql.push(init.body);
			return f.apply(this, arguments);
		};
	})();`
	if _, err := chromedp.Call(tab.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		t.Fatalf("recording requests: %v", err)
	}
}

// sent returns the GraphQL requests the page sent since it loaded.
func sent(t *testing.T, tab *browsertest.Tab) []string {
	t.Helper()
	var bodies []string
	tab.Eval(`window.__gql || []`, &bodies)
	return bodies
}

// fill sets a form control's value as typing or choosing would (the input
// and change events fire), replacing what it held.
func fill(t *testing.T, tab *browsertest.Tab, sel, value string) {
	t.Helper()
	tab.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	tab.Eval(fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
		Object.getOwnPropertyDescriptor(proto, "value").set.call(el, %q);
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, sel, value), nil)
}

// waitOption waits until the select sel offers value (its choices load
// from the API).
func waitOption(t *testing.T, tab *browsertest.Tab, sel, value string) {
	t.Helper()
	tab.WaitText(sel, value)
}

// attr is the attribute name of the element sel ("" when absent).
func attr(t *testing.T, tab *browsertest.Tab, sel, name string) string {
	t.Helper()
	var v string
	tab.Eval(fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute(%q) || ""`, sel, name), &v)
	return v
}

// phoneWidth narrows the tab to a phone's width and checks that the page
// does not scroll sideways (wide tables scroll inside their wrapper); it
// leaves a screenshot in the temporary folder for a person to look at.
func phoneWidth(t *testing.T, tab *browsertest.Tab, name string) {
	t.Helper()
	const phone = 390
	if _, err := chromedp.Call(tab.Ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: phone, Height: 844, DeviceScaleFactor: 1}); err != nil {
		t.Fatalf("phone width: %v", err)
	}
	defer func() {
		if _, err := chromedp.Call(tab.Ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
			t.Fatalf("phone width: %v", err)
		}
	}()
	var over struct {
		Doc, Win int
		Wide     []string
	}
	tab.Eval(`new Promise(ok => requestAnimationFrame(() => ok({
		doc: document.documentElement.scrollWidth, win: window.innerWidth,
		wide: [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.parentElement.closest(".table-wrap, .admin-pre"))
			.slice(0, 5).map(e => e.tagName + "." + e.className)
	})))`, &over)
	if over.Win != phone || over.Doc > over.Win {
		t.Errorf("%s at phone width: the page is %d px wide in a %d px window; too wide: %v", name, over.Doc, over.Win, over.Wide)
	}
	buf, err := chromedp.Run(tab.Ctx, chromedp.FullScreenshot(100))
	if err == nil {
		p := filepath.Join(os.TempDir(), "cairn-console-"+name+"-phone.png")
		if os.WriteFile(p, buf, 0o644) == nil {
			t.Logf("phone-width screenshot %s", p)
		}
	}
}

// darkAxe runs axe on the page with prefers-color-scheme: dark (contrast
// of the dark palette included), then turns the scheme back.
func darkAxe(t *testing.T, tab *browsertest.Tab, name string) {
	t.Helper()
	scheme := func(v string) {
		var fs []*emulation.MediaFeature
		if v != "" {
			fs = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}
		}
		if _, err := chromedp.Call(tab.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: fs}); err != nil {
			t.Fatalf("color scheme %q: %v", v, err)
		}
	}
	scheme("dark")
	defer scheme("")
	tab.Axe(name)
}

// adminOnly are the queries and mutations only an admin may send.
var adminOnly = []string{"discoveryJobs", "discoveryRuns", "discoverySourceKinds", "reportSchedules", "reportRuns", "apiTokens", "DiscoveryJob", "ReportSchedule", "APIToken"}

// TestAdminRefusesNonAdmins: viewers, editors and anonymous readers see no
// Admin link, and /admin (any tab) tells them it needs an admin token, with
// a link to sign in, without sending a single admin-only request.
func TestAdminRefusesNonAdmins(t *testing.T) {
	env := browsertest.Start(t)
	for _, c := range []struct {
		who, token, says string
	}{
		{"viewer", env.Viewer, "test-viewer, whose role is viewer"},
		{"editor", env.Editor, "test-editor, whose role is editor"},
		{"anonymous", "", "without a token"},
	} {
		t.Run(c.who, func(t *testing.T) {
			tab := env.Tab(t, c.token)
			recordGraphQL(t, tab)
			for _, path := range []string{"/admin", "/admin/tokens", "/admin/jobs?edit=new"} {
				tab.Go(path)
				tab.WaitText("main", "These pages need an admin token")
				tab.WaitText("main", c.says)
				if n := tab.Count(`header.top nav a[href="/admin"]`); n != 0 {
					t.Errorf("%s on %s: %d Admin links in the menu, want none", c.who, path, n)
				}
				href := attr(t, tab, `main a[href^="/signin"]`, "href")
				if want := "/signin?next=" + url.QueryEscape(path); href != want {
					t.Errorf("%s on %s: sign-in link %q, want %q", c.who, path, href, want)
				}
				if n := tab.Count("main form, main table, main button"); n != 0 {
					t.Errorf("%s on %s: %d forms, tables or buttons on the refusal", c.who, path, n)
				}
				bodies := sent(t, tab)
				if len(bodies) == 0 {
					t.Fatalf("%s on %s: no request recorded (not even the viewer's)", c.who, path)
				}
				for _, body := range bodies {
					for _, q := range adminOnly {
						if strings.Contains(body, q) {
							t.Errorf("%s on %s: the console sent an admin-only request (%s): %.200s", c.who, path, q, body)
						}
					}
				}
			}
			tab.Axe("admin refusal (" + c.who + ")")
		})
	}

	// An admin does see the link.
	tab := env.Tab(t, env.Admin)
	tab.Go("/")
	tab.WaitText("header.top nav", "Admin")
	tab.Click(`header.top nav a[href="/admin"]`)
	tab.WaitPath("/admin")
	tab.WaitText("main h1", "Admin")
	tab.WaitText("#jobs", "agents") // the demo estate's push job
}

// graphQL sends query as token and decodes its data into out, failing on
// any error.
func graphQL(t *testing.T, env *browsertest.Env, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := env.Do(t, token, query, vars).OK(t)
	if out != nil {
		r.Decode(t, out)
	}
}

// TestAdminDiscoveryJobs: an admin creates a TCP-scan job of this machine
// in the browser; a config that is not JSON is refused before anything is
// sent; a bad cron schedule comes back from the API and shows next to the
// schedule field; the credentials typed are stored but never shown back;
// a dry run shows its planned changes and stores nothing; "Run now" records
// a run whose changes and log open from the runs list; an edit changes only
// what was edited; delete asks first. Axe on each view; the jobs tab is the
// "admin" screenshot.
func TestAdminDiscoveryJobs(t *testing.T) {
	env := browsertest.Start(t)
	u, err := url.Parse(env.HTTP.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	// One more job so the list is a list beside the demo estate's push job
	// "agents": a scan of a private range in a network scope.
	for _, in := range []map[string]any{
		{"name": "dc1-tcp-sweep", "sourceKind": "tcpscan", "config": map[string]any{"ports": "22,443"}, "schedule": "0 */6 * * *",
			"networkScope": "dc1", "scope": map[string]any{"targets": []string{"10.20.0.0/28"}}},
	} {
		graphQL(t, env, env.Admin, `mutation ($in: CreateDiscoveryJobInput!) { createDiscoveryJob(input: $in) { id } }`, map[string]any{"in": in}, nil)
	}

	tab := env.Tab(t, env.Admin)
	recordGraphQL(t, tab)
	tab.Go("/admin/jobs")
	tab.WaitText("#jobs", "dc1-tcp-sweep")
	tab.Click(`a[href="/admin/jobs?edit=new"]`)
	tab.WaitPath("/admin/jobs?edit=new")
	tab.WaitText("main h2", "New discovery job")
	waitOption(t, tab, "#job-sourceKind", "tcpscan")

	tab.Type("#job-name", "loopback-tcp")
	fill(t, tab, "#job-sourceKind", "tcpscan")
	tab.Type("#job-config", `{"ports": "`+port+`", "bannerTimeout": "0s"`) // no closing brace
	tab.Type("#job-targets", "127.0.0.1")
	tab.Type("#job-credentials", `{"password": "hunter2-not-shown"}`)
	tab.Type("#job-schedule", "every day at three")
	tab.Click(`#job-form button[type=submit]`)
	tab.WaitText("#job-config-err", "not valid JSON")
	if got := attr(t, tab, "#job-config", "aria-invalid"); got != "true" {
		t.Errorf("config textarea aria-invalid = %q, want true", got)
	}
	for _, body := range sent(t, tab) {
		if strings.Contains(body, "createDiscoveryJob") {
			t.Fatalf("a config that is not JSON was sent: %.300s", body)
		}
	}

	// Valid JSON now; the schedule is still bad: the API says so, next to it.
	tab.Type("#job-config", "}")
	tab.Click(`#job-form button[type=submit]`)
	tab.WaitText("#job-schedule-err", "every day at three")
	if got := attr(t, tab, "#job-schedule", "aria-invalid"); got != "true" {
		t.Errorf("schedule input aria-invalid = %q, want true", got)
	}
	if got := attr(t, tab, "#job-schedule", "aria-describedby"); !strings.Contains(got, "job-schedule-err") {
		t.Errorf("schedule input aria-describedby = %q, want it to name job-schedule-err", got)
	}
	if tab.Count("#job-config-err") != 0 {
		t.Errorf("the config error stayed after the config was fixed: %q", tab.Text("#job-config-err"))
	}
	tab.WaitText("#job-form [role=alert]", "Schedule")
	tab.Axe("admin job form with an error")
	phoneWidth(t, tab, "admin-job-form")
	var schedErrs int
	tab.Eval(`document.querySelectorAll(".field-error").length`, &schedErrs)
	if schedErrs != 1 {
		t.Errorf("%d field errors on the form, want 1 (the schedule's)", schedErrs)
	}

	fill(t, tab, "#job-schedule", "0 3 * * *")
	tab.Click(`#job-form button[type=submit]`)
	tab.WaitPath("/admin/jobs?job=")
	tab.WaitText("main", "Created the discovery job loopback-tcp")
	tab.WaitText("#job", "stored (sealed; never shown)")
	tab.WaitText("#job", "127.0.0.1")
	if strings.Contains(tab.Text("body"), "hunter2") {
		t.Error("the job page shows the credentials")
	}

	var jobs struct {
		DiscoveryJobs struct {
			Edges []struct {
				Node struct {
					ID, Name, SourceKind, Schedule string
					HasCredentials                 bool
					Priority                       int
					Config                         map[string]any
					Scope                          struct{ Targets []string }
				}
			}
		}
	}
	const jobsQ = `{ discoveryJobs(where: {name: "loopback-tcp"}) { edges { node { id name sourceKind schedule hasCredentials priority config scope { targets } } } } }`
	graphQL(t, env, env.Admin, jobsQ, nil, &jobs)
	if len(jobs.DiscoveryJobs.Edges) != 1 {
		t.Fatalf("the API lists %d jobs named loopback-tcp, want 1", len(jobs.DiscoveryJobs.Edges))
	}
	job := jobs.DiscoveryJobs.Edges[0].Node
	if job.SourceKind != "tcpscan" || job.Schedule != "0 3 * * *" || !job.HasCredentials || job.Config["ports"] != port ||
		len(job.Scope.Targets) != 1 || job.Scope.Targets[0] != "127.0.0.1" {
		t.Errorf("the job the console created is %+v", job)
	}
	if !strings.HasSuffix(tab.Path(), "job="+job.ID) {
		t.Errorf("after creating, the page is %s, want the job %s", tab.Path(), job.ID)
	}

	// A dry run shows what a run would do, and stores nothing.
	tab.Click("#job-dry-run")
	tab.WaitText("#dry-run", "Planned changes")
	tab.WaitText("#dry-run", "tcpscan 127.0.0.1")
	tab.WaitText("#job [role=status]", "Dry run succeeded")
	tab.Axe("admin job with a dry run")
	phoneWidth(t, tab, "admin-job")
	var runs struct {
		DiscoveryRuns struct{ TotalCount int }
	}
	graphQL(t, env, env.Admin, `{ discoveryRuns { totalCount } }`, nil, &runs)
	if runs.DiscoveryRuns.TotalCount != 0 {
		t.Errorf("after a dry run the API lists %d runs, want 0", runs.DiscoveryRuns.TotalCount)
	}

	// Run now: a stored run, opened with its changes and log.
	tab.Click("#job-run")
	tab.WaitPath("/admin/jobs?job=" + job.ID + "&run=")
	tab.WaitText("#run", "Changes")
	tab.WaitText("#run", "tcpscan 127.0.0.1")
	tab.WaitText("#runs", "1 run")
	graphQL(t, env, env.Admin, `{ discoveryRuns { totalCount } }`, nil, &runs)
	if runs.DiscoveryRuns.TotalCount != 1 {
		t.Errorf("after a run the API lists %d runs, want 1", runs.DiscoveryRuns.TotalCount)
	}
	// The run's own URL opens it from the server (not from the page's memory).
	tab.Go(tab.Path())
	tab.WaitText("#run", "tcpscan 127.0.0.1")
	tab.WaitText("#run", "Log")
	tab.Axe("admin discovery run")
	darkAxe(t, tab, "admin discovery run, dark")

	// Edit: the credentials field is empty (write-only); only the priority is sent.
	tab.Click(fmt.Sprintf(`a[href="/admin/jobs?edit=%s"]`, job.ID))
	tab.WaitText("main h2", "Edit loopback-tcp")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("#job-credentials")))
	var creds string
	tab.Eval(`document.querySelector("#job-credentials").value`, &creds)
	if creds != "" {
		t.Errorf("the edit form shows credentials %q", creds)
	}
	fill(t, tab, "#job-priority", "60")
	tab.Click(`#job-form button[type=submit]`)
	tab.WaitText("main", "Saved the discovery job loopback-tcp")
	var update string
	for _, body := range sent(t, tab) {
		if strings.Contains(body, "updateDiscoveryJob") {
			update = body
		}
	}
	var req struct {
		Variables struct {
			Input map[string]any
		}
	}
	if err := json.Unmarshal([]byte(update), &req); err != nil {
		t.Fatalf("decoding the update request %q: %v", update, err)
	}
	if len(req.Variables.Input) != 1 || req.Variables.Input["priority"] != float64(60) {
		t.Errorf("the edit sent %v, want only priority 60", req.Variables.Input)
	}
	graphQL(t, env, env.Admin, jobsQ, nil, &jobs)
	if j := jobs.DiscoveryJobs.Edges[0].Node; j.Priority != 60 || !j.HasCredentials || j.Schedule != "0 3 * * *" {
		t.Errorf("after the edit the job is %+v", j)
	}

	// The list: three jobs, the one run.
	tab.Go("/admin/jobs")
	tab.WaitText("#jobs", "loopback-tcp")
	tab.WaitText("#jobs", "3 jobs")
	tab.WaitText("#jobs", "succeeded")
	tab.Axe("admin jobs")
	tab.Shot("admin")
	phoneWidth(t, tab, "admin-jobs")

	// Delete asks first; Cancel keeps the job.
	tab.Go("/admin/jobs?job=" + job.ID)
	tab.Click("#job-delete")
	tab.Do(chromedp.WaitVisible(chromedp.CSS("dialog[open] #job-delete-yes")))
	tab.Axe("admin delete confirmation")
	tab.Click("dialog[open] .b-plain")
	tab.Do(chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	graphQL(t, env, env.Admin, jobsQ, nil, &jobs)
	if len(jobs.DiscoveryJobs.Edges) != 1 {
		t.Fatal("Cancel deleted the job")
	}
	tab.Click("#job-delete")
	tab.Click("#job-delete-yes")
	tab.WaitPath("/admin/jobs")
	tab.WaitText("main", "Deleted the discovery job loopback-tcp")
	tab.WaitText("#jobs", "2 jobs")
	graphQL(t, env, env.Admin, jobsQ, nil, &jobs)
	if len(jobs.DiscoveryJobs.Edges) != 0 {
		t.Error("the job is still there after delete")
	}
}

// TestAdminReportsAndTokens: an admin creates a report schedule (a bad time
// zone first, shown next to its field), sees it in the list, runs it and
// sees its deliveries; creates a token and sees its secret once — a
// working secret, in no URL or storage, gone after dismissing or
// reloading while the API lists the token — and revokes it after a
// confirmation. Axe on each; the tokens tab is the "admin-tokens"
// screenshot (a throwaway test database: the secret in it opens nothing).
func TestAdminReportsAndTokens(t *testing.T) {
	env := browsertest.Start(t)
	dir := t.TempDir()
	tab := env.Tab(t, env.Admin)

	tab.Go("/admin/reports")
	tab.WaitText("#reports", "No report schedule yet")
	tab.Axe("admin reports, none")
	tab.Click(`a[href="/admin/reports?edit=new"]`)
	tab.WaitText("main h2", "New report schedule")
	tab.Type("#report-name", "morning-drift")
	tab.Type("#report-directory", dir)
	// A webhook that is not HTTP: the API names webhooks[0].url, shown under it.
	tab.Click("#report-webhooks button.b-plain:last-child")
	tab.Type("#report-webhooks\\[0\\]\\.url", "ftp://reports.example.org/in")
	tab.Click(`#report-form button[type=submit]`)
	tab.WaitText("#report-webhooks\\[0\\]\\.url-err", "http or https")
	if got := attr(t, tab, "#report-webhooks\\[0\\]\\.url", "aria-invalid"); got != "true" {
		t.Errorf("webhook URL aria-invalid = %q, want true", got)
	}
	tab.Click(".admin-hook-remove")
	fill(t, tab, "#report-timeZone", "Mars/Olympus_Mons")
	tab.Click(`#report-form button[type=submit]`)
	tab.WaitText("#report-timeZone-err", "Mars/Olympus_Mons")
	if got := attr(t, tab, "#report-timeZone", "aria-invalid"); got != "true" {
		t.Errorf("time zone aria-invalid = %q, want true", got)
	}
	tab.Axe("admin report form with an error")
	fill(t, tab, "#report-timeZone", "Europe/Amsterdam")
	tab.Click(`#report-form button[type=submit]`)
	tab.WaitPath("/admin/reports?schedule=")
	tab.WaitText("main", "Created the report schedule morning-drift")

	tab.Go("/admin/reports")
	tab.WaitText("#reports", "morning-drift")
	tab.WaitText("#reports", "markdown, html")
	tab.WaitText("#reports", "never run")
	tab.Axe("admin reports")
	tab.Click(`#reports th a`)
	tab.WaitText("#schedule", "Europe/Amsterdam")
	tab.Click("#report-run")
	tab.WaitText("#schedule [role=status]", "Report run succeeded")
	tab.WaitText("#report-runs", "delivered")
	tab.WaitText("#report-runs", dir)
	tab.Axe("admin report schedule with a run")
	phoneWidth(t, tab, "admin-report")
	var sched struct {
		ReportSchedules struct {
			Edges []struct {
				Node struct {
					Name, TimeZone string
					Formats        []string
					Directory      string
					Runs           struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								Status     string
								Deliveries []struct{ OK bool }
							}
						}
					}
				}
			}
		}
	}
	graphQL(t, env, env.Admin, `{ reportSchedules { edges { node { name timeZone formats directory runs(first: 5) { totalCount edges { node { status deliveries { ok } } } } } } } }`, nil, &sched)
	if len(sched.ReportSchedules.Edges) != 1 {
		t.Fatalf("the API lists %d report schedules, want 1", len(sched.ReportSchedules.Edges))
	}
	s := sched.ReportSchedules.Edges[0].Node
	if s.Name != "morning-drift" || s.TimeZone != "Europe/Amsterdam" || s.Directory != dir || strings.Join(s.Formats, ",") != "markdown,html" || s.Runs.TotalCount != 1 {
		t.Errorf("the schedule the console created is %+v", s)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Errorf("the run wrote %v to %s, want a Markdown and an HTML report", files, dir)
	}

	// Edit: a 24-hour window and JSON too; the schedule's page says so.
	tab.Click(`#schedule a[href^="/admin/reports?edit="]`)
	tab.WaitText("main h2", "Edit morning-drift")
	fill(t, tab, "#report-windowHours", "24")
	tab.Click(`#report-formats input[value="JSON"]`)
	tab.Click(`#report-form button[type=submit]`)
	tab.WaitText("main", "Saved the report schedule morning-drift")
	tab.WaitText("#schedule", "the 24 hours before each run")
	tab.WaitText("#schedule", "markdown, html, json")

	// Tokens.
	recordGraphQL(t, tab)
	tab.Go("/admin/tokens")
	tab.WaitText("#tokens", "test-viewer")
	tab.WaitText("#tokens", "this session")
	tab.Type("#token-name", "ci-bot")
	fill(t, tab, "#token-role", "EDITOR")
	tab.Click(`#token-new button[type=submit]`)
	tab.WaitText("#new-secret", "only time Cairn shows it")
	var secret string
	tab.Eval(`document.querySelector("#new-secret-value").value`, &secret)
	if len(secret) < 20 {
		t.Fatalf("the secret shown is %q", secret)
	}
	var who struct {
		Viewer struct{ Name, Role string }
	}
	graphQL(t, env, secret, `{ viewer { name role } }`, nil, &who)
	if who.Viewer.Name != "ci-bot" || who.Viewer.Role != "EDITOR" {
		t.Errorf("the secret shown signs in as %+v, want ci-bot, EDITOR", who.Viewer)
	}
	tab.WaitText("#tokens", "ci-bot")
	var kept string
	tab.Eval(`location.href + JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + document.cookie`, &kept)
	if strings.Contains(kept, secret) {
		t.Error("the secret is in the URL, storage or cookies")
	}
	tab.Axe("admin tokens with a new secret")
	tab.Shot("admin-tokens")
	phoneWidth(t, tab, "admin-tokens")
	darkAxe(t, tab, "admin tokens with a new secret, dark")

	// The same name again: the API's conflict shows next to the name.
	tab.Type("#token-name", "ci-bot")
	tab.Click(`#token-new button[type=submit]`)
	tab.WaitText("#token-name-err", "already exists")

	tab.Click("#new-secret-dismiss")
	tab.Do(chromedp.WaitNotPresent(chromedp.CSS("#new-secret")))
	if strings.Contains(tab.Text("body"), secret) {
		t.Error("the secret is still on the page after dismissing it")
	}

	// Another token, then a reload: its secret is gone, the token is listed.
	fill(t, tab, "#token-name", "backup-job")
	tab.Click(`#token-new button[type=submit]`)
	tab.WaitText("#new-secret", "backup-job")
	var second string
	tab.Eval(`document.querySelector("#new-secret-value").value`, &second)
	tab.Go("/admin/tokens")
	tab.WaitText("#tokens", "backup-job")
	var html string
	tab.Eval(`document.documentElement.outerHTML`, &html)
	if tab.Count("#new-secret") != 0 || strings.Contains(html, second) || strings.Contains(html, secret) {
		t.Error("a secret is shown again after a reload")
	}
	var toks struct {
		APITokens struct {
			Edges []struct {
				Node struct{ ID, Name, Role string }
			}
		}
	}
	graphQL(t, env, env.Admin, `{ apiTokens(where: {nameIn: ["ci-bot", "backup-job"]}, orderBy: [{field: NAME}]) { edges { node { id name role } } } }`, nil, &toks)
	if len(toks.APITokens.Edges) != 2 || toks.APITokens.Edges[0].Node.Name != "backup-job" || toks.APITokens.Edges[1].Node.Role != "EDITOR" {
		t.Fatalf("the API lists %+v", toks.APITokens.Edges)
	}

	// Revoke ci-bot after the confirmation: its secret stops working.
	id := toks.APITokens.Edges[1].Node.ID
	tab.Click(fmt.Sprintf("#token-delete-%s", id))
	tab.Click(fmt.Sprintf("#token-delete-%s-yes", id))
	tab.WaitText("#tokens [role=status]", "Revoked the token ci-bot")
	if strings.Contains(tab.Text("#tokens table"), "ci-bot") {
		t.Error("the revoked token is still listed")
	}
	if r := env.Do(t, secret, `{ viewer { name } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("the revoked secret still answers: %s", r)
	}
	tab.Axe("admin tokens")
}
