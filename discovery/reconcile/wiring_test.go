package reconcile_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/sighting"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// edgeList is every recorded relationship as "from-TYPE->to(source){attrs}"
// by CI name, sorted.
func (e *env) edgeList() []string {
	e.t.Helper()
	names := map[int]string{}
	for _, ci := range e.c.ConfigurationItem.Query().AllX(e.ctx) {
		names[ci.ID] = ci.Name
	}
	var out []string
	for _, r := range e.c.Relationship.Query().Order(ent.Asc(relationship.FieldID)).AllX(e.ctx) {
		var attrs []string
		for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
			attrs = append(attrs, k+"="+r.Attributes[k])
		}
		out = append(out, fmt.Sprintf("%s-%s->%s(%s){%s}", names[r.FromID], r.Type, names[r.ToID], r.Source, strings.Join(attrs, ",")))
	}
	slices.Sort(out)
	return out
}

func checkEdges(t *testing.T, e *env, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := e.edgeList(); !slices.Equal(got, want) {
		t.Fatalf("relationships:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// link is a relationship of an observation with attributes as k, v pairs.
func link(typ, to string, kv ...string) discovery.Relationship {
	r := discovery.Relationship{Type: typ, To: to}
	for i := 0; i+1 < len(kv); i += 2 {
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		r.Attributes[kv[i]] = kv[i+1]
	}
	return r
}

// device is a full observation of a network device by host name.
func device(h string, rels ...discovery.Relationship) discovery.Observation {
	o := withFields(obs(h), "hostname", h)
	o.Kind = discovery.KindNetworkDevice
	o.Relationships = rels
	return o
}

// TestRelationshipAttributes: an observed edge is recorded with its
// attributes; a different port is attribute drift in report mode (one drift
// per attribute, re-detected in place), written and accepted in update
// mode (audited, the same drift row); an empty recorded attribute is a
// fill; a recorded attribute the observation does not give is left alone;
// agreement resolves; accepting an attribute drift writes the attribute.
func TestRelationshipAttributes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "sw-a", Hostname: "sw-a"}, ciSpec{Name: "sw-b", Hostname: "sw-b"})
		a, b := cis[0], cis[1]
		j := e.job("lldp", nil)
		localField := discovery.RelationshipAttributeFieldName("CONNECTS_TO", b.ID, "local_port")
		run := func(mode reconcile.Mode, local string) *reconcile.Outcome {
			t.Helper()
			e.tick(time.Hour)
			o := e.opts(j)
			o.Mode = mode
			out, _ := e.reconcile(o, device("sw-a", link("CONNECTS_TO", "sw-b", "local_port", local, "remote_port", "Gi0/48", "protocol", "lldp")), device("sw-b"))
			return out
		}
		edge := func(local string) string {
			return "sw-a-CONNECTS_TO->sw-b(discovery:lldp){local_port=" + local + ",protocol=lldp,remote_port=Gi0/48}"
		}
		rel := func() *ent.Relationship { return e.c.Relationship.Query().OnlyX(e.ctx) }

		for i, step := range []struct {
			name   string
			mode   reconcile.Mode
			local  string
			edge   string
			drifts []driftView
			check  func(t *testing.T, out *reconcile.Outcome)
		}{
			{name: "created with its attributes", mode: reconcile.ModeReport, local: "Gi0/1", edge: edge("Gi0/1"),
				check: func(t *testing.T, out *reconcile.Outcome) {
					if out.Counts.Filled != 1 {
						t.Fatalf("counts %+v, want the edge filled", out.Counts)
					}
					ev := e.lastEvent(ent.TypeRelationship, rel().ID)
					if _, after := change(t, ev, "attributes"); !strings.Contains(fmt.Sprint(after), "Gi0/1") {
						t.Fatalf("audit of the new edge: attributes %v", after)
					}
				}},
			{name: "cable moved to another port: drift, record unchanged", mode: reconcile.ModeReport, local: "Gi0/3", edge: edge("Gi0/1"),
				drifts: []driftView{{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: a.ID, Field: localField, Recorded: "Gi0/1", Observed: "Gi0/3"}}},
			{name: "seen again: the same drift", mode: reconcile.ModeReport, local: "Gi0/3", edge: edge("Gi0/1"),
				drifts: []driftView{{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: a.ID, Field: localField, Recorded: "Gi0/1", Observed: "Gi0/3"}},
				check: func(t *testing.T, out *reconcile.Outcome) {
					if out.Counts.DriftsOpened != 0 || out.Counts.DriftsUpdated != 1 {
						t.Fatalf("counts %+v, want the drift re-detected", out.Counts)
					}
				}},
			{name: "update mode writes and accepts", mode: reconcile.ModeUpdate, local: "Gi0/3", edge: edge("Gi0/3"),
				drifts: []driftView{{Kind: drift.KindRelationshipChanged, Status: drift.StatusAccepted, CI: a.ID, Field: localField, Recorded: "Gi0/1", Observed: "Gi0/3"}},
				check: func(t *testing.T, out *reconcile.Outcome) {
					if out.Counts.Updated != 1 {
						t.Fatalf("counts %+v, want one update", out.Counts)
					}
					ev := e.lastEvent(ent.TypeRelationship, rel().ID)
					before, after := change(t, ev, "attributes")
					if ev.Actor != "discovery:lldp" || ev.Action != auditevent.ActionUpdate ||
						!strings.Contains(fmt.Sprint(before), "Gi0/1") || !strings.Contains(fmt.Sprint(after), "Gi0/3") {
						t.Fatalf("audit %s %s: %v -> %v", ev.Actor, ev.Action, before, after)
					}
				}},
			{name: "agreement opens nothing", mode: reconcile.ModeReport, local: "Gi0/3", edge: edge("Gi0/3"),
				drifts: []driftView{{Kind: drift.KindRelationshipChanged, Status: drift.StatusAccepted, CI: a.ID, Field: localField, Recorded: "Gi0/1", Observed: "Gi0/3"}},
				check: func(t *testing.T, out *reconcile.Outcome) {
					if out.Counts.DriftsOpened != 0 || out.Counts.Updated != 0 || out.Counts.Filled != 0 {
						t.Fatalf("counts %+v, want nothing", out.Counts)
					}
				}},
		} {
			t.Run(fmt.Sprintf("%d %s", i, step.name), func(t *testing.T) {
				out := run(step.mode, step.local)
				checkEdges(t, e, step.edge)
				checkDrifts(t, e.driftsOf(a.ID), step.drifts...)
				if step.check != nil {
					step.check(t, out)
				}
			})
		}

		// A person clears the remote port and adds a note attribute: the
		// next run fills the port and leaves the note alone.
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.Relationship.UpdateOneID(rel().ID).SetAttributes(map[string]string{"local_port": "Gi0/3", "protocol": "lldp", "note": "patch 12"}).Exec(ctx)
		})
		out := run(reconcile.ModeReport, "Gi0/3")
		checkEdges(t, e, "sw-a-CONNECTS_TO->sw-b(discovery:lldp){local_port=Gi0/3,note=patch 12,protocol=lldp,remote_port=Gi0/48}")
		if out.Counts.Filled != 1 || out.Counts.DriftsOpened != 0 {
			t.Fatalf("counts %+v, want remote_port filled", out.Counts)
		}

		// Moved again, a report run opens a drift; the cable goes back:
		// the drift resolves.
		run(reconcile.ModeReport, "Gi0/7")
		open := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.StatusEQ(drift.StatusOpen)) })
		checkDrifts(t, open, driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: a.ID, Field: localField, Recorded: "Gi0/3", Observed: "Gi0/7"})
		run(reconcile.ModeReport, "Gi0/3")
		if d := e.c.Drift.GetX(e.ctx, open[0].ID); d.Status != drift.StatusResolved {
			t.Fatalf("drift after the cable went back: %v", view(d))
		}

		// Accepting an attribute drift writes the attribute.
		run(reconcile.ModeReport, "Gi0/9")
		open = e.drifts(func(q *ent.DriftQuery) { q.Where(drift.StatusEQ(drift.StatusOpen)) })
		if len(open) != 1 {
			t.Fatalf("open drifts %v", views(open))
		}
		if _, err := acceptAs(e, open[0].ID); err != nil {
			t.Fatal(err)
		}
		checkEdges(t, e, "sw-a-CONNECTS_TO->sw-b(discovery:lldp){local_port=Gi0/9,note=patch 12,protocol=lldp,remote_port=Gi0/48}")
	})
}

// TestVMotion: a VM that moves to another host is one CI with a changed
// RUNS_ON edge. Report mode opens the two edge drifts and changes nothing;
// update mode on a complete run creates the new edge, deletes the old one
// this job recorded (audited) and accepts both drifts; an edge a person
// recorded is never deleted, and a partial run deletes nothing.
func TestVMotion(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "vm1", IDs: []discovery.Identifier{id(ident.UUID, "4210a1b2-0000-0000-0000-000000000001")}},
			ciSpec{Name: "esx1", Hostname: "esx1"}, ciSpec{Name: "esx2", Hostname: "esx2"}, ciSpec{Name: "esx3", Hostname: "esx3"})
		vm, esx1, esx2 := cis[0], cis[1], cis[2]
		j := e.job("vc", nil)
		see := func(host string) []discovery.Observation {
			v := obs("vm-1", id(ident.UUID, "4210a1b2-0000-0000-0000-000000000001"))
			v.Kind = discovery.KindVM
			v.Name = "vm1"
			v.Relationships = []discovery.Relationship{link("RUNS_ON", host)}
			return []discovery.Observation{v, withFields(obs("esx1"), "hostname", "esx1"),
				withFields(obs("esx2"), "hostname", "esx2"), withFields(obs("esx3"), "hostname", "esx3")}
		}
		run := func(mode reconcile.Mode, complete bool, host string) *reconcile.Outcome {
			t.Helper()
			e.tick(time.Hour)
			o := e.opts(j)
			o.Mode, o.Complete = mode, complete
			out, _ := e.reconcile(o, see(host)...)
			return out
		}
		f1 := discovery.RelationshipFieldName("RUNS_ON", esx1.ID)
		f2 := discovery.RelationshipFieldName("RUNS_ON", esx2.ID)

		run(reconcile.ModeUpdate, true, "esx1")
		checkEdges(t, e, "vm1-RUNS_ON->esx1(discovery:vc){}")

		// Report mode: two drifts, the record unchanged, the log says where
		// the VM runs now.
		out := run(reconcile.ModeReport, true, "esx2")
		checkEdges(t, e, "vm1-RUNS_ON->esx1(discovery:vc){}")
		checkDrifts(t, e.driftsOf(vm.ID),
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: vm.ID, Field: f2, Recorded: "absent", Observed: "present"},
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: vm.ID, Field: f1, Recorded: "present", Observed: "absent"})
		if want := "vm1: RUNS_ON esx1 no longer observed; runs on esx2 now, was esx1"; !slices.Contains(out.Log, want) {
			t.Fatalf("log %q, want %q", out.Log, want)
		}

		// A partial update run concludes nothing about the old edge.
		run(reconcile.ModeUpdate, false, "esx2")
		checkEdges(t, e, "vm1-RUNS_ON->esx1(discovery:vc){}", "vm1-RUNS_ON->esx2(discovery:vc){}")

		// A complete update run replaces the edge: esx1's is deleted,
		// audited, and its drift accepted in place.
		old := e.c.Relationship.Query().Where(relationship.ToID(esx1.ID)).OnlyX(e.ctx)
		out = run(reconcile.ModeUpdate, true, "esx2")
		checkEdges(t, e, "vm1-RUNS_ON->esx2(discovery:vc){}")
		checkDrifts(t, e.driftsOf(vm.ID),
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusAccepted, CI: vm.ID, Field: f2, Recorded: "absent", Observed: "present"},
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusAccepted, CI: vm.ID, Field: f1, Recorded: "present", Observed: "absent"})
		if ev := e.lastEvent(ent.TypeRelationship, old.ID); ev.Action != auditevent.ActionDelete || ev.Actor != "discovery:vc" {
			t.Fatalf("old edge's last audit event: %s by %s", ev.Action, ev.Actor)
		}
		if out.Counts.Updated != 1 || e.count("ci") != 4 {
			t.Fatalf("counts %+v, %d CIs; want one update and the VM still one CI", out.Counts, e.count("ci"))
		}

		// A person records the VM on esx3 too; the job neither deletes nor
		// accepts that edge: it is drift.
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.Relationship.Create().SetFromID(vm.ID).SetToID(cis[3].ID).SetType(relationship.TypeRunsOn).Exec(ctx)
		})
		run(reconcile.ModeUpdate, true, "esx2")
		checkEdges(t, e, "vm1-RUNS_ON->esx2(discovery:vc){}", "vm1-RUNS_ON->esx3(record){}")
		f3 := discovery.RelationshipFieldName("RUNS_ON", cis[3].ID)
		ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.FieldName(f3)) })
		checkDrifts(t, ds, driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: vm.ID, Field: f3, Recorded: "present", Observed: "absent"})

		// A second CI named esx2 makes the host's observation ambiguous:
		// the VM's edge to it is not concluded gone.
		// (The VM has another observed edge, and another VM reports
		// RUNS_ON, so the VM's RUNS_ON edges are judged.)
		e.seed(ciSpec{Name: "esx2-clone", Hostname: "esx2"}, ciSpec{Name: "vm2", Kind: "VM", Hostname: "vm2"})
		last := see("esx2")
		last[0].Relationships = append(last[0].Relationships, link("MEMBER_OF", "esx1"))
		vm2 := withFields(obs("vm-2"), "hostname", "vm2")
		vm2.Kind = discovery.KindVM
		vm2.Relationships = []discovery.Relationship{link("RUNS_ON", "esx1")}
		last = append(last, vm2)
		e.tick(time.Hour)
		upd := e.opts(j)
		upd.Mode = reconcile.ModeUpdate
		if out, _ := e.reconcile(upd, last...); out.Counts.Ambiguous != 1 {
			t.Fatalf("counts %+v, want esx2 ambiguous; log %q", out.Counts, out.Log)
		}
		checkEdges(t, e, "vm1-MEMBER_OF->esx1(discovery:vc){}", "vm1-RUNS_ON->esx2(discovery:vc){}", "vm1-RUNS_ON->esx3(record){}",
			"vm2-RUNS_ON->esx1(discovery:vc){}")
	})
}

// ref is a reference observation of a network device: seen only through
// another observation.
func ref(key, name string, ids ...discovery.Identifier) discovery.Observation {
	o := obs(key, ids...)
	o.Kind = discovery.KindNetworkDevice
	o.Name = name
	o.Reference = true
	return o
}

// TestReferenceObservations: a neighbour matched by its chassis MAC anchors
// the CONNECTS_TO edge but gets none of the reference's fields or facts
// and no sighting; an unmatched neighbour is an unregistered drift; a run
// without the neighbours opens nothing (no missing drift, the unregistered
// one resolves). A thing seen in full and as a reference is the full
// observation's; a cable moved to another device is the old edge
// unobserved, which the log spells out.
func TestReferenceObservations(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "sw-a", Hostname: "sw-a", Kind: "NETWORK_DEVICE"},
			ciSpec{Name: "core-b", Hostname: "core-b", Kind: "NETWORK_DEVICE", Facts: map[string]any{"os.name": "IOS"},
				IDs: []discovery.Identifier{id(ident.MAC, "00:11:22:33:44:0b")}})
		a, b := cis[0], cis[1]
		j := e.job("snmp", nil)
		nb := func() discovery.Observation {
			o := withFacts(ref("neighbour mac:00:11:22:33:44:0b", "sw-b.example.net", id(ident.MAC, "00:11:22:33:44:0b")), "os.name", "NX-OS")
			return withFields(o, "description", "seen by LLDP")
		}
		unknown := ref("neighbour mac:00:11:22:33:44:99", "sw-x", id(ident.MAC, "00:11:22:33:44:99"))
		reconcileRun := func(obs ...discovery.Observation) *reconcile.Outcome {
			t.Helper()
			e.tick(time.Hour)
			out, _ := e.reconcile(e.opts(j), obs...)
			return out
		}

		out := reconcileRun(device("sw-a",
			link("CONNECTS_TO", nb().Key, "local_port", "Gi0/1", "remote_port", "Eth1/1"),
			link("CONNECTS_TO", unknown.Key, "local_port", "Gi0/2", "remote_port", "ge-0/0/0")), nb(), unknown)
		checkEdges(t, e, "sw-a-CONNECTS_TO->core-b(discovery:snmp){local_port=Gi0/1,remote_port=Eth1/1}")
		if got := e.ci(b.ID); got.Facts["os.name"] != "IOS" || got.Description != nil || got.LastSeenAt != nil || got.Name != "core-b" {
			t.Fatalf("neighbour CI changed by a reference: facts %v description %v last seen %v name %q", got.Facts, got.Description, got.LastSeenAt, got.Name)
		}
		if n := e.c.Sighting.Query().Where(sighting.ConfigurationItemID(b.ID)).CountX(e.ctx); n != 0 {
			t.Fatalf("%d sightings of the neighbour, want none", n)
		}
		if len(e.driftsOf(b.ID)) != 0 {
			t.Fatalf("drifts on the neighbour: %v", views(e.driftsOf(b.ID)))
		}
		unreg := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.KindEQ(drift.KindUnregistered)) })
		if len(unreg) != 1 || str(unreg[0].Identity) != "MAC:00:11:22:33:44:99" || unreg[0].Status != drift.StatusOpen {
			t.Fatalf("unregistered drifts %v, want the unknown neighbour", views(unreg))
		}
		if out.Counts.Unregistered != 1 {
			t.Fatalf("counts %+v", out.Counts)
		}

		// Without the neighbours: nothing opens, the neighbour is not
		// missing, the unregistered drift resolves.
		out = reconcileRun(device("sw-a"))
		if out.Counts.DriftsOpened != 0 || out.Counts.Missing != 0 {
			t.Fatalf("second run without neighbours: counts %+v, drifts %v", out.Counts, views(e.drifts()))
		}
		if d := e.c.Drift.GetX(e.ctx, unreg[0].ID); d.Status != drift.StatusResolved {
			t.Fatalf("unregistered neighbour's drift %v", view(d))
		}

		// core-b seen in full by the same run and as sw-a's neighbour: the
		// full observation updates it (a fill of its description), the
		// reference anchors the edge.
		full := withFields(obs("core-b"), "hostname", "core-b", "description", "core switch")
		full.Kind = discovery.KindNetworkDevice
		reconcileRun(device("sw-a", link("CONNECTS_TO", nb().Key, "local_port", "Gi0/1", "remote_port", "Eth1/1")), full, nb())
		if got := e.ci(b.ID); str(got.Description) != "core switch" || got.LastSeenAt == nil {
			t.Fatalf("core-b seen in full: description %v last seen %v", str(got.Description), got.LastSeenAt)
		}
		if n := e.c.Sighting.Query().Where(sighting.ConfigurationItemID(b.ID)).CountX(e.ctx); n != 1 {
			t.Fatalf("%d sightings of core-b seen in full, want 1", n)
		}

		// The cable moves from core-b to sw-c: the old edge is unobserved
		// (this job recorded it, so it answers for it though core-b is not
		// in the run) and the log says where it goes now.
		sc := e.seed(ciSpec{Name: "sw-c", Kind: "NETWORK_DEVICE", IDs: []discovery.Identifier{id(ident.MAC, "00:11:22:33:44:0c")}})[0]
		out = reconcileRun(device("sw-a", link("CONNECTS_TO", "nc", "local_port", "Gi0/1", "remote_port", "Gi0/3")),
			ref("nc", "sw-c", id(ident.MAC, "00:11:22:33:44:0c")))
		checkDrifts(t, e.driftsOf(a.ID),
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: a.ID, Field: discovery.RelationshipFieldName("CONNECTS_TO", sc.ID), Recorded: "absent", Observed: "present"},
			driftView{Kind: drift.KindRelationshipChanged, Status: drift.StatusOpen, CI: a.ID, Field: discovery.RelationshipFieldName("CONNECTS_TO", b.ID), Recorded: "present", Observed: "absent"})
		want := "sw-a: CONNECTS_TO core-b (port Eth1/1, local port Gi0/1) no longer observed; connects to sw-c (port Gi0/3, local port Gi0/1) now, was core-b"
		if !slices.Contains(out.Log, want) {
			t.Fatalf("log %q, want %q", out.Log, want)
		}
	})
}

// TestReferenceCreatedOnce: with create-unregistered, two switches that
// see the same unknown neighbour (two reference observations) create one
// CI, which gets no sighting; an edge from each switch leads to it.
func TestReferenceCreatedOnce(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		e.seed(ciSpec{Name: "sw-a", Hostname: "sw-a"}, ciSpec{Name: "sw-b", Hostname: "sw-b"})
		j := e.job("snmp", func(c *ent.DiscoveryJobCreate) { c.SetCreateUnregistered(true) })
		out, _ := e.reconcile(e.opts(j),
			device("sw-a", link("CONNECTS_TO", "a nb1", "local_port", "Gi0/1")),
			device("sw-b", link("CONNECTS_TO", "b nb1", "local_port", "Gi0/2")),
			withFields(ref("a nb1", "nb1", id(ident.MAC, "00:11:22:33:44:55")), "hostname", "nb1"),
			withFields(ref("b nb1", "nb1", id(ident.MAC, "00:11:22:33:44:55")), "hostname", "nb1"))
		if out.Counts.Created != 1 || e.count("ci") != 3 {
			t.Fatalf("counts %+v, %d CIs; want the neighbour created once", out.Counts, e.count("ci"))
		}
		checkEdges(t, e, "sw-a-CONNECTS_TO->nb1(discovery:snmp){local_port=Gi0/1}", "sw-b-CONNECTS_TO->nb1(discovery:snmp){local_port=Gi0/2}")
		if n := e.count("sighting"); n != 2 {
			t.Fatalf("%d sightings, want the two switches only", n)
		}
	})
}
