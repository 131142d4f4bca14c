package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// alertEnv is a server with alert intake over a fresh database: servertest's
// tokens plus an INGEST one, two CIs (web-01 by host name, db-01 by the
// address 10.1.0.12) that depend on one switch.
type alertEnv struct {
	*servertest.Env
	Ingest string
	// Intake serves the alert routes (servertest's own server has none).
	Intake      *httptest.Server
	Registry    *prometheus.Registry
	WebCI, DBCI int
}

const alertBodyLimit = 8 << 10

func startAlertEnv(t *testing.T, dsn string) *alertEnv {
	t.Helper()
	env := servertest.Start(t, dsn, servertest.Options{})
	ctx := context.Background()
	a := &alertEnv{Env: env, Registry: prometheus.NewRegistry()}
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		sw, err := tx.ConfigurationItem.Create().SetName("core-sw01").SetKind(configurationitem.KindNetworkDevice).SetHostname("core-sw01").Save(ctx)
		if err != nil {
			return err
		}
		web, err := tx.ConfigurationItem.Create().SetName("web-01").SetKind(configurationitem.KindServer).SetHostname("web-01").Save(ctx)
		if err != nil {
			return err
		}
		db, err := tx.ConfigurationItem.Create().SetName("db-01").SetKind(configurationitem.KindServer).Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.Identifier.Create().SetConfigurationItemID(db.ID).SetKind(identifier.KindIP).SetValue("10.1.0.12").Exec(ctx); err != nil {
			return err
		}
		for _, from := range []int{web.ID, db.ID} {
			if err := tx.Relationship.Create().SetFromID(from).SetToID(sw.ID).SetType("CONNECTS_TO").Exec(ctx); err != nil {
				return err
			}
		}
		a.WebCI, a.DBCI = web.ID, db.ID
		return nil
	})
	secret, _, err := auth.CreateToken(audit.WithActor(ctx, servertest.SetupActor), env.DB.Client, "prometheus", auth.Ingest, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Ingest = secret
	svc, err := alerts.New(ctx, env.DB.Client, env.DB.Store, alerts.Config{Settings: correlate.DefaultSettings()})
	if err != nil {
		t.Fatalf("alerts.New: %v", err)
	}
	srv, err := server.New(env.DB, server.Config{Alerts: svc, Registry: a.Registry, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)), AllowAnonymousRead: true, MaxAlertBodyBytes: alertBodyLimit})
	if err != nil {
		t.Fatal(err)
	}
	a.Intake = httptest.NewServer(srv)
	t.Cleanup(a.Intake.Close)
	return a
}

// post sends body to path on the intake server.
func (a *alertEnv) post(t *testing.T, method, path, token, contentType string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, a.Intake.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: HTTP %d, body is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

func (a *alertEnv) alertCount(t *testing.T) int {
	t.Helper()
	n, err := a.DB.Client.Alert.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// amPayload is an Alertmanager webhook payload (version 4) of firing
// alerts, one per instance.
func amPayload(instances ...string) []byte {
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second).Format(time.RFC3339)
	var as []string
	for _, in := range instances {
		as = append(as, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"InstanceDown","instance":%q,"job":"node"},"annotations":{"summary":"down"},"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph"}`, in, start))
	}
	return []byte(`{"version":"4","groupKey":"{}:{alertname=\"InstanceDown\"}","truncatedAlerts":0,"status":"firing","receiver":"cairn",` +
		`"groupLabels":{"alertname":"InstanceDown"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://alertmanager:9093",` +
		`"alerts":[` + strings.Join(as, ",") + `]}`)
}

func errorOf(body map[string]any) (code, field, msg string) {
	e, _ := body["error"].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	msg, _ = e["message"].(string)
	return code, field, msg
}

// TestAlertIntakeRefusals: who may send (INGEST, EDITOR, ADMIN; not a
// VIEWER, not anonymous read even when it is on, not a bad or unknown
// token), what (POST, JSON, within the body limit, a valid payload), each
// refusal with its status, code and message, and nothing stored.
func TestAlertIntakeRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAlertEnv(t, dsn)
		good := amPayload("web-01:9100")
		big := amPayload(strings.Split(strings.Repeat("web-01:9100,", 60), ",")[:60]...)
		if len(big) <= alertBodyLimit {
			t.Fatalf("the large payload is %d bytes, not above the limit", len(big))
		}
		json := "application/json"
		for _, tt := range []struct {
			name        string
			method      string
			path        string
			auth        string
			contentType string
			body        []byte
			status      int
			code        string
			field       string
			msg         string
		}{
			{"no token", "POST", server.AlertmanagerRoute, "", json, good, 401, "UNAUTHENTICATED", "", "sending alerts needs an API token with role INGEST, EDITOR or ADMIN"},
			{"basic auth", "POST", server.AlertmanagerRoute, "Basic dXNlcjpwdw==", json, good, 401, "UNAUTHENTICATED", "", `the Authorization header must be "Bearer <token>"`},
			{"unknown token", "POST", server.AlertsRoute, "Bearer cairn_nope", json, good, 401, "UNAUTHENTICATED", "", "unknown or revoked API token"},
			{"viewer", "POST", server.AlertmanagerRoute, "Bearer " + a.Viewer, json, good, 403, "FORBIDDEN", "", `token "test-viewer" has role VIEWER; sending alerts needs INGEST, EDITOR or ADMIN`},
			{"GET", "GET", server.AlertmanagerRoute, "Bearer " + a.Ingest, "", nil, 405, "BAD_USER_INPUT", "", "/api/v1/alerts/alertmanager takes POST, not GET"},
			{"PUT", "PUT", server.AlertsRoute, "Bearer " + a.Ingest, json, good, 405, "BAD_USER_INPUT", "", "/api/v1/alerts takes POST, not PUT"},
			{"text", "POST", server.AlertmanagerRoute, "Bearer " + a.Ingest, "text/plain", good, 415, "BAD_USER_INPUT", "", "send Content-Type: application/json"},
			{"no content type", "POST", server.AlertsRoute, "Bearer " + a.Ingest, "", good, 415, "BAD_USER_INPUT", "", "send Content-Type: application/json"},
			{"too large", "POST", server.AlertmanagerRoute, "Bearer " + a.Ingest, json, big, 413, "BAD_USER_INPUT", "", fmt.Sprintf("the limit is %d bytes", alertBodyLimit)},
			{"not JSON", "POST", server.AlertmanagerRoute, "Bearer " + a.Ingest, json, []byte("{"), 400, "BAD_USER_INPUT", "payload", "payload: is empty or cut short"},
			{"generic body on the Alertmanager route", "POST", server.AlertmanagerRoute, "Bearer " + a.Ingest, json, []byte(`[]`), 400, "BAD_USER_INPUT", "payload", "payload: is a JSON array, want an object"},
			{"no version", "POST", server.AlertmanagerRoute, "Bearer " + a.Editor, json, []byte(`{"receiver":"x","status":"firing","groupKey":"k","alerts":[]}`), 400, "BAD_USER_INPUT", "version", "version: is required"},
			{"bad start, second alert", "POST", server.AlertsRoute, "Bearer " + a.Admin, json,
				[]byte(`[{"labels":{"alertname":"A"},"startsAt":"2026-01-01T00:00:00Z"},{"labels":{"alertname":"B"},"startsAt":"yesterday"}]`),
				400, "BAD_USER_INPUT", "alerts[1].startsAt", "alerts[1].startsAt"},
			{"no labels", "POST", server.AlertsRoute, "Bearer " + a.Ingest, json, []byte(`[{"startsAt":"2026-01-01T00:00:00Z"}]`), 400, "BAD_USER_INPUT", "alerts[0].labels", "an alert is named by its labels"},
			{"empty", "POST", server.AlertsRoute, "Bearer " + a.Ingest, json, []byte(`[]`), 400, "BAD_USER_INPUT", "alerts", "alerts: holds no alert"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := a.alertCount(t)
				status, h, body := a.post(t, tt.method, tt.path, tt.auth, tt.contentType, tt.body)
				code, field, msg := errorOf(body)
				if status != tt.status || code != tt.code || field != tt.field || !strings.Contains(msg, tt.msg) {
					t.Errorf("HTTP %d %s field %q %q; want %d %s field %q containing %q", status, code, field, msg, tt.status, tt.code, tt.field, tt.msg)
				}
				if status == 401 && h.Get("WWW-Authenticate") != `Bearer realm="cairn"` {
					t.Errorf("401 without WWW-Authenticate: Bearer (%q)", h.Get("WWW-Authenticate"))
				}
				if status == 405 && h.Get("Allow") != "POST" {
					t.Errorf("405 with Allow %q, want POST", h.Get("Allow"))
				}
				if got := a.alertCount(t); got != before {
					t.Errorf("%d alerts stored by a refused request", got-before)
				}
			})
		}
		// The payloads counted by outcome.
		for outcome, want := range map[string]float64{"unauthenticated": 2, "forbidden": 1, "method_not_allowed": 1, "unsupported_media_type": 1, "too_large": 1, "invalid": 3} {
			got := metricValue(t, a.Registry, "cairn_alert_payloads_total", server.AlertmanagerRoute, outcome)
			if got != want {
				t.Errorf("cairn_alert_payloads_total{route=%q,outcome=%q} = %v, want %v", server.AlertmanagerRoute, outcome, got, want)
			}
		}
	})
}

// TestAlertIntakeStores: INGEST, EDITOR and ADMIN tokens send alerts on
// both routes; they are stored, bound to their CIs, counted, and the
// answer names the incident they opened.
func TestAlertIntakeStores(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAlertEnv(t, dsn)
		ctx := context.Background()
		status, _, body := a.post(t, "POST", server.AlertmanagerRoute, "Bearer "+a.Ingest, "application/json; charset=utf-8",
			amPayload("web-01:9100", "10.1.0.12:9100"))
		if status != http.StatusOK {
			t.Fatalf("HTTP %d %v", status, body)
		}
		incidents, _ := body["incidents"].([]any)
		if body["received"] != 2.0 || body["created"] != 2.0 || len(incidents) != 1 {
			t.Fatalf("answer %v, want 2 received, 2 created, 1 incident", body)
		}
		stored, err := a.DB.Client.Alert.Query().Order(alert.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bound := map[string]int{}
		for _, al := range stored {
			if al.Source != alert.SourceAlertmanager {
				t.Errorf("alert %d source %s, want ALERTMANAGER", al.ID, al.Source)
			}
			if al.ConfigurationItemID != nil && al.BoundBy != nil && *al.BoundBy == alert.BoundByInstance {
				bound[al.Labels["instance"]] = *al.ConfigurationItemID
			}
		}
		if len(stored) != 2 || bound["web-01:9100"] != a.WebCI || bound["10.1.0.12:9100"] != a.DBCI {
			t.Errorf("stored %d alerts bound %v; want web-01:9100 → %d, 10.1.0.12:9100 → %d by INSTANCE", len(stored), bound, a.WebCI, a.DBCI)
		}
		incID, _ := strconv.Atoi(fmt.Sprint(incidents[0]))
		if n, err := a.DB.Client.Incident.Query().Count(ctx); err != nil || n != 1 || a.DB.Client.Incident.GetX(ctx, incID) == nil {
			t.Errorf("%d incidents (%v), want the one the answer names (%d)", n, err, incID)
		}

		// The generic route, from an editor and an admin; a re-send
		// updates, never duplicates.
		generic := fmt.Sprintf(`[{"labels":{"alertname":"DiskFull","host":"web-01"},"startsAt":%q}]`, time.Now().UTC().Add(-30*time.Second).Format(time.RFC3339))
		for _, tok := range []string{a.Editor, a.Admin} {
			status, _, body = a.post(t, "POST", server.AlertsRoute, "Bearer "+tok, "application/json", []byte(generic))
			if status != http.StatusOK || body["received"] != 1.0 {
				t.Fatalf("generic route: HTTP %d %v", status, body)
			}
		}
		if n := a.alertCount(t); n != 3 {
			t.Errorf("%d alerts stored, want 3 (the re-sent one deduplicated)", n)
		}
		for route, want := range map[string]float64{server.AlertmanagerRoute: 2, server.AlertsRoute: 2} {
			if got := metricValue(t, a.Registry, "cairn_alerts_received_total", route, "stored"); got != want {
				t.Errorf("cairn_alerts_received_total{route=%q,outcome=stored} = %v, want %v", route, got, want)
			}
		}
		if got := metricValue(t, a.Registry, "cairn_alert_payloads_total", server.AlertsRoute, "ok"); got != 2 {
			t.Errorf("cairn_alert_payloads_total{route=%q,outcome=ok} = %v, want 2", server.AlertsRoute, got)
		}
	})
}

// TestAlertIntakeDisabled: a server without the alert service answers the
// routes 503 once the caller may send.
func TestAlertIntakeDisabled(t *testing.T) {
	env := servertest.Start(t, storetest.SQLiteDSN(t), servertest.Options{})
	req, _ := http.NewRequest(http.MethodPost, env.URL(server.AlertsRoute), strings.NewReader(`[]`))
	req.Header.Set("Authorization", "Bearer "+env.Editor)
	r := env.Send(t, req)
	var body map[string]any
	_ = json.Unmarshal(r.Body, &body)
	if code, _, msg := errorOf(body); r.Status != http.StatusServiceUnavailable || code != "INTERNAL" || msg != "alert intake is not enabled on this server" {
		t.Errorf("HTTP %d %s", r.Status, r.Body)
	}
}

// TestIngestTokenOnGraphQL: an INGEST token reads nothing over /graphql.
func TestIngestTokenOnGraphQL(t *testing.T) {
	env := servertest.Start(t, storetest.SQLiteDSN(t), servertest.Options{Config: server.Config{AllowAnonymousRead: true}})
	secret, _, err := auth.CreateToken(audit.WithActor(context.Background(), servertest.SetupActor), env.DB.Client, "prometheus", auth.Ingest, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`{ configurationItems(first: 1) { totalCount } }`, `mutation { createVendor(input: {name: "x"}) { id } }`} {
		r := env.Do(t, secret, q, nil)
		e := r.Err(t)
		if r.Status != http.StatusForbidden || e.Code() != "FORBIDDEN" ||
			e.Message != `token "prometheus" has role INGEST: it may only send alerts (POST /api/v1/alerts/alertmanager, POST /api/v1/alerts)` {
			t.Errorf("%s with an INGEST token: %s", q, r)
		}
	}
}

// testWriter writes the server's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// metricValue is the value of counter name with labels route and
// outcome (0 when it has not been counted).
func metricValue(t *testing.T, reg *prometheus.Registry, name, route, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["route"] == route && l["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
