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

// ReportSchedule is a scheduled drift and CMDB-health report: what, when,
// in which formats, and where it goes. Admins only.
type ReportSchedule struct{ ent.Schema }

// Mixin of the ReportSchedule.
func (ReportSchedule) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the ReportSchedule.
func (ReportSchedule) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().MaxLen(100).Validate(notBlank).Annotations(entgql.OrderField("NAME")),
		field.String("schedule").MaxLen(200).Comment("cron spec with optional seconds"),
		field.String("time_zone").Default("UTC").MaxLen(64),
		field.JSON("scope", schematype.ReportScope{}).Optional().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("window_hours").Default(0).Min(0).Max(24 * 366).
			Comment("the report covers this many hours before the run; 0 = since the schedule's last run (24 hours the first time)"),
		field.Strings("formats").Comment("markdown, html, json, csv"),
		field.String("directory").Optional().MaxLen(1000).Comment("write reports here (atomically, dated names)"),
		field.Int("retain").Default(30).Min(1).Max(10000).Comment("reports of each format kept in the directory"),
		field.JSON("webhooks", []schematype.WebhookDestination{}).Optional().Sensitive().
			Comment("POST JSON; secrets sealed").Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("enabled").Default(true),
		field.Time("last_run_at").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Edges of the ReportSchedule.
func (ReportSchedule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("runs", ReportRun.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Annotations of the ReportSchedule.
func (ReportSchedule) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}

// Policy of the ReportSchedule: for admins only (internal/privacy).
func (ReportSchedule) Policy() ent.Policy { return privacy.EntityPolicy("ReportSchedule") }

// ReportRun is one run of a report schedule.
type ReportRun struct{ ent.Schema }

// Fields of the ReportRun.
func (ReportRun) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").NamedValues(
			"Running", "RUNNING", "Succeeded", "SUCCEEDED", "Partial", "PARTIAL", "Failed", "FAILED",
		).Default("RUNNING").Annotations(entgql.OrderField("STATUS")),
		field.String("trigger").Default("schedule").MaxLen(20),
		field.Time("started_at").Annotations(entgql.OrderField("STARTED_AT")),
		field.Time("finished_at").Optional().Nillable(),
		field.Time("window_start"),
		field.Time("window_end"),
		field.JSON("sizes", map[string]int{}).Optional().Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("deliveries", []schematype.Delivery{}).Optional().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("drift_count").Default(0),
		field.String("error").Optional().Nillable().MaxLen(4000),
		field.Int("report_schedule_id").Optional().Nillable(),
	}
}

// Edges of the ReportRun.
func (ReportRun) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("schedule", ReportSchedule.Type).Ref("runs").Unique().Field("report_schedule_id"),
	}
}

// Annotations of the ReportRun.
func (ReportRun) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}

// Policy of the ReportRun: for admins only (internal/privacy).
func (ReportRun) Policy() ent.Policy { return privacy.EntityPolicy("ReportRun") }
