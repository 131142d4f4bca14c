package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/cairn-cmdb/cairn/internal/privacy"
)

// APIToken authenticates a client. The secret is shown once; only its
// SHA-256 hash is stored.
type APIToken struct{ ent.Schema }

// Mixin of the APIToken.
func (APIToken) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Unique().
			MaxLen(100).
			Validate(notBlank).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("role").
			NamedValues("Ingest", "INGEST", "Viewer", "VIEWER", "Editor", "EDITOR", "Admin", "ADMIN").
			Comment("INGEST may only send alerts (POST /api/v1/alerts/alertmanager, POST /api/v1/alerts); it reads nothing").
			Annotations(entgql.Type("Role")),
		field.String("token_hash").
			Unique().
			Sensitive().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("prefix").
			Immutable().
			Comment("the first characters of the secret, to tell tokens apart"),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.String("created_by").Default("system").Immutable(),
	}
}

// Annotations of the APIToken.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("apiTokens"),
		entgql.MultiOrder(),
	}
}

// Policy of the APIToken: tokens are for admins only (internal/privacy).
func (APIToken) Policy() ent.Policy { return privacy.EntityPolicy("APIToken") }
