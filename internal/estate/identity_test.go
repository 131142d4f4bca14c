package estate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestImportNeverAnotherDomainOrScope is issue 20's property test for
// imports: on random small estates whose short names collide across
// domains and whose private addresses are reused across scopes, import
// rows (JSON and CSV) naming hosts of other domains and scopes never
// update a stored CI of another domain, nor one tied to the row by an
// address of another scope; every CI a row updates is tied to it by its
// short name or by an address in the same scope.
func TestImportNeverAnotherDomainOrScope(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openDB(t, dsn)
		hosts := []string{"db01", "web01", "app01"}
		domains := []string{"", "eu.example.org", "us.example.org"}
		scopes := []string{"", "site-a", "site-b"}
		type spec struct{ host, domain, ip, scope string }
		iterations := 60
		if strings.Contains(dsn, "postgres") {
			iterations = 25
		}
		matched := 0
		for seed := range iterations {
			rng := rand.New(rand.NewPCG(uint64(seed), 20))
			pick := func(s []string) string { return s[rng.IntN(len(s))] }
			// Each iteration has its own names and addresses, so that the
			// estates of earlier iterations, still stored, never collide
			// with this one's.
			suffix := fmt.Sprintf("-s%d", seed)
			ips := []string{fmt.Sprintf("10.%d.0.5", seed), fmt.Sprintf("10.%d.0.6", seed),
				fmt.Sprintf("192.168.%d.1", seed), fmt.Sprintf("203.0.113.%d", seed+1)}
			newSpec := func() spec { return spec{pick(hosts) + suffix, pick(domains), pick(ips), pick(scopes)} }
			estate := make([]spec, 2+rng.IntN(5))
			byID := map[int]spec{}
			idents := map[int][]string{}
			for i := range estate {
				estate[i] = newSpec()
			}
			err := txn.Do(audit.WithActor(ctx, "alice"), db.Client, func(tx *ent.Client) error {
				for i, s := range estate {
					cr := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("ci%d%s", i, suffix)).
						SetKind(configurationitem.KindServer).SetHostname(s.host)
					if s.domain != "" {
						cr.SetFqdn(s.host + "." + s.domain)
					}
					c, err := cr.Save(ctx)
					if err != nil {
						return err
					}
					ic := tx.Identifier.Create().SetConfigurationItemID(c.ID).SetKind(identifier.KindIP).SetValue(s.ip).SetSource("alice")
					if sc := identity.AddressScope(s.ip, s.scope); sc != "" {
						ic.SetScope(sc)
					}
					if err := ic.Exec(ctx); err != nil {
						return err
					}
					byID[c.ID] = s
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for id := range byID {
				idents[id] = identifiersOf(ctx, t, db.Client, id)
			}
			type row struct {
				spec
				name             string
				withIP, withHost bool
			}
			rows := make([]row, 1+rng.IntN(3))
			for i := range rows {
				withIP := rng.IntN(3) > 0
				rows[i] = row{newSpec(), fmt.Sprintf("row%d%s", i, suffix), withIP, !withIP || rng.IntN(2) == 0}
			}
			opts := ImportOptions{Source: "p.json", Partial: true}
			if seed%2 == 0 {
				doc := &Document{Version: Version}
				for _, r := range rows {
					e := CI{Name: r.name, Kind: "SERVER", Description: "imported"}
					if r.withHost {
						e.Hostname = r.host
						if r.domain != "" {
							e.FQDN = r.host + "." + r.domain
						}
					}
					if r.withIP {
						e.Identifiers = []Identifier{{Kind: "IP", Value: r.ip, Scope: r.scope}}
					}
					doc.ConfigurationItems = append(doc.ConfigurationItems, e)
				}
				_, err = Import(ctx, db.Client, doc, opts)
			} else {
				var b strings.Builder
				b.WriteString("name,kind,description,hostname,fqdn,ip,scope\n")
				for _, r := range rows {
					h, f, ip := "", "", ""
					if r.withHost {
						h = r.host
						if r.domain != "" {
							f = r.host + "." + r.domain
						}
					}
					if r.withIP {
						ip = r.ip
					}
					fmt.Fprintf(&b, "%s,server,imported,%s,%s,%s,%s\n", r.name, h, f, ip, r.scope)
				}
				opts.Source = "p.csv"
				_, err = ImportCSV(ctx, db.Client, strings.NewReader(b.String()), nil, opts)
			}
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			for id, s := range byID {
				ci, err := db.Client.ConfigurationItem.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				got := identifiersOf(ctx, t, db.Client, id)
				if ci.Description == nil && slices.Equal(got, idents[id]) {
					continue // untouched
				}
				i := slices.IndexFunc(rows, func(r row) bool { return r.name == ci.Name })
				if i < 0 {
					t.Fatalf("seed %d: CI %+v (%q) changed by no row's name: %s; rows %+v", seed, s, ci.Name, got, rows)
				}
				r := rows[i]
				matched++
				rowDomain := ""
				if r.withHost {
					rowDomain = r.domain
				}
				if rowDomain != "" && s.domain != "" && rowDomain != s.domain {
					t.Fatalf("seed %d: row %+v updated CI %+v of another domain; estate %+v", seed, r, s, estate)
				}
				hostLink := r.withHost && r.host == s.host
				ipLink := r.withIP && r.ip == s.ip && identity.AddressScope(s.ip, s.scope) == identity.AddressScope(r.ip, r.scope)
				if !hostLink && !ipLink {
					t.Fatalf("seed %d: row %+v updated CI %+v, tied to it by nothing in its scope; estate %+v", seed, r, s, estate)
				}
			}
		}
		if matched == 0 {
			t.Fatal("no row matched a stored CI: the property was never exercised")
		}
		t.Logf("%d stored CIs updated by a row over %d estates", matched, iterations)
	})
}

// identifiersOf is CI id's identifiers, "KIND value@scope", sorted.
func identifiersOf(ctx context.Context, t *testing.T, c *ent.Client, id int) []string {
	t.Helper()
	ids, err := c.Identifier.Query().Where(identifier.ConfigurationItemID(id)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(ids))
	for _, x := range ids {
		out = append(out, string(x.Kind)+" "+x.Value+"@"+deref(x.Scope))
	}
	slices.Sort(out)
	return out
}

// TestKindRank: kindRank is the order of ident.Kinds.
func TestKindRank(t *testing.T) {
	for i, k := range ident.Kinds() {
		if got := kindRank(k); got != i {
			t.Errorf("kindRank(%s) = %d, want %d", k, got, i)
		}
	}
	if got := kindRank("BOGUS"); got != len(ident.Kinds()) {
		t.Errorf("kindRank(BOGUS) = %d, want last", got)
	}
}
