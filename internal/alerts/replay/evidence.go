package replay

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
)

// Evidence is the correlate.Evidence of the database, the one both
// `cairn alerts replay` and the alert service (internal/alerts) use: what
// happened on the candidate CIs in the lookback, in three statements per
// ranking (and one for the CIs linked to the changes found):
//
//   - change records (Changes): a change linked to the CI whose window
//     overlaps the period, dated by its window's start; changes that did
//     not happen (DRAFT, REJECTED, CANCELLED) are left out;
//   - unauthorised drift: a drift on the CI with authorized=false first
//     seen in the period (what changed without an approved change);
//   - audit changes: audit events on the CI in the period by people or
//     tools, not by discovery (discovery:<job>), the demo seed (seed) or
//     an import (import:<file>), which record what was found rather than
//     what was done. At most MaxAuditPerCI per CI, the latest.
type Evidence struct {
	client *ent.Client
}

// MaxAuditPerCI bounds the audit findings of one CI (the latest count).
const MaxAuditPerCI = 3

// NewEvidence returns the database's evidence.
func NewEvidence(c *ent.Client) *Evidence { return &Evidence{client: c} }

// Findings implements correlate.Evidence.
func (e *Evidence) Findings(ctx context.Context, cis []int, since, until time.Time) ([]correlate.Finding, error) {
	if len(cis) == 0 {
		return nil, nil
	}
	out, err := NewChanges(e.client).Findings(ctx, cis, since, until)
	if err != nil {
		return nil, err
	}
	drifts, err := e.client.Drift.Query().
		Where(drift.ConfigurationItemIDIn(cis...), drift.Authorized(false),
			drift.FirstSeenAtGTE(since), drift.FirstSeenAtLTE(until)).
		Order(drift.ByFirstSeenAt(), drift.ByID()).
		Select(drift.FieldID, drift.FieldConfigurationItemID, drift.FieldKind, drift.FieldFieldName, drift.FieldFirstSeenAt, drift.FieldSource).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading unauthorised drift: %w", err)
	}
	for _, d := range drifts {
		summary := strings.ToLower(strings.ReplaceAll(string(d.Kind), "_", " "))
		if d.FieldName != nil && *d.FieldName != "" {
			summary += " " + *d.FieldName
		}
		if d.Source != nil && *d.Source != "" {
			summary += " (seen by " + *d.Source + ")"
		}
		out = append(out, correlate.Finding{
			CI: *d.ConfigurationItemID, Kind: correlate.FindingDrift, Ref: fmt.Sprintf("drift %d", d.ID),
			At: d.FirstSeenAt, Summary: summary,
		})
	}
	events, err := e.client.AuditEvent.Query().
		Where(auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityIDIn(cis...),
			auditevent.AtGTE(since), auditevent.AtLTE(until),
			auditevent.Not(auditevent.ActorHasPrefix("discovery:")),
			auditevent.Not(auditevent.ActorHasPrefix("import:")),
			auditevent.ActorNEQ("seed")).
		Order(auditevent.ByAt(sqlDesc()), auditevent.ByID(sqlDesc())).
		Limit(MaxAuditPerCI * len(cis)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading audit changes: %w", err)
	}
	perCI := map[int]int{}
	for _, ev := range events {
		if perCI[ev.EntityID] >= MaxAuditPerCI {
			continue
		}
		perCI[ev.EntityID]++
		var fields []string
		for _, c := range ev.Changes {
			fields = append(fields, c.Field)
		}
		sort.Strings(fields)
		summary := fmt.Sprintf("%s by %s", strings.ToLower(string(ev.Action)), ev.Actor)
		if len(fields) > 0 {
			summary += " (" + strings.Join(fields[:min(len(fields), 5)], ", ")
			if len(fields) > 5 {
				summary += ", …"
			}
			summary += ")"
		}
		out = append(out, correlate.Finding{
			CI: ev.EntityID, Kind: correlate.FindingAudit, Ref: fmt.Sprintf("audit event %d", ev.ID),
			At: ev.At, Summary: summary,
		})
	}
	return nameFindings(ctx, e.client, out)
}

// nameFindings sets each finding's CI name, in one query, so that reasons
// name a dependency by its name rather than its ID.
func nameFindings(ctx context.Context, c *ent.Client, out []correlate.Finding) ([]correlate.Finding, error) {
	if len(out) == 0 {
		return out, nil
	}
	seen := map[int]bool{}
	var ids []int
	for _, f := range out {
		if !seen[f.CI] {
			seen[f.CI] = true
			ids = append(ids, f.CI)
		}
	}
	cis, err := c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).
		Select(configurationitem.FieldID, configurationitem.FieldName).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("naming the CIs of the evidence: %w", err)
	}
	names := make(map[int]string, len(cis))
	for _, ci := range cis {
		names[ci.ID] = ci.Name
	}
	for i := range out {
		out[i].CIName = names[out[i].CI]
	}
	return out, nil
}

// Changes is correlate.Evidence from change records alone (see Evidence).
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

func sqlDesc() sql.OrderTermOption { return sql.OrderDesc() }
