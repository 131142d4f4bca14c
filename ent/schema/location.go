package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Location is a site, building, room, rack or cloud region, in a tree.
type Location struct{ ent.Schema }

// Mixin of the Location.
func (Location) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Location.
func (Location) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			MaxLen(255).
			Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").
			NamedValues(
				"Site", "SITE",
				"Building", "BUILDING",
				"Room", "ROOM",
				"Rack", "RACK",
				"CloudRegion", "CLOUD_REGION",
			).
			Annotations(entgql.OrderField("KIND")),
		field.String("address").Optional().Nillable().MaxLen(1000),
		field.String("provider").Optional().Nillable().MaxLen(100).Comment("cloud provider for CLOUD_REGION: aws, gcp, azure, …"),
		field.String("region").Optional().Nillable().MaxLen(100).Comment("cloud region code, e.g. eu-west-1"),
		field.Int("parent_id").Optional().Nillable(),
	}
}

// Edges of the Location.
func (Location) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Location.Type).From("parent").Unique().Field("parent_id"),
		edge.To("configuration_items", ConfigurationItem.Type),
	}
}

// Indexes of the Location.
func (Location) Indexes() []ent.Index {
	return []ent.Index{index.Fields("parent_id", "name").Unique(), index.Fields("name")}
}

// Annotations of the Location.
func (Location) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
