package reconcile_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/discovery/terraform"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// identifierlessState is a Terraform state v4 whose resources carry no
// identifier Cairn knows: a load balancer with only its name, an ECS
// cluster, and two GCP instances (count) with only a bare numeric id.
const identifierlessState = `{
  "version": 4,
  "terraform_version": "1.7.5",
  "serial": 3,
  "lineage": "5e0c8d52-0f4a-4c1e-9d55-2b7c1d7c9a01",
  "outputs": {},
  "resources": [
    {"mode": "managed", "type": "aws_lb", "name": "front",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"name": "front"}}]},
    {"mode": "managed", "type": "aws_ecs_cluster", "name": "jobs",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"name": "jobs"}}]},
    {"mode": "managed", "type": "google_compute_instance", "name": "worker",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [
       {"index_key": 0, "schema_version": 6, "attributes": {"id": "8412345678901234567"}},
       {"index_key": 1, "schema_version": 6, "attributes": {"id": "8412345678901234568"}}
     ]}
  ]
}`

// TestIdentifierlessResourcesAreNotDuplicated (issue 18, defect 2): a
// Terraform resource whose state carries no identifier Cairn knows is
// found again by the job that created it through its SOURCE_KEY (the
// resource address, namespaced by the job), so three runs of the same
// state with createUnregistered leave one CI per resource and no MISSING
// drift.
func TestIdentifierlessResourcesAreNotDuplicated(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		reg, err := discovery.NewRegistry(terraform.Kind())
		if err != nil {
			t.Fatal(err)
		}
		state := filepath.Join(t.TempDir(), "terraform.tfstate")
		if err := os.WriteFile(state, []byte(identifierlessState), 0o600); err != nil {
			t.Fatal(err)
		}
		j := e.job("tf-prod", func(c *ent.DiscoveryJobCreate) {
			c.SetSourceKind("terraform").SetConfig(map[string]any{"file": state}).
				SetCreateUnregistered(true).SetMissingGrace(1).
				// No missing guard: a re-run that matched nothing must show
				// as duplicates and MISSING drifts, not be held as partial.
				SetMaxMissingPercent(100)
		})
		rn := &runner.Runner{Client: e.c, Registry: reg, Dialect: e.dialect, Holder: "test",
			Now: func() time.Time { return e.now }}
		for run := 1; run <= 3; run++ {
			res, err := rn.Run(e.ctx, runner.Spec{Job: j, Trigger: "cli"})
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			if res.Run.Status != discoveryrun.StatusSucceeded {
				t.Fatalf("run %d: %s, log:\n%s", run, res.Run.Status, res.Run.Log)
			}
			e.tick(time.Hour)
		}
		cis, err := e.c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).All(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ci := range cis {
			names = append(names, ci.Name)
		}
		sort.Strings(names)
		want := []string{"front", "google_compute_instance.worker[0]", "google_compute_instance.worker[1]", "jobs"}
		if len(names) != len(want) {
			t.Fatalf("after 3 runs: %d CIs %q, want one per resource %q", len(names), names, want)
		}
		for i := range want {
			if names[i] != want[i] {
				t.Fatalf("after 3 runs: CIs %q, want %q", names, want)
			}
		}
		if ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.KindEQ(drift.KindMissing)) }); len(ds) > 0 {
			t.Errorf("after 3 runs: MISSING drifts %q, want none", views(ds))
		}
		keys, err := e.c.Identifier.Query().Where(identifier.KindEQ(identifier.KindSourceKey)).
			Order(ent.Asc(identifier.FieldValue)).All(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range keys {
			got = append(got, k.Value+" by "+k.Source)
		}
		wantKeys := []string{
			"discovery:tf-prod|aws_ecs_cluster.jobs by discovery:tf-prod",
			"discovery:tf-prod|aws_lb.front by discovery:tf-prod",
			"discovery:tf-prod|google_compute_instance.worker[0] by discovery:tf-prod",
			"discovery:tf-prod|google_compute_instance.worker[1] by discovery:tf-prod",
		}
		if len(got) != len(wantKeys) {
			t.Fatalf("SOURCE_KEY identifiers %q, want %q", got, wantKeys)
		}
		for i := range wantKeys {
			if got[i] != wantKeys[i] {
				t.Fatalf("SOURCE_KEY identifiers %q, want %q", got, wantKeys)
			}
		}

		// CIs this job recorded before source keys existed: the next run
		// adopts them by name (each job-sighted CI of that name without a
		// key) and records their keys, instead of creating them again.
		if _, err := e.db.Store.Writer().ExecContext(e.ctx, `DELETE FROM identifiers WHERE kind = 'SOURCE_KEY'`); err != nil {
			t.Fatal(err)
		}
		res, err := rn.Run(e.ctx, runner.Spec{Job: j, Trigger: "cli"})
		if err != nil || res.Run.Status != discoveryrun.StatusSucceeded || res.Run.Counts.Created != 0 || res.Run.Counts.Matched != 4 {
			t.Fatalf("run after the upgrade: %v %s %+v; want SUCCEEDED, 4 matched, none created", err, res.Run.Status, res.Run.Counts)
		}
		if n, err := e.c.Identifier.Query().Where(identifier.KindEQ(identifier.KindSourceKey)).Count(e.ctx); err != nil || n != 4 {
			t.Errorf("SOURCE_KEY identifiers after the adopting run = %d, %v; want 4", n, err)
		}
		if n, err := e.c.ConfigurationItem.Query().Count(e.ctx); err != nil || n != 4 {
			t.Errorf("CIs after the adopting run = %d, %v; want 4", n, err)
		}
	})
}
