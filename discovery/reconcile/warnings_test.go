package reconcile_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/discovery/terraform"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestSourceWarningsReachTheRun: what a source read but could not use (a
// Terraform dependency naming a resource the state does not hold) is said
// in the run's log, not only in the server's: a run that succeeded on part
// of its input is not silent about the rest.
func TestSourceWarningsReachTheRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		reg, err := discovery.NewRegistry(terraform.Kind())
		if err != nil {
			t.Fatal(err)
		}
		state, err := filepath.Abs("../../testdata/discovery/terraform/aws.tfstate")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := json.Marshal(map[string]string{"file": state})
		if err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: e.c, Registry: reg, Dialect: e.dialect, Holder: "test"}
		res, err := rn.Run(e.ctx, runner.Spec{SourceKind: "terraform", Config: cfg,
			Mode: "REPORT", CreateUnregistered: true, Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Run.Status != discoveryrun.StatusSucceeded || !strings.HasPrefix(res.Run.Log, "3 resources of types Cairn does not map were skipped: aws_db_subnet_group ×1, aws_iam_role ×1, aws_lb_target_group ×1\n2 dependency references unresolved (no such resource in the state): ") {
			t.Errorf("run %s, log:\n%s\nwant SUCCEEDED, the log starting with the 3 skipped resources and the 2 unresolved references", res.Run.Status, res.Run.Log)
		}
	})
}
