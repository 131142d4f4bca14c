// Package discoveryjobs is the discovery job service that the GraphQL API,
// the CLI and the scheduler all call: it validates a job against the
// discovery registry (source kind, config), seals its credentials, saves it
// in one transaction, runs it now under the same database lease the
// scheduler takes, takes pushed observations for push jobs, and lists jobs
// for the shared scheduler.
//
// The rules that need only the row (schedule and time zone, field
// priorities) are ent hooks in internal/hooks, so they hold on every write
// path; this package checks what needs the registry or the secret key.
package discoveryjobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/agent"
	"github.com/cairn-cmdb/cairn/discovery/push"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/scheduler/dblease"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// KeyPrefix starts the scheduler key (and lease name) of a discovery job.
const KeyPrefix = "discovery:"

// JobKey is the scheduler key of job id.
func JobKey(id int) string { return KeyPrefix + strconv.Itoa(id) }

// Service manages and runs discovery jobs.
type Service struct {
	// Runner runs jobs; its Client, Registry and Secrets are the service's.
	Runner *runner.Runner
	// Leaser keeps runs apart, here and in other processes
	// [a dblease.Leaser on the runner's database].
	Leaser scheduler.Leaser
	// Holder names this process in leases [the runner's Holder, or "cairn"].
	Holder string
	// Changed is called once a change to the jobs has committed (the
	// scheduler reloads); may be nil.
	Changed func(context.Context)
	// Logger [discard].
	Logger *slog.Logger
}

// New returns the service over rn, with the database lease.
func New(rn *runner.Runner, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Runner: rn, Leaser: &dblease.Leaser{Client: rn.Client}, Logger: logger}
}

func (s *Service) registry() (*discovery.Registry, error) {
	if s == nil || s.Runner == nil || s.Runner.Registry == nil {
		return nil, apperr.New(apperr.Internal, "discovery is not configured on this server")
	}
	return s.Runner.Registry, nil
}

func (s *Service) holder() string {
	switch {
	case s.Holder != "":
		return s.Holder
	case s.Runner.Holder != "":
		return s.Runner.Holder
	}
	return "cairn"
}

// client is the caller's transaction (a GraphQL mutation's) or the
// service's database.
func (s *Service) client(ctx context.Context) *ent.Client {
	if s == nil || s.Runner == nil {
		return ent.FromContext(ctx)
	}
	return txn.Client(ctx, s.Runner.Client)
}

func (s *Service) changed(ctx context.Context) {
	if s != nil {
		txn.AfterCommit(ctx, s.Changed)
	}
}

// SourceKinds lists the source kinds this binary carries.
func (s *Service) SourceKinds() ([]string, error) {
	reg, err := s.registry()
	if err != nil {
		return nil, err
	}
	return reg.Names(), nil
}

// Input is a job to create or the changes to one: nil fields are left as
// they are (or take their defaults on create).
type Input struct {
	Name       *string
	SourceKind *string
	// Config replaces the source's settings when not nil.
	Config map[string]any
	// Credentials are sealed with the secret key; values must be strings.
	Credentials      map[string]any
	ClearCredentials bool
	Schedule         *string
	// TimeZone "" means UTC.
	TimeZone           *string
	Scope              *schematype.DiscoveryScope
	Mode               *discoveryjob.Mode
	TimeoutSeconds     *int
	Enabled            *bool
	CreateUnregistered *bool
	MissingGrace       *int
	RetireAfter        *int
	// MaxMissingPercent is the missing guard: a complete run that would
	// mark more than this share (0..100) of the job's CIs missing is held
	// as partial; 0 turns the guard off. Default 50.
	MaxMissingPercent *int
	Priority          *int
	// FieldPriorities maps field patterns to whole numbers (JSON numbers
	// arrive as float64 or json.Number).
	FieldPriorities map[string]any
	StaleAfterHours *int
	// NetworkScope is the network domain (site, VRF, VPC, datacenter) of
	// the private addresses the job observes, normalised with
	// identity.NormalizeScope; "" clears it (global).
	NetworkScope *string
}

// CheckConfig checks that kind is a source kind of reg, that config decodes,
// validates and builds for it (with a confined registry, its files and
// programs within what the operator allows: discovery.Confinement), and
// that the source can take the scope targets. The error is BAD_USER_INPUT
// on sourceKind, config or scope.
func CheckConfig(reg *discovery.Registry, kind string, config map[string]any, targets []string) error {
	var raw []byte
	if len(config) > 0 {
		b, err := json.Marshal(config)
		if err != nil {
			return apperr.Invalid("config", "not encodable: %v", err)
		}
		raw = b
	}
	if _, ok := reg.Lookup(kind); !ok {
		return apperr.Invalid("sourceKind", "unknown source kind %q (known: %s)", kind, strings.Join(reg.Names(), ", "))
	}
	if err := reg.Check(kind, raw, targets); err != nil {
		var ce *discovery.ConfigError
		if errors.As(err, &ce) && ce.Field == "scope.targets" {
			return apperr.Invalid("scope", "targets: %v", ce.Err)
		}
		if errors.As(err, &ce) {
			if ce.Field != "" {
				return apperr.Invalid("config", "%s: %v", ce.Field, ce.Err)
			}
			return apperr.Invalid("config", "%v", ce.Err)
		}
		return apperr.InvalidErr("config", err)
	}
	return nil
}

// priorities converts field priorities to whole numbers; their range is
// checked by the hook.
func priorities(m map[string]any) (map[string]int, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		var n int
		switch t := v.(type) {
		case int:
			n = t
		case int64:
			n = int(t)
		case float64:
			n = int(t)
			if float64(n) != t {
				return nil, apperr.Invalid("fieldPriorities", "%q: priority must be a whole number", k)
			}
		case json.Number:
			i, err := t.Int64()
			if err != nil {
				return nil, apperr.Invalid("fieldPriorities", "%q: priority must be a whole number", k)
			}
			n = int(i)
		default:
			return nil, apperr.Invalid("fieldPriorities", "%q: priority must be a number", k)
		}
		out[k] = n
	}
	return out, nil
}

func (s *Service) seal(creds map[string]any) ([]byte, error) {
	box := s.Runner.Secrets
	if box == nil {
		return nil, apperr.New(apperr.Internal, "the server has no secret key to seal credentials with")
	}
	m := make(map[string]string, len(creds))
	for k, v := range creds {
		str, ok := v.(string)
		if !ok {
			return nil, apperr.Invalid("credentials", "%q must be a string", k)
		}
		m[k] = str
	}
	sealed, err := box.SealMap(m)
	if err != nil {
		return nil, fmt.Errorf("sealing credentials: %w", err)
	}
	return sealed, nil
}

// Save creates (id 0) or updates job id in one transaction (the caller's,
// when ctx carries one) and tells Changed once it has committed.
func (s *Service) Save(ctx context.Context, id int, in Input) (*ent.DiscoveryJob, error) {
	reg, err := s.registry()
	if err != nil {
		return nil, err
	}
	var job *ent.DiscoveryJob
	err = txn.Do(ctx, s.client(ctx), func(c *ent.Client) error {
		kind, tz, sched, config, targets, err := in.effective(ctx, c, id)
		if err != nil {
			return err
		}
		if err := CheckConfig(reg, kind, config, targets); err != nil {
			return err
		}
		prios, err := priorities(in.FieldPriorities)
		if err != nil {
			return err
		}
		if v := in.MaxMissingPercent; v != nil && (*v < 0 || *v > 100) {
			return apperr.Invalid("maxMissingPercent", "must be a percentage from 0 (no guard) to 100, got %d", *v)
		}
		netScope, err := in.networkScope()
		if err != nil {
			return err
		}
		var sealed []byte
		if in.Credentials != nil {
			if sealed, err = s.seal(in.Credentials); err != nil {
				return err
			}
		}
		var m *ent.DiscoveryJobMutation
		var save func() (*ent.DiscoveryJob, error)
		if id == 0 {
			cr := c.DiscoveryJob.Create()
			m, save = cr.Mutation(), func() (*ent.DiscoveryJob, error) { return cr.Save(ctx) }
		} else {
			up := c.DiscoveryJob.UpdateOneID(id)
			m, save = up.Mutation(), func() (*ent.DiscoveryJob, error) { return up.Save(ctx) }
		}
		in.set(m, kind, tz, sched, prios, sealed)
		var before *ent.DiscoveryJob
		if in.NetworkScope != nil {
			if netScope == "" {
				m.ClearNetworkScope()
			} else {
				m.SetNetworkScope(netScope)
			}
			if id != 0 {
				if before, err = c.DiscoveryJob.Get(ctx, id); err != nil {
					return err
				}
			}
		}
		if job, err = save(); err != nil {
			return err
		}
		if before != nil && deref(before.NetworkScope) != netScope {
			return rescope(ctx, c, before.Name, netScope)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx)
	return job, nil
}

// rescope moves the private addresses the job named jobName recorded
// (identifier source "discovery:<job>") into its new network scope scope
// ("" global), one audited update each, in the caller's transaction: the
// job will look for them there, and without the move it would record every
// host it knew only by address again, as new. Public addresses stay global
// (the identifier hook); addresses other sources recorded keep their scope.
func rescope(ctx context.Context, c *ent.Client, jobName, scope string) error {
	rows, err := c.Identifier.Query().
		Where(identifier.Source("discovery:"+jobName), identifier.KindEQ(identifier.KindIP)).
		All(ctx)
	if err != nil {
		return fmt.Errorf("reading the addresses job %q recorded: %w", jobName, err)
	}
	for _, r := range rows {
		if !identity.IsScoped(r.Value) || deref(r.Scope) == scope {
			continue
		}
		u := c.Identifier.UpdateOneID(r.ID)
		if scope == "" {
			u.ClearScope()
		} else {
			u.SetScope(scope)
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("moving %s into network scope %q: %w", r.Value, scope, err)
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// networkScope is the normalised network scope of in; "" is global (and
// when in leaves it unchanged). The error is BAD_USER_INPUT on networkScope.
func (in Input) networkScope() (string, error) {
	if in.NetworkScope == nil {
		return "", nil
	}
	s, err := identity.NormalizeScope(*in.NetworkScope)
	if err != nil {
		return "", apperr.InvalidErr("networkScope", err)
	}
	return s, nil
}

// effective is the source kind, time zone, schedule, config and scope
// targets job id will have once in is saved (id 0: a new job).
func (in Input) effective(ctx context.Context, c *ent.Client, id int) (kind, tz, sched string, config map[string]any, targets []string, err error) {
	tz = "UTC"
	if id != 0 {
		cur, err := c.DiscoveryJob.Get(ctx, id)
		if err != nil {
			return "", "", "", nil, nil, err
		}
		kind, tz, sched, config, targets = cur.SourceKind, cur.TimeZone, cur.Schedule, cur.Config, cur.Scope.Targets
	}
	if in.Scope != nil {
		targets = in.Scope.Targets
	}
	if in.SourceKind != nil {
		kind = *in.SourceKind
	}
	if in.Config != nil {
		config = in.Config
	}
	if in.TimeZone != nil {
		if tz = *in.TimeZone; tz == "" {
			tz = "UTC"
		}
	}
	if in.Schedule != nil {
		sched = strings.TrimSpace(*in.Schedule)
	}
	return kind, tz, sched, config, targets, nil
}

// set writes the given fields of in to m, with the effective kind, time
// zone and schedule, the priorities as whole numbers and the sealed
// credentials (nil: unchanged, or cleared when asked).
func (in Input) set(m *ent.DiscoveryJobMutation, kind, tz, sched string, prios map[string]int, sealed []byte) {
	if in.Name != nil {
		m.SetName(strings.TrimSpace(*in.Name))
	}
	m.SetSourceKind(kind)
	if in.Config != nil {
		m.SetConfig(in.Config)
	}
	if sealed != nil {
		m.SetCredentialsSealed(sealed)
	} else if in.ClearCredentials {
		m.ClearCredentialsSealed()
	}
	if in.Schedule != nil {
		m.SetSchedule(sched)
	}
	m.SetTimeZone(tz)
	if in.Scope != nil {
		m.SetScope(*in.Scope)
	}
	if in.Mode != nil {
		m.SetMode(*in.Mode)
	}
	setInt := func(v *int, set func(int)) {
		if v != nil {
			set(*v)
		}
	}
	setInt(in.TimeoutSeconds, m.SetTimeoutSeconds)
	setInt(in.MissingGrace, m.SetMissingGrace)
	setInt(in.RetireAfter, m.SetRetireAfter)
	setInt(in.MaxMissingPercent, m.SetMaxMissingPercent)
	setInt(in.Priority, m.SetPriority)
	setInt(in.StaleAfterHours, m.SetStaleAfterHours)
	if in.Enabled != nil {
		m.SetEnabled(*in.Enabled)
	}
	if in.CreateUnregistered != nil {
		m.SetCreateUnregistered(*in.CreateUnregistered)
	}
	if prios != nil {
		m.SetFieldPriorities(prios)
	}
}

// Delete deletes job id (its runs stay) and tells Changed once the
// deletion has committed.
func (s *Service) Delete(ctx context.Context, id int) error {
	c := s.client(ctx)
	if c == nil {
		return apperr.New(apperr.Internal, "discovery is not configured on this server")
	}
	if err := txn.Do(ctx, c, func(tx *ent.Client) error { return tx.DiscoveryJob.DeleteOneID(id).Exec(ctx) }); err != nil {
		return err
	}
	s.changed(ctx)
	return nil
}

// RunNow runs job id now, dry or not, under the job's lease, so that it
// never runs twice at once across processes sharing the database. A dry
// run takes the lease too: it reads the same state. A job running already
// is a CONFLICT that errors.Is finds as scheduler.ErrLeaseHeld.
func (s *Service) RunNow(ctx context.Context, id int, dryRun bool) (*runner.Result, error) {
	if _, err := s.registry(); err != nil {
		return nil, err
	}
	job, err := s.Runner.Client.DiscoveryJob.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("loading discovery job %d: %w", id, err)
	}
	// Held for the run's longest possible life, so a crash frees it soon.
	ttl := time.Duration(job.TimeoutSeconds)*time.Second + time.Minute
	var res *runner.Result
	err = scheduler.Exclusive(ctx, s.Leaser, JobKey(id), s.holder(), ttl, s.Logger, func() (err error) {
		res, err = s.Runner.RunJob(ctx, id, dryRun, "manual")
		return err
	})
	if errors.Is(err, scheduler.ErrAlreadyRunning) || errors.Is(err, scheduler.ErrLeaseHeld) {
		return nil, &apperr.Error{Code: apperr.Conflict, Msg: fmt.Sprintf("discovery job %d is already running", id), Err: err}
	}
	return res, err
}

// Source is the discovery jobs' part of the shared scheduler.
func (s *Service) Source() scheduler.Source {
	return scheduler.Source{Prefix: KeyPrefix, Lister: Lister{Client: s.Runner.Client}, Run: s.scheduled}
}

// Attach implements scheduler.Participant: leases and run rows name the
// shared scheduler's holder, and changes reload it.
func (s *Service) Attach(holder string, reload func(context.Context)) {
	s.Holder, s.Changed = holder, reload
	if s.Runner.Holder == "" {
		s.Runner.Holder = holder
	}
}

var _ scheduler.Participant = (*Service)(nil)

func (s *Service) scheduled(ctx context.Context, job scheduler.Job) error {
	id, err := strconv.Atoi(strings.TrimPrefix(job.Key, KeyPrefix))
	if err != nil {
		return fmt.Errorf("bad discovery job key %q", job.Key)
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

// Lister lists discovery jobs for the scheduler.
type Lister struct{ Client *ent.Client }

// Jobs implements scheduler.Lister: every job with a schedule.
func (l Lister) Jobs(ctx context.Context) ([]scheduler.Job, error) {
	// Push and agent jobs receive their runs (submitObservations, the
	// agent route); their schedule only tells agents how often to report.
	jobs, err := l.Client.DiscoveryJob.Query().Where(discoveryjob.ScheduleNEQ(""),
		discoveryjob.SourceKindNotIn(push.Name, agent.Name)).All(ctx)
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
