// Package browsertest runs the web console in Debian's Chromium against a
// real Cairn server on loopback, for the console's tests and benchmarks.
//
// Start serves the demo estate (server.New over a fresh SQLite file, with
// anonymous read on and discovery jobs and reports wired, as `cairn serve`
// does) and starts one headless Chromium. Each Tab is a fresh tab with the
// token of a role in sessionStorage; it fails the test on any console
// error, uncaught exception, or request to another origin. Axe runs
// axe-core (from the console's node_modules) on the page and fails on
// serious or critical violations. Shot writes a screenshot to
// $CAIRN_SCREENSHOTS (internal/console/testdata/screenshots for the README)
// or, unset, to a temporary folder the test logs.
//
// Without /usr/bin/chromium (apt-get install chromium) the tests skip, or
// fail under CAIRN_LAB=1; so do they without internal/console/node_modules
// (npm ci in internal/console, which `make test` runs).
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// Chromium is Debian's browser.
const Chromium = "/usr/bin/chromium"

// Options change what Start serves.
type Options struct {
	// DSN is the database [a fresh SQLite file with the demo estate].
	DSN string
	// NoDemo leaves the database as it is (DSN already seeded).
	NoDemo bool
	// Width and Height are the window size [1280x800].
	Width, Height int
	// Config is the server's configuration [anonymous read on].
	Config *server.Config
}

// Env is a served console and a browser.
type Env struct {
	*servertest.Env
	*Browser
}

// Start serves the console over the demo estate and starts Chromium.
func Start(t testing.TB) *Env { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Env {
	t.Helper()
	lab.Need(t, "Chromium for the console tests", "chromium")
	if o.DSN == "" {
		o.DSN = storetest.SQLiteDSN(t)
	}
	cfg := server.Config{AllowAnonymousRead: true}
	if o.Config != nil {
		cfg = *o.Config
	}
	env := servertest.Start(t, o.DSN, servertest.Options{Config: cfg, Discovery: true})
	if !o.NoDemo {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := estate.SeedDemo(audit.WithActor(ctx, "seed"), env.DB.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatalf("browsertest: seeding the demo estate: %v", err)
		}
	}
	return &Env{Env: env, Browser: NewBrowser(t, o.Width, o.Height)}
}

// Browser is a running headless Chromium.
type Browser struct {
	ctx   context.Context
	shots string
}

// NewBrowser starts Chromium with a window of width x height (0: 1280x800)
// until the test ends.
func NewBrowser(t testing.TB, width, height int) *Browser {
	t.Helper()
	lab.Need(t, "Chromium for the console tests", "chromium")
	if width == 0 {
		width, height = 1280, 800
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("browsertest: starting %s: %v", Chromium, err)
	}
	shots := os.Getenv("CAIRN_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "cairn-console-screenshots")
	}
	return &Browser{ctx: browser, shots: shots}
}

// Tab is one browser tab on the console.
type Tab struct {
	t       testing.TB
	browser *Browser
	base    string
	Ctx     context.Context
	origin  string

	mu       sync.Mutex
	problems []string
	allowed  []string
}

// Tab opens a tab on the served console whose sessionStorage holds token
// ("" for none: anonymous).
func (e *Env) Tab(t testing.TB, token string) *Tab {
	t.Helper()
	return e.Browser.Tab(t, e.HTTP.URL, token)
}

// Tab opens a tab on the console served at baseURL.
func (b *Browser) Tab(t testing.TB, baseURL, token string) *Tab {
	t.Helper()
	base, cancel := chromedp.NewContext(b.ctx)
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	tab := &Tab{t: t, browser: b, base: baseURL, origin: u.Scheme + "://" + u.Host}
	// The first Do opens the tab; it must have no timeout (it would close
	// the tab), so the timeout wraps what follows.
	if err := chromedp.Do(base); err != nil {
		cancel()
		t.Fatalf("browser: opening a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(base, 3*time.Minute)
	tab.Ctx = ctx
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		tab.mu.Lock()
		defer tab.mu.Unlock()
		for _, p := range tab.problems {
			t.Errorf("browser: %s", p)
		}
	})
	if err := chromedp.Listen(base, tab.listen); err != nil {
		t.Fatalf("browser: listening: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("browser: network.enable: %v", err)
	}
	if token != "" {
		tab.Do(chromedp.Navigate(baseURL+"/healthz"),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf("sessionStorage.setItem('cairn.token', %q)", token)))
	}
	return tab
}

// listen runs in the tab's message loop: it must return fast.
func (tab *Tab) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			tab.problem("console %s: %s", ev.Type, args(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		tab.problem("uncaught exception: %s", msg)
	case *network.EventRequestWillBeSent:
		r := ev.Request.URL
		if !strings.HasPrefix(r, tab.origin+"/") && r != tab.origin && !strings.HasPrefix(r, "data:") && !strings.HasPrefix(r, "blob:") && r != "about:blank" {
			tab.problem("request to another origin: %s", r)
		}
	}
}

// Allow lets console errors containing substr pass (an expected failure
// the page reports, e.g. a refused request the test provokes).
func (tab *Tab) Allow(substr string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.allowed = append(tab.allowed, substr)
}

func (tab *Tab) problem(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	tab.mu.Lock()
	defer tab.mu.Unlock()
	for _, s := range tab.allowed {
		if strings.Contains(msg, s) {
			return
		}
	}
	tab.problems = append(tab.problems, msg)
}

func args(as []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range as {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// Do runs actions in order and fails the test (with a screenshot) if one
// fails.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := chromedp.Do(tab.Ctx, actions...); err != nil {
		tab.t.Fatalf("browser: %v%s", err, tab.failureShot())
	}
}

// Eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its JSON value into out (nil to ignore it).
func (tab *Tab) Eval(expr string, out any) {
	tab.t.Helper()
	raw, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tab.t.Fatalf("browser: evaluating %.80q: %v%s", expr, err, tab.failureShot())
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			tab.t.Fatalf("browser: decoding %.80q = %.200s: %v", expr, raw, err)
		}
	}
}

// Click clicks the first element matching the CSS selector once visible.
func (tab *Tab) Click(sel string) {
	tab.t.Helper()
	tab.Do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// Type focuses the element and types text as key presses (use "\r" for
// Enter).
func (tab *Tab) Type(sel, text string) {
	tab.t.Helper()
	tab.Do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (tab *Tab) failureShot() string {
	ctx, cancel := context.WithTimeout(tab.Ctx, 5*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || len(buf) == 0 {
		return ""
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tab.t.Name())
	p := filepath.Join(os.TempDir(), "cairn-console-failure-"+name+".png")
	if os.WriteFile(p, buf, 0o644) != nil {
		return ""
	}
	return " (screenshot " + p + ")"
}

// Go opens path and waits for the application to render into <main>.
func (tab *Tab) Go(path string) {
	tab.t.Helper()
	tab.Do(chromedp.Navigate(tab.base+path), chromedp.WaitVisible(chromedp.CSS("main#main > *")))
}

// URL is the console URL of path.
func (tab *Tab) URL(path string) string { return tab.base + path }

// Path is the current location's path and query.
func (tab *Tab) Path() string {
	tab.t.Helper()
	var p string
	tab.Eval(`location.pathname + location.search`, &p)
	return p
}

func (tab *Tab) text(sel string) string {
	s, _ := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel)))
	return s
}

// WaitText waits until the element sel holds text containing want.
func (tab *Tab) WaitText(sel, want string) {
	tab.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = tab.text(sel); strings.Contains(got, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tab.t.Fatalf("browser: %s never held %q; it holds %.400q%s", sel, want, got, tab.failureShot())
}

// WaitPath waits until the location's path (and query) starts with prefix.
func (tab *Tab) WaitPath(prefix string) string {
	tab.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var p string
	for time.Now().Before(deadline) {
		p, _ = chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
		if strings.HasPrefix(p, prefix) {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	tab.t.Fatalf("browser: location is %q, never %q…%s", p, prefix, tab.failureShot())
	return p
}

// Text is the innerText of the first element matching sel ("" if none).
func (tab *Tab) Text(sel string) string {
	tab.t.Helper()
	return tab.text(sel)
}

// Count is the number of elements matching sel.
func (tab *Tab) Count(sel string) int {
	tab.t.Helper()
	var n int
	tab.Eval(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n)
	return n
}

// Shot writes a full-page screenshot named name.png.
func (tab *Tab) Shot(name string) string {
	tab.t.Helper()
	buf, err := chromedp.Run(tab.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tab.t.Fatalf("browser: screenshot: %v", err)
	}
	if err := os.MkdirAll(tab.browser.shots, 0o755); err != nil {
		tab.t.Fatalf("browsertest: %v", err)
	}
	p := filepath.Join(tab.browser.shots, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		tab.t.Fatalf("browsertest: writing %s: %v", p, err)
	}
	tab.t.Logf("screenshot %s", p)
	return p
}

// AxeSource returns axe-core's script from the console's node_modules.
func AxeSource(t testing.TB) string {
	t.Helper()
	_, file, _, _ := goruntime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(p)
	if err != nil {
		msg := fmt.Sprintf("axe-core is not installed (%v): run npm ci in internal/console (make test does)", err)
		if lab.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(b)
}

// Violation is one axe-core finding.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page (WCAG 2.1 A and AA rules and best
// practice) and fails the test for each serious or critical violation; it
// returns them all.
func (tab *Tab) Axe(page string) []Violation {
	tab.t.Helper()
	src := AxeSource(tab.t)
	tab.Do(chromedp.Evaluate[chromedp.Void](src))
	var raw string
	tab.Eval(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, &raw)
	var vs []Violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tab.t.Fatalf("axe on %s: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for i, n := range v.Nodes {
				if i == 3 {
					where = append(where, fmt.Sprintf("and %d more", len(v.Nodes)-3))
					break
				}
				where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
			}
			tab.t.Errorf("axe on %s: %s %s (%s): %s", page, v.Impact, v.ID, v.Help, strings.Join(where, "; "))
		}
	}
	return vs
}
