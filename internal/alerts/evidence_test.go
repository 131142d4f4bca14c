package alerts

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/alerts/replay"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestCachedEvidence: intake's evidence answers again from memory for the
// same candidates and period start within evidenceTTL (a change deleted
// meanwhile still shows), cut to the period's end, and reads the database
// again after the TTL.
func TestCachedEvidence(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		var ci, chg int
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			c, err := tx.ConfigurationItem.Create().SetName("core").SetKind(configurationitem.KindNetworkDevice).Save(ctx)
			if err != nil {
				return err
			}
			r, err := tx.ChangeRecord.Create().SetNumber("CHG-9").SetTitle("firmware").SetStatus(changerecord.StatusImplemented).
				SetWindowStart(t0.Add(-time.Hour)).SetWindowEnd(t0.Add(-30 * time.Minute)).SetRequester("bob").
				AddConfigurationItemIDs(c.ID).Save(ctx)
			ci, chg = c.ID, r.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		wall := t0
		c := newCachedEvidence(replay.NewEvidence(db.Client))
		c.now = func() time.Time { return wall }
		since := t0.Add(-6 * time.Hour)
		find := func(until time.Time) int {
			t.Helper()
			f, err := c.Findings(ctx, []int{ci}, since, until)
			if err != nil {
				t.Fatal(err)
			}
			return len(f)
		}
		if n := find(t0); n != 1 {
			t.Fatalf("%d findings, want the change", n)
		}
		// The database's evidence names the CI, so a reason on a
		// dependency reads "on its dependency core", not its ID.
		if f, err := replay.NewEvidence(db.Client).Findings(ctx, []int{ci}, since, t0); err != nil || len(f) != 1 || f[0].CIName != "core" || f[0].Ref != "CHG-9" {
			t.Fatalf("findings %+v (%v), want CHG-9 on the CI named core", f, err)
		}
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error { return tx.ChangeRecord.DeleteOneID(chg).Exec(ctx) }); err != nil {
			t.Fatal(err)
		}
		wall = wall.Add(evidenceTTL / 2)
		if n := find(t0.Add(time.Minute)); n != 1 {
			t.Errorf("within the TTL: %d findings, want the cached change", n)
		}
		if n := find(t0.Add(-2 * time.Hour)); n != 0 {
			t.Errorf("a period ending before the change: %d findings, want none", n)
		}
		wall = wall.Add(evidenceTTL)
		if n := find(t0.Add(time.Minute)); n != 0 {
			t.Errorf("after the TTL: %d findings, want none (the change was deleted)", n)
		}
	})
}
