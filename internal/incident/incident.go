// Package incident answers the questions asked during an incident: which CI
// an identifier names (Match), what surrounds it (Context: owner, services,
// blast radius, contracts, warranty, book value, drifts, recent changes),
// what a search box should offer (Lookup), and how services and CIs hang
// together (Impact, ServiceImpact, ServiceMap, DependencyPath).
//
// Which CI an identifier names is internal/identity's rule, not this
// package's: Match and Lookup read the input with identity.Parse, fetch the
// stored identifiers identity.Keys asks for in one statement (and the
// domains of the CIs they name in one more, when the input carries a domain
// and the decision reads them), and let identity.Decide answer (rules
// IDENTIFIER and SHORT_NAME: domain-aware host names, addresses matched
// within the network scope given, values that are not identity never
// matched). Only what is not an identifier is decided here: a CI's name
// (NAME), then the start of names and host names (PREFIX), and the order in
// which several matched CIs are shown (by name).
//
// The GraphQL resolvers (package graph) and `cairn lookup` both call it.
// It knows nothing of GraphQL: where a caller wants the loaded rows shaped
// (gqlgen's field collection eager-loads the edges a query selects), it
// passes a Select callback that adapts the ent query before it runs, so
// that the number of statements does not grow with the number of rows.
package incident

import (
	"context"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// MaxImpactLimit is the largest cap a caller may ask an impact walk for,
// and the cap of the walks behind service impact and dependency paths.
const MaxImpactLimit = 100_000

// Select adapts a query before it runs, typically to eager-load what the
// caller will read. A nil Select leaves the query as it is, or, where the
// documentation says so, means the part is not wanted.
type Select[Q any] func(Q) (Q, error)

// apply runs sel on q, if there is one.
func apply[Q any](q Q, sel Select[Q]) (Q, error) {
	if sel == nil {
		return q, nil
	}
	q, err := sel(q)
	if err != nil {
		return q, fmt.Errorf("selecting fields: %w", err)
	}
	return q, nil
}

// Engine answers incident questions on one database.
type Engine struct {
	client *ent.Client
	db     *store.DB
	walker *graphwalk.Walker
}

// New returns an Engine reading through c, with walks on db.
func New(c *ent.Client, db *store.DB) *Engine {
	return &Engine{client: c, db: db, walker: graphwalk.New(db)}
}

// LoadCIs loads CIs by ID, shaped by sel, keyed by ID. IDs of CIs that do
// not exist are missing from the map.
func (e *Engine) LoadCIs(ctx context.Context, ids []int, sel Select[*ent.ConfigurationItemQuery]) (map[int]*ent.ConfigurationItem, error) {
	out := make(map[int]*ent.ConfigurationItem, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q, err := apply(e.client.ConfigurationItem.Query().Where(predicate.ConfigurationItem(e.idsIn(configurationitem.FieldID, ids))), sel)
	if err != nil {
		return nil, err
	}
	cis, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading CIs: %w", err)
	}
	for _, c := range cis {
		out[c.ID] = c
	}
	return out, nil
}

// idsIn is the condition "column IN ids" as one parameter, so that the
// statement text does not change with the number of IDs and its prepared
// form is reused: json_each on SQLite, an array on PostgreSQL.
func (e *Engine) idsIn(column string, ids []int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			if e.db.Backend() == store.Postgres {
				b.Ident(s.C(column)).WriteString(" = ANY(").Arg(graphwalk.PGArray(ids)).WriteString("::bigint[])")
				return
			}
			list, _ := json.Marshal(ids)
			b.Ident(s.C(column)).WriteString(" IN (SELECT value FROM json_each(").Arg(string(list)).WriteString("))")
		}))
	}
}

// prefixFold is "column starts with prefix", case-insensitively.
func prefixFold(column, prefix string) predicate.ConfigurationItem {
	return predicate.ConfigurationItem(func(s *sql.Selector) {
		s.Where(sql.HasPrefixFold(s.C(column), prefix))
	})
}
