package hooks

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/driftignorerule"
	"github.com/cairn-cmdb/cairn/ent/hook"
	"github.com/cairn-cmdb/cairn/ent/reportschedule"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
)

// This file validates what the scheduler and the reconciler read back later
// (drift ignore rules, discovery jobs, report schedules), so that a write
// that would fail only at run time is refused when it is made, on every
// write path. What needs more than the row (a job's source kind and config
// need the binary's discovery registry; credentials and webhook secrets
// need the secret key) is checked by internal/discoveryjobs and
// internal/reportschedules before they write.

// after returns the value field has once m is applied: the value m sets,
// nil when m clears it or creates the row without it, else the stored
// value. Call it only for creates and single-row updates.
func after(ctx context.Context, m ent.Mutation, field string) (ent.Value, error) {
	if v, ok := m.Field(field); ok {
		return v, nil
	}
	if m.FieldCleared(field) || !m.Op().Is(ent.OpUpdateOne) {
		return nil, nil
	}
	v, err := m.OldField(ctx, field)
	if err != nil {
		return nil, fmt.Errorf("reading stored %s: %w", field, err)
	}
	return v, nil
}

// afterString is after for string fields, nillable or not ("" for nil).
func afterString(ctx context.Context, m ent.Mutation, field string) (string, error) {
	v, err := after(ctx, m, field)
	switch s := v.(type) {
	case string:
		return s, err
	case *string:
		if s != nil {
			return *s, err
		}
	}
	return "", err
}

// touches reports whether m sets or clears any of fields.
func touches(m ent.Mutation, fields ...string) bool {
	for _, f := range fields {
		if _, set := m.Field(f); set || m.FieldCleared(f) {
			return true
		}
	}
	return false
}

// validating reports whether m must be validated on fields, refusing bulk
// updates of them: the rules read the whole row after the change.
func validating(m ent.Mutation, what string, fields ...string) (bool, error) {
	switch {
	case m.Op().Is(ent.OpDelete) || m.Op().Is(ent.OpDeleteOne):
		return false, nil
	case m.Op().Is(ent.OpCreate):
		return true, nil
	case !touches(m, fields...):
		return false, nil
	case m.Op().Is(ent.OpUpdate):
		return false, apperr.New(apperr.BadUserInput, "bulk updates of %s are not supported: update each %s", strings.Join(graphQLNames(fields), ", "), what)
	}
	return true, nil
}

func graphQLNames(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = apperr.GraphQLName(f)
	}
	return out
}

// checkSchedule checks a cron spec and its time zone ("" is UTC) as the
// scheduler will parse them; an empty spec is valid when optional (a job
// run only on demand). The error is BAD_USER_INPUT on schedule or timeZone.
func checkSchedule(spec, tz string, optional bool) error {
	spec = strings.TrimSpace(spec)
	if spec == "" && optional {
		if tz != "" && tz != "UTC" {
			if _, err := time.LoadLocation(tz); err != nil {
				return apperr.Invalid("timeZone", "unknown time zone %q", tz)
			}
		}
		return nil
	}
	if _, err := scheduler.ParseSchedule(spec, tz); err != nil {
		field := "schedule"
		if strings.Contains(err.Error(), "time zone") {
			field = "timeZone"
		}
		return apperr.InvalidErr(field, err)
	}
	return nil
}

// checkIgnoreRule refuses a drift ignore rule that would match every drift,
// and criteria that can never match. Unset criteria are "".
func checkIgnoreRule(ciKind, tag, fieldPattern, driftKind, jobName string) error {
	set := func(s string) bool { return strings.TrimSpace(s) != "" }
	if !set(ciKind) && !set(tag) && !set(fieldPattern) && !set(driftKind) && !set(jobName) {
		return apperr.Invalid("fieldPattern", "a rule needs at least one criterion (ciKind, tag, fieldPattern, driftKind or jobName)")
	}
	if set(ciKind) && !discovery.ValidKind(ciKind) {
		return apperr.Invalid("ciKind", "unknown CI kind %q", ciKind)
	}
	if set(driftKind) {
		if err := drift.KindValidator(drift.Kind(driftKind)); err != nil {
			return apperr.Invalid("driftKind", "unknown drift kind %q", driftKind)
		}
	}
	if set(fieldPattern) {
		if _, err := path.Match(fieldPattern, ""); err != nil {
			return apperr.Invalid("fieldPattern", "bad pattern %q: %v", fieldPattern, err)
		}
	}
	return nil
}

func validateDriftIgnoreRule(next ent.Mutator) ent.Mutator {
	return hook.DriftIgnoreRuleFunc(func(ctx context.Context, m *ent.DriftIgnoreRuleMutation) (ent.Value, error) {
		fields := []string{driftignorerule.FieldCiKind, driftignorerule.FieldTag, driftignorerule.FieldFieldPattern,
			driftignorerule.FieldDriftKind, driftignorerule.FieldJobName}
		check, err := validating(m, "rule", fields...)
		if err != nil || !check {
			if err != nil {
				return nil, err
			}
			return next.Mutate(ctx, m)
		}
		v := make([]string, len(fields))
		for i, f := range fields {
			if v[i], err = afterString(ctx, m, f); err != nil {
				return nil, err
			}
		}
		if err := checkIgnoreRule(v[0], v[1], v[2], v[3], v[4]); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// maxFieldPriority bounds a discovery job's field priorities.
const maxFieldPriority = 1000

func validateDiscoveryJob(next ent.Mutator) ent.Mutator {
	return hook.DiscoveryJobFunc(func(ctx context.Context, m *ent.DiscoveryJobMutation) (ent.Value, error) {
		check, err := validating(m, "job", discoveryjob.FieldSchedule, discoveryjob.FieldTimeZone, discoveryjob.FieldFieldPriorities)
		if err != nil {
			return nil, err
		}
		if !check {
			return next.Mutate(ctx, m)
		}
		spec, err := afterString(ctx, m, discoveryjob.FieldSchedule)
		if err != nil {
			return nil, err
		}
		tz, err := afterString(ctx, m, discoveryjob.FieldTimeZone)
		if err != nil {
			return nil, err
		}
		if err := checkSchedule(spec, tz, true); err != nil {
			return nil, err
		}
		if prios, ok := m.FieldPriorities(); ok {
			for k, n := range prios {
				if n < 0 || n > maxFieldPriority {
					return nil, apperr.Invalid("fieldPriorities", "%q: priority must be between 0 and %d", k, maxFieldPriority)
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// reportFormats are the formats a report schedule may deliver.
// CheckWebhookURL is the rule for the URL of a report schedule's webhook i:
// http or https, with a host. The service calls it before it seals the
// webhook's secret, so that a bad URL is the answer whatever the server's
// key.
func CheckWebhookURL(i int, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.Invalid(fmt.Sprintf("webhooks[%d].url", i), "want an http or https URL, got %q", raw)
	}
	return nil
}

func reportFormats() []string { return []string{"markdown", "html", "json", "csv"} }

func validateReportSchedule(next ent.Mutator) ent.Mutator {
	return hook.ReportScheduleFunc(func(ctx context.Context, m *ent.ReportScheduleMutation) (ent.Value, error) {
		check, err := validating(m, "schedule", reportschedule.FieldSchedule, reportschedule.FieldTimeZone,
			reportschedule.FieldDirectory, reportschedule.FieldWebhooks, reportschedule.FieldFormats)
		if err != nil {
			return nil, err
		}
		if !check {
			return next.Mutate(ctx, m)
		}
		spec, err := afterString(ctx, m, reportschedule.FieldSchedule)
		if err != nil {
			return nil, err
		}
		tz, err := afterString(ctx, m, reportschedule.FieldTimeZone)
		if err != nil {
			return nil, err
		}
		if err := checkSchedule(spec, tz, false); err != nil {
			return nil, err
		}
		dir, err := afterString(ctx, m, reportschedule.FieldDirectory)
		if err != nil {
			return nil, err
		}
		hooksV, err := after(ctx, m, reportschedule.FieldWebhooks)
		if err != nil {
			return nil, err
		}
		webhooks, _ := hooksV.([]schematype.WebhookDestination)
		for i, w := range webhooks {
			if err := CheckWebhookURL(i, w.URL); err != nil {
				return nil, err
			}
		}
		if strings.TrimSpace(dir) == "" && len(webhooks) == 0 {
			return nil, apperr.Invalid("directory", "a report needs a destination: a directory, a webhook or both")
		}
		if formats, ok := m.Formats(); ok || m.Op().Is(ent.OpCreate) {
			if len(formats) == 0 {
				return nil, apperr.Invalid("formats", "at least one format is required")
			}
			for _, f := range formats {
				if !known(f, reportFormats()) {
					return nil, apperr.Invalid("formats", "unknown format %q (known: %s)", f, strings.Join(reportFormats(), ", "))
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

func known(s string, list []string) bool {
	for _, k := range list {
		if s == k {
			return true
		}
	}
	return false
}
