package dblease_test

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/scheduler/dblease"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func open(t *testing.T, dsn string) *app.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestLeaser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
		l := &dblease.Leaser{Client: db.Client, Now: func() time.Time { return now }}
		steps := []struct {
			name string
			op   func() (bool, error)
			want bool
			then time.Duration // advance the clock after the step
		}{
			{"a takes a free lease", func() (bool, error) { return l.Acquire(ctx, "k", "a", time.Minute) }, true, 0},
			{"b cannot take a's lease", func() (bool, error) { return l.Acquire(ctx, "k", "b", time.Minute) }, false, 0},
			{"a re-takes its own lease", func() (bool, error) { return l.Acquire(ctx, "k", "a", time.Minute) }, true, 30 * time.Second},
			{"a renews", func() (bool, error) { return l.Renew(ctx, "k", "a", time.Minute) }, true, 0},
			{"b cannot renew a's lease", func() (bool, error) { return l.Renew(ctx, "k", "b", time.Minute) }, false, 61 * time.Second},
			// a crashed: its lease expired, b takes it over.
			{"b takes over the expired lease", func() (bool, error) { return l.Acquire(ctx, "k", "b", time.Minute) }, true, 0},
			{"a's renewal fails after the takeover", func() (bool, error) { return l.Renew(ctx, "k", "a", time.Minute) }, false, 0},
			{"a's release leaves b's lease", func() (bool, error) { return true, l.Release(ctx, "k", "a") }, true, 0},
			{"still b's", func() (bool, error) { return l.Acquire(ctx, "k", "c", time.Minute) }, false, 0},
			{"b releases", func() (bool, error) { return true, l.Release(ctx, "k", "b") }, true, 0},
			{"c takes the released lease", func() (bool, error) { return l.Acquire(ctx, "k", "c", time.Minute) }, true, 0},
			{"another key is independent", func() (bool, error) { return l.Acquire(ctx, "k2", "a", time.Minute) }, true, 0},
		}
		for _, s := range steps {
			got, err := s.op()
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
			}
			now = now.Add(s.then)
		}
	})
}
