package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
	"github.com/cairn-cmdb/cairn/internal/estate"
)

// The console in Debian's Chromium on the synthetic estate, measured with
// the browser's Performance API (performance.now, Resource Timing, Long
// Tasks): what an engineer waits for, not what the server takes.
//
//   - first-load: compressed bytes of JavaScript and CSS the first page
//     loads, and what the incident view adds (the graph library);
//   - search-to-incident: from Enter in the search box (a random host's
//     name typed) to its incident view rendered (its name and owner on
//     screen, one animation frame later);
//   - graph-draw: from a click on a link to a random host's graph page to
//     the graph laid out and painted;
//   - large-graph: the graph page of a CI with thousands of dependents:
//     time to draw, then the longest task while the user pans and zooms.
func BenchmarkConsole(b *testing.B) {
	e := setup(b)
	br := browsertest.NewBrowser(b, 1280, 800)
	root := strings.TrimSuffix(e.url, "/graphql")
	hosts := hostSample(e, 60, false)

	b.Run("first-load", func(b *testing.B) {
		for b.Loop() {
			tab := br.Tab(b, root, e.token)
			tab.Go("/")
			tab.WaitText("main", "configuration items")
			first := resourceBytes(b, tab)
			ids := hostIDs(b, e, hosts[:1])
			tab.Go(fmt.Sprintf("/ci/%d", ids[0]))
			waitDrawn(b, tab)
			incident := resourceBytes(b, tab)
			b.ReportMetric(float64(first)/1024, "first-load-KB")
			b.ReportMetric(float64(incident)/1024, "with-graph-KB")
		}
	})

	b.Run("search-to-incident", func(b *testing.B) {
		tab := br.Tab(b, root, e.token)
		tab.Go("/")
		for b.Loop() {
			var ms []float64
			for i, h := range hosts {
				d := searchToIncident(b, tab, h)
				if i >= 5 { // the first few warm the caches
					ms = append(ms, d)
				}
			}
			report(b, ms)
		}
	})

	b.Run("graph-draw", func(b *testing.B) {
		tab := br.Tab(b, root, e.token)
		tab.Go("/")
		ids := hostIDs(b, e, hosts)
		for b.Loop() {
			var ms []float64
			for i, id := range ids {
				d := graphDraw(b, tab, fmt.Sprintf("/ci/%d/graph", id))
				if i >= 5 {
					ms = append(ms, d)
				}
			}
			report(b, ms)
		}
	})

	b.Run("large-graph", func(b *testing.B) {
		core := -1
		for i := 0; i < e.n; i++ {
			if estate.SyntheticKind(i) == "NETWORK_DEVICE" {
				core = i
				break
			}
		}
		ids := hostIDs(b, e, []string{estate.SyntheticHostname(core)})
		tab := br.Tab(b, root, e.token)
		tab.Go("/")
		for b.Loop() {
			path := fmt.Sprintf("/ci/%d/graph?direction=DEPENDENTS&depth=50", ids[0])
			draw := graphDraw(b, tab, path)
			var shape struct{ Data, Drawn int }
			tab.Eval(`({data: (document.querySelector(".graph-canvas").cy.nodes().length), drawn: Number(document.querySelector(".graph-canvas").dataset.drawn)})`, &shape)
			var count int
			tab.Eval(`Number((document.body.innerText.match(/([0-9,]+) dependents/)||["","0"])[1].replaceAll(",", ""))`, &count)
			longest := interact(b, tab)
			b.ReportMetric(draw, "draw-ms")
			b.ReportMetric(longest, "longest-task-ms")
			b.ReportMetric(float64(count), "dependents")
			b.ReportMetric(float64(shape.Data), "nodes-drawn")
		}
	})
}

// resourceBytes sums the compressed bytes of the JavaScript and CSS the
// page has loaded.
func resourceBytes(b *testing.B, tab *browsertest.Tab) int {
	b.Helper()
	var n int
	tab.Eval(`performance.getEntriesByType("resource").filter(r => /\.(js|css)$/.test(new URL(r.name).pathname)).reduce((a, r) => a + r.encodedBodySize, 0)`, &n)
	return n
}

func waitDrawn(b *testing.B, tab *browsertest.Tab) {
	b.Helper()
	tab.Do(chromedp.WaitVisible(chromedp.CSS(".graph-canvas[data-drawn]")))
}

// searchToIncident types host into the search box, presses Enter and
// returns the milliseconds until its incident view is painted.
func searchToIncident(b *testing.B, tab *browsertest.Tab, host string) float64 {
	b.Helper()
	var r struct {
		Ms   float64 `json:"ms"`
		Name string  `json:"name"`
		Path string  `json:"path"`
	}
	tab.Eval(fmt.Sprintf(`new Promise((ok, fail) => {
		const input = document.querySelector("header.top input[type=search]");
		const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
		set.call(input, %q);
		input.dispatchEvent(new Event("input", {bubbles: true}));
		let t0 = 0;
		// As a person types, the box renders the text before Enter comes.
		requestAnimationFrame(() => requestAnimationFrame(() => {
			t0 = performance.now();
			input.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
			requestAnimationFrame(check);
		}));
		const check = () => {
			const h1 = document.querySelector("main h1");
			if (location.pathname.startsWith("/ci/") && h1 && document.querySelector("#owner") && h1.innerText.trim() !== "") {
				return requestAnimationFrame(() => ok({ms: performance.now() - t0, name: h1.innerText, path: location.pathname}));
			}
			if (performance.now() - t0 > 10000) return fail(new Error("no incident view for " + %q + " at " + location.pathname + ": " + document.querySelector("main").innerText.slice(0, 200)));
			requestAnimationFrame(check);
		};
	})`, host, host), &r)
	if !strings.EqualFold(strings.TrimSpace(r.Name), host) {
		b.Fatalf("searched %s, the incident view shows %q (%s)", host, r.Name, r.Path)
	}
	return r.Ms
}

// graphDraw follows an in-page link to path and returns the milliseconds
// until its graph is laid out and painted.
func graphDraw(b *testing.B, tab *browsertest.Tab, path string) float64 {
	b.Helper()
	tab.Eval(`new Promise(ok => { const a = document.createElement("a"); a.href = "/"; document.body.appendChild(a); a.click(); a.remove(); setTimeout(ok, 50); })`, nil)
	tab.WaitText("main", "configuration items")
	var ms float64
	tab.Eval(fmt.Sprintf(`new Promise((ok, fail) => {
		const a = document.createElement("a");
		a.href = %q;
		document.body.appendChild(a);
		const t0 = performance.now();
		a.click();
		a.remove();
		const check = () => {
			const box = document.querySelector(".graph-canvas[data-drawn]");
			if (box && location.pathname + location.search === %q) {
				return requestAnimationFrame(() => requestAnimationFrame(() => ok(performance.now() - t0)));
			}
			if (performance.now() - t0 > 30000) return fail(new Error("graph not drawn at " + location.pathname + ": " + document.querySelector("main").innerText.slice(0, 300)));
			requestAnimationFrame(check);
		};
		requestAnimationFrame(check);
	})`, path, path), &ms)
	return ms
}

// interact pans and zooms the drawn graph for two seconds with real input
// events and returns the longest task the Long Tasks API saw (0 when none
// took 50 ms, its threshold).
func interact(b *testing.B, tab *browsertest.Tab) float64 {
	b.Helper()
	tab.Eval(`window.__longest = 0; new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); }).observe({type: "longtask"}); true`, nil)
	var box struct{ X, Y, W, H float64 }
	tab.Eval(`(() => { const c = document.querySelector(".graph-canvas"); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}; })()`, &box)
	cx, cy := box.X+box.W/2, box.Y+box.H/2
	end := time.Now().Add(2 * time.Second)
	for i := 0; time.Now().Before(end); i++ {
		dx := float64((i%10)-5) * 8
		tab.Do(
			chromedp.MouseEvent("mousePressed", cx, cy, chromedp.ButtonLeft),
			chromedp.MouseEvent("mouseMoved", cx+dx, cy+dx/2, chromedp.ButtonLeft),
			chromedp.MouseEvent("mouseReleased", cx+dx, cy+dx/2, chromedp.ButtonLeft),
		)
		tab.Eval(fmt.Sprintf(`(() => { const c = document.querySelector(".graph-canvas"); c.cy.zoom({level: c.cy.zoom() * %v, renderedPosition: {x: %v, y: %v}}); return true; })()`, []float64{1.2, 0.85}[i%2], box.W/2, box.H/2), nil)
	}
	var longest float64
	tab.Eval(`new Promise(ok => setTimeout(() => ok(window.__longest), 300))`, &longest)
	return longest
}

func report(b *testing.B, ms []float64) {
	if len(ms) == 0 {
		return
	}
	slices.Sort(ms)
	q := func(p float64) float64 { return ms[min(len(ms)-1, int(p*float64(len(ms))))] }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(ms[len(ms)-1], "max-ms")
	b.ReportMetric(float64(len(ms)), "samples")
}
