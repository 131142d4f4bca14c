package discoveryjobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/agent"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// AgentTrigger is the trigger of the runs of agent jobs: an inventory a
// FusionInventory or OCS Inventory agent posted.
const AgentTrigger = "agent"

// DefaultPrologFreqHours is the PROLOG_FREQ answered for an agent job
// without a schedule: agents then send an inventory once a day.
const DefaultPrologFreqHours = 24

// AgentJob loads the agent job named name and its decoded config. The
// errors are NOT_FOUND (no such job), BAD_USER_INPUT on "job" (a job of
// another source kind, or a config that no longer decodes) and CONFLICT (the
// job is disabled). ctx should carry no reader principal: job rows are for
// admins, and the agent route checks its token itself.
func (s *Service) AgentJob(ctx context.Context, name string) (*ent.DiscoveryJob, *agent.Config, error) {
	reg, err := s.registry()
	if err != nil {
		return nil, nil, err
	}
	job, err := s.Runner.Client.DiscoveryJob.Query().Where(discoveryjob.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, apperr.New(apperr.NotFound, "no discovery job named %q", name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("loading discovery job %q: %w", name, err)
	}
	if job.SourceKind != agent.Name {
		return job, nil, apperr.Invalid("job", "job %q has source kind %q; agents can report only to %q jobs", name, job.SourceKind, agent.Name)
	}
	var raw []byte
	if len(job.Config) > 0 {
		if raw, err = json.Marshal(job.Config); err != nil {
			return job, nil, fmt.Errorf("encoding config of job %q: %w", name, err)
		}
	}
	dec, err := reg.Decode(agent.Name, raw)
	if err != nil {
		return job, nil, apperr.Invalid("job", "job %q: config: %v", name, err)
	}
	cfg, ok := dec.(*agent.Config)
	if !ok {
		return job, nil, apperr.New(apperr.Internal, "job %q: the %q source decoded a %T config", name, agent.Name, dec)
	}
	if !job.Enabled {
		return job, cfg, apperr.New(apperr.Conflict, "job %q is disabled", name)
	}
	return job, cfg, nil
}

// PrologFreqHours is the PROLOG_FREQ an agent of job is told: the hours
// between the next two runs of the job's schedule after now, rounded up, at
// least 1; DefaultPrologFreqHours when the job has no schedule (or one that
// no longer parses or fires).
func PrologFreqHours(job *ent.DiscoveryJob, now time.Time) int {
	if job == nil || strings.TrimSpace(job.Schedule) == "" {
		return DefaultPrologFreqHours
	}
	next, err := scheduler.Next(job.Schedule, job.TimeZone, now, 2)
	if err != nil || len(next) < 2 {
		return DefaultPrologFreqHours
	}
	h := int(math.Ceil(next[1].Sub(next[0]).Hours()))
	return max(1, h)
}

// SubmitAgent reconciles what one agent inventory said (obs, from
// agent.Request.Observations; warnings are what the mapping could not use)
// on the agent job named jobName, through the runner like a push job's
// observations: the job's mode, dry run, drift and run history, in one
// transaction, trigger AgentTrigger, nothing marked missing. The job must
// exist, have the agent source kind and be enabled (AgentJob's errors). An
// observation that does not check is BAD_USER_INPUT, and the job records a
// failed run saying why.
func (s *Service) SubmitAgent(ctx context.Context, jobName string, obs []discovery.Observation, warnings []string, dryRun bool) (*ent.DiscoveryRun, error) {
	job, _, err := s.AgentJob(ctx, jobName)
	if err != nil {
		return nil, err
	}
	if len(obs) == 0 {
		err := errors.New("the inventory holds nothing to record")
		if _, ferr := s.FailAgentRun(ctx, job, dryRun, err); ferr != nil {
			return nil, ferr
		}
		return nil, apperr.InvalidErr("inventory", err)
	}
	for i := range obs {
		if err := obs[i].Check(); err != nil {
			err = fmt.Errorf("observation %d (%s): %w", i, obs[i].Key, err)
			if _, ferr := s.FailAgentRun(ctx, job, dryRun, err); ferr != nil {
				return nil, ferr
			}
			return nil, apperr.InvalidErr("inventory", err)
		}
	}
	res, err := s.Runner.Run(ctx, runner.Spec{Job: job, Observations: obs, Warnings: warnings, DryRun: dryRun, Trigger: AgentTrigger})
	if err != nil {
		return nil, err
	}
	return res.Run, nil
}

// FailAgentRun records a failed run of agent job job (trigger
// AgentTrigger) whose error is cause: what an agent sent could not be read
// (malformed XML, a body past the limit, an unknown query). The run row is
// the only write; a dry run writes nothing and returns the unsaved row.
// Runner records its own failures (a source that failed) in Run; this is
// the same row for a failure found before there is anything to run.
func (s *Service) FailAgentRun(ctx context.Context, job *ent.DiscoveryJob, dryRun bool, cause error) (*ent.DiscoveryRun, error) {
	now := time.Now().UTC()
	if s.Runner.Now != nil {
		now = s.Runner.Now().UTC()
	}
	msg := textclip.Bytes(cause.Error(), 4000)
	run := &ent.DiscoveryRun{
		Status: discoveryrun.StatusFailed, SourceKind: agent.Name, Trigger: AgentTrigger, DryRun: dryRun,
		StartedAt: now, FinishedAt: &now, Error: &msg, Holder: s.holder(), DiscoveryJobID: &job.ID,
	}
	s.agentLogger().WarnContext(ctx, "agent run failed", "job", job.Name, "err", cause, "dry_run", dryRun)
	if dryRun {
		return run, nil
	}
	// The request's context may be ending: record the failure regardless.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	row, err := s.Runner.Client.DiscoveryRun.Create().
		SetStatus(run.Status).SetSourceKind(run.SourceKind).SetTrigger(run.Trigger).SetDryRun(false).
		SetStartedAt(now).SetFinishedAt(now).SetCounts(schematype.RunCounts{}).SetError(msg).
		SetHolder(run.Holder).SetDiscoveryJobID(job.ID).
		Save(audit.WithActor(wctx, "discovery:"+job.Name))
	if err != nil {
		return nil, fmt.Errorf("recording failed run of job %q: %w (run failed with: %v)", job.Name, err, cause)
	}
	return row, nil
}

func (s *Service) agentLogger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
