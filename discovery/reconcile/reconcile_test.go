package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestIdentificationOrder checks which CI an observation names: the
// strongest identifier kind that names any CI decides (serial > cloud ID >
// UUID > MAC > FQDN > hostname > asset tag > IP), an IP only when it names
// exactly one CI, and several CIs named by the deciding kind is ambiguous.
func TestIdentificationOrder(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		seeded := e.seed(
			ciSpec{Name: "serial", Serial: "SN-A"},
			ciSpec{Name: "cloud", IDs: []discovery.Identifier{id(ident.CloudID, "i-0abc")}},
			ciSpec{Name: "uuid", IDs: []discovery.Identifier{id(ident.UUID, "4c4c4544-0042-3510-8052-b3c04f4d3232")}},
			ciSpec{Name: "mac", IDs: []discovery.Identifier{id(ident.MAC, "aa:bb:cc:00:00:01")}},
			ciSpec{Name: "fqdn", FQDN: "fq.example.com"},
			ciSpec{Name: "host", Hostname: "host01"},
			ciSpec{Name: "tag", AssetTag: "AT-7"},
			ciSpec{Name: "ip", IDs: []discovery.Identifier{id(ident.IP, "10.0.0.8")}},
			ciSpec{Name: "dupip1", IDs: []discovery.Identifier{id(ident.IP, "10.0.0.9")}},
			ciSpec{Name: "dupip2", IDs: []discovery.Identifier{id(ident.IP, "10.0.0.9")}},
			ciSpec{Name: "dupserial1", Serial: "SN-DUP"},
			ciSpec{Name: "dupserial2", Serial: "SN-DUP"},
		)
		byName := map[string]int{}
		for _, ci := range seeded {
			byName[ci.Name] = ci.ID
		}
		cases := []struct {
			name   string
			ids    []discovery.Identifier
			fields map[string]string
			want   string // the CI's name, AMBIGUOUS or UNREGISTERED
			by     ident.Kind
		}{
			{"serial beats cloud ID", []discovery.Identifier{id(ident.CloudID, "i-0abc"), id(ident.Serial, "SN-A")}, nil, "serial", ident.Serial},
			{"cloud ID beats UUID", []discovery.Identifier{id(ident.UUID, "4C4C4544-0042-3510-8052-B3C04F4D3232"), id(ident.CloudID, "i-0abc")}, nil, "cloud", ident.CloudID},
			{"UUID beats MAC", []discovery.Identifier{id(ident.MAC, "aa:bb:cc:00:00:01"), id(ident.UUID, "4c4c4544-0042-3510-8052-b3c04f4d3232")}, nil, "uuid", ident.UUID},
			{"MAC beats FQDN", []discovery.Identifier{id(ident.FQDN, "fq.example.com"), id(ident.MAC, "AA-BB-CC-00-00-01")}, nil, "mac", ident.MAC},
			{"FQDN beats hostname", []discovery.Identifier{id(ident.Hostname, "host01"), id(ident.FQDN, "FQ.example.com.")}, nil, "fqdn", ident.FQDN},
			{"hostname beats asset tag", []discovery.Identifier{id(ident.AssetTag, "AT-7"), id(ident.Hostname, "HOST01")}, nil, "host", ident.Hostname},
			{"asset tag beats IP", []discovery.Identifier{id(ident.IP, "10.0.0.8"), id(ident.AssetTag, "at-7")}, nil, "tag", ident.AssetTag},
			{"IP naming one CI", []discovery.Identifier{id(ident.IP, "10.0.0.8")}, nil, "ip", ident.IP},
			{"IP naming two CIs is no match", []discovery.Identifier{id(ident.IP, "10.0.0.9")}, nil, "UNREGISTERED", ""},
			{"IP naming two CIs yields to a hostname", []discovery.Identifier{id(ident.IP, "10.0.0.9"), id(ident.Hostname, "host01")}, nil, "host", ident.Hostname},
			{"serial naming two CIs is ambiguous", []discovery.Identifier{id(ident.Serial, "SN-DUP")}, nil, "AMBIGUOUS", ""},
			{"weaker identifiers do not break an ambiguity", []discovery.Identifier{id(ident.Serial, "sn-dup"), id(ident.Hostname, "host01"), id(ident.IP, "10.0.0.8")}, nil, "AMBIGUOUS", ""},
			{"serial from the serial_number field", nil, map[string]string{"serial_number": " sn-a "}, "serial", ident.Serial},
			{"hostname from the hostname field", nil, map[string]string{"hostname": "Host01"}, "host", ident.Hostname},
			{"invalid identifiers are dropped", []discovery.Identifier{id(ident.MAC, "not-a-mac"), id(ident.IP, "10.0.0.8")}, nil, "ip", ident.IP},
			{"nothing known", []discovery.Identifier{id(ident.Serial, "SN-NEW"), id(ident.IP, "10.9.9.9")}, nil, "UNREGISTERED", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				o := obs("probe", tc.ids...)
				o.Fields = tc.fields
				o.Facts = map[string]string{"probe": tc.name}
				e.scratch("discovery:probe", func(ctx context.Context, tx *ent.Client) {
					opts := e.opts(nil)
					opts.Actor = "discovery:probe"
					out, err := reconcile.Reconcile(ctx, tx, []discovery.Observation{o}, opts)
					if err != nil {
						t.Fatal(err)
					}
					probed, err := tx.ConfigurationItem.Query().All(ctx)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, ci := range probed {
						if ci.Facts["probe"] == tc.name {
							got = append(got, ci.Name)
						}
					}
					ds, err := tx.Drift.Query().All(ctx)
					if err != nil {
						t.Fatal(err)
					}
					switch tc.want {
					case "AMBIGUOUS":
						if len(got) != 0 || out.Counts.Ambiguous != 1 || out.Counts.Matched != 0 {
							t.Fatalf("updated %v, counts %+v; want no update and one ambiguous", got, out.Counts)
						}
						want := fmt.Sprintf("matches CIs %d, %d", byName["dupserial1"], byName["dupserial2"])
						if len(ds) != 1 || ds[0].Kind != drift.KindAmbiguous || ds[0].Status != drift.StatusOpen ||
							str(ds[0].Observed) != want || ds[0].ConfigurationItemID != nil || str(ds[0].Identity) != "SERIAL:SN-DUP" {
							t.Fatalf("drifts %v, want one open AMBIGUOUS drift observing %q with identity SERIAL:SN-DUP", views(ds), want)
						}
					case "UNREGISTERED":
						if len(got) != 0 || out.Counts.Unregistered != 1 || out.Counts.Matched != 0 {
							t.Fatalf("updated %v, counts %+v; want no update and one unregistered", got, out.Counts)
						}
						if len(ds) != 1 || ds[0].Kind != drift.KindUnregistered || ds[0].ConfigurationItemID != nil {
							t.Fatalf("drifts %v, want one UNREGISTERED drift", views(ds))
						}
					default:
						if len(got) != 1 || got[0] != tc.want {
							t.Fatalf("observation updated %v, want [%s]", got, tc.want)
						}
						if out.Counts.Matched != 1 || len(ds) != 0 {
							t.Fatalf("counts %+v, drifts %v; want one match and no drift", out.Counts, views(ds))
						}
						var by string
						for _, c := range out.Changes {
							if c.Field == "facts.probe" {
								by = c.MatchedBy
								if c.CI != byName[tc.want] {
									t.Fatalf("change names CI %d, want %d", c.CI, byName[tc.want])
								}
							}
						}
						if by != string(tc.by) {
							t.Fatalf("matched by %q, want %q", by, tc.by)
						}
					}
				})
			})
		}
	})
}

// TestInvalidIdentifierIsLogged checks that a dropped identifier is named in
// the outcome's log.
func TestInvalidIdentifierIsLogged(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		out, _ := e.reconcile(e.opts(nil), withFields(obs("host x", id(ident.MAC, "zz")), "hostname", "a.b"))
		log := strings.Join(out.Log, "\n")
		if !strings.Contains(log, "host x: dropped MAC identifier") || !strings.Contains(log, "host x: dropped field hostname") {
			t.Fatalf("log = %q, want the dropped MAC and hostname named", log)
		}
	})
}

// TestFieldReconciliation checks each observed record field against the
// record, in both modes: an empty record is filled (audited, no drift), an
// equal one is left alone, a different one is an ATTRIBUTE_CHANGED drift in
// report mode, or an audited update with an accepted drift in update mode.
func TestFieldReconciliation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		mode      reconcile.Mode
		field     string
		recorded  string
		observed  string
		want      string // the record's value afterwards
		wantDrift drift.Status
		audited   bool
		counts    schematype.RunCounts
	}{
		{"empty description is filled (report)", reconcile.ModeReport, "description", "", "rack 4", "rack 4", "", true, schematype.RunCounts{Filled: 1}},
		{"empty description is filled (update)", reconcile.ModeUpdate, "description", "", "rack 4", "rack 4", "", true, schematype.RunCounts{Filled: 1}},
		{"empty hostname is filled", reconcile.ModeReport, "hostname", "", "Web07", "web07", "", true, schematype.RunCounts{Filled: 1}},
		{"equal value changes nothing", reconcile.ModeReport, "description", "rack 4", "rack 4", "rack 4", "", false, schematype.RunCounts{Unchanged: 1}},
		{"equal after normalisation changes nothing", reconcile.ModeUpdate, "hostname", "web07", "WEB07", "web07", "", false, schematype.RunCounts{Unchanged: 1}},
		{"different description is drift (report)", reconcile.ModeReport, "description", "rack 4", "rack 5", "rack 4", drift.StatusOpen, false, schematype.RunCounts{DriftsOpened: 1}},
		{"different name is drift (report)", reconcile.ModeReport, "name", "", "db-new", "", drift.StatusOpen, false, schematype.RunCounts{DriftsOpened: 1}},
		{"different description is updated (update)", reconcile.ModeUpdate, "description", "rack 4", "rack 5", "rack 5", drift.StatusAccepted, true, schematype.RunCounts{Updated: 1}},
		{"different hostname is updated (update)", reconcile.ModeUpdate, "hostname", "web07", "web08", "web08", drift.StatusAccepted, true, schematype.RunCounts{Updated: 1}},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.at(t)
				mac := fmt.Sprintf("aa:bb:cc:00:01:%02x", i)
				spec := ciSpec{Name: fmt.Sprintf("ci%d", i), IDs: []discovery.Identifier{id(ident.MAC, mac)}}
				switch tc.field {
				case "description":
					spec.Description = tc.recorded
				case "hostname":
					spec.Hostname = tc.recorded
				}
				ci := e.seed(spec)[0]
				recorded := tc.recorded
				if tc.field == "name" {
					recorded = ci.Name
					tc.want = ci.Name
				}
				j := e.job(fmt.Sprintf("fields%d", i), func(c *ent.DiscoveryJobCreate) { c.SetMode("REPORT") })
				opts := e.opts(j)
				opts.Mode = tc.mode
				eventsBefore := len(e.ciEvents(ci.ID))
				out, run := e.reconcile(opts, withFields(obs("host", id(ident.MAC, mac)), tc.field, tc.observed))
				tc.counts.Observed, tc.counts.Matched = 1, 1
				if out.Counts != tc.counts {
					t.Fatalf("counts %+v, want %+v", out.Counts, tc.counts)
				}
				after := e.ci(ci.ID)
				got := map[string]string{"description": str(after.Description), "hostname": str(after.Hostname), "name": after.Name}[tc.field]
				if tc.want == "" {
					tc.want = "<nil>"
				}
				if got != tc.want {
					t.Fatalf("%s = %q, want %q", tc.field, got, tc.want)
				}
				if tc.audited {
					ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
					if ev.Actor != "discovery:"+j.Name || ev.Action != auditevent.ActionUpdate {
						t.Fatalf("last audit event %s %s, want an UPDATE by discovery:%s", ev.Actor, ev.Action, j.Name)
					}
					b, a := change(t, ev, tc.field)
					if a != tc.want || (tc.recorded == "" && b != nil) || (tc.recorded != "" && b != tc.recorded) {
						t.Fatalf("audited %s %v → %v, want %q → %q", tc.field, b, a, tc.recorded, tc.want)
					}
					p := after.Provenance[tc.field]
					if p.By != "discovery:"+j.Name || p.Priority != 50 || !p.At.Equal(e.now) {
						t.Fatalf("provenance of %s = %+v, want discovery:%s priority 50 at %s", tc.field, p, j.Name, e.now)
					}
					if evs := e.ciEvents(ci.ID); len(evs) != eventsBefore+1 {
						t.Fatalf("audit events of the CI %v, want one more than %d", evs, eventsBefore)
					}
				} else {
					if evs := e.ciEvents(ci.ID); len(evs) != eventsBefore {
						t.Fatalf("audit events of the CI %v, want %d", evs, eventsBefore)
					}
					if !after.UpdatedAt.Equal(ci.UpdatedAt) {
						t.Fatalf("updated_at moved from %s to %s", ci.UpdatedAt, after.UpdatedAt)
					}
				}
				ds := e.driftsOf(ci.ID)
				if tc.wantDrift == "" {
					checkDrifts(t, ds)
					return
				}
				checkDrifts(t, ds, driftView{Kind: drift.KindAttributeChanged, Status: tc.wantDrift, CI: ci.ID, Field: tc.field,
					Recorded: recorded, Observed: tc.observed})
				d := ds[0]
				if d.RunID == nil || *d.RunID != run || d.DiscoveryJobID == nil || *d.DiscoveryJobID != j.ID ||
					str(d.Source) != "discovery:"+j.Name || !d.FirstSeenAt.Equal(e.now) || !d.LastSeenAt.Equal(e.now) {
					t.Fatalf("drift run %v job %v source %s seen %s–%s; want run %d job %d at %s", d.RunID, d.DiscoveryJobID, str(d.Source), d.FirstSeenAt, d.LastSeenAt, run, j.ID, e.now)
				}
				if (tc.wantDrift == drift.StatusAccepted) != (d.ResolvedAt != nil && d.ResolvedAt.Equal(e.now)) {
					t.Fatalf("resolved_at = %v for a %s drift", d.ResolvedAt, d.Status)
				}
			})
		}
	})
}
