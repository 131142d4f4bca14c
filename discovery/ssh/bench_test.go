package ssh

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/lab"
)

// BenchmarkInventory50 inventories 50 hosts, 10 at a time: the lab sshd
// 50 times over (discover takes the host list as given, repeats included).
// It reports the seconds one run of 50 takes; the target is at most 15.
func BenchmarkInventory50(b *testing.B) {
	s := lab.StartSSHD(b)
	src, err := (&Config{User: s.User, Port: s.Port, Concurrency: 10, Timeout: discovery.Duration(60 * time.Second),
		KnownHostsFile: s.KnownHostsFile}).Build()
	if err != nil {
		b.Fatal(err)
	}
	hosts := make([]string, 50)
	for i := range hosts {
		hosts[i] = s.Host
	}
	env := discovery.Env{Credentials: map[string]string{"private_key": string(s.ClientKeyPEM)}}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res, err := src.(*Source).discover(context.Background(), env, hosts)
		if err != nil {
			b.Fatal(err)
		}
		if res.Partial || len(res.Observations) != 50 {
			b.Fatalf("partial=%v observations=%d errors=%v", res.Partial, len(res.Observations), res.HostErrors)
		}
	}
	sec := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/run")
	b.ReportMetric(50/sec, "hosts/s")
	if sec > 15 {
		b.Logf("%.1f s for 50 hosts, above the 15 s target", sec)
	}
}
