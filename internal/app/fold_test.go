package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestFoldEdgesEqualsEntPath (issue 17): configuration item queries through
// the client app.Open builds (which folds plain edge loads into the items'
// statement on PostgreSQL) give exactly the answers of ent's own eager
// loading, on both engines, for to-one edges present and absent, lists
// empty, single and many, selected fields, named (aliased) lists, and
// queries that must not be folded; and on PostgreSQL the folded loads cost
// one statement where ent's path costs one per edge.
func TestFoldEdgesEqualsEntPath(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, backend store.Backend, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		var counter *store.CountingDriver
		db, err := app.Open(ctx, dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
			counter = store.NewCountingDriver(d)
			return counter
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := estate.SeedSynthetic(ctx, db, 300); err != nil {
			t.Fatal(err)
		}
		c := db.Client
		// Items with a location, with none of the to-one edges, and with
		// no services or identifiers at all.
		tx, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		site, err := tx.Location.Create().SetName("fra1").SetKind(location.KindSite).SetRegion("eu-central").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ConfigurationItem.Create().SetName("fold-located").SetKind(configurationitem.KindServer).SetLocation(site).Save(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ConfigurationItem.Create().SetName("fold-bare").SetKind(configurationitem.KindServer).Save(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		// The reference: ent's own loading, without the interceptor.
		ref := ent.NewClient(ent.Driver(db.Store.Driver()))

		cases := []struct {
			name string
			// folded: how many statements the query costs on PostgreSQL
			// (SQLite always takes ent's path).
			folded, unfolded int64
			build            func(c *ent.Client) *ent.ConfigurationItemQuery
		}{
			{"all edges, all fields", 1, 6, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldName)).
					WithOwner().WithVendor().WithLocation().WithServices().WithIdentifiers()
			}},
			{"selected fields, named lists", 1, 6, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.KindIn(configurationitem.KindVM, configurationitem.KindServer)).
					Order(ent.Desc(configurationitem.FieldName)).Limit(120).
					Select(configurationitem.FieldName, configurationitem.FieldOwnerID, configurationitem.FieldVendorID).
					WithOwner(func(q *ent.OwnerQuery) { q.Select(owner.FieldName, owner.FieldEmail, owner.FieldOncallContact) }).
					WithVendor(func(q *ent.VendorQuery) { q.Select(vendor.FieldName) }).
					WithNamedServices("svc", func(q *ent.ServiceQuery) { q.Select(service.FieldName, service.FieldTier, service.FieldSloTarget) }).
					WithNamedServices("svc2").
					WithNamedIdentifiers("ids", func(q *ent.IdentifierQuery) { q.Select(identifier.FieldKind, identifier.FieldValue) })
			}},
			{"one by hostname", 1, 5, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.Hostname(estate.SyntheticHostname(42))).
					WithOwner().WithVendor().WithServices().WithIdentifiers()
			}},
			{"not plain: filtered, nested and ordered loads stay ent's", 4, 4, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).Limit(50).
					WithOwner(func(q *ent.OwnerQuery) { q.WithTeam() }).
					WithServices(func(q *ent.ServiceQuery) { q.Where(service.TierLTE(1)) }).
					WithIdentifiers(func(q *ent.IdentifierQuery) { q.Order(ent.Desc(identifier.FieldValue)) })
			}},
			{"nothing to fold", 1, 1, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.NameHasPrefix("fold-"))
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				counter.Reset()
				got, err := tc.build(c).All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				stmts := counter.Count()
				want, err := tc.build(ref).All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					t.Fatal("the query found nothing: the case tests nothing")
				}
				g, w := dumpCIs(t, got), dumpCIs(t, want)
				if g != w {
					t.Fatalf("folded answer differs from ent's:\n got %.2000s\nwant %.2000s", g, w)
				}
				wantStmts := tc.unfolded
				if backend == store.Postgres {
					wantStmts = tc.folded
				}
				if stmts != wantStmts {
					t.Errorf("%d statements on %s, want %d", stmts, backend, wantStmts)
				}
			})
		}
		// First and Only fold too; Count, IDs and Exist are untouched.
		h := estate.SyntheticHostname(7)
		counter.Reset()
		one, err := c.ConfigurationItem.Query().Where(configurationitem.Hostname(h)).WithOwner().WithServices().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o, err := one.Edges.OwnerOrErr(); err != nil || o.Name == "" {
			t.Fatalf("Only: owner %v, %v", o, err)
		}
		if s, err := one.Edges.ServicesOrErr(); err != nil || len(s) == 0 {
			t.Fatalf("Only: services %v, %v", s, err)
		}
		if backend == store.Postgres && counter.Count() != 1 {
			t.Errorf("Only: %d statements, want 1", counter.Count())
		}
		n, err := c.ConfigurationItem.Query().WithOwner().WithServices().Count(ctx)
		if err != nil || n != 302 {
			t.Fatalf("Count with eager loads: %d, %v; want 302", n, err)
		}
		ids, err := c.ConfigurationItem.Query().Where(configurationitem.NameHasPrefix("fold-")).WithOwner().IDs(ctx)
		if err != nil || len(ids) != 2 {
			t.Fatalf("IDs with eager loads: %v, %v", ids, err)
		}
	})
}

// dumpCIs renders items with every loaded edge, named lists included, so
// two answers compare as text.
func dumpCIs(t *testing.T, cis []*ent.ConfigurationItem) string {
	t.Helper()
	type item struct {
		CI          *ent.ConfigurationItem
		Owner       *ent.Owner
		Vendor      *ent.Vendor
		Location    *ent.Location
		Services    []*ent.Service
		Identifiers []*ent.Identifier
		Named       map[string]any
		Loaded      []bool
	}
	var out []item
	for _, ci := range cis {
		it := item{CI: ci, Named: map[string]any{}}
		o, err := ci.Edges.OwnerOrErr()
		it.Owner, it.Loaded = o, append(it.Loaded, !ent.IsNotLoaded(err))
		v, err := ci.Edges.VendorOrErr()
		it.Vendor, it.Loaded = v, append(it.Loaded, !ent.IsNotLoaded(err))
		l, err := ci.Edges.LocationOrErr()
		it.Location, it.Loaded = l, append(it.Loaded, !ent.IsNotLoaded(err))
		s, err := ci.Edges.ServicesOrErr()
		it.Services, it.Loaded = s, append(it.Loaded, err == nil)
		ids, err := ci.Edges.IdentifiersOrErr()
		it.Identifiers, it.Loaded = ids, append(it.Loaded, err == nil)
		for _, name := range []string{"svc", "svc2"} {
			if s, err := ci.NamedServices(name); err == nil {
				it.Named[name] = s
			}
		}
		if s, err := ci.NamedIdentifiers("ids"); err == nil {
			it.Named["ids"] = s
		}
		out = append(out, it)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d items: %s", len(out), b)
}
