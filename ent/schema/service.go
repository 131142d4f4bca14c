package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Service is a business or technical service: a tier, an SLO, RTO and RPO,
// a runbook, an owner, member CIs and the services it depends on.
type Service struct{ ent.Schema }

// Mixin of the Service.
func (Service) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Service.
func (Service) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Unique().
			MaxLen(255).
			Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.String("description").Optional().Nillable().MaxLen(4000),
		field.Int("tier").
			Range(0, 4).
			Default(2).
			Comment("0 is the most critical").
			Annotations(entgql.OrderField("TIER")),
		field.Float("slo_target").
			Optional().Nillable().
			Range(0, 100).
			Comment("availability objective in percent, e.g. 99.95"),
		field.Int("rto_minutes").Optional().Nillable().NonNegative(),
		field.Int("rpo_minutes").Optional().Nillable().NonNegative(),
		field.String("runbook_url").Optional().Nillable().Validate(validURL),
		field.Int("owner_id").Optional().Nillable(),
	}
}

// Edges of the Service.
func (Service) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", Owner.Type).Ref("services").Unique().Field("owner_id"),
		edge.To("members", ConfigurationItem.Type),
		edge.To("depends_on", Service.Type).From("dependents"),
		edge.To("alerts", Alert.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
		edge.From("incidents", Incident.Type).Ref("services").
			Comment("incidents that hit it").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the Service.
func (Service) Indexes() []ent.Index {
	return []ent.Index{index.Fields("owner_id")}
}

// Annotations of the Service.
func (Service) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
