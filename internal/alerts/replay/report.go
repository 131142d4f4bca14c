package replay

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// CI names a CI in a report.
type CI struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Alert is one alert of a report.
type Alert struct {
	Fingerprint string     `json:"fingerprint"`
	Alertname   string     `json:"alertname,omitempty"`
	CI          *CI        `json:"configurationItem"` // null when unbound
	BoundBy     string     `json:"boundBy,omitempty"`
	MatchRule   string     `json:"matchRule,omitempty"`
	StartsAt    time.Time  `json:"startsAt"`
	EndsAt      *time.Time `json:"endsAt"`
	Flapping    bool       `json:"flapping,omitempty"`
}

// Candidate is one probable cause of an incident.
type Candidate struct {
	CI      CI       `json:"configurationItem"`
	Score   float64  `json:"score"`
	Alerted bool     `json:"alerted"`
	Reasons []string `json:"reasons"`
	// Path is one dependency path from an alerted CI down to the candidate
	// (empty when the candidate is the only alerted CI it explains).
	Path      []CI `json:"path"`
	PathCount int  `json:"pathCount"`
}

// Incident is one incident the replay would form.
type Incident struct {
	ID         int         `json:"id"`
	Service    string      `json:"service,omitempty"`
	OpenedAt   time.Time   `json:"openedAt"`
	ResolvedAt *time.Time  `json:"resolvedAt"`
	Alerts     []Alert     `json:"alerts"`
	Candidates []Candidate `json:"rootCauseCandidates"`
}

// Settings as the report states them.
type SettingsOut struct {
	Hops   int    `json:"hops"`
	Window string `json:"window"`
	Quiet  string `json:"quiet"`
}

// Report is what a replay would form.
type Report struct {
	Settings  SettingsOut `json:"settings"`
	Alerts    int         `json:"alerts"`
	Bound     int         `json:"bound"`
	Unbound   int         `json:"unbound"`
	Incidents []Incident  `json:"incidents"`
	// Held are flapping alerts that joined no incident.
	Held []Alert `json:"held"`
}

// Run binds the alerts, correlates them against the database's current
// graph and reports the incidents, writing nothing. The settings are
// validated first.
func Run(ctx context.Context, c *ent.Client, st *store.DB, alerts []intake.Alert, s correlate.Settings) (*Report, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b := NewBinder(c, st)
	in := make([]correlate.Alert, 0, len(alerts))
	byKey := map[string]Alert{}
	rep := &Report{Settings: SettingsOut{Hops: s.Hops, Window: s.Window.String(), Quiet: s.Quiet.String()}, Alerts: len(alerts)}
	var ciIDs []int
	labels := make([]map[string]string, len(alerts))
	for i, a := range alerts {
		labels[i] = a.Labels
	}
	bds, err := b.BindAll(ctx, labels)
	if err != nil {
		return nil, err
	}
	for i, a := range alerts {
		bd := bds[i]
		ca := correlate.Alert{Key: a.Key, CI: bd.CI, Start: a.StartsAt, End: a.EndsAt, Labels: a.Labels}
		if a.Firing() {
			ca.End = time.Time{}
		}
		in = append(in, ca)
		out := Alert{Fingerprint: a.Key, Alertname: a.Labels["alertname"], BoundBy: bd.BoundBy, MatchRule: bd.Rule, StartsAt: a.StartsAt.UTC()}
		if bd.CI != 0 {
			out.CI = &CI{ID: bd.CI}
			ciIDs = append(ciIDs, bd.CI)
			rep.Bound++
		} else {
			rep.Unbound++
		}
		byKey[a.Key] = out
	}
	// correlate.Replay's steps, keeping the held (flapping) alerts too.
	eng, err := correlate.NewEngine(NewGraph(st), NewEvidence(c), s)
	if err != nil {
		return nil, err
	}
	if _, err := eng.Add(ctx, in...); err != nil {
		return nil, fmt.Errorf("correlating: %w", err)
	}
	incs := eng.Incidents()
	for _, inc := range incs {
		for _, cand := range inc.Candidates {
			ciIDs = append(ciIDs, cand.CI)
			if len(cand.Paths) > 0 {
				ciIDs = append(ciIDs, cand.Paths[0]...)
			}
		}
	}
	names, err := CINames(ctx, c, ciIDs)
	if err != nil {
		return nil, err
	}
	ref := func(id int) CI { return CI{ID: id, Name: names[id]} }
	member := func(m correlate.Member) Alert {
		a := byKey[m.Key]
		if a.CI != nil {
			r := ref(a.CI.ID)
			a.CI = &r
		}
		a.StartsAt = m.Start.UTC()
		if !m.End.IsZero() {
			end := m.End.UTC()
			a.EndsAt = &end
		}
		a.Flapping = m.Flapping
		return a
	}
	rep.Incidents = []Incident{}
	for _, inc := range incs {
		out := Incident{ID: inc.ID, Service: inc.Service, OpenedAt: inc.OpenedAt.UTC(), Alerts: []Alert{}, Candidates: []Candidate{}}
		if !inc.ResolvedAt.IsZero() {
			r := inc.ResolvedAt.UTC()
			out.ResolvedAt = &r
		}
		for _, m := range inc.Alerts {
			out.Alerts = append(out.Alerts, member(m))
		}
		for _, cand := range inc.Candidates {
			co := Candidate{CI: ref(cand.CI), Score: cand.Score, Alerted: cand.Alerted, Reasons: cand.Reasons, Path: []CI{}, PathCount: cand.PathCount}
			if co.Reasons == nil {
				co.Reasons = []string{}
			}
			if len(cand.Paths) > 0 {
				for _, id := range cand.Paths[0] {
					co.Path = append(co.Path, ref(id))
				}
			}
			out.Candidates = append(out.Candidates, co)
		}
		rep.Incidents = append(rep.Incidents, out)
	}
	rep.Held = []Alert{}
	for _, m := range eng.Held() {
		rep.Held = append(rep.Held, member(m))
	}
	return rep, nil
}

// WriteText prints the report for people.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d bound, %d unbound) form %s (hops %d, window %s, quiet %s); nothing was stored\n",
		plural(r.Alerts, "alert"), r.Bound, r.Unbound, plural(len(r.Incidents), "incident"), r.Settings.Hops, r.Settings.Window, r.Settings.Quiet)
	for _, inc := range r.Incidents {
		fmt.Fprintf(&b, "\nincident %d: %s, opened %s", inc.ID, plural(len(inc.Alerts), "alert"), inc.OpenedAt.Format(time.RFC3339))
		if inc.Service != "" {
			fmt.Fprintf(&b, ", service %s", inc.Service)
		}
		if inc.ResolvedAt != nil {
			fmt.Fprintf(&b, ", resolved %s", inc.ResolvedAt.Format(time.RFC3339))
		}
		b.WriteString("\n  alerts:\n")
		for _, a := range inc.Alerts {
			writeAlert(&b, a)
		}
		if len(inc.Candidates) == 0 {
			b.WriteString("  probable cause: none (unbound alerts)\n")
			continue
		}
		b.WriteString("  probable cause:\n")
		for i, c := range inc.Candidates {
			state := "silent"
			if c.Alerted {
				state = "alerted"
			}
			fmt.Fprintf(&b, "    %d. %s  score %.3f  %s\n", i+1, c.CI.Name, c.Score, state)
			for _, why := range c.Reasons {
				fmt.Fprintf(&b, "       - %s\n", why)
			}
			if len(c.Path) > 0 {
				parts := make([]string, len(c.Path))
				for j, p := range c.Path {
					parts[j] = p.Name
				}
				more := ""
				if c.PathCount > 1 {
					more = fmt.Sprintf(" (1 of %d paths)", c.PathCount)
				}
				fmt.Fprintf(&b, "       path: %s%s\n", strings.Join(parts, " → "), more)
			}
		}
	}
	if len(r.Held) > 0 {
		b.WriteString("\nheld (flapping, in no incident):\n")
		for _, a := range r.Held {
			writeAlert(&b, a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeAlert(b *strings.Builder, a Alert) {
	ci := "unbound"
	if a.CI != nil {
		ci = fmt.Sprintf("%s (by %s, %s)", a.CI.Name, a.BoundBy, a.MatchRule)
	}
	name := a.Alertname
	if name == "" {
		name = "-"
	}
	fmt.Fprintf(b, "    %s  %-16s %s  %s", a.Fingerprint, name, a.StartsAt.Format(time.RFC3339), ci)
	if a.EndsAt != nil {
		fmt.Fprintf(b, "  ended %s", a.EndsAt.Format(time.RFC3339))
	}
	if a.Flapping {
		b.WriteString("  flapping")
	}
	b.WriteString("\n")
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
