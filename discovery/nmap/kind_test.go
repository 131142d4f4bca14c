package nmap

import (
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name              string
		osTypes, svcTypes []string
		wantKind, wantWhy string
	}{
		{"no evidence", nil, nil, discovery.KindServer, ""},
		{"empty attributes", []string{""}, []string{"", " "}, discovery.KindServer, ""},
		{"general purpose", []string{"general purpose"}, nil, discovery.KindServer, ""},
		{"router", []string{"router"}, nil, discovery.KindNetworkDevice, ""},
		{"switch and router agree", []string{"switch", "router"}, nil, discovery.KindNetworkDevice, ""},
		{"firewall", []string{"firewall"}, nil, discovery.KindNetworkDevice, ""},
		{"WAP, any case", []string{"wap"}, nil, discovery.KindNetworkDevice, ""},
		{"broadband router", []string{"broadband router"}, nil, discovery.KindNetworkDevice, ""},
		{"load balancer", []string{"load balancer"}, nil, discovery.KindLoadBalancer, ""},
		{"storage-misc", []string{"storage-misc"}, nil, discovery.KindStorage, ""},
		{"OS class wins over service", []string{"general purpose"}, []string{"router"}, discovery.KindServer, ""},
		{"service device type", nil, []string{"router", "router"}, discovery.KindNetworkDevice, ""},
		{"printer has no kind", []string{"printer"}, nil, discovery.KindServer,
			`unsure: OS class "printer": no Cairn kind; kept SERVER`},
		{"classes disagree, service settles", []string{"general purpose", "router"}, []string{"switch"}, discovery.KindNetworkDevice, ""},
		{"classes disagree", []string{"router", "general purpose"}, nil, discovery.KindServer,
			`unsure: OS class evidence disagrees: "general purpose" (SERVER), "router" (NETWORK_DEVICE); kept SERVER`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, why := kindOf(tt.osTypes, tt.svcTypes)
			if k != tt.wantKind || why != tt.wantWhy {
				t.Errorf("kindOf(%q, %q) = %q, %q; want %q, %q", tt.osTypes, tt.svcTypes, k, why, tt.wantKind, tt.wantWhy)
			}
		})
	}
}
