package server_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// agentEnv is a server with discovery over a fresh database, an INGEST
// token and agent jobs: fleet (creates what it sees), open (anonymous),
// small (a 64 KiB body limit), sixhourly (a schedule every 6 hours), off
// (disabled), and pushed (a push job).
type agentEnv struct {
	*servertest.Env
	Ingest string
}

const agentSmallLimit = 64 << 10

func startAgentEnv(t *testing.T, dsn string) *agentEnv {
	t.Helper()
	env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
	a := &agentEnv{Env: env}
	secret, _, err := auth.CreateToken(audit.WithActor(context.Background(), servertest.SetupActor), env.DB.Client, "agents", auth.Ingest, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Ingest = secret
	for _, in := range []map[string]any{
		{"name": "fleet", "sourceKind": "agent", "createUnregistered": true},
		{"name": "open", "sourceKind": "agent", "createUnregistered": true, "config": map[string]any{"anonymous": true}},
		{"name": "small", "sourceKind": "agent", "createUnregistered": true, "config": map[string]any{"maxBodyBytes": agentSmallLimit}},
		{"name": "sixhourly", "sourceKind": "agent", "schedule": "0 */6 * * *"},
		{"name": "off", "sourceKind": "agent", "enabled": false},
		{"name": "pushed", "sourceKind": "push"},
	} {
		env.Do(t, env.Admin, createJobMutation, map[string]any{"in": in}).OK(t)
	}
	return a
}

// agentPost posts body (already encoded) to job's agent route the way the
// agents do, with Basic credentials when password is set.
func (a *agentEnv) agentPost(t *testing.T, job, query, password, contentType string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL(server.AgentRoutePrefix+job+query), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "FusionInventory-Agent_v2.6")
	if password != "" {
		req.SetBasicAuth("agent", password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// encodeAs compresses body as the agents do for a content type.
func encodeAs(t *testing.T, contentType string, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch contentType {
	case "application/x-compress-zlib":
		w = zlib.NewWriter(&buf)
	case "application/x-compress":
		w = gzip.NewWriter(&buf)
	default:
		return body
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeReply inflates a reply by its Content-Type.
func decodeReply(t *testing.T, resp *http.Response) string {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(raw)
	switch resp.Header.Get("Content-Type") {
	case "application/x-compress-zlib":
		z, err := zlib.NewReader(r)
		if err != nil {
			t.Fatalf("reply is not zlib: %v (%q)", err, raw)
		}
		r = z
	case "application/x-compress":
		z, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("reply is not gzip: %v (%q)", err, raw)
		}
		r = z
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const prolog = `<?xml version="1.0" encoding="UTF-8" ?>
<REQUEST>
  <DEVICEID>vm-2026-12-08-01-12-22</DEVICEID>
  <QUERY>PROLOG</QUERY>
  <TOKEN>12345678</TOKEN>
</REQUEST>
`

// fusionInventory is the captured inventory (testdata/agents).
func fusionInventory(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "agents", "fusion-inventory.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// agentRuns are the runs of job, oldest first.
func agentRuns(t *testing.T, env *servertest.Env, job string) []*ent.DiscoveryRun {
	t.Helper()
	runs, err := env.DB.Client.DiscoveryRun.Query().
		Where(discoveryrun.HasJobWith(discoveryjob.Name(job))).Order(ent.Asc(discoveryrun.FieldID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func driftCount(t *testing.T, env *servertest.Env) int {
	t.Helper()
	n, err := env.DB.Client.Drift.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAgentProlog: PROLOG in each encoding is answered SEND with the job's
// PROLOG_FREQ (24 without a schedule, 6 for every 6 hours), compressed as
// it was asked; no run is recorded for a PROLOG.
func TestAgentProlog(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAgentEnv(t, dsn)
		for _, tt := range []struct {
			job, contentType string
			freq             int
		}{
			{"fleet", "application/x-compress-zlib", 24},
			{"fleet", "application/x-compress", 24},
			{"fleet", "application/xml", 24},
			{"sixhourly", "application/x-compress-zlib", 6},
		} {
			t.Run(tt.job+" "+tt.contentType, func(t *testing.T) {
				resp := a.agentPost(t, tt.job, "", a.Ingest, tt.contentType, encodeAs(t, tt.contentType, []byte(prolog)))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("HTTP %d: %s", resp.StatusCode, decodeReply(t, resp))
				}
				if got := resp.Header.Get("Content-Type"); got != tt.contentType {
					t.Errorf("Content-Type %q, want %q (as the request)", got, tt.contentType)
				}
				body := decodeReply(t, resp)
				for _, want := range []string{"<REPLY>", "<RESPONSE>SEND</RESPONSE>", fmt.Sprintf("<PROLOG_FREQ>%d</PROLOG_FREQ>", tt.freq)} {
					if !strings.Contains(body, want) {
						t.Errorf("reply %q lacks %q", body, want)
					}
				}
			})
		}
		if runs := agentRuns(t, a.Env, "fleet"); len(runs) != 0 {
			t.Errorf("a PROLOG recorded %d runs", len(runs))
		}
		if got := agentCounter(t, a, "PROLOG", "ok"); got != 4 {
			t.Errorf("cairn_agent_requests_total{query=PROLOG,outcome=ok} = %v, want 4", got)
		}
	})
}

// agentCounter reads cairn_agent_requests_total{query,outcome} from the
// server's registry.
func agentCounter(t *testing.T, a *agentEnv, query, outcome string) float64 {
	t.Helper()
	mfs, err := a.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cairn_agent_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["query"] == query && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestAgentAuth: the agents' dialogue (no credentials, 401 with the Basic
// challenge, then Basic with an INGEST token as the password); a VIEWER
// token or an unknown one is refused; a job that says anonymous takes an
// agent without credentials; an unknown job is 404 once authenticated (401
// before: its existence is not told to strangers); a job of another kind
// 400; a disabled one 409; GET 405.
func TestAgentAuth(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAgentEnv(t, dsn)
		zl := "application/x-compress-zlib"
		body := encodeAs(t, zl, []byte(prolog))
		for _, tt := range []struct {
			name, job, password string
			status              int
			msg                 string
		}{
			{"no credentials", "fleet", "", 401, "an inventory agent needs an API token with role INGEST, EDITOR or ADMIN as its HTTP Basic password"},
			{"ingest token", "fleet", a.Ingest, 200, ""},
			{"editor token", "fleet", a.Editor, 200, ""},
			{"admin token", "fleet", a.Admin, 200, ""},
			{"viewer token", "fleet", a.Viewer, 403, `token "test-viewer" has role VIEWER; sending inventories needs INGEST, EDITOR or ADMIN`},
			{"unknown token", "fleet", "cairn_nope", 401, "unknown or revoked API token"},
			{"anonymous job", "open", "", 200, ""},
			{"anonymous job, bad token", "open", "cairn_nope", 401, "unknown or revoked API token"},
			{"unknown job, no credentials", "nope", "", 401, "an inventory agent needs"},
			{"unknown job", "nope", a.Ingest, 404, `no discovery job named "nope"`},
			{"push job", "pushed", a.Ingest, 400, `job "pushed" has source kind "push"; agents can report only to "agent" jobs`},
			{"disabled job", "off", a.Ingest, 409, `job "off" is disabled`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := a.agentPost(t, tt.job, "", tt.password, zl, body)
				if resp.StatusCode != tt.status {
					t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.status, decodeReply(t, resp))
				}
				if tt.status == 401 {
					if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="Cairn agent intake"` {
						t.Errorf("WWW-Authenticate %q", got)
					}
				}
				if tt.msg != "" {
					var e map[string]any
					raw, _ := io.ReadAll(resp.Body)
					if err := json.Unmarshal(raw, &e); err != nil {
						t.Fatalf("error body %q: %v", raw, err)
					}
					if _, _, msg := errorOf(e); !strings.Contains(msg, tt.msg) {
						t.Errorf("message %q, want it to contain %q", msg, tt.msg)
					}
				}
			})
		}
		// GET, as a browser would.
		resp, err := http.Get(a.URL(server.AgentRoutePrefix + "fleet"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET: HTTP %d Allow %q, want 405 POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
		// The bearer form works too (scripts, curl).
		req, _ := http.NewRequest(http.MethodPost, a.URL(server.AgentRoutePrefix+"fleet"), bytes.NewReader(body))
		req.Header.Set("Content-Type", zl)
		req.Header.Set("Authorization", "Bearer "+a.Ingest)
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("bearer: HTTP %d", resp.StatusCode)
		}
		// A Basic header whose user name is anything: only the password counts.
		req, _ = http.NewRequest(http.MethodPost, a.URL(server.AgentRoutePrefix+"fleet"), bytes.NewReader(body))
		req.Header.Set("Content-Type", zl)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("x:"+a.Ingest)))
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("Basic x:token: HTTP %d", resp.StatusCode)
		}
		if runs := agentRuns(t, a.Env, "fleet"); len(runs) != 0 {
			t.Errorf("refusals and PROLOGs recorded %d runs", len(runs))
		}
	})
}

// TestAgentInventory: an inventory (the captured one, from
// fusioninventory-agent 2.6) creates the CI with its facts and identifiers
// in a run of trigger agent; the same inventory again changes nothing (no
// drift, no field); a dry run stores nothing, not even its run row.
func TestAgentInventory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAgentEnv(t, dsn)
		ctx := context.Background()
		inv := fusionInventory(t)
		zl := "application/x-compress-zlib"

		// A dry run first: nothing is stored.
		mustNotWrite(t, a.Env, func() {
			resp := a.agentPost(t, "fleet", "?dryRun=true", a.Ingest, zl, encodeAs(t, zl, inv))
			if resp.StatusCode != 200 {
				t.Fatalf("dry run: HTTP %d: %s", resp.StatusCode, decodeReply(t, resp))
			}
		})
		if runs := agentRuns(t, a.Env, "fleet"); len(runs) != 0 {
			t.Fatalf("a dry run stored %d runs", len(runs))
		}

		resp := a.agentPost(t, "fleet", "", a.Ingest, zl, encodeAs(t, zl, inv))
		if resp.StatusCode != 200 {
			t.Fatalf("HTTP %d: %s", resp.StatusCode, decodeReply(t, resp))
		}
		if got := resp.Header.Get("Content-Type"); got != zl {
			t.Errorf("reply Content-Type %q, want %q", got, zl)
		}
		if body := decodeReply(t, resp); !strings.Contains(body, "<REPLY>") {
			t.Errorf("reply %q is not a REPLY", body)
		}
		runs := agentRuns(t, a.Env, "fleet")
		if len(runs) != 1 {
			t.Fatalf("%d runs, want 1", len(runs))
		}
		r := runs[0]
		if r.Status != discoveryrun.StatusSucceeded || r.Trigger != "agent" || r.SourceKind != "agent" || r.DryRun || r.Counts.Observed < 1 || r.Counts.Created < 1 {
			t.Errorf("run = %s trigger %q kind %q dry %v counts %+v error %v", r.Status, r.Trigger, r.SourceKind, r.DryRun, r.Counts, derefString(r.Error))
		}
		ci, err := a.DB.Client.ConfigurationItem.Query().Where(configurationitem.Name("vm")).WithIdentifiers().Only(ctx)
		if err != nil {
			t.Fatalf("the inventory's CI: %v", err)
		}
		pkgs := 0
		for k := range ci.Facts {
			if strings.HasPrefix(k, "package.") {
				pkgs++
			}
		}
		if pkgs < 20 {
			t.Errorf("the CI has %d package.* facts, want the inventory's (40 SOFTWARES): %v", pkgs, ci.Facts)
		}
		if !hasFactPrefix(ci.Facts, "os.") {
			t.Errorf("the CI has no os.* fact: %v", ci.Facts)
		}
		var idents []string
		for _, id := range ci.Edges.Identifiers {
			idents = append(idents, string(id.Kind)+"="+id.Value)
		}
		if !containsAny(idents, "MAC=02:fc:00:00:00:01", "MAC=02:FC:00:00:00:01") {
			t.Errorf("identifiers %v lack eth0's MAC", idents)
		}
		before, drifts := rowCounts(t, a.Env), driftCount(t, a.Env)
		ciBefore := ci.UpdatedAt

		// The same inventory again (gzip this time): nothing changes.
		gz := "application/x-compress"
		resp = a.agentPost(t, "fleet", "", a.Ingest, gz, encodeAs(t, gz, inv))
		if resp.StatusCode != 200 {
			t.Fatalf("second post: HTTP %d: %s", resp.StatusCode, decodeReply(t, resp))
		}
		runs = agentRuns(t, a.Env, "fleet")
		if len(runs) != 2 || runs[1].Status != discoveryrun.StatusSucceeded || runs[1].Counts.Matched != runs[1].Counts.Observed ||
			runs[1].Counts.Created != 0 || runs[1].Counts.Updated != 0 || runs[1].Counts.DriftsOpened != 0 {
			t.Errorf("second run = %+v", runs[len(runs)-1].Counts)
		}
		if d := driftCount(t, a.Env); d != drifts {
			t.Errorf("the same inventory again opened drifts: %d -> %d", drifts, d)
		}
		after := rowCounts(t, a.Env)
		delete(before, "AuditEvent")
		delete(after, "AuditEvent")
		if d := before.diff(after); d != "" {
			t.Errorf("the same inventory again wrote rows: %s", d)
		}
		ci2, err := a.DB.Client.ConfigurationItem.Get(ctx, ci.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !ci2.UpdatedAt.Equal(ciBefore) {
			t.Errorf("the same inventory again updated the CI (%v -> %v)", ciBefore, ci2.UpdatedAt)
		}
		if got := agentCounter(t, a, "INVENTORY", "ok"); got != 3 {
			t.Errorf("cairn_agent_requests_total{query=INVENTORY,outcome=ok} = %v, want 3", got)
		}
	})
}

func hasFactPrefix(facts map[string]any, prefix string) bool {
	for k := range facts {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func containsAny(list []string, want ...string) bool {
	for _, l := range list {
		for _, w := range want {
			if l == w {
				return true
			}
		}
	}
	return false
}

// TestAgentBadBodies: malformed XML, a body that is not what its
// Content-Type says, an unknown QUERY, a body past the limit as sent and a
// zlib bomb that inflates past it are each 400 or 413 with a clear message,
// store nothing, and record a failed run of the job that says why.
func TestAgentBadBodies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAgentEnv(t, dsn)
		zl := "application/x-compress-zlib"
		// 16 MiB of zeros deflate to about 16 KiB: under the 64 KiB limit
		// as sent, 256 times it inflated.
		var zb bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&zb, zlib.BestCompression)
		_, _ = zw.Write([]byte("<?xml version=\"1.0\"?><REQUEST><QUERY>INVENTORY</QUERY><CONTENT>"))
		_, _ = zw.Write(make([]byte, 16<<20))
		_ = zw.Close()
		bomb := zb.Bytes()
		if len(bomb) >= agentSmallLimit {
			t.Fatalf("the bomb is %d bytes compressed, not under the limit", len(bomb))
		}
		big := encodeAs(t, "application/xml", []byte(strings.Repeat("<!-- padding -->", agentSmallLimit/8)))
		for _, tt := range []struct {
			name, contentType string
			body              []byte
			status            int
			msg               string
		}{
			{"malformed XML", zl, encodeAs(t, zl, []byte("<REQUEST><QUERY>INVENTORY</QUERY><CONTENT><HARDWARE>")), 400, "malformed"},
			{"not XML", "application/xml", []byte("hello"), 400, ""},
			{"unknown query", zl, encodeAs(t, zl, []byte(`<?xml version="1.0"?><REQUEST><DEVICEID>d</DEVICEID><QUERY>FROBNICATE</QUERY></REQUEST>`)), 400, `unknown QUERY "FROBNICATE"`},
			{"too large as sent", "application/xml", big, 413, "request body too large"},
			{"zlib bomb", zl, bomb, 413, "request body too large"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := len(agentRuns(t, a.Env, "small"))
				mustNotWrite(t, a.Env, func() {
					resp := a.agentPost(t, "small", "", a.Ingest, tt.contentType, tt.body)
					raw, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != tt.status {
						t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.status, raw)
					}
					var e map[string]any
					if err := json.Unmarshal(raw, &e); err != nil {
						t.Fatalf("error body %q: %v", raw, err)
					}
					if code, _, msg := errorOf(e); code != "BAD_USER_INPUT" || !strings.Contains(msg, tt.msg) {
						t.Errorf("%s %q, want BAD_USER_INPUT containing %q", code, msg, tt.msg)
					}
				})
				runs := agentRuns(t, a.Env, "small")
				if len(runs) != before+1 {
					t.Fatalf("%d new runs, want 1 failed run", len(runs)-before)
				}
				r := runs[len(runs)-1]
				if r.Status != discoveryrun.StatusFailed || r.Trigger != "agent" || r.Error == nil || !strings.Contains(*r.Error, tt.msg) {
					t.Errorf("run %s trigger %q error %q, want FAILED saying %q", r.Status, r.Trigger, derefString(r.Error), tt.msg)
				}
			})
		}
		// A refusal before the body (no credentials) records no run.
		before := len(agentRuns(t, a.Env, "small"))
		if resp := a.agentPost(t, "small", "", "", zl, bomb); resp.StatusCode != 401 {
			t.Errorf("no credentials: HTTP %d", resp.StatusCode)
		}
		if n := len(agentRuns(t, a.Env, "small")); n != before {
			t.Errorf("an unauthenticated post recorded %d runs", n-before)
		}
	})
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestAgentGLPIJSON: GLPI Agent's JSON inventory document (the format of
// glpi-project/inventory_format) posted to the same route is reconciled by
// the same mapping; a second post changes nothing.
func TestAgentGLPIJSON(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAgentEnv(t, dsn)
		ctx := context.Background()
		doc := []byte(`{"action": "inventory", "deviceid": "web09-2025-03-01-10-00-00", "itemtype": "Computer",
 "content": {
  "hardware": {"name": "web09", "uuid": "30393137-3136-5a43-4a31-323334414299", "memory": 16384},
  "bios": {"ssn": "CZJ9999XYZ", "smanufacturer": "HPE", "smodel": "ProLiant DL360 Gen10", "bversion": "U32", "bdate": "02/01/2023"},
  "operatingsystem": {"name": "Debian GNU/Linux", "version": "12.8", "full_name": "Debian GNU/Linux 12 (bookworm)", "fqdn": "web09.example.org"},
  "networks": [{"description": "eno1", "macaddr": "94:40:c9:11:22:99", "ipaddress": "10.1.0.29", "ipmask": "255.255.255.0", "status": "up"}],
  "softwares": [{"name": "bash", "version": "5.2.15-2+b7", "arch": "amd64", "from": "deb"},
                {"name": "openssl", "version": "3.0.15-1~deb12u1", "arch": "amd64", "from": "deb"}]
 }}`)
		for i, want := range []int{1, 0} {
			resp := a.agentPost(t, "fleet", "", a.Ingest, "application/json", doc)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("post %d: HTTP %d: %s", i+1, resp.StatusCode, decodeReply(t, resp))
			}
			runs := agentRuns(t, a.Env, "fleet")
			// The first records the unregistered host (created, DISCOVERED,
			// with its UNREGISTERED drift); the second changes nothing.
			if c := runs[len(runs)-1].Counts; len(runs) != i+1 || c.Created != want || c.DriftsOpened != want || c.Updated != 0 {
				t.Fatalf("post %d: %d runs, counts %+v; want %d created and as many drifts", i+1, len(runs), c, want)
			}
		}
		ci, err := a.DB.Client.ConfigurationItem.Query().WithIdentifiers().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ci.Name != "web09" || ci.Facts["package.openssl"] != "3.0.15-1~deb12u1" || ci.Facts["bios.date"] != "2023-02-01" || ci.SerialNumber == nil || *ci.SerialNumber != "CZJ9999XYZ" {
			t.Errorf("CI %q facts %v serial %v", ci.Name, ci.Facts, ci.SerialNumber)
		}
		sw, err := a.DB.Client.SoftwareInstallation.Query().Count(ctx)
		if err != nil || sw != 2 {
			t.Errorf("%d software installations (%v), want 2", sw, err)
		}
	})
}
