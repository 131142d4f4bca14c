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

// ChangeRecord is a change, approved or not, with a window and the CIs it
// covers. Drift on a CI inside an approved window is authorised.
type ChangeRecord struct{ ent.Schema }

// Mixin of the ChangeRecord.
func (ChangeRecord) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the ChangeRecord.
func (ChangeRecord) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").
			Unique().
			MaxLen(100).
			Validate(notBlank).
			Annotations(entgql.OrderField("NUMBER")),
		field.String("title").MaxLen(500).Validate(notBlank),
		field.String("description").Optional().Nillable().MaxLen(8000),
		field.Enum("status").
			NamedValues(
				"Draft", "DRAFT",
				"Requested", "REQUESTED",
				"Approved", "APPROVED",
				"InProgress", "IN_PROGRESS",
				"Implemented", "IMPLEMENTED",
				"Rejected", "REJECTED",
				"Cancelled", "CANCELLED",
			).
			Default("REQUESTED").
			Annotations(entgql.OrderField("STATUS")),
		field.Time("window_start").Annotations(entgql.OrderField("WINDOW_START")),
		field.Time("window_end").Annotations(entgql.OrderField("WINDOW_END")),
		field.String("requester").MaxLen(255).Validate(notBlank),
		field.String("approver").Optional().Nillable().MaxLen(255),
		field.Enum("outcome").
			NamedValues("Successful", "SUCCESSFUL", "Failed", "FAILED", "RolledBack", "ROLLED_BACK").
			Optional().Nillable().
			Comment("how the change went, for the change success rate"),
	}
}

// Edges of the ChangeRecord.
func (ChangeRecord) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("configuration_items", ConfigurationItem.Type),
		edge.To("suppressed_alerts", Alert.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
		edge.To("caused_incidents", Incident.Type).
			Comment("incidents people linked to this change as their cause").
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the ChangeRecord.
func (ChangeRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("window_start", "window_end")}
}

// Annotations of the ChangeRecord.
func (ChangeRecord) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
