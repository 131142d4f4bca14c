package incident_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/incident"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// keepRows is a Select that loads plain rows.
func keepRows[Q any](q Q) (Q, error) { return q, nil }

// benchParts are the parts BenchmarkIncidentContextHTTP's query selects,
// as plain rows.
func benchParts() incident.Parts {
	ip := &incident.ImpactParts{Nodes: keepRows[*ent.ConfigurationItemQuery]}
	ip2 := *ip
	return incident.Parts{
		CI: keepRows[*ent.ConfigurationItemQuery], Owner: keepRows[*ent.OwnerQuery], Services: keepRows[*ent.ServiceQuery],
		Dependents: ip, Dependencies: &ip2, Vendor: keepRows[*ent.VendorQuery], SupportContracts: keepRows[*ent.ContractQuery],
		Warranty: true, OpenDrifts: keepRows[*ent.DriftQuery], RecentChanges: keepRows[*ent.AuditEventQuery],
	}
}

// fullParts ask for every part, with edges eager-loaded under several of
// them, so that pipelined loads run in more than one batch.
func fullParts() incident.Parts {
	withOwner := func(q *ent.ConfigurationItemQuery) (*ent.ConfigurationItemQuery, error) {
		return q.WithOwner().WithServices(), nil
	}
	return incident.Parts{
		CI: withOwner, Alternatives: withOwner,
		Owner: keepRows[*ent.OwnerQuery], Team: func(q *ent.OwnerQuery) (*ent.OwnerQuery, error) { return q.WithMembers(), nil },
		Services:     keepRows[*ent.ServiceQuery],
		Dependents:   &incident.ImpactParts{Root: keepRows[*ent.ConfigurationItemQuery], Nodes: withOwner, Services: keepRows[*ent.ServiceQuery]},
		Dependencies: &incident.ImpactParts{Nodes: keepRows[*ent.ConfigurationItemQuery], Services: keepRows[*ent.ServiceQuery]},
		Vendor:       keepRows[*ent.VendorQuery],
		SupportContracts: func(q *ent.ContractQuery) (*ent.ContractQuery, error) {
			return q.WithVendor(), nil
		},
		Warranty: true, BookValue: true,
		OpenDrifts: keepRows[*ent.DriftQuery], RecentChanges: keepRows[*ent.AuditEventQuery],
	}
}

// addIncidentData gives web-01 a vendor, a support contract, open and
// resolved drifts (its audit events come from the seed).
func addIncidentData(t *testing.T, s *estate) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test")
	err := txn.Do(ctx, s.db.Client, func(tx *ent.Client) error {
		v, err := tx.Vendor.Create().SetName("Acme").SetSupportPhone("+1 555 0100").Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.ConfigurationItem.UpdateOneID(s.ids["web-01"]).SetVendorID(v.ID).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Contract.Create().SetNumber("S-1").SetKind(contract.KindSupport).SetStartDate(date("2024-01-01")).
			SetEndDate(date("2027-12-31")).SetCurrency("EUR").SetVendorID(v.ID).SetSLAResponseMinutes(60).
			AddCoveredCiIDs(s.ids["web-01"]).Exec(ctx); err != nil {
			return err
		}
		for _, st := range []drift.Status{drift.StatusOpen, drift.StatusAcknowledged, drift.StatusResolved} {
			if err := tx.Drift.Create().SetKind(drift.KindAttributeChanged).SetStatus(st).SetFieldName("hostname").
				SetConfigurationItemID(s.ids["web-01"]).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("adding incident data: %v", err)
	}
}

// same fails unless a and b marshal to the same JSON.
func same(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(ja) != string(jb) {
		i := 0
		for i < len(ja) && i < len(jb) && ja[i] == jb[i] {
			i++
		}
		from := max(0, i-200)
		t.Errorf("%s: pipelined answer differs from ent's at byte %d:\n ent:       …%s\n pipelined: …%s", what, i, ja[from:min(len(ja), i+200)], jb[from:min(len(jb), i+200)])
	}
}

// TestPipelinedEqualsEntPath (issue 17): a context and an impact read
// through the PostgreSQL pipeline (incident.Pipelined) answer exactly as
// the sequential ent path, on both engines (on SQLite Pipelined changes
// nothing): every part, with edges eager-loaded, for CIs with and without
// owners, services, contracts, warranty, drifts, dependents and
// dependencies, ambiguous and missing matches, depths on both sides of
// graphwalk's bounded CTE, asOf, and capped, filtered, isolated and
// missing impact walks.
func TestPipelinedEqualsEntPath(t *testing.T) {
	run(t, func(t *testing.T, s *estate) {
		addIncidentData(t, s)
		ctx := context.Background()
		p := incident.Pipelined(ctx)
		asOf := date("2025-06-01")
		one, five := 1, 5
		for _, id := range []string{"web-01", "app", "lb", "db-a", "10.0.0.9", "Payroll Server", "payments", "no-such-thing"} {
			for _, r := range []incident.Request{
				{Identifier: id},
				{Identifier: id, AsOf: &asOf, Depth: &one},
				{Identifier: id, Depth: &five},
			} {
				for name, parts := range map[string]func() incident.Parts{"bench": benchParts, "full": fullParts} {
					what := fmt.Sprintf("%s %s depth %v asOf %v", name, id, r.Depth != nil, r.AsOf != nil)
					want, err := s.e.Context(ctx, r, parts())
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					got, err := s.e.Context(p, r, parts())
					if err != nil {
						t.Fatalf("%s pipelined: %v", what, err)
					}
					if (want == nil) != (id == "no-such-thing") {
						t.Fatalf("%s: context %v", what, want)
					}
					if want == nil || got == nil {
						if want != got {
							t.Errorf("%s: ent %v, pipelined %v", what, want, got)
						}
						continue
					}
					// The sequential walk looks the root up to tell an
					// isolated CI from a missing one, which a context's
					// CI needs not: Root is only an answer when asked for.
					ps := parts()
					for _, im := range []struct {
						parts *incident.ImpactParts
						of    []*incident.Impact
					}{{ps.Dependents, []*incident.Impact{want.Dependents, got.Dependents}}, {ps.Dependencies, []*incident.Impact{want.Dependencies, got.Dependencies}}} {
						for _, x := range im.of {
							if x != nil && im.parts.Root == nil {
								x.Root = nil
							}
						}
					}
					// Without asOf each call takes its own now: equal when
					// within seconds (truncating to the minute failed when the
					// two calls straddled one).
					if d := got.AsOf.Sub(want.AsOf); d < 0 || d > 10*time.Second {
						t.Errorf("%s: asOf %s, ent's %s", what, got.AsOf, want.AsOf)
					}
					got.AsOf = want.AsOf
					same(t, what, want, got)
				}
			}
		}
		// Impact on its own: capped, filtered, deep, isolated, missing.
		lim := 1
		for _, id := range []int{s.ids["app"], s.ids["web-01"], s.ids["Payroll Server"], 1 << 30} {
			for _, o := range []incident.ImpactOptions{
				{Direction: graphwalk.Dependents},
				{Direction: graphwalk.Dependencies},
				{Direction: graphwalk.Dependents, Limit: &lim},
				{Direction: graphwalk.Dependencies, MaxDepth: &one, Types: []relationship.Type{relationship.TypeRunsOn}},
				{Direction: graphwalk.Dependents, MaxDepth: &five},
			} {
				for _, parts := range []incident.ImpactParts{*fullParts().Dependents, {Nodes: keepRows[*ent.ConfigurationItemQuery]}} {
					what := fmt.Sprintf("impact of %d %+v root %v", id, o, parts.Root != nil)
					want, err := s.e.Impact(ctx, id, o, parts)
					got, perr := s.e.Impact(p, id, o, parts)
					if id == 1<<30 {
						var ae *apperr.Error
						if !errors.As(err, &ae) || ae.Code != apperr.NotFound || !errors.As(perr, &ae) || ae.Code != apperr.NotFound {
							t.Errorf("%s: %v, pipelined %v; want NOT_FOUND", what, err, perr)
						}
						continue
					}
					if err != nil || perr != nil {
						t.Fatalf("%s: %v, pipelined %v", what, err, perr)
					}
					if o.Limit != nil && id == s.ids["app"] && !want.Truncated {
						t.Errorf("%s: not truncated", what)
					}
					same(t, what, want, got)
				}
			}
		}
	})
}

// TestPipelinedRoundTrips (issue 17): on PostgreSQL the benchmark's
// incidentContext costs two round trips (the identifier match, then one
// batch of 13 statements) where the ent path costs 14, and impact one
// batch of two statements (the walk, its CIs) where ent's path costs two.
func TestPipelinedRoundTrips(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, backend store.Backend, dsn string) {
		var counter *store.CountingDriver
		db, err := app.Open(context.Background(), dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
			counter = store.NewCountingDriver(d)
			return counter
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s := &estate{db: db, e: incident.New(db.Client, db.Store), ids: map[string]int{}, names: map[int]string{}}
		s.seed(t)
		addIncidentData(t, s)
		// The walks run on the store's readers, outside the counter.
		const walks = 2
		for _, c := range []struct {
			name                                  string
			ent, pipelined, batches, batchedStmts int64
			do                                    func(ctx context.Context) error
		}{
			// Pipelined, the match is a batch of its own (for its generic
			// plan), then a walk and its CIs are one statement.
			{"incidentContext", 14 - walks, 0, 2, 12, func(ctx context.Context) error {
				ic, err := s.e.Context(ctx, incident.Request{Identifier: "web-01"}, benchParts())
				if err == nil && (ic == nil || ic.Vendor == nil || len(ic.SupportContracts) != 1 || len(ic.OpenDrifts) != 2 ||
					ic.Warranty == nil || len(ic.Dependents.Nodes) != 1 || len(ic.Dependencies.Nodes) != 2 || len(ic.RecentChanges) == 0) {
					err = fmt.Errorf("context incomplete: %+v", ic)
				}
				return err
			}},
			// An isolated CI: the walk's statement also says it exists,
			// where the ent path loads it to tell it from a missing one.
			{"impact of an isolated CI", 1, 0, 1, 1, func(ctx context.Context) error {
				im, err := s.e.Impact(ctx, s.ids["Payroll Server"], incident.ImpactOptions{}, incident.ImpactParts{Nodes: keepRows[*ent.ConfigurationItemQuery]})
				if err == nil && (len(im.Nodes) != 0 || im.Root != nil) {
					err = fmt.Errorf("impact: %d nodes, root %v; want none", len(im.Nodes), im.Root)
				}
				return err
			}},
			{"impact", 2 - 1, 0, 1, 1, func(ctx context.Context) error {
				im, err := s.e.Impact(ctx, s.ids["app"], incident.ImpactOptions{}, incident.ImpactParts{Nodes: keepRows[*ent.ConfigurationItemQuery]})
				if err == nil && len(im.Nodes) != 3 {
					err = fmt.Errorf("impact: %d nodes, want 3", len(im.Nodes))
				}
				return err
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				ctx := context.Background()
				counter.Reset()
				if err := c.do(ctx); err != nil {
					t.Fatal(err)
				}
				if n := counter.Count(); n != c.ent {
					t.Errorf("ent path: %d statements through ent, want %d", n, c.ent)
				}
				var st incident.PipelineStats
				counter.Reset()
				if err := c.do(incident.WithPipelineStats(incident.Pipelined(ctx), &st)); err != nil {
					t.Fatal(err)
				}
				want := [3]int64{c.pipelined, c.batches, c.batchedStmts}
				if backend == store.SQLite {
					want = [3]int64{c.ent, 0, 0} // nothing to pipeline in process
				}
				if got := [3]int64{counter.Count(), st.Batches.Load(), st.Statements.Load()}; got != want {
					t.Errorf("pipelined: %d statements through ent, %d batches of %d statements in all; want %v", got[0], got[1], got[2], want)
				}
				walks := walksOf(c.name)
				if backend == store.Postgres {
					walks = 0 // in the batch
					// The batch's generic plans end with it: no pooled
					// session keeps them.
					w := db.Store.Writer()
					var conns []*sql.Conn
					for range w.Stats().OpenConnections {
						conn, err := w.Conn(ctx)
						if err != nil {
							t.Fatal(err)
						}
						conns = append(conns, conn)
					}
					for _, conn := range conns {
						var mode string
						if err := conn.QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode); err != nil {
							t.Fatal(err)
						}
						if mode != "auto" {
							t.Errorf("a pooled session kept plan_cache_mode %q after the batch", mode)
						}
						_ = conn.Close()
					}
					if len(conns) == 0 {
						t.Fatal("no pooled session to check")
					}
				}
				t.Logf("%s on %s: ent path %d round trips; pipelined %d", c.name, backend, c.ent+walksOf(c.name), counter.Count()+st.Batches.Load()+walks)
			})
		}
	})
}

// walksOf is how many walk statements name's ent path runs outside ent.
func walksOf(name string) int64 {
	if strings.HasPrefix(name, "impact") {
		return 1
	}
	return 2
}
