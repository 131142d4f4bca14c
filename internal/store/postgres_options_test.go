package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestPostgresOptions (issue 17): the pool sizes reach database/sql, and the
// statement timeout is the session's statement_timeout on every connection,
// so PostgreSQL cancels a longer statement (57014) whoever runs it.
func TestPostgresOptions(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	db := open(t, dsn, store.Options{Postgres: store.PostgresOptions{
		MaxOpenConns: 3, MaxIdleConns: 2, StatementTimeout: 250 * time.Millisecond,
	}})
	if got := db.Stats()["pool"].MaxOpenConnections; got != 3 {
		t.Errorf("max open connections %d, want 3", got)
	}
	// Hold three connections at once, so each is asked.
	conns := make([]interface{ Close() error }, 0, 3)
	for i := range 3 {
		c, err := db.Writer().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var st string
		if err := c.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&st); err != nil {
			t.Fatal(err)
		}
		if st != "250ms" {
			t.Errorf("connection %d: statement_timeout %q, want 250ms", i, st)
		}
	}
	for _, c := range conns {
		_ = c.Close()
	}
	if got := db.Stats()["pool"].Idle; got > 2 {
		t.Errorf("%d idle connections kept, want at most 2", got)
	}
	_, err := db.Writer().ExecContext(ctx, "SELECT pg_sleep(2)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("a 2s statement under a 250ms statement_timeout: %v, want SQLSTATE 57014 (query_canceled)", err)
	}

	// Without the option the DSN's own statement_timeout stands.
	db2 := open(t, dsn+"&statement_timeout=1500", store.Options{})
	var st string
	if err := db2.Writer().QueryRowContext(ctx, "SHOW statement_timeout").Scan(&st); err != nil {
		t.Fatal(err)
	}
	if st != "1500ms" {
		t.Errorf("statement_timeout from the DSN %q, want 1500ms", st)
	}
	if got := db2.Stats()["pool"].MaxOpenConnections; got != store.DefaultPostgresMaxOpenConns {
		t.Errorf("default max open connections %d, want %d", got, store.DefaultPostgresMaxOpenConns)
	}
}

// TestPostgresOptionsValidate: each bad value is refused by Open, naming it.
func TestPostgresOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		po   store.PostgresOptions
		want string
	}{
		{store.PostgresOptions{MaxOpenConns: -1}, "max open connections -1"},
		{store.PostgresOptions{MaxIdleConns: -2}, "max idle connections -2"},
		{store.PostgresOptions{MaxOpenConns: 2, MaxIdleConns: 3}, "max idle connections 3: more than max open connections 2"},
		{store.PostgresOptions{MaxIdleConns: 17}, "more than max open connections 16"},
		{store.PostgresOptions{StatementTimeout: -time.Second}, "statement timeout -1s"},
		{store.PostgresOptions{StatementTimeout: time.Microsecond}, "statement timeout 1µs"},
	} {
		err := tc.po.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error containing %q", tc.po, err, tc.want)
		}
		// Open checks before it connects anywhere.
		if _, err := store.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none", store.Options{Postgres: tc.po}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open with %+v: %v, want an error containing %q", tc.po, err, tc.want)
		}
	}
	if err := (store.PostgresOptions{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
}

// TestPostgresEndedSessionsAreDiscarded: when the server ends the pool's
// idle sessions (pg_terminate_backend sends the same FATAL 57P01 as a
// restart's fast shutdown), no later statement fails, though the
// connections were idle far less than pgx's one-second ping threshold: a
// closed connection is discarded before use (see pgPool).
func TestPostgresEndedSessionsAreDiscarded(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	const n = 4
	db := open(t, dsn, store.Options{Postgres: store.PostgresOptions{MaxOpenConns: n}})
	pids := make([]int, 0, n)
	conns := make([]interface{ Close() error }, 0, n)
	for range n {
		c, err := db.Writer().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pid int
		if err := c.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.Close() // back to the pool, idle
	}
	other := open(t, dsn, store.Options{Postgres: store.PostgresOptions{MaxOpenConns: 1}})
	for _, pid := range pids {
		var ok bool
		if err := other.Writer().QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("terminate %d: %v %v", pid, ok, err)
		}
	}
	time.Sleep(50 * time.Millisecond) // the sessions end; ours were idle well under a second
	// Every connection of the pool is taken at once, so each dead one
	// would be met.
	dead := map[int]bool{}
	for _, pid := range pids {
		dead[pid] = true
	}
	held := make([]interface{ Close() error }, 0, n)
	for i := range n {
		c, err := db.Writer().Conn(ctx)
		if err != nil {
			t.Fatalf("connection %d after the sessions ended: %v", i, err)
		}
		held = append(held, c)
		var pid int
		if err := c.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Errorf("statement %d after the sessions ended: %v", i, err)
		} else if dead[pid] {
			t.Errorf("statement %d ran on ended session %d", i, pid)
		}
	}
	for _, c := range held {
		_ = c.Close()
	}
}
