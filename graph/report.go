package graph

import (
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/graph/model"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
)

// WithReports returns r serving report schedules through reports; a
// resolver without it cannot save or run them.
func (r *Resolver) WithReports(reports *reportschedules.Service) *Resolver {
	r.reports = reports
	return r
}

// reportScope converts a scope input; nil stays nil (the scope is
// unchanged).
func reportScope(in *model.ReportScopeInput) *schematype.ReportScope {
	if in == nil {
		return nil
	}
	s := schematype.ReportScope{Services: in.Services, Owners: in.Owners}
	for _, e := range in.Environments {
		s.Environments = append(s.Environments, string(e))
	}
	for _, k := range in.Kinds {
		s.Kinds = append(s.Kinds, string(k))
	}
	return &s
}

func reportFormats(in []model.ReportFormat) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, f := range in {
		out[i] = string(f)
	}
	return out
}

func webhooks(in []*model.WebhookDestinationInput) []reportschedules.Webhook {
	out := make([]reportschedules.Webhook, 0, len(in))
	for _, w := range in {
		h := reportschedules.Webhook{URL: w.URL}
		if w.Secret != nil {
			h.Secret = *w.Secret
		}
		out = append(out, h)
	}
	return out
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

// nextRunTimes answers nextRuns(count) of discovery jobs and report
// schedules (scheduler.NextRuns).
func nextRunTimes(spec, tz string, enabled bool, count *int) ([]*time.Time, error) {
	next, err := scheduler.NextRuns(spec, tz, enabled, count, time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]*time.Time, len(next))
	for i := range next {
		out[i] = &next[i]
	}
	return out, nil
}
