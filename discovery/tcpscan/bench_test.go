//go:build unix

package tcpscan_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/tcpscan"
)

// BenchmarkScanSlash24 scans ports 1-1024 of the 254 hosts of
// 127.0.1.0/24 (260,096 connection attempts, nearly all refused) with the
// default concurrency and timeouts, and reports seconds per scan, both wall
// clock (s/scan) and CPU, user plus system, of the whole test process
// (cpu-s/scan: on a busy machine the wall clock says little). It needs
// to bind ports 80 and 443 (root or CAP_NET_BIND_SERVICE), and is skipped
// otherwise. The target is at most 30 s on 2 cores:
//
//	go test ./discovery/tcpscan/ -run '^$' -bench ScanSlash24 -benchtime 1x -cpu 2
func BenchmarkScanSlash24(b *testing.B) {
	listener(b, "127.0.1.7:80", "")
	listener(b, "127.0.1.9:443", "")
	c := tcpscan.DefaultConfig()
	c.Ports = "1-1024"
	c.Hosts = []string{"127.0.1.0/24"}
	src := build(b, c)
	var elapsed time.Duration
	cpu0 := cpuTime(b)
	n := 0
	for b.Loop() {
		n++
		start := time.Now()
		res, err := src.Discover(context.Background(), discovery.Env{})
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.Partial {
			b.Fatalf("host errors: %v", res.HostErrors)
		}
		found := map[string]string{}
		for _, o := range res.Observations {
			for k, v := range o.Facts {
				found[o.Key+" "+k] = v
			}
		}
		for _, want := range []string{"tcpscan 127.0.1.7 open.tcp.80", "tcpscan 127.0.1.9 open.tcp.443"} {
			if found[want] != "open" {
				b.Fatalf("%s not open; found %v", want, found)
			}
		}
	}
	b.ReportMetric(elapsed.Seconds()/float64(n), "s/scan")
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(n), "cpu-s/scan")
	b.ReportMetric(0, "ns/op")
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
