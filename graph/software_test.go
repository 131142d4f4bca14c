package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

const softwareQuery = `query($name: String!, $below: String, $first: Int, $after: Cursor) {
  softwareInstallations(name: $name, versionBelow: $below, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { name version arch manager configurationItem { name } } }
  }
}`

type softwarePage struct {
	SoftwareInstallations struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage, HasPreviousPage bool
			EndCursor                    *string
		}
		Edges []struct {
			Cursor string
			Node   struct {
				Name, Version     string
				Arch, Manager     *string
				ConfigurationItem struct{ Name string }
			}
		}
	}
}

// rows lists a page as "CI name=version".
func (p softwarePage) rows() []string {
	out := []string{}
	for _, e := range p.SoftwareInstallations.Edges {
		out = append(out, e.Node.ConfigurationItem.Name+"="+e.Node.Version)
	}
	return out
}

// seedSoftware creates CIs whose package facts the hook turns into
// installations: Debian and RPM hosts with openssl, one host whose package
// only starts with the name, one without packages.
func seedSoftware(t *testing.T, env *servertest.Env) {
	t.Helper()
	hosts := []struct {
		name  string
		facts map[string]any
	}{
		{"deb-b", map[string]any{"packages.manager": "dpkg", "package.openssl": "3.0.11-1~deb12u2", "package_arch.openssl": "amd64", "package.foo": "1.0"}},
		{"deb-a", map[string]any{"packages.manager": "dpkg", "package.openssl": "3.0.15-1~deb12u1", "package_arch.openssl": "amd64"}},
		{"deb-c", map[string]any{"packages.manager": "apt", "package.openssl": "3.0.9-1,3.0.11-1~deb12u3", "package_arch.openssl": "amd64,i386"}},
		{"rhel-2", map[string]any{"packages.manager": "rpm", "package.openssl": "1:3.0.7-25.el9", "package.foo": "1.0"}},
		{"rhel-1", map[string]any{"packages.manager": "dnf", "package.openssl": "1:3.0.7-27.el9_5"}},
		{"alpine", map[string]any{"packages.manager": "apk", "package.openssl": "3.1.4-r5"}},
		{"dev", map[string]any{"packages.manager": "dpkg", "package.openssl-dev": "3.0.9-1"}},
		{"bare", map[string]any{"os.id": "debian"}},
	}
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		for _, h := range hosts {
			if err := tx.ConfigurationItem.Create().SetName(h.name).SetKind(configurationitem.KindServer).SetFacts(h.facts).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestSoftwareInstallations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{CountStatements: true})
		seedSoftware(t, env)
		query := func(vars map[string]any) softwarePage {
			t.Helper()
			var p softwarePage
			env.Do(t, env.Viewer, softwareQuery, vars).OK(t).Decode(t, &p)
			return p
		}

		cases := []struct {
			name  string
			vars  map[string]any
			want  []string
			total int
		}{
			{"every installation, by CI name", map[string]any{"name": "openssl"},
				[]string{"alpine=3.1.4-r5", "deb-a=3.0.15-1~deb12u1", "deb-b=3.0.11-1~deb12u2", "deb-c=3.0.11-1~deb12u3", "deb-c=3.0.9-1",
					"rhel-1=1:3.0.7-27.el9_5", "rhel-2=1:3.0.7-25.el9"}, 7},
			// Debian ordering: ~deb12u2 is before ~deb12u3, 3.0.9 before
			// 3.0.11; the RPM hosts' epoch 1 is above any epoch-less
			// version; apk orders by Debian's rules.
			{"debian versionBelow", map[string]any{"name": "openssl", "below": "3.0.11-1~deb12u3"},
				[]string{"deb-b=3.0.11-1~deb12u2", "deb-c=3.0.9-1"}, 2},
			// RPM ordering: release 25 before 27.el9_5; every Debian
			// host (no epoch) is below epoch 1.
			{"rpm versionBelow", map[string]any{"name": "openssl", "below": "1:3.0.7-27.el9_5"},
				[]string{"alpine=3.1.4-r5", "deb-a=3.0.15-1~deb12u1", "deb-b=3.0.11-1~deb12u2", "deb-c=3.0.11-1~deb12u3", "deb-c=3.0.9-1",
					"rhel-2=1:3.0.7-25.el9"}, 6},
			// The managers disagree: for RPM a version without release
			// matches any release; for Debian 1.0 is 1.0-0.
			{"ordering by manager", map[string]any{"name": "foo", "below": "1.0-1"}, []string{"deb-b=1.0"}, 1},
			{"exact name only", map[string]any{"name": "openssl-dev"}, []string{"dev=3.0.9-1"}, 1},
			{"unknown package", map[string]any{"name": "nginx"}, []string{}, 0},
			{"first 0 counts only", map[string]any{"name": "openssl", "first": 0}, []string{}, 7},
		}
		for _, c := range cases {
			p := query(c.vars)
			if got := p.rows(); !slices.Equal(got, c.want) || p.SoftwareInstallations.TotalCount != c.total {
				t.Errorf("%s: got %q (total %d), want %q (total %d)", c.name, got, p.SoftwareInstallations.TotalCount, c.want, c.total)
			}
		}

		// A node carries its fields; the arch pairs with its version.
		p := query(map[string]any{"name": "openssl", "below": "3.0.10"})
		if len(p.SoftwareInstallations.Edges) != 1 {
			t.Fatalf("below 3.0.10: %q", p.rows())
		}
		n := p.SoftwareInstallations.Edges[0].Node
		if n.Name != "openssl" || n.Version != "3.0.9-1" || n.Arch == nil || *n.Arch != "amd64" || n.Manager == nil || *n.Manager != "apt" {
			t.Errorf("deb-c's 3.0.9-1: %+v", n)
		}

		// Paging: 7 installations, 3 a page, in the order of the full list.
		var paged []string
		var after any
		for page := 0; ; page++ {
			vars := map[string]any{"name": "openssl", "first": 3}
			if after != nil {
				vars["after"] = after
			}
			p := query(vars)
			paged = append(paged, p.rows()...)
			info := p.SoftwareInstallations.PageInfo
			if p.SoftwareInstallations.TotalCount != 7 || info.HasPreviousPage != (page > 0) {
				t.Fatalf("page %d: total %d, hasPreviousPage %v", page, p.SoftwareInstallations.TotalCount, info.HasPreviousPage)
			}
			if !info.HasNextPage {
				break
			}
			if page > 3 || info.EndCursor == nil {
				t.Fatalf("page %d: still a next page, end cursor %v", page, info.EndCursor)
			}
			after = *info.EndCursor
		}
		if !slices.Equal(paged, cases[0].want) {
			t.Errorf("paged 3 at a time: %q, want %q", paged, cases[0].want)
		}

		// No N+1: a page of 2 and a page of 7, with each node's CI, take the
		// same statements (the installations' keys, the nodes, their CIs).
		count := func(first int) int64 {
			env.Counter.Reset()
			query(map[string]any{"name": "openssl", "first": first})
			return env.Counter.Count()
		}
		if small, large := count(2), count(7); small != large {
			t.Errorf("a page of 2 took %d statements, a page of 7 %d: want the same", small, large)
		}

		// A node is reachable by its global ID too.
		var nodeResp struct {
			Node struct {
				Version           string
				ConfigurationItem struct{ Name string }
			}
		}
		var first struct {
			SoftwareInstallations struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.Do(t, env.Viewer, `{ softwareInstallations(name: "foo", first: 1) { edges { node { id } } } }`, nil).OK(t).Decode(t, &first)
		env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on SoftwareInstallation { version configurationItem { name } } } }`,
			map[string]any{"id": first.SoftwareInstallations.Edges[0].Node.ID}).OK(t).Decode(t, &nodeResp)
		if nodeResp.Node.Version != "1.0" || nodeResp.Node.ConfigurationItem.Name != "deb-b" {
			t.Errorf("node(id:) of foo's first installation: %+v, want deb-b's 1.0", nodeResp.Node)
		}

		// Bad input names the argument.
		for _, c := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"name": "openssl", "below": ""}, "versionBelow"},
			{map[string]any{"name": "openssl", "first": -1}, "first"},
			{map[string]any{"name": "openssl", "first": 1001}, "first"},
			// A cursor of another connection (ordered by ID: no CI name).
			{map[string]any{"name": "openssl", "after": ciCursor(t, env)}, "after"},
		} {
			e := env.Do(t, env.Viewer, softwareQuery, c.vars).Err(t)
			if e.Code() != "BAD_USER_INPUT" || e.Field() != c.field {
				t.Errorf("%v: error %s %q (%s), want BAD_USER_INPUT on %q", c.vars, e.Code(), e.Field(), e.Message, c.field)
			}
		}
	})
}

// ciCursor returns the cursor of the first CI of configurationItems.
func ciCursor(t *testing.T, env *servertest.Env) string {
	t.Helper()
	var p struct {
		ConfigurationItems struct{ Edges []struct{ Cursor string } }
	}
	env.Do(t, env.Viewer, `{ configurationItems(first: 1) { edges { cursor } } }`, nil).OK(t).Decode(t, &p)
	if len(p.ConfigurationItems.Edges) != 1 {
		t.Fatal("no CI to take a cursor from")
	}
	return p.ConfigurationItems.Edges[0].Cursor
}
