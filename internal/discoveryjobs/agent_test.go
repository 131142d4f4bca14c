package discoveryjobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestPrologFreqHours: the hours between the schedule's next two runs,
// rounded up, at least 1; 24 without a schedule.
func TestPrologFreqHours(t *testing.T) {
	now := time.Date(2026, 12, 8, 1, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		schedule, tz string
		want         int
	}{
		{"", "", 24},
		{"   ", "", 24},
		{"@daily", "", 24},
		{"@hourly", "", 1},
		{"*/5 * * * *", "", 1},
		{"@every 90m", "", 2},
		{"0 */6 * * *", "", 6},
		{"30 2 * * 1", "Europe/Paris", 168},
		{"0 3 * * *", "Europe/Paris", 24},
		{"not a schedule", "", 24},
	} {
		t.Run(tt.schedule, func(t *testing.T) {
			got := discoveryjobs.PrologFreqHours(&ent.DiscoveryJob{Schedule: tt.schedule, TimeZone: tt.tz}, now)
			if got != tt.want {
				t.Errorf("PrologFreqHours(%q, %q) = %d, want %d", tt.schedule, tt.tz, got, tt.want)
			}
		})
	}
	if got := discoveryjobs.PrologFreqHours(nil, now); got != 24 {
		t.Errorf("PrologFreqHours(nil) = %d, want 24", got)
	}
}

// TestAgentJobAndSubmit: AgentJob's refusals (unknown, another kind,
// disabled) with their codes; its decoded config; SubmitAgent reconciles
// through the runner with trigger agent and refuses an observation that
// does not check with a failed run saying why; FailAgentRun's row is the
// only write, and a dry run writes nothing.
func TestAgentJobAndSubmit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		svc := newService(t, db)
		ctx := audit.WithActor(context.Background(), "test")
		for _, in := range []discoveryjobs.Input{
			{Name: ptr("fleet"), SourceKind: ptr("agent"), CreateUnregistered: ptr(true), Config: map[string]any{"anonymous": true, "maxBodyBytes": 1 << 20}},
			{Name: ptr("off"), SourceKind: ptr("agent"), Enabled: ptr(false)},
			{Name: ptr("pushed"), SourceKind: ptr("push")},
		} {
			if _, err := svc.Save(ctx, 0, in); err != nil {
				t.Fatalf("saving %s: %v", *in.Name, err)
			}
		}
		for _, tt := range []struct {
			name string
			code apperr.Code
			msg  string
		}{
			{"nope", apperr.NotFound, `no discovery job named "nope"`},
			{"pushed", apperr.BadUserInput, `has source kind "push"`},
			{"off", apperr.Conflict, `job "off" is disabled`},
		} {
			_, _, err := svc.AgentJob(ctx, tt.name)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != tt.code || !strings.Contains(ae.Error(), tt.msg) {
				t.Errorf("AgentJob(%q) = %v, want %s containing %q", tt.name, err, tt.code, tt.msg)
			}
		}
		job, cfg, err := svc.AgentJob(ctx, "fleet")
		if err != nil {
			t.Fatal(err)
		}
		if !cfg.Anonymous || cfg.Limit() != 1<<20 {
			t.Errorf("config = %+v, limit %d", cfg, cfg.Limit())
		}

		obs := []discovery.Observation{{
			Key: "agent d1", Kind: "SERVER", Name: "web-01", SeenAt: time.Now().UTC(),
			Identifiers: []discovery.Identifier{{Kind: ident.UUID, Value: "6f1c2a4e-0b7d-4e7a-9c55-000000000001"}},
			Fields:      map[string]string{"hostname": "web-01"}, Facts: map[string]string{"os.id": "debian"},
		}}
		dry, err := svc.SubmitAgent(ctx, "fleet", obs, []string{"a warning"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if dry.ID != 0 || !dry.DryRun || dry.Counts.Created != 1 {
			t.Errorf("dry run = id %d dry %v counts %+v", dry.ID, dry.DryRun, dry.Counts)
		}
		if n := db.Client.ConfigurationItem.Query().CountX(ctx); n != 0 {
			t.Errorf("a dry run created %d CIs", n)
		}
		run, err := svc.SubmitAgent(ctx, "fleet", obs, []string{"VIRTUALMACHINES[2]: no name"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if run.ID == 0 || run.Status != discoveryrun.StatusSucceeded || run.Trigger != "agent" || run.Counts.Created != 1 {
			t.Errorf("run = %+v", run)
		}
		// The mapping's warnings are in the run's log.
		if !strings.Contains(run.Log, "VIRTUALMACHINES[2]: no name") {
			t.Errorf("run log %q lacks the mapping's warning", run.Log)
		}
		if n := db.Client.ConfigurationItem.Query().CountX(ctx); n != 1 {
			t.Errorf("%d CIs, want 1", n)
		}

		bad := []discovery.Observation{{Key: "agent d2", Kind: "NOT_A_KIND", Name: "x", SeenAt: time.Now().UTC()}}
		_, err = svc.SubmitAgent(ctx, "fleet", bad, nil, false)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || !strings.Contains(ae.Error(), "agent d2") {
			t.Errorf("a bad observation: %v", err)
		}
		if _, err := svc.SubmitAgent(ctx, "off", obs, nil, false); !isCode(err, apperr.Conflict) {
			t.Errorf("submitting to a disabled job: %v", err)
		}
		failed, err := svc.FailAgentRun(ctx, job, true, errors.New("dry and bad"))
		if err != nil || failed.ID != 0 {
			t.Errorf("a failed dry run = %+v, %v: want an unsaved row", failed, err)
		}
		runs := db.Client.DiscoveryRun.Query().Order(ent.Asc(discoveryrun.FieldID)).AllX(ctx)
		if len(runs) != 2 {
			t.Fatalf("%d runs, want the succeeded one and the bad observation's", len(runs))
		}
		if r := runs[1]; r.Status != discoveryrun.StatusFailed || r.Trigger != "agent" || r.Error == nil || !strings.Contains(*r.Error, "agent d2") || *r.DiscoveryJobID != job.ID {
			t.Errorf("failed run = %+v", r)
		}
		if n := db.Client.ConfigurationItem.Query().CountX(ctx); n != 1 {
			t.Errorf("a failed run changed the CIs: %d", n)
		}
	})
}

func isCode(err error, code apperr.Code) bool {
	ae, ok := apperr.As(err)
	return ok && ae.Code == code
}
