package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Identifier is a value that names a CI in the real world, kept normalised
// (lower-case names, canonical IPs and MACs) and indexed by (kind, value).
type Identifier struct{ ent.Schema }

// Mixin of the Identifier.
func (Identifier) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Identifier.
func (Identifier) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").
			NamedValues(
				"Hostname", "HOSTNAME",
				"FQDN", "FQDN",
				"IP", "IP",
				"MAC", "MAC",
				"Serial", "SERIAL",
				"AssetTag", "ASSET_TAG",
				"CloudID", "CLOUD_ID",
				"UUID", "UUID",
				"SourceKey", "SOURCE_KEY",
			).
			Annotations(entgql.OrderField("KIND")),
		field.String("value").
			MaxLen(2048).
			Validate(notBlank).
			Annotations(entgql.OrderField("VALUE")),
		field.String("scope").
			Optional().
			Nillable().
			MaxLen(255).
			Comment("the network domain an address is unique in (a site, VRF, VPC or datacenter); null is global. Only private and other non-global addresses keep a scope: internal/identity.AddressScope"),
		field.String("source").
			Default("record").
			Comment("who asserted it: record (a CI field), a person, import:<file> or discovery:<job>"),
		field.Int("configuration_item_id"),
	}
}

// Edges of the Identifier.
func (Identifier) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("configuration_item", ConfigurationItem.Type).
			Ref("identifiers").
			Field("configuration_item_id").
			Unique().
			Required(),
	}
}

// Indexes of the Identifier.
func (Identifier) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "value"),
		index.Fields("configuration_item_id", "kind", "value").Unique(),
	}
}

// Annotations of the Identifier.
func (Identifier) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
