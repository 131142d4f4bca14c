package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestRelationshipAttributes: addRelationship takes the attributes of the
// edge (a StringMap), the relationship reads them back, the audit event
// records them, and the discovery limits refuse too many, too long or
// non-string attributes without writing anything.
func TestRelationshipAttributes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := seedFixture(t, env)
		ids := map[string]any{"ci": f.ci, "other": f.other}
		add := `mutation($ci: ID!, $other: ID!, $attrs: StringMap) {
			addRelationship(from: $other, to: $ci, type: CONNECTS_TO, attributes: $attrs) { id attributes } }`
		with := func(attrs any) map[string]any {
			return map[string]any{"ci": f.ci, "other": f.other, "attrs": attrs}
		}

		many := map[string]any{}
		for i := range 17 {
			many[fmt.Sprintf("k%02d", i)] = "v"
		}
		for _, c := range []errCase{
			{"too many attributes", add, with(many), "BAD_USER_INPUT", "attributes", "at most 16 attributes, not 17"},
			{"value too long", add, with(map[string]any{"local_port": strings.Repeat("x", 257)}), "BAD_USER_INPUT", "attributes", `attribute "local_port": values are at most 256 bytes, not 257`},
			{"empty key", add, with(map[string]any{"": "x"}), "BAD_USER_INPUT", "attributes", "keys are 1 to 256 bytes"},
		} {
			t.Run(c.name, func(t *testing.T) {
				mustNotWrite(t, env, func() { wantErr(t, env.Do(t, env.Editor, c.query, c.vars), c.code, c.field, c.msg) })
			})
		}
		t.Run("non-string value", func(t *testing.T) {
			mustNotWrite(t, env, func() {
				r := env.Do(t, env.Editor, add, with(map[string]any{"local_port": 3}))
				if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, `"local_port" is`) {
					t.Fatalf("want one error naming the attribute, got %s", r)
				}
			})
		})

		got := data(t, env.Do(t, env.Editor, add, with(map[string]any{"local_port": "Gi0/1", "remote_port": "Eth1/1"})))
		if a := fmt.Sprint(get(t, got, "addRelationship.attributes")); a != "map[local_port:Gi0/1 remote_port:Eth1/1]" {
			t.Fatalf("attributes %s", a)
		}
		read := data(t, env.Do(t, env.Viewer, `query($other: ID!) { relationships(where: {fromID: $other}) { edges { node { type attributes } } } }`, ids))
		if a := fmt.Sprint(get(t, read, "relationships.edges.0.node.attributes")); a != "map[local_port:Gi0/1 remote_port:Eth1/1]" {
			t.Fatalf("read back %s", a)
		}
		ev := data(t, env.Do(t, env.Admin, `{ auditEvents(where: {entityType: "Relationship", action: CREATE}, last: 1) { edges { node { changes { field after } } } } }`, nil))
		if !strings.Contains(fmt.Sprint(get(t, ev, "auditEvents.edges.0.node.changes")), "map[after:map[local_port:Gi0/1 remote_port:Eth1/1] field:attributes]") {
			t.Fatalf("audit changes %v", get(t, ev, "auditEvents.edges.0.node.changes"))
		}
	})
}
