package discoveryjobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/scheduler/dblease"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

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
		var services []*discoveryjobs.Service
		var schedulers []*scheduler.Scheduler
		for range 2 {
			rn := &runner.Runner{Client: db.Client, Registry: install.Registry(), Dialect: db.Store.Dialect()}
			svc := discoveryjobs.New(rn, nil)
			sched := scheduler.NewShared(scheduler.Options{Leaser: svc.Leaser}, svc)
			if err := sched.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			services = append(services, svc)
			schedulers = append(schedulers, sched)
		}
		time.Sleep(3500 * time.Millisecond)
		for _, s := range schedulers {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.Stop(sctx); err != nil {
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
		l := &dblease.Leaser{Client: db.Client}
		// (the schedulers hold it up to half a tick after their last run)
		deadline := time.Now().Add(3 * time.Second)
		for {
			ok, err := l.Acquire(ctx, discoveryjobs.JobKey(job.ID), "other-process", time.Minute)
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
		_, err = services[0].RunNow(ctx, job.ID, false)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || !errors.Is(err, scheduler.ErrLeaseHeld) {
			t.Fatalf("RunNow while another process holds the lease: %v, want a CONFLICT for scheduler.ErrLeaseHeld", err)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestScheduledJobsLeaveOutReceivingKinds: push and agent jobs receive
// their runs; a schedule on them (which tells agents how often to report)
// never makes the scheduler run them, which could only fail.
func TestScheduledJobsLeaveOutReceivingKinds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "test")
		fixture, _ := filepath.Abs("../../testdata/discovery/nmap/loopback.xml")
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			for _, j := range []struct{ name, kind string }{{"scan", "nmap"}, {"agents", "push"}, {"fleet", "agent"}} {
				c := tx.DiscoveryJob.Create().SetName(j.name).SetSourceKind(j.kind).SetSchedule("0 3 * * *")
				if j.kind == "nmap" {
					c.SetConfig(map[string]any{"file": fixture})
				}
				if err := c.Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		jobs, err := discoveryjobs.Lister{Client: db.Client}.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, j := range jobs {
			names = append(names, j.Name)
		}
		if len(names) != 1 || names[0] != "scan" {
			t.Errorf("scheduled jobs %v, want [scan]", names)
		}
	})
}
