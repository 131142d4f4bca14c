// Package correlate groups alerts bound to configuration items into
// incidents through the dependency graph and ranks the probable causes of
// each incident (issue 15). It is pure domain code: the graph and the
// evidence come in through the Graph and Evidence interfaces, so the same
// engine runs on the database (a Graph backed by internal/graphwalk's
// recursive queries) and on an in-memory graph (MemGraph, tests and
// replays). internal/alerts runs it for intake, internal/alerts/replay for
// `cairn alerts replay`.
//
// # Grouping rules
//
// Every relationship reads "FROM depends on TO". The reach of a CI is the
// CI itself and every CI it depends on within Settings.Hops steps.
//
//   - Two bound alerts are related when their reaches meet: one CI depends
//     on the other within Hops, or both depend on a common CI (alerted or
//     silent) within Hops each. A new alert joins an incident when it is
//     related to one of the incident's CIs, its start is within
//     Settings.Window of the incident's span of starts (from the earliest
//     start minus Window to the latest start plus Window), and no more than
//     Settings.Quiet has passed since an alert last joined. When several
//     incidents qualify, the one with the most CIs depending on one CI of the
//     alert's reach takes it (so noise that opened an incident first does not
//     split a storm), then the oldest; incidents are never merged by the
//     engine (merging is a person's action).
//   - Once an incident's top candidate explains at least two of its alerted
//     CIs and at least half of them, alerts on CIs that none of the leading
//     candidates (those at least a tenth as likely as the top one, see
//     below) has in its reach are moved out, to the incident they match
//     otherwise or a new one: noise that joined through some deep shared
//     dependency (a core switch is within three hops of most VMs) while
//     the incident was young. The incident keeps its own copy of each
//     member, so a re-fire that lands elsewhere leaves its old firing in
//     the old incident.
//   - After Quiet without a new alert an incident takes no new CIs, but an
//     alert on a CI already in it (the same CIs firing again) still joins it
//     for as long as it is alive: it dies when all its alerts have resolved
//     and Quiet has passed since the last one ended.
//   - A re-fire of a known alert (same Key, a new start after it resolved)
//     rejoins its incident while that incident is alive.
//   - Unbound alerts (CI 0) never join by topology: an unbound alert with
//     a "service" label joins the live unbound incident of the same service
//     label (same Window and Quiet rules); without one it stays alone.
//   - Flapping: an alert whose Key changed state (fired again or resolved)
//     Settings.FlapTransitions times within Settings.FlapPeriod is marked
//     flapping (the mark stays). A flapping alert still joins an incident it
//     is related to but never opens one; it is held (Engine.Held) instead.
//
// # Probable cause
//
// The origins of an incident are its alerted CIs with no other alerted CI
// in their reach (nothing alerted below them): the start of the cascade.
// Every CI in the reach of an origin is a candidate. Candidates are weighed
// by how likely the incident's alerts are if that candidate is down (a
// log-likelihood; Graph.DependentCounts gives each candidate's dependents
// within Hops by distance, read once per candidate and cached; candidates
// are weighed best bound first, their direct dependents counted before
// the rest, so a hub whose hundreds of direct dependents are silent sinks
// without its thousands within Hops being counted):
//
//   - Its domain is itself and its dependents within Hops. A CI that is
//     down makes most of its dependents alert, so with k of the n CIs of
//     its domain alerting, the domain costs k·ln(k/n) + (n−k)·ln(1−k/n): 0
//     when all alert, more the more stay silent. Of two CIs explaining the
//     same alerts, the one with 4 dependents of which 3 alert beats the one
//     with 100 of which 3 alert, and a CI beats its own dependent when its
//     other dependents alert too, but not when they are silent (then the
//     deepest CI explaining the alerts leads).
//   - A failure does not skip near dependents to reach far ones: what a
//     chance of alerting that grows with the distance would fit better
//     (levels pooled where a nearer one alerts more) is charged once more.
//     So the firewall behind the cores behind a switch whose hosts alert
//     ranks below the switch, though both have about as many dependents.
//   - Every alerted CI of the incident outside its domain costs ln 100
//     (an unrelated alert in the same minutes is rare).
//   - Alerting itself adds ln 2; evidence (see Evidence) adds 5 per unit of
//     its boost (at most 2.5).
//
// So an alerted origin with nothing silent below it ranks first, and a
// silent CI whose dependents alert (the switch that cannot alert because it
// is down) outranks each of them and the dependencies behind it. Ties go
// to the candidate explaining more alerted CIs, then the closer one to the
// origins it explains (smaller mean distance), then the lower CI ID. A
// candidate's Score is its share of the likelihood of all the candidates
// weighed (0 to 1; candidates are weighed, best bound first, until the
// ones kept are certain: none left could pass them, even with the most
// evidence if it is one of the twice as many evidence is read for; ties
// with a candidate not weighed go to the one weighed). The origins and
// each candidate's count of origins are kept as alerts join, so a ranking
// does not walk every alerted CI's reach again. Its reasons say which origins and alerted CIs
// it explains and how many of its dependents alert at each distance.
package correlate

import (
	"errors"
	"fmt"
	"time"
)

// Default settings, documented for operators.
const (
	DefaultHops             = 3
	DefaultWindow           = 10 * time.Minute
	DefaultQuiet            = 30 * time.Minute
	DefaultFlapTransitions  = 4
	DefaultFlapPeriod       = 15 * time.Minute
	DefaultEvidenceLookback = 6 * time.Hour
	DefaultMaxCandidates    = 5
	DefaultMaxPaths         = 20
)

// Settings tune the correlation; the zero value of a field is not a
// default: start from DefaultSettings.
type Settings struct {
	// Hops (H) is how far through dependency relationships alerts are related.
	Hops int
	// Window (W) is how far a new alert's start may be from the incident's starts.
	Window time.Duration
	// Quiet (L) is how long an incident takes new CIs after its last alert joined.
	Quiet time.Duration
	// FlapTransitions (N) state changes within FlapPeriod (T) mark an alert flapping.
	FlapTransitions int
	FlapPeriod      time.Duration
	// EvidenceLookback is how far back change records, drift and audit
	// changes count as evidence, before the incident opened.
	EvidenceLookback time.Duration
	// MaxCandidates is how many probable-cause candidates an incident keeps.
	MaxCandidates int
	// MaxPaths is how many dependency paths a candidate lists (PathCount has them all).
	MaxPaths int
}

// DefaultSettings returns the documented defaults.
func DefaultSettings() Settings {
	return Settings{
		Hops: DefaultHops, Window: DefaultWindow, Quiet: DefaultQuiet,
		FlapTransitions: DefaultFlapTransitions, FlapPeriod: DefaultFlapPeriod,
		EvidenceLookback: DefaultEvidenceLookback,
		MaxCandidates:    DefaultMaxCandidates, MaxPaths: DefaultMaxPaths,
	}
}

// MaxHops bounds Hops: each hop multiplies the neighbourhood read.
const MaxHops = 8

// Validate reports every invalid field, naming it.
func (s Settings) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("correlation setting %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Hops < 1 || s.Hops > MaxHops {
		bad("hops", "%d is outside 1..%d", s.Hops, MaxHops)
	}
	if s.Window <= 0 {
		bad("window", "%s must be positive", s.Window)
	}
	if s.Quiet <= 0 {
		bad("quiet", "%s must be positive", s.Quiet)
	}
	if s.FlapTransitions < 2 {
		bad("flapTransitions", "%d must be at least 2", s.FlapTransitions)
	}
	if s.FlapPeriod <= 0 {
		bad("flapPeriod", "%s must be positive", s.FlapPeriod)
	}
	if s.EvidenceLookback < 0 {
		bad("evidenceLookback", "%s must not be negative", s.EvidenceLookback)
	}
	if s.MaxCandidates < 1 {
		bad("maxCandidates", "%d must be at least 1", s.MaxCandidates)
	}
	if s.MaxPaths < 0 {
		bad("maxPaths", "%d must not be negative", s.MaxPaths)
	}
	return errors.Join(errs...)
}
