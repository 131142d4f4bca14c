// Package reportschedules is the report schedule service that the GraphQL
// API and the scheduler call: it seals webhook secrets and saves a schedule
// in one transaction (the rules on spec, time zone, destinations and
// formats are ent hooks in internal/hooks, so they hold on every write
// path), runs a schedule now under the same database lease the scheduler
// takes, and lists schedules for the shared scheduler.
//
// A run works out the window, builds the drift and health report once,
// renders each format, delivers it to the schedule's directory and
// webhooks, and records a ReportRun with sizes and delivery results. A
// delivery that fails does not stop the others: the run is PARTIAL.
package reportschedules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/ent/reportschedule"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/report"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/secret"
)

// KeyPrefix starts the scheduler key (and lease name) of a report schedule.
const KeyPrefix = "report:"

// Key is the scheduler key of report schedule id.
func Key(id int) string { return KeyPrefix + strconv.Itoa(id) }

// Extension is the file extension of a format.
func Extension(format string) string {
	switch format {
	case "markdown":
		return "md"
	default:
		return format
	}
}

// Runner runs report schedules against one database.
type Runner struct {
	Client  *ent.Client
	Secrets *secret.Box
	Dialect string
	Logger  *slog.Logger
	Now     func() time.Time
	// Webhook is the template for webhook deliveries (timeouts, attempts,
	// backoff, the addresses they may reach: Webhook.Egress); URL and
	// Secret are filled per destination.
	Webhook deliver.Webhook
	// Root is the report root (--report-root): schedules' directories lie
	// inside it, relative ones taken there (see Directory). "" leaves
	// directories as given.
	Root string
	// FileMode and DirMode are the modes of report files and of the
	// directories made for them [0600, 0700].
	FileMode, DirMode os.FileMode
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// Window returns the period a run of s at now covers: WindowHours before
// now, or since the end of the schedule's last successful or partial run
// (24 hours the first time).
func (r *Runner) Window(ctx context.Context, s *ent.ReportSchedule, now time.Time) (time.Time, error) {
	if s.WindowHours > 0 {
		return now.Add(-time.Duration(s.WindowHours) * time.Hour), nil
	}
	last, err := r.Client.ReportRun.Query().
		Where(reportrun.ReportScheduleID(s.ID), reportrun.StatusIn(reportrun.StatusSucceeded, reportrun.StatusPartial)).
		Order(ent.Desc(reportrun.FieldWindowEnd)).First(ctx)
	if ent.IsNotFound(err) {
		return now.Add(-24 * time.Hour), nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("finding the last run of report %q: %w", s.Name, err)
	}
	return last.WindowEnd, nil
}

// Run runs schedule id now and records the run.
func (r *Runner) Run(ctx context.Context, id int, trigger string) (*ent.ReportRun, error) {
	s, err := r.Client.ReportSchedule.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("loading report schedule %d: %w", id, err)
	}
	now := r.now()
	since, err := r.Window(ctx, s, now)
	if err != nil {
		return nil, err
	}
	run := &ent.ReportRun{Trigger: trigger, StartedAt: now, WindowStart: since, WindowEnd: now,
		Sizes: map[string]int{}, Status: reportrun.StatusSucceeded}
	rep, err := report.Build(ctx, r.Client, report.Options{
		Since: since, Until: now, Title: s.Name, Dialect: r.Dialect,
		Scope: report.Scope{Services: s.Scope.Services, Environments: s.Scope.Environments, Kinds: s.Scope.Kinds, Owners: s.Scope.Owners},
	})
	if err != nil {
		msg := err.Error()
		run.Error = &msg
		run.Status = reportrun.StatusFailed
		return r.record(ctx, s, run)
	}
	run.DriftCount = rep.Summary.Opened
	okCount, failCount := 0, 0
	note := func(d schematype.Delivery) {
		run.Deliveries = append(run.Deliveries, d)
		if d.OK {
			okCount++
		} else {
			failCount++
		}
	}
	for _, format := range s.Formats {
		body := func(w io.Writer) error { return report.Write(w, rep, format) }
		if s.Directory != "" {
			d := schematype.Delivery{Destination: "directory " + s.Directory, Format: format, Attempts: 1}
			path, size, err := "", int64(0), error(nil)
			if where, derr := r.Directory(s.Directory); derr != nil {
				err = fmt.Errorf("directory %w", derr)
			} else {
				dir := deliver.Directory{Path: where, Retain: s.Retain, Now: r.Now, Logger: r.logger(), FileMode: r.FileMode, DirMode: r.DirMode}
				path, size, err = dir.Write(ctx, s.Name, Extension(format), body)
			}
			d.Path = path
			if err != nil {
				d.Error = err.Error()
			} else {
				d.OK = true
				run.Sizes[format] = int(size)
			}
			note(d)
		} else {
			var n countingWriter
			if err := body(&n); err == nil {
				run.Sizes[format] = int(n)
			}
		}
	}
	if len(s.Webhooks) > 0 {
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, "json"); err != nil {
			msg := fmt.Sprintf("rendering the webhook payload: %v", err)
			run.Error = &msg
		}
		for _, wh := range s.Webhooks {
			d := schematype.Delivery{Destination: "webhook " + redactURL(wh.URL), Format: "json"}
			h := r.Webhook
			h.URL = wh.URL
			h.Logger = r.logger()
			h.Secret = nil
			if len(wh.SecretSealed) > 0 {
				if r.Secrets == nil {
					d.Error = "the server has no secret key to open the webhook secret"
					note(d)
					continue
				}
				sec, err := r.Secrets.Open(wh.SecretSealed)
				if err != nil {
					d.Error = err.Error()
					note(d)
					continue
				}
				h.Secret = sec
			}
			res, err := h.Post(ctx, buf.Bytes(), map[string]string{"X-Cairn-Report": s.Name})
			d.Attempts, d.Status = res.Attempts, res.Status
			if err != nil {
				d.Error = err.Error()
			} else {
				d.OK = true
			}
			note(d)
		}
	}
	switch {
	case failCount > 0 && okCount == 0:
		run.Status = reportrun.StatusFailed
	case failCount > 0:
		run.Status = reportrun.StatusPartial
	}
	return r.record(ctx, s, run)
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// redactURL keeps the scheme and host: webhook URLs often carry tokens.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		return u[:i+3] + rest
	}
	return "(invalid URL)"
}

func (r *Runner) record(ctx context.Context, s *ent.ReportSchedule, run *ent.ReportRun) (*ent.ReportRun, error) {
	fin := r.now()
	run.FinishedAt = &fin
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	wctx = audit.WithActor(wctx, "report:"+s.Name)
	tx, err := r.Client.Tx(wctx)
	if err != nil {
		return nil, fmt.Errorf("recording report run: %w", err)
	}
	row, err := tx.ReportRun.Create().
		SetStatus(run.Status).SetTrigger(run.Trigger).SetStartedAt(run.StartedAt).SetFinishedAt(fin).
		SetWindowStart(run.WindowStart).SetWindowEnd(run.WindowEnd).SetSizes(run.Sizes).
		SetDeliveries(run.Deliveries).SetDriftCount(run.DriftCount).SetNillableError(run.Error).
		SetReportScheduleID(s.ID).Save(wctx)
	if err == nil {
		err = tx.ReportSchedule.UpdateOneID(s.ID).SetLastRunAt(run.StartedAt).Exec(wctx)
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("recording report run: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("recording report run: %w", err)
	}
	r.logger().Info("report run finished", "schedule", s.Name, "status", row.Status, "drifts", row.DriftCount)
	return row, nil
}

// Lister lists report schedules for the scheduler.
type Lister struct{ Client *ent.Client }

// Jobs implements scheduler.Lister.
func (l Lister) Jobs(ctx context.Context) ([]scheduler.Job, error) {
	all, err := l.Client.ReportSchedule.Query().Order(ent.Asc(reportschedule.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing report schedules: %w", err)
	}
	out := make([]scheduler.Job, 0, len(all))
	for _, s := range all {
		out = append(out, scheduler.Job{Key: Key(s.ID), Name: s.Name, Spec: s.Schedule, TZ: s.TimeZone,
			Timeout: RunTimeout, Enabled: s.Enabled})
	}
	return out, nil
}

// ErrNotReport is returned for a scheduler key that is not a report's.
var ErrNotReport = errors.New("not a report schedule key")

// RunKey runs the schedule a scheduler key names.
func (r *Runner) RunKey(ctx context.Context, key string) error {
	idStr, ok := strings.CutPrefix(key, KeyPrefix)
	if !ok {
		return ErrNotReport
	}
	id, err := strconv.Atoi(idStr)
	if err != nil {
		return fmt.Errorf("bad report key %q", key)
	}
	run, err := r.Run(ctx, id, "schedule")
	if err != nil {
		return err
	}
	if run.Error != nil {
		return fmt.Errorf("report run %s: %s", run.Status, *run.Error)
	}
	return nil
}
