package estate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// seededSQLite is a SQLite database with the demo estate.
func seededSQLite(t *testing.T) *app.DB {
	t.Helper()
	db := openSQLite(t)
	data, err := os.ReadFile(demoPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SeedDemo(context.Background(), db.Client, data, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db
}

func reportText(t *testing.T, rep *ImportResult) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ciCount(t *testing.T, db *app.DB) int {
	t.Helper()
	n, err := db.Client.ConfigurationItem.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportBadCSV(t *testing.T) {
	ctx := context.Background()
	db := seededSQLite(t)
	before := ciCount(t, db)
	data, err := os.ReadFile(repoPath("testdata", "import", "bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMapping("name=Name,kind=Type,hostname=Host,serialNumber=Serial,ip=IP Address,owner=Owner,environment=Environment,attr.rack=Rack")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "bad.csv"})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	golden(t, repoPath("testdata", "import", "bad.golden"), reportText(t, rep))
	if got := ciCount(t, db); got != before {
		t.Fatalf("an invalid import wrote %d CIs", got-before)
	}
	for _, want := range []string{
		`line 3: hostname: invalid host name "bad_host"`,
		`line 4: owner: unknown owner "Nobody Team"`,
		`line 5: kind: unknown kind "Toaster"`,
	} {
		if !bytes.Contains(reportText(t, rep), []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}

	// --partial writes the valid rows.
	rep, err = ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "bad.csv", Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, repoPath("testdata", "import", "bad-partial.golden"), reportText(t, rep))
	er := rep.Entity(EntConfigurationItems)
	if er.Created != 3 || er.Skipped != 9 {
		t.Fatalf("partial import: %+v, want 3 created and 9 skipped", er)
	}
	if got := ciCount(t, db); got != before+3 {
		t.Fatalf("partial import stored %d CIs, want 3", got-before)
	}
	ci, err := db.Client.ConfigurationItem.Query().Where(configurationitem.Name("web-ok-02")).Only(ctx)
	if err != nil || ci.Environment != configurationitem.EnvironmentDisasterRecovery || ci.Kind != configurationitem.KindVM {
		t.Fatalf("web-ok-02: %+v (%v)", ci, err)
	}
	n, err := db.Client.AuditEvent.Query().Where(auditevent.Actor("import:bad.csv"), auditevent.EntityID(ci.ID)).Count(ctx)
	if err != nil || n != 1 {
		t.Fatalf("%d audit events by import:bad.csv for web-ok-02 (%v), want 1", n, err)
	}
}

func TestImportCSVDryRunAndUpdate(t *testing.T) {
	ctx := context.Background()
	db := seededSQLite(t)
	before := ciCount(t, db)
	data, err := os.ReadFile(repoPath("testdata", "import", "hosts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMapping("name=Name,kind=Type,status=Status,hostname=Host,fqdn=FQDN,serialNumber=Serial,ip=IP Address,mac=MAC,owner=Owner,service=Service,tags=Tags,attr.rack=Rack")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "hosts.csv", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, repoPath("testdata", "import", "hosts-dry-run.golden"), reportText(t, rep))
	if got := ciCount(t, db); got != before {
		t.Fatalf("a dry run wrote %d CIs", got-before)
	}
	rep, err = ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "hosts.csv"})
	if err != nil {
		t.Fatal(err)
	}
	er := rep.Entity(EntConfigurationItems)
	if er.Created != 4 || er.Updated != 1 || er.Unchanged != 1 {
		t.Fatalf("import: %+v, want 4 created, 1 updated, 1 unchanged", er)
	}
	esx, err := db.Client.ConfigurationItem.Query().Where(configurationitem.Name("fra1-esx01")).Only(ctx)
	if err != nil || esx.Status != configurationitem.StatusMaintenance || esx.Attributes["rack"] != "A03" || esx.Attributes["model"] != "PowerEdge R750" {
		t.Fatalf("fra1-esx01 after the import: %+v (%v)", esx, err)
	}
	web, err := db.Client.ConfigurationItem.Query().Where(configurationitem.Name("fra1-web09")).WithServices().WithIdentifiers().Only(ctx)
	if err != nil || len(web.Edges.Services) != 1 || web.Edges.Services[0].Name != "Checkout" || len(web.Edges.Identifiers) != 3 {
		t.Fatalf("fra1-web09: %+v (%v), want member of Checkout with hostname, FQDN and IP identifiers", web, err)
	}
	rep, err = ImportCSV(ctx, BulkClient(db), bytes.NewReader(data), m, ImportOptions{Source: "hosts.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if er := rep.Entity(EntConfigurationItems); er.Created != 0 || er.Updated != 0 || er.Unchanged != 6 {
		t.Fatalf("second import: %+v, want 6 unchanged", er)
	}
}

func TestImportCSVDefaultMapping(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	in := "NAME,kind,Serial Number,ip,attr.rack,Comment\nsrv-a,network device,ABC123,10.0.0.1;10.0.0.2,R7,hello\n"
	rep, err := ImportCSV(ctx, db.Client, strings.NewReader(in), nil, ImportOptions{Source: "x.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rep.Ignored, ","); got != "Comment" {
		t.Fatalf("ignored %q, want Comment", got)
	}
	ci, err := db.Client.ConfigurationItem.Query().WithIdentifiers().Only(ctx)
	if err != nil || ci.Kind != configurationitem.KindNetworkDevice || deref(ci.SerialNumber) != "ABC123" || ci.Attributes["rack"] != "R7" || len(ci.Edges.Identifiers) != 3 {
		t.Fatalf("imported %+v (%v)", ci, err)
	}
}

func TestImportJSONProblems(t *testing.T) {
	day := func(s string) *time.Time {
		v, _ := time.Parse("2006-01-02", s)
		return &v
	}
	tests := []struct {
		name string
		doc  Document
		want []string
	}{
		{"bad hostname", Document{ConfigurationItems: []CI{{Name: "a", Kind: "VM"}, {Name: "b", Kind: "VM", Hostname: "bad_host"}}},
			[]string{`configurationItems[1].hostname: invalid host name "bad_host"`}},
		{"unknown owner and kind", Document{ConfigurationItems: []CI{{Name: "a", Kind: "Toaster", Owner: "Nobody"}}},
			[]string{`configurationItems[0].kind: unknown kind "Toaster"`}},
		{"unknown owner", Document{ConfigurationItems: []CI{{Name: "a", Kind: "VM", Owner: "Nobody"}}},
			[]string{`configurationItems[0].owner: unknown owner "Nobody"`}},
		{"relationship to nowhere", Document{ConfigurationItems: []CI{{Name: "a", Kind: "VM"}},
			Relationships: []Relationship{{From: "a", To: "b", Type: "runs_on"}}},
			[]string{`relationships[0].to: unknown configuration item "b"`}},
		{"self loop", Document{ConfigurationItems: []CI{{Name: "a", Kind: "VM"}},
			Relationships: []Relationship{{From: "a", To: "a", Type: "RUNS_ON"}}},
			[]string{`relationships[0].to: a CI cannot depend on itself`}},
		{"contract dates and money", Document{Contracts: []Contract{{Number: "K1", Kind: "SUPPORT", StartDate: day("2026-01-01"), EndDate: day("2025-01-01"), Cost: "12.345"}}},
			[]string{`contracts[0].endDate: endDate (2025-01-01T00:00:00Z) must be after startDate`}},
		{"asset salvage above cost", Document{ConfigurationItems: []CI{{Name: "s", Kind: "SERVER"}},
			Assets: []Asset{{ConfigurationItem: "s", Cost: "100.00", SalvageValue: "200.00"}}},
			[]string{`assets[0].salvageValue: salvage value 200.00 must not exceed cost 100.00`}},
		{"person as team", Document{Owners: []Owner{{Name: "p", Kind: "PERSON"}, {Name: "q", Kind: "PERSON", Team: "p"}}},
			[]string{`owners[1].team: "p" is a PERSON, not a TEAM`}},
		{"duplicate serial", Document{ConfigurationItems: []CI{{Name: "a", Kind: "SERVER", SerialNumber: "X1"}, {Name: "b", Kind: "SERVER", SerialNumber: "x1"}}},
			[]string{`configurationItems[1]: duplicates configurationItems[0] (same serial number "X1")`}},
		{"bad identifier", Document{ConfigurationItems: []CI{{Name: "a", Kind: "VM", Identifiers: []Identifier{{Kind: "MAC", Value: "zz"}}}}},
			[]string{`configurationItems[0].identifiers[0].value: invalid MAC`}},
		{"service members", Document{Services: []Service{{Name: "S", Tier: ptr(7), Members: []string{"ghost"}}}},
			[]string{`services[0].tier:`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openSQLite(t)
			tc.doc.Version = Version
			rep, err := Import(context.Background(), db.Client, &tc.doc, ImportOptions{Source: "t.json"})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			text := string(reportText(t, rep))
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("report lacks %q:\n%s", w, text)
				}
			}
			if n := ciCount(t, db); n != 0 {
				t.Errorf("an invalid import wrote %d CIs", n)
			}
		})
	}
}

// TestImportMatching checks that import updates the CI an element names by
// identifier instead of creating a duplicate.
func TestImportMatching(t *testing.T) {
	existing := &Document{Version: Version, ConfigurationItems: []CI{
		{Name: "srv-1", Kind: "SERVER", Hostname: "srv-1", FQDN: "srv-1.fra.example.com", SerialNumber: "S1"},
		{Name: "db01", Kind: "SERVER", FQDN: "db01.ams.example.com"},
		{Name: "vm-7", Kind: "VM", Hostname: "vm-7", Identifiers: []Identifier{{Kind: "IP", Value: "10.0.0.7"}, {Kind: "CLOUD_ID", Value: "i-0123"}}},
		{Name: "app", Kind: "APPLICATION"},
		{Name: "shared-ip-a", Kind: "VM", Identifiers: []Identifier{{Kind: "IP", Value: "10.9.9.9"}}},
		{Name: "shared-ip-b", Kind: "VM", Identifiers: []Identifier{{Kind: "IP", Value: "10.9.9.9"}}},
		{Name: "x-db01", Kind: "SERVER", Hostname: "db01", FQDN: "db01.eu.example.org"},
		{Name: "lon3-app", Kind: "VM", Identifiers: []Identifier{{Kind: "IP", Value: "10.20.0.1", Scope: "lon3"}}},
	}}
	tests := []struct {
		name    string
		ci      CI
		matches string // name of the existing CI, "" for a new one
	}{
		{"by serial, renamed", CI{Name: "srv-1-renamed", Kind: "SERVER", SerialNumber: "s1"}, "srv-1"},
		{"by cloud id", CI{Name: "x", Identifiers: []Identifier{{Kind: "CLOUD_ID", Value: "i-0123"}}}, "vm-7"},
		{"by FQDN with a dotted hostname", CI{Name: "db01", Hostname: "DB01.ams.example.com."}, "db01"},
		{"same hostname, other domain", CI{Name: "db01", Kind: "SERVER", FQDN: "db01.fra.example.com"}, ""},
		{"serial conflicts with hostname match", CI{Name: "srv-1", Kind: "SERVER", Hostname: "srv-1", SerialNumber: "OTHER"}, ""},
		{"by unique IP", CI{Name: "y", Identifiers: []Identifier{{Kind: "IP", Value: "10.0.0.7"}}}, "vm-7"},
		{"IP naming two CIs is no match", CI{Name: "z", Kind: "VM", Identifiers: []Identifier{{Kind: "IP", Value: "10.9.9.9"}}}, ""},
		{"by name without identifiers", CI{Name: "app", Kind: "APPLICATION", Description: "now described"}, "app"},
		// Issue 20: a short name in another domain is another host.
		{"short name, other domain", CI{Name: "us-db01", Kind: "SERVER", FQDN: "db01.us.example.org"}, ""},
		{"host name and FQDN, other domain", CI{Name: "us-db01", Kind: "SERVER", Hostname: "db01", FQDN: "db01.us.example.org"}, ""},
		{"address in its scope", CI{Name: "lon3-app-renamed", Identifiers: []Identifier{{Kind: "IP", Value: "10.20.0.1", Scope: " LON3"}}}, "lon3-app"},
		{"address in another scope", CI{Name: "fra1-app", Kind: "VM", Identifiers: []Identifier{{Kind: "IP", Value: "10.20.0.1", Scope: "fra1"}}}, ""},
		{"address without a scope", CI{Name: "global-app", Kind: "VM", Identifiers: []Identifier{{Kind: "IP", Value: "10.20.0.1"}}}, ""},
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openDB(t, dsn)
		if _, err := Import(ctx, db.Client, existing, ImportOptions{Source: "existing.json"}); err != nil {
			t.Fatal(err)
		}
		ids := map[string]int{}
		all, _ := db.Client.ConfigurationItem.Query().All(ctx)
		for _, c := range all {
			ids[c.Name] = c.ID
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				rep, err := Import(ctx, db.Client, &Document{Version: Version, ConfigurationItems: []CI{tc.ci}}, ImportOptions{Source: "m.json", DryRun: true})
				if err != nil {
					t.Fatalf("%v: %v", err, rep.Problems)
				}
				er := rep.Entity(EntConfigurationItems)
				if tc.matches == "" {
					if er.Created != 1 {
						t.Fatalf("%+v, want a new CI", er)
					}
					return
				}
				if er.Created != 0 {
					t.Fatalf("%+v, want a match with %s", er, tc.matches)
				}
				// Apply for real and check which CI changed.
				if _, err := Import(ctx, db.Client, &Document{Version: Version, ConfigurationItems: []CI{tc.ci}}, ImportOptions{Source: "m.json"}); err != nil {
					t.Fatal(err)
				}
				got, err := db.Client.ConfigurationItem.Get(ctx, ids[tc.matches])
				if err != nil || got.Name != tc.ci.Name {
					t.Fatalf("CI %s after the import: %+v (%v)", tc.matches, got, err)
				}
				ids[tc.ci.Name] = ids[tc.matches]
			})
		}
	})
}

// TestImportScopesAndNotIdentity: the CSV scope column scopes the row's
// private addresses (a public one stays global); a scope on another kind
// and a value that is not identity are problems naming the field.
func TestImportScopesAndNotIdentity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openDB(t, dsn)
		in := "name,kind,ip,mac,scope\nr1,server,10.1.1.1;203.0.113.5,aa:bb:cc:00:00:09, LON3\n"
		if _, err := ImportCSV(ctx, db.Client, strings.NewReader(in), nil, ImportOptions{Source: "x.csv"}); err != nil {
			t.Fatal(err)
		}
		ci, err := db.Client.ConfigurationItem.Query().WithIdentifiers().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, id := range ci.Edges.Identifiers {
			got = append(got, string(id.Kind)+" "+id.Value+"@"+deref(id.Scope))
		}
		sort.Strings(got)
		if strings.Join(got, ", ") != "IP 10.1.1.1@lon3, IP 203.0.113.5@, MAC aa:bb:cc:00:00:09@" {
			t.Fatalf("identifiers %s", strings.Join(got, ", "))
		}
		doc := &Document{Version: Version, ConfigurationItems: []CI{
			{Name: "a", Kind: "SERVER", Identifiers: []Identifier{{Kind: "MAC", Value: "00-00-5E-00-01-01"}}},
			{Name: "b", Kind: "SERVER", Identifiers: []Identifier{{Kind: "MAC", Value: "aa:bb:cc:00:00:0a", Scope: "lon3"}}},
		}}
		rep, err := Import(ctx, db.Client, doc, ImportOptions{Source: "y.json", DryRun: true})
		if err == nil {
			t.Fatal("an import of values that are not identity succeeded")
		}
		var probs []string
		for _, p := range rep.Problems {
			probs = append(probs, p.String())
		}
		all := strings.Join(probs, "\n")
		if !strings.Contains(all, "identifiers[0].value") || !strings.Contains(all, "VRRP") ||
			!strings.Contains(all, "identifiers[0].scope") || !strings.Contains(all, "only an IP address has a network scope") {
			t.Fatalf("problems:\n%s", all)
		}
	})
}
