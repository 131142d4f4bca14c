package relationships_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/relationships"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func TestCheckEnds(t *testing.T) {
	tests := []struct {
		name     string
		from, to int
		wantErr  bool
	}{
		{"different CIs", 1, 2, false},
		{"same CI", 7, 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := relationships.CheckEnds(tt.from, tt.to)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("CheckEnds(%d, %d) = %v, want nil", tt.from, tt.to, err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != "to" {
				t.Fatalf("CheckEnds(%d, %d) = %#v, want an invalid error on field to", tt.from, tt.to, err)
			}
		})
	}
}

// TestAdd adds relationships through the rule and, for the ends rule,
// straight through the ent client (the hook), on every backend.
func TestAdd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		var a, b int
		if err := txn.Do(ctx, db.Client, func(c *ent.Client) error {
			for i, p := range []*int{&a, &b} {
				ci, err := c.ConfigurationItem.Create().SetName([]string{"app01", "db01"}[i]).SetKind(configurationitem.KindServer).Save(ctx)
				if err != nil {
					return err
				}
				*p = ci.ID
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		add := func(from, to int, typ relationship.Type) (*ent.Relationship, error) {
			var r *ent.Relationship
			err := txn.Do(ctx, db.Client, func(c *ent.Client) error {
				var err error
				r, err = relationships.Add(ctx, c, from, to, typ, nil, nil, "record")
				return err
			})
			return r, err
		}
		tests := []struct {
			name      string
			from, to  int
			typ       relationship.Type
			wantCode  apperr.Code
			wantField string
		}{
			{"a runs on b", a, b, relationship.TypeRunsOn, "", ""},
			{"the same edge again", a, b, relationship.TypeRunsOn, apperr.Conflict, "type"},
			{"another type between the same CIs", a, b, relationship.TypeDependsOn, "", ""},
			{"a CI on itself", a, a, relationship.TypeDependsOn, apperr.BadUserInput, "to"},
			{"from a CI that does not exist", 999_999_999, b, relationship.TypeUses, apperr.NotFound, "from"},
			{"to a CI that does not exist", a, 999_999_999, relationship.TypeUses, apperr.NotFound, "to"},
		}
		for _, tt := range tests {
			r, err := add(tt.from, tt.to, tt.typ)
			if tt.wantCode == "" {
				if err != nil || r.FromID != tt.from || r.ToID != tt.to || r.Type != tt.typ || r.Source != "record" {
					t.Errorf("%s: Add = %+v, %v", tt.name, r, err)
				}
				continue
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != tt.wantCode || ae.Field != tt.wantField {
				t.Errorf("%s: Add error = %v, want %s on %q", tt.name, err, tt.wantCode, tt.wantField)
			}
		}
		// Every write path: the hook refuses a self edge written directly.
		err = txn.Do(ctx, db.Client, func(c *ent.Client) error {
			return c.Relationship.Create().SetFromID(b).SetToID(b).SetType(relationship.TypeUses).Exec(ctx)
		})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Field != "to" {
			t.Errorf("direct ent write of a self edge: %v, want the ends rule on field to", err)
		}
		n, err := db.Client.Relationship.Query().Count(ctx)
		if err != nil || n != 2 {
			t.Errorf("relationships stored = %d, %v; want 2", n, err)
		}
	})
}

// TestCheckAttributes: the limits of a relationship's attributes are
// discovery's, and a refusal is BAD_USER_INPUT on "attributes" naming the
// key.
func TestCheckAttributes(t *testing.T) {
	if relationships.MaxAttributes != discovery.MaxRelationshipAttributes || relationships.MaxAttributeLen != discovery.MaxAttributeLen {
		t.Fatalf("limits %d/%d differ from discovery's %d/%d", relationships.MaxAttributes, relationships.MaxAttributeLen,
			discovery.MaxRelationshipAttributes, discovery.MaxAttributeLen)
	}
	many := map[string]string{}
	for i := range 17 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	sixteen := maps.Clone(many)
	delete(sixteen, "k16")
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		msg   string
	}{
		{"none", nil, ""},
		{"ports", map[string]string{"local_port": "Gi0/1", "remote_port": "Eth1/1"}, ""},
		{"sixteen", sixteen, ""},
		{"empty value", map[string]string{"disk": ""}, ""},
		{"longest key and value", map[string]string{strings.Repeat("k", 256): strings.Repeat("v", 256)}, ""},
		{"seventeen", many, "at most 16 attributes, not 17"},
		{"empty key", map[string]string{"": "x"}, "keys are 1 to 256 bytes"},
		{"key too long", map[string]string{strings.Repeat("k", 257): "x"}, "keys are 1 to 256 bytes"},
		{"value too long", map[string]string{"local_port": strings.Repeat("v", 257)}, `attribute "local_port": values are at most 256 bytes, not 257`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := relationships.CheckAttributes(tc.attrs)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != "attributes" || !strings.Contains(ae.Msg, tc.msg) {
				t.Fatalf("error %v, want BAD_USER_INPUT on attributes with %q", err, tc.msg)
			}
		})
	}
}
