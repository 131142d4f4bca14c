package alerts_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// BenchmarkIngestStorm: intake with correlation on the synthetic estate
// (SQLite; CAIRN_BENCH_CIS CIs, 100,000 by default): a storm of alerts on
// the dependents (within 3 hops) of the network device most CIs depend on,
// up to 10,000, in batches of 100 as Alertmanager groups them, bound by
// instance=<host name>:9100. Reports alerts/s, the incidents the storm
// formed (want 1, plus any of unbound alerts) and whether the device is
// the top candidate of the largest.
func BenchmarkIngestStorm(b *testing.B) {
	ctx := audit.WithActor(context.Background(), "bench")
	db, err := app.Open(ctx, storetest.SQLiteDSN(b), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	n := benchCIs()
	if _, err := estate.SeedSynthetic(ctx, db, n); err != nil {
		b.Fatal(err)
	}
	var core int
	row := db.Store.Writer().QueryRowContext(ctx, `SELECT r.to_id FROM relationships r JOIN configuration_items c ON c.id = r.to_id
		WHERE c.kind = 'NETWORK_DEVICE' GROUP BY r.to_id ORDER BY COUNT(*) DESC, r.to_id LIMIT 1`)
	if err := row.Scan(&core); err != nil {
		b.Fatal(err)
	}
	res, err := graphwalk.New(db.Store).WalkFrom(ctx, []int{core}, graphwalk.Options{Direction: graphwalk.Dependents, MaxDepth: 3, Limit: 200_000})
	if err != nil {
		b.Fatal(err)
	}
	var ids []int
	for _, nd := range res.Nodes {
		if nd.ID != core && len(ids) < 10_000 {
			ids = append(ids, nd.ID)
		}
	}
	cis, err := db.Client.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).
		Select(configurationitem.FieldID, configurationitem.FieldHostname).All(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var hosts []string
	for _, c := range cis {
		if c.Hostname != nil {
			hosts = append(hosts, *c.Hostname)
		}
	}
	b.Logf("core switch %d: %d dependents within 3 hops, %d with a host name", core, len(ids), len(hosts))
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s, err := alerts.New(ctx, db.Client, db.Store, alerts.Config{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total int
	var elapsed, slowest time.Duration
	for i := range b.N {
		start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 24 * time.Hour)
		now = start
		for lo := 0; lo < len(hosts); lo += 100 {
			var batch []intake.Alert
			for j, h := range hosts[lo:min(lo+100, len(hosts))] {
				l := map[string]string{"alertname": "NodeDown", "instance": h + ":9100", "run": fmt.Sprint(i)}
				batch = append(batch, intake.Alert{Status: intake.StatusFiring, Labels: l, Key: intake.Fingerprint(l, nil),
					StartsAt: start.Add(time.Duration(lo+j) * 10 * time.Millisecond)})
			}
			t := time.Now()
			if _, err := s.Ingest(ctx, alerts.Batch{Source: alert.SourceAlertmanager, Alerts: batch}); err != nil {
				b.Fatal(err)
			}
			d := time.Since(t)
			elapsed += d
			slowest = max(slowest, d)
			total += len(batch)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/elapsed.Seconds(), "alerts/s")
	b.ReportMetric(float64(slowest.Milliseconds()), "slowest-batch-ms")
	incs, err := db.Client.Incident.Query().Order(entincident.ByAlertCount(sqlDesc())).All(ctx)
	if err != nil {
		b.Fatal(err)
	}
	top := 0.0
	if len(incs) > 0 && incs[0].TopCandidateID != nil && *incs[0].TopCandidateID == core {
		top = 1
	}
	b.ReportMetric(float64(len(incs))/float64(b.N), "incidents/storm")
	b.ReportMetric(top, "switch-on-top")
}

func benchCIs() int {
	var n int
	if _, err := fmt.Sscan(getenv("CAIRN_BENCH_CIS", "100000"), &n); err != nil || n <= 0 {
		return 100_000
	}
	return n
}

func getenv(k, def string) string {
	if v, ok := os.LookupEnv(k); ok {
		return v
	}
	return def
}

func sqlDesc() sql.OrderTermOption { return sql.OrderDesc() }
