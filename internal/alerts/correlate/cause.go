package correlate

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

type scored struct {
	ci        int
	origins   int // origins it explains
	members   int // alerted CIs it explains (itself included)
	distSum   int // over the origins it explains
	alerted   bool
	isOrigin  bool
	deps      []int   // CIs depending on it at each distance 1..H
	deps1     int     // CIs depending on it directly (-1: not read yet)
	noise     float64 // what the alerted CIs it does not explain cost, and its alerting
	exact     bool    // ll is known (else bound only)
	alertedAt []int   // alerted CIs depending on it at each distance 1..H
	bound     float64 // ll can be no higher
	ll        float64 // log-likelihood of the incident's alerts with it as the cause
	score     float64
	findings  []Finding
	reasons   []string
}

// Weights of the likelihood of a candidate (see the package doc).
const (
	// noiseCost is what an alerted CI the candidate does not explain
	// costs: -ln 0.01, an unrelated alert in the same minutes is rare.
	noiseCost = 4.6
	// alertedBonus favours a candidate that alerts itself (ln 2).
	alertedBonus = 0.7
	// evidenceWeight turns evidence's boost into log-likelihood: the most
	// evidence (maxEvidenceBoost) makes a candidate e^2.5 ≈ 12 times as likely.
	evidenceWeight = 5.0
	// inversionWeight is how much the evidence that a candidate's far
	// dependents alert more than its near ones costs (see levelFit).
	inversionWeight = 1.0
	// leadingRatio: candidates at least this likely relative to the top
	// one lead with it (ejection keeps what they explain).
	leadingRatio = 0.1
)

// fit is the log-likelihood that k of n CIs alert when each alerts
// independently with the best-fitting chance k/n: 0 when all or none
// alert, lower the more evenly they split.
func fit(k, n int) float64 {
	if k == 0 || n <= 0 {
		return 0
	}
	n = max(n, k)
	p := float64(k) / float64(n)
	ll := float64(k) * math.Log(p)
	if n > k {
		ll += float64(n-k) * math.Log1p(-p)
	}
	return ll
}

// levelFit weighs a candidate by how it (alerted itself: self) and its
// dependents within H alert: alerted[d] of total[d] at distance d+1. It is
// the log-likelihood of that when the candidate is down and each of them
// alerts with one best-fitting chance (all alerted over all counted: 0
// when all alert, lower the more of them stay silent), less what a chance
// growing with
// the distance would fit better (pool-adjacent-violators over the
// levels): a failure does not skip near dependents to reach far ones, so
// a candidate whose near dependents stay silent while far ones alert (the
// firewall behind the cores behind the switch whose hosts alert) pays for
// that, while one whose near dependents alert more than far ones does not.
func levelFit(self bool, alerted, total []int) float64 {
	type block struct{ k, n int }
	var bs []block
	k, n := 0, 1
	if self {
		k = 1
	}
	for d := range total {
		if total[d] <= 0 {
			continue
		}
		kd := 0
		if d < len(alerted) {
			kd = min(alerted[d], total[d])
		}
		k, n = k+kd, n+total[d]
		bs = append(bs, block{kd, total[d]})
		for len(bs) > 1 {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			if a.k*b.n <= b.k*a.n { // a's chance ≤ b's: growing, in order
				break
			}
			bs = append(bs[:len(bs)-2], block{a.k + b.k, a.n + b.n})
		}
	}
	levels, growing := 0.0, 0.0
	if len(bs) > 0 {
		levels = fit(k-b2i(self), n-1)
	}
	for _, b := range bs {
		growing += fit(b.k, b.n)
	}
	return fit(k, n) - inversionWeight*(growing-levels)
}

// rank computes inc's probable-cause candidates.
func (e *Engine) rank(ctx context.Context, inc *incState) error {
	inc.candidates = nil
	if inc.unbound || len(inc.cis) == 0 {
		return nil
	}
	alerted := inc.sorted // read only
	// The candidates: every CI in an origin's reach (kept as CIs join).
	pool := make([]scored, 0, len(inc.oc))
	for x, v := range inc.oc {
		pool = append(pool, scored{ci: x, alerted: inc.cis[x] > 0, members: inc.cov[x], origins: v.n, distSum: v.dist})
	}
	nAlerted := len(alerted)
	byBound := make([]*scored, len(pool))
	for i := range pool {
		s := &pool[i]
		s.isOrigin = s.alerted && inc.below[s.ci] == 0
		s.noise = -noiseCost * float64(nAlerted-s.members)
		if s.alerted {
			s.noise += alertedBonus
		}
		// the best its dependents can fit: all alerting (and itself, silent, the only one not)
		s.bound, s.deps1 = s.noise, -1
		if !s.alerted {
			s.bound += fit(s.members, s.members+1)
		}
		byBound[i] = s
	}
	slack := 0.0
	if e.ev != nil && e.s.EvidenceLookback > 0 {
		slack = evidenceWeight * maxEvidenceBoost
	}
	list, err := e.weigh(ctx, inc, byBound, e.s.MaxCandidates, slack)
	if err != nil {
		return err
	}
	sortScored(list)
	// Evidence for the leading candidates (twice as many as kept, so that
	// evidence can lift one into the list) and their direct dependencies.
	lead := list[:min(len(list), 2*e.s.MaxCandidates)]
	if e.ev != nil && e.s.EvidenceLookback > 0 && len(lead) > 0 {
		if err := e.evidence(ctx, inc, lead); err != nil {
			return err
		}
		sortScored(lead)
	}
	// The score is the candidate's share of the likelihood of all the
	// candidates weighed.
	top, sum := list[0].ll, 0.0
	for _, s := range list {
		top = max(top, s.ll)
	}
	for _, s := range list {
		sum += math.Exp(s.ll - top)
	}
	keep := lead[:min(len(lead), e.s.MaxCandidates)]
	for _, s := range keep {
		s.score = math.Exp(s.ll-top) / sum
		inc.candidates = append(inc.candidates, e.candidate(s, alerted, inc.nOrigins))
	}
	return nil
}

// weigh computes the log-likelihood of as few candidates as it can: of
// the candidates in byBound (each with a bound of its likelihood from the
// alerts alone), it keeps taking the one with the highest bound and
// tightening it, a chunk at a time, in two steps: the count of its direct
// dependents (cheap: a hub's hundreds of silent direct dependents already
// sink it), then its dependents by distance (exact). It stops once the
// best keep are exact and no bound left could come within slack of the
// keep-th (slack: what evidence can still add), or once the best keep
// (2·keep with evidence: those evidence is read for) are exact and no
// bound left exceeds them, and returns the exact ones. Counts are read
// in one Graph call per step and chunk, and cached.
func (e *Engine) weigh(ctx context.Context, inc *incState, byBound []*scored, keep int, slack float64) ([]*scored, error) {
	const chunk = 32
	pending := boundHeap(append([]*scored(nil), byBound...))
	heap.Init(&pending)
	var done []*scored
	// alerted dependents by distance, filled once a candidate is weighed
	alertedAt := func(s *scored) {
		if at := inc.covAt[s.ci]; at != nil && s.alertedAt == nil {
			s.alertedAt = make([]int, e.s.Hops)
			for d := range s.alertedAt {
				s.alertedAt[d] = int(at[d+1])
			}
		}
	}
	pool := keep + b2i(slack > 0)*keep // the candidates evidence is read for
	for len(pending) > 0 {
		for len(pending) > 0 && pending[0].exact {
			done = append(done, heap.Pop(&pending).(*scored))
		}
		if len(pending) == 0 {
			break
		}
		floor := math.Inf(-1) // what a candidate must reach to be kept
		if len(done) >= keep {
			lls := make([]float64, len(done))
			for i, s := range done {
				lls[i] = s.ll
			}
			sort.Sort(sort.Reverse(sort.Float64Slice(lls)))
			floor = lls[keep-1] - slack
			if pending[0].bound < floor {
				break
			}
			// Evidence lifts only the best 2·keep (the evidence pool): once
			// that many are exact and none left can pass them, no candidate
			// left can be kept (ties go to the ones weighed).
			if len(done) >= pool && pending[0].bound <= lls[pool-1] {
				break
			}
		}
		// The direct counts of the leading chunk first; once those are
		// known, the full counts of the leading ones that can still be kept
		// (as many as places are left, at least one).
		var lead []*scored
		for len(lead) < chunk && len(pending) > 0 {
			lead = append(lead, heap.Pop(&pending).(*scored))
		}
		var direct, full []*scored
		for i, s := range lead {
			switch {
			case s.exact:
			case s.deps1 < 0:
				direct = append(direct, s)
			case i < max(1, pool-len(done)) || len(done) >= pool && s.bound >= floor && i < pool:
				full = append(full, s)
			}
		}
		if len(direct) > 0 {
			full = nil
		}
		if err := e.count(ctx, direct, 1, true); err != nil {
			return nil, err
		}
		for _, s := range direct {
			alertedAt(s)
			s.deps1 = 0
			if l := e.deps1[s.ci]; len(l) > 0 {
				s.deps1 = l[0]
			}
			// the rest as if every further dependent alerted
			k, n := b2i(s.alerted), 1+s.deps1
			for d, kd := range s.alertedAt {
				k += kd
				if d > 0 {
					n += kd
				}
			}
			s.bound = min(s.bound, s.noise+fit(k, n))
		}
		if err := e.count(ctx, full, e.s.Hops, false); err != nil {
			return nil, err
		}
		for _, s := range full {
			alertedAt(s)
			s.deps = e.deps[s.ci]
			s.ll = s.noise + levelFit(s.alerted, s.alertedAt, s.deps)
			s.bound, s.exact = s.ll, true
		}
		for _, s := range lead {
			heap.Push(&pending, s)
		}
	}
	return done, nil
}

// boundHeap orders candidates by bound, highest first, then CI.
type boundHeap []*scored

func (h boundHeap) Len() int { return len(h) }
func (h boundHeap) Less(i, j int) bool {
	if h[i].bound != h[j].bound {
		return h[i].bound > h[j].bound
	}
	return h[i].ci < h[j].ci
}
func (h boundHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *boundHeap) Push(x any)   { *h = append(*h, x.(*scored)) }
func (h *boundHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// count reads, in one Graph call, the dependents' counts within hops of
// the candidates in l not cached yet, into the cache (direct: e.deps1,
// the direct dependents; else e.deps).
func (e *Engine) count(ctx context.Context, l []*scored, hops int, direct bool) error {
	cache := e.deps
	if direct {
		cache = e.deps1
	}
	var need []int
	for _, s := range l {
		if _, ok := cache[s.ci]; !ok {
			need = append(need, s.ci)
		}
	}
	if len(need) == 0 {
		return nil
	}
	sort.Ints(need)
	counts, err := e.g.DependentCounts(ctx, need, hops)
	if err != nil {
		return fmt.Errorf("counting the dependents of %d candidate CIs within %d hops: %w", len(need), hops, err)
	}
	for _, c := range need {
		cache[c] = counts[c]
	}
	return nil
}

func sortScored(l []*scored) {
	sort.Slice(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.ll != b.ll {
			return a.ll > b.ll
		}
		// then the one explaining more alerted CIs, then the closer one
		if a.members != b.members {
			return a.members > b.members
		}
		if ma, mb := a.distSum*b.origins, b.distSum*a.origins; ma != mb {
			return ma < mb
		}
		return a.ci < b.ci
	})
}

func (e *Engine) evidence(ctx context.Context, inc *incState, pool []*scored) error {
	ask := map[int]bool{}
	depOf := map[int][]*scored{}
	for _, s := range pool {
		ask[s.ci] = true
		for _, ed := range e.adj[s.ci] {
			ask[ed.To] = true
			depOf[ed.To] = append(depOf[ed.To], s)
		}
	}
	cis := make([]int, 0, len(ask))
	for c := range ask {
		cis = append(cis, c)
	}
	sort.Ints(cis)
	found, err := e.ev.Findings(ctx, cis, inc.minStart.Add(-e.s.EvidenceLookback), inc.maxStart)
	if err != nil {
		return fmt.Errorf("reading evidence on %d candidate CIs: %w", len(cis), err)
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].CI != found[j].CI {
			return found[i].CI < found[j].CI
		}
		if !found[i].At.Equal(found[j].At) {
			return found[i].At.Before(found[j].At)
		}
		return found[i].Ref < found[j].Ref
	})
	boost := map[*scored]float64{}
	add := func(s *scored, f Finding, w float64, words string) {
		s.findings = append(s.findings, f)
		s.reasons = append(s.reasons, words)
		boost[s] += w
	}
	for _, f := range found {
		w := findingWeight[f.Kind]
		if w == 0 {
			continue
		}
		ago := inc.minStart.Sub(f.At).Round(minuteRound)
		for _, s := range pool {
			if s.ci == f.CI {
				add(s, f, w, fmt.Sprintf("%s %s on it %s before the first alert: %s", kindWords(f.Kind), f.Ref, ago, f.Summary))
			}
		}
		for _, s := range depOf[f.CI] {
			add(s, f, w/2, fmt.Sprintf("%s %s on its dependency %s %s before the first alert: %s", kindWords(f.Kind), f.Ref, findingCI(f), ago, f.Summary))
		}
	}
	for s, b := range boost {
		s.ll += evidenceWeight * math.Min(b, maxEvidenceBoost)
	}
	return nil
}

const minuteRound = time.Minute

// findingCI names a finding's CI in a reason: its name when the evidence
// gave it, else "CI <id>".
func findingCI(f Finding) string {
	if f.CIName != "" {
		return f.CIName
	}
	return fmt.Sprintf("CI %d", f.CI)
}

func kindWords(k string) string {
	switch k {
	case FindingChange:
		return "change record"
	case FindingDrift:
		return "unauthorised drift"
	default:
		return "audit change"
	}
}

func (e *Engine) candidate(s *scored, alerted []int, nOrigins int) Candidate {
	nAlerted := len(alerted)
	c := Candidate{CI: s.ci, Score: math.Round(s.score*1000) / 1000, Alerted: s.alerted, Evidence: s.findings, origins: s.origins, nOrigins: nOrigins, members: s.members, nAlerted: nAlerted, ll: s.ll}
	var words []string
	switch {
	case s.isOrigin && s.origins == 1 && nOrigins == 1:
		words = append(words, fmt.Sprintf("origin of the cascade: alerted, with no alerted dependency within %d hops", e.s.Hops))
	case s.isOrigin:
		words = append(words, fmt.Sprintf("one of %d origins of the cascade: alerted, with no alerted dependency within %d hops", nOrigins, e.s.Hops))
	}
	if s.origins > 1 || !s.alerted {
		state := "alerting itself"
		if !s.alerted {
			state = "silent itself"
		}
		words = append(words, fmt.Sprintf("shared dependency of %d of %d alerted CIs (%d of %d origins) within %d hops, %s",
			s.members, nAlerted, s.origins, nOrigins, e.s.Hops, state))
	}
	if n := sum(s.deps); n > 0 {
		words = append(words, fmt.Sprintf("%d of the %s depending on it within %d hops alert (%s)", sum(s.alertedAt), plural(n, "CI", "CIs"), e.s.Hops, levelWords(s.alertedAt, s.deps)))
	}
	c.Reasons = append(words, s.reasons...)
	// Paths from every alerted CI whose reach holds the candidate (the
	// members it explains but itself), the first MaxPaths by CI.
	c.PathCount = s.members - b2i(s.alerted)
	for _, a := range alerted {
		if len(c.Paths) >= min(c.PathCount, e.s.MaxPaths) {
			break
		}
		if _, ok := e.reach[a][s.ci]; ok && a != s.ci {
			c.Paths = append(c.Paths, pathTo(e.reach[a], a, s.ci))
		}
	}
	return c
}

// String renders a path as "12 → 7 → 3".
func (p Path) String() string {
	parts := make([]string, len(p))
	for i, n := range p {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, " → ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprint(n, " ", many)
}

func sum(l []int) int {
	n := 0
	for _, x := range l {
		n += x
	}
	return n
}

// levelWords renders alerted dependents by distance: "1 hop 3/4, 2 hops 0/9".
func levelWords(alerted, total []int) string {
	var parts []string
	for d, n := range total {
		if n == 0 {
			continue
		}
		k := 0
		if d < len(alerted) {
			k = alerted[d]
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d", plural(d+1, "hop", "hops"), k, n))
	}
	return strings.Join(parts, ", ")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
