package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Optimize refreshes the query planner's statistics.
//
// On SQLite it runs, in one write transaction, a bounded ANALYZE
// (analysis_limit=1000) followed by DELETE FROM sqlite_stat4: modernc's
// SQLite is built with SQLITE_ENABLE_STAT4 and stat4 samples make every
// `indexed_column = ?` statement re-prepare for each new value, halving
// point-lookup speed (see shared/PERFORMANCE-NOTES.md). Doing both in one
// transaction means no reader ever loads the samples. PRAGMA optimize is
// deliberately not run: it may run ANALYZE itself and re-create stat4
// samples. The writer connection, which loaded the samples while running
// ANALYZE, is discarded afterwards so the next one starts without them.
//
// On PostgreSQL it runs VACUUM (ANALYZE): the statistics, and a visibility
// map that lets index-only scans (the graph walks' relationship lookups)
// skip the table after a bulk load, where autovacuum would get to it only
// later.
func Optimize(ctx context.Context, db *DB) error {
	if db.backend == Postgres {
		if _, err := db.writer.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
			return fmt.Errorf("store: vacuum analyze: %w", err)
		}
		return nil
	}
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: optimize: get writer connection: %w", err)
	}
	defer conn.Close()
	err = optimizeSQLite(ctx, conn)
	// Drop this connection (it holds ANALYZE's in-memory stat4 samples); the
	// pool opens a fresh one on demand.
	if rawErr := conn.Raw(func(any) error { return driver.ErrBadConn }); !errors.Is(rawErr, driver.ErrBadConn) && rawErr != nil {
		err = errors.Join(err, rawErr)
	}
	return err
}

func optimizeSQLite(ctx context.Context, conn *sql.Conn) (err error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA analysis_limit=1000"); err != nil {
		return fmt.Errorf("store: optimize: set analysis_limit: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: optimize: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	if _, err := tx.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("store: optimize: analyze: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'").Scan(&n); err != nil {
		return fmt.Errorf("store: optimize: look for sqlite_stat4: %w", err)
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sqlite_stat4"); err != nil {
			return fmt.Errorf("store: optimize: clear sqlite_stat4: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: optimize: commit: %w", err)
	}
	return nil
}

// ErrCheckpointBusy is returned by Checkpoint when readers or a writer kept
// the WAL checkpoint from completing.
var ErrCheckpointBusy = errors.New("store: wal checkpoint did not complete: database busy")

// Checkpoint copies the SQLite write-ahead log into the database file and
// truncates it (PRAGMA wal_checkpoint(TRUNCATE)). It is a no-op on PostgreSQL.
func Checkpoint(ctx context.Context, db *DB) error {
	if db.backend == Postgres {
		return nil
	}
	var busy, logFrames, checkpointed int64
	if err := db.writer.QueryRowContext(ctx, checkpointStatement).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("store: wal checkpoint: %w", err)
	}
	if busy != 0 {
		return ErrCheckpointBusy
	}
	return nil
}

// RegisterMetrics registers database/sql pool collectors for db: db_name
// "cairn_writer" and "cairn_reader" on SQLite, "cairn" on PostgreSQL.
func RegisterMetrics(reg prometheus.Registerer, db *DB) error {
	type pool struct {
		name string
		db   *sql.DB
	}
	pools := []pool{{metricsPrefix, db.writer}}
	if db.backend == SQLite {
		pools = []pool{
			{metricsPrefix + "_" + writerPoolName, db.writer},
			{metricsPrefix + "_" + readerPoolName, db.reader},
		}
	}
	var registered []prometheus.Collector
	for _, p := range pools {
		c := collectors.NewDBStatsCollector(p.db, p.name)
		if err := reg.Register(c); err != nil {
			for _, r := range registered {
				reg.Unregister(r)
			}
			return fmt.Errorf("store: register %s pool metrics: %w", p.name, err)
		}
		registered = append(registered, c)
	}
	if db.replica != nil {
		for _, c := range db.replica.collectors() {
			if err := reg.Register(c); err != nil {
				for _, r := range registered {
					reg.Unregister(r)
				}
				return fmt.Errorf("store: register read replica metrics: %w", err)
			}
			registered = append(registered, c)
		}
	}
	return nil
}

// Rebind rewrites '?' placeholders as $1, $2, … for PostgreSQL; on SQLite the
// query is returned unchanged. Question marks inside single-quoted strings,
// double-quoted identifiers and comments are left alone. (PostgreSQL's jsonb
// operators ?, ?| and ?& cannot be written in a query passed to Rebind.)
func (d *DB) Rebind(query string) string {
	if d.backend != Postgres {
		return query
	}
	return rebindDollar(query)
}

func rebindDollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(q, i, c)
			b.WriteString(q[i:j])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := len(q)
			if k := strings.IndexByte(q[i:], '\n'); k >= 0 {
				j = i + k + 1
			}
			b.WriteString(q[i:j])
			i = j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := len(q)
			if k := strings.Index(q[i+2:], "*/"); k >= 0 {
				j = i + 2 + k + 2
			}
			b.WriteString(q[i:j])
			i = j
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
