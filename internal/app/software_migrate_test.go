package app_test

import (
	"context"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestMigrateDerivesSoftware: a database from before the software table
// (its CIs' package facts recorded, the table absent) gets its rows when
// it is next opened; a database that has the table is left as it is.
func TestMigrateDerivesSoftware(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			return tx.ConfigurationItem.Create().SetName("web-01").SetKind(configurationitem.KindServer).
				SetFacts(map[string]any{"package.openssl": "3.0.11-1~deb12u2", "package_arch.openssl": "amd64", "package.bash": "5.2.15-2+b2", "packages.manager": "dpkg"}).
				Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		count := func(db *app.DB) int {
			t.Helper()
			n, err := db.Client.SoftwareInstallation.Query().Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(db); n != 2 {
			t.Fatalf("%d software rows after the write, want 2", n)
		}
		// As before the table existed.
		if _, err := db.Store.Writer().ExecContext(ctx, `DROP TABLE software_installations`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Client.SoftwareInstallation.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			got[r.Name] = r.Version + " " + deref(r.Arch) + " " + deref(r.Manager)
		}
		if len(got) != 2 || got["openssl"] != "3.0.11-1~deb12u2 amd64 dpkg" || got["bash"] != "5.2.15-2+b2  dpkg" {
			t.Errorf("after migrating: %v", got)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
