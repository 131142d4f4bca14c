package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Source is one family of jobs on a shared scheduler (discovery jobs,
// report schedules): Lister lists jobs whose keys start with Prefix, and
// Run runs them.
type Source struct {
	Prefix string
	Lister Lister
	Run    RunFunc
}

// Combine returns the Lister and RunFunc of one scheduler over sources: the
// jobs of every source, and each run dispatched by its key's prefix.
func Combine(sources ...Source) (Lister, RunFunc) {
	l := combined(sources)
	return l, l.run
}

type combined []Source

func (c combined) Jobs(ctx context.Context) ([]Job, error) {
	var out []Job
	for _, s := range c {
		jobs, err := s.Lister.Jobs(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, jobs...)
	}
	return out, nil
}

func (c combined) run(ctx context.Context, job Job) error {
	for _, s := range c {
		if strings.HasPrefix(job.Key, s.Prefix) {
			return s.Run(ctx, job)
		}
	}
	return fmt.Errorf("job %q: %w", job.Key, ErrUnknownJob)
}

// ReloadFunc returns a function that reloads s after its jobs changed,
// for the services that change them; a scheduler not (or no longer)
// running has nothing to reload, and other failures are logged.
func (s *Scheduler) ReloadFunc(log *slog.Logger) func(context.Context) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context) {
		if err := s.Reload(ctx); err != nil && !errors.Is(err, ErrNotStarted) && !errors.Is(err, ErrStopped) {
			log.Warn("reloading schedules", "err", err)
		}
	}
}

// Exclusive runs fn holding lease key under a holder of its own (holder
// plus a random suffix), so that neither a scheduler, here or in another
// process sharing l, nor another caller runs the same job at the same time.
// It returns ErrLeaseHeld when someone else holds the lease. ttl bounds how
// long a crashed process keeps the lease; it is not renewed, so make it
// exceed the run's longest life.
func Exclusive(ctx context.Context, l Leaser, key, holder string, ttl time.Duration, log *slog.Logger, fn func() error) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	holder += ":run:" + hex.EncodeToString(b)
	ok, err := l.Acquire(ctx, key, holder, ttl)
	if err != nil {
		return err
	}
	if !ok {
		return ErrLeaseHeld
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := l.Release(rctx, key, holder); err != nil && log != nil {
			log.Warn("releasing lease", "key", key, "err", err)
		}
	}()
	return fn()
}

// Participant is a service whose jobs run on a shared scheduler: it gives
// its Source and, once the scheduler exists, learns the scheduler's holder
// name (for its own leases) and how to reload it after its jobs changed.
type Participant interface {
	Source() Source
	Attach(holder string, reload func(context.Context))
}

// NewShared returns one scheduler over the jobs of every participant
// (opts.Lister and opts.Run are replaced) and attaches each to it.
func NewShared(opts Options, participants ...Participant) *Scheduler {
	sources := make([]Source, len(participants))
	for i, p := range participants {
		sources[i] = p.Source()
	}
	opts.Lister, opts.Run = Combine(sources...)
	s := New(opts)
	reload := s.ReloadFunc(opts.Logger)
	for _, p := range participants {
		p.Attach(s.Holder(), reload)
	}
	return s
}
