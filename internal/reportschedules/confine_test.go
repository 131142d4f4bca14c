package reportschedules_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func service(t *testing.T, dsn string, rn reportschedules.Runner) (*reportschedules.Service, *app.DB) {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	box, err := secret.Load("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "")
	if err != nil {
		t.Fatal(err)
	}
	rn.Client, rn.Secrets, rn.Dialect = db.Client, box, db.Store.Dialect()
	rn.Webhook.Backoff, rn.Webhook.Timeout, rn.Webhook.MaxAttempts = time.Millisecond, 2*time.Second, 2
	return reportschedules.New(&rn), db
}

// TestWebhookAddresses (issue 13): a webhook to 127.0.0.1 is refused by
// default — when the schedule is saved, and when it runs although it was
// stored before (or a name resolves there) — and delivered when the
// operator allows 127.0.0.0/8; a 500 reply's body never lands in the
// delivery error, only the status.
func TestWebhookAddresses(t *testing.T) {
	var hits atomic.Int32
	const body = "stack trace: password=hunter2 at db.internal"
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, body)
		}
	}))
	t.Cleanup(srv.Close)
	storetest.Run(t, func(t *testing.T, dsn string) {
		hits.Store(0)
		fail.Store(false)
		ctx := audit.WithActor(context.Background(), "test")
		svc, db := service(t, dsn, reportschedules.Runner{})
		in := reportschedules.Input{Name: ptr("hook"), Schedule: ptr("@daily"), Formats: []string{"json"},
			Webhooks: []reportschedules.Webhook{{URL: srv.URL + "/hook?token=T0KEN", Secret: "k"}}, WebhooksSet: true}
		_, err := svc.Save(ctx, 0, in)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != "webhooks[0].url" || !strings.Contains(ae.Msg, "loopback") {
			t.Fatalf("saving a webhook to 127.0.0.1: %v, want BAD_USER_INPUT on webhooks[0].url", err)
		}
		for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[::1]:9/x", "http://0.0.0.0:80/"} {
			in := in
			in.Webhooks = []reportschedules.Webhook{{URL: u}}
			if _, err := svc.Save(ctx, 0, in); !strings.Contains(errString(err), "is refused") {
				t.Errorf("saving a webhook to %s: %v", u, err)
			}
		}
		// One stored before this rule (or whose name resolves to loopback)
		// is refused when it is dialled.
		var id int
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			s, err := tx.ReportSchedule.Create().SetName("old").SetSchedule("@daily").SetFormats([]string{"json"}).
				SetWebhooks([]schematype.WebhookDestination{{URL: srv.URL + "/hook"}}).Save(ctx)
			if err == nil {
				id = s.ID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		run, err := svc.RunNow(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != reportrun.StatusFailed || len(run.Deliveries) != 1 || !strings.Contains(run.Deliveries[0].Error, "loopback address") || hits.Load() != 0 {
			t.Fatalf("run of a stored loopback webhook: %s %+v, server hits %d", run.Status, run.Deliveries, hits.Load())
		}

		// The operator allows loopback: saved and delivered.
		allow, err := deliver.ParseAllow([]string{"127.0.0.0/8"})
		if err != nil {
			t.Fatal(err)
		}
		svc.Runner.Webhook.Egress = deliver.Egress{Allow: allow}
		s, err := svc.Save(ctx, 0, in)
		if err != nil {
			t.Fatalf("saving with 127.0.0.0/8 allowed: %v", err)
		}
		if run, err = svc.RunNow(ctx, s.ID); err != nil || run.Status != reportrun.StatusSucceeded || hits.Load() != 1 {
			t.Fatalf("delivering with 127.0.0.0/8 allowed: %+v %v, hits %d", run, err, hits.Load())
		}
		// A 500 is recorded by its status alone.
		fail.Store(true)
		if run, err = svc.RunNow(ctx, s.ID); err != nil || run.Status != reportrun.StatusFailed {
			t.Fatalf("run against a failing receiver: %+v %v", run, err)
		}
		d := run.Deliveries[0]
		if d.Status != 500 || !strings.Contains(d.Error, "status 500 Internal Server Error") {
			t.Errorf("delivery %+v, want status 500", d)
		}
		for _, leak := range []string{"hunter2", "stack trace", "db.internal", "T0KEN"} {
			if strings.Contains(d.Error, leak) || strings.Contains(d.Destination, leak) {
				t.Errorf("delivery %+v carries %q", d, leak)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestReportRoot (issue 13): a relative directory is taken in the report
// root, none may lie outside it (symbolic links resolved), and reports are
// 0600 in 0700 directories unless the operator says otherwise.
func TestReportRoot(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "reports")
	outside := filepath.Join(base, "elsewhere")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link-out")); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		svc, _ := service(t, dsn, reportschedules.Runner{Root: root})
		save := func(name, dir string) error {
			_, err := svc.Save(ctx, 0, reportschedules.Input{Name: ptr(name), Schedule: ptr("@daily"), Formats: []string{"csv"}, Directory: ptr(dir)})
			return err
		}
		for _, dir := range []string{outside, "/etc/cron.d", "../elsewhere", "link-out", "link-out/deeper", "/"} {
			err := save("bad", dir)
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != "directory" || !strings.Contains(ae.Msg, "outside the report root") {
				t.Errorf("directory %q: %v, want BAD_USER_INPUT on directory", dir, err)
			}
		}
		if err := save("morning", "ops/morning"); err != nil {
			t.Fatal(err)
		}
		if err := save("in-root", filepath.Join(root, "abs")); err != nil {
			t.Fatal(err)
		}
		s, err := svc.Runner.Client.ReportSchedule.Query().All(ctx)
		if err != nil || len(s) != 2 {
			t.Fatalf("schedules %v %v", s, err)
		}
		for _, sc := range s {
			run, err := svc.RunNow(ctx, sc.ID)
			if err != nil || run.Status != reportrun.StatusSucceeded {
				t.Fatalf("run %s: %+v %v", sc.Name, run, err)
			}
			path := run.Deliveries[0].Path
			want := filepath.Join(root, "abs")
			if sc.Name == "morning" {
				want = filepath.Join(root, "ops", "morning")
			}
			if filepath.Dir(path) != want {
				t.Errorf("%s wrote %s, want it in %s", sc.Name, path, want)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v %v, want 0600", path, fi.Mode().Perm(), err)
			}
			if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v %v, want 0700", want, fi.Mode().Perm(), err)
			}
		}
		_ = os.RemoveAll(filepath.Join(root, "ops"))
		_ = os.RemoveAll(filepath.Join(root, "abs"))
	})
}
