package hooks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestIdentifierScopeAndNotIdentity: every identifier write stores its scope
// normalised, only for a private address (a public one is global); a scope
// on another kind, a bad scope and a value that is not identity are
// refused with BAD_USER_INPUT naming the field and the rule.
func TestIdentifierScopeAndNotIdentity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "tester")
		var ci int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			x, err := tx.ConfigurationItem.Create().SetName("srv").SetKind(configurationitem.KindServer).Save(ctx)
			ci = x.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			kind         identifier.Kind
			value, scope string
			wantValue    string
			wantScope    string // "<nil>" for global
			field, msg   string // the refusal, if any
		}{
			{kind: "IP", value: "10.0.0.5", scope: " LON3 ", wantValue: "10.0.0.5", wantScope: "lon3"},
			{kind: "IP", value: "::ffff:192.168.1.1", scope: "fra1", wantValue: "192.168.1.1", wantScope: "fra1"},
			{kind: "IP", value: "203.0.113.10", scope: "lon3", wantValue: "203.0.113.10", wantScope: "<nil>"},
			{kind: "IP", value: "10.0.0.6", wantValue: "10.0.0.6", wantScope: "<nil>"},
			{kind: "HOSTNAME", value: "web01", scope: "lon3", field: "scope", msg: "only an IP address has a network scope"},
			{kind: "MAC", value: "00-00-5E-00-01-01", field: "value", msg: "VRRP"},
			{kind: "SERIAL", value: "To Be Filled By O.E.M.", field: "value", msg: "placeholder serial"},
			{kind: "UUID", value: "03000200-0400-0500-0006-000700080009", field: "value", msg: "placeholder UUID"},
			{kind: "SOURCE_KEY", value: " discovery:tf-prod|aws_lb.front ", wantValue: "discovery:tf-prod|aws_lb.front", wantScope: "<nil>"},
			{kind: "SOURCE_KEY", value: "discovery:tf-prod|aws_lb.back", scope: "lon3", field: "scope", msg: "only an IP address has a network scope"},
			{kind: "SOURCE_KEY", value: "discovery:tf-prod|a\nb", field: "value", msg: "control"},
		} {
			var got *ent.Identifier
			err := txn.Do(ctx, c, func(tx *ent.Client) error {
				cr := tx.Identifier.Create().SetConfigurationItemID(ci).SetKind(tc.kind).SetValue(tc.value)
				if tc.scope != "" {
					cr.SetScope(tc.scope)
				}
				var err error
				got, err = cr.Save(ctx)
				return err
			})
			if tc.field != "" {
				ae, ok := apperr.As(err)
				if !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field || !strings.Contains(ae.Msg, tc.msg) {
					t.Errorf("%s %q@%q: err = %v, want BAD_USER_INPUT on %s naming %q", tc.kind, tc.value, tc.scope, err, tc.field, tc.msg)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %q@%q: %v", tc.kind, tc.value, tc.scope, err)
				continue
			}
			stored := c.Identifier.GetX(ctx, got.ID)
			scope := "<nil>"
			if stored.Scope != nil {
				scope = *stored.Scope
			}
			if stored.Value != tc.wantValue || scope != tc.wantScope {
				t.Errorf("%s %q@%q stored as %q@%s, want %q@%s", tc.kind, tc.value, tc.scope, stored.Value, scope, tc.wantValue, tc.wantScope)
			}
		}
		// An update to a public address drops the scope.
		id := c.Identifier.Query().Where(identifier.Value("10.0.0.5")).OnlyIDX(ctx)
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.Identifier.UpdateOneID(id).SetValue("198.51.100.7").Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if s := c.Identifier.GetX(ctx, id).Scope; s != nil {
			t.Errorf("public address kept scope %q", *s)
		}
	})
}

// TestNotIdentityFieldsAreNotMirrored: a CI field whose value is not
// identity (the host name localhost) stays on the CI but is not an
// identifier; a placeholder serial number is refused on the field itself,
// as before.
func TestNotIdentityFieldsAreNotMirrored(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		c := open(t, dsn)
		ctx := audit.WithActor(context.Background(), "tester")
		var id int
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("box").SetKind(configurationitem.KindServer).
				SetHostname("localhost").SetSerialNumber("SN-9").Save(ctx)
			if err != nil {
				return err
			}
			id = ci.ID
			return tx.ConfigurationItem.UpdateOneID(id).SetFqdn("localhost.localdomain").Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		ci := c.ConfigurationItem.GetX(ctx, id)
		if ci.Hostname == nil || *ci.Hostname != "localhost" || ci.Fqdn == nil || *ci.Fqdn != "localhost.localdomain" {
			t.Fatalf("fields hostname %v fqdn %v, want them kept", ci.Hostname, ci.Fqdn)
		}
		if got := strings.Join(identifiers(t, c, id), " "); got != "SERIAL=SN-9" {
			t.Fatalf("identifiers = %q, want only the serial", got)
		}
		err := txn.Do(ctx, c, func(tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(id).SetSerialNumber("To Be Filled By O.E.M.").Exec(ctx)
		})
		if err == nil || !strings.Contains(err.Error(), "placeholder") {
			t.Fatalf("placeholder serial on the field: err = %v", err)
		}
	})
}
