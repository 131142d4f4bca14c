package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// TestNetInventoryGolden maps a capture of fusioninventory-netinventory
// 2.6 run against the lab's snmpd (netinventory-lab.xml: Linux, TYPE
// COMPUTER) and a synthetic switch with LLDP and CDP neighbours, a
// port-channel, a MAC address table and placeholders
// (netinventory-switch.xml), and compares them with their golden files
// (go test -update rewrites them).
func TestNetInventoryGolden(t *testing.T) {
	for _, name := range []string{"netinventory-lab.xml", "netinventory-switch.xml"} {
		t.Run(name, func(t *testing.T) {
			got := mapFile(t, name)
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", strings.TrimSuffix(name, ".xml")+".golden.json")
			if *update {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("the mapping of %s differs from %s (go test -update rewrites it); got:\n%s", name, path, clipLines(string(b), 80))
			}
		})
	}
}

func hasID(o *discovery.Observation, k ident.Kind, v string) bool {
	return slices.Contains(o.Identifiers, discovery.Identifier{Kind: k, Value: v})
}

// TestNetInventorySwitch checks the synthetic switch value by value, so
// that a wrong golden file cannot hide a wrong mapping.
func TestNetInventorySwitch(t *testing.T) {
	g := mapFile(t, "netinventory-switch.xml")
	if len(g.Observations) != 3 {
		t.Fatalf("%d observations, want the switch and its two neighbours: %+v", len(g.Observations), g.Observations)
	}
	sw := &g.Observations[0]
	if sw.Key != "netinventory serial:FOC1234X0AB" || !sw.StableKey || sw.Kind != discovery.KindNetworkDevice || sw.Name != "sw-access-1.example.net" || sw.Reference {
		t.Errorf("switch %q stable %v kind %s name %q reference %v", sw.Key, sw.StableKey, sw.Kind, sw.Name, sw.Reference)
	}
	if !sw.SeenAt.Equal(testNow) {
		t.Errorf("SeenAt %v", sw.SeenAt)
	}
	for _, f := range []struct{ k, v string }{
		{"serial_number", "FOC1234X0AB"}, {"hostname", "sw-access-1"}, {"fqdn", "sw-access-1.example.net"},
	} {
		if sw.Fields[f.k] != f.v {
			t.Errorf("field %s = %q, want %q", f.k, sw.Fields[f.k], f.v)
		}
	}
	for _, f := range []struct{ k, v string }{
		{"snmp.sysName", "sw-access-1.example.net"},
		{"snmp.sysLocation", "DC1 row 3 rack 12"},
		{"snmp.sysContact", "noc@example.net"},
		{"if.Gi1/0/1.type", "ethernetCsmacd"},
		{"if.Gi1/0/1.oper_status", "up"},
		{"if.Gi1/0/1.speed_bps", "1000000000"},
		{"if.Gi1/0/1.mac", "00:1b:54:c2:50:01"},
		{"if.Gi1/0/1.alias", "db-1 eno1"},
		{"if.Te1/1/1.speed_bps", "10000000000"},
		{"if.Po1.speed_bps", "20000000000"},
		{"if.Po1.type", "propVirtual"},
		{"if.Gi1/0/3.oper_status", "down"},
		{"ip.192.0.2.10.ifname", "Vl1"},
		{"ip.198.51.100.1.ifname", "Vl1"},
		{"entity.1000.class", "chassis"},
		{"entity.1000.serial", "FOC1234X0AB"},
		{"entity.1062.serial", "FOC9876Y1CD"},
		{"entity.1009.class", "powerSupply"},
		{"netinventory.type", "NETWORKING"},
		{"netinventory.model", "WS-C3850-24T"},
		{"netinventory.manufacturer", "Cisco"},
		{"netinventory.firmware", "16.12.4"},
		{"netinventory.ram_mib", "4096"},
		{"lldp.neighbours", "2"},
		{"cdp.neighbours", "1"},
	} {
		if sw.Facts[f.k] != f.v {
			t.Errorf("fact %s = %q, want %q", f.k, sw.Facts[f.k], f.v)
		}
	}
	for k := range sw.Facts {
		for _, volatile := range []string{"uptime", "octets", "errors", "lastchange", "cpu", "memory", "mtu", "duplex"} {
			if strings.Contains(strings.ToLower(k), volatile) {
				t.Errorf("volatile or unmapped value as a fact: %s", k)
			}
		}
	}
	if _, ok := sw.Facts["if.Gi1/0/3.mac"]; ok {
		t.Error("the all-zero MAC of Gi1/0/3 is a fact")
	}
	for _, id := range []discovery.Identifier{
		{Kind: ident.Serial, Value: "FOC1234X0AB"}, {Kind: ident.MAC, Value: "00:1b:54:c2:50:00"},
		{Kind: ident.MAC, Value: "00:1b:54:c2:50:01"}, {Kind: ident.IP, Value: "192.0.2.10"},
		{Kind: ident.Hostname, Value: "sw-access-1"}, {Kind: ident.FQDN, Value: "sw-access-1.example.net"},
	} {
		if !hasID(sw, id.Kind, id.Value) {
			t.Errorf("switch lacks identifier %s %s: %v", id.Kind, id.Value, sw.Identifiers)
		}
	}
	for _, id := range sw.Identifiers {
		if id.Kind == ident.MAC && (id.Value == "00:00:00:00:00:00" || strings.HasPrefix(id.Value, "52:54:00") || id.Value == "f4:8e:38:01:02:03") {
			t.Errorf("switch has identifier %s %s (a placeholder or a MAC its table learnt)", id.Kind, id.Value)
		}
	}
	if !slices.Equal(sw.CompleteFacts, append(snmp.CompleteFacts(), snmp.FactLLDPNeighbours, snmp.FactCDPNeighbours)) {
		t.Errorf("CompleteFacts %v, want the snmp source's", sw.CompleteFacts)
	}

	// The neighbours, sorted by key, each a reference.
	want := []struct {
		key, name, local, remote, proto string
		ids                             []discovery.Identifier
	}{
		{"neighbour mac:00:3a:9c:aa:bb:00", "dist-1.example.net", "Te1/1/1, Te1/1/2", "Ethernet1/7, Ethernet1/8", "cdp, lldp",
			[]discovery.Identifier{{Kind: ident.MAC, Value: "00:3a:9c:aa:bb:00"}, {Kind: ident.IP, Value: "192.0.2.2"}, {Kind: ident.Hostname, Value: "dist-1"}}},
		{"neighbour mac:3c:ec:ef:10:20:30", "db-1.example.net", "Gi1/0/1", "eno1", "lldp",
			[]discovery.Identifier{{Kind: ident.MAC, Value: "3c:ec:ef:10:20:30"}, {Kind: ident.FQDN, Value: "db-1.example.net"}}},
	}
	if len(sw.Relationships) != len(want) {
		t.Fatalf("relationships %+v, want %d", sw.Relationships, len(want))
	}
	for i, w := range want {
		nb := &g.Observations[1+i]
		if nb.Key != w.key || !nb.Reference || nb.Name != w.name || nb.StableKey {
			t.Errorf("neighbour %d: key %q reference %v name %q stable %v, want %q %q", i, nb.Key, nb.Reference, nb.Name, nb.StableKey, w.key, w.name)
		}
		for _, id := range w.ids {
			if !hasID(nb, id.Kind, id.Value) {
				t.Errorf("neighbour %s lacks %s %s: %v", nb.Key, id.Kind, id.Value, nb.Identifiers)
			}
		}
		rel := sw.Relationships[i]
		if rel.Type != snmp.RelConnectsTo || rel.To != w.key || rel.Attributes["local_port"] != w.local ||
			rel.Attributes["remote_port"] != w.remote || rel.Attributes["protocol"] != w.proto {
			t.Errorf("relationship %d: %+v, want CONNECTS_TO %s local %q remote %q protocol %q", i, rel, w.key, w.local, w.remote, w.proto)
		}
	}
	if !slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.Contains(w, "3 MAC addresses learnt on ports") }) {
		t.Errorf("warnings %q do not count the MAC address table", g.Warnings)
	}
}

// TestNetInventoryAsSNMPSource checks that the switch of
// netinventory-switch.xml, walked by the snmp source, gives the same
// facts, fields and identifiers where both know them: the values below are
// what its agent would answer, as gosnmp returns them.
func TestNetInventoryAsSNMPSource(t *testing.T) {
	str := func(oid, v string) gosnmp.SnmpPDU {
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte(v)}
	}
	num := func(oid string, t gosnmp.Asn1BER, v any) gosnmp.SnmpPDU {
		return gosnmp.SnmpPDU{Name: oid, Type: t, Value: v}
	}
	pdus := []gosnmp.SnmpPDU{
		str(".1.3.6.1.2.1.1.1.0", "Cisco IOS Software [Gibraltar], Catalyst L3 Switch Software (CAT3K_CAA-UNIVERSALK9-M), Version 16.12.4"),
		str(".1.3.6.1.2.1.1.4.0", "noc@example.net"),
		str(".1.3.6.1.2.1.1.5.0", "sw-access-1.example.net"),
		str(".1.3.6.1.2.1.1.6.0", "DC1 row 3 rack 12"),
		str(".1.3.6.1.2.1.2.2.1.2.8", "GigabitEthernet1/0/1"),
		str(".1.3.6.1.2.1.31.1.1.1.1.8", "Gi1/0/1"),
		num(".1.3.6.1.2.1.2.2.1.3.8", gosnmp.Integer, 6),
		num(".1.3.6.1.2.1.2.2.1.5.8", gosnmp.Gauge32, uint(1000000000)),
		num(".1.3.6.1.2.1.31.1.1.1.15.8", gosnmp.Gauge32, uint(1000)),
		num(".1.3.6.1.2.1.2.2.1.8.8", gosnmp.Integer, 1),
		{Name: ".1.3.6.1.2.1.2.2.1.6.8", Type: gosnmp.OctetString, Value: []byte{0x00, 0x1b, 0x54, 0xc2, 0x50, 0x01}},
		str(".1.3.6.1.2.1.31.1.1.1.18.8", "db-1 eno1"),
		str(".1.3.6.1.2.1.2.2.1.2.33", "TenGigabitEthernet1/1/1"),
		str(".1.3.6.1.2.1.31.1.1.1.1.33", "Te1/1/1"),
		num(".1.3.6.1.2.1.2.2.1.5.33", gosnmp.Gauge32, uint(4294967295)),
		num(".1.3.6.1.2.1.31.1.1.1.15.33", gosnmp.Gauge32, uint(10000)),
		num(".1.3.6.1.2.1.4.20.1.2.192.0.2.10", gosnmp.Integer, 100),
		num(".1.3.6.1.2.1.4.20.1.3.192.0.2.10", gosnmp.IPAddress, "255.255.255.0"),
		str(".1.3.6.1.2.1.2.2.1.2.100", "Vlan1"),
		str(".1.3.6.1.2.1.31.1.1.1.1.100", "Vl1"),
		num(".1.3.6.1.2.1.47.1.1.1.1.5.1000", gosnmp.Integer, 3),
		str(".1.3.6.1.2.1.47.1.1.1.1.11.1000", "FOC1234X0AB"),
		str(".1.3.6.1.2.1.47.1.1.1.1.13.1000", "WS-C3850-24T"),
		// LLDP: db-1 on Gi1/0/1 (ifIndex 8), port ID by name.
		num(".1.0.8802.1.1.2.1.4.1.1.4.0.8.1", gosnmp.Integer, 4),
		{Name: ".1.0.8802.1.1.2.1.4.1.1.5.0.8.1", Type: gosnmp.OctetString, Value: []byte{0x3c, 0xec, 0xef, 0x10, 0x20, 0x30}},
		num(".1.0.8802.1.1.2.1.4.1.1.6.0.8.1", gosnmp.Integer, 5),
		str(".1.0.8802.1.1.2.1.4.1.1.7.0.8.1", "eno1"),
		str(".1.0.8802.1.1.2.1.4.1.1.8.0.8.1", "eno1"),
		str(".1.0.8802.1.1.2.1.4.1.1.9.0.8.1", "db-1.example.net"),
	}
	walked, err := snmp.Observations("192.0.2.10", pdus, true)
	if err != nil {
		t.Fatal(err)
	}
	g := mapFile(t, "netinventory-switch.xml")
	got, snmpObs := g.Observations[0], walked[0]
	for _, k := range []string{"snmp.sysDescr", "snmp.sysContact", "snmp.sysName", "snmp.sysLocation",
		"if.Gi1/0/1.type", "if.Gi1/0/1.speed_bps", "if.Gi1/0/1.oper_status", "if.Gi1/0/1.mac", "if.Gi1/0/1.alias",
		"if.Te1/1/1.speed_bps", "ip.192.0.2.10.ifname", "entity.1000.class", "entity.1000.serial", "entity.1000.model"} {
		if snmpObs.Facts[k] == "" || got.Facts[k] != snmpObs.Facts[k] {
			t.Errorf("fact %s: netinventory %q, snmp source %q", k, got.Facts[k], snmpObs.Facts[k])
		}
	}
	for _, f := range []string{"serial_number", "hostname", "fqdn"} {
		if got.Fields[f] != snmpObs.Fields[f] {
			t.Errorf("field %s: netinventory %q, snmp source %q", f, got.Fields[f], snmpObs.Fields[f])
		}
	}
	for _, id := range snmpObs.Identifiers {
		if !hasID(&got, id.Kind, id.Value) {
			t.Errorf("the snmp source's identifier %s %s is not netinventory's", id.Kind, id.Value)
		}
	}
	// The LLDP neighbour: the same key, so both sources' CONNECTS_TO end
	// on one CI.
	if len(walked) != 2 || walked[1].Key != g.Observations[2].Key {
		t.Errorf("the snmp source's neighbour %v, netinventory's %q", walked[1:], g.Observations[2].Key)
	} else if a, b := walked[0].Relationships[0].Attributes, got.Relationships[1].Attributes; a["local_port"] != b["local_port"] || a["remote_port"] != b["remote_port"] || a["protocol"] != b["protocol"] {
		t.Errorf("CONNECTS_TO attributes: snmp source %v, netinventory %v", a, b)
	}
}

// TestNetInventoryMessages: START and END messages map to nothing, a
// device the agent could not reach is a warning, a device with no
// identity is a warning, and an SNMPQUERY without DEVICE or AGENT is an
// error.
func TestNetInventoryMessages(t *testing.T) {
	for _, tt := range []struct {
		name, content string
		obs           int
		warning, err  string
	}{
		{"start", `<AGENT><START>1</START><AGENTVERSION>2.6</AGENTVERSION></AGENT><MODULEVERSION>4.2</MODULEVERSION><PROCESSNUMBER>1</PROCESSNUMBER>`, 0, "", ""},
		{"end", `<AGENT><END>1</END></AGENT><PROCESSNUMBER>1</PROCESSNUMBER>`, 0, "", ""},
		{"error", `<DEVICE><ERROR><ID>0</ID><MESSAGE>no response from host</MESSAGE></ERROR></DEVICE>`, 0, "could not inventory 0: no response from host", ""},
		{"no identity", `<DEVICE><INFO><NAME>x</NAME><MAC>00:00:00:00:00:00</MAC><IPS><IP>127.0.0.1</IP></IPS></INFO></DEVICE>`, 0, "no serial number, MAC or address", ""},
		{"ip only", `<DEVICE><INFO><TYPE>PRINTER</TYPE><IPS><IP>192.0.2.7</IP></IPS></INFO></DEVICE>`, 1, "", ""},
		{"twice", `<DEVICE><INFO><MAC>00:1b:54:00:00:01</MAC></INFO></DEVICE><DEVICE><INFO><MAC>00:1b:54:00:00:01</MAC></INFO></DEVICE>`, 1, "reported twice", ""},
		{"empty", ``, 0, "", "neither DEVICE nor AGENT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(`<REQUEST><QUERY>SNMPQUERY</QUERY><DEVICEID>foo</DEVICEID><CONTENT>` + tt.content + `</CONTENT></REQUEST>`))
			if err != nil {
				t.Fatal(err)
			}
			obs, warnings, err := r.Observations(testNow)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(obs) != tt.obs {
				t.Errorf("%d observations, want %d: %+v", len(obs), tt.obs, obs)
			}
			joined := strings.Join(warnings, "\n")
			if tt.warning == "" && joined != "" || !strings.Contains(joined, tt.warning) {
				t.Errorf("warnings %q, want %q", joined, tt.warning)
			}
			for i := range obs {
				if err := obs[i].Check(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	r, _ := ParseRequest([]byte(`<REQUEST><QUERY>SNMPQUERY</QUERY><CONTENT><DEVICE><INFO><TYPE>PRINTER</TYPE><IPS><IP>192.0.2.7</IP></IPS></INFO></DEVICE></CONTENT></REQUEST>`))
	obs, _, _ := r.SNMPObservations(testNow)
	if len(obs) != 1 || obs[0].Key != "netinventory ip:192.0.2.7" || obs[0].Kind != discovery.KindNetworkDevice || obs[0].Name != "192.0.2.7" {
		t.Errorf("printer by address: %+v", obs)
	}
	if _, _, err := (&Request{Query: "INVENTORY", Content: &Node{}}).SNMPObservations(testNow); err == nil {
		t.Error("SNMPObservations of an INVENTORY: no error")
	}
}

// FuzzSNMPObservations checks that SNMPObservations never panics and that
// every observation of an accepted SNMPQUERY passes Check, with unique
// keys and every relationship ending on one of them.
func FuzzSNMPObservations(f *testing.F) {
	for _, name := range []string{"testdata/netinventory-lab.xml", "testdata/netinventory-switch.xml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`<REQUEST><QUERY>SNMPQUERY</QUERY><CONTENT><DEVICE/></CONTENT></REQUEST>`,
		`<REQUEST><QUERY>SNMPQUERY</QUERY><CONTENT><DEVICE><INFO><IPS><IP>fe80::1</IP><IP>2001:db8::1</IP></IPS></INFO><PORTS><PORT><IFNUMBER>1</IFNUMBER><IPS><IP>2001:db8::1</IP></IPS><CONNECTIONS><LLDP>1</LLDP><CONNECTION><IP>2001:db8::2</IP><SYSNAME>n</SYSNAME></CONNECTION></CONNECTIONS></PORT></PORTS><COMPONENTS><COMPONENT><TYPE>chassis</TYPE><SERIAL>S1</SERIAL></COMPONENT></COMPONENTS></DEVICE></CONTENT></REQUEST>`,
		`<REQUEST><QUERY>SNMPQUERY</QUERY><CONTENT><DEVICE><INFO><MAC>00:1b:54:00:00:01</MAC></INFO><PORTS><PORT><IFSPEED>99999999999999999</IFSPEED><CONNECTIONS><CDP>1</CDP><CONNECTION><SYSMAC>00:1b:54:00:00:09</SYSMAC><MODEL>m</MODEL></CONNECTION></CONNECTIONS></PORT><PORT><IFNUMBER>1</IFNUMBER></PORT></PORTS></DEVICE></CONTENT></REQUEST>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		if err != nil || r.Query != "SNMPQUERY" {
			return
		}
		obs, _, err := r.SNMPObservations(testNow)
		if err != nil {
			return
		}
		keys := map[string]bool{}
		for i := range obs {
			if err := obs[i].Check(); err != nil {
				t.Fatalf("observation %d: %v", i, err)
			}
			if keys[obs[i].Key] {
				t.Fatalf("two observations with key %q", obs[i].Key)
			}
			keys[obs[i].Key] = true
		}
		for i := range obs {
			for _, rel := range obs[i].Relationships {
				if !keys[rel.To] {
					t.Fatalf("%s: relationship to %q, no such observation", obs[i].Key, rel.To)
				}
			}
		}
	})
}

// BenchmarkSNMPObservations parses and maps a 48-port access switch with
// an LLDP neighbour on every port and 20 learnt MACs on each.
func BenchmarkSNMPObservations(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8" ?><REQUEST><CONTENT><DEVICE><INFO><NAME>sw-bench</NAME><TYPE>NETWORKING</TYPE><SERIAL>FOC0000BENCH</SERIAL><MAC>00:1b:54:00:00:00</MAC><IPS><IP>192.0.2.1</IP></IPS></INFO><PORTS>`)
	for p := 1; p <= 48; p++ {
		fmt.Fprintf(&sb, `<PORT><IFNUMBER>%d</IFNUMBER><IFNAME>Gi1/0/%d</IFNAME><IFDESCR>GigabitEthernet1/0/%d</IFDESCR><IFTYPE>6</IFTYPE><IFSTATUS>1</IFSTATUS><IFSPEED>1000000000</IFSPEED><MAC>00:1b:54:00:01:%02x</MAC><IFINOCTETS>123</IFINOCTETS>`, p, p, p, p)
		fmt.Fprintf(&sb, `<CONNECTIONS><CDP>1</CDP><CONNECTION><SYSMAC>3c:ec:ef:00:00:%02x</SYSMAC><SYSNAME>host-%d.example.net</SYSNAME><IFNUMBER>eno1</IFNUMBER><SYSDESCR>Linux</SYSDESCR></CONNECTION></CONNECTIONS>`, p, p)
		sb.WriteString(`<CONNECTIONS><CONNECTION>`)
		for m := 0; m < 20; m++ {
			fmt.Fprintf(&sb, `<MAC>52:54:00:00:%02x:%02x</MAC>`, p, m)
		}
		sb.WriteString(`</CONNECTION></CONNECTIONS></PORT>`)
	}
	sb.WriteString(`</PORTS></DEVICE></CONTENT><DEVICEID>foo</DEVICEID><QUERY>SNMPQUERY</QUERY></REQUEST>`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		obs, _, err := r.SNMPObservations(testNow)
		if err != nil || len(obs) != 49 {
			b.Fatalf("%d observations, %v", len(obs), err)
		}
	}
}
