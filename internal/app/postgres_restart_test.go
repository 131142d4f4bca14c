package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestPostgresRestartUnderLoad (issue 17): PostgreSQL restarted (pg_ctl
// restart -m fast) while writers create CIs through the ent client with
// Cairn's hooks loses no acknowledged write, and the same open database
// (no reopen, no process restart) serves every write started after the
// server is back: dead pooled connections are discarded before use, never
// handed to a request.
func TestPostgresRestartUnderLoad(t *testing.T) {
	cl := storetest.StartCluster(t)
	ctx := context.Background()
	db, err := Open(ctx, cl.DSN("postgres"), Options{Store: store.Options{Postgres: store.PostgresOptions{
		MaxOpenConns: 8, StatementTimeout: 10 * time.Second,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	type outcome struct {
		name       string
		start, end time.Time
		err        error
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		acked    int
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return acked }
	const writers = 6
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("restart-w%d-%05d", w, seq)
				start := time.Now()
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := createCI(wctx, db, name)
				cancel()
				mu.Lock()
				outcomes = append(outcomes, outcome{name, start, time.Now(), err})
				if err == nil {
					acked++
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond) // the server is down: do not spin
				}
			}
		}()
	}
	waitFor := func(n int, what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for ackedCount() < n {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				var last error
				for _, o := range outcomes {
					if o.err != nil {
						last = o.err
					}
				}
				t.Fatalf("%s: only %d writes acknowledged in 20s (last error: %v)", what, ackedCount(), last)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(150, "before the restart")
	restartStart := time.Now()
	cl.Restart(t)
	restartDone := time.Now()
	before := ackedCount()
	waitFor(before+300, "after the restart")
	close(stop)
	wg.Wait()

	var failedDuring, failedAfter, okAfter int
	want := map[string]bool{}
	for _, o := range outcomes {
		switch {
		case o.err == nil:
			want[o.name] = true
			if o.start.After(restartDone) {
				okAfter++
			}
		case o.start.After(restartDone):
			failedAfter++
			t.Errorf("write %s started %s after the server was back and failed: %v", o.name, o.start.Sub(restartDone), o.err)
		case o.end.After(restartStart):
			failedDuring++
		default:
			t.Errorf("write %s failed before the restart: %v", o.name, o.err)
		}
	}
	t.Logf("restart took %s; %d writes acknowledged (%d after the restart), %d failed while the server restarted, %d after",
		restartDone.Sub(restartStart).Round(time.Millisecond), len(want), okAfter, failedDuring, failedAfter)
	if okAfter < 300 {
		t.Errorf("%d writes acknowledged after the restart, want at least 300", okAfter)
	}

	names, err := db.Client.ConfigurationItem.Query().Select(configurationitem.FieldName).Strings(ctx)
	if err != nil {
		t.Fatalf("reading back after the restart: %v", err)
	}
	got := map[string]bool{}
	for _, n := range names {
		got[n] = true
	}
	missing := 0
	for n := range want {
		if !got[n] {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged write %s is missing after the restart", n)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged writes are missing", missing, len(want))
	}
	// The audit trail of each acknowledged CI was written in its
	// transaction: a write is acknowledged whole or not at all.
	var unaudited int
	if err := db.Store.Writer().QueryRowContext(ctx, `SELECT count(*) FROM configuration_items c
		WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_id = c.id AND a.action = 'CREATE')`).Scan(&unaudited); err != nil {
		t.Fatalf("audit check: %v", err)
	}
	if unaudited != 0 {
		t.Errorf("%d stored CIs have no create audit event", unaudited)
	}
}

// createCI writes one CI as every write path does: in a transaction, with
// its audit event; it is acknowledged when the commit returns.
func createCI(ctx context.Context, db *DB, name string) error {
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ConfigurationItem.Create().SetName(name).
		SetKind(configurationitem.KindServer).SetHostname(name).Save(ctx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
