package console_test

import (
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
	"github.com/cairn-cmdb/cairn/internal/server"
)

// TestSignIn: without anonymous read the console asks for a token; a
// wrong one is refused with the API's words and nothing is stored; a
// viewer's token opens the console read-only, with the viewer's name and
// role shown, and signing out forgets it.
func TestSignIn(t *testing.T) {
	env := browsertest.StartWith(t, browsertest.Options{Config: &server.Config{}})
	tab := env.Tab(t, "")
	tab.Go("/")
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
	tab.WaitText("main h1", "What is it, who owns it, what breaks?")
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
// as Markdown: owner and on-call, blast radius, book value, a link back.
func TestCopySummary(t *testing.T) {
	env := browsertest.Start(t)
	tab := env.Tab(t, "")
	tab.Go("/search?q=ams2-db01")
	tab.WaitText("#owner", "Database Team")
	// The page's clipboard, as the browser gives it to the console.
	tab.Eval(`window.__copied = ""; navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); }; true`, nil)
	tab.Click("main .page-h button.b-primary")
	tab.WaitText("main .page-h", "Copied")
	var md string
	tab.Eval(`window.__copied`, &md)
	for _, want := range []string{
		"### ams2\\-db01 (server, dr, high criticality)",
		"- **Owner:** Database Team · on call https://oncall\\.example\\.com/rota/dba",
		"- **Blast radius:** 3 dependents, 4 dependencies",
		"- **Book value:** €4,743\\.60",
		"- **Cairn:** <" + env.HTTP.URL + "/ci/",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the summary lacks %q:\n%s", want, md)
		}
	}
}
