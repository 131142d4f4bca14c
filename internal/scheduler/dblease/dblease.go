// Package dblease is a scheduler.Leaser on the leases table, so that the
// schedulers and run-now callers of every process sharing one database run
// a job at most once at a time. Each operation is one conditional
// statement, atomic on SQLite and PostgreSQL alike.
package dblease

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/lease"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
)

// Leaser is a scheduler.Leaser on the leases table of Client.
type Leaser struct {
	Client *ent.Client
	// Now is the clock [time.Now].
	Now func() time.Time
}

var _ scheduler.Leaser = (*Leaser)(nil)

func (l *Leaser) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// Acquire implements scheduler.Leaser.
func (l *Leaser) Acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("lease %q: ttl must be positive", key)
	}
	now := l.now()
	exp := now.Add(ttl)
	n, err := l.Client.Lease.Update().
		Where(lease.Key(key), lease.Or(lease.Holder(holder), lease.ExpiresAtLT(now))).
		SetHolder(holder).SetExpiresAt(exp).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("taking lease %q: %w", key, err)
	}
	if n == 1 {
		return true, nil
	}
	if err := l.Client.Lease.Create().SetKey(key).SetHolder(holder).SetExpiresAt(exp).SetAcquiredAt(now).
		OnConflictColumns(lease.FieldKey).DoNothing().Exec(ctx); err != nil && !isNoRows(err) {
		return false, fmt.Errorf("creating lease %q: %w", key, err)
	}
	cur, err := l.Client.Lease.Query().Where(lease.Key(key)).Only(ctx)
	if err != nil {
		return false, fmt.Errorf("reading lease %q: %w", key, err)
	}
	// PostgreSQL keeps microseconds: compare the holder, not the expiry.
	return cur.Holder == holder, nil
}

func isNoRows(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no rows in result set")
}

// Renew implements scheduler.Leaser.
func (l *Leaser) Renew(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	now := l.now()
	n, err := l.Client.Lease.Update().
		Where(lease.Key(key), lease.Holder(holder), lease.ExpiresAtGTE(now)).
		SetExpiresAt(now.Add(ttl)).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("renewing lease %q: %w", key, err)
	}
	return n == 1, nil
}

// Release implements scheduler.Leaser.
func (l *Leaser) Release(ctx context.Context, key, holder string) error {
	if _, err := l.Client.Lease.Delete().Where(lease.Key(key), lease.Holder(holder)).Exec(ctx); err != nil {
		return fmt.Errorf("releasing lease %q: %w", key, err)
	}
	return nil
}
