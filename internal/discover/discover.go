// Package discover wires discovery into a running server: the job lister
// and the database lease for the scheduler, and running a job now under the
// same lease the scheduler uses, so that a job never runs twice at once,
// across processes sharing one database.
package discover

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/lease"
	"github.com/cairn-cmdb/cairn/internal/reporting"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
)

// KeyPrefix starts the scheduler key (and lease name) of a discovery job.
const KeyPrefix = "discovery:"

// JobKey is the scheduler key of job id.
func JobKey(id int) string { return KeyPrefix + strconv.Itoa(id) }

// Leaser is a scheduler.Leaser on the leases table: each operation is one
// conditional statement, atomic on SQLite and PostgreSQL alike.
type Leaser struct {
	Client *ent.Client
	Now    func() time.Time
}

var _ scheduler.Leaser = (*Leaser)(nil)

func (l *Leaser) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// Acquire implements scheduler.Leaser.
func (l *Leaser) Acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("lease %q: ttl must be positive", key)
	}
	now := l.now()
	exp := now.Add(ttl)
	n, err := l.Client.Lease.Update().
		Where(lease.Key(key), lease.Or(lease.Holder(holder), lease.ExpiresAtLT(now))).
		SetHolder(holder).SetExpiresAt(exp).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("taking lease %q: %w", key, err)
	}
	if n == 1 {
		return true, nil
	}
	if err := l.Client.Lease.Create().SetKey(key).SetHolder(holder).SetExpiresAt(exp).SetAcquiredAt(now).
		OnConflictColumns(lease.FieldKey).DoNothing().Exec(ctx); err != nil && !isNoRows(err) {
		return false, fmt.Errorf("creating lease %q: %w", key, err)
	}
	cur, err := l.Client.Lease.Query().Where(lease.Key(key)).Only(ctx)
	if err != nil {
		return false, fmt.Errorf("reading lease %q: %w", key, err)
	}
	// PostgreSQL keeps microseconds: compare the holder, not the expiry.
	return cur.Holder == holder, nil
}

func isNoRows(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no rows in result set")
}

// Renew implements scheduler.Leaser.
func (l *Leaser) Renew(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	now := l.now()
	n, err := l.Client.Lease.Update().
		Where(lease.Key(key), lease.Holder(holder), lease.ExpiresAtGTE(now)).
		SetExpiresAt(now.Add(ttl)).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("renewing lease %q: %w", key, err)
	}
	return n == 1, nil
}

// Release implements scheduler.Leaser.
func (l *Leaser) Release(ctx context.Context, key, holder string) error {
	if _, err := l.Client.Lease.Delete().Where(lease.Key(key), lease.Holder(holder)).Exec(ctx); err != nil {
		return fmt.Errorf("releasing lease %q: %w", key, err)
	}
	return nil
}

// Lister lists discovery jobs for the scheduler.
type Lister struct{ Client *ent.Client }

// Jobs implements scheduler.Lister: every job with a schedule.
func (l Lister) Jobs(ctx context.Context) ([]scheduler.Job, error) {
	jobs, err := l.Client.DiscoveryJob.Query().Where(discoveryjob.ScheduleNEQ("")).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing discovery jobs: %w", err)
	}
	out := make([]scheduler.Job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, scheduler.Job{
			Key: JobKey(j.ID), Name: j.Name, Spec: j.Schedule, TZ: j.TimeZone,
			Timeout: time.Duration(j.TimeoutSeconds) * time.Second, Enabled: j.Enabled,
		})
	}
	return out, nil
}

// Service runs discovery jobs (and report schedules, when Reports is set)
// on schedule and on demand, on one scheduler.
type Service struct {
	Runner    *runner.Runner
	Reports   *reporting.Runner
	Scheduler *scheduler.Scheduler
	Leaser    scheduler.Leaser
	Logger    *slog.Logger
	holder    string
}

// lister lists discovery jobs and report schedules.
type lister struct{ s *Service }

func (l lister) Jobs(ctx context.Context) ([]scheduler.Job, error) {
	jobs, err := Lister{Client: l.s.Runner.Client}.Jobs(ctx)
	if err != nil || l.s.Reports == nil {
		return jobs, err
	}
	reports, err := reporting.Lister{Client: l.s.Runner.Client}.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	return append(jobs, reports...), nil
}

// New returns a service whose scheduler runs jobs through rn (and report
// schedules through reports, when not nil) and keeps them apart with the
// database lease.
func New(rn *runner.Runner, logger *slog.Logger, reports ...*reporting.Runner) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{Runner: rn, Leaser: &Leaser{Client: rn.Client}, Logger: logger}
	if len(reports) > 0 {
		s.Reports = reports[0]
	}
	s.Scheduler = scheduler.New(scheduler.Options{
		Lister: lister{s},
		Run:    s.scheduled,
		Leaser: s.Leaser,
		Logger: logger.With("component", "scheduler"),
	})
	s.holder = s.Scheduler.Holder()
	if rn.Holder == "" {
		rn.Holder = s.holder
	}
	return s
}

func (s *Service) scheduled(ctx context.Context, job scheduler.Job) error {
	if strings.HasPrefix(job.Key, reporting.KeyPrefix) && s.Reports != nil {
		return s.Reports.RunKey(ctx, job.Key)
	}
	id, err := strconv.Atoi(strings.TrimPrefix(job.Key, KeyPrefix))
	if err != nil {
		return fmt.Errorf("bad job key %q", job.Key)
	}
	res, err := s.Runner.RunJob(ctx, id, false, "schedule")
	if err != nil {
		return err
	}
	if res.Run.Error != nil {
		return fmt.Errorf("run %d %s: %s", res.Run.ID, res.Run.Status, *res.Run.Error)
	}
	return nil
}

// withLease runs fn holding the scheduler lease key under a holder of its
// own, so that neither the scheduler (here or in another process) nor
// another request runs the same job at the same time. ttl bounds how long a
// crashed process keeps the lease.
func (s *Service) withLease(ctx context.Context, key string, ttl time.Duration, fn func() error) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	holder := s.holder + ":run:" + hex.EncodeToString(b)
	ok, err := s.Leaser.Acquire(ctx, key, holder, ttl)
	if err != nil {
		return err
	}
	if !ok {
		return scheduler.ErrLeaseHeld
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.Leaser.Release(rctx, key, holder); err != nil {
			s.Logger.Warn("releasing lease", "key", key, "err", err)
		}
	}()
	return fn()
}

// RunJob runs job id now under its lease. A dry run takes the lease too:
// it reads the same state.
func (s *Service) RunJob(ctx context.Context, id int, dryRun bool) (*runner.Result, error) {
	job, err := s.Runner.Client.DiscoveryJob.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("loading discovery job %d: %w", id, err)
	}
	// Held for the run's longest possible life, so a crash frees it soon.
	ttl := time.Duration(job.TimeoutSeconds)*time.Second + time.Minute
	var res *runner.Result
	err = s.withLease(ctx, JobKey(id), ttl, func() (err error) {
		res, err = s.Runner.RunJob(ctx, id, dryRun, "manual")
		return err
	})
	return res, err
}

// RunReport runs report schedule id now under its lease.
func (s *Service) RunReport(ctx context.Context, id int) (*ent.ReportRun, error) {
	if s.Reports == nil {
		return nil, errors.New("reports are not configured")
	}
	var run *ent.ReportRun
	err := s.withLease(ctx, reporting.Key(id), 31*time.Minute, func() (err error) {
		run, err = s.Reports.Run(ctx, id, "manual")
		return err
	})
	return run, err
}

// JobsChanged reloads the scheduler after a job changed.
func (s *Service) JobsChanged(ctx context.Context) {
	if err := s.Scheduler.Reload(ctx); err != nil && !errors.Is(err, scheduler.ErrNotStarted) && !errors.Is(err, scheduler.ErrStopped) {
		s.Logger.Warn("reloading discovery schedules", "err", err)
	}
}
