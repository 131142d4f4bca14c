package nodeexporter

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// CompletePrefixes returns the fact prefixes a node_exporter observation
// reports in full, ["fs.", "net."]: a recorded file system or network
// interface the exporter no longer lists has gone. The caller owns the
// returned slice.
func CompletePrefixes() []string { return []string{"fs.", "net."} }

// KeyPrefix starts every observation's Key.
const KeyPrefix = "node_exporter "

// Parse reads a node_exporter /metrics page in the Prometheus text format
// from r and maps it with FromMetrics. host names the exporter, as in the
// observation's key.
func Parse(r io.Reader, host string) (discovery.Observation, error) {
	fams, err := parseText(r)
	if err != nil {
		return discovery.Observation{}, fmt.Errorf("node_exporter %s: %w", host, err)
	}
	o, err := FromMetrics(host, fams)
	if err != nil {
		return discovery.Observation{}, fmt.Errorf("node_exporter %s: %w", host, err)
	}
	return o, nil
}

// FromMetrics maps the metric families of one node_exporter scrape to an
// observation of the machine. host names the exporter (the scrape target as
// given, such as "web01", "10.0.0.5:9100" or a URL) and makes the key.
//
// The observation has:
//   - Key "node_exporter <host>" and Kind SERVER;
//   - Name: the nodename of node_uname_info, which must be present;
//   - Fields "hostname" (the nodename's first label) and "fqdn" (the
//     nodename, when it is dotted), normalised, when the name is a valid
//     DNS name;
//   - Identifiers: HOSTNAME and FQDN as the fields; MAC for every
//     interface of node_network_info whose address is a real 48-bit MAC
//     address (not 00:00:00:00:00:00, so not the loopback) and was not
//     made up at random by the kernel (node_network_address_assign_type 1,
//     as veth pairs and most bridges are); UUID from the product_uuid of
//     node_dmi_info; SERIAL from its product_serial and chassis_serial
//     unless they are firmware placeholders ("To Be Filled By O.E.M.").
//     DMI serial numbers and UUIDs are only readable when the exporter runs
//     as root;
//   - Facts, each from a metric that stays the same on an idle machine:
//     "os.id", "os.name", "os.version" (VERSION_ID, else VERSION) and
//     "os.pretty_name" from node_os_info; "kernel.release", "kernel.arch"
//     (uname machine) and "kernel.sysname" from node_uname_info;
//     "dmi.vendor" (system_vendor) and "dmi.product" (product_name) from
//     node_dmi_info; "memory.total_bytes" (node_memory_MemTotal_bytes);
//     "cpu.count" (distinct cpu labels of node_cpu_seconds_total);
//     "cpu.model" (distinct model names of node_cpu_info, which the
//     exporter reports only with --collector.cpu.info, joined by "; ");
//     "fs.<mountpoint>.size_bytes" and "fs.<mountpoint>.fstype" for every
//     real file system of node_filesystem_size_bytes (see RealFilesystem);
//     "net.<device>.mac" and "net.<device>.operstate" from
//     node_network_info; "exporter.version" from node_exporter_build_info.
//     A metric or label the exporter lacks is no fact; free space, free
//     memory, counters and times are never facts;
//   - CompleteFacts ["fs.", "net."];
//   - SeenAt zero: the text format carries no scrape time (Discover stamps
//     the observation).
//
// FromMetrics does not modify families.
func FromMetrics(host string, families map[string]*dto.MetricFamily) (discovery.Observation, error) {
	o := discovery.Observation{
		Key:           KeyPrefix + host,
		Kind:          discovery.KindServer,
		Facts:         map[string]string{},
		CompleteFacts: CompletePrefixes(),
	}
	fam := func(name string) []*dto.Metric { return families[name].GetMetric() }

	uname, ok := firstLabels(fam("node_uname_info"))
	if !ok {
		return discovery.Observation{}, errors.New("no node_uname_info metric: not a node_exporter page, or its uname collector is disabled")
	}
	nodename := clean(uname["nodename"])
	if nodename == "" {
		return discovery.Observation{}, errors.New("node_uname_info has no nodename")
	}
	o.Name = nodename
	o.AddHostName(nodename)
	setFact(&o, "kernel.release", uname["release"])
	setFact(&o, "kernel.arch", uname["machine"])
	setFact(&o, "kernel.sysname", uname["sysname"])

	if osInfo, ok := firstLabels(fam("node_os_info")); ok {
		setFact(&o, "os.id", osInfo["id"])
		setFact(&o, "os.name", osInfo["name"])
		version := osInfo["version_id"]
		if clean(version) == "" {
			version = osInfo["version"]
		}
		setFact(&o, "os.version", version)
		setFact(&o, "os.pretty_name", osInfo["pretty_name"])
	}

	if dmi, ok := firstLabels(fam("node_dmi_info")); ok {
		setFact(&o, "dmi.vendor", dmi["system_vendor"])
		setFact(&o, "dmi.product", dmi["product_name"])
		o.AddNormalized(ident.UUID, dmi["product_uuid"])
		o.AddSerials(clean(dmi["product_serial"]), clean(dmi["chassis_serial"]))
	}

	for _, m := range fam("node_memory_MemTotal_bytes") {
		if v, ok := intValue(m); ok {
			o.Facts["memory.total_bytes"] = v
			break
		}
	}

	if ms := fam("node_cpu_seconds_total"); len(ms) > 0 {
		cpus := map[string]bool{}
		for _, m := range ms {
			if c, ok := label(m, "cpu"); ok {
				cpus[c] = true
			}
		}
		if len(cpus) > 0 {
			o.Facts["cpu.count"] = strconv.Itoa(len(cpus))
		}
	}
	var models []string
	seenModel := map[string]bool{}
	for _, m := range fam("node_cpu_info") {
		name, _ := label(m, "model_name")
		if name = clean(name); name != "" && !seenModel[name] {
			seenModel[name] = true
			models = append(models, name)
		}
	}
	if len(models) > 0 {
		sort.Strings(models)
		o.Facts["cpu.model"] = strings.Join(models, "; ")
	}

	for _, m := range fam("node_filesystem_size_bytes") {
		ls := labels(m)
		mp, fstype := ls["mountpoint"], ls["fstype"]
		if mp == "" || !RealFilesystem(fstype, mp) {
			continue
		}
		size, ok := intValue(m)
		if !ok {
			continue
		}
		o.Facts["fs."+mp+".size_bytes"] = size
		o.Facts["fs."+mp+".fstype"] = fstype
	}

	random := map[string]bool{} // devices whose MAC the kernel made up
	for _, m := range fam("node_network_address_assign_type") {
		if dev, ok := label(m, "device"); ok {
			if v, ok := value(m); ok && v == 1 {
				random[dev] = true
			}
		}
	}
	for _, m := range fam("node_network_info") {
		ls := labels(m)
		dev := ls["device"]
		if dev == "" {
			continue
		}
		setFact(&o, "net."+dev+".operstate", ls["operstate"])
		o.AddInterfaceMAC(dev, ls["address"], dev != "lo" && !random[dev])
	}

	if build, ok := firstLabels(fam("node_exporter_build_info")); ok {
		setFact(&o, "exporter.version", build["version"])
	}
	return o, nil
}

// pseudoFS reports whether fstype holds no data of its own or lives in
// memory.
func pseudoFS(fstype string) bool {
	switch fstype {
	case "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
		"devpts", "devtmpfs", "efivarfs", "erofs", "fusectl", "hugetlbfs", "iso9660",
		"mqueue", "nsfs", "overlay", "proc", "procfs", "pstore", "ramfs", "rpc_pipefs",
		"securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs", "nfsd",
		"fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal", "fuse.snapfuse", "aufs", "zram":
		return true
	}
	return false
}

// RealFilesystem reports whether a file system of type fstype mounted at
// mountpoint holds data of its own, so that its size is a fact: not a
// memory or pseudo file system (tmpfs, proc, overlay, squashfs …), nor
// mounted under /dev, /proc, /sys, /run/credentials or a container
// runtime's storage. Other discovery sources use it so that their "fs."
// facts agree with node_exporter's.
func RealFilesystem(fstype, mountpoint string) bool {
	if fstype == "" || pseudoFS(fstype) || mountpoint == "" {
		return false
	}
	// The mount points node_exporter leaves out by default
	// (--collector.filesystem.mount-points-exclude) and those under which
	// container runtimes mount their layers and volumes.
	for _, p := range []string{"/dev", "/proc", "/sys"} {
		if mountpoint == p || strings.HasPrefix(mountpoint, p+"/") {
			return false
		}
	}
	for _, p := range []string{"/run/credentials/", "/var/lib/docker/", "/var/lib/containers/storage/", "/var/lib/kubelet/pods/"} {
		if strings.HasPrefix(mountpoint, p) {
			return false
		}
	}
	return true
}

// setFact sets a fact to a label value, unless the value is empty.
func setFact(o *discovery.Observation, key, v string) { o.SetFact(key, clean(v)) }

// clean trims a label value; "(none)", which uname reports for an unset
// value, is empty.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if s == "(none)" {
		return ""
	}
	return s
}

// labels returns m's labels by name.
func labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// label returns the value of m's label called name.
func label(m *dto.Metric, name string) (string, bool) {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue(), true
		}
	}
	return "", false
}

// firstLabels returns the labels of the first metric of an info family.
func firstLabels(ms []*dto.Metric) (map[string]string, bool) {
	for _, m := range ms {
		if m != nil {
			return labels(m), true
		}
	}
	return nil, false
}

// value returns the sample of a gauge, untyped or counter metric.
func value(m *dto.Metric) (float64, bool) {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), true
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), true
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}

// intValue returns m's sample as a decimal integer, when it is a
// non-negative whole number.
func intValue(m *dto.Metric) (string, bool) {
	v, ok := value(m)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v >= 1<<63 || v != math.Trunc(v) {
		return "", false
	}
	return strconv.FormatFloat(v, 'f', -1, 64), true
}
