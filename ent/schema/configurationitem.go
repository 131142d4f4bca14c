package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
)

// ConfigurationItem is anything Cairn manages: a server, VM, container,
// network device, storage, database, application, load balancer, cloud
// resource or cluster.
type ConfigurationItem struct{ ent.Schema }

// Mixin of the ConfigurationItem.
func (ConfigurationItem) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the ConfigurationItem.
func (ConfigurationItem) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			MaxLen(255).
			Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").
			NamedValues(
				"Server", "SERVER",
				"VM", "VM",
				"Container", "CONTAINER",
				"NetworkDevice", "NETWORK_DEVICE",
				"Storage", "STORAGE",
				"Database", "DATABASE",
				"Application", "APPLICATION",
				"LoadBalancer", "LOAD_BALANCER",
				"CloudResource", "CLOUD_RESOURCE",
				"Cluster", "CLUSTER",
			).
			Annotations(entgql.OrderField("KIND")),
		field.Enum("status").
			NamedValues(
				"Planned", "PLANNED",
				"Ordered", "ORDERED",
				"InStock", "IN_STOCK",
				"Active", "ACTIVE",
				"Maintenance", "MAINTENANCE",
				"Retired", "RETIRED",
				"Disposed", "DISPOSED",
				"Discovered", "DISCOVERED",
			).
			Default("ACTIVE").
			Annotations(entgql.OrderField("STATUS")),
		field.Enum("environment").
			NamedValues(
				"Production", "PRODUCTION",
				"Staging", "STAGING",
				"Test", "TEST",
				"Development", "DEVELOPMENT",
				"DisasterRecovery", "DR",
				"Shared", "SHARED",
			).
			Default("PRODUCTION").
			Annotations(entgql.OrderField("ENVIRONMENT")),
		field.Enum("criticality").
			NamedValues(
				"Critical", "CRITICAL",
				"High", "HIGH",
				"Medium", "MEDIUM",
				"Low", "LOW",
			).
			Default("MEDIUM").
			Annotations(entgql.OrderField("CRITICALITY")),
		field.String("hostname").
			Optional().Nillable().
			Validate(validHostname).
			Annotations(entgql.OrderField("HOSTNAME")),
		field.String("fqdn").
			Optional().Nillable().
			Validate(validFQDN).
			Annotations(entgql.OrderField("FQDN")),
		field.String("serial_number").
			Optional().Nillable().
			Validate(validSerial),
		field.String("asset_tag").
			Optional().Nillable().
			Validate(validAssetTag),
		field.String("description").
			Optional().Nillable().
			MaxLen(4000),
		field.Strings("tags").
			Optional(),
		field.JSON("attributes", map[string]any{}).
			Optional().
			Comment("declared attributes, set by people and imports").
			Annotations(entgql.Type("Map")),
		field.JSON("facts", map[string]any{}).
			Optional().
			Comment("observed facts, set by discovery").
			Annotations(entgql.Type("Map"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("last_seen_at").
			Optional().Nillable().
			Annotations(
				entgql.OrderField("LAST_SEEN_AT"),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
			),
		field.JSON("provenance", map[string]schematype.Provenance{}).
			Optional().
			Comment("who last set each field (facts as facts.<key>), when, with which precedence").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("owner_id").Optional().Nillable(),
		field.Int("vendor_id").Optional().Nillable(),
		field.Int("location_id").Optional().Nillable(),
	}
}

// Edges of the ConfigurationItem.
func (ConfigurationItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", Owner.Type).Ref("configuration_items").Unique().Field("owner_id"),
		edge.From("vendor", Vendor.Type).Ref("configuration_items").Unique().Field("vendor_id"),
		edge.From("location", Location.Type).Ref("configuration_items").Unique().Field("location_id"),
		edge.From("services", Service.Type).Ref("members"),
		edge.To("identifiers", Identifier.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("outgoing", Relationship.Type).
			Comment("relationships where this CI is FROM: what it depends on").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("incoming", Relationship.Type).
			Comment("relationships where this CI is TO: what depends on it").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("asset", Asset.Type).Unique().
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.From("contracts", Contract.Type).Ref("covered_cis"),
		edge.From("change_records", ChangeRecord.Type).Ref("configuration_items"),
		edge.To("sightings", Sighting.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
		edge.To("drifts", Drift.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("alerts", Alert.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
		edge.From("incidents", Incident.Type).Ref("configuration_items").
			Comment("incidents in which it alerted").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("top_candidate_of", Incident.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
		edge.To("software_installations", SoftwareInstallation.Type).
			Comment("its installed packages, kept from its package facts by internal/hooks; read through softwareInstallations").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the ConfigurationItem.
func (ConfigurationItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("name"),
		index.Fields("hostname"),
		index.Fields("fqdn"),
		index.Fields("serial_number"),
		index.Fields("asset_tag"),
		index.Fields("kind", "name"),
		index.Fields("owner_id"),
		index.Fields("vendor_id"),
		index.Fields("location_id"),
	}
}

// Annotations of the ConfigurationItem.
func (ConfigurationItem) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
