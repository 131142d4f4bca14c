package ssh_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/discovery/ssh"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/lab"
)

// labSource builds a source for the lab sshd with known_hosts file known.
func labSource(t *testing.T, s *lab.SSHD, known string, tofu bool, hosts ...string) discovery.Source {
	t.Helper()
	if len(hosts) == 0 {
		hosts = []string{s.Host}
	}
	src, err := (&ssh.Config{
		User: s.User, Port: s.Port, Concurrency: 4, Timeout: discovery.Duration(20 * time.Second),
		KnownHostsFile: known, TrustOnFirstUse: tofu, Hosts: hosts,
	}).Build()
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func labEnv(s *lab.SSHD) discovery.Env {
	return discovery.Env{Credentials: map[string]string{"private_key": string(s.ClientKeyPEM)}, Now: time.Now()}
}

// emptyFile returns the path of a new empty file.
func emptyFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// memTotal is MemTotal of /proc/meminfo in bytes.
func memTotal(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			n, err := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return strconv.FormatUint(n*1024, 10)
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return ""
}

// localMACs are the addresses of this machine's non-loopback interfaces.
func localMACs(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob("/sys/class/net/*/address")
	for _, f := range files {
		if filepath.Base(filepath.Dir(f)) == "lo" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if m, err := ident.Normalize(ident.MAC, string(b)); err == nil {
			out[m] = true
		}
	}
	return out
}

// TestLab inventories this machine through the lab sshd on 127.0.0.2:2222.
func TestLab(t *testing.T) {
	s := lab.StartSSHD(t)
	fp := gossh.FingerprintSHA256(s.HostKey)

	t.Run("inventory", func(t *testing.T) {
		res, err := labSource(t, s, s.KnownHostsFile, false).Discover(context.Background(), labEnv(s))
		if err != nil {
			t.Fatal(err)
		}
		if res.Partial || len(res.HostErrors) > 0 || len(res.Observations) == 0 {
			t.Fatalf("result partial=%v errors=%v observations=%d", res.Partial, res.HostErrors, len(res.Observations))
		}
		o := res.Observations[0]
		if err := o.Check(); err != nil {
			t.Fatal(err)
		}
		for _, g := range res.Observations[1:] { // this machine's guests, if any
			if err := g.Check(); err != nil || len(g.Relationships) != 1 || g.Relationships[0].To != o.Key {
				t.Errorf("guest %+v (%v): want RUNS_ON %s", g, err, o.Key)
			}
		}
		sameInventory(t, o)
		if o.Key != "ssh 127.0.0.2" || o.SeenAt.IsZero() || o.SeenAt.Location() != time.UTC {
			t.Errorf("key %q, seenAt %v", o.Key, o.SeenAt)
		}
		host, err := os.Hostname()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := ident.Normalize(ident.Hostname, ident.ShortName(host)); o.Fields["hostname"] != want || o.Name != want {
			t.Errorf("hostname field %q, name %q; os.Hostname() = %q", o.Fields["hostname"], o.Name, host)
		}
		if got, want := o.Facts["memory.total_bytes"], memTotal(t); got != want {
			t.Errorf("memory.total_bytes = %q, /proc/meminfo says %s", got, want)
		}
		if got := o.Facts["listen.tcp.2222"]; got != "listening" {
			t.Errorf("listen.tcp.2222 = %q, want listening (sshd itself)", got)
		}
		if macs := localMACs(t); len(macs) > 0 {
			found := false
			for _, id := range o.Identifiers {
				found = found || id.Kind == ident.MAC && macs[id.Value]
			}
			if !found {
				t.Errorf("no MAC identifier of %v among %v", macs, o.Identifiers)
			}
		}
		if got, want := o.Facts["kernel.release"], uname(t); got != want {
			t.Errorf("kernel.release = %q, want %q", got, want)
		}
		for _, k := range []string{"os.id", "os.pretty_name", "kernel.arch", "cpu.count", "packages.manager", "packages.count"} {
			if o.Facts[k] == "" {
				t.Errorf("fact %s missing", k)
			}
		}
		t.Logf("%s: %s %s, %d facts, %d identifiers, complete %v", o.Name, o.Kind, o.Facts["os.pretty_name"],
			len(o.Facts), len(o.Identifiers), o.CompleteFacts)
	})

	t.Run("two runs on an idle machine agree", func(t *testing.T) {
		src := labSource(t, s, s.KnownHostsFile, false)
		var obs []discovery.Observation
		for range 2 {
			res, err := src.Discover(context.Background(), labEnv(s))
			if err != nil {
				t.Fatal(err)
			}
			o := res.Observations[0]
			o.SeenAt = time.Time{}
			for k := range o.Facts {
				// Other tests on this machine open and close ports.
				if strings.HasPrefix(k, "listen.") {
					delete(o.Facts, k)
				}
			}
			obs = append(obs, o)
		}
		if !reflect.DeepEqual(obs[0], obs[1]) {
			for k, v := range obs[0].Facts {
				if obs[1].Facts[k] != v {
					t.Errorf("fact %s: %q then %q", k, v, obs[1].Facts[k])
				}
			}
			t.Errorf("the two runs differ")
		}
	})

	t.Run("unknown host key without TOFU", func(t *testing.T) {
		known := emptyFile(t)
		_, err := labSource(t, s, known, false).Discover(context.Background(), labEnv(s))
		if err == nil {
			t.Fatal("Discover succeeded with an empty known_hosts file")
		}
		for _, want := range []string{"127.0.0.2:2222", fp, "unknown host key", "trustOnFirstUse"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if b, _ := os.ReadFile(known); len(b) != 0 {
			t.Errorf("known_hosts written without TOFU: %q", b)
		}
	})

	t.Run("TOFU records the key", func(t *testing.T) {
		known := filepath.Join(t.TempDir(), "ssh", "known_hosts") // neither exists yet
		if err := os.Mkdir(filepath.Dir(known), 0o700); err != nil {
			t.Fatal(err)
		}
		res, err := labSource(t, s, known, true).Discover(context.Background(), labEnv(s))
		if err != nil || res.Partial {
			t.Fatalf("Discover with TOFU = %+v, %v", res, err)
		}
		b, err := os.ReadFile(known)
		if err != nil {
			t.Fatal(err)
		}
		want := knownhosts.Line([]string{"[127.0.0.2]:2222"}, s.HostKey) + "\n"
		if string(b) != want {
			t.Errorf("known_hosts = %q, want %q", b, want)
		}
		// Now known: a run without TOFU passes, and adds nothing.
		res, err = labSource(t, s, known, false).Discover(context.Background(), labEnv(s))
		if err != nil || res.Partial {
			t.Fatalf("second run = %+v, %v", res, err)
		}
		if b2, _ := os.ReadFile(known); string(b2) != want {
			t.Errorf("known_hosts changed on the second run: %q", b2)
		}
	})

	t.Run("changed key fails that host, even with TOFU", func(t *testing.T) {
		signer, err := gossh.ParsePrivateKey(newKeyPEM(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		other := signer.PublicKey()
		// The same sshd under two names: 127.0.0.2 with a wrong key, and
		// its IPv4-mapped IPv6 form with the right one.
		mapped := "::ffff:127.0.0.2"
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(mapped, strconv.Itoa(s.Port)), 5*time.Second); err != nil {
			t.Skipf("cannot reach the lab sshd as %s: %v", mapped, err)
		} else {
			c.Close()
		}
		known := filepath.Join(t.TempDir(), "known_hosts")
		lines := knownhosts.Line([]string{"[127.0.0.2]:2222"}, other) + "\n" +
			knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(mapped, "2222"))}, s.HostKey) + "\n"
		if err := os.WriteFile(known, []byte(lines), 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := labSource(t, s, known, true, s.Host, mapped).Discover(context.Background(), labEnv(s))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Partial || len(res.Observations) != 1 || res.Observations[0].Key != "ssh "+mapped {
			t.Fatalf("result partial=%v observations=%d errors=%v", res.Partial, len(res.Observations), res.HostErrors)
		}
		msg := res.HostErrors["127.0.0.2"]
		for _, want := range []string{"CHANGED", fp, gossh.FingerprintSHA256(other), known + ":1"} {
			if !strings.Contains(msg, want) {
				t.Errorf("host error %q lacks %q", msg, want)
			}
		}
		if b, _ := os.ReadFile(known); string(b) != lines {
			t.Errorf("known_hosts changed: %q", b)
		}
	})

	t.Run("a host that is down makes the run partial", func(t *testing.T) {
		res, err := labSource(t, s, s.KnownHostsFile, false, s.Host, "127.0.0.2:1").Discover(context.Background(), labEnv(s))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Partial || len(res.Observations) != 1 || len(res.HostErrors) != 1 {
			t.Fatalf("result partial=%v observations=%d errors=%v", res.Partial, len(res.Observations), res.HostErrors)
		}
		if msg := res.HostErrors["127.0.0.2:1"]; !strings.Contains(msg, "refused") {
			t.Errorf("host error %q", msg)
		}
	})

	t.Run("a host that never answers times out", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.6:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c) // accept, then say nothing
			}
		}()
		src, err := (&ssh.Config{User: s.User, Port: s.Port, Concurrency: 2, Timeout: discovery.Duration(2 * time.Second),
			KnownHostsFile: s.KnownHostsFile, Hosts: []string{s.Host, ln.Addr().String()}}).Build()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := src.Discover(context.Background(), labEnv(s))
		if err != nil {
			// The lab host itself may take more than 2 s on a loaded machine.
			t.Skipf("Discover: %v", err)
		}
		if time.Since(start) > 15*time.Second {
			t.Errorf("took %v with a 2s timeout", time.Since(start))
		}
		if msg := res.HostErrors[ln.Addr().String()]; !strings.Contains(msg, "timed out after 2s") {
			t.Errorf("host errors %v, want a timeout for %s", res.HostErrors, ln.Addr())
		}
	})

	t.Run("wrong client key", func(t *testing.T) {
		env := labEnv(s)
		env.Credentials = map[string]string{"private_key": string(newKeyPEM(t, ""))}
		_, err := labSource(t, s, s.KnownHostsFile, false).Discover(context.Background(), env)
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("Discover = %v, want an authentication error", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		res, err := labSource(t, s, s.KnownHostsFile, false).Discover(ctx, labEnv(s))
		if err == nil {
			// The host was faster than the cancellation.
			if len(res.Observations) != 1 {
				t.Fatalf("result %+v", res)
			}
			return
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Discover = %v, want context.Canceled", err)
		}
	})
}

func uname(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Skip(err)
	}
	return strings.TrimSpace(string(b))
}

// sameInventory checks that the ssh source, run on this machine over the
// lab's sshd, reports the inventory facts the local source reads here: the
// same packages with the same versions and architectures, PCI devices, DNS
// servers, cores, BIOS, board and memory modules.
func sameInventory(t *testing.T, o discovery.Observation) {
	t.Helper()
	snap, err := local.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lo := snap.Observation()
	shared := func(k string) bool {
		for _, p := range []string{"package.", "package_arch.", "packages.", "pci.", "bios.", "board.", "memory.module.", "dmi.asset_tag", "dns.servers", "cpu.cores"} {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	n := 0
	for k, v := range lo.Facts {
		if !shared(k) {
			continue
		}
		n++
		if got := o.Facts[k]; got != v {
			t.Errorf("ssh fact %s = %q, the local source reads %q", k, got, v)
		}
	}
	for k, v := range o.Facts {
		if _, ok := lo.Facts[k]; shared(k) && !ok {
			t.Errorf("ssh fact %s = %q, which the local source does not read", k, v)
		}
	}
	if n == 0 {
		t.Error("no inventory fact to compare")
	}
	t.Logf("%d inventory facts agree between the ssh and local sources", n)
}
