package tcpscan_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/tcpscan"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

func registry(t testing.TB) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(tcpscan.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKind(t *testing.T) {
	k := tcpscan.Kind()
	if k.Name != "tcpscan" {
		t.Errorf("Kind().Name = %q, want tcpscan", k.Name)
	}
	cfg, ok := k.NewConfig().(*tcpscan.Config)
	if !ok {
		t.Fatalf("NewConfig() is %T, want *tcpscan.Config", k.NewConfig())
	}
	want := &tcpscan.Config{
		Ports:          "22,80,443,3306,5432,6379,8080,9100",
		Concurrency:    256,
		ConnectTimeout: discovery.Duration(time.Second),
		BannerTimeout:  discovery.Duration(500 * time.Millisecond),
	}
	if !reflect.DeepEqual(cfg, want) || !reflect.DeepEqual(tcpscan.DefaultConfig(), want) {
		t.Errorf("NewConfig() = %+v, want the documented defaults %+v", cfg, want)
	}
	if k.NewConfig() == k.NewConfig() {
		t.Error("NewConfig returns a shared configuration")
	}
	if err := discovery.Validate(cfg); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
	if _, err := cfg.Build(); err != nil {
		t.Errorf("the defaults do not build: %v", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // substring of the error; "" for success
	}{
		{"defaults", ``, ""},
		{"empty object", `{}`, ""},
		{"everything", `{"ports": "22,8000-8100", "concurrency": 16, "rate": 100.5, "connectTimeout": "250ms", "bannerTimeout": "0s", "hosts": ["127.0.0.1", "127.0.1.0/30", "localhost"]}`, ""},
		{"port zero", `{"ports": "22,0"}`, `ports: item "0": port 0 is out of range 1-65535`},
		{"port too big", `{"ports": "65536"}`, `item "65536": port 65536 is out of range`},
		{"reversed range", `{"ports": "9000-8000"}`, `item "9000-8000": range is reversed`},
		{"empty ports", `{"ports": ""}`, "ports: empty port list"},
		{"ports as number", `{"ports": 22}`, "ports: want a string"},
		{"zero concurrency", `{"concurrency": 0}`, "concurrency: must be at least 1"},
		{"huge concurrency", `{"concurrency": 100000}`, "concurrency: must be at most 4096"},
		{"negative rate", `{"rate": -1}`, "rate: must be at least 0"},
		{"bad duration", `{"connectTimeout": "1 second"}`, `"1 second" is not a duration`},
		{"duration as boolean", `{"connectTimeout": true}`, `want a duration string such as "30s" or a number of seconds, got a boolean`},
		{"negative duration", `{"bannerTimeout": "-1s"}`, "duration -1s is negative"},
		{"zero connect timeout", `{"connectTimeout": "0s"}`, "connectTimeout: must be positive"},
		{"unknown setting", `{"port": "22"}`, `unknown field "port"`},
		{"hosts wrong type", `{"hosts": "127.0.0.1"}`, "hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := registry(t).Build("tcpscan", []byte(tt.raw))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := src.(*tcpscan.Source); !ok {
					t.Fatalf("Build returned %T", src)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%s) = %v, want an error containing %q", tt.raw, err, tt.want)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "tcpscan" {
				t.Errorf("error %v is not a tcpscan ConfigError", err)
			}
		})
	}
}

// Build checks what a configuration written in Go (not decoded) may get
// wrong.
func TestBuildErrors(t *testing.T) {
	tests := []struct {
		edit func(*tcpscan.Config)
		want string
	}{
		{func(c *tcpscan.Config) { c.Ports = "0" }, `ports: item "0"`},
		{func(c *tcpscan.Config) { c.Concurrency = 0 }, "concurrency: must be from 1 to 4096"},
		{func(c *tcpscan.Config) { c.Rate = -2 }, "rate: must be"},
		{func(c *tcpscan.Config) { c.ConnectTimeout = 0 }, "connectTimeout: must be positive"},
		{func(c *tcpscan.Config) { c.BannerTimeout = -1 }, "bannerTimeout: must not be negative"},
		{func(c *tcpscan.Config) { c.Hosts = []string{"10.0.0.0/8"} }, "hosts: target \"10.0.0.0/8\": range too large"},
		{func(c *tcpscan.Config) { c.Hosts = []string{"a b"} }, "hosts: target \"a b\""},
	}
	for _, tt := range tests {
		c := tcpscan.DefaultConfig()
		tt.edit(c)
		if _, err := c.Build(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build = %v, want an error containing %q", err, tt.want)
		}
	}
}

// listener accepts on addr ("127.0.0.x:0") until the test ends; each
// connection is greeted with banner ("" for a silent service) and held
// open until the client closes it. It returns the port.
func listener(t testing.TB, addr, banner string) int {
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
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if banner != "" {
					_, _ = c.Write([]byte(banner))
				}
				_, _ = c.Read(make([]byte, 1)) // until the scanner hangs up
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// closedPort returns a port on ip that nothing listens on.
func closedPort(t testing.TB, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func build(t testing.TB, c *tcpscan.Config) discovery.Source {
	t.Helper()
	if err := discovery.Validate(c); err != nil {
		t.Fatal(err)
	}
	src, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDiscover(t *testing.T) {
	const ip = "127.0.0.21"
	ssh := listener(t, ip+":0", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n")
	silent := listener(t, ip+":0", "")
	smtp := listener(t, ip+":0", "220 mx.example.com ESMTP Exim 4.96 Tue, 14 May 2024 12:00:00 +0000\r\n")
	binary := listener(t, ip+":0", "J\x00\x00\x00\x0a8.0.35\x00\x1b\x00\x00\x00Z7!k@q\x1e\x00")
	closed := closedPort(t, ip)

	c := tcpscan.DefaultConfig()
	c.Ports = tcpscan.PortList(strings.Join([]string{itoa(ssh), itoa(silent), itoa(smtp), itoa(binary), itoa(closed)}, ","))
	c.BannerTimeout = discovery.Duration(300 * time.Millisecond)
	c.Hosts = []string{ip, "127.0.0.22"} // nothing listens on .22
	before := time.Now().UTC()
	res, err := build(t, c).Discover(context.Background(), discovery.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial || len(res.HostErrors) > 0 {
		t.Errorf("partial=%v hostErrors=%v, want neither", res.Partial, res.HostErrors)
	}
	if len(res.Observations) != 1 {
		t.Fatalf("%d observations, want 1 (127.0.0.22 has no open port): %+v", len(res.Observations), res.Observations)
	}
	o := res.Observations[0]
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	if o.Key != "tcpscan "+ip || o.Kind != discovery.KindServer || o.Name != ip {
		t.Errorf("key %q kind %q name %q", o.Key, o.Kind, o.Name)
	}
	if want := []discovery.Identifier{{Kind: ident.IP, Value: ip}}; !reflect.DeepEqual(o.Identifiers, want) {
		t.Errorf("identifiers %v, want %v", o.Identifiers, want)
	}
	if len(o.Fields) != 0 {
		t.Errorf("fields %v, want none for an address target", o.Fields)
	}
	wantFacts := map[string]string{
		"open.tcp." + itoa(ssh):    "open SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2",
		"open.tcp." + itoa(silent): "open",
		"open.tcp." + itoa(smtp):   "open 220 mx.example.com ESMTP Exim 4.96",
		"open.tcp." + itoa(binary): "open",
	}
	if !reflect.DeepEqual(o.Facts, wantFacts) {
		t.Errorf("facts %v, want %v", o.Facts, wantFacts)
	}
	// Listeners get ephemeral ports (five digits, or four from 6554), so
	// every scanned port is claimed.
	wantComplete := tcpscan.CompletePrefixes(tcpscan.MustParsePorts(string(c.Ports)))
	if !reflect.DeepEqual(o.CompleteFacts, wantComplete) {
		t.Errorf("completeFacts %v, want %v", o.CompleteFacts, wantComplete)
	}
	if o.SeenAt.Before(before) || o.SeenAt.After(time.Now()) || o.SeenAt.Location() != time.UTC {
		t.Errorf("seenAt %v is not the scan time in UTC", o.SeenAt)
	}
}

func TestDiscoverRange(t *testing.T) {
	const ip = "127.0.0.23"
	port := listener(t, ip+":0", "")
	if port < 2 || port > 65533 {
		t.Skipf("listener port %d has no neighbours", port)
	}
	c := tcpscan.DefaultConfig()
	c.Ports = tcpscan.PortList(itoa(port-1) + "-" + itoa(port+1))
	c.BannerTimeout = 0 // read no banners
	res, err := build(t, c).Discover(context.Background(), discovery.Env{Targets: []string{ip + "/32"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observations) != 1 {
		t.Fatalf("observations %+v, want one", res.Observations)
	}
	if want := map[string]string{"open.tcp." + itoa(port): "open"}; !reflect.DeepEqual(res.Observations[0].Facts, want) {
		t.Errorf("facts %v, want %v", res.Observations[0].Facts, want)
	}
}

func TestDiscoverHostName(t *testing.T) {
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	if err != nil || len(addrs) == 0 || addrs[0] != netip.MustParseAddr("127.0.0.1") {
		t.Skipf("localhost does not resolve to 127.0.0.1 first here: %v %v", addrs, err)
	}
	port := listener(t, "127.0.0.1:0", "hello\n")
	c := tcpscan.DefaultConfig()
	c.Ports = tcpscan.PortList(itoa(port))
	c.Hosts = []string{"LOCALHOST", "127.0.0.1"}
	res, err := build(t, c).Discover(context.Background(), discovery.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observations) != 1 {
		t.Fatalf("observations %+v, want one: the name and its address are the same host", res.Observations)
	}
	o := res.Observations[0]
	if o.Key != "tcpscan 127.0.0.1" || o.Name != "localhost" {
		t.Errorf("key %q name %q", o.Key, o.Name)
	}
	wantIDs := []discovery.Identifier{{Kind: ident.IP, Value: "127.0.0.1"}, {Kind: ident.Hostname, Value: "localhost"}}
	if !reflect.DeepEqual(o.Identifiers, wantIDs) {
		t.Errorf("identifiers %v, want %v", o.Identifiers, wantIDs)
	}
	if want := map[string]string{"hostname": "localhost"}; !reflect.DeepEqual(o.Fields, want) {
		t.Errorf("fields %v, want %v", o.Fields, want)
	}
	if want := map[string]string{"open.tcp." + itoa(port): "open hello"}; !reflect.DeepEqual(o.Facts, want) {
		t.Errorf("facts %v, want %v", o.Facts, want)
	}
}

func TestClosedPortsAreClaimed(t *testing.T) {
	const ip = "127.0.0.24"
	open := listener(t, ip+":0", "")
	closed := closedPort(t, ip)
	c := tcpscan.DefaultConfig()
	c.Ports = tcpscan.PortList("22,80," + itoa(open) + "," + itoa(closed))
	c.BannerTimeout = 0
	res, err := build(t, c).Discover(context.Background(), discovery.Env{Targets: []string{ip}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observations) != 1 {
		t.Fatalf("observations %+v, want one", res.Observations)
	}
	o := res.Observations[0]
	if want := map[string]string{"open.tcp." + itoa(open): "open"}; !reflect.DeepEqual(o.Facts, want) {
		t.Errorf("facts %v, want %v", o.Facts, want)
	}
	want := []string{"open.tcp.22", "open.tcp.80", "open.tcp." + itoa(open), "open.tcp." + itoa(closed)}
	slices.Sort(want)
	if !slices.Equal(o.CompleteFacts, want) {
		t.Errorf("completeFacts %v, want %v", o.CompleteFacts, want)
	}
}

func TestDiscoverErrors(t *testing.T) {
	c := tcpscan.DefaultConfig()
	c.Ports = "1"
	src := build(t, c)
	if _, err := src.Discover(context.Background(), discovery.Env{}); err == nil || !strings.Contains(err.Error(), "no hosts to scan") {
		t.Errorf("Discover without targets = %v, want a no-hosts error", err)
	}
	if _, err := src.Discover(context.Background(), discovery.Env{Targets: []string{"10.0.0.0/8"}}); err == nil || !strings.Contains(err.Error(), "range too large") {
		t.Errorf("Discover with a huge range = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Discover(ctx, discovery.Env{Targets: []string{"127.0.0.25"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Discover cancelled = %v, want context.Canceled", err)
	}
}

// A connection failure that says nothing about the port is the host's
// error, and the other hosts still count. A link-local address with a zone
// that names no interface fails before any packet is sent.
func TestHostError(t *testing.T) {
	const ip = "127.0.0.26"
	port := listener(t, ip+":0", "")
	c := tcpscan.DefaultConfig()
	c.Ports = tcpscan.PortList(itoa(port))
	c.BannerTimeout = 0
	res, err := build(t, c).Discover(context.Background(), discovery.Env{Targets: []string{ip, "fe80::1%nosuchif0"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || len(res.HostErrors) != 1 || res.HostErrors["fe80::1%nosuchif0"] == "" {
		t.Fatalf("partial=%v hostErrors=%v, want the bad address's error", res.Partial, res.HostErrors)
	}
	t.Logf("host error: %s", res.HostErrors["fe80::1%nosuchif0"])
	if len(res.Observations) != 1 || res.Observations[0].Key != "tcpscan "+ip {
		t.Errorf("observations %+v, want %s's", res.Observations, ip)
	}
	// When every host fails the run fails.
	if _, err := build(t, c).Discover(context.Background(), discovery.Env{Targets: []string{"fe80::1%nosuchif0"}}); err == nil || !strings.Contains(err.Error(), "every host failed") {
		t.Errorf("Discover = %v, want every host failed", err)
	}
}

// The rate limit spreads attempts: 20 ports at 100 per second take at
// least 0.19 s.
func TestRate(t *testing.T) {
	c := tcpscan.DefaultConfig()
	c.Ports = "60001-60020"
	c.Rate = 100
	start := time.Now()
	res, err := build(t, c).Discover(context.Background(), discovery.Env{Targets: []string{"127.0.0.27"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 180*time.Millisecond {
		t.Errorf("20 attempts at 100/s took %v", d)
	}
	if len(res.Observations) != 0 {
		t.Errorf("observations %+v, want none", res.Observations)
	}
}
