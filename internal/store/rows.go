package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Querier runs a raw query: an ent client (its sql/execquery feature), a
// transaction's client, or a *sql.DB.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// EachRow runs query with args on q and calls fn for every row, closing
// the rows whatever happens. Every error, the query's, fn's or the
// iteration's, is wrapped with what (e.g. "reading shared identifiers").
func EachRow(ctx context.Context, q Querier, what, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
