package vsphere

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Inventory is what a run read from one vCenter, in plain values: Collect
// fills it from the server's managed objects, FromInventory turns it into
// observations. References between objects are managed object IDs
// ("host-12") within the same datacenter.
type Inventory struct {
	// Instance is the vCenter's instance UUID (ServiceContent.about), the
	// namespace of every key.
	Instance    string       `json:"instance"`
	Datacenters []Datacenter `json:"datacenters"`
}

// Datacenter is one datacenter's objects.
type Datacenter struct {
	Ref        string      `json:"ref"`
	Name       string      `json:"name"`
	Clusters   []Cluster   `json:"clusters,omitempty"`
	Hosts      []Host      `json:"hosts,omitempty"`
	VMs        []VM        `json:"vms,omitempty"`
	Datastores []Datastore `json:"datastores,omitempty"`
	Switches   []Switch    `json:"switches,omitempty"`
}

// Cluster is a ClusterComputeResource.
type Cluster struct {
	Ref  string `json:"ref"`
	Name string `json:"name"`
}

// Host is an ESXi HostSystem.
type Host struct {
	Ref  string `json:"ref"`
	Name string `json:"name"`
	// Cluster is the ID of the cluster the host is in; empty for a
	// standalone host.
	Cluster         string   `json:"cluster,omitempty"`
	UUID            string   `json:"uuid,omitempty"`
	Serials         []string `json:"serials,omitempty"`
	Vendor          string   `json:"vendor,omitempty"`
	Model           string   `json:"model,omitempty"`
	CPUModel        string   `json:"cpuModel,omitempty"`
	CPUPackages     int      `json:"cpuPackages,omitempty"`
	CPUCores        int      `json:"cpuCores,omitempty"`
	CPUThreads      int      `json:"cpuThreads,omitempty"`
	MemoryBytes     int64    `json:"memoryBytes,omitempty"`
	Product         string   `json:"product,omitempty"`
	Version         string   `json:"version,omitempty"`
	Build           string   `json:"build,omitempty"`
	PowerState      string   `json:"powerState,omitempty"`
	ConnectionState string   `json:"connectionState,omitempty"`
	Maintenance     bool     `json:"maintenance,omitempty"`
}

// VM is a VirtualMachine.
type VM struct {
	Ref                string   `json:"ref"`
	Name               string   `json:"name"`
	InstanceUUID       string   `json:"instanceUuid,omitempty"`
	BIOSUUID           string   `json:"biosUuid,omitempty"`
	GuestID            string   `json:"guestId,omitempty"`
	GuestFullName      string   `json:"guestFullName,omitempty"`
	GuestHostName      string   `json:"guestHostName,omitempty"`
	GuestIPs           []string `json:"guestIps,omitempty"`
	PowerState         string   `json:"powerState,omitempty"`
	ToolsStatus        string   `json:"toolsStatus,omitempty"`
	ToolsRunningStatus string   `json:"toolsRunningStatus,omitempty"`
	NumCPU             int      `json:"numCpu,omitempty"`
	MemoryMB           int      `json:"memoryMb,omitempty"`
	// Host is the ID of the host the VM runs (or is registered) on.
	Host         string `json:"host,omitempty"`
	ResourcePool string `json:"resourcePool,omitempty"`
	// Datastores are the IDs of the datastores holding the VM's files.
	Datastores []string `json:"datastores,omitempty"`
	NICs       []NIC    `json:"nics,omitempty"`
	Disks      []Disk   `json:"disks,omitempty"`
}

// NIC is a VM's virtual network adapter.
type NIC struct {
	Label   string `json:"label"`
	MAC     string `json:"mac,omitempty"`
	Network string `json:"network,omitempty"`
}

// Disk is a VM's virtual disk.
type Disk struct {
	Label     string `json:"label"`
	SizeBytes int64  `json:"sizeBytes,omitempty"`
	Datastore string `json:"datastore,omitempty"`
}

// Datastore is a Datastore.
type Datastore struct {
	Ref           string `json:"ref"`
	Name          string `json:"name"`
	Type          string `json:"type,omitempty"`
	URL           string `json:"url,omitempty"`
	CapacityBytes int64  `json:"capacityBytes,omitempty"`
}

// Switch is a DistributedVirtualSwitch.
type Switch struct {
	Ref        string   `json:"ref"`
	Name       string   `json:"name"`
	UUID       string   `json:"uuid,omitempty"`
	Version    string   `json:"version,omitempty"`
	Hosts      []string `json:"hosts,omitempty"`
	Portgroups []string `json:"portgroups,omitempty"`
}

// Key returns the observation key of the object ref of the vCenter
// instance: "vsphere:<instance>:<ref>".
func Key(instance, ref string) string {
	return "vsphere:" + instance + ":" + ref
}

// FromInventory returns the observations of inv, each stamped with seen:
//
//   - every observation: key Key(instance, ref) with StableKey, the
//     object's name as name, facts "vsphere.moref" (the managed object
//     ID) and "vsphere.datacenter";
//   - cluster (CLUSTER): nothing more;
//   - host (SERVER): identifiers UUID (BIOS UUID of the hardware), SERIAL
//     (the serial number, or the "ServiceTag" identifying info, unless a
//     placeholder), the host's name as IP (when an address), or FQDN and
//     HOSTNAME; fields name, hostname/fqdn, serial_number; facts
//     "dmi.vendor", "dmi.product", "cpu.model", "cpu.count" (threads),
//     "cpu.cores", "cpu.sockets", "memory.total_bytes", "os.name" (product,
//     "VMware ESXi"), "os.version", "vsphere.version", "vsphere.build",
//     "vsphere.cluster", "vsphere.power_state",
//     "vsphere.connection_state", "vsphere.maintenance_mode";
//     relationships MEMBER_OF its cluster, CONNECTS_TO each distributed
//     switch that lists it as a member;
//   - VM (VM): identifiers UUID (instance UUID and BIOS UUID), MAC of each
//     virtual NIC, IP of each guest address (tools; loopback and
//     link-local left out), the guest's host name (FQDN/HOSTNAME); fields
//     name, hostname/fqdn; facts "cpu.count", "vsphere.memory_mb",
//     "vsphere.guest_id", "vsphere.guest_os" (the guest's full name, as
//     the tools report it, else as configured), "vsphere.power_state",
//     "vsphere.tools_status", "vsphere.tools_running_status",
//     "vsphere.cluster" (its host's), "vsphere.resource_pool",
//     "vsphere.nic.<n>.mac", "vsphere.nic.<n>.network",
//     "vsphere.disk.<n>.size_bytes", "vsphere.disk.<n>.label",
//     "vsphere.disk.<n>.datastore" (its ID; n from 0 in device order); CompleteFacts "vsphere.nic.", "vsphere.disk.",
//     "identifier.MAC"; relationships RUNS_ON its host, USES each datastore
//     (attribute "disk": the labels of its disks there, joined by ", ");
//   - datastore (STORAGE): facts "vsphere.datastore_type",
//     "vsphere.capacity_bytes", "vsphere.url";
//   - distributed switch (NETWORK_DEVICE): identifier UUID (the switch's
//     UUID, "50 2a … 7f-81 …" as vCenter spells it), facts "vsphere.version",
//     "vsphere.portgroups" (sorted names joined by ", ").
//
// The guest OS and memory of a VM are vSphere's own facts and not
// "os.name"/"memory.total_bytes", which the in-guest sources (ssh,
// node_exporter, local) report from inside with other values (os-release
// name; the memory the kernel sees): the same CI seen by both would
// otherwise drift on every run. "cpu.count" means the same from both sides.
//
// Names are shown as vSphere users see them: vCenter's escapes of "%",
// "/" and "\" in names ("%25", "%2f", "%5c") are undone (UnescapeName).
//
// A relationship names an object of the same datacenter; one to an object
// the run did not read (a host being removed) is left out.
func FromInventory(inv *Inventory, seen time.Time) []discovery.Observation {
	var out []discovery.Observation
	for i := range inv.Datacenters {
		out = append(out, datacenterObservations(inv.Instance, &inv.Datacenters[i], seen)...)
	}
	return out
}

func datacenterObservations(instance string, dc *Datacenter, seen time.Time) []discovery.Observation {
	key := func(ref string) string { return Key(instance, ref) }
	clusters := map[string]string{} // ref → name
	hosts := map[string]*Host{}
	datastores := map[string]bool{}
	// switchesOf: host ref → switch refs, sorted.
	switchesOf := map[string][]string{}
	for _, c := range dc.Clusters {
		clusters[c.Ref] = c.Name
	}
	for i := range dc.Hosts {
		hosts[dc.Hosts[i].Ref] = &dc.Hosts[i]
	}
	for _, d := range dc.Datastores {
		datastores[d.Ref] = true
	}
	for _, sw := range dc.Switches {
		for _, h := range sw.Hosts {
			if hosts[h] != nil && !contains(switchesOf[h], sw.Ref) {
				switchesOf[h] = append(switchesOf[h], sw.Ref)
			}
		}
	}
	base := func(kind, ref, name string) discovery.Observation {
		name = UnescapeName(name)
		o := discovery.Observation{Key: key(ref), Kind: kind, Name: name, StableKey: true, SeenAt: seen}
		if name != "" {
			o.SetField("name", name)
		}
		o.SetFact("vsphere.moref", ref)
		o.SetFact("vsphere.datacenter", UnescapeName(dc.Name))
		return o
	}

	var out []discovery.Observation
	for _, c := range dc.Clusters {
		out = append(out, base(discovery.KindCluster, c.Ref, c.Name))
	}
	for i := range dc.Hosts {
		h := &dc.Hosts[i]
		o := base(discovery.KindServer, h.Ref, h.Name)
		o.AddNormalized(ident.UUID, h.UUID)
		o.AddSerials(h.Serials...)
		for _, id := range o.Identifiers {
			if id.Kind == ident.Serial {
				o.SetField("serial_number", id.Value)
				break
			}
		}
		addName(&o, h.Name)
		o.SetFact("dmi.vendor", h.Vendor)
		o.SetFact("dmi.product", h.Model)
		o.SetFact("cpu.model", strings.Join(strings.Fields(h.CPUModel), " "))
		setCount(&o, "cpu.count", int64(h.CPUThreads))
		setCount(&o, "cpu.cores", int64(h.CPUCores))
		setCount(&o, "cpu.sockets", int64(h.CPUPackages))
		setCount(&o, "memory.total_bytes", h.MemoryBytes)
		o.SetFact("os.name", h.Product)
		o.SetFact("os.version", h.Version)
		o.SetFact("vsphere.version", h.Version)
		o.SetFact("vsphere.build", h.Build)
		o.SetFact("vsphere.cluster", UnescapeName(clusters[h.Cluster]))
		o.SetFact("vsphere.power_state", h.PowerState)
		o.SetFact("vsphere.connection_state", h.ConnectionState)
		o.SetFact("vsphere.maintenance_mode", strconv.FormatBool(h.Maintenance))
		if _, ok := clusters[h.Cluster]; ok {
			o.Relationships = append(o.Relationships, discovery.Relationship{Type: "MEMBER_OF", To: key(h.Cluster)})
		}
		sws := switchesOf[h.Ref]
		sort.Strings(sws)
		for _, sw := range sws {
			o.Relationships = append(o.Relationships, discovery.Relationship{Type: "CONNECTS_TO", To: key(sw)})
		}
		out = append(out, o)
	}
	for i := range dc.VMs {
		out = append(out, vmObservation(base, key, &dc.VMs[i], hosts, clusters, datastores))
	}
	for _, d := range dc.Datastores {
		o := base(discovery.KindStorage, d.Ref, d.Name)
		o.SetFact("vsphere.datastore_type", d.Type)
		setCount(&o, "vsphere.capacity_bytes", d.CapacityBytes)
		o.SetFact("vsphere.url", d.URL)
		out = append(out, o)
	}
	for _, sw := range dc.Switches {
		o := base(discovery.KindNetworkDevice, sw.Ref, sw.Name)
		o.AddNormalized(ident.UUID, switchUUID(sw.UUID))
		o.SetFact("vsphere.version", sw.Version)
		pgs := make([]string, 0, len(sw.Portgroups))
		for _, pg := range sw.Portgroups {
			pgs = append(pgs, UnescapeName(pg))
		}
		sort.Strings(pgs)
		o.SetFact("vsphere.portgroups", strings.Join(pgs, ", "))
		out = append(out, o)
	}
	return out
}

func vmObservation(base func(kind, ref, name string) discovery.Observation, key func(string) string, vm *VM,
	hosts map[string]*Host, clusters map[string]string, datastores map[string]bool) discovery.Observation {
	o := base(discovery.KindVM, vm.Ref, vm.Name)
	o.AddNormalized(ident.UUID, vm.InstanceUUID)
	o.AddNormalized(ident.UUID, vm.BIOSUUID)
	for n, nic := range vm.NICs {
		p := "vsphere.nic." + strconv.Itoa(n) + "."
		if mac, ok := discovery.MACFact(nic.MAC); ok {
			o.SetFact(p+"mac", mac)
			o.AddNormalized(ident.MAC, mac)
		}
		o.SetFact(p+"network", UnescapeName(nic.Network))
	}
	for _, ip := range vm.GuestIPs {
		a, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
			continue
		}
		o.AddNormalized(ident.IP, a.Unmap().String())
	}
	addName(&o, vm.GuestHostName)
	setCount(&o, "cpu.count", int64(vm.NumCPU))
	setCount(&o, "vsphere.memory_mb", int64(vm.MemoryMB))
	o.SetFact("vsphere.guest_id", vm.GuestID)
	o.SetFact("vsphere.guest_os", vm.GuestFullName)
	o.SetFact("vsphere.power_state", vm.PowerState)
	o.SetFact("vsphere.tools_status", vm.ToolsStatus)
	o.SetFact("vsphere.tools_running_status", vm.ToolsRunningStatus)
	if h := hosts[vm.Host]; h != nil {
		o.SetFact("vsphere.cluster", UnescapeName(clusters[h.Cluster]))
	}
	o.SetFact("vsphere.resource_pool", UnescapeName(vm.ResourcePool))
	disksOn := map[string][]string{}
	for n, d := range vm.Disks {
		p := "vsphere.disk." + strconv.Itoa(n) + "."
		setCount(&o, p+"size_bytes", d.SizeBytes)
		o.SetFact(p+"label", d.Label)
		if datastores[d.Datastore] {
			o.SetFact(p+"datastore", d.Datastore)
			if d.Label != "" {
				disksOn[d.Datastore] = append(disksOn[d.Datastore], d.Label)
			}
		}
	}
	o.CompleteFacts = []string{"vsphere.nic.", "vsphere.disk.", "identifier.MAC"}
	if hosts[vm.Host] != nil {
		o.Relationships = append(o.Relationships, discovery.Relationship{Type: "RUNS_ON", To: key(vm.Host)})
	}
	var dss []string
	for _, ds := range vm.Datastores {
		if datastores[ds] && !contains(dss, ds) {
			dss = append(dss, ds)
		}
	}
	for ds := range disksOn {
		if !contains(dss, ds) {
			dss = append(dss, ds)
		}
	}
	sort.Strings(dss)
	for _, ds := range dss {
		r := discovery.Relationship{Type: "USES", To: key(ds)}
		if labels := disksOn[ds]; len(labels) > 0 {
			r.Attributes = map[string]string{"disk": clip(strings.Join(labels, ", "), discovery.MaxAttributeLen)}
		}
		o.Relationships = append(o.Relationships, r)
	}
	return o
}

// addName adds a host's or guest's DNS name, or its address when the name
// is one (ESXi hosts are often added to vCenter by address).
func addName(o *discovery.Observation, name string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	if a, err := netip.ParseAddr(name); err == nil {
		o.AddNormalized(ident.IP, a.Unmap().String())
		return
	}
	o.AddHostName(name)
}

// setCount sets a fact to a positive number; zero or less is no fact.
func setCount(o *discovery.Observation, k string, n int64) {
	if n > 0 {
		o.SetFact(k, strconv.FormatInt(n, 10))
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// clip cuts s to at most n bytes at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// UnescapeName undoes vCenter's escapes in an inventory name: "%25", "%2f"
// and "%5c" (either case) stand for "%", "/" and "\"; anything else is
// left as it is.
func UnescapeName(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			switch strings.ToLower(s[i+1 : i+3]) {
			case "25":
				b.WriteByte('%')
				i += 2
				continue
			case "2f":
				b.WriteByte('/')
				i += 2
				continue
			case "5c":
				b.WriteByte('\\')
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// switchUUID turns a distributed switch's UUID as vCenter spells it
// ("50 2a 1f 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8") into the usual form;
// anything that is not 16 bytes of hex is returned as it is (and then
// fails to normalise, adding no identifier).
func switchUUID(s string) string {
	hex := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	if len(hex) != 32 {
		return s
	}
	return hex[:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:]
}
