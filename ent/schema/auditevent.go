package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/privacy"
)

// AuditEvent records who changed what, field by field, written in the same
// transaction as the change. It is append-only.
type AuditEvent struct{ ent.Schema }

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Default(time.Now).Immutable().Annotations(entgql.OrderField("AT")),
		field.String("actor").Immutable().Annotations(entgql.OrderField("ACTOR")),
		field.Enum("action").
			NamedValues("Create", "CREATE", "Update", "UPDATE", "Delete", "DELETE").
			Immutable(),
		field.String("entity_type").Immutable().Annotations(entgql.OrderField("ENTITY_TYPE")),
		field.Int("entity_id").Immutable().Annotations(entgql.Type("ID")),
		field.JSON("changes", []schematype.FieldChange{}).Immutable().Annotations(entgql.Type("[FieldChange!]")),
		field.String("request_id").Optional().Immutable(),
		field.Int("from_ci_id").
			Optional().Nillable().Immutable().
			Comment("for Relationship events: the FROM CI, so a CI's relationships can be rebuilt from the trail").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("to_ci_id").
			Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("merged_from_id").
			Optional().Nillable().Immutable().
			Comment("set on a CI's own events when it is merged into another (mergeConfigurationItems): the merged CI's ID. They stay in the kept CI's trail, but the kept CI's state at a past moment is rebuilt without them. Relationship events are not marked").
			Annotations(entgql.Type("ID")),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("entity_type", "entity_id", "at"),
		index.Fields("entity_id", "at"),
		index.Fields("actor", "at"),
		index.Fields("at"),
		index.Fields("from_ci_id"),
		index.Fields("to_ci_id"),
	}
}

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}

// Policy of the AuditEvent: readers do not see the events about admin-only
// entities (internal/privacy).
func (AuditEvent) Policy() ent.Policy { return privacy.AuditTrailPolicy() }
