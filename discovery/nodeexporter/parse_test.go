package nodeexporter_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/discovery/nodeexporter")

// fixtures holds the /metrics pages (see README.md there).
const fixtures = "../../testdata/discovery/nodeexporter"

func parseFile(t testing.TB, name string) discovery.Observation {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o, err := nodeexporter.Parse(f, strings.TrimSuffix(name, ".prom"))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return o
}

// Every fixture against its golden JSON.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.prom"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			o := parseFile(t, name)
			if err := o.Check(); err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(o, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(file, ".prom") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./discovery/nodeexporter/ -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Parse(%s) differs from %s (run with -update to accept):\n%s", name, filepath.Base(golden), got)
			}
		})
	}
}

// The hand-made page, value by value.
func TestParseHandmade(t *testing.T) {
	o := parseFile(t, "handmade.prom")
	if o.Key != "node_exporter handmade" || o.Kind != discovery.KindServer || o.Name != "db01.example.com" {
		t.Errorf("key %q kind %q name %q", o.Key, o.Kind, o.Name)
	}
	if !o.SeenAt.IsZero() {
		t.Errorf("seenAt %v, want zero (the page has no time)", o.SeenAt)
	}
	wantFields := map[string]string{"hostname": "db01", "fqdn": "db01.example.com"}
	if !reflect.DeepEqual(o.Fields, wantFields) {
		t.Errorf("fields %q, want %q", o.Fields, wantFields)
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.FQDN, Value: "db01.example.com"},
		{Kind: ident.Hostname, Value: "db01"},
		{Kind: ident.UUID, Value: "4c4c4544-0058-5910-8035-b7c04f313233"},
		{Kind: ident.Serial, Value: "7XYZ123"},        // chassis serial is a placeholder
		{Kind: ident.MAC, Value: "b4:96:91:a1:b2:c3"}, // bond0 and eno1, once
		{Kind: ident.MAC, Value: "b4:96:91:a1:b2:c4"}, // eno2; not lo, not docker0 (random)
	}
	if !reflect.DeepEqual(o.Identifiers, wantIDs) {
		t.Errorf("identifiers\n got %v\nwant %v", o.Identifiers, wantIDs)
	}
	wantFacts := map[string]string{
		"os.id":                             "debian",
		"os.name":                           "Debian GNU/Linux",
		"os.version":                        "12",
		"os.pretty_name":                    "Debian GNU/Linux 12 (bookworm)",
		"kernel.release":                    "6.1.0-18-amd64",
		"kernel.arch":                       "x86_64",
		"kernel.sysname":                    "Linux",
		"dmi.vendor":                        "Dell Inc.",
		"dmi.product":                       "PowerEdge R650",
		"memory.total_bytes":                "270046388224",
		"cpu.count":                         "4",
		"cpu.model":                         "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
		"fs./.size_bytes":                   "105089261568",
		"fs./.fstype":                       "ext4",
		"fs./boot/efi.size_bytes":           "535805952",
		"fs./boot/efi.fstype":               "vfat",
		"fs./var/lib/postgresql.size_bytes": "2199023255552",
		"fs./var/lib/postgresql.fstype":     "xfs",
		"net.lo.operstate":                  "unknown",
		"net.bond0.mac":                     "b4:96:91:a1:b2:c3",
		"net.bond0.operstate":               "up",
		"net.eno1.mac":                      "b4:96:91:a1:b2:c3",
		"net.eno1.operstate":                "up",
		"net.eno2.mac":                      "b4:96:91:a1:b2:c4",
		"net.eno2.operstate":                "up",
		"net.docker0.mac":                   "02:42:5f:1e:22:0a",
		"net.docker0.operstate":             "down",
		"net.wg0.operstate":                 "unknown",
		"exporter.version":                  "1.7.0",
	}
	if !reflect.DeepEqual(o.Facts, wantFacts) {
		t.Errorf("facts differ:\n%s", diffMaps(o.Facts, wantFacts))
	}
	if !reflect.DeepEqual(o.CompleteFacts, []string{"fs.", "net."}) {
		t.Errorf("completeFacts %q", o.CompleteFacts)
	}
}

func diffMaps(got, want map[string]string) string {
	var b strings.Builder
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case gok && !wok:
			b.WriteString("  extra   " + k + " = " + g + "\n")
		case !gok && wok:
			b.WriteString("  missing " + k + " = " + w + "\n")
		case g != w:
			b.WriteString("  " + k + ": got " + g + ", want " + w + "\n")
		}
	}
	return b.String()
}

// Small pages, one mapping rule each.
func TestFromMetricsRules(t *testing.T) {
	const uname = `node_uname_info{machine="aarch64",nodename="web01",release="6.6.0",sysname="Linux"} 1` + "\n"
	tests := []struct {
		name    string
		page    string
		wantErr string
		check   func(t *testing.T, o discovery.Observation)
	}{
		{name: "empty page", page: "", wantErr: "no node_uname_info metric"},
		{name: "not node_exporter", page: "# TYPE up gauge\nup 1\n", wantErr: "no node_uname_info metric"},
		{name: "no nodename", page: `node_uname_info{machine="x86_64",nodename=""} 1` + "\n", wantErr: "no nodename"},
		{name: "(none) is no nodename", page: `node_uname_info{nodename="(none)"} 1` + "\n", wantErr: "no nodename"},
		{name: "malformed", page: "node_uname_info{nodename=\"a\" 1\n", wantErr: "parsing metrics"},
		{
			name: "short name", page: uname,
			check: func(t *testing.T, o discovery.Observation) {
				if o.Name != "web01" || o.Fields["hostname"] != "web01" || o.Fields["fqdn"] != "" {
					t.Errorf("name %q fields %q", o.Name, o.Fields)
				}
				if !reflect.DeepEqual(o.Identifiers, []discovery.Identifier{{Kind: ident.Hostname, Value: "web01"}}) {
					t.Errorf("identifiers %v", o.Identifiers)
				}
				want := map[string]string{"kernel.release": "6.6.0", "kernel.arch": "aarch64", "kernel.sysname": "Linux"}
				if !reflect.DeepEqual(o.Facts, want) {
					t.Errorf("facts %q, want %q", o.Facts, want)
				}
			},
		},
		{
			name: "upper-case fqdn with trailing dot", page: `node_uname_info{nodename="Web01.Example.COM."} 1` + "\n",
			check: func(t *testing.T, o discovery.Observation) {
				if o.Name != "Web01.Example.COM." || o.Fields["hostname"] != "web01" || o.Fields["fqdn"] != "web01.example.com" {
					t.Errorf("name %q fields %q", o.Name, o.Fields)
				}
			},
		},
		{
			name: "invalid host name is a name but no identifier", page: `node_uname_info{nodename="my_host"} 1` + "\n",
			check: func(t *testing.T, o discovery.Observation) {
				if o.Name != "my_host" || len(o.Fields) != 0 || len(o.Identifiers) != 0 {
					t.Errorf("name %q fields %q identifiers %v", o.Name, o.Fields, o.Identifiers)
				}
			},
		},
		{
			name: "os version falls back to VERSION",
			page: uname + `node_os_info{id="arch",name="Arch Linux",pretty_name="Arch Linux",version="rolling",version_id=""} 1` + "\n",
			check: func(t *testing.T, o discovery.Observation) {
				if o.Facts["os.version"] != "rolling" || o.Facts["os.id"] != "arch" {
					t.Errorf("facts %q", o.Facts)
				}
			},
		},
		{
			name: "placeholder DMI values are no identifiers",
			page: uname + `node_dmi_info{product_uuid="03000200-0400-0500-0006-000700080009",product_serial="Default string",chassis_serial="0",system_vendor="QEMU",product_name="Standard PC (Q35 + ICH9, 2009)"} 1` + "\n",
			check: func(t *testing.T, o discovery.Observation) {
				for _, id := range o.Identifiers {
					if id.Kind == ident.UUID || id.Kind == ident.Serial {
						t.Errorf("placeholder became identifier %v", id)
					}
				}
				if o.Facts["dmi.vendor"] != "QEMU" || o.Facts["dmi.product"] != "Standard PC (Q35 + ICH9, 2009)" {
					t.Errorf("facts %q", o.Facts)
				}
			},
		},
		{
			name: "values that are not whole bytes are no facts",
			page: uname + "node_memory_MemTotal_bytes NaN\n" +
				`node_filesystem_size_bytes{fstype="ext4",mountpoint="/"} -1` + "\n" +
				`node_filesystem_size_bytes{fstype="ext4",mountpoint="/srv"} 1.5` + "\n" +
				`node_filesystem_size_bytes{fstype="ext4",mountpoint="/data"} +Inf` + "\n",
			check: func(t *testing.T, o discovery.Observation) {
				for k := range o.Facts {
					if strings.HasPrefix(k, "memory.") || strings.HasPrefix(k, "fs.") {
						t.Errorf("fact %s = %q", k, o.Facts[k])
					}
				}
			},
		},
		{
			name: "untyped samples count",
			page: uname + "# TYPE node_memory_MemTotal_bytes untyped\nnode_memory_MemTotal_bytes 1073741824\n",
			check: func(t *testing.T, o discovery.Observation) {
				if o.Facts["memory.total_bytes"] != "1073741824" {
					t.Errorf("memory.total_bytes %q", o.Facts["memory.total_bytes"])
				}
			},
		},
		{
			name: "infiniband address is a fact, not a MAC",
			page: uname + `node_network_info{address="80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de",device="ib0",operstate="up"} 1` + "\n",
			check: func(t *testing.T, o discovery.Observation) {
				if o.Facts["net.ib0.mac"] != "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de" {
					t.Errorf("facts %q", o.Facts)
				}
				if len(o.Identifiers) != 1 {
					t.Errorf("identifiers %v, want the hostname only", o.Identifiers)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := nodeexporter.Parse(strings.NewReader(tt.page), "10.0.0.5:9100")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "node_exporter 10.0.0.5:9100: ") {
					t.Fatalf("Parse = %+v, %v; want an error naming the host and containing %q", o, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Check(); err != nil {
				t.Fatal(err)
			}
			if o.Key != "node_exporter 10.0.0.5:9100" {
				t.Errorf("key %q", o.Key)
			}
			tt.check(t, o)
		})
	}
}

// FromMetrics takes families from any decoder and leaves them alone; nil
// entries do not upset it.
func TestFromMetricsFamilies(t *testing.T) {
	fams := map[string]*dto.MetricFamily{
		"node_uname_info": {
			Name:   proto.String("node_uname_info"),
			Type:   dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{nil, {Label: []*dto.LabelPair{{Name: proto.String("nodename"), Value: proto.String("web02")}}, Gauge: &dto.Gauge{Value: proto.Float64(1)}}},
		},
		"node_os_info":               nil,
		"node_cpu_seconds_total":     {Metric: []*dto.Metric{{Label: []*dto.LabelPair{nil}}}},
		"node_network_info":          {Metric: []*dto.Metric{{}}},
		"node_memory_MemTotal_bytes": {Metric: []*dto.Metric{{Counter: &dto.Counter{Value: proto.Float64(2048)}}}},
	}
	before := proto.Clone(fams["node_uname_info"])
	o, err := nodeexporter.FromMetrics("web02", fams)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "web02" || o.Facts["memory.total_bytes"] != "2048" || o.Facts["cpu.count"] != "" {
		t.Errorf("observation %+v", o)
	}
	if !proto.Equal(before, fams["node_uname_info"]) {
		t.Error("FromMetrics modified its input")
	}
	if _, err := nodeexporter.FromMetrics("x", nil); err == nil {
		t.Error("FromMetrics(nil) succeeded")
	}
}

func TestRealFilesystem(t *testing.T) {
	tests := []struct {
		fstype, mountpoint string
		want               bool
	}{
		{"ext4", "/", true},
		{"xfs", "/var/lib/postgresql", true},
		{"vfat", "/boot/efi", true},
		{"nfs4", "/mnt/share", true},
		{"btrfs", "/home", true},
		{"tmpfs", "/run", false},
		{"overlay", "/", false},
		{"squashfs", "/snap/core22/1033", false},
		{"devtmpfs", "/dev", false},
		{"ext4", "/dev/shm", false},
		{"ext4", "/devices", true},
		{"ext4", "/var/lib/docker/volumes/x", false},
		{"ext4", "/var/lib/docker", true},
		{"ext4", "/run/credentials/getty@tty1.service", false},
		{"", "/", false},
		{"ext4", "", false},
	}
	for _, tt := range tests {
		if got := nodeexporter.RealFilesystem(tt.fstype, tt.mountpoint); got != tt.want {
			t.Errorf("RealFilesystem(%q, %q) = %v, want %v", tt.fstype, tt.mountpoint, got, tt.want)
		}
	}
}
