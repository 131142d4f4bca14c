package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/report"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

var (
	update   = flag.Bool("update", false, "rewrite the golden files in testdata/report")
	keepShot = flag.String("screenshot", "", "keep TestHTMLInChromium's screenshot at this path")
)

// goldenDir holds the golden reports, shared with the rest of the repo.
const goldenDir = "../../testdata/report"

const fixtureTitle = "Cairn drift report: fixture estate"

func build(t testing.TB, c *ent.Client, o report.Options) *report.Report {
	t.Helper()
	r, err := report.Build(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return r
}

func render(t testing.TB, r *report.Report, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, r, format); err != nil {
		t.Fatalf("Write %s: %v", format, err)
	}
	if buf.Len() == 0 {
		t.Fatalf("%s report is empty", format)
	}
	return buf.Bytes()
}

// stableIDs maps the global IDs of the fixture's CIs, drifts, jobs and
// contracts to small per-table ordinals (CI 1001, 1002, … in creation
// order; drifts from 2001, jobs from 3001, contracts from 4001): the
// engines start their ID sequences differently, and one golden file
// serves both.
func stableIDs(t *testing.T, c *ent.Client) func([]byte) []byte {
	t.Helper()
	ctx := context.Background()
	ids := map[string]string{}
	for base, q := range map[int]func() ([]int, error){
		1000: func() ([]int, error) { return c.ConfigurationItem.Query().IDs(ctx) },
		2000: func() ([]int, error) { return c.Drift.Query().IDs(ctx) },
		3000: func() ([]int, error) { return c.DiscoveryJob.Query().IDs(ctx) },
		4000: func() ([]int, error) { return c.Contract.Query().IDs(ctx) },
	} {
		got, err := q()
		if err != nil {
			t.Fatal(err)
		}
		sort.Ints(got)
		for i, id := range got {
			ids[strconv.Itoa(id)] = strconv.Itoa(base + i + 1)
		}
	}
	long := regexp.MustCompile(`[0-9]{10,}`)
	return func(b []byte) []byte {
		return long.ReplaceAllFunc(b, func(m []byte) []byte {
			s, ok := ids[string(m)]
			if !ok {
				t.Errorf("unexpected ID %s in a report", m)
				return m
			}
			return []byte(s)
		})
	}
}

// golden compares got with testdata/report/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(no line differs)"
}

func fixtureOptions() report.Options {
	return report.Options{Since: since, Until: until, Title: fixtureTitle}
}

// TestFixtureReport builds the fixture's report on both backends, checks
// its numbers one by one, and compares every format with its golden file.
func TestFixtureReport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		r := build(t, e.c, fixtureOptions())

		s := r.Summary
		got := [8]int{s.Opened, s.StillOpen, s.Resolved, s.Accepted, s.Ignored, s.Authorized, s.Unauthorized, s.OpenNow}
		if want := [8]int{11, 9, 2, 1, 1, 2, 8, 10}; got != want {
			t.Errorf("summary opened, still open, resolved, accepted, ignored, authorised, unauthorised, open now = %v, want %v", got, want)
		}
		wantKinds := []report.Count{
			{Key: "ATTRIBUTE_CHANGED", Opened: 5, Unauthorized: 3, StillOpen: 3},
			{Key: "MISSING", Opened: 2, Unauthorized: 1, StillOpen: 2},
			{Key: "UNREGISTERED", Opened: 2, Unauthorized: 2, StillOpen: 2},
			{Key: "AMBIGUOUS", Opened: 1, Unauthorized: 1, StillOpen: 1},
			{Key: "RELATIONSHIP_CHANGED", Opened: 1, Unauthorized: 1, StillOpen: 1},
		}
		if !reflect.DeepEqual(s.ByKind, wantKinds) {
			t.Errorf("by kind = %+v\nwant %+v", s.ByKind, wantKinds)
		}
		// D3 (lb-01, checkout) and D7 (app-01, checkout, ignored); D2 and
		// D15 on web-01 and D10 on srv-01 (intranet); D1 (payments-api);
		// D4 (storage); D5 srv-02, D14 tmp-01 and D6, D12 without a CI.
		wantServices := []report.Count{
			{Key: "intranet", Opened: 3, Unauthorized: 1, StillOpen: 2},
			{Key: "checkout", Opened: 2, Unauthorized: 1, StillOpen: 1},
			{Key: "payments-api", Opened: 1, Unauthorized: 1, StillOpen: 1},
			{Key: "storage", Opened: 1, Unauthorized: 1, StillOpen: 1},
			{Key: report.None, Opened: 4, Unauthorized: 4, StillOpen: 4},
		}
		if !reflect.DeepEqual(s.ByService, wantServices) {
			t.Errorf("by service = %+v\nwant %+v", s.ByService, wantServices)
		}
		wantOwners := []report.Count{
			{Key: "Platform", Opened: 5, Unauthorized: 3, StillOpen: 4},
			{Key: "Dana Reyes", Opened: 1, Unauthorized: 0, StillOpen: 0},
			{Key: "Payments Team", Opened: 1, Unauthorized: 1, StillOpen: 1},
			{Key: "Storage|Ops", Opened: 1, Unauthorized: 1, StillOpen: 1},
			{Key: report.None, Opened: 3, Unauthorized: 3, StillOpen: 3},
		}
		if !reflect.DeepEqual(s.ByOwner, wantOwners) {
			t.Errorf("by owner = %+v\nwant %+v", s.ByOwner, wantOwners)
		}
		wantJobs := []report.Count{
			{Key: "nmap-dc1", Opened: 6, Unauthorized: 6, StillOpen: 5},
			{Key: "ssh-fleet", Opened: 4, Unauthorized: 1, StillOpen: 3},
			{Key: "snmp-core", Opened: 1, Unauthorized: 1, StillOpen: 1},
		}
		if !reflect.DeepEqual(s.ByJob, wantJobs) {
			t.Errorf("by job = %+v\nwant %+v", s.ByJob, wantJobs)
		}

		if len(r.Trend) != 30 || r.Trend[0].Date != "2026-02-09" || r.Trend[29].Date != "2026-03-10" {
			t.Fatalf("trend has %d days from %v", len(r.Trend), r.Trend)
		}
		activity := map[string][2]int{}
		for _, d := range r.Trend {
			if d.Opened > 0 || d.Resolved > 0 {
				activity[d.Date] = [2]int{d.Opened, d.Resolved}
			}
		}
		wantTrend := map[string][2]int{"2026-02-15": {1, 0}, "2026-02-20": {1, 0}, "2026-03-01": {1, 0}, "2026-03-09": {10, 3}, "2026-03-10": {1, 0}}
		if !reflect.DeepEqual(activity, wantTrend) {
			t.Errorf("trend activity = %v, want %v", activity, wantTrend)
		}

		// The list: new, unauthorised, not ignored, by first seen.
		type row struct {
			name     string
			status   string
			services []string
		}
		byID := map[int]string{}
		for n, id := range f.drift {
			byID[id] = n
		}
		var rows []row
		for _, d := range r.Drifts {
			rows = append(rows, row{byID[d.ID], d.Status, d.ServicesAtRisk})
		}
		wantRows := []row{
			{"D10", "RESOLVED", []string{"intranet"}},
			{"D1", "OPEN", []string{"checkout", "payments-api", "reporting"}},
			{"D3", "ACKNOWLEDGED", []string{"checkout", "reporting"}},
			// report-01 (reporting) is 4 hops from san-01: past the cap.
			{"D4", "OPEN", []string{"checkout", "payments-api", "storage"}},
			{"D5", "OPEN", []string{}},
			{"D6", "OPEN", []string{}},
			{"D14", "OPEN", []string{}},
			{"D12", "OPEN", []string{}},
		}
		if !reflect.DeepEqual(rows, wantRows) {
			t.Errorf("drift list = %+v\nwant %+v", rows, wantRows)
		}
		d3 := r.Drifts[2]
		if d3.CI == nil || d3.CI.Name != "edge|lb <01>" || d3.Owner != "Platform" || d3.OnCall != "pager: platform-primary" || d3.Job != "ssh-fleet" {
			t.Errorf("D3 = %+v", d3)
		}
		// Dana Reyes has no on-call contact: her team's is used.
		if d := r.Drifts[1]; d.Owner != "Payments Team" || d.OnCall != "+44 20 7946 0000" {
			t.Errorf("D1 owner %q on call %q", d.Owner, d.OnCall)
		}
		if len(r.Unregistered) != 2 || r.Unregistered[0].DriftID != f.drift["D6"] || r.Unregistered[0].ObservedName != "rogue-vm" ||
			len(r.Unregistered[0].Identifiers) != 2 || r.Unregistered[1].CI == nil || r.Unregistered[1].CI.Name != "tmp-01" {
			t.Errorf("unregistered = %+v", r.Unregistered)
		}
		if len(r.Missing) != 2 || r.Missing[0].DriftID != f.drift["D5"] || r.Missing[1].DriftID != f.drift["D15"] || !r.Missing[1].Authorized {
			t.Errorf("missing = %+v", r.Missing)
		}
		checkFixtureHealth(t, r.Health, f)
		// Incidents: "san-01 again" (acknowledged after 5 minutes, resolved
		// after an hour, recurring after "san-01 before") and "sw-01 down"
		// (recurring after "sw-01 since 5 March", which is open too) opened
		// in the window; CHG-1001 succeeded, CHG-1002 failed and caused one.
		in := r.Incidents
		if in == nil || in.Opened != 2 || in.Resolved != 1 || in.OpenNow != 2 || in.Recurring != 2 ||
			in.MTTA == nil || *in.MTTA != 300 || in.MTTR == nil || *in.MTTR != 3600 ||
			in.Changes != 2 || in.ChangesSucceeded != 1 || in.ChangeSuccess == nil || *in.ChangeSuccess != 0.5 || in.ChangesCausing != 1 ||
			len(in.TopRecurring) != 2 || in.TopRecurring[0].CI.ID != f.ci["san-01"] || in.TopRecurring[0].CI.Kind != "STORAGE" ||
			in.TopRecurring[0].Incidents != 1 || in.TopRecurring[0].Recurring != 1 || in.TopRecurring[1].CI.ID != f.ci["sw-01"] {
			t.Errorf("incidents = %+v", in)
		}

		stable := stableIDs(t, e.c)
		golden(t, "fixture.md", stable(render(t, r, "markdown")))
		golden(t, "fixture.json", stable(render(t, r, "json")))
		golden(t, "fixture.csv", stable(render(t, r, "csv")))
		golden(t, "fixture.html", stable(render(t, r, "html")))
		if !bytes.Equal(render(t, r, "md"), render(t, r, "markdown")) {
			t.Error(`"md" is not "markdown"`)
		}
	})
}

func checkFixtureHealth(t *testing.T, h *report.HealthReport, f *fixture) {
	t.Helper()
	if h == nil {
		t.Fatal("no health section")
	}
	if !h.GeneratedAt.Equal(until) || h.StaleDays != 30 || h.ExpiringDays != 30 {
		t.Errorf("health at %v stale %d expiring %d", h.GeneratedAt, h.StaleDays, h.ExpiringDays)
	}
	got := [7]int{h.TotalCIs, h.Stale, h.NeverSeen, h.Orphans, h.DuplicateIdentifiers, h.WarrantiesExpiring, h.ContractsExpiring}
	if want := [7]int{10, 2, 2, 2, 1, 2, 2}; got != want {
		t.Errorf("health total, stale, never seen, orphans, duplicates, warranties, contracts = %v, want %v", got, want)
	}
	type k struct {
		kind                                                       string
		count, owner, service, location, asset, never, stale, orph int
	}
	var kinds []k
	for _, c := range h.Completeness {
		kinds = append(kinds, k{c.Kind, c.Count, c.WithOwner, c.WithService, c.WithLocation, c.WithAsset, c.NeverSeen, c.Stale, c.Orphans})
	}
	wantKinds := []k{
		{"APPLICATION", 2, 2, 2, 0, 0, 1, 1, 0},
		{"CONTAINER", 1, 0, 0, 0, 0, 0, 0, 1},
		{"DATABASE", 1, 1, 1, 1, 1, 0, 0, 0},
		{"LOAD_BALANCER", 1, 1, 1, 0, 0, 0, 0, 0},
		{"NETWORK_DEVICE", 1, 0, 0, 1, 0, 1, 0, 1},
		{"SERVER", 2, 2, 1, 2, 2, 0, 1, 0},
		{"STORAGE", 1, 1, 1, 1, 1, 0, 0, 0},
		{"VM", 1, 1, 1, 0, 0, 0, 0, 0},
	}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("completeness = %+v\nwant %+v", kinds, wantKinds)
	}
	for _, c := range h.Completeness {
		if c.Kind == "SERVER" && (c.WithServiceShare != 0.5 || c.WithOwnerShare != 1) {
			t.Errorf("SERVER shares: service %v owner %v", c.WithServiceShare, c.WithOwnerShare)
		}
	}
	names := func(refs []report.CIRef) []string {
		var out []string
		for _, r := range refs {
			out = append(out, r.Name)
		}
		return out
	}
	var stale []string
	for _, s := range h.StaleSample {
		stale = append(stale, s.CI.Name+"@"+s.LastSeenAt.Format(time.DateOnly))
	}
	if want := []string{"srv-02@2026-01-01", "app-01@2026-02-01"}; !reflect.DeepEqual(stale, want) {
		t.Errorf("stale sample = %v, want %v", stale, want)
	}
	if got, want := names(h.OrphanSample), []string{"sw-01", "tmp-01"}; !reflect.DeepEqual(got, want) {
		t.Errorf("orphans = %v, want %v", got, want)
	}
	if len(h.Duplicates) != 1 || h.Duplicates[0].Kind != "IP" || h.Duplicates[0].Value != "10.0.0.7" ||
		!reflect.DeepEqual(names(h.Duplicates[0].CIs), []string{"srv-01", "srv-02"}) {
		t.Errorf("duplicates = %+v", h.Duplicates)
	}
	var w []string
	for _, x := range h.Warranties {
		w = append(w, x.CI.Name+"/"+strconv.Itoa(x.DaysLeft))
	}
	if want := []string{"srv-01/10", "san-01/26"}; !reflect.DeepEqual(w, want) {
		t.Errorf("warranties = %v, want %v", w, want)
	}
	var cs []string
	for _, x := range h.Contracts {
		cs = append(cs, x.Number+"/"+strconv.Itoa(x.DaysLeft)+"/"+strconv.Itoa(x.CoveredCIs)+"/"+x.Vendor)
	}
	if want := []string{"SUP-1001/15/2/Acme Support", "MNT-4004/22/1/Acme Support"}; !reflect.DeepEqual(cs, want) {
		t.Errorf("contracts = %v, want %v", cs, want)
	}
	var jobs []string
	for _, j := range h.FailingJobs {
		last := "never"
		if j.LastSuccessAt != nil {
			last = j.LastSuccessAt.Format(time.RFC3339)
		}
		jobs = append(jobs, j.Name+"/"+j.Status+"/"+last)
		if j.ID != f.job[j.Name] || j.Error == "" {
			t.Errorf("failing job %+v", j)
		}
	}
	if want := []string{"snmp-core/TIMED_OUT/never", "ssh-fleet/FAILED/2026-03-08T04:00:00Z"}; !reflect.DeepEqual(jobs, want) {
		t.Errorf("failing jobs = %v, want %v", jobs, want)
	}
}

// TestRiskPaths: the services at risk are the same whether the graph is
// walked from each drifted CI or read whole, on the fixture and with more
// drifts, relationships and a cycle.
func TestRiskPaths(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		// A cycle (report-01 ↔ srv-02) and a second service of db-01.
		e.tx(t, func(ctx context.Context, c *ent.Client) error {
			c.Relationship.Create().SetFromID(f.ci["srv-02"]).SetToID(f.ci["report-01"]).SetType("DEPENDS_ON").ExecX(ctx)
			c.Relationship.Create().SetFromID(f.ci["report-01"]).SetToID(f.ci["srv-02"]).SetType("DEPENDS_ON").ExecX(ctx)
			c.Service.Create().SetName("backups").AddMemberIDs(f.ci["db-01"], f.ci["sw-01"]).ExecX(ctx)
			c.Drift.Create().SetConfigurationItemID(f.ci["report-01"]).SetKind(drift.KindAttributeChanged).SetFieldName("facts.a").
				SetRecorded("1").SetObserved("2").SetFirstSeenAt(at(3, 9, 9, 0)).SetLastSeenAt(at(3, 9, 9, 0)).ExecX(ctx)
			return nil
		})
		risk := func() map[int][]string {
			out := map[int][]string{}
			for _, d := range build(t, e.c, fixtureOptions()).Drifts {
				out[d.ID] = d.ServicesAtRisk
			}
			return out
		}
		walked := risk()
		restore := report.SetRiskScanFrom(1)
		scanned := risk()
		restore()
		if !reflect.DeepEqual(walked, scanned) {
			t.Errorf("walked %v\nscanned %v", walked, scanned)
		}
		// srv-02 now has report-01 as a dependent (reporting) and through
		// it lb-01 is 3 hops away... in the other direction: report-01
		// depends on lb-01, so lb-01 is not a dependent of srv-02.
		if got := walked[f.drift["D5"]]; !reflect.DeepEqual(got, []string{"reporting"}) {
			t.Errorf("D5 (srv-02) at risk: %v", got)
		}
		if got := walked[f.drift["D1"]]; !reflect.DeepEqual(got, []string{"backups", "checkout", "payments-api", "reporting"}) {
			t.Errorf("D1 (db-01) at risk: %v", got)
		}
	})
}

// TestHealthAlone is the GraphQL cmdbHealth path: Health with its own
// options, scoped and not.
func TestHealthAlone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		ctx := context.Background()
		h, err := report.Health(ctx, e.c, report.HealthOptions{Now: until})
		if err != nil {
			t.Fatal(err)
		}
		checkFixtureHealth(t, h, f)

		// Platform's CIs: lb-01, web-01, srv-01, srv-02.
		h, err = report.Health(ctx, e.c, report.HealthOptions{Now: until, Scope: report.Scope{Owners: []string{"Platform"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := [7]int{h.TotalCIs, h.Stale, h.NeverSeen, h.Orphans, h.DuplicateIdentifiers, h.WarrantiesExpiring, h.ContractsExpiring}
		if want := [7]int{4, 1, 0, 0, 1, 1, 1}; got != want {
			t.Errorf("Platform health = %v, want %v", got, want)
		}
		if len(h.Contracts) != 1 || h.Contracts[0].Number != "MNT-4004" {
			t.Errorf("Platform contracts = %+v", h.Contracts)
		}
		if len(h.FailingJobs) != 2 {
			t.Errorf("failing jobs are not scoped: %+v", h.FailingJobs)
		}

		// A wider window: 60 stale days make app-01 (1 Feb) fresh; 80
		// expiring days add srv-02's warranty (1 May); db-01's (1 June)
		// stays out.
		h, err = report.Health(ctx, e.c, report.HealthOptions{Now: until, StaleDays: 60, ExpiringDays: 80})
		if err != nil {
			t.Fatal(err)
		}
		if h.Stale != 1 || h.WarrantiesExpiring != 3 || h.ContractsExpiring != 2 {
			t.Errorf("60/80 days: stale %d warranties %d contracts %d", h.Stale, h.WarrantiesExpiring, h.ContractsExpiring)
		}

		if _, err := report.Health(ctx, e.c, report.HealthOptions{Now: until, Scope: report.Scope{Services: []string{"nope"}}}); err == nil ||
			!strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("unknown service: %v", err)
		}
	})
}

// TestEmptyWindow: a window without drift says so in Markdown and HTML,
// and JSON and CSV still carry the summary and a row.
func TestEmptyWindow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		seed(t, e)
		o := fixtureOptions()
		o.Since, o.Until = at(3, 3, 0, 0), at(3, 4, 0, 0)
		r := build(t, e.c, o)
		if !r.Empty() || r.Summary.Opened != 0 || len(r.Drifts) != 0 {
			t.Fatalf("window 3-4 March is not empty: %+v", r.Summary)
		}
		// D9 (20 Feb, accepted later) is not open; D8 (1 March) was still
		// open on 4 March but is resolved now; D11 (15 Feb) is the backlog.
		if r.Summary.OpenNow != 1 {
			t.Errorf("open now = %d, want 1", r.Summary.OpenNow)
		}
		md := render(t, r, "markdown")
		if !bytes.Contains(md, []byte("No drift in this window.")) {
			t.Error("markdown does not say there was no drift")
		}
		html := render(t, r, "html")
		if !bytes.Contains(html, []byte("No drift in this window.")) {
			t.Error("HTML does not say there was no drift")
		}
		var doc struct {
			Empty   bool            `json:"empty"`
			Summary map[string]any  `json:"summary"`
			Drifts  []any           `json:"drifts"`
			Health  json.RawMessage `json:"health"`
		}
		js := render(t, r, "json")
		if err := json.Unmarshal(js, &doc); err != nil {
			t.Fatal(err)
		}
		if !doc.Empty || doc.Summary["opened"] != float64(0) || doc.Drifts == nil || len(doc.Drifts) != 0 || len(doc.Health) < 10 {
			t.Errorf("empty JSON: %s", js)
		}
		recs, err := csv.NewReader(bytes.NewReader(render(t, r, "csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[0][0] != "ci_id" || recs[1][1] != report.NoDrift {
			t.Errorf("empty CSV = %q", recs)
		}
		stable := stableIDs(t, e.c)
		golden(t, "empty.md", stable(md))
		golden(t, "empty.json", stable(js))
		golden(t, "empty.csv", stable(render(t, r, "csv")))
		golden(t, "empty.html", stable(html))
	})
}

// TestEmptyDatabase: a fresh database reports nothing, in every format.
func TestEmptyDatabase(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		r := build(t, e.c, report.Options{Until: until})
		if !r.Empty() || r.Health.TotalCIs != 0 || r.Title != report.DefaultTitle || !r.Window.Since.Equal(until.Add(-24*time.Hour)) {
			t.Errorf("empty database: %+v", r)
		}
		for _, f := range report.Formats {
			render(t, r, f)
		}
	})
}

// TestScope narrows the fixture report by service, environment, kind and
// owner.
func TestScope(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		name := map[int]string{}
		for n, id := range f.drift {
			name[id] = n
		}
		for _, tc := range []struct {
			scope   report.Scope
			opened  int
			drifts  []string
			missing []string
			total   int // live CIs in the health section
		}{
			// app-01 (D7 ignored) and lb-01 (D3).
			{report.Scope{Services: []string{"checkout"}}, 2, []string{"D3"}, nil, 2},
			// web-01: D2 and D15, both authorised.
			{report.Scope{Environments: []string{"staging"}}, 2, nil, []string{"D15"}, 1},
			{report.Scope{Kinds: []string{"DATABASE", "SERVER"}}, 3, []string{"D10", "D1", "D5"}, []string{"D5"}, 3},
			// Platform: lb-01, web-01, srv-01, srv-02.
			{report.Scope{Owners: []string{"Platform"}}, 5, []string{"D10", "D3", "D5"}, []string{"D5", "D15"}, 4},
			// Payments Team covers Dana Reyes's app-01 too.
			{report.Scope{Owners: []string{"Payments Team"}}, 2, []string{"D1"}, nil, 3},
			// Conditions add up: Platform's servers.
			{report.Scope{Owners: []string{"Platform"}, Kinds: []string{"SERVER"}}, 2, []string{"D10", "D5"}, []string{"D5"}, 2},
		} {
			o := fixtureOptions()
			o.Scope = tc.scope
			r := build(t, e.c, o)
			var ds, ms []string
			for _, d := range r.Drifts {
				ds = append(ds, name[d.ID])
			}
			for _, m := range r.Missing {
				ms = append(ms, name[m.DriftID])
			}
			if r.Summary.Opened != tc.opened || !reflect.DeepEqual(ds, tc.drifts) || !reflect.DeepEqual(ms, tc.missing) ||
				len(r.Unregistered) != 0 || r.Health.TotalCIs != tc.total {
				t.Errorf("scope %+v: opened %d drifts %v missing %v unregistered %d CIs %d; want %d %v %v, %d CIs",
					tc.scope, r.Summary.Opened, ds, ms, len(r.Unregistered), r.Health.TotalCIs, tc.opened, tc.drifts, tc.missing, tc.total)
			}
			for _, d := range r.Drifts {
				if d.CI == nil {
					t.Errorf("scope %+v lists drift %s without a CI", tc.scope, name[d.ID])
				}
			}
		}
		for _, bad := range []report.Scope{
			{Kinds: []string{"MAINFRAME"}},
			{Environments: []string{"MOON"}},
			{Services: []string{"checkout", "nope"}},
			{Owners: []string{"Nobody"}},
		} {
			o := fixtureOptions()
			o.Scope = bad
			if _, err := report.Build(context.Background(), e.c, o); err == nil {
				t.Errorf("scope %+v accepted", bad)
			}
		}
	})
}

// TestOptions refuses impossible windows and settings.
func TestOptions(t *testing.T) {
	e := open(t, storetest.SQLiteDSN(t))
	for _, o := range []report.Options{
		{Since: until, Until: until},
		{Since: until.Add(time.Hour), Until: until},
		{Until: until, TrendDays: -1},
		{Until: until, TrendDays: report.MaxTrendDays + 1},
		{Until: until, StaleDays: -3},
		{Until: until, Dialect: "mysql"},
	} {
		if _, err := report.Build(context.Background(), e.c, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	r := build(t, e.c, report.Options{Until: until, TrendDays: 1, Dialect: "sqlite3"})
	if len(r.Trend) != 1 || r.Trend[0].Date != "2026-03-10" {
		t.Errorf("one-day trend = %+v", r.Trend)
	}
	// Until at midnight: the last trend day is the day before.
	r = build(t, e.c, report.Options{Until: at(3, 10, 0, 0), TrendDays: 7})
	if len(r.Trend) != 7 || r.Trend[6].Date != "2026-03-09" || r.Trend[0].Date != "2026-03-03" {
		t.Errorf("trend to midnight = %+v", r.Trend)
	}
	if err := report.Write(&bytes.Buffer{}, r, "pdf"); err == nil {
		t.Error("pdf accepted")
	}
}

// TestStatementsDoNotGrowWithDrifts counts the SQL statements of Build
// before and after adding 60 drifts on 60 new CIs with relationships and
// services: the number must not change (no query per drift or per CI).
func TestStatementsDoNotGrowWithDrifts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := open(t, dsn)
		f := seed(t, e)
		counts := func() (walk, scan int64) {
			e.count.Reset()
			build(t, e.c, fixtureOptions())
			walk = e.count.Count()
			defer report.SetRiskScanFrom(1)()
			e.count.Reset()
			build(t, e.c, fixtureOptions())
			return walk, e.count.Count()
		}
		walkBefore, scanBefore := counts()
		e.tx(t, func(ctx context.Context, c *ent.Client) error {
			svc := c.Service.Create().SetName("bulk").SaveX(ctx)
			for i := range 60 {
				ci := c.ConfigurationItem.Create().SetName("bulk-" + strconv.Itoa(i)).SetKind(configurationitem.KindVM).SaveX(ctx)
				c.Service.UpdateOneID(svc.ID).AddMemberIDs(ci.ID).ExecX(ctx)
				c.Relationship.Create().SetFromID(ci.ID).SetToID(f.ci["db-01"]).SetType("RUNS_ON").ExecX(ctx)
				c.Drift.Create().SetConfigurationItemID(ci.ID).SetKind(drift.KindAttributeChanged).SetFieldName("facts.x").
					SetRecorded("a").SetObserved("b").SetFirstSeenAt(at(3, 9, 10, 0)).SetLastSeenAt(at(3, 9, 10, 0)).ExecX(ctx)
			}
			return nil
		})
		if r := build(t, e.c, fixtureOptions()); len(r.Drifts) != 68 {
			t.Fatalf("%d drifts listed, want 68", len(r.Drifts))
		}
		walkAfter, scanAfter := counts()
		// About 15 for drift and health, 10 for the incidents section
		// (internal/alerts/kpi and the open backlog).
		if walkBefore != walkAfter || scanBefore != scanAfter || max(walkAfter, scanAfter) > 30 {
			t.Errorf("Build ran %d (walking) and %d (scanning) statements before, %d and %d after adding 60 drifts",
				walkBefore, scanBefore, walkAfter, scanAfter)
		}
		t.Logf("Build: %d SQL statements walking the graph, %d reading it whole", walkAfter, scanAfter)
	})
}

// TestEscaping: names with Markdown and HTML metacharacters stay text.
func TestEscaping(t *testing.T) {
	e := open(t, storetest.SQLiteDSN(t))
	seed(t, e)
	r := build(t, e.c, fixtureOptions())
	md := string(render(t, r, "markdown"))
	if !strings.Contains(md, `edge\|lb \<01\>`) || !strings.Contains(md, `front\|door → front door \<new\> \*beta\*`) || !strings.Contains(md, `Storage\|Ops`) {
		t.Error("markdown cells are not escaped")
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") < 2 {
			t.Errorf("broken table row %q", line)
		}
	}
	html := string(render(t, r, "html"))
	if strings.Contains(html, "<01>") || !strings.Contains(html, "edge|lb &lt;01&gt;") || strings.Contains(html, "<new>") {
		t.Error("HTML values are not escaped")
	}
	for _, bad := range []string{"<script", "http://", "https://", "url(", "@import", " src=", "<link", "<img", "<iframe"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("HTML contains %q: it must be self-contained", bad)
		}
	}
	for _, want := range []string{"<svg", "<style>", "@media print", `class="opened"`, `class="resolved"`, `class="kind-unauth"`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestCSVFormulas: a cell a spreadsheet would evaluate is neutralised.
func TestCSVFormulas(t *testing.T) {
	e := open(t, storetest.SQLiteDSN(t))
	f := seed(t, e)
	e.tx(t, func(ctx context.Context, c *ent.Client) error {
		return c.Drift.Create().SetConfigurationItemID(f.ci["db-01"]).SetKind(drift.KindAttributeChanged).SetFieldName("facts.motd").
			SetRecorded("-5").SetObserved(`=HYPERLINK("x","y")`).SetFirstSeenAt(at(3, 9, 10, 0)).SetLastSeenAt(at(3, 9, 10, 0)).Exec(ctx)
	})
	recs, err := csv.NewReader(bytes.NewReader(render(t, build(t, e.c, fixtureOptions()), "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range recs {
		if rec[3] == "facts.motd" {
			found = true
			if rec[4] != "-5" || rec[5] != `'=HYPERLINK("x","y")` {
				t.Errorf("row %q", rec)
			}
		}
	}
	if !found {
		t.Error("drift not in CSV")
	}
}
