package snmp

import (
	"fmt"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// KindEvidenceFact is the fact an observation carries when the walk's
// evidence does not settle the device's kind: its value starts "unsure: "
// and says why. The observation then keeps the source's default kind,
// NETWORK_DEVICE.
const KindEvidenceFact = "kind.evidence"

// sysServices layer bits (SNMPv2-MIB: 2^(L-1) for layer L).
const (
	layer2 = 1 << 1 // datalink/subnetwork (bridges)
	layer3 = 1 << 2 // internet (IP routers)
	layer7 = 1 << 6 // applications (mail relays, hosts)
)

// enterprise is a sysObjectID prefix (under .1.3.6.1.4.1, the private
// enterprises arc) and what it says of the kind.
type enterprise struct {
	prefix string // dotted, with a leading dot
	who    string
	kind   string // "" for "look further" (net-snmp)
}

// enterprises is the sysObjectID table, longest prefix first where two
// overlap. Host operating systems (SERVER):
//
//	.1.3.6.1.4.1.8072.3.2.N     net-snmp's agent on an OS (N 1..17; Linux 10): look further
//	.1.3.6.1.4.1.311            Microsoft (Windows: .311.1.1.3.1.N)
//	.1.3.6.1.4.1.2.3.1.2.1.1    IBM AIX (aix .2.3.1.2.1.1.N)
//	.1.3.6.1.4.1.42.2.1.1       Sun/Oracle Solaris
//
// Network equipment makers (NETWORK_DEVICE): Cisco .9, Juniper .2636,
// Arista .30065, Aruba .14823, H3C/HPE Comware .25506, Extreme .1916,
// Foundry/Brocade .1991, Huawei .2011, MikroTik .14988, Fortinet .12356,
// Palo Alto .25461, Alcatel-Lucent/Nokia .6527, Ubiquiti .41112,
// Check Point .2620, Dell Force10 .6027. (Cisco also makes UCS servers
// whose controllers answer under .9: they are classed as network devices.)
//
// A net-snmp operating-system identifier says which OS the agent was built
// for, not what the box does (OpenWrt routers run the Linux agent), so it
// looks further: NETWORK_DEVICE when sysServices claims layer 2 or 3 and
// not layer 7, SERVER otherwise.
func enterprises() []enterprise {
	return []enterprise{
		{".1.3.6.1.4.1.8072.3.2", "net-snmp", ""},
		{".1.3.6.1.4.1.311", "Microsoft", discovery.KindServer},
		{".1.3.6.1.4.1.2.3.1.2.1.1", "IBM AIX", discovery.KindServer},
		{".1.3.6.1.4.1.42.2.1.1", "Sun Solaris", discovery.KindServer},
		{".1.3.6.1.4.1.9", "Cisco", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.2636", "Juniper", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.30065", "Arista", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.14823", "Aruba", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.25506", "H3C", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.1916", "Extreme", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.1991", "Foundry/Brocade", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.2011", "Huawei", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.14988", "MikroTik", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.12356", "Fortinet", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.25461", "Palo Alto Networks", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.6527", "Alcatel-Lucent/Nokia", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.41112", "Ubiquiti", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.2620", "Check Point", discovery.KindNetworkDevice},
		{".1.3.6.1.4.1.6027", "Dell Force10", discovery.KindNetworkDevice},
	}
}

// kind classifies the walked device from, in this order (first rule that
// applies wins):
//
//  1. sysObjectID under an enterprise of the table (see enterprises):
//     that entry's kind; net-snmp's per-OS identifiers (.8072.3.2.N, N
//     1..17) look at sysServices as in rule 2, else SERVER;
//  2. sysServices claims layer 2 or 3 and not layer 7: NETWORK_DEVICE
//     (bridges and routers set those bits; hosts set 72, layers 4 and 7);
//  3. HOST-RESOURCES-MIB answers (hrSystemUptime, or rows of hrStorageTable
//     or hrDeviceTable) with no hrDevice of type printer, and sysServices
//     is missing or claims layer 7: SERVER;
//  4. sysObjectID missing, .0.0 or net-snmp's "unknown" (.8072.3.2.255),
//     and sysDescr starts with the name of a host operating system
//     ("Linux ", "Windows", "Hardware: ... Software: Windows", "FreeBSD ",
//     "AIX ", ...): SERVER;
//  5. otherwise NETWORK_DEVICE, the source's default, with the fact
//     "kind.evidence" = "unsure: ..." naming the evidence there was.
func (w *walk) kind() (kind, unsure string) {
	oid := w.sys.objectID
	svc, hasSvc := w.sys.services, w.sys.hasServices
	netLayers := hasSvc && svc&(layer2|layer3) != 0 && svc&layer7 == 0
	const netSNMPOS = ".1.3.6.1.4.1.8072.3.2"
	for _, e := range enterprises() {
		rest, under := column(oid, e.prefix)
		if !under && oid != e.prefix {
			continue
		}
		if e.kind != "" {
			return e.kind, ""
		}
		// net-snmp: only its per-OS identifiers name a host OS.
		if n, ok := oneIndex(rest); under && ok && n >= 1 && n <= 17 {
			if netLayers {
				return discovery.KindNetworkDevice, ""
			}
			return discovery.KindServer, ""
		}
		break
	}
	if netLayers {
		return discovery.KindNetworkDevice, ""
	}
	hr := w.sys.hrSystem || len(w.storage) > 0 || len(w.devices) > 0
	printer := false
	for _, d := range w.devices {
		printer = printer || d.typ == "printer"
	}
	if hr && !printer && (!hasSvc || svc&layer7 != 0) {
		return discovery.KindServer, ""
	}
	if oid == "" || oid == netSNMPOS+".255" || oid == ".0.0" {
		for _, p := range []string{"Linux ", "Windows", "Hardware:", "FreeBSD ", "OpenBSD ", "NetBSD ",
			"DragonFly ", "Darwin ", "SunOS ", "AIX ", "HP-UX "} {
			if strings.HasPrefix(w.sys.descr, p) {
				if p == "Hardware:" && !strings.Contains(w.sys.descr, "Software: Windows") {
					continue
				}
				return discovery.KindServer, ""
			}
		}
	}
	var ev []string
	if oid == "" {
		ev = append(ev, "no sysObjectID")
	} else {
		ev = append(ev, fmt.Sprintf("sysObjectID %s is not in the table", textclip.Message(oid)))
	}
	if hasSvc {
		ev = append(ev, fmt.Sprintf("sysServices %d", svc))
	} else {
		ev = append(ev, "no sysServices")
	}
	switch {
	case printer:
		ev = append(ev, "HOST-RESOURCES-MIB lists a printer")
	case hr:
		ev = append(ev, "HOST-RESOURCES-MIB answers")
	default:
		ev = append(ev, "no HOST-RESOURCES-MIB")
	}
	return discovery.KindNetworkDevice, "unsure: " + strings.Join(ev, ", ") + "; kept NETWORK_DEVICE"
}
