package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/estate"
)

// TestMain lets the test binary act as the cairn command, so a test can
// start it as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("CAIRN_TEST_AS_MAIN") == "1" {
		root := newRoot(os.Stdout, os.Stderr)
		root.SetArgs(os.Args[1:])
		if err := root.ExecuteContext(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "cairn:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestDiscoverRunFromFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cairn.db")
	if _, err := runCairn(t, "--db", db, "seed", "--demo"); err != nil {
		t.Fatal(err)
	}
	scan, _ := filepath.Abs("../../testdata/discovery/nmap/loopback.xml")
	out, err := runCairn(t, "--db", db, "discover", "run", "--source", "nmap", "--file", scan, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dry run (nothing written)", "observed        1", "unregistered    1", "OPEN_DRIFT"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCairn(t, "--db", db, "discover", "run", "--source", "nmap", "--file", scan, "--create-unregistered", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"created": 1`) || !strings.Contains(out, `"status": "SUCCEEDED"`) {
		t.Errorf("run output:\n%s", out)
	}
	// A malformed file is a failed run, exit non-zero, naming the element.
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte("<nmaprun><host><status state=\"up\"/><address addr=\"300.1.1.1\" addrtype=\"ipv4\"/></host></nmaprun>"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCairn(t, "--db", db, "discover", "run", "--source", "nmap", "--file", bad)
	if err == nil || !strings.Contains(err.Error(), "discovery run failed") || !strings.Contains(out, "FAILED") || !strings.Contains(out, "300.1.1.1") {
		t.Errorf("malformed scan: err=%v out=%s", err, out)
	}
	if _, err := runCairn(t, "--db", db, "discover", "run", "--source", "nmap", "--file", scan, "--mode", "sideways"); err == nil || !strings.Contains(err.Error(), "--mode") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := runCairn(t, "--db", db, "discover", "run", "no-such-job"); err == nil || !strings.Contains(err.Error(), `no discovery job named "no-such-job"`) {
		t.Errorf("unknown job: %v", err)
	}
}

// TestKilledRunChangesNothing kills a discovery process in the middle of a
// large run: the database must be exactly as it was before the run.
func TestKilledRunChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: seeds 20,000 CIs")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "cairn.db")
	const n = 20000
	if _, err := runCairn(t, "--db", db, "seed", "--synthetic", fmt.Sprint(n)); err != nil {
		t.Fatal(err)
	}
	// Every CI gets a new fact: 20,000 audited fills, several seconds.
	var csv bytes.Buffer
	csv.WriteString("hostname,fact.rack\n")
	for i := range n {
		fmt.Fprintf(&csv, "%s,R%d\n", estate.SyntheticHostname(i), i%40)
	}
	inv := filepath.Join(dir, "inventory.csv")
	if err := os.WriteFile(inv, csv.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, db)
	cmd := exec.Command(os.Args[0], "--db", db, "discover", "run", "--source", "file", "--file", inv)
	cmd.Env = append(os.Environ(), "CAIRN_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the run finished (%v) before it could be killed; make it larger\n%s", err, stderr.String())
	case <-time.After(2 * time.Second):
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	after := fingerprint(t, db)
	if before != after {
		t.Fatalf("a killed run changed the database:\nbefore %s\nafter  %s", before, after)
	}
	// The same run, not killed, does change it: the fingerprint can tell.
	if _, err := runCairn(t, "--db", db, "discover", "run", "--source", "file", "--file", inv); err != nil {
		t.Fatal(err)
	}
	if done := fingerprint(t, db); done == before {
		t.Fatal("a finished run left the fingerprint unchanged: the check cannot fail")
	}
}

// fingerprint summarises what a run may write.
func fingerprint(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity check: %q %v", ok, err)
	}
	var parts []string
	for _, q := range []string{
		"SELECT COUNT(*) FROM discovery_runs",
		"SELECT COUNT(*) FROM drifts",
		"SELECT COUNT(*) FROM audit_events",
		"SELECT COUNT(*) FROM identifiers",
		"SELECT COUNT(*) FROM configuration_items",
		"SELECT COUNT(*) FROM configuration_items WHERE facts LIKE '%rack%'",
		"SELECT COUNT(*) FROM configuration_items WHERE last_seen_at IS NOT NULL",
	} {
		var c int
		if err := db.QueryRow(q).Scan(&c); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		parts = append(parts, fmt.Sprint(c))
	}
	return strings.Join(parts, "/")
}

func TestReportDriftCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cairn.db")
	if _, err := runCairn(t, "--db", db, "seed", "--demo"); err != nil {
		t.Fatal(err)
	}
	// Nothing has drifted yet: the report says so rather than being empty.
	out, err := runCairn(t, "--db", db, "report", "drift", "--since", "24h", "--format", "md")
	if err != nil || !strings.Contains(out, "No drift in this window.") {
		t.Fatalf("empty window: %v\n%s", err, out)
	}
	// lab.xml: a host identified from one run to the next (127.0.0.1 and
	// localhost never are; testdata/discovery/nmap/README.md).
	scan, _ := filepath.Abs("../../testdata/discovery/nmap/lab.xml")
	opened, _ := filepath.Abs("../../testdata/discovery/nmap/lab-port-opened.xml")
	for _, f := range []string{scan, opened} {
		if _, err := runCairn(t, "--db", db, "discover", "run", "--source", "nmap", "--file", f, "--create-unregistered"); err != nil {
			t.Fatal(err)
		}
	}
	csvOut, err := runCairn(t, "--db", db, "report", "drift", "--since", "1h", "--format", "csv")
	if err != nil || !strings.Contains(csvOut, "facts.port.tcp.8080") {
		t.Fatalf("csv report: %v\n%s", err, csvOut)
	}
	html := filepath.Join(dir, "drift.html")
	if _, err := runCairn(t, "--db", db, "report", "drift", "--since", "1h", "--format", "html", "--out", html); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(b, []byte("<svg")) || bytes.Contains(b, []byte("http://")) && bytes.Contains(b, []byte("<link")) {
		t.Errorf("html report: %v, %d bytes", err, len(b))
	}
	for _, bad := range [][]string{
		{"--format", "pdf"},
		{"--since", "yesterday"},
		{"--since", "-5h"},
	} {
		args := append([]string{"--db", db, "report", "drift"}, bad...)
		if _, err := runCairn(t, args...); err == nil {
			t.Errorf("report drift %v: no error", bad)
		}
	}
}

// TestDiscoverRunNetworkScope: a one-off run records the private addresses
// of its file in --network-scope; a bad scope or one given with a job is
// refused before anything runs.
func TestDiscoverRunNetworkScope(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cairn.db")
	inv := filepath.Join(dir, "inv.csv")
	if err := os.WriteFile(inv, []byte("key,identifier.IP\nbox,10.1.2.3\nweb,203.0.113.9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCairn(t, "--db", db, "discover", "run", "--source", "file", "--file", inv, "--create-unregistered", "--network-scope", " Site-A "); err != nil {
		t.Fatal(err)
	}
	d, err := app.Open(context.Background(), db, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ids, err := d.Client.Identifier.Query().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, id := range ids {
		if id.Kind == "IP" {
			got[id.Value] = deref(id.Scope)
		}
	}
	if got["10.1.2.3"] != "site-a" || got["203.0.113.9"] != "" {
		t.Errorf("address scopes = %v, want 10.1.2.3 in site-a and the public 203.0.113.9 global", got)
	}
	for _, args := range [][]string{
		{"--source", "file", "--file", inv, "--network-scope", "bad\x01scope"},
		{"nightly", "--network-scope", "site-a"},
	} {
		if _, err := runCairn(t, append([]string{"--db", db, "discover", "run"}, args...)...); err == nil || !strings.Contains(err.Error(), "network-scope") {
			t.Errorf("discover run %q: %v, want an error naming --network-scope", args, err)
		}
	}
}
