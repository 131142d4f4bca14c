package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
				const n = box.cy.nodes().filter(n => n.data("name") === %q)[0];
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

// graphRoot waits until the page's graph is drawn with the CI named want
// as its root, and fails with what it shows otherwise.
func graphRoot(t *testing.T, tab *browsertest.Tab, want string) {
	t.Helper()
	var got struct {
		Root  string   `json:"root"`
		Nodes []string `json:"nodes"`
	}
	for range 300 {
		tab.Eval(`(() => {
			const box = document.querySelector(".graph-canvas");
			if (!box || !box.cy || !box.dataset.drawn) return {root: "", nodes: []};
			const label = n => n.data("name");
			const root = box.cy.nodes(".root")[0];
			return {root: root ? label(root) : "", nodes: box.cy.nodes().map(label)};
		})()`, &got)
		if got.Root == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the graph's root is %q (nodes %q), want %q", got.Root, got.Nodes, want)
}

// TestThreeAMFlow is the on-call engineer's path: a MAC with dashes typed
// into the search box, Enter, the owner and on-call contact on the
// incident view, a click on a dependent in the graph, its page (its own
// graph and owner, not the previous CI's), a click on to the next one, the
// full graph page; axe-core on each. A tab whose stored token Cairn
// refuses (revoked) forgets it and reads anonymously, saying so.
func TestThreeAMFlow(t *testing.T) {
	env := browsertest.Start(t)
	tab := env.Tab(t, "")
	tab.Go("/")
	tab.WaitText("main h1", "What is it, who owns it, what breaks?")
	tab.Axe("home")
	tab.Type(searchBox, "94-40-C9-D5-2C-EC")
	tab.WaitText("[role=listbox]", "ams2-db01")
	tab.Type(searchBox, "\r")
	tab.WaitPath("/ci/")
	tab.WaitText("main h1", "ams2-db01")
	tab.WaitText("#owner", "Database Team")
	tab.WaitText("#owner", "https://oncall.example.com/rota/dba")
	if n := tab.Count(`#owner a[href="https://oncall.example.com/rota/dba"]`); n != 1 {
		t.Errorf("the on-call rota is not a link (%d links)", n)
	}
	tab.WaitText("#blast", "3 dependents")
	// A dependency reads as a sentence about this CI.
	tab.WaitText("#blast", "connects to ams2-tor-sw04")
	tab.WaitText("#identifiers", "mac")
	if n := tab.Count(".match-note"); n != 0 {
		t.Errorf("a MAC (an identifier) got a note about a weak match")
	}
	graphRoot(t, tab, "ams2-db01")
	tab.Shot("incident")
	tab.Axe("incident view")

	// A dependent: its own page, owner and graph (the router reuses the
	// page for the new :id; nothing of ams2-db01 may stay).
	id := clickGraphNode(t, tab, "pg-payments-ams")
	tab.WaitPath("/ci/" + id)
	tab.WaitText("main h1", "pg-payments-ams")
	graphRoot(t, tab, "pg-payments-ams")
	tab.WaitText("#owner", "Database Team") // pg-payments-ams's owner in the demo estate
	tab.WaitText("#blast", "backs up to ams2-bkp01")

	// On again, from a page that was not handed over by the search: the
	// old CI must not show under the new address, and its graph must go.
	bkp := clickGraphNode(t, tab, "ams2-bkp01")
	tab.WaitPath("/ci/" + bkp)
	tab.WaitText("main h1", "ams2-bkp01")
	graphRoot(t, tab, "ams2-bkp01")
	tab.WaitText("#owner", "Storage Team")
	if got := tab.Text("#owner"); strings.Contains(got, "Database Team") {
		t.Errorf("ams2-bkp01's owner card still names the Database Team: %q", got)
	}

	// Back returns to the incident view of pg-payments-ams, then of the host.
	tab.Do(chromedp.NavigateBack())
	tab.WaitText("main h1", "pg-payments-ams")
	graphRoot(t, tab, "pg-payments-ams")
	tab.Do(chromedp.NavigateBack())
	tab.WaitText("main h1", "ams2-db01")
	graphRoot(t, tab, "ams2-db01")

	// The full graph page.
	tab.Go("/ci/" + id + "/graph")
	tab.WaitText("main h1", "Dependency graph of pg-payments-ams")
	graphRoot(t, tab, "pg-payments-ams")
	tab.Axe("graph page")

	// A token Cairn no longer accepts (created, then revoked).
	var made struct {
		CreateAPIToken struct {
			Token    string
			APIToken struct{ ID string }
		}
	}
	env.Do(t, env.Admin, `mutation { createAPIToken(name: "revoked-in-test", role: VIEWER) { token apiToken { id } } }`, nil).OK(t).Decode(t, &made)
	env.Do(t, env.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": made.CreateAPIToken.APIToken.ID}).OK(t)
	stale := env.Tab(t, made.CreateAPIToken.Token)
	stale.Go("/")
	stale.WaitText("main [role=alert]", "Cairn refused the token this tab held")
	stale.WaitText("main h1", "What is it, who owns it, what breaks?")
	stale.WaitText("header .who", "read-only")
	var kept string
	stale.Eval(`sessionStorage.getItem("cairn.token") || ""`, &kept)
	if kept != "" {
		t.Errorf("the refused token is still in sessionStorage")
	}
}

// TestSearchAmbiguousAndNothing: an address two CIs hold (typed in
// another notation) lists both and opens neither, and the list fits a
// phone (it scrolls, the page does not); a service's name lists the
// service among what it may mean; the only CI whose name starts with the
// input opens with a note saying so; input that names nothing says why
// and stays on the search page.
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
	if n := tab.Count("main .search-services"); n != 0 {
		t.Errorf("an address lists services")
	}
	tab.Shot("search-ambiguous")
	tab.Axe("search, ambiguous")

	// A service's name: the service is offered with the CIs it prefixes.
	payments := idOf(t, env, "services", "Payments")
	tab.Go("/search?q=Payments")
	tab.WaitText("main", "Ambiguous")
	tab.WaitText("main table", "payments-api")
	tab.WaitText("main .search-services", "Payments")
	if n := tab.Count(`main .search-services a[href="/services/` + payments + `"]`); n != 1 {
		t.Errorf("the Payments service is not offered for %q", "Payments")
	}
	tab.WaitText("main [role=status]", "a service has that name")
	tab.Axe("search, ambiguous with a service")

	// The only CI whose name starts with the input: opened, with a note.
	tab.Go("/search?q=cloudfront")
	tab.WaitPath("/ci/")
	tab.WaitText("main h1", "cloudfront-www")
	tab.WaitText(".match-note", "Opened the only CI whose name or host name starts with")
	tab.WaitText(".match-note q", "cloudfront")

	tab.Go("/search?q=no-such-host.example.org")
	tab.WaitText("main", "Nothing matches exactly")
	if p := tab.Path(); !strings.HasPrefix(p, "/search") {
		t.Errorf("nothing found, yet the page moved to %s", p)
	}
	tab.Axe("search, nothing found")

	// At phone width the alternatives scroll inside their region.
	tab.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	tab.Go("/search?q=2001:db8:10:20::b")
	tab.WaitText("main table", "fra1-web01")
	var overflow int
	tab.Eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
	if overflow > 0 {
		t.Errorf("search, ambiguous, at phone width: the page is %d px wider than the screen", overflow)
	}
	tab.Axe("search, ambiguous, phone width")
}
