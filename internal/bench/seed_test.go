//go:build unix

package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/estate"
)

// BenchmarkSeedPostgres100k and BenchmarkSeedPostgres1M time `cairn seed
// --synthetic N` on PostgreSQL (COPY, one transaction, indexes and foreign
// keys made again at the end) into a fresh schema of the database
// CAIRN_BENCH_POSTGRES_DSN names, dropped afterwards; without that
// variable they are skipped. The target is 1,000,000 CIs in at most 3
// minutes. They report the seconds per seed, CIs/s, rows/s over every row
// written, and this process's CPU seconds (making the rows; the rest is
// PostgreSQL's).
func BenchmarkSeedPostgres100k(b *testing.B) { benchSeedPostgres(b, 100_000) }

// BenchmarkSeedPostgres1M: see BenchmarkSeedPostgres100k.
func BenchmarkSeedPostgres1M(b *testing.B) { benchSeedPostgres(b, 1_000_000) }

func benchSeedPostgres(b *testing.B, n int) {
	base := os.Getenv("CAIRN_BENCH_POSTGRES_DSN")
	if base == "" {
		b.Skip("set CAIRN_BENCH_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to time the PostgreSQL seed (it writes into a new schema, dropped afterwards)")
	}
	ctx := context.Background()
	var elapsed, cpu time.Duration
	var st estate.SyntheticStats
	for b.Loop() {
		b.StopTimer()
		db := openFreshSchema(b, base)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		var err error
		st, err = estate.SeedSynthetic(ctx, db, n)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	rows := st.ConfigurationItems + st.Identifiers + st.Relationships + st.Services + st.ServiceMembers +
		st.Owners + st.Vendors + st.Assets + st.AuditEvents
	per := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(per, "s/seed")
	b.ReportMetric(float64(n)/per, "CIs/s")
	b.ReportMetric(float64(rows)/per, "rows/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/seed")
	b.Logf("%d CIs (%d rows: %d identifiers, %d relationships, %d memberships, %d assets, %d audit events) in %.1f s, this process's CPU %.1f s",
		n, rows, st.Identifiers, st.Relationships, st.ServiceMembers, st.Assets, st.AuditEvents, per, cpu.Seconds()/float64(b.N))
}

// openFreshSchema creates a schema in the database base names, opens it
// (migrated) and drops it when the benchmark ends.
func openFreshSchema(b *testing.B, base string) *app.DB {
	b.Helper()
	ctx := context.Background()
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		b.Fatal(err)
	}
	schema := "cairn_bench_seed_" + hex.EncodeToString(r[:])
	u, err := url.Parse(base)
	if err != nil {
		b.Fatalf("CAIRN_BENCH_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = admin.Close() })
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatalf("creating schema %s: %v", schema, err)
	}
	b.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			b.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	db, err := app.Open(ctx, u.String(), app.Options{})
	if err != nil {
		b.Fatalf("opening schema %s: %v", schema, err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}
