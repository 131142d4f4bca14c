package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// CountingDriver wraps a dialect.Driver and counts every Exec and Query
// statement, on the driver and on the transactions it starts (Commit and
// Rollback are not counted). Tests use it to catch N+1 query patterns.
type CountingDriver struct {
	drv dialect.Driver
	n   atomic.Int64
}

var (
	_ dialect.Driver = (*CountingDriver)(nil)
	_ interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	} = (*CountingDriver)(nil)
)

// NewCountingDriver wraps d.
func NewCountingDriver(d dialect.Driver) *CountingDriver {
	return &CountingDriver{drv: d}
}

// Count returns the number of statements run since creation or the last Reset.
func (c *CountingDriver) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *CountingDriver) Reset() { c.n.Store(0) }

// Unwrap returns the wrapped driver.
func (c *CountingDriver) Unwrap() dialect.Driver { return c.drv }

// Exec counts and forwards a statement.
func (c *CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	c.n.Add(1)
	return c.drv.Exec(ctx, query, args, v)
}

// Query counts and forwards a statement.
func (c *CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	c.n.Add(1)
	return c.drv.Query(ctx, query, args, v)
}

// ExecContext counts and forwards a statement if the wrapped driver supports it.
func (c *CountingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := c.drv.(execContexter)
	if !ok {
		return nil, fmt.Errorf("store: driver %T does not support ExecContext", c.drv)
	}
	c.n.Add(1)
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext counts and forwards a statement if the wrapped driver supports it.
func (c *CountingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := c.drv.(queryContexter)
	if !ok {
		return nil, fmt.Errorf("store: driver %T does not support QueryContext", c.drv)
	}
	c.n.Add(1)
	return q.QueryContext(ctx, query, args...)
}

// Tx starts a counted transaction.
func (c *CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.drv.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{tx: tx, n: &c.n}, nil
}

// BeginTx starts a counted transaction with options. If the wrapped driver
// has no BeginTx, only nil options are accepted (they fall back to Tx).
func (c *CountingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := c.drv.(txBeginner)
	if !ok {
		if opts != nil && (opts.ReadOnly || opts.Isolation != sql.LevelDefault) {
			return nil, fmt.Errorf("store: driver %T does not support transaction options", c.drv)
		}
		return c.Tx(ctx)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{tx: tx, n: &c.n}, nil
}

// Close closes the wrapped driver.
func (c *CountingDriver) Close() error { return c.drv.Close() }

// Dialect returns the wrapped driver's dialect.
func (c *CountingDriver) Dialect() string { return c.drv.Dialect() }

type execContexter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type queryContexter interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error)
}

// countingTx counts the statements of a transaction into its driver's counter.
type countingTx struct {
	tx dialect.Tx
	n  *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.tx.Query(ctx, query, args, v)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.tx.(execContexter)
	if !ok {
		return nil, fmt.Errorf("store: transaction %T does not support ExecContext", t.tx)
	}
	t.n.Add(1)
	return ex.ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.tx.(queryContexter)
	if !ok {
		return nil, fmt.Errorf("store: transaction %T does not support QueryContext", t.tx)
	}
	t.n.Add(1)
	return q.QueryContext(ctx, query, args...)
}

func (t *countingTx) Commit() error   { return t.tx.Commit() }
func (t *countingTx) Rollback() error { return t.tx.Rollback() }
