package backup

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// TestBackupUnderConcurrentWrites backs up while a writer keeps adding a
// CI and a relationship to the previous one, each pair in one transaction
// with its audit events. Every backup must hold whole transactions only:
// as many CI creations in the audit trail as CIs, as many relationship
// creations as relationships, and every relationship's ends (the restore,
// with foreign keys on, fails otherwise). Reading the tables in separate
// transactions fails this: configuration_items is read before
// audit_events, so the audit trail shows CIs the backup lacks.
func TestBackupUnderConcurrentWrites(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, _ store.Backend, dsn string) {
		ctx := context.Background()
		src := openDB(t, dsn)
		if _, err := estate.SeedSyntheticWith(ctx, src, 3000, estate.SyntheticOptions{}); err != nil {
			t.Fatal(err)
		}
		wctx, stop := context.WithCancel(audit.WithActor(ctx, "conc-writer"))
		var committed atomic.Int64
		var wg sync.WaitGroup
		var werr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := 0
			for i := 0; wctx.Err() == nil; i++ {
				err := txn.Do(wctx, src.Client, func(tx *ent.Client) error {
					ci, err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("zz-conc-%05d", i)).SetKind("VM").Save(wctx)
					if err != nil {
						return err
					}
					if prev != 0 {
						if err := tx.Relationship.Create().SetFromID(ci.ID).SetToID(prev).SetType(relationship.TypeDependsOn).Exec(wctx); err != nil {
							return err
						}
					}
					prev = ci.ID
					return nil
				})
				if err != nil {
					if wctx.Err() == nil {
						werr = err
					}
					return
				}
				committed.Add(1)
			}
		}()
		// Let the writer get going, then back up three times while it runs.
		for committed.Load() < 20 {
			time.Sleep(5 * time.Millisecond)
		}
		var snaps []*bytes.Buffer
		var before, after []int64
		for range 3 {
			var b bytes.Buffer
			before = append(before, committed.Load())
			if _, err := Write(ctx, src.Store, &b, Options{}); err != nil {
				t.Fatal(err)
			}
			after = append(after, committed.Load())
			snaps = append(snaps, &b)
		}
		stop()
		wg.Wait()
		if werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		for i, b := range snaps {
			dst := openDB(t, storetest.SQLiteDSN(t))
			if _, err := Restore(ctx, dst.Store, bytes.NewReader(b.Bytes()), RestoreOptions{}); err != nil {
				t.Fatalf("backup %d: restore: %v", i, err)
			}
			cis := count(t, dst, `SELECT count(*) FROM configuration_items WHERE name LIKE 'zz-conc-%'`)
			ciEvents := count(t, dst, `SELECT count(*) FROM audit_events WHERE actor = 'conc-writer' AND action = 'CREATE' AND entity_type = '`+ent.TypeConfigurationItem+`'`)
			rels := count(t, dst, `SELECT count(*) FROM relationships r JOIN configuration_items c ON c.id = r.from_id WHERE c.name LIKE 'zz-conc-%'`)
			relEvents := count(t, dst, `SELECT count(*) FROM audit_events WHERE actor = 'conc-writer' AND action = 'CREATE' AND entity_type = '`+ent.TypeRelationship+`'`)
			t.Logf("backup %d: %d writer CIs (%d committed before, %d after)", i, cis, before[i], after[i])
			if cis != ciEvents || rels != relEvents {
				t.Errorf("backup %d is not one snapshot: %d CIs but %d CI creations audited, %d relationships but %d audited", i, cis, ciEvents, rels, relEvents)
			}
			if cis < before[i] || cis > after[i] {
				t.Errorf("backup %d holds %d writer CIs, want between %d and %d", i, cis, before[i], after[i])
			}
			if cis > 0 && rels != cis-1 {
				t.Errorf("backup %d: %d relationships for %d chained CIs, want %d", i, rels, cis, cis-1)
			}
		}
		if after[len(after)-1] == before[0] {
			t.Error("the writer committed nothing while the backups ran: the test proves nothing")
		}
	})
}

func count(t testing.TB, db *app.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.Store.Reader().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
