package estate

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// The demo estate generator. `go test ./internal/estate -run TestDemoEstate
// -update` rewrites testdata/demo/estate.json from it (in export form: the
// generated document imported into an empty database and exported again);
// without -update the test checks that the committed file is what the
// generator produces.

// demoToday is the date the demo estate is written against: contracts
// expire relative to it.
func demoToday() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func hashOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// serialFor makes a vendor-style serial number from a name.
func serialFor(prefix, name string, n int) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	h := hashOf(name)
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		b.WriteByte(alphabet[h%uint64(len(alphabet))])
		h /= uint64(len(alphabet))
	}
	return b.String()
}

func macFor(oui, name string) string {
	h := hashOf(name)
	return fmt.Sprintf("%s:%02x:%02x:%02x", oui, (h>>16)&255, (h>>8)&255, h&255)
}

type demoBuilder struct {
	doc      *Document
	assetTag int
}

func (d *demoBuilder) ci(e CI) *CI {
	d.doc.ConfigurationItems = append(d.doc.ConfigurationItems, e)
	return &d.doc.ConfigurationItems[len(d.doc.ConfigurationItems)-1]
}

func (d *demoBuilder) rel(from, typ, to string) {
	d.doc.Relationships = append(d.doc.Relationships, Relationship{From: from, To: to, Type: typ, Source: "record"})
}

func (d *demoBuilder) tag() string {
	d.assetTag++
	return fmt.Sprintf("CRN-%05d", d.assetTag)
}

type hw struct {
	vendor, model, oui, serialPrefix string
	serialLen                        int
	cost                             string
	life                             int
	method                           string
}

func (d *demoBuilder) hardware(name, kind, site, rack, ip, oob string, h hw, owner, crit string, purchase *time.Time, attrs map[string]any) {
	domain := map[string]string{"fra1": "fra1.example.com", "ams2": "ams2.example.net"}[site]
	e := CI{
		Name: name, Kind: kind, Status: "ACTIVE", Environment: "PRODUCTION", Criticality: crit,
		Hostname: name, FQDN: name + "." + domain, SerialNumber: serialFor(h.serialPrefix, name, h.serialLen),
		AssetTag: d.tag(), Owner: owner, Vendor: h.vendor, Location: rack,
		Attributes: map[string]any{"model": h.model}, Tags: []string{site, strings.ToLower(strings.ReplaceAll(kind, "_", "-"))},
		Identifiers: []Identifier{{Kind: "IP", Value: ip, Source: "record"}, {Kind: "MAC", Value: macFor(h.oui, name), Source: "record"}},
	}
	if site == "ams2" {
		e.Environment = "DR"
	}
	if oob != "" {
		e.Identifiers = append(e.Identifiers, Identifier{Kind: "IP", Value: oob, Source: "record"})
	}
	for k, v := range attrs {
		e.Attributes[k] = v
	}
	d.ci(e)
	salvage := "0.00"
	if h.method != "NONE" {
		salvage = fmt.Sprintf("%d.00", int(hashOf(name)%5+1)*100)
	}
	a := Asset{
		ConfigurationItem: name, PurchaseDate: purchase, InServiceDate: addDays(purchase, 21),
		Cost: h.cost, SalvageValue: salvage, Currency: "EUR", UsefulLifeMonths: ptr(h.life),
		DepreciationMethod: h.method, Convention: "FULL_MONTH", CostCenter: "CC-4100-INFRA",
		WarrantyEnd: addDays(purchase, 365*3), PONumber: fmt.Sprintf("PO-%d-%04d", purchase.Year(), hashOf(name)%10000),
		InvoiceNumber: fmt.Sprintf("INV-%06d", hashOf(name+"inv")%1000000),
	}
	if h.method == "DECLINING_BALANCE" {
		a.DecliningRate = ptr(0.3)
	}
	if strings.Contains(name, "-core-") {
		a.CostCenter = "CC-4200-NETWORK"
	}
	d.doc.Assets = append(d.doc.Assets, a)
}

func addDays(t *time.Time, n int) *time.Time {
	u := t.AddDate(0, 0, n)
	return &u
}

func (d *demoBuilder) vm(name, site, ip string, owner, env, crit string, tags ...string) {
	domain := map[string]string{"fra1": "fra1.example.com", "ams2": "ams2.example.net"}[site]
	d.ci(CI{
		Name: name, Kind: "VM", Status: "ACTIVE", Environment: env, Criticality: crit, Hostname: name,
		FQDN: name + "." + domain, SerialNumber: serialFor("VMWARE-42", name, 12), Owner: owner, Vendor: "VMware",
		Tags: append([]string{site}, tags...), Attributes: map[string]any{"os": "Ubuntu 24.04 LTS", "vcpus": float64(2 + hashOf(name)%4*2), "memoryGiB": float64(uint64(4) << (hashOf(name) % 4))},
		Identifiers: []Identifier{{Kind: "IP", Value: ip, Source: "record"}, {Kind: "UUID", Value: uuidFor(name), Source: "record"}},
	})
}

func uuidFor(name string) string {
	a, b := hashOf(name), hashOf(name+"#")
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, b>>52, b&0xffffffffffff)
}

// demoDocument builds the demo estate.
func demoDocument() *Document {
	d := &demoBuilder{doc: &Document{Version: Version}}
	doc := d.doc

	// Locations.
	doc.Locations = []Location{
		{Name: "Frankfurt DC1", Kind: "SITE", Address: "Hanauer Landstraße 300, 60314 Frankfurt am Main, Germany"},
		{Name: "Building A", Kind: "BUILDING", Parent: "Frankfurt DC1"},
		{Name: "Hall 1", Kind: "ROOM", Parent: "Frankfurt DC1/Building A"},
		{Name: "Amsterdam DC2", Kind: "SITE", Address: "Science Park 610, 1098 XH Amsterdam, Netherlands"},
		{Name: "Building 1", Kind: "BUILDING", Parent: "Amsterdam DC2"},
		{Name: "Room 2.14", Kind: "ROOM", Parent: "Amsterdam DC2/Building 1"},
		{Name: "AWS eu-central-1", Kind: "CLOUD_REGION", Provider: "aws", Region: "eu-central-1"},
	}
	fraRack := func(n int) string { return fmt.Sprintf("Frankfurt DC1/Building A/Hall 1/Rack A%02d", n) }
	amsRack := func(n int) string { return fmt.Sprintf("Amsterdam DC2/Building 1/Room 2.14/Rack R%02d", n) }
	for i := 1; i <= 6; i++ {
		doc.Locations = append(doc.Locations, Location{Name: fmt.Sprintf("Rack A%02d", i), Kind: "RACK", Parent: "Frankfurt DC1/Building A/Hall 1"})
	}
	for i := 1; i <= 4; i++ {
		doc.Locations = append(doc.Locations, Location{Name: fmt.Sprintf("Rack R%02d", i), Kind: "RACK", Parent: "Amsterdam DC2/Building 1/Room 2.14"})
	}
	const aws = "AWS eu-central-1"

	// Owners: teams and the persons in them.
	teams := []struct{ name, slug, lead string }{
		{"Platform Team", "platform", "Anna Schmidt"},
		{"Network Team", "network", "Jan de Vries"},
		{"Storage Team", "storage", "Lukas Weber"},
		{"Database Team", "dba", "Sofia Rossi"},
		{"Payments Team", "payments", "Mehmet Yilmaz"},
		{"Web Team", "web", "Emma Jansen"},
		{"Security Team", "security", "Noah Müller"},
		{"Data Team", "data", "Chloé Martin"},
	}
	persons := map[string][]string{
		"platform": {"Anna Schmidt", "Tom Becker"}, "network": {"Jan de Vries", "Pieter Bakker"},
		"storage": {"Lukas Weber"}, "dba": {"Sofia Rossi", "Kenji Watanabe"}, "payments": {"Mehmet Yilmaz", "Laura Fischer"},
		"web": {"Emma Jansen", "Lucas Dubois"}, "security": {"Noah Müller"}, "data": {"Chloé Martin"},
	}
	for _, t := range teams {
		doc.Owners = append(doc.Owners, Owner{
			Name: t.name, Kind: "TEAM", Email: t.slug + "@example.com",
			OncallContact: "https://oncall.example.com/rota/" + t.slug,
			Escalation:    "page the on-call engineer; after 30 minutes " + t.lead + "; after 60 minutes the duty manager",
			ChatChannel:   "#" + t.slug,
		})
		for _, p := range persons[t.slug] {
			user := strings.ToLower(strings.NewReplacer(" ", ".", "ü", "ue", "é", "e").Replace(p))
			doc.Owners = append(doc.Owners, Owner{Name: p, Kind: "PERSON", Email: user + "@example.com",
				OncallContact: "+49 69 5550 " + fmt.Sprintf("%04d", hashOf(p)%10000), Team: t.name})
		}
	}

	// Vendors.
	doc.Vendors = []Vendor{
		{Name: "Dell Technologies", Website: "https://www.dell.com", SupportEmail: "support@dell.example.com", SupportPhone: "+49 69 9792 0", AccountNumber: "DELL-448812"},
		{Name: "Hewlett Packard Enterprise", Website: "https://www.hpe.com", SupportEmail: "support@hpe.example.com", SupportPhone: "+49 7031 450 0", AccountNumber: "HPE-99120"},
		{Name: "Cisco Systems", Website: "https://www.cisco.com", SupportEmail: "tac@cisco.example.com", SupportPhone: "+49 811 5543 0", AccountNumber: "CCO-77310"},
		{Name: "Juniper Networks", Website: "https://www.juniper.net", SupportEmail: "support@juniper.example.com", AccountNumber: "JNPR-20451"},
		{Name: "NetApp", Website: "https://www.netapp.com", SupportEmail: "support@netapp.example.com", AccountNumber: "NTAP-51007"},
		{Name: "Pure Storage", Website: "https://www.purestorage.com", SupportEmail: "support@purestorage.example.com"},
		{Name: "F5", Website: "https://www.f5.com", SupportEmail: "support@f5.example.com", AccountNumber: "F5-30091"},
		{Name: "Amazon Web Services", Website: "https://aws.amazon.com", AccountNumber: "123456789012", Notes: "Enterprise Support; TAM: aws-tam@example.com"},
		{Name: "VMware", Website: "https://www.vmware.com", SupportEmail: "support@vmware.example.com", AccountNumber: "VMW-88311"},
		{Name: "Red Hat", Website: "https://www.redhat.com", SupportEmail: "support@redhat.example.com", AccountNumber: "RH-1200441"},
		{Name: "Elastic", Website: "https://www.elastic.co", SupportEmail: "support@elastic.example.com"},
	}

	dell := hw{vendor: "Dell Technologies", model: "PowerEdge R750", oui: "d0:94:66", serialPrefix: "", serialLen: 7, cost: "18450.00", life: 60, method: "STRAIGHT_LINE"}
	hpe := hw{vendor: "Hewlett Packard Enterprise", model: "ProLiant DL380 Gen10 Plus", oui: "94:40:c9", serialPrefix: "CZJ", serialLen: 7, cost: "24900.00", life: 60, method: "DOUBLE_DECLINING_BALANCE"}
	nexus := hw{vendor: "Cisco Systems", model: "Nexus 93180YC-FX", oui: "00:1e:bd", serialPrefix: "FDO", serialLen: 8, cost: "31200.00", life: 84, method: "STRAIGHT_LINE"}
	qfx := hw{vendor: "Juniper Networks", model: "QFX5120-48Y", oui: "3c:61:04", serialPrefix: "WS", serialLen: 10, cost: "14800.00", life: 72, method: "SUM_OF_YEARS_DIGITS"}
	srx := hw{vendor: "Juniper Networks", model: "SRX4600", oui: "3c:61:04", serialPrefix: "DB", serialLen: 10, cost: "52600.00", life: 72, method: "STRAIGHT_LINE"}
	asr := hw{vendor: "Cisco Systems", model: "ASR 1001-X", oui: "00:1e:bd", serialPrefix: "FXS", serialLen: 8, cost: "21750.00", life: 84, method: "STRAIGHT_LINE"}
	bigip := hw{vendor: "F5", model: "BIG-IP i5800", oui: "00:94:a1", serialPrefix: "F5-", serialLen: 8, cost: "38900.00", life: 60, method: "DECLINING_BALANCE"}
	netapp := hw{vendor: "NetApp", model: "AFF A400", oui: "00:a0:98", serialPrefix: "7219", serialLen: 8, cost: "96500.00", life: 60, method: "STRAIGHT_LINE"}
	pure := hw{vendor: "Pure Storage", model: "FlashArray//X50", oui: "24:a9:37", serialPrefix: "PCT", serialLen: 9, cost: "128000.00", life: 72, method: "STRAIGHT_LINE"}

	// Frankfurt DC1: network.
	d.hardware("fra1-core-sw01", "NETWORK_DEVICE", "fra1", fraRack(1), "10.10.0.1", "192.168.10.1", nexus, "Network Team", "CRITICAL", day(2022, 3, 14), map[string]any{"role": "core"})
	d.hardware("fra1-core-sw02", "NETWORK_DEVICE", "fra1", fraRack(2), "10.10.0.2", "192.168.10.2", nexus, "Network Team", "CRITICAL", day(2022, 3, 14), map[string]any{"role": "core"})
	d.hardware("fra1-rtr01", "NETWORK_DEVICE", "fra1", fraRack(1), "10.10.0.5", "192.168.10.5", asr, "Network Team", "CRITICAL", day(2021, 9, 1), map[string]any{"role": "edge"})
	d.hardware("fra1-rtr02", "NETWORK_DEVICE", "fra1", fraRack(2), "10.10.0.6", "192.168.10.6", asr, "Network Team", "CRITICAL", day(2021, 9, 1), map[string]any{"role": "edge"})
	d.hardware("fra1-fw01", "NETWORK_DEVICE", "fra1", fraRack(1), "10.10.0.9", "192.168.10.9", srx, "Security Team", "CRITICAL", day(2023, 1, 20), map[string]any{"role": "firewall"})
	d.hardware("fra1-fw02", "NETWORK_DEVICE", "fra1", fraRack(2), "10.10.0.10", "192.168.10.10", srx, "Security Team", "CRITICAL", day(2023, 1, 20), map[string]any{"role": "firewall"})
	for r := 1; r <= 6; r++ {
		d.hardware(fmt.Sprintf("fra1-tor-sw%02d", r), "NETWORK_DEVICE", "fra1", fraRack(r), fmt.Sprintf("10.10.0.%d", 20+r), fmt.Sprintf("192.168.10.%d", 20+r), qfx, "Network Team", "HIGH", day(2022, 5, 2), map[string]any{"role": "top-of-rack"})
	}
	d.hardware("fra1-lb01", "LOAD_BALANCER", "fra1", fraRack(1), "10.10.0.40", "192.168.10.40", bigip, "Network Team", "CRITICAL", day(2023, 6, 5), nil)
	d.hardware("fra1-lb02", "LOAD_BALANCER", "fra1", fraRack(2), "10.10.0.41", "192.168.10.41", bigip, "Network Team", "CRITICAL", day(2023, 6, 5), nil)
	// Frankfurt DC1: storage and servers.
	d.hardware("fra1-nas01", "STORAGE", "fra1", fraRack(3), "10.10.2.10", "192.168.10.110", netapp, "Storage Team", "CRITICAL", day(2022, 11, 7), map[string]any{"capacityTiB": float64(368)})
	d.hardware("fra1-nas02", "STORAGE", "fra1", fraRack(4), "10.10.2.11", "192.168.10.111", netapp, "Storage Team", "HIGH", day(2022, 11, 7), map[string]any{"capacityTiB": float64(368)})
	d.hardware("fra1-san01", "STORAGE", "fra1", fraRack(3), "10.10.2.20", "192.168.10.120", pure, "Storage Team", "CRITICAL", day(2024, 2, 19), map[string]any{"capacityTiB": float64(183)})
	for i := 1; i <= 12; i++ {
		d.hardware(fmt.Sprintf("fra1-esx%02d", i), "SERVER", "fra1", fraRack(3+(i-1)%4), fmt.Sprintf("10.10.1.%d", 10+i), fmt.Sprintf("192.168.11.%d", 10+i), dell, "Platform Team", "HIGH", day(2022+(i-1)/6, time.Month(2+(i-1)%6), 10), map[string]any{"hypervisor": "ESXi 8.0 U2", "cpuCores": float64(64), "memoryGiB": float64(1024)})
	}
	for i := 1; i <= 4; i++ {
		d.hardware(fmt.Sprintf("fra1-db%02d", i), "SERVER", "fra1", fraRack(5+(i-1)%2), fmt.Sprintf("10.10.3.%d", 10+i), fmt.Sprintf("192.168.12.%d", 10+i), hpe, "Database Team", "CRITICAL", day(2023, 4, 3), map[string]any{"os": "Red Hat Enterprise Linux 9.4", "memoryGiB": float64(768)})
	}
	d.hardware("fra1-bkp01", "SERVER", "fra1", fraRack(6), "10.10.2.50", "192.168.12.50", dell, "Storage Team", "MEDIUM", day(2020, 10, 12), map[string]any{"role": "backup", "software": "Bacula 15"})

	// Amsterdam DC2 (disaster recovery).
	d.hardware("ams2-core-sw01", "NETWORK_DEVICE", "ams2", amsRack(1), "10.20.0.1", "192.168.20.1", nexus, "Network Team", "CRITICAL", day(2023, 8, 21), map[string]any{"role": "core"})
	d.hardware("ams2-core-sw02", "NETWORK_DEVICE", "ams2", amsRack(2), "10.20.0.2", "192.168.20.2", nexus, "Network Team", "CRITICAL", day(2023, 8, 21), map[string]any{"role": "core"})
	d.hardware("ams2-fw01", "NETWORK_DEVICE", "ams2", amsRack(1), "10.20.0.9", "192.168.20.9", srx, "Security Team", "HIGH", day(2023, 8, 21), map[string]any{"role": "firewall"})
	for r := 1; r <= 4; r++ {
		d.hardware(fmt.Sprintf("ams2-tor-sw%02d", r), "NETWORK_DEVICE", "ams2", amsRack(r), fmt.Sprintf("10.20.0.%d", 20+r), fmt.Sprintf("192.168.20.%d", 20+r), qfx, "Network Team", "HIGH", day(2023, 8, 21), map[string]any{"role": "top-of-rack"})
	}
	d.hardware("ams2-lb01", "LOAD_BALANCER", "ams2", amsRack(1), "10.20.0.40", "192.168.20.40", bigip, "Network Team", "HIGH", day(2023, 9, 4), nil)
	d.hardware("ams2-nas01", "STORAGE", "ams2", amsRack(3), "10.20.2.10", "192.168.20.110", netapp, "Storage Team", "HIGH", day(2023, 9, 4), map[string]any{"capacityTiB": float64(245)})
	for i := 1; i <= 6; i++ {
		d.hardware(fmt.Sprintf("ams2-esx%02d", i), "SERVER", "ams2", amsRack(2+(i-1)%3), fmt.Sprintf("10.20.1.%d", 10+i), fmt.Sprintf("192.168.21.%d", 10+i), dell, "Platform Team", "MEDIUM", day(2023, 9, 11), map[string]any{"hypervisor": "ESXi 8.0 U2", "cpuCores": float64(48), "memoryGiB": float64(768)})
	}
	for i := 1; i <= 2; i++ {
		d.hardware(fmt.Sprintf("ams2-db%02d", i), "SERVER", "ams2", amsRack(4), fmt.Sprintf("10.20.3.%d", 10+i), fmt.Sprintf("192.168.22.%d", 10+i), hpe, "Database Team", "HIGH", day(2023, 9, 11), map[string]any{"os": "Red Hat Enterprise Linux 9.4"})
	}
	d.hardware("ams2-bkp01", "SERVER", "ams2", amsRack(4), "10.20.2.50", "192.168.22.50", dell, "Storage Team", "MEDIUM", day(2021, 2, 8), map[string]any{"role": "backup"})

	// Clusters.
	d.ci(CI{Name: "fra1-vsphere-prod", Kind: "CLUSTER", Status: "ACTIVE", Environment: "PRODUCTION", Criticality: "CRITICAL", Owner: "Platform Team", Vendor: "VMware", Location: "Frankfurt DC1", Description: "vSphere production cluster, 12 hosts, DRS and HA enabled", Tags: []string{"fra1", "vsphere"}})
	d.ci(CI{Name: "ams2-vsphere-dr", Kind: "CLUSTER", Status: "ACTIVE", Environment: "DR", Criticality: "HIGH", Owner: "Platform Team", Vendor: "VMware", Location: "Amsterdam DC2", Description: "vSphere disaster-recovery cluster", Tags: []string{"ams2", "vsphere"}})
	d.ci(CI{Name: "fra1-k8s-prod", Kind: "CLUSTER", Status: "ACTIVE", Environment: "PRODUCTION", Criticality: "CRITICAL", Owner: "Platform Team", Vendor: "Red Hat", Location: "Frankfurt DC1", Description: "OpenShift 4.15 production cluster", FQDN: "api.k8s-prod.fra1.example.com", Tags: []string{"fra1", "kubernetes"}})

	// Frankfurt VMs.
	type vmGroup struct {
		prefix        string
		n             int
		subnet        string
		owner, crit   string
		tags          []string
		v6            bool
		startHostByte int
	}
	groups := []vmGroup{
		{"fra1-web", 8, "10.10.20", "Web Team", "HIGH", []string{"web", "nginx"}, true, 10},
		{"fra1-app", 8, "10.10.21", "Payments Team", "CRITICAL", []string{"app", "java"}, false, 10},
		{"fra1-k8s-node", 6, "10.10.22", "Platform Team", "CRITICAL", []string{"kubernetes"}, false, 10},
		{"fra1-mq", 3, "10.10.23", "Platform Team", "HIGH", []string{"rabbitmq"}, false, 10},
		{"fra1-cache", 3, "10.10.23", "Platform Team", "HIGH", []string{"redis"}, false, 20},
		{"fra1-mon", 2, "10.10.24", "Platform Team", "MEDIUM", []string{"prometheus"}, false, 10},
		{"fra1-log", 3, "10.10.24", "Data Team", "MEDIUM", []string{"elasticsearch"}, false, 20},
		{"fra1-ldap", 2, "10.10.25", "Security Team", "HIGH", []string{"ldap"}, false, 10},
		{"fra1-search", 2, "10.10.25", "Web Team", "MEDIUM", []string{"opensearch"}, false, 20},
		{"fra1-kafka", 3, "10.10.27", "Data Team", "HIGH", []string{"kafka"}, false, 10},
		{"fra1-vault", 3, "10.10.28", "Security Team", "CRITICAL", []string{"vault"}, false, 10},
		{"fra1-proxy", 2, "10.10.29", "Network Team", "HIGH", []string{"squid"}, true, 10},
		{"fra1-etl", 3, "10.10.30", "Data Team", "LOW", []string{"airflow"}, false, 10},
	}
	var fraVMs []string
	for _, g := range groups {
		for i := 1; i <= g.n; i++ {
			name := fmt.Sprintf("%s%02d", g.prefix, i)
			d.vm(name, "fra1", fmt.Sprintf("%s.%d", g.subnet, g.startHostByte+i), g.owner, "PRODUCTION", g.crit, g.tags...)
			if g.v6 {
				c := &d.doc.ConfigurationItems[len(d.doc.ConfigurationItems)-1]
				c.Identifiers = append(c.Identifiers, Identifier{Kind: "IP", Value: fmt.Sprintf("2001:db8:10:20::%x", g.startHostByte+i), Source: "record"})
			}
			fraVMs = append(fraVMs, name)
		}
	}
	d.vm("fra1-jump01", "fra1", "10.10.25.100", "Security Team", "PRODUCTION", "MEDIUM", "bastion")
	d.vm("fra1-ci01", "fra1", "10.10.26.10", "Platform Team", "SHARED", "LOW", "jenkins")
	d.vm("fra1-stg-web01", "fra1", "10.10.40.11", "Web Team", "STAGING", "LOW", "web")
	d.vm("fra1-stg-app01", "fra1", "10.10.40.21", "Payments Team", "STAGING", "LOW", "app")
	d.vm("fra1-dev-app01", "fra1", "10.10.50.21", "Payments Team", "DEVELOPMENT", "LOW", "app")
	d.vm("fra1-stg-web02", "fra1", "10.10.40.12", "Web Team", "STAGING", "LOW", "web")
	d.vm("fra1-stg-app02", "fra1", "10.10.40.22", "Payments Team", "STAGING", "LOW", "app")
	d.vm("fra1-stg-pg01", "fra1", "10.10.40.31", "Database Team", "STAGING", "LOW", "postgresql")
	d.vm("fra1-stg-mq01", "fra1", "10.10.40.41", "Platform Team", "STAGING", "LOW", "rabbitmq")
	d.vm("fra1-dev-web01", "fra1", "10.10.50.11", "Web Team", "DEVELOPMENT", "LOW", "web")
	d.vm("fra1-dev-pg01", "fra1", "10.10.50.31", "Database Team", "TEST", "LOW", "postgresql")
	fraVMs = append(fraVMs, "fra1-jump01", "fra1-ci01", "fra1-stg-web01", "fra1-stg-app01", "fra1-dev-app01",
		"fra1-stg-web02", "fra1-stg-app02", "fra1-stg-pg01", "fra1-stg-mq01", "fra1-dev-web01", "fra1-dev-pg01")

	// Amsterdam VMs (warm standby).
	var amsVMs []string
	for _, g := range []vmGroup{
		{"ams2-web", 4, "10.20.20", "Web Team", "MEDIUM", []string{"web", "nginx"}, false, 10},
		{"ams2-app", 4, "10.20.21", "Payments Team", "HIGH", []string{"app", "java"}, false, 10},
		{"ams2-mq", 2, "10.20.23", "Platform Team", "MEDIUM", []string{"rabbitmq"}, false, 10},
		{"ams2-mon", 1, "10.20.24", "Platform Team", "LOW", []string{"prometheus"}, false, 10},
		{"ams2-ldap", 1, "10.20.25", "Security Team", "MEDIUM", []string{"ldap"}, false, 10},
		{"ams2-cache", 2, "10.20.23", "Platform Team", "MEDIUM", []string{"redis"}, false, 20},
		{"ams2-vault", 2, "10.20.28", "Security Team", "HIGH", []string{"vault"}, false, 10},
	} {
		for i := 1; i <= g.n; i++ {
			name := fmt.Sprintf("%s%02d", g.prefix, i)
			d.vm(name, "ams2", fmt.Sprintf("%s.%d", g.subnet, g.startHostByte+i), g.owner, "DR", g.crit, g.tags...)
			amsVMs = append(amsVMs, name)
		}
	}

	// Databases (instances; they run on the database servers).
	dbs := []struct{ name, engine, version, host, owner, crit, env string }{
		{"pg-payments-fra", "postgresql", "16.4", "fra1-db01", "Database Team", "CRITICAL", "PRODUCTION"},
		{"pg-payments-fra-replica", "postgresql", "16.4", "fra1-db02", "Database Team", "CRITICAL", "PRODUCTION"},
		{"pg-payments-ams", "postgresql", "16.4", "ams2-db01", "Database Team", "HIGH", "DR"},
		{"pg-orders-fra", "postgresql", "15.8", "fra1-db03", "Database Team", "HIGH", "PRODUCTION"},
		{"pg-orders-ams", "postgresql", "15.8", "ams2-db02", "Database Team", "MEDIUM", "DR"},
		{"mysql-cms-fra", "mysql", "8.0.39", "fra1-db04", "Web Team", "MEDIUM", "PRODUCTION"},
		{"pg-identity-fra", "postgresql", "16.4", "fra1-db03", "Security Team", "CRITICAL", "PRODUCTION"},
		{"pg-reporting-fra", "postgresql", "16.4", "fra1-db04", "Data Team", "LOW", "PRODUCTION"},
	}
	for _, x := range dbs {
		site := x.host[:4]
		domain := map[string]string{"fra1": "fra1.example.com", "ams2": "ams2.example.net"}[site]
		d.ci(CI{Name: x.name, Kind: "DATABASE", Status: "ACTIVE", Environment: x.env, Criticality: x.crit,
			FQDN: x.name + ".db." + domain, Owner: x.owner,
			Attributes: map[string]any{"engine": x.engine, "version": x.version, "port": float64(map[string]int{"postgresql": 5432, "mysql": 3306}[x.engine])},
			Tags:       []string{site, x.engine}})
		d.rel(x.name, "RUNS_ON", x.host)
	}
	d.rel("pg-payments-fra", "REPLICATES_TO", "pg-payments-fra-replica")
	d.rel("pg-payments-fra", "REPLICATES_TO", "pg-payments-ams")
	d.rel("pg-orders-fra", "REPLICATES_TO", "pg-orders-ams")
	for _, x := range []string{"pg-payments-fra", "pg-orders-fra", "mysql-cms-fra", "pg-identity-fra", "pg-reporting-fra"} {
		d.rel(x, "BACKS_UP_TO", "fra1-bkp01")
	}
	d.rel("fra1-bkp01", "BACKS_UP_TO", "ams2-bkp01")
	d.rel("pg-payments-ams", "BACKS_UP_TO", "ams2-bkp01")

	// AWS eu-central-1.
	awsCI := func(name, kind, id, owner, crit string, tags []string, attrs map[string]any, more ...Identifier) {
		ids := append([]Identifier{{Kind: "CLOUD_ID", Value: id, Source: "record"}}, more...)
		d.ci(CI{Name: name, Kind: kind, Status: "ACTIVE", Environment: "PRODUCTION", Criticality: crit, Owner: owner,
			Vendor: "Amazon Web Services", Location: aws, Tags: append([]string{"aws"}, tags...), Attributes: attrs, Identifiers: ids})
	}
	const acct = "123456789012"
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("euc1-web%02d", i)
		id := fmt.Sprintf("i-0%016x", hashOf(name)&0xffffffffffffff)
		awsCI(name, "CLOUD_RESOURCE", id, "Web Team", "HIGH", []string{"ec2", "web"},
			map[string]any{"instanceType": "m7i.large", "ami": "ami-0c1b2a3d4e5f60718"},
			Identifier{Kind: "IP", Value: fmt.Sprintf("10.50.1.%d", 10+i), Source: "record"})
		c := &d.doc.ConfigurationItems[len(d.doc.ConfigurationItems)-1]
		c.Hostname = name
		c.FQDN = name + ".euc1.example.com"
	}
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("euc1-worker%02d", i)
		id := fmt.Sprintf("i-0%016x", hashOf(name)&0xffffffffffffff)
		awsCI(name, "CLOUD_RESOURCE", id, "Data Team", "MEDIUM", []string{"ec2", "batch"},
			map[string]any{"instanceType": "c7i.2xlarge"}, Identifier{Kind: "IP", Value: fmt.Sprintf("10.50.2.%d", 10+i), Source: "record"})
		c := &d.doc.ConfigurationItems[len(d.doc.ConfigurationItems)-1]
		c.Hostname = name
		c.FQDN = name + ".euc1.example.com"
	}
	awsCI("euc1-eks-prod", "CLUSTER", "arn:aws:eks:eu-central-1:"+acct+":cluster/eks-prod", "Platform Team", "HIGH", []string{"eks"}, map[string]any{"version": "1.30"})
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("euc1-eks-node%02d", i)
		awsCI(name, "CLOUD_RESOURCE", fmt.Sprintf("i-0%016x", hashOf(name)&0xffffffffffffff), "Platform Team", "HIGH", []string{"ec2", "eks"},
			map[string]any{"instanceType": "m7g.xlarge"}, Identifier{Kind: "IP", Value: fmt.Sprintf("10.50.3.%d", 10+i), Source: "record"})
	}
	awsCI("euc1-alb-web", "LOAD_BALANCER", "arn:aws:elasticloadbalancing:eu-central-1:"+acct+":loadbalancer/app/alb-web/50dc6c495c0c9188", "Web Team", "HIGH", []string{"alb"}, nil)
	awsCI("euc1-rds-search", "DATABASE", "arn:aws:rds:eu-central-1:"+acct+":db:rds-search", "Web Team", "MEDIUM", []string{"rds"}, map[string]any{"engine": "postgresql", "version": "16.3", "instanceClass": "db.r7g.large"})
	awsCI("euc1-rds-analytics", "DATABASE", "arn:aws:rds:eu-central-1:"+acct+":db:rds-analytics", "Data Team", "LOW", []string{"rds"}, map[string]any{"engine": "postgresql", "version": "16.3"})
	for _, b := range []struct{ name, owner, crit string }{
		{"s3-backups-euc1", "Storage Team", "HIGH"}, {"s3-static-assets", "Web Team", "MEDIUM"},
		{"s3-data-lake", "Data Team", "MEDIUM"}, {"s3-logs-archive", "Security Team", "LOW"},
	} {
		awsCI(b.name, "CLOUD_RESOURCE", "arn:aws:s3:::"+b.name, b.owner, b.crit, []string{"s3"}, map[string]any{"versioning": true})
	}
	awsCI("sqs-notifications", "CLOUD_RESOURCE", "arn:aws:sqs:eu-central-1:"+acct+":notifications", "Web Team", "MEDIUM", []string{"sqs"}, nil)
	awsCI("lambda-thumbnailer", "CLOUD_RESOURCE", "arn:aws:lambda:eu-central-1:"+acct+":function:thumbnailer", "Web Team", "LOW", []string{"lambda"}, map[string]any{"runtime": "python3.12"})
	awsCI("cloudfront-www", "CLOUD_RESOURCE", "arn:aws:cloudfront::"+acct+":distribution/E2QWRUHAPOMQZL", "Web Team", "HIGH", []string{"cloudfront"}, nil)
	awsCI("euc1-vpc-prod", "CLOUD_RESOURCE", "vpc-0a1b2c3d4e5f67890", "Network Team", "CRITICAL", []string{"vpc"}, map[string]any{"cidr": "10.50.0.0/16"})
	awsCI("euc1-tgw", "NETWORK_DEVICE", "tgw-0f1e2d3c4b5a69788", "Network Team", "CRITICAL", []string{"transit-gateway"}, nil)

	// Applications and the containers they run in.
	apps := []struct{ name, owner, crit, desc string }{
		{"payments-api", "Payments Team", "CRITICAL", "card and SEPA payment processing"},
		{"checkout-web", "Web Team", "CRITICAL", "checkout front end"},
		{"orders-service", "Payments Team", "HIGH", "order management"},
		{"inventory-service", "Payments Team", "HIGH", "stock levels and reservations"},
		{"customer-portal", "Web Team", "HIGH", "customer self-service portal"},
		{"auth-service", "Security Team", "CRITICAL", "OAuth2 / OIDC identity provider"},
		{"search-service", "Web Team", "MEDIUM", "product search"},
		{"notification-service", "Web Team", "MEDIUM", "e-mail, SMS and push notifications"},
		{"reporting", "Data Team", "LOW", "finance and sales reporting"},
		{"cms", "Web Team", "MEDIUM", "content management"},
		{"prometheus", "Platform Team", "HIGH", "metrics and alerting"},
		{"elk-logging", "Data Team", "MEDIUM", "central logging"},
		{"image-pipeline", "Web Team", "LOW", "image resizing"},
	}
	for _, a := range apps {
		d.ci(CI{Name: a.name, Kind: "APPLICATION", Status: "ACTIVE", Environment: "PRODUCTION", Criticality: a.crit,
			Owner: a.owner, Description: a.desc, Tags: []string{"app"}})
	}
	containers := []struct{ app, node string }{
		{"payments-api", "fra1-k8s-node01"}, {"payments-api", "fra1-k8s-node02"}, {"payments-api", "fra1-k8s-node03"},
		{"orders-service", "fra1-k8s-node02"}, {"orders-service", "fra1-k8s-node04"},
		{"inventory-service", "fra1-k8s-node03"}, {"inventory-service", "fra1-k8s-node05"},
		{"auth-service", "fra1-k8s-node01"}, {"auth-service", "fra1-k8s-node06"},
		{"notification-service", "fra1-k8s-node04"}, {"customer-portal", "fra1-k8s-node05"},
		{"search-service", "euc1-eks-node01"}, {"search-service", "euc1-eks-node02"}, {"image-pipeline", "euc1-eks-node03"},
		{"payments-api", "fra1-k8s-node04"}, {"payments-api", "fra1-k8s-node05"}, {"checkout-web", "fra1-k8s-node06"},
		{"checkout-web", "fra1-k8s-node01"}, {"customer-portal", "fra1-k8s-node02"}, {"notification-service", "fra1-k8s-node03"},
		{"orders-service", "fra1-k8s-node06"}, {"image-pipeline", "euc1-eks-node01"},
	}
	for i, c := range containers {
		name := fmt.Sprintf("%s-%s", c.app, fmt.Sprintf("%x", hashOf(fmt.Sprint(i, c.app))&0xfffff))
		d.ci(CI{Name: name, Kind: "CONTAINER", Status: "ACTIVE", Environment: "PRODUCTION", Criticality: "HIGH",
			Owner: "Platform Team", Tags: []string{"kubernetes", c.app},
			Attributes:  map[string]any{"image": "registry.example.com/" + c.app + ":2026.11." + fmt.Sprint(1+i%5), "namespace": strings.SplitN(c.app, "-", 2)[0]},
			Identifiers: []Identifier{{Kind: "UUID", Value: uuidFor(name), Source: "discovery:k8s-prod"}}})
		d.rel(c.app, "RUNS_ON", name)
		d.rel(name, "RUNS_ON", c.node)
	}

	// The dependency graph.
	for i := 1; i <= 12; i++ {
		host := fmt.Sprintf("fra1-esx%02d", i)
		d.rel(host, "MEMBER_OF", "fra1-vsphere-prod")
		d.rel(host, "CONNECTS_TO", fmt.Sprintf("fra1-tor-sw%02d", 3+(i-1)%4))
		d.rel(host, "USES", "fra1-san01")
	}
	for i := 1; i <= 4; i++ {
		d.rel(fmt.Sprintf("fra1-db%02d", i), "CONNECTS_TO", fmt.Sprintf("fra1-tor-sw%02d", 5+(i-1)%2))
		d.rel(fmt.Sprintf("fra1-db%02d", i), "USES", "fra1-nas01")
	}
	d.rel("fra1-bkp01", "CONNECTS_TO", "fra1-tor-sw06")
	d.rel("fra1-bkp01", "USES", "fra1-nas02")
	for r := 1; r <= 6; r++ {
		d.rel(fmt.Sprintf("fra1-tor-sw%02d", r), "CONNECTS_TO", "fra1-core-sw01")
		d.rel(fmt.Sprintf("fra1-tor-sw%02d", r), "CONNECTS_TO", "fra1-core-sw02")
	}
	d.rel("fra1-core-sw01", "CONNECTS_TO", "fra1-core-sw02")
	d.rel("fra1-core-sw02", "CONNECTS_TO", "fra1-core-sw01")
	for _, sw := range []string{"fra1-core-sw01", "fra1-core-sw02"} {
		d.rel(sw, "CONNECTS_TO", "fra1-fw01")
		d.rel(sw, "CONNECTS_TO", "fra1-fw02")
	}
	d.rel("fra1-fw01", "CONNECTS_TO", "fra1-rtr01")
	d.rel("fra1-fw02", "CONNECTS_TO", "fra1-rtr02")
	for _, x := range []string{"fra1-nas01", "fra1-nas02", "fra1-san01", "fra1-lb01", "fra1-lb02"} {
		d.rel(x, "CONNECTS_TO", "fra1-core-sw01")
		d.rel(x, "CONNECTS_TO", "fra1-core-sw02")
	}
	for i := 1; i <= 6; i++ {
		host := fmt.Sprintf("ams2-esx%02d", i)
		d.rel(host, "MEMBER_OF", "ams2-vsphere-dr")
		d.rel(host, "CONNECTS_TO", fmt.Sprintf("ams2-tor-sw%02d", 2+(i-1)%3))
		d.rel(host, "USES", "ams2-nas01")
	}
	for i := 1; i <= 2; i++ {
		d.rel(fmt.Sprintf("ams2-db%02d", i), "CONNECTS_TO", "ams2-tor-sw04")
	}
	d.rel("ams2-bkp01", "CONNECTS_TO", "ams2-tor-sw04")
	for r := 1; r <= 4; r++ {
		d.rel(fmt.Sprintf("ams2-tor-sw%02d", r), "CONNECTS_TO", "ams2-core-sw01")
		d.rel(fmt.Sprintf("ams2-tor-sw%02d", r), "CONNECTS_TO", "ams2-core-sw02")
	}
	d.rel("ams2-core-sw01", "CONNECTS_TO", "ams2-fw01")
	d.rel("ams2-core-sw02", "CONNECTS_TO", "ams2-fw01")
	d.rel("ams2-nas01", "CONNECTS_TO", "ams2-core-sw01")
	d.rel("ams2-lb01", "CONNECTS_TO", "ams2-core-sw01")
	d.rel("ams2-fw01", "CONNECTS_TO", "fra1-rtr01") // DCI link
	d.rel("ams2-nas01", "REPLICATES_TO", "fra1-nas01")
	d.rel("fra1-nas01", "REPLICATES_TO", "ams2-nas01")
	for i, vm := range fraVMs {
		d.rel(vm, "HOSTED_ON", fmt.Sprintf("fra1-esx%02d", 1+i%12))
	}
	for i, vm := range amsVMs {
		d.rel(vm, "HOSTED_ON", fmt.Sprintf("ams2-esx%02d", 1+i%6))
	}
	for i := 1; i <= 6; i++ {
		d.rel(fmt.Sprintf("fra1-k8s-node%02d", i), "MEMBER_OF", "fra1-k8s-prod")
	}
	for i := 1; i <= 3; i++ {
		d.rel(fmt.Sprintf("euc1-eks-node%02d", i), "MEMBER_OF", "euc1-eks-prod")
	}
	for i := 1; i <= 8; i++ {
		d.rel("fra1-lb01", "USES", fmt.Sprintf("fra1-web%02d", i))
		d.rel(fmt.Sprintf("fra1-web%02d", i), "DEPENDS_ON", fmt.Sprintf("fra1-app%02d", 1+(i-1)%8))
	}
	d.rel("fra1-lb02", "USES", "fra1-web01")
	d.rel("fra1-lb02", "USES", "fra1-web02")
	for i := 1; i <= 4; i++ {
		d.rel("ams2-lb01", "USES", fmt.Sprintf("ams2-web%02d", i))
	}
	d.rel("checkout-web", "RUNS_ON", "fra1-web01")
	d.rel("checkout-web", "RUNS_ON", "fra1-web02")
	d.rel("checkout-web", "DEPENDS_ON", "fra1-lb01")
	d.rel("checkout-web", "USES", "payments-api")
	d.rel("checkout-web", "USES", "orders-service")
	d.rel("checkout-web", "USES", "auth-service")
	d.rel("checkout-web", "USES", "cloudfront-www")
	d.rel("customer-portal", "USES", "auth-service")
	d.rel("customer-portal", "USES", "orders-service")
	d.rel("payments-api", "USES", "pg-payments-fra")
	d.rel("payments-api", "USES", "fra1-mq01")
	d.rel("payments-api", "USES", "fra1-cache01")
	d.rel("orders-service", "USES", "pg-orders-fra")
	d.rel("orders-service", "USES", "fra1-mq02")
	d.rel("orders-service", "USES", "inventory-service")
	d.rel("inventory-service", "USES", "pg-orders-fra")
	d.rel("inventory-service", "USES", "fra1-cache02")
	d.rel("auth-service", "USES", "pg-identity-fra")
	d.rel("auth-service", "USES", "fra1-ldap01")
	d.rel("auth-service", "USES", "fra1-ldap02")
	d.rel("search-service", "USES", "euc1-rds-search")
	d.rel("search-service", "USES", "fra1-search01")
	d.rel("notification-service", "USES", "sqs-notifications")
	d.rel("notification-service", "USES", "fra1-mq03")
	d.rel("reporting", "USES", "pg-reporting-fra")
	d.rel("reporting", "USES", "euc1-rds-analytics")
	d.rel("reporting", "RUNS_ON", "euc1-worker01")
	d.rel("reporting", "RUNS_ON", "euc1-worker02")
	d.rel("reporting", "USES", "s3-data-lake")
	d.rel("cms", "USES", "mysql-cms-fra")
	d.rel("cms", "RUNS_ON", "fra1-web03")
	d.rel("cms", "USES", "s3-static-assets")
	d.rel("prometheus", "RUNS_ON", "fra1-mon01")
	d.rel("prometheus", "RUNS_ON", "fra1-mon02")
	d.rel("elk-logging", "RUNS_ON", "fra1-log01")
	d.rel("elk-logging", "RUNS_ON", "fra1-log02")
	d.rel("elk-logging", "RUNS_ON", "fra1-log03")
	d.rel("elk-logging", "BACKS_UP_TO", "s3-logs-archive")
	d.rel("image-pipeline", "USES", "lambda-thumbnailer")
	d.rel("image-pipeline", "USES", "s3-static-assets")
	d.rel("cloudfront-www", "DEPENDS_ON", "euc1-alb-web")
	for i := 1; i <= 6; i++ {
		d.rel("euc1-alb-web", "USES", fmt.Sprintf("euc1-web%02d", i))
		d.rel(fmt.Sprintf("euc1-web%02d", i), "DEPENDS_ON", "euc1-vpc-prod")
	}
	d.rel("euc1-vpc-prod", "CONNECTS_TO", "euc1-tgw")
	d.rel("euc1-tgw", "CONNECTS_TO", "fra1-rtr01")
	d.rel("euc1-tgw", "CONNECTS_TO", "fra1-rtr02")
	d.rel("fra1-bkp01", "BACKS_UP_TO", "s3-backups-euc1")

	// Services.
	svc := func(name, desc string, tier int, slo float64, rto, rpo int, owner string, deps []string, members []string) {
		doc.Services = append(doc.Services, Service{Name: name, Description: desc, Tier: ptr(tier), SLOTarget: ptr(slo),
			RTOMinutes: ptr(rto), RPOMinutes: ptr(rpo), RunbookURL: "https://runbooks.example.com/" + strings.ToLower(strings.NewReplacer(" ", "-", "&", "and").Replace(name)),
			Owner: owner, DependsOn: deps, Members: members})
	}
	appContainers := func(app string) []string {
		var out []string
		for _, c := range d.doc.ConfigurationItems {
			if c.Kind == "CONTAINER" && len(c.Tags) == 2 && c.Tags[1] == app {
				out = append(out, c.Name)
			}
		}
		return out
	}
	seq := func(prefix string, n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("%s%02d", prefix, i))
		}
		return out
	}
	svc("Core Network", "data-centre and inter-site network", 0, 99.99, 15, 0, "Network Team", nil,
		append(append(seq("fra1-core-sw", 2), "fra1-rtr01", "fra1-rtr02", "fra1-fw01", "fra1-fw02", "ams2-core-sw01", "ams2-core-sw02", "ams2-fw01", "euc1-tgw", "euc1-vpc-prod"), seq("fra1-tor-sw", 6)...))
	svc("Storage Platform", "block, file and backup storage", 0, 99.99, 30, 5, "Storage Team", []string{"Core Network"},
		[]string{"fra1-nas01", "fra1-nas02", "fra1-san01", "ams2-nas01", "fra1-bkp01", "ams2-bkp01", "s3-backups-euc1"})
	svc("Kubernetes Platform", "OpenShift and EKS clusters", 1, 99.95, 30, 15, "Platform Team", []string{"Core Network", "Storage Platform"},
		append(append([]string{"fra1-k8s-prod", "euc1-eks-prod"}, seq("fra1-k8s-node", 6)...), seq("euc1-eks-node", 3)...))
	svc("Virtualisation", "vSphere clusters", 0, 99.95, 60, 15, "Platform Team", []string{"Core Network", "Storage Platform"},
		append(append([]string{"fra1-vsphere-prod", "ams2-vsphere-dr"}, seq("fra1-esx", 12)...), seq("ams2-esx", 6)...))
	svc("Identity & Auth", "single sign-on for customers and staff", 0, 99.99, 15, 1, "Security Team", []string{"Kubernetes Platform", "Core Network"},
		append([]string{"auth-service", "pg-identity-fra", "fra1-ldap01", "fra1-ldap02", "ams2-ldap01"}, appContainers("auth-service")...))
	svc("Payments", "card and SEPA payments", 0, 99.99, 15, 0, "Payments Team", []string{"Identity & Auth", "Kubernetes Platform", "Storage Platform"},
		append([]string{"payments-api", "pg-payments-fra", "pg-payments-fra-replica", "pg-payments-ams", "fra1-mq01", "fra1-cache01"}, appContainers("payments-api")...))
	svc("Orders", "order management", 1, 99.95, 30, 5, "Payments Team", []string{"Payments", "Inventory", "Kubernetes Platform"},
		append([]string{"orders-service", "pg-orders-fra", "pg-orders-ams", "fra1-mq02"}, appContainers("orders-service")...))
	svc("Inventory", "stock and reservations", 1, 99.9, 60, 15, "Payments Team", []string{"Kubernetes Platform"},
		append([]string{"inventory-service", "fra1-cache02"}, appContainers("inventory-service")...))
	svc("Checkout", "the web shop checkout", 0, 99.99, 15, 5, "Web Team", []string{"Payments", "Orders", "Identity & Auth", "Core Network"},
		append(append([]string{"checkout-web", "fra1-lb01", "fra1-lb02", "cloudfront-www", "euc1-alb-web"}, seq("fra1-web", 8)...), seq("euc1-web", 6)...))
	svc("Customer Portal", "self-service for customers", 2, 99.9, 120, 60, "Web Team", []string{"Identity & Auth", "Orders"},
		append([]string{"customer-portal"}, appContainers("customer-portal")...))
	svc("Search", "product search", 2, 99.5, 240, 60, "Web Team", []string{"Kubernetes Platform"},
		append([]string{"search-service", "euc1-rds-search", "fra1-search01", "fra1-search02"}, appContainers("search-service")...))
	svc("Notifications", "e-mail, SMS and push", 2, 99.5, 240, 60, "Web Team", []string{"Kubernetes Platform"},
		append([]string{"notification-service", "sqs-notifications", "fra1-mq03"}, appContainers("notification-service")...))
	svc("Reporting", "finance and sales reporting", 3, 99, 1440, 240, "Data Team", []string{"Orders", "Payments"},
		append([]string{"reporting", "pg-reporting-fra", "euc1-rds-analytics", "s3-data-lake"}, seq("euc1-worker", 4)...))
	svc("Content Management", "editorial content for the web shop", 2, 99.5, 480, 60, "Web Team", []string{"Storage Platform"},
		[]string{"cms", "mysql-cms-fra", "s3-static-assets", "image-pipeline", "lambda-thumbnailer"})
	svc("Observability", "metrics, logs and alerting", 1, 99.9, 60, 15, "Platform Team", []string{"Virtualisation", "Storage Platform"},
		append(append([]string{"prometheus", "elk-logging", "s3-logs-archive", "ams2-mon01"}, seq("fra1-mon", 2)...), seq("fra1-log", 3)...))

	// Contracts of every kind, relative to demoToday (2026-11-23): some
	// expire within 90 days, some have ended, some start later.
	contract := func(num, vendor, name, kind string, start, end *time.Time, cost string, sla *int, notice int, auto bool, covers []string) {
		contact := "facilities@example.com"
		if vendor != "" {
			contact = strings.ToLower(strings.Fields(vendor)[0]) + "-support@example.com"
		}
		doc.Contracts = append(doc.Contracts, Contract{Number: num, Vendor: vendor, Name: name, Kind: kind, StartDate: start, EndDate: end,
			Cost: cost, Currency: "EUR", SLAResponseMinutes: sla, SupportContact: contact,
			NoticePeriodDays: ptr(notice), AutoRenew: ptr(auto), Covers: covers})
	}
	contract("DELL-PS-2022-0117", "Dell Technologies", "ProSupport Plus 4h, Frankfurt ESXi hosts", "SUPPORT", day(2022, 2, 1), day(2027, 1, 31), "42600.00", ptr(240), 60, false, append(seq("fra1-esx", 12), "fra1-bkp01"))
	contract("DELL-PS-2023-0904", "Dell Technologies", "ProSupport NBD, Amsterdam", "SUPPORT", day(2023, 9, 1), day(2028, 8, 31), "16800.00", ptr(1440), 90, true, append(seq("ams2-esx", 6), "ams2-bkp01"))
	contract("SNTC-88451230", "Cisco Systems", "SmartNet 24x7x4 core and edge", "SUPPORT", day(2025, 1, 1), day(2026, 12, 31), "27400.00", ptr(240), 30, true, []string{"fra1-core-sw01", "fra1-core-sw02", "fra1-rtr01", "fra1-rtr02", "ams2-core-sw01", "ams2-core-sw02"})
	contract("JNPR-CS-55012", "Juniper Networks", "Care Core Plus", "SUPPORT", day(2024, 6, 1), day(2027, 5, 31), "19900.00", ptr(480), 60, false, append(append(seq("fra1-tor-sw", 6), seq("ams2-tor-sw", 4)...), "fra1-fw01", "fra1-fw02", "ams2-fw01"))
	contract("HPE-WTY-CZJ2023", "Hewlett Packard Enterprise", "3-year warranty, database servers", "WARRANTY", day(2023, 4, 3), day(2026, 4, 2), "0.00", ptr(1440), 0, false, append(seq("fra1-db", 4), seq("ams2-db", 2)...))
	contract("HPE-FC-2026-0402", "Hewlett Packard Enterprise", "Foundation Care 24x7 extension", "SUPPORT", day(2026, 4, 3), day(2029, 4, 2), "21300.00", ptr(240), 90, false, append(seq("fra1-db", 4), seq("ams2-db", 2)...))
	contract("NTAP-SE-7733", "NetApp", "SupportEdge Premium", "MAINTENANCE", day(2023, 1, 1), day(2027, 2, 14), "34500.00", ptr(120), 90, true, []string{"fra1-nas01", "fra1-nas02", "ams2-nas01"})
	contract("PURE-EG-2024-19", "Pure Storage", "Evergreen//Gold", "SUBSCRIPTION", day(2024, 2, 19), day(2027, 2, 18), "61200.00", ptr(60), 60, true, []string{"fra1-san01"})
	contract("F5-LEASE-2023-06", "F5", "BIG-IP hardware lease", "LEASE", day(2023, 6, 1), day(2028, 5, 31), "88000.00", ptr(240), 180, false, []string{"fra1-lb01", "fra1-lb02", "ams2-lb01"})
	contract("VMW-VCF-2025", "VMware", "VMware Cloud Foundation, 1,792 cores", "LICENSE", day(2025, 1, 1), day(2027, 12, 31), "214000.00", nil, 90, false, []string{"fra1-vsphere-prod", "ams2-vsphere-dr"})
	contract("VMW-VSPHERE-2020", "VMware", "vSphere Enterprise Plus (perpetual, support ended)", "LICENSE", day(2020, 1, 1), day(2024, 12, 31), "96000.00", nil, 0, false, []string{"fra1-vsphere-prod"})
	contract("RH-OCP-2026", "Red Hat", "OpenShift Platform Plus", "SUBSCRIPTION", day(2026, 1, 1), day(2026, 12, 31), "148000.00", ptr(60), 60, true, append([]string{"fra1-k8s-prod"}, seq("fra1-k8s-node", 6)...))
	contract("RH-RHEL-2027", "Red Hat", "RHEL renewal (signed, starts next year)", "SUBSCRIPTION", day(2027, 1, 1), day(2029, 12, 31), "36000.00", ptr(240), 90, false, append(seq("fra1-db", 4), seq("ams2-db", 2)...))
	contract("AWS-ES-123456789012", "Amazon Web Services", "AWS Enterprise Support", "SUBSCRIPTION", day(2025, 3, 1), day(2027, 2, 28), "180000.00", ptr(15), 30, true, []string{"euc1-eks-prod", "euc1-rds-search", "euc1-rds-analytics", "euc1-alb-web", "euc1-vpc-prod", "euc1-tgw"})
	contract("ELASTIC-2024-331", "Elastic", "Elastic Platinum", "SUBSCRIPTION", day(2024, 1, 15), day(2026, 1, 14), "45500.00", ptr(240), 60, false, []string{"elk-logging"})
	contract("DC2-COLO-2023", "", "Amsterdam DC2 colocation, 4 racks", "LEASE", day(2023, 7, 1), day(2027, 6, 30), "192000.00", nil, 180, true, nil)

	// Change records.
	change := func(num, title, status string, start, end time.Time, requester, approver string, cis []string) {
		doc.ChangeRecords = append(doc.ChangeRecords, ChangeRecord{Number: num, Title: title, Status: status,
			WindowStart: &start, WindowEnd: &end, Requester: requester, Approver: approver, ConfigurationItems: cis,
			Description: "see the change ticket for the implementation and rollback plan"})
	}
	t0 := demoToday()
	change("CHG-2026-0412", "Patch ESXi hosts fra1-esx01..06 to 8.0 U3", "APPROVED", t0.Add(-24*time.Hour+22*time.Hour), t0.Add(2*24*time.Hour), "Anna Schmidt", "Tom Becker", seq("fra1-esx", 6))
	change("CHG-2026-0415", "Core switch NX-OS upgrade to 10.4(3)", "IN_PROGRESS", t0.Add(-2*time.Hour), t0.Add(4*time.Hour), "Jan de Vries", "Pieter Bakker", []string{"fra1-core-sw01", "fra1-core-sw02"})
	change("CHG-2026-0398", "Migrate pg-orders-fra to PostgreSQL 16", "REJECTED", t0.Add(7*24*time.Hour), t0.Add(7*24*time.Hour+4*time.Hour), "Kenji Watanabe", "Sofia Rossi", []string{"pg-orders-fra", "pg-orders-ams"})
	change("CHG-2026-0377", "Replace failed disk in fra1-nas02", "IMPLEMENTED", t0.Add(-20*24*time.Hour), t0.Add(-20*24*time.Hour+3*time.Hour), "Lukas Weber", "Anna Schmidt", []string{"fra1-nas02"})
	change("CHG-2026-0420", "Rotate TLS certificates on fra1-lb01/02", "REQUESTED", t0.Add(10*24*time.Hour), t0.Add(10*24*time.Hour+2*time.Hour), "Emma Jansen", "", []string{"fra1-lb01", "fra1-lb02"})
	return doc
}
