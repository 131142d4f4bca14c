package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// tabTo presses Tab until the focused element satisfies the JavaScript
// predicate over `el` (at most 80 presses) and fails otherwise.
func tabTo(t *testing.T, tab *browsertest.Tab, what, predicate string) {
	t.Helper()
	for i := 0; i < 80; i++ {
		var ok bool
		tab.Eval(fmt.Sprintf(`(() => { const el = document.activeElement; return !!el && (%s); })()`, predicate), &ok)
		if ok {
			return
		}
		tab.Do(chromedp.KeyEvent("\t"))
	}
	var at string
	tab.Eval(`document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`, &at)
	t.Fatalf("Tab never reached %s; focus is on %s", what, at)
}

// TestKeyboardOnly: the whole search → incident → graph → CI flow with the
// keyboard alone: / focuses the search box, arrows pick a hit, Enter opens
// it, Tab and Enter follow links to the graph, to a neighbour in the
// graph's list of nodes, and to its CI page.
func TestKeyboardOnly(t *testing.T) {
	env := browsertest.Start(t)
	tab := env.Tab(t, "")
	tab.Go("/")
	tab.Do(chromedp.KeyEvent("/"))
	var focused bool
	tab.Eval(`document.activeElement === document.querySelector("header.top input[type=search]")`, &focused)
	if !focused {
		t.Fatal("/ did not focus the search box")
	}
	tab.Do(chromedp.KeyEvent("ams2-db01"))
	tab.WaitText("[role=listbox]", "ams2-db01")
	tab.Do(chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	tab.WaitPath("/ci/")
	tab.WaitText("main h1", "ams2-db01")

	tabTo(t, tab, "the Dependency graph link", `el.tagName === "A" && el.innerText.trim() === "Dependency graph"`)
	tab.Do(chromedp.KeyEvent("\r"))
	tab.WaitPath("/ci/")
	tab.WaitText("main h1", "Dependency graph of ams2-db01")

	tabTo(t, tab, "pg-payments-ams in the list of nodes", `el.tagName === "A" && el.innerText.trim() === "pg-payments-ams" && !!el.closest("details")`)
	tab.Do(chromedp.KeyEvent("\r"))
	tab.WaitText("main h1", "pg-payments-ams")

	tabTo(t, tab, "the Details link", `el.tagName === "A" && el.innerText.includes("Details")`)
	tab.Do(chromedp.KeyEvent("\r"))
	if p := tab.WaitPath("/ci/"); !strings.HasSuffix(p, "/details") {
		t.Errorf("Enter on Details went to %s", p)
	}
	tab.WaitText("main h1", "pg-payments-ams")
}

// TestPhoneAndDark: at phone width the incident view fits the screen
// (nothing scrolls sideways) and passes axe; with prefers-color-scheme:
// dark the console turns dark and still passes axe (contrast included).
func TestPhoneAndDark(t *testing.T) {
	env := browsertest.Start(t)
	tab := env.Tab(t, "")
	tab.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	tab.Go("/search?q=94:40:c9:d5:2c:ec")
	tab.WaitText("main h1", "ams2-db01")
	tab.WaitText("#owner", "Database Team")
	var widths struct{ Scroll, Inner int }
	tab.Eval(`({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`, &widths)
	if widths.Scroll > widths.Inner+1 {
		t.Errorf("at phone width the page is %d px wide in a %d px window", widths.Scroll, widths.Inner)
	}
	tab.Shot("incident-phone")
	tab.Axe("incident view at phone width")

	dark := env.Tab(t, "")
	if _, err := chromedp.Call(dark.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	dark.Go("/search?q=94-40-c9-d5-2c-ec")
	dark.WaitText("#owner", "Database Team")
	var bg string
	dark.Eval(`getComputedStyle(document.body).backgroundColor`, &bg)
	if bg != "rgb(15, 19, 24)" {
		t.Errorf("dark scheme: body background %s, want rgb(15, 19, 24)", bg)
	}
	dark.Shot("incident-dark")
	dark.Axe("incident view, dark")
}
