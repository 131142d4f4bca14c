package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	cairnestate "github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func duplicatesOf(t *testing.T, e *env, first int) []reconcile.DuplicatePair {
	t.Helper()
	var out []reconcile.DuplicatePair
	if err := e.txErr("alice", func(ctx context.Context, tx *ent.Client) error {
		var err error
		out, err = reconcile.DuplicateCandidates(ctx, tx, &first)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDuplicateCandidates: pairs that share a strong identifier, an address
// in one scope, a name and environment, or a short name with one side
// domainless, strongest evidence first; addresses in different scopes,
// short names in different known domains and values that are not identity
// are never evidence.
func TestDuplicateCandidates(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		prod, staging := configurationitem.EnvironmentProduction, configurationitem.EnvironmentStaging
		cis := e.seed(
			ciSpec{Name: "web", Serial: "cz-1", Env: prod},       // 0
			ciSpec{Name: "web (dup)", Serial: "CZ-1", Env: prod}, // 1: serial of 0
			ciSpec{Name: "lon3-app"},                             // 2
			ciSpec{Name: "fra1-app"},                             // 3: same address, other scope
			ciSpec{Name: "lon3-app2"},                            // 4: same address and scope as 2
			ciSpec{Name: "db01-bare", Hostname: "db01"},          // 5: domainless
			ciSpec{Name: "x-db01", FQDN: "db01.eu.example.org"},  // 6
			ciSpec{Name: "y-db01", FQDN: "db01.us.example.org"},  // 7: other domain than 6
			ciSpec{Name: "Mail", Env: prod},                      // 8
			ciSpec{Name: "mail", Env: prod},                      // 9: name of 8
			ciSpec{Name: "mail", Env: staging},                   // 10: other environment
			ciSpec{Name: "r1"},                                   // 11
			ciSpec{Name: "r2"},                                   // 12: legacy VRRP MAC shared with 11
			ciSpec{Name: "old-a"},                                // 13
			ciSpec{Name: "old-b"},                                // 14: private address of 13, no scope
		)
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			for _, x := range []struct {
				ci    int
				scope string
			}{{2, "lon3"}, {3, "fra1"}, {4, "LON3"}} {
				if err := tx.Identifier.Create().SetConfigurationItemID(cis[x.ci].ID).SetKind("IP").SetValue("10.0.0.5").
					SetScope(x.scope).Exec(ctx); err != nil {
					return err
				}
			}
			for _, ci := range []int{13, 14} {
				if err := tx.Identifier.Create().SetConfigurationItemID(cis[ci].ID).SetKind("IP").SetValue("192.168.7.7").Exec(ctx); err != nil {
					return err
				}
			}
			// Rows stored before not-identity values were refused.
			for _, ci := range []int{11, 12} {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO identifiers (created_at, updated_at, kind, value, source, configuration_item_id)
					VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'MAC', '00:00:5e:00:01:01', 'legacy', %d)`, cis[ci].ID)); err != nil {
					return err
				}
			}
			return nil
		})
		name := map[int]string{}
		for _, ci := range cis {
			name[ci.ID] = ci.Name
		}
		var got []string
		for _, p := range duplicatesOf(t, e, 50) {
			var ev []string
			for _, x := range p.Evidence {
				ev = append(ev, string(x.Rule)+" "+x.Detail)
			}
			got = append(got, fmt.Sprintf("%s|%s: %s", name[p.A], name[p.B], strings.Join(ev, "; ")))
		}
		want := []string{
			"web|web (dup): SHARED_IDENTIFIER SERIAL CZ-1",
			"Mail|mail: NAME_AND_ENVIRONMENT name mail, environment PRODUCTION",
			"db01-bare|x-db01: SHORT_NAME_DOMAINLESS short name db01",
			"db01-bare|y-db01: SHORT_NAME_DOMAINLESS short name db01",
			// A shared address is the weakest evidence (virtual, anycast
			// and reused private addresses are shared by design).
			"lon3-app|lon3-app2: SHARED_IDENTIFIER IP 10.0.0.5 in scope lon3",
			"old-a|old-b: SHARED_IDENTIFIER IP 192.168.7.7 (a private address with no scope)",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("candidates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if top := duplicatesOf(t, e, 2); len(top) != 2 || name[top[1].A] != "Mail" {
			t.Fatalf("first 2: %+v", top)
		}
	})
}

// TestDuplicateCandidatesStatements: 10,000 CIs (synthetic estate, some
// duplicated) take three statements.
func TestDuplicateCandidatesStatements(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 CIs")
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		var counter *store.CountingDriver
		openMu.Lock()
		db, err := app.Open(context.Background(), dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
			counter = store.NewCountingDriver(d)
			return counter
		}})
		openMu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		ctx := context.Background()
		if _, err := cairnestate.SeedSynthetic(ctx, db, 10000); err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, db: db, c: db.Client, dialect: db.Store.Dialect(), ctx: ctx, now: t0}
		e.seed(ciSpec{Name: "dup-a", Serial: "SYN00000001X"}, ciSpec{Name: "dup-b", Serial: "SYN00000001X"})
		counter.Reset()
		pairs, err := reconcile.DuplicateCandidates(ctx, db.Client, ptr(500))
		if err != nil {
			t.Fatal(err)
		}
		if n := counter.Count(); n > 3 {
			t.Fatalf("%d statements for 10,000 CIs, want 3", n)
		}
		if len(pairs) == 0 || pairs[0].Evidence[0].Detail != "SERIAL SYN00000001X" {
			t.Fatalf("%d pairs, first %+v", len(pairs), pairs)
		}
	})
}

func TestDuplicateCandidatesFirst(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "first.db"))
	for _, first := range []int{0, -1, reconcile.MaxDuplicateCandidates + 1} {
		err := e.txErr("alice", func(ctx context.Context, tx *ent.Client) error {
			_, err := reconcile.DuplicateCandidates(ctx, tx, &first)
			return err
		})
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != "first" {
			t.Errorf("DuplicateCandidates(first %d) = %v, want BAD_USER_INPUT on first", first, err)
		}
	}
}
