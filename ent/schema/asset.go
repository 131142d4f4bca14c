package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Asset is the financial record of a CI.
type Asset struct{ ent.Schema }

// Mixin of the Asset.
func (Asset) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Asset.
func (Asset) Fields() []ent.Field {
	return []ent.Field{
		field.Time("purchase_date").Optional().Nillable().Annotations(entgql.OrderField("PURCHASE_DATE")),
		field.Time("in_service_date").Optional().Nillable().Annotations(entgql.OrderField("IN_SERVICE_DATE")),
		moneyField("cost_minor", "purchase cost in minor units of currency"),
		moneyField("salvage_minor", "salvage value in minor units of currency"),
		currency(),
		field.Int("useful_life_months").
			Default(60).
			Positive().
			Annotations(entgql.OrderField("USEFUL_LIFE_MONTHS")),
		field.Enum("depreciation_method").
			NamedValues(
				"StraightLine", "STRAIGHT_LINE",
				"DecliningBalance", "DECLINING_BALANCE",
				"DoubleDecliningBalance", "DOUBLE_DECLINING_BALANCE",
				"SumOfYearsDigits", "SUM_OF_YEARS_DIGITS",
				"None", "NONE",
			).
			Default("STRAIGHT_LINE"),
		field.Float("declining_rate").
			Optional().Nillable().
			Comment("annual rate in (0, 1] for DECLINING_BALANCE"),
		field.Enum("convention").
			NamedValues("FullMonth", "FULL_MONTH", "MidMonth", "MID_MONTH").
			Default("FULL_MONTH"),
		field.String("cost_center").Optional().Nillable().MaxLen(100).Annotations(entgql.OrderField("COST_CENTER")),
		field.Time("disposal_date").Optional().Nillable(),
		field.Int64("disposal_proceeds_minor").Optional().Nillable().NonNegative().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("warranty_end").Optional().Nillable().Annotations(entgql.OrderField("WARRANTY_END")),
		field.String("po_number").Optional().Nillable().MaxLen(100),
		field.String("invoice_number").Optional().Nillable().MaxLen(100),
		field.Int("configuration_item_id").Unique(),
	}
}

// Edges of the Asset.
func (Asset) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("configuration_item", ConfigurationItem.Type).
			Ref("asset").
			Field("configuration_item_id").
			Unique().
			Required(),
	}
}

// Indexes of the Asset.
func (Asset) Indexes() []ent.Index {
	return []ent.Index{index.Fields("cost_center")}
}

// Annotations of the Asset.
func (Asset) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entgql.MultiOrder(),
	}
}
