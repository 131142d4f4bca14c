package alerts

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
)

// Binding itself is replay.Binder's (one implementation for intake and
// `cairn alerts replay`); this file holds what intake adds to it.

// suppressingStatuses are the change statuses whose window makes an
// alert expected: approved, under way, or done (its window still open).
var suppressingStatuses = []changerecord.Status{
	changerecord.StatusApproved, changerecord.StatusInProgress, changerecord.StatusImplemented,
}

// suppressions sets the suppressing change of each new firing bound to a
// CI: a change record APPROVED, IN_PROGRESS or IMPLEMENTED linked to the
// CI whose window holds the alert's start (of several, the one whose
// window started first, then the lowest number). One statement for the
// batch (and one for the changes' CIs).
func (s *Service) suppressions(ctx context.Context, tx *ent.Client, items []item) error {
	var cis []int
	var lo, hi timeBounds
	for i := range items {
		it := &items[i]
		it.suppress = nil
		if !it.newFiring {
			if it.old != nil {
				it.suppress = it.old.SuppressedByID
			}
			continue
		}
		if it.bd.CI == 0 {
			continue
		}
		cis = append(cis, it.bd.CI)
		lo.min(it.a.StartsAt)
		hi.max(it.a.StartsAt)
	}
	if len(cis) == 0 {
		return nil
	}
	sort.Ints(cis)
	recs, err := tx.ChangeRecord.Query().
		Where(changerecord.StatusIn(suppressingStatuses...),
			changerecord.WindowStartLTE(hi.t), changerecord.WindowEndGTE(lo.t),
			changerecord.HasConfigurationItemsWith(configurationitem.IDIn(cis...))).
		WithConfigurationItems(func(q *ent.ConfigurationItemQuery) {
			q.Where(configurationitem.IDIn(cis...)).Select(configurationitem.FieldID)
		}).
		Order(changerecord.ByWindowStart(), changerecord.ByNumber()).
		All(ctx)
	if err != nil {
		return fmt.Errorf("reading change windows: %w", err)
	}
	byCI := map[int][]*ent.ChangeRecord{}
	for _, r := range recs {
		for _, c := range r.Edges.ConfigurationItems {
			byCI[c.ID] = append(byCI[c.ID], r)
		}
	}
	for i := range items {
		it := &items[i]
		if !it.newFiring || it.bd.CI == 0 {
			continue
		}
		for _, r := range byCI[it.bd.CI] {
			t := it.a.StartsAt
			if !t.Before(r.WindowStart) && !t.After(r.WindowEnd) {
				id := r.ID
				it.suppress = &id
				break
			}
		}
	}
	return nil
}

// timeBounds is the least or greatest of some times.
type timeBounds struct {
	t   time.Time
	set bool
}

func (b *timeBounds) min(t time.Time) {
	if !b.set || t.Before(b.t) {
		b.t, b.set = t, true
	}
}

func (b *timeBounds) max(t time.Time) {
	if !b.set || t.After(b.t) {
		b.t, b.set = t, true
	}
}
