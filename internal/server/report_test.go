package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

const createReport = `mutation($in: CreateReportScheduleInput!) {
  createReportSchedule(input: $in) { id name formats schedule nextRuns(count: 1) webhooks { url hasSecret } scope { services kinds } }
}`

const runReport = `mutation($id: ID!) { runReportSchedule(id: $id) {
  status driftCount sizes error windowStart windowEnd
  deliveries { destination format ok attempts status path error } } }`

func TestReportSchedules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		now := time.Now().UTC()
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			ci, err := tx.ConfigurationItem.Create().SetName("db-01").SetKind(configurationitem.KindDatabase).SetHostname("db-01").Save(ctx)
			if err != nil {
				return err
			}
			return tx.Drift.Create().SetKind(drift.KindAttributeChanged).SetConfigurationItemID(ci.ID).
				SetFieldName("facts.os.version").SetRecorded("11").SetObserved("12").
				SetFirstSeenAt(now.Add(-time.Hour)).SetLastSeenAt(now.Add(-time.Hour)).SetSource("discovery:scan").Exec(ctx)
		})

		// A receiver that checks the signature and fails twice, then accepts.
		var calls, good atomic.Int32
		var body atomic.Value
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			n := calls.Add(1)
			if deliver.Verify([]byte("hook-secret"), b, r.Header.Get("X-Cairn-Signature")) {
				good.Add(1)
			}
			body.Store(b)
			if n <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		}))
		defer recv.Close()
		// An unreachable webhook: a loopback port opened and closed.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + ln.Addr().String() + "/hook"
		ln.Close()

		dir := filepath.Join(t.TempDir(), "reports")
		bad := []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"name": "x", "schedule": "@daily", "formats": []string{"JSON"}}, "directory"},
			{map[string]any{"name": "x", "schedule": "nope", "formats": []string{"JSON"}, "directory": dir}, "schedule"},
			{map[string]any{"name": "x", "schedule": "@daily", "formats": []string{}, "directory": dir}, "formats"},
			{map[string]any{"name": "x", "schedule": "@daily", "formats": []string{"JSON"}, "webhooks": []any{map[string]any{"url": "ftp://x"}}}, "webhooks[0].url"},
		}
		for _, b := range bad {
			if e := env.Do(t, env.Admin, createReport, map[string]any{"in": b.in}).Err(t); e.Code() != "BAD_USER_INPUT" || e.Field() != b.field {
				t.Errorf("create %v: %s on %q (%s), want BAD_USER_INPUT on %s", b.in, e.Code(), e.Field(), e.Message, b.field)
			}
		}
		in := map[string]any{
			"name": "morning", "schedule": "0 7 * * 1-5", "timeZone": "Europe/Berlin",
			"formats": []string{"MARKDOWN", "HTML", "JSON", "CSV"}, "directory": dir, "retain": 5,
			"webhooks": []any{map[string]any{"url": recv.URL + "/cairn?token=abc", "secret": "hook-secret"}, map[string]any{"url": dead}},
		}
		if e := env.Do(t, env.Editor, createReport, map[string]any{"in": in}).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("editor creating a report schedule: %s", e.Code())
		}
		resp := env.Do(t, env.Admin, createReport, map[string]any{"in": in}).OK(t)
		if strings.Contains(string(resp.Body), "hook-secret") {
			t.Fatalf("webhook secret returned: %s", resp.Body)
		}
		var created struct {
			CreateReportSchedule struct {
				ID       string
				Webhooks []struct {
					URL       string
					HasSecret bool
				}
			}
		}
		resp.Decode(t, &created)
		if w := created.CreateReportSchedule.Webhooks; len(w) != 2 || !w[0].HasSecret || w[1].HasSecret {
			t.Fatalf("webhooks = %+v", w)
		}
		var run struct {
			RunReportSchedule struct {
				Status     string
				DriftCount int
				Sizes      map[string]int
				Deliveries []struct {
					Destination, Format string
					Ok                  bool
					Attempts            int
					Path, Error         *string
				}
			}
		}
		env.Do(t, env.Admin, runReport, map[string]any{"id": created.CreateReportSchedule.ID}).OK(t).Decode(t, &run)
		r := run.RunReportSchedule
		if r.Status != "PARTIAL" || r.DriftCount != 1 || len(r.Deliveries) != 6 {
			t.Fatalf("run = %+v", r)
		}
		for _, f := range []string{"markdown", "html", "json", "csv"} {
			if r.Sizes[f] == 0 {
				t.Errorf("size of %s = 0", f)
			}
		}
		var files []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			files = append(files, e.Name())
		}
		if len(files) != 4 {
			t.Errorf("report directory holds %v, want 4 files", files)
		}
		for _, d := range r.Deliveries {
			switch {
			case strings.HasPrefix(d.Destination, "directory"):
				if !d.Ok || d.Path == nil {
					t.Errorf("directory delivery %+v", d)
				}
			case strings.Contains(d.Destination, strings.TrimPrefix(recv.URL, "http://")):
				if !d.Ok || d.Attempts != 3 || strings.Contains(d.Destination, "token") {
					t.Errorf("webhook delivery %+v (want ok after 3 attempts, URL without its query)", d)
				}
			default:
				if d.Ok || d.Error == nil {
					t.Errorf("unreachable webhook delivery %+v, want failed", d)
				}
			}
		}
		if calls.Load() != 3 || good.Load() != 3 {
			t.Errorf("receiver saw %d requests, %d with a good signature; want 3 and 3", calls.Load(), good.Load())
		}
		var payload map[string]any
		if err := json.Unmarshal(body.Load().([]byte), &payload); err != nil || payload["summary"] == nil {
			t.Errorf("webhook payload is not the JSON report: %v %.200s", err, body.Load())
		}
		md, _ := os.ReadFile(filepath.Join(dir, files[indexOf(files, ".md")]))
		if !strings.Contains(string(md), "db-01") || !strings.Contains(string(md), "facts.os.version") {
			t.Errorf("markdown report lacks the drift:\n%.2000s", md)
		}
		// The next run covers only what came after this one: no drift.
		env.Do(t, env.Admin, runReport, map[string]any{"id": created.CreateReportSchedule.ID}).OK(t).Decode(t, &run)
		if run.RunReportSchedule.DriftCount != 0 {
			t.Errorf("second run drift count = %d, want 0 (window since the last run)", run.RunReportSchedule.DriftCount)
		}
		var list struct {
			ReportRuns struct{ TotalCount int }
		}
		env.Do(t, env.Admin, `{ reportRuns { totalCount } }`, nil).OK(t).Decode(t, &list)
		if list.ReportRuns.TotalCount != 2 {
			t.Errorf("report runs = %d", list.ReportRuns.TotalCount)
		}
		if e := env.Do(t, env.Viewer, `{ reportSchedules { totalCount } }`, nil).Err(t); e.Code() != "FORBIDDEN" {
			t.Errorf("viewer listing report schedules: %s", e.Code())
		}
	})
}

func indexOf(files []string, suffix string) int {
	for i, f := range files {
		if strings.HasSuffix(f, suffix) {
			return i
		}
	}
	return 0
}

func TestCMDBHealthOverGraphQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{CountStatements: true})
		env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
			for _, n := range []string{"a", "b", "c"} {
				if err := tx.ConfigurationItem.Create().SetName(n).SetKind(configurationitem.KindServer).SetSerialNumber("SN-" + n).Exec(ctx); err != nil {
					return err
				}
			}
			ids := tx.ConfigurationItem.Query().IDsX(ctx)
			// One identifier on two CIs.
			for _, id := range ids[:2] {
				if err := tx.Identifier.Create().SetConfigurationItemID(id).SetKind("MAC").SetValue("02:00:00:00:00:01").Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		var h struct {
			CmdbHealth struct {
				TotalCIs, Orphans, NeverSeen, DuplicateIdentifiers int
				Completeness                                       []struct {
					Kind      string
					Count     int
					WithOwner float64
				}
				OrphanSample []struct{ Name string }
				Duplicates   []struct {
					Kind, Value        string
					ConfigurationItems []struct{ Name string }
				}
			}
		}
		env.Counter.Reset()
		env.Do(t, env.Viewer, `{ cmdbHealth(staleDays: 7) { totalCIs orphans neverSeen duplicateIdentifiers
			completeness { kind count withOwner } orphanSample { name } duplicates { kind value configurationItems { name } } } }`, nil).OK(t).Decode(t, &h)
		c := h.CmdbHealth
		if c.TotalCIs != 3 || c.Orphans != 3 || c.NeverSeen != 3 || c.DuplicateIdentifiers != 1 || len(c.OrphanSample) != 3 {
			t.Errorf("health = %+v", c)
		}
		if len(c.Completeness) != 1 || c.Completeness[0].Kind != "SERVER" || c.Completeness[0].Count != 3 || c.Completeness[0].WithOwner != 0 {
			t.Errorf("completeness = %+v", c.Completeness)
		}
		if len(c.Duplicates) != 1 || c.Duplicates[0].Value != "02:00:00:00:00:01" || len(c.Duplicates[0].ConfigurationItems) != 2 {
			t.Errorf("duplicates = %+v", c.Duplicates)
		}
		if n := env.Counter.Count(); n > 20 {
			t.Errorf("cmdbHealth took %d statements", n)
		}
		if e := env.Do(t, env.Viewer, `{ cmdbHealth(staleDays: 0) { totalCIs } }`, nil).Err(t); e.Code() != "BAD_USER_INPUT" || e.Field() != "staleDays" {
			t.Errorf("staleDays 0: %s %s", e.Code(), e.Field())
		}
	})
}

// TestReportScheduleRunsOnItsSchedule: a schedule created through GraphQL
// runs on the discovery scheduler and writes its report.
func TestReportScheduleRunsOnItsSchedule(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Discovery: true})
		env.StartScheduler(t)
		dir := filepath.Join(t.TempDir(), "out")
		env.Do(t, env.Admin, createReport, map[string]any{"in": map[string]any{
			"name": "every-second", "schedule": "* * * * * *", "formats": []string{"JSON"}, "directory": dir,
		}}).OK(t)
		deadline := time.Now().Add(5 * time.Second)
		for {
			entries, _ := os.ReadDir(dir)
			n, err := env.DB.Client.ReportRun.Query().Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 && len(entries) > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no scheduled report run within 5 s (%d runs, %d files)", n, len(entries))
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
