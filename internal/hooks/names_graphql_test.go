package hooks_test

import (
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestNamesOverGraphQL: the names rule answers over GraphQL as every
// validation error does, BAD_USER_INPUT with extensions.field, on create
// and update of several entities and on createAPIToken; nothing is written.
func TestNamesOverGraphQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		var created struct {
			CreateConfigurationItem struct{ ID string }
		}
		env.Do(t, env.Editor, `mutation { createConfigurationItem(input: {name: "web01", kind: SERVER}) { id } }`, nil).OK(t).Decode(t, &created)
		id := created.CreateConfigurationItem.ID

		for _, tc := range []struct {
			name, token, query, field string
			vars                      map[string]any
		}{
			{"create CI", env.Editor, `mutation($v: String!) { createConfigurationItem(input: {name: $v, kind: SERVER}) { id } }`, "name", nil},
			{"rename CI", env.Editor, `mutation($v: String!, $id: ID!) { updateConfigurationItem(id: $id, input: {name: $v}) { id } }`, "name", map[string]any{"id": id}},
			{"create service", env.Editor, `mutation($v: String!) { createService(input: {name: $v}) { id } }`, "name", nil},
			{"create vendor", env.Editor, `mutation($v: String!) { createVendor(input: {name: $v}) { id } }`, "name", nil},
			{"create owner", env.Editor, `mutation($v: String!) { createOwner(input: {name: $v, kind: TEAM}) { id } }`, "name", nil},
			{"create token", env.Admin, `mutation($v: String!) { createAPIToken(name: $v, role: VIEWER) { token } }`, "name", nil},
		} {
			for _, bad := range []string{"web\x0001", "invoice\u202egpj.exe", "a\u2066b", "two\nlines", "ad\u200bmin"} {
				vars := map[string]any{"v": bad}
				for k, v := range tc.vars {
					vars[k] = v
				}
				e := env.Do(t, tc.token, tc.query, vars).Err(t)
				if e.Code() != "BAD_USER_INPUT" || e.Field() != tc.field || !strings.Contains(e.Message, "U+") {
					t.Errorf("%s with %q: %s (code %s, field %s), want BAD_USER_INPUT on %s naming the character",
						tc.name, bad, e.Message, e.Code(), e.Field(), tc.field)
				}
			}
		}
		var got struct {
			ConfigurationItems struct{ TotalCount int }
			Services           struct{ TotalCount int }
			Vendors            struct{ TotalCount int }
			Owners             struct{ TotalCount int }
			Node               struct{ Name string }
		}
		env.Do(t, env.Viewer, `query($id: ID!) { configurationItems { totalCount } services { totalCount } vendors { totalCount }
			owners { totalCount } node(id: $id) { ... on ConfigurationItem { name } } }`, map[string]any{"id": id}).OK(t).Decode(t, &got)
		if got.ConfigurationItems.TotalCount != 1 || got.Services.TotalCount+got.Vendors.TotalCount+got.Owners.TotalCount != 0 || got.Node.Name != "web01" {
			t.Errorf("after refused writes: %+v, want only web01", got)
		}
	})
}
