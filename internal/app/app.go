// Package app opens Cairn's database the one way every command does: the
// store (SQLite file or PostgreSQL DSN), the ent client with the hooks every
// write path shares, and the schema migration.
package app

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Options tune Open.
type Options struct {
	Store store.Options
	// SkipMigrate skips the schema migration every command runs by default.
	SkipMigrate bool
	// WrapDriver, when set, wraps the database driver (tests count SQL
	// statements with store.NewCountingDriver).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// DB is an open Cairn database.
type DB struct {
	Client *ent.Client
	Store  *store.DB
}

// Open opens dsn (a file path or a postgres:// DSN), installs the hooks and
// migrates the schema.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	st, err := store.Open(ctx, dsn, opts.Store)
	if err != nil {
		return nil, err
	}
	drv := st.Driver()
	if opts.WrapDriver != nil {
		drv = opts.WrapDriver(drv)
	}
	c := ent.NewClient(ent.Driver(drv))
	hooks.Register(c)
	if !opts.SkipMigrate {
		if err := Migrate(ctx, c); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	return &DB{Client: c, Store: st}, nil
}

// Migrate brings the schema up to date.
func Migrate(ctx context.Context, c *ent.Client) error {
	if err := c.Schema.Create(ctx); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	return nil
}

// Close closes the database.
func (d *DB) Close() error {
	return d.Store.Close()
}
