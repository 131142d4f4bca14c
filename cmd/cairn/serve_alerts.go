package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/hooks"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/server"
)

// alertFlags are cairn serve's settings of the alert intake and incidents
// (internal/alerts): the correlation (H, W, L, flapping), escalation, and
// the webhooks told of incident events.
type alertFlags struct {
	settings      correlate.Settings
	escalateAfter time.Duration
	webhooks      []string
	secretFile    string
	maxBody       int64
}

func (a *alertFlags) flags(f *pflag.FlagSet) {
	d := correlate.DefaultSettings()
	a.settings = d
	f.IntVar(&a.settings.Hops, "alert-hops", d.Hops, fmt.Sprintf("how many dependency hops relate two alerts into one incident (H, 1..%d)", correlate.MaxHops))
	f.DurationVar(&a.settings.Window, "alert-window", d.Window, "how far apart alert starts may be to join one incident (W)")
	f.DurationVar(&a.settings.Quiet, "alert-quiet", d.Quiet, "how long an incident takes new CIs after its last alert joined (L); the same CIs firing again still join it")
	f.IntVar(&a.settings.FlapTransitions, "alert-flap-transitions", d.FlapTransitions, "state changes within --alert-flap-period that mark an alert flapping (it then opens no incident; at least 2)")
	f.DurationVar(&a.settings.FlapPeriod, "alert-flap-period", d.FlapPeriod, "the period --alert-flap-transitions counts in")
	f.DurationVar(&a.escalateAfter, "incident-escalate-after", alerts.DefaultEscalateAfter, "how long an incident may stay OPEN, unacknowledged, before the incident.escalated event")
	f.StringArrayVar(&a.webhooks, "incident-webhook", nil, "http or https URL told of incident events (opened, escalated, resolved), signed with --incident-webhook-secret-file; repeat for several; loopback and private-use addresses need --webhook-allow")
	f.StringVar(&a.secretFile, "incident-webhook-secret-file", "", "file holding the secret that signs incident webhooks (X-Cairn-Signature); needed with --incident-webhook")
	f.Int64Var(&a.maxBody, "max-alert-body-bytes", server.DefaultMaxAlertBodyBytes, "largest accepted alert intake body (POST /api/v1/alerts/alertmanager, /api/v1/alerts)")
}

// config checks the flags, each error naming its flag, and returns the
// service's configuration; egress is what --webhook-allow lets webhooks
// reach.
func (a *alertFlags) config(egress deliver.Egress, log *slog.Logger) (alerts.Config, error) {
	s := a.settings
	switch {
	case s.Hops < 1 || s.Hops > correlate.MaxHops:
		return alerts.Config{}, fmt.Errorf("--alert-hops %d: want 1 to %d", s.Hops, correlate.MaxHops)
	case s.Window <= 0:
		return alerts.Config{}, fmt.Errorf("--alert-window %s: must be positive", s.Window)
	case s.Quiet <= 0:
		return alerts.Config{}, fmt.Errorf("--alert-quiet %s: must be positive", s.Quiet)
	case s.FlapTransitions < 2:
		return alerts.Config{}, fmt.Errorf("--alert-flap-transitions %d: must be at least 2", s.FlapTransitions)
	case s.FlapPeriod <= 0:
		return alerts.Config{}, fmt.Errorf("--alert-flap-period %s: must be positive", s.FlapPeriod)
	case a.escalateAfter <= 0:
		return alerts.Config{}, fmt.Errorf("--incident-escalate-after %s: must be positive", a.escalateAfter)
	case a.maxBody <= 0:
		return alerts.Config{}, fmt.Errorf("--max-alert-body-bytes %d: must be positive", a.maxBody)
	}
	if err := s.Validate(); err != nil {
		return alerts.Config{}, fmt.Errorf("--alert-* flags: %w", err)
	}
	cfg := alerts.Config{Settings: s, EscalateAfter: a.escalateAfter, Logger: log}
	if len(a.webhooks) == 0 {
		if a.secretFile != "" {
			return alerts.Config{}, fmt.Errorf("--incident-webhook-secret-file %s: no --incident-webhook to sign for", a.secretFile)
		}
		return cfg, nil
	}
	if a.secretFile == "" {
		return alerts.Config{}, fmt.Errorf("--incident-webhook needs --incident-webhook-secret-file: incident events are signed")
	}
	secret, err := os.ReadFile(a.secretFile)
	if err != nil {
		return alerts.Config{}, fmt.Errorf("--incident-webhook-secret-file: %w", err)
	}
	// A trailing newline (echo secret > file) is not part of the secret.
	secret = bytes.TrimRight(secret, "\r\n")
	if len(secret) == 0 {
		return alerts.Config{}, fmt.Errorf("--incident-webhook-secret-file %s: the file is empty", a.secretFile)
	}
	for i, u := range a.webhooks {
		if err := hooks.CheckWebhookURL(i, u); err != nil {
			return alerts.Config{}, fmt.Errorf("--incident-webhook %q: want an http or https URL with a host", u)
		}
		if err := egress.CheckURL(u); err != nil {
			return alerts.Config{}, fmt.Errorf("--incident-webhook %q: %w", u, err)
		}
		cfg.Webhooks = append(cfg.Webhooks, deliver.Webhook{URL: u, Secret: secret, Egress: egress, Logger: log})
	}
	return cfg, nil
}
