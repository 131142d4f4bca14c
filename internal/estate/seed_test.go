package estate

import (
	"context"
	"os"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// The demo seed creates the push job "agents" that `cairn discover local`
// pushes to by default, once: a dry run only counts it, a second seed
// leaves it (and an operator's changes to it) alone.
func TestSeedDemoPushJob(t *testing.T) {
	data, err := os.ReadFile(demoPath())
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openDB(t, dsn)
		c := db.Client

		dry, err := SeedDemo(ctx, c, data, ImportOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := dry.Entity(EntDiscoveryJobs); got.Created != 1 || len(got.CreatedNames) != 1 || got.CreatedNames[0] != "agents" {
			t.Errorf("dry run reports %+v, want 1 created (agents)", got)
		}
		if n, _ := c.DiscoveryJob.Query().Count(ctx); n != 0 {
			t.Fatalf("the dry run wrote %d discovery jobs", n)
		}

		rep, err := SeedDemo(ctx, c, data, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Entity(EntDiscoveryJobs); got.Created != 1 || got.Unchanged != 0 {
			t.Errorf("seed reports %+v, want 1 created", got)
		}
		job, err := c.DiscoveryJob.Query().Where(discoveryjob.Name("agents")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if job.SourceKind != "push" || !job.CreateUnregistered || !job.Enabled || job.Mode != discoveryjob.ModeReport || job.Schedule != "" {
			t.Errorf("job %+v, want an enabled push job in REPORT mode that creates unregistered CIs, unscheduled", job)
		}
		events, err := c.AuditEvent.Query().Where(auditevent.Actor(DemoActor), auditevent.EntityType("DiscoveryJob")).Count(ctx)
		if err != nil || events != 1 {
			t.Errorf("%d audit events of the job by %q (%v), want 1", events, DemoActor, err)
		}

		// An operator turns it to UPDATE mode; seeding again keeps that.
		err = txn.Do(audit.WithActor(ctx, "operator"), c, func(tx *ent.Client) error {
			return tx.DiscoveryJob.UpdateOneID(job.ID).SetMode(discoveryjob.ModeUpdate).Exec(audit.WithActor(ctx, "operator"))
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err = SeedDemo(ctx, c, data, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Entity(EntDiscoveryJobs); got.Created != 0 || got.Unchanged != 1 {
			t.Errorf("second seed reports %+v, want 1 unchanged", got)
		}
		jobs, err := c.DiscoveryJob.Query().All(ctx)
		if err != nil || len(jobs) != 1 || jobs[0].Mode != discoveryjob.ModeUpdate {
			t.Errorf("after a second seed: %v (%v), want the one job, still in UPDATE mode", jobs, err)
		}
	})
}
