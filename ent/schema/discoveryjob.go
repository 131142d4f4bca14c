package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/privacy"
)

// DiscoveryJob is a persisted discovery definition: a source kind with its
// settings, credentials, schedule, scope and mode. Reading and writing jobs
// is for admins only; credentials are write-only.
type DiscoveryJob struct{ ent.Schema }

// Mixin of the DiscoveryJob.
func (DiscoveryJob) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the DiscoveryJob.
func (DiscoveryJob) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().MaxLen(100).Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.String("source_kind").MaxLen(50).Validate(notBlank).
			Annotations(entgql.OrderField("SOURCE_KIND")),
		field.JSON("config", map[string]any{}).Optional().
			Comment("the source's settings; validated against the source's config type").
			Annotations(entgql.Type("Map")),
		field.Bytes("credentials_sealed").Optional().Nillable().Sensitive().
			Comment("credentials, AES-256-GCM sealed with the server's secret key; never returned").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("schedule").Optional().MaxLen(200).
			Comment("cron spec with optional seconds; empty: run on demand only"),
		field.String("time_zone").Default("UTC").MaxLen(64),
		field.JSON("scope", schematype.DiscoveryScope{}).Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("mode").NamedValues("Report", "REPORT", "Update", "UPDATE").Default("REPORT").
			Annotations(entgql.Type("DiscoveryMode")),
		field.String("network_scope").
			Optional().
			Nillable().
			MaxLen(255).
			Comment("the network domain (site, VRF, VPC, datacenter) of the private addresses this job observes; null is global"),
		field.Int("max_missing_percent").
			Default(50).
			Min(0).
			Max(100).
			Comment("a complete run that would mark more than this share (percent) of the job's CIs missing is held as PARTIAL and says why, instead of concluding they are gone (a scan that silently saw nothing); 0 turns the guard off"),
		field.Int("timeout_seconds").Default(600).Min(1).Max(86400),
		field.Bool("enabled").Default(true),
		field.Bool("create_unregistered").Default(false).
			Comment("create unseen things as CIs with status DISCOVERED"),
		field.Int("missing_grace").Default(1).Min(1).Max(1000).
			Comment("complete runs a CI must be unseen before a missing drift opens"),
		field.Int("retire_after").Default(0).Min(0).Max(1000).
			Comment("further complete runs missing before the CI is retired; 0 = never"),
		field.Int("priority").Default(50).Min(0).Max(1000).
			Comment("precedence of this job's values over other writers' (people count 100)"),
		field.JSON("field_priorities", map[string]int{}).Optional().
			Comment("per-field precedence overrides: field or fact pattern → priority").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("stale_after_hours").Default(0).Min(0).
			Comment("after this long without this job reporting a field it set, lower-priority sources may take it over; 0 = never"),
		field.Time("last_run_at").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Edges of the DiscoveryJob.
func (DiscoveryJob) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("runs", DiscoveryRun.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("drifts", Drift.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
		edge.To("sightings", Sighting.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the DiscoveryJob.
func (DiscoveryJob) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}

// Policy of the DiscoveryJob: for admins, save its public fields
// (internal/privacy).
func (DiscoveryJob) Policy() ent.Policy { return privacy.EntityPolicy("DiscoveryJob") }

// DiscoveryRun is one execution of a discovery job, or a one-off run from a
// file.
type DiscoveryRun struct{ ent.Schema }

// Fields of the DiscoveryRun.
func (DiscoveryRun) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").
			NamedValues(
				"Running", "RUNNING",
				"Succeeded", "SUCCEEDED",
				"Partial", "PARTIAL",
				"Failed", "FAILED",
				"TimedOut", "TIMED_OUT",
				"Cancelled", "CANCELLED",
			).
			Default("RUNNING").
			Annotations(entgql.OrderField("STATUS")),
		field.String("source_kind").MaxLen(50),
		field.String("trigger").Default("manual").MaxLen(20).Comment("schedule, manual or cli"),
		field.Bool("dry_run").Default(false),
		field.Time("started_at").Annotations(entgql.OrderField("STARTED_AT")),
		field.Time("finished_at").Optional().Nillable().Annotations(entgql.OrderField("FINISHED_AT")),
		field.JSON("counts", schematype.RunCounts{}).Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("error").Optional().Nillable().MaxLen(4000),
		field.JSON("host_errors", map[string]string{}).Optional().Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("changes", []schematype.PlannedChange{}).Optional().
			Comment("what the run did (or, dry, would do), the first 1,000 changes").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("log").Optional().MaxLen(16000).Comment("log excerpt"),
		field.String("holder").Optional().Comment("the process that ran it"),
		field.Int("discovery_job_id").Optional().Nillable(),
	}
}

// Edges of the DiscoveryRun.
func (DiscoveryRun) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("job", DiscoveryJob.Type).Ref("runs").Unique().Field("discovery_job_id"),
		edge.To("drifts", Drift.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the DiscoveryRun.
func (DiscoveryRun) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}

// Policy of the DiscoveryRun: for admins, save its public fields
// (internal/privacy).
func (DiscoveryRun) Policy() ent.Policy { return privacy.EntityPolicy("DiscoveryRun") }
