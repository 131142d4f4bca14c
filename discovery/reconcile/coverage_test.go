package reconcile_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// cloudFacts are the facts of an AWS resource in account 111 and region.
func cloudFacts(region string) map[string]any {
	return map[string]any{"cloud.provider": "aws", "cloud.account": "111111111111", "cloud.region": region}
}

// cloudVM observes an EC2 instance by its instance ID.
func cloudVM(instance, region string) discovery.Observation {
	o := obs(instance, id(ident.CloudID, instance))
	o.Kind = discovery.KindVM
	o.Facts = map[string]string{"cloud.provider": "aws", "cloud.account": "111111111111", "cloud.region": region}
	return o
}

// missedRuns returns job's sighting of ci: its missed runs, -1 when none.
func (e *env) missedRuns(job, ci int) int {
	e.t.Helper()
	s, err := e.c.Sighting.Query().Where(sighting.DiscoveryJobID(job), sighting.ConfigurationItemID(ci)).Only(e.ctx)
	if ent.IsNotFound(err) {
		return -1
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return s.MissedRuns
}

// TestCoverage: a complete run that covers an account and region misses
// every live CI in its scope carrying those facts that it did not see,
// whoever recorded it ("in state but not running"): a sighting is made
// (never stamping the CI as seen), the missing drift opens after the grace
// and is re-detected; CIs of another region, retired ones and ones outside
// the job's scope are not its; a partial run concludes nothing; the
// missing guard counts covered CIs.
func TestCoverage(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(
			ciSpec{Name: "i-1", Kind: "VM", Facts: cloudFacts("eu-west-1"), IDs: []discovery.Identifier{id(ident.CloudID, "i-1")}},
			ciSpec{Name: "i-2", Kind: "VM", Facts: cloudFacts("eu-west-1"), IDs: []discovery.Identifier{id(ident.CloudID, "i-2")}},
			ciSpec{Name: "i-3", Kind: "VM", Facts: cloudFacts("us-east-1"), IDs: []discovery.Identifier{id(ident.CloudID, "i-3")}},
			ciSpec{Name: "i-4", Kind: "VM", Status: configurationitem.StatusRetired, Facts: cloudFacts("eu-west-1")},
			ciSpec{Name: "db-5", Kind: "DATABASE", Facts: cloudFacts("eu-west-1")},
			ciSpec{Name: "i-6", Kind: "VM", Facts: map[string]any{"cloud.provider": "aws", "cloud.region": "eu-west-1"}},
		)
		i2 := cis[1]
		covered := []discovery.Coverage{{Facts: map[string]string{"cloud.provider": "aws", "cloud.account": "111111111111", "cloud.region": "eu-west-1"}}}
		partial := false
		j := e.scriptJob("aws", func(context.Context, discovery.Env) (*discovery.Result, error) {
			res := &discovery.Result{Observations: []discovery.Observation{cloudVM("i-1", "eu-west-1")}, Coverage: covered}
			if partial {
				res.Partial, res.HostErrors = true, map[string]string{"us-east-1": "throttled"}
			}
			return res, nil
		}, func(c *ent.DiscoveryJobCreate) {
			c.SetScope(schematype.DiscoveryScope{Kinds: []string{"VM"}}).SetMaxMissingPercent(0)
		})
		missingOf := func(ci int) []*ent.Drift {
			return e.drifts(func(q *ent.DriftQuery) { q.Where(drift.ConfigurationItemID(ci), drift.KindEQ(drift.KindMissing)) })
		}

		e.tick(time.Hour)
		e.runJob(j, false)
		checkDrifts(t, missingOf(i2.ID), driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: i2.ID, Field: "discovery:aws",
			Recorded: "present", Observed: "not seen by 1 complete run"})
		if got := e.missedRuns(j.ID, i2.ID); got != 1 {
			t.Fatalf("sighting of i-2 missed %d runs, want 1", got)
		}
		if got := e.ci(i2.ID); got.LastSeenAt != nil {
			t.Fatalf("i-2 stamped as seen at %v", got.LastSeenAt)
		}
		for _, ci := range cis[2:] {
			if ds := e.driftsOf(ci.ID); len(ds) != 0 || e.missedRuns(j.ID, ci.ID) != -1 {
				t.Fatalf("%s is not covered, has drifts %v and sighting %d", ci.Name, views(ds), e.missedRuns(j.ID, ci.ID))
			}
		}

		// Partial: nothing concluded.
		partial = true
		e.tick(time.Hour)
		if res := e.runJob(j, false); res.Run.Status != discoveryrun.StatusPartial {
			t.Fatalf("run %s, want PARTIAL", res.Run.Status)
		}
		if got := e.missedRuns(j.ID, i2.ID); got != 1 {
			t.Fatalf("a partial run counted a miss: %d", got)
		}

		partial = false
		e.tick(time.Hour)
		e.runJob(j, false)
		checkDrifts(t, missingOf(i2.ID), driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: i2.ID, Field: "discovery:aws",
			Recorded: "present", Observed: "not seen by 2 complete runs"})

		// The guard counts covered CIs: i-2 of two is above 10%.
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.DiscoveryJob.UpdateOneID(j.ID).SetMaxMissingPercent(10).Exec(ctx)
		})
		e.tick(time.Hour)
		res := e.runJob(e.c.DiscoveryJob.GetX(e.ctx, j.ID), false)
		if res.Outcome.Held == "" || res.Run.Status != discoveryrun.StatusPartial || !strings.Contains(res.Outcome.Held, "1 of 2") {
			t.Fatalf("run %s held %q, want held with 1 of 2", res.Run.Status, res.Outcome.Held)
		}

		// Without coverage i-2 stays this job's: it has a sighting now.
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.DiscoveryJob.UpdateOneID(j.ID).SetMaxMissingPercent(0).Exec(ctx)
		})
		j = e.c.DiscoveryJob.GetX(e.ctx, j.ID)
		covered = nil
		e.tick(time.Hour)
		res = e.runJob(j, false)
		if ds := missingOf(i2.ID); len(ds) != 1 || ds[0].Status != drift.StatusOpen || str(ds[0].Observed) != "not seen by 3 complete runs" {
			t.Fatalf("without coverage i-2 is this job's own unseen sighting: %v", views(ds))
		}
		if res.Run.Status != discoveryrun.StatusSucceeded {
			t.Fatalf("run %s", res.Run.Status)
		}
	})
}

// TestExpectedIn: a CI a run observes that none of the expected jobs
// records is "running but not in state", an UNREGISTERED drift on
// expected_in.<job>; a job that does not exist is a log line; a partial
// run checks nothing; the drift resolves when the expected job records the
// CI.
func TestExpectedIn(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(
			ciSpec{Name: "i-1", Kind: "VM", IDs: []discovery.Identifier{id(ident.CloudID, "i-1")}},
			ciSpec{Name: "i-2", Kind: "VM", IDs: []discovery.Identifier{id(ident.CloudID, "i-2")}},
			ciSpec{Name: "i-3", Kind: "VM", IDs: []discovery.Identifier{id(ident.CloudID, "i-3")}},
		)
		i1, i2, i3 := cis[0], cis[1], cis[2]
		tf := e.job("tf-prod", nil)
		e.reconcile(e.opts(tf), cloudVM("i-1", "eu-west-1"))

		seen := []discovery.Observation{cloudVM("i-1", "eu-west-1"), cloudVM("i-2", "eu-west-1")}
		partial := false
		j := e.scriptJob("aws", func(context.Context, discovery.Env) (*discovery.Result, error) {
			return &discovery.Result{Observations: seen, ExpectedIn: []string{"discovery:tf-prod", "discovery:tf-gone"}, Partial: partial}, nil
		}, nil)
		field := "expected_in.tf-prod"

		e.tick(time.Hour)
		res := e.runJob(j, false)
		checkDrifts(t, e.driftsOf(i2.ID), driftView{Kind: drift.KindUnregistered, Status: drift.StatusOpen, CI: i2.ID, Field: field, Recorded: "absent", Observed: "present"})
		if ds := e.driftsOf(i1.ID); len(ds) != 0 {
			t.Fatalf("i-1 is in state: drifts %v", views(ds))
		}
		for _, want := range []string{`expected in discovery:tf-gone: there is no discovery job "tf-gone"; not checked against it`,
			"i-2 (CI " + strconv.Itoa(i2.ID) + " i-2): running but not in the state of job tf-prod"} {
			if !slices.Contains(res.Outcome.Log, want) {
				t.Fatalf("log %q, want %q", res.Outcome.Log, want)
			}
		}

		// A partial run checks nothing.
		partial = true
		seen = append(seen, cloudVM("i-3", "eu-west-1"))
		e.tick(time.Hour)
		e.runJob(j, false)
		if ds := e.driftsOf(i3.ID); len(ds) != 0 {
			t.Fatalf("a partial run opened %v", views(ds))
		}

		// Terraform records i-2: the next complete run resolves its drift
		// and opens one for i-3.
		partial = false
		e.tick(time.Hour)
		e.reconcile(e.opts(tf), cloudVM("i-1", "eu-west-1"), cloudVM("i-2", "eu-west-1"))
		e.tick(time.Hour)
		e.runJob(j, false)
		checkDrifts(t, e.driftsOf(i2.ID), driftView{Kind: drift.KindUnregistered, Status: drift.StatusResolved, CI: i2.ID, Field: field, Recorded: "absent", Observed: "present"})
		checkDrifts(t, e.driftsOf(i3.ID), driftView{Kind: drift.KindUnregistered, Status: drift.StatusOpen, CI: i3.ID, Field: field, Recorded: "absent", Observed: "present"})

		// Terraform drops i-1 from its state (its complete run misses it):
		// i-1 is running but no longer in state.
		e.tick(time.Hour)
		e.reconcile(e.opts(tf), cloudVM("i-2", "eu-west-1"))
		e.tick(time.Hour)
		e.runJob(j, false)
		checkDrifts(t, e.drifts(func(q *ent.DriftQuery) {
			q.Where(drift.ConfigurationItemID(i1.ID), drift.KindEQ(drift.KindUnregistered))
		}),
			driftView{Kind: drift.KindUnregistered, Status: drift.StatusOpen, CI: i1.ID, Field: field, Recorded: "absent", Observed: "present"})

		// i-3 stops running: its drift resolves (its missing drift takes
		// over).
		seen = seen[:2]
		e.tick(time.Hour)
		e.runJob(j, false)
		checkDrifts(t, e.drifts(func(q *ent.DriftQuery) {
			q.Where(drift.ConfigurationItemID(i3.ID), drift.KindEQ(drift.KindUnregistered))
		}),
			driftView{Kind: drift.KindUnregistered, Status: drift.StatusResolved, CI: i3.ID, Field: field, Recorded: "absent", Observed: "present"})
	})
}
