package console_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// healthFigures is what the test reads of cmdbHealth.
type healthFigures struct {
	CmdbHealth struct {
		TotalCIs, Stale, NeverSeen, Orphans, DuplicateIdentifiers, WarrantiesExpiring, ContractsExpiring int
		FailingJobs                                                                                      []struct{ Name string }
		Completeness                                                                                     []struct {
			Kind        string
			Count       int
			WithService float64
		}
		OrphanSample []struct{ Name string }
	}
}

// healthDrillTotal waits for the drill-down to list its CIs and returns
// the total it shows.
func healthDrillTotal(t *testing.T, tab *browsertest.Tab) int {
	t.Helper()
	tab.WaitText("#health-drill .health-count", "CI")
	var s string
	tab.Eval(`document.querySelector("#health-drill [data-total]").dataset.total`, &s)
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("drill-down total %q: %v", s, err)
	}
	return n
}

// TestHealthPage: the figures are the API's cmdbHealth; each drill-down
// link lands on the CIs behind its number (as many as the figure says,
// paged with cursors, and the very CIs the API's equivalent filter
// answers); axe as viewer and editor.
func TestHealthPage(t *testing.T) {
	env := browsertest.Start(t)
	// The demo estate has no orphan: one CI without owner or service.
	// A job whose last run failed: its error is for admins only.
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		if err := tx.ConfigurationItem.Create().SetName("lonely-host01").SetKind(configurationitem.KindServer).Exec(ctx); err != nil {
			return err
		}
		job, err := tx.DiscoveryJob.Create().SetName("snmp-fra").SetSourceKind("snmp").Save(ctx)
		if err != nil {
			return err
		}
		at := time.Now().Add(-time.Hour)
		return tx.DiscoveryRun.Create().SetJob(job).SetSourceKind("snmp").SetStatus(discoveryrun.StatusFailed).
			SetStartedAt(at).SetFinishedAt(at.Add(time.Minute)).SetError("snmp: no answer from 10.20.0.1").
			SetCounts(schematype.RunCounts{}).Exec(ctx)
	})
	var h healthFigures
	deskAPI(t, env, env.Viewer, `{ cmdbHealth { totalCIs stale neverSeen orphans duplicateIdentifiers warrantiesExpiring contractsExpiring
		failingJobs { name } completeness { kind count withService } orphanSample { name } } }`, nil, &h)
	hf := h.CmdbHealth
	if hf.Orphans != 1 || len(hf.OrphanSample) != 1 || hf.OrphanSample[0].Name != "lonely-host01" {
		t.Fatalf("seeded one orphan; cmdbHealth says %d: %+v", hf.Orphans, hf.OrphanSample)
	}

	tab := env.Tab(t, env.Viewer)
	tab.Go("/health")
	tab.WaitText(".health-figures", "live CIs")
	var tiles [][2]string
	tab.Eval(`[...document.querySelectorAll(".health-tile a")].map(a => [new URL(a.href).searchParams.get("show"), a.querySelector("strong").textContent])`, &tiles)
	want := map[string]int{
		"total": hf.TotalCIs, "stale": hf.Stale, "never": hf.NeverSeen, "orphans": hf.Orphans, "duplicates": hf.DuplicateIdentifiers,
		"warranties": hf.WarrantiesExpiring, "contracts": hf.ContractsExpiring, "jobs": len(hf.FailingJobs),
	}
	if len(tiles) != len(want) {
		t.Errorf("%d figures, want %d: %v", len(tiles), len(want), tiles)
	}
	for _, tl := range tiles {
		n, _ := strconv.Atoi(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, tl[1]))
		if w, ok := want[tl[0]]; !ok || n != w {
			t.Errorf("figure %s shows %q, the API says %d", tl[0], tl[1], w)
		}
	}
	tab.WaitText("#health-orphans", "lonely-host01")
	tab.WaitText("#health-jobs", "snmp-fra")
	if strings.Contains(tab.Text("#health-jobs"), "no answer") {
		t.Error("a viewer sees a failing job's error")
	}
	tab.WaitText("#health-duplicates", "2001:db8:10:20::b")
	tab.Axe("health (viewer)")

	// The orphans figure: the list holds exactly the CI the figure counts.
	tab.Click(`.health-tile a[href*="show=orphans"]`)
	tab.WaitPath("/health?show=orphans")
	if n := healthDrillTotal(t, tab); n != hf.Orphans {
		t.Errorf("orphans drill-down lists %d CIs, the figure says %d", n, hf.Orphans)
	}
	tab.WaitText("#health-drill table", "lonely-host01")

	// Never seen: every CI of the demo estate, paged by 25 with cursors.
	tab.Click(`.health-tile a[href*="show=never"]`)
	tab.WaitPath("/health?show=never")
	if n := healthDrillTotal(t, tab); n != hf.NeverSeen {
		t.Errorf("never-seen drill-down lists %d CIs, the figure says %d", n, hf.NeverSeen)
	}
	if n := tab.Count("#health-drill tbody tr"); n != 25 {
		t.Errorf("first page holds %d rows, want 25", n)
	}
	first := tab.Text("#health-drill tbody tr:first-child td:first-child")
	tab.Click(`#health-drill .cursor-pager a[rel="next"]`)
	tab.WaitPath("/health?show=never&after=")
	tab.Eval(fmt.Sprintf(`new Promise((ok, fail) => {
		const started = Date.now();
		const look = () => {
			const td = document.querySelector("#health-drill tbody tr:first-child td:first-child");
			if (td && td.innerText !== %q) return ok(true);
			if (Date.now() - started > 10000) return fail("the next page never came");
			setTimeout(look, 50);
		};
		look();
	})`, first), nil)
	deskWaitCount(t, tab, "#health-drill tbody tr", 25)

	// Completeness: the VMs in no service, the very CIs the API's filter answers.
	var vm struct {
		Count       int
		WithService float64
	}
	for _, k := range hf.Completeness {
		if k.Kind == "VM" {
			vm.Count, vm.WithService = k.Count, k.WithService
		}
	}
	missing := int(math.Round(float64(vm.Count) * (1 - vm.WithService)))
	if missing == 0 {
		t.Fatal("the demo's VMs are all in a service: pick another figure")
	}
	tab.Click(`.health-completeness a[href*="show=noService"][href*="kind=VM"]`)
	tab.WaitPath("/health?show=noService&kind=VM")
	if n := healthDrillTotal(t, tab); n != missing {
		t.Errorf("VMs in no service: the list holds %d, the figure %d", n, missing)
	}
	var api struct {
		ConfigurationItems struct {
			TotalCount int
			Edges      []struct{ Node struct{ Name string } }
		}
	}
	deskAPI(t, env, env.Viewer, `{ configurationItems(first: 25, orderBy: [{field: NAME, direction: ASC}],
		where: {kind: VM, hasServices: false, statusNotIn: [RETIRED, DISPOSED]}) { totalCount edges { node { name } } } }`, nil, &api)
	var names []string
	tab.Eval(`[...document.querySelectorAll("#health-drill tbody tr td:first-child")].map(td => td.innerText)`, &names)
	var apiNames []string
	for _, e := range api.ConfigurationItems.Edges {
		apiNames = append(apiNames, e.Node.Name)
	}
	if api.ConfigurationItems.TotalCount != missing || strings.Join(names, ",") != strings.Join(apiNames, ",") {
		t.Errorf("VMs in no service: page %v, API (%d) %v", names, api.ConfigurationItems.TotalCount, apiNames)
	}
	tab.Axe("health drill-down (viewer)")
	tab.Eval(`window.scrollTo(0, 0)`, nil)
	tab.Shot("health")
	deskPhoneDark(t, tab, "health drill-down")

	admin := env.Tab(t, env.Admin)
	admin.Go("/health")
	admin.WaitText("#health-jobs", "snmp: no answer from 10.20.0.1")

	editor := env.Tab(t, env.Editor)
	editor.Go("/health?show=contracts&expiringDays=365")
	editor.WaitText("#health-drill", "contract")
	editor.Axe("health (editor)")
	if got := editor.Text("#health-drill h2"); !strings.Contains(got, "365 days") {
		t.Errorf("the contracts drill-down says %q", got)
	}
}
