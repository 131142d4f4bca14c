package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Relationship is a typed, directed edge between two CIs, read as
// "FROM depends on TO". It is unique per (from, to, type).
type Relationship struct{ ent.Schema }

// Mixin of the Relationship.
func (Relationship) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Relationship.
func (Relationship) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("type").
			NamedValues(
				"DependsOn", "DEPENDS_ON",
				"RunsOn", "RUNS_ON",
				"HostedOn", "HOSTED_ON",
				"ConnectsTo", "CONNECTS_TO",
				"MemberOf", "MEMBER_OF",
				"Uses", "USES",
				"BacksUpTo", "BACKS_UP_TO",
				"ReplicatesTo", "REPLICATES_TO",
			).
			Annotations(entgql.OrderField("TYPE")),
		field.Int("from_id").Immutable(),
		field.Int("to_id").Immutable(),
		field.String("source").
			Default("record").
			Comment("who asserted it: record, import:<file> or discovery:<job>"),
		field.String("description").Optional().Nillable().MaxLen(1000),
		field.JSON("attributes", map[string]string{}).
			Optional().
			Comment("attributes of the edge itself, such as the local_port and remote_port of a CONNECTS_TO; at most 16, keys 1 to 256 bytes, values at most 256").
			Annotations(entgql.Type("StringMap")),
	}
}

// Edges of the Relationship.
func (Relationship) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("from", ConfigurationItem.Type).Ref("outgoing").Field("from_id").Unique().Required().Immutable(),
		edge.From("to", ConfigurationItem.Type).Ref("incoming").Field("to_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Relationship.
func (Relationship) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("from_id", "to_id", "type").Unique(),
		// Covering for walks towards dependents: the recursive step reads
		// from_id for a to_id without touching the table.
		index.Fields("to_id", "type", "from_id"),
	}
}

// Annotations of the Relationship.
func (Relationship) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}
