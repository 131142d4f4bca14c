package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// SoftwareInstallation is one installed package of a CI: a row per version
// (and architecture) of its package.<name> facts. The rows are derived:
// internal/hooks (software.go) rewrites a CI's rows from its facts, in the
// transaction that changes them, and nothing else writes them; GraphQL
// reads them (softwareInstallations) and never writes them. They are
// bookkeeping like sightings, not audited (the facts they come from are,
// on the CI), and go with their CI (ON DELETE CASCADE).
type SoftwareInstallation struct{ ent.Schema }

// Fields of the SoftwareInstallation.
func (SoftwareInstallation) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			MaxLen(255).
			NotEmpty().
			Immutable().
			Comment("the package name, as in the CI's package.<name> fact"),
		field.String("version").
			MaxLen(255).
			Immutable().
			Comment("one of the versions of package.<name>, as the package manager writes it"),
		field.String("arch").
			Optional().
			Nillable().
			MaxLen(64).
			Immutable().
			Comment("its architecture (package_arch.<name>), when the source reports one"),
		field.String("manager").
			Optional().
			Nillable().
			MaxLen(32).
			Immutable().
			Comment("the CI's packages.manager (dpkg, rpm, apk…): whose version ordering applies"),
		field.Int("configuration_item_id").
			Immutable(),
	}
}

// Edges of the SoftwareInstallation.
func (SoftwareInstallation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("configuration_item", ConfigurationItem.Type).
			Ref("software_installations").
			Field("configuration_item_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the SoftwareInstallation.
func (SoftwareInstallation) Indexes() []ent.Index {
	return []ent.Index{
		// softwareInstallations(name:) reads a package's rows by name.
		index.Fields("name", "configuration_item_id"),
		// The hook's rewrite deletes a CI's rows; a CI's delete cascades.
		index.Fields("configuration_item_id"),
	}
}

// Annotations of the SoftwareInstallation: a node and a connection type for
// the hand-written softwareInstallations query (schema/software.graphql),
// no generated query field, filters or mutations.
func (SoftwareInstallation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
