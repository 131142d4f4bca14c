package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// estate seeds the CIs the runner tests observe: web (description "old",
// ports 22), db, and lb, which no observation names.
func estate(e *env) []*ent.ConfigurationItem {
	return e.seed(
		ciSpec{Name: "web", Hostname: "web", Description: "old", Facts: map[string]any{"port.tcp.22": "open"}},
		ciSpec{Name: "db", Hostname: "db"},
		ciSpec{Name: "lb", Hostname: "lb"},
	)
}

// estateObs are the observations of a typical run: web with a changed
// description and another open port, db with a new description and a
// dependency, and an unknown host.
func estateObs() []discovery.Observation {
	web := ports("web", "linux", "22", "443")
	web = withFields(web, "description", "new")
	web.Relationships = []discovery.Relationship{{Type: "DEPENDS_ON", To: "db"}}
	db := withFields(obs("db", id(ident.MAC, "aa:bb:cc:00:0e:01")), "hostname", "db", "description", "postgres")
	fresh := withFields(obs("fresh", id(ident.IP, "10.5.0.1")), "hostname", "fresh")
	return []discovery.Observation{web, db, fresh}
}

// TestRunnerRun checks a whole run of a job: the run row, the source's
// environment, reconciliation under the job's actor, the drifts pointing at
// the run and the job's last run.
func TestRunnerRun(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := estate(e)
		var env discovery.Env
		cur := estateObs()
		j := e.scriptJob("inventory", func(ctx context.Context, en discovery.Env) (*discovery.Result, error) {
			env = en
			return sees(&cur)(ctx, en)
		}, func(c *ent.DiscoveryJobCreate) {
			c.SetScope(schematype.DiscoveryScope{Targets: []string{"10.0.0.0/24"}}).SetCreateUnregistered(true)
		})
		res := e.runJob(j, false)
		run := res.Run
		if run.ID == 0 || run.Status != discoveryrun.StatusSucceeded || run.Error != nil {
			t.Fatalf("run %d %s %v", run.ID, run.Status, run.Error)
		}
		if fmt.Sprint(env.Targets) != "[10.0.0.0/24]" || !env.Now.Equal(e.now) || env.Logger == nil {
			t.Fatalf("source env targets %v now %s", env.Targets, env.Now)
		}
		row := e.c.DiscoveryRun.GetX(e.ctx, run.ID)
		if row.Status != discoveryrun.StatusSucceeded || row.SourceKind != fakeKind || row.Trigger != "manual" || row.DryRun ||
			!row.StartedAt.Equal(e.now) || row.FinishedAt == nil || row.Holder != "test" || row.DiscoveryJobID == nil || *row.DiscoveryJobID != j.ID {
			t.Fatalf("run row %+v", row)
		}
		want := schematype.RunCounts{Observed: 3, Matched: 2, Created: 1, Filled: 5, Unregistered: 1, DriftsOpened: 3}
		if row.Counts != want || res.Outcome.Counts != want {
			t.Fatalf("counts %+v (row %+v), want %+v", res.Outcome.Counts, row.Counts, want)
		}
		if len(row.Changes) != len(res.Outcome.Changes) || len(row.Changes) == 0 {
			t.Fatalf("stored %d changes, outcome %d", len(row.Changes), len(res.Outcome.Changes))
		}
		for _, d := range e.drifts() {
			if d.RunID == nil || *d.RunID != run.ID || d.DiscoveryJobID == nil || *d.DiscoveryJobID != j.ID || str(d.Source) != "discovery:inventory" {
				t.Fatalf("drift %v run %v job %v source %s", view(d), d.RunID, d.DiscoveryJobID, str(d.Source))
			}
		}
		checkDrifts(t, e.driftsOf(cis[0].ID),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: cis[0].ID, Field: "description", Recorded: "old", Observed: "new"},
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: cis[0].ID, Field: "facts.port.tcp.443", Recorded: "", Observed: "open"},
		)
		// Everything the run wrote to the record is audited as the job.
		actors := map[string]int{}
		for _, ev := range e.c.AuditEvent.Query().Where(auditevent.Not(auditevent.Actor("alice"))).AllX(e.ctx) {
			actors[ev.Actor]++
		}
		if len(actors) != 1 || actors["discovery:inventory"] == 0 {
			t.Fatalf("audit actors %v", actors)
		}
		if jj := e.c.DiscoveryJob.GetX(e.ctx, j.ID); jj.LastRunAt == nil || !jj.LastRunAt.Equal(e.now) {
			t.Fatalf("job last run %v", jj.LastRunAt)
		}
		if n := e.count("sighting"); n != 3 {
			t.Fatalf("%d sightings, want 3 (web, db, fresh)", n)
		}
	})
}

// TestRunnerIdempotent runs the same observations twice: the second run
// opens no drift, creates and changes nothing, and writes no audit event.
func TestRunnerIdempotent(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"REPORT", "UPDATE"} {
		t.Run(mode, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, dsn string) {
				e := newEnv(t, dsn)
				estate(e)
				cur := estateObs()
				j := e.scriptJob("inventory", sees(&cur), func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true).SetMode(discoveryjob.Mode(mode)) })
				first := e.runJob(j, false)
				type ciState struct {
					updated time.Time
					text    string
				}
				state := func() map[int]ciState {
					out := map[int]ciState{}
					for _, ci := range e.c.ConfigurationItem.Query().AllX(e.ctx) {
						out[ci.ID] = ciState{ci.UpdatedAt, fmt.Sprintf("%s %s %s %v %v %s", ci.Name, ci.Status, str(ci.Description), ci.Facts, ci.Tags, str(ci.Hostname))}
					}
					return out
				}
				before, audits, drifts, ids, rels := state(), e.count("audit"), views(e.drifts()), e.count("identifier"), e.count("relationship")

				e.tick(time.Hour)
				second := e.runJob(j, false)
				c := second.Outcome.Counts
				if c.DriftsOpened != 0 || c.Created != 0 || c.Filled != 0 || c.Updated != 0 || c.DriftsResolved != 0 || c.Matched != 3 {
					t.Fatalf("second run counts %+v (first %+v)", c, first.Outcome.Counts)
				}
				wantTouched := 0
				for _, d := range e.drifts() {
					// The unregistered drift of the created CI waits for a
					// person; the others are seen again.
					if d.Status == drift.StatusOpen && d.Kind != drift.KindUnregistered {
						wantTouched++
					}
				}
				if c.DriftsUpdated != wantTouched {
					t.Fatalf("second run re-detected %d drifts, want the %d open ones", c.DriftsUpdated, wantTouched)
				}
				if n := e.count("audit"); n != audits {
					t.Fatalf("second run wrote %d audit events", n-audits)
				}
				if after := state(); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("second run changed CIs:\n%v\nwas\n%v", after, before)
				}
				if got := views(e.drifts()); fmt.Sprint(got) != fmt.Sprint(drifts) {
					t.Fatalf("drifts changed:\n%v\nwas\n%v", got, drifts)
				}
				if e.count("identifier") != ids || e.count("relationship") != rels {
					t.Fatal("second run changed identifiers or relationships")
				}
				// Bookkeeping did move: last seen.
				for _, ci := range e.c.ConfigurationItem.Query().Where(configurationitem.NameNEQ("lb")).AllX(e.ctx) {
					if ci.LastSeenAt == nil || !ci.LastSeenAt.Equal(e.now) {
						t.Fatalf("%s last seen %v, want %s", ci.Name, ci.LastSeenAt, e.now)
					}
				}
			})
		})
	}
}

// TestRunnerFailures checks runs that fail: a source error, a source that
// cannot be built, a run cancelled while the source ran, a timeout, and a
// reconciliation that fails halfway. Each leaves one FAILED (or TIMED_OUT,
// CANCELLED) run row with its error and nothing else: no CI, fact, drift,
// identifier, sighting or audit event changes.
func TestRunnerFailures(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 4001)
	cases := []struct {
		name    string
		fn      func(cancel context.CancelFunc) script
		config  map[string]any
		timeout int
		status  discoveryrun.Status
		errText string
	}{
		{"source error", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) {
				return nil, errors.New("ssh: connection refused")
			}
		}, nil, 0, discoveryrun.StatusFailed, "ssh: connection refused"},
		{"source cannot be built", nil, map[string]any{"script": "no-such-script"}, 0, discoveryrun.StatusFailed, "no such script"},
		{"invalid configuration", nil, map[string]any{"scrip": "typo"}, 0, discoveryrun.StatusFailed, "unknown field"},
		{"cancelled", func(cancel context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) {
				cancel()
				return &discovery.Result{Observations: estateObs()}, nil
			}
		}, nil, 0, discoveryrun.StatusCancelled, "context canceled"},
		{"timed out", func(context.CancelFunc) script {
			return func(ctx context.Context, _ discovery.Env) (*discovery.Result, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}
		}, nil, 1, discoveryrun.StatusTimedOut, "deadline exceeded"},
		{"invalid field after updates", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) {
				obs := estateObs()
				bad := withFields(obs[1], "description", long) // db, after web was updated
				return &discovery.Result{Observations: []discovery.Observation{obs[0], bad, obs[2]}}, nil
			}
		}, nil, 0, discoveryrun.StatusFailed, "description"},
		{"invalid relationship after creation", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) {
				obs := estateObs()
				obs[2].Relationships = []discovery.Relationship{{Type: "LIKES", To: "db"}}
				return &discovery.Result{Observations: obs}, nil
			}
		}, nil, 0, discoveryrun.StatusFailed, "LIKES"},
		{"long error", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) {
				return nil, errors.New("x" + strings.Repeat("é", 2500))
			}
		}, nil, 0, discoveryrun.StatusFailed, "xéé"},
		{"source panics", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) { panic("index out of range") }
		}, nil, 0, discoveryrun.StatusFailed, "the source panicked: index out of range"},
		{"no result", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) { return nil, nil }
		}, nil, 0, discoveryrun.StatusFailed, "no result"},
		{"credentials without a key", func(context.CancelFunc) script {
			return sees(new([]discovery.Observation))
		}, map[string]any{"sealed": true}, 0, discoveryrun.StatusFailed, "no secret key"},
		{"invalid observation", func(context.CancelFunc) script {
			return func(context.Context, discovery.Env) (*discovery.Result, error) {
				obs := estateObs()
				obs[2].Kind = "TOASTER"
				return &discovery.Result{Observations: obs}, nil
			}
		}, nil, 0, discoveryrun.StatusFailed, "TOASTER"},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		estate(e)
		// A first good run, so that there are drifts, sightings and facts
		// a failed run could disturb.
		cur := estateObs()
		good := e.scriptJob("good", sees(&cur), nil)
		e.runJob(good, false)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				e.tick(time.Hour)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var j *ent.DiscoveryJob
				mod := func(c *ent.DiscoveryJobCreate) {
					c.SetMode("UPDATE").SetCreateUnregistered(true)
					if tc.timeout > 0 {
						c.SetTimeoutSeconds(tc.timeout)
					}
				}
				if tc.config["sealed"] == true {
					j = e.scriptJob(fmt.Sprintf("failing%d", i), tc.fn(cancel), func(c *ent.DiscoveryJobCreate) {
						mod(c)
						c.SetCredentialsSealed([]byte("sealed"))
					})
				} else if tc.fn != nil {
					j = e.scriptJob(fmt.Sprintf("failing%d", i), tc.fn(cancel), mod)
				} else {
					j = e.job(fmt.Sprintf("failing%d", i), func(c *ent.DiscoveryJobCreate) { mod(c); c.SetConfig(tc.config) })
				}
				before := e.snapshot()
				runs := e.count("run")
				res, err := e.runner().RunJob(ctx, j.ID, false, "schedule")
				if err != nil {
					t.Fatalf("RunJob: %v", err)
				}
				run := res.Run
				if run.Status != tc.status || run.Error == nil || !strings.Contains(*run.Error, tc.errText) {
					t.Fatalf("run %s error %q, want %s with %q", run.Status, str(run.Error), tc.status, tc.errText)
				}
				if res.Outcome == nil || res.Outcome.Counts != (schematype.RunCounts{}) || len(run.Changes) != 0 || run.Counts != (schematype.RunCounts{}) {
					t.Fatalf("a failed run reports work: %+v, %d changes", run.Counts, len(run.Changes))
				}
				if !utf8.ValidString(*run.Error) || len(*run.Error) > 4000 {
					t.Fatalf("error of %d bytes, valid UTF-8 %v", len(*run.Error), utf8.ValidString(*run.Error))
				}
				if n := e.count("run"); n != runs+1 {
					t.Fatalf("%d run rows written, want 1", n-runs)
				}
				row := e.c.DiscoveryRun.GetX(e.ctx, run.ID)
				if row.Status != tc.status || str(row.Error) != str(run.Error) || row.FinishedAt == nil || row.Trigger != "schedule" ||
					row.DiscoveryJobID == nil || *row.DiscoveryJobID != j.ID || row.Counts != (schematype.RunCounts{}) {
					t.Fatalf("run row %+v", row)
				}
				// Apart from the run row, the database is as it was.
				after := strings.Replace(e.snapshot(), fmt.Sprintf("run %d\n", runs+1), fmt.Sprintf("run %d\n", runs), 1)
				if after != before {
					t.Fatalf("a failed run wrote:\n%s\nwas:\n%s", after, before)
				}
				if jj := e.c.DiscoveryJob.GetX(e.ctx, j.ID); jj.LastRunAt != nil {
					t.Fatalf("failed run stamped the job's last run")
				}
			})
		}
	})
}

// TestRunnerDryRun checks that a dry run writes nothing (no run row, no
// drift, no CI, no audit event, no sighting) but returns the changes a real
// run then makes.
func TestRunnerDryRun(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		estate(e)
		cur := estateObs()
		j := e.scriptJob("inventory", sees(&cur), func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) })
		before := e.snapshot()
		dry := e.runJob(j, true)
		if after := e.snapshot(); after != before {
			t.Fatalf("dry run wrote:\n%s\nwas:\n%s", after, before)
		}
		if jj := e.c.DiscoveryJob.GetX(e.ctx, j.ID); jj.LastRunAt != nil {
			t.Fatal("dry run stamped the job's last run")
		}
		if dry.Run.ID != 0 || !dry.Run.DryRun || dry.Run.Status != discoveryrun.StatusSucceeded || dry.Run.FinishedAt == nil {
			t.Fatalf("dry run %d %v %s", dry.Run.ID, dry.Run.DryRun, dry.Run.Status)
		}
		describe := func(cs []schematype.PlannedChange) []string {
			var out []string
			for _, c := range cs {
				out = append(out, fmt.Sprintf("%s %s %s→%s %s %s", c.Action, c.Field, c.Before, c.After, c.DriftKind, c.ObservationKey))
			}
			return out
		}
		got := describe(dry.Outcome.Changes)
		for _, want := range []string{
			"CREATE  →fresh  fresh",
			"FILL identifier.IP →10.5.0.1  ",
			"OPEN_DRIFT description old→new ATTRIBUTE_CHANGED web",
			"OPEN_DRIFT facts.port.tcp.443 →open ATTRIBUTE_CHANGED web",
			"FILL facts.os.name →linux  ",
			"FILL description →postgres  ",
			"FILL identifier.MAC →aa:bb:cc:00:0e:01  ",
			"OPEN_DRIFT  →" + `{"kind":"SERVER","name":"fresh","identifiers":[{"kind":"IP","value":"10.5.0.1"},{"kind":"HOSTNAME","value":"fresh"}]}` + " UNREGISTERED fresh",
		} {
			found := false
			for _, g := range got {
				found = found || g == want
			}
			if !found {
				t.Fatalf("dry-run changes lack %q:\n%s", want, strings.Join(got, "\n"))
			}
		}
		wet := e.runJob(j, false)
		if fmt.Sprint(describe(wet.Outcome.Changes)) != fmt.Sprint(got) || wet.Outcome.Counts != dry.Outcome.Counts {
			t.Fatalf("the real run did\n%s\nthe dry run said\n%s", strings.Join(describe(wet.Outcome.Changes), "\n"), strings.Join(got, "\n"))
		}
		if n := e.count("drift"); n != dry.Outcome.Counts.DriftsOpened {
			t.Fatalf("%d drifts after the real run, dry run predicted %d", n, dry.Outcome.Counts.DriftsOpened)
		}
	})
}

// TestRunnerPartial checks that a run whose source reports host errors is
// PARTIAL: what it saw is reconciled, but nothing is marked missing and
// nothing resolved.
func TestRunnerPartial(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := estate(e)
		cur := estateObs()
		partial := false
		j := e.scriptJob("inventory", func(ctx context.Context, en discovery.Env) (*discovery.Result, error) {
			res, _ := sees(&cur)(ctx, en)
			if partial {
				res.HostErrors = map[string]string{"10.0.0.7": "timeout", "10.0.0.3": "refused"}
			}
			return res, nil
		}, nil)
		e.runJob(j, false)
		before := views(e.drifts())
		// web's description is back to the record and db vanished, but two
		// hosts did not answer.
		cur = estateObs()[:1]
		cur[0] = withFields(cur[0], "description", "old")
		partial = true
		e.tick(time.Hour)
		res := e.runJob(j, false)
		if res.Run.Status != discoveryrun.StatusPartial || fmt.Sprint(runner.SortedHostErrors(res.Run.HostErrors)) != "[[10.0.0.3 refused] [10.0.0.7 timeout]]" {
			t.Fatalf("run %s host errors %v", res.Run.Status, res.Run.HostErrors)
		}
		row := e.c.DiscoveryRun.GetX(e.ctx, res.Run.ID)
		if row.Status != discoveryrun.StatusPartial || len(row.HostErrors) != 2 {
			t.Fatalf("run row %s %v", row.Status, row.HostErrors)
		}
		if c := res.Outcome.Counts; c.Missing != 0 || c.DriftsResolved != 0 {
			t.Fatalf("partial run counts %+v", c)
		}
		if got := views(e.drifts()); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("partial run changed drifts:\n%v\nwas\n%v", got, before)
		}
		for _, s := range e.c.Sighting.Query().AllX(e.ctx) {
			if s.MissedRuns != 0 {
				t.Fatalf("partial run counted a miss for CI %d", s.ConfigurationItemID)
			}
		}
		// The next complete run concludes both.
		partial = false
		e.tick(time.Hour)
		res = e.runJob(j, false)
		if c := res.Outcome.Counts; c.Missing != 1 || c.DriftsResolved != 2 {
			t.Fatalf("complete run counts %+v, want db missing, web's description and fresh's unregistered drift resolved", c)
		}
		if d := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.ConfigurationItemID(cis[0].ID), drift.FieldName("description")) }); d[0].Status != drift.StatusResolved {
			t.Fatalf("description drift %s", d[0].Status)
		}
	})
}

// TestRunnerLoadsContext checks what the runner reads besides the job:
// enabled ignore rules from the database, and other jobs' IDs and
// staleness for precedence.
func TestRunnerLoadsContext(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "a", Hostname: "a", Description: "x", Tags: []string{"lab"}}, ciSpec{Name: "b", Hostname: "b", Description: "x"})
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			if err := tx.DriftIgnoreRule.Create().SetName("lab").SetTag("lab").Exec(ctx); err != nil {
				return err
			}
			return tx.DriftIgnoreRule.Create().SetName("off").SetFieldPattern("*").SetEnabled(false).Exec(ctx)
		})
		see := func(desc string) []discovery.Observation {
			return []discovery.Observation{withFields(obs("a"), "hostname", "a", "description", desc), withFields(obs("b"), "hostname", "b", "description", desc)}
		}
		cmdbObs := see("from cmdb-sync")
		hi := e.scriptJob("cmdb-sync", sees(&cmdbObs), func(c *ent.DiscoveryJobCreate) { c.SetMode("UPDATE").SetPriority(80).SetStaleAfterHours(24) })
		e.runJob(hi, false)
		// The rule silenced a's drift; b's is open. The update-mode job took
		// both values.
		for _, ci := range cis {
			if got := e.ci(ci.ID); str(got.Description) != "from cmdb-sync" {
				t.Fatalf("%s description %q", ci.Name, str(got.Description))
			}
		}
		ds := e.drifts()
		checkDrifts(t, ds,
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusAccepted, CI: cis[0].ID, Field: "description", Recorded: "x", Observed: "from cmdb-sync"},
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusAccepted, CI: cis[1].ID, Field: "description", Recorded: "x", Observed: "from cmdb-sync"},
		)

		// A lower-priority update job disagrees: the higher one's values
		// stand while its sightings are fresh.
		loObs := see("from ssh")
		lo := e.scriptJob("ssh", sees(&loObs), func(c *ent.DiscoveryJobCreate) { c.SetMode("UPDATE") })
		e.tick(time.Hour)
		e.runJob(lo, false)
		checkDrifts(t, e.drifts(func(q *ent.DriftQuery) { q.Where(drift.Source("discovery:ssh")) }),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusIgnored, CI: cis[0].ID, Field: "description", Recorded: "from cmdb-sync", Observed: "from ssh", IgnoredBy: "lab"},
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: cis[1].ID, Field: "description", Recorded: "from cmdb-sync", Observed: "from ssh"},
		)
		// Two days later cmdb-sync has not seen them: stale, taken over.
		e.tick(48 * time.Hour)
		e.runJob(lo, false)
		for _, ci := range cis {
			got := e.ci(ci.ID)
			if str(got.Description) != "from ssh" || got.Provenance["description"].By != "discovery:ssh" {
				t.Fatalf("%s description %q by %s", ci.Name, str(got.Description), got.Provenance["description"].By)
			}
		}
		checkDrifts(t, e.drifts(func(q *ent.DriftQuery) { q.Where(drift.Source("discovery:ssh")) }),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusAccepted, CI: cis[0].ID, Field: "description", Recorded: "from cmdb-sync", Observed: "from ssh", IgnoredBy: "lab"},
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusAccepted, CI: cis[1].ID, Field: "description", Recorded: "from cmdb-sync", Observed: "from ssh"},
		)
	})
}

// TestRunnerOneOff checks a run without a job: the source kind and config
// come from the spec, the actor is the source kind, and no sightings are
// kept.
func TestRunnerOneOff(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		estate(e)
		cur := estateObs()
		s := register(t, sees(&cur))
		res, err := e.runner().Run(e.ctx, runner.Spec{SourceKind: fakeKind, Config: []byte(`{"script":"` + s + `"}`), Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Run.Status != discoveryrun.StatusSucceeded || res.Run.DiscoveryJobID != nil || res.Run.Trigger != "cli" {
			t.Fatalf("run %s job %v trigger %s", res.Run.Status, res.Run.DiscoveryJobID, res.Run.Trigger)
		}
		if n := e.count("sighting"); n != 0 {
			t.Fatalf("%d sightings", n)
		}
		if ev := e.lastEvent(ent.TypeConfigurationItem, estateDB(e).ID); ev.Actor != "discovery:fake" {
			t.Fatalf("one-off run audited as %s", ev.Actor)
		}
		for _, d := range e.drifts() {
			if d.DiscoveryJobID != nil || d.RunID == nil || *d.RunID != res.Run.ID {
				t.Fatalf("drift %v job %v run %v", view(d), d.DiscoveryJobID, d.RunID)
			}
		}
	})
}

func estateDB(e *env) *ent.ConfigurationItem {
	return e.c.ConfigurationItem.Query().Where(configurationitem.Name("db")).OnlyX(e.ctx)
}
