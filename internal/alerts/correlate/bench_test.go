package correlate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// estateGraph builds an in-memory graph shaped like internal/estate's
// synthetic estate (synthetic.go, layers): core switches (every 50th
// network device) meshed in groups of four, top-of-rack switches uplinked
// to three cores of one group, servers and storage to two top-of-rack
// switches of their rack row's group, VMs hosted on nearby servers and
// backed up to storage, containers on VMs, databases on VMs, applications
// on VMs or containers using a database and an earlier application of
// their block of 20 (one in 50 any, making cycles), load balancers on
// applications. The kind mix follows SyntheticKind's shares. CIs are 1..n.
func estateGraph(n int, seed uint64) []Edge {
	rng := rand.New(rand.NewPCG(seed, 15))
	shares := []struct {
		kind string
		pct  int
	}{{"VM", 40}, {"SERVER", 15}, {"CONTAINER", 10}, {"NET", 2}, {"STORAGE", 5}, {"DATABASE", 8}, {"APPLICATION", 15}, {"LB", 5}}
	kind := make([]string, n+1)
	byKind := map[string][]int{}
	for i := 1; i <= n; i++ {
		x := int((uint64(i)*0x9E3779B97F4A7C15)>>40) % 100
		for _, s := range shares {
			if x < s.pct {
				kind[i] = s.kind
				break
			}
			x -= s.pct
		}
		byKind[kind[i]] = append(byKind[kind[i]], i)
	}
	var cores, tors []int
	for j, i := range byKind["NET"] {
		if j%50 == 0 {
			cores = append(cores, i)
		} else {
			tors = append(tors, i)
		}
	}
	groups := max(1, (len(cores)+3)/4)
	torGroups := make([][]int, groups)
	for k, i := range tors {
		torGroups[k%groups] = append(torGroups[k%groups], i)
	}
	near := func(pool []int, i int) []int {
		if len(pool) <= 40 {
			return pool
		}
		c := int(int64(i) * int64(len(pool)) / int64(n))
		lo := max(0, min(c-20, len(pool)-40))
		return pool[lo : lo+40]
	}
	var out []Edge
	add := func(from int, pool []int, typ string) {
		if len(pool) == 0 {
			return
		}
		for range 8 {
			to := pool[rng.IntN(len(pool))]
			if to == from {
				continue
			}
			dup := false
			for k := len(out) - 1; k >= 0 && out[k].From == from; k-- {
				dup = dup || out[k].To == to
			}
			if !dup {
				out = append(out, Edge{From: from, To: to, Type: typ})
				return
			}
		}
	}
	for i := 1; i <= n; i++ {
		switch kind[i] {
		case "NET":
			if k := sort.SearchInts(cores, i); k < len(cores) && cores[k] == i {
				g := k / 4 * 4
				for m := g; m < min(g+4, len(cores)); m++ {
					if m != k {
						out = append(out, Edge{From: i, To: cores[m], Type: "CONNECTS_TO"})
					}
				}
				continue
			}
			k := sort.SearchInts(tors, i)
			g := (k % groups) * 4
			for range 3 {
				add(i, cores[g:min(g+4, len(cores))], "CONNECTS_TO")
			}
		case "SERVER", "STORAGE":
			pool := byKind[kind[i]]
			k := sort.SearchInts(pool, i)
			rack := torGroups[(k/20)%groups]
			add(i, rack, "CONNECTS_TO")
			add(i, rack, "CONNECTS_TO")
			if kind[i] == "SERVER" {
				add(i, near(byKind["STORAGE"], i), "USES")
			}
		case "VM":
			add(i, near(byKind["SERVER"], i), "HOSTED_ON")
			add(i, near(byKind["STORAGE"], i), "BACKS_UP_TO")
		case "CONTAINER":
			add(i, near(byKind["VM"], i), "RUNS_ON")
		case "DATABASE":
			add(i, near(byKind["VM"], i), "RUNS_ON")
			add(i, near(byKind["STORAGE"], i), "BACKS_UP_TO")
		case "APPLICATION":
			if rng.IntN(2) == 0 {
				add(i, near(byKind["VM"], i), "RUNS_ON")
			} else {
				add(i, near(byKind["CONTAINER"], i), "RUNS_ON")
			}
			add(i, near(byKind["DATABASE"], i), "USES")
			apps := byKind["APPLICATION"]
			k := sort.SearchInts(apps, i)
			block := apps[k/20*20 : min(k/20*20+20, len(apps))]
			if rng.IntN(50) == 0 {
				add(i, block, "DEPENDS_ON")
			} else if k%20 > 0 {
				add(i, block[:k%20], "DEPENDS_ON")
			}
		case "LB":
			add(i, near(byKind["APPLICATION"], i), "USES")
			add(i, near(byKind["APPLICATION"], i), "USES")
			add(i, near(tors, i), "CONNECTS_TO")
		}
	}
	return out
}

// storm returns 10,000 alerts on the dependents of the busiest core switch
// within H (its mesh peers left out: they are its dependencies too), two
// alert names per CI when there are fewer than 10,000, starting over five
// minutes, and that core.
func storm(edges []Edge, hops int) ([]Alert, int) {
	in := reverse(edges)
	var core, best int
	for c, deps := range in {
		if len(deps) > best || (len(deps) == best && c < core) {
			core, best = c, len(deps)
		}
	}
	peers := map[int]bool{}
	for _, e := range edges {
		if e.From == core {
			peers[e.To] = true
		}
	}
	var cis []int
	for _, c := range dependentsWithin(in, core, hops) {
		if !peers[c] {
			cis = append(cis, c)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alerts := make([]Alert, 0, 10_000)
	for k := 0; len(alerts) < 10_000; k++ {
		c := cis[k%len(cis)]
		alerts = append(alerts, Alert{Key: fmt.Sprintf("a%d-%d", c, k/len(cis)), CI: c, Start: t0.Add(time.Duration(rng.IntN(300_000)) * time.Millisecond)})
	}
	sort.Slice(alerts, func(i, j int) bool { return alerts[i].Start.Before(alerts[j].Start) })
	return alerts, core
}

// BenchmarkCorrelateStorm times a storm of 10,000 alerts on the
// dependents of one core switch of a 100,000-CI estate-shaped graph, fed
// as intake would in batches of 200, until it is one incident with the
// switch as top candidate.
func BenchmarkCorrelateStorm(b *testing.B) {
	edges := estateGraph(100_000, 7)
	alerts, core := storm(edges, DefaultHops)
	g := NewMemGraph(edges)
	ctx := context.Background()
	b.ResetTimer()
	var last time.Duration
	for range b.N {
		e, err := NewEngine(g, nil, DefaultSettings())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(alerts); i += 200 {
			start := time.Now()
			if _, err := e.Add(ctx, alerts[i:min(i+200, len(alerts))]...); err != nil {
				b.Fatal(err)
			}
			last = max(last, time.Since(start))
		}
		incs := e.Incidents()
		if len(incs) != 1 || incs[0].Candidates[0].CI != core {
			b.Fatalf("%d incidents, first top %v; want one with core %d on top", len(incs), incs[0].Candidates[:1], core)
		}
	}
	b.ReportMetric(float64(len(alerts))*float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
	b.ReportMetric(float64(last.Milliseconds()), "slowest-batch-ms")
	b.ReportMetric(float64(len(edges)), "edges")
}

// TestStormIsOneIncident holds the benchmark's outcome as a test.
func TestStormIsOneIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-CI graph")
	}
	edges := estateGraph(100_000, 7)
	alerts, core := storm(edges, DefaultHops)
	incs, err := Replay(context.Background(), NewMemGraph(edges), nil, alerts, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 1 || incs[0].Candidates[0].CI != core {
		for _, inc := range incs[:min(5, len(incs))] {
			t.Logf("incident %d: %d alerts, top %+v", inc.ID, len(inc.Alerts), inc.Candidates[0].Reasons)
		}
		t.Fatalf("%d incidents (first top %d), want one with core %d on top", len(incs), incs[0].Candidates[0].CI, core)
	}
	t.Logf("%d alerts on %d CIs → 1 incident, top %d: %q, %d paths", len(alerts), len(incs[0].CIs), core, incs[0].Candidates[0].Reasons, incs[0].Candidates[0].PathCount)
}
