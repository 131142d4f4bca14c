package reportschedules_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// TestSaveAndRunNow saves schedules through the service outside any
// request, runs one now, and refuses a run while another holder has the
// schedule's lease.
func TestSaveAndRunNow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		box, err := secret.Load("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "")
		if err != nil {
			t.Fatal(err)
		}
		svc := reportschedules.New(&reportschedules.Runner{Client: db.Client, Secrets: box, Dialect: db.Store.Dialect()})
		changes := 0
		svc.Changed = func(context.Context) { changes++ }
		ctx := audit.WithActor(context.Background(), "test")
		dir := t.TempDir()

		bad := []struct {
			name  string
			in    reportschedules.Input
			field string
		}{
			{"bad cron", reportschedules.Input{Name: ptr("r"), Schedule: ptr("61 * * * *"), Formats: []string{"csv"}, Directory: &dir}, "schedule"},
			{"no destination", reportschedules.Input{Name: ptr("r"), Schedule: ptr("@daily"), Formats: []string{"csv"}, Directory: ptr("  ")}, "directory"},
			{"no formats", reportschedules.Input{Name: ptr("r"), Schedule: ptr("@daily"), Formats: []string{}, Directory: &dir}, "formats"},
			{"bad webhook", reportschedules.Input{Name: ptr("r"), Schedule: ptr("@daily"), Formats: []string{"csv"},
				Webhooks: []reportschedules.Webhook{{URL: "mailto:ops@example.com"}}, WebhooksSet: true}, "webhooks[0].url"},
		}
		for _, tc := range bad {
			_, err := svc.Save(ctx, 0, tc.in)
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field {
				t.Errorf("%s: err = %v, want BAD_USER_INPUT on %s", tc.name, err, tc.field)
			}
		}
		// A bad URL is the answer even on a server that has no key to seal
		// the webhook's secret with.
		keyless := reportschedules.New(&reportschedules.Runner{Client: db.Client, Dialect: db.Store.Dialect()})
		_, err = keyless.Save(ctx, 0, reportschedules.Input{Name: ptr("r"), Schedule: ptr("@daily"), Formats: []string{"csv"},
			Webhooks: []reportschedules.Webhook{{URL: "ftp://example.com/x", Secret: "s3cret"}}, WebhooksSet: true})
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != "webhooks[0].url" {
			t.Errorf("bad webhook URL with a secret on a keyless server: err = %v, want BAD_USER_INPUT on webhooks[0].url", err)
		}
		s, err := svc.Save(ctx, 0, reportschedules.Input{Name: ptr(" daily "), Schedule: ptr(" 0 6 * * * "), TimeZone: ptr(""),
			Formats: []string{"MARKDOWN", "csv", "markdown"}, Directory: ptr(" " + dir + " "),
			Webhooks: []reportschedules.Webhook{{URL: "https://hooks.example/r", Secret: "k3y"}}, WebhooksSet: true})
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "daily" || s.Schedule != "0 6 * * *" || s.TimeZone != "UTC" || strings.Join(s.Formats, ",") != "markdown,csv" ||
			s.Directory != dir || len(s.Webhooks) != 1 || len(s.Webhooks[0].SecretSealed) == 0 || strings.Contains(string(s.Webhooks[0].SecretSealed), "k3y") || changes != 1 {
			t.Fatalf("saved schedule = %+v (changes %d)", s, changes)
		}
		// Drop the webhook (nothing listens) and run now.
		if s, err = svc.Save(ctx, s.ID, reportschedules.Input{Webhooks: nil, WebhooksSet: true}); err != nil || len(s.Webhooks) != 0 || changes != 2 {
			t.Fatalf("removing the webhook: %+v %v (changes %d)", s, err, changes)
		}
		run, err := svc.RunNow(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		if run.Status != reportrun.StatusSucceeded || run.Trigger != "manual" || len(files) != 2 {
			t.Fatalf("run = %+v, files %v", run, files)
		}
		if _, err := os.Stat(files[0]); err != nil {
			t.Fatal(err)
		}
		ok, err := svc.Leaser.Acquire(ctx, reportschedules.Key(s.ID), "other-process", time.Minute)
		if err != nil || !ok {
			t.Fatalf("taking the lease: %v %v", ok, err)
		}
		_, err = svc.RunNow(ctx, s.ID)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || !errors.Is(err, scheduler.ErrLeaseHeld) {
			t.Fatalf("RunNow while another process holds the lease: %v, want a CONFLICT for scheduler.ErrLeaseHeld", err)
		}
		if err := svc.Delete(ctx, s.ID); err != nil || changes != 3 {
			t.Fatalf("delete: %v (changes %d)", err, changes)
		}
	})
}
