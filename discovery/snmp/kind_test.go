package snmp_test

import (
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
)

// TestKindFromEvidence: the classification table. The recorded walks (the
// lab's net-snmp on Linux → SERVER, the Cisco stack → NETWORK_DEVICE) are
// checked by TestFixtures' golden files; these walks are hand-made system
// groups with the sysObjectID values the vendors document (IBM AIX
// .1.3.6.1.4.1.2.3.1.2.1.1.3, Windows Server .1.3.6.1.4.1.311.1.1.3.1.2,
// net-snmp's Linux agent .1.3.6.1.4.1.8072.3.2.10).
func TestKindFromEvidence(t *testing.T) {
	sys := func(descr, oid string, services int) []gosnmp.SnmpPDU {
		p := []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.1.1.0", Type: gosnmp.OctetString, Value: []byte(descr)}}
		if oid != "" {
			p = append(p, gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.1.2.0", Type: gosnmp.ObjectIdentifier, Value: oid})
		}
		if services >= 0 {
			p = append(p, gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.1.7.0", Type: gosnmp.Integer, Value: services})
		}
		return p
	}
	hrUptime := gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.25.1.1.0", Type: gosnmp.TimeTicks, Value: uint32(12345)}
	hrPrinter := gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.25.3.2.1.2.1", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.2.1.25.3.1.5"}
	aixDescr := "IBM PowerPC CHRP Computer\nMachine Type: 0x0800004c Processor id: 00F84C964C00\nBase Operating System Runtime AIX version: 07.02.0005.0000"
	tests := []struct {
		name     string
		pdus     []gosnmp.SnmpPDU
		want     string
		unsure   bool
		services string
	}{
		{"IBM AIX", sys(aixDescr, ".1.3.6.1.4.1.2.3.1.2.1.1.3", 72), discovery.KindServer, false, "72"},
		{"Windows", sys("Hardware: Intel64 ... Software: Windows Version 6.3", ".1.3.6.1.4.1.311.1.1.3.1.2", 76), discovery.KindServer, false, "76"},
		{"Cisco", sys("Cisco IOS Software", ".1.3.6.1.4.1.9.1.1208", 6), discovery.KindNetworkDevice, false, "6"},
		{"net-snmp Linux, host services", sys("Linux web 6.1.0", ".1.3.6.1.4.1.8072.3.2.10", 72), discovery.KindServer, false, "72"},
		{"net-snmp Linux, router services", sys("Linux gw 5.15.0 OpenWrt", ".1.3.6.1.4.1.8072.3.2.10", 6), discovery.KindNetworkDevice, false, "6"},
		{"unknown enterprise, layer 2/3 only", sys("SomeOS", ".1.3.6.1.4.1.99999.1", 2), discovery.KindNetworkDevice, false, "2"},
		{"unknown enterprise, HOST-RESOURCES-MIB", append(sys("SomeOS", ".1.3.6.1.4.1.99999.1", 72), hrUptime), discovery.KindServer, false, "72"},
		{"unknown enterprise, printer in hrDevice", append(sys("LaserJet", ".1.3.6.1.4.1.11.2.3.9.1", 72), hrUptime, hrPrinter), discovery.KindNetworkDevice, true, "72"},
		{"unknown enterprise, no other evidence", sys("SomeOS", ".1.3.6.1.4.1.99999.1", -1), discovery.KindNetworkDevice, true, ""},
		{"no sysObjectID, Linux sysDescr", sys("Linux box 6.1.0", "", -1), discovery.KindServer, false, ""},
		{"net-snmp unknown OS, FreeBSD sysDescr", sys("FreeBSD box 14.0", ".1.3.6.1.4.1.8072.3.2.255", -1), discovery.KindServer, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := snmp.FromPDUs("192.0.2.7", tt.pdus)
			if err != nil {
				t.Fatal(err)
			}
			ev, has := o.Facts[snmp.KindEvidenceFact]
			if o.Kind != tt.want || has != tt.unsure {
				t.Errorf("kind %q evidence %q; want %q, unsure %v", o.Kind, ev, tt.want, tt.unsure)
			}
			if o.Facts["snmp.sysServices"] != tt.services {
				t.Errorf("sysServices fact %q, want %q", o.Facts["snmp.sysServices"], tt.services)
			}
		})
	}
}
