package correlate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// randomGraph is a random dependency graph with locality: CI i depends on
// one to three CIs among the 60 before it (a DAG), and one CI in 40 also on
// one of the 60 after it, making cycles. CIs are numbered from 1.
func randomGraph(rng *rand.Rand, n int) []Edge {
	var out []Edge
	for i := 2; i <= n; i++ {
		seen := map[int]bool{}
		k := 1 + rng.IntN(3)
		for range k {
			lo := max(1, i-60)
			j := lo + rng.IntN(i-lo)
			if !seen[j] {
				seen[j] = true
				out = append(out, Edge{From: i, To: j, Type: "DEPENDS_ON"})
			}
		}
		if rng.IntN(40) == 0 && i+1 <= n {
			j := i + 1 + rng.IntN(min(60, n-i))
			if !seen[j] {
				out = append(out, Edge{From: i, To: j, Type: "DEPENDS_ON"})
			}
		}
	}
	return out
}

// dependentsWithin returns the CIs that depend on x within hops, by distance.
func dependentsWithin(in map[int][]int, x, hops int) []int {
	dist := map[int]int{x: 0}
	frontier := []int{x}
	var out []int
	for d := 1; d <= hops; d++ {
		var next []int
		for _, n := range frontier {
			for _, m := range in[n] {
				if _, ok := dist[m]; !ok {
					dist[m] = d
					next = append(next, m)
					out = append(out, m)
				}
			}
		}
		frontier = next
	}
	sort.Ints(out)
	return out
}

type trialStats struct {
	trials, top1, top3, noiseMerged, noiseAlerts, noiseAlertsMerged, split int
	// when the injected CI is not on top: the top one is a dependent of it
	// (a silent CI between it and every alert) or something else
	missAbove, missOther int
}

func (s trialStats) String() string {
	p := func(a, b int) float64 { return 100 * float64(a) / float64(max(1, b)) }
	return fmt.Sprintf("%d trials: injected CI top %.1f%%, in top 3 %.1f%%; noise merged into the incident in %.1f%% of trials (%.2f%% of noise alerts); fault alerts split over several incidents in %.1f%%; misses where the top candidate is a dependent of the injected CI %d, others %d",
		s.trials, p(s.top1, s.trials), p(s.top3, s.trials), p(s.noiseMerged, s.trials), p(s.noiseAlertsMerged, s.noiseAlerts), p(s.split, s.trials), s.missAbove, s.missOther)
}

// faultTrial injects a fault at a random CI with at least minDeps
// dependents within H, alerts a random sample of them (30–70%, at most
// 200) over five minutes plus nNoise alerts on CIs outside that set, and
// scores the incident holding most of the fault's alerts.
func faultTrial(ctx context.Context, rng *rand.Rand, g Graph, in map[int][]int, n, minDeps, nNoise int, st *trialStats) error {
	s := DefaultSettings()
	var x int
	var deps []int
	for try := 0; ; try++ {
		x = 1 + rng.IntN(n)
		deps = dependentsWithin(in, x, s.Hops)
		if len(deps) >= minDeps {
			break
		}
		if try > 10_000 {
			return fmt.Errorf("no CI with %d dependents", minDeps)
		}
	}
	rng.Shuffle(len(deps), func(i, j int) { deps[i], deps[j] = deps[j], deps[i] })
	k := max(2, min(200, len(deps)*(30+rng.IntN(41))/100))
	var alerts []Alert
	fault := map[string]bool{}
	for i, c := range deps[:k] {
		key := fmt.Sprint("f", i)
		fault[key] = true
		alerts = append(alerts, Alert{Key: key, CI: c, Start: t0.Add(time.Duration(rng.IntN(300)) * time.Second)})
	}
	related := map[int]bool{x: true}
	for _, c := range deps {
		related[c] = true
	}
	for i := 0; i < nNoise; {
		c := 1 + rng.IntN(n)
		if related[c] {
			continue
		}
		alerts = append(alerts, Alert{Key: fmt.Sprint("n", i), CI: c, Start: t0.Add(time.Duration(rng.IntN(300)) * time.Second)})
		i++
	}
	incs, err := Replay(ctx, g, nil, alerts, s)
	if err != nil {
		return err
	}
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
	return nil
}

func reverse(edges []Edge) map[int][]int {
	in := map[int][]int{}
	for _, e := range edges {
		in[e.To] = append(in[e.To], e.From)
	}
	return in
}

// TestFaultInjectionRandomGraphs is the property of issue 15 on random
// graphs: 1,000 trials, each on a new random graph of 2,000 CIs, a fault at
// a CI with at least ten dependents within H, 30–70% of them alerting, with
// five noise alerts and without; the injected CI never alerts itself and
// the sample is capped at 200 (TestFaultInjectionEstate is the benchmark
// of the issue on the estate). The floors below hold the figures measured
// (BENCHMARKS.md), a little under them, so that a change that makes them
// worse fails; they meet the goals of the issue (top 90%, top 3 98%, noise
// merged at most 5%). Before candidates were weighed by how many of their
// dependents alert, most misses were a silent CI between the injected one
// and every alert of the sample.
func TestFaultInjectionRandomGraphs(t *testing.T) {
	for _, tc := range []struct {
		noise                      int
		minTop1, minTop3, maxNoise float64
	}{
		{noise: 5, minTop1: 0.93, minTop3: 0.98, maxNoise: 0.05},
		{noise: 0, minTop1: 0.94, minTop3: 0.99, maxNoise: 0},
	} {
		t.Run(fmt.Sprint("noise ", tc.noise), func(t *testing.T) {
			trials := 1000
			if testing.Short() {
				trials = 100
			}
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(15, 2026))
			var st trialStats
			for range trials {
				edges := randomGraph(rng, 2000)
				if err := faultTrial(ctx, rng, NewMemGraph(edges), reverse(edges), 2000, 10, tc.noise, &st); err != nil {
					t.Fatal(err)
				}
			}
			t.Log(st)
			top1 := float64(st.top1) / float64(st.trials)
			top3 := float64(st.top3) / float64(st.trials)
			noise := float64(st.noiseMerged) / float64(st.trials)
			if top1 < 0.90 || top3 < 0.98 || noise > 0.05 {
				t.Logf("below the goals of issue 15 (top 90%%, top 3 98%%, noise at most 5%%)")
			}
			if top1 < tc.minTop1 || top3 < tc.minTop3 || noise > tc.maxNoise {
				t.Errorf("worse than measured before (top %.2f, top 3 %.2f, noise %.2f): %s", tc.minTop1, tc.minTop3, tc.maxNoise, st)
			}
		})
	}
}
