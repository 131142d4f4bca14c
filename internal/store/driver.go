package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// sqliteDriver is the ent driver for SQLite: read-only Query statements go to
// the reader pool, everything else to the single-connection writer pool.
type sqliteDriver struct {
	w     *entsql.Driver
	r     *entsql.Driver
	rq    *entsql.Driver // reads through the prepared-statement cache
	cache *stmtCachingDB
}

var (
	_ dialect.Driver = (*sqliteDriver)(nil)
	_ interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	} = (*sqliteDriver)(nil)
)

func newSQLiteDriver(writer, reader *sql.DB) *sqliteDriver {
	cache := newStmtCachingDB(reader)
	return &sqliteDriver{
		w:     entsql.OpenDB(dialect.SQLite, writer),
		r:     entsql.OpenDB(dialect.SQLite, reader),
		rq:    entsql.NewDriver(dialect.SQLite, entsql.Conn{ExecQuerier: cache}),
		cache: cache,
	}
}

// Exec runs a statement on the writer.
func (d *sqliteDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.w.Exec(ctx, query, args, v)
}

// Query runs a read-only statement on a reader and anything else (INSERT …
// RETURNING, PRAGMA, …) on the writer. ent issues INSERT … RETURNING through
// Query outside transactions, so routing on the statement text is required.
func (d *sqliteDriver) Query(ctx context.Context, query string, args, v any) error {
	if readOnlyQuery(query) {
		return d.rq.Query(ctx, query, args, v)
	}
	return d.w.Query(ctx, query, args, v)
}

// ExecContext runs a statement on the writer (used by ent's sql/execquery feature).
func (d *sqliteDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.w.ExecContext(ctx, query, args...)
}

// QueryContext routes like Query (used by ent's sql/execquery feature).
func (d *sqliteDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if readOnlyQuery(query) {
		return d.rq.QueryContext(ctx, query, args...)
	}
	return d.w.QueryContext(ctx, query, args...)
}

// Tx starts a write transaction (BEGIN IMMEDIATE) on the writer.
func (d *sqliteDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.w.BeginTx(ctx, nil)
}

// BeginTx starts a transaction. Read-only transactions run on a reader (a
// consistent snapshot that does not hold the writer); all others on the writer.
func (d *sqliteDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if opts != nil && opts.ReadOnly {
		return d.r.BeginTx(ctx, opts)
	}
	return d.w.BeginTx(ctx, opts)
}

// Close closes both pools.
func (d *sqliteDriver) Close() error {
	return errors.Join(d.cache.Close(), d.r.Close(), d.w.Close())
}

// Dialect returns dialect.SQLite.
func (d *sqliteDriver) Dialect() string { return dialect.SQLite }

// readOnlyQuery reports whether a SQLite statement can run on a query_only
// connection. It is conservative: anything it cannot prove read-only (INSERT,
// PRAGMA, a WITH that mentions a write keyword, …) goes to the writer, which
// is always correct, only slower.
func readOnlyQuery(query string) bool {
	toks := sqlWords(query)
	if len(toks) == 0 {
		return false
	}
	switch toks[0] {
	case "SELECT", "VALUES", "EXPLAIN":
		return true
	case "WITH":
		for _, t := range toks[1:] {
			switch t {
			case "INSERT", "UPDATE", "DELETE", "REPLACE":
				return false
			}
		}
		return true
	}
	return false
}

// sqlWords returns the upper-cased bare keywords and identifiers of a
// statement, skipping string literals, quoted identifiers and comments.
func sqlWords(q string) []string {
	var words []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(q, i, c)
		case c == '[':
			if j := strings.IndexByte(q[i:], ']'); j >= 0 {
				i += j + 1
			} else {
				i = len(q)
			}
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(q)
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				i = len(q)
			}
		case isWordStart(c):
			j := i + 1
			for j < len(q) && isWordPart(q[j]) {
				j++
			}
			words = append(words, strings.ToUpper(q[i:j]))
			i = j
		default:
			i++
		}
	}
	return words
}

// skipQuoted returns the index just past the quoted run starting at q[i]
// (doubled quote characters are escapes).
func skipQuoted(q string, i int, quote byte) int {
	for j := i + 1; j < len(q); j++ {
		if q[j] == quote {
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isWordPart(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9') || c == '$'
}
