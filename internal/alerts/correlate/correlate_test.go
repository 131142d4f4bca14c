package correlate

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func at(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }

// edges parses "1>2 2>3": 1 depends on 2, 2 on 3.
func edges(spec string) []Edge {
	var out []Edge
	for _, f := range strings.Fields(spec) {
		var a, b int
		if _, err := fmt.Sscanf(f, "%d>%d", &a, &b); err != nil {
			panic(fmt.Sprintf("bad edge %q: %v", f, err))
		}
		out = append(out, Edge{From: a, To: b, Type: "DEPENDS_ON"})
	}
	return out
}

// ev is one event: an alert firing (end < 0) or resolving.
type ev struct {
	key   string
	ci    int
	start float64
	end   float64 // minutes; 0 = firing
	svc   string
}

func (e ev) alert() Alert {
	a := Alert{Key: e.key, CI: e.ci, Start: at(e.start)}
	if e.end != 0 {
		a.End = at(e.end)
	}
	if e.svc != "" {
		a.Labels = map[string]string{"service": e.svc}
	}
	return a
}

type staticEvidence []Finding

func (s staticEvidence) Findings(_ context.Context, cis []int, since, until time.Time) ([]Finding, error) {
	want := map[int]bool{}
	for _, c := range cis {
		want[c] = true
	}
	var out []Finding
	for _, f := range s {
		if want[f.CI] && !f.At.Before(since) && !f.At.After(until) {
			out = append(out, f)
		}
	}
	return out, nil
}

// run feeds events one Add at a time (in the order given) and returns the engine.
func run(t *testing.T, graph string, s Settings, evid Evidence, events []ev) *Engine {
	t.Helper()
	e, err := NewEngine(NewMemGraph(edges(graph)), evid, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range events {
		if _, err := e.Add(context.Background(), x.alert()); err != nil {
			t.Fatalf("Add(%+v): %v", x, err)
		}
	}
	return e
}

func groups(incs []Incident) []string {
	var out []string
	for _, inc := range incs {
		var keys []string
		for _, a := range inc.Alerts {
			keys = append(keys, a.Key)
		}
		sort.Strings(keys)
		out = append(out, strings.Join(keys, ","))
	}
	return out
}

func tops(incs []Incident) []int {
	var out []int
	for _, inc := range incs {
		if len(inc.Candidates) == 0 {
			out = append(out, 0)
		} else {
			out = append(out, inc.Candidates[0].CI)
		}
	}
	return out
}

const switchGraph = "1>100 2>100 3>100 4>100 5>100 11>1 12>2 13>3 100>200"

func TestCorrelate(t *testing.T) {
	flap := DefaultSettings()
	tests := []struct {
		name   string
		graph  string
		s      Settings
		events []ev
		groups []string
		tops   []int
		held   []string
	}{
		{name: "chain: origin at the bottom", graph: "1>2 2>3 3>4",
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2, start: 1}, {key: "c", ci: 3, start: 2}},
			groups: []string{"a,b,c"}, tops: []int{3}},
		{name: "diamond: silent shared dependency explains both origins", graph: "1>2 1>3 2>4 3>4",
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2}, {key: "c", ci: 3, start: 1}},
			groups: []string{"a,b,c"}, tops: []int{4}},
		{name: "diamond: alerted bottom is the origin", graph: "1>2 1>3 2>4 3>4 4>5",
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2}, {key: "c", ci: 3}, {key: "d", ci: 4, start: 1}},
			groups: []string{"a,b,c,d"}, tops: []int{4}},
		{name: "cycle: mutual dependencies are all origins, lowest ID first", graph: "1>2 2>3 3>1 4>1",
			events: []ev{{key: "a", ci: 3}, {key: "b", ci: 2}, {key: "c", ci: 1}, {key: "d", ci: 4}},
			groups: []string{"a,b,c,d"}, tops: []int{1}},
		{name: "silent switch under hosts and VMs, not the core behind it", graph: switchGraph,
			events: []ev{{key: "h1", ci: 1}, {key: "h2", ci: 2}, {key: "h3", ci: 3, start: 1}, {key: "v1", ci: 11, start: 2}, {key: "v2", ci: 12, start: 2}},
			groups: []string{"h1,h2,h3,v1,v2"}, tops: []int{100}},
		{name: "two unrelated storms at once", graph: switchGraph + " 21>300 22>300 23>300",
			events: []ev{{key: "a1", ci: 1}, {key: "b1", ci: 21}, {key: "a2", ci: 2, start: 1}, {key: "b2", ci: 22, start: 1}, {key: "b3", ci: 23, start: 2}},
			groups: []string{"a1,a2", "b1,b2,b3"}, tops: []int{100, 300}},
		{name: "noise on unrelated CIs stays apart", graph: switchGraph + " 50>51 60>61",
			events: []ev{{key: "h1", ci: 1}, {key: "n1", ci: 50}, {key: "h2", ci: 2, start: 1}, {key: "n2", ci: 60, start: 1}, {key: "h3", ci: 3, start: 2}},
			groups: []string{"h1,h2,h3", "n1", "n2"}, tops: []int{100, 50, 60}},
		{name: "noise joined through a deep shared dependency is moved out once the cause is clear", graph: switchGraph + " 1>300 60>300",
			events: []ev{{key: "h1", ci: 1}, {key: "n", ci: 60, start: 0.5}, {key: "h2", ci: 2, start: 1}, {key: "h3", ci: 3, start: 1}, {key: "h4", ci: 4, start: 1}},
			groups: []string{"h1,h2,h3,h4", "n"}, tops: []int{100, 60}},
		{name: "an alert related to two incidents goes to the one more of whose CIs share its dependency", graph: switchGraph + " 1>300 60>300",
			events: []ev{{key: "n", ci: 60}, {key: "h2", ci: 2, start: 0.5}, {key: "h3", ci: 3, start: 0.6}, {key: "h1", ci: 1, start: 1}},
			groups: []string{"n", "h1,h2,h3"}, tops: []int{60, 100}},
		{name: "unbound alerts group by service label only", graph: switchGraph,
			events: []ev{{key: "h1", ci: 1}, {key: "u1", svc: "pay"}, {key: "u2", svc: "pay", start: 1}, {key: "u3"}, {key: "u4", start: 1}, {key: "u5", svc: "web", start: 1}},
			groups: []string{"h1", "u1,u2", "u3", "u4", "u5"}, tops: []int{1, 0, 0, 0, 0}},
		{name: "window: exactly W joins", graph: switchGraph,
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2, start: 10}},
			groups: []string{"a,b"}, tops: []int{100}},
		{name: "window: just past W opens another", graph: switchGraph,
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2, start: 10 + 1.0/60}},
			groups: []string{"a", "b"}, tops: []int{1, 2}},
		{name: "quiet: the same CI firing again after W still joins while alive", graph: switchGraph,
			events: []ev{{key: "a", ci: 1}, {key: "a2", ci: 1, start: 25}, {key: "b", ci: 2, start: 31}},
			groups: []string{"a,a2,b"}, tops: []int{100}},
		{name: "quiet: a new CI after L without a join opens another", graph: switchGraph,
			s:      Settings{Hops: 3, Window: 40 * time.Minute, Quiet: 30 * time.Minute, FlapTransitions: 4, FlapPeriod: 15 * time.Minute, EvidenceLookback: time.Hour, MaxCandidates: 5, MaxPaths: 20},
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2, start: 30}, {key: "c", ci: 3, start: 60 + 1.0/60}},
			groups: []string{"a,b", "c"}, tops: []int{100, 3}},
		{name: "quiet: resolved incident dies L after the last end", graph: switchGraph,
			events: []ev{{key: "a", ci: 1}, {key: "a", ci: 1, end: 5}, {key: "x", ci: 1, start: 35, end: 36}, {key: "y", ci: 1, start: 66 + 1.0/60}},
			groups: []string{"a,x", "y"}, tops: []int{1, 1}},
		{name: "re-fire of the same key rejoins its incident", graph: switchGraph,
			events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2, start: 1}, {key: "a", ci: 1, end: 2}, {key: "a", ci: 1, start: 20}},
			groups: []string{"a,b"}, tops: []int{100}},
		{name: "flapping: marked, rejoins while alive, held after", graph: switchGraph, s: flap,
			events: []ev{{key: "f", ci: 50}, {key: "f", ci: 50, end: 1}, {key: "f", ci: 50, start: 2}, {key: "f", ci: 50, start: 2, end: 3},
				{key: "f", ci: 50, start: 4}, {key: "f", ci: 50, start: 4, end: 5}, {key: "f", ci: 50, start: 40}},
			groups: []string{"f"}, tops: []int{50}, held: []string{"f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if s.Hops == 0 {
				s = DefaultSettings()
			}
			e := run(t, tc.graph, s, nil, tc.events)
			incs := e.Incidents()
			if got := groups(incs); !reflect.DeepEqual(got, tc.groups) {
				t.Errorf("groups = %q, want %q", got, tc.groups)
			}
			if got := tops(incs); !reflect.DeepEqual(got, tc.tops) {
				t.Errorf("top candidates = %v, want %v", got, tc.tops)
			}
			var held []string
			for _, m := range e.Held() {
				held = append(held, m.Key)
			}
			if !reflect.DeepEqual(held, tc.held) {
				t.Errorf("held = %q, want %q", held, tc.held)
			}
		})
	}
}

func TestFlappingMarkAndRefires(t *testing.T) {
	e := run(t, switchGraph, DefaultSettings(), nil, []ev{
		{key: "f", ci: 50}, {key: "f", ci: 50, end: 1}, {key: "f", ci: 50, start: 2}, {key: "f", ci: 50, start: 2, end: 3}, {key: "f", ci: 50, start: 4},
	})
	m := e.Incidents()[0].Alerts[0]
	if !m.Flapping || m.Refires != 2 {
		t.Fatalf("member = %+v, want flapping with 2 re-fires (4 transitions in 15m)", m)
	}
	e = run(t, switchGraph, DefaultSettings(), nil, []ev{
		{key: "f", ci: 50}, {key: "f", ci: 50, end: 1}, {key: "f", ci: 50, start: 20}, {key: "f", ci: 50, start: 20, end: 21}, {key: "f", ci: 50, start: 40},
	})
	if m := e.Incidents()[0].Alerts[0]; m.Flapping {
		t.Fatalf("member = %+v, want not flapping (transitions spread over more than 15m)", m)
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := Settings{Hops: 0, Window: -time.Second, Quiet: 0, FlapTransitions: 1, FlapPeriod: 0, EvidenceLookback: -1, MaxCandidates: 0, MaxPaths: -1}
	err := bad.Validate()
	for _, want := range []string{"hops: 0 is outside 1..8", "window: -1s must be positive", "quiet: 0s must be positive",
		"flapTransitions: 1 must be at least 2", "flapPeriod: 0s must be positive", "evidenceLookback: -1ns must not be negative",
		"maxCandidates: 0 must be at least 1", "maxPaths: -1 must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	if _, err := NewEngine(NewMemGraph(nil), nil, bad); err == nil {
		t.Error("NewEngine accepted bad settings")
	}
}

func TestAddRejectsBadAlertsWhole(t *testing.T) {
	e, err := NewEngine(NewMemGraph(edges(switchGraph)), nil, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a    Alert
		want string
	}{
		{Alert{CI: 1, Start: t0}, "alert 1: empty key"},
		{Alert{Key: "x", CI: -2, Start: t0}, "alert 1 (x): CI -2 is negative"},
		{Alert{Key: "x", CI: 1}, "alert 1 (x): no start time"},
		{Alert{Key: "x", CI: 1, Start: t0, End: t0.Add(-time.Minute)}, "ends 2026-12-07T11:59:00Z before it starts"},
	} {
		_, err := e.Add(context.Background(), Alert{Key: "ok", CI: 1, Start: t0}, tc.a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v) = %v, want %q", tc.a, err, tc.want)
		}
	}
	if n := len(e.Incidents()); n != 0 {
		t.Fatalf("%d incidents after rejected batches, want 0", n)
	}
}

// countingGraph counts DependencyEdges calls: the engine batches.
type countingGraph struct {
	*MemGraph
	calls int
}

func (c *countingGraph) DependencyEdges(ctx context.Context, cis []int, hops int) ([]Edge, error) {
	c.calls++
	return c.MemGraph.DependencyEdges(ctx, cis, hops)
}

func TestOneGraphReadPerBatch(t *testing.T) {
	g := &countingGraph{MemGraph: NewMemGraph(edges(switchGraph))}
	e, err := NewEngine(g, nil, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	var batch []Alert
	for i, ci := range []int{1, 2, 3, 4, 5, 11, 12, 13} {
		batch = append(batch, Alert{Key: fmt.Sprint("k", i), CI: ci, Start: at(float64(i))})
	}
	if _, err := e.Add(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Add(context.Background(), Alert{Key: "again", CI: 3, Start: at(9)}); err != nil {
		t.Fatal(err)
	}
	if g.calls != 1 {
		t.Fatalf("graph read %d times for 9 alerts on 8 CIs in two batches, want 1 (batched, cached)", g.calls)
	}
}

func TestGolden(t *testing.T) {
	evid := staticEvidence{
		{CI: 100, Kind: FindingChange, Ref: "CHG-0042", At: at(-90), Summary: "firmware upgrade on the top-of-rack switch"},
		{CI: 200, Kind: FindingDrift, Ref: "drift 7", At: at(-30), Summary: "unauthorised VLAN change"},
		{CI: 3, Kind: FindingAudit, Ref: "audit 991", At: at(-600), Summary: "too old to count"},
	}
	cases := map[string]struct {
		graph  string
		events []ev
		evid   Evidence
	}{
		"chain":         {graph: "1>2 2>3 3>4", events: []ev{{key: "a", ci: 1}, {key: "b", ci: 2, start: 1}, {key: "c", ci: 3, start: 2}, {key: "c", ci: 3, end: 9}}},
		"silent_switch": {graph: switchGraph, evid: evid, events: []ev{{key: "h1", ci: 1}, {key: "h2", ci: 2}, {key: "h3", ci: 3, start: 1}, {key: "v1", ci: 11, start: 2}, {key: "n", ci: 60, start: 3}}},
		"unbound":       {graph: switchGraph, events: []ev{{key: "u1", svc: "pay"}, {key: "u2", svc: "pay", start: 4}, {key: "u3", start: 5}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := run(t, tc.graph, DefaultSettings(), tc.evid, tc.events)
			got, err := json.MarshalIndent(e.Incidents(), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("incidents differ from %s (run with -update after checking):\n%s", path, got)
			}
		})
	}
}

// TestRefireAfterDeathKeepsHistory: a re-fire after its incident died
// opens a new incident; the old one keeps the firing it had.
func TestRefireAfterDeathKeepsHistory(t *testing.T) {
	e := run(t, switchGraph, DefaultSettings(), nil, []ev{{key: "a", ci: 1}, {key: "a", ci: 1, end: 5}, {key: "a", ci: 1, start: 40}})
	incs := e.Incidents()
	if len(incs) != 2 {
		t.Fatalf("%d incidents, want 2: %+v", len(incs), incs)
	}
	old, cur := incs[0].Alerts[0], incs[1].Alerts[0]
	if !old.Start.Equal(at(0)) || !old.End.Equal(at(5)) || !incs[0].ResolvedAt.Equal(at(5)) {
		t.Errorf("old incident's member = %+v (resolved %s), want the firing 12:00–12:05", old, incs[0].ResolvedAt)
	}
	if !cur.Start.Equal(at(40)) || !cur.End.IsZero() || cur.Refires != 1 {
		t.Errorf("new incident's member = %+v, want firing since 12:40, one re-fire", cur)
	}
}

func TestCompact(t *testing.T) {
	e := run(t, switchGraph, DefaultSettings(), nil, []ev{
		{key: "a", ci: 1}, {key: "b", ci: 2, start: 1}, {key: "a", ci: 1, end: 5}, {key: "b", ci: 2, start: 1, end: 6},
		{key: "c", ci: 50, start: 20},
	})
	if n := e.Compact(at(36)); n != 0 {
		t.Fatalf("Compact at 12:36 dropped %d, want 0 (incident 1 resolved at 12:06, alive until 12:36)", n)
	}
	if n := e.Compact(at(37)); n != 1 {
		t.Fatalf("Compact at 12:37 dropped %d, want 1", n)
	}
	if got := groups(e.Incidents()); !reflect.DeepEqual(got, []string{"c"}) {
		t.Fatalf("incidents after Compact = %q, want [c]", got)
	}
	if len(e.byKey) != 1 || e.reach[1] != nil || e.reach[50] == nil {
		t.Fatalf("after Compact: %d alert states, reach of 1 kept %v, reach of 50 kept %v; want 1, false, true", len(e.byKey), e.reach[1] != nil, e.reach[50] != nil)
	}
	if _, err := e.Add(context.Background(), Alert{Key: "a", CI: 1, Start: at(40)}, Alert{Key: "d", CI: 2, Start: at(41)}); err != nil {
		t.Fatal(err)
	}
	incs := e.Incidents()
	if got := groups(incs); !reflect.DeepEqual(got, []string{"c", "a,d"}) || incs[1].ID != 3 || incs[1].Alerts[0].Refires != 0 {
		t.Fatalf("after new alerts: %q, IDs %d, %d, refires %d; want [c a,d], IDs 2 and 3, a afresh", got, incs[0].ID, incs[1].ID, incs[1].Alerts[0].Refires)
	}
	if incs[1].Candidates[0].CI != 100 {
		t.Fatalf("top after Compact = %d, want 100 (neighbourhoods read again)", incs[1].Candidates[0].CI)
	}
}
