package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/vsphere"
)

// BenchmarkVSphereDiscover measures a full vsphere Discover (login, the
// datacenter list, the one paged retrieval of the datacenter, the
// observations, logout) against vcsim, govmomi's vCenter simulator, over
// TLS on loopback, holding 5 clusters of 10 ESXi hosts (50 hosts) and
// 2,000 VMs with guest host names and addresses. Goal: at most 10 s.
// The simulator's inventory is built once, outside the timer.
func BenchmarkVSphereDiscover(b *testing.B) {
	m := simulator.VPX()
	m.Datacenter = 1
	m.Cluster = 5
	m.ClusterHost = 10
	m.Host = 0
	m.Machine = 400 // per cluster
	m.Portgroup = 2
	m.Datastore = 2
	m.Autostart = false // powering 2,000 VMs on costs the setup time, not the retrieval
	start := time.Now()
	if err := m.Create(); err != nil {
		b.Fatalf("creating the vcsim model: %v", err)
	}
	defer m.Remove()
	reg := m.Map()
	i := 0
	for _, e := range reg.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		vm.Guest.HostName = fmt.Sprintf("vm%04d.prod.example.com", i)
		vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		if len(vm.Guest.Net) > 0 {
			vm.Guest.Net[0].IpAddress = []string{fmt.Sprintf("10.%d.%d.%d", 20+i/65536, i/256%256, i%256)}
		}
		i++
	}
	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{User: url.UserPassword("administrator@vsphere.local", "bench-Pa55")}
	s := m.Service.NewServer()
	defer s.Close()
	b.Logf("vcsim with %d hosts and %d VMs built in %s", len(reg.All("HostSystem")), i, time.Since(start).Round(time.Millisecond))

	u := *s.URL
	u.User = nil
	cfg := vsphere.DefaultConfig()
	cfg.URL = u.String()
	cfg.Insecure = true
	src, err := cfg.Build()
	if err != nil {
		b.Fatal(err)
	}
	env := discovery.Env{Credentials: map[string]string{"username": "administrator@vsphere.local", "password": "bench-Pa55"}}
	ctx := context.Background()
	var res *discovery.Result
	b.ResetTimer()
	for b.Loop() {
		res, err = src.Discover(ctx, env)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	elapsed := b.Elapsed()
	per := elapsed.Seconds() / float64(b.N)
	count := map[string]int{}
	for _, o := range res.Observations {
		count[o.Kind]++
	}
	if count[discovery.KindVM] != 2000 || count[discovery.KindServer] != 50 || res.Partial {
		b.Fatalf("observed %v (partial %v), want 2000 VMs and 50 hosts", count, res.Partial)
	}
	b.ReportMetric(per, "s/discover")
	b.ReportMetric(float64(len(res.Observations)), "observations")
	b.Logf("%d observations (%v) in %.2f s per Discover (goal 10 s)", len(res.Observations), count, per)
}
