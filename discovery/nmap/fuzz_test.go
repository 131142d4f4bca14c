package nmap_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/nmap"
)

// FuzzParse feeds Parse mutations of the real scans: it must never panic,
// and whatever it accepts must be valid, uniquely keyed observations, the
// same on every parse.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.xml"))
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
	f.Add([]byte(scan(`<host endtime="1700000042"><status state="up"/><address addr="192.0.2.10" addrtype="ipv4"/>
<address addr="00:0C:29:5A:1B:2C" addrtype="mac" vendor="VMware"/>
<hostnames><hostname name="web01.example.com" type="PTR"/></hostnames>
<os><osmatch name="Linux 5.0 - 5.4" accuracy="98"><osclass vendor="Linux" osfamily="Linux"/></osmatch></os></host>`)))
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := nmap.Parse(strings.NewReader(string(in)), "fuzz.xml")
		if err != nil {
			if res != nil {
				t.Fatalf("result returned with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "parsing nmap XML fuzz.xml: ") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		if res.Partial != (len(res.HostErrors) > 0) {
			t.Fatalf("partial %v with host errors %v", res.Partial, res.HostErrors)
		}
		obs := res.Observations
		keys := map[string]bool{}
		for i := range obs {
			if err := obs[i].Check(); err != nil {
				t.Fatal(err)
			}
			if keys[obs[i].Key] {
				t.Fatalf("key %q twice", obs[i].Key)
			}
			keys[obs[i].Key] = true
			if _, err := obs[i].SeenAt.MarshalJSON(); err != nil {
				t.Fatalf("%s: %v", obs[i].Key, err)
			}
		}
		again, err := nmap.Parse(strings.NewReader(string(in)), "fuzz.xml")
		if err != nil || !reflect.DeepEqual(res, again) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}
