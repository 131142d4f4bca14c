package correlate

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// span is "a>b" edges from each of froms to to.
func span(to int, froms ...int) string {
	var b strings.Builder
	for _, f := range froms {
		fmt.Fprintf(&b, " %d>%d", f, to)
	}
	return b.String()
}

func seq(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

func rankingOf(inc Incident) []int {
	var out []int
	for _, c := range inc.Candidates {
		out = append(out, c.CI)
	}
	return out
}

// TestRankingRules holds each rule of the probable-cause ranking with the
// exact ranking it gives.
func TestRankingRules(t *testing.T) {
	// Hosts 1–3 alert; each depends on the switch 50 (4 dependents: the
	// hosts and the silent 4) and on the storage 40 (the hosts and 97
	// silent others).
	hub := span(50, 1, 2, 3, 4) + span(40, append(seq(1, 3), seq(100, 196)...)...)
	// The switch 50's hosts 1–4 (1–3 alert), their VMs 11–18 and apps
	// 21–26, all silent; 50 and its silent sibling switches 51, 52 (hosts
	// 5–8) uplink to the cores 60 and 61, and those to the firewall 70.
	tor := span(50, 1, 2, 3, 4) + span(51, 5, 6) + span(52, 7, 8) +
		" 11>1 12>1 13>2 14>2 15>3 16>3 17>4 18>4 21>11 22>12 23>13 24>14 25>15 26>16" +
		span(60, 50, 51, 52) + span(61, 50, 51, 52) + span(70, 60, 61)
	// The silent 1 has the dependents 2 and 3; 2 has the dependents
	// 10–15, whose dependents are 20–31; 3 has 16 and 17.
	deep := " 2>1 3>1" + span(2, seq(10, 15)...) + span(3, 16, 17) +
		" 20>10 21>10 22>11 23>11 24>12 25>12 26>13 27>13 28>14 29>14 30>15 31>15"
	for _, tc := range []struct {
		name   string
		graph  string
		alerts []int
		want   []int
	}{
		// Old rule: both explain all three at distance 1, lower ID first (40).
		{name: "of two silent CIs explaining the same alerts, the one most of whose dependents alert (3 of 4, not 3 of 100)",
			graph: hub, alerts: []int{1, 2, 3}, want: []int{50, 1, 2, 3, 40}},
		// Uniform chances alone put the firewall 70 (3 of 19 within 3
		// hops, all 3 hops away) level with the switch (3 of 18).
		{name: "a CI whose near dependents stay silent while far ones alert ranks below the one whose near ones alert",
			graph: tor, alerts: []int{1, 2, 3}, want: []int{50, 70, 60, 61, 1}},
		// Old rule: 1 explains all eight, 2 seven: 1 first too, but
		// without 16 (so both explain the same), 2 is closer and led.
		{name: "the CI most of whose dependents alert ranks above its dependent explaining the same alerts",
			graph: deep, alerts: []int{10, 12, 14, 20, 22, 24, 26, 16}, want: []int{1, 2, 10, 12, 16}},
		// Every alert under 2 and 1's other dependents (3, 16, 17) silent:
		// the deepest CI explaining them all leads.
		{name: "of a CI and its dependent explaining the same alerts, the dependent when the CI's other dependents are silent",
			graph: deep, alerts: []int{10, 11, 12, 13, 20, 22, 24, 26, 28}, want: []int{2, 1, 10, 11, 12}},
		{name: "an alerted CI with nothing below is the only origin", graph: deep,
			alerts: []int{1, 2, 10, 11, 20}, want: []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var evs []ev
			for i, c := range tc.alerts {
				evs = append(evs, ev{key: fmt.Sprint("a", c), ci: c, start: float64(i) / 10})
			}
			e := run(t, tc.graph, DefaultSettings(), nil, evs)
			incs := e.Incidents()
			if len(incs) != 1 {
				t.Fatalf("%d incidents: %q, want 1", len(incs), groups(incs))
			}
			if got := rankingOf(incs[0]); !reflect.DeepEqual(got, tc.want) {
				for _, c := range incs[0].Candidates {
					t.Logf("%d %.3f %q", c.CI, c.Score, c.Reasons)
				}
				t.Errorf("ranking %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEjectWhenTopExplainsHalf: the alerted 1 and its dependent 2 fire
// with two alerts on 60 and 61, related to them through the deep
// dependency 300 only. 1 explains two of the four alerted CIs and one of
// the three origins: once the top candidate explains half the alerted
// CIs, what none of the leading candidates explains moves out (the old
// rule waited for two origins).
func TestEjectWhenTopExplainsHalf(t *testing.T) {
	e := run(t, "2>1 1>300 60>300 61>300 62>300 63>300 64>300", DefaultSettings(), nil, []ev{
		{key: "x", ci: 1}, {key: "n1", ci: 60, start: 0.5}, {key: "d", ci: 2, start: 1}, {key: "n2", ci: 61, start: 1.5},
	})
	incs := e.Incidents()
	if got, want := groups(incs), []string{"d,x", "n1,n2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("groups %q, want %q", got, want)
	}
	// 60 (alerted) leads 300 (two of its six dependents alert)
	if got, want := tops(incs), []int{1, 60}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tops %v, want %v", got, want)
	}
}

func TestLevelFit(t *testing.T) {
	for _, tc := range []struct {
		name           string
		self           bool
		alerted, total []int
		want           float64
	}{
		{"all alert", false, []int{2, 3}, []int{2, 3}, fit(5, 6)},
		{"nothing below", true, nil, []int{0, 0, 0}, 0},
		{"near alert, far silent: no inversion", false, []int{4, 0, 0}, []int{5, 8, 6}, fit(4, 20)},
		{"near silent, far alert: charged the better fit of growing chances",
			false, []int{0, 0, 4}, []int{2, 6, 10}, fit(4, 19) - (fit(4, 10) - fit(4, 18))},
		{"alerted itself counts in the uniform part only", true, []int{0, 1}, []int{1, 1}, fit(2, 3) - (fit(1, 1) - fit(1, 2))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := levelFit(tc.self, tc.alerted, tc.total); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("levelFit = %.6f, want %.6f", got, tc.want)
			}
		})
	}
}

// levelsGraph counts DependentCounts calls and records the CIs asked
// for all H hops.
type levelsGraph struct {
	*MemGraph
	calls, cis int
	full       map[int]bool
}

func (g *levelsGraph) DependentCounts(ctx context.Context, cis []int, hops int) (map[int][]int, error) {
	g.calls++
	g.cis += len(cis)
	if hops > 1 {
		for _, c := range cis {
			g.full[c] = true
		}
	}
	return g.MemGraph.DependentCounts(ctx, cis, hops)
}

// TestDependentCountsBatchedAndCached: ranking reads the candidates'
// direct dependents' counts, then their dependents by distance, each in
// one call per batch and chunk, and not again for candidates it has
// counted.
func TestDependentCountsBatchedAndCached(t *testing.T) {
	g := &levelsGraph{MemGraph: NewMemGraph(edges(switchGraph)), full: map[int]bool{}}
	e, err := NewEngine(g, nil, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Add(ctx, Alert{Key: "a", CI: 1, Start: at(0)}, Alert{Key: "b", CI: 2, Start: at(0)}, Alert{Key: "c", CI: 11, Start: at(1)}); err != nil {
		t.Fatal(err)
	}
	// candidates: the reach of the origins 1 and 2: 1, 2, 100, 200
	if g.calls != 2 || g.cis != 8 {
		t.Fatalf("%d calls for %d CIs, want 2 (direct, then all within H) for the 4 candidates", g.calls, g.cis)
	}
	if _, err := e.Add(ctx, Alert{Key: "d", CI: 3, Start: at(2)}); err != nil {
		t.Fatal(err)
	}
	if g.calls != 4 || g.cis != 10 {
		t.Fatalf("%d calls for %d CIs, want 4 for 10: only the new candidate 3 read", g.calls, g.cis)
	}
}

// TestHubsNotCountedInFull: a hub whose direct dependents are mostly
// silent (40: 3 of 100) is never counted within H when enough candidates
// beat the bound its direct dependents leave it.
func TestHubsNotCountedInFull(t *testing.T) {
	graph := span(40, append(seq(1, 3), seq(100, 196)...)...)
	for _, to := range []int{50, 51, 52, 53, 54, 55} {
		graph += span(to, 1, 2, 3)
	}
	g := &levelsGraph{MemGraph: NewMemGraph(edges(graph)), full: map[int]bool{}}
	e, err := NewEngine(g, nil, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Add(context.Background(), Alert{Key: "a", CI: 1, Start: at(0)}, Alert{Key: "b", CI: 2, Start: at(0)}, Alert{Key: "c", CI: 3, Start: at(0)}); err != nil {
		t.Fatal(err)
	}
	if got, want := rankingOf(e.Incidents()[0]), []int{50, 51, 52, 53, 54}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ranking %v, want %v", got, want)
	}
	if g.full[40] || !g.full[50] {
		t.Fatalf("counted within H: %v; want the switches, not the hub 40", g.full)
	}
}
