package correlate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// reachAll returns every CI reachable from x through adj, at any depth, x excluded.
func reachAll(adj map[int][]int, x int) map[int]bool {
	seen := map[int]bool{x: true}
	stack := []int{x}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range adj[n] {
			if !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	delete(seen, x)
	return seen
}

func forward(edges []Edge) map[int][]int {
	out := map[int][]int{}
	for _, e := range edges {
		out[e.From] = append(out[e.From], e.To)
	}
	return out
}

// faultSetup is a graph the fault-injection trials run on.
type faultSetup struct {
	g       Graph
	in, out map[int][]int
	n       int
	// faulty are the CIs a fault may be injected at: those with at least
	// minDeps dependents within H.
	faulty []int
}

func newFaultSetup(edges []Edge, n, minDeps int) *faultSetup {
	f := &faultSetup{g: NewMemGraph(edges), in: reverse(edges), out: forward(edges), n: n}
	for x := 1; x <= n; x++ {
		if len(f.in[x]) > 0 && len(dependentsWithin(f.in, x, DefaultHops)) >= minDeps {
			f.faulty = append(f.faulty, x)
		}
	}
	return f
}

// trialOpts shape one fault-injection trial.
type trialOpts struct {
	// sample share of the dependents within H that alert, in percent
	minPct, maxPct int
	// maxAlerts caps the sample (0: no cap)
	maxAlerts int
	noise     int
	// selfAlerts is the chance in percent that the injected CI alerts too
	selfAlerts int
}

// estateTrial injects a fault at a random faulty CI x: a random share
// (minPct–maxPct) of its dependents within H alert over five minutes, x
// itself alerts in selfAlerts% of the trials (a device that is down is
// often still probed from outside), and noise alerts fire in the same five
// minutes on CIs truly unrelated to x: neither depending on it nor
// depended on by it, at any depth. The incident holding most of the
// fault's alerts is scored.
func (f *faultSetup) trial(ctx context.Context, rng *rand.Rand, o trialOpts, st *trialStats, miss func(x int, alerts []Alert, inc Incident)) error {
	s := DefaultSettings()
	x := f.faulty[rng.IntN(len(f.faulty))]
	deps := dependentsWithin(f.in, x, s.Hops)
	rng.Shuffle(len(deps), func(i, j int) { deps[i], deps[j] = deps[j], deps[i] })
	pct := o.minPct + rng.IntN(o.maxPct-o.minPct+1)
	k := max(2, len(deps)*pct/100)
	if o.maxAlerts > 0 {
		k = min(k, o.maxAlerts)
	}
	var alerts []Alert
	fault := map[string]bool{}
	for i, c := range deps[:k] {
		key := fmt.Sprint("f", i)
		fault[key] = true
		alerts = append(alerts, Alert{Key: key, CI: c, Start: t0.Add(time.Duration(rng.IntN(300)) * time.Second)})
	}
	if rng.IntN(100) < o.selfAlerts {
		fault["x"] = true
		alerts = append(alerts, Alert{Key: "x", CI: x, Start: t0.Add(time.Duration(rng.IntN(300)) * time.Second)})
	}
	related := reachAll(f.in, x)
	for c := range reachAll(f.out, x) {
		related[c] = true
	}
	related[x] = true
	for i := 0; i < o.noise; {
		c := 1 + rng.IntN(f.n)
		if related[c] {
			continue
		}
		alerts = append(alerts, Alert{Key: fmt.Sprint("n", i), CI: c, Start: t0.Add(time.Duration(rng.IntN(300)) * time.Second)})
		i++
	}
	incs, err := Replay(ctx, f.g, nil, alerts, s)
	if err != nil {
		return err
	}
	inc := st.score(incs, x, fault, o.noise, related)
	noisy := false
	for _, a := range inc.Alerts {
		noisy = noisy || !fault[a.Key]
	}
	if miss != nil && (len(inc.Candidates) == 0 || inc.Candidates[0].CI != x || noisy) {
		miss(x, alerts, inc)
	}
	return nil
}

// score counts one trial's outcome and returns the incident scored.
func (st *trialStats) score(incs []Incident, x int, fault map[string]bool, nNoise int, related map[int]bool) Incident {
	best, bestN, holding := -1, 0, 0
	for i, inc := range incs {
		m := 0
		for _, a := range inc.Alerts {
			if fault[a.Key] {
				m++
			}
		}
		if m > 0 {
			holding++
		}
		if m > bestN {
			best, bestN = i, m
		}
	}
	st.trials++
	st.noiseAlerts += nNoise
	if holding > 1 {
		st.split++
	}
	inc := incs[best]
	for i, c := range inc.Candidates {
		if c.CI == x {
			if i == 0 {
				st.top1++
			}
			if i < 3 {
				st.top3++
			}
		}
	}
	if len(inc.Candidates) > 0 && inc.Candidates[0].CI != x {
		if related[inc.Candidates[0].CI] {
			st.missAbove++
		} else {
			st.missOther++
		}
	}
	merged := 0
	for _, a := range inc.Alerts {
		if !fault[a.Key] {
			merged++
		}
	}
	st.noiseAlertsMerged += merged
	if merged > 0 {
		st.noiseMerged++
	}
	return inc
}

// TestFaultInjectionEstate is the fault-injection benchmark of issue 15
// on the estate-shaped graph (estateGraph, the synthetic estate's layers):
// 1,000 trials, each a fault at a random CI with at least 10 dependents
// within H, 30–100% of those alerting (no cap: a core switch's fault
// fires thousands), the injected CI itself alerting in half the trials,
// with five unrelated noise alerts in the same five minutes and without.
func TestFaultInjectionEstate(t *testing.T) {
	n, trials := 100_000, 1000
	if testing.Short() {
		n, trials = 20_000, 100
	}
	f := newFaultSetup(estateGraph(n, 7), n, 10)
	for _, tc := range []struct {
		noise                      int
		minTop1, minTop3, maxNoise float64
	}{
		// the goals of issue 15; measured on 100,000 CIs (BENCHMARKS.md):
		// 96.0%, 99.5%, 0.3% with noise, 97.7%, 99.7% without
		{noise: 5, minTop1: 0.90, minTop3: 0.98, maxNoise: 0.05},
		{noise: 0, minTop1: 0.90, minTop3: 0.98, maxNoise: 0},
	} {
		t.Run(fmt.Sprint("noise ", tc.noise), func(t *testing.T) {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(15, 2026))
			var st trialStats
			shown := 0
			miss := func(x int, alerts []Alert, inc Incident) {
				if shown >= 8 || !testing.Verbose() {
					return
				}
				shown++
				logMiss(t, f, x, alerts, inc)
			}
			for range trials {
				if err := f.trial(ctx, rng, trialOpts{minPct: 30, maxPct: 100, noise: tc.noise, selfAlerts: 50}, &st, miss); err != nil {
					t.Fatal(err)
				}
			}
			t.Log(st)
			checkGoals(t, st, tc.minTop1, tc.minTop3, tc.maxNoise)
		})
	}
}

func checkGoals(t *testing.T, st trialStats, minTop1, minTop3, maxNoise float64) {
	t.Helper()
	top1 := float64(st.top1) / float64(st.trials)
	top3 := float64(st.top3) / float64(st.trials)
	noise := float64(st.noiseMerged) / float64(st.trials)
	if top1 < 0.90 || top3 < 0.98 || noise > 0.05 {
		t.Logf("below the goals of issue 15 (top 90%%, top 3 98%%, noise at most 5%%)")
	}
	if top1 < minTop1 || top3 < minTop3 || noise > maxNoise {
		t.Errorf("worse than measured before (top %.2f, top 3 %.2f, noise %.2f): %s", minTop1, minTop3, maxNoise, st)
	}
}

func logMiss(t *testing.T, f *faultSetup, x int, alerts []Alert, inc Incident) {
	t.Helper()
	alerted := map[int]bool{}
	for _, a := range alerts {
		alerted[a.CI] = true
	}
	deps := dependentsWithin(f.in, x, DefaultHops)
	na := 0
	for _, d := range deps {
		if alerted[d] {
			na++
		}
	}
	t.Logf("MISS x=%d (alerted %v, %d of %d dependents alert, deps of x: %v) incident %d alerts on %d CIs", x, alerted[x], na, len(deps), f.out[x], len(inc.Alerts), len(inc.CIs))
	for _, a := range inc.Alerts {
		if a.Key[0] == 'n' {
			t.Logf("  noise %s on CI %d (depends on %v) merged", a.Key, a.CI, f.out[a.CI])
		}
	}
	for i, c := range inc.Candidates {
		dd := dependentsWithin(f.in, c.CI, DefaultHops)
		nd := 0
		for _, d := range dd {
			if alerted[d] {
				nd++
			}
		}
		rel := "unrelated"
		if c.CI == x {
			rel = "INJECTED"
		} else if sort.SearchInts(deps, c.CI) < len(deps) && deps[sort.SearchInts(deps, c.CI)] == c.CI {
			rel = "dependent of x"
		} else if reachAll(f.out, x)[c.CI] {
			rel = "dependency of x"
		}
		t.Logf("  #%d CI %d (%s) score %.3f alerted %v: %d/%d deps alert; origins %d/%d members %d; %q", i+1, c.CI, rel, c.Score, c.Alerted, nd, len(dd), c.origins, c.nOrigins, c.members, c.Reasons)
	}
}

// BenchmarkFaultInjection reports TestFaultInjectionEstate's figures with
// noise (make bench): 1,000 trials on the 100,000-CI estate graph.
func BenchmarkFaultInjection(b *testing.B) {
	n := 100_000
	f := newFaultSetup(estateGraph(n, 7), n, 10)
	ctx := context.Background()
	b.ResetTimer()
	var st trialStats
	for range b.N {
		rng := rand.New(rand.NewPCG(15, 2026))
		for range 1000 {
			if err := f.trial(ctx, rng, trialOpts{minPct: 30, maxPct: 100, noise: 5, selfAlerts: 50}, &st, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	p := func(a int) float64 { return 100 * float64(a) / float64(st.trials) }
	b.ReportMetric(p(st.top1), "top1-%")
	b.ReportMetric(p(st.top3), "top3-%")
	b.ReportMetric(p(st.noiseMerged), "noise-merged-%")
	b.ReportMetric(p(st.split), "split-%")
	b.Log(st)
}
