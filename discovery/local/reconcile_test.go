package local_test

import (
	"context"
	"sort"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// snapshotSource returns the observations of a fixed snapshot.
type snapshotSource struct{}

type snapshotConfig struct{}

func (*snapshotConfig) Build() (discovery.Source, error) { return snapshotSource{}, nil }

func (snapshotSource) Discover(context.Context, discovery.Env) (*discovery.Result, error) {
	return &discovery.Result{Observations: inventorySnapshot().Observations()}, nil
}

// The host and its guests through the runner and reconciliation, on every
// backend: the first run creates the host and one CI per guest, each
// RUNS_ON the host; the second creates nothing (the guests without an
// identifier are found again by their stable key) and adds no
// relationship.
func TestGuestsReconcile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		reg, err := discovery.NewRegistry(discovery.Kind{Name: "snapshot", NewConfig: func() discovery.Config { return &snapshotConfig{} }})
		if err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: reg, Dialect: db.Store.Dialect(), Holder: "test"}
		spec := runner.Spec{SourceKind: "snapshot", Config: []byte(`{}`), Mode: reconcile.ModeUpdate, CreateUnregistered: true}
		for run, want := range []struct{ created, matched int }{{6, 0}, {0, 6}} {
			res, err := rn.Run(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Outcome.Counts; c.Observed != 6 || c.Created != want.created || c.Matched != want.matched {
				t.Fatalf("run %d: counts %+v, want 6 observed, %d created, %d matched (status %s, error %v, log %s)", run+1, c, want.created, want.matched, res.Run.Status, *res.Run.Error, res.Run.Log)
			}
			cis, err := db.Client.ConfigurationItem.Query().Order(configurationitem.ByName()).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			byID := map[int]string{}
			for _, ci := range cis {
				got = append(got, string(ci.Kind)+" "+ci.Name)
				byID[ci.ID] = ci.Name
			}
			wantCIs := []string{"CONTAINER build", "SERVER hv01.example.com", "CONTAINER prometheus", "CONTAINER prometheus", "VM template", "VM web01"}
			sort.Strings(got)
			sort.Strings(wantCIs)
			if len(got) != len(wantCIs) {
				t.Fatalf("run %d: CIs %q, want %q", run+1, got, wantCIs)
			}
			for i := range got {
				if got[i] != wantCIs[i] {
					t.Fatalf("run %d: CIs %q, want %q", run+1, got, wantCIs)
				}
			}
			rels, err := db.Client.Relationship.Query().Where(relationship.TypeEQ("RUNS_ON")).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var edges []string
			for _, r := range rels {
				edges = append(edges, byID[r.FromID]+" -> "+byID[r.ToID])
			}
			sort.Strings(edges)
			wantEdges := []string{"build -> hv01.example.com", "prometheus -> hv01.example.com", "prometheus -> hv01.example.com", "template -> hv01.example.com", "web01 -> hv01.example.com"}
			if len(edges) != len(wantEdges) {
				t.Fatalf("run %d: RUNS_ON %q, want %q", run+1, edges, wantEdges)
			}
			for i := range edges {
				if edges[i] != wantEdges[i] {
					t.Fatalf("run %d: RUNS_ON %q, want %q", run+1, edges, wantEdges)
				}
			}
		}
	})
}
