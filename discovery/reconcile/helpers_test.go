package reconcile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// t0 is the start of every test's clock: whole seconds, UTC, so that times
// survive both backends unchanged.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// env is one fresh database with the hooks and a test clock.
type env struct {
	t       *testing.T
	db      *app.DB
	c       *ent.Client
	dialect string
	ctx     context.Context
	now     time.Time
}

// openMu serialises opening databases: ent's migration writes its global
// table descriptions, so parallel tests may not migrate at the same time.
var openMu sync.Mutex

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	openMu.Lock()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	openMu.Unlock()
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &env{t: t, db: db, c: db.Client, dialect: db.Store.Dialect(), ctx: context.Background(), now: t0}
}

// at returns a copy of e that reports to t (a subtest's), with its own clock.
func (e *env) at(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// tick advances the clock by d and returns the new time.
func (e *env) tick(d time.Duration) time.Time {
	e.now = e.now.Add(d)
	return e.now
}

// tx runs fn in a committed transaction as actor.
func (e *env) tx(actor string, fn func(ctx context.Context, tx *ent.Client) error) {
	e.t.Helper()
	if err := e.txErr(actor, fn); err != nil {
		e.t.Fatalf("transaction as %s: %v", actor, err)
	}
}

func (e *env) txErr(actor string, fn func(ctx context.Context, tx *ent.Client) error) error {
	ctx := audit.WithActor(e.ctx, actor)
	tx, err := e.c.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// scratch runs fn in a transaction that is always rolled back: each case of
// a table gets the same starting state.
func (e *env) scratch(actor string, fn func(ctx context.Context, tx *ent.Client)) {
	e.t.Helper()
	ctx := audit.WithActor(e.ctx, actor)
	tx, err := e.c.Tx(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	fn(ent.NewTxContext(ctx, tx), tx.Client())
}

// ciSpec seeds one CI. Identifiers of kinds without a CI column (IP, MAC,
// CLOUD_ID, UUID) are added as identifier rows.
type ciSpec struct {
	Name        string
	Kind        configurationitem.Kind
	Status      configurationitem.Status
	Env         configurationitem.Environment
	Hostname    string
	FQDN        string
	Serial      string
	AssetTag    string
	Description string
	Tags        []string
	Facts       map[string]any
	IDs         []discovery.Identifier
}

// seed creates CIs as alice, in one transaction.
func (e *env) seed(specs ...ciSpec) []*ent.ConfigurationItem {
	e.t.Helper()
	var out []*ent.ConfigurationItem
	e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
		for _, s := range specs {
			kind := s.Kind
			if kind == "" {
				kind = configurationitem.KindServer
			}
			cr := tx.ConfigurationItem.Create().SetName(s.Name).SetKind(kind)
			if s.Status != "" {
				cr.SetStatus(s.Status)
			}
			if s.Env != "" {
				cr.SetEnvironment(s.Env)
			}
			if s.Hostname != "" {
				cr.SetHostname(s.Hostname)
			}
			if s.FQDN != "" {
				cr.SetFqdn(s.FQDN)
			}
			if s.Serial != "" {
				cr.SetSerialNumber(s.Serial)
			}
			if s.AssetTag != "" {
				cr.SetAssetTag(s.AssetTag)
			}
			if s.Description != "" {
				cr.SetDescription(s.Description)
			}
			if s.Tags != nil {
				cr.SetTags(s.Tags)
			}
			if s.Facts != nil {
				cr.SetFacts(s.Facts)
			}
			ci, err := cr.Save(ctx)
			if err != nil {
				return fmt.Errorf("seeding %s: %w", s.Name, err)
			}
			for _, id := range s.IDs {
				if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.Kind(id.Kind)).
					SetValue(id.Value).SetSource("alice").Exec(ctx); err != nil {
					return fmt.Errorf("seeding %s identifier of %s: %w", id.Kind, s.Name, err)
				}
			}
			out = append(out, ci)
		}
		return nil
	})
	// Re-read: stored times have the backend's precision.
	for i, ci := range out {
		out[i] = e.ci(ci.ID)
	}
	return out
}

// job creates a discovery job as alice.
func (e *env) job(name string, mod func(*ent.DiscoveryJobCreate)) *ent.DiscoveryJob {
	e.t.Helper()
	var j *ent.DiscoveryJob
	e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
		cr := tx.DiscoveryJob.Create().SetName(name).SetSourceKind(fakeKind)
		if mod != nil {
			mod(cr)
		}
		var err error
		j, err = cr.Save(ctx)
		return err
	})
	return j
}

// opts are the options of a complete report-mode run of job at the clock's
// time.
func (e *env) opts(j *ent.DiscoveryJob) reconcile.Options {
	o := reconcile.Options{Mode: reconcile.ModeReport, Complete: true, Priority: 50, MissingGrace: 1, Now: e.now, Dialect: e.dialect}
	if j != nil {
		o.Actor = "discovery:" + j.Name
		o.JobID = j.ID
		o.Mode = reconcile.Mode(j.Mode)
		o.CreateUnregistered = j.CreateUnregistered
		o.MissingGrace = j.MissingGrace
		o.RetireAfter = j.RetireAfter
		o.Priority = j.Priority
		o.FieldPriorities = j.FieldPriorities
		o.Scope = j.Scope
	} else {
		o.Actor = "discovery:oneoff"
	}
	return o
}

// reconcileErr reconciles obs in one transaction as o.Actor, recording a run
// row first when o names a job and no run. It returns the run's ID.
func (e *env) reconcileErr(o reconcile.Options, obs ...discovery.Observation) (*reconcile.Outcome, int, error) {
	if o.Dialect == "" {
		o.Dialect = e.dialect
	}
	var out *reconcile.Outcome
	err := e.txErr(o.Actor, func(ctx context.Context, tx *ent.Client) error {
		if o.JobID != 0 && o.RunID == 0 {
			status := "SUCCEEDED"
			if !o.Complete {
				status = "PARTIAL"
			}
			run, err := tx.DiscoveryRun.Create().SetDiscoveryJobID(o.JobID).SetSourceKind(fakeKind).
				SetStatus(discoveryrun.Status(status)).SetStartedAt(o.Now).SetCounts(schematype.RunCounts{}).Save(ctx)
			if err != nil {
				return err
			}
			o.RunID = run.ID
		}
		var err error
		out, err = reconcile.Reconcile(ctx, tx, obs, o)
		return err
	})
	return out, o.RunID, err
}

// reconcile is reconcileErr that fails the test on error.
func (e *env) reconcile(o reconcile.Options, obs ...discovery.Observation) (*reconcile.Outcome, int) {
	e.t.Helper()
	out, run, err := e.reconcileErr(o, obs...)
	if err != nil {
		e.t.Fatalf("reconcile: %v", err)
	}
	return out, run
}

func (e *env) ci(id int) *ent.ConfigurationItem {
	e.t.Helper()
	ci, err := e.c.ConfigurationItem.Get(e.ctx, id)
	if err != nil {
		e.t.Fatalf("CI %d: %v", id, err)
	}
	return ci
}

func (e *env) drifts(ps ...func(*ent.DriftQuery)) []*ent.Drift {
	e.t.Helper()
	q := e.c.Drift.Query().Order(ent.Asc(drift.FieldID))
	for _, p := range ps {
		p(q)
	}
	ds, err := q.All(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func (e *env) driftsOf(ciID int) []*ent.Drift {
	return e.drifts(func(q *ent.DriftQuery) { q.Where(drift.ConfigurationItemID(ciID)) })
}

func (e *env) count(what string) int {
	e.t.Helper()
	var n int
	var err error
	switch what {
	case "ci":
		n, err = e.c.ConfigurationItem.Query().Count(e.ctx)
	case "drift":
		n, err = e.c.Drift.Query().Count(e.ctx)
	case "audit":
		n, err = e.c.AuditEvent.Query().Count(e.ctx)
	case "run":
		n, err = e.c.DiscoveryRun.Query().Count(e.ctx)
	case "sighting":
		n, err = e.c.Sighting.Query().Count(e.ctx)
	case "identifier":
		n, err = e.c.Identifier.Query().Count(e.ctx)
	case "relationship":
		n, err = e.c.Relationship.Query().Count(e.ctx)
	default:
		e.t.Fatalf("count: unknown %q", what)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// snapshot is everything a run could write, as comparable text.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	cis, err := e.c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).All(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ci := range cis {
		j, _ := json.Marshal(ci)
		fmt.Fprintf(&b, "ci %s\n", j)
	}
	for _, what := range []string{"drift", "audit", "run", "sighting", "identifier", "relationship"} {
		fmt.Fprintf(&b, "%s %d\n", what, e.count(what))
	}
	ss, err := e.c.Sighting.Query().Order(ent.Asc(sighting.FieldID)).All(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range ss {
		fmt.Fprintf(&b, "sighting job=%d ci=%d run=%d missed=%d at=%s\n", s.DiscoveryJobID, s.ConfigurationItemID, s.LastRunID, s.MissedRuns, s.LastSeenAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// ciEvents returns the audit events of CI id as "actor ACTION field,field".
func (e *env) ciEvents(id int) []string {
	e.t.Helper()
	evs, err := e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(id)).
		Order(ent.Asc(auditevent.FieldID)).All(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		var fs []string
		for _, ch := range ev.Changes {
			fs = append(fs, ch.Field)
		}
		out = append(out, fmt.Sprintf("%s %s %s", ev.Actor, ev.Action, strings.Join(fs, ",")))
	}
	return out
}

// lastEvent returns the newest audit event of an entity.
func (e *env) lastEvent(typ string, id int) *ent.AuditEvent {
	e.t.Helper()
	ev, err := e.c.AuditEvent.Query().Where(auditevent.EntityType(typ), auditevent.EntityID(id)).
		Order(ent.Desc(auditevent.FieldID)).First(e.ctx)
	if err != nil {
		e.t.Fatalf("last audit event of %s %d: %v", typ, id, err)
	}
	return ev
}

// change returns the change of field in ev, failing when there is none.
func change(t *testing.T, ev *ent.AuditEvent, field string) (before, after any) {
	t.Helper()
	for _, ch := range ev.Changes {
		if ch.Field == field {
			return ch.Before, ch.After
		}
	}
	t.Fatalf("audit event %d (%s %s by %s) has no change of %s: %+v", ev.ID, ev.Action, ev.EntityType, ev.Actor, field, ev.Changes)
	return nil, nil
}

func identifiersOf(t *testing.T, e *env, ciID int) []string {
	t.Helper()
	ids, err := e.c.Identifier.Query().Where(identifier.ConfigurationItemID(ciID)).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range ids {
		out = append(out, fmt.Sprintf("%s=%s(%s)", i.Kind, i.Value, i.Source))
	}
	sort.Strings(out)
	return out
}

// driftView is a drift's comparable essentials.
type driftView struct {
	Kind       drift.Kind
	Status     drift.Status
	CI         int
	Field      string
	Recorded   string
	Observed   string
	Authorized bool
	IgnoredBy  string
}

func (v driftView) String() string {
	return fmt.Sprintf("%s/%s ci=%d field=%q recorded=%q observed=%q authorized=%v ignoredBy=%q",
		v.Kind, v.Status, v.CI, v.Field, v.Recorded, v.Observed, v.Authorized, v.IgnoredBy)
}

func view(d *ent.Drift) driftView {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	v := driftView{Kind: d.Kind, Status: d.Status, Field: s(d.FieldName), Recorded: s(d.Recorded), Observed: s(d.Observed),
		Authorized: d.Authorized, IgnoredBy: s(d.IgnoredBy)}
	if d.ConfigurationItemID != nil {
		v.CI = *d.ConfigurationItemID
	}
	return v
}

func views(ds []*ent.Drift) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = view(d).String()
	}
	return out
}

func checkDrifts(t *testing.T, got []*ent.Drift, want ...driftView) {
	t.Helper()
	g := views(got)
	w := make([]string, len(want))
	for i, d := range want {
		w[i] = d.String()
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("drifts:\n got  %s\n want %s", strings.Join(g, "\n      "), strings.Join(w, "\n      "))
	}
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// obs builds an observation of a server.
func obs(key string, ids ...discovery.Identifier) discovery.Observation {
	return discovery.Observation{Key: key, Kind: discovery.KindServer, Name: key, Identifiers: ids, SeenAt: t0}
}

func id(k ident.Kind, v string) discovery.Identifier { return discovery.Identifier{Kind: k, Value: v} }

// withFields returns o with fields set.
func withFields(o discovery.Observation, kv ...string) discovery.Observation {
	if o.Fields == nil {
		o.Fields = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Fields[kv[i]] = kv[i+1]
	}
	return o
}

// withFacts returns o with facts set.
func withFacts(o discovery.Observation, kv ...string) discovery.Observation {
	if o.Facts == nil {
		o.Facts = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Facts[kv[i]] = kv[i+1]
	}
	return o
}

// ---- a fake discovery source for the runner ----

const fakeKind = "fake"

// script is what a fake source does on one Discover call.
type script func(ctx context.Context, env discovery.Env) (*discovery.Result, error)

var (
	scriptsMu sync.Mutex
	scripts   = map[string]script{}
	scriptSeq int
)

// register stores fn under a fresh name for fakeConfig.Script.
func register(t *testing.T, fn script) string {
	scriptsMu.Lock()
	defer scriptsMu.Unlock()
	scriptSeq++
	name := fmt.Sprintf("script-%d", scriptSeq)
	scripts[name] = fn
	t.Cleanup(func() {
		scriptsMu.Lock()
		defer scriptsMu.Unlock()
		delete(scripts, name)
	})
	return name
}

type fakeConfig struct {
	Script string `json:"script" validate:"required"`
}

type fakeSource struct{ fn script }

func (s fakeSource) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	return s.fn(ctx, env)
}

func (c *fakeConfig) Build() (discovery.Source, error) {
	scriptsMu.Lock()
	defer scriptsMu.Unlock()
	fn, ok := scripts[c.Script]
	if !ok {
		return nil, errors.New("no such script " + c.Script)
	}
	return fakeSource{fn}, nil
}

func fakeRegistry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(discovery.Kind{Name: fakeKind, NewConfig: func() discovery.Config { return &fakeConfig{} }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runner returns a runner over e whose clock is e's.
func (e *env) runner() *runner.Runner {
	return &runner.Runner{Client: e.c, Registry: fakeRegistry(e.t), Dialect: e.dialect, Holder: "test",
		Now: func() time.Time { return e.now }}
}

// scriptJob creates a job whose source runs fn.
func (e *env) scriptJob(name string, fn script, mod func(*ent.DiscoveryJobCreate)) *ent.DiscoveryJob {
	e.t.Helper()
	s := register(e.t, fn)
	return e.job(name, func(c *ent.DiscoveryJobCreate) {
		c.SetConfig(map[string]any{"script": s})
		if mod != nil {
			mod(c)
		}
	})
}

// sees is a script returning the observations of *cur at each call.
func sees(cur *[]discovery.Observation) script {
	return func(context.Context, discovery.Env) (*discovery.Result, error) {
		return &discovery.Result{Observations: append([]discovery.Observation(nil), (*cur)...)}, nil
	}
}

func (e *env) runJob(j *ent.DiscoveryJob, dry bool) *runner.Result {
	e.t.Helper()
	res, err := e.runner().RunJob(e.ctx, j.ID, dry, "manual")
	if err != nil {
		e.t.Fatalf("run job %s: %v", j.Name, err)
	}
	return res
}

// acceptAs accepts drift id as alice.
func acceptAs(e *env, id int) (*ent.Drift, error) {
	var d *ent.Drift
	err := e.txErr("alice", func(ctx context.Context, tx *ent.Client) error {
		var err error
		d, err = reconcile.Accept(ctx, tx, id, e.now)
		return err
	})
	return d, err
}

// acknowledgeAs acknowledges drift id as alice.
func acknowledgeAs(e *env, id int, note *string) (*ent.Drift, error) {
	var d *ent.Drift
	err := e.txErr("alice", func(ctx context.Context, tx *ent.Client) error {
		var err error
		d, err = reconcile.Acknowledge(ctx, tx, id, note, e.now)
		return err
	})
	return d, err
}

// mergeAs merges remove into keep as alice.
func mergeAs(e *env, keep, remove int) (*ent.ConfigurationItem, error) {
	var ci *ent.ConfigurationItem
	err := e.txErr("alice", func(ctx context.Context, tx *ent.Client) error {
		var err error
		ci, err = reconcile.Merge(ctx, tx, keep, remove, e.dialect)
		return err
	})
	return ci, err
}
