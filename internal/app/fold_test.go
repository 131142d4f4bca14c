package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
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
// statement) give exactly the answers of ent's own eager loading, on both
// engines, for to-one edges present and absent, lists empty, single and
// many, selected fields, named (aliased) lists, and queries that must not
// be folded (not plain, or more than ten items); and the folded loads cost
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
		// A name JSON must escape.
		site, err := tx.Location.Create().SetName("fra\"1\\ \u00fc, [x]").SetKind(location.KindSite).SetRegion("eu-central").Save(ctx)
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
			// folded: how many statements the query costs; unfolded: on
			// ent's own path.
			folded, unfolded int64
			build            func(c *ent.Client) *ent.ConfigurationItemQuery
		}{
			{"all edges, all fields", 1, 6, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldName)).Limit(10).
					WithOwner().WithVendor().WithLocation().WithServices().WithIdentifiers()
			}},
			{"selected fields, named lists", 1, 6, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.KindIn(configurationitem.KindVM, configurationitem.KindServer)).
					Order(ent.Desc(configurationitem.FieldName)).Limit(7).
					Select(configurationitem.FieldName, configurationitem.FieldOwnerID, configurationitem.FieldVendorID).
					WithOwner(func(q *ent.OwnerQuery) { q.Select(owner.FieldName, owner.FieldEmail, owner.FieldOncallContact) }).
					WithVendor(func(q *ent.VendorQuery) { q.Select(vendor.FieldName) }).
					WithNamedServices("svc", func(q *ent.ServiceQuery) { q.Select(service.FieldName, service.FieldTier, service.FieldSloTarget) }).
					WithNamedServices("svc2").
					WithNamedIdentifiers("ids", func(q *ent.IdentifierQuery) { q.Select(identifier.FieldKind, identifier.FieldValue) })
			}},
			{"one by hostname", 1, 5, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.Hostname(estate.SyntheticHostname(42))).Limit(2).
					WithOwner().WithVendor().WithServices().WithIdentifiers()
			}},
			{"long and unlimited lists stay ent's", 6, 6, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldName)).
					WithOwner().WithVendor().WithLocation().WithServices().WithIdentifiers()
			}},
			{"eleven items stay ent's", 5, 5, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldName)).Limit(11).
					WithOwner().WithVendor().WithServices().WithIdentifiers()
			}},
			{"not plain: filtered, nested and ordered loads stay ent's", 4, 4, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).Limit(50).
					WithOwner(func(q *ent.OwnerQuery) { q.WithTeam() }).
					WithServices(func(q *ent.ServiceQuery) { q.Where(service.TierLTE(1)) }).
					WithIdentifiers(func(q *ent.IdentifierQuery) { q.Order(ent.Desc(identifier.FieldValue)) })
			}},
			{"a modified query stays ent's", 3, 3, func(c *ent.Client) *ent.ConfigurationItemQuery {
				q := c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldName)).Limit(5).WithOwner().WithIdentifiers()
				q.Modify(func(s *sql.Selector) { s.Where(sql.NotNull(s.C(configurationitem.FieldOwnerID))) })
				return q
			}},
			{"nothing to fold", 1, 1, func(c *ent.Client) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.NameHasPrefix("fold-")).Limit(5)
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
				if tc.name == "all edges, all fields" && (!strings.Contains(g, `"Location":{"id"`) || !strings.Contains(g, `"Owner":null`)) {
					t.Fatalf("the case holds no item with a location or none without an owner: %.2000s", g)
				}
				if stmts != tc.folded {
					t.Errorf("%d statements on %s, want %d (ent's own path: %d)", stmts, backend, tc.folded, tc.unfolded)
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
		if counter.Count() != 1 {
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

// BenchmarkFoldEdges: the two CI-list shapes of the shared workloads (one CI
// by host name with owner, vendor, services and identifiers; the first 100
// VMs by name with owner and vendor) through the folding client and through
// ent's own path, in process, on the 100,000-CI bench estate
// (internal/bench's SQLite file, and CAIRN_BENCH_POSTGRES_DSN when set).
func BenchmarkFoldEdges(b *testing.B) {
	dsns := map[string]string{"sqlite": filepath.Join(os.TempDir(), "cairn-bench-100000.db")}
	if dsn := os.Getenv("CAIRN_BENCH_POSTGRES_DSN"); dsn != "" {
		dsns["postgres"] = dsn
	}
	ctx := context.Background()
	for _, engine := range []string{"sqlite", "postgres"} {
		dsn, ok := dsns[engine]
		if !ok {
			continue
		}
		if engine == "sqlite" {
			if _, err := os.Stat(dsn); err != nil {
				b.Skipf("no bench estate at %s: run BenchmarkLookupByHostnameHTTP in internal/bench once to seed it", dsn)
			}
		}
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		ref := ent.NewClient(ent.Driver(db.Store.Driver()))
		shapes := []struct {
			name  string
			query func(c *ent.Client, i int) *ent.ConfigurationItemQuery
		}{
			{"lookup", func(c *ent.Client, i int) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.Hostname(estate.SyntheticHostname((i*7919)%100_000))).
					Select(configurationitem.FieldName, configurationitem.FieldKind, configurationitem.FieldHostname, configurationitem.FieldOwnerID, configurationitem.FieldVendorID).
					WithOwner(func(q *ent.OwnerQuery) { q.Select(owner.FieldName, owner.FieldEmail, owner.FieldOncallContact) }).
					WithVendor(func(q *ent.VendorQuery) { q.Select(vendor.FieldName) }).
					WithNamedServices("services", func(q *ent.ServiceQuery) { q.Select(service.FieldName, service.FieldTier) }).
					WithNamedIdentifiers("identifiers", func(q *ent.IdentifierQuery) { q.Select(identifier.FieldKind, identifier.FieldValue) })
			}},
			{"100-vms", func(c *ent.Client, _ int) *ent.ConfigurationItemQuery {
				return c.ConfigurationItem.Query().Where(configurationitem.KindEQ(configurationitem.KindVM)).
					Order(ent.Asc(configurationitem.FieldName)).Limit(101).
					Select(configurationitem.FieldName, configurationitem.FieldHostname, configurationitem.FieldOwnerID, configurationitem.FieldVendorID).
					WithOwner(func(q *ent.OwnerQuery) { q.Select(owner.FieldName) }).
					WithVendor(func(q *ent.VendorQuery) { q.Select(vendor.FieldName) })
			}},
		}
		for _, shape := range shapes {
			for _, path := range []struct {
				name string
				c    *ent.Client
			}{{"fold", db.Client}, {"ent", ref}} {
				b.Run(engine+"/"+shape.name+"/"+path.name, func(b *testing.B) {
					i := 0
					for b.Loop() {
						i++
						if _, err := shape.query(path.c, i).All(ctx); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
