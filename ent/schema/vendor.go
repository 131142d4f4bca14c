package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Vendor sold or supports CIs.
type Vendor struct{ ent.Schema }

// Mixin of the Vendor.
func (Vendor) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Vendor.
func (Vendor) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Unique().
			MaxLen(255).
			Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.String("website").Optional().Nillable().Validate(validURL),
		field.String("support_email").Optional().Nillable().Validate(validEmail),
		field.String("support_phone").Optional().Nillable().MaxLen(100),
		field.String("account_number").Optional().Nillable().MaxLen(100),
		field.String("notes").Optional().Nillable().MaxLen(4000),
	}
}

// Edges of the Vendor.
func (Vendor) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("configuration_items", ConfigurationItem.Type),
		edge.To("contracts", Contract.Type),
	}
}

// Annotations of the Vendor.
func (Vendor) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
