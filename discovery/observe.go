package discovery

import (
	"strings"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// The helpers below build an Observation the same way in every source that
// reports a host (local, node_exporter, nmap, tcpscan), so that the same
// machine seen by two sources carries the same identifiers, fields and
// facts.

// AddIdentifier adds an identifier of kind with the value v, unless o
// already has it. v is added as given: normalise it first.
func (o *Observation) AddIdentifier(kind ident.Kind, v string) {
	for _, id := range o.Identifiers {
		if id.Kind == kind && id.Value == v {
			return
		}
	}
	o.Identifiers = append(o.Identifiers, Identifier{Kind: kind, Value: v})
}

// AddNormalized adds raw, normalised with ident.Normalize, as an identifier
// of kind, and reports whether it validated; a value that does not validate
// adds nothing.
func (o *Observation) AddNormalized(kind ident.Kind, raw string) bool {
	v, err := ident.Normalize(kind, raw)
	if err != nil {
		return false
	}
	o.AddIdentifier(kind, v)
	return true
}

// AddSerials adds each serial number that is neither empty nor a
// placeholder (ident.IsPlaceholderSerial, such as "To Be Filled By O.E.M.")
// as a serial identifier.
func (o *Observation) AddSerials(raws ...string) {
	for _, raw := range raws {
		raw = strings.TrimSpace(raw)
		if raw == "" || ident.IsPlaceholderSerial(raw) {
			continue
		}
		o.AddNormalized(ident.Serial, raw)
	}
}

// SetField sets a record field.
func (o *Observation) SetField(name, v string) {
	if o.Fields == nil {
		o.Fields = map[string]string{}
	}
	o.Fields[name] = v
}

// setFieldOnce sets a record field unless it is already set.
func (o *Observation) setFieldOnce(name, v string) {
	if _, ok := o.Fields[name]; !ok {
		o.SetField(name, v)
	}
}

// SetFact sets a fact to v with surrounding white space trimmed, unless
// that leaves it empty.
func (o *Observation) SetFact(key, v string) {
	if v = strings.TrimSpace(v); v == "" {
		return
	}
	if o.Facts == nil {
		o.Facts = map[string]string{}
	}
	o.Facts[key] = v
}

// AddHostName adds a DNS name of the host (a trailing dot is ignored): a
// name with a dot adds fqdn and hostname (its first label) identifiers, a
// name without one a hostname identifier. The first name added also sets
// the "fqdn" and "hostname" fields; later names add only identifiers and
// any field still unset. A name that is not a valid DNS name adds nothing
// and reports false.
func (o *Observation) AddHostName(name string) bool {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if !strings.Contains(name, ".") {
		short, err := ident.Normalize(ident.Hostname, name)
		if err != nil {
			return false
		}
		o.AddIdentifier(ident.Hostname, short)
		o.setFieldOnce("hostname", short)
		return true
	}
	fqdn, err := ident.Normalize(ident.FQDN, name)
	if err != nil {
		return false
	}
	short, err := ident.Normalize(ident.Hostname, ident.ShortName(fqdn))
	if err != nil {
		return false
	}
	o.AddIdentifier(ident.FQDN, fqdn)
	o.AddIdentifier(ident.Hostname, short)
	o.setFieldOnce("fqdn", fqdn)
	o.setFieldOnce("hostname", short)
	return true
}

// MACFact returns the "net.<iface>.mac" fact of a link-layer address: the
// normalised MAC address or, for a longer address (InfiniBand), the address
// in lower case. An empty or all-zero address, or one with control
// characters, is none.
func MACFact(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if strings.Trim(raw, "0:-.") == "" {
		return "", false
	}
	if v, err := ident.Normalize(ident.MAC, raw); err == nil {
		return v, true
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	return strings.ToLower(raw), true
}

// AddInterfaceMAC sets the "net.<iface>.mac" fact from the interface's
// link-layer address (see MACFact) and, when identifies is true and the
// address is a MAC address, adds it as a MAC identifier. Pass false for a
// loopback interface or an address the kernel made up, which name no
// machine.
func (o *Observation) AddInterfaceMAC(iface, raw string, identifies bool) {
	mac, ok := MACFact(raw)
	if !ok {
		return
	}
	o.SetFact("net."+iface+".mac", mac)
	if identifies {
		o.AddNormalized(ident.MAC, mac)
	}
}
