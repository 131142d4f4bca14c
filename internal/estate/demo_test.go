package estate

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func demoPath() string { return repoPath("testdata", "demo", "estate.json") }

// exportBytes exports the estate of c as the CLI writes it.
func exportBytes(t testing.TB, db interface{ export() ([]byte, error) }) []byte {
	t.Helper()
	b, err := db.export()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type exporter struct {
	ctx context.Context
	run func(context.Context) (*Document, error)
}

func (e exporter) export() ([]byte, error) {
	doc, err := e.run(e.ctx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = Encode(&buf, doc)
	return buf.Bytes(), err
}

// TestDemoEstate checks that testdata/demo/estate.json is what the generator
// produces (in export form), rewrites it with -update, and checks that it
// imports cleanly and exports byte for byte on both backends.
func TestDemoEstate(t *testing.T) {
	ctx := context.Background()
	canon := openSQLite(t)
	rep, err := Import(ctx, canon.Client, demoDocument(), ImportOptions{Source: "generator"})
	if err != nil {
		for _, p := range rep.Problems {
			t.Log(p)
		}
		t.Fatal(err)
	}
	want := exportBytes(t, exporter{ctx, func(ctx context.Context) (*Document, error) { return ExportDB(ctx, canon, ExportOptions{}) }})
	if *update {
		if err := os.WriteFile(demoPath(), want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(demoPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, want) {
		t.Fatalf("%s is not what the generator produces: run go test ./internal/estate -run TestDemoEstate -update", demoPath())
	}
	checkDemoContent(t, committed)

	storetest.Run(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		rep, err := SeedDemo(ctx, db.Client, committed, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) > 0 || rep.Entity(EntConfigurationItems).Created < 190 {
			t.Fatalf("seed: %+v", rep)
		}
		got := exportBytes(t, exporter{ctx, func(ctx context.Context) (*Document, error) { return ExportDB(ctx, db, ExportOptions{}) }})
		if !bytes.Equal(got, committed) {
			t.Fatalf("demo → import → export differs from the committed file:\n%s", firstDiff(got, committed))
		}
		events, err := db.Client.AuditEvent.Query().Where(auditevent.Actor(DemoActor)).Count(ctx)
		if err != nil || events == 0 {
			t.Fatalf("%d audit events by %q (%v)", events, DemoActor, err)
		}
		// Seeding again changes nothing.
		rep, err = SeedDemo(ctx, db.Client, committed, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, er := range rep.Entities {
			if er.Created != 0 || er.Updated != 0 {
				t.Errorf("second seed: %s %+v, want everything unchanged", er.Entity, er)
			}
		}
		again, _ := db.Client.AuditEvent.Query().Count(ctx)
		total, _ := db.Client.AuditEvent.Query().Where(auditevent.Actor(DemoActor)).Count(ctx)
		if total != events {
			t.Errorf("second seed wrote %d audit events", again-events)
		}
		// And an export with a timestamp carries it.
		doc, err := ExportDB(ctx, db, ExportOptions{Timestamp: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
		if err != nil || doc.ExportedAt == nil || doc.ExportedAt.Format(time.RFC3339) != "2026-11-23T10:00:00Z" {
			t.Fatalf("exportedAt: %v (%v)", doc.ExportedAt, err)
		}
	})
}

func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + string(la[i]) + "\nwant: " + string(lb[i])
		}
	}
	return "lengths differ"
}

// checkDemoContent checks that the demo estate has what the brief asks for.
func checkDemoContent(t *testing.T, data []byte) {
	t.Helper()
	doc, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc.ConfigurationItems); n < 190 || n > 230 {
		t.Errorf("%d CIs, want about 200", n)
	}
	if n := len(doc.Services); n != 15 {
		t.Errorf("%d services, want 15", n)
	}
	kinds := map[string]bool{}
	for _, c := range doc.ConfigurationItems {
		kinds[c.Kind] = true
	}
	for _, k := range enumsOf(migrate.ConfigurationItemsTable, "kind") {
		if !kinds[k] {
			t.Errorf("no CI of kind %s", k)
		}
	}
	types := map[string]bool{}
	for _, r := range doc.Relationships {
		types[r.Type] = true
	}
	for _, k := range enumsOf(migrate.RelationshipsTable, "type") {
		if !types[k] {
			t.Errorf("no relationship of type %s", k)
		}
	}
	ckinds := map[string]bool{}
	soon, past, future := 0, 0, 0
	today := demoToday()
	for _, c := range doc.Contracts {
		ckinds[c.Kind] = true
		switch {
		case c.EndDate.Before(today):
			past++
		case c.EndDate.Before(today.AddDate(0, 0, 90)):
			soon++
		}
		if c.StartDate.After(today) {
			future++
		}
	}
	for _, k := range enumsOf(migrate.ContractsTable, "kind") {
		if !ckinds[k] {
			t.Errorf("no contract of kind %s", k)
		}
	}
	if soon == 0 || past == 0 || future == 0 {
		t.Errorf("contracts: %d expiring within 90 days, %d ended, %d not started: want some of each", soon, past, future)
	}
	statuses := map[string]bool{}
	for _, c := range doc.ChangeRecords {
		statuses[c.Status] = true
	}
	for _, s := range []string{"APPROVED", "IN_PROGRESS", "REJECTED"} {
		if !statuses[s] {
			t.Errorf("no change record %s", s)
		}
	}
}
