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

// TestAddReportsTouchedMembers: Add returns each changed incident with
// only the members the call touched (taken or moved), and Size counting
// them all; a caller that applies those to where it last saw each alert
// (the newest firing wins, as intake's writer does) knows where every
// alert is, the same as reading every incident whole.
func TestAddReportsTouchedMembers(t *testing.T) {
	type where struct {
		inc   int
		start time.Time
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			const n = 300
			e, err := NewEngine(NewMemGraph(randomGraph(rng, n)), nil, DefaultSettings())
			if err != nil {
				t.Fatal(err)
			}
			base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
			place := map[string]where{}
			var fired []Alert
			touchedSome, partial := false, false
			for b := range 12 {
				var batch []Alert
				for i := range 25 {
					batch = append(batch, Alert{Key: fmt.Sprintf("a%d-%d", b, i), CI: 1 + rng.IntN(n), Start: base.Add(time.Duration(b*25+i) * time.Second)})
				}
				for _, a := range fired {
					switch rng.IntN(12) {
					case 0:
						a.End = a.Start.Add(30 * time.Second)
						batch = append(batch, a)
					case 1:
						a.Start = base.Add(time.Duration((b+1)*25) * time.Second)
						batch = append(batch, a)
					}
				}
				fired = append(fired, batch[:25]...)
				changed, err := e.Add(context.Background(), batch...)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range changed {
					if len(x.Alerts) > 0 {
						touchedSome = true
					}
					if len(x.Alerts) < x.Size {
						partial = true
					}
					for _, m := range x.Alerts {
						c, ok := place[m.Key]
						if !ok || c.inc != x.ID && !m.Start.Before(c.start) || c.inc == x.ID && m.Start.After(c.start) {
							place[m.Key] = where{x.ID, m.Start}
						}
					}
				}
				want := map[string]where{}
				for _, x := range e.Incidents() {
					if x.Size != len(x.Alerts) {
						t.Fatalf("batch %d, incident %d: Size %d, %d members", b, x.ID, x.Size, len(x.Alerts))
					}
					for _, m := range x.Alerts {
						if c, ok := want[m.Key]; !ok || m.Start.After(c.start) {
							want[m.Key] = where{x.ID, m.Start}
						}
					}
				}
				if !maps.Equal(place, want) {
					for k, w := range want {
						if place[k] != w {
							t.Fatalf("batch %d: alert %s placed in incident %d (start %s) from Add's results, in %d (start %s) by the incidents whole",
								b, k, place[k].inc, place[k].start.Format(time.TimeOnly), w.inc, w.start.Format(time.TimeOnly))
						}
					}
					t.Fatalf("batch %d: %d alerts placed from Add's results, %d in the incidents", b, len(place), len(want))
				}
			}
			if !touchedSome || !partial {
				t.Fatalf("the batches never returned a partial incident (touched %v, partial %v): the test proves nothing", touchedSome, partial)
			}
		})
	}
}
