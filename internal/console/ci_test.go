package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// editControls counts the controls that change a CI in its fields and
// relationships sections (the "as it was at" form only reads).
const editControls = `document.querySelectorAll("#fields :is(button, input, select, textarea), #relationships :is(button, input, select, textarea, form)").length`

// idOf asks the API for the ID of the CI, service or owner named name
// (list is cis, services or owners).
func idOf(t *testing.T, env *browsertest.Env, list, name string) string {
	t.Helper()
	var out map[string]struct {
		Edges []struct{ Node struct{ ID string } }
	}
	env.Do(t, env.Viewer, `query($name: String!) {
		cis: configurationItems(where: {name: $name}) { edges { node { id } } }
		services(where: {name: $name}) { edges { node { id } } }
		owners(where: {name: $name}) { edges { node { id } } }
	}`, map[string]any{"name": name}).OK(t).Decode(t, &out)
	if es := out[list].Edges; len(es) == 1 {
		return es[0].Node.ID
	}
	t.Fatalf("no single %s named %q: %+v", list, name, out[list])
	return ""
}

// waitFocus waits until the focused element satisfies the JavaScript
// predicate over el. Editors move the focus in an effect after the paint,
// which can come after the test's next keys under load.
func waitFocus(t *testing.T, tab *browsertest.Tab, what, predicate string) {
	t.Helper()
	for range 200 {
		var ok bool
		tab.Eval(fmt.Sprintf(`(() => { const el = document.activeElement; return !!el && (%s); })()`, predicate), &ok)
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the focus never reached %s", what)
}

// editField opens the editor of the field labelled label, replaces its
// text and saves.
func editField(tab *browsertest.Tab, label, text string) {
	tab.Click(`button[aria-label="Edit ` + label + `"]`)
	form := `#fields form[aria-label="Edit ` + label + `"]`
	tab.Eval(`(() => { const c = document.querySelector('`+form+` :is(input, textarea)'); c.value = ""; c.dispatchEvent(new Event("input", {bubbles: true})); })()`, nil)
	tab.Type(form+` :is(input, textarea)`, text)
	tab.Click(form + ` button[type=submit]`)
}

// TestCIAndServicePages: on the CI page a viewer (and an anonymous
// reader) sees every field with who set it and no edit control; an editor
// edits the description and sees the audit entry with before → after in
// the timeline; an invalid FQDN the API refuses shows its message next to
// the FQDN field (aria-invalid, aria-describedby); an editor adds and
// removes a relationship through the CI picker; "as it was at" a time
// between two edits shows the earlier description next to the current
// one. The service page shows levels, owner with on-call, members,
// service dependencies and impact counts, and links to its map. axe-core
// passes on each, as viewer and editor.
func TestCIAndServicePages(t *testing.T) {
	env := browsertest.Start(t)
	db := idOf(t, env, "cis", "ams2-db01")
	page := "/ci/" + db + "/details"

	for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"viewer", env.Viewer}} {
		tab := env.Tab(t, who.token)
		tab.Go(page)
		tab.WaitText("main h1", "ams2-db01")
		tab.WaitText("#fields", "CZJJDLQ3RR")
		tab.WaitText("#fields", "seed")
		tab.WaitText("#identifiers", "94:40:c9:d5:2c:ec")
		tab.WaitText("#relationships", "pg-payments-ams")
		tab.WaitText("#history", "seed")
		// History is the CI's own fields; it says where the rest is.
		tab.WaitText("#history .ci-history-note", "relationships and identifiers")
		if n := tab.Count(`#history .ci-history-note a[href="#relationships"]`); n != 1 {
			t.Errorf("%s: the history note does not link to the relationships", who.name)
		}
		if n := tab.Count(`button[aria-label^="Edit"]`); n != 0 {
			t.Errorf("%s: %d Edit buttons on the CI page", who.name, n)
		}
		var n int
		tab.Eval(editControls, &n)
		if n != 0 {
			t.Errorf("%s: %d edit controls in the fields and relationships of the CI page", who.name, n)
		}
		tab.Axe("CI page (" + who.name + ")")
	}

	ed := env.Tab(t, env.Editor)
	ed.Go(page)
	ed.WaitText("#fields", "CZJJDLQ3RR")
	editField(ed, "description", "Primary payments database")
	ed.WaitText("#fields", "Primary payments database")
	// The timeline's newest entry is the edit, by the editor's token, before → after.
	ed.WaitText("#history .ci-timeline > li:first-child", "Primary payments database")
	newest := func() string {
		var s string
		ed.Eval(`document.querySelector("#history .ci-timeline > li:first-child").textContent.replace(/\s+/g, " ")`, &s)
		return s
	}
	for _, want := range []string{"test-editor", "update", "description before: — → after: Primary payments database"} {
		if got := newest(); !strings.Contains(got, want) {
			t.Errorf("the newest history entry %q lacks %q", got, want)
		}
	}
	time.Sleep(50 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(50 * time.Millisecond)
	editField(ed, "description", "Payments database, moved to DC2")
	ed.WaitText("#history .ci-timeline > li:first-child", "Payments database, moved to DC2")
	ed.WaitText("#fields", "Payments database, moved to DC2")
	if got, want := newest(), "description before: Primary payments database → after: Payments database, moved to DC2"; !strings.Contains(got, want) {
		t.Errorf("the newest history entry %q lacks %q", got, want)
	}

	// A value the API refuses: its message next to the field it names.
	editField(ed, "FQDN", "not a host name!")
	errSel := `#fields form[aria-label="Edit FQDN"] .field-error`
	ed.WaitText(errSel, "invalid FQDN")
	var a11y struct {
		Invalid, DescribedBy, ErrID, Row string
	}
	ed.Eval(`(() => {
		const f = document.querySelector('#fields form[aria-label="Edit FQDN"]');
		const c = f.querySelector("input"), e = f.querySelector(".field-error");
		return {invalid: c.getAttribute("aria-invalid"), describedBy: c.getAttribute("aria-describedby") || "", errID: e.id, row: f.closest("tr").querySelector("th").textContent};
	})()`, &a11y)
	if a11y.Invalid != "true" || !strings.Contains(a11y.DescribedBy, a11y.ErrID) || a11y.ErrID == "" || a11y.Row != "FQDN" {
		t.Errorf("the refused FQDN: %+v; want aria-invalid, described by the error, in the FQDN row", a11y)
	}
	if n := ed.Count(`#fields .field-error`); n != 1 {
		t.Errorf("%d field errors on the page, want 1 (next to the FQDN)", n)
	}
	ed.Axe("CI page editing, with a refused value (editor)")
	ed.Click(`#fields form[aria-label="Edit FQDN"] button[type=button]`)
	ed.WaitText("#fields", "ams2-db01.ams2.example.net")
	// Cancel returns the focus to the Edit button (in an effect, after the
	// paint): wait for it, or it takes the focus from the picker below
	// while the test types into it.
	waitFocus(t, ed, "the FQDN's Edit button", `el.getAttribute("aria-label") === "Edit FQDN"`)

	// A relationship through the picker, then removed.
	ed.Type("#ci-rel-other", "ams2-ldap01")
	// The hits follow the typing; pick the CI once the hits name it.
	ed.WaitText(".ci-picks", "ams2-ldap01")
	ed.Eval(`[...document.querySelectorAll(".ci-picks button")].find(b => b.textContent.includes("ams2-ldap01")).click()`, nil)
	ed.WaitText(".ci-picker [role=status]", "Chosen: ams2-ldap01")
	ed.Click(`.ci-addrel button[type=submit]`)
	ed.WaitText("#relationships .ci-rels", "ams2-ldap01")
	ed.WaitText(".ci-addrel .actions [role=status]", "Added")
	before := ed.Count("#relationships .ci-rels tbody tr")
	ed.Eval(`[...document.querySelectorAll("#relationships .ci-rels tbody tr")].find(tr => tr.textContent.includes("ams2-ldap01")).querySelector("button").click()`, nil)
	ed.Eval(`[...document.querySelectorAll("#relationships .ci-rels tbody tr")].find(tr => tr.textContent.includes("ams2-ldap01")).querySelector("button.b-danger").click()`, nil)
	for i := 0; i < 200 && ed.Count("#relationships .ci-rels tbody tr") != before-1; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(ed.Text("#relationships .ci-rels"), "ams2-ldap01") {
		t.Errorf("the relationship to ams2-ldap01 is still listed after its removal")
	}

	// An editor left open on one CI does not follow to the next: the
	// router reuses the page for a new :id, and Save would write this
	// CI's text to that one.
	pg := idOf(t, env, "cis", "pg-payments-ams")
	ed.Click(`button[aria-label="Edit description"]`)
	waitFocus(t, ed, "the description editor", `el.tagName === "TEXTAREA"`)
	ed.Type(`#fields form[aria-label="Edit description"] textarea`, " (unsaved)")
	ed.Click(`#relationships a[href="/ci/` + pg + `/details"]`)
	ed.WaitPath("/ci/" + pg + "/details")
	ed.WaitText("main h1", "pg-payments-ams")
	ed.WaitText("#fields", "postgresql")
	if n := ed.Count(`#fields form[aria-label="Edit description"]`); n != 0 {
		t.Errorf("the description editor opened on ams2-db01 is still open on pg-payments-ams")
	}
	if got := ed.Text("#fields"); strings.Contains(got, "moved to DC2") || strings.Contains(got, "unsaved") {
		t.Errorf("pg-payments-ams's fields show ams2-db01's description: %.300q", got)
	}

	// As it was between the two edits: the first description, marked as differing from now.
	ed.Go(page + "?at=" + between.Format(time.RFC3339Nano))
	ed.WaitText(".ci-snapnote", "Showing the CI as it was at")
	var row struct{ Now, Then string }
	ed.Eval(`(() => {
		const tr = [...document.querySelectorAll("#fields tbody tr")].find(tr => tr.querySelector("th").textContent === "Description");
		return {now: tr.querySelector(".ci-now").textContent, then: tr.querySelector(".ci-then").textContent};
	})()`, &row)
	if !strings.Contains(row.Then, "Primary payments database") || !strings.Contains(row.Then, "differs from now") || !strings.Contains(row.Now, "Payments database, moved to DC2") {
		t.Errorf("as it was at %s: description now %q, then %q", between.Format(time.RFC3339Nano), row.Now, row.Then)
	}
	ed.Shot("ci")
	ed.Axe("CI page as it was at a time (editor)")

	// The timeline pages by cursor, ten events a page, newest first.
	for i := range 10 {
		env.Do(t, env.Editor, `mutation($id: ID!, $tags: [String!]) { updateConfigurationItem(id: $id, input: {tags: $tags}) { id } }`,
			map[string]any{"id": db, "tags": []string{"ams2", fmt.Sprintf("round-%d", i)}}).OK(t)
	}
	ed.Go(page)
	ed.WaitText("#history h2", "13 changes")
	if n := ed.Count("#history .ci-timeline > li"); n != 10 {
		t.Errorf("the first history page lists %d events, want 10", n)
	}
	ed.WaitText("#history .ci-timeline > li:first-child", "round-9")
	ed.Click(`nav[aria-label="History pages"] a`)
	ed.WaitText("#history .ci-timeline > li:last-child", "create")
	if n := ed.Count("#history .ci-timeline > li"); n != 3 {
		t.Errorf("the older history page lists %d events, want 3", n)
	}
	if p := ed.Path(); !strings.Contains(p, "hafter=") {
		t.Errorf("the older history page is not in the URL: %s", p)
	}
	ed.Click(`nav[aria-label="History pages"] a`)
	ed.WaitText("#history .ci-timeline > li:first-child", "round-9")

	// The service page.
	checkout := idOf(t, env, "services", "Checkout")
	for _, who := range []struct{ name, token string }{{"viewer", env.Viewer}, {"editor", env.Editor}} {
		tab := env.Tab(t, who.token)
		tab.Go("/services/" + checkout)
		tab.WaitText("main h1", "Checkout")
		tab.WaitText("#levels", "99.99% availability")
		tab.WaitText("#levels", "15 minutes")
		tab.WaitText("#owner", "Web Team")
		tab.WaitText("#owner", "https://oncall.example.com/rota/web")
		tab.WaitText("#members", "checkout-web")
		tab.WaitText("#depends-on", "Payments")
		tab.WaitText("#impact", "services it needs")
		tab.Axe("service page (" + who.name + ")")
		if who.name == "viewer" {
			tab.Shot("service")
			tab.Click(`main a[href="/services/` + checkout + `/map"]`)
			tab.WaitPath("/services/" + checkout + "/map")
			graphRoot(t, tab, "Checkout")
			tab.Axe("service map (viewer)")
		}
	}

	// At phone width the wide tables scroll sideways inside regions a
	// keyboard can reach; axe checks it (scrollable-region-focusable).
	phone := env.Tab(t, env.Viewer)
	phone.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []struct{ path, wait, name string }{
		{page + "?at=" + between.Format(time.RFC3339Nano), ".ci-snapnote", "CI page as it was, phone width"},
		{"/services/" + checkout, "#members", "service page, phone width"},
		{"/list/cis", ".list-pager", "CI list, phone width"},
		{"/list/contracts", ".list-pager", "contract list, phone width"},
	} {
		phone.Go(p.path)
		phone.WaitText(p.wait, " ")
		var overflow int
		phone.Eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("%s: the page is %d px wider than the screen (only tables may scroll sideways)", p.name, overflow)
		}
		phone.Axe(p.name)
	}
}
