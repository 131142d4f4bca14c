package alerts_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/ent/alert"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestDemoPayloads ingests recorded Alertmanager payloads (testdata/,
// the demo storm of testdata/alerts/demo-storm.json split into its two
// notifications, then the first one resolved) on the demo estate: the
// stored incidents are the ones `cairn alerts replay` forms from the same
// alerts (same alerts grouped, same top candidate), bound alerts carry
// their CI, the unknown host is kept unbound, and the storm's incident
// resolves itself when its alerts resolve.
func TestDemoPayloads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "alertmanager")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 7, 10, 2, 0, 0, time.UTC)
		s, err := alerts.New(ctx, db.Client, db.Store, alerts.Config{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		read := func(name string) *intake.Notification {
			t.Helper()
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			n, err := intake.ParseAlertmanager(data, intake.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		var all []intake.Alert
		for _, name := range []string{"demo-storm-1.json", "demo-storm-2.json"} {
			n := read(name)
			all = append(all, n.Alerts...)
			res, err := s.Ingest(ctx, alerts.Batch{Source: alert.SourceAlertmanager, Receiver: n.Receiver, Alerts: n.Alerts})
			if err != nil {
				t.Fatal(err)
			}
			if res.Received != len(n.Alerts) || res.Created != len(n.Alerts) {
				t.Errorf("%s: %+v, want %d received and created", name, res, len(n.Alerts))
			}
		}
		rep, err := replay.Run(ctx, db.Client, db.Store, all, s.Settings())
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, inc := range rep.Incidents {
			var keys []string
			for _, a := range inc.Alerts {
				keys = append(keys, a.Fingerprint)
			}
			sort.Strings(keys)
			top := ""
			if len(inc.Candidates) > 0 {
				top = inc.Candidates[0].CI.Name
			}
			want = append(want, top+" "+strings.Join(keys, ","))
		}
		sort.Strings(want)
		incs, err := db.Client.Incident.Query().WithAlerts().WithTopCandidate().Order(entincident.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, inc := range incs {
			var keys []string
			for _, a := range inc.Edges.Alerts {
				keys = append(keys, a.Fingerprint)
			}
			sort.Strings(keys)
			top := ""
			if inc.Edges.TopCandidate != nil {
				top = inc.Edges.TopCandidate.Name
			}
			got = append(got, top+" "+strings.Join(keys, ","))
		}
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) < 2 {
			t.Errorf("stored incidents (top candidate, alerts)\n%s\nwant (replay)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		unknown, err := db.Client.Alert.Query().Where(alert.NameEQ("NodeDown"), alert.ConfigurationItemIDIsNil()).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if unknown.BindingNote == nil || *unknown.BindingNote != `no CI matches instance="lab-unknown-99"` {
			t.Errorf("unknown host's note %v", unknown.BindingNote)
		}
		// The first notification resolved: the storm incident resolves.
		n := read("demo-storm-resolved.json")
		now = time.Date(2026, 12, 7, 10, 21, 0, 0, time.UTC)
		res, err := s.Ingest(ctx, alerts.Batch{Source: alert.SourceAlertmanager, Receiver: n.Receiver, Alerts: n.Alerts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Resolved != len(n.Alerts) || len(res.Changed) == 0 {
			t.Errorf("resolved notification: %+v", res)
		}
		first, err := db.Client.Alert.Query().Where(alert.Fingerprint(n.Alerts[0].Key)).QueryIncident().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first.Status != entincident.StatusResolved || first.ResolvedAt == nil ||
			!first.ResolvedAt.Equal(time.Date(2026, 12, 7, 10, 20, 0, 0, time.UTC)) {
			t.Errorf("storm incident %q is %s (resolved at %v), want RESOLVED at 10:20", first.Title, first.Status, first.ResolvedAt)
		}
	})
}
