// Package app opens Cairn's database the one way every command does: the
// store (SQLite file or PostgreSQL DSN), the ent client with the hooks every
// write path shares, and the schema migration.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/ent/softwareinstallation"
	// The schema's defaults, validators, hooks and privacy policies.
	_ "github.com/cairn-cmdb/cairn/ent/runtime"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/txn"
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
// migrates the schema. A SQLite file that does not exist yet is created
// with mode 0600 first (see createPrivate).
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if path, ok := store.SQLitePath(dsn); ok {
		if err := createPrivate(path); err != nil {
			return nil, err
		}
	}
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
	// On PostgreSQL a CI query's plain edge loads ride in its own
	// statement (one round trip, not one per edge); SQLite is untouched.
	c.ConfigurationItem.Intercept(ent.FoldEdges())
	if !opts.SkipMigrate {
		if err := Migrate(ctx, c, st); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	return &DB{Client: c, Store: st}, nil
}

// Migrate brings the schema up to date.
func Migrate(ctx context.Context, c *ent.Client, st *store.DB) error {
	// A database from before the software table has CIs whose package
	// facts have no rows yet: derive them once, after creating the table.
	hadSoftware, err := tableExists(ctx, st, softwareinstallation.Table)
	if err != nil {
		return err
	}
	if err := c.Schema.Create(ctx); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	if !hadSoftware {
		if err := txn.Do(ctx, c, func(tx *ent.Client) error {
			_, err := hooks.RebuildSoftware(ctx, tx)
			return err
		}); err != nil {
			return fmt.Errorf("deriving installed software from package facts: %w", err)
		}
	}
	// SQLite databases written before times were stored as sortable UTC
	// text hold them in Go's time.String() form; rewrite them (once: the
	// canonical ones are left alone).
	if _, err := st.CanonicalizeTimes(ctx, TimeColumns(migrate.Tables)); err != nil {
		return fmt.Errorf("migrating stored times: %w", err)
	}
	// ent gives many-to-many join tables a primary key on (left, right)
	// only; lookups from the right side (a CI's services, contracts and
	// changes) need their own index or they scan the whole table.
	for _, ix := range []struct{ name, table, column string }{
		{"service_members_ci", "service_members", "configuration_item_id"},
		{"contract_covered_cis_ci", "contract_covered_cis", "configuration_item_id"},
		{"change_record_cis_ci", "change_record_configuration_items", "configuration_item_id"},
		{"service_depends_on_dependent", "service_depends_on", "dependent_id"},
	} {
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", ix.name, ix.table, ix.column)
		if _, err := st.Writer().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating index %s: %w", ix.name, err)
		}
	}
	// PostgreSQL: identifier values by byte order, for the first-label
	// lookup of a short host name among FQDNs (incident.valueHasPrefix); the
	// default collation need not be byte order, so (kind, value) cannot.
	if st.Backend() == store.Postgres {
		if _, err := st.Writer().ExecContext(ctx, `CREATE INDEX IF NOT EXISTS identifier_kind_value_c ON identifiers (kind, value COLLATE "C")`); err != nil {
			return fmt.Errorf("creating index identifier_kind_value_c: %w", err)
		}
		if err := tokenTrigger(ctx, st); err != nil {
			return err
		}
	}
	// Superseded by relationship_to_id_type_from_id, which covers the
	// dependents walk.
	if _, err := st.Writer().ExecContext(ctx, `DROP INDEX IF EXISTS relationship_to_id_type`); err != nil {
		return fmt.Errorf("dropping superseded index: %w", err)
	}
	return nil
}

// tokenTrigger makes PostgreSQL announce, on auth.TokensChannel and in the
// changing transaction (so only once it commits), every change of
// api_tokens that can end a token's validity, whoever makes it (another
// cairn serve, `cairn token revoke`): each serving process then forgets
// the tokens it cached. Replaced in one transaction, so a concurrent
// migration never sees it missing.
func tokenTrigger(ctx context.Context, st *store.DB) error {
	tx, err := st.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("creating the token trigger: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, q := range []string{
		// Processes starting together replace it one after another.
		`SELECT pg_advisory_xact_lock(hashtext('cairn_api_tokens_changed'))`,
		`CREATE OR REPLACE FUNCTION cairn_api_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('` + auth.TokensChannel + `', '');
  RETURN NULL;
END $$`,
		`DROP TRIGGER IF EXISTS api_tokens_changed ON api_tokens`,
		`CREATE TRIGGER api_tokens_changed AFTER DELETE OR UPDATE OF role, expires_at, token_hash ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION cairn_api_tokens_changed()`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating the token trigger: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("creating the token trigger: %w", err)
	}
	return nil
}

// TimeColumns lists the time columns of tables, from the schema ent
// migrates to, so that a new time column is covered the day it is added.
func TimeColumns(tables []*schema.Table) []store.TimeColumn {
	var cols []store.TimeColumn
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Type == field.TypeTime {
				cols = append(cols, store.TimeColumn{Table: t.Name, Column: c.Name})
			}
		}
	}
	return cols
}

// createPrivate creates the SQLite file path, empty and mode 0600, when it
// does not exist, so the database (credentials sealed, token hashes, the
// audit trail) is not readable by other users of the machine whatever the
// umask: SQLite gives the -wal and -shm files it makes beside it the
// database file's mode. An existing file keeps its mode; a missing
// directory is left for the store to report.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return fmt.Errorf("creating database file %s: %w", path, err)
}

// Close closes the database.
func (d *DB) Close() error {
	return d.Store.Close()
}

// tableExists says whether the database has the table.
func tableExists(ctx context.Context, st *store.DB, table string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if st.Backend() == store.Postgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var n int
	if err := st.Writer().QueryRowContext(ctx, st.Rebind(q), table).Scan(&n); err != nil {
		return false, fmt.Errorf("looking for table %s: %w", table, err)
	}
	return n > 0, nil
}
