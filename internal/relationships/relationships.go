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

// Limits of a relationship's attributes: at most MaxAttributes, keys 1 to
// MaxAttributeLen bytes, values at most MaxAttributeLen bytes (the same as
// discovery.MaxRelationshipAttributes and discovery.MaxAttributeLen).
const (
	MaxAttributes   = 16
	MaxAttributeLen = 256
)

// CheckAttributes is the rule for a relationship's attributes: at most
// MaxAttributes, each key 1 to MaxAttributeLen bytes and each value at most
// MaxAttributeLen bytes. The error is BAD_USER_INPUT on field "attributes",
// naming the key.
func CheckAttributes(attrs map[string]string) error {
	if len(attrs) > MaxAttributes {
		return apperr.Invalid("attributes", "a relationship has at most %d attributes, not %d", MaxAttributes, len(attrs))
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" || len(k) > MaxAttributeLen {
			return apperr.Invalid("attributes", "attribute key %.40q: keys are 1 to %d bytes", k, MaxAttributeLen)
		}
		if len(attrs[k]) > MaxAttributeLen {
			return apperr.Invalid("attributes", "attribute %q: values are at most %d bytes, not %d", k, MaxAttributeLen, len(attrs[k]))
		}
	}
	return nil
}

// Add records that CI from depends on CI to through typ, in c (a
// transaction's client, so that the checks and the write are one
// transaction), with attributes attrs (may be nil; CheckAttributes). Both CIs must exist (NOT_FOUND on "from" or "to") and the
// same typed edge must not exist yet (CONFLICT on "type"); source is who
// asserts it ("record" for a person through the API).
func Add(ctx context.Context, c *ent.Client, from, to int, typ relationship.Type, description *string, attrs map[string]string, source string) (*ent.Relationship, error) {
	if err := CheckEnds(from, to); err != nil {
		return nil, err
	}
	if err := CheckAttributes(attrs); err != nil {
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
	create := c.Relationship.Create().
		SetFromID(from).SetToID(to).SetType(typ).
		SetNillableDescription(description).
		SetSource(source)
	if len(attrs) > 0 {
		create.SetAttributes(attrs)
	}
	r, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("adding relationship %d -%s-> %d: %w", from, typ, to, err)
	}
	return r, nil
}
