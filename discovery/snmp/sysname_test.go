package snmp_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// TestSysNameNotAHostName maps the recorded lab walk with its sysName
// replaced by names that are not valid host names (issue 18, defect 9): the
// name still names the observation and is kept as the snmp.sysName fact,
// but no hostname or FQDN field or identifier is derived from it; the
// device is still identified by its MAC and IP identifiers.
func TestSysNameNotAHostName(t *testing.T) {
	f, pdus, err := readFixture(filepath.Join(fixtures, "lab.pdus.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sysName      string
		wantHostname string
		wantFQDN     string
	}{
		{"core_sw_01", "", ""},
		{"core_sw_01.example.net", "", ""},
		{"-leading-dash", "", ""},
		{"core-sw-01", "core-sw-01", ""},
		{"core-sw-01.example.net", "core-sw-01", "core-sw-01.example.net"},
	}
	for _, tt := range tests {
		t.Run(tt.sysName, func(t *testing.T) {
			walk := slices.Clone(pdus)
			replaced := false
			for i := range walk {
				if walk[i].Name == sysName {
					walk[i] = gosnmp.SnmpPDU{Name: sysName, Type: gosnmp.OctetString, Value: []byte(tt.sysName)}
					replaced = true
				}
			}
			if !replaced {
				t.Fatal("the lab walk has no sysName")
			}
			o, err := snmp.FromPDUs(f.Host, walk)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Check(); err != nil {
				t.Fatal(err)
			}
			if o.Name != tt.sysName {
				t.Errorf("name %q, want %q", o.Name, tt.sysName)
			}
			if o.Facts["snmp.sysName"] != tt.sysName {
				t.Errorf("fact snmp.sysName %q, want %q", o.Facts["snmp.sysName"], tt.sysName)
			}
			if o.Fields["hostname"] != tt.wantHostname || o.Fields["fqdn"] != tt.wantFQDN {
				t.Errorf("fields hostname %q fqdn %q, want %q %q", o.Fields["hostname"], o.Fields["fqdn"], tt.wantHostname, tt.wantFQDN)
			}
			var names []string
			hasMAC := false
			for _, id := range o.Identifiers {
				switch id.Kind {
				case ident.Hostname, ident.FQDN:
					names = append(names, string(id.Kind)+" "+id.Value)
				case ident.MAC:
					hasMAC = true
				}
			}
			var want []string
			if tt.wantFQDN != "" {
				want = append(want, "FQDN "+tt.wantFQDN)
			}
			if tt.wantHostname != "" {
				want = append(want, "HOSTNAME "+tt.wantHostname)
			}
			slices.Sort(names)
			if !slices.Equal(names, want) {
				t.Errorf("name identifiers %q, want %q", names, want)
			}
			if !hasMAC {
				t.Error("no MAC identifier: the walk's interfaces should still identify the device")
			}
		})
	}
}
