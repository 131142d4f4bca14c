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
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
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
