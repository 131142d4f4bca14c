package console_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// finScheduleRow is one row of a depreciation schedule, as the page and
// the API give it.
type finScheduleRow struct {
	Start, Depreciation, Accumulated, BookValue string
}

// finSchedule reads the schedule table of the page.
func finSchedule(t *testing.T, tab *browsertest.Tab) []finScheduleRow {
	t.Helper()
	var rows []finScheduleRow
	tab.Eval(`[...document.querySelectorAll("table.fin-schedule tbody tr")].map(tr => {
		const v = [...tr.querySelectorAll("data")].map(d => d.value);
		return {Start: tr.dataset.start, Depreciation: v[0], Accumulated: v[1], BookValue: v[2]};
	})`, &rows)
	return rows
}

// finAPISchedule is the API's depreciation schedule of asset id.
func finAPISchedule(t *testing.T, env *browsertest.Env, id, period string) []finScheduleRow {
	t.Helper()
	var out struct {
		Node struct {
			DepreciationSchedule []struct {
				PeriodStart                          string
				Depreciation, Accumulated, BookValue struct{ Amount string }
			}
		}
	}
	deskAPI(t, env, env.Viewer, `query($id: ID!, $p: SchedulePeriod) { node(id: $id) { ... on Asset {
		depreciationSchedule(period: $p) { periodStart depreciation { amount } accumulated { amount } bookValue { amount } } } } }`,
		map[string]any{"id": id, "p": period}, &out)
	var rows []finScheduleRow
	for _, r := range out.Node.DepreciationSchedule {
		rows = append(rows, finScheduleRow{r.PeriodStart, r.Depreciation.Amount, r.Accumulated.Amount, r.BookValue.Amount})
	}
	return rows
}

func finSameSchedule(t *testing.T, what string, page, api []finScheduleRow) {
	t.Helper()
	if len(api) == 0 {
		t.Fatalf("%s: the API has no schedule", what)
	}
	if len(page) != len(api) {
		t.Fatalf("%s: the page has %d rows, the API %d", what, len(page), len(api))
	}
	for i := range api {
		if page[i] != api[i] {
			t.Errorf("%s row %d: page %+v, API %+v", what, i, page[i], api[i])
		}
	}
}

// finData waits for the money in sel to be shown and returns its exact amount.
func finData(t *testing.T, tab *browsertest.Tab, sel string) string {
	t.Helper()
	tab.WaitText(sel, "")
	deskWaitCount(t, tab, sel+" data", 1)
	var v string
	tab.Eval(fmt.Sprintf(`document.querySelector(%q).value`, sel+" data"), &v)
	return v
}

// TestFinancePage: a book value at a date chosen in the form equals the
// API's bookValue(asOf) for that asset (in its card and in the register),
// the schedule table's rows are the API's depreciationSchedule (monthly
// and yearly, for a double-declining-balance asset, whatever the engine
// computes), the total at the date is the sum of the API's roll-up, the
// roll-up follows groupBy; axe as viewer and editor.
func TestFinancePage(t *testing.T) {
	env := browsertest.Start(t)
	var found struct {
		Assets struct {
			Edges []struct {
				Node struct {
					ID                string
					ConfigurationItem struct{ Name string }
				}
			}
		}
	}
	deskAPI(t, env, env.Viewer, `{ assets(first: 1, where: {depreciationMethod: DOUBLE_DECLINING_BALANCE}) { edges { node { id configurationItem { name } } } } }`, nil, &found)
	if len(found.Assets.Edges) != 1 {
		t.Fatal("the demo estate has no double-declining-balance asset")
	}
	id, name := found.Assets.Edges[0].Node.ID, found.Assets.Edges[0].Node.ConfigurationItem.Name
	const day = "2025-03-15"

	tab := env.Tab(t, env.Viewer)
	tab.Go("/finance?asset=" + id)
	tab.WaitText("#fin-asset-h", name)
	// Choose the date in the form, as a person would.
	tab.Eval(fmt.Sprintf(`(() => {
		const el = document.querySelector("#fin-asof");
		el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		return true;
	})()`, day), nil)
	tab.Click(".fin-asof button[type=submit]")
	tab.WaitPath("/finance?asset=" + id + "&asOf=" + day)
	tab.WaitText("#fin-asset-at", day)
	var api struct {
		Node struct {
			BookValue, AccumulatedDepreciation struct{ Amount string }
		}
	}
	deskAPI(t, env, env.Viewer, `query($id: ID!, $at: Time) { node(id: $id) { ... on Asset { bookValue(asOf: $at) { amount } accumulatedDepreciation(asOf: $at) { amount } } } }`,
		map[string]any{"id": id, "at": day + "T00:00:00Z"}, &api)
	if got := finData(t, tab, "#fin-asset-at"); got != api.Node.BookValue.Amount {
		t.Errorf("book value of %s at %s: page %s, API %s", name, day, got, api.Node.BookValue.Amount)
	}
	if got := finData(t, tab, "#fin-asset-accumulated"); got != api.Node.AccumulatedDepreciation.Amount {
		t.Errorf("depreciated by %s: page %s, API %s", day, got, api.Node.AccumulatedDepreciation.Amount)
	}
	// The period holding the date is marked.
	if got := tab.Text(`table.fin-schedule tr[aria-current="date"] th`); !strings.HasPrefix(got, day[:7]) {
		t.Errorf("the marked period is %q, want %s", got, day[:7])
	}
	finSameSchedule(t, "monthly schedule", finSchedule(t, tab), finAPISchedule(t, env, id, "MONTH"))
	tab.Click(`.fin-period a[href*="period=YEAR"]`)
	tab.WaitPath("/finance?asset=" + id)
	deskWaitCount(t, tab, `table.fin-schedule tbody tr`, len(finAPISchedule(t, env, id, "YEAR")))
	finSameSchedule(t, "yearly schedule", finSchedule(t, tab), finAPISchedule(t, env, id, "YEAR"))
	deskWaitCount(t, tab, ".fin-chart .chart-canvas[data-drawn] canvas", 1)

	// The register shows the same value at the date.
	tab.Type(`input[name="aq"]`, name+"\r")
	tab.WaitPath("/finance?")
	deskWaitCount(t, tab, fmt.Sprintf(`tr[data-asset=%q] .fin-at data`, id), 1)
	if got := finData(t, tab, fmt.Sprintf(`tr[data-asset=%q] .fin-at`, id)); got != api.Node.BookValue.Amount {
		t.Errorf("the register says %s at %s, the API %s", got, day, api.Node.BookValue.Amount)
	}

	// The total at the date adds up the API's roll-up by cost centre (one
	// row per asset group, one currency in the demo).
	var roll struct {
		At []struct {
			Currency  string
			BookValue struct{ Amount string }
		}
		Owners []struct{ Group string }
	}
	deskAPI(t, env, env.Viewer, `query($at: Time) { at: costRollup(groupBy: COST_CENTER, asOf: $at) { currency bookValue { amount } }
		owners: costRollup(groupBy: OWNER, asOf: $at) { group } }`, map[string]any{"at": day + "T00:00:00Z"}, &roll)
	sum := new(big.Rat)
	for _, r := range roll.At {
		v, ok := new(big.Rat).SetString(r.BookValue.Amount)
		if !ok || r.Currency != "EUR" {
			t.Fatalf("roll-up row %+v", r)
		}
		sum.Add(sum, v)
	}
	if got := finData(t, tab, "#fin-total-at"); got != sum.FloatString(2) {
		t.Errorf("total book value at %s: page %s, the API's roll-up adds up to %s", day, got, sum.FloatString(2))
	}

	// Roll-ups by owner: groupBy in the URL, one row per group the API gives.
	tab.Click(`.fin-tabs a[href*="groupBy=OWNER"]`)
	tab.WaitPath("/finance?")
	tab.WaitText("table.fin-rollup-table thead", "Owner")
	deskWaitCount(t, tab, "table.fin-rollup-table tbody tr", len(roll.Owners))
	if p := tab.Path(); !strings.Contains(p, "groupBy=OWNER") || !strings.Contains(p, "asOf="+day) {
		t.Errorf("after choosing owners the URL is %s", p)
	}
	tab.WaitText("#fin-expiring", "Contracts")
	tab.Axe("finance (viewer)")

	editor := env.Tab(t, env.Editor)
	editor.Go(fmt.Sprintf("/finance?asset=%s&asOf=%s", id, day))
	editor.WaitText("#fin-asset-h", name)
	deskWaitCount(t, editor, "table.fin-schedule tbody tr[aria-current]", 1)
	editor.WaitText("#fin-expiring", "Contracts")
	editor.Axe("finance (editor)")
	editor.Eval(`window.scrollTo(0, 0)`, nil)
	editor.Shot("finance")
	deskPhoneDark(t, editor, "assets")
}
