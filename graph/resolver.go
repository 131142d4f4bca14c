package graph

import (
	"context"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// DefaultPageSize is what a connection returns when asked for neither first
// nor last; MaxPageSize is the most it ever returns.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Resolver is the root resolver. Resolvers stay thin: queries paginate
// through ent, mutations write through ent.FromContext (the transaction of
// entgql.Transactioner) so the hooks validate and audit every write.
type Resolver struct {
	client *ent.Client
	store  *store.DB
	authn  *auth.Authenticator
	// jobs is nil on servers without discovery.
	jobs *discoveryjobs.Service
	// reports is nil on servers that do not run report schedules.
	reports *reportschedules.Service
	// alerts is nil on servers without alert intake.
	alerts *alerts.Service
}

// NewResolver returns the root resolver.
func NewResolver(c *ent.Client, st *store.DB, authn *auth.Authenticator) *Resolver {
	return &Resolver{client: c, store: st, authn: authn}
}

// page applies the default page size when neither first nor last is given.
func page(first, last *int) (*int, *int) {
	if first == nil && last == nil {
		n := DefaultPageSize
		return &n, nil
	}
	return first, last
}

// tx is the mutation's transactional client.
func (r *Resolver) tx(ctx context.Context) *ent.Client {
	return txn.Client(ctx, r.client)
}
