package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// Each scheduler here has a Lister of its own over one shared job list:
// two processes sharing a database, where a change made through one is
// in the database at once but in the other scheduler only once it re-reads
// the jobs.

// sharedJobs is the database; each process's lister reads it.
type sharedJobs struct {
	mu   sync.Mutex
	jobs []Job
}

func (d *sharedJobs) Set(jobs ...Job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.jobs = jobs
}

func (d *sharedJobs) Jobs(context.Context) ([]Job, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Job(nil), d.jobs...), nil
}

// runLog records runs as (scheduler, start).
type runLog struct {
	mu   sync.Mutex
	runs []runAt
}

type runAt struct {
	sched int
	at    time.Time
}

func (l *runLog) run(i int) RunFunc {
	return func(context.Context, Job) error {
		l.mu.Lock()
		l.runs = append(l.runs, runAt{i, time.Now()})
		l.mu.Unlock()
		return nil
	}
}

func (l *runLog) since(t time.Time) []runAt {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []runAt
	for _, r := range l.runs {
		if !r.at.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// A job disabled, rescheduled or deleted in the database (through another
// process, which reloads its own scheduler) does not run again in a
// scheduler that was not told: each tick re-reads the jobs first.
func TestTickRereadsChangedJobs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change []Job
	}{
		{"disabled", []Job{{Key: "j", Spec: everySecond, Enabled: false}}},
		{"rescheduled", []Job{{Key: "j", Spec: "@yearly", Enabled: true}}},
		{"deleted", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &sharedJobs{}
			db.Set(Job{Key: "j", Spec: everySecond, Enabled: true})
			runs := &runLog{}
			logs := newLogRecorder()
			newTestScheduler(t, Options{Lister: db, Run: runs.run(0), Logger: slog.New(logs), ReloadInterval: -1})
			deadline := time.Now().Add(tickWait)
			for len(runs.since(time.Time{})) == 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if len(runs.since(time.Time{})) == 0 {
				t.Fatal("the job never ran")
			}
			db.Set(tc.change...) // no Reload: another process made the change
			// A tick already past its re-read may still start its run.
			changed := time.Now().Add(100 * time.Millisecond)
			time.Sleep(2500 * time.Millisecond)
			if after := runs.since(changed); len(after) > 0 {
				t.Errorf("the job was %s in the database, yet it ran %d more times here", tc.name, len(after))
			}
			if n, _ := logs.count("skipped tick: the job was changed, disabled or deleted since it was scheduled here"); tc.name != "rescheduled" && n == 0 {
				// A rescheduled job's old entry may have been replaced by
				// the re-read of a tick: either way it must not run.
				t.Errorf("no tick was skipped for the change")
			}
		})
	}
}

// A job created in the database through another process is scheduled here
// within ReloadInterval.
func TestReloadIntervalSchedulesNewJobs(t *testing.T) {
	t.Parallel()
	db := &sharedJobs{}
	ran := make(chan Job, 10)
	newTestScheduler(t, Options{Lister: db, ReloadInterval: 200 * time.Millisecond, Run: func(_ context.Context, j Job) error {
		select {
		case ran <- j:
		default:
		}
		return nil
	}})
	db.Set(Job{Key: "new", Spec: everySecond, Enabled: true})
	if j := recv(t, ran, tickWait, "the new job's run"); j.Key != "new" {
		t.Fatalf("ran %q, want new", j.Key)
	}
}

// Two schedulers (processes) started half an interval apart run an
// "@every" job once per interval between them, not once each: @every is
// on the wall clock, so both tick together and the tick guard keeps one.
func TestTwoSchedulersEveryStartedApart(t *testing.T) {
	t.Parallel()
	const every = 2 * time.Second
	db := &sharedJobs{}
	db.Set(Job{Key: "every", Spec: "@every 2s", Enabled: true})
	leaser := NewMemoryLeaser(nil)
	runs := &runLog{}
	// Start a just after an even second, b one second later.
	time.Sleep(time.Until(time.Now().Truncate(every).Add(every + 100*time.Millisecond)))
	start := time.Now()
	newTestScheduler(t, Options{Lister: db, Leaser: leaser, Run: runs.run(0), Holder: "a"})
	time.Sleep(every / 2)
	newTestScheduler(t, Options{Lister: db, Leaser: leaser, Run: runs.run(1), Holder: "b"})
	time.Sleep(3*every + every/2)
	perFire := map[int64][]int{}
	for _, r := range runs.since(start) {
		f := r.at.Truncate(every).Unix()
		perFire[f] = append(perFire[f], r.sched)
	}
	if len(perFire) < 3 {
		t.Fatalf("runs at %d fires in %s, want at least 3: %v", len(perFire), 3*every, perFire)
	}
	for f, s := range perFire {
		if len(s) != 1 {
			t.Errorf("the fire at %s ran %d times (by schedulers %v), want once", time.Unix(f, 0).UTC().Format(time.TimeOnly), len(s), s)
		}
	}
}
