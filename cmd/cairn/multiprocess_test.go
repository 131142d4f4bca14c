package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestTwoServeProcessesOnePostgres runs the scale-out deployment:
// two `cairn serve` processes (the built binary, separate OS processes on
// loopback ports) on one fresh PostgreSQL database, both running the
// scheduler. It proves that
//   - read-only queries (a lookup, a list page and the next, impact,
//     incidentContext) answer byte for byte the same through either;
//   - a write through one process is seen by the very next request to the
//     other, which read the same thing just before the write (so a stale
//     cache anywhere fails), in both directions, several kinds of write;
//   - a token revoked through one process is refused by the other at once;
//   - a discovery job on a frequent schedule runs once per fire, not once
//     per process, and a job disabled through one process stops running in
//     the other.
func TestTwoServeProcessesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two cairn serve processes; not in -short")
	}
	dsn := storetest.PostgresDSN(t) // skips, or fails under CAIRN_LAB=1, without PostgreSQL
	dir := t.TempDir()
	bin := buildCairn(t, t.Context(), dir) // not timed: a cold build can take minutes
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Second)
	defer cancel()
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--db", dsn}, args...)...)
		cmd.Dir, cmd.Env = dir, cairnEnv()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cairn %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	cli("seed", "--demo")
	token := cli("token", "create", "--name", "multiprocess", "--role", "admin")

	// The discovery job's inventory, in both processes' discovery directory.
	discDir := filepath.Join(dir, "discovery")
	if err := os.MkdirAll(discDir, 0o700); err != nil {
		t.Fatal(err)
	}
	inv, err := os.ReadFile(filepath.Join("..", "..", "testdata", "discovery", "file", "hosts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(discDir, "hosts.csv"), string(inv))

	serveArgs := []string{"--db", dsn, "serve", "--discovery-dir", discDir,
		"--secret-key-file", filepath.Join(dir, "cairn-secret.key"), "--log-level", "debug"}
	a := startServe(t, ctx, bin, dir, "A", serveArgs)

	// The jobs are made through A before B starts, so both schedulers hold
	// them: one on a cron spec with seconds (every 3 s on the wall clock),
	// one "@every 4s" created half an interval before B starts (cron's own
	// @every counts from each process's start, so the two processes would
	// tick 2 s apart and each run it).
	const cronEvery, everyEvery = 3 * time.Second, 4 * time.Second
	newJob := func(name, schedule string) string {
		b := a.gql(t, ctx, token, `mutation($n: String!, $s: String!, $f: String!) { createDiscoveryJob(input: {name: $n,
			sourceKind: "file", config: {file: $f, delimiter: ";"}, schedule: $s, mode: REPORT}) { id } }`,
			map[string]any{"n": name, "s": schedule, "f": "hosts.csv"})
		return jsonString(t, b, "data", "createDiscoveryJob", "id")
	}
	cronJob := newJob("mp-cron", "*/3 * * * * *")
	everyJob := newJob("mp-every", "@every 4s")
	time.Sleep(everyEvery / 2)
	b := startServe(t, ctx, bin, dir, "B", serveArgs)
	bothUp := time.Now()
	procs := [2]*serveProc{a, b}

	t.Run("reads", func(t *testing.T) { sameReads(t, ctx, procs, token) })
	t.Run("writes", func(t *testing.T) { writesVisible(t, ctx, procs, token) })
	t.Run("revoke", func(t *testing.T) { revokeVisible(t, ctx, procs, token) })

	// At least three fires of each job with both processes up.
	if wait := time.Until(bothUp.Add(4*everyEvery + time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	t.Run("one run per fire", func(t *testing.T) {
		now := time.Now()
		checkOneRunPerFire(t, ctx, a, token, "*/3 * * * * *", cronJob, bothUp, now, cronEvery)
		checkOneRunPerFire(t, ctx, a, token, "@every 4s", everyJob, bothUp, now, everyEvery)
	})
	t.Run("disabled through A", func(t *testing.T) {
		a.gql(t, ctx, token, `mutation($id: ID!) { updateDiscoveryJob(id: $id, input: {enabled: false}) { id enabled } }`,
			map[string]any{"id": cronJob})
		// A run that began before the change may still finish.
		time.Sleep(cronEvery)
		before := scheduledRuns(t, ctx, a, token, cronJob)
		time.Sleep(2 * cronEvery)
		after := scheduledRuns(t, ctx, a, token, cronJob)
		if len(after) != len(before) {
			t.Errorf("the job was disabled through A, yet %d scheduled runs followed: %v", len(after)-len(before), after[len(before):])
		}
	})
}

// serveProc is one `cairn serve` process.
type serveProc struct {
	name string
	url  string
	log  *labBuffer
}

// buildCairn builds the cairn command into dir (the test runs in
// cmd/cairn). Without go on PATH it skips, or fails under CAIRN_LAB=1; a
// failed build fails.
func buildCairn(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CAIRN_LAB") == "1" {
			t.Fatalf("no go on PATH to build cairn: %v", err)
		}
		t.Skipf("no go on PATH to build cairn (CAIRN_LAB=1 makes this a failure): %v", err)
	}
	bin := filepath.Join(dir, "cairn")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building cairn: %v\n%s", err, out)
	}
	return bin
}

// startServe starts `cairn serve` on a free loopback port with its
// defaults (GC target included: GOGC is not set for it) and waits until it
// is ready; it is stopped with SIGTERM when the test ends.
func startServe(t *testing.T, ctx context.Context, bin, dir, name string, args []string) *serveProc {
	t.Helper()
	addr := freeAddrOn(t, "127.0.0.1")
	p := &serveProc{name: name, url: "http://" + addr, log: &labBuffer{}}
	cmd := exec.Command(bin, append(append([]string{}, args...), "--addr", addr)...)
	cmd.Dir = dir
	cmd.Env = withoutGOGC(cairnEnv())
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting cairn serve %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("cairn serve %s did not stop on SIGTERM in 20 s", name)
		}
		if t.Failed() {
			t.Logf("cairn serve %s's log:\n%s", name, p.log.String())
		}
	})
	waitFor(t, ctx, 30*time.Second, "cairn serve "+name+" to be ready", func() (bool, string) {
		select {
		case err := <-exited:
			t.Fatalf("cairn serve %s exited: %v\n%s", name, err, p.log.String())
		default:
		}
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	}, p.log)
	return p
}

// withoutGOGC drops GOGC, so serve sets its own GC target as in production.
func withoutGOGC(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOGC=") {
			out = append(out, kv)
		}
	}
	return out
}

// post sends a GraphQL request and returns the status and the body as
// received.
func (p *serveProc) post(ctx context.Context, token, query string, vars map[string]any) (int, []byte, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", p.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// gql sends a GraphQL request that must succeed without errors and returns
// its body.
func (p *serveProc) gql(t *testing.T, ctx context.Context, token, query string, vars map[string]any) []byte {
	t.Helper()
	status, b, err := p.post(ctx, token, query, vars)
	if err != nil {
		t.Fatalf("process %s: %v", p.name, err)
	}
	if status != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) {
		t.Fatalf("process %s answered %d: %s\nquery: %s", p.name, status, b, query)
	}
	return b
}

// jsonAt decodes body and walks path (object keys, or list indexes as
// ints).
func jsonAt(t *testing.T, body []byte, path ...any) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no %q in %s", k, body)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("no [%d] in %s", k, body)
			}
			v = l[k]
		}
	}
	return v
}

func jsonString(t *testing.T, body []byte, path ...any) string {
	t.Helper()
	s, ok := jsonAt(t, body, path...).(string)
	if !ok {
		t.Fatalf("%v is not a string in %s", path, body)
	}
	return s
}

const (
	mpLookup = `query($h: String!) { configurationItems(where: {hostname: $h}, first: 1) {
  edges { node { id name kind hostname description tags
    owner { name email oncallContact } vendor { name } services { name tier } identifiers { kind value } } } } }`
	mpPage = `query($after: Cursor) { configurationItems(first: 25, after: $after, orderBy: [{field: NAME}]) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name kind hostname owner { name } location { name } } } } }`
	mpImpact   = `query($id: ID!) { impact(ci: $id) { count truncated nodes { depth via ci { id name kind } } services { name } } }`
	mpIncident = `query($h: String!, $at: Time) { incidentContext(identifier: $h, asOf: $at) {
  matchedBy matchedValue ambiguous asOf ci { id name kind hostname }
  owner { name oncallContact escalation } services { name tier sloTarget runbookURL }
  dependents { count truncated nodes { depth ci { name } } } dependencies { count nodes { depth ci { name } } }
  vendor { name supportPhone } supportContracts { number slaResponseMinutes }
  warranty { active daysLeft } openDrifts { kind } recentChanges { action at } } }`
	mpOwners = `query($n: String!) { owners(where: {name: $n}) { totalCount edges { node { name email } } } }`
)

// demoHosts are demo CIs with a hostname, as the lookup finds them.
var demoHosts = []string{"ams2-app01", "ams2-db01", "ams2-esx01", "ams2-core-sw01", "ams2-bkp01"}

// sameReads: the same read-only queries answer byte for byte the same
// through both processes, asked in either order.
func sameReads(t *testing.T, ctx context.Context, procs [2]*serveProc, token string) {
	type read struct {
		name  string
		query string
		vars  map[string]any
	}
	// asOf is fixed: by default it is the time of the request.
	at := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	var reads []read
	for _, h := range demoHosts {
		body := procs[0].gql(t, ctx, token, mpLookup, map[string]any{"h": h})
		id, ok := jsonAt(t, body, "data", "configurationItems", "edges", 0, "node", "id").(string)
		if !ok {
			t.Fatalf("no demo CI with hostname %s: %s", h, body)
		}
		reads = append(reads,
			read{"lookup " + h, mpLookup, map[string]any{"h": h}},
			read{"impact " + h, mpImpact, map[string]any{"id": id}},
			read{"incidentContext " + h, mpIncident, map[string]any{"h": h, "at": at}})
	}
	// Every page of the list, following the cursors of process A.
	var after any
	for page := 0; ; page++ {
		vars := map[string]any{"after": after}
		reads = append(reads, read{fmt.Sprintf("list page %d", page), mpPage, vars})
		body := procs[0].gql(t, ctx, token, mpPage, vars)
		if more, _ := jsonAt(t, body, "data", "configurationItems", "pageInfo", "hasNextPage").(bool); !more {
			if page < 3 {
				t.Fatalf("the demo estate has %d pages of 25 CIs, want more", page+1)
			}
			break
		}
		after = jsonString(t, body, "data", "configurationItems", "pageInfo", "endCursor")
	}
	for round := range 2 {
		for _, r := range reads {
			first, second := procs[round%2], procs[1-round%2]
			x := first.gql(t, ctx, token, r.query, r.vars)
			y := second.gql(t, ctx, token, r.query, r.vars)
			if !bytes.Equal(x, y) {
				t.Errorf("%s: process %s and %s answer differently:\n%s: %s\n%s: %s", r.name, first.name, second.name, first.name, x, second.name, y)
			}
		}
	}
	t.Logf("%d read-only queries answered byte for byte the same through both processes, twice", len(reads))
}

// writesVisible: writes through one process, each seen by the very next
// request to the other, which read the same thing just before the write.
// The direction alternates.
func writesVisible(t *testing.T, ctx context.Context, procs [2]*serveProc, token string) {
	id := func(p *serveProc, h string) string {
		return jsonString(t, p.gql(t, ctx, token, mpLookup, map[string]any{"h": h}), "data", "configurationItems", "edges", 0, "node", "id")
	}
	app, db := id(procs[0], "ams2-app02"), id(procs[0], "ams2-db02")
	var relID string // the relationship added last, removed by the next round
	const rounds = 40
	for i := range rounds {
		w, r := procs[i%2], procs[1-i%2]
		// what reads the state the write changes; check says whether a body
		// shows the write.
		var (
			name  string
			read  func() []byte
			write func()
			check func(body []byte) bool
		)
		switch i % 5 {
		case 0: // a field of a CI: the lookup
			desc := fmt.Sprintf("written through %s in round %d", w.name, i)
			name = "updateConfigurationItem description"
			read = func() []byte { return r.gql(t, ctx, token, mpLookup, map[string]any{"h": "ams2-app02"}) }
			write = func() {
				w.gql(t, ctx, token, `mutation($id: ID!, $d: String!) { updateConfigurationItem(id: $id, input: {description: $d}) { id } }`,
					map[string]any{"id": app, "d": desc})
			}
			check = func(b []byte) bool {
				return jsonAt(t, b, "data", "configurationItems", "edges", 0, "node", "description") == desc
			}
		case 1: // a relationship added: impact of its target
			name = "addRelationship"
			read = func() []byte { return r.gql(t, ctx, token, mpImpact, map[string]any{"id": db}) }
			write = func() {
				b := w.gql(t, ctx, token, `mutation($from: ID!, $to: ID!) { addRelationship(from: $from, to: $to, type: USES) { id } }`,
					map[string]any{"from": app, "to": db})
				relID = jsonString(t, b, "data", "addRelationship", "id")
			}
			check = func(b []byte) bool { return impactHas(t, b, app, "USES") }
		case 2: // and removed again
			name = "removeRelationship"
			read = func() []byte { return r.gql(t, ctx, token, mpImpact, map[string]any{"id": db}) }
			write = func() {
				w.gql(t, ctx, token, `mutation($id: ID!) { removeRelationship(id: $id) }`, map[string]any{"id": relID})
			}
			check = func(b []byte) bool { return !impactHas(t, b, app, "USES") }
		case 3: // a new owner: the owners list
			owner := fmt.Sprintf("Owner of round %d", i)
			name = "createOwner"
			read = func() []byte { return r.gql(t, ctx, token, mpOwners, map[string]any{"n": owner}) }
			write = func() {
				w.gql(t, ctx, token, `mutation($n: String!) { createOwner(input: {name: $n, kind: TEAM, oncallContact: "+31 20 555 0100"}) { id } }`,
					map[string]any{"n": owner})
			}
			check = func(b []byte) bool {
				return jsonAt(t, b, "data", "owners", "totalCount") == float64(1) &&
					jsonAt(t, b, "data", "owners", "edges", 0, "node", "name") == owner
			}
		case 4: // the CI's owner set to that owner: incidentContext
			owner := fmt.Sprintf("Owner of round %d", i-1)
			name = "updateConfigurationItem ownerID"
			read = func() []byte {
				return r.gql(t, ctx, token, mpIncident, map[string]any{"h": "ams2-app02", "at": nil})
			}
			write = func() {
				ids := w.gql(t, ctx, token, `query($n: String!) { owners(where: {name: $n}) { edges { node { id } } } }`, map[string]any{"n": owner})
				w.gql(t, ctx, token, `mutation($id: ID!, $o: ID!) { updateConfigurationItem(id: $id, input: {ownerID: $o}) { id } }`,
					map[string]any{"id": app, "o": jsonString(t, ids, "data", "owners", "edges", 0, "node", "id")})
			}
			check = func(b []byte) bool { return jsonAt(t, b, "data", "incidentContext", "owner", "name") == owner }
		}
		// Warm: the reader (and the writer) read it first.
		if before := read(); check(before) {
			t.Fatalf("round %d (%s): process %s shows the write before it was made: %s", i, name, r.name, before)
		}
		write()
		if after := read(); !check(after) {
			t.Errorf("round %d: %s through %s, but the next request to %s does not show it: %s", i, name, w.name, r.name, after)
		}
	}
	t.Logf("%d writes, each seen by the next request to the other process", rounds)
}

// impactHas says whether an impact answer reaches CI id directly, through a
// relationship of type via.
func impactHas(t *testing.T, body []byte, id, via string) bool {
	nodes, _ := jsonAt(t, body, "data", "impact", "nodes").([]any)
	for _, n := range nodes {
		m, _ := n.(map[string]any)
		ci, _ := m["ci"].(map[string]any)
		if ci["id"] == id && m["via"] == via && m["depth"] == float64(1) {
			return true
		}
	}
	return false
}

// revokeWithin bounds how long a process may still accept a token revoked
// through another: the revoking transaction's NOTIFY reaches the other
// process's listener asynchronously, in about a millisecond on an idle
// machine (the next request is refused); under CI's load it was seen
// later than the very next request. Before the notification, 5 s (the
// token cache's lifetime).
const revokeWithin = 2 * time.Second

// revokeVisible: a token deleted through one process is refused by the
// other within revokeWithin, although that one had just accepted (and
// cached) it: the deleting transaction's NOTIFY (internal/app's trigger on
// api_tokens) empties every listening process's cache of valid tokens.
func revokeVisible(t *testing.T, ctx context.Context, procs [2]*serveProc, admin string) {
	for i := range 2 {
		w, r := procs[i%2], procs[1-i%2]
		b := w.gql(t, ctx, admin, `mutation($n: String!) { createAPIToken(name: $n, role: VIEWER) { token apiToken { id } } }`,
			map[string]any{"n": fmt.Sprintf("revoked-%d", i)})
		secret := jsonString(t, b, "data", "createAPIToken", "token")
		tokID := jsonString(t, b, "data", "createAPIToken", "apiToken", "id")
		// Accepted by the other process, and cached if anything caches.
		if name := jsonString(t, r.gql(t, ctx, secret, `{ viewer { name } }`, nil), "data", "viewer", "name"); name != fmt.Sprintf("revoked-%d", i) {
			t.Fatalf("the new token is %q on %s", name, r.name)
		}
		w.gql(t, ctx, admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tokID})
		revoked := time.Now()
		accepted := 0
		for {
			status, body, err := r.post(ctx, secret, `{ viewer { name } }`, nil)
			if err != nil {
				t.Fatal(err)
			}
			if status == http.StatusUnauthorized {
				break
			}
			if status != http.StatusOK {
				t.Fatalf("%s answered %d: %s", r.name, status, body)
			}
			accepted++
			if time.Since(revoked) > revokeWithin {
				t.Fatalf("token revoked through %s, but %s still accepts it %s later (%d requests)", w.name, r.name, revokeWithin, accepted)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if accepted > 0 {
			t.Logf("token revoked through %s: %s accepted it %d more times, for %s (the NOTIFY's delivery)",
				w.name, r.name, accepted, time.Since(revoked).Round(time.Millisecond))
		}
	}
}

// scheduledRun is a run the scheduler started.
type scheduledRun struct {
	Started time.Time
	Holder  string
	Status  string
}

func (r scheduledRun) String() string {
	return fmt.Sprintf("%s by %s (%s)", r.Started.Format("15:04:05.000"), r.Holder, r.Status)
}

// scheduledRuns lists the job's scheduled runs, oldest first.
func scheduledRuns(t *testing.T, ctx context.Context, p *serveProc, token, jobID string) []scheduledRun {
	t.Helper()
	b := p.gql(t, ctx, token, `query($id: ID!) { discoveryRuns(first: 500, where: {discoveryJobID: $id, trigger: "schedule"}) {
		edges { node { startedAt holder status } } } }`, map[string]any{"id": jobID})
	var resp struct {
		Data struct {
			DiscoveryRuns struct {
				Edges []struct {
					Node struct {
						StartedAt time.Time
						Holder    string
						Status    string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	var out []scheduledRun
	for _, e := range resp.Data.DiscoveryRuns.Edges {
		out = append(out, scheduledRun{e.Node.StartedAt, e.Node.Holder, e.Node.Status})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// checkOneRunPerFire: each fire of the schedule between from and to (every
// `every` on the wall clock) produced exactly one scheduled run.
func checkOneRunPerFire(t *testing.T, ctx context.Context, p *serveProc, token, spec, jobID string, from, to time.Time, every time.Duration) {
	t.Helper()
	runs := scheduledRuns(t, ctx, p, token, jobID)
	perFire := map[int64][]scheduledRun{} // by the fire's Unix second
	holders := map[string]int{}
	for _, r := range runs {
		f := r.Started.Truncate(every).Unix()
		perFire[f] = append(perFire[f], r)
		holders[r.Holder]++
		if r.Status != "SUCCEEDED" {
			t.Errorf("run %s: status %s, want SUCCEEDED", r, r.Status)
		}
	}
	fires := 0
	// Fires well inside the window: B's scheduler was started when it
	// answered ready, and the last fire's run may still be starting.
	for f := from.Truncate(every).Add(every); f.Before(to.Add(-time.Second)); f = f.Add(every) {
		fires++
		if got := perFire[f.Unix()]; len(got) != 1 {
			t.Errorf("%s: the fire at %s produced %d runs, want 1: %v", spec, f.Format("15:04:05"), len(got), got)
		}
		delete(perFire, f.Unix())
	}
	for f, got := range perFire { // fires outside the window: never two
		if len(got) > 1 {
			t.Errorf("%s: the fire at %s produced %d runs, want 1: %v", spec, time.Unix(f, 0).Format("15:04:05"), len(got), got)
		}
	}
	if fires < 3 {
		t.Fatalf("%s: only %d fires between %s and %s", spec, fires, from, to)
	}
	t.Logf("%s: %d fires with both processes up, one run each; %d scheduled runs in all, by holder: %v", spec, fires, len(runs), holders)
}
