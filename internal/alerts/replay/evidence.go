package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
)

// Changes is correlate.Evidence from change records: a change linked to
// a candidate CI (or one of its dependencies) whose window overlaps the
// evidence period is a finding on that CI, dated by its window's start.
// Changes that did not happen (DRAFT, REJECTED, CANCELLED) are left out.
// Drift and audit changes are not read yet.
type Changes struct {
	client *ent.Client
}

// NewChanges returns change-record evidence over the database.
func NewChanges(c *ent.Client) *Changes { return &Changes{client: c} }

// Findings implements correlate.Evidence in one query (and one for the
// linked CIs).
func (ch *Changes) Findings(ctx context.Context, cis []int, since, until time.Time) ([]correlate.Finding, error) {
	if len(cis) == 0 {
		return nil, nil
	}
	recs, err := ch.client.ChangeRecord.Query().
		Where(
			changerecord.HasConfigurationItemsWith(configurationitem.IDIn(cis...)),
			changerecord.WindowStartLTE(until),
			changerecord.WindowEndGTE(since),
			changerecord.StatusNotIn(changerecord.StatusDraft, changerecord.StatusRejected, changerecord.StatusCancelled),
		).
		WithConfigurationItems(func(q *ent.ConfigurationItemQuery) {
			q.Where(configurationitem.IDIn(cis...)).Select(configurationitem.FieldID)
		}).
		Order(changerecord.ByWindowStart(), changerecord.ByNumber()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading change records: %w", err)
	}
	var out []correlate.Finding
	for _, r := range recs {
		for _, ci := range r.Edges.ConfigurationItems {
			out = append(out, correlate.Finding{
				CI: ci.ID, Kind: correlate.FindingChange, Ref: r.Number, At: r.WindowStart,
				Summary: fmt.Sprintf("%s (%s)", r.Title, r.Status),
			})
		}
	}
	return out, nil
}
