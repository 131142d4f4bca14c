package vsphere

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"sort"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The simulator's only account (any other user or password is refused).
const (
	simUser     = "administrator@vsphere.local"
	simPassword = "s3cret-P@ss"
	// simInstance replaces the random instance UUID vcsim makes, so that
	// keys (and the golden files) are the same on every run.
	simInstance = "7b1e3c0a-5f2d-4c8e-9a61-2d4f0e8b9c13"
)

// sim is a running vcsim: its model (to change the inventory between runs)
// and its TLS server.
type sim struct {
	model  *simulator.Model
	server *simulator.Server
}

// newSim starts vcsim, over TLS with its own certificate, with the given
// model (simulator.VPX() with counts set), a fixed instance UUID, one
// account, per-host serial numbers and, on the first VMs, what VMware
// Tools would report (guest host name, addresses, tools status).
func newSim(t testing.TB, m *simulator.Model) *sim {
	t.Helper()
	if err := m.Create(); err != nil {
		t.Fatalf("creating the vcsim model: %v", err)
	}
	t.Cleanup(m.Remove)
	reg := m.Map()
	si := reg.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	si.Content.About.InstanceUuid = simInstance

	for _, e := range sortedEntities(reg, "Datastore") {
		// vcsim takes the capacity of the file system it stores in.
		e.(*simulator.Datastore).Summary.Capacity = 2 << 40
	}
	for i, e := range sortedEntities(reg, "HostSystem") {
		h := e.(*simulator.HostSystem)
		hw := *h.Hardware
		hw.SystemInfo.SerialNumber = fmt.Sprintf("CZJ8%05dX", i+1)
		// Like a real server: the service tag is the serial number.
		hw.SystemInfo.OtherIdentifyingInfo = []types.HostSystemIdentificationInfo{serviceTag(hw.SystemInfo.SerialNumber)}
		h.Hardware = &hw
		sum := *h.Summary.Hardware
		sum.OtherIdentifyingInfo = hw.SystemInfo.OtherIdentifyingInfo
		h.Summary.Hardware = &sum
	}
	// vcsim places a cluster's VMs on random hosts of it: place them in
	// turn, so that every run of a test sees the same placement.
	clusterHosts := map[string][]types.ManagedObjectReference{}
	for _, e := range sortedEntities(reg, "HostSystem") {
		h := e.(*simulator.HostSystem)
		if h.Parent.Type == "ClusterComputeResource" {
			clusterHosts[h.Parent.Value] = append(clusterHosts[h.Parent.Value], h.Self)
		}
	}
	for i, e := range sortedEntities(reg, "VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		if h, ok := reg.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok && h.Parent.Type == "ClusterComputeResource" {
			hosts := clusterHosts[h.Parent.Value]
			ref := hosts[i%len(hosts)]
			vm.Runtime.Host = &ref
			vm.Summary.Runtime.Host = &ref
		}
		if i >= 2 {
			continue
		}
		vm.Guest.HostName = fmt.Sprintf("app%02d.prod.example.com", i+1)
		vm.Guest.GuestFullName = "Debian GNU/Linux 12 (64-bit)"
		vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		if len(vm.Guest.Net) > 0 {
			vm.Guest.Net[0].IpAddress = []string{fmt.Sprintf("10.20.0.%d", 11+i), "fe80::250:56ff:fe00:1", fmt.Sprintf("2001:db8::%d", 11+i)}
		}
	}

	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{User: url.UserPassword(simUser, simPassword)}
	s := m.Service.NewServer()
	t.Cleanup(s.Close)
	return &sim{model: m, server: s}
}

// sortedEntities returns the registry's objects of a type by managed
// object ID (Registry.All returns them in map order).
func sortedEntities(reg *simulator.Registry, kind string) []mo.Entity {
	es := reg.All(kind)
	sort.Slice(es, func(i, j int) bool { return refLess(es[i].Reference().Value, es[j].Reference().Value) })
	return es
}

func serviceTag(v string) types.HostSystemIdentificationInfo {
	return types.HostSystemIdentificationInfo{
		IdentifierValue: v,
		IdentifierType: &types.ElementDescription{
			Description: types.Description{Label: "Service tag", Summary: "Service tag of the system"},
			Key:         "ServiceTag",
		},
	}
}

// url is the SDK URL of the simulator, without credentials.
func (s *sim) url() string {
	u := *s.server.URL
	u.User = nil
	return u.String()
}

// creds are the job credentials of the simulator's account.
func simCreds() map[string]string {
	return map[string]string{"username": simUser, "password": simPassword}
}

// smallModel is the inventory of most tests: one datacenter with two
// clusters of three hosts, a standalone host, a distributed switch with one
// port group, one datastore, and three VMs per cluster and on the
// standalone host.
func smallModel() *simulator.Model {
	m := simulator.VPX()
	m.Datacenter = 1
	m.Cluster = 2
	m.ClusterHost = 3
	m.Host = 1
	m.Machine = 3
	m.Portgroup = 1
	m.Datastore = 1
	return m
}
