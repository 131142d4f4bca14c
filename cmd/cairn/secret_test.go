package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/secret"
)

// servicesFor builds the services the way a command does, with the given
// command line of confinement flags.
func servicesFor(t *testing.T, dbPath string, flags ...string) (*services, *app.DB, error) {
	t.Helper()
	g := &globals{db: dbPath, stdout: io.Discard, stderr: io.Discard}
	cmd := serveCmd(g)
	if err := cmd.Flags().Parse(flags); err != nil {
		t.Fatal(err)
	}
	db, err := app.Open(context.Background(), dbPath, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := g.services(context.Background(), db, slog.New(slog.DiscardHandler))
	return svc, db, err
}

func ptr[T any](v T) *T { return &v }

// TestLostKeyIsRefused (issue 13): with sealed credentials in the
// database, a command that needs the key refuses to start when the key
// file is missing, naming it, and makes no new key; cairn secret rotate
// re-seals under a new key, after which the job runs.
func TestLostKeyIsRefused(t *testing.T) {
	t.Setenv(secret.EnvKey, "")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cairn.db")
	keyFile := filepath.Join(dir, "cairn-secret.key")
	scan, err := os.ReadFile("../../testdata/discovery/nmap/loopback.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cairn-discovery"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cairn-discovery", "scan.xml"), scan, 0o600); err != nil {
		t.Fatal(err)
	}
	// First start: nothing sealed, so the key file is made. A job with
	// credentials is saved.
	svc, db, err := servicesFor(t, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), "test")
	if _, err := svc.jobs.Save(ctx, 0, discoveryjobs.Input{Name: ptr("scan"), SourceKind: ptr("nmap"),
		Config: map[string]any{"file": "scan.xml"}, Credentials: map[string]any{"password": "hunter2"}}); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if _, err := runCairn(t, "--db", dbPath, "discover", "run", "scan", "--dry-run"); err != nil {
		t.Fatalf("run with the key: %v", err)
	}

	// The key file is lost: refused, named, not replaced.
	if err := os.Rename(keyFile, filepath.Join(dir, "safe.key")); err != nil {
		t.Fatal(err)
	}
	_, err = runCairn(t, "--db", dbPath, "discover", "run", "scan", "--dry-run")
	if err == nil || !strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), `discovery job "scan" credentials`) {
		t.Fatalf("run without the key: %v, want a refusal naming %s", err, keyFile)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a new key file replaced the lost one")
	}
	// serve refuses the same way, before listening (bounded, should it
	// ever serve instead).
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	root := newRoot(io.Discard, io.Discard)
	root.SetArgs([]string{"--db", dbPath, "serve", "--addr", "127.0.0.1:0", "--no-scheduler"})
	if err := root.ExecuteContext(sctx); err == nil || !strings.Contains(err.Error(), keyFile) {
		t.Fatalf("serve without the key: %v", err)
	}

	// The key is back; rotate to a new one.
	if err := os.Rename(filepath.Join(dir, "safe.key"), keyFile); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(keyFile)
	out, err := runCairn(t, "--db", dbPath, "secret", "rotate")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "re-sealed 1 value(s)") || !strings.Contains(out, "the new key is in "+keyFile) || !strings.Contains(out, "the old key is kept in "+keyFile+".old-") {
		t.Fatalf("rotate printed:\n%s", out)
	}
	now, _ := os.ReadFile(keyFile)
	if bytes.Equal(now, old) {
		t.Fatal("the key file still holds the old key")
	}
	backups, _ := filepath.Glob(keyFile + ".old-*")
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	if b, _ := os.ReadFile(backups[0]); !bytes.Equal(b, old) {
		t.Fatal("the backup does not hold the old key")
	}
	if _, err := runCairn(t, "--db", dbPath, "discover", "run", "scan", "--dry-run"); err != nil {
		t.Fatalf("run after rotating: %v", err)
	}
	// With the old key in place the command refuses: wrong key.
	if err := os.WriteFile(keyFile, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCairn(t, "--db", dbPath, "discover", "run", "scan", "--dry-run"); err == nil || !strings.Contains(err.Error(), "opens none") {
		t.Fatalf("run with the old key: %v", err)
	}
}

// TestServeConfinementFlags (issue 13): the flags serve takes bound what
// saved jobs and schedules touch: a job's file outside --discovery-dir is
// refused; a webhook to 127.0.0.1 is refused by default and delivered with
// --webhook-allow 127.0.0.0/8; a report directory outside --report-root is
// refused and files are written with --report-file-mode.
func TestServeConfinementFlags(t *testing.T) {
	t.Setenv(secret.EnvKey, "")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
	}))
	t.Cleanup(srv.Close)
	ctx := audit.WithActor(context.Background(), "test")
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventories")
	if err := os.Mkdir(inv, 0o700); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside.csv")
	for _, f := range []string{outside, filepath.Join(inv, "servers.csv")} {
		if err := os.WriteFile(f, []byte("name\nweb01\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	schedule := reportschedules.Input{Name: ptr("hook"), Schedule: ptr("@daily"), Formats: []string{"json"},
		Webhooks: []reportschedules.Webhook{{URL: srv.URL + "/hook"}}, WebhooksSet: true}

	// Defaults: cairn-discovery/ next to the database (made), loopback refused.
	svc, _, err := servicesFor(t, filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "cairn-discovery")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("default discovery directory: %v %v", fi, err)
	}
	_, err = svc.jobs.Save(ctx, 0, discoveryjobs.Input{Name: ptr("f"), SourceKind: ptr("file"), Config: map[string]any{"file": outside}})
	if ae, ok := apperr.As(err); !ok || ae.Field != "config" || !strings.Contains(ae.Msg, "outside the discovery directories") {
		t.Errorf("file job outside the default directory: %v", err)
	}
	_, err = svc.reports.Save(ctx, 0, schedule)
	if ae, ok := apperr.As(err); !ok || ae.Field != "webhooks[0].url" || !strings.Contains(ae.Msg, "--webhook-allow") {
		t.Errorf("webhook to 127.0.0.1 by default: %v", err)
	}

	// The operator's flags.
	root := filepath.Join(dir, "reports")
	svc, _, err = servicesFor(t, filepath.Join(dir, "b.db"), "--discovery-dir", inv, "--webhook-allow", "127.0.0.0/8,::1",
		"--report-root", root, "--report-file-mode", "0640")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.jobs.Save(ctx, 0, discoveryjobs.Input{Name: ptr("f"), SourceKind: ptr("file"), Config: map[string]any{"file": "servers.csv"}}); err != nil {
		t.Errorf("file job in --discovery-dir: %v", err)
	}
	s, err := svc.reports.Save(ctx, 0, schedule)
	if err != nil {
		t.Fatalf("webhook to 127.0.0.1 with --webhook-allow 127.0.0.0/8: %v", err)
	}
	run, err := svc.reports.RunNow(ctx, s.ID)
	if err != nil || run.Status != reportrun.StatusSucceeded || hits.Load() != 1 {
		t.Fatalf("delivery with --webhook-allow: %+v %v, hits %d", run, err, hits.Load())
	}
	bad := schedule
	bad.Name, bad.WebhooksSet, bad.Directory = ptr("bad"), false, ptr("/etc/cron.d")
	if _, err := svc.reports.Save(ctx, 0, bad); !strings.Contains(errString(err), "outside the report root") {
		t.Errorf("report directory outside --report-root: %v", err)
	}
	good := bad
	good.Name, good.Directory = ptr("files"), ptr("daily")
	s, err = svc.reports.Save(ctx, 0, good)
	if err != nil {
		t.Fatal(err)
	}
	if run, err = svc.reports.RunNow(ctx, s.ID); err != nil || run.Status != reportrun.StatusSucceeded {
		t.Fatalf("report to the root: %+v %v", run, err)
	}
	if p := run.Deliveries[0].Path; filepath.Dir(p) != filepath.Join(root, "daily") {
		t.Errorf("report written to %s, want it in %s", p, filepath.Join(root, "daily"))
	} else if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("report mode %v %v, want 0640", fi.Mode().Perm(), err)
	}

	// Bad flags are refused at start.
	for _, flags := range [][]string{
		{"--discovery-dir", filepath.Join(dir, "missing")},
		{"--webhook-allow", "loopback"},
		{"--report-file-mode", "rw"},
		{"--report-dir-mode", "0600"},
		{"--nmap-binary", "nmap"},
	} {
		if _, _, err := servicesFor(t, filepath.Join(dir, "c.db"), flags...); err == nil || !strings.Contains(err.Error(), flags[0]) {
			t.Errorf("%v: %v, want a refusal naming the flag", flags, err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
