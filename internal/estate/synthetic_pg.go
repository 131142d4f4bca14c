package estate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL path of the synthetic seed: the same rows as the INSERT
// path (the seedRun code that makes them is shared; only the inserter's
// flush differs), written with COPY (pgx CopyFrom, binary format) on the
// connection that holds the seed's one transaction, so that a failed seed
// leaves nothing behind.
//
// Making rows (Go) and storing them (PostgreSQL: index and foreign-key
// upkeep) each take about half of the time, so they overlap: a full batch
// goes to a queue that one goroutine copies from, in order, while the seed
// goes on making the next batch. Order matters for foreign keys: a table's
// parents are queued before it (inserter.parents), and one worker copies
// the batches in the order they were queued.

// copyBatchRows is the number of rows per COPY statement.
const copyBatchRows = 20000

// copyQueueDepth is the number of full batches waiting for the worker
// before the seed blocks (bounds memory: a batch is at most a few MiB).
const copyQueueDepth = 2

// copyJob is one batch of rows of one table, args flattened row by row.
type copyJob struct {
	table string
	cols  []string
	args  []any
	rows  int
}

// copyQueue copies batches on conn, one at a time, in order.
type copyQueue struct {
	ctx  context.Context
	conn *sql.Conn
	jobs chan copyJob
	done chan struct{}

	mu       sync.Mutex
	err      error // the first failure; later batches are dropped
	reported bool  // err was returned to the seed once
	closed   bool
}

// pgxConner is what the pgx database/sql driver's connection
// (*stdlib.Conn) offers: the *pgx.Conn under it.
type pgxConner interface{ Conn() *pgx.Conn }

// beginCopy takes one connection of the writer pool, starts the seed's
// transaction on it and starts the copy worker. release returns the
// connection to the pool (after the transaction ended).
func (s *seeder) beginCopy() (release func(), err error) {
	conn, err := s.st.Writer().Conn(s.ctx)
	if err != nil {
		return nil, fmt.Errorf("taking a PostgreSQL connection for the synthetic seed: %w", err)
	}
	// Fail early, before any row is made, when the driver is not pgx.
	if err := conn.Raw(func(dc any) error {
		if _, ok := dc.(pgxConner); !ok {
			return fmt.Errorf("the PostgreSQL driver connection is a %T, not pgx's: COPY needs pgx", dc)
		}
		return nil
	}); err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	tx, err := conn.BeginTx(s.ctx, nil)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting transaction: %w", err), conn.Close())
	}
	s.tx = tx
	q := &copyQueue{ctx: s.ctx, conn: conn, jobs: make(chan copyJob, copyQueueDepth), done: make(chan struct{})}
	go q.run()
	s.copies = q
	return func() { _ = s.waitCopies(); _ = conn.Close() }, nil
}

// waitCopies waits until every queued batch is copied (or dropped after a
// failure) and stops the worker; it returns the first failure unless
// send already returned it. It does nothing on the INSERT path.
func (s *seeder) waitCopies() error {
	q := s.copies
	if q == nil {
		return nil
	}
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
	q.mu.Unlock()
	<-q.done
	return q.failure()
}

// failure returns the first failure if it has not been returned yet.
func (q *copyQueue) failure() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil || q.reported {
		return nil
	}
	q.reported = true
	return q.err
}

// send queues a batch; it returns the worker's first failure instead,
// if there was one, so that the seed stops making rows.
func (q *copyQueue) send(j copyJob) error {
	if err := q.failure(); err != nil {
		return err
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return fmt.Errorf("copying into %s: the copy queue is closed", j.table)
	}
	select {
	case q.jobs <- j:
		return nil
	case <-q.ctx.Done():
		return fmt.Errorf("copying into %s: %w", j.table, q.ctx.Err())
	}
}

func (q *copyQueue) run() {
	defer close(q.done)
	for j := range q.jobs {
		q.mu.Lock()
		failed := q.err != nil
		q.mu.Unlock()
		if failed {
			continue
		}
		if err := q.copy(j); err != nil {
			q.mu.Lock()
			q.err = err
			q.mu.Unlock()
		}
	}
}

// copy runs one COPY of a batch on the transaction's connection.
func (q *copyQueue) copy(j copyJob) error {
	nc := len(j.cols)
	src := pgx.CopyFromSlice(j.rows, func(i int) ([]any, error) { return j.args[i*nc : (i+1)*nc], nil })
	return q.conn.Raw(func(dc any) error {
		pc, ok := dc.(pgxConner)
		if !ok {
			return fmt.Errorf("copying into %s: the driver connection is a %T, not pgx's", j.table, dc)
		}
		n, err := pc.Conn().CopyFrom(q.ctx, pgx.Identifier{j.table}, j.cols, src)
		if err != nil {
			return fmt.Errorf("copying %d rows into %s: %w", j.rows, j.table, err)
		}
		if n != int64(j.rows) {
			return fmt.Errorf("copying into %s: %d rows copied, want %d", j.table, n, j.rows)
		}
		return nil
	})
}

// bulkTables are the tables a fresh seed fills with many rows: their
// secondary indexes and foreign keys are dropped while COPY fills them and
// made again after, in the same transaction (see dropForBulk).
var bulkTables = []string{"configuration_items", "identifiers", "relationships", "service_members", "assets", "audit_events"}

// bulkMaintenanceWorkMem is maintenance_work_mem while the indexes are
// built again (SET LOCAL: for the seed's transaction only).
const bulkMaintenanceWorkMem = "256MB"

// dropForBulk, on PostgreSQL when the estate is new (no CIs yet), drops the
// foreign keys and the secondary indexes (those that back no primary-key or
// unique constraint) of bulkTables, and remembers their definitions for
// rebuildAfterBulk. Checking a foreign key row by row costs more than
// writing the row; building an index once over sorted keys costs a
// fraction of inserting each key, so this is how pg_restore loads too.
// The drops hold their tables' locks until the transaction ends: other
// sessions wait on them while the seed runs, and a failed seed rolls the
// drops back with the rows. A seed that adds to an estate (Force) keeps
// them: its tables hold rows already.
func (r *seedRun) dropForBulk() error {
	s := r.s
	if s.copies == nil || r.offset > 0 {
		return nil
	}
	// Foreign keys first (they may rest on an index), then indexes.
	const q = `
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)), 1
  FROM pg_constraint c
 WHERE c.contype = 'f' AND c.conrelid IN (SELECT to_regclass(quote_ident(t)) FROM unnest($1::text[]) t)
UNION ALL
SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 2
  FROM pg_index i
 WHERE i.indrelid IN (SELECT to_regclass(quote_ident(t)) FROM unnest($1::text[]) t)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
 ORDER BY 3, 1`
	rows, err := s.tx.QueryContext(s.ctx, q, bulkTables)
	if err != nil {
		return fmt.Errorf("reading the indexes and foreign keys of the seeded tables: %w", err)
	}
	var drops []string
	for rows.Next() {
		var drop, create string
		var order int
		if err := rows.Scan(&drop, &create, &order); err != nil {
			return errors.Join(fmt.Errorf("reading the indexes and foreign keys of the seeded tables: %w", err), rows.Close())
		}
		drops = append(drops, drop)
		if order == 1 {
			r.rebuildFKs = append(r.rebuildFKs, create)
		} else {
			r.rebuildIndexes = append(r.rebuildIndexes, create)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("reading the indexes and foreign keys of the seeded tables: %w", err)
	}
	for _, d := range drops {
		if _, err := s.tx.ExecContext(s.ctx, d); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return nil
}

// rebuildAfterBulk makes the indexes, then the foreign keys, that
// dropForBulk dropped (each foreign key is checked over all rows at once).
func (r *seedRun) rebuildAfterBulk() error {
	s := r.s
	if len(r.rebuildIndexes)+len(r.rebuildFKs) == 0 {
		return nil
	}
	if _, err := s.tx.ExecContext(s.ctx, "SET LOCAL maintenance_work_mem = '"+bulkMaintenanceWorkMem+"'"); err != nil {
		return fmt.Errorf("setting maintenance_work_mem for the index builds: %w", err)
	}
	for _, c := range slices.Concat(r.rebuildIndexes, r.rebuildFKs) {
		if _, err := s.tx.ExecContext(s.ctx, c); err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
	}
	return nil
}
