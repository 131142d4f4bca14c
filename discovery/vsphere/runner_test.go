package vsphere

import (
	"bytes"
	"context"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestRunnerEndToEnd runs a saved vsphere job (UPDATE, creating what it
// finds) through the runner against vcsim, on every backend: the
// inventory becomes 20 CIs with their relationships; after a vMotion the
// next run finds the same 20 CIs (the moved VM is the same CI) and the VM
// RUNS_ON its new host.
func TestRunnerEndToEnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		s := newSim(t, smallModel())
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		box, err := secret.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := box.SealMap(simCreds())
		if err != nil {
			t.Fatal(err)
		}
		actx := audit.WithActor(ctx, "test")
		tx, err := db.Client.Tx(actx)
		if err != nil {
			t.Fatal(err)
		}
		job, err := tx.Client().DiscoveryJob.Create().SetName("vcenter").SetSourceKind(KindName).
			SetConfig(map[string]any{"url": s.url(), "insecure": true}).
			SetMode(discoveryjob.ModeUpdate).SetCreateUnregistered(true).
			SetCredentialsSealed(sealed).Save(ent.NewTxContext(actx, tx))
		if err != nil {
			_ = tx.Rollback()
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		reg, err := discovery.NewRegistry(Kind())
		if err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: reg, Secrets: box, Dialect: db.Store.Dialect(), Holder: "test"}
		run := func() {
			t.Helper()
			res, err := rn.RunJob(ctx, job.ID, false, "manual")
			if err != nil {
				t.Fatal(err)
			}
			if res.Run.Status != discoveryrun.StatusSucceeded {
				msg := ""
				if res.Run.Error != nil {
					msg = *res.Run.Error
				}
				t.Fatalf("run %s: %s %v", res.Run.Status, msg, res.Run.HostErrors)
			}
		}
		run()
		cis, err := db.Client.ConfigurationItem.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cis != 20 {
			t.Fatalf("%d CIs after the first run, want 20", cis)
		}
		for typ, want := range map[relationship.Type]int{relationship.TypeRunsOn: 9, relationship.TypeMemberOf: 6, relationship.TypeConnectsTo: 7, relationship.TypeUses: 9} {
			if n, err := db.Client.Relationship.Query().Where(relationship.TypeEQ(typ)).Count(ctx); err != nil || n != want {
				t.Errorf("%d %s relationships (%v), want %d", n, typ, err, want)
			}
		}

		// vMotion the first cluster VM to another host of its cluster.
		vm, err := db.Client.ConfigurationItem.Query().Where(configurationitem.KindEQ(configurationitem.KindVM), configurationitem.NameHasPrefix("DC0_C0_")).
			Order(ent.Asc(configurationitem.FieldName)).First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		oldHost, err := vm.QueryOutgoing().Where(relationship.TypeEQ(relationship.TypeRunsOn)).QueryTo().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		newHost, err := db.Client.ConfigurationItem.Query().Where(configurationitem.KindEQ(configurationitem.KindServer),
			configurationitem.NameHasPrefix("DC0_C0_"), configurationitem.IDNEQ(oldHost.ID)).Order(ent.Asc(configurationitem.FieldName)).First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := build(t, insecureConfig(s)).Connect(ctx, simCreds())
		if err != nil {
			t.Fatal(err)
		}
		vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: vm.Facts["vsphere.moref"].(string)}
		hostRef := types.ManagedObjectReference{Type: "HostSystem", Value: newHost.Facts["vsphere.moref"].(string)}
		task, err := object.NewVirtualMachine(c, vmRef).Relocate(ctx, types.VirtualMachineRelocateSpec{Host: &hostRef}, types.VirtualMachineMovePriorityDefaultPriority)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}

		run()
		if n, err := db.Client.ConfigurationItem.Query().Count(ctx); err != nil || n != 20 {
			t.Errorf("%d CIs after the vMotion (%v), want the same 20", n, err)
		}
		runsOn, err := db.Client.Relationship.Query().Where(relationship.FromID(vm.ID), relationship.TypeEQ(relationship.TypeRunsOn)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var toNew bool
		for _, r := range runsOn {
			toNew = toNew || r.ToID == newHost.ID
		}
		if !toNew {
			t.Errorf("after the vMotion %s RUNS_ON %v, want %s (CI %d) among them", vm.Name, runsOn, newHost.Name, newHost.ID)
		}
	})
}
