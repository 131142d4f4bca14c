package hooks

import (
	"context"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/hook"
	"github.com/cairn-cmdb/cairn/internal/relationships"
)

// validateRelationship applies relationships.CheckEnds when a mutation sets
// both ends, and relationships.CheckAttributes when it sets attributes.
func validateRelationship(next ent.Mutator) ent.Mutator {
	return hook.RelationshipFunc(func(ctx context.Context, m *ent.RelationshipMutation) (ent.Value, error) {
		from, ok1 := m.FromID()
		to, ok2 := m.ToID()
		if ok1 && ok2 {
			if err := relationships.CheckEnds(from, to); err != nil {
				return nil, err
			}
		}
		if attrs, ok := m.Attributes(); ok {
			if err := relationships.CheckAttributes(attrs); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}
