package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

type staticConfig struct{ obs []discovery.Observation }

func (c *staticConfig) Build() (discovery.Source, error) { return staticSource(c.obs), nil }

type staticSource []discovery.Observation

func (s staticSource) Discover(context.Context, discovery.Env) (*discovery.Result, error) {
	return &discovery.Result{Observations: s}, nil
}

// reconcileDB copies the cached synthetic estate (seeding it first if need
// be) so that runs can write to it.
func reconcileDB(b *testing.B) *app.DB {
	b.Helper()
	e := setup(b) // seeds and caches the estate
	src := filepath.Join(os.TempDir(), fmt.Sprintf("cairn-bench-%d.db", e.n))
	if _, err := e.db.Store.Writer().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), "reconcile.db")
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	db, err := app.Open(context.Background(), dst, app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

type ciRow struct {
	ID           int     `json:"id"`
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	Hostname     *string `json:"hostname"`
	FQDN         *string `json:"fqdn"`
	SerialNumber *string `json:"serial_number"`
}

// observations mirrors the record: every CI seen as recorded, except that
// every tenth has a different FQDN, every hundredth (offset 1) is gone, and
// 1% new things appear.
func observations(rows []ciRow, changed bool) []discovery.Observation {
	out := make([]discovery.Observation, 0, len(rows)+len(rows)/100)
	for i, r := range rows {
		if changed && i%100 == 1 {
			continue
		}
		o := discovery.Observation{Key: r.Name, Kind: r.Kind, Name: r.Name, Fields: map[string]string{}}
		if r.Hostname != nil {
			o.Fields["hostname"] = *r.Hostname
		}
		if r.FQDN != nil {
			f := *r.FQDN
			if changed && i%10 == 0 {
				f = "moved-" + f
			}
			o.Fields["fqdn"] = f
		}
		if r.SerialNumber != nil {
			o.Fields["serial_number"] = *r.SerialNumber
		}
		out = append(out, o)
	}
	if changed {
		for i := range len(rows) / 100 {
			out = append(out, discovery.Observation{
				Key: fmt.Sprintf("new-%06d", i), Kind: discovery.KindVM, Name: fmt.Sprintf("new-%06d", i),
				Fields:      map[string]string{"hostname": fmt.Sprintf("new-%06d", i)},
				Identifiers: []discovery.Identifier{{Kind: ident.Serial, Value: fmt.Sprintf("NEWSER%06d", i)}},
			})
		}
	}
	return out
}

// peakHeap samples the heap until stop is closed.
func peakHeap(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return &peak
}

// BenchmarkReconcile100k reconciles the synthetic estate against itself
// (10% changed, 1% new, 1% gone), then the same input again, and measures a
// raw read of the CIs plus a raw bulk upsert of them in one transaction for
// comparison. Run it with -benchtime 1x.
func BenchmarkReconcile100k(b *testing.B) {
	for range b.N {
		db := reconcileDB(b)
		ctx := audit.WithActor(context.Background(), "bench")
		var rows []ciRow
		if err := db.Client.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).
			Select(configurationitem.FieldID, configurationitem.FieldName, configurationitem.FieldKind,
				configurationitem.FieldHostname, configurationitem.FieldFqdn, configurationitem.FieldSerialNumber).
			Scan(ctx, &rows); err != nil {
			b.Fatal(err)
		}
		base, changed := observations(rows, false), observations(rows, true)
		var obs []discovery.Observation
		reg, err := discovery.NewRegistry(discovery.Kind{Name: "static", NewConfig: func() discovery.Config { return &staticConfig{obs: obs} }})
		if err != nil {
			b.Fatal(err)
		}
		var job *ent.DiscoveryJob
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			job, err = tx.DiscoveryJob.Create().SetName("bench").SetSourceKind("static").Save(ctx)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: reg, Dialect: db.Store.Dialect()}
		timed := func(label string, in []discovery.Observation) (*runner.Result, time.Duration, uint64) {
			obs = in
			runtime.GC()
			stop := make(chan struct{})
			peak := peakHeap(stop)
			start := time.Now()
			res, err := rn.RunJob(ctx, job.ID, false, "bench")
			d := time.Since(start)
			close(stop)
			if err != nil {
				b.Fatal(err)
			}
			if res.Run.Error != nil {
				b.Fatalf("%s: %s", label, *res.Run.Error)
			}
			c := res.Run.Counts
			b.Logf("%s: %d observations in %s, peak heap %d MiB: matched %d, drifts opened %d, updated %d, missing %d, unregistered %d, unchanged %d",
				label, len(in), d.Round(time.Millisecond), peak.Load()>>20, c.Matched, c.DriftsOpened, c.DriftsUpdated, c.Missing, c.Unregistered, c.Unchanged)
			return res, d, peak.Load()
		}
		b.ResetTimer()
		timed("baseline (sightings established)", base)
		auditBefore, _ := db.Client.AuditEvent.Query().Count(ctx)
		res1, d1, peak1 := timed("changed run", changed)
		if c := res1.Run.Counts; c.DriftsOpened != len(rows)/10+len(rows)/100+len(rows)/100-countOverlap(len(rows)) {
			b.Logf("note: drifts opened %d", c.DriftsOpened)
		}
		auditMid, _ := db.Client.AuditEvent.Query().Count(ctx)
		driftsMid, _ := db.Client.Drift.Query().Count(ctx)
		_, d2, _ := timed("second, unchanged run", changed)
		auditAfter, _ := db.Client.AuditEvent.Query().Count(ctx)
		driftsAfter, _ := db.Client.Drift.Query().Count(ctx)
		if auditAfter != auditMid || driftsAfter != driftsMid {
			b.Fatalf("second run wrote: audit %d→%d, drifts %d→%d", auditMid, auditAfter, driftsMid, driftsAfter)
		}
		b.StopTimer()
		read, upsert := rawReadAndUpsert(b, db)
		ratio := d1.Seconds() / (read + upsert).Seconds()
		b.Logf("raw read %s + raw bulk upsert %s = %s; changed run is %.2fx that; audit events by the changed run: %d",
			read.Round(time.Millisecond), upsert.Round(time.Millisecond), (read + upsert).Round(time.Millisecond), ratio, auditMid-auditBefore)
		b.ReportMetric(d1.Seconds(), "changed-s")
		b.ReportMetric(d2.Seconds(), "unchanged-s")
		b.ReportMetric(ratio, "x-raw")
		b.ReportMetric(float64(peak1>>20), "peak-MiB")
	}
}

func countOverlap(n int) int { return n / 100 / 10 } // gone CIs that were also "changed"

// rawReadAndUpsert times a plain read of the CI rows and a plain bulk upsert
// of the same rows in one transaction.
func rawReadAndUpsert(b *testing.B, db *app.DB) (time.Duration, time.Duration) {
	ctx := context.Background()
	start := time.Now()
	r, err := db.Store.Reader().QueryContext(ctx, "SELECT id, name, kind, hostname, fqdn, serial_number, facts FROM configuration_items")
	if err != nil {
		b.Fatal(err)
	}
	type row struct {
		id                       int
		name, kind               string
		host, fqdn, serial, fact *string
	}
	var rows []row
	for r.Next() {
		var x row
		if err := r.Scan(&x.id, &x.name, &x.kind, &x.host, &x.fqdn, &x.serial, &x.fact); err != nil {
			b.Fatal(err)
		}
		rows = append(rows, x)
	}
	r.Close()
	read := time.Since(start)
	start = time.Now()
	tx, err := db.Store.Writer().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for s := 0; s < len(rows); s += 500 {
		ins := entsql.Dialect(db.Store.Dialect()).Insert(configurationitem.Table).
			Columns("id", "name", "kind", "hostname", "fqdn", "serial_number", "created_at", "updated_at", "status", "environment", "criticality")
		now := time.Now()
		for _, x := range rows[s:min(s+500, len(rows))] {
			ins.Values(x.id, x.name, x.kind, x.host, x.fqdn, x.serial, now, now, "ACTIVE", "PRODUCTION", "MEDIUM")
		}
		ins.OnConflict(entsql.ConflictColumns("id"), entsql.ResolveWith(func(u *entsql.UpdateSet) {
			u.SetExcluded("name")
			u.SetExcluded("fqdn")
			u.SetExcluded("updated_at")
		}))
		q, args := ins.Query()
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return read, time.Since(start)
}
