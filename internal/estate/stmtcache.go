package estate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/hooks"
)

// BulkClient returns an ent client over db's driver whose transactions
// prepare each distinct statement once and reuse it. A bulk import issues
// the same few INSERT statements tens of thousands of times; without the
// cache SQLite parses and plans every one of them again, which is a third of
// the import time. The client has the same hooks as every other write path
// (hooks.Register), so validation and audit are unchanged.
func BulkClient(db *app.DB) *ent.Client {
	c := ent.NewClient(ent.Driver(cachingDriver{db.Store.Driver()}))
	hooks.Register(c)
	return c
}

type cachingDriver struct{ dialect.Driver }

// Tx starts a transaction whose statements are prepared once.
func (d cachingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	t, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	et, ok := t.(*entsql.Tx)
	if !ok {
		return t, nil
	}
	stx, ok := et.ExecQuerier.(*sql.Tx)
	if !ok {
		return t, nil
	}
	return &entsql.Tx{Conn: entsql.Conn{ExecQuerier: &stmtCache{tx: stx, stmts: map[string]*sql.Stmt{}}}, Tx: stx}, nil
}

// stmtCache runs statements of one transaction through prepared statements;
// they are closed when the transaction ends.
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

const maxCachedStatements = 256

func (s *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	if len(s.stmts) >= maxCachedStatements {
		var errs []error
		for q, st := range s.stmts {
			errs = append(errs, st.Close())
			delete(s.stmts, q)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("closing cached statements: %w", err)
		}
	}
	st, err := s.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

func (s *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (s *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
