package hooks_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func open(t *testing.T, dsn string) *ent.Client {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db.Client
}

func identifiers(t *testing.T, c *ent.Client, ciID int) []string {
	t.Helper()
	ids, err := c.Identifier.Query().Where(identifier.ConfigurationItemID(ciID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range ids {
		out = append(out, string(i.Kind)+"="+i.Value)
	}
	sort.Strings(out)
	return out
}

func TestWritesOutsideTransactionAreRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		err := c.Vendor.Create().SetName("Dell").Exec(context.Background())
		if err == nil || !strings.Contains(err.Error(), "must run in a transaction") {
			t.Fatalf("create outside a transaction: err = %v, want a refusal", err)
		}
		if n := c.Vendor.Query().CountX(context.Background()); n != 0 {
			t.Fatalf("vendors = %d, want 0", n)
		}
	})
}

func TestIdentifiersFollowPrimaryFields(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "tester")
		var id int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("db01").SetKind(configurationitem.KindServer).
				SetHostname(" DB01.Example.COM. ").SetSerialNumber("sn-1").Save(ctx)
			if err != nil {
				return err
			}
			id = ci.ID
			return tx.Identifier.Create().SetConfigurationItemID(id).SetKind(identifier.KindMAC).
				SetValue("AA-BB-CC-DD-EE-0F").SetSource("discovery:test").Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(identifiers(t, c, id), " ")
		want := "FQDN=db01.example.com HOSTNAME=db01 MAC=aa:bb:cc:dd:ee:0f SERIAL=SN-1"
		if got != want {
			t.Fatalf("identifiers after create = %q, want %q", got, want)
		}
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(id).SetHostname("db02").ClearSerialNumber().Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		got = strings.Join(identifiers(t, c, id), " ")
		want = "FQDN=db01.example.com HOSTNAME=db02 MAC=aa:bb:cc:dd:ee:0f"
		if got != want {
			t.Fatalf("identifiers after update = %q, want %q", got, want)
		}
		ev, err := c.AuditEvent.Query().Where(auditevent.EntityID(id), auditevent.ActionEQ(auditevent.ActionUpdate)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, ch := range ev.Changes {
			fields = append(fields, ch.Field)
		}
		if strings.Join(fields, ",") != "hostname,serial_number" || ev.Actor != "tester" {
			t.Fatalf("update event fields %v actor %q, want hostname,serial_number by tester", fields, ev.Actor)
		}
		if ev.Changes[0].Before != "db01" || ev.Changes[0].After != "db02" {
			t.Fatalf("hostname change = %v → %v, want db01 → db02", ev.Changes[0].Before, ev.Changes[0].After)
		}
	})
}

func TestDeletingACICascadesThroughTheAuditTrail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "tester")
		var app1, vm int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			a := tx.ConfigurationItem.Create().SetName("app").SetKind(configurationitem.KindApplication).SaveX(ctx)
			v := tx.ConfigurationItem.Create().SetName("vm").SetKind(configurationitem.KindVM).SetHostname("vm1").SaveX(ctx)
			app1, vm = a.ID, v.ID
			return tx.Relationship.Create().SetFromID(a.ID).SetToID(v.ID).SetType(relationship.TypeRunsOn).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		time.Sleep(5 * time.Millisecond)
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.DeleteOneID(vm).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if n := c.Relationship.Query().CountX(ctx); n != 0 {
			t.Fatalf("relationships after delete = %d, want 0", n)
		}
		if n := c.Identifier.Query().CountX(ctx); n != 0 {
			t.Fatalf("identifiers after delete = %d, want 0", n)
		}
		deletes := c.AuditEvent.Query().Where(auditevent.ActionEQ(auditevent.ActionDelete)).
			Order(auditevent.ByID()).AllX(ctx)
		var types []string
		for _, d := range deletes {
			types = append(types, d.EntityType)
		}
		if got := strings.Join(types, ","); got != "Relationship,Identifier,ConfigurationItem" {
			t.Fatalf("delete events = %s, want Relationship,Identifier,ConfigurationItem", got)
		}
		// The app's trail still shows the relationship before the delete.
		snap, err := audit.RebuildCI(ctx, c, app1, before)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Relationships) != 1 || snap.Relationships[0].ToID != vm || snap.Relationships[0].Type != "RUNS_ON" {
			t.Fatalf("app relationships before the delete = %+v, want one RUNS_ON to %d", snap.Relationships, vm)
		}
		snap, err = audit.RebuildCI(ctx, c, app1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Relationships) != 0 {
			t.Fatalf("app relationships now = %+v, want none", snap.Relationships)
		}
		gone, err := audit.RebuildCI(ctx, c, vm, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if gone.Existed || gone.Fields["hostname"] != "vm1" {
			t.Fatalf("deleted vm snapshot existed=%v hostname=%v, want false and vm1", gone.Existed, gone.Fields["hostname"])
		}
	})
}
