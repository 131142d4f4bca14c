package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-cmdb/cairn/discovery/agent"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// AgentRoutePrefix starts the inventory agents' route: POST
// /api/v1/agents/ocs/{job} speaks the OCS Inventory / FusionInventory XML
// protocol for the discovery job named job, of source kind agent. It is the
// --server URL of fusioninventory-agent and ocsinventory-agent.
const AgentRoutePrefix = "/api/v1/agents/ocs/"

// AgentRealm is the realm of the agents' Basic challenge. ocsinventory-agent
// sends its credentials only to the realm it is given (--realm), so this is
// part of its command line.
const AgentRealm = "Cairn agent intake"

// agentMetrics count the agent route's requests by query (PROLOG,
// INVENTORY, SNMPQUERY, other: an unknown one, none: refused before the
// body was read) and outcome.
type agentMetrics struct {
	requests *prometheus.CounterVec
}

func newAgentMetrics(reg prometheus.Registerer) (*agentMetrics, error) {
	m := &agentMetrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cairn_agent_requests_total",
		Help: "Inventory agent requests (POST " + AgentRoutePrefix + "{job}) by query (PROLOG, INVENTORY, SNMPQUERY, other, none) and outcome (ok, invalid, too_large, unknown_query, unauthenticated, forbidden, not_found, wrong_kind, disabled, method_not_allowed, shed, failed).",
	}, []string{"query", "outcome"})}
	if err := reg.Register(m.requests); err != nil {
		return nil, fmt.Errorf("registering agent metrics: %w", err)
	}
	return m, nil
}

// mountAgentRoutes registers the agents' route and its metrics.
func (s *Server) mountAgentRoutes() error {
	m, err := newAgentMetrics(s.cfg.Registry)
	if err != nil {
		return err
	}
	// No method in the pattern: a GET is answered 405 here rather than by
	// the console's "/".
	s.mux.Handle(AgentRoutePrefix+"{job}", s.agentIntake(m))
	return nil
}

// writeAgentError answers like the alert routes, {"error": {"code",
// "message"}} (the agents look only at the status), with the agents' Basic
// challenge on a 401 instead of the Bearer one.
func writeAgentError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+AgentRealm+`"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": string(code), "message": msg}})
}

// agentIntake serves POST /api/v1/agents/ocs/{job}. In order: POST only;
// the job (404 unknown, 400 another kind, 409 disabled; an unauthenticated
// caller is challenged before it learns whether the job exists); the
// caller: HTTP Basic whose password is an API token with role INGEST,
// EDITOR or ADMIN (the user name is ignored), or Bearer, or nothing for a
// job whose config says anonymous; the body read under the job's limit
// (readBody, admit: the same slots and shedding as /graphql), inflated by
// agent.DecodeBody under the same limit; then PROLOG is answered with the
// job's PROLOG_FREQ, INVENTORY and SNMPQUERY (fusioninventory-netinventory)
// reconciled (discoveryjobs.SubmitAgent), each reply compressed as the
// request was (an SNMPQUERY's START and END messages are only answered).
// A body that is malformed or too large fails a run of the job that says
// why; nothing else is stored. ?dryRun=true reconciles without writing.
func (s *Server) agentIntake(m *agentMetrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query := "none"
		count := func(outcome string) { m.requests.WithLabelValues(query, outcome).Inc() }
		refuse := func(outcome string, status int, code apperr.Code, msg string) {
			count(outcome)
			closeUnread(w, r)
			writeAgentError(w, status, code, msg)
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			refuse("method_not_allowed", http.StatusMethodNotAllowed, apperr.BadUserInput,
				fmt.Sprintf("%s{job} takes POST (the OCS Inventory / FusionInventory protocol), not %s", AgentRoutePrefix, r.Method))
			return
		}
		dryRun := false
		if v := r.URL.Query().Get("dryRun"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				refuse("invalid", http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("dryRun: want true or false, got %q", v))
				return
			}
			dryRun = b
		}
		ctx := r.Context()
		if s.cfg.Discovery == nil {
			refuse("failed", http.StatusServiceUnavailable, apperr.Internal, "discovery is not enabled on this server")
			return
		}
		name := r.PathValue("job")
		// The job is loaded without the caller's principal: job rows are
		// for admins, and the caller is checked here.
		job, cfg, jobErr := s.cfg.Discovery.AgentJob(ctx, name)
		anonymous := jobErr == nil && cfg.Anonymous
		var p auth.Principal
		hasCreds := r.Header.Get("Authorization") != ""
		if hasCreds || !anonymous {
			var ok bool
			if p, ok = s.authenticateAgent(w, r, refuse); !ok {
				return
			}
		}
		if jobErr != nil {
			ae, ok := apperr.As(jobErr)
			if !ok || ae.Code == apperr.Internal {
				s.cfg.Logger.ErrorContext(ctx, "loading agent job", "job", name, "err", jobErr, "request_id", audit.RequestID(ctx))
				refuse("failed", http.StatusInternalServerError, apperr.Internal, fmt.Sprintf("internal error (request %s)", audit.RequestID(ctx)))
				return
			}
			outcome := map[apperr.Code]string{apperr.NotFound: "not_found", apperr.BadUserInput: "wrong_kind", apperr.Conflict: "disabled"}[ae.Code]
			refuse(orDefault(outcome, "invalid"), statusOf(ae.Code), ae.Code, ae.Error())
			return
		}
		if anonymous && !hasCreds {
			s.cfg.Logger.DebugContext(ctx, "anonymous agent intake: the job accepts inventories from anyone who can reach it (unsafe)",
				"job", name, "remote", r.RemoteAddr, "request_id", audit.RequestID(ctx))
		}
		// A bad body fails a run of the job, saying why; the caller's own
		// refusals (shedding) do not.
		fail := func(outcome string, status int, code apperr.Code, msg string) {
			if _, err := s.cfg.Discovery.FailAgentRun(ctx, job, dryRun, errors.New(msg)); err != nil {
				s.cfg.Logger.ErrorContext(ctx, "recording agent run", "job", name, "err", err, "request_id", audit.RequestID(ctx))
			}
			count(outcome)
			writeAgentError(w, status, code, msg)
		}
		bodyFail := func(w http.ResponseWriter, status int, code apperr.Code, msg string) {
			if status == http.StatusServiceUnavailable {
				count("shed")
				writeAgentError(w, status, code, msg)
				return
			}
			fail(bodyOutcome(status), status, code, msg)
		}
		limit := cfg.Limit()
		if !s.readBody(w, r, !p.Authenticated, limit, bodyFail) {
			return
		}
		release, ok := s.admit(w, r, !p.Authenticated, writeAgentError)
		if !ok {
			count("shed")
			return
		}
		defer release()
		var raw []byte
		if r.Body != nil {
			// In memory already (readBody): this cannot fail.
			raw, _ = io.ReadAll(r.Body)
		}
		body, enc, err := agent.DecodeBody(bytes.NewReader(raw), r.Header.Get("Content-Type"), limit)
		if errors.Is(err, agent.ErrTooLarge) {
			fail("too_large", http.StatusRequestEntityTooLarge, apperr.BadUserInput,
				fmt.Sprintf("request body too large: it inflates past the job's limit of %d bytes", limit))
			return
		}
		if err != nil {
			fail("invalid", http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("unreadable body: %v", err))
			return
		}
		req, err := agent.ParseBody(body)
		if err != nil {
			fail("invalid", http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("malformed request: %v", err))
			return
		}
		switch strings.ToUpper(req.Query) {
		case "PROLOG":
			query = "PROLOG"
			s.agentReply(w, enc, agent.PrologReply(discoveryjobs.PrologFreqHours(job, time.Now())))
			count("ok")
		case "INVENTORY", "SNMPQUERY":
			// SNMPQUERY: fusioninventory-netinventory's results, one
			// device a message, mapped like the snmp source's walks.
			query = strings.ToUpper(req.Query)
			obs, warnings, err := req.Observations(time.Now().UTC())
			if err != nil {
				fail("invalid", http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("malformed inventory: %v", err))
				return
			}
			if len(obs) == 0 && query == "SNMPQUERY" {
				// A batch's START or END message, or a device the agent
				// could not inventory: the latter fails a run saying why.
				// The agent only wants a <REPLY>.
				if len(warnings) > 0 {
					if _, err := s.cfg.Discovery.FailAgentRun(ctx, job, dryRun, errors.New("network inventory: "+strings.Join(warnings, "; "))); err != nil {
						s.cfg.Logger.ErrorContext(ctx, "recording agent run", "job", name, "err", err, "request_id", audit.RequestID(ctx))
					}
				}
				s.agentReply(w, enc, agent.InventoryReply())
				count("ok")
				return
			}
			run, err := s.cfg.Discovery.SubmitAgent(ctx, name, obs, warnings, dryRun)
			if err != nil {
				count(submitOutcome(err))
				s.writeAgentSubmitError(w, r, err)
				return
			}
			if ae := runError(run); ae != "" {
				// The reconciliation failed (its run row says why): the
				// agent keeps its inventory and tries again.
				count("failed")
				writeAgentError(w, http.StatusInternalServerError, apperr.Internal, fmt.Sprintf("the inventory was not recorded: %s", ae))
				return
			}
			s.agentReply(w, enc, agent.InventoryReply())
			count("ok")
		default:
			query = "other"
			fail("unknown_query", http.StatusBadRequest, apperr.BadUserInput,
				fmt.Sprintf("unknown QUERY %q: this server answers PROLOG, INVENTORY and SNMPQUERY", clipQuery(req.Query)))
		}
	})
}

// authenticateAgent checks the agent's credentials: HTTP Basic whose
// password is an API token (the agents' way), or a bearer token; the token
// must pass auth.Require(auth.Ingest). It answers the refusal itself.
func (s *Server) authenticateAgent(w http.ResponseWriter, r *http.Request, refuse func(string, int, apperr.Code, string)) (auth.Principal, bool) {
	ctx := r.Context()
	var secret string
	if _, pw, ok := r.BasicAuth(); ok {
		secret = pw
	} else if scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		secret = strings.TrimSpace(rest)
	}
	if secret == "" {
		refuse("unauthenticated", http.StatusUnauthorized, apperr.Unauthenticated,
			"an inventory agent needs an API token with role INGEST, EDITOR or ADMIN as its HTTP Basic password (any user name): cairn token create --name NAME --role ingest")
		return auth.Principal{}, false
	}
	p, err := s.authn.Authenticate(ctx, secret)
	if err != nil {
		if ctx.Err() != nil {
			refuse("failed", http.StatusServiceUnavailable, apperr.Internal, fmt.Sprintf("the request took too long (limit %s) and was cancelled", s.cfg.RequestTimeout))
			return auth.Principal{}, false
		}
		if ae, ok := apperr.As(err); ok {
			refuse("unauthenticated", http.StatusUnauthorized, ae.Code, ae.Error())
			return auth.Principal{}, false
		}
		s.cfg.Logger.ErrorContext(ctx, "authenticating", "err", err, "request_id", audit.RequestID(ctx))
		refuse("failed", http.StatusInternalServerError, apperr.Internal, "could not check the token")
		return auth.Principal{}, false
	}
	if err := auth.Require(auth.WithPrincipal(ctx, p), auth.Ingest); err != nil {
		ae, _ := apperr.As(err)
		refuse("forbidden", statusOf(ae.Code), ae.Code,
			fmt.Sprintf("token %q has role %s; sending inventories needs INGEST, EDITOR or ADMIN", p.Name, p.Role))
		return auth.Principal{}, false
	}
	return p, true
}

// agentReply writes body compressed as the request was.
func (s *Server) agentReply(w http.ResponseWriter, enc agent.Encoding, body []byte) {
	var buf bytes.Buffer
	if err := agent.EncodeBody(&buf, enc, body); err != nil {
		// Compressing into memory does not fail; should it, say so.
		writeAgentError(w, http.StatusInternalServerError, apperr.Internal, fmt.Sprintf("encoding the reply: %v", err))
		return
	}
	w.Header().Set("Content-Type", enc.ContentType())
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// writeAgentSubmitError answers an error of SubmitAgent as writeIngestError
// answers the alert service's.
func (s *Server) writeAgentSubmitError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	if ae, ok := apperr.As(err); ok && ae.Code != apperr.Internal {
		writeAgentError(w, statusOf(ae.Code), ae.Code, ae.Error())
		return
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeAgentError(w, http.StatusServiceUnavailable, apperr.Internal,
			fmt.Sprintf("the request took too long (limit %s) and was cancelled; nothing was stored", s.cfg.RequestTimeout))
		return
	}
	s.cfg.Logger.ErrorContext(ctx, "agent inventory failed", "err", err, "path", r.URL.Path, "request_id", audit.RequestID(ctx))
	writeAgentError(w, http.StatusInternalServerError, apperr.Internal,
		fmt.Sprintf("internal error (request %s); nothing was stored", audit.RequestID(ctx)))
}

// submitOutcome is the outcome counted for an error of SubmitAgent.
func submitOutcome(err error) string {
	if ae, ok := apperr.As(err); ok {
		switch ae.Code {
		case apperr.BadUserInput:
			return "invalid"
		case apperr.Conflict:
			return "disabled"
		case apperr.NotFound:
			return "not_found"
		}
	}
	return "failed"
}

// runError is the error of a run that failed, timed out or was cancelled
// (its row says so), "" for one that succeeded or was partial.
func runError(run *ent.DiscoveryRun) string {
	if run == nil || run.Error == nil {
		return ""
	}
	switch run.Status {
	case discoveryrun.StatusFailed, discoveryrun.StatusTimedOut, discoveryrun.StatusCancelled:
		return *run.Error
	}
	return ""
}

// clipQuery bounds an unknown query's name in the answer.
func clipQuery(q string) string { return textclip.Bytes(q, 64) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
