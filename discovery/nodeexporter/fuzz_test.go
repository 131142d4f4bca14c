package nodeexporter_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
)

// FuzzParse feeds Parse mutations of the recorded pages: it must never
// panic, and whatever it accepts must be a valid observation, the same on
// every parse.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.prom"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`node_uname_info{nodename="web01.example.com",machine="x86_64"} 1
node_network_info{address="aa:bb:cc:dd:ee:ff",device="eth0",operstate="up"} 1
node_filesystem_size_bytes{fstype="ext4",mountpoint="/"} 1e9
node_dmi_info{product_uuid="123e4567-e89b-12d3-a456-426614174000",product_serial="ABC123"} 1
`))
	f.Fuzz(func(t *testing.T, in []byte) {
		o, err := nodeexporter.Parse(strings.NewReader(string(in)), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "node_exporter fuzz: ") {
				t.Fatalf("error %q does not name the host", err)
			}
			return
		}
		if err := o.Check(); err != nil {
			t.Fatal(err)
		}
		if o.Key != "node_exporter fuzz" || o.Name == "" {
			t.Fatalf("key %q name %q", o.Key, o.Name)
		}
		again, err := nodeexporter.Parse(strings.NewReader(string(in)), "fuzz")
		if err != nil || !reflect.DeepEqual(o, again) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}
