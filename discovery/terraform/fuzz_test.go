package terraform

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	// The fixtures whole, and each of their resources alone: the fuzzer
	// mutates a small input faster, and minimises what it finds in a large
	// one slowly.
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name+".tfstate"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		var st struct {
			Resources []json.RawMessage `json:"resources"`
		}
		if err := json.Unmarshal(data, &st); err != nil {
			f.Fatal(err)
		}
		for _, r := range st.Resources {
			var compact bytes.Buffer
			if err := json.Compact(&compact, r); err != nil {
				f.Fatal(err)
			}
			f.Add([]byte(state(compact.String())))
		}
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"version": 3}`, `{"version": 4}`,
		state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"index_key": 0, "attributes": {"tags": {"Name": "w"}, "private_ip": "10.0.0.1"}, "dependencies": ["aws_instance.web"]}]}`),
		state(`{"module": "module.a[\"k\"]", "mode": "managed", "type": "vsphere_virtual_machine", "name": "v", "instances": [{"index_key": "x", "attributes": {"network_interface": [{"mac_address": "00:50:56:00:00:01"}], "uuid": "4213a5c1-7e2b-4f3d-9a8b-1c2d3e4f5a61"}}]}`),
		state(`{"mode": "managed", "type": "azurerm_virtual_machine", "name": "v", "instances": [{"attributes_flat": {"id": "/subscriptions/x/y", "tags.a": "b"}}]}`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obs, err := Parse(bytes.NewReader(data), "fuzz.tfstate")
		if err != nil {
			if utf8.Valid(data) && !utf8.ValidString(err.Error()) {
				t.Fatalf("error message is not UTF-8: %q", err)
			}
			return
		}
		checkObservations(t, obs)
		again, err := Parse(bytes.NewReader(data), "fuzz.tfstate")
		if err != nil || !reflect.DeepEqual(obs, again) {
			t.Fatalf("a second parse differs: %v", err)
		}
	})
}
