package hooks_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/softwareinstallation"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// software lists a CI's installations as "name=version/arch/manager", in ID
// order (the order the hook wrote them: by name, then version).
func software(t *testing.T, c *ent.Client, ciID int) []string {
	t.Helper()
	rows, err := c.SoftwareInstallation.Query().Where(softwareinstallation.ConfigurationItemID(ciID)).
		Order(softwareinstallation.ByID()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s=%s/%s/%s", r.Name, r.Version, deref(r.Arch), deref(r.Manager)))
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func softwareIDs(t *testing.T, c *ent.Client, ciID int) []int {
	t.Helper()
	ids, err := c.SoftwareInstallation.Query().Where(softwareinstallation.ConfigurationItemID(ciID)).
		Order(softwareinstallation.ByID()).IDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSoftwareFollowsPackageFacts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "tester")
		facts := map[string]any{
			"os.id":                          "debian",
			"packages.manager":               "dpkg",
			"packages.count":                 "4",
			"package.openssl":                "3.0.11-1~deb12u2",
			"package_arch.openssl":           "amd64",
			"package.libc6":                  "2.36-9+deb12u4",
			"package_arch.libc6":             "amd64,i386",
			"package.linux-image-amd64":      "6.1.112-1,6.1.115-1",
			"package_arch.linux-image-amd64": "amd64,amd64",
			"package.tzdata":                 "2024a-0+deb12u1",
		}
		var id int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("web01").SetKind(configurationitem.KindServer).SetFacts(facts).Save(ctx)
			if err != nil {
				return err
			}
			id = ci.ID
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"libc6=2.36-9+deb12u4/amd64/dpkg",
			"libc6=2.36-9+deb12u4/i386/dpkg",
			"linux-image-amd64=6.1.112-1/amd64/dpkg",
			"linux-image-amd64=6.1.115-1/amd64/dpkg",
			"openssl=3.0.11-1~deb12u2/amd64/dpkg",
			"tzdata=2024a-0+deb12u1/-/dpkg",
		}
		if got := software(t, c, id); !slices.Equal(got, want) {
			t.Fatalf("after create:\n got %q\nwant %q", got, want)
		}
		// The rows are bookkeeping: no audit event of their own.
		if n := c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeSoftwareInstallation)).CountX(ctx); n != 0 {
			t.Fatalf("%d audit events about software installations, want 0", n)
		}

		// An upgrade and a removal rewrite the rows; versions and
		// architectures that do not pair up leave the architecture unknown.
		next := map[string]any{}
		for k, v := range facts {
			next[k] = v
		}
		next["package.openssl"] = "3.0.15-1~deb12u1"
		delete(next, "package.libc6")
		delete(next, "package_arch.libc6")
		next["package.tzdata"] = "2024a-0+deb12u1, 2024b-0+deb12u1"
		next["package_arch.tzdata"] = "all,all,all"
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(id).SetFacts(next).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		want = []string{
			"linux-image-amd64=6.1.112-1/amd64/dpkg",
			"linux-image-amd64=6.1.115-1/amd64/dpkg",
			"openssl=3.0.15-1~deb12u1/amd64/dpkg",
			"tzdata=2024a-0+deb12u1/-/dpkg",
			"tzdata=2024b-0+deb12u1/-/dpkg",
		}
		if got := software(t, c, id); !slices.Equal(got, want) {
			t.Fatalf("after update:\n got %q\nwant %q", got, want)
		}

		// A new manager is a change of every row.
		next["packages.manager"] = "rpm"
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(id).SetFacts(next).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if got := software(t, c, id); len(got) != 5 || !strings.HasSuffix(got[0], "/rpm") {
			t.Fatalf("after the manager changed: %q, want 5 rows of rpm", got)
		}

		// The rows rebuilt from scratch are the same.
		var written int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			var err error
			written, err = hooks.RebuildSoftware(ctx, tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := software(t, c, id); written != 5 || len(got) != 5 || !strings.HasSuffix(got[0], "/rpm") {
			t.Fatalf("RebuildSoftware wrote %d rows: %q, want the same 5", written, got)
		}

		// A bulk update gives every CI it matches the same rows.
		var other int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("web02").SetKind(configurationitem.KindServer).
				SetFacts(map[string]any{"package.curl": "7.88.1-10"}).Save(ctx)
			if err != nil {
				return err
			}
			other = ci.ID
			return tx.ConfigurationItem.Update().Where(configurationitem.IDIn(id, other)).SetFacts(next).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		for _, ci := range []int{id, other} {
			if got := software(t, c, ci); len(got) != 5 || !strings.HasSuffix(got[0], "/rpm") {
				t.Fatalf("CI %d after a bulk update: %q, want the same 5 rows of rpm", ci, got)
			}
		}

		// Clearing the facts clears the rows.
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(id).ClearFacts().Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if got := software(t, c, id); len(got) != 0 {
			t.Fatalf("after clearing facts: %q, want none", got)
		}

		// Deleting a CI takes its rows with it.
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(id).SetFacts(facts).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if got := software(t, c, id); len(got) != 6 {
			t.Fatalf("after setting facts again: %q, want 6 rows", got)
		}
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.DeleteOneID(id).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if n := c.SoftwareInstallation.Query().CountX(ctx); n != 5 || len(software(t, c, id)) != 0 {
			t.Fatalf("%d installations after the CI's delete, want the other CI's 5", n)
		}
	})
}

// packageFacts are the facts of a host with n packages.
func packageFacts(n int, version string) map[string]any {
	f := map[string]any{"packages.manager": "dpkg", "os.id": "debian", "uptime": "1"}
	for i := range n {
		name := fmt.Sprintf("pkg%04d", i)
		f["package."+name] = version
		f["package_arch."+name] = "amd64"
	}
	return f
}

// TestSoftwareStatements: a host with 1,000 packages costs one INSERT when
// created, one DELETE and one INSERT when a package changes, and nothing
// when an update leaves its packages alone.
func TestSoftwareStatements(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		var counter *store.CountingDriver
		db, err := app.Open(context.Background(), dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
			counter = store.NewCountingDriver(d)
			return counter
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		c := db.Client
		ctx := audit.WithActor(context.Background(), "tester")
		create := func(name string, facts map[string]any) (int, int64) {
			t.Helper()
			counter.Reset()
			var id int
			if err := txn.Do(ctx, c, func(tx *ent.Client) error {
				ci, err := tx.ConfigurationItem.Create().SetName(name).SetKind(configurationitem.KindServer).SetFacts(facts).Save(ctx)
				if err == nil {
					id = ci.ID
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return id, counter.Count()
		}
		update := func(id int, facts map[string]any) int64 {
			t.Helper()
			counter.Reset()
			if err := txn.Do(ctx, c, func(tx *ent.Client) error {
				return tx.ConfigurationItem.UpdateOneID(id).SetFacts(facts).Exec(ctx)
			}); err != nil {
				t.Fatal(err)
			}
			return counter.Count()
		}

		bare, bareCreate := create("bare", packageFacts(0, ""))
		host, hostCreate := create("host", packageFacts(1000, "1.0-1"))
		if hostCreate != bareCreate+1 {
			t.Errorf("creating a host with 1,000 packages took %d statements, without packages %d: want one more", hostCreate, bareCreate)
		}
		if n := len(softwareIDs(t, c, host)); n != 1000 {
			t.Fatalf("%d installations, want 1000", n)
		}
		before := softwareIDs(t, c, host)

		// Another fact changes, the packages do not.
		f := packageFacts(1000, "1.0-1")
		f["uptime"] = "2"
		hostSame := update(host, f)
		g := packageFacts(0, "")
		g["uptime"] = "2"
		bareSame := update(bare, g)
		if hostSame != bareSame {
			t.Errorf("an update leaving 1,000 packages alone took %d statements, on a host without packages %d: want the same", hostSame, bareSame)
		}
		if after := softwareIDs(t, c, host); !slices.Equal(before, after) {
			t.Errorf("an update leaving the packages alone rewrote the installations")
		}

		// One package changes: one DELETE and one INSERT more.
		f["package.pkg0500"] = "1.0-2"
		if changed := update(host, f); changed != hostSame+2 {
			t.Errorf("an update of one package took %d statements, want %d (one DELETE and one INSERT more)", changed, hostSame+2)
		}
		if got := software(t, c, host); len(got) != 1000 || got[500] != "pkg0500=1.0-2/amd64/dpkg" {
			t.Errorf("after the update: %d rows, row 500 %q", len(got), got[500])
		}
	})
}
