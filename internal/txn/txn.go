// Package txn runs ent work in one transaction, joining the caller's
// transaction when there is one (a GraphQL mutation already runs in the
// transaction entgql.Transactioner opened: opening a second would wait
// forever for SQLite's single writer connection).
package txn

import (
	"context"
	"errors"
	"fmt"

	"github.com/cairn-cmdb/cairn/ent"
)

// Do runs fn in a transaction of c and commits, or rolls back on error. When
// c already belongs to a transaction, fn runs in it and the caller commits.
func Do(ctx context.Context, c *ent.Client, fn func(tx *ent.Client) error) error {
	tx, err := c.Tx(ctx)
	if errors.Is(err, ent.ErrTxStarted) {
		return fn(c)
	}
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	if err := fn(tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rolling back: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}
