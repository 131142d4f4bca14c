// Package schematype holds Go types stored in JSON columns of the ent schema.
package schematype

import "time"

// FieldChange is one field's value before and after a change, as written to
// the audit trail. Before is nil on create, After is nil on delete. Secrets
// are replaced by the string "[redacted]".
type FieldChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// DiscoveryScope limits what a discovery job looks at and what it may call
// missing. Targets are hosts, addresses or CIDR ranges for sources that
// reach out. Kinds, Environments and Tags narrow which previously seen CIs
// the job answers for; empty means no restriction.
type DiscoveryScope struct {
	Targets      []string `json:"targets,omitempty"`
	Kinds        []string `json:"kinds,omitempty"`
	Environments []string `json:"environments,omitempty"`
	Tags         []string `json:"tags,omitempty"`
}

// RunCounts are the tallies of one discovery run.
type RunCounts struct {
	Observed       int `json:"observed"`
	Matched        int `json:"matched"`
	Created        int `json:"created"`
	Filled         int `json:"filled"`
	Updated        int `json:"updated"`
	Unchanged      int `json:"unchanged"`
	DriftsOpened   int `json:"driftsOpened"`
	DriftsUpdated  int `json:"driftsUpdated"`
	DriftsResolved int `json:"driftsResolved"`
	DriftsIgnored  int `json:"driftsIgnored"`
	Missing        int `json:"missing"`
	Retired        int `json:"retired"`
	Ambiguous      int `json:"ambiguous"`
	Unregistered   int `json:"unregistered"`
}

// Provenance says who last set one field of a CI, when, and with which
// precedence. By is an audit actor: a token name, "import:<file>" or
// "discovery:<job>".
type Provenance struct {
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Priority int       `json:"priority"`
}

// PlannedChange is one thing a discovery run did or, dry, would do.
type PlannedChange struct {
	Action         string `json:"action"`
	CI             int    `json:"ci,omitempty"`
	ObservationKey string `json:"observationKey,omitempty"`
	Field          string `json:"field,omitempty"`
	Before         string `json:"before,omitempty"`
	After          string `json:"after,omitempty"`
	DriftKind      string `json:"driftKind,omitempty"`
	MatchedBy      string `json:"matchedBy,omitempty"`
}

// ReportScope narrows a report: empty lists mean everything.
type ReportScope struct {
	Services     []string `json:"services,omitempty"`
	Environments []string `json:"environments,omitempty"`
	Kinds        []string `json:"kinds,omitempty"`
	Owners       []string `json:"owners,omitempty"`
}

// WebhookDestination is a URL reports are POSTed to; SecretSealed is the
// HMAC key, sealed with the server's secret key.
type WebhookDestination struct {
	URL          string `json:"url"`
	SecretSealed []byte `json:"secretSealed,omitempty"`
}

// Delivery is the outcome of delivering one report format to one
// destination.
type Delivery struct {
	Destination string `json:"destination"`
	Format      string `json:"format"`
	OK          bool   `json:"ok"`
	Attempts    int    `json:"attempts"`
	Status      int    `json:"status,omitempty"`
	Path        string `json:"path,omitempty"`
	Error       string `json:"error,omitempty"`
}

// CauseCandidate is a probable cause of an incident as correlation ranked
// it (internal/alerts/correlate.Candidate, stored).
type CauseCandidate struct {
	CI      int      `json:"ci"`
	Score   float64  `json:"score"`
	Alerted bool     `json:"alerted"`
	Reasons []string `json:"reasons"`
	// Paths run from an alerted CI down its dependencies to the candidate,
	// as CI IDs; PathCount counts them all when Paths is cut.
	Paths     [][]int `json:"paths"`
	PathCount int     `json:"pathCount"`
}
