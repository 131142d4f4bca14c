package report_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/report"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// benchDrifts is how many drifts, on as many distinct CIs, the benchmark
// report lists.
const benchDrifts = 10_000

// benchUntil ends the benchmark's window.
var benchUntil = time.Date(2030, 1, 2, 6, 0, 0, 0, time.UTC)

func benchEstateSize() int {
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_N")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// benchDB opens the synthetic estate of CAIRN_BENCH_N CIs (default
// 100,000) with 10,000 drifts in the window, seeding it once into
// $TMPDIR/cairn-report-bench-<n>.db and reusing it afterwards.
func benchDB(b *testing.B) *app.DB {
	b.Helper()
	ctx := context.Background()
	n := benchEstateSize()
	if n < benchDrifts {
		b.Fatalf("CAIRN_BENCH_N=%d: the benchmark needs at least %d CIs", n, benchDrifts)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("cairn-report-bench-%d.db", n))
	_, statErr := os.Stat(path)
	fresh := statErr != nil
	db, err := app.Open(ctx, path, app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	fail := func(err error) {
		_ = db.Close()
		_ = os.Remove(path)
		_ = os.Remove(path + "-wal")
		_ = os.Remove(path + "-shm")
		b.Fatal(err)
	}
	if fresh {
		start := time.Now()
		if _, err := estate.SeedSynthetic(ctx, db, n); err != nil {
			fail(err)
		}
		b.Logf("seeded %d CIs in %s into %s", n, time.Since(start).Round(time.Millisecond), path)
	}
	have, err := db.Client.Drift.Query().Where(drift.Source("discovery:bench-report")).Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if have != benchDrifts {
		start := time.Now()
		if err := addBenchDrifts(ctx, db.Client); err != nil {
			fail(err)
		}
		if err := store.Optimize(ctx, db.Store); err != nil {
			b.Fatal(err)
		}
		b.Logf("added %d drifts in %s", benchDrifts, time.Since(start).Round(time.Millisecond))
	}
	return db
}

// addBenchDrifts writes benchDrifts drifts on CIs spread evenly over the
// estate, first seen through the day before benchUntil: mostly attribute
// changes, some missing CIs and relationship changes, a few authorised.
func addBenchDrifts(ctx context.Context, c *ent.Client) error {
	ctx = audit.WithActor(ctx, "bench:report")
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	tc := tx.Client()
	if _, err := tc.Drift.Delete().Where(drift.Source("discovery:bench-report")).Exec(ctx); err != nil {
		return err
	}
	job, err := tc.DiscoveryJob.Query().Where(discoveryjob.Name("bench-report")).Only(ctx)
	if ent.IsNotFound(err) {
		job, err = tc.DiscoveryJob.Create().SetName("bench-report").SetSourceKind("nmap").Save(ctx)
	}
	if err != nil {
		return err
	}
	ids, err := tc.ConfigurationItem.Query().Where(configurationitem.StatusNEQ(configurationitem.StatusRetired)).
		Order(configurationitem.ByID()).IDs(ctx)
	if err != nil {
		return err
	}
	step := len(ids) / benchDrifts
	since := benchUntil.Add(-24 * time.Hour)
	var batch []*ent.DriftCreate
	for i := range benchDrifts {
		at := since.Add(time.Duration(i) * (24 * time.Hour / benchDrifts))
		kind, field, rec, obs := drift.KindAttributeChanged, fmt.Sprintf("facts.kernel.%d", i%7), "6.1.0-17", "6.1.0-18"
		switch i % 20 {
		case 0:
			kind, field, rec, obs = drift.KindMissing, "discovery:bench-report", "present", "not seen by 2 complete runs"
		case 1:
			kind, field, rec, obs = drift.KindRelationshipChanged, fmt.Sprintf("relationship.DEPENDS_ON.%d", ids[(i*7)%len(ids)]), "absent", "present"
		}
		batch = append(batch, tc.Drift.Create().SetConfigurationItemID(ids[i*step]).SetKind(kind).SetFieldName(field).
			SetRecorded(rec).SetObserved(obs).SetFirstSeenAt(at).SetLastSeenAt(at.Add(time.Hour)).
			SetAuthorized(i%50 == 3).SetSource("discovery:bench-report").SetDiscoveryJobID(job.ID))
		if len(batch) == 500 {
			if err := tc.Drift.CreateBulk(batch...).Exec(ctx); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := tc.Drift.CreateBulk(batch...).Exec(ctx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// heapPeak samples the live heap every few milliseconds until stopped.
type heapPeak struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func watchHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) done() uint64 {
	close(h.stop)
	h.wg.Wait()
	return h.peak.Load()
}

// BenchmarkReport10k builds the drift report of a day with 10,000 new
// unauthorised drifts on distinct CIs of a 100,000-CI synthetic estate
// (CAIRN_BENCH_N) and renders it in all four formats into io.Discard. It
// reports the seconds of Build and of rendering per run, and the peak
// live heap. Target: at most 5 s per run.
func BenchmarkReport10k(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	o := report.Options{Since: benchUntil.Add(-24 * time.Hour), Until: benchUntil, Dialect: db.Store.Dialect()}
	var buildTime, renderTime time.Duration
	var peak uint64
	runs := 0
	for b.Loop() {
		runtime.GC()
		h := watchHeap()
		start := time.Now()
		r, err := report.Build(ctx, db.Client, o)
		if err != nil {
			b.Fatal(err)
		}
		built := time.Now()
		for _, f := range report.Formats {
			if err := report.Write(io.Discard, r, f); err != nil {
				b.Fatal(err)
			}
		}
		renderTime += time.Since(built)
		buildTime += built.Sub(start)
		peak = max(peak, h.done())
		runs++
		if len(r.Drifts) < benchDrifts*9/10 {
			b.Fatalf("%d drifts listed, want about %d", len(r.Drifts), benchDrifts)
		}
		if runs == 1 {
			atRisk := 0
			for _, d := range r.Drifts {
				if len(d.ServicesAtRisk) > 0 {
					atRisk++
				}
			}
			b.Logf("%d drifts listed, %d with services at risk; health: %d CIs, %d stale, %d never seen, %d orphans, %d duplicate identifiers",
				len(r.Drifts), atRisk, r.Health.TotalCIs, r.Health.Stale, r.Health.NeverSeen, r.Health.Orphans, r.Health.DuplicateIdentifiers)
		}
	}
	b.ReportMetric(buildTime.Seconds()/float64(runs), "build-s/op")
	b.ReportMetric(renderTime.Seconds()/float64(runs), "render-s/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
