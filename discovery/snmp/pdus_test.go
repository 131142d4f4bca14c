package snmp_test

import (
	"encoding/json"
	"flag"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/discovery/snmp")

// TestFromPDUsGolden maps every recorded walk and compares the observation
// with its golden file.
func TestFromPDUsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.pdus.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtures, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".pdus.json")
		t.Run(name, func(t *testing.T) {
			f, pdus, err := readFixture(file)
			if err != nil {
				t.Fatal(err)
			}
			o, err := snmp.FromPDUs(f.Host, pdus)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Check(); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(fixtures, name+".golden.json")
			if *update {
				if err := writeJSON(golden, o); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./discovery/snmp/ -update)", err)
			}
			var want discovery.Observation
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normal(o), normal(want)) {
				got, _ := json.MarshalIndent(o, "", "  ")
				t.Errorf("observation differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}

// normal makes nil and empty maps and slices compare equal.
func normal(o discovery.Observation) discovery.Observation {
	if len(o.Fields) == 0 {
		o.Fields = nil
	}
	if len(o.Facts) == 0 {
		o.Facts = nil
	}
	if len(o.Identifiers) == 0 {
		o.Identifiers = nil
	}
	return o
}

// TestSwitchFixture spells out what the hand-made switch walk must give,
// independently of its golden file.
func TestSwitchFixture(t *testing.T) {
	f, pdus, err := readFixture(filepath.Join(fixtures, "switch.pdus.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := snmp.FromPDUs(f.Host, pdus)
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "snmp 192.0.2.250" || o.Kind != discovery.KindNetworkDevice || o.Name != "sw-core-01.example.net" {
		t.Errorf("key, kind, name = %q, %q, %q", o.Key, o.Kind, o.Name)
	}
	wantFields := map[string]string{"hostname": "sw-core-01", "fqdn": "sw-core-01.example.net", "serial_number": "FOC1932X0AB"}
	if !maps.Equal(o.Fields, wantFields) {
		t.Errorf("fields = %v, want %v", o.Fields, wantFields)
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.FQDN, Value: "sw-core-01.example.net"},
		{Kind: ident.Hostname, Value: "sw-core-01"},
		{Kind: ident.Serial, Value: "FOC1932X0AB"},
		{Kind: ident.MAC, Value: "00:1a:2b:3c:4d:40"},
		{Kind: ident.MAC, Value: "00:1a:2b:3c:4d:01"},
		{Kind: ident.MAC, Value: "00:1a:2b:3c:4d:02"},
		{Kind: ident.MAC, Value: "00:1a:2b:3c:4d:31"},
		{Kind: ident.IP, Value: "10.0.0.2"},
		{Kind: ident.IP, Value: "192.0.2.1"},
	}
	if !reflect.DeepEqual(o.Identifiers, wantIDs) {
		t.Errorf("identifiers = %v,\nwant %v", o.Identifiers, wantIDs)
	}
	for k, want := range map[string]string{
		"snmp.sysObjectID":          ".1.3.6.1.4.1.9.1.1208",
		"snmp.sysLocation":          "DC1 row 3 rack 12",
		"if.Gi1/0/1.alias":          "uplink to fw-01",
		"if.Gi1/0/1.speed_bps":      "1000000000",
		"if.Gi1/0/1.type":           "ethernetCsmacd",
		"if.Gi1/0/2.oper_status":    "down",
		"if.Gi1/0/2.speed_bps":      "10000000",
		"if.Te1/0/49.speed_bps":     "10000000000", // ifSpeed saturated: ifHighSpeed
		"if.Po1.speed_bps":          "20000000000",
		"if.Po1.type":               "ieee8023adLag",
		"if.Po2.oper_status":        "lowerLayerDown",
		"if.Po2.speed_bps":          "0",
		"if.Nu0.speed_bps":          "4294967295", // saturated, but ifHighSpeed says 0
		"if.Nu0.type":               "other",
		"if.StackPort1.speed_bps":   "21000000000",
		"ip.10.0.0.2.ifname":        "Vl1",
		"ip.10.0.0.2.prefix_len":    "24",
		"ip.169.254.0.1.ifname":     "StackPort1",
		"ip.192.0.2.1.prefix_len":   "30",
		"entity.1.class":            "stack",
		"entity.1001.class":         "chassis",
		"entity.1001.serial":        "FOC1932X0AB",
		"entity.1002.model":         "PWR-C2-1025WAC",
		"entity.2001.serial":        "FOC1932X0CD",
		"entity.1010.name":          "GigabitEthernet1/0/1",
		"snmp.sysContact":           "noc@example.net",
		"snmp.sysName":              "sw-core-01.example.net",
		"if.Vl1.mac":                "00:1a:2b:3c:4d:40",
		"if.Te1/0/49.mac":           "00:1a:2b:3c:4d:31",
		"if.StackPort1.oper_status": "up",
	} {
		if got, ok := o.Facts[k]; !ok || got != want {
			t.Errorf("fact %s = %q (present %v), want %q", k, got, ok, want)
		}
	}
	for _, k := range []string{"if.StackPort1.mac", "if.Nu0.mac", "if.Po2.mac", "if.Vl1.alias", "entity.1010.serial", "snmp.sysUpTime"} {
		if v, ok := o.Facts[k]; ok {
			t.Errorf("fact %s = %q, want none", k, v)
		}
	}
	if d := o.Facts["snmp.sysDescr"]; strings.Contains(d, "\r") || !strings.Contains(d, "\nTechnical Support") {
		t.Errorf("sysDescr %q: want CR dropped, LF kept", d)
	}
	for k := range o.Facts {
		if strings.HasPrefix(k, "storage.") || strings.HasPrefix(k, "device.") {
			t.Errorf("fact %s from a walk without HOST-RESOURCES-MIB", k)
		}
	}
	if !slices.Equal(o.CompleteFacts, []string{"if.", "ip.", "storage.", "entity.", "identifier.MAC"}) {
		t.Errorf("CompleteFacts = %v", o.CompleteFacts)
	}
}

// TestFromPDUsOrder: the walk's order does not matter.
func TestFromPDUsOrder(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.pdus.json"))
	r := rand.New(rand.NewSource(1))
	for _, file := range files {
		f, pdus, err := readFixture(file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := snmp.FromPDUs(f.Host, pdus)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			shuffled := slices.Clone(pdus)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			got, err := snmp.FromPDUs(f.Host, shuffled)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: shuffled walk gives a different observation (%v)", filepath.Base(file), err)
			}
		}
	}
}

// Helpers to write walks by hand.
func str(oid, v string) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte(v)}
}
func raw(oid string, v []byte) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: v}
}
func num(oid string, v int) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: v}
}
func gauge(oid string, v uint) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Gauge32, Value: v}
}
func oid(oid, v string) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.ObjectIdentifier, Value: v}
}
func ipaddr(oid, v string) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.IPAddress, Value: v}
}

const (
	sysDescr    = ".1.3.6.1.2.1.1.1.0"
	sysObjectID = ".1.3.6.1.2.1.1.2.0"
	sysContact  = ".1.3.6.1.2.1.1.4.0"
	sysName     = ".1.3.6.1.2.1.1.5.0"
	linuxOID    = ".1.3.6.1.4.1.8072.3.2.10"
)

func mustObs(t *testing.T, pdus ...gosnmp.SnmpPDU) discovery.Observation {
	t.Helper()
	o, err := snmp.FromPDUs("192.0.2.9", pdus)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestFromPDUsErrors(t *testing.T) {
	if _, err := snmp.FromPDUs("192.0.2.9", nil); err == nil || !strings.Contains(err.Error(), "no sysDescr, sysObjectID or sysName") {
		t.Errorf("empty walk: err = %v", err)
	}
	if _, err := snmp.FromPDUs("192.0.2.9", []gosnmp.SnmpPDU{
		str(sysContact, "ops"), {Name: sysName, Type: gosnmp.NoSuchObject},
		num(sysDescr, 3), // wrong type: skipped
	}); err == nil {
		t.Error("walk without system identity: no error")
	}
	if _, err := snmp.FromPDUs(" ", []gosnmp.SnmpPDU{str(sysName, "a")}); err == nil {
		t.Error("empty host: no error")
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		name         string
		objectID     string
		descr        string
		want         string
		skipObjectID bool
	}{
		{"net-snmp on Linux", linuxOID, "Linux h 6.1.0 #1 SMP x86_64", discovery.KindServer, false},
		{"net-snmp on FreeBSD", ".1.3.6.1.4.1.8072.3.2.8", "FreeBSD h 14.0", discovery.KindServer, false},
		{"Windows server", ".1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: Intel64 Family 6 - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)", discovery.KindServer, false},
		{"net-snmp unknown OS, Linux descr", ".1.3.6.1.4.1.8072.3.2.255", "Linux h 5.10", discovery.KindServer, false},
		{"no sysObjectID, Linux descr", "", "Linux h 5.10", discovery.KindServer, true},
		{"Cisco", ".1.3.6.1.4.1.9.1.1208", "Cisco IOS Software", discovery.KindNetworkDevice, false},
		{"vendor OID with Linux descr", ".1.3.6.1.4.1.30065.1.3011.7048.427.3648", "Linux arista 4.19", discovery.KindNetworkDevice, false},
		{"net-snmp agent module OID", ".1.3.6.1.4.1.8072.3.2.10.1", "Linux", discovery.KindNetworkDevice, false},
		{"Hardware: without Windows", ".0.0", "Hardware: something", discovery.KindNetworkDevice, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdus := []gosnmp.SnmpPDU{str(sysDescr, tt.descr)}
			if !tt.skipObjectID {
				pdus = append(pdus, oid(sysObjectID, tt.objectID))
			}
			if o := mustObs(t, pdus...); o.Kind != tt.want {
				t.Errorf("kind = %s, want %s", o.Kind, tt.want)
			}
		})
	}
}

func TestSysName(t *testing.T) {
	tests := []struct {
		sysName string
		name    string
		fields  map[string]string
	}{
		{"web01", "web01", map[string]string{"hostname": "web01"}},
		{"Web01.Example.COM.", "Web01.Example.COM.", map[string]string{"hostname": "web01", "fqdn": "web01.example.com"}},
		{"Core Switch 1", "Core Switch 1", nil},
		{"bad_name.example.com", "bad_name.example.com", nil},
		{"", "192.0.2.9", nil},
		{"  padded\x00\x00", "padded", map[string]string{"hostname": "padded"}},
	}
	for _, tt := range tests {
		o := mustObs(t, str(sysName, tt.sysName), oid(sysObjectID, linuxOID))
		if o.Name != tt.name || !maps.Equal(o.Fields, tt.fields) {
			t.Errorf("sysName %q: name %q fields %v, want %q %v", tt.sysName, o.Name, o.Fields, tt.name, tt.fields)
		}
		if o.Facts["snmp.sysName"] != strings.TrimSpace(strings.TrimRight(tt.sysName, "\x00")) {
			t.Errorf("sysName %q: fact %q", tt.sysName, o.Facts["snmp.sysName"])
		}
		for _, id := range o.Identifiers {
			if id.Kind == ident.Hostname && id.Value != tt.fields["hostname"] || id.Kind == ident.FQDN && id.Value != tt.fields["fqdn"] {
				t.Errorf("sysName %q: identifier %v", tt.sysName, id)
			}
		}
	}
}

func TestSystemFactsKeptWhenEmpty(t *testing.T) {
	o := mustObs(t, str(sysName, "h"), str(sysContact, ""))
	if v, ok := o.Facts["snmp.sysContact"]; !ok || v != "" {
		t.Errorf("empty sysContact: fact %q present %v, want empty and present", v, ok)
	}
	if _, ok := o.Facts["snmp.sysLocation"]; ok {
		t.Error("sysLocation not in the walk, but a fact")
	}
}

func TestSerial(t *testing.T) {
	const ent = ".1.3.6.1.2.1.47.1.1.1.1."
	o := mustObs(t, str(sysName, "sw"),
		num(ent+"5.1", 3), str(ent+"11.1", "Not Specified"), // placeholder
		num(ent+"5.2", 9), str(ent+"11.2", "MODULE123"), // a module
		num(ent+"5.10", 3), str(ent+"11.10", " SN-REAL-10 "),
		num(ent+"5.3", 3), str(ent+"11.3", ""), // no serial
		num(ent+"5.20", 3), str(ent+"11.20", "SN-LATER-20"),
	)
	if o.Fields["serial_number"] != "SN-REAL-10" {
		t.Errorf("serial_number = %q, want SN-REAL-10", o.Fields["serial_number"])
	}
	serials := 0
	for _, id := range o.Identifiers {
		if id.Kind == ident.Serial {
			serials++
		}
	}
	if serials != 1 {
		t.Errorf("%d SERIAL identifiers, want 1: %v", serials, o.Identifiers)
	}
	if o.Facts["entity.1.serial"] != "Not Specified" || o.Facts["entity.2.class"] != "module" || o.Facts["entity.10.serial"] != "SN-REAL-10" {
		t.Errorf("entity facts: %v", o.Facts)
	}
}

func TestInterfacesAndAddresses(t *testing.T) {
	const (
		ifT  = ".1.3.6.1.2.1.2.2.1."
		ifX  = ".1.3.6.1.2.1.31.1.1.1."
		ipT  = ".1.3.6.1.2.1.4.20.1."
		ipv6 = ".1.3.6.1.2.1.4.34.1."
		v6   = "2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1" // 2001:db8::1
	)
	o := mustObs(t, str(sysName, "h"), oid(sysObjectID, linuxOID),
		// ifIndex 1: lo, no ifName.
		str(ifT+"2.1", "lo"), num(ifT+"3.1", 24), raw(ifT+"6.1", nil), num(ifT+"8.1", 1), gauge(ifT+"5.1", 10000000),
		// 2 and 3 share a name; 3 also has an odd type and status.
		str(ifT+"2.2", "eth0"), str(ifX+"1.2", "eth0"), raw(ifT+"6.2", []byte{0, 0x50, 0x56, 1, 2, 3}),
		str(ifT+"2.3", "eth0"), num(ifT+"3.3", 999), num(ifT+"8.3", 42), raw(ifT+"6.3", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		// 4: no name at all; 8-byte address; alias with a newline.
		raw(ifT+"6.4", []byte{1, 2, 3, 4, 5, 6, 7, 8}), str(ifX+"18.4", " to\nrouter "),
		// 5: ifName only, binary junk in ifDescr.
		str(ifX+"1.5", "wg0"), raw(ifT+"2.5", []byte{0xff, 0xfe}),
		// Addresses.
		num(ipT+"2.127.0.0.1", 1), ipaddr(ipT+"3.127.0.0.1", "255.0.0.0"),
		num(ipT+"2.192.0.2.9", 2), ipaddr(ipT+"3.192.0.2.9", "255.255.255.0"),
		num(ipT+"2.198.51.100.7", 77), ipaddr(ipT+"3.198.51.100.7", "255.0.255.0"), // mask not contiguous
		num(ipv6+"3.1.4.192.0.2.9", 2), num(ipv6+"4.1.4.192.0.2.9", 1),
		num(ipv6+"3.1.4.192.0.2.255", 2), num(ipv6+"4.1.4.192.0.2.255", 3), // broadcast
		num(ipv6+"3."+v6, 2), num(ipv6+"4."+v6, 1), oid(ipv6+"5."+v6, ".1.3.6.1.2.1.4.32.1.5.2.2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.0.64"),
		num(ipv6+"3.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1", 2), // fe80::1
		num(ipv6+"3.2.16.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1", 1),     // ::1
		num(ipv6+"3.2.4.1.2.3.4", 1),                              // bad length: skipped
		num(ipT+"2.1.2.3", 1),                                     // bad index: skipped
	)
	want := map[string]string{
		"if.lo.type": "softwareLoopback", "if.lo.oper_status": "up", "if.lo.speed_bps": "10000000",
		"if.eth0.mac":    "00:50:56:01:02:03",
		"if.eth0#3.type": "999", "if.eth0#3.oper_status": "42",
		"if.4.alias":          "to\nrouter",
		"if.wg0.alias":        "",
		"ip.127.0.0.1.ifname": "lo", "ip.127.0.0.1.prefix_len": "8",
		"ip.192.0.2.9.ifname": "eth0", "ip.192.0.2.9.prefix_len": "24",
		"ip.198.51.100.7.ifname": "77",
		"ip.2001:db8::1.ifname":  "eth0", "ip.2001:db8::1.prefix_len": "64",
		"ip.fe80::1.ifname": "eth0",
		"ip.::1.ifname":     "lo",
	}
	for k, v := range want {
		if got, ok := o.Facts[k]; v == "" && ok || v != "" && got != v {
			t.Errorf("fact %s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for k := range o.Facts {
		if strings.HasPrefix(k, "if.4.mac") || strings.HasPrefix(k, "if.eth0#3.mac") || strings.Contains(k, "192.0.2.255") ||
			k == "ip.198.51.100.7.prefix_len" || strings.Contains(k, "1.2.3.4") || strings.HasPrefix(k, "ip.1.2.3") {
			t.Errorf("unexpected fact %s = %q", k, o.Facts[k])
		}
	}
	var ids []string
	for _, id := range o.Identifiers {
		ids = append(ids, string(id.Kind)+" "+id.Value)
	}
	wantIDs := []string{"HOSTNAME h", "MAC 00:50:56:01:02:03", "IP 192.0.2.9", "IP 198.51.100.7", "IP 2001:db8::1"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("identifiers %v, want %v", ids, wantIDs)
	}
}

func TestStorageAndDevices(t *testing.T) {
	const hrS = ".1.3.6.1.2.1.25.2.3.1."
	const hrD = ".1.3.6.1.2.1.25.3.2.1."
	const types = ".1.3.6.1.2.1.25.2.1."
	o := mustObs(t, str(sysName, "h"), oid(sysObjectID, linuxOID),
		oid(hrS+"2.1", types+"2"), str(hrS+"3.1", "Physical memory"), num(hrS+"4.1", 1024), num(hrS+"5.1", 2048),
		oid(hrS+"2.7", types+"1"), str(hrS+"3.7", "Cached memory"), num(hrS+"4.7", 1024), num(hrS+"5.7", 99),
		oid(hrS+"2.31", types+"4"), str(hrS+"3.31", "/"), num(hrS+"4.31", 4096), num(hrS+"5.31", 2147483647),
		str(hrS+"3.32", "/"), num(hrS+"4.32", 4096), num(hrS+"5.32", 10), // no type column, same descr
		str(hrS+"3.33", "/broken"), num(hrS+"4.33", 0), num(hrS+"5.33", 10),
		oid(hrD+"2.196608", ".1.3.6.1.2.1.25.3.1.3"), str(hrD+"3.196608", "GenuineIntel: Intel(R) Xeon(R)"),
		oid(hrD+"2.786432", ".1.3.6.1.4.1.99.1"), str(hrD+"3.786432", ""),
	)
	want := map[string]string{
		"storage.Physical memory.size_bytes": "2097152",
		"storage./.size_bytes":               "8796093018112",
		"storage./#32.size_bytes":            "40960",
		"device.196608.descr":                "GenuineIntel: Intel(R) Xeon(R)",
		"device.196608.type":                 "processor",
		"device.786432.type":                 ".1.3.6.1.4.1.99.1",
	}
	for k, v := range want {
		if o.Facts[k] != v {
			t.Errorf("fact %s = %q, want %q", k, o.Facts[k], v)
		}
	}
	for k := range o.Facts {
		if strings.Contains(k, "Cached") || strings.Contains(k, "broken") || k == "device.786432.descr" {
			t.Errorf("unexpected fact %s", k)
		}
	}
}

// TestValueTypes: values of unexpected Go types, as a different decoder
// might produce, are read when they are numbers and skipped otherwise.
func TestValueTypes(t *testing.T) {
	const ifT = ".1.3.6.1.2.1.2.2.1."
	o := mustObs(t, gosnmp.SnmpPDU{Name: "1.3.6.1.2.1.1.5.0", Type: gosnmp.OctetString, Value: "no-dot"},
		gosnmp.SnmpPDU{Name: ifT + "2.1", Type: gosnmp.OctetString, Value: "e1"},
		gosnmp.SnmpPDU{Name: ifT + "3.1", Type: gosnmp.Integer, Value: int64(6)},
		gosnmp.SnmpPDU{Name: ifT + "5.1", Type: gosnmp.Gauge32, Value: uint32(100)},
		gosnmp.SnmpPDU{Name: ifT + "8.1", Type: gosnmp.Integer, Value: "up"},
		gosnmp.SnmpPDU{Name: ifT + "5.01", Type: gosnmp.Gauge32, Value: uint(7)}, // not an index
	)
	want := map[string]string{"snmp.sysName": "no-dot", "if.e1.type": "ethernetCsmacd", "if.e1.speed_bps": "100"}
	for k, v := range want {
		if o.Facts[k] != v {
			t.Errorf("fact %s = %q, want %q", k, o.Facts[k], v)
		}
	}
	if _, ok := o.Facts["if.e1.oper_status"]; ok {
		t.Error("a string ifOperStatus became a fact")
	}
	// No sysObjectID, sysServices or HOST-RESOURCES-MIB: the kind is a guess.
	if !strings.HasPrefix(o.Facts[snmp.KindEvidenceFact], "unsure: ") {
		t.Errorf("kind evidence %q", o.Facts[snmp.KindEvidenceFact])
	}
	if len(o.Facts) != 4 {
		t.Errorf("facts %v", o.Facts)
	}
}
