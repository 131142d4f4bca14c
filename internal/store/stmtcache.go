package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// maxCachedReadStatements bounds the reader's prepared-statement cache.
// ent's eager loading puts one placeholder per parent in IN lists, so the
// set of distinct statements is unbounded; once the cache is full, new
// statements run unprepared rather than evicting ones in use.
const maxCachedReadStatements = 1024

// maxCachedPlaceholders is the most parameters of a cached statement:
// longer IN lists are rarely repeated and would fill the cache.
const maxCachedPlaceholders = 64

// stmtCachingDB runs reads through prepared statements kept for the life of
// the pool: SQLite otherwise parses and plans every statement again, which
// is a third of a point lookup's cost. database/sql re-prepares a Stmt on
// each connection it lands on and keeps it there.
type stmtCachingDB struct {
	db *sql.DB

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtCachingDB(db *sql.DB) *stmtCachingDB {
	return &stmtCachingDB{db: db, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCachingDB) stmt(ctx context.Context, query string) *sql.Stmt {
	if strings.Count(query, "?") > maxCachedPlaceholders {
		return nil // a long IN list: one of a kind
	}
	c.mu.RLock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedReadStatements
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // let the unprepared path report the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[query]; ok {
		_ = st.Close()
		return old
	}
	if len(c.stmts) >= maxCachedReadStatements {
		_ = st.Close()
		return nil
	}
	c.stmts[query] = st
	return st
}

// QueryContext implements entsql.ExecQuerier.
func (c *stmtCachingDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

// ExecContext implements entsql.ExecQuerier; reads never exec, so it is
// not cached.
func (c *stmtCachingDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, query, args...)
}

// Close closes the cached statements.
func (c *stmtCachingDB) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
	return nil
}
