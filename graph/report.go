package graph

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
)

// Reports is what the report resolvers need beyond the database. A server
// without it cannot run report schedules on demand.
type Reports struct {
	// RunSchedule runs a report schedule now and returns the finished run.
	RunSchedule func(ctx context.Context, id int) (*ent.ReportRun, error)
	// SchedulesChanged is called after a schedule changed (the scheduler
	// reloads); may be nil.
	SchedulesChanged func(context.Context)
}

// WithReports returns r serving report schedules through rep.
func (r *Resolver) WithReports(rep *Reports) *Resolver {
	r.reports = rep
	return r
}

// afterCommit runs fn once the mutation's transaction has committed, or at
// once outside a transaction.
func afterCommit(ctx context.Context, fn func(context.Context)) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		fn(ctx)
		return
	}
	bg := context.WithoutCancel(ctx)
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			fn(bg)
			return nil
		})
	})
}

func (r *Resolver) schedulesChanged(ctx context.Context) {
	if r.reports != nil && r.reports.SchedulesChanged != nil {
		afterCommit(ctx, r.reports.SchedulesChanged)
	}
}

// reportFields is the union of the create and update inputs.
type reportFields struct {
	Name, Schedule, TimeZone, Directory *string
	Scope                               *model.ReportScopeInput
	WindowHours, Retain                 *int
	Formats                             []model.ReportFormat
	Webhooks                            []*model.WebhookDestinationInput
	WebhooksSet                         bool
	Enabled                             *bool
}

func reportScope(in *model.ReportScopeInput) schematype.ReportScope {
	var s schematype.ReportScope
	if in == nil {
		return s
	}
	s.Services, s.Owners = in.Services, in.Owners
	for _, e := range in.Environments {
		s.Environments = append(s.Environments, string(e))
	}
	for _, k := range in.Kinds {
		s.Kinds = append(s.Kinds, string(k))
	}
	return s
}

func (r *Resolver) webhookDestinations(in []*model.WebhookDestinationInput) ([]schematype.WebhookDestination, error) {
	out := make([]schematype.WebhookDestination, 0, len(in))
	for i, w := range in {
		field := fmt.Sprintf("webhooks[%d].url", i)
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, apperr.Invalid(field, "want an http or https URL, got %q", w.URL)
		}
		d := schematype.WebhookDestination{URL: w.URL}
		if w.Secret != nil && *w.Secret != "" {
			if r.discovery == nil || r.discovery.Secrets == nil {
				return nil, apperr.New(apperr.Internal, "the server has no secret key to seal webhook secrets with")
			}
			sealed, err := r.discovery.Secrets.Seal([]byte(*w.Secret))
			if err != nil {
				return nil, fmt.Errorf("sealing webhook secret: %w", err)
			}
			d.SecretSealed = sealed
		}
		out = append(out, d)
	}
	return out, nil
}

// saveReportSchedule creates (id 0) or updates a report schedule.
func (r *Resolver) saveReportSchedule(ctx context.Context, id int, in reportFields) (*ent.ReportSchedule, error) {
	c := r.tx(ctx)
	spec, tz := "", "UTC"
	dir := ""
	hooks := 0
	if id != 0 {
		cur, err := c.ReportSchedule.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		spec, tz, dir, hooks = cur.Schedule, cur.TimeZone, cur.Directory, len(cur.Webhooks)
	}
	if in.Schedule != nil {
		spec = strings.TrimSpace(*in.Schedule)
	}
	if in.TimeZone != nil {
		tz = *in.TimeZone
		if tz == "" {
			tz = "UTC"
		}
	}
	if _, err := scheduler.ParseSchedule(spec, tz); err != nil {
		field := "schedule"
		if strings.Contains(err.Error(), "time zone") {
			field = "timeZone"
		}
		return nil, apperr.InvalidErr(field, err)
	}
	if in.Directory != nil {
		dir = strings.TrimSpace(*in.Directory)
	}
	var webhooks []schematype.WebhookDestination
	if in.WebhooksSet {
		var err error
		if webhooks, err = r.webhookDestinations(in.Webhooks); err != nil {
			return nil, err
		}
		hooks = len(webhooks)
	}
	if dir == "" && hooks == 0 {
		return nil, apperr.Invalid("directory", "a report needs a destination: a directory, a webhook or both")
	}
	var formats []string
	if in.Formats != nil {
		if len(in.Formats) == 0 {
			return nil, apperr.Invalid("formats", "at least one format is required")
		}
		seen := map[string]bool{}
		for _, f := range in.Formats {
			s := strings.ToLower(string(f))
			if !seen[s] {
				seen[s] = true
				formats = append(formats, s)
			}
		}
	}
	var m *ent.ReportScheduleMutation
	var save func() (*ent.ReportSchedule, error)
	if id == 0 {
		cr := c.ReportSchedule.Create()
		m, save = cr.Mutation(), func() (*ent.ReportSchedule, error) { return cr.Save(ctx) }
	} else {
		up := c.ReportSchedule.UpdateOneID(id)
		m, save = up.Mutation(), func() (*ent.ReportSchedule, error) { return up.Save(ctx) }
	}
	if in.Name != nil {
		m.SetName(strings.TrimSpace(*in.Name))
	}
	m.SetSchedule(spec)
	m.SetTimeZone(tz)
	if in.Scope != nil {
		m.SetScope(reportScope(in.Scope))
	}
	if in.WindowHours != nil {
		m.SetWindowHours(*in.WindowHours)
	}
	if formats != nil {
		m.SetFormats(formats)
	}
	if in.Directory != nil {
		m.SetDirectory(dir)
	}
	if in.Retain != nil {
		m.SetRetain(*in.Retain)
	}
	if in.WebhooksSet {
		m.SetWebhooks(webhooks)
	}
	if in.Enabled != nil {
		m.SetEnabled(*in.Enabled)
	}
	return save()
}

func (r *Resolver) reportScheduleScope(obj *ent.ReportSchedule) *model.ReportScope {
	out := &model.ReportScope{Services: nonNil(obj.Scope.Services), Owners: nonNil(obj.Scope.Owners),
		Environments: []configurationitem.Environment{}, Kinds: []configurationitem.Kind{}}
	for _, e := range obj.Scope.Environments {
		out.Environments = append(out.Environments, configurationitem.Environment(e))
	}
	for _, k := range obj.Scope.Kinds {
		out.Kinds = append(out.Kinds, configurationitem.Kind(k))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nextRunTimes(spec, tz string, enabled bool, count *int) ([]*time.Time, error) {
	n := 3
	if count != nil {
		n = *count
	}
	if n < 0 || n > 100 {
		return nil, apperr.Invalid("count", "must be between 0 and 100")
	}
	out := []*time.Time{}
	if spec == "" || !enabled || n == 0 {
		return out, nil
	}
	next, err := scheduler.Next(spec, tz, time.Now(), n)
	if err != nil {
		return nil, err
	}
	for i := range next {
		out = append(out, &next[i])
	}
	return out, nil
}

func nonNilFormats(f []model.ReportFormat) []model.ReportFormat {
	if f == nil {
		return []model.ReportFormat{}
	}
	return f
}
