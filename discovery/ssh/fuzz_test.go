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
	f.Add(out("dpkg", "ii \tlibc6\t2.36\tamd64\nvim\t1\ti386", "rpm", "k\t1-1\tx86_64", "smbios17", "/sys/firmware/dmi/entries/17-0 11 28 00",
		"pci", "0000:00:1f.2 0x8086 0x2922 0x010601", "resolv", "nameserver 10.0.0.1", "virsh", "0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d web",
		"virsh-dominfo", "UUID: 0b3a1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\nCPU(s): 2\nMax memory: 1024 KiB", "docker", "abc\tweb,x/y",
		"lxc", "name=a\nlxc.cgroup2.memory.max = 1G\nname=b", "dmi", "bios_date=01/02/2020\nchassis_asset_tag=T1"))
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
		all, err := ssh.ParseAll(in, "fuzz.test")
		if err != nil || len(all) == 0 || !reflect.DeepEqual(all[0], o) {
			t.Fatalf("ParseAll's first observation is not Parse's: %v", err)
		}
		keys := map[string]bool{o.Key: true}
		for _, g := range all[1:] {
			if err := g.Check(); err != nil {
				t.Fatal(err)
			}
			if keys[g.Key] || g.Name == "" || len(g.Relationships) != 1 || g.Relationships[0].To != o.Key {
				t.Fatalf("guest %+v: repeated key, no name or no RUNS_ON the host", g)
			}
			keys[g.Key] = true
			if _, err := json.Marshal(g); err != nil {
				t.Fatal(err)
			}
		}
	})
}
