package model

import (
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/money"
)

// Impact is a blast-radius result. Its CIs are loaded with the fields the
// query asked for, in one query per edge, by the resolver.
type Impact struct {
	Root      *ent.ConfigurationItem
	Direction ImpactDirection
	Nodes     []*ImpactNode
	Services  []*ent.Service
	Count     int
	Truncated bool
}

// IncidentContext is everything about one CI for an incident. The
// resolver fills only the parts the query selects, one after another.
type IncidentContext struct {
	CI           *ent.ConfigurationItem
	MatchedBy    identifier.Kind
	MatchRule    MatchRule
	MatchedValue string
	MatchedScope *string
	Alternatives []*ent.ConfigurationItem
	Ambiguous    bool
	AsOf         time.Time
	Depth        int

	Owner            *ent.Owner
	Team             *ent.Owner
	Services         []*ent.Service
	Dependents       *Impact
	Dependencies     *Impact
	Vendor           *ent.Vendor
	SupportContracts []*ent.Contract
	Warranty         *WarrantyStatus
	BookValue        *money.Money
	OpenDrifts       []*ent.Drift
	RecentChanges    []*ent.AuditEvent
}
