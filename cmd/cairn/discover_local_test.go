package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/client"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// pushServer is a fake Cairn server on 127.0.0.1 that records the
// submitObservations requests and answers with a canned body.
type pushServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	heads  []http.Header
	paths  []string
}

func newPushServer(t *testing.T, status int, answer string) *pushServer {
	t.Helper()
	s := &pushServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("request body is not JSON: %v: %s", err, b)
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.heads = append(s.heads, r.Header.Clone())
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

const okAnswer = `{"data":{"submitObservations":{"id":"42","status":"SUCCEEDED","dryRun":false,"error":null,"hostErrors":[],
"counts":{"observed":1,"matched":1,"created":0,"filled":2,"updated":0,"unchanged":0,"driftsOpened":3,"driftsUpdated":0,"driftsResolved":0,"driftsIgnored":0,"missing":0,"retired":0,"ambiguous":0,"unregistered":0}}}}`

// runLocal runs "discover local" with args, returning stdout, stderr and
// the command's error.
func runLocal(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &globals{stdout: &stdout, stderr: &stderr, logLevel: "warn", logFormat: "text"}
	cmd := discoverLocalCmd(g)
	cmd.SetArgs(args)
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return stdout.String(), stderr.String(), err
}

const testToken = "cairn_test_0123456789abcdef"

func TestDiscoverLocalPush(t *testing.T) {
	srv := newPushServer(t, http.StatusOK, okAnswer)
	out, errOut, err := runLocal(t, "--server", srv.URL, "--token", testToken)
	if err != nil {
		t.Fatalf("discover local: %v\n%s%s", err, out, errOut)
	}
	if strings.Contains(out+errOut, testToken) {
		t.Error("the token was printed")
	}
	for _, want := range []string{"run 42", "job agents", "SUCCEEDED", "observed 1", "filled 2", "drifts opened 3"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(srv.bodies) != 1 {
		t.Fatalf("%d requests, want 1", len(srv.bodies))
	}
	if srv.paths[0] != "POST /graphql" {
		t.Errorf("request %q, want POST /graphql", srv.paths[0])
	}
	h := srv.heads[0]
	if got := h.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization %q", got)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	body := srv.bodies[0]
	q, _ := body["query"].(string)
	for _, want := range []string{"mutation", "submitObservations(job: $job, observations: $observations, dryRun: $dryRun)", "$observations: [ObservationInput!]!", "status", "counts", "observed"} {
		if !strings.Contains(q, want) {
			t.Errorf("query lacks %q:\n%s", want, q)
		}
	}
	vars, _ := body["variables"].(map[string]any)
	if vars["job"] != "agents" || vars["dryRun"] != false {
		t.Errorf("variables job=%v dryRun=%v, want agents, false", vars["job"], vars["dryRun"])
	}
	obs, _ := vars["observations"].([]any)
	if len(obs) != 1 {
		t.Fatalf("observations %v, want one", vars["observations"])
	}
	o, _ := obs[0].(map[string]any)
	host, _ := os.Hostname()
	if o["key"] != "local "+host || o["kind"] != "SERVER" || o["name"] != host {
		t.Errorf("observation key=%v kind=%v name=%v", o["key"], o["kind"], o["name"])
	}
	for _, k := range []string{"key", "kind", "name", "identifiers", "fields", "facts", "completeFacts", "seenAt"} {
		if _, ok := o[k]; !ok {
			t.Errorf("observation lacks %s: %v", k, o)
		}
	}
	for k := range o {
		switch k {
		case "key", "kind", "name", "identifiers", "fields", "facts", "completeFacts", "seenAt", "relationships", "stableKey":
		default:
			t.Errorf("observation has %q, which ObservationInput lacks", k)
		}
	}
	if facts, _ := o["facts"].(map[string]any); facts["memory.total_bytes"] == nil || facts["kernel.release"] == nil {
		t.Errorf("facts %v", o["facts"])
	}
	ids, _ := o["identifiers"].([]any)
	if len(ids) == 0 {
		t.Errorf("no identifiers")
	}
	for _, id := range ids {
		m, _ := id.(map[string]any)
		if m["kind"] == nil || m["value"] == nil || len(m) != 2 {
			t.Errorf("identifier %v, want {kind, value}", id)
		}
	}
	seen, _ := o["seenAt"].(string)
	if ts, err := time.Parse(time.RFC3339Nano, seen); err != nil || time.Since(ts) > time.Minute {
		t.Errorf("seenAt %q: %v", seen, err)
	}
}

func TestDiscoverLocalDryRunFromEnv(t *testing.T) {
	srv := newPushServer(t, http.StatusOK, `{"data":{"submitObservations":{"id":"0","status":"SUCCEEDED","dryRun":true,"error":null,"hostErrors":[],
"counts":{"observed":1,"matched":0,"created":0,"filled":0,"updated":0,"unchanged":0,"driftsOpened":0,"driftsUpdated":0,"driftsResolved":0,"driftsIgnored":0,"missing":0,"retired":0,"ambiguous":0,"unregistered":1},
"changes":[{"action":"CREATE","observationKey":"local web01","field":null,"before":null,"after":"web01"}]}}}`)
	t.Setenv("CAIRN_TOKEN", testToken)
	t.Setenv("CAIRN_SERVER", srv.URL+"/graphql")
	out, errOut, err := runLocal(t, "--job", "laptops", "--dry-run")
	if err != nil {
		t.Fatalf("discover local: %v\n%s%s", err, out, errOut)
	}
	if strings.Contains(out+errOut, testToken) {
		t.Error("the token was printed")
	}
	for _, want := range []string{"dry run (nothing written)", "job laptops", "unregistered 1", "CREATE local web01"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := srv.heads[0].Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization %q, want the CAIRN_TOKEN", got)
	}
	vars, _ := srv.bodies[0]["variables"].(map[string]any)
	if vars["job"] != "laptops" || vars["dryRun"] != true {
		t.Errorf("variables job=%v dryRun=%v", vars["job"], vars["dryRun"])
	}
}

func TestDiscoverLocalFailures(t *testing.T) {
	failed := newPushServer(t, http.StatusOK, `{"data":{"submitObservations":{"id":"7","status":"FAILED","dryRun":false,"error":"job agents is disabled","hostErrors":[],"counts":{"observed":1}}}}`)
	gqlErr := newPushServer(t, http.StatusOK, `{"errors":[{"message":"no discovery job named \"nope\"","path":["submitObservations"],"extensions":{"code":"NOT_FOUND"}}],"data":null}`)
	unauth := newPushServer(t, http.StatusUnauthorized, `{"errors":[{"message":"the API token is not valid","extensions":{"code":"UNAUTHENTICATED"}}]}`)
	html := newPushServer(t, http.StatusBadGateway, `<html>bad gateway</html>`)
	empty := newPushServer(t, http.StatusOK, `{"data":{"submitObservations":null}}`)
	tests := []struct {
		name string
		args []string
		want string
		out  string // also expected on stdout
	}{
		{"failed run", []string{"--server", failed.URL, "--token", testToken}, "discovery run failed: job agents is disabled", "FAILED"},
		{"graphql error", []string{"--server", gqlErr.URL, "--token", testToken, "--job", "nope"}, `no discovery job named "nope" (NOT_FOUND)`, ""},
		{"unauthorized", []string{"--server", unauth.URL, "--token", testToken}, "401 Unauthorized: the API token is not valid (UNAUTHENTICATED)", ""},
		{"not graphql", []string{"--server", html.URL, "--token", testToken}, "502 Bad Gateway: <html>bad gateway</html>", ""},
		{"no run", []string{"--server", empty.URL, "--token", testToken}, "holds no run", ""},
		{"no server", []string{"--token", testToken}, "--server is empty", ""},
		{"bad server", []string{"--server", "ftp://cairn.example.com", "--token", testToken}, "want an http or https URL", ""},
		{"no token", []string{"--server", failed.URL}, "--token is empty", ""},
		{"no job", []string{"--server", failed.URL, "--token", testToken, "--job", " "}, "--job is empty", ""},
		{"unreachable", []string{"--server", "http://127.0.0.1:1", "--token", testToken}, "connection refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CAIRN_TOKEN", "")
			t.Setenv("CAIRN_SERVER", "")
			out, errOut, err := runLocal(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q\n%s%s", err, tt.want, out, errOut)
			}
			if strings.Contains(err.Error()+out+errOut, testToken) {
				t.Error("the token was printed")
			}
			if tt.out != "" && !strings.Contains(out, tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, out)
			}
		})
	}
}

// TestPushGuests: cairn discover local pushes the host with the VMs and
// containers it runs, each RUNS_ON the host and found again by its stable
// key (a container has no other identifier), through the real client and
// server, on both engines; pushed again, nothing new.
func TestPushGuests(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		if err := txn.Do(ctx, env.DB.Client, func(tx *ent.Client) error {
			return tx.DiscoveryJob.Create().SetName("agents").SetSourceKind("push").SetCreateUnregistered(true).Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		token, _, err := auth.CreateToken(ctx, env.DB.Client, "laptop", auth.Editor, nil)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		host := discovery.Observation{Key: "local hv01", Kind: "SERVER", Name: "hv01", Fields: map[string]string{"hostname": "hv01"},
			Identifiers: []discovery.Identifier{{Kind: "UUID", Value: "4c4c4544-0058-4a10-8032-b7c04f4b3133"}}, SeenAt: now}
		vm := discovery.Observation{Key: "local hv01 guest 6f1c2a4e-0b7d-4e7a-9c55-000000000001", Kind: "VM", Name: "web", StableKey: true,
			Identifiers:   []discovery.Identifier{{Kind: "UUID", Value: "6f1c2a4e-0b7d-4e7a-9c55-000000000001"}},
			Facts:         map[string]string{"guest.type": "libvirt"},
			Relationships: []discovery.Relationship{{Type: "RUNS_ON", To: "local hv01"}}, SeenAt: now}
		ct := discovery.Observation{Key: "local hv01 guest cache", Kind: "CONTAINER", Name: "cache", StableKey: true,
			Facts:         map[string]string{"guest.type": "docker"},
			Relationships: []discovery.Relationship{{Type: "RUNS_ON", To: "local hv01", Attributes: map[string]string{"runtime": "docker"}}}, SeenAt: now}
		c := client.New(env.URL("/graphql"), token, &http.Client{Timeout: 30 * time.Second})
		for i, want := range []int{3, 0} {
			run, err := submit(ctx, c, env.URL("/graphql"), "agents", []discovery.Observation{host, vm, ct}, false)
			if err != nil {
				t.Fatalf("push %d: %v", i+1, err)
			}
			if run.Status != client.DiscoveryRunStatusSucceeded || run.Counts.Created != want || run.Counts.Observed != 3 {
				t.Fatalf("push %d: %s, counts %+v; want %d created of 3", i+1, run.Status, run.Counts, want)
			}
		}
		cis, err := env.DB.Client.ConfigurationItem.Query().Order(ent.Asc(configurationitem.FieldName)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[int]string{}
		for _, ci := range cis {
			names[ci.ID] = ci.Name + "/" + string(ci.Kind)
		}
		rels, err := env.DB.Client.Relationship.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rels {
			got = append(got, names[r.FromID]+" "+string(r.Type)+" "+names[r.ToID])
		}
		slices.Sort(got)
		if want := []string{"cache/CONTAINER RUNS_ON hv01/SERVER", "web/VM RUNS_ON hv01/SERVER"}; len(cis) != 3 || !slices.Equal(got, want) {
			t.Errorf("%d CIs, relationships %q; want 3 and %q", len(cis), got, want)
		}
		// An edge to a key the submission lacks is refused, naming it.
		bad := ct
		bad.Relationships = []discovery.Relationship{{Type: "RUNS_ON", To: "local elsewhere"}}
		if _, err := submit(ctx, c, env.URL("/graphql"), "agents", []discovery.Observation{host, bad}, false); err == nil ||
			!strings.Contains(err.Error(), "observations[1].relationships[0].to") {
			t.Errorf("an edge to an unknown key: %v", err)
		}
	})
}

func TestGraphQLEndpoint(t *testing.T) {
	tests := map[string]string{
		"https://cairn.example.com":            "https://cairn.example.com/graphql",
		"https://cairn.example.com/":           "https://cairn.example.com/graphql",
		"http://127.0.0.1:8080/graphql":        "http://127.0.0.1:8080/graphql",
		" https://x.example.com/cairn/graphql": "https://x.example.com/cairn/graphql",
	}
	for in, want := range tests {
		u, err := graphqlEndpoint(in)
		if err != nil || u.String() != want {
			t.Errorf("graphqlEndpoint(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	if _, err := graphqlEndpoint("https://admin:pw@cairn.example.com"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("credentials in the URL: %v", err)
	}
}

func TestDiscoverLocalPlainHTTPWarning(t *testing.T) {
	// A non-loopback http URL draws a warning before anything is sent; the
	// empty --job stops the command before any request.
	t.Setenv("CAIRN_SERVER", "")
	_, errOut, err := runLocal(t, "--server", "http://192.0.2.1", "--token", testToken, "--job", "")
	if err == nil || !strings.Contains(err.Error(), "--job is empty") {
		t.Fatalf("err = %v, want --job is empty", err)
	}
	if !strings.Contains(errOut, "over plain http") {
		t.Errorf("no plain-http warning: %q", errOut)
	}
	_, errOut, _ = runLocal(t, "--server", "http://127.0.0.1:1", "--token", testToken, "--job", "")
	if strings.Contains(errOut, "plain http") {
		t.Errorf("warning for a loopback server: %q", errOut)
	}
}

// The mutation the agent sends is valid against the server's schema.
func TestSubmitMutationMatchesSchema(t *testing.T) {
	files, err := filepath.Glob("../../schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatalf("schema: %v", gerr)
	}
	if _, errs := gqlparser.LoadQuery(schema, client.SubmitObservations_Operation); len(errs) > 0 {
		t.Fatalf("the SubmitObservations operation does not validate against the schema: %v", errs)
	}
	// The variables as the agent builds them fit ObservationInput.
	in := schema.Types["ObservationInput"]
	if in == nil {
		t.Fatal("no ObservationInput in the schema")
	}
	b, _ := json.Marshal(toInput(discovery.Observation{Key: "k", Kind: "SERVER", Name: "n",
		Identifiers: []discovery.Identifier{{Kind: "HOSTNAME", Value: "n"}},
		Fields:      map[string]string{"hostname": "n"}, Facts: map[string]string{"a": "b"}, CompleteFacts: []string{"fs."},
		SeenAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}))
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k := range m {
		if in.Fields.ForName(k) == nil {
			t.Errorf("the agent sends %q, which ObservationInput lacks", k)
		}
	}
}

// readmeDiscoverLocal returns the arguments of the README's `cairn discover
// local` line in its command reference, after "discover local": the
// placeholders URL and T become server and token, an optional "[--flag
// value]" is kept (its value is the default the README shows), and
// "[--dry-run]" is left out (dry is true: it is kept).
func readmeDiscoverLocal(t *testing.T, server, token string, dry bool) []string {
	t.Helper()
	md, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "`cairn discover local --server URL --token T"
	var line string
	for _, l := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(l, "| "+prefix) {
			line = l
			break
		}
	}
	if line == "" {
		t.Fatalf("README.md has no command reference row starting %q", "| "+prefix)
	}
	cmdline, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
	fields := strings.Fields(strings.NewReplacer("[", " [ ", "]", " ] ").Replace(cmdline))
	if len(fields) < 3 || strings.Join(fields[:3], " ") != "cairn discover local" {
		t.Fatalf("README.md: %q does not start with cairn discover local", cmdline)
	}
	var args []string
	for i := 3; i < len(fields); i++ {
		switch f := fields[i]; f {
		case "[", "]":
		case "URL":
			args = append(args, server)
		case "T":
			args = append(args, token)
		case "--dry-run":
			if dry {
				args = append(args, f)
			}
		default:
			args = append(args, f)
		}
	}
	return args
}

// The README's `cairn discover local` line against a server over the demo
// estate (`cairn seed --demo`, as `make run` does), with a token made by
// `cairn token create` as the README makes its own: the dry run writes
// nothing, the first run creates this host as a DISCOVERED CI under the
// demo's push job "agents", the second matches it.
func TestDiscoverLocalReadmeExampleOnDemo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the local source reads /proc")
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		if out, err := runCairn(t, "seed", "--demo", "--db", dsn); err != nil {
			t.Fatalf("seed --demo: %v\n%s", err, out)
		}
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		out, err := runCairn(t, "token", "create", "--db", dsn, "--name", "laptop", "--role", "editor")
		if err != nil {
			t.Fatalf("token create: %v\n%s", err, out)
		}
		token := strings.TrimSpace(out)
		c := env.DB.Client
		host, err := os.Hostname()
		if err != nil {
			t.Fatal(err)
		}
		ciOf := func() []*ent.ConfigurationItem {
			t.Helper()
			cis, err := c.ConfigurationItem.Query().Where(configurationitem.Name(host)).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return cis
		}
		if cis := ciOf(); len(cis) != 0 {
			t.Fatalf("the demo estate already has a CI named %q: %v", host, cis)
		}

		args := readmeDiscoverLocal(t, env.URL(""), token, true)
		if !slices.Contains(args, "--dry-run") || !slices.Contains(args, "agents") {
			t.Fatalf("README's arguments %q: want --job agents and --dry-run", args)
		}
		stdout, stderr, err := runLocal(t, args...)
		if err != nil {
			t.Fatalf("discover local %q: %v\n%s%s", args, err, stdout, stderr)
		}
		flat := strings.Join(strings.Fields(stdout), " ")
		for _, want := range []string{"dry run (nothing written) job agents SUCCEEDED", "observed 1", "unregistered 1", "CREATE local " + host} {
			if !strings.Contains(flat, want) {
				t.Errorf("dry run output lacks %q:\n%s", want, stdout)
			}
		}
		if cis := ciOf(); len(cis) != 0 {
			t.Fatalf("the dry run created %v", cis)
		}

		args = readmeDiscoverLocal(t, env.URL(""), token, false)
		for run := 1; run <= 2; run++ {
			stdout, stderr, err = runLocal(t, append(args, "--json")...)
			if err != nil {
				t.Fatalf("run %d: discover local %q: %v\n%s%s", run, args, err, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, token) {
				t.Error("the token was printed")
			}
			var pushed client.PushedRun
			if err := json.Unmarshal([]byte(stdout), &pushed); err != nil {
				t.Fatalf("run %d: --json output: %v\n%s", run, err, stdout)
			}
			row, err := c.DiscoveryRun.Query().WithJob().Order(ent.Desc(discoveryrun.FieldID)).First(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if strconv.Itoa(row.ID) != pushed.Id || row.Status != discoveryrun.StatusSucceeded || row.DryRun ||
				row.SourceKind != "push" || row.Edges.Job == nil || row.Edges.Job.Name != "agents" {
				t.Errorf("run %d: row %+v (job %v), want the printed run %s, SUCCEEDED, push, job agents", run, row, row.Edges.Job, pushed.Id)
			}
			want := map[int]struct{ created, matched, unregistered int }{1: {1, 0, 1}, 2: {0, 1, 0}}[run]
			if got := row.Counts; got.Observed != 1 || got.Created != want.created || got.Matched != want.matched || got.Unregistered != want.unregistered {
				t.Errorf("run %d: counts %+v, want observed 1, created %d, matched %d, unregistered %d", run, got, want.created, want.matched, want.unregistered)
			}
			if pushed.Counts.Created != row.Counts.Created || pushed.Counts.Matched != row.Counts.Matched {
				t.Errorf("run %d: printed counts %+v differ from the row's %+v", run, pushed.Counts, row.Counts)
			}
			cis := ciOf()
			if len(cis) != 1 {
				t.Fatalf("run %d: %d CIs named %q, want 1", run, len(cis), host)
			}
			ci := cis[0]
			if ci.Kind != configurationitem.KindServer || ci.Status != configurationitem.StatusDiscovered || ci.LastSeenAt == nil {
				t.Errorf("run %d: CI kind %s status %s lastSeen %v, want a DISCOVERED SERVER, seen", run, ci.Kind, ci.Status, ci.LastSeenAt)
			}
			release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
			if got := ci.Facts["kernel.release"]; got != strings.TrimSpace(string(release)) {
				t.Errorf("run %d: CI fact kernel.release %v, want %q", run, got, strings.TrimSpace(string(release)))
			}
			if got, _ := ci.Facts["memory.total_bytes"].(string); got == "" {
				t.Errorf("run %d: CI facts %v lack memory.total_bytes", run, ci.Facts)
			}
		}
	})
}
