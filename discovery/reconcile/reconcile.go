// Package reconcile matches observations to the record and decides what they
// mean: fills, updates, and drifts opened, re-detected, resolved or ignored.
// It is the one place that writes what discovery saw.
//
// Reconcile is built for size: it loads the identifier index in one query,
// the matched CIs and open drifts in chunks, compares in memory, and writes
// in batches inside the caller's transaction.
package reconcile

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
)

// Mode says what a difference between record and observation does.
type Mode string

// The modes.
const (
	// ModeReport opens a drift for every difference.
	ModeReport Mode = "REPORT"
	// ModeUpdate writes the observed value (audited) and records the drift as
	// accepted, where the job's precedence allows.
	ModeUpdate Mode = "UPDATE"
)

// Options configure one reconciliation.
type Options struct {
	// Actor is the audit actor, "discovery:<job name>".
	Actor string
	// JobID is the discovery job, 0 for a one-off run (which keeps no
	// sightings and so never concludes that anything is missing).
	JobID int
	// RunID is the run row the drifts point at.
	RunID int
	Mode  Mode
	// Complete is false for a partial run: nothing is marked missing and
	// nothing is resolved.
	Complete bool
	// NoMissing: the run is complete about what it reports, but not about
	// the job's scope (an agent pushing its own observation), so nothing is
	// marked missing and unseen unregistered things are not resolved.
	NoMissing          bool
	CreateUnregistered bool
	// MissingGrace is the number of complete runs a CI must be unseen
	// before a missing drift opens (at least 1).
	MissingGrace int
	// RetireAfter further missed complete runs retire the CI; 0 = never.
	RetireAfter int
	// MaxMissingPercent guards against a broken scan: a complete run that
	// would mark more than this share (in percent) of the job's CIs (its
	// sightings within its scope, not retired or disposed) missing is held
	// as partial and says why in Outcome.Held. 0 turns the guard off.
	MaxMissingPercent int
	// Priority is the precedence of this job's values; FieldPriorities
	// override it per field or fact glob ("facts.os.*").
	Priority        int
	FieldPriorities map[string]int
	// StaleAfter gives, per actor, how long after that actor's last
	// sighting of a CI its values may be taken over by lower-priority jobs.
	StaleAfter map[string]time.Duration
	// JobIDs maps actors of other jobs to their IDs (for staleness).
	JobIDs map[string]int
	// Scope narrows the CIs this job answers for when looking for missing
	// ones.
	Scope schematype.DiscoveryScope
	// NetworkScope is the network domain (site, VRF, VPC, datacenter) of
	// the private addresses this job observes: they identify CIs only
	// within it and are recorded in it (identity.AddressScope). "" is the
	// global scope.
	NetworkScope string
	IgnoreRules  []*ent.DriftIgnoreRule
	// Coverage are the sets of facts a complete run answers for in full
	// (discovery.Result.Coverage): a live CI within the job's scope that
	// carries every fact of one entry and that the run did not see is
	// missed by this job like one it saw before (a sighting is made for
	// it). Used only on complete runs of a job.
	Coverage []discovery.Coverage
	// ExpectedIn are the actors ("discovery:<job>") of the jobs that
	// should record every CI the run observes (discovery.Result.ExpectedIn):
	// a matched CI of a full observation none of them has a sighting of
	// gets an UNREGISTERED drift on "expected_in.<job>" ("running but not
	// in state"), resolved when a complete run finds the sighting. Actors
	// of jobs that do not exist are a log line.
	ExpectedIn []string
	// Dialect is the SQL dialect of the client (dialect.SQLite or
	// dialect.Postgres), for bulk statements.
	Dialect string
	Now     time.Time
	// MaxChanges caps the change list kept in the outcome (default 1,000).
	MaxChanges int
}

// Outcome is what a reconciliation did.
type Outcome struct {
	Counts  schematype.RunCounts
	Changes []schematype.PlannedChange
	// Log holds notable, per-observation messages (dropped identifiers,
	// duplicate observations).
	Log []string
	// Held says why a complete run was held as partial (see
	// Options.MaxMissingPercent); "" when it was not.
	Held string
}

// The planned actions.
const (
	ActCreate       = "CREATE"
	ActFill         = "FILL"
	ActUpdate       = "UPDATE"
	ActOpenDrift    = "OPEN_DRIFT"
	ActUpdateDrift  = "UPDATE_DRIFT"
	ActResolveDrift = "RESOLVE_DRIFT"
	ActIgnoreDrift  = "IGNORE_DRIFT"
	ActRetire       = "RETIRE"
	ActRevive       = "REVIVE"
)

// active drift statuses: one per (CI, kind, field).
var activeStatuses = []drift.Status{drift.StatusOpen, drift.StatusAcknowledged, drift.StatusIgnored}

// chunk is the number of IDs per IN list: well under SQLite's 32,766 and
// PostgreSQL's 65,535 bind parameters even with several per row.
const chunk = 2000

type driftKey struct {
	ci    int
	kind  drift.Kind
	field string // field name, or identity for drifts without a CI
}

type matched struct {
	obs       *discovery.Observation
	ci        *ent.ConfigurationItem
	matchedBy string
}

// matchedBy is how an observation identified its CI: the kind of the
// deciding identifier (PlannedChange.MatchedBy) and "KIND value"
// (Sighting.matched_by).
type matchedBy struct {
	kind ident.Kind
	by   string
}

type reconciler struct {
	c   *ent.Client
	o   Options
	out *Outcome
	// idx is the identifier index the one matcher decides over; scope is
	// the job's normalised network scope; scratch, cands and rowBuf are
	// buffers reused from one observation to the next.
	idx     *identity.Index
	scope   string
	scratch identity.Scratch
	cands   []identity.Candidate
	rowBuf  []identity.Row
	// matchedBy says, for each CI an observation identified, how.
	matchedBy map[int]matchedBy
	open      map[driftKey]*ent.Drift
	// openByCI lists the active drifts of each CI.
	openByCI map[int][]*ent.Drift
	// cis are the CIs this run matched or created, by ID.
	cis map[int]*ent.ConfigurationItem
	// spared are CIs an ambiguous observation names: seen, but not told
	// apart, so not missing either.
	spared map[int]bool
	// seen drift IDs re-detected in this run
	touched    map[int]bool
	authorized map[int]bool
	seenBefore map[int]bool
	// jobIdents are the identifier rows this job recorded on matched CIs,
	// of the kinds their observations claim in full (IdentifierClaim).
	jobIdents map[int][]*ent.Identifier
	// sightingBy are CIs this job saw before whose sighting must record a
	// new matched_by.
	sightingBy  []int
	newDrifts   []*ent.DriftCreate
	newDriftKey map[driftKey]bool
	observedUpd map[int]string
	recordedUpd map[int]string
	resolve     []int
	acceptIDs   []int
	// unseen are this job's sightings of CIs the run did not see, loaded
	// once by the missing guard for the missing pass.
	unseen []*ent.Sighting
	// retiredFrom is the status each CI this job retired had before.
	retiredFrom map[int]configurationitem.Status
}

// Reconcile reconciles observations against the record through c, which
// must belong to a transaction. It returns what it did.
func Reconcile(ctx context.Context, c *ent.Client, obs []discovery.Observation, o Options) (*Outcome, error) {
	if o.MissingGrace < 1 {
		o.MissingGrace = 1
	}
	if o.MaxChanges == 0 {
		o.MaxChanges = 1000
	}
	if o.Mode == "" {
		o.Mode = ModeReport
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	scope, err := identity.NormalizeScope(o.NetworkScope)
	if err != nil {
		return nil, fmt.Errorf("network scope: %w", err)
	}
	r := &reconciler{
		c: c, o: o, out: &Outcome{}, scope: scope, matchedBy: map[int]matchedBy{},
		touched: map[int]bool{}, newDriftKey: map[driftKey]bool{}, observedUpd: map[int]string{},
		recordedUpd: map[int]string{}, cis: map[int]*ent.ConfigurationItem{}, spared: map[int]bool{},
	}
	r.out.Counts.Observed = len(obs)
	if err := r.loadIndex(ctx, 3*len(obs)); err != nil {
		return nil, err
	}
	norm := make([]*discovery.Observation, 0, len(obs))
	for i := range obs {
		if err := obs[i].Check(); err != nil {
			return nil, fmt.Errorf("observation %d: %w", i+1, err)
		}
		norm = append(norm, r.normalize(&obs[i]))
	}
	matches, refs, unmatched, ambiguous, err := r.match(ctx, norm)
	if err != nil {
		return nil, err
	}
	if err := r.loadDrifts(ctx); err != nil {
		return nil, err
	}
	if err := r.loadAuthorizations(ctx, matches); err != nil {
		return nil, err
	}
	if err := r.loadSeenBefore(ctx, matches); err != nil {
		return nil, err
	}
	if err := r.guardMissing(ctx, matches, ambiguous); err != nil {
		return nil, err
	}
	if err := r.loadRetiredFrom(ctx, matches); err != nil {
		return nil, err
	}
	byKey := map[string]int{}
	// seen are the CIs full observations name; a CI only reference
	// observations name gets no sighting and is not seen for missing.
	seen := map[int]bool{}
	for _, m := range matches {
		byKey[m.obs.Key] = m.ci.ID
		seen[m.ci.ID] = true
	}
	for _, m := range refs {
		byKey[m.obs.Key] = m.ci.ID
	}
	for _, m := range matches {
		if err := r.reconcileCI(ctx, m); err != nil {
			return nil, err
		}
	}
	for _, m := range refs {
		if seen[m.ci.ID] {
			continue
		}
		if err := r.reference(ctx, m); err != nil {
			return nil, err
		}
	}
	for _, a := range ambiguous {
		r.ambiguous(a.obs, a.cands)
		if a.obs.Reference {
			continue
		}
		for _, id := range a.cands {
			r.spared[id] = true
		}
	}
	for _, u := range unmatched {
		if u.Reference && r.o.CreateUnregistered {
			// Another reference of this run may have created it: two
			// switches see the same neighbour.
			if cands, _, _ := r.identify(u); len(cands) == 1 {
				byKey[u.Key] = cands[0]
				continue
			}
		}
		id, err := r.unregistered(ctx, u)
		if err != nil {
			return nil, err
		}
		if id != 0 {
			byKey[u.Key] = id
			if !u.Reference {
				seen[id] = true
			}
		}
	}
	refOnly := map[int]bool{}
	for _, id := range byKey {
		if !seen[id] {
			refOnly[id] = true
		}
	}
	if err := r.relationships(ctx, norm, byKey, refOnly); err != nil {
		return nil, err
	}
	seenIDs := make([]int, 0, len(seen))
	for id := range seen {
		seenIDs = append(seenIDs, id)
	}
	sort.Ints(seenIDs)
	if err := r.missing(ctx, seenIDs); err != nil {
		return nil, err
	}
	if r.o.Complete && !r.o.NoMissing {
		r.resolveUnseen(byKey, norm, ambiguous)
	}
	if err := r.expectedIn(ctx, matches); err != nil {
		return nil, err
	}
	if err := r.flushDrifts(ctx); err != nil {
		return nil, err
	}
	if err := r.markSeen(ctx, seenIDs); err != nil {
		return nil, err
	}
	return r.out, nil
}

// change records a planned or applied change; a change to a CI an
// observation identified says which identifier kind identified it.
func (r *reconciler) change(pc schematype.PlannedChange) {
	if pc.MatchedBy == "" && pc.CI != 0 {
		if m, ok := r.matchedBy[pc.CI]; ok {
			pc.MatchedBy = string(m.kind)
		}
	}
	if len(r.out.Changes) < r.o.MaxChanges {
		r.out.Changes = append(r.out.Changes, pc)
	}
}

func (r *reconciler) logf(format string, args ...any) {
	if len(r.out.Log) < 200 {
		r.out.Log = append(r.out.Log, fmt.Sprintf(format, args...))
	}
}
