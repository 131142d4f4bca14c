package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestServeAlertFlags: cairn serve refuses bad alert and incident flags
// before it opens the database, each refusal naming its flag.
func TestServeAlertFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--alert-hops", "0"}, "--alert-hops 0: want 1 to 8"},
		{[]string{"--alert-hops", "9"}, "--alert-hops 9: want 1 to 8"},
		{[]string{"--alert-window", "0s"}, "--alert-window 0s: must be positive"},
		{[]string{"--alert-quiet", "-1m"}, "--alert-quiet -1m0s: must be positive"},
		{[]string{"--alert-flap-transitions", "1"}, "--alert-flap-transitions 1: must be at least 2"},
		{[]string{"--alert-flap-period", "0s"}, "--alert-flap-period 0s: must be positive"},
		{[]string{"--incident-escalate-after", "0s"}, "--incident-escalate-after 0s: must be positive"},
		{[]string{"--max-alert-body-bytes", "0"}, "--max-alert-body-bytes 0: must be positive"},
		{[]string{"--incident-webhook", "https://hooks.example.com/cairn"}, "--incident-webhook needs --incident-webhook-secret-file"},
		{[]string{"--incident-webhook-secret-file", secret}, "no --incident-webhook to sign for"},
		{[]string{"--incident-webhook", "https://hooks.example.com/cairn", "--incident-webhook-secret-file", empty}, "the file is empty"},
		{[]string{"--incident-webhook", "https://hooks.example.com/cairn", "--incident-webhook-secret-file", filepath.Join(dir, "missing")}, "--incident-webhook-secret-file: open"},
		{[]string{"--incident-webhook", "ftp://hooks.example.com/x", "--incident-webhook-secret-file", secret}, `--incident-webhook "ftp://hooks.example.com/x": want an http or https URL`},
		{[]string{"--incident-webhook", "http://127.0.0.1:9/x", "--incident-webhook-secret-file", secret}, `--incident-webhook "http://127.0.0.1:9/x": webhook address 127.0.0.1 is refused`},
	} {
		db := filepath.Join(dir, "never.db")
		args := append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--no-scheduler"}, tt.args...)
		_, err := runCairn(t, args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("cairn serve %s: err = %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
		if _, statErr := os.Stat(db); statErr == nil {
			t.Fatalf("cairn serve %s opened the database before refusing its flags", strings.Join(tt.args, " "))
		}
	}
}

// TestServeAlertWebhookAllowed: a loopback webhook passes the flag check
// with --webhook-allow, and the secret file's trailing newline is not part
// of the secret.
func TestServeAlertWebhookAllowed(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("s3cret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var a alertFlags
	a.flags(pflag.NewFlagSet("serve", pflag.ContinueOnError))
	c := &confinement{}
	c.webhookAllow = []string{"127.0.0.0/8"}
	a.webhooks = []string{"http://127.0.0.1:9999/hook", "https://hooks.example.com/cairn"}
	a.secretFile = secret
	eg, err := c.egress()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.config(eg, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if len(cfg.Webhooks) != 2 || string(cfg.Webhooks[0].Secret) != "s3cret" || cfg.Webhooks[1].URL != "https://hooks.example.com/cairn" {
		t.Errorf("webhooks = %+v, want two signed with %q", cfg.Webhooks, "s3cret")
	}
	if cfg.Settings.Hops != 3 || cfg.Settings.Window.String() != "10m0s" || cfg.Settings.Quiet.String() != "30m0s" || cfg.EscalateAfter.String() != "15m0s" {
		t.Errorf("defaults: settings %+v, escalate after %s; want H 3, W 10m, L 30m, 15m", cfg.Settings, cfg.EscalateAfter)
	}
}
