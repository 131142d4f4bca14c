package reconcile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// scopedIP adds an IP identifier of ci in scope ("" global), as alice.
func (e *env) scopedIP(ci int, ip, scope string) {
	e.t.Helper()
	e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
		cr := tx.Identifier.Create().SetConfigurationItemID(ci).SetKind(identifier.KindIP).SetValue(ip).SetSource("alice")
		if scope != "" {
			cr.SetScope(scope)
		}
		return cr.Exec(ctx)
	})
}

// legacyIdentifier stores an identifier the hooks now refuse (a virtual
// router MAC), as a database from before issue 20 may hold it.
func (e *env) legacyIdentifier(ci int, kind ident.Kind, value string) {
	e.t.Helper()
	q, args := entsql.Dialect(e.dialect).Insert(identifier.Table).
		Columns(identifier.FieldCreatedAt, identifier.FieldUpdatedAt, identifier.FieldKind, identifier.FieldValue,
			identifier.FieldSource, identifier.FieldConfigurationItemID).
		Values(e.now, e.now, string(kind), value, "alice", ci).Query()
	if _, err := e.c.ExecContext(e.ctx, q, args...); err != nil {
		e.t.Fatalf("storing legacy %s %s: %v", kind, value, err)
	}
}

// scopedIdentifiersOf returns the identifiers of ci as "KIND=value@scope"
// (scope "-" for global), sorted.
func scopedIdentifiersOf(t *testing.T, e *env, ci int) []string {
	t.Helper()
	ids, err := e.c.Identifier.Query().Where(identifier.ConfigurationItemID(ci)).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(ids))
	for _, i := range ids {
		s := "-"
		if i.Scope != nil {
			s = *i.Scope
		}
		out = append(out, fmt.Sprintf("%s=%s@%s", i.Kind, i.Value, s))
	}
	sort.Strings(out)
	return out
}

// probeWho reconciles o (tagged with a probe fact) in a rolled-back
// transaction and answers the names of the CIs it updated, or
// UNREGISTERED / AMBIGUOUS, and the changes' matchedBy of the probe fact.
func probeWho(t *testing.T, e *env, opts reconcile.Options, o discovery.Observation) (string, string) {
	t.Helper()
	o.Facts = map[string]string{"probe": t.Name()}
	var who, by string
	e.scratch(opts.Actor, func(ctx context.Context, tx *ent.Client) {
		out, err := reconcile.Reconcile(ctx, tx, []discovery.Observation{o}, opts)
		if err != nil {
			t.Fatal(err)
		}
		cis, err := tx.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ci := range cis {
			if ci.Facts["probe"] == t.Name() {
				got = append(got, ci.Name)
			}
		}
		switch {
		case out.Counts.Ambiguous == 1:
			who = "AMBIGUOUS"
		case out.Counts.Unregistered == 1:
			who = "UNREGISTERED"
		default:
			who = strings.Join(got, ",")
		}
		for _, c := range out.Changes {
			if c.Field == "facts.probe" {
				by = c.MatchedBy
			}
		}
	})
	return who, by
}

// TestDomainAwareIdentification checks the domain rule of identification:
// an observation whose FQDN is in another domain than a CI's names another
// host, a short name matches within the rules, and a placeholder or virtual
// router value never identifies.
func TestDomainAwareIdentification(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		seeded := e.seed(
			ciSpec{Name: "x-db01", Hostname: "db01", FQDN: "db01.eu.example.org"},
			ciSpec{Name: "lon3-web01", Hostname: "lon3-web01", FQDN: "lon3-web01.lon3.example.org"},
			ciSpec{Name: "app01", Hostname: "app01"},
			ciSpec{Name: "web-eu", Hostname: "web02", FQDN: "web02.eu.example.org"},
			ciSpec{Name: "web-us", Hostname: "web02", FQDN: "web02.us.example.org"},
			ciSpec{Name: "router-a", Hostname: "router-a"},
			ciSpec{Name: "router-b", Hostname: "router-b"},
		)
		e.legacyIdentifier(seeded[5].ID, ident.MAC, "00:00:5e:00:01:01")
		e.legacyIdentifier(seeded[6].ID, ident.MAC, "00:00:5e:00:01:01")
		e.scopedIP(seeded[0].ID, "10.50.0.9", "")
		cases := []struct {
			name   string
			ids    []discovery.Identifier
			fields []string
			want   string
			by     ident.Kind
		}{
			{"FQDN in the CI's domain", nil, []string{"fqdn", "db01.eu.example.org"}, "x-db01", ident.FQDN},
			{"FQDN in a new domain is a new host", nil, []string{"hostname", "db01", "fqdn", "db01.us.example.org"}, "UNREGISTERED", ""},
			{"the new domain's address does not tie it to the CI", []discovery.Identifier{id(ident.IP, "10.50.0.9")}, []string{"hostname", "db01", "fqdn", "db01.us.example.org"}, "UNREGISTERED", ""},
			{"staging name of a production host", nil, []string{"fqdn", "lon3-web01.staging.example.org"}, "UNREGISTERED", ""},
			{"short name without a domain", nil, []string{"hostname", "db01"}, "x-db01", ident.Hostname},
			{"FQDN observation of a domainless CI", nil, []string{"fqdn", "app01.lon3.example.org"}, "app01", ident.Hostname},
			{"short name in two domains", nil, []string{"hostname", "web02"}, "AMBIGUOUS", ""},
			{"FQDN picks its domain", nil, []string{"hostname", "web02", "fqdn", "web02.us.example.org"}, "web-us", ident.FQDN},
			{"VRRP MAC shared by two routers is not identity", []discovery.Identifier{id(ident.MAC, "00-00-5E-00-01-01")}, []string{"hostname", "router-b"}, "router-b", ident.Hostname},
			{"VRRP MAC alone names nothing", []discovery.Identifier{id(ident.MAC, "00:00:5e:00:01:01")}, nil, "UNREGISTERED", ""},
			{"placeholder serial alone names nothing", []discovery.Identifier{id(ident.Serial, "To Be Filled By O.E.M.")}, nil, "UNREGISTERED", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				o := withFields(obs("probe", tc.ids...), tc.fields...)
				opts := e.opts(nil)
				who, by := probeWho(t, e, opts, o)
				if who != tc.want || by != string(tc.by) {
					t.Fatalf("identified %q by %q, want %q by %q", who, by, tc.want, tc.by)
				}
			})
		}
	})
}

// TestNewDomainIsANewHost is the regression test of the second
// finding: a file job observing db01.us.example.org (host name db01, IP
// 10.50.0.9) with createUnregistered must create a new CI, not drift the
// eu host x-db01 nor fill the other host's address onto it; a second run
// changes nothing.
func TestNewDomainIsANewHost(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		xdb := e.seed(ciSpec{Name: "x-db01", Hostname: "db01", FQDN: "db01.eu.example.org"})[0]
		before := scopedIdentifiersOf(t, e, xdb.ID)
		j := e.job("inventory", func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) })
		o := withFields(obs("db01.us.example.org", id(ident.IP, "10.50.0.9")), "hostname", "db01", "fqdn", "db01.us.example.org")

		out, _ := e.reconcile(e.opts(j), o)
		if c := out.Counts; c.Created != 1 || c.Matched != 0 || c.DriftsOpened != 1 || c.Ambiguous != 0 {
			t.Fatalf("counts %+v, want one CI created and its unregistered drift", c)
		}
		if ds := e.driftsOf(xdb.ID); len(ds) != 0 {
			t.Fatalf("x-db01 has drifts %v", views(ds))
		}
		if got := scopedIdentifiersOf(t, e, xdb.ID); strings.Join(got, " ") != strings.Join(before, " ") {
			t.Fatalf("x-db01 identifiers %v, want unchanged %v", got, before)
		}
		if ci := e.ci(xdb.ID); str(ci.Fqdn) != "db01.eu.example.org" || ci.Name != "x-db01" {
			t.Fatalf("x-db01 now %s / %s", ci.Name, str(ci.Fqdn))
		}
		var created int
		for _, c := range out.Changes {
			if c.Action == reconcile.ActCreate {
				created = c.CI
			}
			if c.CI == xdb.ID {
				t.Fatalf("change %+v names x-db01", c)
			}
		}
		nc := e.ci(created)
		if nc.Name != "db01.us.example.org" || str(nc.Hostname) != "db01" || str(nc.Fqdn) != "db01.us.example.org" {
			t.Fatalf("new CI %s hostname %s fqdn %s", nc.Name, str(nc.Hostname), str(nc.Fqdn))
		}
		if got := strings.Join(scopedIdentifiersOf(t, e, created), " "); got != "FQDN=db01.us.example.org@- HOSTNAME=db01@- IP=10.50.0.9@-" {
			t.Fatalf("new CI identifiers %s", got)
		}

		e.tick(time.Hour)
		audits, drifts, cis := e.count("audit"), e.count("drift"), e.count("ci")
		out, _ = e.reconcile(e.opts(j), o)
		if c := out.Counts; c.Matched != 1 || c.Created != 0 || c.Filled != 0 || c.DriftsOpened != 0 || c.Unchanged != 1 {
			t.Fatalf("second run counts %+v, want the new CI matched and unchanged", c)
		}
		if len(out.Changes) != 0 {
			t.Fatalf("second run changes %+v", out.Changes)
		}
		if a, d, c := e.count("audit"), e.count("drift"), e.count("ci"); a != audits || d != drifts || c != cis {
			t.Fatalf("second run wrote: audit %d→%d, drifts %d→%d, CIs %d→%d", audits, a, drifts, d, cis, c)
		}
		s, err := e.c.Sighting.Query().Where(sighting.DiscoveryJobID(j.ID), sighting.ConfigurationItemID(created)).Only(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.MatchedBy != "FQDN db01.us.example.org" {
			t.Fatalf("sighting matched by %q", s.MatchedBy)
		}
	})
}

// TestNetworkScopes is the regression test of the third finding:
// two sites reusing 10.0.0.5. An observation carrying only that address
// identifies the CI of the job's scope, and in the global scope neither;
// addresses a job records are kept in its scope (public ones globally).
func TestNetworkScopes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		seeded := e.seed(ciSpec{Name: "a-app"}, ciSpec{Name: "b-app"}, ciSpec{Name: "public"}, ciSpec{Name: "legacy"})
		e.scopedIP(seeded[0].ID, "10.0.0.5", "site-a")
		e.scopedIP(seeded[1].ID, "10.0.0.5", "site-b")
		e.scopedIP(seeded[2].ID, "203.0.113.7", "")
		e.scopedIP(seeded[3].ID, "10.9.9.9", "")
		cases := []struct {
			name, scope, ip, want string
		}{
			{"site-a's address in site-a", "site-a", "10.0.0.5", "a-app"},
			{"scope names are normalised", " SITE-B ", "10.0.0.5", "b-app"},
			{"global scope holds neither", "", "10.0.0.5", "UNREGISTERED"},
			{"another scope holds neither", "site-c", "10.0.0.5", "UNREGISTERED"},
			{"a public address is global", "site-a", "203.0.113.7", "public"},
			{"a private address stored globally matches globally", "", "10.9.9.9", "legacy"},
			{"but not in a scope", "site-a", "10.9.9.9", "UNREGISTERED"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				opts := e.opts(nil)
				opts.NetworkScope = tc.scope
				who, by := probeWho(t, e, opts, obs("probe", id(ident.IP, tc.ip)))
				want := ""
				if tc.want != "UNREGISTERED" {
					want = "IP"
				}
				if who != tc.want || by != want {
					t.Fatalf("identified %q by %q, want %q", who, by, tc.want)
				}
			})
		}

		t.Run("addresses are recorded in the job's scope", func(t *testing.T) {
			e := e.at(t)
			host := e.seed(ciSpec{Name: "h1", Hostname: "h1"})[0]
			e.scopedIP(host.ID, "10.7.7.7", "")
			j := e.job("site-a scan", func(c *ent.DiscoveryJobCreate) { c.SetNetworkScope("site-a") })
			o := e.opts(j)
			o.NetworkScope = "site-a"
			ob := withFields(obs("h1", id(ident.IP, "10.1.2.3"), id(ident.IP, "198.51.100.4"), id(ident.IP, "10.7.7.7")), "hostname", "h1")
			out, _ := e.reconcile(o, ob)
			if out.Counts.Filled != 2 {
				t.Fatalf("counts %+v, want two addresses filled", out.Counts)
			}
			want := "HOSTNAME=h1@- IP=10.1.2.3@site-a IP=10.7.7.7@- IP=198.51.100.4@-"
			if got := strings.Join(scopedIdentifiersOf(t, e, host.ID), " "); got != want {
				t.Fatalf("identifiers %s, want %s", got, want)
			}
			e.tick(time.Hour)
			out, _ = e.reconcile(o, ob)
			if out.Counts.Filled != 0 || len(out.Changes) != 0 {
				t.Fatalf("second run: counts %+v, changes %+v", out.Counts, out.Changes)
			}
			// The address identifies h1 in site-a alone.
			who, _ := probeWho(t, e, o, obs("probe", id(ident.IP, "10.1.2.3")))
			if who != "h1" {
				t.Fatalf("10.1.2.3 in site-a identifies %q", who)
			}
			g := e.opts(nil)
			if who, _ := probeWho(t, e, g, obs("probe", id(ident.IP, "10.1.2.3"))); who != "UNREGISTERED" {
				t.Fatalf("10.1.2.3 globally identifies %q", who)
			}
		})

		t.Run("the runner applies the job's network scope", func(t *testing.T) {
			e := e.at(t)
			host := e.seed(ciSpec{Name: "h2", Hostname: "h2"})[0]
			cur := []discovery.Observation{withFields(obs("h2", id(ident.IP, "10.3.3.3")), "hostname", "h2")}
			j := e.scriptJob("site-b scan", sees(&cur), func(c *ent.DiscoveryJobCreate) { c.SetNetworkScope("site-b") })
			if res := e.runJob(j, false); res.Run.Error != nil {
				t.Fatalf("run: %s", *res.Run.Error)
			}
			if got := strings.Join(scopedIdentifiersOf(t, e, host.ID), " "); got != "HOSTNAME=h2@- IP=10.3.3.3@site-b" {
				t.Fatalf("identifiers %s", got)
			}
		})
	})
}

// TestNotIdentityKeptAsFacts checks that values which are not identity
// (virtual router and multicast MACs, placeholder serials) are neither
// matched on nor stored as identifiers, and are kept as facts.
func TestNotIdentityKeptAsFacts(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		routers := e.seed(ciSpec{Name: "r1", Hostname: "r1"}, ciSpec{Name: "r2", Hostname: "r2"})
		e.legacyIdentifier(routers[0].ID, ident.MAC, "00:00:5e:00:01:0a")
		j := e.job("snmp", nil)
		o := withFields(obs("r2",
			id(ident.MAC, "00:00:5E:00:01:0A"), id(ident.MAC, "00:00:0c:07:ac:01"), id(ident.MAC, "aa:bb:cc:00:00:02"),
			id(ident.UUID, "03000200-0400-0500-0006-000700080009")),
			"hostname", "r2", "serial_number", "To Be Filled By O.E.M.")
		out, _ := e.reconcile(e.opts(j), o)
		if out.Counts.Matched != 1 {
			t.Fatalf("counts %+v", out.Counts)
		}
		for _, c := range out.Changes {
			if c.CI != routers[1].ID {
				t.Fatalf("change %+v names another CI than r2", c)
			}
		}
		if got := strings.Join(scopedIdentifiersOf(t, e, routers[1].ID), " "); got != "HOSTNAME=r2@- MAC=aa:bb:cc:00:00:02@-" {
			t.Fatalf("r2 identifiers %s", got)
		}
		r2 := e.ci(routers[1].ID)
		if r2.SerialNumber != nil {
			t.Fatalf("r2 serial %q, want none", *r2.SerialNumber)
		}
		want := map[string]string{
			"not_identity.mac":    "00:00:0c:07:ac:01 00:00:5e:00:01:0a",
			"not_identity.serial": "To Be Filled By O.E.M.",
			"not_identity.uuid":   "03000200-0400-0500-0006-000700080009",
		}
		for k, v := range want {
			if got := factString(r2.Facts[k]); got != v {
				t.Errorf("fact %s = %q, want %q", k, got, v)
			}
		}
		if ds := e.driftsOf(routers[0].ID); len(ds) != 0 {
			t.Fatalf("r1 drifts %v", views(ds))
		}
	})
}

func factString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// TestMatchedByOnEveryChange checks that every change to a CI an
// observation identified says how it was identified, including the
// identifiers filled onto it, and that the job's sighting records the
// identifier, updated when another one identifies the CI next time.
func TestMatchedByOnEveryChange(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "web01", Hostname: "web01", Description: "old", Facts: map[string]any{"os.name": "debian"}})[0]
		j := e.job("ssh", nil)
		o := withFacts(withFields(obs("web01", id(ident.IP, "10.0.0.1"), id(ident.MAC, "aa:bb:cc:00:00:09")),
			"hostname", "web01", "fqdn", "web01.example.org", "description", "new"), "os.name", "ubuntu", "cpu.count", "4")
		out, _ := e.reconcile(e.opts(j), o)
		kinds := map[string]bool{}
		for _, c := range out.Changes {
			if c.CI != ci.ID {
				t.Fatalf("change %+v names another CI", c)
			}
			if c.MatchedBy != "HOSTNAME" {
				t.Errorf("change %s %s has matchedBy %q, want HOSTNAME", c.Action, c.Field, c.MatchedBy)
			}
			kinds[c.Action+" "+c.Field] = true
		}
		for _, want := range []string{"FILL fqdn", "FILL identifier.IP", "FILL identifier.MAC", "FILL facts.cpu.count", "OPEN_DRIFT description", "OPEN_DRIFT facts.os.name"} {
			if !kinds[want] {
				t.Errorf("no change %q among %v", want, kinds)
			}
		}
		sightingBy := func() string {
			t.Helper()
			s, err := e.c.Sighting.Query().Where(sighting.DiscoveryJobID(j.ID), sighting.ConfigurationItemID(ci.ID)).Only(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return s.MatchedBy
		}
		if got := sightingBy(); got != "HOSTNAME web01" {
			t.Fatalf("sighting matched by %q", got)
		}
		// Now the CI has an FQDN and a MAC: the MAC identifies it.
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(j), o)
		for _, c := range out.Changes {
			if c.MatchedBy != "MAC" {
				t.Errorf("second run: change %+v has matchedBy %q, want MAC", c, c.MatchedBy)
			}
		}
		if got := sightingBy(); got != "MAC aa:bb:cc:00:00:09" {
			t.Fatalf("second run: sighting matched by %q", got)
		}
		// Update mode: the applied changes say it too.
		e.tick(time.Hour)
		o2 := withFields(o, "description", "newer")
		u := e.opts(j)
		u.Mode = reconcile.ModeUpdate
		out, _ = e.reconcile(u, o2)
		var updated bool
		for _, c := range out.Changes {
			if c.Action == reconcile.ActUpdate && c.Field == "description" {
				updated = c.MatchedBy == "MAC"
			}
		}
		if !updated {
			t.Fatalf("update mode changes %+v, want an UPDATE of description matched by MAC", out.Changes)
		}
	})
}

// TestNeverAnotherDomainOrScope is a property test over random small
// estates where short names collide across domains and private addresses
// are reused across scopes: reconcile never changes a CI whose domain
// differs from the observation's, nor one tied to it only by an address of
// another scope.
func TestNeverAnotherDomainOrScope(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		hosts := []string{"db01", "web01", "app01"}
		domains := []string{"", "eu.example.org", "us.example.org"}
		ips := []string{"10.0.0.5", "10.0.0.6", "192.168.1.1", "203.0.113.9"}
		scopes := []string{"", "site-a", "site-b"}
		type spec struct{ host, domain, ip, scope string }
		iterations := 60
		if strings.Contains(dsn, "postgres") {
			iterations = 25
		}
		for seed := range iterations {
			rng := rand.New(rand.NewPCG(uint64(seed), 20))
			pick := func(s []string) string { return s[rng.IntN(len(s))] }
			estate := make([]spec, 2+rng.IntN(5))
			for i := range estate {
				estate[i] = spec{pick(hosts), pick(domains), pick(ips), pick(scopes)}
			}
			ob := spec{pick(hosts), pick(domains), pick(ips), pick(scopes)}
			withIP := rng.IntN(3) > 0
			withHost := !withIP || rng.IntN(2) == 0
			e.scratch("alice", func(ctx context.Context, tx *ent.Client) {
				byID := map[int]spec{}
				for i, s := range estate {
					cr := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("ci%d", i)).SetKind(configurationitem.KindServer).SetHostname(s.host)
					if s.domain != "" {
						cr.SetFqdn(s.host + "." + s.domain)
					}
					c, err := cr.Save(ctx)
					if err != nil {
						t.Fatal(err)
					}
					ic := tx.Identifier.Create().SetConfigurationItemID(c.ID).SetKind(identifier.KindIP).SetValue(s.ip).SetSource("alice")
					if sc := identity.AddressScope(s.ip, s.scope); sc != "" {
						ic.SetScope(sc)
					}
					if err := ic.Exec(ctx); err != nil {
						t.Fatal(err)
					}
					byID[c.ID] = s
				}
				o := obs("probe")
				if withIP {
					o.Identifiers = append(o.Identifiers, id(ident.IP, ob.ip))
				}
				if withHost {
					o = withFields(o, "hostname", ob.host)
					if ob.domain != "" {
						o = withFields(o, "fqdn", ob.host+"."+ob.domain)
					}
				}
				o = withFacts(o, "probe", "x")
				opts := e.opts(nil)
				opts.NetworkScope = ob.scope
				opts.CreateUnregistered = rng.IntN(2) == 0
				opts.Mode = reconcile.Mode([]string{"REPORT", "UPDATE"}[rng.IntN(2)])
				out, err := reconcile.Reconcile(ctx, tx, []discovery.Observation{o}, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range out.Changes {
					s, existing := byID[c.CI]
					if !existing {
						continue
					}
					obDomain := ""
					if withHost {
						obDomain = ob.domain
					}
					if obDomain != "" && s.domain != "" && obDomain != s.domain {
						t.Fatalf("seed %d: observation %+v (ip %v host %v, scope %q) changed %+v of CI %+v in another domain; estate %+v",
							seed, ob, withIP, withHost, ob.scope, c, s, estate)
					}
					hostLink := withHost && ob.host == s.host
					ipLink := withIP && ob.ip == s.ip && identity.AddressScope(s.ip, s.scope) == identity.AddressScope(ob.ip, ob.scope)
					if !hostLink && !ipLink {
						t.Fatalf("seed %d: observation %+v (ip %v host %v) changed %+v of CI %+v, tied to it by nothing in its scope; estate %+v",
							seed, ob, withIP, withHost, c, s, estate)
					}
					if ipLink && !hostLink && c.MatchedBy != "IP" {
						t.Fatalf("seed %d: change %+v matched by %q", seed, c, c.MatchedBy)
					}
				}
			})
		}
	})
}
