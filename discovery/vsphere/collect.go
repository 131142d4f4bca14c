package vsphere

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// The properties read of each type: only those FromInventory uses.
var (
	propsCluster = []string{"name"}
	propsHost    = []string{"name", "parent", "summary.hardware", "summary.config.product",
		"hardware.systemInfo", "runtime.powerState", "runtime.connectionState", "runtime.inMaintenanceMode"}
	propsVM = []string{"name", "config.instanceUuid", "config.uuid", "config.template", "config.guestId",
		"config.guestFullName", "config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
		"guest.hostName", "guest.guestFullName", "guest.net", "guest.toolsStatus", "guest.toolsRunningStatus",
		"runtime.powerState", "runtime.host", "resourcePool", "datastore"}
	propsDatastore = []string{"name", "summary.type", "summary.url", "summary.capacity"}
	propsSwitch    = []string{"name", "summary.uuid", "summary.productInfo", "summary.hostMember", "summary.portgroupName"}
	propsNetwork   = []string{"name"}
	propsPool      = []string{"name"}
)

// viewKinds are the managed object types of a datacenter's view, and
// viewProps the properties read of each, by the type the property
// collector names (subtypes such as VmwareDistributedVirtualSwitch,
// DistributedVirtualPortgroup or VirtualApp inherit their base's).
var viewKinds = []string{"ClusterComputeResource", "HostSystem", "VirtualMachine", "Datastore",
	"DistributedVirtualSwitch", "Network", "ResourcePool"}

func viewProps(kind string) []string {
	switch kind {
	case "ClusterComputeResource":
		return propsCluster
	case "HostSystem":
		return propsHost
	case "VirtualMachine":
		return propsVM
	case "Datastore":
		return propsDatastore
	case "DistributedVirtualSwitch":
		return propsSwitch
	case "Network":
		return propsNetwork
	case "ResourcePool":
		return propsPool
	}
	return nil
}

// Collect reads the inventory through an open session: the datacenters
// (those configured, or all), then each datacenter in one retrieval. The
// result holds HostErrors (by datacenter name) and Partial for those that
// failed; its Observations are left for the caller. The error is for a
// run that cannot go on: the datacenter list unreadable, or every
// datacenter failed.
func (s *Source) Collect(ctx context.Context, c *vim25.Client) (*Inventory, *discovery.Result, error) {
	inv := &Inventory{Instance: strings.ToLower(c.ServiceContent.About.InstanceUuid)}
	if inv.Instance == "" {
		// A standalone ESXi host has no instance UUID: its address names it.
		inv.Instance = strings.ToLower(s.url.Host)
	}
	dcs, err := s.listDatacenters(ctx, c)
	if err != nil {
		return nil, nil, fmt.Errorf("vsphere source: %s: listing datacenters: %w", s.url, err)
	}
	byName := map[string]types.ManagedObjectReference{}
	var names []string
	for _, dc := range dcs {
		if _, dup := byName[dc.Name]; dup {
			// Datacenters in different folders may share a name: the
			// later one is named with its ID.
			dc.Name = dc.Name + " (" + dc.Self.Value + ")"
		}
		byName[dc.Name] = dc.Self
		names = append(names, dc.Name)
	}
	res := &discovery.Result{}
	if len(s.datacenters) > 0 {
		var want []string
		for _, n := range s.datacenters {
			if _, ok := byName[n]; !ok {
				if res.HostErrors == nil {
					res.HostErrors = map[string]string{}
				}
				res.HostErrors[n] = "no such datacenter (known: " + textclip.Message(strings.Join(names, ", ")) + ")"
				res.Partial = true
				continue
			}
			if !contains(want, n) {
				want = append(want, n)
			}
		}
		names = want
	}
	if len(names) == 0 {
		if len(res.HostErrors) > 0 {
			return nil, nil, fmt.Errorf("vsphere source: %s: none of the configured datacenters exists (%s)", s.url, textclip.Message(strings.Join(s.datacenters, ", ")))
		}
		return inv, res, nil
	}
	read := map[string]*Datacenter{}
	var (
		mu sync.Mutex
		wh withheld
	)
	opts := discovery.HostOptions{Concurrency: s.concurrency}
	fr, err := discovery.ForEachHost(ctx, names, opts, func(ctx context.Context, name string) ([]discovery.Observation, error) {
		dc, w, err := s.readDatacenter(ctx, c, byName[name], name)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		read[name] = dc
		wh.merge(w)
		mu.Unlock()
		return nil, nil
	})
	if err != nil {
		var hf *discovery.HostsFailedError
		if errors.As(err, &hf) && len(res.HostErrors) > 0 {
			// Also the configured datacenters that do not exist.
			for n, msg := range res.HostErrors {
				hf.HostErrors[n] = msg
			}
		}
		return nil, nil, fmt.Errorf("vsphere source: %s: reading the datacenters: %w", s.url, err)
	}
	for n, msg := range fr.HostErrors {
		if res.HostErrors == nil {
			res.HostErrors = map[string]string{}
		}
		res.HostErrors[n] = msg
	}
	res.Partial = res.Partial || fr.Partial
	if wh.n > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d properties withheld by the server (left empty; check the account's read permissions), first: %s", wh.n, textclip.Message(wh.first)))
	}
	for _, n := range names {
		if dc := read[n]; dc != nil {
			inv.Datacenters = append(inv.Datacenters, *dc)
		}
	}
	return inv, res, nil
}

// listDatacenters lists every datacenter with its name.
func (s *Source) listDatacenters(ctx context.Context, c *vim25.Client) ([]mo.Datacenter, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"Datacenter"}, true)
	if err != nil {
		return nil, err
	}
	defer destroy(v)
	var dcs []mo.Datacenter
	if err := v.Retrieve(ctx, []string{"Datacenter"}, []string{"name"}, &dcs); err != nil {
		return nil, err
	}
	sort.Slice(dcs, func(i, j int) bool { return dcs[i].Self.Value < dcs[j].Self.Value })
	return dcs, nil
}

// viewDestroyTimeout bounds the removal of a view, done even when the
// run's context has ended.
const viewDestroyTimeout = 10 * time.Second

// destroy removes a view on its own short deadline.
func destroy(v *view.ContainerView) {
	ctx, cancel := context.WithTimeout(context.Background(), viewDestroyTimeout)
	defer cancel()
	_ = v.Destroy(ctx)
}

// readDatacenter reads one datacenter's objects in one paged retrieval
// over a container view of it.
func (s *Source) readDatacenter(ctx context.Context, c *vim25.Client, ref types.ManagedObjectReference, name string) (*Datacenter, withheld, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, ref, viewKinds, true)
	if err != nil {
		return nil, withheld{}, fmt.Errorf("creating a view of datacenter %s: %w", name, err)
	}
	defer destroy(v)
	var pspec []types.PropertySpec
	for _, k := range viewKinds {
		pspec = append(pspec, types.PropertySpec{Type: k, PathSet: viewProps(k)})
	}
	spec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:       v.Reference(),
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
		}},
		PropSet: pspec,
	}
	objs, err := s.retrieve(ctx, c, spec)
	if err != nil {
		return nil, withheld{}, fmt.Errorf("reading datacenter %s: %w", name, err)
	}
	return fromObjects(ref.Value, name, objs)
}

// retrieve runs one RetrievePropertiesEx with its continuations, pages of
// pageSize objects, and stops (cancelling the rest) past maxObjects.
func (s *Source) retrieve(ctx context.Context, c *vim25.Client, spec types.PropertyFilterSpec) ([]types.ObjectContent, error) {
	pc := property.DefaultCollector(c).Reference()
	rx, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{
		This:    pc,
		SpecSet: []types.PropertyFilterSpec{spec},
		Options: types.RetrieveOptions{MaxObjects: int32(s.pageSize)},
	})
	if err != nil {
		return nil, err
	}
	if rx.Returnval == nil {
		return nil, nil
	}
	objs, token := rx.Returnval.Objects, rx.Returnval.Token
	for token != "" {
		if len(objs) > s.maxObjects {
			_, _ = methods.CancelRetrievePropertiesEx(ctx, c, &types.CancelRetrievePropertiesEx{This: pc, Token: token})
			break
		}
		cx, err := methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{This: pc, Token: token})
		if err != nil {
			return nil, err
		}
		objs, token = append(objs, cx.Returnval.Objects...), cx.Returnval.Token
	}
	if len(objs) > s.maxObjects {
		return nil, fmt.Errorf("more than %d objects (maxObjects)", s.maxObjects)
	}
	return objs, nil
}

// fromObjects turns a datacenter's retrieved objects into its Datacenter.
// A property the server withheld (missing, no permission) is left empty.
func fromObjects(ref, name string, objs []types.ObjectContent) (*Datacenter, withheld, error) {
	dc := &Datacenter{Ref: ref, Name: name}
	var wh withheld
	var (
		hosts    []mo.HostSystem
		vms      []mo.VirtualMachine
		networks = map[string]string{}
		pools    = map[string]string{}
		clusters = map[string]bool{}
	)
	for _, oc := range objs {
		for _, m := range oc.MissingSet {
			wh.add(oc.Obj, m)
		}
		oc.MissingSet = nil
		v, err := mo.ObjectContentToType(oc)
		if err != nil {
			return nil, wh, fmt.Errorf("decoding %s %s: %w", oc.Obj.Type, oc.Obj.Value, err)
		}
		switch o := v.(type) {
		case mo.ClusterComputeResource:
			dc.Clusters = append(dc.Clusters, Cluster{Ref: o.Self.Value, Name: o.Name})
			clusters[o.Self.Value] = true
		case mo.HostSystem:
			hosts = append(hosts, o)
		case mo.VirtualMachine:
			vms = append(vms, o)
		case mo.Datastore:
			dc.Datastores = append(dc.Datastores, Datastore{Ref: o.Self.Value, Name: o.Name, Type: o.Summary.Type,
				URL: o.Summary.Url, CapacityBytes: o.Summary.Capacity})
		case mo.DistributedVirtualSwitch:
			dc.Switches = append(dc.Switches, switchOf(o))
		case mo.VmwareDistributedVirtualSwitch:
			dc.Switches = append(dc.Switches, switchOf(o.DistributedVirtualSwitch))
		case mo.ResourcePool:
			pools[o.Self.Value] = o.Name
		case mo.VirtualApp:
			pools[o.Self.Value] = o.Name
		default:
			// Network and its subtypes (DistributedVirtualPortgroup,
			// OpaqueNetwork): only the name is read.
			if oc.Obj.Type == "Network" || oc.Obj.Type == "DistributedVirtualPortgroup" || oc.Obj.Type == "OpaqueNetwork" {
				for _, p := range oc.PropSet {
					if p.Name == "name" {
						if s, ok := p.Val.(string); ok {
							networks[oc.Obj.Value] = s
						}
					}
				}
			}
		}
	}
	for _, h := range hosts {
		dc.Hosts = append(dc.Hosts, hostOf(h, clusters))
	}
	for _, vm := range vms {
		if vm.Config != nil && vm.Config.Template {
			continue
		}
		dc.VMs = append(dc.VMs, vmOf(vm, networks, pools))
	}
	sortDatacenter(dc)
	return dc, wh, nil
}

// withheld counts the properties the server did not return (the
// MissingSet of an object: no permission on it, or a property its version
// lacks) and keeps the first as an example.
type withheld struct {
	n     int
	first string
}

func (w *withheld) add(obj types.ManagedObjectReference, m types.MissingProperty) {
	w.n++
	if w.first == "" {
		why := "missing"
		if m.Fault.Fault != nil {
			why = strings.TrimPrefix(fmt.Sprintf("%T", m.Fault.Fault), "*types.")
		}
		w.first = obj.Type + " " + obj.Value + " " + m.Path + ": " + why
	}
}

func (w *withheld) merge(o withheld) {
	if w.first == "" {
		w.first = o.first
	}
	w.n += o.n
}

func switchOf(o mo.DistributedVirtualSwitch) Switch {
	sw := Switch{Ref: o.Self.Value, Name: o.Name, UUID: o.Summary.Uuid, Portgroups: o.Summary.PortgroupName}
	if o.Summary.ProductInfo != nil {
		sw.Version = o.Summary.ProductInfo.Version
	}
	for _, h := range o.Summary.HostMember {
		sw.Hosts = append(sw.Hosts, h.Value)
	}
	return sw
}

func hostOf(h mo.HostSystem, clusters map[string]bool) Host {
	out := Host{Ref: h.Self.Value, Name: h.Name,
		PowerState:      string(h.Runtime.PowerState),
		ConnectionState: string(h.Runtime.ConnectionState),
		Maintenance:     h.Runtime.InMaintenanceMode,
	}
	if h.Parent != nil && clusters[h.Parent.Value] {
		out.Cluster = h.Parent.Value
	}
	if hw := h.Summary.Hardware; hw != nil {
		out.UUID, out.Vendor, out.Model, out.CPUModel = hw.Uuid, hw.Vendor, hw.Model, hw.CpuModel
		out.CPUPackages, out.CPUCores, out.CPUThreads = int(hw.NumCpuPkgs), int(hw.NumCpuCores), int(hw.NumCpuThreads)
		out.MemoryBytes = hw.MemorySize
		out.Serials = append(out.Serials, serials(hw.OtherIdentifyingInfo)...)
	}
	if hw := h.Hardware; hw != nil {
		if out.UUID == "" {
			out.UUID = hw.SystemInfo.Uuid
		}
		if sn := strings.TrimSpace(hw.SystemInfo.SerialNumber); sn != "" {
			// The serial number, where the server reports one (vSphere
			// 6.7 and later), comes before the service tag.
			out.Serials = append([]string{sn}, out.Serials...)
		}
		if len(out.Serials) == 0 {
			out.Serials = serials(hw.SystemInfo.OtherIdentifyingInfo)
		}
	}
	p := h.Summary.Config.Product
	out.Product, out.Version, out.Build = p.Name, p.Version, p.Build
	return out
}

// serials returns the serial numbers among a host's identifying info: the
// "ServiceTag" (the system serial on Dell, HPE, Lenovo, VMware) and
// "SerialNumberTag", in that order. "EnclosureSerialNumberTag" names the
// chassis, shared by blades, and "AssetTag" is not the maker's.
func serials(infos []types.HostSystemIdentificationInfo) []string {
	var out []string
	for _, want := range []string{"ServiceTag", "SerialNumberTag"} {
		for _, info := range infos {
			if info.IdentifierType != nil && info.IdentifierType.GetElementDescription().Key == want {
				if v := strings.TrimSpace(info.IdentifierValue); v != "" && !contains(out, v) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func vmOf(vm mo.VirtualMachine, networks, pools map[string]string) VM {
	out := VM{Ref: vm.Self.Value, Name: vm.Name,
		PowerState: string(vm.Runtime.PowerState),
	}
	if vm.Runtime.Host != nil {
		out.Host = vm.Runtime.Host.Value
	}
	if vm.ResourcePool != nil {
		out.ResourcePool = pools[vm.ResourcePool.Value]
	}
	for _, ds := range vm.Datastore {
		out.Datastores = append(out.Datastores, ds.Value)
	}
	if cfg := vm.Config; cfg != nil {
		out.InstanceUUID, out.BIOSUUID, out.GuestID = cfg.InstanceUuid, cfg.Uuid, cfg.GuestId
		out.GuestFullName = cfg.GuestFullName
		out.NumCPU, out.MemoryMB = int(cfg.Hardware.NumCPU), int(cfg.Hardware.MemoryMB)
		for _, d := range cfg.Hardware.Device {
			switch dev := d.(type) {
			case *types.VirtualDisk:
				disk := Disk{Label: label(dev.GetVirtualDevice()), SizeBytes: dev.CapacityInBytes}
				if disk.SizeBytes == 0 {
					disk.SizeBytes = dev.CapacityInKB * 1024
				}
				if b, ok := dev.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
					if ds := b.GetVirtualDeviceFileBackingInfo().Datastore; ds != nil {
						disk.Datastore = ds.Value
					}
				}
				out.Disks = append(out.Disks, disk)
			case types.BaseVirtualEthernetCard:
				card := dev.GetVirtualEthernetCard()
				nic := NIC{Label: label(&card.VirtualDevice), MAC: card.MacAddress}
				switch b := card.Backing.(type) {
				case *types.VirtualEthernetCardNetworkBackingInfo:
					nic.Network = b.DeviceName
					if b.Network != nil && networks[b.Network.Value] != "" {
						nic.Network = networks[b.Network.Value]
					}
				case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
					nic.Network = networks[b.Port.PortgroupKey]
				case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
					nic.Network = b.OpaqueNetworkId
				}
				out.NICs = append(out.NICs, nic)
			}
		}
	}
	if g := vm.Guest; g != nil {
		out.GuestHostName = g.HostName
		if g.GuestFullName != "" {
			out.GuestFullName = g.GuestFullName
		}
		out.ToolsStatus, out.ToolsRunningStatus = string(g.ToolsStatus), g.ToolsRunningStatus
		for _, n := range g.Net {
			out.GuestIPs = append(out.GuestIPs, n.IpAddress...)
		}
	}
	return out
}

func label(d *types.VirtualDevice) string {
	if info := d.DeviceInfo; info != nil {
		if l := info.GetDescription().Label; l != "" {
			return l
		}
	}
	return fmt.Sprintf("device %d", d.Key)
}

// sortDatacenter orders every list by managed object ID, so that a run's
// observations come in the same order whatever order the server answered
// in.
func sortDatacenter(dc *Datacenter) {
	byRef := refLess
	sort.Slice(dc.Clusters, func(i, j int) bool { return byRef(dc.Clusters[i].Ref, dc.Clusters[j].Ref) })
	sort.Slice(dc.Hosts, func(i, j int) bool { return byRef(dc.Hosts[i].Ref, dc.Hosts[j].Ref) })
	sort.Slice(dc.VMs, func(i, j int) bool { return byRef(dc.VMs[i].Ref, dc.VMs[j].Ref) })
	sort.Slice(dc.Datastores, func(i, j int) bool { return byRef(dc.Datastores[i].Ref, dc.Datastores[j].Ref) })
	sort.Slice(dc.Switches, func(i, j int) bool { return byRef(dc.Switches[i].Ref, dc.Switches[j].Ref) })
}

// refLess orders managed object IDs: by prefix, then by number ("vm-9"
// before "vm-10").
func refLess(a, b string) bool {
	if len(a) != len(b) && strings.TrimRight(a, "0123456789") == strings.TrimRight(b, "0123456789") {
		return len(a) < len(b)
	}
	return a < b
}
