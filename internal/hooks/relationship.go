package hooks

import (
	"context"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/hook"
	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// CheckRelationshipEnds is the rule for the ends of a relationship: a CI
// cannot depend on itself. The hook applies it to every write; callers that
// can say more (an import naming both references, a resolver before it
// looks the CIs up) call it first.
func CheckRelationshipEnds(from, to int) error {
	if from == to {
		return apperr.Invalid("to", "a CI cannot depend on itself (from and to are both %d)", from)
	}
	return nil
}

// validateRelationship applies CheckRelationshipEnds when a mutation sets
// both ends.
func validateRelationship(next ent.Mutator) ent.Mutator {
	return hook.RelationshipFunc(func(ctx context.Context, m *ent.RelationshipMutation) (ent.Value, error) {
		from, ok1 := m.FromID()
		to, ok2 := m.ToID()
		if ok1 && ok2 {
			if err := CheckRelationshipEnds(from, to); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}
