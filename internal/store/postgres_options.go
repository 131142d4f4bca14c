package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
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

// pgPool is one PostgreSQL database/sql pool. After a server restart (or
// any end of its sessions) a request meets no dead connection: database/sql
// asks pgx's stdlib to reset a connection before reusing it, which pings
// it when it was idle more than a second (pgx's default) or, here, when the
// server sent something while it was idle (peerSpoke: the FATAL 57P01 a
// restart's fast shutdown sends every session, or the end of the stream);
// a failed ping is driver.ErrBadConn, and database/sql then discards the
// connection and retries on another, a new one at the latest. Only the statements in flight when the server
// went away fail, and they are not retried: the server may have run them.
// TestPostgresEndedSessionsAreDiscarded and the app package's
// TestPostgresRestartUnderLoad hold this behaviour.
type pgPool struct {
	db *sql.DB
}

func openPostgresPool(ctx context.Context, dsn string, po PostgresOptions) (*pgPool, error) {
	cfg, err := pgx.ParseConfig(withUTC(dsn))
	if err != nil {
		return nil, fmt.Errorf("store: parse postgres dsn: %w", err)
	}
	if po.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(po.StatementTimeout.Milliseconds(), 10)
	}
	db := stdlib.OpenDB(*cfg, stdlib.OptionShouldPing(func(_ context.Context, p stdlib.ShouldPingParams) bool {
		return p.IdleDuration > time.Second || peerSpoke(p.Conn.PgConn().Conn())
	}))
	po = po.withDefaults()
	db.SetMaxOpenConns(po.MaxOpenConns)
	db.SetMaxIdleConns(po.MaxIdleConns)
	db.SetConnMaxLifetime(po.ConnMaxLifetime)
	db.SetConnMaxIdleTime(po.ConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: connect to postgres: %w", err), db.Close())
	}
	return &pgPool{db: db}, nil
}
