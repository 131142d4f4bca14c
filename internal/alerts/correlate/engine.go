package correlate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Alert is one alert as the engine sees it: deduplicated by Key.
type Alert struct {
	Key string
	// CI is the CI the alert is bound to; 0 means unbound.
	CI    int
	Start time.Time
	// End is zero while the alert fires.
	End    time.Time
	Labels map[string]string
}

// Member is an alert in an incident (or held, when flapping alone).
type Member struct {
	Key      string
	CI       int
	Start    time.Time
	End      time.Time `json:",omitzero"`
	Flapping bool      `json:",omitempty"`
	// Refires counts how often the alert fired again after resolving.
	Refires int `json:",omitempty"`
}

// Path runs from an alerted CI down its dependencies to a candidate.
type Path []int

// Candidate is a probable cause.
type Candidate struct {
	CI      int
	Score   float64
	Alerted bool
	Reasons []string
	// Evidence holds the findings that raised the score.
	Evidence []Finding `json:",omitempty"`
	// Paths from the alerted CIs it explains, up to Settings.MaxPaths,
	// ordered by alerted CI; PathCount counts them all.
	Paths     []Path
	PathCount int

	origins, nOrigins int // origins it explains, of how many
	members, nAlerted int // alerted CIs it explains, of how many
	ll                float64
}

// Incident is the engine's view of one incident.
type Incident struct {
	ID int
	// Service is the service label of an incident of unbound alerts.
	Service     string `json:",omitempty"`
	OpenedAt    time.Time
	LastAlertAt time.Time
	// ResolvedAt is when the last alert ended, once all have.
	ResolvedAt time.Time `json:",omitzero"`
	// Alerts are the members, by start then key: every one from Incidents
	// and Replay; from Add only those the call touched (the alerts it took:
	// new firings, resolutions, re-fires; and the alerts it moved between
	// incidents), so that applying a batch does not copy every member of
	// a large incident each time. Size counts them all.
	Alerts []Member
	Size   int `json:"-"`
	// CIs are the alerted CIs, ascending.
	CIs        []int
	Candidates []Candidate `json:",omitempty"`
}

// origCov is how many of an incident's origins reach a CI, and their
// distances to it summed.
type origCov struct{ n, dist int }

type alertState struct {
	m           Member
	inc         *incState
	transitions []time.Time
}

type incState struct {
	id      int
	unbound bool
	service string
	keys    []string
	mem     map[string]*Member // the incident's copy of each member: a
	// member whose alert moved on (re-fired into another incident, bound
	// to another CI) keeps its state at the time it left
	cis map[int]int // CI → alerts on it
	cov map[int]int // CI → member CIs whose reach holds it
	// covAt counts them by distance (index d: d steps from the member to
	// the CI), for ranking; allocated on the first member at distance ≥ 1.
	covAt map[int]*[MaxHops + 1]int32
	// sorted holds the alerted CIs (the keys of cis), ascending.
	sorted []int
	// below counts, for each alerted CI, the alerted CIs strictly below
	// it (in its reach, not on a cycle back to it): its origins are those
	// with none. oc sums, for each CI in an origin's reach, the origins
	// reaching it and their distances to it: the candidates. All three are
	// kept as CIs join, so a ranking does not walk every alerted CI's reach.
	below      map[int]int
	oc         map[int]origCov
	nOrigins   int
	minStart   time.Time
	maxStart   time.Time
	lastJoin   time.Time
	firing     int
	lastEnd    time.Time
	candidates []Candidate
}

// Engine correlates alerts incrementally. It is not safe for concurrent
// use; the caller serialises Add (intake holds one engine per process).
type Engine struct {
	s     Settings
	g     Graph
	ev    Evidence
	adj   map[int][]Edge
	reach map[int]map[int]reached
	// up is the reverse of reach: CI → the other CIs whose reach holds it.
	up map[int][]int
	// deps caches how many CIs depend on a candidate at each distance 1..Hops.
	deps  map[int][]int
	deps1 map[int][]int // direct dependents' counts (hops 1)
	byKey map[string]*alertState
	incs  []*incState
	live  []*incState
	index map[int][]*incState // CI in a reach → live incidents covering it
	held  []string
	// lastID is the last incident ID given; IDs are never reused.
	lastID int
}

// NewEngine checks the settings and returns an engine over g; ev may be nil.
func NewEngine(g Graph, ev Evidence, s Settings) (*Engine, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errors.New("correlation engine: no graph")
	}
	return &Engine{
		s: s, g: g, ev: ev,
		adj:   make(map[int][]Edge),
		reach: make(map[int]map[int]reached),
		up:    make(map[int][]int),
		deps:  make(map[int][]int),
		deps1: make(map[int][]int),
		byKey: make(map[string]*alertState),
		index: make(map[int][]*incState),
	}, nil
}

// Replay correlates recorded alerts from scratch and returns the incidents
// they form, storing nothing (`cairn alerts replay`).
func Replay(ctx context.Context, g Graph, ev Evidence, alerts []Alert, s Settings) ([]Incident, error) {
	e, err := NewEngine(g, ev, s)
	if err != nil {
		return nil, err
	}
	if _, err := e.Add(ctx, alerts...); err != nil {
		return nil, err
	}
	return e.Incidents(), nil
}

func checkAlert(i int, a Alert) error {
	switch {
	case a.Key == "":
		return fmt.Errorf("alert %d: empty key", i)
	case a.CI < 0:
		return fmt.Errorf("alert %d (%s): CI %d is negative", i, a.Key, a.CI)
	case a.Start.IsZero():
		return fmt.Errorf("alert %d (%s): no start time", i, a.Key)
	case !a.End.IsZero() && a.End.Before(a.Start):
		return fmt.Errorf("alert %d (%s): ends %s before it starts %s", i, a.Key, a.End.Format(time.RFC3339), a.Start.Format(time.RFC3339))
	}
	return nil
}

// Add takes new alerts and updates of known ones (same Key: a resolution,
// or a re-fire with a later start) and returns the incidents that changed,
// by ID. Alerts are taken in order of start, then key. A bad alert fails
// the whole call before anything changes.
func (e *Engine) Add(ctx context.Context, alerts ...Alert) ([]Incident, error) {
	for i, a := range alerts {
		if err := checkAlert(i, a); err != nil {
			return nil, err
		}
	}
	in := append([]Alert(nil), alerts...)
	sort.SliceStable(in, func(i, j int) bool {
		if !in[i].Start.Equal(in[j].Start) {
			return in[i].Start.Before(in[j].Start)
		}
		return in[i].Key < in[j].Key
	})
	if err := e.fetch(ctx, in); err != nil {
		return nil, err
	}
	changed := map[*incState]bool{}
	touched := make(map[string]bool, len(in))
	for _, a := range in {
		touched[a.Key] = true
		if inc := e.take(a); inc != nil {
			changed[inc] = true
		}
	}
	out := make([]*incState, 0, len(changed))
	for inc := range changed {
		out = append(out, inc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	for i := 0; i < len(out); i++ {
		inc := out[i]
		if err := e.rank(ctx, inc); err != nil {
			return nil, err
		}
		took := e.eject(inc, touched)
		if len(took) == 0 {
			continue
		}
		// Ranked once more without the ejected alerts; no second ejection.
		if err := e.rank(ctx, inc); err != nil {
			return nil, err
		}
		for _, o := range took {
			if !changed[o] {
				changed[o] = true
				out = append(out, o)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	res := make([]Incident, 0, len(out))
	for _, inc := range out {
		if len(inc.keys) > 0 {
			res = append(res, e.snapshot(inc, touched))
		}
	}
	return res, nil
}

// strongTops are inc's leading candidates (those at least leadingRatio
// as likely as the top one) when the top one explains at least two
// alerted CIs and more than half of them: causes the incident is built
// around.
func (e *Engine) strongTops(inc *incState) ([]Candidate, bool) {
	if len(inc.candidates) == 0 {
		return nil, false
	}
	c := inc.candidates[0]
	n := 1
	for n < len(inc.candidates) && inc.candidates[n].ll >= c.ll+math.Log(leadingRatio) {
		n++
	}
	return inc.candidates[:n], c.members >= 2 && 2*c.members >= c.nAlerted
}

// explained reports whether one of cands is in ci's reach.
func (e *Engine) explained(ci int, cands []Candidate) bool {
	for _, c := range cands {
		if _, in := e.reach[ci][c.CI]; in {
			return true
		}
	}
	return false
}

// eject moves out of inc the alerts on CIs none of its candidates
// explains, when the top one is strong (noise that joined through some deep shared dependency while
// the incident was young), each to the incident it now matches or a new
// one, and returns the incidents that took them; their keys are added to
// touched. The rule of joining ("related within H") lets such an alert in;
// the cause, once clear, says it does not belong.
func (e *Engine) eject(inc *incState, touched map[string]bool) []*incState {
	tops, ok := e.strongTops(inc)
	if !ok {
		return nil
	}
	var out []*alertState
	keep := inc.keys[:0]
	for _, k := range inc.keys {
		m := inc.mem[k]
		if m.CI == 0 || e.explained(m.CI, tops) {
			keep = append(keep, k)
			continue
		}
		delete(inc.mem, k)
		touched[k] = true
		if st := e.byKey[k]; st.inc == inc {
			out = append(out, st)
		}
	}
	if len(keep) == len(inc.keys) {
		return nil
	}
	inc.keys = keep
	e.rebuild(inc)
	var took []*incState
	for _, st := range out {
		st.inc = nil
		a := Alert{Key: st.m.Key, CI: st.m.CI, Start: st.m.Start}
		o := e.matchExcept(a, inc)
		if o == nil {
			o = e.open(a)
		}
		e.join(o, st, a)
		if !st.m.End.IsZero() {
			e.ended(o, st.m.End)
		}
		took = append(took, o)
	}
	return took
}

// rebuild recomputes inc's CI counts, reach counts, span and index
// entries from its members' copies.
func (e *Engine) rebuild(inc *incState) {
	for x := range inc.cov {
		incs := e.index[x]
		for i, o := range incs {
			if o == inc {
				e.index[x] = append(incs[:i], incs[i+1:]...)
				break
			}
		}
		if len(e.index[x]) == 0 {
			delete(e.index, x)
		}
	}
	inc.cis, inc.cov, inc.covAt, inc.firing, inc.lastEnd = map[int]int{}, map[int]int{}, map[int]*[MaxHops + 1]int32{}, 0, time.Time{}
	inc.sorted, inc.below, inc.oc, inc.nOrigins = nil, map[int]int{}, map[int]origCov{}, 0
	for i, k := range inc.keys {
		m := inc.mem[k]
		if i == 0 || m.Start.Before(inc.minStart) {
			inc.minStart = m.Start
		}
		if i == 0 || m.Start.After(inc.maxStart) {
			inc.maxStart = m.Start
		}
		inc.firing++
		if !m.End.IsZero() {
			e.ended(inc, m.End)
		}
		e.addCI(inc, m.CI)
	}
	inc.lastJoin = inc.maxStart
}

// fetch reads, in one Graph call, the neighbourhood of every bound CI in
// alerts whose reach is not known yet.
func (e *Engine) fetch(ctx context.Context, alerts []Alert) error {
	var need []int
	seen := map[int]bool{}
	for _, a := range alerts {
		if a.CI != 0 && e.reach[a.CI] == nil && !seen[a.CI] {
			seen[a.CI] = true
			need = append(need, a.CI)
		}
	}
	if len(need) == 0 {
		return nil
	}
	sort.Ints(need)
	edges, err := e.g.DependencyEdges(ctx, need, e.s.Hops)
	if err != nil {
		return fmt.Errorf("reading the dependencies of %d alerted CIs: %w", len(need), err)
	}
	fresh := map[int][]Edge{}
	for _, ed := range edges {
		fresh[ed.From] = append(fresh[ed.From], ed)
	}
	for n, es := range fresh {
		sort.Slice(es, func(i, j int) bool { return es[i].To < es[j].To })
		e.adj[n] = es
	}
	for _, c := range need {
		e.reach[c] = reachOf(e.adj, c, e.s.Hops)
		for x := range e.reach[c] {
			if x != c {
				e.up[x] = append(e.up[x], c)
			}
		}
	}
	return nil
}

// take applies one alert and returns the incident it changed, if any.
func (e *Engine) take(a Alert) *incState {
	st := e.byKey[a.Key]
	if st != nil && st.m.Start.Equal(a.Start) {
		// An update of the same firing: a resolution, or a repeat.
		if st.m.End.IsZero() && !a.End.IsZero() {
			st.m.End = a.End
			e.transition(st, a.End)
			if st.inc != nil {
				e.ended(st.inc, a.End)
			}
			e.sync(st)
			return st.inc
		}
		return nil
	}
	if st != nil && !a.Start.After(st.m.Start) {
		return nil // an older firing arriving late: already superseded
	}
	if st == nil {
		st = &alertState{m: Member{Key: a.Key, CI: a.CI}}
		e.byKey[a.Key] = st
	} else {
		// A re-fire of a known alert.
		if st.m.End.IsZero() && st.inc != nil {
			e.ended(st.inc, a.Start) // the old firing ended when the new one began
			st.inc.mem[a.Key].End = a.Start
		}
		st.m.Refires++
		e.transition(st, a.Start)
		if st.m.CI != a.CI && st.inc != nil {
			// Bound to another CI now: it leaves its incident's rejoin rule.
			st.inc = nil
		}
		st.m.CI = a.CI
	}
	st.m.Start, st.m.End = a.Start, time.Time{}
	inc := st.inc
	if inc != nil && !e.alive(inc, a.Start) {
		inc = nil
	}
	if inc == nil {
		inc = e.match(a)
	}
	if inc == nil && st.m.Flapping {
		e.hold(a.Key)
		st.inc = nil
		return nil
	}
	if inc == nil {
		inc = e.open(a)
	}
	e.join(inc, st, a)
	if !a.End.IsZero() {
		st.m.End = a.End
		e.transition(st, a.End)
		e.ended(inc, a.End)
	}
	e.sync(st)
	return inc
}

// sync copies the alert's state into its incident's member.
func (e *Engine) sync(st *alertState) {
	if st.inc != nil {
		*st.inc.mem[st.m.Key] = st.m
	}
}

func (e *Engine) hold(key string) {
	for _, k := range e.held {
		if k == key {
			return
		}
	}
	e.held = append(e.held, key)
}

// transition records a state change and marks the alert flapping when
// FlapTransitions fall within FlapPeriod.
func (e *Engine) transition(st *alertState, at time.Time) {
	st.transitions = append(st.transitions, at)
	lo := 0
	for lo < len(st.transitions) && at.Sub(st.transitions[lo]) > e.s.FlapPeriod {
		lo++
	}
	st.transitions = st.transitions[lo:]
	if len(st.transitions) >= e.s.FlapTransitions {
		st.m.Flapping = true
	}
}

func (e *Engine) ended(inc *incState, at time.Time) {
	inc.firing--
	if at.After(inc.lastEnd) {
		inc.lastEnd = at
	}
}

// alive reports whether inc still takes alerts on its own CIs at t.
func (e *Engine) alive(inc *incState, t time.Time) bool {
	return inc.firing > 0 || !t.After(inc.lastEnd.Add(e.s.Quiet))
}

// takesNew reports whether inc takes an alert on a new CI starting at t.
func (e *Engine) takesNew(inc *incState, t time.Time) bool {
	return e.alive(inc, t) &&
		!t.Before(inc.minStart.Add(-e.s.Window)) && !t.After(inc.maxStart.Add(e.s.Window)) &&
		!t.After(inc.lastJoin.Add(e.s.Quiet))
}

// match finds the oldest live incident a takes part in.
func (e *Engine) match(a Alert) *incState { return e.matchExcept(a, nil) }

// matchExcept is match leaving out one incident.
func (e *Engine) matchExcept(a Alert, not *incState) *incState {
	e.prune(a.Start)
	if a.CI == 0 {
		svc := a.Labels["service"]
		if svc == "" {
			return nil
		}
		for _, inc := range e.live {
			if inc != not && inc.unbound && inc.service == svc && e.takesNew(inc, a.Start) {
				return inc
			}
		}
		return nil
	}
	var best *incState
	for _, inc := range e.index[a.CI] {
		if inc != not && inc.cis[a.CI] > 0 && (best == nil || inc.id < best.id) && e.alive(inc, a.Start) {
			best = inc // the same CI firing again
		}
	}
	if best != nil {
		return best
	}
	// The incident most of whose CIs share a dependency with a (the
	// largest count of its CIs reaching one CI of a's reach), then the
	// oldest: a storm is not split by noise that opened an incident first.
	bestCov := 0
	for x := range e.reach[a.CI] {
		for _, inc := range e.index[x] {
			c := inc.cov[x]
			if inc == not || c < bestCov || c == bestCov && best != nil && inc.id > best.id || !e.takesNew(inc, a.Start) {
				continue
			}
			best, bestCov = inc, c
		}
	}
	return best
}

// prune drops incidents that can take nothing at t or later from the live
// list and the index (alerts come in start order).
func (e *Engine) prune(t time.Time) {
	keep := e.live[:0]
	dead := false
	for _, inc := range e.live {
		if e.alive(inc, t) {
			keep = append(keep, inc)
		} else {
			dead = true
		}
	}
	for i := len(keep); i < len(e.live); i++ {
		e.live[i] = nil
	}
	e.live = keep
	if !dead {
		return
	}
	isLive := make(map[*incState]bool, len(e.live))
	for _, inc := range e.live {
		isLive[inc] = true
	}
	for x, incs := range e.index {
		k := incs[:0]
		for _, inc := range incs {
			if isLive[inc] {
				k = append(k, inc)
			}
		}
		if len(k) == 0 {
			delete(e.index, x)
		} else {
			e.index[x] = k
		}
	}
}

func (e *Engine) open(a Alert) *incState {
	e.lastID++
	inc := &incState{
		id: e.lastID, unbound: a.CI == 0,
		cis: map[int]int{}, cov: map[int]int{}, covAt: map[int]*[MaxHops + 1]int32{}, mem: map[string]*Member{},
		below: map[int]int{}, oc: map[int]origCov{},
		minStart: a.Start, maxStart: a.Start, lastJoin: a.Start,
	}
	if inc.unbound {
		inc.service = a.Labels["service"]
	}
	e.incs = append(e.incs, inc)
	e.live = append(e.live, inc)
	return inc
}

func (e *Engine) join(inc *incState, st *alertState, a Alert) {
	if st.inc != inc {
		if inc.mem[a.Key] == nil {
			inc.keys = append(inc.keys, a.Key)
			inc.mem[a.Key] = &Member{}
		}
		st.inc = inc
		for i, k := range e.held {
			if k == a.Key {
				e.held = append(e.held[:i], e.held[i+1:]...)
				break
			}
		}
	}
	inc.firing++
	if a.Start.Before(inc.minStart) {
		inc.minStart = a.Start
	}
	if a.Start.After(inc.maxStart) {
		inc.maxStart = a.Start
	}
	if a.Start.After(inc.lastJoin) {
		inc.lastJoin = a.Start
	}
	e.addCI(inc, a.CI)
	e.sync(st)
}

// addCI counts an alert on ci in inc, and ci's reach when it is new there.
func (e *Engine) addCI(inc *incState, ci int) {
	if ci == 0 {
		return
	}
	inc.cis[ci]++
	if inc.cis[ci] > 1 {
		return
	}
	for x, r := range e.reach[ci] {
		if inc.cov[x] == 0 {
			e.index[x] = append(e.index[x], inc)
		}
		inc.cov[x]++
		if r.dist > 0 {
			at := inc.covAt[x]
			if at == nil {
				at = new([MaxHops + 1]int32)
				inc.covAt[x] = at
			}
			at[r.dist]++
		}
	}
	e.placeOrigin(inc, ci)
}

// placeOrigin updates inc's origins for ci, new among its alerted CIs:
// ci is an origin unless an alerted CI is strictly below it, and the
// origins strictly above it (whose reach holds it) are origins no more.
func (e *Engine) placeOrigin(inc *incState, ci int) {
	i := sort.SearchInts(inc.sorted, ci)
	inc.sorted = append(inc.sorted, 0)
	copy(inc.sorted[i+1:], inc.sorted[i:])
	inc.sorted[i] = ci
	rc := e.reach[ci]
	nb := 0
	for x := range rc {
		if x == ci || inc.cis[x] == 0 {
			continue
		}
		if _, back := e.reach[x][ci]; !back {
			nb++
		}
	}
	inc.below[ci] = nb
	if inc.cov[ci] > 1 { // another alerted CI's reach holds ci
		// those CIs: whichever is shorter, the CIs above ci or the alerted ones
		above, filter := e.up[ci], true
		if len(inc.sorted) < len(above) {
			above, filter = inc.sorted, false
		}
		for _, a := range above {
			if a == ci || filter && inc.cis[a] == 0 {
				continue
			}
			if _, in := e.reach[a][ci]; !in {
				continue
			}
			if _, back := rc[a]; back {
				continue
			}
			inc.below[a]++
			if inc.below[a] == 1 {
				e.origin(inc, a, -1)
			}
		}
	}
	if nb == 0 {
		e.origin(inc, ci, 1)
	}
}

// origin adds (sign 1) or takes away (-1) origin o's reach in inc.oc.
func (e *Engine) origin(inc *incState, o, sign int) {
	inc.nOrigins += sign
	for x, r := range e.reach[o] {
		v := inc.oc[x]
		v.n += sign
		v.dist += sign * r.dist
		if v.n == 0 {
			delete(inc.oc, x)
		} else {
			inc.oc[x] = v
		}
	}
}

// Compact forgets what can no longer change at now or later: incidents
// that take no alert any more (all resolved and Quiet passed), the alerts
// they hold (a later firing of such a key starts afresh, its flapping
// history forgotten), and the graph neighbourhoods no live incident uses.
// A long-running intake calls it from time to time after storing the
// incidents; it returns how many incidents it dropped. Alerts added later
// must not start before now.
func (e *Engine) Compact(now time.Time) int {
	e.prune(now)
	isLive := make(map[*incState]bool, len(e.live))
	keepCI := map[int]bool{}
	for _, inc := range e.live {
		isLive[inc] = true
		for c := range inc.cis {
			keepCI[c] = true
		}
	}
	dropped := len(e.incs) - len(e.live)
	e.incs = append([]*incState(nil), e.live...)
	held := map[string]bool{}
	for _, k := range e.held {
		held[k] = true
	}
	for k, st := range e.byKey {
		if st.inc != nil && !isLive[st.inc] || st.inc == nil && !held[k] {
			delete(e.byKey, k)
		}
	}
	for k := range held {
		if st := e.byKey[k]; st != nil && st.m.CI != 0 {
			keepCI[st.m.CI] = true
		}
	}
	keepAdj := map[int]bool{}
	clear(e.up)
	for c, r := range e.reach {
		if !keepCI[c] {
			delete(e.reach, c)
			continue
		}
		for x := range r {
			keepAdj[x] = true
			if x != c {
				e.up[x] = append(e.up[x], c)
			}
		}
	}
	for n := range e.adj {
		if !keepAdj[n] {
			delete(e.adj, n)
		}
	}
	for n := range e.deps {
		if !keepAdj[n] {
			delete(e.deps, n)
		}
	}
	for n := range e.deps1 {
		if !keepAdj[n] {
			delete(e.deps1, n)
		}
	}
	return dropped
}

// Incidents returns every incident, by ID.
func (e *Engine) Incidents() []Incident {
	out := make([]Incident, len(e.incs))
	for i, inc := range e.incs {
		out[i] = e.snapshot(inc, nil)
	}
	return out
}

// Held returns the flapping alerts that joined no incident, by key.
func (e *Engine) Held() []Member {
	out := make([]Member, 0, len(e.held))
	for _, k := range e.held {
		out = append(out, e.byKey[k].m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// snapshot copies inc out: with every member when only is nil, else with
// the members whose keys only holds.
func (e *Engine) snapshot(inc *incState, only map[string]bool) Incident {
	x := Incident{ID: inc.id, Service: inc.service, OpenedAt: inc.minStart, LastAlertAt: inc.maxStart, Size: len(inc.keys)}
	// sorted by reference, then copied: a member is too large to swap
	var ms []*Member
	if only == nil {
		ms = make([]*Member, len(inc.keys))
		for i, k := range inc.keys {
			ms[i] = inc.mem[k]
		}
	} else {
		for k := range only {
			if m := inc.mem[k]; m != nil {
				ms = append(ms, m)
			}
		}
	}
	slices.SortFunc(ms, func(a, b *Member) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(ms) > 0 {
		x.Alerts = make([]Member, len(ms))
	}
	for i, m := range ms {
		x.Alerts[i] = *m
	}
	x.CIs = append([]int(nil), inc.sorted...)
	if inc.firing <= 0 {
		x.ResolvedAt = inc.lastEnd
	}
	x.Candidates = inc.candidates
	return x
}
