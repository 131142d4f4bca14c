package txn

import (
	"context"

	"github.com/cairn-cmdb/cairn/ent"
)

// AfterCommit runs fn once the transaction of ctx (ent.TxFromContext, the
// one entgql.Transactioner opens for a mutation) has committed, and never
// when it rolls back or fails to commit. Outside a transaction fn runs at
// once, so call AfterCommit after the work it follows: a caller that ran
// its own transaction (Do) has committed by then.
//
// fn gets a context that the request's end does not cancel: a commit is
// often the request's last act. A nil fn does nothing.
func AfterCommit(ctx context.Context, fn func(context.Context)) {
	if fn == nil {
		return
	}
	bg := context.WithoutCancel(ctx)
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		fn(bg)
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			fn(bg)
			return nil
		})
	})
}

// Client is the client of the transaction ctx carries (a GraphQL mutation's,
// see ent.FromContext), or c when it carries none: work done through it
// joins the caller's transaction.
func Client(ctx context.Context, c *ent.Client) *ent.Client {
	if tc := ent.FromContext(ctx); tc != nil {
		return tc
	}
	return c
}
