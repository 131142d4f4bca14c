package hooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/txn"

	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestNamesRefuseControlAndBidiCharacters writes names and other short
// display strings holding NUL, control, bidi and invisible characters
// through the ent client (the path every writer takes: GraphQL, import,
// discovery, CLI) on every entity that has one, on create, update and bulk
// update: each is refused with BAD_USER_INPUT on the field's GraphQL name,
// and nothing is written. Names in other scripts, with emoji joiners or a
// backslash are accepted.
func TestNamesRefuseControlAndBidiCharacters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "tester")
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

		var ciID, svcID int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("web01").SetKind(configurationitem.KindServer).Save(ctx)
			if err != nil {
				return err
			}
			ciID = ci.ID
			s, err := tx.Service.Create().SetName("shop").Save(ctx)
			svcID = s.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}

		bad := []struct{ what, value string }{
			{"NUL", "web\x0001"},
			{"tab", "web\t01"},
			{"newline inside", "web\n01"},
			{"escape", "\x1b[2Jweb"},
			{"right-to-left override", "invoice\u202egpj.exe"},
			{"first strong isolate", "a\u2068b"},
			{"left-to-right mark", "a\u200eb"},
			{"zero-width space", "ad\u200bmin"},
			{"byte order mark", "\ufeffshop"},
			{"tag", "x\U000E0041"},
			{"invalid UTF-8", "caf\xe9"},
		}
		writes := []struct {
			field string // GraphQL name
			write func(tx *ent.Client, v string) error
		}{
			{"name", func(tx *ent.Client, v string) error {
				return tx.ConfigurationItem.Create().SetName(v).SetKind(configurationitem.KindServer).Exec(ctx)
			}},
			{"name", func(tx *ent.Client, v string) error {
				return tx.ConfigurationItem.UpdateOneID(ciID).SetName(v).Exec(ctx)
			}},
			{"name", func(tx *ent.Client, v string) error { return tx.Service.Create().SetName(v).Exec(ctx) }},
			{"name", func(tx *ent.Client, v string) error {
				_, err := tx.Service.Update().SetName(v).Save(ctx) // bulk update
				return err
			}},
			{"name", func(tx *ent.Client, v string) error {
				return tx.Owner.Create().SetName(v).SetKind(owner.KindTeam).Exec(ctx)
			}},
			{"chatChannel", func(tx *ent.Client, v string) error {
				return tx.Owner.Create().SetName("ops").SetKind(owner.KindTeam).SetChatChannel(v).Exec(ctx)
			}},
			{"name", func(tx *ent.Client, v string) error { return tx.Vendor.Create().SetName(v).Exec(ctx) }},
			{"name", func(tx *ent.Client, v string) error {
				return tx.Location.Create().SetName(v).SetKind(location.KindSite).Exec(ctx)
			}},
			{"number", func(tx *ent.Client, v string) error {
				return tx.Contract.Create().SetNumber(v).SetKind(contract.KindSupport).SetStartDate(day).
					SetEndDate(day.AddDate(1, 0, 0)).Exec(ctx)
			}},
			{"title", func(tx *ent.Client, v string) error {
				return tx.ChangeRecord.Create().SetNumber("CHG1").SetTitle(v).SetRequester("me").
					SetStatus(changerecord.StatusApproved).SetWindowStart(day).SetWindowEnd(day.Add(time.Hour)).Exec(ctx)
			}},
			{"costCenter", func(tx *ent.Client, v string) error {
				return tx.Asset.Create().SetConfigurationItemID(ciID).SetCostMinor(100).SetCurrency("EUR").
					SetUsefulLifeMonths(12).SetDepreciationMethod(asset.DepreciationMethodStraightLine).
					SetConvention(asset.ConventionFullMonth).SetCostCenter(v).Exec(ctx)
			}},
			{"name", func(tx *ent.Client, v string) error {
				_, _, err := auth.CreateToken(ctx, tx, v, apitoken.RoleViewer, nil)
				return err
			}},
		}
		for _, b := range bad {
			for i, w := range writes {
				err := txn.Do(ctx, c, func(tx *ent.Client) error { return w.write(tx, b.value) })
				e, ok := apperr.As(err)
				if !ok || e.Code != apperr.BadUserInput || e.Field != w.field {
					t.Errorf("write %d (%s) of %s %q: err = %v, want BAD_USER_INPUT on %s", i, w.field, b.what, b.value, err, w.field)
				}
			}
		}
		// Nothing was written: the CI and the service keep their names, no
		// other row exists.
		if ci := c.ConfigurationItem.GetX(ctx, ciID); ci.Name != "web01" {
			t.Errorf("CI renamed to %q", ci.Name)
		}
		if s := c.Service.GetX(ctx, svcID); s.Name != "shop" {
			t.Errorf("service renamed to %q", s.Name)
		}
		if n := c.ConfigurationItem.Query().CountX(ctx) + c.Owner.Query().CountX(ctx) + c.Vendor.Query().CountX(ctx) +
			c.Location.Query().CountX(ctx) + c.Contract.Query().CountX(ctx) + c.ChangeRecord.Query().CountX(ctx) +
			c.Asset.Query().CountX(ctx) + c.APIToken.Query().CountX(ctx) + c.Service.Query().CountX(ctx); n != 2 {
			t.Errorf("%d rows, want the CI and the service only", n)
		}

		for _, good := range []string{"Zürich — Halle 2", "שרת-01", "👩‍💻 on call", "می‌خواهم", `DOMAIN\svc`, "  trimmed  "} {
			if err := txn.Do(ctx, c, func(tx *ent.Client) error {
				return tx.ConfigurationItem.UpdateOneID(ciID).SetName(good).Exec(ctx)
			}); err != nil {
				t.Errorf("name %q refused: %v", good, err)
			}
		}
	})
}
