package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestStatementsPerBatch: a batch of 100 alerts on new hosts behind one
// switch runs as many statements as a batch of 10 of the same shape
// (internal/hooks leaves alerts' references to their foreign keys; the raw
// reads, identifiers, memberships, relationships, run on the batch's
// transaction, so they are counted too). Intake's statements do not grow
// with the batch: the three evidence reads may be saved by the evidence
// cache in either batch, and the graph's reads, one per level, by what the
// engine knows already (at most H levels each of dependencies and of
// dependents' counts).
func TestStatementsPerBatch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		var count *store.CountingDriver
		db, err := app.Open(ctx, dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
			count = store.NewCountingDriver(d)
			return count
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		const hosts = 111
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			sw, err := tx.ConfigurationItem.Create().SetName("sw").SetKind(configurationitem.KindNetworkDevice).Save(ctx)
			if err != nil {
				return err
			}
			svc, err := tx.Service.Create().SetName("Web").Save(ctx)
			if err != nil {
				return err
			}
			for i := range hosts {
				h, err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("host%03d", i)).SetHostname(fmt.Sprintf("host%03d", i)).
					SetKind(configurationitem.KindServer).AddServiceIDs(svc.ID).Save(ctx)
				if err != nil {
					return err
				}
				if err := tx.Relationship.Create().SetFromID(h.ID).SetToID(sw.ID).SetType(relationship.TypeDependsOn).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		now := t0
		s, err := alerts.New(ctx, db.Client, db.Store, alerts.Config{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		batch := func(lo, hi int) int64 {
			t.Helper()
			var as []intake.Alert
			for i := lo; i < hi; i++ {
				as = append(as, fire("NodeDown", t0.Add(time.Duration(i)*time.Second), "instance", fmt.Sprintf("host%03d:9100", i), "service", "web"))
			}
			count.Reset()
			if _, err := s.Ingest(ctx, alerts.Batch{Source: "ALERTMANAGER", Alerts: as}); err != nil {
				t.Fatal(err)
			}
			return count.Count()
		}
		batch(0, 1) // opens the incident
		small := batch(1, 11)
		large := batch(11, 111)
		const evidenceReads = 3  // change records, drift, audit: cached for 30 s
		const graphReads = 2 * 3 // DependencyEdges and DependentCounts, a read per level, H = 3
		if d := large - small; d < -(evidenceReads+graphReads) || d > evidenceReads+graphReads || small == 0 {
			t.Errorf("statements: %d for 10 alerts, %d for 100; want the same (± the cached evidence and graph reads)", small, large)
		}
	})
}
