package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// seedEstate creates n CIs named ci-000…, each with an owner (one of 5), a
// vendor (one of 3), 2 services (of 4), 3 identifiers (HOSTNAME from the
// hostname field, IP, MAC) and 2 outgoing relationships (DEPENDS_ON the next
// CI, RUNS_ON the one after), hence also 2 incoming ones.
func seedEstate(t *testing.T, env *servertest.Env, n int) []int {
	t.Helper()
	var ids []int
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		var owners, vendors, services []int
		for i := range 5 {
			o, err := tx.Owner.Create().SetName(fmt.Sprintf("team-%d", i)).SetKind(owner.KindTeam).Save(ctx)
			if err != nil {
				return err
			}
			owners = append(owners, o.ID)
		}
		for i := range 3 {
			v, err := tx.Vendor.Create().SetName(fmt.Sprintf("vendor-%d", i)).Save(ctx)
			if err != nil {
				return err
			}
			vendors = append(vendors, v.ID)
		}
		for i := range 4 {
			s, err := tx.Service.Create().SetName(fmt.Sprintf("service-%d", i)).Save(ctx)
			if err != nil {
				return err
			}
			services = append(services, s.ID)
		}
		for i := range n {
			ci, err := tx.ConfigurationItem.Create().
				SetName(fmt.Sprintf("ci-%03d", i)).
				SetKind(configurationitem.KindServer).
				SetHostname(fmt.Sprintf("ci-%03d", i)).
				SetOwnerID(owners[i%len(owners)]).
				SetVendorID(vendors[i%len(vendors)]).
				AddServiceIDs(services[i%4], services[(i+1)%4]).
				Save(ctx)
			if err != nil {
				return err
			}
			ids = append(ids, ci.ID)
			if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.KindIP).
				SetValue(fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)).Exec(ctx); err != nil {
				return err
			}
			if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.KindMAC).
				SetValue(fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256)).Exec(ctx); err != nil {
				return err
			}
		}
		for i := range n {
			if err := tx.Relationship.Create().SetFromID(ids[i]).SetToID(ids[(i+1)%n]).
				SetType(relationship.TypeDependsOn).Exec(ctx); err != nil {
				return err
			}
			if err := tx.Relationship.Create().SetFromID(ids[i]).SetToID(ids[(i+2)%n]).
				SetType(relationship.TypeRunsOn).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return ids
}

const nestedCIQuery = `query Page($n: Int!) {
  configurationItems(first: $n, orderBy: [{field: NAME, direction: ASC}]) {
    totalCount
    edges { node {
      name
      owner { name }
      vendor { name }
      services { name }
      identifiers { kind value }
      outgoing { type to { name } }
      incoming { type from { name } }
    } }
  }
}`

// TestNoNPlusOne checks that the nested page query costs the same number
// of SQL statements for 10 and for 100 CIs: every edge is eager-loaded in one
// statement per level, never one per row.
func TestNoNPlusOne(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{CountStatements: true})
		seedEstate(t, env, 100)
		// Warm the token cache so authentication costs no statement.
		env.Do(t, env.Viewer, `{ viewer { name } }`, nil).OK(t)

		stmts := map[int]int64{}
		for _, n := range []int{10, 100} {
			env.Counter.Reset()
			r := env.Do(t, env.Viewer, nestedCIQuery, map[string]any{"n": n}).OK(t)
			stmts[n] = env.Counter.Count()
			var page struct {
				ConfigurationItems struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Name        string
							Owner       *struct{ Name string }
							Vendor      *struct{ Name string }
							Services    []struct{ Name string }
							Identifiers []struct{ Kind, Value string }
							Outgoing    []struct {
								Type string
								To   struct{ Name string }
							}
							Incoming []struct {
								Type string
								From struct{ Name string }
							}
						}
					}
				}
			}
			r.Decode(t, &page)
			c := page.ConfigurationItems
			if c.TotalCount != 100 || len(c.Edges) != n {
				t.Fatalf("first %d: totalCount %d, %d edges", n, c.TotalCount, len(c.Edges))
			}
			for i, e := range c.Edges {
				nd := e.Node
				if nd.Name != fmt.Sprintf("ci-%03d", i) || nd.Owner == nil || nd.Vendor == nil ||
					len(nd.Services) != 2 || len(nd.Identifiers) != 3 || len(nd.Outgoing) != 2 || len(nd.Incoming) != 2 {
					t.Fatalf("first %d: CI %d incomplete: %+v", n, i, nd)
				}
				if nd.Owner.Name != fmt.Sprintf("team-%d", i%5) || nd.Vendor.Name != fmt.Sprintf("vendor-%d", i%3) {
					t.Errorf("CI %s: owner %s vendor %s", nd.Name, nd.Owner.Name, nd.Vendor.Name)
				}
				for _, o := range nd.Outgoing {
					want := fmt.Sprintf("ci-%03d", (i+1)%100)
					if o.Type == "RUNS_ON" {
						want = fmt.Sprintf("ci-%03d", (i+2)%100)
					}
					if o.To.Name != want {
						t.Errorf("CI %s: %s to %s, want %s", nd.Name, o.Type, o.To.Name, want)
					}
				}
			}
			if n == 10 {
				golden(t, "nested_page_10", r.Data)
			}
		}
		t.Logf("SQL statements for the nested page: first 10 → %d, first 100 → %d", stmts[10], stmts[100])
		if stmts[10] != stmts[100] {
			t.Errorf("N+1: %d statements for 10 CIs but %d for 100", stmts[10], stmts[100])
		}
	})
}
