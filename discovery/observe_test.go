package discovery_test

import (
	"reflect"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

func TestAddHostName(t *testing.T) {
	for _, tc := range []struct {
		name   string
		names  []string
		ok     []bool
		ids    []discovery.Identifier
		fields map[string]string
	}{
		{
			name: "short name", names: []string{"web01"}, ok: []bool{true},
			ids:    []discovery.Identifier{{Kind: ident.Hostname, Value: "web01"}},
			fields: map[string]string{"hostname": "web01"},
		},
		{
			name: "fqdn lower-cased, trailing dot and space dropped", names: []string{" Web01.Example.COM. "}, ok: []bool{true},
			ids:    []discovery.Identifier{{Kind: ident.FQDN, Value: "web01.example.com"}, {Kind: ident.Hostname, Value: "web01"}},
			fields: map[string]string{"fqdn": "web01.example.com", "hostname": "web01"},
		},
		{
			name: "first name sets the fields, later names add identifiers", names: []string{"a.example.com", "b.example.com", "a"}, ok: []bool{true, true, true},
			ids: []discovery.Identifier{
				{Kind: ident.FQDN, Value: "a.example.com"}, {Kind: ident.Hostname, Value: "a"},
				{Kind: ident.FQDN, Value: "b.example.com"}, {Kind: ident.Hostname, Value: "b"},
			},
			fields: map[string]string{"fqdn": "a.example.com", "hostname": "a"},
		},
		{
			name: "invalid names add nothing", names: []string{"", "bad_name", "a..b", "-x.example.com"}, ok: []bool{false, false, false, false},
		},
		{
			name: "a later short name fills an unset field", names: []string{"bad_name", "db"}, ok: []bool{false, true},
			ids:    []discovery.Identifier{{Kind: ident.Hostname, Value: "db"}},
			fields: map[string]string{"hostname": "db"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o discovery.Observation
			for i, n := range tc.names {
				if got := o.AddHostName(n); got != tc.ok[i] {
					t.Errorf("AddHostName(%q) = %v, want %v", n, got, tc.ok[i])
				}
			}
			if !reflect.DeepEqual(o.Identifiers, tc.ids) {
				t.Errorf("identifiers = %v, want %v", o.Identifiers, tc.ids)
			}
			if !reflect.DeepEqual(o.Fields, tc.fields) {
				t.Errorf("fields = %v, want %v", o.Fields, tc.fields)
			}
		})
	}
}

func TestAddIdentifiers(t *testing.T) {
	var o discovery.Observation
	o.AddIdentifier(ident.IP, "192.0.2.1")
	o.AddIdentifier(ident.IP, "192.0.2.1")
	if !o.AddNormalized(ident.UUID, "4C4C4544-0042-3510-8052-B2C04F4E3232") {
		t.Error("AddNormalized refused a valid UUID")
	}
	if o.AddNormalized(ident.UUID, "not a uuid") {
		t.Error("AddNormalized accepted an invalid UUID")
	}
	o.AddSerials(" ABC123 ", "", "To Be Filled By O.E.M.", "0", "ABC123")
	want := []discovery.Identifier{
		{Kind: ident.IP, Value: "192.0.2.1"},
		{Kind: ident.UUID, Value: "4c4c4544-0042-3510-8052-b2c04f4e3232"},
		{Kind: ident.Serial, Value: "ABC123"},
	}
	if !reflect.DeepEqual(o.Identifiers, want) {
		t.Errorf("identifiers = %v, want %v", o.Identifiers, want)
	}
}

func TestMACFact(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		ok        bool
	}{
		{"52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef", true},
		{" 52-54-00-ab-cd-ef ", "52:54:00:ab:cd:ef", true},
		{"00:00:00:00:00:00", "", false},
		{"", "", false},
		{"80:00:02:08:FE:80:00:00:00:00:00:00:00:02:C9:03:00:0A:BC:DE", "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de", true},
		{"ab\x01cd", "", false},
	} {
		got, ok := discovery.MACFact(tc.raw)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MACFact(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFactsAndInterfaceMAC(t *testing.T) {
	for _, tc := range []struct {
		name       string
		iface, mac string
		identifies bool
		facts      map[string]string
		ids        []discovery.Identifier
	}{
		{"identifying", "eth0", "52:54:00:AB:CD:EF", true,
			map[string]string{"net.eth0.mac": "52:54:00:ab:cd:ef"},
			[]discovery.Identifier{{Kind: ident.MAC, Value: "52:54:00:ab:cd:ef"}}},
		{"loopback or random: a fact only", "lo", "52:54:00:ab:cd:ef", false,
			map[string]string{"net.lo.mac": "52:54:00:ab:cd:ef"}, nil},
		{"all zeros: nothing", "eth1", "00:00:00:00:00:00", true, nil, nil},
		{"infiniband: a fact, no identifier", "ib0", "80:00:02:08:FE:80:00:00:00:00:00:00:00:02:C9:03:00:0A:BC:DE", true,
			map[string]string{"net.ib0.mac": "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o discovery.Observation
			o.AddInterfaceMAC(tc.iface, tc.mac, tc.identifies)
			if !reflect.DeepEqual(o.Facts, tc.facts) {
				t.Errorf("facts = %v, want %v", o.Facts, tc.facts)
			}
			if !reflect.DeepEqual(o.Identifiers, tc.ids) {
				t.Errorf("identifiers = %v, want %v", o.Identifiers, tc.ids)
			}
		})
	}

	var o discovery.Observation
	o.SetFact("os.id", "  debian ")
	o.SetFact("os.name", " \t")
	o.SetField("hostname", "a")
	o.SetField("hostname", "b")
	if want := map[string]string{"os.id": "debian"}; !reflect.DeepEqual(o.Facts, want) {
		t.Errorf("facts = %v, want %v", o.Facts, want)
	}
	if o.Fields["hostname"] != "b" {
		t.Errorf("SetField does not overwrite: hostname = %q", o.Fields["hostname"])
	}
}
