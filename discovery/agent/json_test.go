package agent

import (
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// glpiInventory is a GLPI Agent inventory built from the member names of
// glpi-project/inventory_format's inventory.schema.json.
const glpiInventory = `{
  "action": "inventory",
  "deviceid": "web03-2025-01-10-08-00-00",
  "itemtype": "Computer",
  "content": {
    "bios": {"ssn": "CZJ1234ABC", "smanufacturer": "HPE", "smodel": "ProLiant DL360 Gen10",
             "bmanufacturer": "HPE", "bversion": "U32", "bdate": "2023-02-01", "assettag": "A-77",
             "mmanufacturer": "HPE", "mmodel": "ProLiant DL360 Gen10", "msn": "PWARA0ARHAB123"},
    "hardware": {"name": "web03", "uuid": "30393137-3136-5a43-4a31-323334414243", "memory": 65215,
                 "dns": "10.1.0.53", "vmsystem": "Physical", "lastloggeduser": "ops", "etime": 4},
    "operatingsystem": {"name": "Debian GNU/Linux", "version": "12.8", "full_name": "Debian GNU/Linux 12 (bookworm)",
                        "kernel_version": "6.1.0-28-amd64", "arch": "x86_64", "fqdn": "web03.example.org",
                        "boot_time": "2025-01-09 22:00:01"},
    "cpus": [{"name": "Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz", "core": 12, "thread": 24}],
    "memories": [{"caption": "PROC 1 DIMM 1", "capacity": 32768, "type": "DDR4", "speed": "2400", "serialnumber": "1A2B3C4D"}],
    "drives": [{"type": "/", "filesystem": "ext4", "total": 95000, "free": 41000}],
    "networks": [{"description": "eno1", "macaddr": "94:40:c9:11:22:33", "ipaddress": "10.1.0.23", "ipmask": "255.255.255.0",
                  "status": "Up", "virtualdev": false},
                 {"description": "docker0", "macaddr": "02:42:0b:aa:bb:cc", "status": "Up", "virtualdev": true}],
    "softwares": [{"name": "nginx", "version": "1.22.1-9", "arch": "amd64", "from": "deb"},
                  {"name": "libc6", "version": "2.36-9+deb12u9", "arch": "amd64", "from": "deb"},
                  {"name": "libc6", "version": "2.36-9+deb12u9", "arch": "i386", "from": "deb"}],
    "virtualmachines": [{"name": "app", "vmtype": "docker", "uuid": "5506c9cf948e", "status": "running"},
                        {"name": "win", "vmtype": "virtualbox", "vcpu": 2, "memory": 4096,
                         "uuid": "b1c2d3e4-0000-4000-8000-0123456789ab"}],
    "versionclient": "GLPI-Agent_v1.7"
  }
}`

func TestParseJSONRequest(t *testing.T) {
	r, err := ParseJSONRequest([]byte(glpiInventory))
	if err != nil {
		t.Fatal(err)
	}
	if r.Query != "INVENTORY" || r.DeviceID != "web03-2025-01-10-08-00-00" {
		t.Errorf("request = %q %q", r.Query, r.DeviceID)
	}
	obs, warnings, err := r.Observations(testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	if len(obs) != 3 {
		t.Fatalf("%d observations, want the host and 2 guests", len(obs))
	}
	h := obs[0]
	for _, o := range obs {
		if err := o.Check(); err != nil {
			t.Error(err)
		}
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.FQDN, Value: "web03.example.org"}, {Kind: ident.Hostname, Value: "web03"},
		{Kind: ident.UUID, Value: "30393137-3136-5a43-4a31-323334414243"}, {Kind: ident.Serial, Value: "CZJ1234ABC"},
		{Kind: ident.AssetTag, Value: "A-77"}, {Kind: ident.MAC, Value: "94:40:c9:11:22:33"},
	}
	if h.Key != "agent web03-2025-01-10-08-00-00" || h.Kind != discovery.KindServer || !equalIDs(h.Identifiers, wantIDs) {
		t.Errorf("host %q %s identifiers %v, want %v", h.Key, h.Kind, h.Identifiers, wantIDs)
	}
	for k, want := range map[string]string{
		"memory.total_bytes": "68382883840", "cpu.count": "24", "cpu.cores": "12", "bios.date": "2023-02-01",
		"memory.module.proc_1_dimm_1.size_bytes": "34359738368", "fs./.size_bytes": "99614720000",
		"net.eno1.addrs": "10.1.0.23/24", "net.docker0.mac": "02:42:0b:aa:bb:cc",
		"package.libc6": "2.36-9+deb12u9", "package_arch.libc6": "amd64,i386", "packages.manager": "dpkg",
		"os.version": "12.8", "kernel.release": "6.1.0-28-amd64", "virtualization": "none",
	} {
		if h.Facts[k] != want {
			t.Errorf("fact %s = %q, want %q", k, h.Facts[k], want)
		}
	}
	if obs[1].Kind != discovery.KindContainer || obs[1].Key != h.Key+" guest app" ||
		obs[2].Kind != discovery.KindVM || obs[2].Facts["guest.memory_bytes"] != "4294967296" || len(obs[2].Identifiers) != 1 {
		t.Errorf("guests = %+v", obs[1:])
	}
}

func TestParseJSONRequestErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{`, "malformed JSON"},
		{`[]`, "malformed JSON"},
		{`{"deviceid": "a"}`, "action: missing"},
		{`{"action": 3, "deviceid": "a"}`, "action: want a string"},
		{`{"action": "inventory"}`, "deviceid: missing"},
		{`{"action": "inventory", "deviceid": "a"}`, "content: missing"},
		{`{"action": "inventory", "deviceid": "a", "content": {"hardware": {"memory": "lots"}}}`, `content.hardware.memory: "lots" is not a number`},
		{`{"action": "inventory", "deviceid": "a", "content": {"x": [[1]]}}`, "an array in an array"},
		{`{"action": "inventory", "deviceid": "a"} {}`, "more than one document"},
	} {
		_, err := ParseJSONRequest([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseJSONRequest(%s) = %v, want an error saying %q", tc.body, err, tc.want)
		}
	}
}

// FuzzParseJSONRequest checks that ParseJSONRequest never panics and that
// any inventory it accepts maps to observations that pass Check.
func FuzzParseJSONRequest(f *testing.F) {
	f.Add([]byte(glpiInventory))
	f.Add([]byte(`{"action":"inventory","deviceid":"a","content":{"networks":[{"description":"e","macaddr":"01:00:5e:00:00:01"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseJSONRequest(body)
		if err != nil || r.Query != "INVENTORY" {
			return
		}
		obs, _, err := r.Observations(testNow)
		if err != nil {
			t.Fatalf("an accepted inventory does not map: %v", err)
		}
		for i := range obs {
			if err := obs[i].Check(); err != nil {
				t.Fatalf("observation %d: %v", i, err)
			}
		}
	})
}

func TestParseBody(t *testing.T) {
	for _, tc := range []struct{ body, query string }{
		{glpiInventory, "INVENTORY"},
		{"\n " + `{"action":"contact","deviceid":"a-1"}`, "CONTACT"},
		{prolog, "PROLOG"},
	} {
		r, err := ParseBody([]byte(tc.body))
		if err != nil || r.Query != tc.query {
			t.Errorf("ParseBody(%q) = %+v, %v; want query %s", clip(tc.body), r, err, tc.query)
		}
	}
}
