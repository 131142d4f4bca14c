package nodeexporter_test

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
	"github.com/cairn-cmdb/cairn/internal/lab"
)

var record = flag.Bool("record", false, "rewrite testdata/discovery/nodeexporter/lab.prom from the lab's node_exporter (needs prometheus-node-exporter)")

// labAccept is the Accept header the source sends, so that the recording is
// what a scrape gets.
const labAccept = `text/plain;version=0.0.4;q=1,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,*/*;q=0.1`

// recordFixture (run by the lab test with -record) rewrites lab.prom with -record.
func recordFixture(t *testing.T) {
	ne := lab.StartNodeExporter(t)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, ne.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", labAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", ne.URL, resp.Status)
	}
	t.Logf("Content-Type: %s", resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fixtures, "lab.prom"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// memTotal reads MemTotal from /proc/meminfo, in bytes.
func memTotal(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}

// TestLabNodeExporter scrapes the real exporter of the lab, then takes it
// away: a run that still reaches another exporter is partial, one that
// reaches none fails.
func TestLabNodeExporter(t *testing.T) {
	if *record {
		t.Run("record", recordFixture)
	}
	ne := lab.StartNodeExporter(t)

	src, err := registry(t).Build(nodeexporter.KindName, []byte(`{"timeout": "5s"}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	res, err := src.Discover(context.Background(), discovery.Env{Targets: []string{ne.Addr}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial || len(res.HostErrors) > 0 || len(res.Observations) != 1 {
		t.Fatalf("result partial=%v hostErrors=%v observations=%d, want one observation", res.Partial, res.HostErrors, len(res.Observations))
	}
	o := res.Observations[0]
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	if want := "node_exporter " + ne.Addr; o.Key != want {
		t.Errorf("key %q, want %q", o.Key, want)
	}
	if !o.SeenAt.Equal(now) {
		t.Errorf("seenAt %v, want env.Now %v", o.SeenAt, now)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != host {
		t.Errorf("name (nodename) %q, want os.Hostname() %q", o.Name, host)
	}
	if got, want := o.Facts["memory.total_bytes"], strconv.FormatInt(memTotal(t), 10); got != want {
		t.Errorf("memory.total_bytes %q, want MemTotal of /proc/meminfo ×1024 = %s", got, want)
	}
	for _, k := range []string{"os.id", "os.name", "kernel.release", "kernel.arch", "kernel.sysname", "cpu.count", "exporter.version", "fs./.size_bytes"} {
		if o.Facts[k] == "" {
			t.Errorf("fact %s missing; facts: %q", k, o.Facts)
		}
	}
	for k := range o.Facts {
		if strings.Contains(k, "avail") || strings.Contains(k, "free") {
			t.Errorf("fact %s moves on an idle machine", k)
		}
	}

	// A second scrape of an idle machine yields the same facts.
	again, err := src.Discover(context.Background(), discovery.Env{Targets: []string{ne.Addr}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Observations[0].Facts; !equalMaps(got, o.Facts) {
		t.Errorf("facts moved between two scrapes:\nfirst  %q\nsecond %q", o.Facts, got)
	}

	// Another exporter on 127.0.0.1 serving the recorded page.
	page, err := os.ReadFile(filepath.Join(fixtures, "lab.prom"))
	if err != nil {
		t.Fatal(err)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(page)
	}))
	defer other.Close()
	otherTarget := strings.TrimPrefix(other.URL, "http://")

	ne.Stop()
	res, err = src.Discover(context.Background(), discovery.Env{Targets: []string{ne.Addr, otherTarget}, Now: now})
	if err != nil {
		t.Fatalf("run with one exporter left: %v, want a partial result", err)
	}
	if !res.Partial || len(res.Observations) != 1 || res.Observations[0].Key != "node_exporter "+otherTarget {
		t.Fatalf("partial=%v observations=%d, want partial with the other exporter only", res.Partial, len(res.Observations))
	}
	if msg := res.HostErrors[ne.Addr]; !strings.Contains(msg, "connection refused") {
		t.Errorf("host error of the stopped exporter %q, want connection refused", msg)
	}
	if len(res.HostErrors) != 1 {
		t.Errorf("host errors %q, want only %s", res.HostErrors, ne.Addr)
	}

	res, err = src.Discover(context.Background(), discovery.Env{Targets: []string{ne.Addr}, Now: now})
	if err == nil || !strings.Contains(err.Error(), "every host failed") || !strings.Contains(err.Error(), ne.Addr) {
		t.Fatalf("run with only the stopped exporter = %v, %v; want a failed run naming %s", res, err, ne.Addr)
	}
}

func equalMaps(a, b map[string]string) bool {
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
