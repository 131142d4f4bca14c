package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Contract is a support, warranty, maintenance, lease, license or
// subscription agreement with a vendor covering CIs.
type Contract struct{ ent.Schema }

// Mixin of the Contract.
func (Contract) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Contract.
func (Contract) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").
			MaxLen(100).
			Validate(notBlank).
			Annotations(entgql.OrderField("NUMBER")),
		field.String("name").Optional().Nillable().MaxLen(255),
		field.Enum("kind").
			NamedValues(
				"Support", "SUPPORT",
				"Warranty", "WARRANTY",
				"Maintenance", "MAINTENANCE",
				"Lease", "LEASE",
				"License", "LICENSE",
				"Subscription", "SUBSCRIPTION",
			).
			Annotations(entgql.OrderField("KIND")),
		field.Time("start_date").Annotations(entgql.OrderField("START_DATE")),
		field.Time("end_date").Annotations(entgql.OrderField("END_DATE")),
		moneyField("cost_minor", "total value over the contract period, in minor units of currency"),
		currency(),
		field.Int("sla_response_minutes").Optional().Nillable().NonNegative(),
		field.String("support_contact").Optional().Nillable().MaxLen(500),
		field.Int("notice_period_days").Default(0).NonNegative(),
		field.Bool("auto_renew").Default(false),
		field.String("notes").Optional().Nillable().MaxLen(4000),
		field.Int("vendor_id").Optional().Nillable(),
	}
}

// Edges of the Contract.
func (Contract) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("vendor", Vendor.Type).Ref("contracts").Unique().Field("vendor_id"),
		edge.To("covered_cis", ConfigurationItem.Type),
	}
}

// Indexes of the Contract.
func (Contract) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("vendor_id"),
		index.Fields("end_date"),
		index.Fields("number"),
	}
}

// Annotations of the Contract.
func (Contract) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
