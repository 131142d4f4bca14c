package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/alerts/kpi"
)

// MaxRecurring is how many recurring probable-cause CIs the incidents
// section lists.
const MaxRecurring = 5

// Incidents is the report's incidents section (internal/alerts/kpi over the
// window, grouped by probable-cause CI). It covers the whole estate: the
// scope narrows drift and health only. A window longer than kpi.MaxRange
// counts the incidents of its last kpi.MaxRange.
type Incidents struct {
	// Opened in the window, and of those how many are resolved now.
	Opened   int `json:"opened"`
	Resolved int `json:"resolved"`
	// OpenNow counts every incident opened before Until that is OPEN or
	// ACKNOWLEDGED now, whenever it opened: the backlog.
	OpenNow int `json:"openNow"`
	// MTTA and MTTR in seconds over the window's incidents; nil when none
	// was acknowledged (resolved).
	MTTA *float64 `json:"mttaSeconds"`
	MTTR *float64 `json:"mttrSeconds"`
	// Recurring incidents of the window (same probable-cause CI or service
	// as one in the 30 days before).
	Recurring int `json:"recurring"`
	// TopRecurring are the probable-cause CIs with the most recurring
	// incidents in the window, at most MaxRecurring.
	TopRecurring []RecurringCause `json:"topRecurring"`
	// Changes whose window ended in the report's window, with an outcome.
	Changes          int      `json:"changes"`
	ChangesSucceeded int      `json:"changesSucceeded"`
	ChangeSuccess    *float64 `json:"changeSuccessRate"`
	// ChangesCausing incidents: changes of the window linked as the cause
	// of an incident.
	ChangesCausing int `json:"changesCausingIncidents"`
}

// RecurringCause is a probable-cause CI with recurring incidents.
type RecurringCause struct {
	CI        CIRef `json:"ci"`
	Incidents int   `json:"incidents"`
	Recurring int   `json:"recurring"`
}

// incidents builds the incidents section as of o.Until (three statements
// besides kpi's).
func incidents(ctx context.Context, c *ent.Client, o Options) (*Incidents, error) {
	since := o.Since
	if o.Until.Sub(since) > kpi.MaxRange {
		since = o.Until.Add(-kpi.MaxRange)
	}
	k, err := kpi.ComputeWith(ctx, c, since, o.Until, kpi.Options{GroupBy: kpi.ConfigurationItem, Now: o.Until, NoAvailability: true})
	if err != nil {
		return nil, fmt.Errorf("report incidents: %w", err)
	}
	out := &Incidents{
		Opened: k.Total.Incidents, Resolved: k.Total.Resolved, MTTA: k.Total.MTTA, MTTR: k.Total.MTTR, Recurring: k.Total.Recurring,
		TopRecurring: []RecurringCause{},
		Changes:      k.Changes.Total, ChangesSucceeded: k.Changes.Successful, ChangeSuccess: k.Changes.SuccessRate,
		ChangesCausing: k.Changes.CausedIncidents,
	}
	var ids []int
	for _, g := range k.Groups {
		if g.ID != nil && g.Recurring > 0 {
			out.TopRecurring = append(out.TopRecurring, RecurringCause{CI: CIRef{ID: *g.ID, Name: *g.Name}, Incidents: g.Incidents, Recurring: g.Recurring})
			ids = append(ids, *g.ID)
		}
	}
	sort.SliceStable(out.TopRecurring, func(i, j int) bool {
		a, b := out.TopRecurring[i], out.TopRecurring[j]
		if a.Recurring != b.Recurring {
			return a.Recurring > b.Recurring
		}
		return a.CI.Name < b.CI.Name
	})
	if len(out.TopRecurring) > MaxRecurring {
		out.TopRecurring = out.TopRecurring[:MaxRecurring]
	}
	if len(out.TopRecurring) > 0 {
		ids = ids[:0]
		for _, r := range out.TopRecurring {
			ids = append(ids, r.CI.ID)
		}
		cis, err := c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("report incidents: reading candidate CIs: %w", err)
		}
		kind := map[int]*ent.ConfigurationItem{}
		for _, ci := range cis {
			kind[ci.ID] = ci
		}
		for i := range out.TopRecurring {
			if ci := kind[out.TopRecurring[i].CI.ID]; ci != nil {
				out.TopRecurring[i].CI.Kind, out.TopRecurring[i].CI.Environment = string(ci.Kind), string(ci.Environment)
			}
		}
	}
	if out.OpenNow, err = c.Incident.Query().
		Where(incident.StatusNEQ(incident.StatusResolved), incident.OpenedAtLT(o.Until)).Count(ctx); err != nil {
		return nil, fmt.Errorf("report incidents: counting open incidents: %w", err)
	}
	return out, nil
}

// durationText is seconds as "1h 05m", "4m 30s" or "12s"; "–" for nil.
func durationText(s *float64) string {
	if s == nil {
		return "–"
	}
	d := time.Duration(*s * float64(time.Second)).Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return strconv.Itoa(int(d.Seconds())) + "s"
}

// rateText is a rate as a whole percentage; "–" for nil.
func rateText(r *float64) string {
	if r == nil {
		return "–"
	}
	return strconv.Itoa(int(*r*100+0.5)) + "%"
}

func (m *mdWriter) markdownIncidents(in *Incidents) {
	if in == nil {
		return
	}
	m.line("## Incidents")
	m.line("")
	m.header("Incidents", "Value>")
	m.row("Opened in the window", strconv.Itoa(in.Opened))
	m.row("– resolved since", strconv.Itoa(in.Resolved))
	m.row("– recurring (same cause or service within 30 days)", strconv.Itoa(in.Recurring))
	m.row("Open now (all, backlog)", strconv.Itoa(in.OpenNow))
	m.row("Mean time to acknowledge", durationText(in.MTTA))
	m.row("Mean time to resolve", durationText(in.MTTR))
	m.row("Changes ended in the window, with an outcome", strconv.Itoa(in.Changes))
	m.row("– change success rate", rateText(in.ChangeSuccess))
	m.row("Changes linked as the cause of an incident", strconv.Itoa(in.ChangesCausing))
	m.line("")
	m.line("### Recurring probable causes")
	m.line("")
	if len(in.TopRecurring) == 0 {
		m.line("None.")
		m.line("")
		return
	}
	m.header("CI", "Kind", "Incidents>", "Recurring>")
	for _, r := range in.TopRecurring {
		m.row(ciText(&r.CI), r.CI.Kind, strconv.Itoa(r.Incidents), strconv.Itoa(r.Recurring))
	}
	m.line("")
}
