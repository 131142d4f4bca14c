package alerts

import (
	"context"
	"fmt"

	"github.com/cairn-cmdb/cairn/ent/alert"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
)

// rebuild makes a fresh engine from the database (at start, and after a
// batch failed past correlation): it correlates again the stored alerts
// of the incidents not resolved, or resolved within Settings.Quiet, and
// the firing alerts in no incident (held flapping ones), leaving out the
// suppressed ones, and maps each engine incident to the stored incident
// holding most of its alerts (ties: the lowest ID). Three statements and
// the engine's own reads; the caller holds s.mu.
//
// What the engine forgets: its flapping history (the stored flapping mark
// and transitions still keep a flapping alert from opening an incident),
// and the alerts of incidents dead for longer than Quiet, which take no
// alert any more anyway. Titles of the incidents loaded are taken as
// intake's own, so intake keeps them up to date.
func (s *Service) rebuild(ctx context.Context) error {
	eng, err := correlate.NewEngine(s.graph, s.evidence, s.cfg.Settings)
	if err != nil {
		return err
	}
	since := s.nowUTC().Add(-s.cfg.Settings.Quiet)
	incs, err := s.client.Incident.Query().
		Where(entincident.Or(entincident.StatusNEQ(entincident.StatusResolved), entincident.ResolvedAtGTE(since))).
		All(ctx)
	if err != nil {
		return fmt.Errorf("reading live incidents: %w", err)
	}
	ids := make([]int, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
	}
	alerts, err := s.client.Alert.Query().
		Where(alert.SuppressedByIDIsNil(), alert.Or(
			alert.IncidentIDIn(ids...),
			alert.And(alert.IncidentIDIsNil(), alert.StatusEQ(alert.StatusFiring)),
		)).
		Order(alert.ByStartsAt(), alert.ByFingerprint()).
		All(ctx)
	if err != nil {
		return fmt.Errorf("reading the alerts of live incidents: %w", err)
	}
	feed := make([]correlate.Alert, 0, len(alerts))
	storedOf := make(map[string]int, len(alerts))
	for _, a := range alerts {
		ca := correlate.Alert{Key: a.Fingerprint, CI: deref0(a.ConfigurationItemID), Start: a.StartsAt, Labels: a.Labels}
		if a.Status == alert.StatusResolved && a.EndsAt != nil && !a.EndsAt.Before(a.StartsAt) {
			ca.End = *a.EndsAt
		}
		feed = append(feed, ca)
		storedOf[a.Fingerprint] = deref0(a.IncidentID)
	}
	if len(feed) > 0 {
		if _, err := eng.Add(ctx, feed...); err != nil {
			return fmt.Errorf("correlating %d stored alerts: %w", len(feed), err)
		}
	}
	incidentOf := map[int]int{}
	cur := map[string]curRef{}
	for _, e := range eng.Incidents() {
		votes := map[int]int{}
		for _, m := range e.Alerts {
			if c, ok := cur[m.Key]; !ok || m.Start.After(c.start) {
				cur[m.Key] = curRef{e.ID, m.Start}
			}
			if sid := storedOf[m.Key]; sid != 0 {
				votes[sid]++
			}
		}
		best := 0
		for sid, n := range votes {
			if best == 0 || n > votes[best] || n == votes[best] && sid < best {
				best = sid
			}
		}
		if best != 0 {
			incidentOf[e.ID] = best
		}
	}
	titles := make(map[int]string, len(incs))
	for _, inc := range incs {
		if !inc.Manual && !inc.TitleSetByPerson {
			titles[inc.ID] = inc.Title
		}
	}
	s.engine, s.incidentOf, s.cur, s.titles, s.stale = eng, incidentOf, cur, titles, false
	return nil
}
