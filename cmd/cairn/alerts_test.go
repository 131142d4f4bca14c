package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// rowCounts returns the number of rows of every table of a SQLite file.
func rowCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+tb+`"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// TestAlertsReplay replays a recorded storm on the demo estate: NodeDown
// on the four hosts behind ams2-tor-sw04 (ams2-db01, ams2-db02,
// ams2-bkp01, ams2-esx03) plus a PostgresDown on ams2-db01, a noise alert
// on euc1-web01 and an alert on a host Cairn does not know. It must form
// exactly one storm incident with the silent switch as top candidate, keep
// the noise apart and the unknown host unbound, print what
// testdata/alerts/replay.text.golden holds, and write nothing.
func TestAlertsReplay(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if out, err := runCairn(t, "seed", "--demo", "--db", db); err != nil {
		t.Fatalf("seed --demo: %v\n%s", err, out)
	}
	storm := filepath.Join("..", "..", "testdata", "alerts", "demo-storm.json")
	before := rowCounts(t, db)

	out, err := runCairn(t, "alerts", "replay", "--db", db, "--file", storm)
	if err != nil {
		t.Fatalf("alerts replay: %v\n%s", err, out)
	}
	golden(t, filepath.Join("testdata", "alerts", "replay.text.golden"), out)

	out, err = runCairn(t, "alerts", "replay", "--db", db, "--file", storm, "--json")
	if err != nil {
		t.Fatalf("alerts replay --json: %v\n%s", err, out)
	}
	golden(t, filepath.Join("testdata", "alerts", "replay.json.golden"), out)
	var rep struct {
		Alerts, Bound, Unbound int
		Incidents              []struct {
			Alerts []struct {
				Fingerprint       string
				ConfigurationItem *struct{ Name string }
				BoundBy           string
			}
			RootCauseCandidates []struct {
				ConfigurationItem struct{ Name string }
				Score             float64
				Reasons           []string
				Path              []struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if rep.Alerts != 7 || rep.Bound != 6 || rep.Unbound != 1 || len(rep.Incidents) != 3 {
		t.Fatalf("got %d alerts (%d bound, %d unbound) in %d incidents, want 7 (6, 1) in 3", rep.Alerts, rep.Bound, rep.Unbound, len(rep.Incidents))
	}
	cisOf := func(i int) []string {
		var cis []string
		for _, a := range rep.Incidents[i].Alerts {
			name := "unbound"
			if a.ConfigurationItem != nil {
				name = a.ConfigurationItem.Name + " by " + a.BoundBy
			}
			cis = append(cis, name)
		}
		return cis
	}
	want := [][]string{
		{"ams2-db01 by instance", "ams2-db02 by instance", "ams2-bkp01 by instance", "ams2-esx03 by instance", "ams2-db01 by instance"},
		{"euc1-web01 by instance"},
		{"unbound"},
	}
	for i, w := range want {
		if got := cisOf(i); strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("incident %d alerts %v, want %v", i+1, got, w)
		}
	}
	top := rep.Incidents[0].RootCauseCandidates[0]
	if top.ConfigurationItem.Name != "ams2-tor-sw04" || top.Score < 0.5 || len(top.Path) != 2 || top.Path[1].Name != "ams2-tor-sw04" ||
		!strings.Contains(strings.Join(top.Reasons, ";"), "shared dependency of 4 of 4 alerted CIs") {
		t.Errorf("storm's top candidate %+v, want the silent ams2-tor-sw04 explaining all 4 alerted CIs", top)
	}
	if len(rep.Incidents[2].RootCauseCandidates) != 0 {
		t.Errorf("the unbound alert's incident has candidates %+v", rep.Incidents[2].RootCauseCandidates)
	}

	// --hops 1 still forms the storm incident: the switch is one hop
	// below each host.
	out, err = runCairn(t, "alerts", "replay", "--db", db, "--file", storm, "--hops", "1", "--json")
	if err != nil {
		t.Fatalf("alerts replay --hops 1: %v", err)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Incidents) != 3 || rep.Incidents[0].RootCauseCandidates[0].ConfigurationItem.Name != "ams2-tor-sw04" {
		t.Errorf("--hops 1: %d incidents, top %+v", len(rep.Incidents), rep.Incidents[0].RootCauseCandidates)
	}

	after := rowCounts(t, db)
	for tb, n := range before {
		if after[tb] != n {
			t.Errorf("table %s: %d rows before the replay, %d after", tb, n, after[tb])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d tables before the replay, %d after", len(before), len(after))
	}
}

// TestAlertsReplayBadInput checks that a bad recording or setting is
// refused with a message naming the file, the payload and the element.
func TestAlertsReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	if out, err := runCairn(t, "seed", "--demo", "--db", db); err != nil {
		t.Fatalf("seed --demo: %v\n%s", err, out)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	am := `{"version":"4","status":"firing","receiver":"r","groupKey":"g","alerts":[` +
		`{"status":"firing","labels":{"alertname":"A","instance":"ams2-db01:9100"},"startsAt":"2026-12-07T10:00:00Z"},` +
		`{"status":"firing","labels":{"alertname":"B"},"startsAt":"yesterday"}]}`
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"bad time in one payload", []string{"--file", write("one.json", am)}, "one.json: alertmanager payload: alerts[1].startsAt"},
		{"bad time in the second payload", []string{"--file", write("two.json", "["+strings.Replace(am, "yesterday", "2026-12-07T10:00:01Z", 1)+","+am+"]")}, "two.json: payloads[1]: alerts[1].startsAt"},
		{"generic array", []string{"--file", write("gen.json", `[{"labels":{"alertname":"A"},"startsAt":"2026-12-07T10:00:00Z","sttus":"firing"}]`)}, "gen.json: alerts[0]"},
		{"not JSON", []string{"--file", write("text.json", "hello")}, "text.json: the file is neither a JSON object"},
		{"missing file", []string{"--file", filepath.Join(dir, "none.json")}, "reading --file"},
		{"no file", nil, "--file is required"},
		{"bad format", []string{"--file", write("ok.json", am), "--format", "csv"}, `--format "csv"`},
		{"bad hops", []string{"--file", write("ok2.json", am), "--hops", "0"}, "correlation setting hops: 0 is outside 1..8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"alerts", "replay", "--db", db}, c.args...)
			_, err := runCairn(t, args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
