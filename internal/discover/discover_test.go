package discover_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/discover"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func open(t *testing.T, dsn string) *app.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestLeaser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
		l := &discover.Leaser{Client: db.Client, Now: func() time.Time { return now }}
		steps := []struct {
			name string
			op   func() (bool, error)
			want bool
			then time.Duration // advance the clock after the step
		}{
			{"a takes a free lease", func() (bool, error) { return l.Acquire(ctx, "k", "a", time.Minute) }, true, 0},
			{"b cannot take a's lease", func() (bool, error) { return l.Acquire(ctx, "k", "b", time.Minute) }, false, 0},
			{"a re-takes its own lease", func() (bool, error) { return l.Acquire(ctx, "k", "a", time.Minute) }, true, 30 * time.Second},
			{"a renews", func() (bool, error) { return l.Renew(ctx, "k", "a", time.Minute) }, true, 0},
			{"b cannot renew a's lease", func() (bool, error) { return l.Renew(ctx, "k", "b", time.Minute) }, false, 61 * time.Second},
			// a crashed: its lease expired, b takes it over.
			{"b takes over the expired lease", func() (bool, error) { return l.Acquire(ctx, "k", "b", time.Minute) }, true, 0},
			{"a's renewal fails after the takeover", func() (bool, error) { return l.Renew(ctx, "k", "a", time.Minute) }, false, 0},
			{"a's release leaves b's lease", func() (bool, error) { return true, l.Release(ctx, "k", "a") }, true, 0},
			{"still b's", func() (bool, error) { return l.Acquire(ctx, "k", "c", time.Minute) }, false, 0},
			{"b releases", func() (bool, error) { return true, l.Release(ctx, "k", "b") }, true, 0},
			{"c takes the released lease", func() (bool, error) { return l.Acquire(ctx, "k", "c", time.Minute) }, true, 0},
			{"another key is independent", func() (bool, error) { return l.Acquire(ctx, "k2", "a", time.Minute) }, true, 0},
		}
		for _, s := range steps {
			got, err := s.op()
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
			}
			now = now.Add(s.then)
		}
	})
}

// TestScheduledRunsOnceAcrossProcesses runs a job every second from two
// services sharing one database: each tick runs it once, never twice at
// the same time.
func TestScheduledRunsOnceAcrossProcesses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "test")
		fixture, _ := filepath.Abs("../../testdata/discovery/nmap/loopback.xml")
		if _, err := os.Stat(fixture); err != nil {
			t.Fatal(err)
		}
		var job *ent.DiscoveryJob
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			var err error
			job, err = tx.DiscoveryJob.Create().SetName("every-second").SetSourceKind("nmap").
				SetConfig(map[string]any{"file": fixture}).SetSchedule("* * * * * *").Save(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var services []*discover.Service
		for range 2 {
			rn := &runner.Runner{Client: db.Client, Registry: install.Registry(), Dialect: db.Store.Dialect()}
			svc := discover.New(rn, nil)
			if err := svc.Scheduler.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			services = append(services, svc)
		}
		time.Sleep(3500 * time.Millisecond)
		for _, s := range services {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.Scheduler.Stop(sctx); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		runs, err := db.Client.DiscoveryRun.Query().Order(ent.Asc(discoveryrun.FieldStartedAt)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) < 2 || len(runs) > 4 {
			t.Fatalf("%d runs in 3.5 s of a per-second schedule from two processes, want 2 to 4", len(runs))
		}
		seen := map[int64]bool{}
		for _, r := range runs {
			if r.Status != discoveryrun.StatusSucceeded || r.Trigger != "schedule" {
				t.Errorf("run %d: %s %s %s", r.ID, r.Status, r.Trigger, deref(r.Error))
			}
			sec := r.StartedAt.Unix()
			if seen[sec] {
				t.Errorf("two runs started in second %d", sec)
			}
			seen[sec] = true
		}
		// A manual run while the lease is held elsewhere is refused.
		l := &discover.Leaser{Client: db.Client}
		// (the schedulers hold it up to half a tick after their last run)
		deadline := time.Now().Add(3 * time.Second)
		for {
			ok, err := l.Acquire(ctx, discover.JobKey(job.ID), "other-process", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the stopped schedulers still hold the lease")
			}
			time.Sleep(50 * time.Millisecond)
		}
		_, err = services[0].RunJob(ctx, job.ID, false)
		if err != scheduler.ErrLeaseHeld {
			t.Fatalf("RunJob while another process holds the lease: %v", err)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
