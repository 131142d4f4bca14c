//go:build unix

package bench

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/backup"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// BenchmarkBackup writes a backup of the synthetic estate to a file (the
// path `cairn backup --out` takes) at gzip's default level (the
// backup's) and at BestSpeed, reporting rows/s, the file's size, and the
// wall and CPU time of a backup.
func BenchmarkBackup(b *testing.B) {
	e := setup(b)
	for _, lv := range []struct {
		name  string
		level int
	}{{"DefaultCompression", gzip.DefaultCompression}, {"BestSpeed", gzip.BestSpeed}} {
		b.Run(lv.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "cairn.backup.gz")
			var m *backup.Manifest
			var elapsed, cpu time.Duration
			for b.Loop() {
				start, cpu0 := time.Now(), cpuTime()
				var err error
				m, err = backup.ToFile(context.Background(), e.db.Store, path, backup.Options{Level: lv.level})
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				cpu += cpuTime() - cpu0
			}
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			per := elapsed.Seconds() / float64(b.N)
			b.ReportMetric(float64(m.Rows)/per, "rows/s")
			b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
			b.ReportMetric(per, "s/backup")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/backup")
			b.Logf("%s: %d rows in %d tables, %.1f MiB, %.2f s (CPU %.2f s)", lv.name, m.Rows, len(m.Tables), float64(fi.Size())/(1<<20), per, cpu.Seconds()/float64(b.N))
		})
	}
}

// BenchmarkRestore restores the synthetic estate's backup into a new
// SQLite file and (with CAIRN_TEST_POSTGRES_DSN) a new PostgreSQL schema,
// reporting rows/s, and verifies it (a restore into a scratch file plus
// reading every table back). It runs on the SQLite estate only.
func BenchmarkRestore(b *testing.B) {
	e := setup(b)
	if e.db.Store.Backend() != store.SQLite {
		b.Skip("restore is measured into SQLite from the SQLite estate")
	}
	ctx := context.Background()
	src := filepath.Join(b.TempDir(), "cairn.backup.gz")
	m, err := backup.ToFile(ctx, e.db.Store, src, backup.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, engine := range []store.Backend{store.SQLite, store.Postgres} {
		b.Run(map[store.Backend]string{store.SQLite: "SQLite", store.Postgres: "Postgres"}[engine], func(b *testing.B) {
			restoreInto(b, src, m.Rows, func(i int) string {
				if engine == store.Postgres {
					return storetest.PostgresDSN(b) // a fresh schema; skips without CAIRN_TEST_POSTGRES_DSN
				}
				return filepath.Join(b.TempDir(), fmt.Sprintf("restored-%d.db", i))
			})
		})
	}
	b.Run("Verify", func(b *testing.B) {
		var elapsed time.Duration
		for b.Loop() {
			f, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if _, err := backup.Verify(ctx, f, b.TempDir()); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
			_ = f.Close()
		}
		b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/verify")
	})
}

// restoreInto restores the backup src into a new database from dsn(i)
// each iteration and reports rows/s.
func restoreInto(b *testing.B, src string, rows int64, dsn func(i int) string) {
	b.Helper()
	ctx := context.Background()
	var elapsed, cpu time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		db, err := app.Open(ctx, dsn(i), app.Options{})
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		i++
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		if _, err := backup.Restore(ctx, db.Store, f, backup.RestoreOptions{}); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		_ = f.Close()
		_ = db.Close()
		b.StartTimer()
	}
	per := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(float64(rows)/per, "rows/s")
	b.ReportMetric(per, "s/restore")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/restore")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
