package model

import (
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/identifier"
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

// IncidentContext is everything about one CI for an incident. The heavier
// parts (impact, contracts, drifts, changes) resolve only when asked for.
type IncidentContext struct {
	CI           *ent.ConfigurationItem
	MatchedBy    identifier.Kind
	MatchRule    MatchRule
	MatchedValue string
	Alternatives []*ent.ConfigurationItem
	Ambiguous    bool
	AsOf         time.Time
	Depth        int
}
