package correlate

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

type scored struct {
	ci       int
	origins  int // origins it explains
	members  int // alerted CIs it explains
	distSum  int // over the origins it explains
	alerted  bool
	isOrigin bool
	score    float64
	findings []Finding
	reasons  []string
}

// rank computes inc's probable-cause candidates.
func (e *Engine) rank(ctx context.Context, inc *incState) error {
	inc.candidates = nil
	if inc.unbound || len(inc.cis) == 0 {
		return nil
	}
	alerted := make([]int, 0, len(inc.cis))
	for c := range inc.cis {
		alerted = append(alerted, c)
	}
	sort.Ints(alerted)
	var origins []int
	for _, a := range alerted {
		below := false
		for x := range e.reach[a] {
			if x == a || inc.cis[x] == 0 {
				continue
			}
			// strictly below: not on a cycle back to a within reach
			if _, back := e.reach[x][a]; !back {
				below = true
				break
			}
		}
		if !below {
			origins = append(origins, a)
		}
	}
	cands := map[int]*scored{}
	for _, o := range origins {
		for x, r := range e.reach[o] {
			s := cands[x]
			if s == nil {
				s = &scored{ci: x, alerted: inc.cis[x] > 0, members: inc.cov[x]}
				cands[x] = s
			}
			s.origins++
			s.distSum += r.dist
		}
	}
	for _, o := range origins {
		cands[o].isOrigin = true
	}
	list := make([]*scored, 0, len(cands))
	for _, s := range cands {
		s.score = float64(s.origins) / float64(len(origins))
		if s.alerted {
			s.score += 0.1
		}
		list = append(list, s)
	}
	sortScored(list)
	// Evidence for the leading candidates (twice as many as kept, so that
	// evidence can lift one into the list) and their direct dependencies.
	pool := list[:min(len(list), 2*e.s.MaxCandidates)]
	if e.ev != nil && e.s.EvidenceLookback > 0 && len(pool) > 0 {
		if err := e.evidence(ctx, inc, pool); err != nil {
			return err
		}
		sortScored(pool)
	}
	keep := pool[:min(len(pool), e.s.MaxCandidates)]
	for _, s := range keep {
		inc.candidates = append(inc.candidates, e.candidate(inc, s, len(origins), len(alerted)))
	}
	return nil
}

func sortScored(l []*scored) {
	sort.Slice(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.score != b.score {
			return a.score > b.score
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
			add(s, f, w/2, fmt.Sprintf("%s %s on its dependency CI %d %s before the first alert: %s", kindWords(f.Kind), f.Ref, f.CI, ago, f.Summary))
		}
	}
	for s, b := range boost {
		s.score += math.Min(b, maxEvidenceBoost)
	}
	return nil
}

const minuteRound = time.Minute

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

func (e *Engine) candidate(inc *incState, s *scored, nOrigins, nAlerted int) Candidate {
	c := Candidate{CI: s.ci, Score: math.Round(s.score*1000) / 1000, Alerted: s.alerted, Evidence: s.findings, origins: s.origins, nOrigins: nOrigins, members: s.members}
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
	c.Reasons = append(words, s.reasons...)
	// Paths from every alerted CI whose reach holds the candidate.
	var from []int
	for a := range inc.cis {
		if _, ok := e.reach[a][s.ci]; ok && a != s.ci {
			from = append(from, a)
		}
	}
	sort.Ints(from)
	c.PathCount = len(from)
	for _, a := range from[:min(len(from), e.s.MaxPaths)] {
		c.Paths = append(c.Paths, pathTo(e.reach[a], a, s.ci))
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
