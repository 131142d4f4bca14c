package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// searchBox is the search input in the header of every page.
const searchBox = "header.top input[type=search]"

// clickGraphNode clicks the node with the CI named name where the graph
// in the page draws it, and returns that node's ID.
func clickGraphNode(t *testing.T, tab *browsertest.Tab, name string) string {
	t.Helper()
	var pos struct {
		ID string  `json:"id"`
		X  float64 `json:"x"`
		Y  float64 `json:"y"`
	}
	tab.Eval(fmt.Sprintf(`new Promise((ok, fail) => {
		const box = document.querySelector(".graph-canvas");
		const started = Date.now();
		const look = () => {
			if (box && box.cy && box.dataset.drawn) {
				const n = box.cy.nodes().filter(n => n.data("label").replace(/^⚠ /, "") === %q)[0];
				if (!n) return fail("no node " + %q);
				box.scrollIntoView({block: "center"});
				const r = box.getBoundingClientRect(), p = n.renderedPosition();
				return ok({id: n.id(), x: r.left + p.x, y: r.top + p.y});
			}
			if (Date.now() - started > 10000) return fail("graph not drawn");
			setTimeout(look, 50);
		};
		look();
	})`, name, name), &pos)
	// A pointer arrives before it presses: cytoscape hit-tests on move.
	tab.Do(chromedp.MouseEvent("mouseMoved", pos.X, pos.Y), chromedp.MouseClickXY(pos.X, pos.Y))
	return pos.ID
}

// TestThreeAMFlow is the on-call engineer's path: a MAC with dashes typed
// into the search box, Enter, the owner and on-call contact on the
// incident view, a click on a dependent in the graph, its page.
func TestThreeAMFlow(t *testing.T) {
	env := browsertest.Start(t)
	tab := env.Tab(t, "")
	tab.Go("/")
	tab.Type(searchBox, "94-40-C9-D5-2C-EC")
	tab.WaitText("[role=listbox]", "ams2-db01")
	tab.Type(searchBox, "\r")
	tab.WaitPath("/ci/")
	tab.WaitText("main h1", "ams2-db01")
	tab.WaitText("#owner", "Database Team")
	tab.WaitText("#owner", "https://oncall.example.com/rota/dba")
	tab.WaitText("#blast", "3 dependents")
	tab.Shot("incident")
	tab.Axe("incident view")

	id := clickGraphNode(t, tab, "pg-payments-ams")
	tab.WaitPath("/ci/" + id)
	tab.WaitText("main h1", "pg-payments-ams")
	tab.WaitText("#owner", "Owner")

	// Back returns to the incident view of the host.
	tab.Do(chromedp.NavigateBack())
	tab.WaitText("main h1", "ams2-db01")
}

// TestSearchAmbiguousAndNothing: an address two CIs hold (typed in
// another notation) lists both and opens neither; input that names
// nothing says why and stays on the search page.
func TestSearchAmbiguousAndNothing(t *testing.T) {
	env := browsertest.Start(t)
	tab := env.Tab(t, "")
	tab.Go("/")
	tab.Type(searchBox, "2001:0DB8:0010:0020:0000:0000:0000:000B\r")
	tab.WaitText("main", "Ambiguous")
	tab.WaitText("main table", "fra1-proxy01")
	tab.WaitText("main table", "fra1-web01")
	if p := tab.Path(); !strings.HasPrefix(p, "/search?q=") {
		t.Errorf("an ambiguous address opened %s", p)
	}
	if n := tab.Count("main table tbody tr"); n != 2 {
		t.Errorf("%d alternatives listed, want 2", n)
	}
	tab.Shot("search-ambiguous")
	tab.Axe("search, ambiguous")

	tab.Go("/search?q=no-such-host.example.org")
	tab.WaitText("main", "Nothing matches exactly")
	if p := tab.Path(); !strings.HasPrefix(p, "/search") {
		t.Errorf("nothing found, yet the page moved to %s", p)
	}
	tab.Axe("search, nothing found")
}
