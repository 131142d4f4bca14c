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

// Alert is one alert from monitoring (Alertmanager's webhook or the
// generic alert API), deduplicated by fingerprint, bound to the CI (or
// service) it is about when the binding rules find exactly one, and
// correlated into an incident (internal/alerts). Unbound alerts are kept
// and listed, never dropped. Intake writes alerts in bulk, so they are not
// audited field by field; a person's move of an alert is (on the incident).
type Alert struct{ ent.Schema }

// Mixin of the Alert.
func (Alert) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Alert.
func (Alert) Fields() []ent.Field {
	return []ent.Field{
		field.String("fingerprint").
			Unique().
			MaxLen(200).
			Validate(notBlank).
			Comment("Alertmanager's fingerprint, or FNV-1a 64 of the labels minus volatile ones").
			Annotations(entgql.OrderField("FINGERPRINT")),
		field.Enum("status").
			NamedValues("Firing", "FIRING", "Resolved", "RESOLVED").
			Annotations(entgql.OrderField("STATUS")),
		field.String("name").Default("").MaxLen(500).
			Comment("the alertname label").
			Annotations(entgql.OrderField("NAME")),
		field.JSON("labels", map[string]string{}).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("annotations", map[string]string{}).
			Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("starts_at").Annotations(entgql.OrderField("STARTS_AT")),
		field.Time("ends_at").Optional().Nillable().Annotations(entgql.OrderField("ENDS_AT")),
		field.String("generator_url").Optional().Nillable().MaxLen(2000),
		field.Enum("source").
			NamedValues("Alertmanager", "ALERTMANAGER", "API", "API").
			Comment("the route it came in by"),
		field.String("receiver").Optional().Nillable().MaxLen(500).
			Comment("the Alertmanager receiver that sent it"),
		field.Enum("bound_by").
			NamedValues(
				"CairnCI", "CAIRN_CI",
				"Instance", "INSTANCE",
				"Host", "HOST",
				"Hostname", "HOSTNAME",
				"Nodename", "NODENAME",
				"Fqdn", "FQDN",
				"IP", "IP",
				"Mac", "MAC",
				"Serial", "SERIAL",
				"Service", "SERVICE",
			).
			Optional().Nillable().
			Comment("the binding rule that named its CI or service; null when unbound"),
		field.String("binding_note").Optional().Nillable().MaxLen(2000).
			Comment("why an alert is unbound (ambiguous, unknown), or the value that bound it"),
		field.Bool("flapping").Default(false).
			Comment("changed state FlapTransitions times within FlapPeriod; never opens an incident"),
		field.Int("refires").Default(0).NonNegative().
			Comment("times it fired again after resolving"),
		field.JSON("transitions", []time.Time{}).Optional().
			Comment("recent state changes, for flapping").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("last_received_at").Default(time.Now).Annotations(entgql.OrderField("LAST_RECEIVED_AT")),
		field.Int("configuration_item_id").Optional().Nillable(),
		field.Int("service_id").Optional().Nillable(),
		field.Int("suppressed_by_id").Optional().Nillable(),
		field.Int("incident_id").Optional().Nillable(),
	}
}

// Edges of the Alert.
func (Alert) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("configuration_item", ConfigurationItem.Type).Ref("alerts").Field("configuration_item_id").Unique(),
		edge.From("service", Service.Type).Ref("alerts").Field("service_id").Unique(),
		edge.From("suppressed_by", ChangeRecord.Type).Ref("suppressed_alerts").Field("suppressed_by_id").Unique().
			Comment("the approved change whose window covered its CI when it fired: expected, does not page"),
		edge.From("incident", Incident.Type).Ref("alerts").Field("incident_id").Unique(),
	}
}

// Indexes of the Alert.
func (Alert) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "starts_at"),
		index.Fields("starts_at"),
		index.Fields("configuration_item_id"),
		index.Fields("service_id"),
		index.Fields("incident_id"),
	}
}

// Annotations of the Alert.
func (Alert) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}
