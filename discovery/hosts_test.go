package discovery

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestExpandTargets(t *testing.T) {
	cases := []struct {
		in   []string
		want string
		err  string
	}{
		{[]string{"127.0.0.1", "127.0.0.1", "Host-A"}, "127.0.0.1 host-a", ""},
		{[]string{"127.0.0.0/30"}, "127.0.0.1 127.0.0.2", ""},
		{[]string{"127.0.0.8/31"}, "127.0.0.8 127.0.0.9", ""},
		{[]string{"::1/127"}, ":: ::1", ""},
		{[]string{"10.0.0.0/33"}, "", "netip.ParsePrefix"},
		{[]string{"a b"}, "", "neither an IP address nor a host name"},
		{[]string{"db01:2222", "[::1]:22"}, "db01:2222 [::1]:22", ""},
		// Issue 13: nothing that starts with '-' is a target, so none can
		// be read as a program's option (nmap's -iL reads a file).
		{[]string{"-iL/etc/shadow"}, "", "starts with '-'"},
		{[]string{"-iL"}, "", "starts with '-'"},
		{[]string{"--script=x"}, "", "starts with '-'"},
		{[]string{"a|b"}, "", "neither an IP address nor a host name"},
		{[]string{".hidden"}, "", "neither an IP address nor a host name"},
		{[]string{"db01:0"}, "", "port must be a number"},
		{[]string{"db01:ssh"}, "", "port must be a number"},
		{[]string{"10.0.0.0/8"}, "", "range too large"},
	}
	for _, c := range cases {
		got, err := ExpandTargets(c.in, 0)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ExpandTargets(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("ExpandTargets(%q) = %q, %v, want %q", c.in, got, err, c.want)
		}
	}
	if _, err := ExpandTargets([]string{"127.0.1.0/24"}, 100); err == nil || !strings.Contains(err.Error(), "more than 100") {
		t.Errorf("cap: %v", err)
	}
}

func TestForEachHost(t *testing.T) {
	hosts := []string{"a", "b", "c", "d"}
	var running, peak atomic.Int32
	res, err := ForEachHost(context.Background(), hosts, HostOptions{Concurrency: 2, Timeout: 50 * time.Millisecond},
		func(ctx context.Context, h string) ([]Observation, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			switch h {
			case "b":
				return nil, errors.New("connection refused")
			case "c":
				<-ctx.Done()
				return nil, ctx.Err()
			}
			time.Sleep(10 * time.Millisecond)
			return []Observation{{Key: h}}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || len(res.Observations) != 2 || res.Observations[0].Key != "a" || res.Observations[1].Key != "d" {
		t.Errorf("result = %+v", res)
	}
	if res.HostErrors["b"] != "connection refused" || !strings.HasPrefix(res.HostErrors["c"], "timed out after 50ms") {
		t.Errorf("host errors = %q", res.HostErrors)
	}
	if peak.Load() > 2 {
		t.Errorf("concurrency %d, want at most 2", peak.Load())
	}
	if _, err := ForEachHost(context.Background(), []string{"x"}, HostOptions{}, func(context.Context, string) ([]Observation, error) {
		return nil, errors.New("no route")
	}); err == nil || !strings.Contains(err.Error(), "every host failed; first: x: no route") {
		t.Errorf("all failed: %v", err)
	}
	// The failed run still says how each host failed (the runner records
	// it in hostErrors).
	_, err = ForEachHost(context.Background(), []string{"b", "a"}, HostOptions{}, func(_ context.Context, h string) ([]Observation, error) {
		return nil, errors.New("no answer from " + h)
	})
	var hf *HostsFailedError
	if !errors.As(err, &hf) || len(hf.HostErrors) != 2 || hf.HostErrors["a"] != "no answer from a" || hf.HostErrors["b"] != "no answer from b" ||
		err.Error() != "every host failed; first: a: no answer from a" {
		t.Errorf("all failed: %v, want a *HostsFailedError naming both hosts", err)
	}
	start := time.Now()
	if _, err := ForEachHost(context.Background(), []string{"1", "2", "3", "4", "5"}, HostOptions{Concurrency: 5, Rate: 20},
		func(context.Context, string) ([]Observation, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("5 visits at 20/s took %s, want at least 200ms", d)
	}
}
