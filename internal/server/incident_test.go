package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// icSeed creates named entities inside one env.Seed transaction and
// remembers their IDs by name (CI and service names are unique across both
// in these estates).
type icSeed struct {
	t   *testing.T
	ctx context.Context
	tx  *ent.Client
	ids map[string]int
}

func (s *icSeed) check(what string, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("seeding %s: %v", what, err)
	}
}

func (s *icSeed) id(name string) int {
	s.t.Helper()
	id, ok := s.ids[name]
	if !ok {
		s.t.Fatalf("seeding: no entity named %q", name)
	}
	return id
}

func (s *icSeed) ci(name string, kind configurationitem.Kind, opts ...func(*ent.ConfigurationItemCreate)) int {
	s.t.Helper()
	c := s.tx.ConfigurationItem.Create().SetName(name).SetKind(kind)
	for _, o := range opts {
		o(c)
	}
	ci, err := c.Save(s.ctx)
	s.check("CI "+name, err)
	s.ids[name] = ci.ID
	return ci.ID
}

func (s *icSeed) ident(ci string, kind identifier.Kind, value string) {
	s.t.Helper()
	s.check("identifier "+value, s.tx.Identifier.Create().SetConfigurationItemID(s.id(ci)).SetKind(kind).SetValue(value).Exec(s.ctx))
}

// rel records "from depends on to" with the given type.
func (s *icSeed) rel(from string, typ relationship.Type, to string) {
	s.t.Helper()
	s.check(fmt.Sprintf("relationship %s %s %s", from, typ, to),
		s.tx.Relationship.Create().SetFromID(s.id(from)).SetToID(s.id(to)).SetType(typ).Exec(s.ctx))
}

func (s *icSeed) svc(name string, members []string, opts ...func(*ent.ServiceCreate)) int {
	s.t.Helper()
	c := s.tx.Service.Create().SetName(name)
	for _, m := range members {
		c.AddMemberIDs(s.id(m))
	}
	for _, o := range opts {
		o(c)
	}
	sv, err := c.Save(s.ctx)
	s.check("service "+name, err)
	s.ids[name] = sv.ID
	return sv.ID
}

// svcDependsOn records that service from depends on service to.
func (s *icSeed) svcDependsOn(from, to string) {
	s.t.Helper()
	s.check("service link "+from+" → "+to, s.tx.Service.UpdateOneID(s.id(from)).AddDependsOnIDs(s.id(to)).Exec(s.ctx))
}

func seedNamed(t *testing.T, env *servertest.Env, fn func(s *icSeed)) map[string]int {
	t.Helper()
	ids := map[string]int{}
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		fn(&icSeed{t: t, ctx: ctx, tx: tx, ids: ids})
		return nil
	})
	return ids
}

// names inverts an ID map: global ID (as GraphQL prints it) → name.
func names(ids map[string]int) map[string]string {
	out := make(map[string]string, len(ids))
	for n, id := range ids {
		out[strconv.Itoa(id)] = n
	}
	return out
}

func gid(id int) string { return strconv.Itoa(id) }

// impactEstate is a small data centre, every relationship reading "FROM
// depends on TO":
//
//	h1, h2 CONNECTS_TO sw (the core switch)
//	vm1 HOSTED_ON h1, vm2 HOSTED_ON h2
//	app RUNS_ON vm1 and vm2 (a diamond: both paths have length 3)
//	web DEPENDS_ON app (length 4) and USES h2 (length 2: web is at depth 2)
//	db-a RUNS_ON vm1; db-a REPLICATES_TO db-b and db-b REPLICATES_TO db-a (a replication pair)
//	app DEPENDS_ON db-a
//	ring-00 … ring-19: ring-i DEPENDS_ON ring-(i-1), ring-00 DEPENDS_ON ring-19 (a cycle longer than one walk chunk)
//	lonely: no relationship
//
// Services: network {sw}, compute {h1}, shop {web, app}, data {db-a, db-b},
// payments {pay-api}, frontend {}, island {lonely}; service links: frontend
// → shop → payments.
func impactEstate(t *testing.T, env *servertest.Env) map[string]int {
	return seedNamed(t, env, func(s *icSeed) {
		server, vm, app, db, nd := configurationitem.KindServer, configurationitem.KindVM,
			configurationitem.KindApplication, configurationitem.KindDatabase, configurationitem.KindNetworkDevice
		// Creation order fixes the ID order, which breaks depth ties.
		s.ci("sw", nd)
		s.ci("h1", server)
		s.ci("h2", server)
		s.ci("vm1", vm)
		s.ci("vm2", vm)
		s.ci("app", app)
		s.ci("web", app)
		s.ci("db-a", db)
		s.ci("db-b", db)
		s.ci("pay-api", app)
		s.ci("lonely", server)
		for i := range 20 {
			s.ci(fmt.Sprintf("ring-%02d", i), vm)
		}
		s.rel("h1", relationship.TypeConnectsTo, "sw")
		s.rel("h2", relationship.TypeConnectsTo, "sw")
		s.rel("vm1", relationship.TypeHostedOn, "h1")
		s.rel("vm2", relationship.TypeHostedOn, "h2")
		s.rel("app", relationship.TypeRunsOn, "vm1")
		s.rel("app", relationship.TypeRunsOn, "vm2")
		s.rel("web", relationship.TypeDependsOn, "app")
		s.rel("web", relationship.TypeUses, "h2")
		s.rel("db-a", relationship.TypeRunsOn, "vm1")
		s.rel("db-a", relationship.TypeReplicatesTo, "db-b")
		s.rel("db-b", relationship.TypeReplicatesTo, "db-a")
		s.rel("app", relationship.TypeDependsOn, "db-a")
		for i := range 20 {
			s.rel(fmt.Sprintf("ring-%02d", i), relationship.TypeDependsOn, fmt.Sprintf("ring-%02d", (i+19)%20))
		}
		s.svc("network", []string{"sw"}, func(c *ent.ServiceCreate) { c.SetTier(0) })
		s.svc("compute", []string{"h1"}, func(c *ent.ServiceCreate) { c.SetTier(1) })
		s.svc("shop", []string{"web", "app"}, func(c *ent.ServiceCreate) { c.SetTier(1) })
		s.svc("data", []string{"db-a", "db-b"})
		s.svc("payments", []string{"pay-api"}, func(c *ent.ServiceCreate) { c.SetTier(0) })
		s.svc("frontend", nil, func(c *ent.ServiceCreate) { c.SetTier(3) })
		s.svc("island", []string{"lonely"})
		s.svcDependsOn("frontend", "shop")
		s.svcDependsOn("shop", "payments")
	})
}

const impactQuery = `query($ci: ID!, $dir: ImpactDirection, $maxDepth: Int, $types: [RelationshipType!], $limit: Int) {
  impact(ci: $ci, direction: $dir, maxDepth: $maxDepth, types: $types, limit: $limit) {
    root { name }
    direction
    count
    truncated
    nodes { depth via parentID ci { id name } }
    services { name }
  }
}`

type impactNodeJSON struct {
	Depth    int
	Via      string
	ParentID string
	Ci       struct{ ID, Name string }
}

type impactJSON struct {
	Root      struct{ Name string }
	Direction string
	Count     int
	Truncated bool
	Nodes     []impactNodeJSON
	Services  []struct{ Name string }
}

// lines renders nodes as "name depth VIA parent", in response order.
func (im impactJSON) lines(t *testing.T, byID map[string]string) []string {
	t.Helper()
	out := []string{}
	for _, n := range im.Nodes {
		if byID[n.Ci.ID] != n.Ci.Name {
			t.Errorf("node %s has ID %s, which is %q", n.Ci.Name, n.Ci.ID, byID[n.Ci.ID])
		}
		parent, ok := byID[n.ParentID]
		if !ok {
			parent = "?" + n.ParentID
		}
		out = append(out, fmt.Sprintf("%s %d %s %s", n.Ci.Name, n.Depth, n.Via, parent))
	}
	return out
}

func (im impactJSON) serviceNames() []string {
	out := []string{}
	for _, s := range im.Services {
		out = append(out, s.Name)
	}
	return out
}

// inWalkOrder sorts "name depth VIA parent" lines the way a walk returns
// them: by depth, then CI ID.
func inWalkOrder(t *testing.T, ids map[string]int, lines []string) []string {
	t.Helper()
	out := append([]string{}, lines...)
	key := func(l string) (int, int) {
		f := strings.Fields(l)
		d, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("bad expected line %q", l)
		}
		return d, ids[f[0]]
	}
	sort.SliceStable(out, func(i, j int) bool {
		di, ii := key(out[i])
		dj, ij := key(out[j])
		if di != dj {
			return di < dj
		}
		return ii < ij
	})
	return out
}

func eqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n--- got ---\n%s\n--- want ---\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func ringLines(from, to int, dependents bool) []string {
	var out []string
	for d := from; d <= to; d++ {
		i, parent := d, d-1
		if !dependents {
			i, parent = (20-d)%20, (20-d+1)%20
		}
		out = append(out, fmt.Sprintf("ring-%02d %d DEPENDS_ON ring-%02d", i, d, parent))
	}
	return out
}

func TestImpact(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		ids := impactEstate(t, env)
		byID := names(ids)

		swDependents := []string{
			"h1 1 CONNECTS_TO sw", "h2 1 CONNECTS_TO sw",
			"vm1 2 HOSTED_ON h1", "vm2 2 HOSTED_ON h2", "web 2 USES h2",
			"app 3 RUNS_ON vm1", "db-a 3 RUNS_ON vm1",
			"db-b 4 REPLICATES_TO db-a",
		}
		for _, c := range []struct {
			name      string
			root      string
			vars      map[string]any
			want      []string // "name depth VIA parent", any order: sorted by depth then ID
			count     int      // when the cap cuts want short; else len(want)
			truncated bool
			services  []string
		}{
			{
				name: "dependents of the core switch: diamond and shortcut at minimum depth, replication pair once",
				root: "sw", want: swDependents,
				services: []string{"compute", "data", "network", "shop"},
			},
			{
				name: "DEPENDENTS is the default direction", root: "sw", vars: map[string]any{"dir": "DEPENDENTS"},
				want: swDependents, services: []string{"compute", "data", "network", "shop"},
			},
			{
				name: "maxDepth 1", root: "sw", vars: map[string]any{"maxDepth": 1},
				want:     []string{"h1 1 CONNECTS_TO sw", "h2 1 CONNECTS_TO sw"},
				services: []string{"compute", "network"},
			},
			{
				name: "maxDepth 2 keeps web at its shortest depth", root: "sw", vars: map[string]any{"maxDepth": 2},
				want:     []string{"h1 1 CONNECTS_TO sw", "h2 1 CONNECTS_TO sw", "vm1 2 HOSTED_ON h1", "vm2 2 HOSTED_ON h2", "web 2 USES h2"},
				services: []string{"compute", "network", "shop"},
			},
			{
				name: "types filter: connections and hosting only", root: "sw",
				vars:     map[string]any{"types": []string{"CONNECTS_TO", "HOSTED_ON"}},
				want:     []string{"h1 1 CONNECTS_TO sw", "h2 1 CONNECTS_TO sw", "vm1 2 HOSTED_ON h1", "vm2 2 HOSTED_ON h2"},
				services: []string{"compute", "network"},
			},
			{
				name: "types filter: USES is only followed past a CONNECTS_TO hop when both are allowed", root: "sw",
				vars:     map[string]any{"types": []string{"CONNECTS_TO", "USES"}},
				want:     []string{"h1 1 CONNECTS_TO sw", "h2 1 CONNECTS_TO sw", "web 2 USES h2"},
				services: []string{"compute", "network", "shop"},
			},
			{
				name: "types filter that matches no relationship at the root", root: "sw",
				vars: map[string]any{"types": []string{"USES"}}, want: []string{}, services: []string{"network"},
			},
			{
				name: "the cap: limit 3 keeps the 3 nearest", root: "sw", vars: map[string]any{"limit": 3},
				want:  []string{"h1 1 CONNECTS_TO sw", "h2 1 CONNECTS_TO sw", "vm1 2 HOSTED_ON h1"},
				count: 3, truncated: true, services: []string{"compute", "network"},
			},
			{
				name: "a cap equal to the reach is not truncated", root: "sw", vars: map[string]any{"limit": 8},
				want: swDependents, services: []string{"compute", "data", "network", "shop"},
			},
			{
				name: "a cap one short of the reach is truncated", root: "sw", vars: map[string]any{"limit": 7},
				want: swDependents[:7], count: 7, truncated: true, services: []string{"compute", "data", "network", "shop"},
			},
			{
				name: "dependencies of web", root: "web", vars: map[string]any{"dir": "DEPENDENCIES"},
				want: []string{
					"app 1 DEPENDS_ON web", "h2 1 USES web",
					"vm1 2 RUNS_ON app", "vm2 2 RUNS_ON app", "db-a 2 DEPENDS_ON app", "sw 2 CONNECTS_TO h2",
					"h1 3 HOSTED_ON vm1", "db-b 3 REPLICATES_TO db-a",
				},
				services: []string{"compute", "data", "network", "shop"},
			},
			{
				name: "dependents of web: nothing depends on it, its own service still listed", root: "web",
				want: []string{}, services: []string{"shop"},
			},
			{
				name: "replication pair, dependencies: the partner once, the root never", root: "db-a", vars: map[string]any{"dir": "DEPENDENCIES"},
				want:     []string{"vm1 1 RUNS_ON db-a", "db-b 1 REPLICATES_TO db-a", "h1 2 HOSTED_ON vm1", "sw 3 CONNECTS_TO h1"},
				services: []string{"compute", "data", "network"},
			},
			{
				name: "replication pair, dependents", root: "db-b",
				want:     []string{"db-a 1 REPLICATES_TO db-b", "app 2 DEPENDS_ON db-a", "web 3 DEPENDS_ON app"},
				services: []string{"data", "shop"},
			},
			{
				name: "ring of 20, dependents: every member once, across walk chunks", root: "ring-00",
				want: ringLines(1, 19, true), services: []string{},
			},
			{
				name: "ring of 20, dependencies", root: "ring-00", vars: map[string]any{"dir": "DEPENDENCIES"},
				want: ringLines(1, 19, false), services: []string{},
			},
			{
				name: "ring of 20, maxDepth 17 crosses the chunk boundary", root: "ring-00", vars: map[string]any{"maxDepth": 17},
				want: ringLines(1, 17, true), services: []string{},
			},
			{
				name: "a CI without relationships: empty impact, root's services", root: "lonely",
				want: []string{}, services: []string{"island"},
			},
		} {
			t.Run(c.name, func(t *testing.T) {
				vars := map[string]any{"ci": gid(ids[c.root])}
				for k, v := range c.vars {
					vars[k] = v
				}
				var out struct{ Impact impactJSON }
				env.Do(t, env.Viewer, impactQuery, vars).OK(t).Decode(t, &out)
				im := out.Impact
				wantDir := "DEPENDENTS"
				if c.vars["dir"] == "DEPENDENCIES" {
					wantDir = "DEPENDENCIES"
				}
				if im.Root.Name != c.root || im.Direction != wantDir {
					t.Errorf("root %q direction %s, want %q %s", im.Root.Name, im.Direction, c.root, wantDir)
				}
				var want []string
				if c.truncated {
					want = c.want // already the nearest ones, in order
				} else {
					want = inWalkOrder(t, ids, c.want)
				}
				eqLines(t, "nodes", im.lines(t, byID), want)
				count := c.count
				if count == 0 {
					count = len(c.want)
				}
				if im.Count != count || im.Truncated != c.truncated {
					t.Errorf("count %d truncated %v, want %d %v", im.Count, im.Truncated, count, c.truncated)
				}
				eqLines(t, "services", im.serviceNames(), c.services)
			})
		}

		t.Run("root and services only: no nodes selected", func(t *testing.T) {
			got := data(t, env.Do(t, env.Viewer, `query($ci: ID!) { impact(ci: $ci) { count truncated services { name } } }`,
				map[string]any{"ci": gid(ids["sw"])}))
			if b, _ := json.Marshal(got); string(b) != `{"impact":{"count":8,"services":[{"name":"compute"},{"name":"data"},{"name":"network"},{"name":"shop"}],"truncated":false}}` {
				t.Errorf("got %s", b)
			}
		})

		for _, c := range []struct {
			name        string
			vars        map[string]any
			code, field string
			msg         string
		}{
			{"unknown CI", map[string]any{"ci": "999999999"}, "NOT_FOUND", "ci", "configuration item 999999999 does not exist"},
			{"negative maxDepth", map[string]any{"maxDepth": -1}, "BAD_USER_INPUT", "maxDepth", "maxDepth must not be negative, got -1"},
			{"limit 0", map[string]any{"limit": 0}, "BAD_USER_INPUT", "limit", "limit must be between 1 and 100000, got 0"},
			{"negative limit", map[string]any{"limit": -5}, "BAD_USER_INPUT", "limit", "got -5"},
			{"limit above the maximum", map[string]any{"limit": 100001}, "BAD_USER_INPUT", "limit", "got 100001"},
		} {
			t.Run(c.name, func(t *testing.T) {
				vars := map[string]any{"ci": gid(ids["sw"])}
				for k, v := range c.vars {
					vars[k] = v
				}
				r := env.Do(t, env.Viewer, impactQuery, vars)
				wantErr(t, r, c.code, c.field, c.msg)
				if string(r.Data) != "null" {
					t.Errorf("data = %s, want null", r.Data)
				}
			})
		}
	})
}

func TestServiceImpactAndServiceMap(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		ids := impactEstate(t, env)
		byID := names(ids)

		const q = `query($s: ID!, $dir: ImpactDirection, $maxDepth: Int) {
  serviceImpact(service: $s, direction: $dir, maxDepth: $maxDepth) { root { name } direction services { depth via service { name } } }
}`
		for _, c := range []struct {
			name, root string
			vars       map[string]any
			want       []string // "service depth via", in order (depth, then name)
		}{
			{
				name: "dependents of the network: through member CIs, then a service link",
				root: "network",
				want: []string{"compute 1 CI", "data 1 CI", "shop 1 CI", "frontend 2 SERVICE"},
			},
			{
				name: "maxDepth 1", root: "network", vars: map[string]any{"maxDepth": 1},
				want: []string{"compute 1 CI", "data 1 CI", "shop 1 CI"},
			},
			{
				name: "dependencies of the shop: a service link and member CIs' dependencies",
				root: "shop", vars: map[string]any{"dir": "DEPENDENCIES"},
				want: []string{"compute 1 CI", "data 1 CI", "network 1 CI", "payments 1 SERVICE"},
			},
			{
				name: "dependencies of a service without members go through its links",
				root: "frontend", vars: map[string]any{"dir": "DEPENDENCIES"},
				want: []string{"shop 1 SERVICE", "compute 2 CI", "data 2 CI", "network 2 CI", "payments 2 SERVICE"},
			},
			{
				name: "dependents of payments: only service links reach it",
				root: "payments",
				want: []string{"shop 1 SERVICE", "frontend 2 SERVICE"},
			},
			{
				name: "dependents of data: the shop's app depends on db-a", root: "data",
				want: []string{"shop 1 CI", "frontend 2 SERVICE"},
			},
			{name: "a service nobody depends on", root: "frontend", want: []string{}},
			{name: "an isolated service", root: "island", vars: map[string]any{"dir": "DEPENDENCIES"}, want: []string{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				vars := map[string]any{"s": gid(ids[c.root])}
				for k, v := range c.vars {
					vars[k] = v
				}
				var out struct {
					ServiceImpact struct {
						Root      struct{ Name string }
						Direction string
						Services  []struct {
							Depth   int
							Via     string
							Service struct{ Name string }
						}
					}
				}
				env.Do(t, env.Viewer, q, vars).OK(t).Decode(t, &out)
				si := out.ServiceImpact
				wantDir := "DEPENDENTS"
				if c.vars["dir"] == "DEPENDENCIES" {
					wantDir = "DEPENDENCIES"
				}
				if si.Root.Name != c.root || si.Direction != wantDir {
					t.Errorf("root %q direction %s, want %q %s", si.Root.Name, si.Direction, c.root, wantDir)
				}
				got := []string{}
				for _, s := range si.Services {
					got = append(got, fmt.Sprintf("%s %d %s", s.Service.Name, s.Depth, s.Via))
				}
				eqLines(t, "services", got, c.want)
			})
		}
		t.Run("errors", func(t *testing.T) {
			wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"s": "999999999"}), "NOT_FOUND", "", "not found")
			wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"s": gid(ids["shop"]), "maxDepth": -2}), "BAD_USER_INPUT", "maxDepth", "got -2")
		})

		t.Run("serviceMap", func(t *testing.T) {
			const mq = `query($s: ID!) { serviceMap(service: $s) { nodes { id type label ciKind tier inService } edges { from to type } } }`
			var out struct {
				ServiceMap struct {
					Nodes []struct {
						ID, Type, Label string
						CiKind          *string
						Tier            *int
						InService       bool
					}
					Edges []struct{ From, To, Type string }
				}
			}
			env.Do(t, env.Viewer, mq, map[string]any{"s": gid(ids["shop"])}).OK(t).Decode(t, &out)
			var nodes, edges []string
			for _, n := range out.ServiceMap.Nodes {
				if byID[n.ID] != n.Label {
					t.Errorf("node %s has ID %s, which is %q", n.Label, n.ID, byID[n.ID])
				}
				extra := ""
				switch {
				case n.Type == "CI" && n.CiKind != nil && n.Tier == nil:
					extra = *n.CiKind
				case n.Type == "SERVICE" && n.Tier != nil && n.CiKind == nil:
					extra = fmt.Sprintf("tier %d", *n.Tier)
				default:
					t.Errorf("node %s: type %s with ciKind %v tier %v", n.Label, n.Type, n.CiKind, n.Tier)
				}
				nodes = append(nodes, fmt.Sprintf("%s %s %s in=%v", n.Type, n.Label, extra, n.InService))
			}
			for _, e := range out.ServiceMap.Edges {
				edges = append(edges, fmt.Sprintf("%s -%s-> %s", byID[e.From], e.Type, byID[e.To]))
			}
			sort.Strings(nodes)
			sort.Strings(edges)
			eqLines(t, "nodes", nodes, []string{
				"CI app APPLICATION in=true",
				"CI db-a DATABASE in=false",
				"CI h2 SERVER in=false",
				"CI vm1 VM in=false",
				"CI vm2 VM in=false",
				"CI web APPLICATION in=true",
				"SERVICE frontend tier 3 in=false",
				"SERVICE payments tier 0 in=false",
				"SERVICE shop tier 1 in=true",
			})
			eqLines(t, "edges", edges, []string{
				"app -DEPENDS_ON-> db-a",
				"app -RUNS_ON-> vm1",
				"app -RUNS_ON-> vm2",
				"frontend -SERVICE_DEPENDS_ON-> shop",
				"shop -MEMBER-> app",
				"shop -MEMBER-> web",
				"shop -SERVICE_DEPENDS_ON-> payments",
				"web -DEPENDS_ON-> app",
				"web -USES-> h2",
			})
			wantErr(t, env.Do(t, env.Viewer, mq, map[string]any{"s": "999999999"}), "NOT_FOUND", "", "not found")
		})
	})
}

func TestDependencyPath(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		ids := impactEstate(t, env)
		const q = `query($from: ID!, $to: ID!, $maxDepth: Int) {
  dependencyPath(from: $from, to: $to, maxDepth: $maxDepth) { length cis { name } relationships { type from { name } to { name } } }
}`
		for _, c := range []struct {
			name, from, to string
			maxDepth       *int
			want           string // "web -USES-> h2 -CONNECTS_TO-> sw", or "null"
			length         int
		}{
			{name: "shortest of two chains", from: "web", to: "sw", want: "web -USES-> h2 -CONNECTS_TO-> sw", length: 2},
			{name: "three hops", from: "web", to: "db-b", want: "web -DEPENDS_ON-> app -DEPENDS_ON-> db-a -REPLICATES_TO-> db-b", length: 3},
			{name: "through the diamond", from: "app", to: "h1", want: "app -RUNS_ON-> vm1 -HOSTED_ON-> h1", length: 2},
			{name: "one hop", from: "db-b", to: "db-a", want: "db-b -REPLICATES_TO-> db-a", length: 1},
			{name: "around the ring", from: "ring-05", to: "ring-02", want: "ring-05 -DEPENDS_ON-> ring-04 -DEPENDS_ON-> ring-03 -DEPENDS_ON-> ring-02", length: 3},
			{name: "against the direction: none", from: "sw", to: "web", want: "null"},
			{name: "unconnected: none", from: "lonely", to: "sw", want: "null"},
			{name: "beyond maxDepth: none", from: "web", to: "sw", maxDepth: ptr(1), want: "null"},
			{name: "within maxDepth", from: "web", to: "sw", maxDepth: ptr(2), want: "web -USES-> h2 -CONNECTS_TO-> sw", length: 2},
			{name: "from equals to", from: "web", to: "web", want: "web", length: 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				vars := map[string]any{"from": gid(ids[c.from]), "to": gid(ids[c.to])}
				if c.maxDepth != nil {
					vars["maxDepth"] = *c.maxDepth
				}
				var out struct {
					DependencyPath *struct {
						Length        int
						Cis           []struct{ Name string }
						Relationships []struct {
							Type     string
							From, To struct{ Name string }
						}
					}
				}
				env.Do(t, env.Viewer, q, vars).OK(t).Decode(t, &out)
				p := out.DependencyPath
				if p == nil {
					if c.want != "null" {
						t.Fatalf("got null, want %s", c.want)
					}
					return
				}
				if len(p.Relationships) != len(p.Cis)-1 || p.Length != len(p.Relationships) {
					t.Fatalf("length %d with %d CIs and %d relationships", p.Length, len(p.Cis), len(p.Relationships))
				}
				got := p.Cis[0].Name
				for i, r := range p.Relationships {
					if r.From.Name != p.Cis[i].Name || r.To.Name != p.Cis[i+1].Name {
						t.Errorf("relationship %d links %s → %s, want %s → %s", i, r.From.Name, r.To.Name, p.Cis[i].Name, p.Cis[i+1].Name)
					}
					got += fmt.Sprintf(" -%s-> %s", r.Type, p.Cis[i+1].Name)
				}
				if got != c.want || p.Length != c.length {
					t.Errorf("got %s (length %d), want %s (length %d)", got, p.Length, c.want, c.length)
				}
			})
		}
		t.Run("errors", func(t *testing.T) {
			wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"from": "999999999", "to": gid(ids["sw"])}), "NOT_FOUND", "from", "configuration item 999999999 does not exist")
			wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"from": gid(ids["sw"]), "to": "999999998"}), "NOT_FOUND", "to", "configuration item 999999998 does not exist")
			wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"from": gid(ids["web"]), "to": gid(ids["sw"]), "maxDepth": -1}), "BAD_USER_INPUT", "maxDepth", "got -1")
		})
	})
}

// incidentEstate: CIs named by every kind of identifier, owners, services,
// contracts, an asset, drifts and a dated audit trail. The dates of the
// contracts are around the asOf dates the tests use (2024-06-01 and
// 2025-09-01) and all in the past, so that the golden file never meets the
// "<now>" rewrite of normalize and "now" sees them all ended.
func incidentEstate(t *testing.T, env *servertest.Env) map[string]int {
	return seedNamed(t, env, func(s *icSeed) {
		ctx, tx := s.ctx, s.tx
		team, err := tx.Owner.Create().SetName("platform-team").SetKind(owner.KindTeam).
			SetOncallContact("pager: platform-primary").SetEscalation("platform lead after 15 min, then head of infrastructure").
			SetChatChannel("#platform").Save(ctx)
		s.check("team", err)
		alice, err := tx.Owner.Create().SetName("alice").SetKind(owner.KindPerson).SetEmail("alice@example.com").
			SetOncallContact("+44 20 7946 0000").SetEscalation("platform-team rota").SetTeamID(team.ID).Save(ctx)
		s.check("person", err)
		dell, err := tx.Vendor.Create().SetName("Dell").Save(ctx)
		s.check("vendor", err)
		s.ids["platform-team"], s.ids["alice"], s.ids["Dell"] = team.ID, alice.ID, dell.ID

		srv := configurationitem.KindServer
		s.ci("app-prod-01", srv, func(c *ent.ConfigurationItemCreate) {
			c.SetHostname("app-prod-01").SetSerialNumber("SN-ABC-123").SetOwnerID(alice.ID).SetVendorID(dell.ID)
		})
		s.ident("app-prod-01", identifier.KindIP, "10.20.30.40")
		s.ci("edge-v6", configurationitem.KindNetworkDevice)
		s.ident("edge-v6", identifier.KindIP, "2001:db8::1")
		s.ci("storage-01", configurationitem.KindStorage)
		s.ident("storage-01", identifier.KindMAC, "00:1a:2b:3c:4d:5e")
		s.ci("mail01", srv, func(c *ent.ConfigurationItemCreate) { c.SetFqdn("mail01.corp.example.com") })
		// Only the FQDN is recorded (as discovery or an import records it):
		// no hostname field, no HOSTNAME identifier.
		s.ci("Mail relay 2", srv)
		s.ident("Mail relay 2", identifier.KindFQDN, "mx02.corp.example.com")
		// Only the short host name is recorded.
		s.ci("Orders DB 7", configurationitem.KindDatabase, func(c *ent.ConfigurationItemCreate) {
			c.SetHostname("db07").SetOwnerID(team.ID)
		})
		s.ci("lab-scanner", configurationitem.KindNetworkDevice, func(c *ent.ConfigurationItemCreate) { c.SetAssetTag("AT-0042") })
		s.ci("billing-worker", configurationitem.KindCloudResource)
		s.ident("billing-worker", identifier.KindCloudID, "i-0abc1234def567890")
		s.ci("hv-03", srv)
		s.ident("hv-03", identifier.KindUUID, "4c4c4544-0042-3510-8052-b4c04f4e4b31")
		// "vault" is one CI's name and another's serial number.
		s.ci("vault", configurationitem.KindApplication)
		s.ci("hsm-01", configurationitem.KindNetworkDevice, func(c *ent.ConfigurationItemCreate) { c.SetSerialNumber("vault") })
		s.ci("Payments Primary DB", configurationitem.KindDatabase)
		s.ci("lb-east", configurationitem.KindLoadBalancer)
		s.ci("lb-west", configurationitem.KindLoadBalancer)
		s.ci("Mail relay 3a", srv)
		s.ident("Mail relay 3a", identifier.KindFQDN, "mx03.corp.example.com")
		s.ci("Mail relay 3b", srv)
		s.ident("Mail relay 3b", identifier.KindFQDN, "mx03.dr.example.com")
		// Two CIs of the same name (names need not be unique).
		s.ci("Twin VM", configurationitem.KindVM)
		s.ci("Twin VM", configurationitem.KindVM)
		// nat-b is created first: its ID is lower, its name sorts later.
		s.ci("nat-b", configurationitem.KindNetworkDevice)
		s.ci("nat-a", configurationitem.KindNetworkDevice)
		s.ident("nat-b", identifier.KindIP, "10.99.0.5")
		s.ident("nat-a", identifier.KindIP, "10.99.0.5")

		// Dependents of app-prod-01 to depth 5, dependencies to depth 2.
		for _, n := range []string{"fe-1", "fe-2", "x2", "x3", "x4", "x5", "hv-01", "sw-01"} {
			s.ci(n, configurationitem.KindVM)
		}
		s.rel("fe-1", relationship.TypeDependsOn, "app-prod-01")
		s.rel("fe-2", relationship.TypeDependsOn, "app-prod-01")
		s.rel("x2", relationship.TypeDependsOn, "fe-1")
		s.rel("x3", relationship.TypeDependsOn, "x2")
		s.rel("x4", relationship.TypeDependsOn, "x3")
		s.rel("x5", relationship.TypeDependsOn, "x4")
		s.rel("app-prod-01", relationship.TypeRunsOn, "hv-01")
		s.rel("hv-01", relationship.TypeConnectsTo, "sw-01")

		s.svc("reporting", []string{"app-prod-01"}, func(c *ent.ServiceCreate) {
			c.SetTier(3).SetSloTarget(99.5).SetRtoMinutes(240).SetRpoMinutes(60)
		})
		s.svc("checkout", []string{"app-prod-01"}, func(c *ent.ServiceCreate) {
			c.SetTier(0).SetSloTarget(99.95).SetRtoMinutes(30).SetRpoMinutes(5).
				SetRunbookURL("https://runbooks.example.com/checkout").SetOwnerID(team.ID)
		})
		s.svc("storefront", []string{"fe-1"}, func(c *ent.ServiceCreate) { c.SetTier(1) })

		for _, c := range []struct {
			number     string
			kind       contract.Kind
			start, end string
			sla        int
			contact    string
			ci         string
		}{
			{"SUP-2024", contract.KindSupport, "2024-01-01", "2025-12-31", 240, "Dell ProSupport +1 800 000 0000", "app-prod-01"},
			{"MNT-2025", contract.KindMaintenance, "2025-06-01", "2026-06-01", 60, "maintenance desk", "app-prod-01"},
			{"SUP-OLD", contract.KindSupport, "2021-01-01", "2023-12-31", 480, "old desk", "app-prod-01"},
			{"WAR-2022", contract.KindWarranty, "2022-01-01", "2025-01-01", 1440, "Dell warranty", "app-prod-01"},
			{"LIC-1", contract.KindLicense, "2024-01-01", "2030-01-01", 0, "licensing", "app-prod-01"},
			{"SUP-OTHER", contract.KindSupport, "2024-01-01", "2030-01-01", 30, "elsewhere", "edge-v6"},
		} {
			s.check("contract "+c.number, tx.Contract.Create().SetNumber(c.number).SetKind(c.kind).
				SetStartDate(day(c.start)).SetEndDate(day(c.end)).SetSLAResponseMinutes(c.sla).
				SetSupportContact(c.contact).SetVendorID(dell.ID).AddCoveredCiIDs(s.id(c.ci)).Exec(ctx))
		}
		s.check("asset", tx.Asset.Create().SetConfigurationItemID(s.id("Orders DB 7")).SetWarrantyEnd(day("2027-03-01")).Exec(ctx))

		for _, d := range []struct {
			kind     drift.Kind
			status   drift.Status
			field    string
			lastSeen string
			ci       string
		}{
			{drift.KindAttributeChanged, drift.StatusOpen, "memory_mb", "2025-08-01", "app-prod-01"},
			{drift.KindMissing, drift.StatusAcknowledged, "", "2025-08-15", "app-prod-01"},
			{drift.KindAttributeChanged, drift.StatusResolved, "cpu_count", "2025-08-20", "app-prod-01"},
			{drift.KindAttributeChanged, drift.StatusOpen, "os_version", "2025-08-20", "edge-v6"},
		} {
			c := tx.Drift.Create().SetKind(d.kind).SetStatus(d.status).SetConfigurationItemID(s.id(d.ci)).
				SetFirstSeenAt(day("2025-07-01")).SetLastSeenAt(day(d.lastSeen))
			if d.field != "" {
				c.SetFieldName(d.field).SetRecorded(`16384`).SetObserved(`32768`)
			}
			s.check("drift", c.Exec(ctx))
		}

		// A dated audit trail: ops-00 … ops-11 on 2025-01-01 … 2025-01-12 at
		// 10:00, ops-late on 2026-06-01; the seed's own CREATE is now.
		app := s.id("app-prod-01")
		for i := range 13 {
			at, actor := day("2025-01-01").Add(time.Duration(i)*24*time.Hour+10*time.Hour), fmt.Sprintf("ops-%02d", i)
			if i == 12 {
				at, actor = day("2026-06-01"), "ops-late"
			}
			s.check("audit event", tx.AuditEvent.Create().SetAt(at).SetActor(actor).SetAction(auditevent.ActionUpdate).
				SetEntityType(ent.TypeConfigurationItem).SetEntityID(app).
				SetChanges([]schematype.FieldChange{{Field: "description", Before: nil, After: actor}}).Exec(ctx))
		}
	})
}

const matchQuery = `query($id: String!) {
  incidentContext(identifier: $id) { ci { name } matchedBy matchRule matchedValue ambiguous alternatives { name } }
}`

type matchJSON struct {
	IncidentContext *struct {
		Ci           struct{ Name string }
		MatchedBy    string
		MatchRule    string
		MatchedValue string
		Ambiguous    bool
		Alternatives []struct{ Name string }
	}
}

func TestIncidentContextMatching(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		incidentEstate(t, env)
		for _, c := range []struct {
			input, ci, by, rule, value string
			alternatives               []string
		}{
			// IPv4
			{"10.20.30.40", "app-prod-01", "IP", "IDENTIFIER", "10.20.30.40", nil},
			{"  10.20.30.40  ", "app-prod-01", "IP", "IDENTIFIER", "10.20.30.40", nil},
			{"\t10.20.30.40\n", "app-prod-01", "IP", "IDENTIFIER", "10.20.30.40", nil},
			{"::ffff:10.20.30.40", "app-prod-01", "IP", "IDENTIFIER", "10.20.30.40", nil},
			{"::FFFF:10.20.30.40", "app-prod-01", "IP", "IDENTIFIER", "10.20.30.40", nil},
			// IPv6
			{"2001:db8::1", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			{"2001:0db8:0000:0000:0000:0000:0000:0001", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			{"2001:db8:0:0:0:0:0:1", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			{"2001:DB8::1", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			{"2001:0DB8::0001", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			{"[2001:db8::1]", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			{" 2001:db8::1 ", "edge-v6", "IP", "IDENTIFIER", "2001:db8::1", nil},
			// MAC
			{"00:1a:2b:3c:4d:5e", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"00:1A:2B:3C:4D:5E", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"00-1A-2B-3C-4D-5E", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"00-1a-2b-3c-4d-5e", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"001a.2b3c.4d5e", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"001A.2B3C.4D5E", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"001a2b3c4d5e", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"001A2B3C4D5E", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			{"0:1a:2b:3c:4d:5e", "storage-01", "MAC", "IDENTIFIER", "00:1a:2b:3c:4d:5e", nil},
			// FQDN and short host names
			{"mail01.corp.example.com", "mail01", "FQDN", "IDENTIFIER", "mail01.corp.example.com", nil},
			{"mail01.corp.example.com.", "mail01", "FQDN", "IDENTIFIER", "mail01.corp.example.com", nil},
			{"MAIL01.Corp.Example.COM.", "mail01", "FQDN", "IDENTIFIER", "mail01.corp.example.com", nil},
			{"mail01", "mail01", "HOSTNAME", "SHORT_NAME", "mail01", nil},
			{"MAIL01", "mail01", "HOSTNAME", "SHORT_NAME", "mail01", nil},
			{"mx02.corp.example.com", "Mail relay 2", "FQDN", "IDENTIFIER", "mx02.corp.example.com", nil},
			{"mx02", "Mail relay 2", "FQDN", "SHORT_NAME", "mx02.corp.example.com", nil},
			{"MX02", "Mail relay 2", "FQDN", "SHORT_NAME", "mx02.corp.example.com", nil},
			{"db07", "Orders DB 7", "HOSTNAME", "SHORT_NAME", "db07", nil},
			{"db07.corp.example.com", "Orders DB 7", "HOSTNAME", "SHORT_NAME", "db07", nil},
			{"DB07.Corp.Example.com.", "Orders DB 7", "HOSTNAME", "SHORT_NAME", "db07", nil},
			{"app-prod-01", "app-prod-01", "HOSTNAME", "SHORT_NAME", "app-prod-01", nil},
			{"APP-PROD-01.example.net", "app-prod-01", "HOSTNAME", "SHORT_NAME", "app-prod-01", nil},
			// Serials, asset tags, cloud IDs, UUIDs
			{"sn-abc-123", "app-prod-01", "SERIAL", "IDENTIFIER", "SN-ABC-123", nil},
			{" SN-ABC-123 ", "app-prod-01", "SERIAL", "IDENTIFIER", "SN-ABC-123", nil},
			{"AT-0042", "lab-scanner", "ASSET_TAG", "IDENTIFIER", "AT-0042", nil},
			{" at-0042 ", "lab-scanner", "ASSET_TAG", "IDENTIFIER", "AT-0042", nil},
			{"i-0abc1234def567890", "billing-worker", "CLOUD_ID", "IDENTIFIER", "i-0abc1234def567890", nil},
			{"  i-0abc1234def567890\t", "billing-worker", "CLOUD_ID", "IDENTIFIER", "i-0abc1234def567890", nil},
			{"4c4c4544-0042-3510-8052-b4c04f4e4b31", "hv-03", "UUID", "IDENTIFIER", "4c4c4544-0042-3510-8052-b4c04f4e4b31", nil},
			{"4C4C4544-0042-3510-8052-B4C04F4E4B31", "hv-03", "UUID", "IDENTIFIER", "4c4c4544-0042-3510-8052-b4c04f4e4b31", nil},
			{"{4C4C4544-0042-3510-8052-B4C04F4E4B31}", "hv-03", "UUID", "IDENTIFIER", "4c4c4544-0042-3510-8052-b4c04f4e4b31", nil},
			{"4C4C4544004235108052B4C04F4E4B31", "hv-03", "UUID", "IDENTIFIER", "4c4c4544-0042-3510-8052-b4c04f4e4b31", nil},
			{"urn:uuid:4c4c4544-0042-3510-8052-b4c04f4e4b31", "hv-03", "UUID", "IDENTIFIER", "4c4c4544-0042-3510-8052-b4c04f4e4b31", nil},
			// An exact identifier beats a CI name.
			{"vault", "hsm-01", "SERIAL", "IDENTIFIER", "VAULT", nil},
			{"VAULT", "hsm-01", "SERIAL", "IDENTIFIER", "VAULT", nil},
			// CI names, case-insensitive.
			{"Payments Primary DB", "Payments Primary DB", "HOSTNAME", "NAME", "Payments Primary DB", nil},
			{"payments primary db", "Payments Primary DB", "HOSTNAME", "NAME", "payments primary db", nil},
			{"  PAYMENTS PRIMARY DB ", "Payments Primary DB", "HOSTNAME", "NAME", "PAYMENTS PRIMARY DB", nil},
			{"lb-east", "lb-east", "HOSTNAME", "NAME", "lb-east", nil},
			// A unique prefix of a name or a host name.
			{"paym", "Payments Primary DB", "HOSTNAME", "PREFIX", "paym", nil},
			{"Payments Pri", "Payments Primary DB", "HOSTNAME", "PREFIX", "payments pri", nil},
			{"lab-sc", "lab-scanner", "HOSTNAME", "PREFIX", "lab-sc", nil},
			{"db0", "Orders DB 7", "HOSTNAME", "PREFIX", "db0", nil},
			{"BILLING", "billing-worker", "HOSTNAME", "PREFIX", "billing", nil},
			// Ambiguous: the first in name order, the others listed.
			{"10.99.0.5", "nat-a", "IP", "IDENTIFIER", "10.99.0.5", []string{"nat-b"}},
			{"::ffff:10.99.0.5", "nat-a", "IP", "IDENTIFIER", "10.99.0.5", []string{"nat-b"}},
			{"lb-", "lb-east", "HOSTNAME", "PREFIX", "lb-", []string{"lb-west"}},
			{"LB", "lb-east", "HOSTNAME", "PREFIX", "lb", []string{"lb-west"}},
			{"nat", "nat-a", "HOSTNAME", "PREFIX", "nat", []string{"nat-b"}},
			{"twin vm", "Twin VM", "HOSTNAME", "NAME", "twin vm", []string{"Twin VM"}},
			{"mx03", "Mail relay 3a", "FQDN", "SHORT_NAME", "mx03.corp.example.com", []string{"Mail relay 3b"}},
			{"mx03.dr.example.com", "Mail relay 3b", "FQDN", "IDENTIFIER", "mx03.dr.example.com", nil},
		} {
			t.Run(fmt.Sprintf("%q", c.input), func(t *testing.T) {
				var out matchJSON
				env.Do(t, env.Viewer, matchQuery, map[string]any{"id": c.input}).OK(t).Decode(t, &out)
				ic := out.IncidentContext
				if ic == nil {
					t.Fatalf("no match, want %s", c.ci)
				}
				got := fmt.Sprintf("%s by %s/%s %q", ic.Ci.Name, ic.MatchedBy, ic.MatchRule, ic.MatchedValue)
				want := fmt.Sprintf("%s by %s/%s %q", c.ci, c.by, c.rule, c.value)
				if got != want {
					t.Errorf("got %s, want %s", got, want)
				}
				alts := []string{}
				for _, a := range ic.Alternatives {
					alts = append(alts, a.Name)
				}
				if c.alternatives == nil {
					c.alternatives = []string{}
				}
				if ic.Ambiguous != (len(c.alternatives) > 0) || strings.Join(alts, ",") != strings.Join(c.alternatives, ",") {
					t.Errorf("ambiguous %v alternatives %v, want %v", ic.Ambiguous, alts, c.alternatives)
				}
			})
		}
		// An FQDN never matches a host of the same short name in another
		// domain, nor the short name of a recorded FQDN.
		for _, input := range []string{"no-such-host-zz", "mx02.other.example.org", "203.0.113.99", "aa:bb:cc:dd:ee:01", "zzz", "   ", ""} {
			t.Run(fmt.Sprintf("no match %q", input), func(t *testing.T) {
				r := env.Do(t, env.Viewer, matchQuery, map[string]any{"id": input})
				if len(r.Errors) > 0 || string(r.Data) != `{"incidentContext":null}` {
					t.Errorf("got %s, want data {\"incidentContext\":null} and no error", r)
				}
			})
		}
	})
}

const contextQuery = `query($id: String!, $asOf: Time, $depth: Int) {
  incidentContext(identifier: $id, asOf: $asOf, depth: $depth) {
    ci { name kind }
    matchedBy matchRule matchedValue ambiguous alternatives { name }
    asOf
    owner { name kind email oncallContact escalation chatChannel }
    team { name oncallContact escalation chatChannel }
    services { name tier sloTarget rtoMinutes rpoMinutes runbookURL owner { name } }
    dependents { count truncated nodes { depth via ci { name } } services { name } }
    dependencies { count truncated nodes { depth via ci { name } } }
    vendor { name }
    supportContracts { number kind startDate endDate slaResponseMinutes supportContact vendor { name } }
    warranty { active endDate daysLeft contract { number } }
    bookValue { amount currency }
    openDrifts { kind status field recorded observed lastSeenAt }
    recentChanges { at actor action entityType }
  }
}`

type contextJSON struct {
	IncidentContext *struct {
		Ci           struct{ Name, Kind string }
		MatchedBy    string
		MatchRule    string
		MatchedValue string
		Ambiguous    bool
		Alternatives []struct{ Name string }
		AsOf         time.Time
		Owner        *struct {
			Name, Kind                                    string
			Email, OncallContact, Escalation, ChatChannel *string
		}
		Team *struct {
			Name                                   string
			OncallContact, Escalation, ChatChannel *string
		}
		Services []struct {
			Name                   string
			Tier                   int
			SloTarget              *float64
			RtoMinutes, RpoMinutes *int
			RunbookURL             *string
			Owner                  *struct{ Name string }
		}
		Dependents, Dependencies struct {
			Count     int
			Truncated bool
			Nodes     []struct {
				Depth int
				Via   string
				Ci    struct{ Name string }
			}
			Services []struct{ Name string }
		}
		Vendor           *struct{ Name string }
		SupportContracts []struct {
			Number, Kind       string
			StartDate, EndDate time.Time
			SlaResponseMinutes *int
			SupportContact     *string
			Vendor             *struct{ Name string }
		}
		Warranty *struct {
			Active   bool
			EndDate  *time.Time
			DaysLeft *int
			Contract *struct{ Number string }
		}
		BookValue  *struct{ Amount, Currency string }
		OpenDrifts []struct {
			Kind, Status       string
			Field              *string
			Recorded, Observed *string
			LastSeenAt         time.Time
		}
		RecentChanges []struct {
			At                        time.Time
			Actor, Action, EntityType string
		}
	}
}

func ctxNodes(nodes []struct {
	Depth int
	Via   string
	Ci    struct{ Name string }
}) []string {
	out := []string{}
	for _, n := range nodes {
		out = append(out, fmt.Sprintf("%s %d %s", n.Ci.Name, n.Depth, n.Via))
	}
	return out
}

func TestIncidentContext(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Config: server.Config{AllowAnonymousRead: true}})
		incidentEstate(t, env)

		ask := func(t *testing.T, token string, vars map[string]any) contextJSON {
			t.Helper()
			var out contextJSON
			r := env.Do(t, token, contextQuery, vars).OK(t)
			r.Decode(t, &out)
			if out.IncidentContext == nil {
				t.Fatalf("no context for %v: %s", vars, r)
			}
			return out
		}

		t.Run("whole context at 2025-09-01", func(t *testing.T) {
			r := env.Do(t, env.Viewer, contextQuery, map[string]any{"id": " 10.20.30.40 ", "asOf": "2025-09-01T00:00:00Z"}).OK(t)
			golden(t, "incident_context", r.Data)
			var out contextJSON
			r.Decode(t, &out)
			ic := out.IncidentContext
			if ic.Ci.Name != "app-prod-01" || ic.Ci.Kind != "SERVER" || ic.MatchedBy != "IP" || ic.MatchRule != "IDENTIFIER" ||
				ic.MatchedValue != "10.20.30.40" || ic.Ambiguous || len(ic.Alternatives) != 0 {
				t.Errorf("match: %+v", ic)
			}
			if !ic.AsOf.Equal(day("2025-09-01")) {
				t.Errorf("asOf %s", ic.AsOf)
			}
			// Owner: a person, with on-call contact and escalation, and the team.
			if o := ic.Owner; o == nil || o.Name != "alice" || o.Kind != "PERSON" || o.Email == nil || *o.Email != "alice@example.com" ||
				o.OncallContact == nil || *o.OncallContact != "+44 20 7946 0000" || o.Escalation == nil || *o.Escalation != "platform-team rota" {
				t.Errorf("owner: %+v", o)
			}
			if tm := ic.Team; tm == nil || tm.Name != "platform-team" || tm.OncallContact == nil || *tm.OncallContact != "pager: platform-primary" ||
				tm.Escalation == nil || *tm.Escalation != "platform lead after 15 min, then head of infrastructure" || tm.ChatChannel == nil || *tm.ChatChannel != "#platform" {
				t.Errorf("team: %+v", tm)
			}
			// Services, most critical tier first.
			var svcs []string
			for _, s := range ic.Services {
				line := fmt.Sprintf("%s tier %d", s.Name, s.Tier)
				if s.SloTarget != nil {
					line += fmt.Sprintf(" slo %g", *s.SloTarget)
				}
				if s.RtoMinutes != nil && s.RpoMinutes != nil {
					line += fmt.Sprintf(" rto %d rpo %d", *s.RtoMinutes, *s.RpoMinutes)
				}
				if s.RunbookURL != nil {
					line += " runbook " + *s.RunbookURL
				}
				if s.Owner != nil {
					line += " owner " + s.Owner.Name
				}
				svcs = append(svcs, line)
			}
			eqLines(t, "services", svcs, []string{
				"checkout tier 0 slo 99.95 rto 30 rpo 5 runbook https://runbooks.example.com/checkout owner platform-team",
				"reporting tier 3 slo 99.5 rto 240 rpo 60",
			})
			// Dependents and dependencies to depth 3 by default.
			if ic.Dependents.Count != 4 || ic.Dependents.Truncated {
				t.Errorf("dependents count %d truncated %v, want 4 false", ic.Dependents.Count, ic.Dependents.Truncated)
			}
			eqLines(t, "dependents", ctxNodes(ic.Dependents.Nodes), []string{"fe-1 1 DEPENDS_ON", "fe-2 1 DEPENDS_ON", "x2 2 DEPENDS_ON", "x3 3 DEPENDS_ON"})
			var dsvc []string
			for _, s := range ic.Dependents.Services {
				dsvc = append(dsvc, s.Name)
			}
			eqLines(t, "dependents' services", dsvc, []string{"checkout", "reporting", "storefront"})
			if ic.Dependencies.Count != 2 {
				t.Errorf("dependencies count %d, want 2", ic.Dependencies.Count)
			}
			eqLines(t, "dependencies", ctxNodes(ic.Dependencies.Nodes), []string{"hv-01 1 RUNS_ON", "sw-01 2 CONNECTS_TO"})
			if ic.Vendor == nil || ic.Vendor.Name != "Dell" {
				t.Errorf("vendor %+v", ic.Vendor)
			}
			// Contracts in force on 2025-09-01: not the old one, not the
			// ended warranty, not the licence, not another CI's.
			var cs []string
			for _, c := range ic.SupportContracts {
				line := fmt.Sprintf("%s %s %s..%s", c.Number, c.Kind, c.StartDate.Format(time.DateOnly), c.EndDate.Format(time.DateOnly))
				if c.SlaResponseMinutes != nil && c.SupportContact != nil && c.Vendor != nil {
					line += fmt.Sprintf(" sla %dm %s (%s)", *c.SlaResponseMinutes, *c.SupportContact, c.Vendor.Name)
				}
				cs = append(cs, line)
			}
			eqLines(t, "support contracts", cs, []string{
				"SUP-2024 SUPPORT 2024-01-01..2025-12-31 sla 240m Dell ProSupport +1 800 000 0000 (Dell)",
				"MNT-2025 MAINTENANCE 2025-06-01..2026-06-01 sla 60m maintenance desk (Dell)",
			})
			// The warranty ended on 2025-01-01, 243 days before asOf.
			if w := ic.Warranty; w == nil || w.Active || w.EndDate == nil || !w.EndDate.Equal(day("2025-01-01")) ||
				w.DaysLeft == nil || *w.DaysLeft != -243 || w.Contract == nil || w.Contract.Number != "WAR-2022" {
				t.Errorf("warranty: %s", jsonOf(w))
			}
			if ic.BookValue != nil {
				t.Errorf("bookValue %+v, want null", ic.BookValue)
			}
			// Open and acknowledged drifts of this CI, last seen first.
			var drifts []string
			for _, d := range ic.OpenDrifts {
				line := fmt.Sprintf("%s %s %s", d.Kind, d.Status, d.LastSeenAt.Format(time.DateOnly))
				if d.Field != nil {
					line += fmt.Sprintf(" %s %s→%s", *d.Field, *d.Recorded, *d.Observed)
				}
				drifts = append(drifts, line)
			}
			eqLines(t, "open drifts", drifts, []string{"MISSING ACKNOWLEDGED 2025-08-15", "ATTRIBUTE_CHANGED OPEN 2025-08-01 memory_mb 16384→32768"})
			// The last 10 changes up to asOf, newest first.
			var changes []string
			for _, c := range ic.RecentChanges {
				changes = append(changes, fmt.Sprintf("%s %s %s %s", c.At.UTC().Format("2006-01-02T15"), c.Actor, c.Action, c.EntityType))
			}
			var want []string
			for i := 11; i >= 2; i-- {
				want = append(want, fmt.Sprintf("2025-01-%02dT10 ops-%02d UPDATE ConfigurationItem", i+1, i))
			}
			eqLines(t, "recent changes", changes, want)
		})

		t.Run("asOf 2024-06-01: a contract not yet started is absent, a warranty since ended is active", func(t *testing.T) {
			ic := ask(t, env.Viewer, map[string]any{"id": "app-prod-01", "asOf": "2024-06-01T00:00:00Z"}).IncidentContext
			var cs []string
			for _, c := range ic.SupportContracts {
				cs = append(cs, c.Number)
			}
			eqLines(t, "support contracts", cs, []string{"WAR-2022", "SUP-2024"})
			if w := ic.Warranty; w == nil || !w.Active || w.EndDate == nil || !w.EndDate.Equal(day("2025-01-01")) ||
				w.DaysLeft == nil || *w.DaysLeft != 214 || w.Contract == nil || w.Contract.Number != "WAR-2022" {
				t.Errorf("warranty: %s", jsonOf(w))
			}
			if len(ic.RecentChanges) != 0 {
				t.Errorf("recent changes before any change: %s", jsonOf(ic.RecentChanges))
			}
		})

		t.Run("asOf 2023-06-01: the old contract is in force, the current one has not started", func(t *testing.T) {
			ic := ask(t, env.Viewer, map[string]any{"id": "app-prod-01", "asOf": "2023-06-01T12:00:00Z"}).IncidentContext
			var cs []string
			for _, c := range ic.SupportContracts {
				cs = append(cs, c.Number)
			}
			eqLines(t, "support contracts", cs, []string{"SUP-OLD", "WAR-2022"})
		})

		t.Run("asOf in the middle of the audit trail", func(t *testing.T) {
			ic := ask(t, env.Viewer, map[string]any{"id": "app-prod-01", "asOf": "2025-01-05T10:00:00Z"}).IncidentContext
			var actors []string
			for _, c := range ic.RecentChanges {
				actors = append(actors, c.Actor)
			}
			eqLines(t, "recent changes", actors, []string{"ops-04", "ops-03", "ops-02", "ops-01", "ops-00"})
		})

		t.Run("default asOf is now", func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			ic := ask(t, env.Viewer, map[string]any{"id": "app-prod-01"}).IncidentContext
			if ic.AsOf.Before(before) || ic.AsOf.After(time.Now().Add(time.Second)) {
				t.Errorf("asOf %s, want now", ic.AsOf)
			}
			var changes []string
			for _, c := range ic.RecentChanges {
				changes = append(changes, c.Actor+" "+c.Action)
			}
			want := []string{servertest.SetupActor + " CREATE", "ops-late UPDATE"}
			for i := 11; i >= 4; i-- {
				want = append(want, fmt.Sprintf("ops-%02d UPDATE", i))
			}
			eqLines(t, "recent changes", changes, want)
			// Every contract of the estate has ended by now.
			if len(ic.SupportContracts) != 0 {
				t.Errorf("support contracts now: %s, want none", jsonOf(ic.SupportContracts))
			}
			// Whole UTC calendar days (finance.DaysLeft), whatever the time of day.
			days := int(day("2025-01-01").Sub(day(ic.AsOf.UTC().Format(time.DateOnly))).Hours() / 24)
			if w := ic.Warranty; w == nil || w.Active || w.DaysLeft == nil || *w.DaysLeft != days || w.Contract == nil || w.Contract.Number != "WAR-2022" {
				t.Errorf("warranty now: %s, want ended %d days ago", jsonOf(w), -days)
			}
		})

		t.Run("depth 5 reaches further", func(t *testing.T) {
			ic := ask(t, env.Viewer, map[string]any{"id": "app-prod-01", "asOf": "2025-09-01T00:00:00Z", "depth": 5}).IncidentContext
			if ic.Dependents.Count != 6 || ic.Dependencies.Count != 2 {
				t.Errorf("dependents %d dependencies %d, want 6 and 2", ic.Dependents.Count, ic.Dependencies.Count)
			}
			eqLines(t, "dependents", ctxNodes(ic.Dependents.Nodes), []string{
				"fe-1 1 DEPENDS_ON", "fe-2 1 DEPENDS_ON", "x2 2 DEPENDS_ON", "x3 3 DEPENDS_ON", "x4 4 DEPENDS_ON", "x5 5 DEPENDS_ON",
			})
			ic = ask(t, env.Viewer, map[string]any{"id": "app-prod-01", "depth": 1}).IncidentContext
			if ic.Dependents.Count != 2 || ic.Dependencies.Count != 1 {
				t.Errorf("depth 1: dependents %d dependencies %d, want 2 and 1", ic.Dependents.Count, ic.Dependencies.Count)
			}
		})

		t.Run("bad depth", func(t *testing.T) {
			for _, d := range []int{0, -1, 51} {
				// Refused whether or not the identifier matches.
				for _, id := range []string{"app-prod-01", "no-such-host-zz"} {
					wantErr(t, env.Do(t, env.Viewer, contextQuery, map[string]any{"id": id, "depth": d}),
						"BAD_USER_INPUT", "depth", fmt.Sprintf("depth must be between 1 and 50, got %d", d))
				}
			}
		})

		t.Run("a team owner has no team; the warranty comes from the asset", func(t *testing.T) {
			ic := ask(t, env.Viewer, map[string]any{"id": "db07.corp.example.com", "asOf": "2025-09-01T00:00:00Z"}).IncidentContext
			if ic.Ci.Name != "Orders DB 7" || ic.Owner == nil || ic.Owner.Name != "platform-team" || ic.Owner.Kind != "TEAM" || ic.Team != nil {
				t.Errorf("owner %s team %s", jsonOf(ic.Owner), jsonOf(ic.Team))
			}
			days := int(day("2027-03-01").Sub(day("2025-09-01")).Hours() / 24)
			if w := ic.Warranty; w == nil || !w.Active || w.EndDate == nil || !w.EndDate.Equal(day("2027-03-01")) ||
				w.DaysLeft == nil || *w.DaysLeft != days || w.Contract != nil {
				t.Errorf("warranty %s, want active until 2027-03-01, %d days left, no contract", jsonOf(w), days)
			}
			if ic.Vendor != nil || len(ic.Services) != 0 || len(ic.SupportContracts) != 0 || len(ic.OpenDrifts) != 0 ||
				ic.Dependents.Count != 0 || ic.Dependencies.Count != 0 {
				t.Errorf("want no vendor, services, contracts, drifts or relationships: %s", jsonOf(ic))
			}
			ic = ask(t, env.Viewer, map[string]any{"id": "db07", "asOf": "2027-03-03T00:00:00Z"}).IncidentContext
			if w := ic.Warranty; w == nil || w.Active || w.DaysLeft == nil || *w.DaysLeft != -2 {
				t.Errorf("after the end: warranty %s, want inactive, -2 days", jsonOf(w))
			}
		})

		t.Run("a CI with nothing around it", func(t *testing.T) {
			ic := ask(t, env.Viewer, map[string]any{"id": "lb-west"}).IncidentContext
			if ic.Owner != nil || ic.Team != nil || ic.Vendor != nil || ic.Warranty != nil || len(ic.Services) != 0 ||
				len(ic.SupportContracts) != 0 || len(ic.OpenDrifts) != 0 || ic.Dependents.Count != 0 || len(ic.RecentChanges) != 1 {
				t.Errorf("want an empty context with one CREATE change: %s", jsonOf(ic))
			}
		})

		t.Run("viewer and anonymous read see the same context", func(t *testing.T) {
			vars := map[string]any{"id": "10.20.30.40", "asOf": "2025-09-01T00:00:00Z"}
			viewer := env.Do(t, env.Viewer, contextQuery, vars).OK(t)
			anon := env.Do(t, "", contextQuery, vars).OK(t)
			if string(viewer.Data) != string(anon.Data) {
				t.Errorf("anonymous read differs:\n%s\n%s", anon.Data, viewer.Data)
			}
			if !strings.Contains(string(anon.Data), `"name":"app-prod-01"`) {
				t.Errorf("anonymous read: %s", anon.Data)
			}
		})

		t.Run("a part selected under several aliases gets what each selects", func(t *testing.T) {
			r := env.Do(t, env.Viewer, `{ incidentContext(identifier: "10.20.30.40") {
  a: owner { name } b: owner { email oncallContact }
  d1: dependents { count } d2: dependents { nodes { depth ci { name } } } } }`, nil).OK(t)
			var out struct {
				IncidentContext struct {
					A  struct{ Name string }
					B  struct{ Email, OncallContact string }
					D1 struct{ Count int }
					D2 struct {
						Nodes []struct {
							Depth int
							Ci    struct{ Name string }
						}
					}
				}
			}
			r.Decode(t, &out)
			ic := out.IncidentContext
			if ic.A.Name != "alice" || ic.B.Email != "alice@example.com" || ic.B.OncallContact != "+44 20 7946 0000" || ic.D1.Count != 4 ||
				len(ic.D2.Nodes) != 4 || ic.D2.Nodes[0].Ci.Name != "fe-1" || ic.D2.Nodes[3].Depth != 3 {
				t.Errorf("aliased parts: %s", r.Data)
			}
		})
	})
}

func TestIncidentContextNeedsAReader(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		want401(t, env.Do(t, "", matchQuery, map[string]any{"id": "10.20.30.40"}), "an API token is needed")
	})
}

func TestLookup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		seedNamed(t, env, func(s *icSeed) {
			s.ci("gw-7", configurationitem.KindNetworkDevice, func(c *ent.ConfigurationItemCreate) { c.SetSerialNumber("EDGE") })
			s.ident("gw-7", identifier.KindIP, "10.7.7.7")
			s.ci("Edge", configurationitem.KindApplication)
			s.ci("edge-proxy-1", configurationitem.KindVM)
			s.ci("cache-9", configurationitem.KindVM, func(c *ent.ConfigurationItemCreate) { c.SetHostname("edgecache") })
			s.ci("old-edge-lb", configurationitem.KindLoadBalancer)
			s.ci("unrelated", configurationitem.KindVM)
			s.svc("edge", nil)
			s.svc("edge-routing", nil)
			s.svc("core-edge", nil)
			s.svc("legacy-edge", nil)
			s.ci("mesh-gw", configurationitem.KindNetworkDevice)
			s.svc("api-mesh", nil)
			s.svc("mesh", nil)
		})
		const q = `query($q: String!, $first: Int) { lookup(query: $q, first: $first) {
  type matchedBy matchedValue score ci { name } service { name } } }`
		type hit struct {
			Type, MatchedBy, MatchedValue string
			Score                         float64
			Ci, Service                   *struct{ Name string }
		}
		run := func(t *testing.T, query string, first *int) []string {
			t.Helper()
			vars := map[string]any{"q": query}
			if first != nil {
				vars["first"] = *first
			}
			var out struct{ Lookup []hit }
			env.Do(t, env.Viewer, q, vars).OK(t).Decode(t, &out)
			got := []string{}
			for _, h := range out.Lookup {
				name := "?"
				switch {
				case h.Type == "CONFIGURATION_ITEM" && h.Ci != nil && h.Service == nil:
					name = "ci " + h.Ci.Name
				case h.Type == "SERVICE" && h.Service != nil && h.Ci == nil:
					name = "service " + h.Service.Name
				}
				got = append(got, fmt.Sprintf("%s %g %s %q", name, h.Score, h.MatchedBy, h.MatchedValue))
			}
			return got
		}
		edge := []string{
			`ci gw-7 100 IDENTIFIER "SERIAL EDGE"`,
			`service edge 95 SERVICE_NAME "edge"`,
			`ci Edge 90 NAME "Edge"`,
			`service edge-routing 75 SERVICE_NAME "edge-routing"`,
			`ci cache-9 70 NAME_PREFIX "cache-9"`,
			`ci edge-proxy-1 70 NAME_PREFIX "edge-proxy-1"`,
			`service core-edge 40 SERVICE_NAME "core-edge"`,
			`service legacy-edge 40 SERVICE_NAME "legacy-edge"`,
			`ci old-edge-lb 30 NAME_CONTAINS "old-edge-lb"`,
		}
		for _, c := range []struct {
			name, query string
			first       *int
			want        []string
		}{
			{"ranking: identifier, exact names, prefixes (name or host name), contains", "edge", nil, edge},
			{"the same in upper case", "  EDGE ", nil, edge},
			{"first 3", "edge", ptr(3), edge[:3]},
			{"first 5", "edge", ptr(5), edge[:5]},
			{"first 1", "edge", ptr(1), edge[:1]},
			{"an IP in another notation", "::ffff:10.7.7.7", nil, []string{`ci gw-7 100 IDENTIFIER "IP 10.7.7.7"`}},
			{"an exact service name outranks one that sorts first, whatever first is", "mesh", ptr(1), []string{`service mesh 95 SERVICE_NAME "mesh"`}},
			{"mesh, all", "mesh", nil, []string{
				`service mesh 95 SERVICE_NAME "mesh"`, `ci mesh-gw 70 NAME_PREFIX "mesh-gw"`, `service api-mesh 40 SERVICE_NAME "api-mesh"`,
			}},
			{"nothing", "zzz-nothing", nil, []string{}},
			{"blank", "   ", nil, []string{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				eqLines(t, "hits", run(t, c.query, c.first), c.want)
			})
		}
		t.Run("first out of range", func(t *testing.T) {
			// Negative values are refused by the server's page-size limits
			// before the resolver runs.
			for f, msg := range map[int]string{0: "first must be between 1 and 100, got 0", 101: "first must be between 1 and 100, got 101", -1: "first must not be negative, got -1"} {
				wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"q": "edge", "first": f}), "BAD_USER_INPUT", "first", msg)
			}
		})
	})
}

// starEstate gives hub-5 and hub-50 5 and 50 direct dependents, each with a
// dependent of its own, owners, services and identifiers, and each hub a
// dependency, a vendor, a contract, a drift and an IP.
func starEstate(t *testing.T, env *servertest.Env) {
	seedNamed(t, env, func(s *icSeed) {
		ctx, tx := s.ctx, s.tx
		team, err := tx.Owner.Create().SetName("star-team").SetKind(owner.KindTeam).Save(ctx)
		s.check("team", err)
		var owners []int
		for i := range 3 {
			o, err := tx.Owner.Create().SetName(fmt.Sprintf("person-%d", i)).SetKind(owner.KindPerson).SetTeamID(team.ID).Save(ctx)
			s.check("owner", err)
			owners = append(owners, o.ID)
		}
		v, err := tx.Vendor.Create().SetName("star-vendor").Save(ctx)
		s.check("vendor", err)
		var svcs []int
		for i := range 3 {
			svcs = append(svcs, s.svc(fmt.Sprintf("star-svc-%d", i), nil))
		}
		for _, n := range []int{5, 50} {
			hub := fmt.Sprintf("hub-%d", n)
			s.ci(hub, configurationitem.KindNetworkDevice, func(c *ent.ConfigurationItemCreate) {
				c.SetOwnerID(owners[0]).SetVendorID(v.ID).AddServiceIDs(svcs[0])
			})
			s.ident(hub, identifier.KindIP, fmt.Sprintf("10.50.0.%d", n))
			s.ci(hub+"-uplink", configurationitem.KindNetworkDevice)
			s.rel(hub, relationship.TypeConnectsTo, hub+"-uplink")
			s.check("contract", tx.Contract.Create().SetNumber("C-"+hub).SetKind(contract.KindSupport).
				SetStartDate(day("2020-01-01")).SetEndDate(day("2099-01-01")).AddCoveredCiIDs(s.id(hub)).Exec(ctx))
			s.check("drift", tx.Drift.Create().SetKind(drift.KindMissing).SetConfigurationItemID(s.id(hub)).Exec(ctx))
			for i := range n {
				leaf := fmt.Sprintf("%s-leaf-%02d", hub, i)
				s.ci(leaf, configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) {
					c.SetOwnerID(owners[i%3]).AddServiceIDs(svcs[i%3], svcs[(i+1)%3])
				})
				s.rel(leaf, relationship.TypeDependsOn, hub)
				s.ci(leaf+"-app", configurationitem.KindApplication, func(c *ent.ConfigurationItemCreate) { c.SetOwnerID(owners[(i+1)%3]) })
				s.rel(leaf+"-app", relationship.TypeRunsOn, leaf)
			}
		}
	})
}

// TestIncidentNoNPlusOne checks that impact and incidentContext cost the
// same number of SQL statements through ent whether a hub has 5 or 50
// dependents (the recursive walks run on the store's reader pool, outside
// the counting driver, one statement per 16 levels).
func TestIncidentNoNPlusOne(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{CountStatements: true})
		starEstate(t, env)
		ids := map[string]int{}
		for _, n := range []string{"hub-5", "hub-50"} {
			id, err := env.DB.Client.ConfigurationItem.Query().Where(configurationitem.Name(n)).OnlyID(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ids[n] = id
		}
		const impactQ = `query($ci: ID!) { impact(ci: $ci) { count root { name owner { name } }
  nodes { depth via parentID ci { name owner { name } services { name } } } services { name } } }`
		const contextQ = `query($id: String!) { incidentContext(identifier: $id) {
  ci { name owner { name } } owner { name } team { name } services { name tier } vendor { name }
  dependents { count nodes { depth ci { name owner { name } services { name } } } services { name } }
  dependencies { count nodes { ci { name owner { name } services { name } } } }
  supportContracts { number } warranty { active } openDrifts { kind } recentChanges { action } } }`
		type node struct {
			Depth int
			Ci    struct {
				Name     string
				Owner    *struct{ Name string }
				Services []struct{ Name string }
			}
		}
		checkNodes := func(t *testing.T, hub string, nodes []node, n int) {
			t.Helper()
			if len(nodes) != 2*n {
				t.Fatalf("%s: %d nodes, want %d", hub, len(nodes), 2*n)
			}
			for _, nd := range nodes {
				wantSvcs := 2
				if strings.HasSuffix(nd.Ci.Name, "-app") {
					wantSvcs = 0
				}
				if nd.Ci.Owner == nil || !strings.HasPrefix(nd.Ci.Owner.Name, "person-") || len(nd.Ci.Services) != wantSvcs {
					t.Fatalf("%s: node %s incomplete: %+v", hub, nd.Ci.Name, nd)
				}
			}
		}
		for _, c := range []struct {
			name  string
			query string
			vars  func(hub string) map[string]any
			check func(t *testing.T, hub string, n int, r servertest.Response)
		}{
			{"impact", impactQ, func(hub string) map[string]any { return map[string]any{"ci": gid(ids[hub])} },
				func(t *testing.T, hub string, n int, r servertest.Response) {
					var out struct {
						Impact struct {
							Count    int
							Nodes    []node
							Services []struct{ Name string }
						}
					}
					r.Decode(t, &out)
					if out.Impact.Count != 2*n || len(out.Impact.Services) != 3 {
						t.Fatalf("%s: count %d, %d services", hub, out.Impact.Count, len(out.Impact.Services))
					}
					checkNodes(t, hub, out.Impact.Nodes, n)
				}},
			{"incidentContext", contextQ, func(hub string) map[string]any {
				return map[string]any{"id": "10.50.0." + strings.TrimPrefix(hub, "hub-")}
			}, func(t *testing.T, hub string, n int, r servertest.Response) {
				var out struct {
					IncidentContext struct {
						Ci         struct{ Name string }
						Team       *struct{ Name string }
						Dependents struct {
							Count int
							Nodes []node
						}
						Dependencies     struct{ Count int }
						SupportContracts []struct{ Number string }
						OpenDrifts       []struct{ Kind string }
					}
				}
				r.Decode(t, &out)
				ic := out.IncidentContext
				if ic.Ci.Name != hub || ic.Team == nil || ic.Team.Name != "star-team" || ic.Dependents.Count != 2*n ||
					ic.Dependencies.Count != 1 || len(ic.SupportContracts) != 1 || len(ic.OpenDrifts) != 1 {
					t.Fatalf("%s: context %s", hub, r.Data)
				}
				checkNodes(t, hub, ic.Dependents.Nodes, n)
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				// Warm the token cache and prepared statements.
				env.Do(t, env.Viewer, c.query, c.vars("hub-5")).OK(t)
				stmts := map[int]int64{}
				for _, n := range []int{5, 50} {
					hub := fmt.Sprintf("hub-%d", n)
					env.Counter.Reset()
					r := env.Do(t, env.Viewer, c.query, c.vars(hub)).OK(t)
					stmts[n] = env.Counter.Count()
					c.check(t, hub, n, r)
				}
				t.Logf("SQL statements for %s: 5 dependents → %d, 50 dependents → %d", c.name, stmts[5], stmts[50])
				if stmts[5] != stmts[50] {
					t.Errorf("N+1: %d statements for 5 dependents but %d for 50", stmts[5], stmts[50])
				}
			})
		}
	})
}

// TestConfigurationItemContext: naming a CI by its ID gives the same
// context as naming it by what an alert said, with the ID rule; an ID of
// another type or of nothing answers null.
func TestConfigurationItemContext(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		incidentEstate(t, env)
		const q = `query($i: String!) { incidentContext(identifier: $i) { ci { id name } owner { name } services { name } dependents { count } } }`
		byName := env.Do(t, env.Viewer, q, map[string]any{"i": "10.20.30.40"}).OK(t)
		id := str(t, data(t, byName), "incidentContext.ci.id")
		const qid = `query($id: ID!) { configurationItemContext(id: $id) { matchedBy matchRule matchedValue ci { id name } owner { name } services { name } dependents { count } } }`
		byID := data(t, env.Do(t, env.Viewer, qid, map[string]any{"id": id}).OK(t))
		got := byID["configurationItemContext"].(map[string]any)
		if got["matchRule"] != "ID" || got["matchedBy"] != "HOSTNAME" || got["matchedValue"] != id {
			t.Errorf("match: %v", got)
		}
		want := data(t, byName)["incidentContext"].(map[string]any)
		for _, k := range []string{"ci", "owner", "services", "dependents"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
				t.Errorf("%s: by ID %v, by address %v", k, got[k], want[k])
			}
		}
		ownerID := str(t, data(t, env.Do(t, env.Viewer, `{ owners(first: 1) { edges { node { id } } } }`, nil)), "owners.edges.0.node.id")
		for _, other := range []string{ownerID, "999999999"} {
			r := data(t, env.Do(t, env.Viewer, qid, map[string]any{"id": other}).OK(t))
			if r["configurationItemContext"] != nil {
				t.Errorf("ID %s: %v, want null", other, r["configurationItemContext"])
			}
		}
	})
}
