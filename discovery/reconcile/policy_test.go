package reconcile_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestAuthorizedDrift checks that a drift is authorised when an approved
// change record covering the CI has a window containing the run's time, and
// unauthorised otherwise.
func TestAuthorizedDrift(t *testing.T) {
	t.Parallel()
	h := time.Hour
	cases := []struct {
		name     string
		status   changerecord.Status
		from, to time.Duration // window relative to the run
		otherCI  bool          // the change covers another CI
		want     bool
	}{
		{"approved, window open", changerecord.StatusApproved, -h, h, false, true},
		{"approved, window starts now", changerecord.StatusApproved, 0, h, false, true},
		{"approved, window ended", changerecord.StatusApproved, -2 * h, -h, false, false},
		{"approved, window not started", changerecord.StatusApproved, h, 2 * h, false, false},
		{"approved for another CI", changerecord.StatusApproved, -h, h, true, false},
		{"in progress", changerecord.StatusInProgress, -h, h, false, true},
		{"requested", changerecord.StatusRequested, -h, h, false, false},
		{"rejected", changerecord.StatusRejected, -h, h, false, false},
		{"cancelled", changerecord.StatusCancelled, -h, h, false, false},
		{"no change record", "", 0, 0, false, false},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		other := e.seed(ciSpec{Name: "other", Hostname: "other"})[0]
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				host := fmt.Sprintf("chg%d", i)
				ci := e.seed(ciSpec{Name: host, Hostname: host, Description: "before"})[0]
				if tc.status != "" {
					covered := ci.ID
					if tc.otherCI {
						covered = other.ID
					}
					e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
						return tx.ChangeRecord.Create().SetNumber(fmt.Sprintf("CHG%03d", i)).SetTitle("upgrade").SetRequester("alice").
							SetStatus(tc.status).SetWindowStart(e.now.Add(tc.from)).SetWindowEnd(e.now.Add(tc.to)).
							AddConfigurationItemIDs(covered).Exec(ctx)
					})
				}
				j := e.job(host, nil)
				e.reconcile(e.opts(j), withFields(obs(host), "hostname", host, "description", "after"))
				checkDrifts(t, e.driftsOf(ci.ID), driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID,
					Field: "description", Recorded: "before", Observed: "after", Authorized: tc.want})
			})
		}
	})
}

func rule(name string, mod func(r *ent.DriftIgnoreRule)) *ent.DriftIgnoreRule {
	r := &ent.DriftIgnoreRule{Name: name, Enabled: true}
	if mod != nil {
		mod(r)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// TestIgnoreRules checks that a drift matching an enabled ignore rule (by CI
// kind, tag, field glob, drift kind, job) is recorded IGNORED with the
// rule's name, and one matching none stays OPEN.
func TestIgnoreRules(t *testing.T) {
	t.Parallel()
	type drifter string
	const (
		attr  drifter = "attribute"    // description differs
		port  drifter = "port"         // a port opened
		unreg drifter = "unregistered" // an unknown container
		rel   drifter = "relationship" // another DEPENDS_ON
	)
	cases := []struct {
		name  string
		tags  []string
		kind  configurationitem.Kind
		rules []*ent.DriftIgnoreRule
		what  drifter
		want  string // the rule that ignores it, "" for none
	}{
		{"by CI kind", nil, configurationitem.KindServer, []*ent.DriftIgnoreRule{rule("servers", func(r *ent.DriftIgnoreRule) { r.CiKind = ptr("SERVER") })}, attr, "servers"},
		{"other CI kind", nil, configurationitem.KindServer, []*ent.DriftIgnoreRule{rule("vms", func(r *ent.DriftIgnoreRule) { r.CiKind = ptr("VM") })}, attr, ""},
		{"by tag", []string{"lab", "x"}, "", []*ent.DriftIgnoreRule{rule("lab", func(r *ent.DriftIgnoreRule) { r.Tag = ptr("lab") })}, attr, "lab"},
		{"tag absent", []string{"prod"}, "", []*ent.DriftIgnoreRule{rule("lab", func(r *ent.DriftIgnoreRule) { r.Tag = ptr("lab") })}, attr, ""},
		{"by field glob", nil, "", []*ent.DriftIgnoreRule{rule("ports", func(r *ent.DriftIgnoreRule) { r.FieldPattern = ptr("facts.port.*") })}, port, "ports"},
		{"field glob elsewhere", nil, "", []*ent.DriftIgnoreRule{rule("ports", func(r *ent.DriftIgnoreRule) { r.FieldPattern = ptr("facts.port.*") })}, attr, ""},
		{"by drift kind", nil, "", []*ent.DriftIgnoreRule{rule("attrs", func(r *ent.DriftIgnoreRule) { r.DriftKind = ptr("ATTRIBUTE_CHANGED") })}, attr, "attrs"},
		{"other drift kind", nil, "", []*ent.DriftIgnoreRule{rule("missing", func(r *ent.DriftIgnoreRule) { r.DriftKind = ptr("MISSING") })}, attr, ""},
		{"by job", nil, "", []*ent.DriftIgnoreRule{rule("mine", func(r *ent.DriftIgnoreRule) { r.JobName = ptr("JOB") })}, attr, "mine"},
		{"other job", nil, "", []*ent.DriftIgnoreRule{rule("theirs", func(r *ent.DriftIgnoreRule) { r.JobName = ptr("someone-else") })}, attr, ""},
		{"disabled rule", nil, "", []*ent.DriftIgnoreRule{rule("off", func(r *ent.DriftIgnoreRule) { r.Enabled = false; r.DriftKind = ptr("ATTRIBUTE_CHANGED") })}, attr, ""},
		{"all criteria must match", []string{"lab"}, configurationitem.KindVM, []*ent.DriftIgnoreRule{rule("narrow", func(r *ent.DriftIgnoreRule) {
			r.CiKind, r.Tag, r.FieldPattern, r.DriftKind = ptr("VM"), ptr("lab"), ptr("desc*"), ptr("ATTRIBUTE_CHANGED")
		})}, attr, "narrow"},
		{"one criterion failing", []string{"lab"}, configurationitem.KindVM, []*ent.DriftIgnoreRule{rule("narrow", func(r *ent.DriftIgnoreRule) {
			r.CiKind, r.Tag, r.FieldPattern = ptr("VM"), ptr("lab"), ptr("name")
		})}, attr, ""},
		{"the first matching rule is named", nil, "", []*ent.DriftIgnoreRule{
			rule("a-off", func(r *ent.DriftIgnoreRule) { r.Enabled = false }),
			rule("b-ports", func(r *ent.DriftIgnoreRule) { r.FieldPattern = ptr("facts.port.*") }),
			rule("c-all", func(r *ent.DriftIgnoreRule) { r.DriftKind = ptr("ATTRIBUTE_CHANGED") }),
		}, port, "b-ports"},
		{"unregistered by observed kind", nil, "", []*ent.DriftIgnoreRule{rule("containers", func(r *ent.DriftIgnoreRule) {
			r.CiKind, r.DriftKind = ptr("CONTAINER"), ptr("UNREGISTERED")
		})}, unreg, "containers"},
		{"relationship drift by CI kind and tag", []string{"lab"}, configurationitem.KindNetworkDevice, []*ent.DriftIgnoreRule{rule("switches", func(r *ent.DriftIgnoreRule) {
			r.CiKind, r.Tag = ptr("NETWORK_DEVICE"), ptr("lab")
		})}, rel, "switches"},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				host := fmt.Sprintf("ign%d", i)
				spec := ciSpec{Name: host, Hostname: host, Kind: tc.kind, Tags: tc.tags, Description: "before"}
				if tc.what == port {
					spec.Facts = map[string]any{"port.tcp.22": "open"}
				}
				ci := e.seed(spec)[0]
				j := e.job(host, nil)
				for _, r := range tc.rules {
					if r.JobName != nil && *r.JobName == "JOB" {
						r.JobName = ptr(j.Name)
					}
				}
				opts := e.opts(j)
				opts.IgnoreRules = tc.rules
				var o []discovery.Observation
				filter := func(q *ent.DriftQuery) { q.Where(drift.ConfigurationItemID(ci.ID)) }
				switch tc.what {
				case attr:
					o = append(o, withFields(obs(host), "hostname", host, "description", "after"))
				case port:
					o = append(o, ports(host, "", "22", "80"))
				case unreg:
					o = append(o, discovery.Observation{Key: "c1", Kind: discovery.KindContainer, Identifiers: []discovery.Identifier{id(ident.CloudID, host)}})
					filter = func(q *ent.DriftQuery) { q.Where(drift.DiscoveryJobID(j.ID)) }
				case rel:
					peers := e.seed(ciSpec{Name: host + "-b", Hostname: host + "-b"}, ciSpec{Name: host + "-c", Hostname: host + "-c"})
					e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
						return tx.Relationship.Create().SetFromID(ci.ID).SetToID(peers[1].ID).SetType(relationship.TypeDependsOn).Exec(ctx)
					})
					a := withFields(obs("a"), "hostname", host)
					a.Relationships = []discovery.Relationship{{Type: "DEPENDS_ON", To: "b"}, {Type: "DEPENDS_ON", To: "c"}}
					o = append(o, a, withFields(obs("b"), "hostname", host+"-b"), withFields(obs("c"), "hostname", host+"-c"))
				}
				out, _ := e.reconcile(opts, o...)
				ds := e.drifts(filter)
				if len(ds) != 1 {
					t.Fatalf("drifts %v, want one", views(ds))
				}
				d := ds[0]
				wantStatus, wantBy := drift.StatusOpen, "<nil>"
				if tc.want != "" {
					wantStatus, wantBy = drift.StatusIgnored, tc.want
				}
				if d.Status != wantStatus || str(d.IgnoredBy) != wantBy {
					t.Fatalf("drift %v, want %s ignored by %q", view(d), wantStatus, tc.want)
				}
				wantCounts := [2]int{1, 0}
				if tc.want != "" {
					wantCounts = [2]int{0, 1}
				}
				if got := [2]int{out.Counts.DriftsOpened, out.Counts.DriftsIgnored}; got != wantCounts {
					t.Fatalf("opened, ignored = %v, want %v", got, wantCounts)
				}
				// Seen again, an ignored drift stays ignored, in place.
				opts.Now = e.tick(time.Hour)
				e.reconcile(opts, o...)
				again := e.drifts(filter)
				if len(again) != 1 || again[0].ID != d.ID || again[0].Status != wantStatus || !again[0].LastSeenAt.Equal(e.now) {
					t.Fatalf("after re-detection %v", views(again))
				}
			})
		}
	})
}

// TestPrecedence checks update mode against the provenance of a differing
// field: a higher-priority job's value stays (drift OPEN) unless that job's
// sighting of the CI is older than its StaleAfter; lower or equal priority,
// people and imports are overwritten (drift ACCEPTED).
func TestPrecedence(t *testing.T) {
	t.Parallel()
	h := time.Hour
	cases := []struct {
		name       string
		owner      string        // "" = a person through the hooks
		ownerPrio  int           // for job owners
		staleAfter time.Duration // the owner's StaleAfter, 0 = never
		sightedAgo time.Duration // the owner's sighting, 0 = none
		ownerGone  bool          // the owner job no longer exists
		field      string
		fieldPrio  map[string]int
		overwrite  bool
	}{
		{"higher-priority job keeps its value", "hi", 80, 0, h, false, "description", nil, false},
		{"higher-priority job, fresh sighting", "hi", 80, 24 * h, h, false, "description", nil, false},
		{"higher-priority job, stale sighting", "hi", 80, 24 * h, 48 * h, false, "description", nil, true},
		{"higher-priority job that never saw the CI", "hi", 80, 24 * h, 0, false, "description", nil, true},
		{"higher-priority job that is gone", "hi", 80, 0, h, true, "description", nil, true},
		{"equal-priority job", "peer", 50, 0, h, false, "description", nil, true},
		{"lower-priority job", "lo", 30, 0, h, false, "description", nil, true},
		{"a person", "", 0, 0, 0, false, "description", nil, true},
		{"a person's fact", "", 0, 0, 0, false, "facts.os.name", nil, true},
		{"field priority beats the owner", "hi", 80, 0, h, false, "description", map[string]int{"description": 90}, true},
		{"fact glob priority beats the owner", "hi", 80, 0, h, false, "facts.os.name", map[string]int{"facts.os.*": 90}, true},
		{"fact glob priority elsewhere", "hi", 80, 0, h, false, "facts.os.name", map[string]int{"facts.port.*": 90}, false},
		{"higher-priority job's fact", "hi", 80, 0, h, false, "facts.os.name", nil, false},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				host := fmt.Sprintf("p%d", i)
				spec := ciSpec{Name: host, Hostname: host}
				if tc.field == "description" {
					spec.Description = "theirs"
				} else {
					spec.Facts = map[string]any{"os.name": "theirs"}
				}
				ci := e.seed(spec)[0]
				ownerActor := "alice"
				opts := e.opts(e.job(host, func(c *ent.DiscoveryJobCreate) { c.SetMode("UPDATE") }))
				opts.FieldPriorities = tc.fieldPrio
				opts.JobIDs, opts.StaleAfter = map[string]int{}, map[string]time.Duration{}
				if tc.owner != "" {
					owner := e.job(host+"-"+tc.owner, nil)
					ownerActor = "discovery:" + owner.Name
					prov := map[string]schematype.Provenance{}
					for k, v := range ci.Provenance {
						prov[k] = v
					}
					prov[tc.field] = schematype.Provenance{By: ownerActor, At: e.now.Add(-tc.sightedAgo), Priority: tc.ownerPrio}
					e.tx(ownerActor, func(ctx context.Context, tx *ent.Client) error {
						if tc.sightedAgo > 0 {
							if err := tx.Sighting.Create().SetDiscoveryJobID(owner.ID).SetConfigurationItemID(ci.ID).
								SetLastSeenAt(e.now.Add(-tc.sightedAgo)).SetLastRunID(0).Exec(ctx); err != nil {
								return err
							}
						}
						return tx.ConfigurationItem.UpdateOneID(ci.ID).SetProvenance(prov).Exec(ctx)
					})
					if !tc.ownerGone {
						opts.JobIDs[ownerActor] = owner.ID
						if tc.staleAfter > 0 {
							opts.StaleAfter[ownerActor] = tc.staleAfter
						}
					}
				} else if p := ci.Provenance[tc.field]; p.By != "alice" || p.Priority != 100 {
					t.Fatalf("seeded provenance of %s = %+v, want alice with priority 100", tc.field, p)
				}
				o := withFields(obs(host), "hostname", host)
				if tc.field == "description" {
					o = withFields(o, "description", "ours")
				} else {
					o = withFacts(o, "os.name", "ours")
				}
				out, _ := e.reconcile(opts, o)
				got := e.ci(ci.ID)
				value := str(got.Description)
				if tc.field != "description" {
					value = fmt.Sprint(got.Facts["os.name"])
				}
				wantValue, wantStatus, wantBy := "theirs", drift.StatusOpen, ownerActor
				if tc.overwrite {
					wantValue, wantStatus, wantBy = "ours", drift.StatusAccepted, opts.Actor
				}
				if value != wantValue {
					t.Fatalf("%s = %q, want %q (counts %+v)", tc.field, value, wantValue, out.Counts)
				}
				if p := got.Provenance[tc.field]; p.By != wantBy {
					t.Fatalf("provenance of %s = %+v, want by %s", tc.field, p, wantBy)
				} else if tc.overwrite {
					wantPrio := 50
					if tc.fieldPrio != nil && tc.name != "fact glob priority elsewhere" {
						wantPrio = 90
					}
					if p.Priority != wantPrio || !p.At.Equal(e.now) {
						t.Fatalf("provenance of %s = %+v, want priority %d at %s", tc.field, p, wantPrio, e.now)
					}
				}
				checkDrifts(t, e.driftsOf(ci.ID), driftView{Kind: drift.KindAttributeChanged, Status: wantStatus, CI: ci.ID,
					Field: tc.field, Recorded: "theirs", Observed: "ours"})
				if tc.overwrite {
					ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
					if ev.Actor != opts.Actor {
						t.Fatalf("overwrite audited as %s", ev.Actor)
					}
				}
			})
		}
	})
}

// TestRelationships checks observed edges between matched CIs: created (a
// fill, audited, sourced to the job) when the CI has none of that type;
// otherwise drift in report mode, created and accepted in update mode; a
// recorded edge the run does not see is drift; agreement resolves.
func TestRelationships(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "app", Hostname: "app"}, ciSpec{Name: "db1", Hostname: "db1"},
			ciSpec{Name: "db2", Hostname: "db2"}, ciSpec{Name: "cache", Hostname: "cache"})
		app, db1, db2, cache := cis[0], cis[1], cis[2], cis[3]
		see := func(h string, deps ...string) discovery.Observation {
			o := withFields(obs(h), "hostname", h)
			for _, d := range deps {
				o.Relationships = append(o.Relationships, discovery.Relationship{Type: "DEPENDS_ON", To: d})
			}
			return o
		}
		edges := func() string {
			var out []string
			for _, r := range e.c.Relationship.Query().Order(ent.Asc(relationship.FieldID)).AllX(e.ctx) {
				out = append(out, fmt.Sprintf("%d-%s->%d(%s)", r.FromID, r.Type, r.ToID, r.Source))
			}
			return fmt.Sprint(out)
		}
		j := e.job("topo", nil)

		// No DEPENDS_ON yet: the observed one is filled; an unknown target
		// and a self-reference are skipped.
		out, _ := e.reconcile(e.opts(j), see("app", "db1", "nowhere", "app"), see("db1"), see("db2"), see("cache"))
		want := fmt.Sprintf("[%d-DEPENDS_ON->%d(discovery:topo)]", app.ID, db1.ID)
		if got := edges(); got != want || out.Counts.Filled != 1 || out.Counts.DriftsOpened != 0 {
			t.Fatalf("edges %s counts %+v; want %s and one fill", got, out.Counts, want)
		}
		rel := e.c.Relationship.Query().OnlyX(e.ctx)
		if ev := e.lastEvent(ent.TypeRelationship, rel.ID); ev.Actor != "discovery:topo" || ev.Action != "CREATE" ||
			ev.FromCiID == nil || *ev.FromCiID != app.ID {
			t.Fatalf("relationship audit %s %s", ev.Actor, ev.Action)
		}

		// app now depends on db2 instead: report mode opens two drifts.
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(j), see("app", "db2"), see("db1"), see("db2"), see("cache"))
		if got := edges(); got != want {
			t.Fatalf("report mode changed the edges: %s", got)
		}
		f1, f2 := fmt.Sprintf("relationship.DEPENDS_ON.%d", db1.ID), fmt.Sprintf("relationship.DEPENDS_ON.%d", db2.ID)
		checkDrifts(t, e.driftsOf(app.ID),
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: app.ID, Field: f2, Recorded: "absent", Observed: "present"},
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: app.ID, Field: f1, Recorded: "present", Observed: "absent"},
		)

		// Accepting both makes the record follow.
		for _, d := range e.driftsOf(app.ID) {
			if _, err := acceptAs(e, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		want = fmt.Sprintf("[%d-DEPENDS_ON->%d(record)]", app.ID, db2.ID)
		if got := edges(); got != want {
			t.Fatalf("after accepting: %s, want %s", got, want)
		}

		// Update mode: another edge of a type the CI has is created and
		// accepted.
		e.tick(time.Hour)
		upd := e.opts(j)
		upd.Mode = reconcile.ModeUpdate
		out, _ = e.reconcile(upd, see("app", "db2", "cache"), see("db1"), see("db2"), see("cache"))
		f3 := fmt.Sprintf("relationship.DEPENDS_ON.%d", cache.ID)
		want = fmt.Sprintf("[%d-DEPENDS_ON->%d(record) %d-DEPENDS_ON->%d(discovery:topo)]", app.ID, db2.ID, app.ID, cache.ID)
		if got := edges(); got != want || out.Counts.Updated != 1 {
			t.Fatalf("update mode: %s (counts %+v), want %s", got, out.Counts, want)
		}
		ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.ConfigurationItemID(app.ID), drift.FieldName(f3)) })
		checkDrifts(t, ds, driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusAccepted, CI: app.ID, Field: f3, Recorded: "absent", Observed: "present"})

		// Report mode again, cache edge not seen: drift; a person removes the
		// edge; the next complete run agrees and resolves it.
		e.tick(time.Hour)
		e.reconcile(e.opts(j), see("app", "db2"), see("db1"), see("db2"), see("cache"))
		ds = e.drifts(func(q *ent.DriftQuery) { q.Where(drift.FieldName(f3), drift.StatusEQ(drift.StatusOpen)) })
		if len(ds) != 1 || str(ds[0].Recorded) != "present" || str(ds[0].Observed) != "absent" {
			t.Fatalf("unseen edge drifts %v", views(ds))
		}
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			_, err := tx.Relationship.Delete().Where(relationship.FromID(app.ID), relationship.ToID(cache.ID)).Exec(ctx)
			return err
		})
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(j), see("app", "db2"), see("db1"), see("db2"), see("cache"))
		if d := e.c.Drift.GetX(e.ctx, ds[0].ID); d.Status != drift.StatusResolved || out.Counts.DriftsResolved != 1 || out.Counts.DriftsOpened != 0 {
			t.Fatalf("drift %s after agreement, counts %+v", d.Status, out.Counts)
		}
	})
}

// TestRelationshipDriftAccepted checks that update mode accepts the open
// relationship drift a report-mode run left, in place, and that a fill
// resolves one: one drift row per CI, kind and field.
func TestRelationshipDriftAccepted(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "app", Hostname: "app"}, ciSpec{Name: "db1", Hostname: "db1"}, ciSpec{Name: "db2", Hostname: "db2"})
		app, db1, db2 := cis[0], cis[1], cis[2]
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.Relationship.Create().SetFromID(app.ID).SetToID(db1.ID).SetType(relationship.TypeDependsOn).Exec(ctx)
		})
		see := func(h string, deps ...string) discovery.Observation {
			o := withFields(obs(h), "hostname", h)
			for _, d := range deps {
				o.Relationships = append(o.Relationships, discovery.Relationship{Type: "DEPENDS_ON", To: d})
			}
			return o
		}
		j := e.job("topo", nil)
		e.reconcile(e.opts(j), see("app", "db1", "db2"), see("db1"), see("db2"))
		f := fmt.Sprintf("relationship.DEPENDS_ON.%d", db2.ID)
		ds := e.driftsOf(app.ID)
		checkDrifts(t, ds, driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: app.ID, Field: f, Recorded: "absent", Observed: "present"})

		e.tick(time.Hour)
		upd := e.opts(j)
		upd.Mode = reconcile.ModeUpdate
		out, _ := e.reconcile(upd, see("app", "db1", "db2"), see("db1"), see("db2"))
		got := e.driftsOf(app.ID)
		checkDrifts(t, got, driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusAccepted, CI: app.ID, Field: f, Recorded: "absent", Observed: "present"})
		if got[0].ID != ds[0].ID || got[0].ResolvedAt == nil || !got[0].ResolvedAt.Equal(e.now) || out.Counts.DriftsOpened != 0 {
			t.Fatalf("drift %d resolved %v, counts %+v", got[0].ID, got[0].ResolvedAt, out.Counts)
		}
		if n := e.c.Relationship.Query().Where(relationship.FromID(app.ID)).CountX(e.ctx); n != 2 {
			t.Fatalf("%d edges from app", n)
		}

		// db2 goes unobserved (drift); a person removes every edge of app;
		// the next run sees db2 again and fills both edges, which resolves
		// the drift at once.
		e.tick(time.Hour)
		e.reconcile(e.opts(j), see("app", "db1"), see("db1"), see("db2"))
		f2 := f
		open := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.FieldName(f2), drift.StatusEQ(drift.StatusOpen)) })
		if len(open) != 1 || str(open[0].Recorded) != "present" || str(open[0].Observed) != "absent" {
			t.Fatalf("drifts %v", views(open))
		}
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			_, err := tx.Relationship.Delete().Where(relationship.FromID(app.ID)).Exec(ctx)
			return err
		})
		e.tick(time.Hour)
		out, _ = e.reconcile(e.opts(j), see("app", "db1", "db2"), see("db1"), see("db2"))
		if out.Counts.Filled != 2 || out.Counts.DriftsResolved != 1 {
			t.Fatalf("counts %+v, want two fills and one drift resolved", out.Counts)
		}
		if d := e.c.Drift.GetX(e.ctx, open[0].ID); d.Status != drift.StatusResolved {
			t.Fatalf("drift %v after the edge went as observed", view(d))
		}
	})
}
