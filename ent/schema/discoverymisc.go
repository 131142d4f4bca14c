package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// DriftIgnoreRule silences drifts that match it, like driftctl's
// .driftignore: by CI kind, tag, field pattern, drift kind and job. Empty
// criteria match everything; a rule with no criteria at all is refused.
type DriftIgnoreRule struct{ ent.Schema }

// Mixin of the DriftIgnoreRule.
func (DriftIgnoreRule) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the DriftIgnoreRule.
func (DriftIgnoreRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().MaxLen(100).Validate(notBlank).Annotations(entgql.OrderField("NAME")),
		field.String("ci_kind").Optional().Nillable().MaxLen(50).Comment("a ConfigurationItemKind value"),
		field.String("tag").Optional().Nillable().MaxLen(255).Comment("CIs carrying this tag"),
		field.String("field_pattern").Optional().Nillable().MaxLen(255).Comment("glob over drift fields, such as facts.port.* "),
		field.String("drift_kind").Optional().Nillable().MaxLen(50).Comment("a DriftKind value"),
		field.String("job_name").Optional().Nillable().MaxLen(100),
		field.Bool("enabled").Default(true),
		field.String("note").Optional().Nillable().MaxLen(4000),
	}
}

// Annotations of the DriftIgnoreRule.
func (DriftIgnoreRule) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// Lease is a named, expiring lock held by one process: at most one run of a
// scheduled job at a time across processes sharing a database.
type Lease struct{ ent.Schema }

// Fields of the Lease.
func (Lease) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().MaxLen(200),
		field.String("holder").MaxLen(200),
		field.Time("expires_at"),
		field.Time("acquired_at").Default(time.Now),
	}
}

// Annotations of the Lease.
func (Lease) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll), entsql.Annotation{Table: "leases"}}
}

// Sighting records when a discovery job last saw a CI and how many of its
// complete runs in a row have missed it since. It defines the job's scope
// for missing-CI detection.
type Sighting struct{ ent.Schema }

// Fields of the Sighting.
func (Sighting) Fields() []ent.Field {
	return []ent.Field{
		field.Int("discovery_job_id"),
		field.Int("configuration_item_id"),
		field.Time("last_seen_at"),
		field.Int("last_run_id"),
		field.Int("missed_runs").Default(0),
		field.String("matched_by").
			Optional().
			MaxLen(300).
			Comment("the identifier that identified the CI in the job's last run, as KIND value; empty when the job created the CI"),
	}
}

// Edges of the Sighting.
func (Sighting) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("job", DiscoveryJob.Type).Ref("sightings").Unique().Required().Field("discovery_job_id"),
		edge.From("configuration_item", ConfigurationItem.Type).Ref("sightings").Unique().Required().Field("configuration_item_id"),
	}
}

// Indexes of the Sighting.
func (Sighting) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("discovery_job_id", "configuration_item_id").Unique(),
		index.Fields("configuration_item_id"),
	}
}

// Annotations of the Sighting.
func (Sighting) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
