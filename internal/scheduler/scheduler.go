// Package scheduler runs scheduled jobs (discovery jobs, report schedules) on
// robfig/cron. It knows nothing of the database: a Lister supplies the jobs,
// a RunFunc runs one, and a Leaser (database-backed when several processes
// share a database) makes sure that at most one process runs a job at a time.
//
// A run, whether started by its schedule or by RunNow, goes through the same
// path: in-process bookkeeping (one run per job per process), then the lease
// named after the job's Key (renewed every LeaseTTL/3 while the job runs; the
// run's context is cancelled when a renewal fails), then RunFunc with a
// context carrying the job's timeout, with panics turned into *PanicError.
//
// When a scheduled run finishes soon after its tick, the lease is kept until
// TickGuard after the tick instead of being released, so that another
// process whose timer fires a little later skips the tick instead of running
// the job a second time.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is a scheduled job as the Lister knows it.
type Job struct {
	// Key identifies the job among all jobs, e.g. "discovery:42". It also
	// names the job's lease.
	Key string
	// Name is for logs.
	Name string
	// Spec and TZ are the schedule, as ParseSchedule takes them.
	Spec string
	TZ   string
	// Timeout bounds one run; 0 means none.
	Timeout time.Duration
	// Enabled jobs run on their schedule; RunNow runs disabled jobs too.
	Enabled bool
}

// Lister returns all jobs, enabled or not.
type Lister interface {
	Jobs(ctx context.Context) ([]Job, error)
}

// RunFunc runs one job. It should return soon after ctx is done.
type RunFunc func(ctx context.Context, job Job) error

// Errors returned by Scheduler methods and found by errors.Is.
var (
	// ErrAlreadyRunning: RunNow found the job running in this process.
	ErrAlreadyRunning = errors.New("already running")
	// ErrLeaseHeld: another scheduler (another process) holds the job's lease.
	ErrLeaseHeld = errors.New("running in another scheduler")
	// ErrUnknownJob: no job has this key (as of the last Start or Reload).
	ErrUnknownJob = errors.New("unknown job")
	// ErrNotStarted: the method needs Start to have been called.
	ErrNotStarted = errors.New("scheduler not started")
	// ErrAlreadyStarted: Start was called twice.
	ErrAlreadyStarted = errors.New("scheduler already started")
	// ErrStopped: the scheduler is stopped. It is also the cause
	// (context.Cause) of the contexts of runs that Stop cancels.
	ErrStopped = errors.New("scheduler stopped")
	// ErrTimeout is the cause (context.Cause) of the context of a run that
	// exceeded its job's Timeout.
	ErrTimeout = errors.New("job timed out")
	// ErrLeaseLost is the cause (context.Cause) of the context of a run whose
	// lease could not be renewed.
	ErrLeaseLost = errors.New("lease lost")
)

// PanicError is the error of a run whose RunFunc panicked.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("job panicked: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Defaults for Options.
const (
	DefaultLeaseTTL       = time.Minute
	DefaultTickGuard      = 5 * time.Second
	DefaultReloadInterval = time.Minute
)

// releaseTimeout bounds the final Release (or guard Renew) of a run, which
// uses a context that Stop does not cancel.
const releaseTimeout = 10 * time.Second

// Options configure a Scheduler. Lister and Run are required.
type Options struct {
	Lister Lister
	Run    RunFunc
	// Leaser defaults to a new MemoryLeaser, which keeps runs apart within
	// this process only: give every process sharing a database the same
	// database-backed Leaser.
	Leaser Leaser
	// Logger defaults to discarding.
	Logger *slog.Logger
	// LeaseTTL is how long a lease lasts without renewal (default 1m); a
	// crashed process's jobs can run elsewhere after that long. Leases are
	// renewed every LeaseTTL/3, and each lease call is bounded by LeaseTTL/3.
	LeaseTTL time.Duration
	// Holder identifies this scheduler to the Leaser; it must be unique among
	// schedulers sharing a Leaser. Default: hostname:pid:random.
	Holder string
	// TickGuard: after a scheduled run, the lease is held until TickGuard
	// after the tick (capped at half the schedule's interval) so that other
	// processes skip the same tick. It must exceed the clock skew between
	// processes. Default 5s; negative disables.
	TickGuard time.Duration
	// OnPanic, if set, is called with the job and a *PanicError when RunFunc
	// panics (the panic is logged either way).
	OnPanic func(job Job, err error)
	// ReloadInterval: the jobs are re-read this often (default 1m; negative
	// never), so that a job another process sharing the database created
	// or re-enabled is scheduled here too. Every tick also re-reads them
	// before it runs, so a job changed, disabled or deleted elsewhere never
	// runs here on what it was.
	ReloadInterval time.Duration
}

type state int

const (
	stateNew state = iota
	stateStarted
	stateStopped
)

// entry is a job as loaded by Start or Reload.
type entry struct {
	key   string
	job   Job           // guarded by Scheduler.mu
	sched cron.Schedule // nil when the job is disabled
	id    cron.EntryID  // 0 when the job is not in cron
}

// Scheduler runs the jobs of a Lister on their schedules. Its methods are
// safe for concurrent use.
type Scheduler struct {
	lister    Lister
	runFn     RunFunc
	leaser    Leaser
	log       *slog.Logger
	ttl       time.Duration
	holder    string
	tickGuard time.Duration
	reloadInt time.Duration
	onPanic   func(Job, error)
	cron      *cron.Cron

	reloadMu sync.Mutex // serializes Start and Reload

	mu         sync.Mutex
	state      state
	base       context.Context // parent of run contexts; cancelled by Stop
	baseCancel context.CancelCauseFunc
	jobs       map[string]*entry
	running    map[string]bool // jobs running in this process
	wg         sync.WaitGroup  // runs in this process
	idle       chan struct{}   // closed when stopped and all runs returned
}

// New returns a Scheduler; call Start to run it. It panics when Lister or
// Run is nil.
func New(opts Options) *Scheduler {
	if opts.Lister == nil || opts.Run == nil {
		panic("scheduler: Options.Lister and Options.Run are required")
	}
	s := &Scheduler{
		lister:    opts.Lister,
		runFn:     opts.Run,
		leaser:    opts.Leaser,
		log:       opts.Logger,
		ttl:       opts.LeaseTTL,
		holder:    opts.Holder,
		tickGuard: opts.TickGuard,
		reloadInt: opts.ReloadInterval,
		onPanic:   opts.OnPanic,
		jobs:      map[string]*entry{},
		running:   map[string]bool{},
	}
	if s.leaser == nil {
		s.leaser = NewMemoryLeaser(nil)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ttl <= 0 {
		s.ttl = DefaultLeaseTTL
	}
	if s.holder == "" {
		s.holder = newHolderID()
	}
	if s.tickGuard == 0 {
		s.tickGuard = DefaultTickGuard
	}
	if s.reloadInt == 0 {
		s.reloadInt = DefaultReloadInterval
	}
	// Each entry gets its own chain (see cronJob), so the Cron has none.
	s.cron = cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{s.log}))
	return s
}

// newHolderID returns hostname:pid:random.
func newHolderID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Holder returns the holder ID this scheduler gives the Leaser.
func (s *Scheduler) Holder() string { return s.holder }

// Start loads the jobs and starts running them on their schedules. ctx
// bounds loading; its values (not its cancellation) are passed on to runs.
// Enabled jobs with an invalid schedule are logged and not scheduled (RunNow
// still runs them). Start may be retried after it fails; it returns
// ErrAlreadyStarted when called again after succeeding.
func (s *Scheduler) Start(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if err := s.checkState(stateNew); err != nil {
		return err
	}
	jobs, err := s.lister.Jobs(ctx)
	if err != nil {
		return fmt.Errorf("loading scheduled jobs: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return s.stateErrLocked()
	}
	s.base, s.baseCancel = context.WithCancelCause(context.WithoutCancel(ctx))
	s.applyLocked(jobs)
	s.state = stateStarted
	s.cron.Start()
	if s.reloadInt > 0 {
		s.wg.Add(1)
		go s.reloadLoop(s.base)
	}
	s.log.Info("scheduler started", "holder", s.holder, "jobs", len(s.jobs))
	return nil
}

// reloadLoop reloads the jobs every reloadInt until base is cancelled (by
// Stop, which waits for it through wg).
func (s *Scheduler) reloadLoop(base context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.reloadInt)
	defer t.Stop()
	for {
		select {
		case <-base.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(base, s.reloadInt)
			err := s.Reload(ctx)
			cancel()
			if err != nil && base.Err() == nil && !errors.Is(err, ErrStopped) {
				s.log.Warn("reloading schedules", "err", err)
			}
		}
	}
}

// Reload re-reads the jobs: it schedules new jobs, unschedules deleted and
// disabled ones, and reschedules those whose Spec, TZ, Timeout or Enabled
// changed. Runs in progress carry on. Enabled jobs with an invalid schedule
// are logged and not scheduled. Call it whenever jobs change.
func (s *Scheduler) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if err := s.checkState(stateStarted); err != nil {
		return err
	}
	jobs, err := s.lister.Jobs(ctx)
	if err != nil {
		return fmt.Errorf("loading scheduled jobs: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateStarted {
		return s.stateErrLocked()
	}
	s.applyLocked(jobs)
	return nil
}

func (s *Scheduler) checkState(want state) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == want {
		return nil
	}
	return s.stateErrLocked()
}

func (s *Scheduler) stateErrLocked() error {
	switch s.state {
	case stateNew:
		return ErrNotStarted
	case stateStarted:
		return ErrAlreadyStarted
	default:
		return ErrStopped
	}
}

// applyLocked makes s.jobs and the cron entries match jobs.
func (s *Scheduler) applyLocked(jobs []Job) {
	seen := make(map[string]bool, len(jobs))
	for _, job := range jobs {
		log := s.log.With("job", job.Key, "name", job.Name)
		if job.Key == "" {
			log.Error("skipping scheduled job without a key")
			continue
		}
		if seen[job.Key] {
			log.Error("skipping scheduled job with a duplicate key")
			continue
		}
		seen[job.Key] = true
		old := s.jobs[job.Key]
		if old != nil && sameSchedule(old.job, job) {
			old.job = job // e.g. a new Name
			continue
		}
		var sched cron.Schedule
		if job.Enabled {
			var err error
			if sched, err = ParseSchedule(job.Spec, job.TZ); err != nil {
				log.Error("not scheduling job", "err", err)
			}
		}
		if old != nil && old.id != 0 {
			s.cron.Remove(old.id)
		}
		e := &entry{key: job.Key, job: job, sched: sched}
		if sched != nil {
			e.id = s.cron.Schedule(sched, s.cronJob(e))
			log.Info("job scheduled", "spec", job.Spec, "tz", job.TZ, "next", sched.Next(time.Now()))
		} else if old != nil && old.id != 0 {
			log.Info("job unscheduled")
		}
		s.jobs[job.Key] = e
	}
	for key, e := range s.jobs {
		if !seen[key] {
			if e.id != 0 {
				s.cron.Remove(e.id)
			}
			delete(s.jobs, key)
			s.log.Info("job removed", "job", key)
		}
	}
}

func sameSchedule(a, b Job) bool {
	return a.Spec == b.Spec && a.TZ == b.TZ && a.Timeout == b.Timeout && a.Enabled == b.Enabled
}

// cronJob is what cron runs for e. SkipIfStillRunning must wrap Recover, not
// the other way round: with Recover outside, a panic skips the release of
// SkipIfStillRunning's token and the job never runs again
// (robfig/cron#366).
func (s *Scheduler) cronJob(e *entry) cron.Job {
	return wrapCronJob(cronLogger{s.log.With("job", e.key)}, cron.FuncJob(func() { s.tick(e) }))
}

func wrapCronJob(log cron.Logger, j cron.Job) cron.Job {
	return cron.NewChain(cron.SkipIfStillRunning(log), cron.Recover(log)).Then(j)
}

// tick runs a scheduled run of e.
func (s *Scheduler) tick(e *entry) {
	now := time.Now()
	if !s.current(e) {
		return
	}
	r, err := s.begin(nil, e.key, e)
	if err != nil {
		log := s.log.With("job", e.key)
		switch {
		case errors.Is(err, ErrLeaseHeld):
			log.Info("skipped tick: job is running in another scheduler")
		case errors.Is(err, ErrAlreadyRunning):
			log.Info("skipped tick: job is still running")
		case errors.Is(err, ErrStopped), errors.Is(err, errSuperseded):
			log.Debug("skipped tick", "reason", err)
		default:
			log.Error("skipped tick", "err", err)
		}
		return
	}
	var guardUntil time.Time
	if g := guardFor(e.sched, now, s.tickGuard); g > 0 {
		guardUntil = now.Add(g)
	}
	s.execute(r, guardUntil)
}

// current re-reads the jobs before a tick of e runs and reports whether e
// is still the job's entry: in another process sharing the database the
// job may have been changed, disabled or deleted since this one loaded it,
// and it must not run here on what it was. When the jobs cannot be read,
// the tick goes ahead on what was loaded before (its run reads the job
// again anyway).
func (s *Scheduler) current(e *entry) bool {
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	if base == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(base, s.leaseCallTimeout())
	defer cancel()
	log := s.log.With("job", e.key)
	if err := s.Reload(ctx); err != nil {
		if errors.Is(err, ErrStopped) || base.Err() != nil {
			log.Debug("skipped tick", "reason", err)
			return false
		}
		log.Warn("re-reading the jobs before a tick", "err", err)
		return true
	}
	s.mu.Lock()
	cur := s.jobs[e.key]
	s.mu.Unlock()
	if cur != e {
		log.Info("skipped tick: the job was changed, disabled or deleted since it was scheduled here")
		return false
	}
	return true
}

// guardFor returns how long after a tick at now the lease is kept: max,
// capped at half the schedule's interval.
func guardFor(sched cron.Schedule, now time.Time, max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	n1 := sched.Next(now)
	if n1.IsZero() {
		return max
	}
	n2 := sched.Next(n1)
	if n2.IsZero() {
		return max
	}
	return min(max, n2.Sub(n1)/2)
}

// RunNow starts a run of job key now, even if the job is disabled, through
// the same path as scheduled runs. It returns once the run has started (ctx
// bounds only the start: the run's context derives from the scheduler's),
// ErrAlreadyRunning when the job is running in this process, or ErrLeaseHeld
// when another scheduler holds its lease.
func (s *Scheduler) RunNow(ctx context.Context, key string) error {
	r, err := s.begin(ctx, key, nil)
	if err != nil {
		return err
	}
	s.log.Info("job triggered", "job", key)
	go func() {
		defer func() {
			if v := recover(); v != nil { // from the Leaser: RunFunc's panics are recovered by call
				s.log.Error("panic in scheduled run", "job", key, "panic", v, "stack", string(debug.Stack()))
			}
		}()
		s.execute(r, time.Time{})
	}()
	return nil
}

// errSuperseded: a tick of an entry that Reload has replaced.
var errSuperseded = errors.New("job was rescheduled")

// run is a run that holds the in-process slot and the lease of its job.
type run struct {
	job  Job
	base context.Context
}

// begin takes job key's in-process slot and its lease. from is the entry of
// a scheduled run (nil for RunNow); ctx nil means the scheduler's context.
func (s *Scheduler) begin(ctx context.Context, key string, from *entry) (*run, error) {
	s.mu.Lock()
	if s.state != stateStarted {
		err := s.stateErrLocked()
		s.mu.Unlock()
		return nil, err
	}
	e, ok := s.jobs[key]
	switch {
	case from != nil && e != from:
		s.mu.Unlock()
		return nil, errSuperseded
	case !ok:
		s.mu.Unlock()
		return nil, fmt.Errorf("job %q: %w", key, ErrUnknownJob)
	case s.running[key]:
		s.mu.Unlock()
		return nil, fmt.Errorf("job %q: %w", key, ErrAlreadyRunning)
	}
	r := &run{job: e.job, base: s.base}
	s.running[key] = true
	s.wg.Add(1)
	s.mu.Unlock()

	held := false
	defer func() {
		if !held { // also when the Leaser panics
			s.finish(key)
		}
	}()
	if ctx == nil {
		ctx = r.base
	}
	ctx, cancel := context.WithTimeout(ctx, s.leaseCallTimeout())
	defer cancel()
	ok, err := s.leaser.Acquire(ctx, key, s.holder, s.ttl)
	if err != nil {
		return nil, fmt.Errorf("job %q: acquiring lease: %w", key, err)
	}
	if !ok {
		return nil, fmt.Errorf("job %q: %w", key, ErrLeaseHeld)
	}
	held = true
	return r, nil
}

func (s *Scheduler) finish(key string) {
	s.mu.Lock()
	delete(s.running, key)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Scheduler) leaseCallTimeout() time.Duration { return max(s.ttl/3, time.Millisecond) }

// execute runs r, which begin returned, renewing its lease meanwhile, and
// then releases the lease, or keeps it until guardUntil.
func (s *Scheduler) execute(r *run, guardUntil time.Time) {
	key := r.job.Key
	log := s.log.With("job", key, "name", r.job.Name)
	defer s.finish(key)
	defer s.release(r, guardUntil, log)

	ctx, cancel := context.WithCancelCause(r.base)
	defer cancel(nil)
	if r.job.Timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeoutCause(ctx, r.job.Timeout,
			fmt.Errorf("%w after %s", ErrTimeout, r.job.Timeout))
		defer cancelTimeout()
	}

	if r.base.Err() != nil { // Stop came while the lease was being acquired
		log.Info("job not started: scheduler stopping")
		return
	}

	stopRenew := make(chan struct{})
	renewed := make(chan struct{})
	go s.renew(r, cancel, stopRenew, renewed, log)

	start := time.Now()
	err := s.call(ctx, r.job)
	close(stopRenew)
	<-renewed

	attrs := []any{"duration", time.Since(start).Round(time.Millisecond)}
	if ctx.Err() != nil {
		attrs = append(attrs, "cause", context.Cause(ctx))
	}
	var perr *PanicError
	switch {
	case errors.As(err, &perr):
		log.Error("job panicked", append(attrs, "panic", perr.Value, "stack", string(perr.Stack))...)
		if s.onPanic != nil {
			s.onPanic(r.job, err)
		}
	case err != nil:
		log.Error("job failed", append(attrs, "err", err)...)
	default:
		log.Info("job finished", attrs...)
	}
}

// call runs the RunFunc, turning a panic into a *PanicError.
func (s *Scheduler) call(ctx context.Context, job Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return s.runFn(ctx, job)
}

// renew renews r's lease every ttl/3 until stop is closed, and cancels the
// run when a renewal fails.
func (s *Scheduler) renew(r *run, cancel context.CancelCauseFunc, stop <-chan struct{}, done chan<- struct{}, log *slog.Logger) {
	defer close(done)
	lost := func(reason any) {
		log.Warn("cancelling job: lease lost", "reason", reason)
		cancel(ErrLeaseLost)
	}
	defer func() {
		if v := recover(); v != nil {
			lost(fmt.Sprintf("panic renewing lease: %v", v))
		}
	}()
	t := time.NewTicker(max(s.ttl/3, time.Millisecond))
	defer t.Stop()
	// Renewals outlive Stop's cancellation: the lease stays held while the
	// job winds down.
	base := context.WithoutCancel(r.base)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancelCall := context.WithTimeout(base, s.leaseCallTimeout())
		ok, err := s.leaser.Renew(ctx, r.job.Key, s.holder, s.ttl)
		cancelCall()
		switch {
		case err != nil:
			lost(err)
			return
		case !ok:
			lost("held by another scheduler or expired")
			return
		}
	}
}

// release gives up r's lease, or keeps it until guardUntil.
func (s *Scheduler) release(r *run, guardUntil time.Time, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.base), releaseTimeout)
	defer cancel()
	if d := time.Until(guardUntil); d > 0 {
		if _, err := s.leaser.Renew(ctx, r.job.Key, s.holder, d); err != nil {
			log.Warn("keeping lease until the end of the tick", "err", err)
		}
		return
	}
	if err := s.leaser.Release(ctx, r.job.Key, s.holder); err != nil {
		log.Warn("releasing lease", "err", err)
	}
}

// Stop stops scheduling, cancels the contexts of running jobs (cause
// ErrStopped) and waits until they have returned and released their leases,
// or until ctx is done. It may be called more than once; later calls wait
// too.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.idle == nil {
		s.idle = make(chan struct{})
		prev := s.state
		s.state = stateStopped
		s.mu.Unlock()
		if prev == stateNew {
			close(s.idle)
		} else {
			cronIdle := s.cron.Stop()
			s.baseCancel(ErrStopped)
			go func() {
				s.wg.Wait()
				<-cronIdle.Done()
				close(s.idle)
			}()
		}
		s.log.Info("scheduler stopping")
	} else {
		s.mu.Unlock()
	}
	select {
	case <-s.idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping scheduler: waiting for running jobs: %w", context.Cause(ctx))
	}
}

// cronLogger logs cron's messages to slog: its routine messages at debug,
// skipped ticks at info, errors (recovered panics) at error.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, keysAndValues ...any) {
	if msg == "skip" { // from SkipIfStillRunning
		c.l.Info("skipped tick: job is still running")
		return
	}
	c.l.Debug("cron: "+msg, keysAndValues...)
}

func (c cronLogger) Error(err error, msg string, keysAndValues ...any) {
	c.l.Error("cron: "+msg, append([]any{"err", err}, keysAndValues...)...)
}
