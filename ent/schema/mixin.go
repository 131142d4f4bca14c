package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// TimeMixin gives every entity created_at and updated_at, both orderable and
// never set through GraphQL inputs.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(time.Now).
			Immutable().
			Annotations(
				entgql.OrderField("CREATED_AT"),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
			),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			Annotations(
				entgql.OrderField("UPDATED_AT"),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
			),
	}
}

// money is an amount in integer minor units of the entity's currency. It is
// hidden from the generated GraphQL schema: the hand-written extension in
// schema/cairn.graphql exposes it as Money and takes decimal strings.
func moneyField(name, comment string) ent.Field {
	return field.Int64(name).
		Comment(comment).
		Default(0).
		NonNegative().
		Annotations(entgql.Skip(entgql.SkipAll))
}

func currency() ent.Field {
	return field.String("currency").
		Default("EUR").
		Validate(validCurrency).
		Annotations(entgql.OrderField("CURRENCY"))
}
