package snmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
)

func registry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(snmp.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKindAndDefaults(t *testing.T) {
	k := snmp.Kind()
	if k.Name != "snmp" {
		t.Errorf("Kind().Name = %q, want snmp", k.Name)
	}
	cfg, ok := k.NewConfig().(*snmp.Config)
	if !ok {
		t.Fatalf("NewConfig() is %T, want *snmp.Config", k.NewConfig())
	}
	want := &snmp.Config{Port: 161, Version: "2c", Timeout: discovery.Duration(2 * time.Second), Retries: 1,
		Concurrency: 10, Rate: 0, MaxRepetitions: 25, Neighbours: true}
	if !reflect.DeepEqual(cfg, want) || !reflect.DeepEqual(snmp.DefaultConfig(), want) {
		t.Errorf("defaults = %+v, want %+v", cfg, want)
	}
	if k.NewConfig() == k.NewConfig() {
		t.Error("NewConfig returns a shared configuration")
	}
	if _, err := registry(t).Build("snmp", nil); err != nil {
		t.Errorf("the defaults do not build: %v", err)
	}
	b, err := json.Marshal(cfg)
	if err != nil || !strings.Contains(string(b), `"timeout":"2s"`) {
		t.Errorf("marshalled defaults %s (%v): want timeout \"2s\"", b, err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // substring of the error; "" for success
	}{
		{"empty", ``, ""},
		{"v3", `{"version": "3", "port": 1161, "timeout": "150ms", "retries": 0, "concurrency": 1, "rate": 2.5, "maxRepetitions": 50, "hosts": ["192.0.2.0/30", "sw1.example.net"]}`, ""},
		{"version 1", `{"version": "1"}`, "version: must be one of 2c 3"},
		{"version number", `{"version": 3}`, "version"},
		{"port 0", `{"port": 0}`, "port: must be at least 1"},
		{"port too big", `{"port": 70000}`, "port: must be at most 65535"},
		{"negative retries", `{"retries": -1}`, "retries: must be at least 0"},
		{"no concurrency", `{"concurrency": 0}`, "concurrency: must be at least 1"},
		{"negative rate", `{"rate": -1}`, "rate: must be at least 0"},
		{"maxRepetitions 0", `{"maxRepetitions": 0}`, "maxRepetitions: must be at least 1"},
		{"timeout array", `{"timeout": [2]}`, `want a duration string such as "30s" or a number of seconds, got an array`},
		{"timeout garbage", `{"timeout": "2 seconds"}`, `"2 seconds" is not a duration`},
		{"timeout zero", `{"timeout": "0s"}`, "timeout: 0s is not between 1ms and 1m0s"},
		{"timeout huge", `{"timeout": "1h"}`, "timeout: 1h0m0s is not between"},
		{"bad host", `{"hosts": ["10.0.0.0/33"]}`, "hosts: target"},
		{"huge range", `{"hosts": ["10.0.0.0/8"]}`, "hosts: target"},
		{"unknown setting", `{"community": "public"}`, `unknown field "community"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := registry(t).Build("snmp", []byte(tt.raw))
			if tt.want == "" {
				if err != nil || src == nil {
					t.Fatalf("Build(%s): %v", tt.raw, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Build(%s) succeeded, want an error mentioning %q", tt.raw, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "snmp" {
				t.Errorf("error %v is not an snmp ConfigError", err)
			}
		})
	}
}

func build(t *testing.T, raw string) *snmp.Source {
	t.Helper()
	src, err := registry(t).Build("snmp", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return src.(*snmp.Source)
}

func TestDiscoverCredentials(t *testing.T) {
	tests := []struct {
		version string
		creds   map[string]string
		want    string
	}{
		{"2c", nil, `SNMP v2c needs "community"`},
		{"2c", map[string]string{"user": "u"}, `SNMP v2c needs "community"`},
		{"3", map[string]string{"community": "c"}, `SNMP v3 needs "user"`},
		{"3", map[string]string{"user": "u", "priv_password": "secret-priv"}, `"priv_password" without "auth_password"`},
		{"3", map[string]string{"user": "u", "auth_protocol": "SHA"}, `"auth_protocol" without "auth_password"`},
		{"3", map[string]string{"user": "u", "auth_password": "secret-auth", "priv_protocol": "AES"}, `"priv_protocol" without "priv_password"`},
		{"3", map[string]string{"user": "u", "auth_password": "secret-auth", "auth_protocol": "SHA3"}, `"auth_protocol" "SHA3" is not one of`},
		{"3", map[string]string{"user": "u", "auth_password": "secret-auth", "priv_password": "secret-priv", "priv_protocol": "3DES"}, `"priv_protocol" "3DES" is not one of`},
	}
	for _, tt := range tests {
		s := build(t, `{"version": "`+tt.version+`"}`)
		_, err := s.Discover(context.Background(), discovery.Env{Targets: []string{"127.0.0.1"}, Credentials: tt.creds})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("v%s %v: err = %v, want %q", tt.version, keys(tt.creds), err, tt.want)
			continue
		}
		for k, v := range tt.creds {
			if strings.HasSuffix(k, "password") && strings.Contains(err.Error(), v) {
				t.Errorf("error %q shows the %s", err, k)
			}
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDiscoverNoTargets(t *testing.T) {
	s := build(t, ``)
	_, err := s.Discover(context.Background(), discovery.Env{Credentials: map[string]string{"community": "public"}})
	if err == nil || !strings.Contains(err.Error(), "no targets") {
		t.Errorf("err = %v, want no targets", err)
	}
}

// silentAgent is a UDP socket on loopback that reads and never answers, like
// an agent given the wrong community.
func silentAgent(t *testing.T) (host string, port int) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	a := pc.LocalAddr().(*net.UDPAddr)
	return a.IP.String(), a.Port
}

func TestDiscoverSilentAgent(t *testing.T) {
	host, port := silentAgent(t)
	for _, version := range []string{"2c", "3"} {
		s := build(t, `{"version": "`+version+`", "port": `+itoa(port)+`, "timeout": "50ms", "retries": 1}`)
		creds := map[string]string{"community": "public", "user": "u", "auth_password": "secret-auth"}
		start := time.Now()
		_, err := s.Discover(context.Background(), discovery.Env{Targets: []string{host}, Credentials: creds})
		want := "every host failed; first: " + host + ": no answer (wrong community or host down)"
		if err == nil || err.Error() != want {
			t.Errorf("v%s: err = %v, want %q", version, err, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("v%s: a silent agent took %v with a 50ms timeout and 1 retry", version, d)
		}
	}
}

func TestDiscoverClosedPort(t *testing.T) {
	// A loopback port nothing listens on answers with ICMP port
	// unreachable.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	s := build(t, `{"port": `+itoa(closed)+`, "timeout": "200ms", "retries": 0}`)
	_, err = s.Discover(context.Background(), discovery.Env{Targets: []string{"127.0.0.1"}, Credentials: map[string]string{"community": "public"}})
	want := "every host failed; first: 127.0.0.1: no SNMP agent (port " + itoa(closed) + "/udp closed)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestDiscoverCancelled(t *testing.T) {
	host, port := silentAgent(t)
	s := build(t, `{"port": `+itoa(port)+`, "timeout": "10s", "retries": 3}`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Discover(ctx, discovery.Env{Targets: []string{host}, Credentials: map[string]string{"community": "public"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
