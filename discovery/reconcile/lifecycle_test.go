package reconcile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// ports is an observation of host with the given open TCP ports, reported
// in full under "port.", and its OS (not reported in full).
func ports(host, os string, open ...string) discovery.Observation {
	o := withFields(obs(host), "hostname", host)
	o.Facts = map[string]string{}
	if os != "" {
		o.Facts["os.name"] = os
	}
	for _, p := range open {
		o.Facts["port.tcp."+p] = "open"
	}
	o.CompleteFacts = []string{"port."}
	return o
}

// TestCompleteFactPrefixes follows a host's ports through runs of one job:
// the first sighting fills, a port that opens or closes later is drift
// (recorded "" or observed ""), a fact outside the complete prefix that
// disappears is not, and agreement (present or absent on both sides)
// resolves.
func TestCompleteFactPrefixes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "web", Hostname: "web"})[0]
		j := e.job("nmap", nil)

		out, _ := e.reconcile(e.opts(j), ports("web", "linux", "22", "80"))
		if out.Counts.Filled != 3 || out.Counts.DriftsOpened != 0 {
			t.Fatalf("first sighting counts %+v, want 3 fills and no drift", out.Counts)
		}
		got := e.ci(ci.ID)
		if fmt.Sprint(got.Facts) != "map[os.name:linux port.tcp.22:open port.tcp.80:open]" {
			t.Fatalf("facts = %v", got.Facts)
		}
		if p := got.Provenance["facts.port.tcp.22"]; p.By != "discovery:nmap" || p.Priority != 50 {
			t.Fatalf("provenance of facts.port.tcp.22 = %+v", p)
		}
		ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
		if ev.Actor != "discovery:nmap" {
			t.Fatalf("fill audited as %s", ev.Actor)
		}
		change(t, ev, "facts")

		// 80 closes, 443 opens, the OS is not reported.
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(j), ports("web", "", "22", "443"))
		if out.Counts.DriftsOpened != 2 || out.Counts.Filled != 0 {
			t.Fatalf("second run counts %+v, want 2 drifts opened", out.Counts)
		}
		checkDrifts(t, e.driftsOf(ci.ID),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "facts.port.tcp.443", Recorded: "", Observed: "open"},
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "facts.port.tcp.80", Recorded: "open", Observed: ""},
		)
		if after := e.ci(ci.ID); fmt.Sprint(after.Facts) != fmt.Sprint(got.Facts) || !after.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("report mode changed the facts to %v", after.Facts)
		}

		// Back to the recorded ports: both drifts resolve, 443 by agreeing
		// absence.
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(j), ports("web", "linux", "22", "80"))
		if out.Counts.DriftsResolved != 2 || out.Counts.DriftsOpened != 0 {
			t.Fatalf("third run counts %+v, want 2 drifts resolved", out.Counts)
		}
		for _, d := range e.driftsOf(ci.ID) {
			if d.Status != drift.StatusResolved || d.ResolvedAt == nil || !d.ResolvedAt.Equal(e.now) {
				t.Fatalf("drift %s is %s resolved at %v, want RESOLVED at %s", str(d.FieldName), d.Status, d.ResolvedAt, e.now)
			}
		}
	})
}

// TestCompleteFactPrefixFirstSighting checks when a fact under a complete
// prefix is a fill and when it is drift, and what update mode does.
func TestCompleteFactPrefixFirstSighting(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		recorded    map[string]any
		seenAlready bool
		mode        reconcile.Mode
		observed    []string
		wantFacts   string
		wantDrift   []string // field recorded→observed status
	}{
		{"unseen host without ports: fill", nil, false, reconcile.ModeReport, []string{"22"},
			"map[port.tcp.22:open]", nil},
		{"unseen host with recorded ports: new port is drift", map[string]any{"port.tcp.22": "open"}, false, reconcile.ModeReport, []string{"22", "25"},
			"map[port.tcp.22:open]", []string{"facts.port.tcp.25 \"\"→\"open\" OPEN"}},
		{"host seen before without ports: new port is drift", nil, true, reconcile.ModeReport, []string{"22"},
			"map[]", []string{"facts.port.tcp.22 \"\"→\"open\" OPEN"}},
		{"update mode takes opened and closed ports", map[string]any{"port.tcp.22": "open", "port.tcp.23": "open"}, true, reconcile.ModeUpdate, []string{"22", "443"},
			"map[port.tcp.22:open port.tcp.443:open]", []string{"facts.port.tcp.23 \"open\"→\"\" ACCEPTED", "facts.port.tcp.443 \"\"→\"open\" ACCEPTED"}},
		{"other facts are not complete", map[string]any{"os.name": "linux", "port.tcp.22": "open"}, true, reconcile.ModeReport, []string{"22"},
			"map[os.name:linux port.tcp.22:open]", nil},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				host := fmt.Sprintf("h%d", i)
				ci := e.seed(ciSpec{Name: host, Hostname: host, Facts: tc.recorded})[0]
				j := e.job(host, nil)
				opts := e.opts(j)
				if tc.seenAlready {
					e.reconcile(opts, withFields(obs(host), "hostname", host))
					e.tick(time.Hour)
				}
				opts = e.opts(j)
				opts.Mode = tc.mode
				e.reconcile(opts, ports(host, "", tc.observed...))
				after := e.ci(ci.ID)
				if after.Facts == nil {
					after.Facts = map[string]any{}
				}
				if fmt.Sprint(after.Facts) != tc.wantFacts {
					t.Fatalf("facts = %v, want %s", after.Facts, tc.wantFacts)
				}
				var got []string
				for _, d := range e.driftsOf(ci.ID) {
					got = append(got, fmt.Sprintf("%s %q→%q %s", str(d.FieldName), str(d.Recorded), str(d.Observed), d.Status))
				}
				sort.Strings(got)
				if strings.Join(got, "; ") != strings.Join(tc.wantDrift, "; ") {
					t.Fatalf("drifts %q, want %q", got, tc.wantDrift)
				}
				if tc.mode == reconcile.ModeUpdate && len(tc.wantDrift) > 0 {
					ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
					if ev.Actor != "discovery:"+host {
						t.Fatalf("update audited as %s", ev.Actor)
					}
					if _, a := change(t, ev, "facts"); fmt.Sprint(a) != tc.wantFacts {
						t.Fatalf("audited facts %v, want %s", a, tc.wantFacts)
					}
					if p, ok := after.Provenance["facts.port.tcp.23"]; !ok || p.By != "discovery:"+host {
						t.Fatalf("provenance of the closed port = %+v, want the job", p)
					}
				}
			})
		}
	})
}

// TestDriftLifecycle follows one field's drift: opened, re-detected in place
// (one active drift per CI, kind and field), left alone by a partial run,
// resolved by a complete run in agreement, and opened afresh later.
func TestDriftLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "db", Hostname: "db", Description: "a"})[0]
		j := e.job("ssh", nil)
		see := func(desc string) discovery.Observation {
			return withFields(obs("db"), "hostname", "db", "description", desc)
		}

		first := e.now
		out, run1 := e.reconcile(e.opts(j), see("b"))
		if out.Counts.DriftsOpened != 1 {
			t.Fatalf("counts %+v", out.Counts)
		}
		ds := e.driftsOf(ci.ID)
		checkDrifts(t, ds, driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "description", Recorded: "a", Observed: "b"})
		d1 := ds[0]
		if *d1.RunID != run1 {
			t.Fatalf("run_id = %d, want %d", *d1.RunID, run1)
		}

		e.tick(time.Hour)
		out, run2 := e.reconcile(e.opts(j), see("c"))
		if out.Counts.DriftsOpened != 0 || out.Counts.DriftsUpdated != 1 {
			t.Fatalf("re-detection counts %+v, want one drift updated", out.Counts)
		}
		ds = e.driftsOf(ci.ID)
		checkDrifts(t, ds, driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "description", Recorded: "a", Observed: "c"})
		if d := ds[0]; d.ID != d1.ID || !d.FirstSeenAt.Equal(first) || !d.LastSeenAt.Equal(e.now) || *d.RunID != run2 {
			t.Fatalf("re-detected drift %d first %s last %s run %d; want drift %d first %s last %s run %d",
				d.ID, d.FirstSeenAt, d.LastSeenAt, *d.RunID, d1.ID, first, e.now, run2)
		}
		// Re-detection is bookkeeping: no audit event for the drift.
		if n, _ := e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeDrift)).Count(e.ctx); n != 0 {
			t.Fatalf("%d drift audit events after re-detection, want none", n)
		}

		e.tick(time.Hour)
		partial := e.opts(j)
		partial.Complete = false
		out, _ = e.reconcile(partial, see("a"))
		if out.Counts.DriftsResolved != 0 {
			t.Fatalf("partial run resolved %d drifts", out.Counts.DriftsResolved)
		}
		checkDrifts(t, e.driftsOf(ci.ID), driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "description", Recorded: "a", Observed: "c"})

		e.tick(time.Hour)
		out, run4 := e.reconcile(e.opts(j), see("a"))
		if out.Counts.DriftsResolved != 1 || out.Counts.Unchanged != 1 {
			t.Fatalf("agreeing run counts %+v, want one resolved", out.Counts)
		}
		d := e.driftsOf(ci.ID)[0]
		if d.Status != drift.StatusResolved || d.ResolvedAt == nil || !d.ResolvedAt.Equal(e.now) || *d.RunID != run4 {
			t.Fatalf("drift %s resolved at %v run %d, want RESOLVED at %s run %d", d.Status, d.ResolvedAt, *d.RunID, e.now, run4)
		}
		ev := e.lastEvent(ent.TypeDrift, d.ID)
		if ev.Actor != "discovery:ssh" {
			t.Fatalf("resolution audited as %s", ev.Actor)
		}
		if b, a := change(t, ev, "status"); b != "OPEN" || a != "RESOLVED" {
			t.Fatalf("audited status %v → %v", b, a)
		}

		e.tick(time.Hour)
		e.reconcile(e.opts(j), see("b"))
		checkDrifts(t, e.driftsOf(ci.ID),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusResolved, CI: ci.ID, Field: "description", Recorded: "a", Observed: "c"},
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "description", Recorded: "a", Observed: "b"},
		)
	})
}

// TestDriftRefresh checks that a re-detected drift carries the current
// record and observation, also when update mode accepts it.
func TestDriftRefresh(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "db", Hostname: "db", Description: "a"})[0]
		j := e.job("ssh", nil)
		see := func(desc string) discovery.Observation {
			return withFields(obs("db"), "hostname", "db", "description", desc)
		}
		e.reconcile(e.opts(j), see("b"))
		d := e.driftsOf(ci.ID)[0]
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.ConfigurationItem.UpdateOneID(ci.ID).SetDescription("z").Exec(ctx)
		})
		e.tick(time.Hour)
		e.reconcile(e.opts(j), see("c"))
		checkDrifts(t, e.driftsOf(ci.ID), driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID, Field: "description", Recorded: "z", Observed: "c"})

		e.tick(time.Hour)
		upd := e.opts(j)
		upd.Mode = reconcile.ModeUpdate
		out, _ := e.reconcile(upd, see("d"))
		if out.Counts.Updated != 1 || out.Counts.DriftsOpened != 0 {
			t.Fatalf("counts %+v", out.Counts)
		}
		ds := e.driftsOf(ci.ID)
		checkDrifts(t, ds, driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusAccepted, CI: ci.ID, Field: "description", Recorded: "z", Observed: "d"})
		if ds[0].ID != d.ID || ds[0].ResolvedAt == nil || !ds[0].ResolvedAt.Equal(e.now) {
			t.Fatalf("accepted drift %d resolved %v", ds[0].ID, ds[0].ResolvedAt)
		}
		if got := e.ci(ci.ID); str(got.Description) != "d" {
			t.Fatalf("description %q", str(got.Description))
		}
	})
}

// TestUnregistered checks observations that name no CI: an UNREGISTERED
// drift without a CI, re-detected in place and resolved when a complete run
// no longer sees it; or, with CreateUnregistered, a new CI with status
// DISCOVERED, audited, carrying the drift for review.
func TestUnregistered(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		t.Run("report", func(t *testing.T) {
			e := e.at(t)
			j := e.job("scan", nil)
			o := withFacts(withFields(obs("host 10.1.0.5", id(ident.IP, "10.1.0.5"), id(ident.MAC, "aa:bb:cc:dd:00:05")), "hostname", "new05"), "os.name", "linux")
			out, run := e.reconcile(e.opts(j), o)
			if out.Counts.Unregistered != 1 || out.Counts.DriftsOpened != 1 || out.Counts.Created != 0 {
				t.Fatalf("counts %+v", out.Counts)
			}
			ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.DiscoveryJobID(j.ID)) })
			if len(ds) != 1 {
				t.Fatalf("drifts %v", views(ds))
			}
			d := ds[0]
			var sum struct {
				Kind        string
				Name        string
				Identifiers []discovery.Identifier
			}
			if err := json.Unmarshal([]byte(str(d.Observed)), &sum); err != nil {
				t.Fatalf("observed %q: %v", str(d.Observed), err)
			}
			if d.Kind != drift.KindUnregistered || d.Status != drift.StatusOpen || d.ConfigurationItemID != nil || d.Recorded != nil ||
				str(d.Identity) != "MAC:aa:bb:cc:dd:00:05" || str(d.ObservationKey) != "host 10.1.0.5" || *d.RunID != run ||
				sum.Kind != "SERVER" || sum.Name != "host 10.1.0.5" || fmt.Sprint(sum.Identifiers) != "[{IP 10.1.0.5} {MAC aa:bb:cc:dd:00:05} {HOSTNAME new05}]" {
				t.Fatalf("drift %v identity %s key %s observed %s", view(d), str(d.Identity), str(d.ObservationKey), str(d.Observed))
			}
			if n := e.count("ci"); n != 0 {
				t.Fatalf("%d CIs, want none", n)
			}

			e.tick(time.Hour)
			out, run = e.reconcile(e.opts(j), o)
			if out.Counts.DriftsUpdated != 1 || out.Counts.DriftsOpened != 0 {
				t.Fatalf("re-detection counts %+v", out.Counts)
			}
			ds = e.drifts(func(q *ent.DriftQuery) { q.Where(drift.DiscoveryJobID(j.ID)) })
			if len(ds) != 1 || ds[0].ID != d.ID || *ds[0].RunID != run || !ds[0].LastSeenAt.Equal(e.now) {
				t.Fatalf("re-detection: %v", views(ds))
			}

			// A partial run without it resolves nothing; a complete one does.
			e.tick(time.Hour)
			partial := e.opts(j)
			partial.Complete = false
			e.reconcile(partial)
			if d := e.c.Drift.GetX(e.ctx, d.ID); d.Status != drift.StatusOpen {
				t.Fatalf("partial run left the drift %s", d.Status)
			}
			e.tick(time.Hour)
			out, _ = e.reconcile(e.opts(j))
			if d := e.c.Drift.GetX(e.ctx, d.ID); d.Status != drift.StatusResolved || out.Counts.DriftsResolved != 1 {
				t.Fatalf("complete run left the drift %s (counts %+v)", d.Status, out.Counts)
			}
		})
		t.Run("create", func(t *testing.T) {
			e := e.at(t)
			j := e.job("cloud", func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) })
			vm := discovery.Observation{Key: "aws_instance.api", Kind: discovery.KindVM, Name: "api",
				Identifiers:   []discovery.Identifier{id(ident.CloudID, "i-0api"), id(ident.IP, "10.2.0.1")},
				Fields:        map[string]string{"fqdn": "api.example.com", "description": "API server"},
				Facts:         map[string]string{"cloud.region": "eu-west-1"},
				Relationships: []discovery.Relationship{{Type: "DEPENDS_ON", To: "aws_db_instance.main"}},
			}
			db := discovery.Observation{Key: "aws_db_instance.main", Kind: discovery.KindDatabase,
				Identifiers: []discovery.Identifier{id(ident.CloudID, "db-main")}}
			out, run := e.reconcile(e.opts(j), vm, db)
			if out.Counts.Created != 2 || out.Counts.Unregistered != 2 || out.Counts.Filled != 4 || out.Counts.DriftsOpened != 2 {
				t.Fatalf("counts %+v, want 2 created, 4 filled (3 identifiers, 1 relationship), 2 drifts", out.Counts)
			}
			cis := e.c.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldID)).AllX(e.ctx)
			if len(cis) != 2 {
				t.Fatalf("%d CIs", len(cis))
			}
			api, main := cis[0], cis[1]
			if api.Name != "api" || api.Kind != configurationitem.KindVM || api.Status != configurationitem.StatusDiscovered ||
				str(api.Fqdn) != "api.example.com" || str(api.Hostname) != "api" || str(api.Description) != "API server" ||
				api.Facts["cloud.region"] != "eu-west-1" || api.LastSeenAt == nil || !api.LastSeenAt.Equal(e.now) {
				t.Fatalf("created CI %+v", api)
			}
			if main.Name != "aws_db_instance.main" || main.Kind != configurationitem.KindDatabase || main.Status != configurationitem.StatusDiscovered {
				t.Fatalf("created CI %s %s %s", main.Name, main.Kind, main.Status)
			}
			for _, f := range []string{"name", "kind", "status", "fqdn", "description", "facts.cloud.region"} {
				if p := api.Provenance[f]; p.By != "discovery:cloud" || !p.At.Equal(e.now) || p.Priority != 50 {
					t.Fatalf("provenance of %s = %+v", f, p)
				}
			}
			if got := strings.Join(identifiersOf(t, e, api.ID), " "); got != "CLOUD_ID=i-0api(discovery:cloud) FQDN=api.example.com(record) HOSTNAME=api(record) IP=10.2.0.1(discovery:cloud)" {
				t.Fatalf("identifiers %s", got)
			}
			evs := e.ciEvents(api.ID)
			if len(evs) != 1 || !strings.HasPrefix(evs[0], "discovery:cloud CREATE ") {
				t.Fatalf("audit events %v, want one CREATE by discovery:cloud", evs)
			}
			rels := e.c.Relationship.Query().AllX(e.ctx)
			if len(rels) != 1 || rels[0].FromID != api.ID || rels[0].ToID != main.ID || rels[0].Type != "DEPENDS_ON" || rels[0].Source != "discovery:cloud" {
				t.Fatalf("relationships %+v", rels)
			}
			ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.DiscoveryJobID(j.ID)) })
			checkDrifts(t, ds,
				driftView{Kind: drift.KindUnregistered, Status: drift.StatusOpen, CI: api.ID,
					Observed: `{"kind":"VM","name":"api","identifiers":[{"kind":"CLOUD_ID","value":"i-0api"},{"kind":"IP","value":"10.2.0.1"},{"kind":"FQDN","value":"api.example.com"}]}`},
				driftView{Kind: drift.KindUnregistered, Status: drift.StatusOpen, CI: main.ID,
					Observed: `{"kind":"DATABASE","name":"","identifiers":[{"kind":"CLOUD_ID","value":"db-main"}]}`},
			)
			if str(ds[0].Identity) != "CLOUD_ID:i-0api" || *ds[0].RunID != run {
				t.Fatalf("drift observed %s identity %s", str(ds[0].Observed), str(ds[0].Identity))
			}

			// Seen again: matched, not created twice, no new drift.
			e.tick(time.Hour)
			out, _ = e.reconcile(e.opts(j), vm, db)
			if out.Counts.Created != 0 || out.Counts.Matched != 2 || out.Counts.DriftsOpened != 0 || out.Counts.Unchanged != 2 {
				t.Fatalf("second run counts %+v", out.Counts)
			}
			if n := e.count("ci"); n != 2 {
				t.Fatalf("%d CIs after the second run", n)
			}
			if n := len(e.drifts(func(q *ent.DriftQuery) { q.Where(drift.DiscoveryJobID(j.ID)) })); n != 2 {
				t.Fatalf("%d drifts after the second run", n)
			}
		})
	})
}

// TestMissingAndRetire follows a CI a job saw once through complete and
// partial runs that miss it: MISSING after MissingGrace complete misses,
// RETIRED after RetireAfter more, revived (ACTIVE) and the drift resolved by
// the next sighting. Partial runs count nothing.
func TestMissingAndRetire(t *testing.T) {
	t.Parallel()
	type step struct {
		run     string // seen, miss, partial (missing it), partial-seen
		status  configurationitem.Status
		missing drift.Status // "" for none
		missed  int
	}
	const (
		active  = configurationitem.StatusActive
		retired = configurationitem.StatusRetired
		open    = drift.StatusOpen
		res     = drift.StatusResolved
	)
	cases := []struct {
		name          string
		grace, retire int
		steps         []step
	}{
		{"default grace, never retire", 1, 0, []step{
			{"seen", active, "", 0}, {"miss", active, open, 1}, {"miss", active, open, 2},
			{"partial", active, open, 2}, {"seen", active, res, 0},
		}},
		{"grace 2, retire after 1", 2, 1, []step{
			{"seen", active, "", 0}, {"miss", active, "", 1}, {"partial", active, "", 1}, {"miss", active, open, 2},
			{"miss", retired, open, 3}, {"miss", retired, open, 4}, {"seen", active, res, 0},
		}},
		{"partial sighting revives but resolves nothing", 1, 1, []step{
			{"seen", active, "", 0}, {"miss", active, open, 1}, {"miss", retired, open, 2},
			{"partial-seen", active, open, 0}, {"seen", active, res, 0},
		}},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				host := fmt.Sprintf("m%d", i)
				ci := e.seed(ciSpec{Name: host, Hostname: host})[0]
				j := e.job(host, func(c *ent.DiscoveryJobCreate) { c.SetMissingGrace(tc.grace).SetRetireAfter(tc.retire) })
				var missingID int
				for n, s := range tc.steps {
					e.tick(time.Hour)
					o := e.opts(j)
					var seen []discovery.Observation
					switch s.run {
					case "seen", "partial-seen":
						seen = append(seen, withFields(obs(host), "hostname", host))
					}
					o.Complete = !strings.HasPrefix(s.run, "partial")
					out, _ := e.reconcile(o, seen...)
					got := e.ci(ci.ID)
					ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.ConfigurationItemID(ci.ID), drift.KindEQ(drift.KindMissing)) })
					var st drift.Status
					if len(ds) > 1 {
						t.Fatalf("step %d: %d missing drifts: %v", n+1, len(ds), views(ds))
					}
					if len(ds) == 1 {
						st = ds[0].Status
						if missingID == 0 {
							missingID = ds[0].ID
						}
						if ds[0].ID != missingID {
							t.Fatalf("step %d: a second missing drift", n+1)
						}
						if st == open && (str(ds[0].Recorded) != "present" || !strings.HasPrefix(str(ds[0].Observed), "not seen by ")) {
							t.Fatalf("missing drift %v", view(ds[0]))
						}
					}
					sg := e.c.Sighting.Query().Where(sighting.DiscoveryJobID(j.ID), sighting.ConfigurationItemID(ci.ID)).OnlyX(e.ctx)
					if got.Status != s.status || st != s.missing || sg.MissedRuns != s.missed {
						t.Fatalf("step %d (%s): status %s, missing drift %q, missed runs %d; want %s, %q, %d (counts %+v)",
							n+1, s.run, got.Status, st, sg.MissedRuns, s.status, s.missing, s.missed, out.Counts)
					}
					if s.run == "miss" && st == open && s.status == active && out.Counts.Missing != 1 {
						t.Fatalf("step %d: Missing count %d", n+1, out.Counts.Missing)
					}
				}
				// Retirement and revival are audited as the job.
				var statusEvents []string
				for _, ev := range e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(ci.ID)).
					Order(ent.Asc(auditevent.FieldID)).AllX(e.ctx) {
					for _, ch := range ev.Changes {
						if ch.Field == "status" && strings.HasPrefix(ev.Actor, "discovery:") {
							statusEvents = append(statusEvents, fmt.Sprintf("%s %v→%v", ev.Actor, ch.Before, ch.After))
						}
					}
				}
				want := ""
				if tc.retire > 0 {
					want = fmt.Sprintf("discovery:%s ACTIVE→RETIRED; discovery:%s RETIRED→ACTIVE", host, host)
				}
				if strings.Join(statusEvents, "; ") != want {
					t.Fatalf("status audit %q, want %q", statusEvents, want)
				}
			})
		}
	})
}

// TestMissingOnlyForTheJob checks the limits of missing detection: one-off
// runs never conclude anything is missing, a job answers only for CIs it has
// seen and that are in its scope, and a CI a person retired by accepting the
// missing drift does not get a new one.
func TestMissingOnlyForTheJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(
			ciSpec{Name: "a", Hostname: "a"},
			ciSpec{Name: "b", Hostname: "b", Kind: configurationitem.KindVM},
			ciSpec{Name: "c", Hostname: "c", Tags: []string{"lab"}},
		)
		b, c := cis[1], cis[2]
		see := func(h string) discovery.Observation { return withFields(obs(h), "hostname", h) }

		// A one-off run sees a, b and c, and then none: nothing is missing.
		e.reconcile(e.opts(nil), see("a"), see("b"), see("c"))
		out, _ := e.reconcile(e.opts(nil))
		if out.Counts.Missing != 0 || e.count("drift") != 0 || e.count("sighting") != 0 {
			t.Fatalf("one-off runs: counts %+v, %d drifts, %d sightings", out.Counts, e.count("drift"), e.count("sighting"))
		}

		// A job scoped to VMs, and one scoped to the tag lab.
		vms := e.job("vms", func(c *ent.DiscoveryJobCreate) { c.SetScope(schematype.DiscoveryScope{Kinds: []string{"VM"}}) })
		lab := e.job("lab", func(c *ent.DiscoveryJobCreate) { c.SetScope(schematype.DiscoveryScope{Tags: []string{"lab"}}) })
		e.reconcile(e.opts(vms), see("a"), see("b"), see("c"))
		e.reconcile(e.opts(lab), see("a"), see("b"), see("c"))
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(vms))
		if out.Counts.Missing != 1 {
			t.Fatalf("vms: Missing = %d, want 1", out.Counts.Missing)
		}
		out, _ = e.reconcile(e.opts(lab))
		if out.Counts.Missing != 1 {
			t.Fatalf("lab: Missing = %d, want 1", out.Counts.Missing)
		}
		missing := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.KindEQ(drift.KindMissing)) })
		checkDrifts(t, missing,
			driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: b.ID, Field: "discovery:vms", Recorded: "present", Observed: "not seen by 1 complete run"},
			driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: c.ID, Field: "discovery:lab", Recorded: "present", Observed: "not seen by 1 complete run"},
		)

		// Accepting the missing drift retires b; later misses open nothing new.
		if _, err := acceptAs(e, missing[0].ID); err != nil {
			t.Fatal(err)
		}
		if got := e.ci(b.ID); got.Status != configurationitem.StatusRetired {
			t.Fatalf("accepted missing drift left b %s", got.Status)
		}
		for range 2 {
			e.tick(time.Hour)
			e.reconcile(e.opts(vms))
		}
		missing = e.drifts(func(q *ent.DriftQuery) { q.Where(drift.KindEQ(drift.KindMissing), drift.ConfigurationItemID(b.ID)) })
		checkDrifts(t, missing,
			driftView{Kind: drift.KindMissing, Status: drift.StatusAccepted, CI: b.ID, Field: "discovery:vms", Recorded: "present", Observed: "not seen by 1 complete run"})
		// A person retired b: seeing it again does not revive it.
		e.tick(time.Hour)
		e.reconcile(e.opts(vms), see("b"))
		if got := e.ci(b.ID); got.Status != configurationitem.StatusRetired {
			t.Fatalf("b revived to %s though a person retired it", got.Status)
		}
	})
}

// TestAmbiguousIsNotMissing checks that CIs an ambiguous observation names
// are not reported missing: the thing was seen, only not told apart.
func TestAmbiguousIsNotMissing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "x1", Hostname: "x1"}, ciSpec{Name: "x2", Hostname: "x2"})
		j := e.job("scan", nil)
		e.reconcile(e.opts(j), withFields(obs("x1"), "hostname", "x1"), withFields(obs("x2"), "hostname", "x2"))
		// Someone gives both the same MAC; the scan sees that MAC.
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			for _, ci := range cis {
				if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.KindMAC).SetValue("aa:bb:cc:dd:ee:01").Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		e.tick(time.Hour)
		out, _ := e.reconcile(e.opts(j), obs("mac", id(ident.MAC, "aa:bb:cc:dd:ee:01")))
		if out.Counts.Ambiguous != 1 || out.Counts.Missing != 0 {
			t.Fatalf("counts %+v, want one ambiguous and nothing missing", out.Counts)
		}
		checkDrifts(t, e.drifts(), driftView{Kind: drift.KindAmbiguous, Status: drift.StatusOpen,
			Observed: fmt.Sprintf("matches CIs %d, %d", cis[0].ID, cis[1].ID)})

		// Resolved once a complete run no longer finds it ambiguous.
		e.tick(time.Hour)
		e.reconcile(e.opts(j), withFields(obs("x1"), "hostname", "x1"), withFields(obs("x2"), "hostname", "x2"))
		checkDrifts(t, e.drifts(), driftView{Kind: drift.KindAmbiguous, Status: drift.StatusResolved,
			Observed: fmt.Sprintf("matches CIs %d, %d", cis[0].ID, cis[1].ID)})
	})
}

// TestLastSeen checks that a run stamps last_seen_at on the CIs it saw and
// on no other, with and without a run row.
func TestLastSeen(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "a", Hostname: "a"}, ciSpec{Name: "b", Hostname: "b"})
		j := e.job("scan", nil)
		see := func(h string) discovery.Observation { return withFields(obs(h), "hostname", h) }
		for _, withRun := range []bool{true, false} {
			first := e.tick(time.Hour)
			run := func(obs ...discovery.Observation) {
				o := e.opts(j)
				if withRun {
					e.reconcile(o, obs...)
					return
				}
				e.tx(o.Actor, func(ctx context.Context, tx *ent.Client) error {
					_, err := reconcile.Reconcile(ctx, tx, obs, o)
					return err
				})
			}
			run(see("a"), see("b"))
			e.tick(time.Hour)
			run(see("a"))
			a, b := e.ci(cis[0].ID), e.ci(cis[1].ID)
			if a.LastSeenAt == nil || !a.LastSeenAt.Equal(e.now) || b.LastSeenAt == nil || !b.LastSeenAt.Equal(first) {
				t.Fatalf("with a run row %v: a last seen %v (want %s), b %v (want %s)", withRun, a.LastSeenAt, e.now, b.LastSeenAt, first)
			}
		}
	})
}

// TestLongNames checks that names and keys longer than their columns are
// clipped on a character boundary: PostgreSQL refuses invalid UTF-8.
func TestLongNames(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		j := e.job("files", func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) })
		o := discovery.Observation{Key: "k" + strings.Repeat("é", 600), Kind: discovery.KindApplication, Name: "n" + strings.Repeat("é", 200)}
		e.reconcile(e.opts(j), o)
		ci := e.c.ConfigurationItem.Query().OnlyX(e.ctx)
		if !utf8.ValidString(ci.Name) || len(ci.Name) != 255 || !strings.HasPrefix(o.Name, ci.Name) {
			t.Fatalf("name of %d bytes, valid UTF-8 %v", len(ci.Name), utf8.ValidString(ci.Name))
		}
		d := e.drifts()[0]
		if k := str(d.ObservationKey); !utf8.ValidString(k) || len(k) != 999 || !strings.HasPrefix(o.Key, k) {
			t.Fatalf("observation key of %d bytes, valid UTF-8 %v", len(k), utf8.ValidString(k))
		}
		if id := str(d.Identity); !utf8.ValidString(id) || len(id) > 1000 || !strings.HasPrefix(id, "KEY:k") {
			t.Fatalf("identity of %d bytes, valid UTF-8 %v", len(id), utf8.ValidString(id))
		}
	})
}

// TestMissingIsPerJob: a CI one job can no longer see keeps that job's
// missing drift open while another job still sees it; only the job that
// lost it resolves it by seeing it again.
func TestMissingIsPerJob(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "a", Hostname: "a"})[0]
		see := withFields(obs("a"), "hostname", "a")
		scan, agent := e.job("scan", nil), e.job("agent", nil)
		e.reconcile(e.opts(scan), see)
		e.reconcile(e.opts(agent), see)
		e.tick(time.Hour)
		e.reconcile(e.opts(scan)) // the scan loses it
		e.reconcile(e.opts(agent), see)
		want := driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: ci.ID, Field: "discovery:scan", Recorded: "present", Observed: "not seen by 1 complete run"}
		checkDrifts(t, e.drifts(), want)
		e.tick(time.Hour)
		e.reconcile(e.opts(scan), see)
		want.Status = drift.StatusResolved
		checkDrifts(t, e.drifts(), want)
	})
}

// TestCompletePrefixIsPerSource: two jobs that both report "net." in full,
// one with addresses and one without, do not report each other's facts gone.
func TestCompletePrefixIsPerSource(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "a", Hostname: "a"})[0]
		ssh, node := e.job("ssh", nil), e.job("node", nil)
		withSSH := withFields(obs("a"), "hostname", "a")
		withSSH.Facts = map[string]string{"net.eth0.mac": "02:00:00:00:00:01", "net.eth0.addrs": "10.0.0.5/24"}
		withSSH.CompleteFacts = []string{"net."}
		withNode := withFields(obs("a"), "hostname", "a")
		withNode.Facts = map[string]string{"net.eth0.mac": "02:00:00:00:00:01"}
		withNode.CompleteFacts = []string{"net."}
		for range 3 {
			e.reconcile(e.opts(ssh), withSSH)
			e.reconcile(e.opts(node), withNode)
			e.tick(time.Hour)
		}
		checkDrifts(t, e.drifts())
		// The job that set a fact still reports it gone.
		withSSH.Facts = map[string]string{"net.eth0.mac": "02:00:00:00:00:01"}
		e.reconcile(e.opts(ssh), withSSH)
		checkDrifts(t, e.drifts(), driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID,
			Field: "facts.net.eth0.addrs", Recorded: "10.0.0.5/24", Observed: ""})
	})
}
