package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
)

// The alert intake routes: Alertmanager's webhook (payload version 4) and a
// JSON array of alerts with the same fields, for any other tool.
const (
	AlertmanagerRoute = "/api/v1/alerts/alertmanager"
	AlertsRoute       = "/api/v1/alerts"
)

// DefaultMaxAlertBodyBytes is Config.MaxAlertBodyBytes's default: room for
// an Alertmanager group of 10,000 alerts with their annotations.
const DefaultMaxAlertBodyBytes = 16 << 20

// alertRoute is one intake route.
type alertRoute struct {
	path string
	// alertmanager: the body is Alertmanager's webhook payload, else the
	// generic array of alerts.
	alertmanager bool
}

var alertRoutes = []alertRoute{{path: AlertmanagerRoute, alertmanager: true}, {path: AlertsRoute}}

// alertMetrics count what the intake routes received: alerts by route and
// outcome (stored: in the database; failed: a parsed payload the service
// could not store), and payloads by route and outcome (ok, invalid,
// too_large, unauthenticated, forbidden, unsupported_media_type, disabled,
// shed, failed).
type alertMetrics struct {
	alerts   *prometheus.CounterVec
	payloads *prometheus.CounterVec
}

func newAlertMetrics(reg prometheus.Registerer) (*alertMetrics, error) {
	m := &alertMetrics{
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_alerts_received_total", Help: "Alerts received on the intake routes, by route and outcome (stored, failed).",
		}, []string{"route", "outcome"}),
		payloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_alert_payloads_total", Help: "Alert intake requests by route and outcome (ok, invalid, too_large, unauthenticated, forbidden, unsupported_media_type, method_not_allowed, disabled, shed, failed).",
		}, []string{"route", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.alerts, m.payloads} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering alert metrics: %w", err)
		}
	}
	return m, nil
}

// writeAlertError answers an intake request with
// {"error": {"code", "message"[, "field"]}}: the codes and statuses of
// /graphql's errors, in a REST body.
func writeAlertError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	writeAlertErr(w, status, &apperr.Error{Code: code, Msg: msg})
}

func writeAlertErr(w http.ResponseWriter, status int, e *apperr.Error) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cairn"`)
	}
	w.WriteHeader(status)
	body := map[string]any{"code": string(e.Code), "message": e.Error()}
	if e.Field != "" {
		body["field"] = e.Field
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
}

// statusOf is the HTTP status of an error code.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.BadUserInput:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// alertIntake serves one intake route: POST only, a JSON body, a bearer
// token with role INGEST, EDITOR or ADMIN (anonymous read never sends
// alerts), the body read under the alert body limit before the request
// takes an execution slot (readBody, admit: the same slots and shedding as
// /graphql), then parsed whole (a bad payload is 400 naming element and
// field, and nothing is stored) and ingested in one transaction.
func (s *Server) alertIntake(rt alertRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count := func(outcome string) { s.alertMetrics.payloads.WithLabelValues(rt.path, outcome).Inc() }
		// A refusal before the body is read closes the connection (see
		// authenticate).
		refuse := func(outcome string, status int, code apperr.Code, msg string) {
			count(outcome)
			closeUnread(w, r)
			writeAlertError(w, status, code, msg)
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			refuse("method_not_allowed", http.StatusMethodNotAllowed, apperr.BadUserInput,
				fmt.Sprintf("%s takes POST, not %s", rt.path, r.Method))
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			refuse("unsupported_media_type", http.StatusUnsupportedMediaType, apperr.BadUserInput,
				fmt.Sprintf("POST %s takes a JSON body: send Content-Type: application/json", rt.path))
			return
		}
		ctx := r.Context()
		h := r.Header.Get("Authorization")
		if h == "" {
			refuse("unauthenticated", http.StatusUnauthorized, apperr.Unauthenticated,
				"sending alerts needs an API token with role INGEST, EDITOR or ADMIN: send Authorization: Bearer <token> (cairn token create --name NAME --role ingest)")
			return
		}
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			refuse("unauthenticated", http.StatusUnauthorized, apperr.Unauthenticated, "the Authorization header must be \"Bearer <token>\"")
			return
		}
		p, err := s.authn.Authenticate(ctx, strings.TrimSpace(secret))
		if err != nil {
			if ctx.Err() != nil {
				refuse("failed", http.StatusServiceUnavailable, apperr.Internal, fmt.Sprintf("the request took too long (limit %s) and was cancelled", s.cfg.RequestTimeout))
				return
			}
			if ae, ok := apperr.As(err); ok {
				refuse("unauthenticated", http.StatusUnauthorized, ae.Code, ae.Error())
				return
			}
			s.cfg.Logger.ErrorContext(ctx, "authenticating", "err", err, "request_id", audit.RequestID(ctx))
			refuse("failed", http.StatusInternalServerError, apperr.Internal, "could not check the token")
			return
		}
		ctx = auth.WithPrincipal(ctx, p)
		if err := auth.Require(ctx, auth.Ingest); err != nil {
			ae, _ := apperr.As(err)
			refuse("forbidden", statusOf(ae.Code), ae.Code, ae.Error())
			return
		}
		if s.cfg.Alerts == nil {
			refuse("disabled", http.StatusServiceUnavailable, apperr.Internal, "alert intake is not enabled on this server")
			return
		}
		// readBody and admit answer their own errors; the status tells
		// which outcome to count.
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if !s.readBody(rec, r, false, s.cfg.MaxAlertBodyBytes, writeAlertError) {
			count(bodyOutcome(rec.status))
			return
		}
		release, ok := s.admit(w, r, false, writeAlertError)
		if !ok {
			count("shed")
			return
		}
		defer release()
		var body []byte
		if r.Body != nil {
			// In memory already (readBody): this cannot fail.
			body, _ = io.ReadAll(r.Body)
		}
		received, answer, err := s.ingestAlerts(ctx, rt, body)
		var pe parseError
		switch {
		case errors.As(err, &pe):
			count("invalid")
			writeAlertErr(w, http.StatusBadRequest, pe.err)
			return
		case err != nil:
			count("failed")
			s.alertMetrics.alerts.WithLabelValues(rt.path, "failed").Add(float64(received))
			s.writeIngestError(w, r, err)
			return
		}
		count("ok")
		s.alertMetrics.alerts.WithLabelValues(rt.path, "stored").Add(float64(received))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	})
}

// parseError is a payload intake refused: 400, nothing stored.
type parseError struct{ err *apperr.Error }

func (e parseError) Error() string { return e.err.Error() }

// intakeOptions are the parser's options: its size limit follows the
// route's body limit.
func (s *Server) intakeOptions() intake.Options {
	return intake.Options{Limits: intake.Limits{MaxBytes: int(s.cfg.MaxAlertBodyBytes)}}
}

// asParseError makes a parser's error a parseError (intake's errors are
// apperr BAD_USER_INPUT errors naming element and field).
func asParseError(err error) error {
	ae, ok := apperr.As(err)
	if !ok {
		ae = apperr.InvalidErr("", err)
	}
	return parseError{err: ae}
}

// bodyOutcome is the outcome counted when readBody refused a body with
// status.
func bodyOutcome(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusServiceUnavailable:
		return "shed"
	}
	return "invalid"
}

// writeIngestError answers an error of alerts.Service.Ingest: the client's
// own (apperr) with its code, a cancelled request as such, anything else
// logged and shown as INTERNAL with the request ID.
func (s *Server) writeIngestError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	if ae, ok := apperr.As(err); ok && ae.Code != apperr.Internal {
		writeAlertErr(w, statusOf(ae.Code), ae)
		return
	}
	if ctx.Err() != nil || errors.Is(err, ctx.Err()) {
		writeAlertError(w, http.StatusServiceUnavailable, apperr.Internal,
			fmt.Sprintf("the request took too long (limit %s) and was cancelled; nothing was stored", s.cfg.RequestTimeout))
		return
	}
	s.cfg.Logger.ErrorContext(ctx, "alert intake failed", "err", err, "path", r.URL.Path, "request_id", audit.RequestID(ctx))
	writeAlertError(w, http.StatusInternalServerError, apperr.Internal,
		fmt.Sprintf("internal error (request %s); nothing was stored", audit.RequestID(ctx)))
}
