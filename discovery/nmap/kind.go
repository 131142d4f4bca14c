package nmap

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
)

// KindEvidenceFact is the fact an observation carries when the scan's
// evidence does not settle the host's kind: its value starts "unsure: " and
// says why. The observation then keeps the source's default kind, SERVER.
const KindEvidenceFact = "kind.evidence"

// deviceKinds maps nmap's device types to CI kinds. The device types are
// those of nmap's OS fingerprint database ("Class" lines, written as
// <osclass type="...">) and of its service probes ("d/.../" fields, written
// as <service devicetype="...">); see https://nmap.org/book/osdetect-fingerprint-format.html
// and https://nmap.org/book/vscan-fileformat.html. Matched case-insensitively.
//
//	device type                                  kind
//	general purpose                              SERVER
//	router, broadband router, switch, firewall,  NETWORK_DEVICE
//	WAP, bridge, hub, WAN optimizer,
//	terminal server
//	load balancer                                LOAD_BALANCER
//	storage-misc                                 STORAGE
//
// Every other device type (printer, print server, phone, VoIP phone,
// VoIP adapter, webcam, media device, game console, power-device,
// specialized, security-misc, proxy server, PBX, telecom-misc, remote
// management, terminal, X terminal, PDA, ...) names a thing Cairn has no kind
// for: the host stays SERVER and says it is unsure.
func deviceKind(typ string) (string, bool) {
	switch strings.ToLower(clean(typ)) {
	case "general purpose":
		return discovery.KindServer, true
	case "router", "broadband router", "switch", "firewall", "wap", "bridge", "hub", "wan optimizer", "terminal server":
		return discovery.KindNetworkDevice, true
	case "load balancer":
		return discovery.KindLoadBalancer, true
	case "storage-misc":
		return discovery.KindStorage, true
	}
	return "", false
}

// kindOf decides a host's kind from its evidence, in this order:
//
//  1. the device types of the osclass elements of the most accurate OS
//     match (of the <os> element itself in XML output 1.03 and earlier):
//     when they all map to one kind, that kind;
//  2. else the devicetype of the services on its open ports: when they all
//     map to one kind, that kind;
//  3. no device type at all (a scan without -O or -sV, or nothing
//     recognised): SERVER, the source's default, with no fact;
//  4. device types that map to different kinds, or only to types Cairn has
//     no kind for: SERVER, and the fact "kind.evidence" = "unsure: ..."
//     naming them.
//
// OS classes come first: a fingerprint of the whole TCP/IP stack speaks for
// the device, a service banner for one program on it.
func kindOf(osTypes, serviceTypes []string) (kind, unsure string) {
	var why []string
	for _, ev := range []struct {
		what  string
		types []string
	}{{"OS class", osTypes}, {"service device type", serviceTypes}} {
		types := uniq(ev.types)
		if len(types) == 0 {
			continue
		}
		k, msg := settle(ev.what, types)
		if msg == "" {
			return k, ""
		}
		why = append(why, msg)
	}
	if len(why) == 0 {
		return discovery.KindServer, ""
	}
	return discovery.KindServer, "unsure: " + strings.Join(why, "; ") + "; kept SERVER"
}

// settle returns the one kind types (non-empty, from uniq) map to, or why
// they do not settle it.
func settle(what string, types []string) (string, string) {
	kinds := map[string][]string{}
	var unknown []string
	for _, t := range types {
		if k, ok := deviceKind(t); ok {
			kinds[k] = append(kinds[k], t)
		} else {
			unknown = append(unknown, t)
		}
	}
	if len(kinds) == 1 && len(unknown) == 0 {
		for k := range kinds {
			return k, ""
		}
	}
	if len(kinds) > 1 || (len(kinds) == 1 && len(unknown) > 0) {
		var parts []string
		for _, t := range types {
			k, ok := deviceKind(t)
			if !ok {
				k = "no kind"
			}
			parts = append(parts, fmt.Sprintf("%q (%s)", t, k))
		}
		return "", fmt.Sprintf("%s evidence disagrees: %s", what, strings.Join(parts, ", "))
	}
	return "", fmt.Sprintf("%s %s: no Cairn kind", what, quoteAll(unknown))
}

// uniq returns the cleaned, non-empty values of s, sorted, once each.
func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		v = clean(v)
		if v != "" && !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
