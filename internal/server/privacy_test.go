package server_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// adminSecrets are values only admins may read, seeded by seedAdminSecrets
// into every admin-only entity (and, through the hooks, into the audit
// trail): a job's config and scope, a run's error, log and host errors, a
// report schedule's directory and webhook URL (with a token in its query
// string), a report run's delivery error and a token's name.
var adminSecrets = []string{
	"SECRET-JOB-TARGET",
	"SECRET-SCOPE-TARGET",
	"SECRET-NETWORK-SCOPE",
	"SECRET-RUN-ERROR",
	"SECRET-RUN-LOG",
	"SECRET-RUN-HOLDER",
	"SECRET-HOST-ERROR",
	"SECRET-OBSERVATION-KEY",
	"SECRET-REPORT-DIR",
	"token=SECRET-WEBHOOK-TOKEN",
	"SECRET-REPORT-RUN-ERROR",
	"SECRET-DELIVERY-ERROR",
	"SECRET-TOKEN-NAME",
}

// seededIDs are the rows seedAdminSecrets made.
type seededIDs struct {
	ci, ci2, service int
	// nodes are the global IDs of one row of every admin-only entity type,
	// of the drift and CI that lead to them, and of the audit events about
	// them.
	nodes []int
}

// seedAdminSecrets writes one discovery job, a failed run of it, a drift
// they saw, a report schedule, a report run, an API token nobody uses and
// (through the hooks) the audit events of all of them, each carrying
// adminSecrets.
func seedAdminSecrets(t *testing.T, env *servertest.Env) seededIDs {
	t.Helper()
	var s seededIDs
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		ci, err := tx.ConfigurationItem.Create().SetName("web01").SetKind(configurationitem.KindServer).SetHostname("web01").Save(ctx)
		if err != nil {
			return err
		}
		ci2, err := tx.ConfigurationItem.Create().SetName("db01").SetKind(configurationitem.KindDatabase).Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.Relationship.Create().SetFromID(ci.ID).SetToID(ci2.ID).SetType("DEPENDS_ON").Exec(ctx); err != nil {
			return err
		}
		svc, err := tx.Service.Create().SetName("billing").AddMemberIDs(ci.ID).Save(ctx)
		if err != nil {
			return err
		}
		job, err := tx.DiscoveryJob.Create().SetName("nightly").SetSourceKind("file").
			SetConfig(map[string]any{"path": "/srv/inventory/SECRET-JOB-TARGET.csv"}).
			SetScope(schematype.DiscoveryScope{Targets: []string{"SECRET-SCOPE-TARGET"}}).
			SetNetworkScope("SECRET-NETWORK-SCOPE").Save(ctx)
		if err != nil {
			return err
		}
		// A later change of the config is in the audit trail too.
		if job, err = tx.DiscoveryJob.UpdateOne(job).
			SetConfig(map[string]any{"path": "/srv/inventory/SECRET-JOB-TARGET-v2.csv"}).Save(ctx); err != nil {
			return err
		}
		started := time.Now().Add(-time.Hour)
		finished := started.Add(time.Minute)
		run, err := tx.DiscoveryRun.Create().SetStatus(discoveryrun.StatusFailed).SetSourceKind("file").
			SetTrigger("schedule").SetStartedAt(started).SetFinishedAt(finished).
			SetCounts(schematype.RunCounts{Observed: 2}).SetError("reading SECRET-RUN-ERROR failed").
			SetLog("line 1: SECRET-RUN-LOG").SetHolder("SECRET-RUN-HOLDER").
			SetHostErrors(map[string]string{"10.0.0.9": "SECRET-HOST-ERROR"}).
			SetChanges([]schematype.PlannedChange{{Action: "OPEN_DRIFT", CI: ci.ID, ObservationKey: "SECRET-OBSERVATION-KEY", Field: "hostname"}}).
			SetJob(job).Save(ctx)
		if err != nil {
			return err
		}
		d, err := tx.Drift.Create().SetKind(drift.KindAttributeChanged).SetFieldName("hostname").
			SetRecorded(`"web01"`).SetObserved(`"web01-new"`).SetSource("discovery:nightly").
			SetConfigurationItem(ci).SetJob(job).SetRun(run).Save(ctx)
		if err != nil {
			return err
		}
		sched, err := tx.ReportSchedule.Create().SetName("morning").SetSchedule("0 7 * * *").
			SetFormats([]string{"markdown"}).SetDirectory("/srv/SECRET-REPORT-DIR").
			SetWebhooks([]schematype.WebhookDestination{{URL: "https://203.0.113.7/hook?token=SECRET-WEBHOOK-TOKEN"}}).Save(ctx)
		if err != nil {
			return err
		}
		rrun, err := tx.ReportRun.Create().SetStatus(reportrun.StatusPartial).SetStartedAt(started).SetFinishedAt(finished).
			SetWindowStart(started.Add(-24 * time.Hour)).SetWindowEnd(started).SetError("SECRET-REPORT-RUN-ERROR").
			SetDeliveries([]schematype.Delivery{{Destination: "https://203.0.113.7/hook?token=SECRET-WEBHOOK-TOKEN", Format: "markdown",
				Attempts: 3, Status: 500, Error: "SECRET-DELIVERY-ERROR", Path: "/srv/SECRET-REPORT-DIR/r.md"}}).
			SetSizes(map[string]int{"markdown": 10}).SetSchedule(sched).Save(ctx)
		if err != nil {
			return err
		}
		s = seededIDs{ci: ci.ID, ci2: ci2.ID, service: svc.ID,
			nodes: []int{ci.ID, d.ID, job.ID, run.ID, sched.ID, rrun.ID}}
		return nil
	})
	ctx := context.Background()
	if _, tok, err := auth.CreateToken(ctx, env.DB.Client, "SECRET-TOKEN-NAME", apitoken.RoleAdmin, nil); err != nil {
		t.Fatal(err)
	} else {
		s.nodes = append(s.nodes, tok.ID)
	}
	events, err := env.DB.Client.AuditEvent.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.nodes = append(s.nodes, events...)
	return s
}

// Introspection, as much of it as the walker needs.
type (
	gqlTypeRef struct {
		Kind   string      `json:"kind"`
		Name   *string     `json:"name"`
		OfType *gqlTypeRef `json:"ofType"`
	}
	gqlInput struct {
		Name         string     `json:"name"`
		Type         gqlTypeRef `json:"type"`
		DefaultValue *string    `json:"defaultValue"`
	}
	gqlField struct {
		Name string     `json:"name"`
		Args []gqlInput `json:"args"`
		Type gqlTypeRef `json:"type"`
	}
	gqlType struct {
		Kind          string     `json:"kind"`
		Name          string     `json:"name"`
		Fields        []gqlField `json:"fields"`
		PossibleTypes []struct {
			Name string `json:"name"`
		} `json:"possibleTypes"`
		EnumValues []struct {
			Name string `json:"name"`
		} `json:"enumValues"`
	}
)

const introspectionQuery = `fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
{ __schema { queryType { name } types { kind name
  fields(includeDeprecated: true) { name args { name defaultValue type { ...R } } type { ...R } }
  possibleTypes { name } enumValues(includeDeprecated: true) { name } } } }`

// unwrap returns the named type of r and whether r is non-null.
func (r gqlTypeRef) unwrap() (string, bool) {
	nonNull := r.Kind == "NON_NULL"
	for r.Name == nil && r.OfType != nil {
		r = *r.OfType
	}
	if r.Name == nil {
		return "", nonNull
	}
	return *r.Name, nonNull
}

func (r gqlTypeRef) isList() bool {
	for ; ; r = *r.OfType {
		if r.Kind == "LIST" {
			return true
		}
		if r.OfType == nil {
			return false
		}
	}
}

// schemaWalker generates one query per reachable path of the schema: from
// every root field, through object fields, connections and every type an
// interface may be, to maxDepth entities deep, each path ending in every
// scalar field of its last type. Each (root field, type, field) edge is
// followed once per root field, by its shallowest path.
type schemaWalker struct {
	types    map[string]gqlType
	ids      seededIDs
	maxDepth int
	now      string
}

func newSchemaWalker(t *testing.T, env *servertest.Env, ids seededIDs) *schemaWalker {
	t.Helper()
	var got struct {
		Schema struct {
			QueryType struct{ Name string } `json:"queryType"`
			Types     []gqlType             `json:"types"`
		} `json:"__schema"`
	}
	env.Do(t, env.Admin, introspectionQuery, nil).OK(t).Decode(t, &got)
	w := &schemaWalker{types: map[string]gqlType{}, ids: ids, maxDepth: 4, now: time.Now().UTC().Format(time.RFC3339)}
	for _, ty := range got.Schema.Types {
		w.types[ty.Name] = ty
	}
	if got.Schema.QueryType.Name != "Query" {
		t.Fatalf("query type %q", got.Schema.QueryType.Name)
	}
	return w
}

// composite reports whether name is an object, interface or union type.
func (w *schemaWalker) composite(name string) bool {
	switch w.types[name].Kind {
	case "OBJECT", "INTERFACE", "UNION":
		return true
	}
	return false
}

// hop reports whether entering type name counts towards the depth:
// connections and their edges do not, the entity inside does.
func hop(name string) bool {
	return !strings.HasSuffix(name, "Connection") && !strings.HasSuffix(name, "Edge") && name != "PageInfo"
}

// argValue is a literal for a required argument, or ok false when the
// walker cannot make one up.
func (w *schemaWalker) argValue(field string, a gqlInput) (string, bool) {
	typ, _ := a.Type.unwrap()
	if a.Type.isList() {
		if typ == "ID" {
			parts := make([]string, len(w.ids.nodes))
			for i, id := range w.ids.nodes {
				parts[i] = fmt.Sprintf("%q", fmt.Sprint(id))
			}
			return "[" + strings.Join(parts, ", ") + "]", true
		}
		return "[]", true
	}
	switch typ {
	case "ID":
		switch {
		case strings.Contains(strings.ToLower(a.Name), "service"):
			return fmt.Sprintf("%q", fmt.Sprint(w.ids.service)), true
		case a.Name == "to":
			return fmt.Sprintf("%q", fmt.Sprint(w.ids.ci2)), true
		}
		return fmt.Sprintf("%q", fmt.Sprint(w.ids.ci)), true
	case "String":
		return `"web01"`, true
	case "Int":
		return "3", true
	case "Float":
		return "1", true
	case "Boolean":
		return "false", true
	case "Time":
		return fmt.Sprintf("%q", w.now), true
	}
	if ty := w.types[typ]; ty.Kind == "ENUM" && len(ty.EnumValues) > 0 {
		return ty.EnumValues[0].Name, true
	}
	return "", false
}

// args renders the required arguments of f; ok is false when one cannot
// be made up.
func (w *schemaWalker) args(f gqlField) (string, bool) {
	var parts []string
	for _, a := range f.Args {
		if _, nonNull := a.Type.unwrap(); !nonNull || a.DefaultValue != nil {
			continue
		}
		v, ok := w.argValue(f.Name, a)
		if !ok {
			return "", false
		}
		parts = append(parts, a.Name+": "+v)
	}
	if len(parts) == 0 {
		return "", true
	}
	return "(" + strings.Join(parts, ", ") + ")", true
}

// leaf selects every scalar field of type name (for interfaces and unions,
// of every type it may be).
func (w *schemaWalker) leaf(name string) string {
	ty := w.types[name]
	if ty.Kind == "INTERFACE" || ty.Kind == "UNION" {
		parts := []string{"__typename"}
		for _, p := range ty.PossibleTypes {
			parts = append(parts, "... on "+p.Name+" { "+w.leaf(p.Name)+" }")
		}
		return strings.Join(parts, " ")
	}
	parts := []string{"__typename"}
	for _, f := range ty.Fields {
		if typ, _ := f.Type.unwrap(); w.composite(typ) {
			continue
		}
		if a, ok := w.args(f); ok {
			parts = append(parts, f.Name+a)
		}
	}
	return strings.Join(parts, " ")
}

// paths returns a selection body for every path from type name.
func (w *schemaWalker) paths(name string, depth int, seen map[string]bool) []string {
	ty := w.types[name]
	if ty.Kind == "INTERFACE" || ty.Kind == "UNION" {
		out := []string{w.leaf(name)}
		for _, p := range ty.PossibleTypes {
			for _, sub := range w.paths(p.Name, depth, seen) {
				out = append(out, "... on "+p.Name+" { "+sub+" }")
			}
		}
		return out
	}
	out := []string{w.leaf(name)}
	for _, f := range ty.Fields {
		typ, _ := f.Type.unwrap()
		if !w.composite(typ) {
			continue
		}
		d := depth
		if hop(typ) {
			d++
		}
		edge := name + "." + f.Name
		if d > w.maxDepth || seen[edge] {
			continue
		}
		a, ok := w.args(f)
		if !ok {
			continue
		}
		seen[edge] = true
		for _, sub := range w.paths(typ, d, seen) {
			out = append(out, f.Name+a+" { "+sub+" }")
		}
	}
	return out
}

// queries are every path from every root query field. node(id:) is asked
// for every seeded ID at once, under aliases.
func (w *schemaWalker) queries() []string {
	var out []string
	for _, f := range w.types["Query"].Fields {
		typ, _ := f.Type.unwrap()
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if !w.composite(typ) {
			if a, ok := w.args(f); ok {
				out = append(out, "{ "+f.Name+a+" }")
			}
			continue
		}
		// Breadth first: each edge by its shallowest path.
		seen := map[string]bool{}
		subs := w.paths(typ, 1, seen)
		for _, sub := range subs {
			if f.Name == "node" {
				var b strings.Builder
				b.WriteString("{")
				for i, id := range w.ids.nodes {
					fmt.Fprintf(&b, " n%d: node(id: %q) { %s }", i, fmt.Sprint(id), sub)
				}
				b.WriteString(" }")
				out = append(out, b.String())
				continue
			}
			a, ok := w.args(f)
			if !ok {
				continue
			}
			out = append(out, "{ "+f.Name+a+" { "+sub+" } }")
		}
	}
	return out
}

// TestNoAdminOnlyDataForReaders walks the whole schema as a viewer, an
// editor and an anonymous reader (anonymous read on), one query per path,
// and checks that no admin-only value seeded in the database appears in any
// response, data or error. The same queries as an admin must show every
// one of them, so that the walk is known to reach them.
func TestNoAdminOnlyDataForReaders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true, Config: server.Config{AllowAnonymousRead: true}})
		ids := seedAdminSecrets(t, env)
		w := newSchemaWalker(t, env, ids)
		queries := w.queries()
		t.Logf("%d queries", len(queries))
		if len(queries) < 300 {
			t.Fatalf("the walk made only %d queries", len(queries))
		}
		seenByAdmin := map[string]bool{}
		for _, q := range queries {
			body := env.Do(t, env.Admin, q, nil).Body
			for _, s := range adminSecrets {
				if bytes.Contains(body, []byte(s)) {
					seenByAdmin[s] = true
				}
			}
		}
		for _, s := range adminSecrets {
			if !seenByAdmin[s] {
				t.Errorf("no query showed %s to an admin: the walk does not reach it", s)
			}
		}
		for _, who := range []struct{ name, token string }{{"viewer", env.Viewer}, {"editor", env.Editor}, {"anonymous", ""}} {
			leaks := map[string][]string{}
			for _, q := range queries {
				body := env.Do(t, who.token, q, nil).Body
				for _, s := range adminSecrets {
					if bytes.Contains(body, []byte(s)) {
						leaks[s] = append(leaks[s], q)
					}
				}
			}
			secrets := make([]string, 0, len(leaks))
			for s := range leaks {
				secrets = append(secrets, s)
			}
			sort.Strings(secrets)
			for _, s := range secrets {
				q := leaks[s]
				sort.Slice(q, func(i, j int) bool { return len(q[i]) < len(q[j]) })
				t.Errorf("%s read %s through %d queries, the shortest:\n%s", who.name, s, len(q), q[0])
			}
		}
	})
}

// TestNodeFollowsTheReadRules: node and nodes answer a reader with the
// rows of every admin-only type refused (report schedules and runs were
// left out before), and with a job's and a run's public fields only.
func TestNodeFollowsTheReadRules(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{Config: server.Config{AllowAnonymousRead: true}})
	ids := seedAdminSecrets(t, env)
	job, run, sched, rrun, tok := ids.nodes[2], ids.nodes[3], ids.nodes[4], ids.nodes[5], ids.nodes[6]
	cases := []struct {
		name      string
		id        int
		selection string
		// want is the node's JSON for a reader, "null" for a refusal;
		// refused whether an error says so.
		want    string
		refused bool
	}{
		{"report schedule", sched, `... on ReportSchedule { directory webhooks { url } }`, "null", true},
		{"report schedule id", sched, `id`, "null", true},
		{"report run", rrun, `... on ReportRun { error deliveries { error } }`, "null", true},
		{"api token", tok, `... on APIToken { name role }`, "null", true},
		{"job config", job, `... on DiscoveryJob { name config }`, `{"name":"nightly","config":null}`, true},
		{"job schedule", job, `... on DiscoveryJob { name timeoutSeconds }`, "null", true},
		{"job name", job, `... on DiscoveryJob { name sourceKind }`, `{"name":"nightly","sourceKind":"file"}`, false},
		{"run error", run, `... on DiscoveryRun { status error }`, `{"status":"FAILED","error":null}`, true},
		{"run status", run, `... on DiscoveryRun { status trigger counts { observed } job { name } }`,
			`{"status":"FAILED","trigger":"schedule","counts":{"observed":2},"job":{"name":"nightly"}}`, false},
	}
	for _, c := range cases {
		for _, who := range []struct{ name, token, code string }{{"viewer", env.Viewer, "FORBIDDEN"}, {"anonymous", "", "UNAUTHENTICATED"}} {
			t.Run(c.name+"/"+who.name, func(t *testing.T) {
				for _, q := range []string{
					fmt.Sprintf(`{ node(id: %q) { %s } }`, fmt.Sprint(c.id), c.selection),
					fmt.Sprintf(`{ node: nodes(ids: [%q]) { %s } }`, fmt.Sprint(c.id), c.selection),
				} {
					r := env.Do(t, who.token, q, nil)
					for _, s := range adminSecrets {
						if bytes.Contains(r.Body, []byte(s)) {
							t.Fatalf("%s read %s: %s", who.name, s, r.Body)
						}
					}
					got := strings.TrimSuffix(strings.TrimPrefix(string(r.Data), `{"node":`), `}`)
					got = strings.TrimSuffix(strings.TrimPrefix(got, "["), "]")
					if c.refused && (len(r.Errors) != 1 || r.Errors[0].Code() != who.code || !strings.Contains(r.Errors[0].Message, "ADMIN")) {
						t.Errorf("%s: want one %s error, got %s", q, who.code, r)
					}
					if !c.refused && len(r.Errors) > 0 {
						t.Errorf("%s: %s", q, r)
					}
					if got != c.want {
						t.Errorf("%s: node = %s, want %s", q, got, c.want)
					}
				}
			})
		}
	}
	// An admin reads them all.
	r := env.Do(t, env.Admin, fmt.Sprintf(`{ nodes(ids: [%q, %q]) { ... on ReportSchedule { directory } ... on ReportRun { error } } }`,
		fmt.Sprint(sched), fmt.Sprint(rrun)), nil).OK(t)
	if want := `{"nodes":[{"directory":"/srv/SECRET-REPORT-DIR"},{"error":"SECRET-REPORT-RUN-ERROR"}]}`; string(r.Data) != want {
		t.Errorf("admin nodes = %s, want %s", r.Data, want)
	}
}

// TestDriftEdgesShowPublicFieldsOnly: a drift list stays usable for a
// reader: its job and run show their public fields; an admin-only field of
// them answers null with an error at its path, and the drifts are still
// there.
func TestDriftEdgesShowPublicFieldsOnly(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{})
	seedAdminSecrets(t, env)
	r := env.Do(t, env.Viewer, `{ drifts { edges { node { kind source job { id name sourceKind } run { status trigger startedAt finishedAt duration } } } } }`, nil).OK(t)
	var ok struct {
		Drifts struct {
			Edges []struct {
				Node struct {
					Kind, Source string
					Job          struct{ Name, SourceKind string }
					Run          struct {
						Status, Trigger string
						Duration        float64
					}
				}
			}
		}
	}
	r.Decode(t, &ok)
	if len(ok.Drifts.Edges) != 1 {
		t.Fatalf("drifts = %s", r.Data)
	}
	n := ok.Drifts.Edges[0].Node
	if n.Kind != "ATTRIBUTE_CHANGED" || n.Source != "discovery:nightly" || n.Job.Name != "nightly" || n.Job.SourceKind != "file" ||
		n.Run.Status != "FAILED" || n.Run.Trigger != "schedule" || n.Run.Duration != 60 {
		t.Errorf("drift = %+v", n)
	}
	for _, c := range []struct{ selection, path string }{
		{`job { name config }`, "drifts.edges.0.node.job.config"},
		{`job { name networkScope }`, "drifts.edges.0.node.job.networkScope"},
		{`job { name runs { totalCount } }`, "drifts.edges.0.node.job.runs"},
		{`job { name lastRun { status } }`, "drifts.edges.0.node.job.lastRun"},
		{`run { status error }`, "drifts.edges.0.node.run.error"},
		{`run { status log }`, "drifts.edges.0.node.run.log"},
		{`run { status hostErrors { error } }`, "drifts.edges.0.node.run.hostErrors"},
		{`run { status changes { observationKey } }`, "drifts.edges.0.node.run.changes"},
	} {
		r := env.Do(t, env.Viewer, `{ drifts { edges { node { kind `+c.selection+` } } } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || pathString(r.Errors[0].Path) != c.path {
			t.Errorf("%s: want one FORBIDDEN error at %s, got %s", c.selection, c.path, r)
			continue
		}
		if !strings.Contains(string(r.Data), `"kind":"ATTRIBUTE_CHANGED"`) {
			t.Errorf("%s: the drift is gone: %s", c.selection, r.Data)
		}
	}
}

func pathString(p []any) string {
	parts := make([]string, len(p))
	for i, e := range p {
		parts[i] = fmt.Sprint(e)
	}
	return strings.Join(parts, ".")
}

// TestAuditTrailLeavesOutAdminOnlyEntities: a reader's audit trail has no
// event about a job, a report schedule or a token (their changes carry
// configs, directories, token names and roles), whichever way it is asked;
// an admin's has them.
func TestAuditTrailLeavesOutAdminOnlyEntities(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{})
	seedAdminSecrets(t, env)
	types := func(token string) map[string]int {
		var got struct {
			AuditEvents struct {
				Edges []struct{ Node struct{ EntityType string } }
			}
		}
		env.Do(t, token, `{ auditEvents(first: 1000) { edges { node { entityType } } } }`, nil).OK(t).Decode(t, &got)
		out := map[string]int{}
		for _, e := range got.AuditEvents.Edges {
			out[e.Node.EntityType]++
		}
		return out
	}
	admin, viewer := types(env.Admin), types(env.Viewer)
	for _, typ := range []string{"DiscoveryJob", "ReportSchedule", "APIToken"} {
		if admin[typ] == 0 {
			t.Errorf("the admin's audit trail has no %s event: %v", typ, admin)
		}
		if viewer[typ] != 0 {
			t.Errorf("the viewer's audit trail has %d %s events", viewer[typ], typ)
		}
	}
	if viewer["ConfigurationItem"] != admin["ConfigurationItem"] || viewer["ConfigurationItem"] == 0 {
		t.Errorf("CI events: viewer %d, admin %d", viewer["ConfigurationItem"], admin["ConfigurationItem"])
	}
	// Filtering and counting see the same trail.
	var n struct{ AuditEvents struct{ TotalCount int } }
	env.Do(t, env.Viewer, `{ auditEvents(where: {entityType: "DiscoveryJob"}) { totalCount } }`, nil).OK(t).Decode(t, &n)
	if n.AuditEvents.TotalCount != 0 {
		t.Errorf("viewer counts %d job events", n.AuditEvents.TotalCount)
	}
	// node(id:) of a job's event is not found for a reader.
	ev, err := env.DB.Client.AuditEvent.Query().Where(auditevent.EntityType("DiscoveryJob")).FirstID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, env.Viewer, fmt.Sprintf(`{ node(id: %q) { ... on AuditEvent { changes { after } } } }`, fmt.Sprint(ev)), nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" || strings.Contains(string(r.Body), "SECRET") {
		t.Errorf("viewer node(job event) = %s, want NOT_FOUND", r)
	}
}

// TestFailingJobErrorIsForAdmins: cmdbHealth names failing jobs for every
// reader; the run's error is an admin's.
func TestFailingJobErrorIsForAdmins(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{Config: server.Config{AllowAnonymousRead: true}})
	seedAdminSecrets(t, env)
	for _, who := range []struct{ name, token, code string }{{"viewer", env.Viewer, "FORBIDDEN"}, {"editor", env.Editor, "FORBIDDEN"}, {"anonymous", "", "UNAUTHENTICATED"}} {
		r := env.Do(t, who.token, `{ cmdbHealth { totalCIs failingJobs { name status } } }`, nil).OK(t)
		if want := `{"cmdbHealth":{"totalCIs":2,"failingJobs":[{"name":"nightly","status":"FAILED"}]}}`; string(r.Data) != want {
			t.Errorf("%s: %s, want %s", who.name, r.Data, want)
		}
		r = env.Do(t, who.token, `{ cmdbHealth { totalCIs failingJobs { name error } } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != who.code || pathString(r.Errors[0].Path) != "cmdbHealth.failingJobs.0.error" ||
			strings.Contains(string(r.Body), "SECRET") {
			t.Errorf("%s asking for the error: %s", who.name, r)
		}
	}
	r := env.Do(t, env.Admin, `{ cmdbHealth { failingJobs { name error } } }`, nil).OK(t)
	if want := `{"cmdbHealth":{"failingJobs":[{"name":"nightly","error":"reading SECRET-RUN-ERROR failed"}]}}`; string(r.Data) != want {
		t.Errorf("admin: %s, want %s", r.Data, want)
	}
}

// TestReaderFiltersOnPublicFieldsOnly: a filter is a question about what it
// filters on, so a reader may filter drifts by their job's and run's public
// fields only, whether the filter is written in the query or sent as a
// variable.
func TestReaderFiltersOnPublicFieldsOnly(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{})
	seedAdminSecrets(t, env)
	count := `query($w: DriftWhereInput) { drifts(where: $w) { totalCount } }`
	for _, c := range []struct {
		name  string
		query string
		where map[string]any
		// want is the count, -1 for a refusal.
		want int
	}{
		{"job name", `{ drifts(where: {hasJobWith: [{name: "nightly"}]}) { totalCount } }`, nil, 1},
		{"run status", `{ drifts(where: {hasRunWith: [{statusIn: [FAILED]}, {trigger: "x"}]}) { totalCount } }`, nil, 0},
		{"run error", `{ drifts(where: {hasRunWith: [{errorContains: "SECRET-RUN"}]}) { totalCount } }`, nil, -1},
		{"run log, nested", `{ drifts(where: {or: [{kind: MISSING}, {hasRunWith: [{not: {logIsNil: true}}]}]}) { totalCount } }`, nil, -1},
		{"job network scope", `{ drifts(where: {hasJobWith: [{networkScopeHasPrefix: "SECRET"}]}) { totalCount } }`, nil, -1},
		{"job runs", `{ drifts(where: {hasJobWith: [{hasRunsWith: [{holder: "x"}]}]}) { totalCount } }`, nil, -1},
		{"through a CI", `{ configurationItems(where: {hasDriftsWith: [{hasRunWith: [{errorContains: "SECRET"}]}]}) { totalCount } }`, nil, -1},
		{"variable: job name", count, map[string]any{"hasJobWith": []any{map[string]any{"nameContains": "night"}}}, 1},
		{"variable: run error", count, map[string]any{"hasRunWith": []any{map[string]any{"errorContains": "SECRET"}}}, -1},
		{"variable: a null field is no filter", count, map[string]any{"hasRunWith": []any{map[string]any{"errorContains": nil, "status": "FAILED"}}}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var vars map[string]any
			if c.where != nil {
				vars = map[string]any{"w": c.where}
			}
			r := env.Do(t, env.Viewer, c.query, vars)
			if c.want < 0 {
				if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "filtering") {
					t.Errorf("want one FORBIDDEN error, got %s", r)
				}
				return
			}
			var got map[string]struct{ TotalCount int }
			r.OK(t).Decode(t, &got)
			for _, v := range got {
				if v.TotalCount != c.want {
					t.Errorf("totalCount = %d, want %d", v.TotalCount, c.want)
				}
			}
			// An admin may filter on anything.
			env.Do(t, env.Admin, c.query, vars).OK(t)
		})
	}
}

// BenchmarkReadRules prices the per-field check of a reader's operation: the
// same drift list, with each drift's job and run, read by an admin (no
// check) and by a viewer (every field checked), and a CI list by a viewer
// (which the check skips: it touches no admin-only type).
func BenchmarkReadRules(b *testing.B) {
	env := servertest.Start(b, storetest.DSN(b, store.SQLite), servertest.Options{})
	env.Seed(b, func(ctx context.Context, tx *ent.Client) error {
		job, err := tx.DiscoveryJob.Create().SetName("nightly").SetSourceKind("file").Save(ctx)
		if err != nil {
			return err
		}
		run, err := tx.DiscoveryRun.Create().SetSourceKind("file").SetStartedAt(time.Now()).SetCounts(schematype.RunCounts{}).SetJob(job).Save(ctx)
		if err != nil {
			return err
		}
		for i := range 500 {
			ci, err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("host-%03d", i)).SetKind(configurationitem.KindServer).Save(ctx)
			if err != nil {
				return err
			}
			if err := tx.Drift.Create().SetKind(drift.KindMissing).SetFieldName("hostname").SetSource("discovery:nightly").
				SetConfigurationItem(ci).SetJob(job).SetRun(run).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	drifts := `{ drifts(first: 500) { edges { node { id kind status source firstSeenAt job { id name } run { status startedAt } } } } }`
	cis := `{ configurationItems(first: 500) { edges { node { id name kind status environment criticality } } } }`
	for _, c := range []struct{ name, token, query string }{
		{"drifts/admin", env.Admin, drifts}, {"drifts/viewer", env.Viewer, drifts}, {"cis/admin", env.Admin, cis}, {"cis/viewer", env.Viewer, cis},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				env.Do(b, c.token, c.query, nil).OK(b)
			}
		})
	}
}
