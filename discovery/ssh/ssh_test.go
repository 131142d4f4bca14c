package ssh_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/ssh"
)

func registry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(ssh.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKind(t *testing.T) {
	k := ssh.Kind()
	if k.Name != "ssh" {
		t.Errorf("Kind().Name = %q, want ssh", k.Name)
	}
	cfg, ok := k.NewConfig().(*ssh.Config)
	if !ok {
		t.Fatalf("NewConfig() is %T, want *ssh.Config", k.NewConfig())
	}
	want := &ssh.Config{Port: 22, Concurrency: 10, Timeout: discovery.Duration(30 * time.Second), KnownHostsFile: "known_hosts"}
	if !reflect.DeepEqual(cfg, want) || !reflect.DeepEqual(cfg, ssh.DefaultConfig()) {
		t.Errorf("NewConfig() = %+v, want %+v", cfg, want)
	}
	if k.NewConfig() == k.NewConfig() {
		t.Error("NewConfig returns a shared configuration")
	}
}

func TestConfigDecode(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // substring of the error; "" for success
		check     func(t *testing.T, c *ssh.Config)
	}{
		{"defaults only", ``, "user: is required", nil},
		{"user only", `{"user": "cairn"}`, "", func(t *testing.T, c *ssh.Config) {
			if c.User != "cairn" || c.Port != 22 || c.Concurrency != 10 || time.Duration(c.Timeout) != 30*time.Second ||
				c.KnownHostsFile != "known_hosts" || c.TrustOnFirstUse || c.Rate != 0 || c.Hosts != nil {
				t.Errorf("config %+v", c)
			}
		}},
		{"everything", `{"user": "inv", "port": 2222, "concurrency": 3, "rate": 2.5, "timeout": "1m30s",
			"knownHostsFile": "/etc/cairn/known_hosts", "trustOnFirstUse": true, "hosts": ["10.0.0.0/30", "db01"]}`, "",
			func(t *testing.T, c *ssh.Config) {
				want := &ssh.Config{User: "inv", Port: 2222, Concurrency: 3, Rate: 2.5, Timeout: discovery.Duration(90 * time.Second),
					KnownHostsFile: "/etc/cairn/known_hosts", TrustOnFirstUse: true, Hosts: []string{"10.0.0.0/30", "db01"}}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("config %+v, want %+v", c, want)
				}
			}},
		{"timeout in seconds", `{"user": "u", "timeout": 45}`, "", func(t *testing.T, c *ssh.Config) {
			if time.Duration(c.Timeout) != 45*time.Second {
				t.Errorf("timeout %v", c.Timeout)
			}
		}},
		{"timeout fraction of seconds", `{"user": "u", "timeout": 0.5}`, "", func(t *testing.T, c *ssh.Config) {
			if time.Duration(c.Timeout) != 500*time.Millisecond {
				t.Errorf("timeout %v", c.Timeout)
			}
		}},
		{"timeout zero", `{"user": "u", "timeout": "0s"}`, "positive", nil},
		{"timeout negative", `{"user": "u", "timeout": -3}`, "is negative", nil},
		{"timeout garbage", `{"user": "u", "timeout": "soon"}`, `"soon" is not a duration`, nil},
		{"timeout wrong type", `{"user": "u", "timeout": true}`, "a boolean", nil},
		{"port zero", `{"user": "u", "port": 0}`, "port: must be at least 1", nil},
		{"port too big", `{"user": "u", "port": 70000}`, "port: must be at most 65535", nil},
		{"concurrency zero", `{"user": "u", "concurrency": 0}`, "concurrency: must be at least 1", nil},
		{"negative rate", `{"user": "u", "rate": -1}`, "rate: must be at least 0", nil},
		{"empty known hosts", `{"user": "u", "knownHostsFile": ""}`, "knownHostsFile: is required", nil},
		{"empty host", `{"user": "u", "hosts": ["a", ""]}`, "hosts[1]: is required", nil},
		{"credentials are not settings", `{"user": "u", "password": "hunter2"}`, `unknown field "password"`, nil},
		{"port as string", `{"user": "u", "port": "22"}`, "port", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := registry(t).Decode("ssh", []byte(tt.raw))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, cfg.(*ssh.Config))
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode(%s) = %v, want an error containing %q", tt.raw, err, tt.want)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "ssh" {
				t.Errorf("error %v is not an ssh ConfigError", err)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(ssh.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"timeout":"30s"`) {
		t.Errorf("marshalled config %s lacks timeout \"30s\"", b)
	}
	var c ssh.Config
	if err := json.Unmarshal(b, &c); err != nil || time.Duration(c.Timeout) != 30*time.Second {
		t.Errorf("round trip: %v, %v", c.Timeout, err)
	}
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	tests := []struct {
		name string
		cfg  ssh.Config
		want string
	}{
		{"valid", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: known}, ""},
		{"no user", ssh.Config{Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: known}, "user: is required"},
		{"user with space", ssh.Config{User: "a b", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: known}, "white space"},
		{"zero timeout", ssh.Config{User: "u", Port: 22, Concurrency: 1, KnownHostsFile: known}, "timeout"},
		{"bad host", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: known, Hosts: []string{"10.0.0.0/33"}}, "hosts:"},
		{"range too large", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: known, Hosts: []string{"10.0.0.0/8"}}, "hosts:"},
		{"missing known_hosts", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: filepath.Join(dir, "nope")}, "does not exist"},
		{"missing known_hosts, TOFU", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: filepath.Join(dir, "new"), TrustOnFirstUse: true}, ""},
		{"missing directory, TOFU", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: filepath.Join(dir, "a", "b"), TrustOnFirstUse: true}, "directory"},
		{"known_hosts is a directory", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: dir}, "is a directory"},
	}
	if home != "" {
		if _, err := os.Stat(filepath.Join(home, ".ssh", "known_hosts")); err != nil {
			tests = append(tests, struct {
				name string
				cfg  ssh.Config
				want string
			}{"a home known_hosts is expanded", ssh.Config{User: "u", Port: 22, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: "~/.ssh/known_hosts"}, filepath.Join(home, ".ssh", "known_hosts")})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := tt.cfg.Build()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := src.(*ssh.Source); !ok {
					t.Fatalf("Build returned %T", src)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// newKeyPEM returns a fresh ed25519 private key in OpenSSH PEM form,
// encrypted with passphrase when it is not empty.
func newKeyPEM(t testing.TB, passphrase string) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = gossh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

// Credential errors fail the run before any host is visited, and never
// repeat a secret.
func TestDiscoverCredentials(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := (&ssh.Config{User: "u", Port: 1, Concurrency: 1, Timeout: discovery.Duration(time.Second), KnownHostsFile: known}).Build()
	if err != nil {
		t.Fatal(err)
	}
	encrypted := string(newKeyPEM(t, "s3cret-pass"))
	tests := []struct {
		name  string
		creds map[string]string
		want  string
	}{
		{"none", nil, "no credentials"},
		{"unrelated", map[string]string{"token": "x"}, "no credentials"},
		{"garbage key", map[string]string{"private_key": "not-a-key-hunter2"}, `"private_key" is not a PEM or OpenSSH private key`},
		{"encrypted without passphrase", map[string]string{"private_key": encrypted}, `set "passphrase"`},
		{"wrong passphrase", map[string]string{"private_key": encrypted, "passphrase": "wrong-pass-hunter2"}, `"passphrase" does not decrypt`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := src.Discover(context.Background(), discovery.Env{Targets: []string{"127.0.0.2"}, Credentials: tt.creds})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Discover = %v, %v; want an error containing %q", res, err, tt.want)
			}
			for _, secret := range []string{"hunter2", "s3cret-pass", "PRIVATE KEY"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats a secret", err)
				}
			}
		})
	}
	// Valid credentials, then no targets at all.
	_, err = src.Discover(context.Background(), discovery.Env{Credentials: map[string]string{"private_key": encrypted, "passphrase": "s3cret-pass"}})
	if err == nil || !strings.Contains(err.Error(), "no hosts") {
		t.Errorf("Discover without targets = %v, want a no-hosts error", err)
	}
	_, err = src.Discover(context.Background(), discovery.Env{Targets: []string{"a b"}, Credentials: map[string]string{"password": "x"}})
	if err == nil || !strings.Contains(err.Error(), "neither an IP address nor a host name") {
		t.Errorf("Discover with a bad target = %v", err)
	}
}

// The embedded script is the one in the package directory, and is valid sh.
func TestScript(t *testing.T) {
	b, err := os.ReadFile("inventory.sh")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != ssh.Script() {
		t.Error("ssh.Script differs from inventory.sh")
	}
	for _, forbidden := range []string{" rm ", ">/etc", "> /etc", "sudo", "mkfs", "dd ", "tee "} {
		if strings.Contains(ssh.Script(), forbidden) {
			t.Errorf("the script contains %q: it must only read", forbidden)
		}
	}
}
