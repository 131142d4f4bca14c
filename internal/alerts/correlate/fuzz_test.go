package correlate

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// FuzzEngine feeds any sequence of alert events (fire, resolve, re-fire,
// unbound, out of order, with compactions) to an engine over a small graph with a cycle and
// checks its bookkeeping after each: no error on valid alerts, each
// incident's firing count matches its members, every alert currently in an
// incident is listed there, and candidates explain only the incident's CIs'
// neighbourhood.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 1, 2, 1, 0, 0, 1, 5, 1, 0, 1, 40, 0})
	f.Add([]byte{3, 0, 0, 0, 4, 0, 2, 0, 3, 9, 9, 1, 2, 12, 70, 0})
	f.Fuzz(runFuzzBody)
}

func fuzzGraph() *MemGraph {
	return NewMemGraph(edges(switchGraph + " 200>1 60>61 61>200 1>300 60>300"))
}

func runFuzzBody(t *testing.T, data []byte) {
	g := fuzzGraph()
	cis := []int{0, 1, 2, 3, 4, 5, 11, 12, 13, 60, 61, 100, 200, 300}
	{
		e, err := NewEngine(g, nil, DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		clock := t0
		for i := 0; i+4 <= len(data) && i < 400; i += 4 {
			key := fmt.Sprint("k", data[i]%8)
			ci := cis[int(data[i+1])%len(cis)]
			clock = clock.Add(time.Duration(data[i+2]) * 20 * time.Second)
			a := Alert{Key: key, CI: ci, Start: clock}
			if data[i+3]%3 == 1 {
				if st := e.byKey[key]; st != nil {
					a = Alert{Key: key, CI: st.m.CI, Start: st.m.Start, End: clock}
				}
			}
			if data[i+3]%3 == 2 {
				a.Labels = map[string]string{"service": "svc"}
				a.CI = 0
			}
			if _, err := e.Add(context.Background(), a); err != nil {
				t.Fatalf("Add(%+v): %v", a, err)
			}
			check(t, e)
			if data[i+3]%7 == 6 {
				e.Compact(clock)
				check(t, e)
			}
		}
	}
}

func check(t *testing.T, e *Engine) {
	t.Helper()
	for _, inc := range e.incs {
		firing := 0
		for _, k := range inc.keys {
			m := inc.mem[k]
			if m == nil {
				t.Fatalf("incident %d lists %s without a member", inc.id, k)
			}
			if m.End.IsZero() {
				firing++
			}
		}
		if firing != inc.firing {
			t.Fatalf("incident %d: firing count %d, members firing %d", inc.id, inc.firing, firing)
		}
		for _, c := range inc.candidates {
			ok := false
			for ci := range inc.cis {
				if _, in := e.reach[ci][c.CI]; in {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("incident %d: candidate %d explains none of its CIs", inc.id, c.CI)
			}
		}
	}
	for k, st := range e.byKey {
		if st.inc != nil && st.inc.mem[k] == nil {
			t.Fatalf("alert %s points at incident %d, which does not list it", k, st.inc.id)
		}
		if st.inc != nil && *st.inc.mem[k] != st.m {
			t.Fatalf("alert %s: incident %d's copy %+v differs from %+v", k, st.inc.id, *st.inc.mem[k], st.m)
		}
	}
}
