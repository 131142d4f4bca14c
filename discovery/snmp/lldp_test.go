package snmp_test

import (
	"encoding/json"
	"maps"
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

// walkHost is the host the recorded walks are mapped for.
const walkHost = "192.0.2.10"

func walkFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, ext := range []string{"*.snmprec", "*.walk"} {
		m, err := filepath.Glob(filepath.Join(walks, ext))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no recorded walks in %s", walks)
	}
	return files
}

// TestWalksGolden maps every recorded walk of a real device with neighbours
// and compares the observations with its golden file.
func TestWalksGolden(t *testing.T) {
	for _, file := range walkFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		t.Run(name, func(t *testing.T) {
			pdus, err := readWalkFile(file)
			if err != nil {
				t.Fatal(err)
			}
			obs := mustObservations(t, pdus)
			golden := filepath.Join(walks, name+".golden.json")
			if *update {
				if err := writeJSON(golden, obs); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./discovery/snmp/ -update)", err)
			}
			var want []discovery.Observation
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(obs)
			var gotBack []discovery.Observation
			if err := json.Unmarshal(got, &gotBack); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotBack, want) {
				ind, _ := json.MarshalIndent(obs, "", "  ")
				t.Errorf("observations differ from %s (run with -update to accept):\n%s", golden, ind)
			}
		})
	}
}

// mustObservations maps pdus with neighbours and checks what any mapping
// must hold: every observation passes Check, keys are unique, every
// relationship points at an observation of the walk, and only neighbours
// are references.
func mustObservations(t testing.TB, pdus []gosnmp.SnmpPDU) []discovery.Observation {
	t.Helper()
	obs, err := snmp.Observations(walkHost, pdus, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkObservations(obs); err != "" {
		t.Fatal(err)
	}
	return obs
}

func checkObservations(obs []discovery.Observation) string {
	keys := map[string]bool{}
	for i, o := range obs {
		if err := o.Check(); err != nil {
			return err.Error()
		}
		if keys[o.Key] {
			return "duplicate key " + o.Key
		}
		keys[o.Key] = true
		if (i > 0) != o.Reference {
			return "observation " + o.Key + ": only neighbours are references"
		}
		if i > 0 && (!strings.HasPrefix(o.Key, "neighbour ") || len(o.Identifiers) == 0) {
			return "neighbour " + o.Key + " without identity"
		}
	}
	for _, r := range obs[0].Relationships {
		if !keys[r.To] || r.Type != snmp.RelConnectsTo {
			return "relationship " + r.Type + " to " + r.To + " of no observation"
		}
	}
	if len(obs[0].Relationships) != len(obs)-1 {
		return "not one relationship per neighbour"
	}
	return ""
}

func byKey(obs []discovery.Observation) map[string]discovery.Observation {
	m := map[string]discovery.Observation{}
	for _, o := range obs {
		m[o.Key] = o
	}
	return m
}

func relTo(o discovery.Observation, to string) map[string]string {
	for _, r := range o.Relationships {
		if r.To == to {
			return r.Attributes
		}
	}
	return nil
}

func ids(kv ...string) []discovery.Identifier {
	var out []discovery.Identifier
	for i := 0; i < len(kv); i += 2 {
		out = append(out, discovery.Identifier{Kind: ident.Kind(kv[i]), Value: kv[i+1]})
	}
	return out
}

// TestJunosLLDP spells out the Juniper QFX5100's two LLDP neighbours:
// chassis MACs as identity, lldpLocPortId holding only the port number, so
// the local port is the ifDescr of that ifIndex, and remote ports of
// subtype local(7).
func TestJunosLLDP(t *testing.T) {
	pdus, err := readWalkFile(filepath.Join(walks, "junos_qfx5100.snmprec"))
	if err != nil {
		t.Fatal(err)
	}
	obs := mustObservations(t, pdus)
	if len(obs) != 3 {
		t.Fatalf("%d observations, want the switch and 2 neighbours", len(obs))
	}
	sw, m := obs[0], byKey(obs)
	if sw.Facts["lldp.neighbours"] != "2" {
		t.Errorf("lldp.neighbours = %q", sw.Facts["lldp.neighbours"])
	}
	if _, ok := sw.Facts["cdp.neighbours"]; ok {
		t.Error("cdp.neighbours on a device without CDP")
	}
	for _, c := range []struct{ key, name, mac, local, remote, remoteDesc string }{
		{"neighbour mac:50:c5:8d:12:34:56", "devicea", "50:c5:8d:12:34:56", "xe-0/0/0", "2150", "ifa"},
		{"neighbour mac:80:71:1f:12:34:56", "deviceb", "80:71:1f:12:34:56", "xe-0/0/1", "2447", "ifb"},
	} {
		nb, ok := m[c.key]
		if !ok {
			t.Fatalf("no neighbour %s in %v", c.key, slices.Collect(maps.Keys(m)))
		}
		if nb.Name != c.name || nb.Kind != discovery.KindNetworkDevice || !nb.Reference {
			t.Errorf("%s: name %q kind %q reference %v", c.key, nb.Name, nb.Kind, nb.Reference)
		}
		if want := ids("MAC", c.mac, "HOSTNAME", c.name); !reflect.DeepEqual(nb.Identifiers, want) {
			t.Errorf("%s: identifiers %v, want %v", c.key, nb.Identifiers, want)
		}
		want := map[string]string{"local_port": c.local, "remote_port": c.remote, "remote_port_description": c.remoteDesc, "protocol": "lldp"}
		if got := relTo(sw, c.key); !maps.Equal(got, want) {
			t.Errorf("CONNECTS_TO %s: %v, want %v", c.key, got, want)
		}
	}
}

// TestCiscoCDP spells out the Catalyst 2960-X's CDP cache: an upstream
// switch seen on two ports is one neighbour with one relationship whose
// ports are joined; access points are network devices with their
// management address.
func TestCiscoCDP(t *testing.T) {
	pdus, err := readWalkFile(filepath.Join(walks, "ios_2960x.snmprec"))
	if err != nil {
		t.Fatal(err)
	}
	obs := mustObservations(t, pdus)
	if len(obs) != 7 {
		t.Fatalf("%d observations, want the switch and 6 neighbours", len(obs))
	}
	sw, m := obs[0], byKey(obs)
	if sw.Facts["cdp.neighbours"] != "6" {
		t.Errorf("cdp.neighbours = %q", sw.Facts["cdp.neighbours"])
	}
	up := m["neighbour name:acme-fr-s-001"]
	if up.Name != "acme-fr-s-001" || up.Kind != discovery.KindNetworkDevice {
		t.Errorf("upstream: %+v", up)
	}
	if want := ids("HOSTNAME", "acme-fr-s-001", "IP", "10.54.64.5"); !reflect.DeepEqual(up.Identifiers, want) {
		t.Errorf("upstream identifiers %v, want %v", up.Identifiers, want)
	}
	if up.Facts["neighbour.platform"] != "cisco WS-C3850-12S" || up.Facts["neighbour.capabilities"] != "igmp, router, switch" {
		t.Errorf("upstream facts %v", up.Facts)
	}
	want := map[string]string{
		"local_port":  "GigabitEthernet1/0/52, GigabitEthernet3/0/52",
		"remote_port": "GigabitEthernet1/0/3, GigabitEthernet3/0/2",
		"protocol":    "cdp",
	}
	if got := relTo(sw, up.Key); !maps.Equal(got, want) {
		t.Errorf("CONNECTS_TO upstream: %v, want %v", got, want)
	}
	ap := m["neighbour name:acme-fr-ap-011"]
	if want := ids("HOSTNAME", "acme-fr-ap-011", "IP", "172.27.49.84"); !reflect.DeepEqual(ap.Identifiers, want) {
		t.Errorf("AP identifiers %v, want %v", ap.Identifiers, want)
	}
	if ap.Kind != discovery.KindNetworkDevice || ap.Facts["neighbour.capabilities"] != "bridge, igmp, sourceRouteBridge" {
		t.Errorf("AP kind %q facts %v", ap.Kind, ap.Facts)
	}
	if got := relTo(sw, ap.Key)["local_port"]; got != "GigabitEthernet1/0/3" {
		t.Errorf("AP local port %q", got)
	}
}

// LLDP and CDP rows for hand-written walks.
const (
	remEntry = ".1.0.8802.1.1.2.1.4.1.1."
	locPort  = ".1.0.8802.1.1.2.1.3.7.1."
	manAddr  = ".1.0.8802.1.1.2.1.4.2.1.3."
	cdpEntry = ".1.3.6.1.4.1.9.9.23.1.2.1.1."
	ifDescr  = ".1.3.6.1.2.1.2.2.1.2."
	ifName   = ".1.3.6.1.2.1.31.1.1.1.1."
)

// rem returns the lldpRemTable row (timeMark 0) of local port port, index
// idx: column → value (int for subtypes, []byte or string otherwise).
func rem(port, idx string, cols map[int]any) []gosnmp.SnmpPDU {
	var out []gosnmp.SnmpPDU
	for _, c := range slices.Sorted(maps.Keys(cols)) {
		oid := remEntry + itoa(c) + ".0." + port + "." + idx
		switch v := cols[c].(type) {
		case int:
			out = append(out, num(oid, v))
		case string:
			out = append(out, str(oid, v))
		case []byte:
			out = append(out, raw(oid, v))
		}
	}
	return out
}

func cdp(ifIndex, idx string, cols map[int]any) []gosnmp.SnmpPDU {
	var out []gosnmp.SnmpPDU
	for _, c := range slices.Sorted(maps.Keys(cols)) {
		oid := cdpEntry + itoa(c) + "." + ifIndex + "." + idx
		switch v := cols[c].(type) {
		case int:
			out = append(out, num(oid, v))
		case string:
			out = append(out, str(oid, v))
		case []byte:
			out = append(out, raw(oid, v))
		}
	}
	return out
}

func walkOf(parts ...[]gosnmp.SnmpPDU) []gosnmp.SnmpPDU {
	out := []gosnmp.SnmpPDU{str(sysName, "sw1.example.net"), str(sysDescr, "test switch"),
		str(ifName+"3", "ge-0/0/3"), str(ifName+"4", "ge-0/0/4"), str(ifDescr+"7", "Ethernet7")}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	mac1     = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	portMAC  = []byte{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}
	bridge   = []byte{0x20, 0x00} // LLDP BITS: bridge(2)
	station  = []byte{0x01, 0x00} // stationOnly(7)
	phoneCap = []byte{0x04, 0x00} // telephone(5)
)

// TestNeighbourMapping covers the rules one case at a time.
func TestNeighbourMapping(t *testing.T) {
	type want struct {
		key, name, kind string
		ids             []discovery.Identifier
		attrs           map[string]string
	}
	cases := []struct {
		name string
		pdus []gosnmp.SnmpPDU
		want []want
	}{{
		name: "chassis MAC is identity, port MAC never",
		pdus: walkOf(rem("3", "1", map[int]any{4: 4, 5: mac1, 6: 3, 7: portMAC, 8: "uplink", 9: "sw2.example.net", 12: bridge})),
		want: []want{{"neighbour mac:00:11:22:33:44:55", "sw2.example.net", "NETWORK_DEVICE",
			ids("MAC", "00:11:22:33:44:55", "FQDN", "sw2.example.net", "HOSTNAME", "sw2"),
			map[string]string{"local_port": "ge-0/0/3", "remote_port": "02:aa:bb:cc:dd:ee", "remote_port_description": "uplink", "protocol": "lldp"}}},
	}, {
		name: "chassis local subtype: keyed by name; station only is a server",
		pdus: walkOf(rem("4", "2", map[int]any{4: 7, 5: "abc-chassis", 6: 5, 7: "eth0", 9: "db1", 12: station})),
		want: []want{{"neighbour name:db1", "db1", "SERVER", ids("HOSTNAME", "db1"),
			map[string]string{"local_port": "ge-0/0/4", "remote_port": "eth0", "protocol": "lldp"}}},
	}, {
		name: "management addresses from the index, length-prefixed and implied; link-local dropped",
		pdus: walkOf(rem("3", "1", map[int]any{4: 4, 5: mac1, 6: 5, 7: "eth1", 9: "h1"}),
			[]gosnmp.SnmpPDU{
				num(manAddr+"0.3.1.1.4.192.0.2.7", 2),
				num(manAddr+"0.3.1.2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1", 2),
				num(manAddr+"0.3.1.2.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1", 2),
				num(manAddr+"0.3.1.1.198.51.100.1", 2),
			}),
		want: []want{{"neighbour mac:00:11:22:33:44:55", "h1", "NETWORK_DEVICE",
			ids("MAC", "00:11:22:33:44:55", "HOSTNAME", "h1", "IP", "192.0.2.7", "IP", "2001:db8::1", "IP", "198.51.100.1"),
			map[string]string{"local_port": "ge-0/0/3", "remote_port": "eth1", "protocol": "lldp"}}},
	}, {
		name: "chassis network address is identity",
		pdus: walkOf(rem("3", "1", map[int]any{4: 5, 5: []byte{1, 192, 0, 2, 99}, 6: 5, 7: "p1", 12: phoneCap})),
		want: []want{{"neighbour ip:192.0.2.99", "ip:192.0.2.99", "NETWORK_DEVICE", ids("IP", "192.0.2.99"),
			map[string]string{"local_port": "ge-0/0/3", "remote_port": "p1", "protocol": "lldp"}}},
	}, {
		name: "lldpLocPortId of subtype interfaceName names the port; its description kept",
		pdus: walkOf([]gosnmp.SnmpPDU{num(locPort+"2.3", 5), str(locPort+"3.3", "xe-1/0/3"), str(locPort+"4.3", "to core")},
			rem("3", "1", map[int]any{4: 4, 5: mac1, 6: 5, 7: "eth1", 9: "h1"})),
		want: []want{{"neighbour mac:00:11:22:33:44:55", "h1", "NETWORK_DEVICE", ids("MAC", "00:11:22:33:44:55", "HOSTNAME", "h1"),
			map[string]string{"local_port": "xe-1/0/3", "local_port_description": "to core", "remote_port": "eth1", "protocol": "lldp"}}},
	}, {
		name: "lldpLocPortNum that is no ifIndex: lldpLocPortId text",
		pdus: walkOf([]gosnmp.SnmpPDU{num(locPort+"2.49", 7), str(locPort+"3.49", "Port 49")},
			rem("49", "1", map[int]any{4: 4, 5: mac1, 6: 5, 7: "eth1", 9: "h1"})),
		want: []want{{"neighbour mac:00:11:22:33:44:55", "h1", "NETWORK_DEVICE", ids("MAC", "00:11:22:33:44:55", "HOSTNAME", "h1"),
			map[string]string{"local_port": "Port 49", "remote_port": "eth1", "protocol": "lldp"}}},
	}, {
		name: "chassis MAC as text",
		pdus: walkOf(rem("3", "1", map[int]any{4: 4, 5: "00-11-22-33-44-55", 6: 5, 7: "eth1"})),
		want: []want{{"neighbour mac:00:11:22:33:44:55", "mac:00:11:22:33:44:55", "NETWORK_DEVICE", ids("MAC", "00:11:22:33:44:55"),
			map[string]string{"local_port": "ge-0/0/3", "remote_port": "eth1", "protocol": "lldp"}}},
	}, {
		name: "no identity: dropped",
		pdus: walkOf(rem("3", "1", map[int]any{4: 7, 5: "x", 6: 3, 7: portMAC})),
	}, {
		name: "NX-OS device ID with serial; IPv4 address",
		pdus: walkOf(cdp("7", "1", map[int]any{3: 1, 4: []byte{10, 0, 0, 1}, 6: "n9k-a.example.net(FDO21120U8N)", 7: "Ethernet1/49", 9: []byte{0, 0, 0, 0x29}})),
		want: []want{{"neighbour serial:FDO21120U8N", "n9k-a.example.net", "NETWORK_DEVICE",
			ids("SERIAL", "FDO21120U8N", "FQDN", "n9k-a.example.net", "HOSTNAME", "n9k-a", "IP", "10.0.0.1"),
			map[string]string{"local_port": "Ethernet7", "remote_port": "Ethernet1/49", "protocol": "cdp"}}},
	}, {
		name: "IP phone: its MAC from the device ID",
		pdus: walkOf(cdp("4", "2", map[int]any{6: "SEP00A0C9123456", 7: "Port 1", 9: []byte{0, 0, 0x04, 0x90}})),
		want: []want{{"neighbour mac:00:a0:c9:12:34:56", "SEP00A0C9123456", "NETWORK_DEVICE",
			ids("MAC", "00:a0:c9:12:34:56", "HOSTNAME", "sep00a0c9123456"),
			map[string]string{"local_port": "ge-0/0/4", "remote_port": "Port 1", "protocol": "cdp"}}},
	}, {
		name: "CDP host only is a server",
		pdus: walkOf(cdp("3", "1", map[int]any{6: "esx1", 7: "vmnic0", 9: []byte{0, 0, 0, 0x10}})),
		want: []want{{"neighbour name:esx1", "esx1", "SERVER", ids("HOSTNAME", "esx1"),
			map[string]string{"local_port": "ge-0/0/3", "remote_port": "vmnic0", "protocol": "cdp"}}},
	}, {
		name: "LLDP and CDP of one device are one neighbour; same link once",
		pdus: walkOf(rem("3", "1", map[int]any{4: 4, 5: mac1, 6: 5, 7: "Gi1/0/1", 9: "sw2.example.net", 12: bridge}),
			cdp("3", "5", map[int]any{6: "sw2.example.net", 7: "Gi1/0/1", 9: []byte{0, 0, 0, 0x08}}),
			cdp("4", "6", map[int]any{6: "sw2.example.net", 7: "Gi1/0/2"})),
		want: []want{{"neighbour mac:00:11:22:33:44:55", "sw2.example.net", "NETWORK_DEVICE",
			ids("MAC", "00:11:22:33:44:55", "FQDN", "sw2.example.net", "HOSTNAME", "sw2"),
			map[string]string{"local_port": "ge-0/0/3, ge-0/0/4", "remote_port": "Gi1/0/1, Gi1/0/2", "protocol": "cdp, lldp"}}},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obs := mustObservations(t, c.pdus)
			if len(obs)-1 != len(c.want) {
				t.Fatalf("%d neighbours, want %d: %+v", len(obs)-1, len(c.want), obs[1:])
			}
			for i, w := range c.want {
				nb := obs[i+1]
				if nb.Key != w.key || nb.Name != w.name || nb.Kind != w.kind {
					t.Errorf("neighbour %d: key %q name %q kind %q, want %q %q %q", i, nb.Key, nb.Name, nb.Kind, w.key, w.name, w.kind)
				}
				if !reflect.DeepEqual(nb.Identifiers, w.ids) {
					t.Errorf("%s: identifiers %v, want %v", nb.Key, nb.Identifiers, w.ids)
				}
				if got := relTo(obs[0], nb.Key); !maps.Equal(got, w.attrs) {
					t.Errorf("%s: attributes %v, want %v", nb.Key, got, w.attrs)
				}
				for _, id := range nb.Identifiers {
					if id.Kind == ident.MAC && id.Value == "02:aa:bb:cc:dd:ee" {
						t.Errorf("%s: a port's MAC as identity", nb.Key)
					}
				}
			}
		})
	}
}

// TestLocalChassisAndFacts: the local LLDP chassis MAC identifies the
// walked device; the counts are said only by agents that do the protocol;
// neighbours off gives the device alone.
func TestLocalChassisAndFacts(t *testing.T) {
	pdus := walkOf([]gosnmp.SnmpPDU{num(".1.0.8802.1.1.2.1.3.1.0", 4), raw(".1.0.8802.1.1.2.1.3.2.0", []byte{0x0a, 0, 0, 0, 0, 1}),
		num(".1.3.6.1.4.1.9.9.23.1.3.1.0", 1)})
	obs := mustObservations(t, pdus)
	if len(obs) != 1 {
		t.Fatalf("%d observations", len(obs))
	}
	if !slices.Contains(obs[0].Identifiers, discovery.Identifier{Kind: ident.MAC, Value: "0a:00:00:00:00:01"}) {
		t.Errorf("no chassis MAC in %v", obs[0].Identifiers)
	}
	if obs[0].Facts["lldp.neighbours"] != "0" || obs[0].Facts["cdp.neighbours"] != "0" {
		t.Errorf("facts %v", obs[0].Facts)
	}
	if !slices.Contains(obs[0].CompleteFacts, "lldp.neighbours") {
		t.Errorf("CompleteFacts %v", obs[0].CompleteFacts)
	}
	plain := mustObservations(t, walkOf())
	if _, ok := plain[0].Facts["lldp.neighbours"]; ok {
		t.Errorf("lldp.neighbours without LLDP: %v", plain[0].Facts)
	}
	off, err := snmp.Observations(walkHost, walkOf(rem("3", "1", map[int]any{4: 4, 5: mac1, 6: 5, 7: "x"})), false)
	if err != nil || len(off) != 1 || len(off[0].Relationships) != 0 {
		t.Errorf("neighbours off: %v %+v", err, off)
	}
	dev, err := snmp.FromPDUs(walkHost, pdus)
	if err != nil || !reflect.DeepEqual(off[0].Identifiers, mustObsNoLLDP(t).Identifiers) || dev.Key != off[0].Key {
		t.Errorf("neighbours off differs from FromPDUs: %v", err)
	}
}

func mustObsNoLLDP(t *testing.T) discovery.Observation {
	return mustObs(t, walkOf()...)
}

// TestMergeReferences: one neighbour seen from two switches is one
// observation with the identifiers of both.
func TestMergeReferences(t *testing.T) {
	a := discovery.Observation{Key: "snmp a", Kind: "NETWORK_DEVICE"}
	n1 := discovery.Observation{Key: "neighbour mac:00:11:22:33:44:55", Kind: "SERVER", Reference: true,
		Identifiers: ids("MAC", "00:11:22:33:44:55")}
	b := discovery.Observation{Key: "snmp b", Kind: "NETWORK_DEVICE"}
	n2 := discovery.Observation{Key: n1.Key, Kind: "SERVER", Name: "h1", Reference: true,
		Identifiers: ids("MAC", "00:11:22:33:44:55", "IP", "192.0.2.1")}
	got := snmp.MergeReferences([]discovery.Observation{a, n1, b, n2})
	if len(got) != 3 || got[0].Key != "snmp a" || got[1].Key != n1.Key || got[2].Key != "snmp b" {
		t.Fatalf("merged: %+v", got)
	}
	if got[1].Name != "h1" || !reflect.DeepEqual(got[1].Identifiers, ids("MAC", "00:11:22:33:44:55", "IP", "192.0.2.1")) {
		t.Errorf("merged neighbour %+v", got[1])
	}
}

// FuzzObservations feeds Observations walks decoded from a JSON list of
// {oid, type, value}, seeded with the recorded walks: it must never panic,
// and whatever it returns must hold mustObservations' rules and be the same
// on a second run.
func FuzzObservations(f *testing.F) {
	for _, file := range walkFiles(f) {
		pdus, err := readWalkFile(file)
		if err != nil {
			f.Fatal(err)
		}
		recs, err := toRecorded(pdus)
		if err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(recs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"oid":".1.3.6.1.2.1.1.5.0","type":"OctetString","value":"a"},
{"oid":".1.0.8802.1.1.2.1.4.1.1.4.0.1.1","type":"Integer","value":4},
{"oid":".1.0.8802.1.1.2.1.4.1.1.5.0.1.1","type":"OctetString","hex":"001122334455"},
{"oid":".1.0.8802.1.1.2.1.4.2.1.3.0.1.1.1.4.10.0.0.1","type":"Integer","value":2},
{"oid":".1.0.8802.1.1.2.1.4.2.1.3.0.1.1.2.3.1.2.3","type":"Integer","value":2},
{"oid":".1.3.6.1.4.1.9.9.23.1.2.1.1.6.1.1","type":"OctetString","value":"x(SERIAL1)"},
{"oid":".1.3.6.1.4.1.9.9.23.1.2.1.1.9.1.1","type":"OctetString","hex":"ffffffff"},
{"oid":".1.3.6.1.4.1.9.9.23.1.2.1.1.4.1.1","type":"OctetString","hex":"0a000001"}]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		pdus, err := decodePDUs(in, false)
		if err != nil {
			return
		}
		obs, err := snmp.Observations(walkHost, pdus, true)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "snmp") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			return
		}
		if msg := checkObservations(obs); msg != "" {
			t.Fatal(msg)
		}
		again, err := snmp.Observations(walkHost, pdus, true)
		if err != nil || !reflect.DeepEqual(obs, again) {
			t.Fatalf("second mapping differs: %v", err)
		}
		if _, err := json.Marshal(obs); err != nil {
			t.Fatal(err)
		}
	})
}
