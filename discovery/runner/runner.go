// Package runner executes discovery: it builds a job's source, runs it under
// the job's timeout, and reconciles what it saw in one transaction together
// with the run row. A run that fails, times out or is cancelled changes
// nothing but its own run row; a dry run writes nothing at all.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/driftignorerule"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// DefaultMaxMissingPercent is the missing guard of one-off runs (jobs carry
// their own, reconcile.Options.MaxMissingPercent): a complete run that would
// mark more than half the CIs in scope missing is held as partial.
const DefaultMaxMissingPercent = 50

// Runner runs discovery against one database.
type Runner struct {
	Client   *ent.Client
	Registry *discovery.Registry
	// Secrets opens job credentials; nil when no job has any.
	Secrets *secret.Box
	// Dialect of Client: dialect.SQLite or dialect.Postgres.
	Dialect string
	Logger  *slog.Logger
	// Holder names this process in run rows.
	Holder string
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Spec describes one run.
type Spec struct {
	// Job is the job to run; nil for a one-off run from SourceKind/Config.
	Job        *ent.DiscoveryJob
	SourceKind string
	Config     []byte
	// Mode, CreateUnregistered and NetworkScope (the network domain of the
	// private addresses observed; "" global) apply to one-off runs (jobs
	// carry their own).
	Mode               reconcile.Mode
	CreateUnregistered bool
	NetworkScope       string
	DryRun             bool
	Trigger            string
	// Observations, when not nil, are what an agent pushed: the job's
	// source is not run, and the run marks nothing missing (an agent speaks
	// only for itself).
	Observations []discovery.Observation
	// Warnings go with Observations: what the agent's message held that
	// the mapping could not use, written to the run's log like a source's.
	Warnings []string
}

// Result is a finished run: the run row (not stored for a dry run, ID 0)
// and what reconciliation did.
type Result struct {
	Run     *ent.DiscoveryRun
	Outcome *reconcile.Outcome
	// Warnings are the source's (discovery.Result.Warnings): what it read
	// but could not use. They are also the first lines of Run.Log.
	Warnings []string
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// RunJob runs the job with id.
func (r *Runner) RunJob(ctx context.Context, id int, dryRun bool, trigger string) (*Result, error) {
	job, err := r.Client.DiscoveryJob.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("loading discovery job %d: %w", id, err)
	}
	return r.Run(ctx, Spec{Job: job, DryRun: dryRun, Trigger: trigger})
}

// Run executes spec. The returned error is about the database only; a
// source or reconciliation failure is a run with status FAILED and its
// error, returned with a nil error.
func (r *Runner) Run(ctx context.Context, spec Spec) (*Result, error) {
	run := &ent.DiscoveryRun{
		Status:    discoveryrun.StatusRunning,
		Trigger:   orDefault(spec.Trigger, "manual"),
		DryRun:    spec.DryRun,
		StartedAt: r.now(), Holder: r.Holder,
	}
	opts := reconcile.Options{
		Mode: spec.Mode, CreateUnregistered: spec.CreateUnregistered, NetworkScope: spec.NetworkScope,
		MissingGrace: 1, Priority: 50, Dialect: r.Dialect, MaxMissingPercent: DefaultMaxMissingPercent,
	}
	kind, raw := spec.SourceKind, spec.Config
	var creds map[string]string
	timeout := time.Duration(0)
	actor := "discovery:" + spec.SourceKind
	if j := spec.Job; j != nil {
		kind = j.SourceKind
		actor = "discovery:" + j.Name
		run.DiscoveryJobID = &j.ID
		if len(j.Config) > 0 {
			b, err := json.Marshal(j.Config)
			if err != nil {
				return nil, fmt.Errorf("encoding config of job %q: %w", j.Name, err)
			}
			raw = b
		}
		timeout = time.Duration(j.TimeoutSeconds) * time.Second
		opts.JobID = j.ID
		opts.Mode = reconcile.Mode(j.Mode)
		opts.CreateUnregistered = j.CreateUnregistered
		opts.MissingGrace = j.MissingGrace
		opts.RetireAfter = j.RetireAfter
		opts.MaxMissingPercent = j.MaxMissingPercent
		opts.Priority = j.Priority
		opts.FieldPriorities = j.FieldPriorities
		opts.Scope = j.Scope
		if j.NetworkScope != nil {
			opts.NetworkScope = *j.NetworkScope
		}
		if j.CredentialsSealed != nil && len(*j.CredentialsSealed) > 0 {
			if r.Secrets == nil {
				return r.fail(ctx, run, kind, errors.New("job has credentials but the server has no secret key"))
			}
			m, err := r.Secrets.OpenMap(*j.CredentialsSealed)
			if err != nil {
				return r.fail(ctx, run, kind, fmt.Errorf("opening credentials: %w", err))
			}
			creds = m
		}
	}
	run.SourceKind = kind
	opts.Actor = actor
	runCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	log := r.logger().With("source", kind, "actor", actor)
	var res *discovery.Result
	var err error
	if spec.Observations != nil {
		res = &discovery.Result{Observations: spec.Observations, Warnings: spec.Warnings}
		opts.NoMissing = true
	} else {
		src, berr := r.Registry.Build(kind, raw)
		if berr != nil {
			return r.fail(ctx, run, kind, berr)
		}
		res, err = discover(runCtx, src, discovery.Env{
			Targets: scopeTargets(spec.Job), Credentials: creds, Now: run.StartedAt, Logger: log,
		})
	}
	if err != nil {
		return r.fail(ctx, run, kind, contextErr(runCtx, err))
	}
	if err := runCtx.Err(); err != nil {
		return r.fail(ctx, run, kind, contextErr(runCtx, err))
	}
	if res == nil {
		// Not an empty result: concluding from it that everything is
		// missing would be wrong.
		return r.fail(ctx, run, kind, errors.New("the source returned no result"))
	}
	run.Status = discoveryrun.StatusSucceeded
	if res.Partial || len(res.HostErrors) > 0 {
		run.Status = discoveryrun.StatusPartial
		run.HostErrors = res.HostErrors
	}
	opts.Complete = run.Status == discoveryrun.StatusSucceeded
	if opts.Complete {
		// Nothing is concluded from a partial run: neither what its
		// coverage would miss nor what other jobs should record.
		opts.Coverage = res.Coverage
		opts.ExpectedIn = res.ExpectedIn
	}
	opts.Now = run.StartedAt
	if err := r.loadContext(ctx, &opts); err != nil {
		return nil, err
	}
	var out *reconcile.Outcome
	errDry := errors.New("dry run")
	txErr := r.inTx(audit.WithActor(runCtx, actor), func(ctx context.Context, tx *ent.Client) error {
		if !spec.DryRun {
			row, err := createRun(ctx, tx, run)
			if err != nil {
				return err
			}
			opts.RunID = row.ID
			run.ID = row.ID
		}
		o, err := reconcile.Reconcile(ctx, tx, res.Observations, opts)
		if err != nil {
			return err
		}
		out = o
		fin := r.now()
		run.FinishedAt = &fin
		run.Counts = o.Counts
		run.Changes = o.Changes
		run.Log = excerpt(append(append([]string(nil), res.Warnings...), o.Log...))
		if o.Held != "" {
			// The missing guard held a complete run: it is partial, and
			// says why.
			run.Status = discoveryrun.StatusPartial
			held := o.Held
			run.Error = &held
		}
		if spec.DryRun {
			return errDry
		}
		return tx.DiscoveryRun.UpdateOneID(run.ID).SetStatus(run.Status).SetFinishedAt(fin).
			SetCounts(o.Counts).SetChanges(o.Changes).SetLog(run.Log).SetNillableError(run.Error).Exec(ctx)
	})
	if txErr != nil && !errors.Is(txErr, errDry) {
		// Rolled back: the run did none of what it had counted.
		run.ID = 0
		run.Counts, run.Changes, run.Log, run.Error = schematype.RunCounts{}, nil, "", nil
		return r.fail(ctx, run, kind, contextErr(runCtx, txErr))
	}
	if spec.Job != nil && !spec.DryRun {
		// The run has committed: stamp the job even if ctx ends now.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := r.inTx(wctx, func(ctx context.Context, tx *ent.Client) error {
			return tx.DiscoveryJob.UpdateOneID(spec.Job.ID).SetLastRunAt(run.StartedAt).Exec(ctx)
		}); err != nil {
			return nil, fmt.Errorf("stamping job's last run: %w", err)
		}
	}
	log.Info("discovery run finished", "status", run.Status, "observed", out.Counts.Observed,
		"matched", out.Counts.Matched, "drifts_opened", out.Counts.DriftsOpened, "dry_run", spec.DryRun)
	if out.Held != "" {
		log.Warn("discovery run held as partial", "reason", out.Held)
	}
	return &Result{Run: run, Outcome: out, Warnings: res.Warnings}, nil
}

// discover runs the source; a source that panics fails its run rather than
// the process running it (the scheduler, the server).
func discover(ctx context.Context, src discovery.Source, env discovery.Env) (res *discovery.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("the source panicked: %v", p)
		}
	}()
	return src.Discover(ctx, env)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func scopeTargets(j *ent.DiscoveryJob) []string {
	if j == nil {
		return nil
	}
	return j.Scope.Targets
}

func excerpt(lines []string) string {
	return textclip.Bytes(strings.Join(lines, "\n"), 16000)
}

// contextErr says "timed out" or "cancelled" when the run's context ended.
func contextErr(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%w: %v", context.Canceled, err)
	}
	return err
}

func createRun(ctx context.Context, c *ent.Client, run *ent.DiscoveryRun) (*ent.DiscoveryRun, error) {
	cr := c.DiscoveryRun.Create().
		SetStatus(run.Status).SetSourceKind(run.SourceKind).SetTrigger(run.Trigger).
		SetDryRun(run.DryRun).SetStartedAt(run.StartedAt).SetCounts(run.Counts).
		SetHolder(run.Holder).SetNillableDiscoveryJobID(run.DiscoveryJobID).
		SetNillableFinishedAt(run.FinishedAt).SetNillableError(run.Error)
	if len(run.HostErrors) > 0 {
		cr.SetHostErrors(run.HostErrors)
	}
	row, err := cr.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("recording the run: %w", err)
	}
	return row, nil
}

// fail records a failed run: its row is the only write.
func (r *Runner) fail(ctx context.Context, run *ent.DiscoveryRun, kind string, cause error) (*Result, error) {
	run.SourceKind = kind
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		run.Status = discoveryrun.StatusTimedOut
	case errors.Is(cause, context.Canceled):
		run.Status = discoveryrun.StatusCancelled
	default:
		run.Status = discoveryrun.StatusFailed
	}
	msg := textclip.Bytes(cause.Error(), 4000)
	run.Error = &msg
	var hf *discovery.HostsFailedError
	if errors.As(cause, &hf) && len(run.HostErrors) == 0 {
		// Every host failed: the run failed, and says how each did.
		run.HostErrors = hf.HostErrors
	}
	fin := r.now()
	run.FinishedAt = &fin
	r.logger().Warn("discovery run failed", "source", kind, "status", run.Status, "err", cause)
	if run.DryRun {
		return &Result{Run: run, Outcome: &reconcile.Outcome{}}, nil
	}
	// The run's own context may be dead: record the failure regardless.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := r.inTx(wctx, func(ctx context.Context, tx *ent.Client) error {
		row, err := createRun(ctx, tx, run)
		if err != nil {
			return err
		}
		run.ID = row.ID
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recording failed run: %w (run failed with: %v)", err, cause)
	}
	return &Result{Run: run, Outcome: &reconcile.Outcome{}}, nil
}

func (r *Runner) inTx(ctx context.Context, fn func(context.Context, *ent.Client) error) error {
	tx, err := r.Client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	defer func() {
		// A panic must not leave the transaction (and SQLite's writer) open.
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rolling back: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// loadContext loads what reconciliation needs beyond the job: ignore
// rules, and other jobs' actors, IDs and staleness.
func (r *Runner) loadContext(ctx context.Context, o *reconcile.Options) error {
	rules, err := r.Client.DriftIgnoreRule.Query().Where(driftignorerule.Enabled(true)).
		Order(ent.Asc(driftignorerule.FieldName)).All(ctx)
	if err != nil {
		return fmt.Errorf("loading drift ignore rules: %w", err)
	}
	o.IgnoreRules = rules
	jobs, err := r.Client.DiscoveryJob.Query().
		Select(discoveryjob.FieldID, discoveryjob.FieldName, discoveryjob.FieldStaleAfterHours).All(ctx)
	if err != nil {
		return fmt.Errorf("loading discovery jobs: %w", err)
	}
	o.JobIDs = map[string]int{}
	o.StaleAfter = map[string]time.Duration{}
	for _, j := range jobs {
		a := "discovery:" + j.Name
		o.JobIDs[a] = j.ID
		if j.StaleAfterHours > 0 {
			o.StaleAfter[a] = time.Duration(j.StaleAfterHours) * time.Hour
		}
	}
	return nil
}

// SortedHostErrors returns host errors ordered by host.
func SortedHostErrors(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for h, e := range m {
		out = append(out, [2]string{h, e})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Counts is a convenience for callers that print a run.
func Counts(run *ent.DiscoveryRun) schematype.RunCounts { return run.Counts }
