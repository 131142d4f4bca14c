package txn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func TestAfterCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		ctx := audit.WithActor(context.Background(), "test")
		errRollback := errors.New("roll back")
		tests := []struct {
			name string
			// run calls AfterCommit with note and reports whether note had
			// been called when it returned.
			run     func(note func(context.Context)) (calledBefore bool, err error)
			wantErr error
			want    int
		}{
			{
				name: "outside a transaction it runs at once",
				run: func(note func(context.Context)) (bool, error) {
					n := 0
					txn.AfterCommit(ctx, func(c context.Context) { n++; note(c) })
					return n == 1, nil
				},
				want: 1,
			},
			{
				name: "inside a transaction it waits for the commit",
				run: func(note func(context.Context)) (bool, error) {
					tx, err := db.Client.Tx(ctx)
					if err != nil {
						return false, err
					}
					n := 0
					tctx := ent.NewTxContext(ctx, tx)
					txn.AfterCommit(tctx, func(c context.Context) { n++; note(c) })
					txn.AfterCommit(tctx, func(c context.Context) { n++; note(c) })
					if err := tx.Owner.Create().SetName("after-commit").SetKind(owner.KindTeam).Exec(tctx); err != nil {
						_ = tx.Rollback()
						return false, err
					}
					before := n > 0
					return before, tx.Commit()
				},
				want: 2,
			},
			{
				name: "a rolled back transaction never runs it",
				run: func(note func(context.Context)) (bool, error) {
					tx, err := db.Client.Tx(ctx)
					if err != nil {
						return false, err
					}
					txn.AfterCommit(ent.NewTxContext(ctx, tx), note)
					if err := tx.Rollback(); err != nil {
						return false, err
					}
					return false, errRollback
				},
				wantErr: errRollback,
				want:    0,
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				calls := 0
				before, err := tc.run(func(c context.Context) {
					if c.Err() != nil {
						t.Errorf("fn got an ended context: %v", c.Err())
					}
					calls++
				})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if tc.want == 2 && before {
					t.Errorf("fn ran before the commit")
				}
				if calls != tc.want {
					t.Errorf("fn ran %d times, want %d", calls, tc.want)
				}
			})
		}
	})
}

func TestAfterCommitNil(t *testing.T) {
	txn.AfterCommit(context.Background(), nil) // must not panic
}

func TestClient(t *testing.T) {
	db, err := app.Open(context.Background(), "file:"+t.TempDir()+"/c.db", app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if got := txn.Client(ctx, db.Client); got != db.Client {
		t.Errorf("Client(no transaction) = %p, want the fallback %p", got, db.Client)
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	tctx := ent.NewContext(ctx, tx.Client())
	if got := txn.Client(tctx, db.Client); got == db.Client || got != ent.FromContext(tctx) {
		t.Errorf("Client(in a transaction) = %p, want the transaction's client %p", got, ent.FromContext(tctx))
	}
}
