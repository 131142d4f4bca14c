package nodeexporter_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
)

func registry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(nodeexporter.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKind(t *testing.T) {
	k := nodeexporter.Kind()
	if k.Name != "node_exporter" {
		t.Errorf("Kind().Name = %q, want node_exporter", k.Name)
	}
	cfg, ok := k.NewConfig().(*nodeexporter.Config)
	if !ok {
		t.Fatalf("NewConfig() is %T, want *nodeexporter.Config", k.NewConfig())
	}
	want := &nodeexporter.Config{Port: 9100, Path: "/metrics", Scheme: "http", Timeout: discovery.Duration(10 * time.Second), Concurrency: 10}
	if !reflect.DeepEqual(cfg, want) || !reflect.DeepEqual(nodeexporter.DefaultConfig(), want) {
		t.Errorf("NewConfig() = %+v, want the documented defaults %+v", cfg, want)
	}
	if k.NewConfig() == k.NewConfig() {
		t.Error("NewConfig returns a shared configuration")
	}
	if err := discovery.Validate(cfg); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		field string // the ConfigError's field, when the validator finds it
		want  string // substring of the error; "" for success
	}{
		{"defaults", ``, "", ""},
		{"empty object", `{}`, "", ""},
		{"everything", `{"port": 9200, "path": "/node", "scheme": "https", "timeout": "1m30s", "concurrency": 3, "rate": 2.5, "hosts": ["web01", "10.0.0.0/30", "db01:9100", "https://x.example.com/metrics"]}`, "", ""},
		{"port zero", `{"port": 0}`, "port", "must be at least 1"},
		{"port too big", `{"port": 70000}`, "port", "must be at most 65535"},
		{"port wrong type", `{"port": "9100"}`, "port", "want int"},
		{"relative path", `{"path": "metrics"}`, "path", "startswith"},
		{"empty path", `{"path": ""}`, "path", "is required"},
		{"scheme", `{"scheme": "ftp"}`, "scheme", "must be one of http https"},
		{"timeout not a duration", `{"timeout": "soon"}`, "", "is not a duration"},
		{"timeout a boolean", `{"timeout": false}`, "", "want a duration string"},
		{"timeout zero", `{"timeout": "0s"}`, "", "timeout: must be a positive duration"},
		{"concurrency zero", `{"concurrency": 0}`, "concurrency", "must be at least 1"},
		{"negative rate", `{"rate": -1}`, "rate", "must be at least 0"},
		{"unknown setting", `{"ports": [9100]}`, "", `unknown field "ports"`},
		{"bad host", `{"hosts": ["web 01"]}`, "", "hosts: target"},
		{"bad port", `{"hosts": ["web01:http"]}`, "", "port must be a number"},
		{"bad url scheme", `{"hosts": ["ftp://web01/metrics"]}`, "", "scheme must be http or https"},
		{"url without host", `{"hosts": ["http:///metrics"]}`, "", "no host"},
		{"credentials in url", `{"hosts": ["http://admin:hunter2@web01/metrics"]}`, "", "credentials"},
		{"range too wide", `{"hosts": ["10.0.0.0/8"]}`, "", "range too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry(t).Build("node_exporter", []byte(tt.raw))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%s) = %v, want an error containing %q", tt.raw, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats a password", err)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "node_exporter" || ce.Field != tt.field {
				t.Errorf("error %#v is not a node_exporter ConfigError for field %q", err, tt.field)
			}
		})
	}
}

// exporter is an httptest server on 127.0.0.1 serving page with the given
// Content-Type, recording the requests it gets.
type exporter struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func serve(t *testing.T, contentType string, page []byte) *exporter {
	t.Helper()
	e := &exporter{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.reqs = append(e.reqs, r)
		e.mu.Unlock()
		w.Header()["Content-Type"] = nil // no sniffing when contentType is ""
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		_, _ = w.Write(page)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *exporter) hostPort() string { return strings.TrimPrefix(e.URL, "http://") }

func (e *exporter) requests() []*http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*http.Request(nil), e.reqs...)
}

func build(t *testing.T, cfg *nodeexporter.Config) discovery.Source {
	t.Helper()
	src, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	return src
}

const textFormat = "text/plain; version=0.0.4; charset=utf-8"

// portOf returns the port of a 127.0.0.1 test server.
func portOf(t *testing.T, e *exporter) int {
	t.Helper()
	_, p, _ := strings.Cut(e.hostPort(), ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func keys(res *discovery.Result) []string {
	var out []string
	for _, o := range res.Observations {
		out = append(out, o.Key)
	}
	return out
}

// Targets of every form reach the right URL; two spellings of one URL are
// scraped once, under the first.
func TestDiscoverTargets(t *testing.T) {
	e := serve(t, textFormat, readFixture(t, "handmade.prom"))
	port := portOf(t, e)

	cfg := nodeexporter.DefaultConfig()
	cfg.Port = port
	cfg.Path = "/custom"
	cfg.Hosts = []string{"127.0.0.1"}
	src := build(t, cfg)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	targets := []string{
		e.hostPort(),                 // same URL as the host
		e.URL + "/custom",            // same URL again
		"  ",                         // nothing
		e.URL + "/other/metrics?x=1", // a URL of its own
		"127.0.0.0/31",               // 127.0.0.0 and 127.0.0.1 (a duplicate)
	}
	res, err := src.Discover(context.Background(), discovery.Env{Targets: targets, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"node_exporter 127.0.0.1", "node_exporter " + e.URL + "/other/metrics?x=1"}
	if got := keys(res); !reflect.DeepEqual(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	// 127.0.0.0 has no exporter on that port: a host error.
	if !res.Partial || len(res.HostErrors) != 1 || res.HostErrors["127.0.0.0"] == "" {
		t.Errorf("partial=%v hostErrors=%q, want 127.0.0.0 only", res.Partial, res.HostErrors)
	}
	var paths []string
	for _, r := range e.requests() {
		paths = append(paths, r.URL.RequestURI())
		if a := r.Header.Get("Accept"); !strings.HasPrefix(a, "text/plain;version=0.0.4") {
			t.Errorf("Accept %q, want the text format first", a)
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("Authorization sent without credentials")
		}
	}
	sort.Strings(paths)
	if wantPaths := []string{"/custom", "/other/metrics?x=1"}; !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("requests %q, want %q", paths, wantPaths)
	}
	for _, o := range res.Observations {
		if !o.SeenAt.Equal(now) || o.SeenAt.Location() != time.UTC {
			t.Errorf("%s: seenAt %v, want env.Now in UTC", o.Key, o.SeenAt)
		}
		if err := o.Check(); err != nil {
			t.Error(err)
		}
	}
	// The observation is Parse's, stamped.
	want0 := parseFile(t, "handmade.prom")
	want0.Key, want0.SeenAt = "node_exporter 127.0.0.1", now.UTC()
	if !reflect.DeepEqual(res.Observations[0], want0) {
		t.Errorf("observation differs from Parse's:\n got %+v\nwant %+v", res.Observations[0], want0)
	}
}

func TestDiscoverNoTargets(t *testing.T) {
	src := build(t, nodeexporter.DefaultConfig())
	_, err := src.Discover(context.Background(), discovery.Env{Targets: []string{" "}})
	if err == nil || !strings.Contains(err.Error(), "no targets") {
		t.Fatalf("Discover without targets = %v", err)
	}
	_, err = src.Discover(context.Background(), discovery.Env{Targets: []string{"not a host"}})
	if err == nil || !strings.Contains(err.Error(), "neither an IP address nor a host name") {
		t.Fatalf("Discover with a bad target = %v", err)
	}
}

// protoPage re-encodes a text page as delimited protocol buffers.
func protoPage(t *testing.T, text []byte) []byte {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeProtoDelim))
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := enc.Encode(fams[n]); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// The response is decoded in the format its Content-Type names.
func TestDiscoverContentTypes(t *testing.T) {
	page := readFixture(t, "handmade.prom")
	want := parseFile(t, "handmade.prom")
	tests := []struct {
		name        string
		contentType string
		page        []byte
		status      int
		wantErr     string
	}{
		{name: "text 0.0.4", contentType: textFormat, page: page},
		{name: "text 0.0.4 with escaping", contentType: textFormat + "; escaping=underscores", page: page},
		{name: "text 1.0.0", contentType: "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8", page: page},
		{name: "text without version", contentType: "text/plain", page: page},
		{name: "no content type", contentType: "", page: page},
		{name: "delimited protobuf", contentType: string(expfmt.NewFormat(expfmt.TypeProtoDelim)), page: protoPage(t, page)},
		{name: "openmetrics", contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8", page: page, wantErr: "unsupported Content-Type"},
		{name: "html", contentType: "text/html; charset=utf-8", page: []byte("<html></html>"), wantErr: "unsupported Content-Type"},
		{name: "not found", contentType: "text/plain", page: []byte("404 page not found\n"), status: 404, wantErr: "404 Not Found"},
		{name: "not node_exporter", contentType: textFormat, page: []byte("# TYPE up gauge\nup 1\n"), wantErr: "no node_uname_info metric"},
		{name: "malformed text", contentType: textFormat, page: []byte("node_uname_info{nodename=\n"), wantErr: "parsing metrics"},
		{name: "truncated protobuf", contentType: string(expfmt.NewFormat(expfmt.TypeProtoDelim)), page: protoPage(t, page)[:100], wantErr: "decoding protocol-buffer metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header()["Content-Type"] = nil
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				_, _ = w.Write(tt.page)
			}))
			defer srv.Close()
			target := strings.TrimPrefix(srv.URL, "http://")
			res, err := build(t, nodeexporter.DefaultConfig()).Discover(context.Background(), discovery.Env{Targets: []string{target}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), target) {
					t.Fatalf("Discover = %v, %v; want an error naming %s and containing %q", res, err, target, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := res.Observations[0]
			got.Key, got.SeenAt = want.Key, want.SeenAt
			if !reflect.DeepEqual(got, want) {
				t.Errorf("observation differs from Parse's:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDiscoverCredentials(t *testing.T) {
	page := readFixture(t, "handmade.prom")
	tests := []struct {
		name  string
		creds map[string]string
		check func(r *http.Request) bool
	}{
		{"basic", map[string]string{"username": "prom", "password": "s3cret"}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "prom" && p == "s3cret"
		}},
		{"bearer", map[string]string{"token": "tok-123"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer tok-123"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tt.check(r) {
					http.Error(w, "Unauthorized", http.StatusUnauthorized)
					return
				}
				w.Header().Set("Content-Type", textFormat)
				_, _ = w.Write(page)
			}))
			defer srv.Close()
			src := build(t, nodeexporter.DefaultConfig())
			target := strings.TrimPrefix(srv.URL, "http://")
			if _, err := src.Discover(context.Background(), discovery.Env{Targets: []string{target}, Credentials: tt.creds}); err != nil {
				t.Fatal(err)
			}
			_, err := src.Discover(context.Background(), discovery.Env{Targets: []string{target}})
			if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") {
				t.Fatalf("without credentials: %v, want 401", err)
			}
			for _, v := range tt.creds {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q repeats a credential", err)
				}
			}
		})
	}
}

func TestDiscoverTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := nodeexporter.DefaultConfig()
	cfg.Timeout = discovery.Duration(100 * time.Millisecond)
	start := time.Now()
	_, err := build(t, cfg).Discover(context.Background(), discovery.Env{Targets: []string{strings.TrimPrefix(srv.URL, "http://")}})
	if err == nil || !strings.Contains(err.Error(), "timed out after 100ms") {
		t.Fatalf("Discover = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := build(t, nodeexporter.DefaultConfig()).Discover(ctx, discovery.Env{Targets: []string{strings.TrimPrefix(srv.URL, "http://")}}); err == nil {
		t.Fatal("Discover with a cancelled context succeeded")
	}
}

// A page larger than MaxBody is refused, not read whole.
func TestDiscoverTooLarge(t *testing.T) {
	head := readFixture(t, "handmade.prom")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", textFormat)
		_, _ = w.Write(head)
		line := bytes.Repeat([]byte("# filler\n"), 1<<13)
		for n := len(head); n <= nodeexporter.MaxBody; n += len(line) {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := build(t, nodeexporter.DefaultConfig()).Discover(context.Background(), discovery.Env{Targets: []string{strings.TrimPrefix(srv.URL, "http://")}})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Discover = %v, want the page refused as too large", err)
	}
}
