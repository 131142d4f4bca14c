package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func nmapFixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "discovery", "nmap", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const createJobMutation = `mutation($in: CreateDiscoveryJobInput!) {
  createDiscoveryJob(input: $in) { id name sourceKind hasCredentials config mode schedule timeZone nextRuns(count: 2)
    scope { targets kinds } }
}`

const runJobMutation = `mutation($id: ID!, $dry: Boolean) {
  runDiscoveryJob(id: $id, dryRun: $dry) {
    id status dryRun error
    counts { observed matched created filled updated unchanged driftsOpened driftsUpdated driftsResolved missing unregistered }
    changes { action field before after driftKind matchedBy configurationItem { name } }
  }
}`

type runResult struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	DryRun bool    `json:"dryRun"`
	Error  *string `json:"error"`
	Counts struct {
		Observed, Matched, Created, Filled, Updated, Unchanged int
		DriftsOpened, DriftsUpdated, DriftsResolved, Missing   int
		Unregistered                                           int
	} `json:"counts"`
	Changes []struct {
		Action, Field, Before, After string
		DriftKind, MatchedBy         *string
		ConfigurationItem            *struct{ Name string }
	} `json:"changes"`
}

func runJob(t *testing.T, env *servertest.Env, id string, dry bool) runResult {
	t.Helper()
	var out struct {
		RunDiscoveryJob runResult `json:"runDiscoveryJob"`
	}
	env.Do(t, env.Admin, runJobMutation, map[string]any{"id": id, "dry": dry}).OK(t).Decode(t, &out)
	return out.RunDiscoveryJob
}

func TestDiscoveryJobsOverGraphQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true, CountStatements: true})
		ctx := context.Background()
		var ciID int
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("loopback").SetKind(configurationitem.KindServer).
				SetHostname("labhost").Save(ctx)
			ciID = ci.ID
			return err
		})

		// Validation: each bad input names its field.
		bad := []struct {
			name  string
			in    map[string]any
			field string
			msg   string
		}{
			{"unknown kind", map[string]any{"name": "x", "sourceKind": "ftp"}, "sourceKind", `unknown source kind "ftp"`},
			{"missing file", map[string]any{"name": "x", "sourceKind": "nmap", "config": map[string]any{}}, "config", "file: is required"},
			{"unknown setting", map[string]any{"name": "x", "sourceKind": "nmap", "config": map[string]any{"file": "a", "flie": "b"}}, "config", `unknown field "flie"`},
			{"bad cron", map[string]any{"name": "x", "sourceKind": "nmap", "config": map[string]any{"file": "a"}, "schedule": "61 * * * *"}, "schedule", "61"},
			{"bad zone", map[string]any{"name": "x", "sourceKind": "nmap", "config": map[string]any{"file": "a"}, "schedule": "@daily", "timeZone": "Mars/Base"}, "timeZone", "Mars/Base"},
			{"bad priority", map[string]any{"name": "x", "sourceKind": "nmap", "config": map[string]any{"file": "a"}, "fieldPriorities": map[string]any{"facts.*": "high"}}, "fieldPriorities", "must be a number"},
		}
		for _, tc := range bad {
			e := env.Do(t, env.Admin, createJobMutation, map[string]any{"in": tc.in}).Err(t)
			if e.Code() != "BAD_USER_INPUT" || e.Field() != tc.field || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("%s: got %s field=%q %q, want BAD_USER_INPUT on %s containing %q", tc.name, e.Code(), e.Field(), e.Message, tc.field, tc.msg)
			}
		}
		in := map[string]any{
			"name": "loopback-scan", "sourceKind": "nmap",
			"config":      map[string]any{"file": nmapFixture(t, "lab.xml")},
			"credentials": map[string]any{"password": "s3cret-pw"},
			"schedule":    "0 */6 * * *", "timeZone": "Europe/Berlin",
			"scope": map[string]any{"targets": []string{"127.0.0.9"}, "kinds": []string{"SERVER"}},
		}
		if e := env.Do(t, env.Editor, createJobMutation, map[string]any{"in": in}).Err(t); e.Code() != "FORBIDDEN" {
			t.Fatalf("editor creating a job: %s %q, want FORBIDDEN", e.Code(), e.Message)
		}
		resp := env.Do(t, env.Admin, createJobMutation, map[string]any{"in": in}).OK(t)
		if strings.Contains(string(resp.Body), "s3cret-pw") {
			t.Fatalf("credentials returned: %s", resp.Body)
		}
		var created struct {
			CreateDiscoveryJob struct {
				ID             string   `json:"id"`
				HasCredentials bool     `json:"hasCredentials"`
				Mode           string   `json:"mode"`
				NextRuns       []string `json:"nextRuns"`
				Scope          struct{ Targets, Kinds []string }
			} `json:"createDiscoveryJob"`
		}
		resp.Decode(t, &created)
		job := created.CreateDiscoveryJob
		if !job.HasCredentials || job.Mode != "REPORT" || len(job.NextRuns) != 2 || job.Scope.Targets[0] != "127.0.0.9" {
			t.Fatalf("created job = %+v", job)
		}
		sealed, err := env.DB.Client.DiscoveryJob.Query().Only(ctx)
		if err != nil || sealed.CredentialsSealed == nil || strings.Contains(string(*sealed.CredentialsSealed), "s3cret-pw") {
			t.Fatalf("credentials at rest: %v %v", sealed, err)
		}
		// A viewer cannot list jobs.
		if e := env.Do(t, env.Viewer, `{ discoveryJobs { totalCount } }`, nil).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer listing jobs: %s", e.Code())
		}

		// Dry run: the changes, nothing written.
		before, _ := env.DB.Client.AuditEvent.Query().Count(ctx)
		dry := runJob(t, env, job.ID, true)
		if !dry.DryRun || dry.Status != "SUCCEEDED" || dry.Counts.Matched != 1 || dry.Counts.Filled != 7 {
			t.Fatalf("dry run = %+v", dry)
		}
		if dry.Changes[0].Action != "FILL" || dry.Changes[0].ConfigurationItem == nil || dry.Changes[0].ConfigurationItem.Name != "loopback" || *dry.Changes[0].MatchedBy != "HOSTNAME" {
			t.Errorf("dry run first change = %+v", dry.Changes[0])
		}
		after, _ := env.DB.Client.AuditEvent.Query().Count(ctx)
		runs, _ := env.DB.Client.DiscoveryRun.Query().Count(ctx)
		if after != before || runs != 0 {
			t.Fatalf("dry run wrote: audit %d→%d, runs %d", before, after, runs)
		}

		// First run fills six port facts and the IP identifier.
		first := runJob(t, env, job.ID, false)
		if first.Status != "SUCCEEDED" || first.Counts.Filled != 7 || first.Counts.DriftsOpened != 0 {
			t.Fatalf("first run = %+v", first.Counts)
		}
		ci := env.DB.Client.ConfigurationItem.GetX(ctx, ciID)
		if ci.Facts["port.tcp.6379"] != "redis Redis key-value store 7.0.15" || ci.LastSeenAt == nil {
			t.Fatalf("facts after first run: %v, last seen %v", ci.Facts, ci.LastSeenAt)
		}
		if p := ci.Provenance["facts.port.tcp.6379"]; p.By != "discovery:loopback-scan" {
			t.Errorf("provenance = %+v", p)
		}
		n, _ := env.DB.Client.AuditEvent.Query().Where(auditevent.EntityID(ciID), auditevent.Actor("discovery:loopback-scan")).Count(ctx)
		if n != 1 {
			t.Errorf("audit events by the job on the CI: %d, want 1", n)
		}
		// The same scan again changes nothing.
		again := runJob(t, env, job.ID, false)
		if again.Counts.Filled != 0 || again.Counts.DriftsOpened != 0 || again.Counts.Unchanged != 1 {
			t.Fatalf("identical second run = %+v", again.Counts)
		}

		// Port 8080 opens: exactly one drift.
		upd := env.Do(t, env.Admin, `mutation($id: ID!, $f: String!) { updateDiscoveryJob(id: $id, input: {config: {file: $f}}) { id hasCredentials } }`,
			map[string]any{"id": job.ID, "f": nmapFixture(t, "lab-port-opened.xml")}).OK(t)
		if !strings.Contains(string(upd.Data), `"hasCredentials":true`) {
			t.Errorf("update dropped credentials: %s", upd.Data)
		}
		opened := runJob(t, env, job.ID, false)
		if opened.Counts.DriftsOpened != 1 || opened.Counts.Filled != 0 {
			t.Fatalf("port-opened run = %+v", opened.Counts)
		}
		var drifts struct {
			Drifts struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID, Kind, Status, Field, Recorded, Observed string
						Authorized                                  bool
						ConfigurationItem                           struct{ Name string }
						Job                                         struct{ Name string }
					}
				}
			}
		}
		env.Do(t, env.Viewer, `{ drifts(where: {status: OPEN, hasJobWith: {name: "loopback-scan"}}) { totalCount edges { node {
			id kind status field recorded observed authorized configurationItem { name } job { name } } } } }`, nil).OK(t).Decode(t, &drifts)
		if drifts.Drifts.TotalCount != 1 {
			t.Fatalf("open drifts = %+v", drifts)
		}
		d := drifts.Drifts.Edges[0].Node
		if d.Kind != "ATTRIBUTE_CHANGED" || d.Field != "facts.port.tcp.8080" || d.Recorded != "" ||
			d.Observed != "http SimpleHTTPServer 0.6 Python 3.11.7" ||
			d.Authorized || d.ConfigurationItem.Name != "loopback" || d.Job.Name != "loopback-scan" {
			t.Fatalf("drift = %+v", d)
		}
		// Re-detection updates the same drift.
		if re := runJob(t, env, job.ID, false); re.Counts.DriftsOpened != 0 || re.Counts.DriftsUpdated != 1 {
			t.Fatalf("re-detection = %+v", re.Counts)
		}

		var sum struct {
			DriftSummary struct {
				Opened, Open, Unauthorized int
				ByKind                     []struct {
					Key   string
					Count int
				}
			}
		}
		env.Do(t, env.Viewer, `{ driftSummary { opened open unauthorized byKind { key count } } }`, nil).OK(t).Decode(t, &sum)
		if sum.DriftSummary.Open != 1 || sum.DriftSummary.Opened != 1 || sum.DriftSummary.Unauthorized != 1 ||
			len(sum.DriftSummary.ByKind) != 1 || sum.DriftSummary.ByKind[0].Key != "ATTRIBUTE_CHANGED" {
			t.Errorf("driftSummary = %+v", sum.DriftSummary)
		}

		ack := `mutation($id: ID!) { acknowledgeDrift(id: $id, note: "expected: demo web server") { status note acknowledgedBy } }`
		if e := env.Do(t, env.Viewer, ack, map[string]any{"id": d.ID}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer acknowledging: %s", e.Code())
		}
		ackd := env.Do(t, env.Editor, ack, map[string]any{"id": d.ID}).OK(t)
		if !strings.Contains(string(ackd.Data), `"status":"ACKNOWLEDGED"`) || !strings.Contains(string(ackd.Data), servertest.EditorName) {
			t.Errorf("acknowledge = %s", ackd.Data)
		}
		acc := env.Do(t, env.Editor, `mutation($id: ID!) { acceptDrift(id: $id) { status resolvedAt } }`, map[string]any{"id": d.ID}).OK(t)
		if !strings.Contains(string(acc.Data), `"status":"ACCEPTED"`) {
			t.Errorf("accept = %s", acc.Data)
		}
		ci = env.DB.Client.ConfigurationItem.GetX(ctx, ciID)
		if !strings.HasPrefix(ci.Facts["port.tcp.8080"].(string), "http") {
			t.Errorf("accepted fact missing: %v", ci.Facts)
		}
		var prov struct {
			Node struct {
				Provenance []struct {
					Field, By string
					Priority  int
				}
			}
		}
		env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on ConfigurationItem { provenance { field by priority } } } }`,
			map[string]any{"id": ciID}).OK(t).Decode(t, &prov)
		var fields []string
		for _, p := range prov.Node.Provenance {
			fields = append(fields, p.Field+"="+p.By)
		}
		if got := strings.Join(fields, ","); !strings.Contains(got, "facts.port.tcp.8080="+servertest.EditorName) ||
			!strings.Contains(got, "facts.port.tcp.1883=discovery:loopback-scan") || !strings.Contains(got, "hostname="+servertest.SetupActor) {
			t.Errorf("provenance over GraphQL = %s", got)
		}
		if ci.Provenance["facts.port.tcp.8080"].By != servertest.EditorName {
			t.Errorf("provenance after accept = %+v", ci.Provenance["facts.port.tcp.8080"])
		}
		if e := env.Do(t, env.Editor, `mutation($id: ID!) { acceptDrift(id: $id) { status } }`, map[string]any{"id": d.ID}).Err(t); e.Code() != "CONFLICT" {
			t.Errorf("accepting twice: %s", e.Code())
		}
		// Record and reality agree now: the next run is quiet.
		if quiet := runJob(t, env, job.ID, false); quiet.Counts.DriftsOpened != 0 || quiet.Counts.DriftsUpdated != 0 || quiet.Counts.Unchanged != 1 {
			t.Fatalf("run after accept = %+v", quiet.Counts)
		}

		// Runs list with their changes and CIs, in a constant number of statements.
		q := `{ discoveryRuns(first: 10, orderBy: [{field: STARTED_AT, direction: DESC}]) { totalCount edges { node {
			status counts { observed } duration job { name } changes { action configurationItem { name } } } } } }`
		env.Counter.Reset()
		var runsResp struct {
			DiscoveryRuns struct{ TotalCount int } `json:"discoveryRuns"`
		}
		env.Do(t, env.Admin, q, nil).OK(t).Decode(t, &runsResp)
		if runsResp.DiscoveryRuns.TotalCount != 5 {
			t.Errorf("runs = %d, want 5 (the dry run is not stored)", runsResp.DiscoveryRuns.TotalCount)
		}
		if got := env.Counter.Count(); got > 16 {
			t.Errorf("listing 6 runs with changes took %d statements", got)
		}
	})
}

func TestDriftIgnoreRulesAndMergeOverGraphQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		create := `mutation($in: CreateDriftIgnoreRuleInput!) { createDriftIgnoreRule(input: $in) { id name fieldPattern enabled } }`
		bad := []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"name": "everything"}, "fieldPattern"},
			{map[string]any{"name": "k", "ciKind": "TOASTER"}, "ciKind"},
			{map[string]any{"name": "d", "driftKind": "SIDEWAYS"}, "driftKind"},
			{map[string]any{"name": "p", "fieldPattern": "facts.[port"}, "fieldPattern"},
		}
		for _, tc := range bad {
			if e := env.Do(t, env.Editor, create, map[string]any{"in": tc.in}).Err(t); e.Code() != "BAD_USER_INPUT" || e.Field() != tc.field {
				t.Errorf("rule %v: %s on %q (%s), want BAD_USER_INPUT on %s", tc.in, e.Code(), e.Field(), e.Message, tc.field)
			}
		}
		if e := env.Do(t, env.Viewer, create, map[string]any{"in": map[string]any{"name": "v", "fieldPattern": "x"}}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer creating a rule: %s", e.Code())
		}
		var rule struct {
			CreateDriftIgnoreRule struct{ ID, Name, FieldPattern string }
		}
		env.Do(t, env.Editor, create, map[string]any{"in": map[string]any{"name": "ports", "fieldPattern": "facts.port.*"}}).OK(t).Decode(t, &rule)
		if rule.CreateDriftIgnoreRule.FieldPattern != "facts.port.*" {
			t.Fatalf("rule = %+v", rule)
		}
		// Clearing the only criterion is refused too.
		if e := env.Do(t, env.Editor, `mutation($id: ID!) { updateDriftIgnoreRule(id: $id, input: {clearFieldPattern: true}) { id } }`,
			map[string]any{"id": rule.CreateDriftIgnoreRule.ID}).Err(t); e.Code() != "BAD_USER_INPUT" {
			t.Errorf("clearing the last criterion: %s", e.Code())
		}

		// Merge two records of one machine.
		var keep, remove int
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			a, err := tx.ConfigurationItem.Create().SetName("web-01").SetKind(configurationitem.KindServer).SetHostname("web-01").Save(ctx)
			if err != nil {
				return err
			}
			b, err := tx.ConfigurationItem.Create().SetName("web-01 (dup)").SetKind(configurationitem.KindServer).
				SetSerialNumber("SN-778899").Save(ctx)
			if err != nil {
				return err
			}
			keep, remove = a.ID, b.ID
			return nil
		})
		merge := `mutation($k: ID!, $r: ID!, $dry: Boolean) { mergeConfigurationItems(keep: $k, remove: $r, dryRun: $dry) {
			configurationItem { name hostname serialNumber identifiers { kind value } }
			dryRun plan { keep { id } remove { id } moves { what count } conflicts { what detail resolution } } } }`
		if e := env.Do(t, env.Viewer, merge, map[string]any{"k": keep, "r": remove}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer merging: %s", e.Code())
		}
		if e := env.Do(t, env.Editor, merge, map[string]any{"k": keep, "r": keep}).Err(t); e.Code() != "BAD_USER_INPUT" {
			t.Errorf("merging a CI into itself: %s", e.Code())
		}
		type mergeResult struct {
			MergeConfigurationItems struct {
				ConfigurationItem struct {
					Name, Hostname, SerialNumber string
					Identifiers                  []struct{ Kind, Value string }
				}
				DryRun bool
				Plan   struct {
					Keep, Remove struct{ ID string }
					Moves        []struct {
						What  string
						Count int
					}
					Conflicts []struct{ What, Detail, Resolution string }
				}
			}
		}
		ctx := context.Background()
		eventsBefore, _ := env.DB.Client.AuditEvent.Query().Count(ctx)
		// A viewer may look at the plan of a merge no more than do one.
		if e := env.Do(t, env.Viewer, merge, map[string]any{"k": keep, "r": remove, "dry": true}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer planning a merge: %s", e.Code())
		}
		var planned mergeResult
		env.Do(t, env.Editor, merge, map[string]any{"k": keep, "r": remove, "dry": true}).OK(t).Decode(t, &planned)
		p := planned.MergeConfigurationItems
		moves := map[string]int{}
		for _, mv := range p.Plan.Moves {
			moves[mv.What] = mv.Count
		}
		// The serial number fills keep's empty field, which records it as
		// keep's identifier; the create event of remove moves.
		if !p.DryRun || p.Plan.Keep.ID != fmt.Sprint(keep) || p.Plan.Remove.ID != fmt.Sprint(remove) ||
			moves["FIELD"] != 1 || moves["IDENTIFIER"] != 1 || moves["AUDIT_EVENT"] != 1 || len(p.Plan.Conflicts) != 0 ||
			p.ConfigurationItem.SerialNumber != "" {
			t.Fatalf("dry run = %+v", p)
		}
		if n, _ := env.DB.Client.ConfigurationItem.Query().Where(configurationitem.ID(remove)).Count(ctx); n != 1 {
			t.Fatal("a dry run deleted the CI to remove")
		}
		if n, _ := env.DB.Client.AuditEvent.Query().Count(ctx); n != eventsBefore {
			t.Fatalf("a dry run wrote %d audit events", n-eventsBefore)
		}
		var merged mergeResult
		env.Do(t, env.Editor, merge, map[string]any{"k": keep, "r": remove}).OK(t).Decode(t, &merged)
		m := merged.MergeConfigurationItems.ConfigurationItem
		if merged.MergeConfigurationItems.DryRun || m.Name != "web-01" || m.Hostname != "web-01" || m.SerialNumber != "SN-778899" || len(m.Identifiers) != 2 {
			t.Fatalf("merged = %+v", merged.MergeConfigurationItems)
		}
		if n, _ := env.DB.Client.ConfigurationItem.Query().Where(configurationitem.ID(remove)).Count(ctx); n != 0 {
			t.Error("the removed CI still exists")
		}
		events, _ := env.DB.Client.AuditEvent.Query().Where(auditevent.EntityType("ConfigurationItem"), auditevent.EntityID(keep)).All(ctx)
		var sawCreateOfRemoved, sawMerge bool
		for _, e := range events {
			for _, c := range e.Changes {
				if c.Field == "merged_from" {
					sawMerge = e.Actor == servertest.EditorName
				}
				if c.Field == "serial_number" && c.After == "SN-778899" && e.Action == auditevent.ActionCreate {
					sawCreateOfRemoved = true
				}
			}
		}
		if !sawMerge || !sawCreateOfRemoved {
			t.Errorf("audit trail of the kept CI: merge event %v, removed CI's history moved %v", sawMerge, sawCreateOfRemoved)
		}
	})
}

// TestCreatedJobIsScheduled: a job created through GraphQL is on the
// scheduler as soon as its transaction commits.
func TestCreatedJobIsScheduled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		env.StartScheduler(t)
		env.Do(t, env.Admin, createJobMutation, map[string]any{"in": map[string]any{
			"name": "every-second", "sourceKind": "nmap", "schedule": "* * * * * *",
			"config": map[string]any{"file": nmapFixture(t, "lab.xml")},
		}}).OK(t)
		deadline := time.Now().Add(4 * time.Second)
		for {
			n, err := env.DB.Client.DiscoveryRun.Query().Where(discoveryrun.Trigger("schedule")).Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the job created through GraphQL did not run on its per-second schedule within 4 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func TestSubmitObservations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		var created struct {
			CreateDiscoveryJob struct{ ID string }
		}
		env.Do(t, env.Admin, createJobMutation, map[string]any{"in": map[string]any{"name": "agents", "sourceKind": "push", "createUnregistered": true}}).OK(t).Decode(t, &created)
		submit := `mutation($job: String!, $obs: [ObservationInput!]!) { submitObservations(job: $job, observations: $obs) {
			status error counts { observed matched created filled driftsOpened missing } } }`
		host := func(name, mem string) map[string]any {
			return map[string]any{
				"key": "local " + name, "kind": "SERVER", "name": name,
				"identifiers": []map[string]any{{"kind": "HOSTNAME", "value": name}, {"kind": "UUID", "value": "6f1c2a4e-0b7d-4e7a-9c55-" + map[string]string{"app-01": "000000000001", "app-02": "000000000002"}[name]}},
				"fields":      map[string]any{"hostname": name},
				"facts":       map[string]any{"memory.total_bytes": mem, "os.id": "debian"},
			}
		}
		type counts struct {
			SubmitObservations struct {
				Status string
				Error  *string
				Counts struct{ Observed, Matched, Created, Filled, DriftsOpened, Missing int }
			}
		}
		var c counts
		if e := env.Do(t, env.Viewer, submit, map[string]any{"job": "agents", "obs": []any{host("app-01", "1024")}}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer submitting: %s", e.Code())
		}
		env.Do(t, env.Editor, submit, map[string]any{"job": "agents", "obs": []any{host("app-01", "1024"), host("app-02", "2048")}}).OK(t).Decode(t, &c)
		if got := c.SubmitObservations; got.Status != "SUCCEEDED" || got.Counts.Created != 2 || got.Counts.Observed != 2 {
			t.Fatalf("first submission = %+v", got)
		}
		// app-01 alone, with more memory: a drift on app-01, app-02 not missing.
		env.Do(t, env.Editor, submit, map[string]any{"job": "agents", "obs": []any{host("app-01", "2048")}}).OK(t).Decode(t, &c)
		if got := c.SubmitObservations; got.Counts.Matched != 1 || got.Counts.DriftsOpened != 1 || got.Counts.Missing != 0 {
			t.Fatalf("second submission = %+v", got)
		}
		bad := []struct {
			job   string
			obs   []any
			field string
		}{
			{"nope", []any{host("x", "1")}, "job"},
			{"agents", []any{}, "observations"},
			{"agents", []any{map[string]any{"key": "", "kind": "SERVER", "name": "x"}}, "observations[0]"},
			{"agents", []any{map[string]any{"key": "k", "kind": "SERVER", "name": "x", "facts": map[string]any{"n": 1}}}, "observations[0].facts"},
			{"agents", []any{map[string]any{"key": "k", "kind": "SERVER", "name": "x", "fields": map[string]any{"owner": "me"}}}, "observations[0]"},
			{"agents", []any{host("a", "1"), host("a", "1")}, "observations[1].key"},
		}
		for _, b := range bad {
			e := env.Do(t, env.Editor, submit, map[string]any{"job": b.job, "obs": b.obs}).Err(t)
			if e.Code() != "BAD_USER_INPUT" || e.Field() != b.field {
				t.Errorf("submit %v: %s on %q (%s), want BAD_USER_INPUT on %s", b.obs, e.Code(), e.Field(), e.Message, b.field)
			}
		}
		// A push job cannot be run.
		r := runJob(t, env, created.CreateDiscoveryJob.ID, false)
		if r.Status != "FAILED" || r.Error == nil || !strings.Contains(*r.Error, "push job receives observations") {
			t.Errorf("running a push job = %+v", r)
		}
	})
}
