package local_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/local"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// inventorySnapshot is a machine with every part of the inventory: a
// Dell-like server with two memory modules, dpkg packages (one multiarch,
// one with two versions), DNS servers, PCI devices, and guests of every
// kind.
func inventorySnapshot() *local.Snapshot {
	return &local.Snapshot{
		Hostname:      "hv01.example.com",
		OSRelease:     map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "VERSION_ID": "12", "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)"},
		KernelRelease: "6.1.0-27-amd64", KernelArch: "x86_64", KernelSysname: "Linux",
		MemoryTotal: 64 << 30,
		CPUCount:    32,
		CPUModels:   []string{"Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz"},
		CPUCores:    16,
		DMI: local.DMI{
			Vendor: "Dell Inc.", Product: "PowerEdge R650", ProductUUID: "4C4C4544-0042-3510-8052-B4C04F4B4E32",
			ProductSerial: "4B5RK73", ChassisSerial: "4B5RK73",
			BIOSVendor: "Dell Inc.", BIOSVersion: "1.13.2", BIOSDate: "03/14/2024",
			BoardVendor: "Dell Inc.", BoardProduct: "0JMK61", BoardSerial: ".4B5RK73.CNFCP0033K00T1.",
			ChassisAssetTag: "CRN-00042",
		},
		MemoryModules: []local.MemoryModule{
			{Locator: "A1", Bank: "", SizeBytes: 32 << 30, Type: "DDR4", SpeedMTs: 3200, Manufacturer: "Hynix Semiconductor", Serial: "3A1B2C3D", Part: "HMA84GR7CJR4N-XN"},
			{Locator: "B1", SizeBytes: 32 << 30, Type: "DDR4", SpeedMTs: 3200, Manufacturer: "Hynix Semiconductor", Serial: "3A1B2C3E"},
		},
		MemoryModulesRead: true,
		PackageManager:    "dpkg",
		Packages: []local.Package{
			{Name: "bash", Version: "5.2.15-2+b7", Arch: "amd64"},
			{Name: "libc6", Version: "2.36-9+deb12u9", Arch: "amd64"},
			{Name: "libc6", Version: "2.36-9+deb12u9", Arch: "i386"},
			{Name: "linux-image-amd64", Version: "6.1.115-1", Arch: "amd64"},
			{Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all"},
			{Name: "qemu-system-x86", Version: "1:7.2+dfsg-7+deb12u7", Arch: "amd64"},
		},
		PackagesRead: true,
		DNSServers:   []string{"10.20.0.53", "10.20.1.53"},
		PCIDevices: []local.PCIDevice{
			{Slot: "0000:00:00.0", Vendor: "8086", Device: "09a2", Class: "0600"},
			{Slot: "0000:31:00.0", Vendor: "14e4", Device: "165f", Class: "0200"},
		},
		PCIRead: true,
		Interfaces: []local.Interface{
			{Name: "eno1", MAC: "b0:7b:25:01:02:03", OperState: "up", Addrs: []string{"10.20.30.11/24"}},
		},
		Filesystems: []local.Filesystem{{Mountpoint: "/", Fstype: "ext4", SizeBytes: 400 << 30}},
		Guests: []local.Guest{
			{Type: "libvirt", Name: "web01", UUID: "0B3A1C2D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", VCPUs: 4, MemoryBytes: 8 << 30},
			{Type: "libvirt", Name: "template"},
			{Type: "docker", Name: "prometheus"},
			{Type: "podman", Name: "prometheus"},
			{Type: "lxc", Name: "build", VCPUs: 2, MemoryBytes: 512 << 20},
			{Type: "docker", Name: "prometheus"},
			{Type: "docker", Name: " "},
		},
	}
}

// The observations of a full synthetic snapshot, against
// testdata/observations.golden.json (rewritten with -update).
func TestObservationsGolden(t *testing.T) {
	obs := inventorySnapshot().Observations()
	for _, o := range obs {
		if err := o.Check(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := json.MarshalIndent(obs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "observations.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Observations differ from %s (run with -update to accept):\n%s", path, got)
	}
}
