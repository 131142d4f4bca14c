package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

func activeDrift(d *ent.Drift) bool {
	return d.Status == drift.StatusOpen || d.Status == drift.StatusAcknowledged || d.Status == drift.StatusIgnored
}

// Acknowledge marks an open drift as seen by a person, with a note. It
// stays active: a later run still resolves it when reality comes back.
func Acknowledge(ctx context.Context, c *ent.Client, id int, note *string, now time.Time) (*ent.Drift, error) {
	d, err := c.Drift.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !activeDrift(d) {
		return nil, apperr.New(apperr.Conflict, "drift %d is %s; only open drifts can be acknowledged", id, d.Status)
	}
	u := c.Drift.UpdateOneID(id).SetStatus(drift.StatusAcknowledged).
		SetAcknowledgedBy(audit.Actor(ctx)).SetAcknowledgedAt(now.UTC())
	if note != nil {
		u.SetNote(strings.TrimSpace(*note))
	}
	return u.Save(ctx)
}

// Accept makes the record take the observed value (audited, through the
// hooks) and marks the drift accepted.
func Accept(ctx context.Context, c *ent.Client, id int, now time.Time) (*ent.Drift, error) {
	d, err := c.Drift.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !activeDrift(d) {
		return nil, apperr.New(apperr.Conflict, "drift %d is %s; only open drifts can be accepted", id, d.Status)
	}
	observed := ""
	if d.Observed != nil {
		observed = *d.Observed
	}
	switch d.Kind {
	case drift.KindAttributeChanged:
		if d.ConfigurationItemID == nil || d.FieldName == nil {
			return nil, apperr.New(apperr.Conflict, "drift %d names no CI field", id)
		}
		if _, isID := identifierField(*d.FieldName); isID {
			if err := acceptRelease(ctx, c, d); err != nil {
				return nil, err
			}
		} else if err := applyField(ctx, c, *d.ConfigurationItemID, *d.FieldName, observed, now); err != nil {
			return nil, err
		}
	case drift.KindMissing:
		if d.ConfigurationItemID == nil {
			return nil, apperr.New(apperr.Conflict, "drift %d names no CI", id)
		}
		if err := c.ConfigurationItem.UpdateOneID(*d.ConfigurationItemID).SetStatus(configurationitem.StatusRetired).Exec(ctx); err != nil {
			return nil, fmt.Errorf("retiring CI %d: %w", *d.ConfigurationItemID, err)
		}
	case drift.KindUnregistered:
		if d.ConfigurationItemID != nil {
			ci, err := c.ConfigurationItem.Get(ctx, *d.ConfigurationItemID)
			if err != nil {
				return nil, err
			}
			if ci.Status == configurationitem.StatusDiscovered {
				if err := c.ConfigurationItem.UpdateOneID(ci.ID).SetStatus(configurationitem.StatusActive).Exec(ctx); err != nil {
					return nil, fmt.Errorf("activating CI %d: %w", ci.ID, err)
				}
			}
			break
		}
		ciID, err := registerObserved(ctx, c, d, observed)
		if err != nil {
			return nil, err
		}
		d.ConfigurationItemID = &ciID
	case drift.KindRelationshipChanged:
		if d.ConfigurationItemID == nil || d.FieldName == nil {
			return nil, apperr.New(apperr.Conflict, "drift %d names no relationship", id)
		}
		if err := applyRelationship(ctx, c, *d.ConfigurationItemID, *d.FieldName, observed); err != nil {
			return nil, err
		}
	case drift.KindAmbiguous:
		return nil, apperr.New(apperr.Conflict, "an ambiguous match cannot be accepted: merge the duplicate CIs (mergeConfigurationItems) or fix their identifiers")
	}
	u := c.Drift.UpdateOneID(id).SetStatus(drift.StatusAccepted).SetResolvedAt(now.UTC())
	if d.ConfigurationItemID != nil {
		u.SetConfigurationItemID(*d.ConfigurationItemID)
	}
	return u.Save(ctx)
}

func applyField(ctx context.Context, c *ent.Client, ciID int, field, value string, now time.Time) error {
	u := c.ConfigurationItem.UpdateOneID(ciID)
	if k, ok := strings.CutPrefix(field, "facts."); ok {
		ci, err := c.ConfigurationItem.Get(ctx, ciID)
		if err != nil {
			return err
		}
		facts := make(map[string]any, len(ci.Facts)+1)
		for fk, fv := range ci.Facts {
			facts[fk] = fv
		}
		if value == "" {
			delete(facts, k)
		} else {
			facts[k] = value
		}
		u.SetFacts(facts)
	} else {
		if !discovery.RecordField(field) {
			return apperr.New(apperr.Conflict, "field %q cannot be accepted", field)
		}
		if value == "" {
			switch field {
			case "hostname":
				u.ClearHostname()
			case "fqdn":
				u.ClearFqdn()
			case "serial_number":
				u.ClearSerialNumber()
			case "description":
				u.ClearDescription()
			default:
				return apperr.New(apperr.Conflict, "field %q cannot be emptied", field)
			}
		} else {
			setField(u, field, value)
		}
	}
	if err := u.Exec(ctx); err != nil {
		return fmt.Errorf("accepting %s of CI %d: %w", field, ciID, err)
	}
	return nil
}

func applyRelationship(ctx context.Context, c *ent.Client, from int, field, observed string) error {
	typ, to, attr, ok := discovery.ParseRelationshipField(field)
	if !ok {
		return apperr.New(apperr.Conflict, "drift field %q names no relationship", field)
	}
	if attr != "" {
		return applyRelationshipAttribute(ctx, c, from, to, typ, attr, observed)
	}
	switch observed {
	case "present":
		exists, err := c.Relationship.Query().Where(relationship.FromID(from), relationship.ToID(to), relationship.TypeEQ(relationship.Type(typ))).Exist(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return c.Relationship.Create().SetFromID(from).SetToID(to).SetType(relationship.Type(typ)).Exec(ctx)
		}
	case "absent":
		_, err := c.Relationship.Delete().Where(relationship.FromID(from), relationship.ToID(to), relationship.TypeEQ(relationship.Type(typ))).Exec(ctx)
		return err
	}
	return nil
}

// applyRelationshipAttribute sets attribute attr of the relationship from
// -typ-> to to the observed value (audited); the relationship must still be
// recorded.
func applyRelationshipAttribute(ctx context.Context, c *ent.Client, from, to int, typ, attr, observed string) error {
	rel, err := c.Relationship.Query().Where(relationship.FromID(from), relationship.ToID(to), relationship.TypeEQ(relationship.Type(typ))).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.Conflict, "CI %d has no %s relationship to CI %d any more: its attribute %s cannot be accepted", from, typ, to, attr)
	}
	if err != nil {
		return fmt.Errorf("loading relationship %s from CI %d to CI %d: %w", typ, from, to, err)
	}
	attrs := make(map[string]string, len(rel.Attributes)+1)
	for k, v := range rel.Attributes {
		attrs[k] = v
	}
	attrs[attr] = observed
	if err := c.Relationship.UpdateOneID(rel.ID).SetAttributes(attrs).Exec(ctx); err != nil {
		return fmt.Errorf("accepting %s of relationship %s from CI %d to CI %d: %w", attr, typ, from, to, err)
	}
	return nil
}

// registerObserved creates the CI an unregistered drift describes.
func registerObserved(ctx context.Context, c *ent.Client, d *ent.Drift, observed string) (int, error) {
	var s struct {
		Kind        string                 `json:"kind"`
		Name        string                 `json:"name"`
		Identifiers []discovery.Identifier `json:"identifiers"`
	}
	if err := json.Unmarshal([]byte(observed), &s); err != nil || !discovery.ValidKind(s.Kind) {
		return 0, apperr.New(apperr.Conflict, "drift %d does not describe a CI that can be registered", d.ID)
	}
	name := s.Name
	if name == "" && d.ObservationKey != nil {
		name = *d.ObservationKey
	}
	cr := c.ConfigurationItem.Create().SetName(textclip.Bytes(name, 255)).SetKind(configurationitem.Kind(s.Kind)).SetStatus(configurationitem.StatusActive)
	for _, id := range s.Identifiers {
		switch string(id.Kind) {
		case "HOSTNAME":
			cr.SetHostname(id.Value)
		case "FQDN":
			cr.SetFqdn(id.Value)
		case "SERIAL":
			cr.SetSerialNumber(id.Value)
		}
	}
	ci, err := cr.Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("registering %s: %w", name, err)
	}
	for _, id := range s.Identifiers {
		switch string(id.Kind) {
		case "HOSTNAME", "FQDN", "SERIAL":
			continue
		}
		if err := c.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.Kind(id.Kind)).SetValue(id.Value).SetSource(audit.Actor(ctx)).Exec(ctx); err != nil {
			return 0, fmt.Errorf("recording identifier %s of %s: %w", id.Value, name, err)
		}
	}
	return ci.ID, nil
}

// Count is one row of a summary breakdown.
type Count struct {
	Key   string
	Count int
}

// Summary is the drift summary since a time.
type Summary struct {
	Opened, Open, Acknowledged, Resolved, Accepted, Ignored, Authorized, Unauthorized int
	ByKind, ByJob, ByService                                                          []Count
}

// DefaultSummaryWindow is how far back driftSummary looks when not told.
const DefaultSummaryWindow = 24 * time.Hour

// SummarySince is the start of a drift summary's window: since, or
// DefaultSummaryWindow before now when since is nil; in UTC.
func SummarySince(since *time.Time, now time.Time) time.Time {
	if since != nil {
		return since.UTC()
	}
	return now.UTC().Add(-DefaultSummaryWindow)
}

// Summarize counts drifts first seen or closed since, and breaks the active
// ones down by kind, job and service, in a handful of grouped queries.
func Summarize(ctx context.Context, c *ent.Client, since time.Time, dialect string) (*Summary, error) {
	s := &Summary{}
	var err error
	if s.Opened, err = c.Drift.Query().Where(drift.FirstSeenAtGTE(since)).Count(ctx); err != nil {
		return nil, err
	}
	var byStatus []struct {
		Status     drift.Status `json:"status"`
		Authorized bool         `json:"authorized"`
		Count      int          `json:"count"`
	}
	if err := c.Drift.Query().Where(drift.Or(
		drift.StatusIn(drift.StatusOpen, drift.StatusAcknowledged),
		drift.ResolvedAtGTE(since),
		drift.And(drift.StatusEQ(drift.StatusIgnored), drift.LastSeenAtGTE(since)),
	)).GroupBy(drift.FieldStatus, drift.FieldAuthorized).Aggregate(ent.Count()).Scan(ctx, &byStatus); err != nil {
		return nil, fmt.Errorf("counting drifts: %w", err)
	}
	for _, r := range byStatus {
		switch r.Status {
		case drift.StatusOpen:
			s.Open += r.Count
		case drift.StatusAcknowledged:
			s.Acknowledged += r.Count
		case drift.StatusResolved:
			s.Resolved += r.Count
		case drift.StatusAccepted:
			s.Accepted += r.Count
		case drift.StatusIgnored:
			s.Ignored += r.Count
		}
		if r.Status == drift.StatusOpen || r.Status == drift.StatusAcknowledged {
			if r.Authorized {
				s.Authorized += r.Count
			} else {
				s.Unauthorized += r.Count
			}
		}
	}
	active := drift.StatusIn(drift.StatusOpen, drift.StatusAcknowledged)
	var kinds []struct {
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	}
	if err := c.Drift.Query().Where(active).GroupBy(drift.FieldKind).Aggregate(ent.Count()).Scan(ctx, &kinds); err != nil {
		return nil, err
	}
	for _, k := range kinds {
		s.ByKind = append(s.ByKind, Count{k.Kind, k.Count})
	}
	var jobs []struct {
		Source *string `json:"source"`
		Count  int     `json:"count"`
	}
	if err := c.Drift.Query().Where(active).GroupBy(drift.FieldSource).Aggregate(ent.Count()).Scan(ctx, &jobs); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		key := "(none)"
		if j.Source != nil {
			key = strings.TrimPrefix(*j.Source, "discovery:")
		}
		s.ByJob = append(s.ByJob, Count{key, j.Count})
	}
	d := entsql.Dialect(dialect)
	dt, sm, sv := entsql.Table(drift.Table).As("d"), entsql.Table(service.MembersTable).As("sm"), entsql.Table(service.Table).As("s")
	q, args := d.Select(sv.C(service.FieldName), entsql.As(entsql.Count("DISTINCT "+dt.C(drift.FieldID)), "n")).
		From(dt).
		Join(sm).On(sm.C(service.MembersPrimaryKey[1]), dt.C(drift.FieldConfigurationItemID)).
		Join(sv).On(sv.C(service.FieldID), sm.C(service.MembersPrimaryKey[0])).
		Where(entsql.In(dt.C(drift.FieldStatus), string(drift.StatusOpen), string(drift.StatusAcknowledged))).
		GroupBy(sv.C(service.FieldName)).Query()
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("counting drifts by service: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		var cnt int
		if err := rows.Scan(&n, &cnt); err != nil {
			return nil, fmt.Errorf("counting drifts by service: %w", err)
		}
		s.ByService = append(s.ByService, Count{n, cnt})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting drifts by service: %w", err)
	}
	for _, l := range [][]Count{s.ByKind, s.ByJob, s.ByService} {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Count != l[j].Count {
				return l[i].Count > l[j].Count
			}
			return l[i].Key < l[j].Key
		})
	}
	return s, nil
}
