package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// Limits of what a person writes on an incident (the schema's).
const (
	maxNote  = 8000
	maxTitle = 500
)

// The actions people take on incidents. Each runs in one transaction of
// its own, under the service's lock (the order intake takes them in: lock,
// then transaction), so call them outside any request transaction: a
// GraphQL mutation calling one must be self-transacting
// (internal/server's selfTransactingFields); a context carrying a
// transaction is refused. Who acted is the audit actor of ctx
// (internal/audit), recorded on the incident (acknowledged_by,
// resolved_by) and, through the hooks, on its audit events; a note given
// becomes the incident's note (a blank one clears it). Incident events
// are queued for the webhooks after the commit.
//
// Status changes: Acknowledge takes OPEN to ACKNOWLEDGED; Resolve takes
// OPEN or ACKNOWLEDGED to RESOLVED (resolved_by set: correlation then
// gives new alerts a new incident); Reopen takes RESOLVED to OPEN
// (resolved_at and resolved_by cleared; acknowledged_at kept for MTTA,
// escalated_at kept: an incident escalates once). Anything else is a
// CONFLICT naming the status.

// Acknowledge marks incident id acknowledged by the actor of ctx.
func (s *Service) Acknowledge(ctx context.Context, id int, note string) (*ent.Incident, error) {
	n, err := checkNote(note)
	if err != nil {
		return nil, err
	}
	var out *ent.Incident
	err = s.act(ctx, nil, func(tx *ent.Client, ev *events) error {
		inc, err := getIncident(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		switch inc.Status {
		case entincident.StatusAcknowledged:
			return conflict("incident %d is already acknowledged (by %s)", id, deref(inc.AcknowledgedBy))
		case entincident.StatusResolved:
			return conflict("incident %d is resolved: reopen it before acknowledging it", id)
		}
		u := tx.Incident.UpdateOne(inc).SetStatus(entincident.StatusAcknowledged).
			SetAcknowledgedAt(s.nowUTC()).SetAcknowledgedBy(audit.Actor(ctx))
		out, err = setNote(u, n).Save(ctx)
		return saved(err, "acknowledging incident %d", id)
	})
	return out, err
}

// Resolve marks incident id resolved by the actor of ctx, whether or not
// its alerts still fire.
func (s *Service) Resolve(ctx context.Context, id int, note string) (*ent.Incident, error) {
	n, err := checkNote(note)
	if err != nil {
		return nil, err
	}
	var out *ent.Incident
	err = s.act(ctx, nil, func(tx *ent.Client, ev *events) error {
		inc, err := getIncident(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		if inc.Status == entincident.StatusResolved {
			by := "its alerts"
			if inc.ResolvedBy != nil {
				by = *inc.ResolvedBy
			}
			return conflict("incident %d is already resolved (by %s)", id, by)
		}
		u := tx.Incident.UpdateOne(inc).SetStatus(entincident.StatusResolved).
			SetResolvedAt(s.nowUTC()).SetResolvedBy(audit.Actor(ctx))
		if out, err = setNote(u, n).Save(ctx); err != nil {
			return fmt.Errorf("resolving incident %d: %w", id, err)
		}
		ev.add(EventResolved, id)
		return nil
	})
	return out, err
}

// Reopen takes the resolved incident id back to OPEN.
func (s *Service) Reopen(ctx context.Context, id int, note string) (*ent.Incident, error) {
	n, err := checkNote(note)
	if err != nil {
		return nil, err
	}
	var out *ent.Incident
	err = s.act(ctx, nil, func(tx *ent.Client, ev *events) error {
		inc, err := getIncident(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		if inc.Status != entincident.StatusResolved {
			return conflict("incident %d is %s, not resolved: only a resolved incident reopens", id, inc.Status)
		}
		u := tx.Incident.UpdateOne(inc).SetStatus(entincident.StatusOpen).ClearResolvedAt().ClearResolvedBy()
		if out, err = setNote(u, n).Save(ctx); err != nil {
			return fmt.Errorf("reopening incident %d: %w", id, err)
		}
		ev.add(EventReopened, id)
		return nil
	})
	return out, err
}

// Merge moves every alert of incident remove into incident keep, and
// returns keep. Both become manual (correlation no longer regroups them)
// and their audit trails say what moved: keep's note "merged incident
// <remove> (<n> alerts) into this one" with its counts, alerted CIs and
// impacted services grown; remove's note "merged into incident <keep>
// (<n> alerts moved)", its counts zero, its CIs and services cleared, its
// merged_into set to keep (merged incidents count in no KPI), and it is
// resolved (by the actor) if it was not. keep also takes remove's
// impact start when earlier and its cause change when it has none. keep's
// status follows its alerts: one resolved by its alerts reopens when an
// alert merged in still fires. Refused (CONFLICT): merging an incident
// into itself or into one merged away, and merging an unresolved incident into one a person
// resolved (reopen it first). The correlation engine's incidents that fed
// remove feed keep from then on.
func (s *Service) Merge(ctx context.Context, keep, remove int) (*ent.Incident, error) {
	if keep == remove {
		return nil, &apperr.Error{Code: apperr.Conflict, Field: "remove", Msg: fmt.Sprintf("cannot merge incident %d into itself", keep)}
	}
	var out *ent.Incident
	remap := func() {
		for e, stored := range s.incidentOf {
			if stored == remove {
				s.incidentOf[e] = keep
			}
		}
	}
	err := s.act(ctx, remap, func(tx *ent.Client, ev *events) error {
		incs, err := tx.Incident.Query().Where(entincident.IDIn(keep, remove)).
			WithServices(func(q *ent.ServiceQuery) { q.Select(service.FieldID) }).All(ctx)
		if err != nil {
			return fmt.Errorf("loading incidents %d and %d: %w", keep, remove, err)
		}
		var k, r *ent.Incident
		for _, inc := range incs {
			if inc.ID == keep {
				k = inc
			} else {
				r = inc
			}
		}
		if k == nil {
			return notFound("keep", "incident %d not found", keep)
		}
		if r == nil {
			return notFound("remove", "incident %d not found", remove)
		}
		if k.MergedIntoID != nil {
			return &apperr.Error{Code: apperr.Conflict, Field: "keep",
				Msg: fmt.Sprintf("incident %d was merged into incident %d: merge into that one", keep, *k.MergedIntoID)}
		}
		if k.Status == entincident.StatusResolved && k.ResolvedBy != nil && r.Status != entincident.StatusResolved {
			return conflict("incident %d was resolved by %s: reopen it before merging incident %d, which is %s, into it",
				keep, *k.ResolvedBy, remove, r.Status)
		}
		moved, err := tx.Alert.Update().Where(alert.IncidentID(remove)).SetIncidentID(keep).Save(ctx)
		if err != nil {
			return fmt.Errorf("moving the alerts of incident %d to incident %d: %w", remove, keep, err)
		}
		now, who := s.nowUTC(), audit.Actor(ctx)
		tallies, err := tallyAlerts(ctx, tx, keep)
		if err != nil {
			return err
		}
		cur, err := alertedCIs(ctx, tx, keep, remove)
		if err != nil {
			return err
		}
		// keep: counts, CIs, services, note, status.
		u := tx.Incident.UpdateOne(k).SetManual(true).
			SetNote(fmt.Sprintf("merged incident %d (%s) into this one", remove, nAlerts(moved)))
		t := tallies[keep]
		st := t.apply(u, k, now)
		addCIs, _ := diffIDs(cur[keep], t.cis)
		u.AddConfigurationItemIDs(addCIs...)
		var addSvcs []int
		for _, sv := range r.Edges.Services {
			if !slices.ContainsFunc(k.Edges.Services, func(x *ent.Service) bool { return x.ID == sv.ID }) {
				addSvcs = append(addSvcs, sv.ID)
			}
		}
		u.AddServiceIDs(addSvcs...)
		if r.ImpactStartedAt != nil && (k.ImpactStartedAt == nil || r.ImpactStartedAt.Before(*k.ImpactStartedAt)) {
			u.SetImpactStartedAt(*r.ImpactStartedAt)
		}
		if k.CausedByChangeID == nil && r.CausedByChangeID != nil {
			u.SetCausedByChangeID(*r.CausedByChangeID)
		}
		if out, err = u.Save(ctx); err != nil {
			return fmt.Errorf("merging into incident %d: %w", keep, err)
		}
		ev.transition(keep, k.Status, st)
		// remove: emptied and resolved.
		ru := tx.Incident.UpdateOne(r).SetManual(true).SetAlertCount(0).SetFiringCount(0).SetMergedIntoID(keep).
			SetNote(fmt.Sprintf("merged into incident %d (%s moved)", keep, nAlerts(moved))).
			RemoveConfigurationItemIDs(cur[remove]...).ClearServices()
		if r.Status != entincident.StatusResolved {
			ru.SetStatus(entincident.StatusResolved).SetResolvedAt(now).SetResolvedBy(who)
			ev.add(EventResolved, remove)
		}
		if err := ru.Exec(ctx); err != nil {
			return fmt.Errorf("emptying incident %d: %w", remove, err)
		}
		return nil
	})
	return out, err
}

// MoveAlert moves alert alertID to incident *to, or to a new incident
// when to is nil, and returns the incident it is now in. The incidents
// involved become manual (correlation no longer regroups them) and their
// audit trails say what moved: the source's note "alert <fingerprint>
// moved to incident <to>", the target's "alert <fingerprint> moved here
// from incident <from>", with their counts and alerted CIs recomputed. A
// source left without alerts is resolved (by the actor); one whose alerts
// have all ended is resolved as if by its alerts. A new incident is OPEN
// (resolved at once if the alert has ended), titled by the alert's name,
// with the alert's CI as its only candidate. The target gains the services
// the alert's CI hits (impactedServices: its memberships and the services
// depending on those); the source keeps its own, as intake never takes
// impacted services away. Refused: moving an alert to its own incident or
// to one merged away (CONFLICT), a firing
// alert into an incident a person resolved (CONFLICT: reopen it first).
func (s *Service) MoveAlert(ctx context.Context, alertID int, to *int) (*ent.Incident, error) {
	var out *ent.Incident
	err := s.act(ctx, nil, func(tx *ent.Client, ev *events) error {
		a, err := tx.Alert.Get(ctx, alertID)
		if ent.IsNotFound(err) {
			return notFound("alert", "alert %d not found", alertID)
		}
		if err != nil {
			return fmt.Errorf("loading alert %d: %w", alertID, err)
		}
		from := a.IncidentID
		now, who := s.nowUTC(), audit.Actor(ctx)
		var target *ent.Incident
		var fromInc *ent.Incident
		if from != nil {
			if fromInc, err = tx.Incident.Get(ctx, *from); err != nil {
				return fmt.Errorf("loading incident %d: %w", *from, err)
			}
		}
		if to != nil {
			if from != nil && *from == *to {
				return &apperr.Error{Code: apperr.Conflict, Field: "to", Msg: fmt.Sprintf("alert %d is already in incident %d", alertID, *to)}
			}
			if target, err = getIncident(ctx, tx, *to, "to"); err != nil {
				return err
			}
			if target.MergedIntoID != nil {
				return &apperr.Error{Code: apperr.Conflict, Field: "to",
					Msg: fmt.Sprintf("incident %d was merged into incident %d: move the alert there", *to, *target.MergedIntoID)}
			}
			if a.Status == alert.StatusFiring && target.Status == entincident.StatusResolved && target.ResolvedBy != nil {
				return conflict("incident %d was resolved by %s: reopen it before moving firing alert %d into it",
					*to, *target.ResolvedBy, alertID)
			}
		} else {
			if target, err = s.newIncidentFor(ctx, tx, a, who, now); err != nil {
				return err
			}
			ev.add(EventOpened, target.ID)
		}
		if err := tx.Alert.UpdateOne(a).SetIncidentID(target.ID).Exec(ctx); err != nil {
			return fmt.Errorf("moving alert %d to incident %d: %w", alertID, target.ID, err)
		}
		ids := []int{target.ID}
		if from != nil {
			ids = append(ids, *from)
		}
		tallies, err := tallyAlerts(ctx, tx, ids...)
		if err != nil {
			return err
		}
		cur, err := alertedCIs(ctx, tx, ids...)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("alert %s", a.Fingerprint)
		if a.Name != "" {
			what = fmt.Sprintf("alert %s (%s)", a.Fingerprint, a.Name)
		}
		// The target.
		note := fmt.Sprintf("%s moved here by %s", what, who)
		if from != nil {
			note = fmt.Sprintf("%s moved here from incident %d", what, *from)
		}
		u := tx.Incident.UpdateOne(target).SetManual(true).SetNote(note)
		t := tallies[target.ID]
		st := t.apply(u, target, now)
		add, remove := diffIDs(cur[target.ID], t.cis)
		u.AddConfigurationItemIDs(add...).RemoveConfigurationItemIDs(remove...)
		if a.ConfigurationItemID != nil {
			// The services the alert's CI hits join the target's (as
			// intake adds them; none are taken from the source).
			hit, err := s.impactedServices(ctx, tx, map[int][]int{target.ID: {*a.ConfigurationItemID}})
			if err != nil {
				return fmt.Errorf("services hit by alert %d: %w", alertID, err)
			}
			has, err := tx.Incident.QueryServices(target).IDs(ctx)
			if err != nil {
				return fmt.Errorf("loading the services of incident %d: %w", target.ID, err)
			}
			newSvcs, _ := diffIDs(has, hit[target.ID])
			u.AddServiceIDs(newSvcs...)
		}
		if out, err = u.Save(ctx); err != nil {
			return fmt.Errorf("moving alert %d into incident %d: %w", alertID, target.ID, err)
		}
		if to != nil {
			ev.transition(target.ID, target.Status, st)
		}
		if fromInc == nil {
			return nil
		}
		// The source.
		u = tx.Incident.UpdateOne(fromInc).SetManual(true).SetNote(fmt.Sprintf("%s moved to incident %d", what, target.ID))
		t = tallies[fromInc.ID]
		st = t.apply(u, fromInc, now)
		if t.alerts == 0 && fromInc.Status != entincident.StatusResolved {
			u.SetResolvedBy(who).SetNote(fmt.Sprintf("%s moved to incident %d; no alerts left", what, target.ID))
		}
		add, remove = diffIDs(cur[fromInc.ID], t.cis)
		u.AddConfigurationItemIDs(add...).RemoveConfigurationItemIDs(remove...)
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("moving alert %d out of incident %d: %w", alertID, fromInc.ID, err)
		}
		ev.transition(fromInc.ID, fromInc.Status, st)
		return nil
	})
	return out, err
}

// newIncidentFor creates the manual incident a moved-out alert goes to.
func (s *Service) newIncidentFor(ctx context.Context, tx *ent.Client, a *ent.Alert, who string, now time.Time) (*ent.Incident, error) {
	title := a.Name
	if title == "" {
		title = "alert " + a.Fingerprint
	}
	if len(title) > maxTitle {
		title = title[:maxTitle] // Name is at most 500 bytes already
	}
	c := tx.Incident.Create().SetTitle(title).SetStatus(entincident.StatusOpen).SetOpenedAt(now).
		SetFirstAlertAt(a.StartsAt).SetLastAlertAt(a.StartsAt).SetManual(true).
		SetNote(fmt.Sprintf("opened by %s for alert %s", who, a.Fingerprint))
	if a.ConfigurationItemID != nil {
		ci := *a.ConfigurationItemID
		c.SetTopCandidateID(ci).SetCandidates([]schematype.CauseCandidate{{
			CI: ci, Score: 1.1, Alerted: true,
			Reasons: []string{"the only alerted CI: its alert was moved to this incident by " + who},
			Paths:   [][]int{{ci}}, PathCount: 1,
		}})
	} else if a.ServiceID != nil {
		c.AddServiceIDs(*a.ServiceID)
	}
	inc, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening an incident for alert %d: %w", a.ID, err)
	}
	return inc, nil
}

// IncidentUpdate changes what a person may set on an incident; nil fields
// are left as they are. A value and its Clear twin together are refused.
type IncidentUpdate struct {
	Title *string
	// ImpactStartedAt records when the impact started, when known better
	// than the first alert (MTTD); not in the future.
	ImpactStartedAt      *time.Time
	ClearImpactStartedAt bool
	// CausedByChange links the change record that caused the incident.
	CausedByChange      *int
	ClearCausedByChange bool
}

// Update applies u to incident id.
func (s *Service) Update(ctx context.Context, id int, u IncidentUpdate) (*ent.Incident, error) {
	var title string
	if u.Title != nil {
		title = strings.TrimSpace(*u.Title)
		switch {
		case title == "":
			return nil, apperr.Invalid("title", "title must not be blank")
		case len(title) > maxTitle:
			return nil, apperr.Invalid("title", "title is %d bytes long; at most %d", len(title), maxTitle)
		}
		if err := textsafe.CheckName(title); err != nil {
			return nil, apperr.InvalidErr("title", err)
		}
	}
	if u.ImpactStartedAt != nil && u.ClearImpactStartedAt {
		return nil, apperr.Invalid("impactStartedAt", "give impactStartedAt or clearImpactStartedAt, not both")
	}
	if u.CausedByChange != nil && u.ClearCausedByChange {
		return nil, apperr.Invalid("causedByChangeID", "give causedByChangeID or clearCausedByChange, not both")
	}
	now := s.nowUTC()
	if u.ImpactStartedAt != nil && u.ImpactStartedAt.After(now) {
		return nil, apperr.Invalid("impactStartedAt", "impactStartedAt %s is in the future", u.ImpactStartedAt.UTC().Format(time.RFC3339))
	}
	var out *ent.Incident
	err := s.act(ctx, nil, func(tx *ent.Client, _ *events) error {
		inc, err := getIncident(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		up := tx.Incident.UpdateOne(inc)
		if u.Title != nil {
			// Intake no longer retitles it (title_set_by_person).
			up.SetTitle(title).SetTitleSetByPerson(true)
		}
		switch {
		case u.ImpactStartedAt != nil:
			up.SetImpactStartedAt(u.ImpactStartedAt.UTC())
		case u.ClearImpactStartedAt:
			up.ClearImpactStartedAt()
		}
		switch {
		case u.CausedByChange != nil:
			ok, err := tx.ChangeRecord.Get(ctx, *u.CausedByChange)
			if ent.IsNotFound(err) {
				return notFound("causedByChangeID", "change record %d not found", *u.CausedByChange)
			}
			if err != nil {
				return fmt.Errorf("loading change record %d: %w", *u.CausedByChange, err)
			}
			up.SetCausedByChangeID(ok.ID)
		case u.ClearCausedByChange:
			up.ClearCausedByChangeID()
		}
		out, err = up.Save(ctx)
		return saved(err, "updating incident %d", id)
	})
	return out, err
}

// events are the incident events an action queues once it has committed.
type events []notification

func (e *events) add(event string, id int) {
	*e = append(*e, notification{event: event, incident: id})
}

// transition adds the event of an incident's status change.
func (e *events) transition(id int, from, to entincident.Status) {
	switch {
	case from == to:
	case to == entincident.StatusResolved:
		e.add(EventResolved, id)
	case from == entincident.StatusResolved:
		e.add(EventReopened, id)
	}
}

// act runs fn in a transaction of its own under s.mu, then (still under
// the lock, once committed) committed, then queues fn's events.
func (s *Service) act(ctx context.Context, committed func(), fn func(tx *ent.Client, ev *events) error) error {
	if ent.TxFromContext(ctx) != nil || ent.FromContext(ctx) != nil {
		return apperr.New(apperr.Internal,
			"incident actions run in a transaction of their own: call them outside a request transaction")
	}
	var ev events
	s.mu.Lock()
	err := txn.Do(ctx, s.client, func(tx *ent.Client) error {
		ev = ev[:0]
		return fn(tx, &ev)
	})
	if err == nil && committed != nil {
		committed()
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, n := range ev {
		s.notify(ctx, n.event, n.incident)
	}
	return nil
}

// tally is what an incident's alerts say of it.
type tally struct {
	alerts, firing int
	first, last    time.Time // earliest and latest start
	lastEnd        time.Time
	cis            []int // alerted CIs, ascending
}

// tallyAlerts reads the alerts of the incidents (one statement) and sums
// them up per incident.
func tallyAlerts(ctx context.Context, tx *ent.Client, ids ...int) (map[int]*tally, error) {
	rows, err := tx.Alert.Query().Where(alert.IncidentIDIn(ids...)).
		Select(alert.FieldIncidentID, alert.FieldStatus, alert.FieldStartsAt, alert.FieldEndsAt, alert.FieldConfigurationItemID).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the alerts of incidents %v: %w", ids, err)
	}
	out := make(map[int]*tally, len(ids))
	for _, id := range ids {
		out[id] = &tally{}
	}
	seen := map[[2]int]bool{}
	for _, a := range rows {
		t := out[*a.IncidentID]
		t.alerts++
		if a.Status == alert.StatusFiring {
			t.firing++
		}
		if t.first.IsZero() || a.StartsAt.Before(t.first) {
			t.first = a.StartsAt
		}
		if a.StartsAt.After(t.last) {
			t.last = a.StartsAt
		}
		if a.EndsAt != nil && a.EndsAt.After(t.lastEnd) {
			t.lastEnd = *a.EndsAt
		}
		if c := a.ConfigurationItemID; c != nil && !seen[[2]int{*a.IncidentID, *c}] {
			seen[[2]int{*a.IncidentID, *c}] = true
			t.cis = append(t.cis, *c)
		}
	}
	for _, t := range out {
		slices.Sort(t.cis)
	}
	return out, nil
}

// apply sets the counts and times of t on u (an update of inc) and the
// status they imply, which it returns: an incident left without alerts, or
// whose alerts have all ended, is resolved (at the last end, or now when
// it has no alerts; resolved_by left null, as by its alerts); one resolved
// by its alerts reopens when an alert fires. A person's resolution stands.
func (t *tally) apply(u *ent.IncidentUpdateOne, inc *ent.Incident, now time.Time) entincident.Status {
	u.SetAlertCount(t.alerts).SetFiringCount(t.firing)
	if t.alerts > 0 {
		u.SetFirstAlertAt(t.first).SetLastAlertAt(t.last)
	}
	switch {
	case inc.Status != entincident.StatusResolved && t.firing == 0:
		at := now
		if t.alerts > 0 && !t.lastEnd.IsZero() {
			at = t.lastEnd
		}
		u.SetStatus(entincident.StatusResolved).SetResolvedAt(at)
		return entincident.StatusResolved
	case inc.Status == entincident.StatusResolved && inc.ResolvedBy == nil && t.firing > 0:
		u.SetStatus(entincident.StatusOpen).ClearResolvedAt()
		return entincident.StatusOpen
	}
	return inc.Status
}

// alertedCIs are the configuration_items edges of the incidents (one
// statement).
func alertedCIs(ctx context.Context, tx *ent.Client, ids ...int) (map[int][]int, error) {
	incs, err := tx.Incident.Query().Where(entincident.IDIn(ids...)).Select(entincident.FieldID).
		WithConfigurationItems(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the alerted CIs of incidents %v: %w", ids, err)
	}
	out := make(map[int][]int, len(incs))
	for _, inc := range incs {
		for _, c := range inc.Edges.ConfigurationItems {
			out[inc.ID] = append(out[inc.ID], c.ID)
		}
	}
	return out, nil
}

// diffIDs says what to add to have and what to remove from it to get want.
func diffIDs(have, want []int) (add, remove []int) {
	for _, w := range want {
		if !slices.Contains(have, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			remove = append(remove, h)
		}
	}
	return add, remove
}

func getIncident(ctx context.Context, tx *ent.Client, id int, field string) (*ent.Incident, error) {
	inc, err := tx.Incident.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound(field, "incident %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("loading incident %d: %w", id, err)
	}
	return inc, nil
}

func checkNote(note string) (*string, error) {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return nil, nil
	case len(note) > maxNote:
		return nil, apperr.Invalid("note", "note is %d bytes long; at most %d", len(note), maxNote)
	case !utf8.ValidString(note):
		return nil, apperr.Invalid("note", "note is not valid UTF-8")
	}
	for i, r := range note {
		if r != '\n' && r != '\t' && r != '\r' && textsafe.Unsafe(r) {
			return nil, apperr.Invalid("note", "note holds the invisible or control character %U at byte %d", r, i)
		}
	}
	return &note, nil
}

// setNote sets the note of an action, or clears it when there is none.
func setNote(u *ent.IncidentUpdateOne, note *string) *ent.IncidentUpdateOne {
	if note == nil {
		return u.ClearNote()
	}
	return u.SetNote(*note)
}

func notFound(field, format string, args ...any) error {
	return &apperr.Error{Code: apperr.NotFound, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return apperr.New(apperr.Conflict, format, args...)
}

// saved wraps a failed save with what was being done.
func saved(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func deref(s *string) string {
	if s == nil {
		return "someone"
	}
	return *s
}

func nAlerts(n int) string {
	if n == 1 {
		return "1 alert"
	}
	return fmt.Sprintf("%d alerts", n)
}
