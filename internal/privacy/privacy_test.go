package privacy_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	entgo "entgo.io/ent"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/schema"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/privacy"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

var (
	viewer    = auth.Principal{Name: "v", Role: auth.Viewer, Authenticated: true}
	editor    = auth.Principal{Name: "e", Role: auth.Editor, Authenticated: true}
	admin     = auth.Principal{Name: "a", Role: auth.Admin, Authenticated: true}
	anonymous = auth.Principal{Name: "anonymous", Role: auth.Viewer}
)

func as(p auth.Principal) context.Context { return auth.WithPrincipal(context.Background(), p) }

func TestCallerOf(t *testing.T) {
	for _, c := range []struct {
		name string
		ctx  context.Context
		want privacy.Caller
	}{
		{"no principal", context.Background(), privacy.Process},
		{"admin", as(admin), privacy.Admin},
		{"editor", as(editor), privacy.Reader},
		{"viewer", as(viewer), privacy.Reader},
		{"anonymous", as(anonymous), privacy.Reader},
		{"unauthenticated admin role", as(auth.Principal{Name: "x", Role: auth.Admin}), privacy.Reader},
	} {
		if got := privacy.CallerOf(c.ctx); got != c.want {
			t.Errorf("CallerOf(%s) = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestAdminOnly(t *testing.T) {
	for _, c := range []struct {
		typ, field, result string
		own, want          bool
	}{
		{"DiscoveryJob", "name", "String", false, false},
		{"DiscoveryJob", "id", "ID", false, false},
		{"DiscoveryJob", "sourceKind", "String", false, false},
		{"DiscoveryJob", "config", "Map", false, true},
		{"DiscoveryJob", "scope", "DiscoveryScope", false, true},
		{"DiscoveryJob", "networkScope", "String", false, true},
		{"DiscoveryJob", "enabled", "Boolean", false, true},
		{"DiscoveryJob", "runs", "DiscoveryRunConnection", false, true},
		{"DiscoveryJob", "lastRun", "DiscoveryRun", false, true},
		{"DiscoveryRun", "status", "DiscoveryRunStatus", false, false},
		{"DiscoveryRun", "counts", "DiscoveryRunCounts", false, false},
		{"DiscoveryRun", "job", "DiscoveryJob", false, false},
		{"DiscoveryRun", "error", "String", false, true},
		{"DiscoveryRun", "log", "String", false, true},
		{"DiscoveryRun", "holder", "String", false, true},
		{"DiscoveryRun", "hostErrors", "HostError", false, true},
		{"DiscoveryRun", "changes", "PlannedChange", false, true},
		// The run a mutation returns to the editor who pushed it.
		{"DiscoveryRun", "error", "String", true, false},
		{"DiscoveryRun", "changes", "PlannedChange", true, false},
		{"ReportSchedule", "id", "ID", false, true},
		{"ReportSchedule", "directory", "String", false, true},
		{"ReportRun", "deliveries", "ReportDelivery", false, true},
		{"APIToken", "name", "String", false, true},
		{"APIToken", "id", "ID", false, true},
		// Lists of admin-only entities, public fields or not.
		{"Query", "discoveryJobs", "DiscoveryJobConnection", false, true},
		{"Query", "discoveryRuns", "DiscoveryRunConnection", false, true},
		{"Query", "apiTokens", "APITokenConnection", false, true},
		{"Query", "reportSchedules", "ReportScheduleConnection", false, true},
		{"Query", "reportRuns", "ReportRunConnection", false, true},
		{"DiscoveryJobConnection", "totalCount", "Int", false, true},
		{"DiscoveryRunEdge", "cursor", "Cursor", false, true},
		{"ReportRun", "schedule", "ReportSchedule", false, true},
		{"Mutation", "runReportSchedule", "ReportRun", false, true},
		// Public types.
		{"Drift", "job", "DiscoveryJob", false, false},
		{"Drift", "run", "DiscoveryRun", false, false},
		{"Drift", "source", "String", false, false},
		{"Query", "drifts", "DriftConnection", false, false},
		{"Query", "node", "Node", false, false},
		{"DriftConnection", "totalCount", "Int", false, false},
		{"FailingJob", "name", "String", false, false},
		{"FailingJob", "error", "String", false, true},
		{"AuditEvent", "changes", "FieldChange", false, false},
	} {
		if got := privacy.AdminOnly(c.typ, c.field, c.result, c.own); got != c.want {
			t.Errorf("AdminOnly(%s.%s: %s, own %v) = %v, want %v", c.typ, c.field, c.result, c.own, got, c.want)
		}
	}
}

func TestField(t *testing.T) {
	for _, c := range []struct {
		name      string
		ctx       context.Context
		code, msg string
	}{
		{"viewer", as(viewer), "FORBIDDEN", `token "v" has role VIEWER; this needs ADMIN or higher (DiscoveryJob.config is for admins)`},
		{"editor", as(editor), "FORBIDDEN", `token "e" has role EDITOR; this needs ADMIN or higher (DiscoveryJob.config is for admins)`},
		{"anonymous", as(anonymous), "UNAUTHENTICATED", "this needs an API token with role ADMIN or higher"},
		{"admin", as(admin), "", ""},
		{"process", context.Background(), "", ""},
	} {
		err := privacy.Field(c.ctx, "DiscoveryJob", "config", "Map", false)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: Field = %v, want nil", c.name, err)
			}
			continue
		}
		ae, ok := apperr.As(err)
		if !ok || string(ae.Code) != c.code || !strings.Contains(ae.Error(), c.msg) {
			t.Errorf("%s: Field = %v, want %s containing %q", c.name, err, c.code, c.msg)
		}
		if err := privacy.Field(c.ctx, "DiscoveryJob", "name", "String", false); err != nil {
			t.Errorf("%s: a job's name: %v", c.name, err)
		}
	}
}

func TestFilter(t *testing.T) {
	for _, c := range []struct {
		typ, field string
		ok         bool
	}{
		{"DiscoveryRun", "status", true},
		{"DiscoveryRun", "statusIn", true},
		{"DiscoveryRun", "statusNotIn", true},
		{"DiscoveryRun", "startedAtGTE", true},
		{"DiscoveryRun", "finishedAtIsNil", true},
		{"DiscoveryRun", "sourceKindContainsFold", true},
		{"DiscoveryRun", "idIn", true},
		{"DiscoveryRun", "hasJob", true},
		{"DiscoveryRun", "hasJobWith", true},
		{"DiscoveryRun", "and", true},
		{"DiscoveryRun", "not", true},
		{"DiscoveryRun", "error", false},
		{"DiscoveryRun", "errorContains", false},
		{"DiscoveryRun", "errorIsNil", false},
		{"DiscoveryRun", "logHasPrefix", false},
		{"DiscoveryRun", "holderEqualFold", false},
		{"DiscoveryJob", "nameContains", true},
		{"DiscoveryJob", "networkScope", false},
		{"DiscoveryJob", "scheduleIsNil", false},
		{"DiscoveryJob", "hasRuns", false},
		{"DiscoveryJob", "hasRunsWith", false},
		{"DiscoveryJob", "enabled", false},
		{"ReportSchedule", "name", false},
		{"APIToken", "nameContains", false},
		{"Drift", "sourceContains", true},
		{"ConfigurationItem", "hasDriftsWith", true},
	} {
		err := privacy.Filter(as(viewer), c.typ, c.field)
		if (err == nil) != c.ok {
			t.Errorf("Filter(viewer, %s, %s) = %v, want allowed %v", c.typ, c.field, err, c.ok)
		}
		if err := privacy.Filter(as(admin), c.typ, c.field); err != nil {
			t.Errorf("Filter(admin, %s, %s) = %v", c.typ, c.field, err)
		}
	}
}

// TestEveryAdminOnlyTypeCarriesItsPolicy: the ent schema of every declared
// admin-only entity type has the admin-only policy, and a policy given a
// type the declaration does not name refuses everyone.
func TestEveryAdminOnlyTypeCarriesItsPolicy(t *testing.T) {
	schemas := map[string]interface{ Policy() entgo.Policy }{
		"APIToken": schema.APIToken{}, "DiscoveryJob": schema.DiscoveryJob{}, "DiscoveryRun": schema.DiscoveryRun{},
		"ReportSchedule": schema.ReportSchedule{}, "ReportRun": schema.ReportRun{},
	}
	types := privacy.EntityTypes()
	slices.Sort(types)
	if want := []string{"APIToken", "DiscoveryJob", "DiscoveryRun", "ReportRun", "ReportSchedule"}; !slices.Equal(types, want) {
		t.Fatalf("EntityTypes() = %v, want %v", types, want)
	}
	for _, typ := range types {
		s, ok := schemas[typ]
		if !ok || s.Policy() == nil {
			t.Errorf("the ent schema of %s has no policy", typ)
		}
	}
	for _, s := range []interface{ Policy() entgo.Policy }{schema.ConfigurationItem{}, schema.Drift{}, schema.Service{}} {
		if s.Policy() != nil {
			t.Errorf("%T has a policy", s)
		}
	}
	err := privacy.EntityPolicy("Drift").EvalQuery(context.Background(), nil)
	if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Internal {
		t.Errorf("a policy of an undeclared type = %v, want INTERNAL", err)
	}
}

// TestPolicies runs the policies on a real database: readers get no rows
// of report schedules, report runs and tokens, the rows of jobs and runs,
// and an audit trail without the events about admin-only entities; admins
// and the process get everything.
func TestPolicies(t *testing.T) {
	ctx := context.Background()
	db, err := app.Open(ctx, filepath.Join(t.TempDir(), "cairn.db"), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c := db.Client
	seed := audit.WithActor(ctx, "seed")
	if err := txn.Do(seed, c, func(tx *ent.Client) error {
		if _, err := tx.ConfigurationItem.Create().SetName("web01").SetKind(configurationitem.KindServer).Save(seed); err != nil {
			return err
		}
		job, err := tx.DiscoveryJob.Create().SetName("nightly").SetSourceKind("file").Save(seed)
		if err != nil {
			return err
		}
		if err := tx.DiscoveryRun.Create().SetSourceKind("file").SetStartedAt(time.Now()).SetCounts(schematype.RunCounts{}).SetJob(job).Exec(seed); err != nil {
			return err
		}
		return tx.ReportSchedule.Create().SetName("morning").SetSchedule("0 7 * * *").SetFormats([]string{"markdown"}).SetDirectory("/srv/r").Exec(seed)
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.CreateToken(seed, c, "ops", apitoken.RoleAdmin, nil); err != nil {
		t.Fatal(err)
	}
	count := func(ctx context.Context) map[string]int {
		out := map[string]int{}
		for name, f := range map[string]func() (int, error){
			"APIToken":       func() (int, error) { return c.APIToken.Query().Count(ctx) },
			"ReportSchedule": func() (int, error) { return c.ReportSchedule.Query().Count(ctx) },
			"ReportRun":      func() (int, error) { return c.ReportRun.Query().Count(ctx) },
			"DiscoveryJob":   func() (int, error) { return c.DiscoveryJob.Query().Count(ctx) },
			"DiscoveryRun":   func() (int, error) { return c.DiscoveryRun.Query().Count(ctx) },
		} {
			n, err := f()
			if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Forbidden || ae.Code == apperr.Unauthenticated) {
				n = -1
			} else if err != nil {
				t.Fatalf("counting %s: %v", name, err)
			}
			out[name] = n
		}
		events, err := c.AuditEvent.Query().Select(auditevent.FieldEntityType).Strings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			out["event:"+e]++
		}
		return out
	}
	all := map[string]int{"APIToken": 1, "ReportSchedule": 1, "ReportRun": 0, "DiscoveryJob": 1, "DiscoveryRun": 1,
		"event:ConfigurationItem": 1, "event:DiscoveryJob": 1, "event:ReportSchedule": 1, "event:APIToken": 1}
	reader := map[string]int{"APIToken": -1, "ReportSchedule": -1, "ReportRun": -1, "DiscoveryJob": 1, "DiscoveryRun": 1,
		"event:ConfigurationItem": 1}
	for _, c := range []struct {
		name string
		ctx  context.Context
		want map[string]int
	}{
		{"process", ctx, all},
		{"admin", as(admin), all},
		{"viewer", as(viewer), reader},
		{"editor", as(editor), reader},
		{"anonymous", as(anonymous), reader},
	} {
		got := count(c.ctx)
		if !mapsEqual(got, c.want) {
			t.Errorf("%s counts %v, want %v (-1: refused)", c.name, got, c.want)
		}
	}
	// A reader's refusal says what and why.
	_, err = c.ReportSchedule.Query().All(as(viewer))
	if ae, ok := apperr.As(err); !ok || !strings.Contains(ae.Msg, `token "v" has role VIEWER; this needs ADMIN or higher (ReportSchedule is for admins)`) {
		t.Errorf("viewer reading report schedules: %v", err)
	}
	if _, err := c.APIToken.Query().All(as(anonymous)); !errors.As(err, new(*apperr.Error)) {
		t.Errorf("anonymous reading tokens: %v", err)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
