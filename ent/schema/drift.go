package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Drift is a difference between the record and what discovery observed.
// One open drift per (CI, kind, field): re-detection updates it.
type Drift struct{ ent.Schema }

// Mixin of the Drift.
func (Drift) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Drift.
func (Drift) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").
			NamedValues(
				"AttributeChanged", "ATTRIBUTE_CHANGED",
				"Missing", "MISSING",
				"Unregistered", "UNREGISTERED",
				"RelationshipChanged", "RELATIONSHIP_CHANGED",
				"Ambiguous", "AMBIGUOUS",
			).
			Annotations(entgql.OrderField("KIND")),
		field.Enum("status").
			NamedValues(
				"Open", "OPEN",
				"Acknowledged", "ACKNOWLEDGED",
				"Resolved", "RESOLVED",
				"Accepted", "ACCEPTED",
				"Ignored", "IGNORED",
			).
			Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		field.Bool("authorized").Default(false),
		field.String("field_name").Optional().Nillable().MaxLen(1000).
			Comment("the CI field that differs; GraphQL shows it as Drift.field").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("recorded").Optional().Nillable().Comment("the record's value, as JSON text"),
		field.String("observed").Optional().Nillable().Comment("the observed value, as JSON text"),
		field.Time("first_seen_at").Default(time.Now).Annotations(entgql.OrderField("FIRST_SEEN_AT")),
		field.Time("last_seen_at").Default(time.Now).Annotations(entgql.OrderField("LAST_SEEN_AT")),
		field.Time("resolved_at").Optional().Nillable(),
		field.String("note").Optional().Nillable().MaxLen(4000),
		field.String("source").Optional().Nillable().Comment("discovery:<job> that saw it"),
		field.String("observation_key").Optional().Nillable().MaxLen(1000).
			Comment("what the source called the observed thing; for drifts without a CI"),
		field.String("identity").Optional().Nillable().MaxLen(1000).
			Comment("the strongest identifier of an unregistered or ambiguous observation, KIND:value"),
		field.String("acknowledged_by").Optional().Nillable(),
		field.Time("acknowledged_at").Optional().Nillable(),
		field.String("ignored_by").Optional().Nillable().Comment("the ignore rule that matched"),
		field.Int("configuration_item_id").Optional().Nillable(),
		field.Int("discovery_job_id").Optional().Nillable(),
		field.Int("run_id").Optional().Nillable().Comment("the last run that saw it"),
	}
}

// Edges of the Drift.
func (Drift) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("configuration_item", ConfigurationItem.Type).
			Ref("drifts").
			Field("configuration_item_id").
			Unique(),
		edge.From("job", DiscoveryJob.Type).Ref("drifts").Field("discovery_job_id").Unique(),
		edge.From("run", DiscoveryRun.Type).Ref("drifts").Field("run_id").Unique(),
	}
}

// Indexes of the Drift.
func (Drift) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("configuration_item_id", "status"),
		index.Fields("status", "last_seen_at"),
		index.Fields("configuration_item_id", "kind", "field_name"),
		index.Fields("discovery_job_id", "status"),
		index.Fields("identity"),
	}
}

// Annotations of the Drift.
func (Drift) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}
