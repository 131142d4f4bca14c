package store_test

import (
	"context"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestReadReplica (issue 17): a real streaming replica (pg_basebackup -R of
// the test's own primary, started as a hot standby on its own port). Marked
// reads go to it (pg_is_in_recovery() is true on the connection they use),
// a write on the primary is read there once replayed, unmarked reads and
// writes stay on the primary, and while replay is paused past the lag bound
// marked reads fall back to the primary, which has the write.
func TestReadReplica(t *testing.T) {
	primary := storetest.StartCluster(t, "wal_level=replica")
	standby := primary.StartStandby(t)
	ctx := context.Background()
	db := open(t, primary.DSN("postgres"), store.Options{
		Postgres: store.PostgresOptions{MaxOpenConns: 4},
		Replica:  store.ReplicaOptions{DSN: standby.DSN("postgres"), MaxLag: 300 * time.Millisecond},
	})
	drv := db.Driver()
	rctx := store.ReadFromReplica(ctx)
	inRecovery := func(ctx context.Context) bool {
		t.Helper()
		rows := &entsql.Rows{}
		if err := drv.Query(ctx, "SELECT pg_is_in_recovery()", []any{}, rows); err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b bool
		if !rows.Next() {
			t.Fatal("no row")
		}
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	count := func(ctx context.Context) int64 {
		t.Helper()
		n, err := queryInt(ctx, drv, "SELECT count(*) FROM items")
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		return n
	}
	createItems(t, db)
	insert := func(seq int) {
		t.Helper()
		if err := drv.Exec(ctx, "INSERT INTO items (worker, seq, name) VALUES ($1, $2, $3)", []any{1, seq, "x"}, nil); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	waitCount := func(want int64) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 15*time.Second {
			// The table itself arrives by replay too.
			var n int64
			if err := db.Replica().QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&n); err == nil && n == want {
				return time.Since(start)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("the replica did not show %d rows in 15s", want)
		return 0
	}

	insert(1)
	took := waitCount(1)
	t.Logf("the write was read through the replica %s after it was acknowledged", took.Round(time.Millisecond))
	time.Sleep(1100 * time.Millisecond) // the lag measured before replay is stale now
	if n := count(rctx); n != 1 {
		t.Errorf("a marked read saw %d rows, want 1", n)
	}
	if !inRecovery(rctx) {
		t.Error("a marked read ran on the primary while the replica was caught up")
	}
	if inRecovery(ctx) {
		t.Error("an unmarked read ran on the replica")
	}
	st, ok := db.ReplicaStatus(ctx)
	if !ok || !st.Usable || st.Err != nil || st.MaxLag != 300*time.Millisecond {
		t.Errorf("replica status %+v, want usable within 300ms", st)
	}
	if got := db.Stats()["replica"].OpenConnections; got == 0 {
		t.Error("no open connection in the replica pool")
	}

	// Pause replay: the replica falls behind once the primary writes.
	if _, err := db.Replica().ExecContext(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	insert(2)
	time.Sleep(1500 * time.Millisecond) // past the lag bound and the next measurement
	if inRecovery(rctx) {
		st, _ := db.ReplicaStatus(ctx)
		t.Errorf("a marked read ran on a replica with replay paused (status %+v)", st)
	}
	if n := count(rctx); n != 2 {
		t.Errorf("a marked read with the replica behind saw %d rows, want 2 (the primary's)", n)
	}
	var direct int64
	if err := db.Replica().QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&direct); err != nil || direct != 1 {
		t.Errorf("the paused replica has %d rows (%v), want 1: the fallback test proves nothing", direct, err)
	}
	if st, _ := db.ReplicaStatus(ctx); st.Usable || st.Lag <= 300*time.Millisecond {
		t.Errorf("replica status with replay paused %+v, want unusable and lagging more than 300ms", st)
	}

	if _, err := db.Replica().ExecContext(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitCount(2)
	time.Sleep(1100 * time.Millisecond)
	if !inRecovery(rctx) {
		t.Error("marked reads did not return to the replica after it caught up")
	}
}

// TestReadReplicaErrors: a replica only with a PostgreSQL primary, and only
// as a postgres:// DSN.
func TestReadReplicaErrors(t *testing.T) {
	_, err := store.Open(context.Background(), storetest.SQLiteDSN(t), store.Options{Replica: store.ReplicaOptions{DSN: "postgres://x@127.0.0.1:1/y"}})
	if err == nil || err.Error() != "store: a read replica needs a PostgreSQL primary" {
		t.Errorf("sqlite with a replica: %v", err)
	}
}
