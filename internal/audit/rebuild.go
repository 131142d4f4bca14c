package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
)

// Snapshot is an entity as the audit trail says it was at a moment.
type Snapshot struct {
	ID      int
	At      time.Time
	Existed bool
	// Fields by storage name, as JSON values.
	Fields        map[string]any
	Relationships []RelationshipAt
	LastChange    *ent.AuditEvent
}

// RelationshipAt is a relationship that existed at the snapshot's moment.
type RelationshipAt struct {
	ID     int
	Type   string
	FromID int
	ToID   int
}

// RebuildCI replays the audit trail of CI id up to and including at. It
// returns nil when the CI had not been created by then.
func RebuildCI(ctx context.Context, c *ent.Client, id int, at time.Time) (*Snapshot, error) {
	events, err := c.AuditEvent.Query().
		Where(
			auditevent.EntityType(ent.TypeConfigurationItem),
			auditevent.EntityID(id),
			auditevent.AtLTE(at),
			auditevent.MergedFromIDIsNil(), // a merged CI's past is not this one's
		).
		Order(auditevent.ByAt(), auditevent.ByID()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading audit trail of CI %d: %w", id, err)
	}
	if len(events) == 0 {
		return nil, nil
	}
	s := &Snapshot{ID: id, At: at, Fields: map[string]any{}}
	for _, e := range events {
		switch e.Action {
		case auditevent.ActionCreate:
			s.Existed = true
			s.Fields = map[string]any{}
			apply(s.Fields, e)
		case auditevent.ActionUpdate:
			apply(s.Fields, e)
		case auditevent.ActionDelete:
			s.Existed = false
		}
		s.LastChange = e
	}
	rels, err := c.AuditEvent.Query().
		Where(
			auditevent.EntityType(ent.TypeRelationship),
			auditevent.Or(auditevent.FromCiID(id), auditevent.ToCiID(id)),
			auditevent.AtLTE(at),
		).
		Order(auditevent.ByAt(), auditevent.ByID()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading relationship trail of CI %d: %w", id, err)
	}
	live := map[int]RelationshipAt{}
	for _, e := range rels {
		switch e.Action {
		case auditevent.ActionCreate:
			r := RelationshipAt{ID: e.EntityID}
			for _, ch := range e.Changes {
				switch ch.Field {
				case "type":
					r.Type = fmt.Sprint(ch.After)
				case "from_id":
					r.FromID = jsonInt(ch.After)
				case "to_id":
					r.ToID = jsonInt(ch.After)
				}
			}
			if r.FromID == 0 && e.FromCiID != nil {
				r.FromID = *e.FromCiID
			}
			if r.ToID == 0 && e.ToCiID != nil {
				r.ToID = *e.ToCiID
			}
			live[e.EntityID] = r
		case auditevent.ActionUpdate:
			if r, ok := live[e.EntityID]; ok {
				for _, ch := range e.Changes {
					if ch.Field == "type" {
						r.Type = fmt.Sprint(ch.After)
					}
				}
				live[e.EntityID] = r
			}
		case auditevent.ActionDelete:
			delete(live, e.EntityID)
		}
	}
	for _, r := range live {
		s.Relationships = append(s.Relationships, r)
	}
	sort.Slice(s.Relationships, func(i, j int) bool { return s.Relationships[i].ID < s.Relationships[j].ID })
	return s, nil
}

func apply(fields map[string]any, e *ent.AuditEvent) {
	for _, ch := range e.Changes {
		if strings.Contains(ch.Field, ".") {
			continue // edge additions and removals
		}
		fields[ch.Field] = ch.After
	}
}

func jsonInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	}
	return 0
}
