package ssh_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/ssh"
)

// FuzzParse feeds Parse mutations of the recorded outputs: it must never
// panic, and whatever it accepts must be a valid observation that marshals
// to JSON, the same on every parse.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.out"))
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
	f.Add(out("hostname", "web01.example.com", "dmi", "product_serial=ABC\nproduct_uuid=4c4c4544-0042-3510-8052-b4c04f4b4e32",
		"disks", `NAME="sda" SIZE="1" TYPE="disk" MODEL="a\x20b"`, "routes", "default via 192.0.2.1 metric 5",
		"ip", "2: eth0    inet 192.0.2.5/24 scope global eth0", "proc-tcp", "0: 00000000:0016 00000000:0000 0A",
		"proc-udp", "", "mounts", `/dev/sda1 /a\040b ext4 rw 0 0`, "df", "Filesystem 1K-blocks U A C M\n/dev/sda1 1 0 1 0% /a b"))
	f.Fuzz(func(t *testing.T, in []byte) {
		o, err := ssh.Parse(in, "fuzz.test")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parsing the ssh inventory of fuzz.test: ") {
				t.Fatalf("error %q does not name the host", err)
			}
			return
		}
		if err := o.Check(); err != nil {
			t.Fatal(err)
		}
		if o.Key != "ssh fuzz.test" || o.Name == "" {
			t.Fatalf("key %q, name %q", o.Key, o.Name)
		}
		if _, err := json.Marshal(o); err != nil {
			t.Fatal(err)
		}
		for k, v := range o.Facts {
			if v == "" || k == "" {
				t.Fatalf("empty fact %q = %q", k, v)
			}
		}
		again, err := ssh.Parse(in, "fuzz.test")
		if err != nil || !reflect.DeepEqual(o, again) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}
