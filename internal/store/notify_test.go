package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestListen (issue 17): Listen hears a NOTIFY only once the notifying
// transaction commits, hears none that rolled back, and when its session is
// terminated reports it lost and listens again on a new connection (Ready
// again); on SQLite it returns at once.
func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	sq := open(t, storetest.SQLiteDSN(t), store.Options{})
	done := make(chan struct{})
	go func() { sq.Listen(ctx, "c", store.Listener{}); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen on SQLite did not return")
	}

	db := open(t, storetest.PostgresDSN(t), store.Options{Postgres: store.PostgresOptions{MaxOpenConns: 4}})
	ready, changed, lost := make(chan struct{}, 4), make(chan struct{}, 16), make(chan error, 4)
	go db.Listen(ctx, "cairn_test_channel", store.Listener{
		Ready:   func() { ready <- struct{}{} },
		Changed: func() { changed <- struct{}{} },
		Lost:    func(err error) { lost <- err },
	})
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10 s", what)
		}
	}
	quiet := func(what string) {
		t.Helper()
		select {
		case <-changed:
			t.Fatalf("a notification was heard %s", what)
		case <-time.After(300 * time.Millisecond):
		}
	}
	wait("Ready", ready)

	w := db.Writer()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify('cairn_test_channel', '')`); err != nil {
		t.Fatal(err)
	}
	quiet("before its transaction committed")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wait("notification after the commit", changed)

	tx, err = w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify('cairn_test_channel', '')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	quiet("from a rolled-back transaction")

	// End the listening session, as a restart or an administrator would.
	res, err := w.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %cairn_test_channel%'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("terminated %d listening sessions, want 1", n)
	}
	select {
	case err := <-lost:
		if err == nil {
			t.Fatal("Lost without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the terminated session was not reported lost")
	}
	wait("Ready after reconnecting", ready)
	if _, err := w.ExecContext(ctx, `NOTIFY cairn_test_channel`); err != nil {
		t.Fatal(err)
	}
	wait("notification on the new connection", changed)
}
