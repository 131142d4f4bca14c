// Package store opens Cairn's database (SQLite or PostgreSQL) and hands out an
// ent-compatible dialect.Driver plus the raw *sql.DB pools behind it.
//
// SQLite is opened as two pools on the same file: a writer pool with exactly
// one connection whose transactions start with BEGIN IMMEDIATE, so concurrent
// writers queue in Go instead of failing with SQLITE_BUSY, and a reader pool
// of query_only connections that read in parallel thanks to WAL and mmap. The
// driver returned by (*DB).Driver routes read-only statements to the readers
// and everything else (writes, transactions) to the writer.
//
// Because the writer pool has a single connection, code holding a write
// transaction must not issue statements on the non-transactional driver that
// need the writer (writes, or Query statements that are not plain SELECTs):
// they would wait for the transaction's connection until the context ends.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Backend names the database engine behind a DB.
type Backend string

// Supported backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Defaults applied by Open.
const (
	DefaultBusyTimeout  = 10 * time.Second
	minDefaultReaders   = 4
	postgresMaxConns    = 16
	sqliteMmapSize      = 2147418112 // SQLite's maximum (SQLITE_MAX_MMAP_SIZE, 2 GiB): lets readers scale (see PERFORMANCE-NOTES).
	sqliteCacheSizeKiB  = 65536      // cache_size(-65536): 64 MiB per connection.
	postgresDriverName  = "pgx"
	sqliteDriverName    = "sqlite"
	writerPoolName      = "writer"
	readerPoolName      = "reader"
	postgresPoolName    = "pool"
	replicaPoolName     = "replica"
	metricsPrefix       = "cairn"
	checkpointStatement = "PRAGMA wal_checkpoint(TRUNCATE)"
)

// Options tunes Open. The zero value is usable.
type Options struct {
	// MaxReaders is the size of the SQLite reader pool. Zero or less means
	// the default, 2*GOMAXPROCS but at least 4. Ignored on PostgreSQL.
	MaxReaders int
	// BusyTimeout is SQLite's busy_timeout on every connection. Zero or less
	// means 10s. Ignored on PostgreSQL.
	BusyTimeout time.Duration
	// Logger receives informational messages; nil means slog.Default().
	Logger *slog.Logger
	// Postgres tunes the PostgreSQL pools (postgres_options.go). Ignored on
	// SQLite.
	Postgres PostgresOptions
	// Replica names a PostgreSQL streaming replica for reads (replica.go).
	// Only with a PostgreSQL primary.
	Replica ReplicaOptions
}

func (o Options) withDefaults() Options {
	if o.MaxReaders <= 0 {
		o.MaxReaders = max(2*runtime.GOMAXPROCS(0), minDefaultReaders)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// DB is an open Cairn database.
type DB struct {
	backend Backend
	writer  *sql.DB
	reader  *sql.DB
	driver  dialect.Driver
	logger  *slog.Logger
	replica *replica // nil without a read replica
}

// Open opens the database named by dsn. A dsn starting with postgres:// or
// postgresql:// opens PostgreSQL through pgx; anything else is a SQLite file
// path or file: URI. In-memory SQLite databases are rejected because the
// reader and writer pools must share one file, and the file's directory must
// already exist.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if isPostgresDSN(dsn) {
		return openPostgres(ctx, dsn, opts)
	}
	if opts.Replica.DSN != "" {
		return nil, errors.New("store: a read replica needs a PostgreSQL primary")
	}
	return openSQLite(ctx, dsn, opts)
}

// SQLitePath returns the file a SQLite DSN names; ok is false for a
// PostgreSQL DSN or a DSN that names no file.
func SQLitePath(dsn string) (path string, ok bool) {
	if isPostgresDSN(dsn) {
		return "", false
	}
	_, _, path, err := parseSQLiteDSN(dsn)
	return path, err == nil
}

func isPostgresDSN(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if err := opts.Postgres.Validate(); err != nil {
		return nil, err
	}
	pool, err := openPostgresPool(ctx, dsn, opts.Postgres)
	if err != nil {
		return nil, err
	}
	db := pool.db
	d := &DB{
		backend: Postgres,
		writer:  db,
		reader:  db,
		driver:  entsql.OpenDB(dialect.Postgres, db),
		logger:  opts.Logger,
	}
	if opts.Replica.DSN != "" {
		r, err := openReplica(ctx, opts.Replica, opts.Postgres, db)
		if err != nil {
			return nil, errors.Join(err, db.Close())
		}
		d.replica = r
		d.driver = &pgDriver{Driver: entsql.OpenDB(dialect.Postgres, db), r: entsql.OpenDB(dialect.Postgres, r.pool.db), replica: r}
	}
	po := opts.Postgres.withDefaults()
	opts.Logger.LogAttrs(ctx, slog.LevelDebug, "store opened",
		slog.String("backend", string(Postgres)), slog.Int("max_conns", po.MaxOpenConns),
		slog.Int("max_idle_conns", po.MaxIdleConns), slog.Duration("conn_max_lifetime", po.ConnMaxLifetime),
		slog.Duration("conn_max_idle_time", po.ConnMaxIdleTime), slog.Duration("statement_timeout", po.StatementTimeout))
	return d, nil
}

func openSQLite(ctx context.Context, dsn string, opts Options) (*DB, error) {
	base, query, path, err := parseSQLiteDSN(dsn)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: sqlite database directory %q does not exist: create it first: %w", dir, err)
	} else if err != nil {
		return nil, fmt.Errorf("store: sqlite database directory %q is not accessible: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("store: sqlite database directory %q is not a directory", dir)
	}

	if err := checkReservedParams(query); err != nil {
		return nil, err
	}
	common := sqliteParams(opts.BusyTimeout)
	writerDSN := joinDSN(base, query, append(common, "_txlock=immediate"))
	readerDSN := joinDSN(base, query, append(common, "_query_only=1"))

	// The writer is opened and pinged first so the file exists and is in WAL
	// mode before any query_only reader connects.
	writer, err := sql.Open(sqliteDriverName, writerDSN)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite writer %q: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite writer %q: %w", path, err), writer.Close())
	}

	reader, err := sql.Open(sqliteDriverName, readerDSN)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite reader %q: %w", path, err), writer.Close())
	}
	reader.SetMaxOpenConns(opts.MaxReaders)
	reader.SetMaxIdleConns(opts.MaxReaders)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite reader %q: %w", path, err), reader.Close(), writer.Close())
	}

	d := &DB{
		backend: SQLite,
		writer:  writer,
		reader:  reader,
		driver:  newSQLiteDriver(writer, reader),
		logger:  opts.Logger,
	}
	opts.Logger.LogAttrs(ctx, slog.LevelDebug, "store opened",
		slog.String("backend", string(SQLite)), slog.String("path", path),
		slog.Int("max_readers", opts.MaxReaders), slog.Duration("busy_timeout", opts.BusyTimeout))
	return d, nil
}

// sqliteParams are the DSN parameters shared by writer and reader. _pragma
// values are executed by modernc on every new connection; the time
// parameters make times stored as sortable UTC text (see timeformat.go).
func sqliteParams(busy time.Duration) []string {
	return []string{
		"_time_format=sqlite", // SQLiteTimeLayout
		"_timezone=UTC",       // written in UTC, read in UTC
		"_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")",
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=mmap_size(" + strconv.Itoa(sqliteMmapSize) + ")",
		"_pragma=cache_size(-" + strconv.Itoa(sqliteCacheSizeKiB) + ")",
		"_pragma=temp_store(MEMORY)",
	}
}

// checkReservedParams refuses a DSN query that sets how times are stored:
// every connection must write and read them the one way.
func checkReservedParams(query string) error {
	if query == "" {
		return nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("store: parse sqlite dsn parameters: %w", err)
	}
	for _, p := range sqliteReservedParams {
		if q.Has(p) {
			return fmt.Errorf("store: sqlite dsn parameter %s is not allowed: cairn stores every time as UTC text itself", p)
		}
	}
	return nil
}

func joinDSN(base, query string, params []string) string {
	all := strings.Join(params, "&")
	if query != "" {
		all = query + "&" + all
	}
	return base + "?" + all
}

// parseSQLiteDSN splits a SQLite path or file: URI into the part before '?',
// the query string, and the file-system path it names.
func parseSQLiteDSN(dsn string) (base, query, path string, err error) {
	if strings.TrimSpace(dsn) == "" {
		return "", "", "", errors.New("store: empty database dsn: give a sqlite file path or a postgres:// url")
	}
	base, query, _ = strings.Cut(dsn, "?")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", "", "", fmt.Errorf("store: parse sqlite dsn parameters: %w", err)
		}
		if strings.EqualFold(q.Get("mode"), "memory") || strings.EqualFold(q.Get("vfs"), "memdb") {
			return "", "", "", errors.New("store: in-memory sqlite databases are not supported: the reader and writer pools must share a file")
		}
	}
	path = base
	if rest, ok := strings.CutPrefix(base, "file:"); ok {
		if after, ok := strings.CutPrefix(rest, "//"); ok {
			// file://[host]/path: drop the authority.
			if i := strings.IndexByte(after, '/'); i >= 0 {
				rest = after[i:]
			} else {
				rest = ""
			}
		}
		if path, err = url.PathUnescape(rest); err != nil {
			return "", "", "", fmt.Errorf("store: parse sqlite file uri %q: %w", dsn, err)
		}
	}
	if path == ":memory:" || strings.HasPrefix(path, ":memory:") {
		return "", "", "", errors.New("store: in-memory sqlite databases (:memory:) are not supported: the reader and writer pools must share a file")
	}
	if path == "" {
		return "", "", "", fmt.Errorf("store: sqlite dsn %q names no file", dsn)
	}
	return base, query, path, nil
}

// Driver returns the ent driver for this database.
func (d *DB) Driver() dialect.Driver { return d.driver }

// Backend reports which database engine d uses.
func (d *DB) Backend() Backend { return d.backend }

// Writer returns the pool for writes. On SQLite it has one connection and
// its transactions begin IMMEDIATE.
func (d *DB) Writer() *sql.DB { return d.writer }

// Reader returns the pool for reads. On SQLite its connections are
// query_only; on PostgreSQL it is the same pool as Writer.
func (d *DB) Reader() *sql.DB { return d.reader }

// Query runs a read-only statement on a reader. On SQLite it goes through
// the reader pool's prepared-statement cache (so its text should not vary
// with its arguments: pass ID lists as one parameter); on PostgreSQL pgx
// caches statements itself.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if sd, ok := d.driver.(*sqliteDriver); ok {
		return sd.cache.QueryContext(ctx, query, args...)
	}
	return d.reader.QueryContext(ctx, query, args...)
}

// Stats returns the database/sql statistics of each pool, keyed "writer" and
// "reader" on SQLite and "pool" on PostgreSQL.
func (d *DB) Stats() map[string]sql.DBStats {
	if d.backend == Postgres {
		m := map[string]sql.DBStats{postgresPoolName: d.writer.Stats()}
		if d.replica != nil {
			m[replicaPoolName] = d.replica.pool.db.Stats()
		}
		return m
	}
	return map[string]sql.DBStats{
		writerPoolName: d.writer.Stats(),
		readerPoolName: d.reader.Stats(),
	}
}

// Close closes both pools. It is safe to call more than once.
func (d *DB) Close() error {
	var errs []error
	if d.replica != nil {
		if err := d.replica.pool.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: close read replica pool: %w", err))
		}
	}
	if d.reader != d.writer {
		if err := d.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: close reader pool: %w", err))
		}
	}
	if err := d.writer.Close(); err != nil {
		errs = append(errs, fmt.Errorf("store: close writer pool: %w", err))
	}
	return errors.Join(errs...)
}

// Dialect is the ent dialect name of the backend.
func (d *DB) Dialect() string {
	if d.backend == Postgres {
		return dialect.Postgres
	}
	return dialect.SQLite
}
