package correlate

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// originsFromScratch is the origins pass the engine keeps incrementally:
// the alerted CIs with no other alerted CI strictly below them (in their
// reach, not on a cycle back), and for every CI in an origin's reach how
// many origins reach it and their distances summed.
func originsFromScratch(e *Engine, inc *incState) ([]int, map[int]origCov) {
	var origins []int
	for a := range inc.cis {
		below := false
		for x := range e.reach[a] {
			if x == a || inc.cis[x] == 0 {
				continue
			}
			if _, back := e.reach[x][a]; !back {
				below = true
				break
			}
		}
		if !below {
			origins = append(origins, a)
		}
	}
	slices.Sort(origins)
	oc := map[int]origCov{}
	for _, o := range origins {
		for x, r := range e.reach[o] {
			v := oc[x]
			v.n++
			v.dist += r.dist
			oc[x] = v
		}
	}
	return origins, oc
}

// TestIncrementalOriginsMatchFromScratch: after every batch (joins,
// re-fires, resolutions, ejections rebuilding an incident, compactions
// rebuilding the reverse reach), each
// incident's origins, candidates' origin counts and sorted alerted CIs
// equal what a pass over every alerted CI's reach gives.
func TestIncrementalOriginsMatchFromScratch(t *testing.T) {
	cases := []struct {
		name          string
		seed, n, hops int
		batches, size int
	}{
		{"small dense graph, 2 hops", 1, 150, 2, 12, 15},
		{"cycles, 3 hops", 2, 400, 3, 10, 30},
		{"sparse alerts, 4 hops", 3, 1500, 4, 8, 20},
		{"one big batch", 4, 300, 3, 1, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.seed), 15))
			g := NewMemGraph(randomGraph(rng, tc.n))
			s := DefaultSettings()
			s.Hops = tc.hops
			e, err := NewEngine(g, nil, s)
			if err != nil {
				t.Fatal(err)
			}
			base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
			var fired []Alert
			checked := 0
			for b := range tc.batches {
				var batch []Alert
				for i := range tc.size {
					a := Alert{Key: fmt.Sprintf("a%d-%d", b, i), CI: 1 + rng.IntN(tc.n), Start: base.Add(time.Duration(b*tc.size+i) * time.Second)}
					batch = append(batch, a)
				}
				// resolve some earlier alerts, re-fire others
				for _, a := range fired {
					switch rng.IntN(10) {
					case 0:
						a.End = a.Start.Add(30 * time.Second)
						batch = append(batch, a)
					case 1:
						a.Start = base.Add(time.Duration((b+1)*tc.size) * time.Second)
						batch = append(batch, a)
					}
				}
				fired = append(fired, batch[:tc.size]...)
				if _, err := e.Add(context.Background(), batch...); err != nil {
					t.Fatal(err)
				}
				if b%3 == 2 {
					// rebuilds the reverse reach; drops nothing within Quiet
					if n := e.Compact(batch[0].Start); n != 0 {
						t.Fatalf("batch %d: compaction dropped %d incidents within Quiet", b, n)
					}
				}
				for _, inc := range e.incs {
					if inc.unbound {
						continue
					}
					origins, oc := originsFromScratch(e, inc)
					var got []int
					for _, a := range inc.sorted {
						if inc.below[a] == 0 {
							got = append(got, a)
						}
					}
					if !slices.Equal(got, origins) || inc.nOrigins != len(origins) {
						t.Fatalf("batch %d, incident %d: origins %v (%d counted), want %v", b, inc.id, got, inc.nOrigins, origins)
					}
					if !maps.Equal(inc.oc, oc) {
						t.Fatalf("batch %d, incident %d: origins' reach counts differ from a pass from scratch (%d CIs, want %d)", b, inc.id, len(inc.oc), len(oc))
					}
					if want := slices.Sorted(maps.Keys(inc.cis)); !slices.Equal(inc.sorted, want) {
						t.Fatalf("batch %d, incident %d: alerted CIs %v, want %v", b, inc.id, inc.sorted, want)
					}
					checked++
				}
			}
			if checked < tc.batches {
				t.Fatalf("only %d incident states checked", checked)
			}
		})
	}
}
