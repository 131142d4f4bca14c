// Package relationships holds the rules of the dependency graph's edges
// that are not about walking it (internal/graphwalk): which ends a
// relationship may have, and adding one with an answer a person can act on.
//
// The ends rule is applied to every write by the Relationship hook
// (internal/hooks); import, reconciliation and the API call it first to
// say more (the import element, the observation) than a hook can.
package relationships

import (
	"context"
	"fmt"
	"slices"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// CheckEnds is the rule for the ends of a relationship: a CI cannot depend
// on itself. The error is BAD_USER_INPUT on field "to".
func CheckEnds(from, to int) error {
	if from == to {
		return apperr.Invalid("to", "a CI cannot depend on itself (from and to are both %d)", from)
	}
	return nil
}

// Add records that CI from depends on CI to through typ, in c (a
// transaction's client, so that the checks and the write are one
// transaction). Both CIs must exist (NOT_FOUND on "from" or "to") and the
// same typed edge must not exist yet (CONFLICT on "type"); source is who
// asserts it ("record" for a person through the API).
func Add(ctx context.Context, c *ent.Client, from, to int, typ relationship.Type, description *string, source string) (*ent.Relationship, error) {
	if err := CheckEnds(from, to); err != nil {
		return nil, err
	}
	found, err := c.ConfigurationItem.Query().Where(configurationitem.IDIn(from, to)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking CIs %d and %d: %w", from, to, err)
	}
	for _, want := range []struct {
		id    int
		field string
	}{{from, "from"}, {to, "to"}} {
		if !slices.Contains(found, want.id) {
			return nil, &apperr.Error{Code: apperr.NotFound, Field: want.field, Msg: fmt.Sprintf("configuration item %d does not exist", want.id)}
		}
	}
	exists, err := c.Relationship.Query().Where(relationship.FromID(from), relationship.ToID(to), relationship.TypeEQ(typ)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking relationship: %w", err)
	}
	if exists {
		return nil, &apperr.Error{Code: apperr.Conflict, Field: "type", Msg: fmt.Sprintf("CI %d already has a %s relationship to CI %d", from, typ, to)}
	}
	r, err := c.Relationship.Create().
		SetFromID(from).SetToID(to).SetType(typ).
		SetNillableDescription(description).
		SetSource(source).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("adding relationship %d -%s-> %d: %w", from, typ, to, err)
	}
	return r, nil
}
