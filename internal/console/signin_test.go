package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
	"github.com/cairn-cmdb/cairn/internal/server"
)

// TestSignIn: without anonymous read the console asks for a token; a
// wrong one is refused with the API's words and nothing is stored; a
// viewer's token opens the page the tab was opened on (a deep link),
// read-only, with the viewer's name and role shown, and signing out
// forgets it. When Cairn does not answer at all, the console says so with
// a Retry (never "Connecting…" for ever), and Retry connects once it does.
func TestSignIn(t *testing.T) {
	env := browsertest.StartWith(t, browsertest.Options{Config: &server.Config{}})
	db := idOf(t, env, "cis", "ams2-db01")

	// Cairn unreachable (the browser blocks /graphql: a network error).
	down := env.Tab(t, "")
	block := func(on bool) {
		var patterns []*network.BlockPattern
		if on {
			patterns = []*network.BlockPattern{{URLPattern: env.HTTP.URL + "/graphql", Block: true}}
		}
		if _, err := chromedp.Call(down.Ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns}); err != nil {
			t.Fatal(err)
		}
	}
	block(true)
	down.Go("/")
	down.WaitText("main [role=alert]", "Cairn did not answer")
	down.WaitText("main h1", "Cairn did not answer")
	down.Axe("Cairn unreachable")
	block(false)
	down.Click("main button.b-primary")
	down.WaitText("main h1", "Sign in")

	tab := env.Tab(t, "")
	tab.Go("/ci/" + db)
	tab.WaitText("main h1", "Sign in")
	tab.Type("#token", "cairn_not-a-real-token\r")
	tab.WaitText("[role=alert]", "Sign-in failed")
	var stored string
	tab.Eval(`sessionStorage.getItem("cairn.token") || ""`, &stored)
	if stored != "" {
		t.Errorf("a refused token was kept: %q", stored)
	}
	tab.Axe("sign in")

	tab.Eval(`(() => { const i = document.querySelector("#token"); Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(i, ""); i.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, nil)
	tab.Type("#token", env.Viewer+"\r")
	// Signed in, the deep link opens.
	tab.WaitText("main h1", "ams2-db01")
	if p := tab.Path(); p != "/ci/"+db {
		t.Errorf("after signing in on /ci/%s the console is at %s", db, p)
	}
	tab.WaitText("#owner", "Database Team")
	tab.WaitText("header .who", "test-viewer · viewer")
	if n := tab.Count(`header nav a[href="/admin"]`); n != 0 {
		t.Errorf("a viewer sees the Admin link")
	}
	tab.Eval(`sessionStorage.getItem("cairn.token") || ""`, &stored)
	if stored != env.Viewer {
		t.Errorf("the token is not in sessionStorage")
	}
	var cookies string
	tab.Eval(`document.cookie`, &cookies)
	if cookies != "" {
		t.Errorf("the console set cookies: %q", cookies)
	}
	tab.Click("header .who button")
	tab.WaitText("main h1", "Sign in")
	tab.Eval(`sessionStorage.getItem("cairn.token") || ""`, &stored)
	if stored != "" {
		t.Errorf("signing out kept the token")
	}
}

// TestCopySummary: the incident view's copy button writes the summary
// as Markdown: owner and on-call, blast radius, book value, a link back;
// readable as pasted into a chat tool (which shows backslash escapes as
// written): names, amounts and addresses unescaped, only what would
// format text escaped. A host name without its domain opens with a note
// saying how weak that match is.
func TestCopySummary(t *testing.T) {
	env := browsertest.Start(t)
	dba := idOf(t, env, "owners", "Database Team")
	env.Do(t, env.Editor, `mutation($id: ID!) { updateOwner(id: $id, input: {escalation: "page *now*, then <dba-lead> | ~duty_manager~"}) { id } }`,
		map[string]any{"id": dba}).OK(t)
	tab := env.Tab(t, "")
	tab.Go("/search?q=ams2-db01")
	tab.WaitText("#owner", "Database Team")
	tab.WaitText(".match-note", "host name")
	tab.WaitText(".match-note", "without a domain")
	// The page's clipboard, as the browser gives it to the console.
	tab.Eval(`window.__copied = ""; navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); }; true`, nil)
	tab.Click("main .page-h button.b-primary")
	tab.WaitText("main .page-h", "Copied")
	var md string
	tab.Eval(`window.__copied`, &md)
	for _, want := range []string{
		"### ams2-db01 (server, dr, high criticality)",
		"- **Owner:** Database Team · on call https://oncall.example.com/rota/dba · escalation page \\*now\\*, then \\<dba-lead\\> \\| \\~duty\\_manager\\~ · #dba",
		"- **Blast radius:** 3 dependents, 4 dependencies",
		"- **Book value:** €4,743.60",
		"- **Cairn:** <" + env.HTTP.URL + "/ci/",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the summary lacks %q:\n%s", want, md)
		}
	}
}
