package reportschedules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/scheduler/dblease"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// RunTimeout bounds one run of a schedule.
const RunTimeout = 30 * time.Minute

// Service manages and runs report schedules.
type Service struct {
	// Runner runs schedules; its Client and Secrets are the service's.
	Runner *Runner
	// Leaser keeps runs apart, here and in other processes
	// [a dblease.Leaser on the runner's database].
	Leaser scheduler.Leaser
	// Holder names this process in leases ["cairn"].
	Holder string
	// Changed is called once a change to the schedules has committed (the
	// scheduler reloads); may be nil.
	Changed func(context.Context)
}

// New returns the service over rn, with the database lease.
func New(rn *Runner) *Service {
	return &Service{Runner: rn, Leaser: &dblease.Leaser{Client: rn.Client}}
}

func (s *Service) configured() error {
	if s == nil || s.Runner == nil {
		return apperr.New(apperr.Internal, "reports are not configured on this server")
	}
	return nil
}

// client is the caller's transaction (a GraphQL mutation's) or the
// service's database.
func (s *Service) client(ctx context.Context) *ent.Client {
	if s == nil || s.Runner == nil {
		return ent.FromContext(ctx)
	}
	return txn.Client(ctx, s.Runner.Client)
}

func (s *Service) changed(ctx context.Context) {
	if s != nil {
		txn.AfterCommit(ctx, s.Changed)
	}
}

// Webhook is a webhook destination as given: Secret ("" for none) is the
// HMAC key, sealed before it is stored.
type Webhook struct {
	URL, Secret string
}

// Input is a schedule to create or the changes to one: nil fields are left
// as they are (or take their defaults on create).
type Input struct {
	Name, Schedule *string
	// TimeZone "" means UTC.
	TimeZone, Directory *string
	Scope               *schematype.ReportScope
	WindowHours, Retain *int
	// Formats replaces the formats when not nil (case does not matter;
	// repeats are dropped).
	Formats []string
	// Webhooks replaces every webhook when WebhooksSet; secrets not given
	// are dropped.
	Webhooks    []Webhook
	WebhooksSet bool
	Enabled     *bool
}

func (s *Service) webhooks(in []Webhook) ([]schematype.WebhookDestination, error) {
	out := make([]schematype.WebhookDestination, 0, len(in))
	for i, w := range in {
		if err := hooks.CheckWebhookURL(i, w.URL); err != nil {
			return nil, err
		}
		if err := s.Runner.Webhook.Egress.CheckURL(w.URL); err != nil {
			return nil, apperr.InvalidErr(fmt.Sprintf("webhooks[%d].url", i), err)
		}
		d := schematype.WebhookDestination{URL: w.URL}
		if w.Secret != "" {
			if s.Runner.Secrets == nil {
				return nil, apperr.New(apperr.Internal, "the server has no secret key to seal webhook secrets with")
			}
			sealed, err := s.Runner.Secrets.Seal([]byte(w.Secret))
			if err != nil {
				return nil, fmt.Errorf("sealing webhook secret: %w", err)
			}
			d.SecretSealed = sealed
		}
		out = append(out, d)
	}
	return out, nil
}

// formats lower-cases and de-duplicates; an empty list stays empty (the
// hook refuses it).
func formats(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, f := range in {
		f = strings.ToLower(strings.TrimSpace(f))
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Save creates (id 0) or updates schedule id in one transaction (the
// caller's, when ctx carries one) and tells Changed once it has committed.
func (s *Service) Save(ctx context.Context, id int, in Input) (*ent.ReportSchedule, error) {
	if err := s.configured(); err != nil {
		return nil, err
	}
	if in.Directory != nil && strings.TrimSpace(*in.Directory) != "" {
		if _, err := s.Runner.Directory(*in.Directory); err != nil {
			return nil, apperr.Invalid("directory", "%v", err)
		}
	}
	var webhooks []schematype.WebhookDestination
	if in.WebhooksSet {
		var err error
		if webhooks, err = s.webhooks(in.Webhooks); err != nil {
			return nil, err
		}
	}
	var out *ent.ReportSchedule
	err := txn.Do(ctx, s.client(ctx), func(c *ent.Client) error {
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
		if in.Schedule != nil {
			m.SetSchedule(strings.TrimSpace(*in.Schedule))
		}
		if in.TimeZone != nil {
			tz := *in.TimeZone
			if tz == "" {
				tz = "UTC"
			}
			m.SetTimeZone(tz)
		}
		if in.Scope != nil {
			m.SetScope(*in.Scope)
		}
		if in.WindowHours != nil {
			m.SetWindowHours(*in.WindowHours)
		}
		if in.Formats != nil {
			m.SetFormats(formats(in.Formats))
		}
		if in.Directory != nil {
			m.SetDirectory(strings.TrimSpace(*in.Directory))
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
		var err error
		out, err = save()
		return err
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx)
	return out, nil
}

// Delete deletes schedule id and tells Changed once that has committed.
func (s *Service) Delete(ctx context.Context, id int) error {
	c := s.client(ctx)
	if c == nil {
		return apperr.New(apperr.Internal, "reports are not configured on this server")
	}
	if err := txn.Do(ctx, c, func(tx *ent.Client) error { return tx.ReportSchedule.DeleteOneID(id).Exec(ctx) }); err != nil {
		return err
	}
	s.changed(ctx)
	return nil
}

// RunNow runs schedule id now under its lease and returns the finished
// run. A schedule running already is a CONFLICT that errors.Is finds as
// scheduler.ErrLeaseHeld.
func (s *Service) RunNow(ctx context.Context, id int) (*ent.ReportRun, error) {
	if err := s.configured(); err != nil {
		return nil, err
	}
	if _, err := s.Runner.Client.ReportSchedule.Get(ctx, id); err != nil {
		return nil, err
	}
	holder := s.Holder
	if holder == "" {
		holder = "cairn"
	}
	var run *ent.ReportRun
	err := scheduler.Exclusive(ctx, s.Leaser, Key(id), holder, RunTimeout+time.Minute, s.Runner.logger(), func() (err error) {
		run, err = s.Runner.Run(ctx, id, "manual")
		return err
	})
	if errors.Is(err, scheduler.ErrLeaseHeld) {
		return nil, &apperr.Error{Code: apperr.Conflict, Msg: fmt.Sprintf("report schedule %d is already running", id), Err: err}
	}
	return run, err
}

// Source is the report schedules' part of the shared scheduler.
func (s *Service) Source() scheduler.Source {
	return scheduler.Source{Prefix: KeyPrefix, Lister: Lister{Client: s.Runner.Client},
		Run: func(ctx context.Context, job scheduler.Job) error { return s.Runner.RunKey(ctx, job.Key) }}
}

// Attach implements scheduler.Participant: leases name the shared
// scheduler's holder, and changes reload it.
func (s *Service) Attach(holder string, reload func(context.Context)) {
	s.Holder, s.Changed = holder, reload
}

var _ scheduler.Participant = (*Service)(nil)
