package terraform

import (
	"net/netip"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// observe returns the observation of one instance of resource type typ at
// address addr, with attributes a, as sp says. Relationships and SeenAt are
// left to the caller.
func observe(sp spec, typ, addr string, a attrs) (discovery.Observation, error) {
	o := discovery.Observation{
		Key:  addr,
		Kind: sp.kind,
		// The resource address (with its count or for_each key) is
		// Terraform's stable name for the instance.
		StableKey: true,
		Facts: map[string]string{
			"cloud.provider": sp.provider,
			"cloud.type":     typ,
		},
	}
	name, err := a.first(sp.names...)
	if err != nil {
		return o, err
	}
	if name == "" {
		name = addr
	}
	o.Name = name

	var ids idList
	for _, p := range sp.cloudIDs {
		vs, err := a.strs(p)
		if err != nil {
			return o, err
		}
		for _, v := range vs {
			if sp.provider == providerGCP && p == "id" && !strings.HasPrefix(v, "projects/") {
				continue // a bare name, not a resource name
			}
			ids.add(ident.CloudID, v)
		}
	}
	for _, set := range []struct {
		kind  ident.Kind
		paths []string
	}{
		{ident.UUID, sp.uuids},
		{ident.MAC, sp.macs},
	} {
		for _, p := range set.paths {
			vs, err := a.strs(p)
			if err != nil {
				return o, err
			}
			for _, v := range vs {
				ids.add(set.kind, v)
			}
		}
	}
	for _, p := range sp.ips {
		vs, err := a.strs(p)
		if err != nil {
			return o, err
		}
		for _, v := range vs {
			if usefulIP(v) {
				ids.add(ident.IP, v)
			}
		}
	}
	for _, p := range sp.hosts {
		vs, err := a.strs(p)
		if err != nil {
			return o, err
		}
		for _, v := range vs {
			if k, norm, ok := hostKind(v); ok && ids.add(k, v) {
				field := "hostname"
				if k == ident.FQDN {
					field = "fqdn"
				}
				if _, set := o.Fields[field]; !set {
					if o.Fields == nil {
						o.Fields = map[string]string{}
					}
					o.Fields[field] = norm
				}
			}
		}
	}
	for _, p := range sp.endpoints {
		vs, err := a.strs(p)
		if err != nil {
			return o, err
		}
		for _, v := range vs {
			ids.add(ident.FQDN, v)
		}
	}
	o.Identifiers = ids.list

	if err := placement(sp, a, o.Facts); err != nil {
		return o, err
	}
	if err := special(typ, a, o.Facts); err != nil {
		return o, err
	}
	if sp.engine != "" {
		o.Facts["engine"] = sp.engine
	}
	for _, f := range sp.facts {
		if _, set := o.Facts[f.key]; set {
			continue
		}
		v, err := a.scalar(f.paths...)
		if err != nil {
			return o, err
		}
		if v != "" {
			o.Facts[f.key] = v
		}
	}

	tags := map[string]string{}
	complete := false
	for _, p := range sp.tags {
		present, err := a.stringMap(p, tags)
		if err != nil {
			return o, err
		}
		complete = complete || present
	}
	for k, v := range tags {
		if k != "" {
			o.Facts["tag."+k] = v
		}
	}
	if complete {
		o.CompleteFacts = []string{"tag."}
	}
	return o, nil
}

// idList collects identifiers, without duplicates and without values that
// do not validate.
type idList struct {
	list []discovery.Identifier
	seen map[ident.Kind]map[string]bool
}

// add adds raw (trimmed) as an identifier of kind k if it validates and is
// new, and reports whether it validates.
func (l *idList) add(k ident.Kind, raw string) bool {
	norm, err := ident.Normalize(k, raw)
	if err != nil {
		return false
	}
	if l.seen == nil {
		l.seen = map[ident.Kind]map[string]bool{}
	}
	if l.seen[k] == nil {
		l.seen[k] = map[string]bool{}
	}
	if !l.seen[k][norm] {
		l.seen[k][norm] = true
		l.list = append(l.list, discovery.Identifier{Kind: k, Value: strings.TrimSpace(raw)})
	}
	return true
}

// usefulIP reports whether v is an address that can name one machine: not
// loopback, link-local, multicast or unspecified. Invalid addresses are
// left to idList.add to drop.
func usefulIP(v string) bool {
	norm, err := ident.Normalize(ident.IP, v)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(norm)
	if err != nil {
		return false
	}
	return !(ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified())
}

// hostKind says whether v is an FQDN or a single-label HOSTNAME, with its
// normal form.
func hostKind(v string) (ident.Kind, string, bool) {
	if norm, err := ident.Normalize(ident.FQDN, v); err == nil {
		return ident.FQDN, norm, true
	}
	if norm, err := ident.Normalize(ident.Hostname, v); err == nil {
		return ident.Hostname, norm, true
	}
	return "", "", false
}

// placement sets cloud.region, cloud.zone and cloud.account.
func placement(sp spec, a attrs, facts map[string]string) error {
	region, err := a.first(sp.region...)
	if err != nil {
		return err
	}
	zone, err := a.first(sp.zone...)
	if err != nil {
		return err
	}
	account := ""
	switch sp.provider {
	case providerAWS:
		arn, err := a.first("arn")
		if err != nil {
			return err
		}
		if region == "" {
			region = arnField(arn, 3)
		}
		if region == "" {
			region = awsZoneRegion(zone)
		}
		account = arnField(arn, 4)
	case providerGCP:
		location, err := a.first(sp.location...)
		if err != nil {
			return err
		}
		region, zone, location = lastSegment(region), lastSegment(zone), strings.ToLower(lastSegment(location))
		if gcpZoneRegion(location) != "" {
			if zone == "" {
				zone = location
			}
		} else if region == "" {
			region = location
		}
		if region == "" {
			region = gcpZoneRegion(zone)
		}
		if account, err = a.first("project"); err != nil {
			return err
		}
	case providerAzure:
		location, err := a.first(sp.location...)
		if err != nil {
			return err
		}
		region = strings.ToLower(strings.ReplaceAll(location, " ", ""))
		id, err := a.first("id")
		if err != nil {
			return err
		}
		account = azureSubscription(id)
	}
	for k, v := range map[string]string{"cloud.region": region, "cloud.zone": zone, "cloud.account": account} {
		if v != "" {
			facts[k] = v
		}
	}
	return nil
}

// special sets the facts that take more than reading an attribute.
func special(typ string, a attrs, facts map[string]string) error {
	switch typ {
	case "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine":
		img, err := azureImage(a, "source_image_reference")
		if err != nil || img == "" {
			return err
		}
		facts["image"] = img
	case "azurerm_virtual_machine":
		img, err := a.first("storage_image_reference.*.id")
		if err == nil && img == "" {
			img, err = azureImage(a, "storage_image_reference")
		}
		if err != nil || img == "" {
			return err
		}
		facts["image"] = img
	case "google_sql_database_instance":
		v, err := a.first("database_version")
		if err != nil || v == "" {
			return err
		}
		engine, version, _ := strings.Cut(v, "_")
		engine = strings.ToLower(engine)
		if engine == "mysql" || engine == "postgres" {
			version = strings.ReplaceAll(version, "_", ".")
		}
		facts["engine"] = engine
		if version != "" {
			facts["engine_version"] = version
		}
	}
	return nil
}

// azureImage returns a marketplace image reference (a block at path with
// publisher, offer, sku and version) as the URN the Azure CLI takes:
// "publisher:offer:sku:version".
func azureImage(a attrs, path string) (string, error) {
	var parts []string
	for _, f := range []string{"publisher", "offer", "sku", "version"} {
		v, err := a.first(path + ".*." + f)
		if err != nil {
			return "", err
		}
		if v == "" {
			if f == "version" {
				v = "latest"
			} else {
				return "", nil
			}
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ":"), nil
}

// arnField returns field i of an ARN
// ("arn:partition:service:region:account:resource"), or "".
func arnField(arn string, i int) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return ""
	}
	return f[i]
}

// awsZoneRegion returns the region of an availability zone such as
// "us-east-1a" or "us-gov-west-1b", or "" for anything else (local and
// wavelength zones such as "us-west-2-lax-1a" take their region from the
// ARN instead).
func awsZoneRegion(zone string) string {
	n := len(zone)
	if n < 3 || zone[n-1] < 'a' || zone[n-1] > 'z' || zone[n-2] < '0' || zone[n-2] > '9' {
		return ""
	}
	region := zone[:n-1]
	if d := strings.Count(region, "-"); d < 2 || d > 3 {
		return ""
	}
	return region
}

// gcpZoneRegion returns the region of a Google zone such as
// "us-central1-a", or "" when zone is not one.
func gcpZoneRegion(zone string) string {
	i := strings.LastIndexByte(zone, '-')
	if i < 1 || len(zone)-i != 2 || zone[i+1] < 'a' || zone[i+1] > 'z' || zone[i-1] < '0' || zone[i-1] > '9' {
		return ""
	}
	return zone[:i]
}

// lastSegment returns what follows the last "/" of a Google resource URL
// or name, such as ".../zones/us-central1-a".
func lastSegment(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

// azureSubscription returns the subscription of an Azure resource ID
// "/subscriptions/<id>/...", or "".
func azureSubscription(id string) string {
	const prefix = "/subscriptions/"
	if len(id) <= len(prefix) || !strings.EqualFold(id[:len(prefix)], prefix) {
		return ""
	}
	sub, _, _ := strings.Cut(id[len(prefix):], "/")
	return sub
}
