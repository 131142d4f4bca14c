// Package kpi computes the operations KPIs of issue 15 over stored
// incidents, alerts, change records and services: pure reads over the ent
// client, the same on SQLite and PostgreSQL, in a constant number of
// statements whatever the number of incidents (no query per incident).
//
// The figures, over the incidents opened in [from, to):
//
//   - incidents, and how many are OPEN, ACKNOWLEDGED and RESOLVED now;
//   - MTTA: mean of acknowledged_at − opened_at over the incidents that
//     were acknowledged (resolved ones included); null when none;
//   - MTTR: mean of resolved_at − opened_at over the RESOLVED incidents;
//   - MTTD: mean of opened_at − coalesce(impact_started_at, first_alert_at)
//     (a recorded impact start wins over the first alert's start), never
//     below zero;
//   - recurring: incidents with the same top candidate CI, or sharing an
//     impacted service, with an incident opened earlier and at most 30 days
//     before them (that earlier one may lie before from);
//   - alerts: the alerts of those incidents; suppressedAlerts: the alerts
//     that started in [from, to) inside an approved change window (they
//     belong to no incident), counted by their CI (and its services and
//     owner) or the service they were bound to;
//   - changes: change records whose window ended in [from, to) and that
//     have an outcome; the success rate is successful / total;
//     causedIncidents counts the changes of the window (outcome or not)
//     that a person linked as the cause of an incident;
//   - availability of every service with an SLO target: the union of the
//     intervals from opened_at to resolved_at (now while unresolved) of the
//     incidents that hit the service, clipped to [from, to), as downtime;
//     availability = 100 × (1 − downtime / (to − from)) in percent, like
//     the service's slo_target (99.95), breached when below it.
//
// Groups: SERVICE counts an incident in every service it hit (so groups may
// add up to more than the total); OWNER takes the owner of the top candidate
// CI, else the owner of its first impacted service (lowest tier, then name);
// CONFIGURATION_ITEM takes the top candidate. Incidents with none of these
// fall in a group with no ID, listed last.
//
// An incident a person merged into another (merged_into set) counts in no
// figure: not as an incident, in no mean, recurrence, alert count,
// availability or caused-incidents count; the alerts it had count in the
// incident they moved to.
package kpi

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// GroupBy is how Compute groups incidents.
type GroupBy string

// The groupings; Total names the row over all incidents.
const (
	Service           GroupBy = "SERVICE"
	Owner             GroupBy = "OWNER"
	ConfigurationItem GroupBy = "CONFIGURATION_ITEM"
	Total             GroupBy = "TOTAL"
)

const (
	// MaxRange is the longest period Compute accepts.
	MaxRange = 366 * 24 * time.Hour
	// RecurrenceWindow is how far back an earlier incident makes one
	// recurring.
	RecurrenceWindow = 30 * 24 * time.Hour
)

// Group holds the figures of one group (or of the total).
type Group struct {
	GroupBy GroupBy
	// ID and Name of the service, owner or CI; nil for the total and for
	// the incidents that have none.
	ID   *int
	Name *string

	Incidents, Open, Acknowledged, Resolved int
	// Means in seconds; nil when nothing to average.
	MTTA, MTTR, MTTD *float64
	Recurring        int
	Alerts           int
	SuppressedAlerts int
}

// ChangeOutcomes are the change records whose window ended in the period.
type ChangeOutcomes struct {
	Total, Successful, Failed, RolledBack int
	// SuccessRate is Successful / Total; nil when Total is 0.
	SuccessRate *float64
	// CausedIncidents counts the changes of the period linked as the cause
	// of an incident.
	CausedIncidents int
}

// ServiceAvailability is one service with an SLO target.
type ServiceAvailability struct {
	Service         *ent.Service
	DowntimeSeconds int
	// Availability in percent, like SLOTarget.
	Availability float64
	SLOTarget    *float64
	Breached     bool
}

// Report is what Compute returns.
type Report struct {
	From, To time.Time
	GroupBy  GroupBy
	Total    Group
	// Groups, most incidents first, then by name; the group without ID last.
	Groups       []Group
	Changes      ChangeOutcomes
	Availability []ServiceAvailability
}

// Validate checks a period: from before to, at most MaxRange.
func Validate(from, to time.Time) error {
	if !from.Before(to) {
		return apperr.Invalid("to", "to (%s) must be after from (%s)", to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	if to.Sub(from) > MaxRange {
		return apperr.Invalid("to", "the period from %s to %s is longer than the %d days allowed", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), int(MaxRange/(24*time.Hour)))
	}
	return nil
}

// Options tune ComputeWith.
type Options struct {
	// GroupBy groups the incidents (default SERVICE).
	GroupBy GroupBy
	// Now is when the figures are taken: an unresolved incident's downtime
	// runs until Now (or to, when earlier). Zero means time.Now().
	Now time.Time
	// NoAvailability leaves Report.Availability out (nil), and its
	// statements.
	NoAvailability bool
}

// Compute computes the KPIs over [from, to) grouped by groupBy, now.
func Compute(ctx context.Context, c *ent.Client, from, to time.Time, groupBy GroupBy) (Report, error) {
	return ComputeWith(ctx, c, from, to, Options{GroupBy: groupBy})
}

// ComputeWith is Compute with options.
func ComputeWith(ctx context.Context, c *ent.Client, from, to time.Time, o Options) (Report, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return compute(ctx, c, from, to, o)
}

// inc is one incident as the figures need it.
type inc struct {
	*ent.Incident
	services []*ent.Service // by tier, name
	inWindow bool
}

func compute(ctx context.Context, c *ent.Client, from, to time.Time, o Options) (Report, error) {
	groupBy := o.GroupBy
	switch groupBy {
	case Service, Owner, ConfigurationItem:
	case "":
		groupBy = Service
	default:
		return Report{}, apperr.Invalid("groupBy", "unknown grouping %q (SERVICE, OWNER or CONFIGURATION_ITEM)", string(groupBy))
	}
	if err := Validate(from, to); err != nil {
		return Report{}, err
	}
	from, to = from.UTC(), to.UTC()
	rep := Report{From: from, To: to, GroupBy: groupBy}

	// 1. The incidents of the period and of the 30 days before (recurrence),
	// with their services (2 statements).
	rows, err := c.Incident.Query().
		Where(incident.OpenedAtGTE(from.Add(-RecurrenceWindow)), incident.OpenedAtLT(to), incident.MergedIntoIDIsNil()).
		WithServices(func(q *ent.ServiceQuery) {
			q.Select(service.FieldName, service.FieldTier, service.FieldOwnerID)
		}).
		Order(ent.Asc(incident.FieldOpenedAt), ent.Asc(incident.FieldID)).
		All(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading incidents for the KPIs: %w", err)
	}
	all := make([]*inc, len(rows))
	var window []*inc
	for i, r := range rows {
		svcs := append([]*ent.Service(nil), r.Edges.Services...)
		sortServices(svcs)
		all[i] = &inc{Incident: r, services: svcs, inWindow: !r.OpenedAt.Before(from)}
		if all[i].inWindow {
			window = append(window, all[i])
		}
	}
	recurring := recurrence(all)

	// 2. Alert counts of the period's incidents (1 statement).
	var counts []struct {
		IncidentID int `json:"incident_id"`
		Count      int `json:"count"`
	}
	if err := c.Alert.Query().
		Where(alert.HasIncidentWith(incident.OpenedAtGTE(from), incident.OpenedAtLT(to), incident.MergedIntoIDIsNil())).
		GroupBy(alert.FieldIncidentID).Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
		return Report{}, fmt.Errorf("counting the incidents' alerts: %w", err)
	}
	alertsOf := map[int]int{}
	for _, r := range counts {
		alertsOf[r.IncidentID] = r.Count
	}

	// 3. Suppressed alerts of the period with their CI, and what the
	// grouping needs of it: its services, their bound service (up to 4
	// statements).
	sq := c.Alert.Query().
		Where(alert.SuppressedByIDNotNil(), alert.StartsAtGTE(from), alert.StartsAtLT(to)).
		Select(alert.FieldConfigurationItemID, alert.FieldServiceID).
		WithConfigurationItem(func(q *ent.ConfigurationItemQuery) {
			q.Select(configurationitem.FieldName, configurationitem.FieldOwnerID)
			if groupBy == Service {
				q.WithServices(func(q *ent.ServiceQuery) { q.Select(service.FieldName, service.FieldTier, service.FieldOwnerID) })
			}
		})
	if groupBy != ConfigurationItem {
		sq.WithService(func(q *ent.ServiceQuery) { q.Select(service.FieldName, service.FieldTier, service.FieldOwnerID) })
	}
	suppressed, err := sq.All(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading suppressed alerts: %w", err)
	}

	// 4. The top candidates of the period's incidents (1 statement).
	tops, err := c.ConfigurationItem.Query().
		Where(configurationitem.HasTopCandidateOfWith(incident.OpenedAtGTE(from), incident.OpenedAtLT(to), incident.MergedIntoIDIsNil())).
		Select(configurationitem.FieldName, configurationitem.FieldOwnerID).
		All(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading the incidents' top candidates: %w", err)
	}
	ciByID := map[int]*ent.ConfigurationItem{}
	for _, ci := range tops {
		ciByID[ci.ID] = ci
	}

	// 5. Owners' names (1 statement, OWNER only).
	ownerName := map[int]string{}
	if groupBy == Owner {
		ids := map[int]bool{}
		for _, ci := range tops {
			if ci.OwnerID != nil {
				ids[*ci.OwnerID] = true
			}
		}
		for _, in := range window {
			for _, s := range in.services {
				if s.OwnerID != nil {
					ids[*s.OwnerID] = true
				}
			}
		}
		for _, a := range suppressed {
			if ci := a.Edges.ConfigurationItem; ci != nil && ci.OwnerID != nil {
				ids[*ci.OwnerID] = true
			}
			if s := a.Edges.Service; s != nil && s.OwnerID != nil {
				ids[*s.OwnerID] = true
			}
		}
		if len(ids) > 0 {
			owners, err := c.Owner.Query().Where(owner.IDIn(keys(ids)...)).Select(owner.FieldName).All(ctx)
			if err != nil {
				return Report{}, fmt.Errorf("reading owners: %w", err)
			}
			for _, o := range owners {
				ownerName[o.ID] = o.Name
			}
		}
	}

	// Groups.
	type key struct {
		id  int
		set bool
	}
	acc := map[key]*accum{}
	get := func(k key, name string) *accum {
		a := acc[k]
		if a == nil {
			a = &accum{Group: Group{GroupBy: groupBy}}
			if k.set {
				id, n := k.id, name
				a.ID, a.Name = &id, &n
			}
			acc[k] = a
		}
		return a
	}
	total := &accum{Group: Group{GroupBy: Total}}
	for _, in := range window {
		var ks []key
		names := map[int]string{}
		switch groupBy {
		case Service:
			for _, s := range in.services {
				ks = append(ks, key{s.ID, true})
				names[s.ID] = s.Name
			}
		case ConfigurationItem:
			if in.TopCandidateID != nil {
				if ci := ciByID[*in.TopCandidateID]; ci != nil {
					ks = append(ks, key{ci.ID, true})
					names[ci.ID] = ci.Name
				}
			}
		case Owner:
			if o := ownerOf(in, ciByID); o != nil {
				ks = append(ks, key{*o, true})
				names[*o] = ownerName[*o]
			}
		}
		if len(ks) == 0 {
			ks = []key{{}}
		}
		n := alertsOf[in.ID]
		rec := recurring[in.ID]
		total.add(in.Incident, n, rec)
		for _, k := range ks {
			get(k, names[k.id]).add(in.Incident, n, rec)
		}
	}
	for _, a := range suppressed {
		total.SuppressedAlerts++
		seen := map[int]bool{}
		var ks []key
		add := func(id int, name string) {
			if !seen[id] {
				seen[id] = true
				ks = append(ks, key{id, true})
				get(key{id, true}, name)
			}
		}
		ci, svc := a.Edges.ConfigurationItem, a.Edges.Service
		switch groupBy {
		case Service:
			if svc != nil {
				add(svc.ID, svc.Name)
			}
			if ci != nil {
				for _, s := range ci.Edges.Services {
					add(s.ID, s.Name)
				}
			}
		case ConfigurationItem:
			if ci != nil {
				add(ci.ID, ci.Name)
			}
		case Owner:
			switch {
			case ci != nil && ci.OwnerID != nil:
				add(*ci.OwnerID, ownerName[*ci.OwnerID])
			case svc != nil && svc.OwnerID != nil:
				add(*svc.OwnerID, ownerName[*svc.OwnerID])
			}
		}
		if len(ks) == 0 {
			ks = []key{{}}
		}
		for _, k := range ks {
			get(k, "").SuppressedAlerts++
		}
	}
	rep.Total = total.finish()
	for _, a := range acc {
		rep.Groups = append(rep.Groups, a.finish())
	}
	sort.Slice(rep.Groups, func(i, j int) bool {
		a, b := rep.Groups[i], rep.Groups[j]
		if (a.ID == nil) != (b.ID == nil) {
			return b.ID == nil
		}
		if a.Incidents != b.Incidents {
			return a.Incidents > b.Incidents
		}
		if a.Name != nil && b.Name != nil && *a.Name != *b.Name {
			return *a.Name < *b.Name
		}
		if a.ID != nil && b.ID != nil {
			return *a.ID < *b.ID
		}
		return false
	})
	if rep.Groups == nil {
		rep.Groups = []Group{}
	}

	// 6. Changes (2 statements).
	if rep.Changes, err = changes(ctx, c, from, to); err != nil {
		return Report{}, err
	}
	// 7. Availability (3 statements).
	if !o.NoAvailability {
		if rep.Availability, err = availability(ctx, c, from, to, o.Now); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
}

// ownerOf is the owner of the top candidate CI, else of the first impacted
// service.
func ownerOf(in *inc, cis map[int]*ent.ConfigurationItem) *int {
	if in.TopCandidateID != nil {
		if ci := cis[*in.TopCandidateID]; ci != nil && ci.OwnerID != nil {
			return ci.OwnerID
		}
	}
	if len(in.services) > 0 {
		return in.services[0].OwnerID
	}
	return nil
}

// recurrence marks the incidents that recur: all is ordered by opened_at,
// ID. An earlier incident within RecurrenceWindow with the same top
// candidate or a shared service makes an incident recurring.
func recurrence(all []*inc) map[int]bool {
	out := map[int]bool{}
	lastTop := map[int]time.Time{}
	lastSvc := map[int]time.Time{}
	within := func(t time.Time, ok bool, at time.Time) bool {
		return ok && at.Sub(t) <= RecurrenceWindow
	}
	for _, in := range all {
		rec := false
		if in.TopCandidateID != nil {
			t, ok := lastTop[*in.TopCandidateID]
			rec = within(t, ok, in.OpenedAt)
		}
		for _, s := range in.services {
			t, ok := lastSvc[s.ID]
			rec = rec || within(t, ok, in.OpenedAt)
		}
		if in.inWindow && rec {
			out[in.ID] = true
		}
		if in.TopCandidateID != nil {
			lastTop[*in.TopCandidateID] = in.OpenedAt
		}
		for _, s := range in.services {
			lastSvc[s.ID] = in.OpenedAt
		}
	}
	return out
}

// accum sums one group's figures.
type accum struct {
	Group
	ackSum, resSum, detSum float64
	acks, ress             int
}

func (a *accum) add(in *ent.Incident, alerts int, recurring bool) {
	a.Incidents++
	switch in.Status {
	case incident.StatusOpen:
		a.Open++
	case incident.StatusAcknowledged:
		a.Acknowledged++
	case incident.StatusResolved:
		a.Resolved++
	}
	if in.AcknowledgedAt != nil {
		a.ackSum += nonNegative(in.AcknowledgedAt.Sub(in.OpenedAt))
		a.acks++
	}
	if in.Status == incident.StatusResolved && in.ResolvedAt != nil {
		a.resSum += nonNegative(in.ResolvedAt.Sub(in.OpenedAt))
		a.ress++
	}
	start := in.FirstAlertAt
	if in.ImpactStartedAt != nil {
		start = *in.ImpactStartedAt
	}
	a.detSum += nonNegative(in.OpenedAt.Sub(start))
	if recurring {
		a.Recurring++
	}
	a.Alerts += alerts
}

func (a *accum) finish() Group {
	g := a.Group
	mean := func(sum float64, n int) *float64 {
		if n == 0 {
			return nil
		}
		v := sum / float64(n)
		return &v
	}
	g.MTTA, g.MTTR, g.MTTD = mean(a.ackSum, a.acks), mean(a.resSum, a.ress), mean(a.detSum, a.Incidents)
	return g
}

func nonNegative(d time.Duration) float64 { return max(d, 0).Seconds() }

func changes(ctx context.Context, c *ent.Client, from, to time.Time) (ChangeOutcomes, error) {
	var out ChangeOutcomes
	recs, err := c.ChangeRecord.Query().
		Where(changerecord.WindowEndGTE(from), changerecord.WindowEndLT(to), changerecord.OutcomeNotNil()).
		Select(changerecord.FieldOutcome).
		All(ctx)
	if err != nil {
		return out, fmt.Errorf("reading change outcomes: %w", err)
	}
	for _, r := range recs {
		out.Total++
		switch *r.Outcome {
		case changerecord.OutcomeSuccessful:
			out.Successful++
		case changerecord.OutcomeFailed:
			out.Failed++
		case changerecord.OutcomeRolledBack:
			out.RolledBack++
		}
	}
	if out.Total > 0 {
		v := float64(out.Successful) / float64(out.Total)
		out.SuccessRate = &v
	}
	if out.CausedIncidents, err = c.ChangeRecord.Query().
		Where(changerecord.WindowEndGTE(from), changerecord.WindowEndLT(to), changerecord.HasCausedIncidentsWith(incident.MergedIntoIDIsNil())).
		Count(ctx); err != nil {
		return out, fmt.Errorf("counting changes that caused incidents: %w", err)
	}
	return out, nil
}

func availability(ctx context.Context, c *ent.Client, from, to, now time.Time) ([]ServiceAvailability, error) {
	svcs, err := c.Service.Query().Where(service.SloTargetNotNil()).
		Order(ent.Asc(service.FieldTier), ent.Asc(service.FieldName), ent.Asc(service.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading services with an SLO: %w", err)
	}
	out := make([]ServiceAvailability, 0, len(svcs))
	if len(svcs) == 0 {
		return out, nil
	}
	incs, err := c.Incident.Query().
		Where(
			incident.OpenedAtLT(to),
			incident.MergedIntoIDIsNil(),
			incident.Or(incident.StatusNEQ(incident.StatusResolved), incident.ResolvedAtIsNil(), incident.ResolvedAtGT(from)),
			incident.HasServicesWith(service.SloTargetNotNil()),
		).
		Select(incident.FieldStatus, incident.FieldOpenedAt, incident.FieldResolvedAt).
		WithServices(func(q *ent.ServiceQuery) { q.Where(service.SloTargetNotNil()).Select(service.FieldID) }).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading incidents for availability: %w", err)
	}
	spans := map[int][]span{}
	for _, in := range incs {
		end := to
		if in.Status == incident.StatusResolved && in.ResolvedAt != nil {
			end = *in.ResolvedAt
		} else if now.Before(end) {
			end = now
		}
		s := span{maxTime(in.OpenedAt, from), minTime(end, to)}
		if !s.start.Before(s.end) {
			continue
		}
		for _, sv := range in.Edges.Services {
			spans[sv.ID] = append(spans[sv.ID], s)
		}
	}
	period := to.Sub(from).Seconds()
	for _, s := range svcs {
		down := union(spans[s.ID])
		a := ServiceAvailability{Service: s, DowntimeSeconds: int(down.Seconds()), SLOTarget: s.SloTarget}
		a.Availability = 100 * (1 - down.Seconds()/period)
		a.Breached = s.SloTarget != nil && a.Availability < *s.SloTarget
		out = append(out, a)
	}
	return out, nil
}

type span struct{ start, end time.Time }

// union is the length of the union of spans.
func union(spans []span) time.Duration {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	var total time.Duration
	var cur *span
	for i := range spans {
		s := spans[i]
		if cur != nil && !s.start.After(cur.end) {
			cur.end = maxTime(cur.end, s.end)
			continue
		}
		if cur != nil {
			total += cur.end.Sub(cur.start)
		}
		cur = &s
	}
	if cur != nil {
		total += cur.end.Sub(cur.start)
	}
	return total
}

func sortServices(s []*ent.Service) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Tier != s[j].Tier {
			return s[i].Tier < s[j].Tier
		}
		if s[i].Name != s[j].Name {
			return s[i].Name < s[j].Name
		}
		return s[i].ID < s[j].ID
	})
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
