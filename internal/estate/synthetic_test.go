package estate

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func TestSeedSynthetic(t *testing.T) {
	const n = 500
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openDB(t, dsn)
		st, err := SeedSynthetic(ctx, db, n)
		if err != nil {
			t.Fatal(err)
		}
		nSvc, nOwner, nVendor := syntheticScale(n)
		c := db.Client
		counts := []struct {
			name      string
			got, want int
			q         func() (int, error)
		}{
			{"configuration items", st.ConfigurationItems, n, func() (int, error) { return c.ConfigurationItem.Query().Count(ctx) }},
			{"relationships", st.Relationships, 3 * n, func() (int, error) { return c.Relationship.Query().Count(ctx) }},
			{"identifiers", st.Identifiers, 4 * n, func() (int, error) { return c.Identifier.Query().Count(ctx) }},
			{"services", st.Services, nSvc, func() (int, error) { return c.Service.Query().Count(ctx) }},
			{"owners", st.Owners, nOwner, func() (int, error) { return c.Owner.Query().Count(ctx) }},
			{"vendors", st.Vendors, nVendor, func() (int, error) { return c.Vendor.Query().Count(ctx) }},
			{"assets", st.Assets, st.Assets, func() (int, error) { return c.Asset.Query().Count(ctx) }},
			{"audit events", st.AuditEvents, n + nSvc + nOwner + nVendor, func() (int, error) { return c.AuditEvent.Query().Count(ctx) }},
		}
		for _, tc := range counts {
			stored, err := tc.q()
			if err != nil {
				t.Fatal(err)
			}
			if tc.got != tc.want || stored != tc.want {
				t.Errorf("%s: stats %d, stored %d, want %d", tc.name, tc.got, stored, tc.want)
			}
		}
		hw, err := c.ConfigurationItem.Query().Where(configurationitem.KindIn(configurationitem.KindServer,
			configurationitem.KindNetworkDevice, configurationitem.KindStorage)).Count(ctx)
		if err != nil || hw != st.Assets || hw == 0 {
			t.Errorf("hardware CIs %d (%v), assets %d: want one asset per hardware CI", hw, err, st.Assets)
		}
		vms, err := c.ConfigurationItem.Query().Where(configurationitem.KindEQ(configurationitem.KindVM)).Count(ctx)
		if err != nil || vms < n/4 || vms > n/2 {
			t.Errorf("%d VMs of %d (%v): want about 40%%", vms, n, err)
		}
		// Every CI is findable by its identifiers, as the incident lookup does.
		for _, i := range []int{0, 1, n / 2, n - 1} {
			for kind, v := range map[identifier.Kind]string{identifier.KindHostname: SyntheticHostname(i),
				identifier.KindFQDN: SyntheticFQDN(i), identifier.KindSerial: SyntheticSerial(i), identifier.KindIP: SyntheticIP(i)} {
				ids, err := c.Identifier.Query().Where(identifier.KindEQ(kind), identifier.Value(v)).All(ctx)
				if err != nil || len(ids) != 1 {
					t.Fatalf("identifier %s %q: %d rows (%v), want 1", kind, v, len(ids), err)
				}
				ci, err := c.ConfigurationItem.Get(ctx, ids[0].ConfigurationItemID)
				if err != nil || ci.Name != SyntheticHostname(i) || string(ci.Kind) != SyntheticKind(i) {
					t.Fatalf("identifier %s %q names %+v (%v), want %s", kind, v, ci, err, SyntheticHostname(i))
				}
			}
		}
		// Relationships are unique per (from, to, type) and never loop on one CI.
		rels, err := c.Relationship.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[relKey]bool{}
		for _, r := range rels {
			k := relKey{r.FromID, r.ToID, string(r.Type)}
			if seen[k] || r.FromID == r.ToID {
				t.Fatalf("relationship %+v repeated or a self-loop", k)
			}
			seen[k] = true
		}
		// Services see their members, CIs their owner and vendor (the
		// GraphQL resolvers read through these edges).
		svc, err := c.Service.Query().WithMembers().WithOwner().First(ctx)
		if err != nil || len(svc.Edges.Members) == 0 || svc.Edges.Owner == nil {
			t.Fatalf("first service %+v (%v): want members and an owner", svc, err)
		}
		ci, err := c.ConfigurationItem.Query().WithOwner().WithVendor().WithServices().First(ctx)
		if err != nil || ci.Edges.Owner == nil || ci.Edges.Vendor == nil || len(ci.Edges.Services) != 1 {
			t.Fatalf("first CI %+v (%v): want owner, vendor and one service", ci, err)
		}
		ev, err := c.AuditEvent.Query().Where(auditevent.EntityID(ci.ID)).Only(ctx)
		if err != nil || ev.Actor != SyntheticActor || ev.Action != auditevent.ActionCreate || len(ev.Changes) == 0 {
			t.Fatalf("audit event of the first CI: %+v (%v)", ev, err)
		}
		// The ID sequences moved past the seeded rows: ent can still create.
		if _, err := Import(ctx, db.Client, &Document{Version: Version, ConfigurationItems: []CI{{Name: "after-seed", Kind: "VM", Hostname: "after-seed"}}},
			ImportOptions{Source: "after.json"}); err != nil {
			t.Fatalf("creating a CI after the synthetic seed: %v", err)
		}
		if _, err := SeedSynthetic(ctx, db, 10); !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("seeding a non-empty database: %v, want ErrNotEmpty", err)
		}
		st2, err := SeedSyntheticWith(ctx, db, 10, SyntheticOptions{Force: true})
		if err != nil || st2.ConfigurationItems != 10 {
			t.Fatalf("forced seed: %+v, %v", st2, err)
		}
		total, _ := c.ConfigurationItem.Query().Count(ctx)
		if total != n+11 {
			t.Fatalf("after the forced seed: %d CIs, want %d", total, n+11)
		}
	})
}

func TestSyntheticDeterministic(t *testing.T) {
	if SyntheticHostname(0) != "host-000001" || SyntheticHostname(99999) != "host-100000" {
		t.Fatalf("hostnames: %q, %q", SyntheticHostname(0), SyntheticHostname(99999))
	}
	seen := map[string]bool{}
	for i := range 100000 {
		ip := SyntheticIP(i)
		if seen[ip] {
			t.Fatalf("IP %s repeats at %d", ip, i)
		}
		seen[ip] = true
	}
	if got := len(SyntheticHostnames(1000, "VM")); got < 300 || got > 500 {
		t.Fatalf("%d VMs among 1000", got)
	}
}

func BenchmarkSeedSynthetic100k(b *testing.B) {
	storetest.RunB(b, func(b *testing.B, _ string) {
		be := b.Name()
		for b.Loop() {
			b.StopTimer()
			var db = openSQLite(b)
			if len(be) > 8 && be[len(be)-8:] == "postgres" {
				db = openDB(b, storetest.PostgresDSN(b))
			}
			b.StartTimer()
			st, err := SeedSynthetic(context.Background(), db, 100000)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.ConfigurationItems), "CIs")
			b.ReportMetric(float64(st.Relationships), "relationships")
		}
	})
}
