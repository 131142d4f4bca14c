package reconcile_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

const (
	macOld   = "aa:bb:cc:00:00:01"
	macNew   = "aa:bb:cc:00:00:02"
	macAlice = "aa:bb:cc:00:00:0a"
	macOther = "aa:bb:cc:00:00:0b"
)

// switchSaw is what an SNMP-like source sees of sw01: its name and
// address, the MAC addresses given and, when claims, the claim that these
// are all its MAC addresses ("identifier.MAC").
func switchSaw(claims bool, macs ...string) discovery.Observation {
	ids := []discovery.Identifier{id(ident.IP, "10.0.0.5")}
	for _, m := range macs {
		ids = append(ids, id(ident.MAC, m))
	}
	o := withFields(obs("snmp 10.0.0.5", ids...), "hostname", "sw01")
	o.Kind = discovery.KindNetworkDevice
	o.CompleteFacts = []string{"if."}
	if claims {
		o.CompleteFacts = append(o.CompleteFacts, reconcile.IdentifierClaim+string(ident.MAC))
	}
	return o
}

// identifierDeletes returns the audit events deleting identifier rows, as
// "actor value".
func identifierDeletes(t *testing.T, e *env) []string {
	t.Helper()
	evs, err := e.c.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeIdentifier), auditevent.ActionEQ(auditevent.ActionDelete)).
		Order(ent.Asc(auditevent.FieldID)).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		before, _ := change(t, ev, "value")
		out = append(out, ev.Actor+" "+before.(string))
	}
	return out
}

// TestChangedMACIsDrift is issue 18's defect 4: a host that keeps its
// address and name but shows a new MAC. A complete source that claims its
// MAC addresses in full releases the one it recorded and no longer sees
// through an ATTRIBUTE_CHANGED drift on "identifier.MAC": report mode keeps
// it until the drift is accepted (which removes it, audited), update mode
// removes it (audited) with an accepted drift; matchedBy is on every
// change. What a person or another job recorded is never released.
func TestChangedMACIsDrift(t *testing.T) {
	t.Parallel()
	for _, mode := range []reconcile.Mode{reconcile.ModeReport, reconcile.ModeUpdate} {
		t.Run(string(mode), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, dsn string) {
				e := newEnv(t, dsn)
				ci := e.seed(ciSpec{Name: "sw01", Hostname: "sw01",
					IDs: []discovery.Identifier{id(ident.IP, "10.0.0.5"), id(ident.MAC, macAlice)}})[0]
				e.tx("discovery:other", func(ctx context.Context, tx *ent.Client) error {
					return tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.KindMAC).
						SetValue(macOther).SetSource("discovery:other").Exec(ctx)
				})
				j := e.job("snmp", nil)
				opts := func() reconcile.Options {
					o := e.opts(j)
					o.Mode = mode
					return o
				}
				saw := func(macs ...string) discovery.Observation { return switchSaw(true, macs...) }
				actor := "discovery:" + j.Name
				e.reconcile(opts(), saw(macOld))
				if got, want := identifiersOf(t, e, ci.ID), []string{
					"HOSTNAME=sw01(record)", "IP=10.0.0.5(alice)",
					"MAC=" + macOld + "(" + actor + ")", "MAC=" + macAlice + "(alice)", "MAC=" + macOther + "(discovery:other)",
				}; !slices.Equal(got, want) {
					t.Fatalf("after the first run: identifiers %q, want %q", got, want)
				}

				// The MAC changes: the old one is released.
				e.tick(time.Hour)
				out, _ := e.reconcile(opts(), saw(macNew))
				var seen []string
				for _, c := range out.Changes {
					if c.MatchedBy != "HOSTNAME" {
						t.Errorf("change %s %s has matchedBy %q, want HOSTNAME", c.Action, c.Field, c.MatchedBy)
					}
					seen = append(seen, c.Action+" "+c.Field)
				}
				wantAct := reconcile.ActOpenDrift
				wantStatus := drift.StatusOpen
				if mode == reconcile.ModeUpdate {
					wantAct, wantStatus = reconcile.ActUpdate, drift.StatusAccepted
				}
				for _, want := range []string{wantAct + " identifier.MAC", reconcile.ActFill + " identifier.MAC"} {
					if !slices.Contains(seen, want) {
						t.Errorf("changes %q, want %q among them", seen, want)
					}
				}
				checkDrifts(t, e.driftsOf(ci.ID), driftView{Kind: drift.KindAttributeChanged, Status: wantStatus, CI: ci.ID,
					Field: "identifier.MAC", Recorded: macOld, Observed: macNew})
				kept := []string{
					"HOSTNAME=sw01(record)", "IP=10.0.0.5(alice)",
					"MAC=" + macNew + "(" + actor + ")", "MAC=" + macAlice + "(alice)", "MAC=" + macOther + "(discovery:other)",
				}
				withOld := append(slices.Clone(kept), "MAC="+macOld+"("+actor+")")
				slices.Sort(withOld)
				if mode == reconcile.ModeUpdate {
					if got := identifiersOf(t, e, ci.ID); !slices.Equal(got, kept) {
						t.Fatalf("update mode: identifiers %q, want %q", got, kept)
					}
					if got, want := identifierDeletes(t, e), []string{actor + " " + macOld}; !slices.Equal(got, want) {
						t.Fatalf("update mode: identifier deletions %q, want %q", got, want)
					}
					// Nothing more is gone next time.
					e.tick(time.Hour)
					out, _ = e.reconcile(opts(), saw(macNew))
					if len(out.Changes) != 0 {
						t.Fatalf("third run: changes %+v, want none", out.Changes)
					}
					return
				}
				// Report mode: the old MAC still names the CI until accepted.
				if got := identifiersOf(t, e, ci.ID); !slices.Equal(got, withOld) {
					t.Fatalf("report mode: identifiers %q, want %q", got, withOld)
				}
				e.tick(time.Hour)
				e.reconcile(opts(), saw(macNew))
				ds := e.driftsOf(ci.ID)
				checkDrifts(t, ds, driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusOpen, CI: ci.ID,
					Field: "identifier.MAC", Recorded: macOld, Observed: macNew})
				if _, err := acceptAs(e, ds[0].ID); err != nil {
					t.Fatalf("accept: %v", err)
				}
				if got := identifiersOf(t, e, ci.ID); !slices.Equal(got, kept) {
					t.Fatalf("accepted: identifiers %q, want %q", got, kept)
				}
				if got, want := identifierDeletes(t, e), []string{"alice " + macOld}; !slices.Equal(got, want) {
					t.Fatalf("accepted: identifier deletions %q, want %q", got, want)
				}
				e.tick(time.Hour)
				out, _ = e.reconcile(opts(), saw(macNew))
				if len(out.Changes) != 0 {
					t.Fatalf("after accepting: changes %+v, want none", out.Changes)
				}
			})
		})
	}
}

// TestReleasedMACComesBack: the drift of a released MAC resolves when the
// MAC is seen again; nothing is removed.
func TestReleasedMACComesBack(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ci := e.seed(ciSpec{Name: "sw01", Hostname: "sw01"})[0]
		j := e.job("snmp", nil)
		e.reconcile(e.opts(j), switchSaw(true, macOld))
		e.tick(time.Hour)
		e.reconcile(e.opts(j), switchSaw(true, macNew))
		e.tick(time.Hour)
		out, _ := e.reconcile(e.opts(j), switchSaw(true, macOld, macNew))
		for _, c := range out.Changes {
			if c.Action == reconcile.ActResolveDrift && c.MatchedBy == "" {
				t.Errorf("change %+v has no matchedBy", c)
			}
		}
		checkDrifts(t, e.driftsOf(ci.ID), driftView{Kind: drift.KindAttributeChanged, Status: drift.StatusResolved, CI: ci.ID,
			Field: "identifier.MAC", Recorded: macOld, Observed: macNew})
		want := []string{"HOSTNAME=sw01(record)", "IP=10.0.0.5(discovery:snmp)", "MAC=" + macOld + "(discovery:snmp)", "MAC=" + macNew + "(discovery:snmp)"}
		if got := identifiersOf(t, e, ci.ID); !slices.Equal(got, want) {
			t.Fatalf("identifiers %q, want %q", got, want)
		}
	})
}

// TestMACNotReleasedWithoutClaim: a source that does not report MAC
// addresses in full (nmap sees the one interface it reached), a partial
// run, and a one-off run never release a MAC, in either mode.
func TestMACNotReleasedWithoutClaim(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		tests := []struct {
			name   string
			claims bool
			opts   func(reconcile.Options) reconcile.Options
		}{
			{"no claim", false, func(o reconcile.Options) reconcile.Options { return o }},
			{"no claim, update", false, func(o reconcile.Options) reconcile.Options { o.Mode = reconcile.ModeUpdate; return o }},
			{"partial run", true, func(o reconcile.Options) reconcile.Options {
				o.Complete, o.Mode = false, reconcile.ModeUpdate
				return o
			}},
			{"one-off run", true, func(o reconcile.Options) reconcile.Options {
				o.JobID, o.Mode = 0, reconcile.ModeUpdate
				return o
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := e.at(t)
				e.scratch("alice", func(ctx context.Context, tx *ent.Client) {
					ci, err := tx.ConfigurationItem.Create().SetName("sw01").SetKind("NETWORK_DEVICE").SetHostname("sw01").Save(ctx)
					if err != nil {
						t.Fatal(err)
					}
					j, err := tx.DiscoveryJob.Create().SetName("nmap").SetSourceKind(fakeKind).Save(ctx)
					if err != nil {
						t.Fatal(err)
					}
					o := e.opts(j)
					o.Dialect = e.dialect
					for i, mac := range []string{macOld, macNew} {
						o.Now = t0.Add(time.Duration(i) * time.Hour)
						run := tt.opts(o)
						run.Actor = "discovery:nmap" // the one-off run too: same actor, same rows
						out, err := reconcile.Reconcile(ctx, tx, []discovery.Observation{switchSaw(tt.claims, mac)}, run)
						if err != nil {
							t.Fatal(err)
						}
						for _, c := range out.Changes {
							if c.Field == "identifier.MAC" && c.Action != reconcile.ActFill {
								t.Errorf("run %d: change %+v", i+1, c)
							}
						}
					}
					ds, err := tx.Drift.Query().Where(drift.FieldNameEQ("identifier.MAC")).All(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if len(ds) != 0 {
						t.Errorf("identifier drifts %v, want none", views(ds))
					}
					rows, err := tx.Identifier.Query().Where(identifier.ConfigurationItemID(ci.ID), identifier.KindEQ(identifier.KindMAC)).All(ctx)
					if err != nil {
						t.Fatal(err)
					}
					var macs []string
					for _, r := range rows {
						macs = append(macs, r.Value)
					}
					slices.Sort(macs)
					if want := []string{macOld, macNew}; !slices.Equal(macs, want) {
						t.Errorf("MACs %q, want both %q", macs, want)
					}
				})
			})
		}
	})
}
