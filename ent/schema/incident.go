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

	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
)

// Incident groups correlated alerts (internal/alerts): OPEN, then
// ACKNOWLEDGED by a person, RESOLVED when all its alerts resolve or a
// person resolves it (and may reopen it). Its probable-cause candidates
// and impacted services are kept as correlation last ranked them.
type Incident struct{ ent.Schema }

// Mixin of the Incident.
func (Incident) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Incident.
func (Incident) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").MaxLen(500).Validate(notBlank).Annotations(entgql.OrderField("TITLE")),
		field.Enum("status").
			NamedValues("Open", "OPEN", "Acknowledged", "ACKNOWLEDGED", "Resolved", "RESOLVED").
			Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		field.Time("opened_at").Default(time.Now).Annotations(entgql.OrderField("OPENED_AT")),
		field.Time("first_alert_at").Comment("the earliest start of its alerts").Annotations(entgql.OrderField("FIRST_ALERT_AT")),
		field.Time("last_alert_at").Comment("when an alert last joined").Annotations(entgql.OrderField("LAST_ALERT_AT")),
		field.Time("impact_started_at").Optional().Nillable().
			Comment("a recorded start of impact, when known better than the first alert (MTTD)"),
		field.Time("acknowledged_at").Optional().Nillable().Annotations(entgql.OrderField("ACKNOWLEDGED_AT")),
		field.String("acknowledged_by").Optional().Nillable().MaxLen(255),
		field.Time("escalated_at").Optional().Nillable().
			Comment("when it was escalated for not being acknowledged in time"),
		field.Time("resolved_at").Optional().Nillable().Annotations(entgql.OrderField("RESOLVED_AT")),
		field.String("resolved_by").Optional().Nillable().MaxLen(255).
			Comment("the person who resolved it; null when its alerts did"),
		field.String("note").Optional().Nillable().MaxLen(8000).
			Comment("the last acknowledgement, resolution or reopening note"),
		field.String("service_label").Optional().Nillable().MaxLen(500).
			Comment("the service label of an incident of unbound alerts"),
		field.Bool("manual").Default(false).
			Comment("a person moved alerts in or out: correlation no longer regroups it"),
		field.Int("alert_count").Default(0).NonNegative(),
		field.Int("firing_count").Default(0).NonNegative(),
		field.JSON("candidates", []schematype.CauseCandidate{}).Optional().
			Comment("probable-cause candidates as last ranked, best first").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("top_candidate_id").Optional().Nillable().
			Comment("the CI of the top candidate, for recurrence and the notification"),
		field.Int("caused_by_change_id").Optional().Nillable(),
		field.Int("merged_into_id").Optional().Nillable().
			Comment("the incident a person merged this one into; merged incidents count in no KPI"),
		field.Bool("title_set_by_person").Default(false).
			Comment("a person set the title: intake no longer retitles it"),
	}
}

// Edges of the Incident.
func (Incident) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("alerts", Alert.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("configuration_items", ConfigurationItem.Type).
			Comment("the alerted CIs").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("services", Service.Type).
			Comment("the services hit: through member CIs and service dependencies").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.From("top_candidate", ConfigurationItem.Type).Ref("top_candidate_of").Field("top_candidate_id").Unique(),
		edge.From("caused_by_change", ChangeRecord.Type).Ref("caused_incidents").Field("caused_by_change_id").Unique().
			Comment("the change a person linked as its cause"),
		edge.To("merged_from", Incident.Type).
			Comment("the incidents merged into this one").
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)).
			From("merged_into").Field("merged_into_id").Unique().
			Comment("the incident this one was merged into").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the Incident.
func (Incident) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "opened_at"),
		index.Fields("opened_at"),
		index.Fields("top_candidate_id"),
	}
}

// Annotations of the Incident.
func (Incident) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}
