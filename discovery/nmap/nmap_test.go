package nmap_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nmap"
)

func registry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(nmap.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKind(t *testing.T) {
	k := nmap.Kind()
	if k.Name != "nmap" {
		t.Errorf("Kind().Name = %q, want nmap", k.Name)
	}
	cfg, ok := k.NewConfig().(*nmap.Config)
	if !ok {
		t.Fatalf("NewConfig() is %T, want *nmap.Config", k.NewConfig())
	}
	if !reflect.DeepEqual(cfg, nmap.DefaultConfig()) {
		t.Errorf("NewConfig() = %+v, want the defaults %+v", cfg, nmap.DefaultConfig())
	}
	if k.NewConfig() == k.NewConfig() {
		t.Error("NewConfig returns a shared configuration")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // substring of the error; "" for success
	}{
		{"defaults only", ``, "file: is required"},
		{"empty object", `{}`, "file: is required"},
		{"empty file", `{"file": ""}`, "file: is required"},
		{"file wrong type", `{"file": 42}`, "file"},
		{"unknown setting", `{"file": "scan.xml", "targets": ["10.0.0.0/8"]}`, `unknown field "targets"`},
		{"valid", `{"file": "/var/lib/cairn/scan.xml"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := registry(t).Decode("nmap", []byte(tt.raw))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.(*nmap.Config).File; got != "/var/lib/cairn/scan.xml" {
					t.Errorf("File = %q", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode(%s) succeeded, want an error mentioning %q", tt.raw, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "nmap" {
				t.Errorf("error %v is not an nmap ConfigError", err)
			}
		})
	}
}

func TestValidateMissingFile(t *testing.T) {
	err := discovery.Validate(nmap.DefaultConfig())
	if err == nil || !strings.Contains(err.Error(), "file") {
		t.Fatalf("Validate(defaults) = %v, want an error about file", err)
	}
	if err := discovery.Validate(&nmap.Config{File: "scan.xml"}); err != nil {
		t.Errorf("Validate with a file: %v", err)
	}
	if _, err := nmap.DefaultConfig().Build(); err == nil {
		t.Error("Build without a file succeeded")
	}
}

func TestDiscover(t *testing.T) {
	file := filepath.Join(fixtures, "loopback-range.xml")
	src, err := registry(t).Build("nmap", []byte(`{"file": "`+file+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*nmap.Source); !ok {
		t.Fatalf("Build returned %T, want *nmap.Source", src)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := src.Discover(context.Background(), discovery.Env{Now: now, Targets: []string{"192.0.2.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial || len(res.HostErrors) > 0 {
		t.Errorf("result partial=%v hostErrors=%v, want neither", res.Partial, res.HostErrors)
	}
	if !reflect.DeepEqual(res.Observations, parseFile(t, "loopback-range.xml")) {
		t.Error("Discover's observations differ from Parse's (targets must be ignored, scan times kept)")
	}

	// A scan that recorded no time is stamped with env.Now.
	dir := t.TempDir()
	untimed := filepath.Join(dir, "untimed.xml")
	if err := os.WriteFile(untimed, []byte(scan(`<host><status state="up"/><address addr="192.0.2.2" addrtype="ipv4"/></host>`)), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err = (&nmap.Config{File: untimed}).Build()
	if err != nil {
		t.Fatal(err)
	}
	res, err = src.Discover(context.Background(), discovery.Env{Now: now.In(time.FixedZone("X", 3600))})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Observations[0].SeenAt; !got.Equal(now) || got.Location() != time.UTC {
		t.Errorf("SeenAt = %v, want env.Now %v in UTC", got, now)
	}
}

func TestDiscoverErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte("<nmaprun><host>"), 0o644); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		file string
		want string
	}{
		{"missing file", context.Background(), filepath.Join(dir, "nope.xml"), "nope.xml: no such file"},
		{"malformed file", context.Background(), bad, "parsing nmap XML " + bad + ": host 1"},
		{"cancelled", cancelled, filepath.Join(fixtures, "loopback.xml"), "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := (&nmap.Config{File: tt.file}).Build()
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Discover(tt.ctx, discovery.Env{Now: time.Now()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Discover = %v, %v; want an error containing %q", res, err, tt.want)
			}
		})
	}
}
