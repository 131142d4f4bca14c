package nmap_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nmap"
	"github.com/cairn-cmdb/cairn/discovery/tcpscan"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

func TestScanKind(t *testing.T) {
	k := nmap.ScanKind()
	if k.Name != "nmap-scan" {
		t.Errorf("ScanKind().Name = %q, want nmap-scan", k.Name)
	}
	cfg, ok := k.NewConfig().(*nmap.ScanConfig)
	if !ok {
		t.Fatalf("NewConfig() is %T, want *nmap.ScanConfig", k.NewConfig())
	}
	want := &nmap.ScanConfig{
		Ports:            "22,80,443,3306,5432,6379,8080,9100",
		ServiceDetection: true,
		Timeout:          discovery.Duration(10 * time.Minute),
		Binary:           "nmap",
	}
	if !reflect.DeepEqual(cfg, want) || !reflect.DeepEqual(nmap.DefaultScanConfig(), want) {
		t.Errorf("NewConfig() = %+v, want the documented defaults %+v", cfg, want)
	}
	if k.NewConfig() == k.NewConfig() {
		t.Error("NewConfig returns a shared configuration")
	}
	if _, err := discovery.NewRegistry(nmap.Kind(), nmap.ScanKind()); err != nil {
		t.Errorf("nmap and nmap-scan do not register together: %v", err)
	}
}

// fakeNmap writes an executable shell script called nmap into a new
// directory and returns its path. The script records its arguments,
// standard input and environment beside itself (files args, stdin, env),
// then runs body.
func fakeNmap(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\ndir=$(dirname \"$0\")\nprintf '%s\\n' \"$@\" > \"$dir/args\"\ncat > \"$dir/stdin\"\nenv > \"$dir/env\"\n" + body + "\n"
	path := filepath.Join(dir, "nmap")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScanConfig(t *testing.T) {
	bin := fakeNmap(t, "exit 0")
	notNmap := filepath.Join(t.TempDir(), "sh")
	if err := os.WriteFile(notNmap, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  string
		want string // substring of the error; "" for success
	}{
		{"fake binary", `{"binary": "` + bin + `"}`, ""},
		{"everything", `{"binary": "` + bin + `", "ports": "22, 8000-8100", "serviceDetection": false, "timeout": "30s", "hosts": ["127.0.0.1", "127.0.1.0/30", "localhost", "::1"]}`, ""},
		{"port zero", `{"binary": "` + bin + `", "ports": "0"}`, `ports: item "0": port 0 is out of range`},
		{"nmap port syntax", `{"binary": "` + bin + `", "ports": "T:22"}`, `item "T:22"`},
		{"all ports dash", `{"binary": "` + bin + `", "ports": "-"}`, `item "-"`},
		{"zero timeout", `{"binary": "` + bin + `", "timeout": "0s"}`, "timeout: must be positive"},
		{"bad timeout", `{"binary": "` + bin + `", "timeout": "soon"}`, `"soon" is not a duration`},
		{"option as host", `{"binary": "` + bin + `", "hosts": ["--script=evil"]}`, `hosts: target "--script=evil" starts with '-'`},
		{"odd host", `{"binary": "` + bin + `", "hosts": ["a|b"]}`, `target "a|b" is neither an IP address nor a host name`},
		{"huge range", `{"binary": "` + bin + `", "hosts": ["10.0.0.0/8"]}`, "range too large"},
		{"empty binary", `{"binary": ""}`, "binary: is required"},
		{"not nmap", `{"binary": "` + notNmap + `"}`, "is not nmap: the program's file name must be nmap"},
		{"shell", `{"binary": "sh"}`, "is not nmap"},
		{"missing nmap", `{"binary": "` + filepath.Join(t.TempDir(), "nmap") + `"}`, "binary: cannot run"},
		{"unknown setting", `{"binary": "` + bin + `", "args": ["-O"]}`, `unknown field "args"`},
	}
	r, err := discovery.NewRegistry(nmap.ScanKind())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := r.Build("nmap-scan", []byte(tt.raw))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := src.(*nmap.ScanSource); !ok {
					t.Fatalf("Build returned %T", src)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%s) = %v, want an error containing %q", tt.raw, err, tt.want)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "nmap-scan" {
				t.Errorf("error %v is not an nmap-scan ConfigError", err)
			}
		})
	}
}

// Without nmap in PATH the default configuration fails to build, saying so.
func TestScanNoNmap(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := nmap.DefaultScanConfig().Build()
	if err == nil || !strings.Contains(err.Error(), "binary: nmap is not installed (not found in PATH)") {
		t.Fatalf("Build = %v, want a not-installed error", err)
	}
}

func TestScanArgs(t *testing.T) {
	c := nmap.DefaultScanConfig()
	c.Binary = fakeNmap(t, "exit 0")
	c.Ports = "8080, 22,80-82,81"
	src, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*nmap.ScanSource)
	if got, want := s.Args(false), []string{"-sT", "-sV", "-p", "22,80-82,8080", "-oX", "-", "--noninteractive", "-iL", "-"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Args(false) = %q, want %q", got, want)
	}
	c.ServiceDetection = false
	src, err = c.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.(*nmap.ScanSource).Args(true), []string{"-sT", "-6", "-p", "22,80-82,8080", "-oX", "-", "--noninteractive", "-iL", "-"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Args(true) = %q, want %q", got, want)
	}
}

// The fake nmap answers with a recorded scan; the source passes the
// validated targets on standard input, runs IPv6 targets separately with
// -6, keeps its own environment from nmap and reads the output with Parse.
func TestScanFake(t *testing.T) {
	xml := readFile(t, filepath.Join(fixtures, "loopback-range.xml"))
	bin := fakeNmap(t, `cat "$dir/out"; echo 'Failed to resolve "gone.example".' >&2`)
	if err := os.WriteFile(filepath.Join(filepath.Dir(bin), "out"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CAIRN_DATABASE_URL", "postgres://secret")
	c := nmap.DefaultScanConfig()
	c.Binary = bin
	c.Hosts = []string{"127.0.0.2/31", "GONE.example"}
	src, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Discover(context.Background(), discovery.Env{Targets: []string{"localhost"}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(filepath.Dir(bin), "stdin")); got != "localhost\n127.0.0.2\n127.0.0.3\ngone.example\n" {
		t.Errorf("nmap read targets %q", got)
	}
	if got := readFile(t, filepath.Join(filepath.Dir(bin), "args")); got != "-sT\n-sV\n-p\n22,80,443,3306,5432,6379,8080,9100\n-oX\n-\n--noninteractive\n-iL\n-\n" {
		t.Errorf("nmap ran with %q", got)
	}
	if env := readFile(t, filepath.Join(filepath.Dir(bin), "env")); strings.Contains(env, "secret") {
		t.Errorf("nmap saw Cairn's environment: %s", env)
	}
	if !reflect.DeepEqual(res.Observations, parseFile(t, "loopback-range.xml")) {
		t.Error("observations differ from Parse's")
	}
	if !res.Partial || !reflect.DeepEqual(res.HostErrors, map[string]string{"gone.example": "nmap could not resolve the host name"}) {
		t.Errorf("partial=%v hostErrors=%v, want gone.example's error", res.Partial, res.HostErrors)
	}

	// IPv6 targets get a run of their own, with -6, after the other
	// targets' run (which reads the configured hosts).
	res, err = src.Discover(context.Background(), discovery.Env{Targets: []string{"::1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(filepath.Dir(bin), "args")); !strings.HasPrefix(got, "-sT\n-sV\n-6\n") {
		t.Errorf("IPv6 run args %q lack -6", got)
	}
	if got := readFile(t, filepath.Join(filepath.Dir(bin), "stdin")); got != "::1\n" {
		t.Errorf("IPv6 run read targets %q", got)
	}
	if len(res.Observations) != 6 {
		t.Errorf("%d observations from two runs of the fake, want 6", len(res.Observations))
	}
}

func TestScanFailures(t *testing.T) {
	valid := readFile(t, filepath.Join(fixtures, "loopback.xml"))
	tests := []struct {
		name    string
		body    string
		targets []string
		timeout time.Duration
		want    string
	}{
		{"exit status", `echo 'Error #486: Your port specifications are illegal.' >&2; echo 'QUITTING!' >&2; exit 1`, nil, 0,
			"exit status 1; nmap says: Error #486: Your port specifications are illegal. | QUITTING!"},
		{"truncated output", `head -c 600 "$dir/out"; echo 'Segmentation fault' >&2; exit 139`, nil, 0,
			"exit status 139; nmap says: Segmentation fault"},
		{"not nmap output", `echo '<html></html>'`, nil, 0, "root element is <html>"},
		{"long stderr", `i=0; while [ $i -lt 3000 ]; do echo "warning line $i" >&2; i=$((i+1)); done; exit 2`, nil, 0, "…"},
		{"timeout", `exec sleep 30`, nil, 300 * time.Millisecond, "nmap scan timed out after 300ms"},
		{"nothing resolved", `cat "$dir/out"; echo 'Failed to resolve "a.example".' >&2`, []string{"a.example"}, 0, "no target resolved"},
		// The real output of nmap runs that went wrong (see the fixtures'
		// README), written as if nmap had exited 0.
		{"exit=error in the output", `cat "` + fixtures + `/failed-script.xml"`, nil, 0,
			`nmap reports exit="error": NSE: failed to initialize the script engine: /usr/bin/../share/nmap/nse_main.lua:833: 'does-not-exist' did not match a category, filename, or directory`},
		{"real unresolved scan", `cat "` + fixtures + `/unresolved.xml"; echo 'Failed to resolve "no-such-host.invalid".' >&2`, []string{"no-such-host.invalid"}, 0, "no target resolved"},
		{"nothing scanned, nothing said", `cat "` + fixtures + `/unresolved.xml"`, nil, 0, `nmap scanned no address (<hosts total="0">)`},
		{"no targets", `exit 0`, []string{}, 0, "no hosts to scan"},
		{"option target", `exit 0`, []string{"-iR"}, 0, `target "-iR" starts with '-'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := fakeNmap(t, tt.body)
			if err := os.WriteFile(filepath.Join(filepath.Dir(bin), "out"), []byte(valid), 0o644); err != nil {
				t.Fatal(err)
			}
			c := nmap.DefaultScanConfig()
			c.Binary = bin
			if tt.timeout > 0 {
				c.Timeout = discovery.Duration(tt.timeout)
			}
			src, err := c.Build()
			if err != nil {
				t.Fatal(err)
			}
			targets := tt.targets
			if targets == nil {
				targets = []string{"127.0.0.1"}
			}
			start := time.Now()
			res, err := src.Discover(context.Background(), discovery.Env{Targets: targets})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Discover = %+v, %v; want an error containing %q", res, err, tt.want)
			}
			if len(err.Error()) > 1500 {
				t.Errorf("error of %d bytes: stderr is not clipped", len(err.Error()))
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Discover took %v", d)
			}
		})
	}
}

// listen accepts on addr until the test ends, greeting each connection
// with banner, and returns the port.
func listen(t *testing.T, addr, banner string) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(30 * time.Second))
				_, _ = c.Write([]byte(banner))
				_, _ = c.Read(make([]byte, 512))
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func freePort(t *testing.T, addr string) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func realNmap(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs nmap")
	}
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap is not installed")
	}
}

// TestScanNmap runs the real nmap against a listener on 127.0.0.1 and a
// closed port.
func TestScanNmap(t *testing.T) {
	realNmap(t)
	open := listen(t, "127.0.0.1:0", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n")
	closed := freePort(t, "127.0.0.1:0")
	c := nmap.DefaultScanConfig()
	c.Ports = tcpscan.PortList(strconv.Itoa(open) + "," + strconv.Itoa(closed))
	c.Timeout = discovery.Duration(2 * time.Minute)
	src, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := src.Discover(context.Background(), discovery.Env{Targets: []string{"127.0.0.1"}, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("nmap took %v", time.Since(start))
	if res.Partial || len(res.Observations) != 1 {
		t.Fatalf("result %+v, want one observation", res)
	}
	o := res.Observations[0]
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	if o.Key != "host 127.0.0.1" || o.Identifiers[0] != (discovery.Identifier{Kind: ident.IP, Value: "127.0.0.1"}) {
		t.Errorf("key %q identifiers %v", o.Key, o.Identifiers)
	}
	fact := o.Facts["port.tcp."+strconv.Itoa(open)]
	if !strings.HasPrefix(fact, "ssh OpenSSH 9.2p1") {
		t.Errorf("open port fact %q, want nmap's service description (ssh OpenSSH 9.2p1 …)", fact)
	}
	if v, ok := o.Facts["port.tcp."+strconv.Itoa(closed)]; ok {
		t.Errorf("closed port has fact %q", v)
	}
	if !reflect.DeepEqual(o.CompleteFacts, []string{"port."}) {
		t.Errorf("completeFacts %v", o.CompleteFacts)
	}
	if o.SeenAt.IsZero() {
		t.Error("no scan time")
	}
}

// TestScanNmapIPv6 runs the real nmap on ::1, which needs -6.
func TestScanNmapIPv6(t *testing.T) {
	realNmap(t)
	open := listen(t, "[::1]:0", "")
	c := nmap.DefaultScanConfig()
	c.Ports = tcpscan.PortList(strconv.Itoa(open))
	c.ServiceDetection = false
	c.Timeout = discovery.Duration(time.Minute)
	c.Hosts = []string{"::1"}
	src, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Discover(context.Background(), discovery.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observations) != 1 || res.Observations[0].Key != "host ::1" {
		t.Fatalf("observations %+v, want host ::1", res.Observations)
	}
	if _, ok := res.Observations[0].Facts["port.tcp."+strconv.Itoa(open)]; !ok {
		t.Errorf("facts %v lack the open port", res.Observations[0].Facts)
	}
}
