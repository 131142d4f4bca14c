package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/push"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/secret"
)

// Discovery is what the discovery resolvers need. A server without it
// answers discovery mutations with an error.
type Discovery struct {
	Runner   *runner.Runner
	Registry *discovery.Registry
	Secrets  *secret.Box
	// JobsChanged is called after a job is created, changed or deleted
	// (the scheduler reloads); may be nil.
	JobsChanged func(context.Context)
	// RunJob runs a job now through the scheduler (lease, at most one run);
	// nil runs it directly with Runner.
	RunJob func(ctx context.Context, id int, dryRun bool) (*runner.Result, error)
}

// WithDiscovery returns r serving discovery through d.
func (r *Resolver) WithDiscovery(d *Discovery) *Resolver {
	r.discovery = d
	return r
}

func (r *Resolver) disc() (*Discovery, error) {
	if r.discovery == nil || r.discovery.Registry == nil {
		return nil, apperr.New(apperr.Internal, "discovery is not configured on this server")
	}
	return r.discovery, nil
}

// jobsChanged tells the scheduler to reload once the mutation's
// transaction has committed (before that, the scheduler would not see the
// change).
func (r *Resolver) jobsChanged(ctx context.Context) {
	if r.discovery == nil || r.discovery.JobsChanged == nil {
		return
	}
	reload := r.discovery.JobsChanged
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		reload(ctx)
		return
	}
	bg := context.WithoutCancel(ctx)
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			reload(bg)
			return nil
		})
	})
}

// jobFields is the union of the create and update inputs.
type jobFields struct {
	Name               *string
	SourceKind         *string
	Config             map[string]any
	Credentials        map[string]any
	ClearCredentials   bool
	Schedule           *string
	TimeZone           *string
	Scope              *model.DiscoveryScopeInput
	Mode               *discoveryjob.Mode
	TimeoutSeconds     *int
	Enabled            *bool
	CreateUnregistered *bool
	MissingGrace       *int
	RetireAfter        *int
	Priority           *int
	FieldPriorities    map[string]any
	StaleAfterHours    *int
}

// checkJob validates the job as it will be after the change: a known
// source kind, a config that decodes and validates, a cron spec and time
// zone that parse. Each failure is BAD_USER_INPUT naming the field.
func (d *Discovery) checkJob(kind string, config map[string]any, schedule, tz string) error {
	raw := []byte(nil)
	if len(config) > 0 {
		b, err := json.Marshal(config)
		if err != nil {
			return apperr.Invalid("config", "not encodable: %v", err)
		}
		raw = b
	}
	if _, ok := d.Registry.Lookup(kind); !ok {
		return apperr.Invalid("sourceKind", "unknown source kind %q (known: %s)", kind, strings.Join(d.Registry.Names(), ", "))
	}
	if _, err := d.Registry.Decode(kind, raw); err != nil {
		var ce *discovery.ConfigError
		if errors.As(err, &ce) && ce.Field != "" {
			return apperr.Invalid("config", "%s: %v", ce.Field, ce.Err)
		}
		return apperr.InvalidErr("config", err)
	}
	if strings.TrimSpace(schedule) != "" {
		if _, err := scheduler.ParseSchedule(schedule, tz); err != nil {
			field := "schedule"
			if strings.Contains(err.Error(), "time zone") {
				field = "timeZone"
			}
			return apperr.InvalidErr(field, err)
		}
	} else if tz != "" && tz != "UTC" {
		if _, err := time.LoadLocation(tz); err != nil {
			return apperr.Invalid("timeZone", "unknown time zone %q", tz)
		}
	}
	return nil
}

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
		if n < 0 || n > 1000 {
			return nil, apperr.Invalid("fieldPriorities", "%q: priority must be between 0 and 1000", k)
		}
		out[k] = n
	}
	return out, nil
}

func credentialStrings(m map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, apperr.Invalid("credentials", "%q must be a string", k)
		}
		out[k] = s
	}
	return out, nil
}

func scopeOf(in *model.DiscoveryScopeInput) schematype.DiscoveryScope {
	var s schematype.DiscoveryScope
	if in == nil {
		return s
	}
	s.Targets = in.Targets
	for _, k := range in.Kinds {
		s.Kinds = append(s.Kinds, string(k))
	}
	for _, e := range in.Environments {
		s.Environments = append(s.Environments, string(e))
	}
	s.Tags = in.Tags
	return s
}

// saveJob creates (id 0) or updates a discovery job.
func (r *Resolver) saveJob(ctx context.Context, id int, in jobFields) (*ent.DiscoveryJob, error) {
	d, err := r.disc()
	if err != nil {
		return nil, err
	}
	c := r.tx(ctx)
	kind, tz, sched := "", "UTC", ""
	var config map[string]any
	if id != 0 {
		cur, err := c.DiscoveryJob.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		kind, tz, sched, config = cur.SourceKind, cur.TimeZone, cur.Schedule, cur.Config
	}
	if in.SourceKind != nil {
		kind = *in.SourceKind
	}
	if in.Config != nil {
		config = in.Config
	}
	if in.TimeZone != nil {
		tz = *in.TimeZone
		if tz == "" {
			tz = "UTC"
		}
	}
	if in.Schedule != nil {
		sched = strings.TrimSpace(*in.Schedule)
	}
	if err := d.checkJob(kind, config, sched, tz); err != nil {
		return nil, err
	}
	prios, err := priorities(in.FieldPriorities)
	if err != nil {
		return nil, err
	}
	var sealed []byte
	if in.Credentials != nil {
		if d.Secrets == nil {
			return nil, apperr.New(apperr.Internal, "the server has no secret key to seal credentials with")
		}
		m, err := credentialStrings(in.Credentials)
		if err != nil {
			return nil, err
		}
		if sealed, err = d.Secrets.SealMap(m); err != nil {
			return nil, fmt.Errorf("sealing credentials: %w", err)
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
		m.SetScope(scopeOf(in.Scope))
	}
	if in.Mode != nil {
		m.SetMode(*in.Mode)
	}
	if in.TimeoutSeconds != nil {
		m.SetTimeoutSeconds(*in.TimeoutSeconds)
	}
	if in.Enabled != nil {
		m.SetEnabled(*in.Enabled)
	}
	if in.CreateUnregistered != nil {
		m.SetCreateUnregistered(*in.CreateUnregistered)
	}
	if in.MissingGrace != nil {
		m.SetMissingGrace(*in.MissingGrace)
	}
	if in.RetireAfter != nil {
		m.SetRetireAfter(*in.RetireAfter)
	}
	if in.Priority != nil {
		m.SetPriority(*in.Priority)
	}
	if prios != nil {
		m.SetFieldPriorities(prios)
	}
	if in.StaleAfterHours != nil {
		m.SetStaleAfterHours(*in.StaleAfterHours)
	}
	j, err := save()
	if err != nil {
		return nil, err
	}
	return j, nil
}

func plannedChanges(ctx context.Context, c *ent.Client, in []schematype.PlannedChange) ([]*model.PlannedChange, error) {
	ids := map[int]bool{}
	for _, pc := range in {
		if pc.CI != 0 {
			ids[pc.CI] = true
		}
	}
	cis := map[int]*ent.ConfigurationItem{}
	if len(ids) > 0 {
		list := make([]int, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		sort.Ints(list)
		rows, err := c.ConfigurationItem.Query().Where(ciIDIn(list)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading the run's CIs: %w", err)
		}
		for _, ci := range rows {
			cis[ci.ID] = ci
		}
	}
	out := make([]*model.PlannedChange, 0, len(in))
	for _, pc := range in {
		m := &model.PlannedChange{
			Action:            model.PlannedAction(pc.Action),
			ConfigurationItem: cis[pc.CI],
			ObservationKey:    strPtr(pc.ObservationKey),
			Field:             strPtr(pc.Field),
			Before:            strPtr(pc.Before),
			After:             strPtr(pc.After),
			MatchedBy:         strPtr(pc.MatchedBy),
		}
		if pc.DriftKind != "" {
			k := driftKind(pc.DriftKind)
			m.DriftKind = &k
		}
		out = append(out, m)
	}
	return out, nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func ciIDIn(ids []int) predicate.ConfigurationItem { return configurationitem.IDIn(ids...) }

func driftKind(s string) drift.Kind { return drift.Kind(s) }

func (r *Resolver) dialect() string { return r.store.Dialect() }

func (r *Resolver) runJob(ctx context.Context, id int, dryRun bool) (*ent.DiscoveryRun, error) {
	d, err := r.disc()
	if err != nil {
		return nil, err
	}
	if _, err := r.client.DiscoveryJob.Get(ctx, id); err != nil {
		return nil, err
	}
	var res *runner.Result
	if d.RunJob != nil {
		res, err = d.RunJob(ctx, id, dryRun)
	} else {
		res, err = d.Runner.RunJob(ctx, id, dryRun, "manual")
	}
	if err != nil {
		if errors.Is(err, scheduler.ErrAlreadyRunning) || errors.Is(err, scheduler.ErrLeaseHeld) {
			return nil, apperr.New(apperr.Conflict, "discovery job %d is already running", id)
		}
		return nil, err
	}
	return res.Run, nil
}

func (r *Resolver) driftSummary(ctx context.Context, since *time.Time) (*model.DriftSummary, error) {
	s := time.Now().UTC().Add(-24 * time.Hour)
	if since != nil {
		s = since.UTC()
	}
	sum, err := reconcile.Summarize(ctx, r.client, s, r.dialect())
	if err != nil {
		return nil, err
	}
	counts := func(in []reconcile.Count) []*model.DriftCount {
		out := make([]*model.DriftCount, 0, len(in))
		for _, c := range in {
			out = append(out, &model.DriftCount{Key: c.Key, Count: c.Count})
		}
		return out
	}
	return &model.DriftSummary{
		Since: &s, Opened: sum.Opened, Open: sum.Open, Acknowledged: sum.Acknowledged,
		Resolved: sum.Resolved, Accepted: sum.Accepted, Ignored: sum.Ignored,
		Authorized: sum.Authorized, Unauthorized: sum.Unauthorized,
		ByKind: counts(sum.ByKind), ByJob: counts(sum.ByJob), ByService: counts(sum.ByService),
	}, nil
}

// checkIgnoreRule refuses a rule that would match every drift and criteria
// that can never match.
func checkIgnoreRule(ciKind, tag, fieldPattern, driftKindV, job *string) error {
	set := func(p *string) bool { return p != nil && strings.TrimSpace(*p) != "" }
	if !set(ciKind) && !set(tag) && !set(fieldPattern) && !set(driftKindV) && !set(job) {
		return apperr.Invalid("fieldPattern", "a rule needs at least one criterion (ciKind, tag, fieldPattern, driftKind or jobName)")
	}
	if set(ciKind) && !discovery.ValidKind(*ciKind) {
		return apperr.Invalid("ciKind", "unknown CI kind %q", *ciKind)
	}
	if set(driftKindV) {
		if err := drift.KindValidator(drift.Kind(*driftKindV)); err != nil {
			return apperr.Invalid("driftKind", "unknown drift kind %q", *driftKindV)
		}
	}
	if set(fieldPattern) {
		if _, err := path.Match(*fieldPattern, ""); err != nil {
			return apperr.Invalid("fieldPattern", "bad pattern %q: %v", *fieldPattern, err)
		}
	}
	return nil
}

// adminOnlyNode reports whether only admins may read n through node(id).
func adminOnlyNode(n ent.Noder) bool {
	switch n.(type) {
	case *ent.APIToken, *ent.DiscoveryJob, *ent.DiscoveryRun:
		return true
	}
	return false
}

// MaxSubmittedObservations bounds one submitObservations call.
const MaxSubmittedObservations = 10000

// observationsFromInput converts and checks pushed observations; a problem
// is BAD_USER_INPUT naming the observation.
func observationsFromInput(in []*model.ObservationInput, now time.Time) ([]discovery.Observation, error) {
	if len(in) == 0 {
		return nil, apperr.Invalid("observations", "at least one observation is required")
	}
	if len(in) > MaxSubmittedObservations {
		return nil, apperr.Invalid("observations", "at most %d observations per call, got %d", MaxSubmittedObservations, len(in))
	}
	out := make([]discovery.Observation, 0, len(in))
	keys := map[string]bool{}
	for i, o := range in {
		field := fmt.Sprintf("observations[%d]", i)
		ob := discovery.Observation{
			Key: o.Key, Kind: string(o.Kind), Name: o.Name, CompleteFacts: o.CompleteFacts, SeenAt: now,
		}
		if o.SeenAt != nil {
			ob.SeenAt = o.SeenAt.UTC()
		}
		for _, id := range o.Identifiers {
			ob.Identifiers = append(ob.Identifiers, discovery.Identifier{Kind: ident.Kind(id.Kind), Value: id.Value})
		}
		var err error
		if ob.Fields, err = stringMap(o.Fields); err != nil {
			return nil, apperr.Invalid(field+".fields", "%v", err)
		}
		if ob.Facts, err = stringMap(o.Facts); err != nil {
			return nil, apperr.Invalid(field+".facts", "%v", err)
		}
		if err := ob.Check(); err != nil {
			return nil, apperr.Invalid(field, "%v", err)
		}
		if keys[ob.Key] {
			return nil, apperr.Invalid(field+".key", "duplicate key %q", ob.Key)
		}
		keys[ob.Key] = true
		out = append(out, ob)
	}
	return out, nil
}

func stringMap(m map[string]any) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%q must be a string", k)
		}
		out[k] = s
	}
	return out, nil
}

func (r *Resolver) submitObservations(ctx context.Context, jobName string, in []*model.ObservationInput, dryRun bool) (*ent.DiscoveryRun, error) {
	d, err := r.disc()
	if err != nil {
		return nil, err
	}
	job, err := r.client.DiscoveryJob.Query().Where(discoveryjob.Name(jobName)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Invalid("job", "no discovery job named %q", jobName)
	}
	if err != nil {
		return nil, err
	}
	if job.SourceKind != push.Name {
		return nil, apperr.Invalid("job", "job %q has source kind %q; observations can be submitted only to %q jobs", jobName, job.SourceKind, push.Name)
	}
	if !job.Enabled {
		return nil, apperr.New(apperr.Conflict, "job %q is disabled", jobName)
	}
	obs, err := observationsFromInput(in, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	res, err := d.Runner.Run(ctx, runner.Spec{Job: job, Observations: obs, DryRun: dryRun, Trigger: "push"})
	if err != nil {
		return nil, err
	}
	return res.Run, nil
}
