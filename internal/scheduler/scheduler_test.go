package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// everySecond fires on every second, so that tests see several ticks in a
// few seconds.
const everySecond = "* * * * * *"

const tickWait = 4 * time.Second

// Regression test for robfig/cron#366: with Recover outside
// SkipIfStillRunning, a job that panics once is skipped forever. Reversing
// the chain in wrapCronJob makes this test fail.
func TestCronChainJobRunsAgainAfterPanic(t *testing.T) {
	t.Parallel()
	sched, err := ParseSchedule(everySecond, "")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	ran := make(chan int32, 10)
	c := cron.New(cron.WithLogger(cronLogger{slog.New(slog.DiscardHandler)}))
	c.Schedule(sched, wrapCronJob(cronLogger{slog.New(slog.DiscardHandler)}, cron.FuncJob(func() {
		n := calls.Add(1)
		ran <- n
		if n == 1 {
			panic("boom")
		}
	})))
	c.Start()
	defer func() { <-c.Stop().Done() }()
	recv(t, ran, tickWait, "first run")
	recv(t, ran, tickWait, "run after the panic")
}

// The same through the Scheduler, with the panic raised outside RunFunc (here
// by the Leaser), where only cron's Recover catches it. Reversing the chain
// makes this test fail too.
func TestSchedulerTickRunsAgainAfterPanicOutsideRunFunc(t *testing.T) {
	t.Parallel()
	logs := newLogRecorder()
	ran := make(chan struct{}, 10)
	s := newTestScheduler(t, Options{
		Lister: newLister(Job{Key: "j", Spec: everySecond, Enabled: true}),
		Run: func(context.Context, Job) error {
			ran <- struct{}{}
			return nil
		},
		Leaser: &panickyLeaser{Leaser: NewMemoryLeaser(nil)},
		Logger: slog.New(logs),
	})
	recv(t, ran, tickWait, "a run after the tick that panicked")
	if n, _ := logs.count("cron: panic"); n != 1 {
		t.Errorf("cron logged %d panics, want 1", n)
	}
	// The in-process slot was released by the panic too.
	stop(t, s)
}

// panickyLeaser panics on its first Acquire.
type panickyLeaser struct {
	Leaser
	panicked atomic.Bool
}

func (l *panickyLeaser) Acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if l.panicked.CompareAndSwap(false, true) {
		panic("leaser exploded")
	}
	return l.Leaser.Acquire(ctx, key, holder, ttl)
}

// A RunFunc that panics on its first run runs again on the next tick; the
// panic reaches OnPanic as a *PanicError.
func TestSchedulerJobRunsAgainAfterPanic(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	ran := make(chan int32, 10)
	panics := make(chan error, 10)
	newTestScheduler(t, Options{
		Lister: newLister(Job{Key: "j", Name: "panicky", Spec: everySecond, Enabled: true}),
		Run: func(context.Context, Job) error {
			n := calls.Add(1)
			ran <- n
			if n == 1 {
				panic("boom")
			}
			return nil
		},
		OnPanic: func(job Job, err error) {
			if job.Key != "j" {
				err = fmt.Errorf("OnPanic for job %q", job.Key)
			}
			panics <- err
		},
	})
	recv(t, ran, tickWait, "first run")
	err := recv(t, panics, tickWait, "OnPanic")
	var perr *PanicError
	if !errors.As(err, &perr) || perr.Value != "boom" || len(perr.Stack) == 0 {
		t.Fatalf("OnPanic got %v, want a *PanicError for boom with a stack", err)
	}
	if got := err.Error(); got != "job panicked: boom" {
		t.Errorf("PanicError.Error() = %q", got)
	}
	recv(t, ran, tickWait, "the run after the panic")
}

// A long run is not started again while it runs: its ticks are skipped, and
// RunNow says it is running.
func TestSchedulerSkipsTicksWhileRunning(t *testing.T) {
	t.Parallel()
	logs := newLogRecorder()
	var active, maxActive, calls atomic.Int32
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	s := newTestScheduler(t, Options{
		Lister: newLister(Job{Key: "long", Spec: everySecond, Enabled: true}),
		Run: func(ctx context.Context, _ Job) error {
			n := active.Add(1)
			defer active.Add(-1)
			for {
				m := maxActive.Load()
				if n <= m || maxActive.CompareAndSwap(m, n) {
					break
				}
			}
			calls.Add(1)
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		},
		Logger: slog.New(logs),
	})
	recv(t, started, tickWait, "first run")
	logs.wait(t, "skipped tick: job is still running", 2, tickWait)
	if err := s.RunNow(context.Background(), "long"); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("RunNow during a run: %v, want ErrAlreadyRunning", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d runs started while the first was running, want 1", n)
	}
	close(release)
	stop(t, s)
	if m := maxActive.Load(); m != 1 {
		t.Fatalf("up to %d runs at once, want 1", m)
	}
}

// Two schedulers sharing a Leaser (two processes sharing a database) run a
// job once per tick between them.
func TestTwoSchedulersRunJobOncePerTick(t *testing.T) {
	t.Parallel()
	leaser := NewMemoryLeaser(nil)
	lister := newLister(Job{Key: "shared", Spec: everySecond, Enabled: true})
	logs := newLogRecorder()
	type runRec struct {
		sched int
		tick  time.Time
	}
	runs := make(chan runRec, 100)
	start := func(i int) *Scheduler {
		return newTestScheduler(t, Options{
			Lister: lister,
			Leaser: leaser,
			Logger: slog.New(logs),
			Run: func(context.Context, Job) error {
				runs <- runRec{i, time.Now().Truncate(time.Second)}
				return nil
			},
		})
	}
	a, b := start(0), start(1)
	if a.Holder() == b.Holder() {
		t.Fatalf("both schedulers are holder %q", a.Holder())
	}
	perTick := map[time.Time][]int{}
	for len(perTick) < 4 {
		r := recv(t, runs, tickWait, "a run")
		perTick[r.tick] = append(perTick[r.tick], r.sched)
	}
	stop(t, a)
	stop(t, b)
	close(runs)
	for r := range runs {
		perTick[r.tick] = append(perTick[r.tick], r.sched)
	}
	for tick, scheds := range perTick {
		if len(scheds) != 1 {
			t.Errorf("tick %s ran %d times (by schedulers %v), want once", tick.Format(time.TimeOnly), len(scheds), scheds)
		}
	}
	// Each scheduler tried every tick: the loser skipped it.
	if n, _ := logs.count("skipped tick: job is running in another scheduler"); n < 3 {
		t.Errorf("%d ticks skipped for the lease, want at least 3", n)
	}
}

// RunNow in one scheduler while another runs the job fails with
// ErrLeaseHeld, and works once the other is done.
func TestRunNowLeaseHeldByOtherScheduler(t *testing.T) {
	t.Parallel()
	leaser := NewMemoryLeaser(nil)
	lister := newLister(Job{Key: "j", Spec: "@yearly", Enabled: true})
	started := make(chan string, 2)
	release := make(chan struct{})
	start := func(name string) *Scheduler {
		return newTestScheduler(t, Options{
			Lister: lister,
			Leaser: leaser,
			Run: func(context.Context, Job) error {
				started <- name
				<-release
				return nil
			},
		})
	}
	a, b := start("a"), start("b")
	ctx := context.Background()
	if err := a.RunNow(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	recv(t, started, tickWait, "a's run")
	err := b.RunNow(ctx, "j")
	if !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("b.RunNow while a runs: %v, want ErrLeaseHeld", err)
	}
	if want := `job "j": running in another scheduler`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if h, _, _ := leaser.Holder("j"); h != a.Holder() {
		t.Errorf("lease holder %q, want a (%q)", h, a.Holder())
	}
	close(release)
	stop(t, a) // waits for a's run to end and release the lease
	if _, _, ok := leaser.Holder("j"); ok {
		t.Fatal("lease still held after the run")
	}
	if err := b.RunNow(ctx, "j"); err != nil {
		t.Fatalf("b.RunNow after a's run: %v", err)
	}
	if who := recv(t, started, tickWait, "b's run"); who != "b" {
		t.Fatalf("%s ran, want b", who)
	}
}

// A scheduler takes over the lease of a crashed one once it has expired.
func TestSchedulerTakesOverExpiredLease(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	leaser := NewMemoryLeaser(clock.Now)
	ctx := context.Background()
	// Another process took the lease and died.
	if ok, err := leaser.Acquire(ctx, "discovery:42", "crashed-host:1:abc", time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	ran := make(chan struct{}, 1)
	s := newTestScheduler(t, Options{
		Lister:   newLister(Job{Key: "discovery:42", Spec: "@daily", Enabled: true}),
		Leaser:   leaser,
		LeaseTTL: time.Minute,
		Run: func(context.Context, Job) error {
			ran <- struct{}{}
			return nil
		},
	})
	if err := s.RunNow(ctx, "discovery:42"); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("RunNow before expiry: %v, want ErrLeaseHeld", err)
	}
	clock.Advance(time.Minute)
	if err := s.RunNow(ctx, "discovery:42"); err != nil {
		t.Fatalf("RunNow after expiry: %v", err)
	}
	recv(t, ran, tickWait, "the run")
	stop(t, s)
	if _, _, ok := leaser.Holder("discovery:42"); ok {
		t.Fatal("lease still held after the run")
	}
}

// renewSpy tells when Renew was called.
type renewSpy struct {
	Leaser
	renewed chan struct{}
}

func (l *renewSpy) Renew(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	ok, err := l.Leaser.Renew(ctx, key, holder, ttl)
	select {
	case l.renewed <- struct{}{}:
	default:
	}
	return ok, err
}

// A running job's lease is renewed; when renewal fails the run's context is
// cancelled with ErrLeaseLost.
func TestLeaseRenewalAndLoss(t *testing.T) {
	t.Parallel()
	const ttl = 300 * time.Millisecond // renewed every 100ms of real time
	clock := newFakeClock()
	mem := NewMemoryLeaser(clock.Now)
	spy := &renewSpy{Leaser: mem, renewed: make(chan struct{}, 1)}
	cause := make(chan error, 1)
	s := newTestScheduler(t, Options{
		Lister:   newLister(Job{Key: "j", Spec: "@daily", Enabled: true}),
		Leaser:   spy,
		LeaseTTL: ttl,
		Run: func(ctx context.Context, _ Job) error {
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return ctx.Err()
		},
	})
	ctx := context.Background()
	if err := s.RunNow(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	// Lease acquired at fake T0, expiring at T0+300ms. Let a renewal happen
	// at T0+200ms: the lease then expires at T0+500ms.
	clock.Advance(200 * time.Millisecond)
	select {
	case <-spy.renewed: // may predate the Advance
	default:
	}
	recv(t, spy.renewed, tickWait, "a renewal")
	clock.Advance(200 * time.Millisecond) // T0+400ms: still held thanks to the renewal
	if ok, _ := mem.Acquire(ctx, "j", "thief", time.Hour); ok {
		t.Fatal("lease taken while the job runs and renews it")
	}
	// Renewals stall (say, a long GC pause): the lease expires, another
	// holder takes it, and the next renewal fails.
	clock.Advance(time.Second)
	if ok, _ := mem.Acquire(ctx, "j", "thief", time.Hour); !ok {
		t.Fatal("expired lease not taken")
	}
	if err := recv(t, cause, tickWait, "cancellation"); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("run cancelled with cause %v, want ErrLeaseLost", err)
	}
	stop(t, s)
	if h, _, _ := mem.Holder("j"); h != "thief" {
		t.Fatalf("lease holder %q after the run, want thief", h)
	}
}

func TestTimeoutCancelsRun(t *testing.T) {
	t.Parallel()
	type result struct {
		err, cause error
		deadline   bool
	}
	results := make(chan result, 2)
	s := newTestScheduler(t, Options{
		Lister: newLister(
			Job{Key: "slow", Spec: "@daily", Enabled: true, Timeout: 50 * time.Millisecond},
			Job{Key: "untimed", Spec: "@daily", Enabled: true},
		),
		Run: func(ctx context.Context, job Job) error {
			_, ok := ctx.Deadline()
			if job.Key == "untimed" {
				results <- result{deadline: ok}
				return nil
			}
			<-ctx.Done()
			results <- result{ctx.Err(), context.Cause(ctx), ok}
			return ctx.Err()
		},
	})
	if err := s.RunNow(context.Background(), "slow"); err != nil {
		t.Fatal(err)
	}
	r := recv(t, results, tickWait, "the timed-out run")
	if !r.deadline || !errors.Is(r.err, context.DeadlineExceeded) || !errors.Is(r.cause, ErrTimeout) {
		t.Fatalf("run ended with deadline %v, err %v, cause %v; want a deadline, DeadlineExceeded, ErrTimeout", r.deadline, r.err, r.cause)
	}
	if got, want := r.cause.Error(), "job timed out after 50ms"; got != want {
		t.Errorf("cause %q, want %q", got, want)
	}
	if err := s.RunNow(context.Background(), "untimed"); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, results, tickWait, "the untimed run"); r.deadline {
		t.Fatal("a job without a timeout has a deadline")
	}
}

func TestStopCancelsRunsAndWaits(t *testing.T) {
	t.Parallel()
	leaser := NewMemoryLeaser(nil)
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	finish := make(chan struct{})
	s := New(Options{
		Lister: newLister(Job{Key: "j", Spec: "@daily", Enabled: true}),
		Leaser: leaser,
		Run: func(ctx context.Context, _ Job) error {
			close(started)
			<-ctx.Done()
			cancelled <- context.Cause(ctx)
			<-finish // cleaning up
			return ctx.Err()
		},
	})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.RunNow(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	recv(t, started, tickWait, "the run")
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(ctx) }()
	if cause := recv(t, cancelled, tickWait, "the run's cancellation"); !errors.Is(cause, ErrStopped) {
		t.Fatalf("run cancelled with cause %v, want ErrStopped", cause)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) before the run did", err)
	default:
	}
	if _, _, ok := leaser.Holder("j"); !ok {
		t.Fatal("lease released before the run returned")
	}
	close(finish)
	if err := recv(t, stopped, tickWait, "Stop"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, _, ok := leaser.Holder("j"); ok {
		t.Fatal("lease still held after Stop")
	}
	if err := s.RunNow(ctx, "j"); !errors.Is(err, ErrStopped) {
		t.Errorf("RunNow after Stop: %v, want ErrStopped", err)
	}
	if err := s.Reload(ctx); !errors.Is(err, ErrStopped) {
		t.Errorf("Reload after Stop: %v, want ErrStopped", err)
	}
	if err := s.Start(ctx); !errors.Is(err, ErrStopped) {
		t.Errorf("Start after Stop: %v, want ErrStopped", err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopBoundedByContext(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	finish := make(chan struct{})
	s := New(Options{
		Lister: newLister(Job{Key: "stubborn", Spec: "@daily", Enabled: true}),
		Run: func(context.Context, Job) error { // ignores cancellation
			close(started)
			<-finish
			return nil
		},
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.RunNow(context.Background(), "stubborn"); err != nil {
		t.Fatal(err)
	}
	recv(t, started, tickWait, "the run")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want DeadlineExceeded", err)
	}
	if want := "stopping scheduler: waiting for running jobs: context deadline exceeded"; err.Error() != want {
		t.Errorf("Stop error %q, want %q", err, want)
	}
	close(finish)
	stop(t, s) // a later Stop waits for the run
}

func TestReload(t *testing.T) {
	t.Parallel()
	lister := newLister(
		Job{Key: "a", Name: "A", Spec: "@hourly", Enabled: true},
		Job{Key: "b", Spec: "0 3 * * *", Enabled: true},
		Job{Key: "c", Spec: "@daily", Enabled: false},
		Job{Key: "e", Spec: "@daily", Enabled: true},
		Job{Key: "f", Spec: "@daily", Enabled: true},
		Job{Key: "bad", Spec: "61 * * * *", Enabled: true},
	)
	logs := newLogRecorder()
	gotJobs := make(chan Job, 10)
	s := newTestScheduler(t, Options{
		Lister: lister,
		Logger: slog.New(logs),
		Run: func(_ context.Context, job Job) error {
			gotJobs <- job
			return nil
		},
	})
	ctx := context.Background()
	ids := func() map[string]cron.EntryID {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := map[string]cron.EntryID{}
		for k, e := range s.jobs {
			if e.id != 0 {
				out[k] = e.id
			}
		}
		if n := len(s.cron.Entries()); n != len(out) {
			t.Fatalf("%d cron entries for %d scheduled jobs", n, len(out))
		}
		return out
	}
	before := ids()
	if len(before) != 4 || before["c"] != 0 || before["bad"] != 0 {
		t.Fatalf("scheduled %v, want a, b, e, f", before)
	}
	if n, _ := logs.count("not scheduling job"); n != 1 {
		t.Errorf("invalid spec logged %d times, want 1", n)
	}

	lister.Set(
		Job{Key: "a", Name: "A renamed", Spec: "@hourly", Enabled: true},     // name only: kept
		Job{Key: "b", Spec: "0 4 * * *", Enabled: true},                      // spec: replaced
		Job{Key: "c", Spec: "@daily", Enabled: true},                         // enabled: added
		Job{Key: "d", Spec: "@every 1h", Enabled: true},                      // new: added
		Job{Key: "f", Spec: "@daily", Enabled: true, Timeout: time.Minute},   // timeout: replaced
		Job{Key: "bad", Spec: "61 * * * *", Enabled: true},                   // unchanged: still not scheduled
		Job{Key: "g", Spec: "0 0 * * *", TZ: "Europe/Paris", Enabled: false}, // new, disabled
		Job{Key: "a", Name: "duplicate", Spec: "* * * * * *", Enabled: true}, // duplicate key: ignored
		Job{Key: "", Name: "keyless", Spec: "* * * * * *", Enabled: true},    // no key: ignored
	) // e deleted
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	after := ids()
	if len(after) != 5 {
		t.Fatalf("scheduled %v, want a, b, c, d, f", after)
	}
	if after["a"] != before["a"] {
		t.Error("a was rescheduled for a new name")
	}
	for _, k := range []string{"b", "f"} {
		if after[k] == before[k] || after[k] == 0 {
			t.Errorf("%s not rescheduled", k)
		}
	}
	if after["c"] == 0 || after["d"] == 0 {
		t.Error("c or d not scheduled")
	}
	if n, _ := logs.count("not scheduling job"); n != 1 {
		t.Errorf("unchanged invalid spec logged again (%d times)", n)
	}
	// b follows its new spec.
	for _, e := range s.cron.Entries() {
		if e.ID == after["b"] {
			next := e.Schedule.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			if want := time.Date(2025, 1, 1, 4, 0, 0, 0, time.UTC); !next.Equal(want) {
				t.Errorf("b next %s, want %s", next, want)
			}
		}
	}
	// e is gone; a runs with its new name; g is disabled but RunNow runs it.
	if err := s.RunNow(ctx, "e"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("RunNow(deleted job) = %v, want ErrUnknownJob", err)
	}
	if err := s.RunNow(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if j := recv(t, gotJobs, tickWait, "a's run"); j.Name != "A renamed" {
		t.Errorf("a ran as %q, want the new name", j.Name)
	}
	if err := s.RunNow(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if j := recv(t, gotJobs, tickWait, "g's run"); j.Key != "g" || j.TZ != "Europe/Paris" {
		t.Errorf("ran %+v, want g", j)
	}

	// A failing Lister leaves the jobs as they were.
	lister.SetErr(errors.New("database is down"))
	if err := s.Reload(ctx); err == nil || err.Error() != "loading scheduled jobs: database is down" {
		t.Errorf("Reload with failing Lister: %v", err)
	}
	if got := ids(); len(got) != 5 {
		t.Errorf("failed Reload changed the jobs: %v", got)
	}
	lister.SetErr(nil)

	// Everything removed.
	lister.Set()
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 0 {
		t.Errorf("scheduled %v after all jobs were deleted", got)
	}
}

// Reload, RunNow and ticks race with each other safely (run with -race).
func TestConcurrentReloads(t *testing.T) {
	t.Parallel()
	setA := []Job{{Key: "x", Spec: everySecond, Enabled: true}, {Key: "y", Spec: "@hourly", Enabled: true}}
	setB := []Job{{Key: "x", Spec: "*/2 * * * * *", Enabled: true}, {Key: "z", Spec: "@daily", Enabled: true}}
	lister := newLister(setA...)
	s := newTestScheduler(t, Options{
		Lister: lister,
		Run:    func(context.Context, Job) error { return nil },
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if (i+j)%2 == 0 {
					lister.Set(setA...)
				} else {
					lister.Set(setB...)
				}
				if err := s.Reload(ctx); err != nil {
					t.Error(err)
					return
				}
				err := s.RunNow(ctx, "x")
				if err != nil && !errors.Is(err, ErrAlreadyRunning) && !errors.Is(err, ErrLeaseHeld) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	lister.Set(setB...)
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	nJobs := len(s.jobs)
	s.mu.Unlock()
	if n := len(s.cron.Entries()); n != 2 || nJobs != 2 {
		t.Fatalf("%d cron entries, %d jobs; want 2 and 2", n, nJobs)
	}
}

func TestLifecycleErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lister := newLister(Job{Key: "j", Spec: "@daily", Enabled: true})
	lister.SetErr(errors.New("no database"))
	s := New(Options{Lister: lister, Run: func(context.Context, Job) error { return nil }})
	if err := s.RunNow(ctx, "j"); !errors.Is(err, ErrNotStarted) {
		t.Errorf("RunNow before Start: %v", err)
	}
	if err := s.Reload(ctx); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Reload before Start: %v", err)
	}
	if err := s.Start(ctx); err == nil || err.Error() != "loading scheduled jobs: no database" {
		t.Fatalf("Start with failing Lister: %v", err)
	}
	lister.SetErr(nil)
	if err := s.Start(ctx); err != nil { // retry
		t.Fatal(err)
	}
	if err := s.Start(ctx); !errors.Is(err, ErrAlreadyStarted) {
		t.Errorf("second Start: %v", err)
	}
	err := s.RunNow(ctx, "nope")
	if !errors.Is(err, ErrUnknownJob) || err.Error() != `job "nope": unknown job` {
		t.Errorf("RunNow(unknown) = %v", err)
	}
	stop(t, s)

	// Stop before Start.
	s2 := New(Options{Lister: lister, Run: func(context.Context, Job) error { return nil }})
	stop(t, s2)
	if err := s2.Start(ctx); !errors.Is(err, ErrStopped) {
		t.Errorf("Start after Stop: %v", err)
	}

	defer func() {
		if recover() == nil {
			t.Error("New without Run did not panic")
		}
	}()
	New(Options{Lister: lister})
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s := New(Options{Lister: newLister(), Run: func(context.Context, Job) error { return nil }})
	if s.ttl != DefaultLeaseTTL || s.tickGuard != DefaultTickGuard || s.log == nil || s.leaser == nil {
		t.Errorf("defaults not applied: ttl %s, guard %s", s.ttl, s.tickGuard)
	}
	if !regexp.MustCompile(`^.+:\d+:[0-9a-f]{16}$`).MatchString(s.Holder()) {
		t.Errorf("holder %q is not host:pid:random", s.Holder())
	}
	s2 := New(Options{Lister: newLister(), Run: func(context.Context, Job) error { return nil }, Holder: "me"})
	if s2.Holder() == s.Holder() || s2.Holder() != "me" {
		t.Errorf("holders %q and %q", s.Holder(), s2.Holder())
	}
}

func TestGuardFor(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		spec  string
		max   time.Duration
		guard time.Duration
	}{
		{everySecond, 5 * time.Second, 500 * time.Millisecond},
		{"@every 4s", 5 * time.Second, 2 * time.Second},
		{"@hourly", 5 * time.Second, 5 * time.Second},
		{"@hourly", -1, 0},
	} {
		sched, err := ParseSchedule(tt.spec, "")
		if err != nil {
			t.Fatal(err)
		}
		if g := guardFor(sched, now, tt.max); g != tt.guard {
			t.Errorf("guardFor(%q, %s) = %s, want %s", tt.spec, tt.max, g, tt.guard)
		}
	}
}
