package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Defaults of the PostgreSQL pool, applied by Open where Options leaves a
// field zero.
const (
	// DefaultPostgresMaxOpenConns bounds the connections of a pool.
	DefaultPostgresMaxOpenConns = postgresMaxConns
	// DefaultPostgresConnMaxLifetime closes a connection after this long
	// (it is replaced on demand), so connections follow a failover or a
	// changed DNS name and server-side memory does not grow unbounded.
	DefaultPostgresConnMaxLifetime = time.Hour
	// DefaultPostgresConnMaxIdleTime closes a connection idle this long.
	DefaultPostgresConnMaxIdleTime = 10 * time.Minute
)

// PostgresOptions tunes the PostgreSQL pools (ignored on SQLite). Zero
// values mean the defaults above; MaxIdleConns zero means MaxOpenConns, and
// StatementTimeout zero means no timeout beyond the request's own context
// (and whatever the DSN or the server sets).
type PostgresOptions struct {
	// MaxOpenConns bounds the open connections of each pool (the primary's,
	// and the replica's when there is one). Default 16.
	MaxOpenConns int
	// MaxIdleConns bounds the idle connections kept; at most MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime closes a connection this long after it was opened.
	// Default 1h; negative means never.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes a connection idle this long. Default 10m;
	// negative means never.
	ConnMaxIdleTime time.Duration
	// StatementTimeout is set as the session's statement_timeout on every
	// connection: PostgreSQL cancels a statement running longer. Zero
	// leaves the server's (or the DSN's statement_timeout parameter).
	StatementTimeout time.Duration
}

// Validate reports the first invalid field, naming it.
func (p PostgresOptions) Validate() error {
	switch {
	case p.MaxOpenConns < 0:
		return fmt.Errorf("store: postgres max open connections %d: must be 1 or more (0 for the default %d)", p.MaxOpenConns, DefaultPostgresMaxOpenConns)
	case p.MaxIdleConns < 0:
		return fmt.Errorf("store: postgres max idle connections %d: must be 0 (as many as max open) or more", p.MaxIdleConns)
	case p.MaxIdleConns > p.withDefaults().MaxOpenConns:
		return fmt.Errorf("store: postgres max idle connections %d: more than max open connections %d", p.MaxIdleConns, p.withDefaults().MaxOpenConns)
	case p.StatementTimeout < 0:
		return fmt.Errorf("store: postgres statement timeout %s: must not be negative (0 for none)", p.StatementTimeout)
	case p.StatementTimeout > 0 && p.StatementTimeout < time.Millisecond:
		return fmt.Errorf("store: postgres statement timeout %s: PostgreSQL counts it in milliseconds, give 1ms or more", p.StatementTimeout)
	}
	return nil
}

func (p PostgresOptions) withDefaults() PostgresOptions {
	if p.MaxOpenConns <= 0 {
		p.MaxOpenConns = DefaultPostgresMaxOpenConns
	}
	if p.MaxIdleConns <= 0 {
		p.MaxIdleConns = p.MaxOpenConns
	}
	switch {
	case p.ConnMaxLifetime == 0:
		p.ConnMaxLifetime = DefaultPostgresConnMaxLifetime
	case p.ConnMaxLifetime < 0:
		p.ConnMaxLifetime = 0 // database/sql: never
	}
	switch {
	case p.ConnMaxIdleTime == 0:
		p.ConnMaxIdleTime = DefaultPostgresConnMaxIdleTime
	case p.ConnMaxIdleTime < 0:
		p.ConnMaxIdleTime = 0
	}
	return p
}

// withUTC makes sessions run in UTC unless the DSN says otherwise, so times
// read back (dates of contracts, assets, windows) do not depend on the
// server's time zone.
func withUTC(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Get("timezone") == "" {
		q.Set("timezone", "UTC")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn
}

// pgPool is one PostgreSQL database/sql pool with the connection behaviour
// Cairn relies on to survive a server restart:
//
//   - database/sql discards a connection whose session reset reports
//     driver.ErrBadConn and retries on another (a new one at the latest);
//   - pgx's stdlib pings a connection before reusing it when it was idle
//     more than a second; here it also pings every connection opened before
//     the pool last saw a connection-ending (FATAL) error, such as the
//     57P01 admin_shutdown every session gets from a restart. So after a
//     restart only the statements that were in flight (or that met the
//     first dead connection) fail; later ones find live connections.
//
// A statement that failed is never retried: the server may have run it.
type pgPool struct {
	db *sql.DB
	// epoch counts the FATAL errors seen; a connection remembers the epoch
	// it was last checked in (pgconn CustomData).
	epoch atomic.Uint64
}

const epochKey = "cairn.epoch"

func openPostgresPool(ctx context.Context, dsn string, po PostgresOptions) (*pgPool, error) {
	cfg, err := pgx.ParseConfig(withUTC(dsn))
	if err != nil {
		return nil, fmt.Errorf("store: parse postgres dsn: %w", err)
	}
	if po.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(po.StatementTimeout.Milliseconds(), 10)
	}
	p := &pgPool{}
	next := cfg.OnPgError
	cfg.OnPgError = func(c *pgconn.PgConn, e *pgconn.PgError) bool {
		if e.Severity == "FATAL" || e.Severity == "PANIC" {
			p.epoch.Add(1)
		}
		if next != nil {
			return next(c, e)
		}
		return e.Severity != "FATAL" && e.Severity != "PANIC"
	}
	db := stdlib.OpenDB(*cfg,
		stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
			c.PgConn().CustomData()[epochKey] = p.epoch.Load()
			return nil
		}),
		stdlib.OptionShouldPing(func(_ context.Context, sp stdlib.ShouldPingParams) bool {
			now := p.epoch.Load()
			data := sp.Conn.PgConn().CustomData()
			seen, _ := data[epochKey].(uint64)
			data[epochKey] = now
			return sp.IdleDuration > time.Second || seen != now
		}))
	po = po.withDefaults()
	db.SetMaxOpenConns(po.MaxOpenConns)
	db.SetMaxIdleConns(po.MaxIdleConns)
	db.SetConnMaxLifetime(po.ConnMaxLifetime)
	db.SetConnMaxIdleTime(po.ConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: connect to postgres: %w", err), db.Close())
	}
	p.db = db
	return p, nil
}
