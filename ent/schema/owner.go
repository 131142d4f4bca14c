package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Owner is a team or a person, with e-mail, on-call contact and escalation.
// Persons belong to teams.
type Owner struct{ ent.Schema }

// Mixin of the Owner.
func (Owner) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Owner.
func (Owner) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Unique().
			MaxLen(255).
			Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").
			NamedValues("Team", "TEAM", "Person", "PERSON").
			Annotations(entgql.OrderField("KIND")),
		field.String("email").Optional().Nillable().Validate(validEmail),
		field.String("oncall_contact").
			Optional().Nillable().MaxLen(500).
			Comment("pager, phone or rota URL to reach whoever is on call"),
		field.String("escalation").
			Optional().Nillable().MaxLen(2000).
			Comment("who to escalate to and when"),
		field.String("chat_channel").Optional().Nillable().MaxLen(255),
		field.Int("team_id").Optional().Nillable(),
	}
}

// Edges of the Owner.
func (Owner) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("members", Owner.Type).From("team").Unique().Field("team_id"),
		edge.To("configuration_items", ConfigurationItem.Type),
		edge.To("services", Service.Type),
	}
}

// Indexes of the Owner.
func (Owner) Indexes() []ent.Index {
	return []ent.Index{index.Fields("team_id")}
}

// Annotations of the Owner.
func (Owner) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
