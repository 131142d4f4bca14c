package replay_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestGraphAndBinding runs on the demo estate, on SQLite and PostgreSQL:
// the database Graph returns, for a batch of CIs, exactly the edges
// MemGraph returns over all the relationships (so the engine sees the
// same graph), and Bind binds by the rules of intake's doc.
func TestGraphAndBinding(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		rels, err := db.Client.Relationship.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var all []correlate.Edge
		for _, r := range rels {
			all = append(all, correlate.Edge{From: r.FromID, To: r.ToID, Type: string(r.Type)})
		}
		mem := correlate.NewMemGraph(all)
		id := func(name string) int {
			return db.Client.ConfigurationItem.Query().Where(configurationitem.Name(name)).OnlyIDX(ctx)
		}
		g := replay.NewGraph(db.Store)
		for _, c := range []struct {
			cis  []string
			hops int
		}{
			{[]string{"ams2-db01"}, 1},
			{[]string{"ams2-db01", "ams2-esx03", "euc1-web01"}, 3},
			{[]string{"ams2-app01", "fra1-db01"}, 5},
			{[]string{"ams2-tor-sw04"}, 8},
		} {
			var ids []int
			for _, n := range c.cis {
				ids = append(ids, id(n))
			}
			got, err := g.DependencyEdges(ctx, ids, c.hops)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := mem.DependencyEdges(ctx, ids, c.hops)
			if !reflect.DeepEqual(edgeSet(got), edgeSet(want)) || len(want) == 0 {
				t.Errorf("%v hops %d: database graph\n%v\nwant (MemGraph)\n%v", c.cis, c.hops, edgeSet(got), edgeSet(want))
			}
		}

		b := replay.NewBinder(db.Client, db.Store)
		db01 := id("ams2-db01")
		for _, c := range []struct {
			labels  map[string]string
			ci      int
			boundBy string
		}{
			{map[string]string{"instance": "ams2-db01:9100"}, db01, "instance"},
			{map[string]string{"instance": "ams2-db01.ams2.example.net:9100"}, db01, "instance"},
			{map[string]string{"cairn_ci": "ams2-db01", "instance": "ams2-db02:9100"}, db01, "cairn_ci"},
			{map[string]string{"cairn_ci": fmt.Sprint(db01)}, db01, "cairn_ci"},
			// a prefix is no binding; the next hint binds
			{map[string]string{"instance": "ams2-app:9100", "host": "ams2-db01"}, db01, "host"},
			// NAME binds only for cairn_ci
			{map[string]string{"instance": "checkout-web"}, 0, ""},
			{map[string]string{"service": "checkout"}, 0, ""},
			{map[string]string{"instance": "nowhere-zz:9100"}, 0, ""},
			{map[string]string{"cairn_ci": "999999999999"}, 0, ""},
		} {
			got, err := b.Bind(ctx, c.labels)
			if err != nil {
				t.Fatal(err)
			}
			if got.CI != c.ci || got.BoundBy != c.boundBy {
				t.Errorf("Bind(%v) = %+v, want CI %d by %q", c.labels, got, c.ci, c.boundBy)
			}
		}
	})
}

func edgeSet(es []correlate.Edge) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range es {
		s := fmt.Sprintf("%d>%d %s", e.From, e.To, e.Type)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func TestParseDetects(t *testing.T) {
	am := `{"version":"4","status":"firing","receiver":"r","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-12-07T10:00:00Z"}]}`
	gen := `[{"labels":{"alertname":"A"},"startsAt":"2026-12-07T10:00:00Z"},{"labels":{"alertname":"B"},"startsAt":"2026-12-07T10:00:00Z"}]`
	now := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, data, format string
		n                  int
		err                string
	}{
		{"one payload", am, "", 1, ""},
		{"array of payloads", "[" + am + "," + am + "]", "", 2, ""},
		{"generic array", gen, "", 2, ""},
		{"generic array forced", gen, replay.FormatAlerts, 2, ""},
		{"generic array read as payloads", gen, replay.FormatAlertmanager, 0, "payloads[0]"},
		{"empty", "  ", "", 0, "the file is empty"},
		{"empty array", "[]", "", 0, "the array holds nothing"},
		{"scalar", "42", "", 0, "neither a JSON object"},
		{"bad format", am, "xml", 0, `format "xml"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := replay.Parse([]byte(c.data), c.format, now)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error containing %q", err, c.err)
				}
				return
			}
			if err != nil || len(got) != c.n {
				t.Fatalf("got %d alerts, %v; want %d", len(got), err, c.n)
			}
		})
	}
}

// FuzzParse: any bytes are parsed or refused, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`[{"labels":{"alertname":"A"},"startsAt":"2026-12-07T10:00:00Z"}]`), "")
	f.Add([]byte(`{"version":"4","alerts":[]}`), "alertmanager")
	f.Add([]byte(`[{"alerts":[{}]}]`), "")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		alerts, err := replay.Parse(data, format, time.Unix(0, 0))
		if err == nil && len(alerts) == 0 {
			t.Fatalf("no error and no alert for %q", data)
		}
	})
}

// TestRunChangeEvidence replays the demo storm after recording an
// implemented change on ams2-core-sw02 an hour before it and a rejected
// one on ams2-core-sw01: the implemented change raises core-sw02 (above
// ams2-fw01, which ranked above it) and its dependent ams2-tor-sw04 keeps
// the top on topology, both naming the change; the rejected one raises
// nothing and is named nowhere.
func TestRunChangeEvidence(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		id := func(name string) int {
			return db.Client.ConfigurationItem.Query().Where(configurationitem.Name(name)).OnlyIDX(ctx)
		}
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "alerts", "demo-storm.json"))
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := replay.Parse(data, "", time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		ranked := func() []replay.Candidate {
			t.Helper()
			rep, err := replay.Run(ctx, db.Client, db.Store, alerts, correlate.DefaultSettings())
			if err != nil {
				t.Fatal(err)
			}
			return rep.Incidents[0].Candidates
		}
		order := func(cs []replay.Candidate) string {
			var names []string
			for _, c := range cs {
				names = append(names, c.CI.Name)
			}
			return strings.Join(names, ",")
		}
		before := ranked()
		if got, want := order(before), "ams2-tor-sw04,ams2-fw01,ams2-core-sw02,ams2-core-sw01,ams2-db01"; got != want {
			t.Fatalf("without changes the ranking is %s, want %s", got, want)
		}
		start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		wctx := audit.WithActor(ctx, "test:replay")
		tx, err := db.Client.Tx(wctx)
		if err != nil {
			t.Fatal(err)
		}
		wctx = ent.NewTxContext(wctx, tx)
		for _, c := range []struct {
			number, ci string
			status     changerecord.Status
		}{
			{"CHG-T-1", "ams2-core-sw02", changerecord.StatusImplemented},
			{"CHG-T-2", "ams2-core-sw01", changerecord.StatusRejected},
		} {
			if _, err := tx.ChangeRecord.Create().SetNumber(c.number).SetTitle("firmware upgrade").
				SetStatus(c.status).SetWindowStart(start).SetWindowEnd(start.Add(30 * time.Minute)).
				SetRequester("alice").AddConfigurationItemIDs(id(c.ci)).Save(wctx); err != nil {
				_ = tx.Rollback()
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		after := ranked()
		if got, want := order(after), "ams2-tor-sw04,ams2-core-sw02,ams2-fw01,ams2-core-sw01,ams2-db01"; got != want {
			t.Errorf("with a change on ams2-core-sw02 the ranking is %s, want %s", got, want)
		}
		score := map[string]float64{}
		for _, c := range before {
			score[c.CI.Name] = c.Score
		}
		for _, c := range after {
			why := strings.Join(c.Reasons, ";")
			if strings.Contains(why, "CHG-T-2") {
				t.Errorf("%s names the rejected change: %s", c.CI.Name, why)
			}
			switch c.CI.Name {
			case "ams2-core-sw02":
				if c.Score <= score[c.CI.Name] || !strings.Contains(why, "change record CHG-T-1 on it 1h0m0s before the first alert: firmware upgrade (IMPLEMENTED)") {
					t.Errorf("ams2-core-sw02 %.3f (was %.3f): %s; want it raised by CHG-T-1 on it", c.Score, score[c.CI.Name], why)
				}
			case "ams2-tor-sw04":
				if !strings.Contains(why, "change record CHG-T-1 on its dependency") {
					t.Errorf("ams2-tor-sw04: %s; want CHG-T-1 on its dependency named", why)
				}
			case "ams2-core-sw01":
				if strings.Contains(why, "change record") {
					t.Errorf("ams2-core-sw01: %s; the rejected change raises nothing", why)
				}
			}
		}
	})
}
