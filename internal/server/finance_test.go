package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// The finance API (issue 4) end to end over HTTP, on SQLite and PostgreSQL:
// asset money fields, book value, schedules, disposal, CI and incident book
// values, bad input, expiring contracts and cost roll-ups. Every expected
// figure is worked out by hand in the comments.

const finMoney = `{ amount currency }`

// finM renders a Money object of a decoded response as "amount currency"
// ("<nil>" for null).
func finM(t *testing.T, v any, path string) string {
	t.Helper()
	m := get(t, v, path)
	if m == nil {
		return "<nil>"
	}
	mm, ok := m.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want a Money object", path, m)
	}
	return fmt.Sprintf("%v %v", mm["amount"], mm["currency"])
}

// finDate is a GraphQL Time literal for a YYYY-MM-DD date.
func finDate(s string) string { return day(s).Format(time.RFC3339) }

// finCents formats minor units of a 2-decimal currency.
func finCents(minor int64, cur string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, cur)
}

// finMonth numbers calendar months (year*12 + month − 1).
func finMonth(t time.Time) int { y, m, _ := t.UTC().Date(); return y*12 + int(m) - 1 }

func finCI(t *testing.T, env *servertest.Env, name string) string {
	t.Helper()
	return str(t, data(t, env.Do(t, env.Editor, `mutation($n: String!) { createConfigurationItem(input: {name: $n, kind: SERVER, hostname: $n}) { id } }`,
		map[string]any{"n": name})), "createConfigurationItem.id")
}

func TestFinanceAssets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})

		// Every asset field by its GraphQL name. Declining balance at 60 % a
		// year: asset year 1 (September 2024 – August 2025) is 60 % of
		// 1000.00 = 600.00, spread evenly, 50.00 a month:
		//   Sep 2024: 50.00 → acc  50.00, bv 950.00
		//   Oct 2024: 50.00 → acc 100.00, bv 900.00
		//   Nov 2024: 50.00 → acc 150.00, bv 850.00
		// and the schedule stops at the disposal month (November, a full month
		// under FULL_MONTH). Loss on disposal: 800.00 − 850.00 = −50.00.
		t.Run("every field", func(t *testing.T) {
			ci := finCI(t, env, "fin-all")
			got := data(t, env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {
				configurationItemID: $ci, purchaseDate: "2024-09-01T00:00:00Z", inServiceDate: "2024-09-10T00:00:00Z",
				cost: "1000.00", salvageValue: "100", currency: "eur", usefulLifeMonths: 30,
				depreciationMethod: DECLINING_BALANCE, decliningRate: 0.6, convention: FULL_MONTH, costCenter: "CC-4711",
				disposalDate: "2024-11-20T00:00:00Z", disposalProceeds: "800"}) {
				  id purchaseDate inServiceDate cost `+finMoney+` salvageValue `+finMoney+` currency usefulLifeMonths
				  depreciationMethod decliningRate convention costCenter disposalDate disposalProceeds `+finMoney+`
				  configurationItemID configurationItem { name }
				  bookValue(asOf: "2024-10-15T00:00:00Z") `+finMoney+`
				  accumulatedDepreciation(asOf: "2024-10-15T00:00:00Z") `+finMoney+`
				  depreciationSchedule { periodStart periodEnd depreciation `+finMoney+` accumulated `+finMoney+` bookValue `+finMoney+` }
				  disposalGainOrLoss `+finMoney+`
				} }`, map[string]any{"ci": ci}))
			a := get(t, got, "createAsset")
			for path, want := range map[string]any{
				"purchaseDate": "2024-09-01T00:00:00Z", "inServiceDate": "2024-09-10T00:00:00Z", "currency": "EUR",
				"usefulLifeMonths": float64(30), "depreciationMethod": "DECLINING_BALANCE", "decliningRate": 0.6,
				"convention": "FULL_MONTH", "costCenter": "CC-4711", "disposalDate": "2024-11-20T00:00:00Z",
				"configurationItemID": ci, "configurationItem.name": "fin-all",
			} {
				if g := get(t, a, path); g != want {
					t.Errorf("%s = %v, want %v", path, g, want)
				}
			}
			for path, want := range map[string]string{
				"cost": "1000.00 EUR", "salvageValue": "100.00 EUR", "disposalProceeds": "800.00 EUR",
				"bookValue": "900.00 EUR", "accumulatedDepreciation": "100.00 EUR", "disposalGainOrLoss": "-50.00 EUR",
			} {
				if g := finM(t, a, path); g != want {
					t.Errorf("%s = %s, want %s", path, g, want)
				}
			}
			wantRows := []string{
				"2024-09-01..2024-09-30 50.00 EUR 50.00 EUR 950.00 EUR",
				"2024-10-01..2024-10-31 50.00 EUR 100.00 EUR 900.00 EUR",
				"2024-11-01..2024-11-30 50.00 EUR 150.00 EUR 850.00 EUR",
			}
			eqLines(t, "schedule", finRows(t, get(t, a, "depreciationSchedule")), wantRows)
			goldenJSON(t, "finance_asset_every_field", got)

			// The stored record reads back the same, and as-of figures follow
			// the schedule: the month containing asOf counts as depreciated,
			// nothing before the in-service month, 0 from the disposal date on.
			id := str(t, got, "createAsset.id")
			q := `query($id: ID!) { node(id: $id) { ... on Asset { cost ` + finMoney + ` disposalProceeds ` + finMoney + ` decliningRate costCenter`
			asOf := map[string][2]string{ // asOf → book value, accumulated
				"2024-08-31": {"1000.00 EUR", "0.00 EUR"},
				"2024-09-01": {"950.00 EUR", "50.00 EUR"},
				"2024-09-30": {"950.00 EUR", "50.00 EUR"},
				"2024-10-01": {"900.00 EUR", "100.00 EUR"},
				"2024-11-19": {"850.00 EUR", "150.00 EUR"},
				"2024-11-20": {"0.00 EUR", "150.00 EUR"},
				"2030-01-01": {"0.00 EUR", "150.00 EUR"},
			}
			i := 0
			alias := map[string]int{}
			for d := range asOf {
				alias[d] = i
				q += fmt.Sprintf(` b%d: bookValue(asOf: %q) %s a%d: accumulatedDepreciation(asOf: %q) %s`, i, finDate(d), finMoney, i, finDate(d), finMoney)
				i++
			}
			node := get(t, data(t, env.Do(t, env.Viewer, q+` } } }`, map[string]any{"id": id})), "node")
			if finM(t, node, "cost") != "1000.00 EUR" || finM(t, node, "disposalProceeds") != "800.00 EUR" ||
				get(t, node, "decliningRate") != 0.6 || get(t, node, "costCenter") != "CC-4711" {
				t.Errorf("stored asset reads back as %s", jsonOf(node))
			}
			for d, want := range asOf {
				n := alias[d]
				if b, a := finM(t, node, fmt.Sprintf("b%d", n)), finM(t, node, fmt.Sprintf("a%d", n)); b != want[0] || a != want[1] {
					t.Errorf("as of %s: bookValue %s, accumulated %s; want %s, %s", d, b, a, want[0], want[1])
				}
			}
		})

		// Straight line, 30 months, in service in September 2024 (the middle
		// of a year): (3100.00 − 100.00) / 30 = 100.00 a month from September
		// 2024 to February 2027. YEAR rows are calendar years, the first and
		// last clipped to the scheduled months: 2024 has 4 months (400.00),
		// 2025 and 2026 twelve (1200.00 each), 2027 two (200.00).
		ci := finCI(t, env, "fin-sl30")
		sl := data(t, env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci,
			purchaseDate: "2024-09-01T00:00:00Z", inServiceDate: "2024-09-10T00:00:00Z", cost: "3100.00", salvageValue: "100.00",
			currency: "EUR", usefulLifeMonths: 30, depreciationMethod: STRAIGHT_LINE, convention: FULL_MONTH}) { id } }`, map[string]any{"ci": ci}))
		slID := str(t, sl, "createAsset.id")
		schedule := func(t *testing.T, id, period string) (any, []string) {
			t.Helper()
			got := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Asset { depreciationSchedule(period: `+period+`) {
				periodStart periodEnd depreciation `+finMoney+` accumulated `+finMoney+` bookValue `+finMoney+` } } } }`, map[string]any{"id": id}))
			return got, finRows(t, get(t, got, "node.depreciationSchedule"))
		}

		t.Run("straight line 30 months by month", func(t *testing.T) {
			_, rows := schedule(t, slID, "MONTH")
			var want []string
			start := day("2024-09-01")
			for k := 1; k <= 30; k++ {
				end := start.AddDate(0, 1, -1)
				want = append(want, fmt.Sprintf("%s..%s 100.00 EUR %s %s", start.Format(time.DateOnly), end.Format(time.DateOnly),
					finCents(int64(k)*10000, "EUR"), finCents(310000-int64(k)*10000, "EUR")))
				start = start.AddDate(0, 1, 0)
			}
			eqLines(t, "monthly schedule", rows, want)
			if rows[29] != "2027-02-01..2027-02-28 100.00 EUR 3000.00 EUR 100.00 EUR" {
				t.Errorf("last month row %q, want February 2027 down to salvage", rows[29])
			}
		})

		t.Run("straight line 30 months by year", func(t *testing.T) {
			got, rows := schedule(t, slID, "YEAR")
			eqLines(t, "yearly schedule", rows, []string{
				"2024-09-01..2024-12-31 400.00 EUR 400.00 EUR 2700.00 EUR",
				"2025-01-01..2025-12-31 1200.00 EUR 1600.00 EUR 1500.00 EUR",
				"2026-01-01..2026-12-31 1200.00 EUR 2800.00 EUR 300.00 EUR",
				"2027-01-01..2027-02-28 200.00 EUR 3000.00 EUR 100.00 EUR",
			})
			goldenJSON(t, "finance_schedule_sl30_year", got)
		})

		// MID_MONTH: half a month in the in-service month and in the month
		// after the last full one, 31 calendar months: 2024 = 50 + 3 × 100,
		// 2027 = 2 × 100 + 50.
		t.Run("mid-month convention by year", func(t *testing.T) {
			id := str(t, data(t, env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci,
				inServiceDate: "2024-09-10T00:00:00Z", cost: "3000", usefulLifeMonths: 30, convention: MID_MONTH}) { id } }`,
				map[string]any{"ci": finCI(t, env, "fin-mid")})), "createAsset.id")
			_, rows := schedule(t, id, "YEAR")
			eqLines(t, "mid-month yearly schedule", rows, []string{
				"2024-09-01..2024-12-31 350.00 EUR 350.00 EUR 2650.00 EUR",
				"2025-01-01..2025-12-31 1200.00 EUR 1550.00 EUR 1450.00 EUR",
				"2026-01-01..2026-12-31 1200.00 EUR 2750.00 EUR 250.00 EUR",
				"2027-01-01..2027-03-31 250.00 EUR 3000.00 EUR 0.00 EUR",
			})
			_, months := schedule(t, id, "MONTH")
			if len(months) != 31 || !strings.HasPrefix(months[0], "2024-09-01..2024-09-30 50.00 EUR") ||
				!strings.HasPrefix(months[1], "2024-10-01..2024-10-31 100.00 EUR") || !strings.HasPrefix(months[30], "2027-03-01..2027-03-31 50.00 EUR") {
				t.Errorf("mid-month monthly schedule: %d rows %q … %q", len(months), months[0], months[len(months)-1])
			}
		})

		// bookValue(asOf) and accumulatedDepreciation(asOf) equal the schedule
		// row of the month containing asOf, on its first and its last day;
		// the cost before the in-service month and salvage after the life.
		t.Run("as-of equals the schedule row", func(t *testing.T) {
			type check struct{ asOf, bv, acc string }
			checks := []check{{"2024-08-31", "3100.00 EUR", "0.00 EUR"}, {"2031-05-05", "100.00 EUR", "3000.00 EUR"}}
			start := day("2024-09-01")
			for k := int64(1); k <= 30; k++ {
				bv, acc := finCents(310000-k*10000, "EUR"), finCents(k*10000, "EUR")
				checks = append(checks, check{start.Format(time.DateOnly), bv, acc},
					check{start.AddDate(0, 1, -1).Format(time.DateOnly), bv, acc})
				start = start.AddDate(0, 1, 0)
			}
			q := `query($id: ID!) { node(id: $id) { ... on Asset {`
			for i, c := range checks {
				q += fmt.Sprintf(` b%d: bookValue(asOf: %q) %s a%d: accumulatedDepreciation(asOf: %q) %s`, i, finDate(c.asOf), finMoney, i, finDate(c.asOf), finMoney)
			}
			node := get(t, data(t, env.Do(t, env.Viewer, q+` } } }`, map[string]any{"id": slID})), "node")
			for i, c := range checks {
				if b, a := finM(t, node, fmt.Sprintf("b%d", i)), finM(t, node, fmt.Sprintf("a%d", i)); b != c.bv || a != c.acc {
					t.Errorf("as of %s: bookValue %s, accumulated %s; want %s, %s", c.asOf, b, a, c.bv, c.acc)
				}
			}
			// Without asOf: now.
			k := int64(min(max(finMonth(time.Now())-finMonth(day("2024-09-01"))+1, 0), 30))
			now := get(t, data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Asset { bookValue `+finMoney+` accumulatedDepreciation `+finMoney+` } } }`,
				map[string]any{"id": slID})), "node")
			if b, a := finM(t, now, "bookValue"), finM(t, now, "accumulatedDepreciation"); b != finCents(310000-k*10000, "EUR") || a != finCents(k*10000, "EUR") {
				t.Errorf("now: bookValue %s, accumulated %s; want month %d of 30", b, a, k)
			}
		})

		t.Run("disposal gain or loss", func(t *testing.T) {
			// Straight line 1200.00 over 12 months from January 2025, disposed
			// of on 2025-04-10: four months (400.00) depreciated, book value at
			// disposal 800.00.
			create := func(name, proceeds string) any {
				fields := `, disposalDate: "2025-04-10T00:00:00Z"`
				if proceeds != "" {
					fields += `, disposalProceeds: "` + proceeds + `"`
				}
				return data(t, env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci, inServiceDate: "2025-01-01T00:00:00Z",
					cost: "1200.00", usefulLifeMonths: 12`+fields+`}) { disposalGainOrLoss `+finMoney+` bookValue(asOf: "2025-04-09T00:00:00Z") `+finMoney+`
					after: bookValue(asOf: "2025-04-10T00:00:00Z") `+finMoney+` depreciationSchedule(period: YEAR) { depreciation `+finMoney+` } } }`,
					map[string]any{"ci": finCI(t, env, name)}))
			}
			for _, c := range []struct{ name, proceeds, gain string }{
				{"fin-gain", "950.00", "150.00 EUR"},
				{"fin-loss", "500.00", "-300.00 EUR"},
				{"fin-even", "800.00", "0.00 EUR"},
				{"fin-scrapped", "", "-800.00 EUR"}, // no proceeds: scrapped
			} {
				got := create(c.name, c.proceeds)
				if g, b, after, y := finM(t, got, "createAsset.disposalGainOrLoss"), finM(t, got, "createAsset.bookValue"),
					finM(t, got, "createAsset.after"), finM(t, got, "createAsset.depreciationSchedule.0.depreciation"); g != c.gain ||
					b != "800.00 EUR" || after != "0.00 EUR" || y != "400.00 EUR" {
					t.Errorf("%s: gain %s, book value %s then %s, 2025 depreciation %s; want %s, 800.00, 0.00, 400.00", c.name, g, b, after, y, c.gain)
				}
			}
			// Not disposed of: null.
			got := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Asset { disposalGainOrLoss `+finMoney+` } } }`, map[string]any{"id": slID}))
			if g := get(t, got, "node.disposalGainOrLoss"); g != nil {
				t.Errorf("disposalGainOrLoss of an asset in use = %v, want null", g)
			}
		})

		t.Run("configuration item and incident book value", func(t *testing.T) {
			bare := finCI(t, env, "fin-bare")
			// September 2024 … June 2025 is 10 months: 3100.00 − 1000.00.
			q := `query($id: ID!) { node(id: $id) { ... on ConfigurationItem { name bookValue(asOf: "2025-06-30T00:00:00Z") ` + finMoney + ` } } }`
			if g := finM(t, data(t, env.Do(t, env.Viewer, q, map[string]any{"id": ci})), "node.bookValue"); g != "2100.00 EUR" {
				t.Errorf("CI bookValue = %s, want 2100.00 EUR", g)
			}
			if g := get(t, data(t, env.Do(t, env.Viewer, q, map[string]any{"id": bare})), "node.bookValue"); g != nil {
				t.Errorf("bookValue of a CI without an asset = %v, want null", g)
			}
			// In a list, with the asset loaded eagerly and without.
			for _, sel := range []string{"name", "name asset { id }"} {
				got := data(t, env.Do(t, env.Viewer, `{ configurationItems(first: 50) { edges { node { `+sel+` bookValue(asOf: "2025-06-30T00:00:00Z") `+finMoney+` } } } }`, nil))
				seen := 0
				for _, e := range get(t, got, "configurationItems.edges").([]any) {
					switch name := str(t, e, "node.name"); name {
					case "fin-sl30", "fin-bare":
						seen++
						want := map[string]string{"fin-sl30": "2100.00 EUR", "fin-bare": "<nil>"}[name]
						if g := finM(t, e, "node.bookValue"); g != want {
							t.Errorf("list (%s): %s bookValue = %s, want %s", sel, name, g, want)
						}
					}
				}
				if seen != 2 {
					t.Errorf("list (%s) has %d of the two CIs", sel, seen)
				}
			}
			// The computed asset fields in lists, where only the selected
			// columns are loaded.
			for _, q := range []string{
				`{ assets(first: 50) { edges { node { configurationItem { name } bookValue(asOf: "2025-06-30T00:00:00Z") ` + finMoney + `
					acc: accumulatedDepreciation(asOf: "2025-06-30T00:00:00Z") ` + finMoney + ` disposalGainOrLoss ` + finMoney + `
					depreciationSchedule(period: YEAR) { depreciation ` + finMoney + ` } } } } }`,
				`{ configurationItems(first: 50) { edges { node { name asset { configurationItem { name } bookValue(asOf: "2025-06-30T00:00:00Z") ` + finMoney + `
					acc: accumulatedDepreciation(asOf: "2025-06-30T00:00:00Z") ` + finMoney + ` disposalGainOrLoss ` + finMoney + `
					depreciationSchedule(period: YEAR) { depreciation ` + finMoney + ` } } } } } }`,
			} {
				got := data(t, env.Do(t, env.Viewer, q, nil))
				root := "assets"
				if strings.Contains(q, "configurationItems") {
					root = "configurationItems"
				}
				found := false
				for _, e := range get(t, got, root+".edges").([]any) {
					n := get(t, e, "node")
					if root == "configurationItems" {
						if n = get(t, n, "asset"); n == nil {
							continue
						}
					}
					if str(t, n, "configurationItem.name") != "fin-sl30" {
						continue
					}
					found = true
					if b, a, g, y := finM(t, n, "bookValue"), finM(t, n, "acc"), get(t, n, "disposalGainOrLoss"), finM(t, n, "depreciationSchedule.1.depreciation"); b != "2100.00 EUR" ||
						a != "1000.00 EUR" || g != nil || y != "1200.00 EUR" {
						t.Errorf("%s: fin-sl30 bookValue %s, accumulated %s, gain %v, 2025 %s; want 2100.00, 1000.00, null, 1200.00", root, b, a, g, y)
					}
				}
				if !found {
					t.Errorf("%s: fin-sl30 not listed", root)
				}
			}
			// The incident context fills bookValue: now and at a given date.
			k := int64(min(max(finMonth(time.Now())-finMonth(day("2024-09-01"))+1, 0), 30))
			ic := data(t, env.Do(t, env.Viewer, `{ now: incidentContext(identifier: "fin-sl30") { ci { name } bookValue `+finMoney+` }
				then: incidentContext(identifier: "fin-sl30", asOf: "2025-06-30T00:00:00Z") { bookValue `+finMoney+` }
				bare: incidentContext(identifier: "fin-bare") { ci { name } bookValue `+finMoney+` } }`, nil))
			if g, want := finM(t, ic, "now.bookValue"), finCents(310000-k*10000, "EUR"); g != want || str(t, ic, "now.ci.name") != "fin-sl30" {
				t.Errorf("incidentContext bookValue now = %s, want %s", g, want)
			}
			if g := finM(t, ic, "then.bookValue"); g != "2100.00 EUR" {
				t.Errorf("incidentContext bookValue at 2025-06-30 = %s, want 2100.00 EUR", g)
			}
			if g := get(t, ic, "bare.bookValue"); g != nil || str(t, ic, "bare.ci.name") != "fin-bare" {
				t.Errorf("incidentContext of a CI without asset: %s", jsonOf(get(t, ic, "bare")))
			}
			// A book value that cannot be computed (an asset record made
			// inconsistent behind the API's back) is an error on that field
			// alone: the rest of the context still answers.
			ctx := context.Background()
			aid, err := env.DB.Client.Asset.Query().Where(asset.HasConfigurationItemWith(configurationitem.Name("fin-sl30"))).OnlyID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var cost int64
			if err := env.DB.Store.Writer().QueryRowContext(ctx, env.DB.Store.Rebind(`SELECT cost_minor FROM assets WHERE id = ?`), aid).Scan(&cost); err != nil {
				t.Fatal(err)
			}
			setCost := func(v int64) {
				if _, err := env.DB.Store.Writer().ExecContext(ctx, env.DB.Store.Rebind(`UPDATE assets SET cost_minor = ? WHERE id = ?`), v, aid); err != nil {
					t.Fatal(err)
				}
			}
			setCost(-100)
			r := env.Do(t, env.Viewer, `{ incidentContext(identifier: "fin-sl30") { ci { name } owner { name } bookValue `+finMoney+` warranty { active } } }`, nil)
			setCost(cost)
			var part struct {
				IncidentContext *struct {
					Ci        struct{ Name string }
					BookValue any
				}
			}
			if err := json.Unmarshal(r.Data, &part); err != nil {
				t.Fatal(err)
			}
			if part.IncidentContext == nil || part.IncidentContext.Ci.Name != "fin-sl30" || part.IncidentContext.BookValue != nil ||
				len(r.Errors) != 1 || fmt.Sprint(r.Errors[0].Path) != "[incidentContext bookValue]" || r.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Errorf("incidentContext with a broken asset: %s", r)
			}
		})

		t.Run("bad input", func(t *testing.T) {
			ci := finCI(t, env, "fin-bad")
			create := func(fields string) servertest.Response {
				return env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci`+fields+`}) { id } }`, map[string]any{"ci": ci})
			}
			for _, c := range []struct{ name, fields, field, msg string }{
				{"salvage above cost", `, cost: "100.00", salvageValue: "100.01"`, "salvageValue", "must not exceed"},
				{"salvage without cost", `, salvageValue: "1"`, "salvageValue", "must not exceed"},
				{"useful life 0", `, usefulLifeMonths: 0`, "usefulLifeMonths", "between 1 and 1200 months, got 0"},
				{"useful life negative", `, usefulLifeMonths: -12`, "usefulLifeMonths", "between 1 and 1200 months, got -12"},
				{"useful life above 100 years", `, usefulLifeMonths: 1201`, "usefulLifeMonths", "between 1 and 1200 months, got 1201"},
				{"declining rate 0", `, depreciationMethod: DECLINING_BALANCE, decliningRate: 0`, "decliningRate", "(0, 1]"},
				{"declining rate 1.5", `, depreciationMethod: DECLINING_BALANCE, decliningRate: 1.5`, "decliningRate", "(0, 1]"},
				{"declining rate negative", `, depreciationMethod: DECLINING_BALANCE, decliningRate: -0.2`, "decliningRate", "(0, 1]"},
				{"declining balance without rate", `, depreciationMethod: DECLINING_BALANCE`, "decliningRate", "(0, 1]"},
				{"in service before purchase", `, purchaseDate: "2024-09-01T00:00:00Z", inServiceDate: "2024-08-31T00:00:00Z"`, "inServiceDate", "must not be before"},
				{"disposal before in service", `, inServiceDate: "2024-09-01T00:00:00Z", disposalDate: "2024-08-01T00:00:00Z"`, "disposalDate", "must not be before"},
				{"disposal before purchase", `, purchaseDate: "2024-09-01T00:00:00Z", disposalDate: "2024-08-01T00:00:00Z"`, "disposalDate", "must not be before"},
				{"unknown currency", `, cost: "10", currency: "ABC"`, "currency", `unknown currency "ABC"`},
				{"negative cost", `, cost: "-10"`, "cost", "must not be negative"},
			} {
				t.Run(c.name, func(t *testing.T) {
					mustNotWrite(t, env, func() { wantErr(t, create(c.fields), "BAD_USER_INPUT", c.field, c.msg) })
				})
			}
			// Updates are checked against the stored record.
			upd := func(fields string) servertest.Response {
				return env.Do(t, env.Editor, `mutation($id: ID!) { updateAsset(id: $id, input: {`+fields+`}) { id } }`, map[string]any{"id": slID})
			}
			for _, c := range []struct{ name, fields, field, msg string }{
				{"salvage above stored cost", `salvageValue: "3100.01"`, "salvageValue", "must not exceed"},
				{"cost below stored salvage", `cost: "99.99"`, "salvageValue", "must not exceed"},
				{"in service before stored purchase", `inServiceDate: "2024-08-01T00:00:00Z"`, "inServiceDate", "must not be before"},
				{"useful life 0", `usefulLifeMonths: 0`, "usefulLifeMonths", "between 1 and 1200 months"},
				{"declining balance without rate", `depreciationMethod: DECLINING_BALANCE`, "decliningRate", "(0, 1]"},
				{"declining rate 1.5", `depreciationMethod: DECLINING_BALANCE, decliningRate: 1.5`, "decliningRate", "(0, 1]"},
				{"unknown currency", `currency: "ZZZ"`, "currency", `unknown currency "ZZZ"`},
			} {
				t.Run("update "+c.name, func(t *testing.T) {
					mustNotWrite(t, env, func() { wantErr(t, upd(c.fields), "BAD_USER_INPUT", c.field, c.msg) })
				})
			}
			got := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Asset { cost `+finMoney+` salvageValue `+finMoney+` usefulLifeMonths depreciationMethod inServiceDate } } }`,
				map[string]any{"id": slID}))
			node := get(t, got, "node").(map[string]any)
			if inService, err := time.Parse(time.RFC3339, str(t, node, "inServiceDate")); err != nil || !inService.Equal(day("2024-09-10")) {
				t.Errorf("refused updates changed inServiceDate: %v", node["inServiceDate"])
			}
			delete(node, "inServiceDate")
			if jsonOf(node) != `{"cost":{"amount":"3100.00","currency":"EUR"},"depreciationMethod":"STRAIGHT_LINE","salvageValue":{"amount":"100.00","currency":"EUR"},"usefulLifeMonths":30}` {
				t.Errorf("refused updates changed the asset: %s", jsonOf(get(t, got, "node")))
			}
		})

		// Disposal proceeds recorded before a disposal date (the API accepts
		// them) must not break the read side.
		t.Run("proceeds without disposal date", func(t *testing.T) {
			got := data(t, env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci, inServiceDate: "2025-01-01T00:00:00Z",
				cost: "1200.00", usefulLifeMonths: 12, disposalProceeds: "10.00"}) { bookValue(asOf: "2025-03-31T00:00:00Z") `+finMoney+` disposalGainOrLoss `+finMoney+` } }`,
				map[string]any{"ci": finCI(t, env, "fin-proceeds")}))
			if b, g := finM(t, got, "createAsset.bookValue"), get(t, got, "createAsset.disposalGainOrLoss"); b != "900.00 EUR" || g != nil {
				t.Errorf("bookValue %s, disposalGainOrLoss %v; want 900.00 EUR and null", b, g)
			}
			data(t, env.Do(t, env.Viewer, `{ costRollup(groupBy: SERVICE) { group } }`, nil))
		})
	})
}

// finRows renders depreciation rows as "start..end depreciation accumulated bookValue".
func finRows(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("schedule is %T, want a list", v)
	}
	out := make([]string, len(list))
	for i, r := range list {
		s, e := str(t, r, "periodStart"), str(t, r, "periodEnd")
		out[i] = fmt.Sprintf("%s..%s %s %s %s", s[:10], e[:10], finM(t, r, "depreciation"), finM(t, r, "accumulated"), finM(t, r, "bookValue"))
		if !strings.HasSuffix(s, "T00:00:00Z") || !strings.HasSuffix(e, "T00:00:00Z") {
			t.Errorf("row %d: period %s … %s, want midnight UTC dates", i, s, e)
		}
	}
	return out
}

func TestFinanceExpiringContracts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		now := time.Now().UTC().Truncate(time.Second)
		in := func(days int) time.Time { return now.Add(time.Duration(days)*24*time.Hour + time.Hour) }
		// daysToEnd counts whole UTC calendar days (finance.DaysLeft): an
		// hour past whole days is a day more late in the evening.
		today := day(now.Format(time.DateOnly))
		calendar := func(end time.Time) int { return int(day(end.Format(time.DateOnly)).Sub(today).Hours() / 24) }
		ids := map[string]string{}
		for _, c := range []struct {
			number     string
			start, end time.Time
			notice     int
		}{
			{"K-10", now.AddDate(-1, 0, 0), in(10), 30},
			{"K-5", now.AddDate(-1, 0, 0), in(5), 0},
			{"K-60", now.AddDate(-1, 0, 0), in(60), 90},
			{"K-ENDED", now.AddDate(-1, 0, 0), now.Add(-12 * time.Hour), 30},
			{"K-ENDED-LONG-AGO", now.AddDate(-3, 0, 0), in(-400), 30},
			{"K-FAR", now.AddDate(-1, 0, 0), in(400), 60},
		} {
			got := data(t, env.Do(t, env.Editor, `mutation($n: String!, $s: Time!, $e: Time!, $d: Int!) { createContract(input: {number: $n, kind: SUPPORT,
				startDate: $s, endDate: $e, noticePeriodDays: $d, cost: "100"}) { id } }`,
				map[string]any{"n": c.number, "s": c.start, "e": c.end, "d": c.notice}))
			ids[c.number] = str(t, got, "createContract.id")
		}
		const fields = `number endDate renewalNoticeDate daysToEnd`
		list := func(t *testing.T, arg string) []string {
			t.Helper()
			got := data(t, env.Do(t, env.Viewer, `{ expiringContracts`+arg+` { `+fields+` } }`, nil))
			var out []string
			for _, c := range get(t, got, "expiringContracts").([]any) {
				out = append(out, str(t, c, "number"))
			}
			return out
		}
		eqLines(t, "withinDays 30", list(t, "(withinDays: 30)"), []string{"K-5", "K-10"})
		eqLines(t, "withinDays 11", list(t, "(withinDays: 11)"), []string{"K-5", "K-10"})
		eqLines(t, "withinDays 10", list(t, "(withinDays: 10)"), []string{"K-5"}) // K-10 ends an hour later
		eqLines(t, "default 90 days", list(t, ""), []string{"K-5", "K-10", "K-60"})
		eqLines(t, "withinDays 0", list(t, "(withinDays: 0)"), nil)
		eqLines(t, "withinDays 3660", list(t, "(withinDays: 3660)"), []string{"K-5", "K-10", "K-60", "K-FAR"})
		for _, d := range []int{-1, 3661} {
			wantErr(t, env.Do(t, env.Viewer, `query($d: Int) { expiringContracts(withinDays: $d) { number } }`, map[string]any{"d": d}),
				"BAD_USER_INPUT", "withinDays", "between 0 and 3660")
		}

		// renewalNoticeDate = endDate − noticePeriodDays; daysToEnd counts
		// whole calendar days, negative once the end date has passed.
		for number, want := range map[string]struct {
			notice time.Time
			days   int
		}{
			"K-10":             {in(10).AddDate(0, 0, -30), calendar(in(10))},
			"K-5":              {in(5), calendar(in(5))},
			"K-60":             {in(60).AddDate(0, 0, -90), calendar(in(60))},
			"K-ENDED":          {now.Add(-12*time.Hour).AddDate(0, 0, -30), calendar(now.Add(-12 * time.Hour))},
			"K-ENDED-LONG-AGO": {in(-400).AddDate(0, 0, -30), calendar(in(-400))},
			"K-FAR":            {in(400).AddDate(0, 0, -60), calendar(in(400))},
		} {
			got := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on Contract { `+fields+` } } }`, map[string]any{"id": ids[number]}))
			rn, err := time.Parse(time.RFC3339Nano, str(t, got, "node.renewalNoticeDate"))
			if err != nil {
				t.Fatal(err)
			}
			if !rn.Equal(want.notice) {
				t.Errorf("%s: renewalNoticeDate %s, want %s", number, rn.UTC().Format(time.RFC3339), want.notice.Format(time.RFC3339))
			}
			if d := get(t, got, "node.daysToEnd"); d != float64(want.days) {
				t.Errorf("%s: daysToEnd %v, want %d", number, d, want.days)
			}
		}
	})
}

// TestFinanceCostRollup checks costRollup for every key on a small estate
// with EUR and USD assets and contracts, as of 2025-06-15:
//
//	asset  CI    currency  cost     salvage  method / life           in service  BV at asOf  2025 so far  cost centre
//	A      ci-a  EUR       3600.00  0        SL 36 m (100.00/m)       2024-01-10  1800.00     600.00       CC-1
//	B      ci-b  USD       1200.00  200.00   SL 20 m (50.00/m)        2025-03-05  1000.00     200.00       CC-1
//	C      ci-c  EUR       2400.00  0        SL 48 m (50.00/m)        2022-01-01  0 (disposed 2025-02-10) 100.00 (Jan, Feb)  —
//	D      ci-d  EUR        500.00  0        NONE, 60 m               2025-01-01   500.00       0.00       CC-2
//	—      ci-e  (no asset)
//
//	CI    owner     vendor  location  services
//	ci-a  Ops Team  Dell    FRA1      Shop, Data
//	ci-b  Ops Team  Cisco   AMS2      Shop
//	ci-c  Alice     Dell    FRA1      —
//	ci-d  —         —       —         Data
//	ci-e  Ops Team  —       AMS2      Shop
//
// Contracts active on 2025-06-15 (value per year = cost × 365 / days):
//
//	K1  EUR 1200.00, 2025-01-01 → 2026-01-01 (365 days): 1200.00 a year, covers ci-a, ci-b
//	K2  USD  730.00, 2024-07-01 → 2026-07-01 (730 days):  365.00 a year, covers ci-b, ci-e
//	K5  EUR  365.00, 2025-01-01 → 2026-01-01:              365.00 a year, covers ci-c, ci-d
//
// and two that are not: K3 (ended 2025-01-01, covers ci-a) and K4 (starts
// 2025-07-01, covers ci-c). A contract counts once per group however many of
// the group's CIs it covers. TCO = purchase + contract cost per year × the
// average useful life of the row's assets (of the group's assets in any
// currency when the row has none: a contract in another currency than the
// assets it covers).
func TestFinanceCostRollup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("seeding: %v", err)
				}
			}
			ops, err := tx.Owner.Create().SetName("Ops Team").SetKind(owner.KindTeam).Save(ctx)
			must(err)
			alice, err := tx.Owner.Create().SetName("Alice").SetKind(owner.KindPerson).Save(ctx)
			must(err)
			dell, err := tx.Vendor.Create().SetName("Dell").Save(ctx)
			must(err)
			cisco, err := tx.Vendor.Create().SetName("Cisco").Save(ctx)
			must(err)
			fra, err := tx.Location.Create().SetName("FRA1").SetKind(location.KindSite).Save(ctx)
			must(err)
			ams, err := tx.Location.Create().SetName("AMS2").SetKind(location.KindSite).Save(ctx)
			must(err)
			ci := func(name string, o *ent.Owner, v *ent.Vendor, l *ent.Location) *ent.ConfigurationItem {
				c := tx.ConfigurationItem.Create().SetName(name).SetKind(configurationitem.KindServer)
				if o != nil {
					c.SetOwner(o)
				}
				if v != nil {
					c.SetVendor(v)
				}
				if l != nil {
					c.SetLocation(l)
				}
				x, err := c.Save(ctx)
				must(err)
				return x
			}
			a, b, c, d, e := ci("ci-a", ops, dell, fra), ci("ci-b", ops, cisco, ams), ci("ci-c", alice, dell, fra), ci("ci-d", nil, nil, nil), ci("ci-e", ops, nil, ams)
			must(tx.Service.Create().SetName("Shop").AddMembers(a, b, e).Exec(ctx))
			must(tx.Service.Create().SetName("Data").AddMembers(a, d).Exec(ctx))
			ptr := func(s string) *string { return &s }
			dt := func(s string) *time.Time { d := day(s); return &d }
			proceeds := int64(45000)
			for _, x := range []struct {
				ci                *ent.ConfigurationItem
				cur               string
				cost, salvage     int64
				life              int
				method            asset.DepreciationMethod
				inService, dispos *time.Time
				costCenter        *string
			}{
				{a, "EUR", 360000, 0, 36, asset.DepreciationMethodStraightLine, dt("2024-01-10"), nil, ptr("CC-1")},
				{b, "USD", 120000, 20000, 20, asset.DepreciationMethodStraightLine, dt("2025-03-05"), nil, ptr("CC-1")},
				{c, "EUR", 240000, 0, 48, asset.DepreciationMethodStraightLine, dt("2022-01-01"), dt("2025-02-10"), nil},
				{d, "EUR", 50000, 0, 60, asset.DepreciationMethodNone, dt("2025-01-01"), nil, ptr("CC-2")},
			} {
				cr := tx.Asset.Create().SetConfigurationItem(x.ci).SetCurrency(x.cur).SetCostMinor(x.cost).SetSalvageMinor(x.salvage).
					SetUsefulLifeMonths(x.life).SetDepreciationMethod(x.method).SetNillableInServiceDate(x.inService).
					SetNillableDisposalDate(x.dispos).SetNillableCostCenter(x.costCenter)
				if x.dispos != nil {
					cr.SetDisposalProceedsMinor(proceeds)
				}
				must(cr.Exec(ctx))
			}
			for _, k := range []struct {
				number, cur string
				cost        int64
				start, end  string
				covers      []*ent.ConfigurationItem
			}{
				{"K1", "EUR", 120000, "2025-01-01", "2026-01-01", []*ent.ConfigurationItem{a, b}},
				{"K2", "USD", 73000, "2024-07-01", "2026-07-01", []*ent.ConfigurationItem{b, e}},
				{"K3", "EUR", 999900, "2024-01-01", "2025-01-01", []*ent.ConfigurationItem{a}},
				{"K4", "EUR", 999900, "2025-07-01", "2026-07-01", []*ent.ConfigurationItem{c}},
				{"K5", "EUR", 36500, "2025-01-01", "2026-01-01", []*ent.ConfigurationItem{c, d}},
			} {
				must(tx.Contract.Create().SetNumber(k.number).SetKind(contract.KindSupport).SetCurrency(k.cur).SetCostMinor(k.cost).
					SetStartDate(day(k.start)).SetEndDate(day(k.end)).AddCoveredCis(k.covers...).Exec(ctx))
			}
			return nil
		})

		// group currency count | purchase book depreciation contracts/yr TCO
		const (
			tcoA    = "7200.00"  // 3600 + 1200 × 3
			tcoB    = "1808.33"  // 1200 + 365 × 20/12 = 1200 + 608.333…
			tcoC    = "3860.00"  // 2400 + 365 × 4
			tcoD    = "2325.00"  // 500 + 365 × 5
			tcoBK1  = "2000.00"  // no EUR asset: 1200 × B's 20/12 years
			tcoEK2D = "1825.00"  // no USD asset: 365 × D's 5 years
			tcoEK2C = "1460.00"  // no USD asset: 365 × C's 4 years
			tcoAC   = "11477.50" // 6000 + (1200 + 365) × (3 + 4)/2
		)
		want := map[string][]string{
			"SERVICE": {
				"(none) EUR 1 | 2400.00 0.00 100.00 365.00 " + tcoC,
				"Data EUR 2 | 4100.00 2300.00 600.00 1565.00 10360.00", // 4100 + (1200 + 365) × (3 + 5)/2
				"Shop EUR 1 | 3600.00 1800.00 600.00 1200.00 " + tcoA,  // K1 covers two Shop CIs: once
				"Shop USD 1 | 1200.00 1000.00 200.00 365.00 " + tcoB,
			},
			"OWNER": {
				"(none) EUR 1 | 500.00 500.00 0.00 365.00 " + tcoD,
				"Alice EUR 1 | 2400.00 0.00 100.00 365.00 " + tcoC,
				"Ops Team EUR 1 | 3600.00 1800.00 600.00 1200.00 " + tcoA,
				"Ops Team USD 1 | 1200.00 1000.00 200.00 365.00 " + tcoB,
			},
			"VENDOR": {
				"(none) EUR 1 | 500.00 500.00 0.00 365.00 " + tcoD,
				"(none) USD 0 | 0.00 0.00 0.00 365.00 " + tcoEK2D,
				"Cisco EUR 0 | 0.00 0.00 0.00 1200.00 " + tcoBK1,
				"Cisco USD 1 | 1200.00 1000.00 200.00 365.00 " + tcoB,
				"Dell EUR 2 | 6000.00 1800.00 700.00 1565.00 " + tcoAC,
			},
			"COST_CENTER": {
				"(none) EUR 1 | 2400.00 0.00 100.00 365.00 " + tcoC,
				"(none) USD 0 | 0.00 0.00 0.00 365.00 " + tcoEK2C,
				"CC-1 EUR 1 | 3600.00 1800.00 600.00 1200.00 " + tcoA,
				"CC-1 USD 1 | 1200.00 1000.00 200.00 365.00 " + tcoB,
				"CC-2 EUR 1 | 500.00 500.00 0.00 365.00 " + tcoD,
			},
			"LOCATION": {
				"(none) EUR 1 | 500.00 500.00 0.00 365.00 " + tcoD,
				"AMS2 EUR 0 | 0.00 0.00 0.00 1200.00 " + tcoBK1,
				"AMS2 USD 1 | 1200.00 1000.00 200.00 365.00 " + tcoB,
				"FRA1 EUR 2 | 6000.00 1800.00 700.00 1565.00 " + tcoAC,
			},
		}
		const rowFields = `key group currency assetCount purchaseCost ` + finMoney + ` bookValue ` + finMoney + ` depreciationThisYear ` + finMoney +
			` contractCostPerYear ` + finMoney + ` totalCostOfOwnership ` + finMoney
		for _, key := range []string{"SERVICE", "OWNER", "VENDOR", "COST_CENTER", "LOCATION"} {
			t.Run(key, func(t *testing.T) {
				got := data(t, env.Do(t, env.Viewer, `{ costRollup(groupBy: `+key+`, asOf: "2025-06-15T00:00:00Z") { `+rowFields+` } }`, nil))
				var lines []string
				for i, r := range get(t, got, "costRollup").([]any) {
					cur := str(t, r, "currency")
					amt := func(f string) string {
						m := finM(t, r, f)
						if !strings.HasSuffix(m, " "+cur) {
							t.Errorf("row %d: %s is %s, not in the row's currency %s", i, f, m, cur)
						}
						return strings.TrimSuffix(m, " "+cur)
					}
					if k := str(t, r, "key"); k != key {
						t.Errorf("row %d: key %s, want %s", i, k, key)
					}
					lines = append(lines, fmt.Sprintf("%s %s %v | %s %s %s %s %s", str(t, r, "group"), cur, get(t, r, "assetCount"),
						amt("purchaseCost"), amt("bookValue"), amt("depreciationThisYear"), amt("contractCostPerYear"), amt("totalCostOfOwnership")))
				}
				eqLines(t, "costRollup("+key+")", lines, want[key])
				if key == "SERVICE" {
					goldenJSON(t, "finance_cost_rollup_service", got)
				}
			})
		}

		// Early in the year, before B is in service and K2 … K5 as they were:
		// on 2025-01-31 A has 13 months (BV 2300.00, January 100.00), C 37
		// (BV 550.00, January 50.00), B not yet in service (BV = cost).
		t.Run("as of another date", func(t *testing.T) {
			got := data(t, env.Do(t, env.Viewer, `{ costRollup(groupBy: OWNER, asOf: "2025-01-31T00:00:00Z") { `+rowFields+` } }`, nil))
			var lines []string
			for _, r := range get(t, got, "costRollup").([]any) {
				lines = append(lines, fmt.Sprintf("%s %s %s %s", str(t, r, "group"), finM(t, r, "bookValue"), finM(t, r, "depreciationThisYear"), finM(t, r, "contractCostPerYear")))
			}
			eqLines(t, "costRollup(OWNER) on 2025-01-31", lines, []string{
				"(none) 500.00 EUR 0.00 EUR 365.00 EUR",
				"Alice 550.00 EUR 50.00 EUR 365.00 EUR",
				"Ops Team 2300.00 EUR 100.00 EUR 1200.00 EUR",
				"Ops Team 1200.00 USD 0.00 USD 365.00 USD",
			})
		})
	})
}
