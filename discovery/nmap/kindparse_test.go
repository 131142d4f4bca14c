package nmap_test

import (
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nmap"
)

// The hosts below are hand-written in the form nmap.dtd and nmap's OS
// database document (<osclass type vendor osfamily osgen accuracy>, service
// devicetype): OS detection (-O) needs raw sockets and a target with a
// fingerprinted stack, which the loopback fixtures cannot give. The loopback
// fixtures (recorded, no -O) stay SERVER without a kind.evidence fact: see
// TestParseFixtures.
func TestParseKinds(t *testing.T) {
	tests := []struct {
		name, host string
		wantKind   string
		wantWhy    string
	}{
		{
			name: "router by OS class",
			host: `<host endtime="1700000042"><status state="up"/><address addr="192.0.2.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open"/><service name="ssh" product="Cisco SSH"/></port></ports>
<os><osmatch name="Cisco IOS 15.2" accuracy="100" line="1"><osclass type="router" vendor="Cisco" osfamily="IOS" osgen="15.X" accuracy="100"/><osclass type="switch" vendor="Cisco" osfamily="IOS" osgen="15.X" accuracy="100"/></osmatch>
<osmatch name="Linux 2.6.32" accuracy="85" line="2"><osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="2.6.X" accuracy="85"/></osmatch></os></host>`,
			wantKind: discovery.KindNetworkDevice,
		},
		{
			name: "old layout: classes under <os>",
			host: `<host><status state="up"/><address addr="192.0.2.2" addrtype="ipv4"/>
<os><osclass type="firewall" vendor="Juniper" osfamily="ScreenOS" accuracy="95"/></os></host>`,
			wantKind: discovery.KindNetworkDevice,
		},
		{
			name: "router by service device type (-sV only)",
			host: `<host><status state="up"/><address addr="192.0.2.3" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="8291"><state state="open"/><service name="winbox" product="MikroTik WinBox" devicetype="router" method="probed" conf="10"/></port></ports></host>`,
			wantKind: discovery.KindNetworkDevice,
		},
		{
			name: "printer: unsure",
			host: `<host><status state="up"/><address addr="192.0.2.4" addrtype="ipv4"/>
<os><osmatch name="HP LaserJet printer" accuracy="97" line="3"><osclass type="printer" vendor="HP" osfamily="embedded" accuracy="97"/></osmatch></os></host>`,
			wantKind: discovery.KindServer,
			wantWhy:  `unsure: OS class "printer": no Cairn kind; kept SERVER`,
		},
		{
			name: "general purpose",
			host: `<host><status state="up"/><address addr="192.0.2.5" addrtype="ipv4"/>
<os><osmatch name="AIX 7.1" accuracy="100" line="4"><osclass type="general purpose" vendor="IBM" osfamily="AIX" osgen="7.X" accuracy="100"/></osmatch></os></host>`,
			wantKind: discovery.KindServer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := nmap.Parse(strings.NewReader(scan(tt.host+runstats)), "test")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Observations) != 1 {
				t.Fatalf("%d observations", len(res.Observations))
			}
			o := res.Observations[0]
			if o.Kind != tt.wantKind || o.Facts[nmap.KindEvidenceFact] != tt.wantWhy {
				t.Errorf("kind %q evidence %q; want %q, %q", o.Kind, o.Facts[nmap.KindEvidenceFact], tt.wantKind, tt.wantWhy)
			}
			if err := o.Check(); err != nil {
				t.Error(err)
			}
		})
	}
}
