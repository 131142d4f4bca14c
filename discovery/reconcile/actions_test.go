package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestAcknowledge checks that acknowledging records who, when and a note,
// keeps the drift active (re-detected in place, resolved by agreement), and
// is refused for a closed drift.
func TestAcknowledge(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "db", Hostname: "db", Description: "a"})[0]
		j := e.job("ssh", nil)
		e.reconcile(e.opts(j), withFields(obs("db"), "hostname", "db", "description", "b"))
		d := e.driftsOf(ci.ID)[0]

		e.tick(time.Minute)
		got, err := acknowledgeAs(e, d.ID, ptr("  known, ticket OPS-1  "))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != drift.StatusAcknowledged || str(got.Note) != "known, ticket OPS-1" || str(got.AcknowledgedBy) != "alice" ||
			got.AcknowledgedAt == nil || !got.AcknowledgedAt.Equal(e.now) {
			t.Fatalf("acknowledged drift %s note %q by %s at %v", got.Status, str(got.Note), str(got.AcknowledgedBy), got.AcknowledgedAt)
		}
		ev := e.lastEvent(ent.TypeDrift, d.ID)
		if b, a := change(t, ev, "status"); ev.Actor != "alice" || b != "OPEN" || a != "ACKNOWLEDGED" {
			t.Fatalf("acknowledgement audited as %s %v→%v", ev.Actor, b, a)
		}

		// Re-detected: still the one acknowledged drift.
		e.tick(time.Hour)
		e.reconcile(e.opts(j), withFields(obs("db"), "hostname", "db", "description", "c"))
		ds := e.driftsOf(ci.ID)
		checkDrifts(t, ds, driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusAcknowledged, CI: ci.ID, Field: "description", Recorded: "a", Observed: "c"})
		if str(ds[0].Note) != "known, ticket OPS-1" {
			t.Fatalf("note lost: %q", str(ds[0].Note))
		}

		// Acknowledging again without a note keeps the note.
		if got, err := acknowledgeAs(e, d.ID, nil); err != nil || str(got.Note) != "known, ticket OPS-1" {
			t.Fatalf("second acknowledgement: %v, note %q", err, str(got.Note))
		}

		// Agreement resolves it; a resolved drift cannot be acknowledged.
		e.tick(time.Hour)
		e.reconcile(e.opts(j), withFields(obs("db"), "hostname", "db", "description", "a"))
		if d := e.c.Drift.GetX(e.ctx, d.ID); d.Status != drift.StatusResolved {
			t.Fatalf("acknowledged drift not resolved by agreement: %s", d.Status)
		}
		_, err = acknowledgeAs(e, d.ID, nil)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict {
			t.Fatalf("acknowledging a resolved drift: %v, want a CONFLICT", err)
		}
		if _, err := acknowledgeAs(e, d.ID+1000, nil); !ent.IsNotFound(err) {
			t.Fatalf("acknowledging a missing drift: %v, want not found", err)
		}
	})
}

// TestAccept checks accepting each kind of drift: the record takes the
// observed value through the hooks (audited as the person, provenance
// priority 100) and the drift is ACCEPTED; an ambiguous drift is refused.
func TestAccept(t *testing.T) {
	t.Parallel()
	type setup struct {
		ci    ciSpec
		job   func(*ent.DiscoveryJobCreate)
		first []discovery.Observation // the job's first run, when it must have seen the CI
		obs   []discovery.Observation // the run that opens the drift
	}
	cases := []struct {
		name    string
		setup   func(host string) setup
		kind    drift.Kind
		check   func(t *testing.T, e *env, ci *ent.ConfigurationItem, d *ent.Drift)
		refused bool
	}{
		{"attribute", func(h string) setup {
			return setup{ci: ciSpec{Name: h, Hostname: h, Description: "old"}, obs: []discovery.Observation{withFields(obs(h), "hostname", h, "description", "new")}}
		}, drift.KindAttributeChanged, func(t *testing.T, e *env, ci *ent.ConfigurationItem, d *ent.Drift) {
			got := e.ci(ci.ID)
			if str(got.Description) != "new" {
				t.Fatalf("description %q", str(got.Description))
			}
			if p := got.Provenance["description"]; p.By != "alice" || p.Priority != 100 {
				t.Fatalf("provenance %+v", p)
			}
			ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
			if b, a := change(t, ev, "description"); ev.Actor != "alice" || b != "old" || a != "new" {
				t.Fatalf("audited %s %v→%v", ev.Actor, b, a)
			}
		}, false},
		{"hostname", func(h string) setup {
			return setup{ci: ciSpec{Name: h, Hostname: h, IDs: []discovery.Identifier{id(ident.MAC, "aa:bb:cc:00:0a:01")}},
				obs: []discovery.Observation{withFields(obs(h, id(ident.MAC, "aa:bb:cc:00:0a:01")), "hostname", h+"-new")}}
		}, drift.KindAttributeChanged, func(t *testing.T, e *env, ci *ent.ConfigurationItem, d *ent.Drift) {
			got := e.ci(ci.ID)
			if str(got.Hostname) != ci.Name+"-new" {
				t.Fatalf("hostname %q", str(got.Hostname))
			}
			if ids := strings.Join(identifiersOf(t, e, ci.ID), " "); ids != fmt.Sprintf("HOSTNAME=%s-new(record) MAC=aa:bb:cc:00:0a:01(alice)", ci.Name) {
				t.Fatalf("identifiers %s", ids)
			}
		}, false},
		{"closed port", func(h string) setup {
			return setup{ci: ciSpec{Name: h, Hostname: h, Facts: map[string]any{"port.tcp.22": "open", "port.tcp.80": "open"}},
				obs: []discovery.Observation{ports(h, "", "22")}}
		}, drift.KindAttributeChanged, func(t *testing.T, e *env, ci *ent.ConfigurationItem, d *ent.Drift) {
			got := e.ci(ci.ID)
			if fmt.Sprint(got.Facts) != "map[port.tcp.22:open]" {
				t.Fatalf("facts %v", got.Facts)
			}
			if p := got.Provenance["facts.port.tcp.80"]; p.By != "alice" {
				t.Fatalf("provenance %+v", p)
			}
		}, false},
		{"opened port", func(h string) setup {
			return setup{ci: ciSpec{Name: h, Hostname: h, Facts: map[string]any{"port.tcp.22": "open"}},
				obs: []discovery.Observation{ports(h, "", "22", "443")}}
		}, drift.KindAttributeChanged, func(t *testing.T, e *env, ci *ent.ConfigurationItem, d *ent.Drift) {
			if got := e.ci(ci.ID); fmt.Sprint(got.Facts) != "map[port.tcp.22:open port.tcp.443:open]" {
				t.Fatalf("facts %v", got.Facts)
			}
		}, false},
		{"missing", func(h string) setup {
			return setup{ci: ciSpec{Name: h, Hostname: h}, first: []discovery.Observation{withFields(obs(h), "hostname", h)}}
		}, drift.KindMissing, func(t *testing.T, e *env, ci *ent.ConfigurationItem, d *ent.Drift) {
			got := e.ci(ci.ID)
			if got.Status != configurationitem.StatusRetired {
				t.Fatalf("status %s", got.Status)
			}
			ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
			if b, a := change(t, ev, "status"); ev.Actor != "alice" || b != "ACTIVE" || a != "RETIRED" {
				t.Fatalf("audited %s %v→%v", ev.Actor, b, a)
			}
		}, false},
		{"unregistered", func(h string) setup {
			return setup{ci: ciSpec{Name: h}, obs: []discovery.Observation{withFields(obs("host "+h, id(ident.MAC, "aa:bb:cc:00:0b:01"), id(ident.IP, "10.3.0.1")), "hostname", h+"-x")}}
		}, drift.KindUnregistered, func(t *testing.T, e *env, _ *ent.ConfigurationItem, d *ent.Drift) {
			if d.ConfigurationItemID == nil {
				t.Fatal("accepted unregistered drift names no CI")
			}
			got := e.ci(*d.ConfigurationItemID)
			if got.Status != configurationitem.StatusActive || got.Kind != configurationitem.KindServer || !strings.HasSuffix(str(got.Hostname), "-x") || !strings.HasPrefix(got.Name, "host ") {
				t.Fatalf("registered CI %s %s %s %s", got.Name, got.Kind, got.Status, str(got.Hostname))
			}
			ids := strings.Join(identifiersOf(t, e, got.ID), " ")
			if ids != fmt.Sprintf("HOSTNAME=%s(record) IP=10.3.0.1(alice) MAC=aa:bb:cc:00:0b:01(alice)", str(got.Hostname)) {
				t.Fatalf("identifiers %s", ids)
			}
			if evs := e.ciEvents(got.ID); len(evs) != 1 || !strings.HasPrefix(evs[0], "alice CREATE") {
				t.Fatalf("audit %v", evs)
			}
		}, false},
		{"discovered CI", func(h string) setup {
			return setup{ci: ciSpec{Name: h}, job: func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) },
				obs: []discovery.Observation{withFields(obs(h+"-new", id(ident.MAC, "aa:bb:cc:00:0c:01")), "hostname", h+"-new")}}
		}, drift.KindUnregistered, func(t *testing.T, e *env, _ *ent.ConfigurationItem, d *ent.Drift) {
			if got := e.ci(*d.ConfigurationItemID); got.Status != configurationitem.StatusActive {
				t.Fatalf("status %s", got.Status)
			}
		}, false},
		{"ambiguous", func(h string) setup {
			return setup{ci: ciSpec{Name: h, Serial: "SN-" + h}, obs: []discovery.Observation{obs("dup", id(ident.Serial, "SN-"+h))}}
		}, drift.KindAmbiguous, nil, true},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				host := fmt.Sprintf("acc%d", i)
				s := tc.setup(host)
				ci := e.seed(s.ci)[0]
				if tc.kind == drift.KindAmbiguous {
					e.seed(ciSpec{Name: host + "-twin", Serial: "SN-" + host})
				}
				j := e.job(host, s.job)
				if s.first != nil {
					e.reconcile(e.opts(j), s.first...)
					e.tick(time.Hour)
				}
				e.reconcile(e.opts(j), s.obs...)
				ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.DiscoveryJobID(j.ID), drift.KindEQ(tc.kind)) })
				if len(ds) != 1 {
					t.Fatalf("%s drifts: %v", tc.kind, views(ds))
				}
				e.tick(time.Minute)
				before := e.snapshot()
				d, err := acceptAs(e, ds[0].ID)
				if tc.refused {
					if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict {
						t.Fatalf("accept: %v, want a CONFLICT", err)
					}
					if after := e.snapshot(); after != before {
						t.Fatalf("a refused accept wrote:\n%s\nwas:\n%s", after, before)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.Status != drift.StatusAccepted || d.ResolvedAt == nil || !d.ResolvedAt.Equal(e.now) {
					t.Fatalf("accepted drift %s resolved %v", d.Status, d.ResolvedAt)
				}
				ev := e.lastEvent(ent.TypeDrift, d.ID)
				if b, a := change(t, ev, "status"); ev.Actor != "alice" || a != "ACCEPTED" {
					t.Fatalf("drift audit %s %v→%v", ev.Actor, b, a)
				}
				tc.check(t, e, ci, d)
				// Accepting twice is refused.
				if _, err := acceptAs(e, d.ID); err == nil {
					t.Fatal("accepted an accepted drift")
				} else if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict {
					t.Fatalf("second accept: %v, want a CONFLICT", err)
				}
			})
		}
	})
}

// TestMerge merges a duplicate into the CI to keep: fields fill keep's
// gaps, and identifiers, relationships, services, drifts, sightings and the
// audit trail move; remove is deleted; the merge is audited; a later run
// naming remove's identifiers matches keep.
func TestMerge(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(
			ciSpec{Name: "web", Hostname: "web01", Serial: "SN-K", Tags: []string{"a"}, Facts: map[string]any{"os.name": "linux"}},
			ciSpec{Name: "web (dup)", Hostname: "web01-old", FQDN: "web01-old.example.com", Description: "from the duplicate", Tags: []string{"a", "b"},
				Facts: map[string]any{"os.name": "debian", "cpu.count": "4"}, IDs: []discovery.Identifier{id(ident.MAC, "aa:bb:cc:00:0d:01"), id(ident.IP, "10.4.0.1")}},
			ciSpec{Name: "db", Hostname: "db"},
			ciSpec{Name: "lb", Hostname: "lb"},
		)
		keep, remove, db, lb := cis[0], cis[1], cis[2], cis[3]
		var svcID, chgID int
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			if err := tx.Identifier.Create().SetConfigurationItemID(keep.ID).SetKind("IP").SetValue("10.4.0.1").SetSource("alice").Exec(ctx); err != nil {
				return err
			}
			if err := tx.Relationship.Create().SetFromID(remove.ID).SetToID(db.ID).SetType(relationship.TypeDependsOn).
				SetSource("import:estate.csv").SetDescription("via the VPN").Exec(ctx); err != nil {
				return err
			}
			if err := tx.Relationship.Create().SetFromID(lb.ID).SetToID(remove.ID).SetType(relationship.TypeConnectsTo).Exec(ctx); err != nil {
				return err
			}
			if err := tx.Relationship.Create().SetFromID(keep.ID).SetToID(remove.ID).SetType(relationship.TypeUses).Exec(ctx); err != nil {
				return err
			}
			if err := tx.Asset.Create().SetConfigurationItemID(remove.ID).SetCostMinor(100000).SetCurrency("EUR").
				SetPurchaseDate(t0).SetUsefulLifeMonths(36).Exec(ctx); err != nil {
				return err
			}
			cr, err := tx.ChangeRecord.Create().SetNumber("CHG9").SetTitle("dedupe").SetRequester("alice").
				SetWindowStart(t0).SetWindowEnd(t0.Add(time.Hour)).AddConfigurationItemIDs(keep.ID, remove.ID).Save(ctx)
			if err != nil {
				return err
			}
			chgID = cr.ID
			svc, err := tx.Service.Create().SetName("shop").AddMemberIDs(keep.ID, remove.ID).Save(ctx)
			svcID = svc.ID
			return err
		})
		// Two jobs saw them; both went missing for one, remove has a field
		// drift of its own.
		both := e.job("both", nil)
		only := e.job("only", nil)
		e.reconcile(e.opts(both), withFields(obs("k"), "hostname", "web01"), withFields(obs("r"), "hostname", "web01-old"))
		e.reconcile(e.opts(only), withFields(obs("r"), "hostname", "web01-old", "description", "changed"))
		e.tick(time.Hour)
		e.reconcile(e.opts(both))
		checkDrifts(t, e.drifts(),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: remove.ID, Field: "description", Recorded: "from the duplicate", Observed: "changed"},
			driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: keep.ID, Field: "discovery:both", Recorded: "present", Observed: "not seen by 1 complete run"},
			driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: remove.ID, Field: "discovery:both", Recorded: "present", Observed: "not seen by 1 complete run"},
		)
		removeEvents := len(e.ciEvents(remove.ID))
		keepEvents := len(e.ciEvents(keep.ID))

		e.tick(time.Minute)
		got, err := mergeAs(e, keep.ID, remove.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.ConfigurationItem.Get(e.ctx, remove.ID); !ent.IsNotFound(err) {
			t.Fatalf("remove still exists: %v", err)
		}
		if got.ID != keep.ID || str(got.Hostname) != "web01" || str(got.Fqdn) != "web01-old.example.com" || str(got.SerialNumber) != "SN-K" ||
			str(got.Description) != "from the duplicate" || fmt.Sprint(got.Tags) != "[a b]" ||
			fmt.Sprint(got.Facts) != "map[cpu.count:4 os.name:linux]" {
			t.Fatalf("merged CI: %s %s %s %s tags %v facts %v", str(got.Hostname), str(got.Fqdn), str(got.SerialNumber), str(got.Description), got.Tags, got.Facts)
		}
		ids := strings.Join(identifiersOf(t, e, keep.ID), " ")
		if ids != "FQDN=web01-old.example.com(record) HOSTNAME=web01(record) HOSTNAME=web01-old(alice) IP=10.4.0.1(alice) MAC=aa:bb:cc:00:0d:01(alice) SERIAL=SN-K(record)" {
			t.Fatalf("identifiers of keep: %s", ids)
		}
		var rels []string
		for _, r := range e.c.Relationship.Query().Order(ent.Asc(relationship.FieldID)).AllX(e.ctx) {
			rels = append(rels, fmt.Sprintf("%d-%s->%d %s %s", r.FromID, r.Type, r.ToID, r.Source, str(r.Description)))
		}
		wantRels := fmt.Sprintf("[%d-DEPENDS_ON->%d import:estate.csv via the VPN %d-CONNECTS_TO->%d record <nil>]", keep.ID, db.ID, lb.ID, keep.ID)
		if fmt.Sprint(rels) != wantRels {
			t.Fatalf("relationships %v, want %s", rels, wantRels)
		}
		members := e.c.Service.GetX(e.ctx, svcID).QueryMembers().IDsX(e.ctx)
		if fmt.Sprint(members) != fmt.Sprintf("[%d]", keep.ID) {
			t.Fatalf("service members %v", members)
		}
		if covered := e.c.ChangeRecord.GetX(e.ctx, chgID).QueryConfigurationItems().IDsX(e.ctx); fmt.Sprint(covered) != fmt.Sprintf("[%d]", keep.ID) {
			t.Fatalf("change record covers %v", covered)
		}
		if a := e.c.Asset.Query().OnlyX(e.ctx); a.ConfigurationItemID != keep.ID {
			t.Fatalf("asset of CI %d", a.ConfigurationItemID)
		}
		// Drifts move; remove's missing drift duplicates keep's and is closed.
		checkDrifts(t, e.drifts(),
			driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: keep.ID, Field: "description", Recorded: "from the duplicate", Observed: "changed"},
			driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: keep.ID, Field: "discovery:both", Recorded: "present", Observed: "not seen by 1 complete run"},
			driftView{Kind: drift.KindMissing, Status: drift.StatusResolved, CI: keep.ID, Field: "discovery:both", Recorded: "present", Observed: "not seen by 1 complete run"},
		)
		var sightings []string
		for _, s := range e.c.Sighting.Query().Order(ent.Asc(sighting.FieldDiscoveryJobID)).AllX(e.ctx) {
			sightings = append(sightings, fmt.Sprintf("%d:%d", s.DiscoveryJobID, s.ConfigurationItemID))
		}
		if want := fmt.Sprintf("[%d:%d %d:%d]", both.ID, keep.ID, only.ID, keep.ID); fmt.Sprint(sightings) != want {
			t.Fatalf("sightings %v, want %s", sightings, want)
		}
		// The audit trail: remove's history is keep's; only the deletion
		// stays on remove; the merge itself is audited on keep.
		left := e.ciEvents(remove.ID)
		if len(left) != 1 || !strings.HasPrefix(left[0], "alice DELETE") {
			t.Fatalf("events left on remove: %v", left)
		}
		evs := e.ciEvents(keep.ID)
		if len(evs) < keepEvents+removeEvents+2 {
			t.Fatalf("keep has %d events, want at least %d + %d + the merge", len(evs), keepEvents, removeEvents)
		}
		ev := e.lastEvent(ent.TypeConfigurationItem, keep.ID)
		b, a := change(t, ev, "merged_from")
		from, _ := a.(map[string]any)
		if ev.Actor != "alice" || ev.Action != auditevent.ActionUpdate || b != nil || from["id"] != float64(remove.ID) || from["name"] != "web (dup)" {
			t.Fatalf("merge event %s %s %v→%v", ev.Actor, ev.Action, b, a)
		}
		if n := e.c.AuditEvent.Query().Where(auditevent.Or(auditevent.FromCiID(remove.ID), auditevent.ToCiID(remove.ID))).CountX(e.ctx); n != 0 {
			t.Fatalf("%d relationship events still name remove", n)
		}
		// The moved events say where they came from, and keep's state
		// rebuilt from the trail is keep's own: remove's creation is not
		// a reset of keep.
		marked := e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(keep.ID),
			auditevent.MergedFromID(remove.ID)).CountX(e.ctx)
		own := e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(keep.ID),
			auditevent.MergedFromIDIsNil()).CountX(e.ctx)
		if marked < removeEvents || own < keepEvents+1 || marked+own != len(evs) {
			t.Fatalf("keep's %d events: %d marked as merged from remove (had %d), %d its own (had %d, plus the merge)",
				len(evs), marked, removeEvents, own, keepEvents)
		}
		// Relationship events are also the history of the CI at their other
		// end: not marked, so that CI's past keeps its relationships.
		if n := e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeRelationship), auditevent.MergedFromIDNotNil()).CountX(e.ctx); n != 0 {
			t.Fatalf("%d relationship events marked as merged", n)
		}
		now := e.c.ConfigurationItem.GetX(e.ctx, keep.ID)
		snap, err := audit.RebuildCI(e.ctx, e.c, keep.ID, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if snap == nil || !snap.Existed || snap.Fields["name"] != now.Name || snap.Fields["hostname"] != deref(now.Hostname) {
			t.Fatalf("keep rebuilt from its trail: %+v; the record: name %q hostname %q", snap, now.Name, deref(now.Hostname))
		}

		// remove's identifiers now name keep.
		e.tick(time.Hour)
		out, _ := e.reconcile(e.opts(only), withFields(obs("r", id(ident.MAC, "aa:bb:cc:00:0d:01")), "hostname", "web01-old"))
		if out.Counts.Matched != 1 || out.Counts.Unregistered != 0 || out.Counts.Ambiguous != 0 {
			t.Fatalf("run after the merge: counts %+v", out.Counts)
		}
	})
}

// TestMergeRefusals checks merges that must not happen, and that they write
// nothing.
func TestMergeRefusals(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "a", Hostname: "a"}, ciSpec{Name: "b", Hostname: "b"})
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			for i, ci := range cis {
				if err := tx.Asset.Create().SetConfigurationItemID(ci.ID).SetCostMinor(int64(1000 * (i + 1))).SetCurrency("EUR").
					SetPurchaseDate(t0).SetUsefulLifeMonths(36).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		before := e.snapshot()
		for _, tc := range []struct {
			name         string
			keep, remove int
			code         apperr.Code
		}{
			{"both have an asset", cis[0].ID, cis[1].ID, apperr.Conflict},
			{"into itself", cis[0].ID, cis[0].ID, apperr.BadUserInput},
			{"unknown keep", cis[1].ID + 1000, cis[0].ID, apperr.BadUserInput},
			{"unknown remove", cis[0].ID, cis[1].ID + 1000, apperr.BadUserInput},
		} {
			_, err := mergeAs(e, tc.keep, tc.remove)
			if ae, ok := apperr.As(err); !ok || ae.Code != tc.code {
				t.Fatalf("%s: %v, want %s", tc.name, err, tc.code)
			}
		}
		if after := e.snapshot(); after != before {
			t.Fatalf("refused merges wrote:\n%s\nwas:\n%s", after, before)
		}
	})
}

// TestSummarize checks the drift summary: counts by status and
// authorisation, and the active drifts by kind, job and service.
func TestSummarize(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		var specs []ciSpec
		for _, h := range []string{"a", "b", "c", "d", "e"} {
			specs = append(specs, ciSpec{Name: h, Hostname: h, Description: "x"})
		}
		specs[4].Tags = []string{"quiet"}
		cis := e.seed(specs...)
		a, b, c, d := cis[0], cis[1], cis[2], cis[3]
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			if err := tx.Service.Create().SetName("shop").AddMemberIDs(a.ID, b.ID).Exec(ctx); err != nil {
				return err
			}
			if err := tx.Service.Create().SetName("blog").AddMemberIDs(b.ID, c.ID).Exec(ctx); err != nil {
				return err
			}
			return tx.ChangeRecord.Create().SetNumber("CHG1").SetTitle("t").SetRequester("alice").SetStatus("APPROVED").
				SetWindowStart(e.now.Add(-time.Hour)).SetWindowEnd(e.now.Add(time.Hour)).AddConfigurationItemIDs(c.ID).Exec(ctx)
		})
		since := e.now.Add(-time.Minute)
		scan := e.job("scan", nil)
		see := func(h, desc string) discovery.Observation {
			return withFields(obs(h), "hostname", h, "description", desc)
		}
		opts := e.opts(scan)
		opts.IgnoreRules = []*ent.DriftIgnoreRule{rule("quiet", func(r *ent.DriftIgnoreRule) { r.Tag = ptr("quiet") })}
		e.reconcile(opts, see("a", "y"), see("b", "y"), see("c", "y"), see("d", "y"), see("e", "y"), obs("u", id(ident.Serial, "SN-U")))
		if _, err := acknowledgeAs(e, e.driftsOf(a.ID)[0].ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := acceptAs(e, e.driftsOf(d.ID)[0].ID); err != nil {
			t.Fatal(err)
		}
		// Another job finding b as recorded does not speak for the scan;
		// the scan finding it so resolves its drift.
		e.tick(time.Hour)
		e.reconcile(e.opts(e.job("ssh", nil)), see("b", "x"))
		if st := e.driftsOf(b.ID)[0].Status; st != drift.StatusOpen {
			t.Fatalf("b's drift after another job agreed with the record: %s", st)
		}
		e.reconcile(opts, see("a", "y"), see("b", "x"), see("c", "y"), see("d", "y"), see("e", "y"), obs("u", id(ident.Serial, "SN-U")))
		if st := e.driftsOf(b.ID)[0].Status; st != drift.StatusResolved {
			t.Fatalf("b's drift %s", st)
		}
		var sum *reconcile.Summary
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			var err error
			sum, err = reconcile.Summarize(ctx, tx, since, e.dialect)
			return err
		})
		got := fmt.Sprintf("opened=%d open=%d ack=%d resolved=%d accepted=%d ignored=%d auth=%d unauth=%d kind=%v job=%v service=%v",
			sum.Opened, sum.Open, sum.Acknowledged, sum.Resolved, sum.Accepted, sum.Ignored, sum.Authorized, sum.Unauthorized, sum.ByKind, sum.ByJob, sum.ByService)
		want := "opened=6 open=2 ack=1 resolved=1 accepted=1 ignored=1 auth=1 unauth=2 " +
			"kind=[{ATTRIBUTE_CHANGED 2} {UNREGISTERED 1}] job=[{scan 3}] service=[{blog 1} {shop 1}]"
		if got != want {
			t.Fatalf("summary\n got  %s\n want %s", got, want)
		}
		// Nothing happened since later.
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			var err error
			sum, err = reconcile.Summarize(ctx, tx, e.now.Add(time.Hour), e.dialect)
			return err
		})
		if sum.Opened != 0 || sum.Resolved != 0 || sum.Accepted != 0 || sum.Ignored != 0 || sum.Open != 2 {
			t.Fatalf("summary since later: %+v", sum)
		}
	})
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
