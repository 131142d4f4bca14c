package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error)
}

func open(t testing.TB, dsn string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

func createItems(t testing.TB, db *store.DB) {
	t.Helper()
	ddl := "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, worker INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (worker, seq))"
	if db.Backend() == store.Postgres {
		ddl = "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, worker INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (worker, seq))"
	}
	if err := db.Driver().Exec(context.Background(), ddl, []any{}, nil); err != nil {
		t.Fatalf("create table: %v", err)
	}
}

func queryInt(ctx context.Context, q dialect.ExecQuerier, query string, args ...any) (int64, error) {
	if args == nil {
		args = []any{}
	}
	rows := &entsql.Rows{}
	if err := q.Query(ctx, query, args, rows); err != nil {
		return 0, err
	}
	defer rows.Close()
	return entsql.ScanInt64(rows)
}

func TestSQLitePragmasOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	const readers = 4
	db := open(t, storetest.SQLiteDSN(t), store.Options{MaxReaders: readers, BusyTimeout: 7 * time.Second})

	want := map[string]string{
		"foreign_keys": "1",
		"journal_mode": "wal",
		"busy_timeout": "7000",
		"synchronous":  "1", // NORMAL
		"mmap_size":    "2147418112",
		"cache_size":   "-65536",
		"temp_store":   "2", // MEMORY
	}
	check := func(name string, conn *sql.Conn, queryOnly string) {
		t.Helper()
		for pragma, v := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, v)
			}
		}
		var qo string
		if err := conn.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil {
			t.Fatalf("%s: PRAGMA query_only: %v", name, err)
		}
		if qo != queryOnly {
			t.Errorf("%s: PRAGMA query_only = %s, want %s", name, qo, queryOnly)
		}
	}

	// Hold every reader connection at once so each is a distinct connection.
	var conns []*sql.Conn
	for i := range readers {
		c, err := db.Reader().Conn(ctx)
		if err != nil {
			t.Fatalf("reader conn %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		check(fmt.Sprintf("reader %d", i), c, "1")
		if _, err := c.ExecContext(ctx, "CREATE TABLE nope (x)"); err == nil {
			t.Errorf("reader %d: write succeeded on a query_only connection", i)
		}
	}
	for _, c := range conns {
		_ = c.Close()
	}
	if got := db.Reader().Stats().OpenConnections; got != readers {
		t.Errorf("reader pool has %d open connections, want %d", got, readers)
	}

	w, err := db.Writer().Conn(ctx)
	if err != nil {
		t.Fatalf("writer conn: %v", err)
	}
	check("writer", w, "0")
	_ = w.Close()
	if got := db.Writer().Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
}

func TestSQLiteDriverRouting(t *testing.T) {
	ctx := context.Background()
	db := open(t, storetest.SQLiteDSN(t), store.Options{})
	createItems(t, db)
	drv := db.Driver()
	if drv.Dialect() != dialect.SQLite {
		t.Fatalf("Dialect() = %q", drv.Dialect())
	}

	// ent issues INSERT … RETURNING through Query outside transactions.
	id, err := queryInt(ctx, drv, "INSERT INTO items (worker, seq, name) VALUES (?, ?, ?) RETURNING id", 1, 1, "a")
	if err != nil {
		t.Fatalf("insert returning via Query: %v", err)
	}
	if id != 1 {
		t.Errorf("returned id %d, want 1", id)
	}
	// A committed write is visible to the reader pool at once.
	n, err := queryInt(ctx, drv, "SELECT count(*) FROM items")
	if err != nil || n != 1 {
		t.Fatalf("count after insert = %d, %v; want 1", n, err)
	}
	before := db.Reader().Stats().OpenConnections
	if before == 0 {
		t.Errorf("SELECT did not use the reader pool")
	}

	// A read-only transaction runs on a reader and cannot write.
	tx, err := drv.(txBeginner).BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only BeginTx: %v", err)
	}
	if err := tx.Exec(ctx, "INSERT INTO items (worker, seq, name) VALUES (2, 2, 'b')", []any{}, nil); err == nil {
		t.Errorf("write inside a read-only transaction succeeded")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}

	// Read-your-writes inside a write transaction.
	tx, err = drv.Tx(ctx)
	if err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if err := tx.Exec(ctx, "INSERT INTO items (worker, seq, name) VALUES (?, ?, ?)", []any{3, 3, "c"}, nil); err != nil {
		t.Fatalf("insert in tx: %v", err)
	}
	if n, err := queryInt(ctx, tx, "SELECT count(*) FROM items"); err != nil || n != 2 {
		t.Fatalf("count inside tx = %d, %v; want 2", n, err)
	}
	// Outside the transaction, readers do not see it yet.
	if n, err := queryInt(ctx, drv, "SELECT count(*) FROM items"); err != nil || n != 1 {
		t.Fatalf("count outside tx = %d, %v; want 1", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if n, err := queryInt(ctx, drv, "SELECT count(*) FROM items"); err != nil || n != 2 {
		t.Fatalf("count after commit = %d, %v; want 2", n, err)
	}

	// Foreign keys are enforced.
	if err := drv.Exec(ctx, "CREATE TABLE child (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id))", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := drv.Exec(ctx, "INSERT INTO child (item_id) VALUES (999)", []any{}, nil); err == nil {
		t.Errorf("foreign key violation was accepted")
	}
}

func TestConcurrentWritesAndReads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		db := open(t, dsn, store.Options{})
		createItems(t, db)
		drv := db.Driver()
		const (
			writers      = 16
			txPerWriter  = 50
			rowsPerTx    = 2
			readers      = 8
			wantRowCount = writers * txPerWriter * rowsPerTx
		)
		insert := db.Rebind("INSERT INTO items (worker, seq, name) VALUES (?, ?, ?)")
		countMine := db.Rebind("SELECT count(*) FROM items WHERE worker = ?")

		var (
			writeErrs, readErrs atomic.Int64
			firstErr            error
			errOnce             sync.Once
			reads               atomic.Int64
		)
		fail := func(counter *atomic.Int64, err error) {
			counter.Add(1)
			errOnce.Do(func() { firstErr = err })
		}
		writeTx := func(w, i int) error {
			tx, err := drv.(txBeginner).BeginTx(ctx, nil)
			if err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			for r := range rowsPerTx {
				seq := i*rowsPerTx + r
				if err := tx.Exec(ctx, insert, []any{w, seq, fmt.Sprintf("w%d-%d", w, seq)}, nil); err != nil {
					return errors.Join(fmt.Errorf("insert: %w", err), tx.Rollback())
				}
			}
			n, err := queryInt(ctx, tx, countMine, w)
			if err != nil {
				return errors.Join(fmt.Errorf("read in tx: %w", err), tx.Rollback())
			}
			if want := int64((i + 1) * rowsPerTx); n != want {
				return errors.Join(fmt.Errorf("worker %d sees %d own rows in tx %d, want %d", w, n, i, want), tx.Rollback())
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			return nil
		}

		var wwg, rwg sync.WaitGroup
		done := make(chan struct{})
		for range readers {
			rwg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					if _, err := queryInt(ctx, drv, "SELECT count(*) FROM items"); err != nil {
						fail(&readErrs, fmt.Errorf("read: %w", err))
						return
					}
					reads.Add(1)
				}
			})
		}
		for w := range writers {
			wwg.Go(func() {
				for i := range txPerWriter {
					if err := writeTx(w, i); err != nil {
						fail(&writeErrs, err)
					}
				}
			})
		}
		wwg.Wait()
		close(done)
		rwg.Wait()

		if writeErrs.Load() != 0 || readErrs.Load() != 0 {
			t.Fatalf("%d write errors, %d read errors; first: %v", writeErrs.Load(), readErrs.Load(), firstErr)
		}
		n, err := queryInt(ctx, drv, "SELECT count(*) FROM items")
		if err != nil {
			t.Fatal(err)
		}
		if n != wantRowCount {
			t.Errorf("row count = %d, want %d", n, wantRowCount)
		}
		if reads.Load() == 0 {
			t.Errorf("readers made no progress while writers ran")
		}
		t.Logf("%d concurrent reads during %d write transactions", reads.Load(), writers*txPerWriter)
	})
}

// noBeginTx hides the wrapped driver's BeginTx.
type noBeginTx struct{ dialect.Driver }

func TestCountingDriver(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn, store.Options{})
		c := store.NewCountingDriver(db.Driver())
		if c.Dialect() != db.Driver().Dialect() {
			t.Errorf("Dialect() = %q", c.Dialect())
		}
		want := int64(0)
		expect := func(step string) {
			t.Helper()
			if got := c.Count(); got != want {
				t.Fatalf("after %s: Count() = %d, want %d", step, got, want)
			}
		}
		if err := c.Exec(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		want++
		expect("exec")
		if _, err := queryInt(ctx, c, "SELECT count(*) FROM t"); err != nil {
			t.Fatal(err)
		}
		want++
		expect("query")

		tx, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Exec(ctx, db.Rebind("INSERT INTO t (id, v) VALUES (?, ?)"), []any{1, 10}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := queryInt(ctx, tx, "SELECT count(*) FROM t"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		want += 2
		expect("tx statements and commit")

		btx, err := c.BeginTx(ctx, &sql.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := btx.Exec(ctx, db.Rebind("INSERT INTO t (id, v) VALUES (?, ?)"), []any{2, 20}, nil); err != nil {
			t.Fatal(err)
		}
		if err := btx.Rollback(); err != nil {
			t.Fatal(err)
		}
		want++
		expect("BeginTx statement and rollback")

		if _, err := c.ExecContext(ctx, db.Rebind("UPDATE t SET v = ? WHERE id = ?"), 11, 1); err != nil {
			t.Fatal(err)
		}
		rows, err := c.QueryContext(ctx, "SELECT v FROM t")
		if err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		want += 2
		expect("ExecContext and QueryContext")

		c.Reset()
		want = 0
		expect("reset")

		// A driver without BeginTx: nil options still work, others are refused.
		nb := store.NewCountingDriver(noBeginTx{db.Driver()})
		tx, err = nb.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("BeginTx(nil) on a driver without BeginTx: %v", err)
		}
		if _, err := queryInt(ctx, tx, "SELECT count(*) FROM t"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if nb.Count() != 1 {
			t.Errorf("Count() = %d, want 1", nb.Count())
		}
		if _, err := nb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err == nil {
			t.Errorf("BeginTx(ReadOnly) on a driver without BeginTx: want error")
		}
	})
}

func TestOptimize(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn, store.Options{})
		createItems(t, db)
		drv := db.Driver()
		if err := drv.Exec(ctx, "CREATE INDEX items_name ON items (name)", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		tx, err := drv.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insert := db.Rebind("INSERT INTO items (worker, seq, name) VALUES (?, ?, ?)")
		for i := range 3000 {
			// Skewed values give ANALYZE something to sample.
			if err := tx.Exec(ctx, insert, []any{i % 7, i, fmt.Sprintf("host-%d", i%(1+i/100))}, nil); err != nil {
				t.Fatal(errors.Join(err, tx.Rollback()))
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := store.Optimize(ctx, db); err != nil {
			t.Fatalf("Optimize: %v", err)
		}
		if db.Backend() == store.SQLite {
			if n, err := queryInt(ctx, drv, "SELECT count(*) FROM sqlite_stat4"); err != nil || n != 0 {
				t.Errorf("sqlite_stat4 rows = %d, %v; want 0", n, err)
			}
			if n, err := queryInt(ctx, drv, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'items'"); err != nil || n == 0 {
				t.Errorf("sqlite_stat1 rows for items = %d, %v; want some", n, err)
			}
		}
		// The writer still works after Optimize discarded its connection.
		if err := drv.Exec(ctx, insert, []any{99, 99999, "after"}, nil); err != nil {
			t.Fatalf("write after Optimize: %v", err)
		}
		if err := store.Optimize(ctx, db); err != nil {
			t.Fatalf("second Optimize: %v", err)
		}
	})
}

func TestCheckpoint(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, b store.Backend, dsn string) {
		ctx := context.Background()
		db := open(t, dsn, store.Options{})
		createItems(t, db)
		if err := db.Driver().Exec(ctx, db.Rebind("INSERT INTO items (worker, seq, name) VALUES (?, ?, ?)"), []any{1, 1, "x"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.Checkpoint(ctx, db); err != nil {
			t.Fatalf("Checkpoint: %v", err)
		}
		if b == store.SQLite {
			fi, err := os.Stat(dsn + "-wal")
			if err != nil {
				t.Fatalf("stat wal: %v", err)
			}
			if fi.Size() != 0 {
				t.Errorf("wal size after checkpoint = %d, want 0", fi.Size())
			}
		}
	})
}

func TestStatsAndMetrics(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, b store.Backend, dsn string) {
		db := open(t, dsn, store.Options{MaxReaders: 5})
		stats := db.Stats()
		wantNames := map[string]int{"pool": 16}
		wantDBNames := []string{"cairn"}
		if b == store.SQLite {
			wantNames = map[string]int{"writer": 1, "reader": 5}
			wantDBNames = []string{"cairn_reader", "cairn_writer"}
		} else if db.Reader() != db.Writer() {
			t.Errorf("postgres Reader() and Writer() differ")
		}
		if len(stats) != len(wantNames) {
			t.Errorf("Stats() = %v", stats)
		}
		for name, max := range wantNames {
			if s, ok := stats[name]; !ok || s.MaxOpenConnections != max {
				t.Errorf("Stats()[%q] = %+v, want MaxOpenConnections %d", name, s, max)
			}
		}

		reg := prometheus.NewRegistry()
		if err := store.RegisterMetrics(reg, db); err != nil {
			t.Fatalf("RegisterMetrics: %v", err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, mf := range mfs {
			if mf.GetName() != "go_sql_max_open_connections" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "db_name" {
						got = append(got, l.GetValue())
					}
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(wantDBNames, ",") {
			t.Errorf("db_name labels = %v, want %v", got, wantDBNames)
		}
		if err := store.RegisterMetrics(reg, db); err == nil {
			t.Errorf("registering twice: want error")
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "no-such-dir", "cairn.db")
	tests := []struct {
		name, dsn, want string
		notContain      string
	}{
		{name: "missing directory", dsn: missing, want: "does not exist"},
		{name: "memory", dsn: ":memory:", want: "in-memory"},
		{name: "memory uri", dsn: "file::memory:?cache=shared", want: "in-memory"},
		{name: "memory mode", dsn: "file:" + filepath.Join(t.TempDir(), "x.db") + "?mode=memory", want: "in-memory"},
		{name: "empty", dsn: "", want: "empty database dsn"},
		{name: "postgres unreachable", dsn: "postgres://cairn:s3cretpw@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", want: "connect to postgres", notContain: "s3cretpw"},
		{name: "postgres malformed", dsn: "postgres://cairn:s3cretpw@127.0.0.1:notaport/test", want: "postgres", notContain: "s3cretpw"},
		{name: "postgres bad param", dsn: "postgresql://127.0.0.1/test?sslmode=bogus", want: "postgres"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(ctx, tc.dsn, store.Options{})
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%q) succeeded, want error", tc.dsn)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not mention %q", msg, tc.want)
			}
			if tc.notContain != "" && strings.Contains(msg, tc.notContain) {
				t.Errorf("error %q leaks %q", msg, tc.notContain)
			}
		})
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing directory")
	}
}

func TestOpenFileURI(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "uri.db")
	db := open(t, "file:"+path+"?cache=private", store.Options{})
	if db.Backend() != store.SQLite {
		t.Fatalf("Backend() = %q", db.Backend())
	}
	createItems(t, db)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created at %s: %v", path, err)
	}
	var mode string
	if err := db.Reader().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
}
