package incident_test

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/incident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// estate is a small CMDB for the tests of this package:
//
//	web-01      hostname, FQDN web-01.prod.example.com, serial SN-WEB-01, asset tag AT-0001,
//	            IP 10.0.0.1, MAC 00:1a:2b:3c:4d:5e; owner alice (person in team ops);
//	            asset with warranty to 2027-03-01, WARRANTY contract W-OLD 2022-01-01..2025-01-01
//	edge-v6     IP 2001:db8::1
//	Mail relay  FQDN mx02.corp.example.com only (no host name recorded)
//	db-a, db-b  share IP 10.0.0.9
//	Cache West, Cache East  FQDNs cache.west.example.com, cache.east.example.com
//	Payroll Server, Payroll Batch, payments  names only
//	lb -> web-01 -> app -> db-a (DEPENDS_ON, RUNS_ON, USES); db-b -> app (USES)
//	app: WARRANTY contracts W-APP 2024-01-01..2026-06-30, W-APP2 2026-07-01..2028-06-30
//	services: Shop {lb, web-01} depends on Payments {app}; Payments {app, db-a}; Reporting {db-b}
type estate struct {
	db    *app.DB
	e     *incident.Engine
	ids   map[string]int
	names map[int]string
}

func (s *estate) name(id int) string { return s.names[id] }

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// run runs fn on SQLite and PostgreSQL, each with a fresh estate.
func run(t *testing.T, fn func(t *testing.T, s *estate)) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s := &estate{db: db, e: incident.New(db.Client, db.Store), ids: map[string]int{}, names: map[int]string{}}
		s.seed(t)
		fn(t, s)
	})
}

func (s *estate) seed(t *testing.T) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test")
	err := txn.Do(ctx, s.db.Client, func(tx *ent.Client) error {
		keep := func(name string, id int) { s.ids[name], s.names[id] = id, name }
		ops, err := tx.Owner.Create().SetName("ops").SetKind(owner.KindTeam).Save(ctx)
		if err != nil {
			return err
		}
		alice, err := tx.Owner.Create().SetName("alice").SetKind(owner.KindPerson).SetTeamID(ops.ID).Save(ctx)
		if err != nil {
			return err
		}
		keep("ops", ops.ID)
		keep("alice", alice.ID)
		ci := func(name string, set func(*ent.ConfigurationItemCreate)) error {
			c := tx.ConfigurationItem.Create().SetName(name).SetKind(configurationitem.KindServer)
			if set != nil {
				set(c)
			}
			v, err := c.Save(ctx)
			if err == nil {
				keep(name, v.ID)
			}
			return err
		}
		ident := func(ci string, kind identifier.Kind, value string) error {
			return tx.Identifier.Create().SetConfigurationItemID(s.ids[ci]).SetKind(kind).SetValue(value).Exec(ctx)
		}
		steps := []func() error{
			func() error {
				return ci("web-01", func(c *ent.ConfigurationItemCreate) {
					c.SetHostname("web-01").SetFqdn("web-01.prod.example.com").SetSerialNumber("SN-WEB-01").
						SetAssetTag("AT-0001").SetOwnerID(alice.ID)
				})
			},
			func() error { return ident("web-01", identifier.KindIP, "10.0.0.1") },
			func() error { return ident("web-01", identifier.KindMAC, "00:1a:2b:3c:4d:5e") },
			func() error { return ci("edge-v6", nil) },
			func() error { return ident("edge-v6", identifier.KindIP, "2001:db8::1") },
			func() error { return ci("Mail relay", nil) },
			func() error { return ident("Mail relay", identifier.KindFQDN, "mx02.corp.example.com") },
			func() error { return ci("db-b", nil) },
			func() error { return ci("db-a", nil) },
			func() error { return ident("db-b", identifier.KindIP, "10.0.0.9") },
			func() error { return ident("db-a", identifier.KindIP, "10.0.0.9") },
			func() error { return ci("Cache West", nil) },
			func() error { return ident("Cache West", identifier.KindFQDN, "cache.west.example.com") },
			func() error { return ci("Cache East", nil) },
			func() error { return ident("Cache East", identifier.KindFQDN, "cache.east.example.com") },
			func() error { return ci("Payroll Server", nil) },
			func() error { return ci("Payroll Batch", nil) },
			func() error { return ci("payments", nil) },
			func() error { return ci("lb", nil) },
			func() error { return ci("app", nil) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		for _, r := range []struct {
			from string
			typ  relationship.Type
			to   string
		}{{"lb", relationship.TypeDependsOn, "web-01"}, {"web-01", relationship.TypeRunsOn, "app"}, {"app", relationship.TypeUses, "db-a"},
			{"db-b", relationship.TypeUses, "app"}} {
			if err := tx.Relationship.Create().SetFromID(s.ids[r.from]).SetToID(s.ids[r.to]).SetType(r.typ).Exec(ctx); err != nil {
				return err
			}
		}
		if err := tx.Asset.Create().SetConfigurationItemID(s.ids["web-01"]).SetCostMinor(120000).SetCurrency("EUR").
			SetPurchaseDate(date("2022-01-01")).SetInServiceDate(date("2022-01-01")).SetUsefulLifeMonths(36).
			SetWarrantyEnd(date("2027-03-01")).Exec(ctx); err != nil {
			return err
		}
		w, err := tx.Contract.Create().SetNumber("W-OLD").SetKind(contract.KindWarranty).SetStartDate(date("2022-01-01")).
			SetEndDate(date("2025-01-01")).SetCurrency("EUR").AddCoveredCiIDs(s.ids["web-01"]).Save(ctx)
		if err != nil {
			return err
		}
		keep("W-OLD", w.ID)
		for _, k := range []struct{ number, start, end string }{
			{"W-APP", "2024-01-01", "2026-06-30"}, {"W-APP2", "2026-07-01", "2028-06-30"},
		} {
			w, err := tx.Contract.Create().SetNumber(k.number).SetKind(contract.KindWarranty).SetStartDate(date(k.start)).
				SetEndDate(date(k.end)).SetCurrency("EUR").AddCoveredCiIDs(s.ids["app"]).Save(ctx)
			if err != nil {
				return err
			}
			keep(k.number, w.ID)
		}
		payments, err := tx.Service.Create().SetName("Payments").SetTier(0).AddMemberIDs(s.ids["app"], s.ids["db-a"]).Save(ctx)
		if err != nil {
			return err
		}
		keep("Payments", payments.ID)
		shop, err := tx.Service.Create().SetName("Shop").SetTier(1).AddMemberIDs(s.ids["lb"], s.ids["web-01"]).
			AddDependsOnIDs(payments.ID).Save(ctx)
		if err != nil {
			return err
		}
		keep("Shop", shop.ID)
		reporting, err := tx.Service.Create().SetName("Reporting").SetTier(2).AddMemberIDs(s.ids["db-b"]).Save(ctx)
		if err != nil {
			return err
		}
		keep("Reporting", reporting.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
}
