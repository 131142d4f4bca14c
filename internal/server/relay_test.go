package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// relayEstate: 7 CIs of 3 kinds with two owners, and identifiers.
func relayEstate(t *testing.T, env *servertest.Env) map[string]int {
	t.Helper()
	ids := map[string]int{}
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		web, err := tx.Owner.Create().SetName("web-team").SetKind(owner.KindTeam).Save(ctx)
		if err != nil {
			return err
		}
		data, err := tx.Owner.Create().SetName("data-team").SetKind(owner.KindTeam).Save(ctx)
		if err != nil {
			return err
		}
		ids["web-team"], ids["data-team"] = web.ID, data.ID
		for _, c := range []struct {
			name string
			kind configurationitem.Kind
			own  int
			ip   string
		}{
			{"web-01", configurationitem.KindServer, web.ID, "10.1.0.1"},
			{"web-02", configurationitem.KindServer, web.ID, "10.1.0.2"},
			{"web-03", configurationitem.KindVM, web.ID, "10.1.0.3"},
			{"db-01", configurationitem.KindDatabase, data.ID, "10.2.0.1"},
			{"db-02", configurationitem.KindDatabase, data.ID, "10.2.0.2"},
			{"cache-01", configurationitem.KindVM, data.ID, "10.2.0.3"},
			{"lb-01", configurationitem.KindLoadBalancer, web.ID, "2001:db8::10"},
		} {
			ci, err := tx.ConfigurationItem.Create().SetName(c.name).SetKind(c.kind).SetHostname(c.name).SetOwnerID(c.own).Save(ctx)
			if err != nil {
				return err
			}
			if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.KindIP).SetValue(c.ip).Exec(ctx); err != nil {
				return err
			}
			ids[c.name] = ci.ID
		}
		v, err := tx.Vendor.Create().SetName("Acme").Save(ctx)
		if err != nil {
			return err
		}
		s, err := tx.Service.Create().SetName("shop").AddMemberIDs(ids["web-01"]).Save(ctx)
		if err != nil {
			return err
		}
		ids["Acme"], ids["shop"] = v.ID, s.ID
		return nil
	})
	return ids
}

type pageInfo struct {
	HasNextPage, HasPreviousPage bool
	StartCursor, EndCursor       *string
}

type namePage struct {
	ConfigurationItems struct {
		TotalCount int
		PageInfo   pageInfo
		Edges      []struct {
			Cursor string
			Node   struct{ Name string }
		}
	}
}

func (p namePage) names() string {
	var n []string
	for _, e := range p.ConfigurationItems.Edges {
		n = append(n, e.Node.Name)
	}
	return strings.Join(n, ",")
}

func TestRelayNodes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		ids := relayEstate(t, env)
		for _, c := range []struct{ key, typename, name string }{
			{"web-01", "ConfigurationItem", "web-01"},
			{"web-team", "Owner", "web-team"},
			{"Acme", "Vendor", "Acme"},
			{"shop", "Service", "shop"},
		} {
			got := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { __typename id
				... on ConfigurationItem { name } ... on Owner { name } ... on Vendor { name } ... on Service { name } } }`,
				map[string]any{"id": ids[c.key]}))
			if tn, n, id := str(t, got, "node.__typename"), str(t, got, "node.name"), str(t, got, "node.id"); tn != c.typename || n != c.name || id != fmt.Sprint(ids[c.key]) {
				t.Errorf("node(%d) = %s %s %s, want %s %s", ids[c.key], tn, id, n, c.typename, c.name)
			}
		}
		var out struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
				Name     string
			}
		}
		env.Do(t, env.Viewer, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on ConfigurationItem { name } ... on Owner { name } ... on Vendor { name } ... on Service { name } } }`,
			map[string]any{"ids": []int{ids["shop"], ids["db-02"], ids["Acme"], ids["data-team"]}}).OK(t).Decode(t, &out)
		var got []string
		for _, n := range out.Nodes {
			got = append(got, n.Typename+":"+n.Name)
		}
		if g := strings.Join(got, ","); g != "Service:shop,ConfigurationItem:db-02,Vendor:Acme,Owner:data-team" {
			t.Errorf("nodes = %s", g)
		}
		t.Run("unknown IDs", func(t *testing.T) {
			missing := ids["web-01"] + 1_000_000
			r := env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing})
			if string(r.Data) != `{"node":null}` {
				t.Errorf("node(missing) data = %s", r.Data)
			}
			wantErr(t, r, "NOT_FOUND", "", "")
			// An ID outside every type's range.
			r = env.Do(t, env.Viewer, `{ node(id: "999999999999999") { id } }`, nil)
			wantErr(t, r, "NOT_FOUND", "", "")
			// (Malformed IDs and cursors: TestHTTPEndpoints/malformed_requests.)
		})
	})
}

func TestRelayPagination(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		relayEstate(t, env)
		const q = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
			configurationItems(first: $first, after: $after, last: $last, before: $before, orderBy: [{field: NAME}]) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`
		all := "cache-01,db-01,db-02,lb-01,web-01,web-02,web-03"

		// Forward, three at a time.
		var forward []string
		var after any
		for i := 0; ; i++ {
			var p namePage
			env.Do(t, env.Viewer, q, map[string]any{"first": 3, "after": after}).OK(t).Decode(t, &p)
			c := p.ConfigurationItems
			if c.TotalCount != 7 {
				t.Errorf("page %d: totalCount %d, want 7", i, c.TotalCount)
			}
			wantLen := []int{3, 3, 1}[i]
			if len(c.Edges) != wantLen || c.PageInfo.HasNextPage != (i < 2) {
				t.Fatalf("forward page %d: %d edges, hasNextPage %v", i, len(c.Edges), c.PageInfo.HasNextPage)
			}
			if *c.PageInfo.StartCursor != c.Edges[0].Cursor || *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
				t.Errorf("page %d: start/end cursors do not match the edges", i)
			}
			forward = append(forward, p.names())
			if !c.PageInfo.HasNextPage {
				break
			}
			after = *c.PageInfo.EndCursor
		}
		if got := strings.Join(forward, ","); got != all {
			t.Errorf("forward pages = %s, want %s", got, all)
		}
		if want := "cache-01,db-01,db-02|lb-01,web-01,web-02|web-03"; strings.Join(forward, "|") != want {
			t.Errorf("forward pages %v, want %s", forward, want)
		}

		// Backward, three at a time.
		var backward []string
		var before any
		for i := 0; ; i++ {
			var p namePage
			env.Do(t, env.Viewer, q, map[string]any{"last": 3, "before": before}).OK(t).Decode(t, &p)
			c := p.ConfigurationItems
			if c.TotalCount != 7 || c.PageInfo.HasPreviousPage != (i < 2) {
				t.Fatalf("backward page %d: totalCount %d hasPreviousPage %v", i, c.TotalCount, c.PageInfo.HasPreviousPage)
			}
			backward = append([]string{p.names()}, backward...)
			if !c.PageInfo.HasPreviousPage {
				break
			}
			before = *c.PageInfo.StartCursor
		}
		if want := "cache-01|db-01,db-02,lb-01|web-01,web-02,web-03"; strings.Join(backward, "|") != want {
			t.Errorf("backward pages %v, want %s", backward, want)
		}

		// A cursor from the middle, both ways.
		var p namePage
		env.Do(t, env.Viewer, q, map[string]any{"first": 4}).OK(t).Decode(t, &p)
		mid := p.ConfigurationItems.Edges[3].Cursor // lb-01
		var a, b namePage
		env.Do(t, env.Viewer, q, map[string]any{"first": 10, "after": mid}).OK(t).Decode(t, &a)
		env.Do(t, env.Viewer, q, map[string]any{"last": 10, "before": mid}).OK(t).Decode(t, &b)
		if a.names() != "web-01,web-02,web-03" || b.names() != "cache-01,db-01,db-02" {
			t.Errorf("after lb-01: %s; before lb-01: %s", a.names(), b.names())
		}
		if a.ConfigurationItems.PageInfo.HasNextPage || b.ConfigurationItems.PageInfo.HasPreviousPage {
			t.Errorf("pageInfo past the ends: %+v %+v", a.ConfigurationItems.PageInfo, b.ConfigurationItems.PageInfo)
		}
		// An empty page.
		var e namePage
		env.Do(t, env.Viewer, q, map[string]any{"first": 0}).OK(t).Decode(t, &e)
		if len(e.ConfigurationItems.Edges) != 0 || e.ConfigurationItems.TotalCount != 7 {
			t.Errorf("first: 0 returned %+v", e)
		}
	})
}

func TestRelayOrderAndFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		relayEstate(t, env)
		run := func(args string) namePage {
			t.Helper()
			var p namePage
			env.Do(t, env.Viewer, `{ configurationItems(`+args+`) { totalCount edges { node { name } } } }`, nil).OK(t).Decode(t, &p)
			return p
		}
		cases := []struct{ args, want string }{
			{`orderBy: [{field: KIND, direction: ASC}, {field: NAME, direction: DESC}]`, "db-02,db-01,lb-01,web-02,web-01,web-03,cache-01"},
			{`orderBy: [{field: KIND, direction: DESC}, {field: NAME, direction: ASC}]`, "cache-01,web-03,web-01,web-02,lb-01,db-01,db-02"},
			{`orderBy: [{field: NAME, direction: DESC}]`, "web-03,web-02,web-01,lb-01,db-02,db-01,cache-01"},
			{`where: {hostnameHasPrefix: "web-"}, orderBy: [{field: NAME}]`, "web-01,web-02,web-03"},
			{`where: {kindIn: [DATABASE, LOAD_BALANCER]}, orderBy: [{field: NAME}]`, "db-01,db-02,lb-01"},
			{`where: {hasOwnerWith: {name: "data-team"}}, orderBy: [{field: NAME}]`, "cache-01,db-01,db-02"},
			{`where: {hasIdentifiersWith: {kind: IP, value: "10.1.0.2"}}`, "web-02"},
			{`where: {hasIdentifiersWith: {kind: IP, value: "2001:db8::10"}}`, "lb-01"},
			{`where: {hasIdentifiersWith: {kind: IP, valueHasPrefix: "10.2."}}, orderBy: [{field: NAME}]`, "cache-01,db-01,db-02"},
			{`where: {or: [{kind: VM}, {nameContains: "db"}], not: {hasOwnerWith: {name: "web-team"}}}, orderBy: [{field: NAME}]`, "cache-01,db-01,db-02"},
			{`where: {hasServicesWith: {name: "shop"}}`, "web-01"},
			{`where: {hasIdentifiersWith: {kind: MAC}}`, ""},
			{`where: {kind: SERVER, hasOwnerWith: {name: "web-team"}}, orderBy: [{field: NAME, direction: DESC}], first: 1`, "web-02"},
		}
		for _, c := range cases {
			t.Run(c.args, func(t *testing.T) {
				p := run(c.args)
				if got := p.names(); got != c.want {
					t.Errorf("got %s, want %s", got, c.want)
				}
				if n := len(strings.Split(c.want, ",")); c.want != "" && !strings.Contains(c.args, "first:") && p.ConfigurationItems.TotalCount != n {
					t.Errorf("totalCount %d, want %d", p.ConfigurationItems.TotalCount, n)
				}
			})
		}
		t.Run("totalCount counts the filter, not the page", func(t *testing.T) {
			if p := run(`where: {hostnameHasPrefix: "web-"}, first: 1`); p.ConfigurationItems.TotalCount != 3 || len(p.ConfigurationItems.Edges) != 1 {
				t.Errorf("totalCount %d with %d edges, want 3 and 1", p.ConfigurationItems.TotalCount, len(p.ConfigurationItems.Edges))
			}
		})
	})
}
