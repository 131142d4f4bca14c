// Package estate moves a whole Cairn estate in and out of the database: the
// versioned JSON document that `cairn export` writes and `cairn import`
// reads, CSV imports of configuration items, the demo estate that
// `cairn seed --demo` loads, and the synthetic estate that benchmarks use.
//
// # The document
//
// A Document lists every entity under a natural key, never a database ID,
// so that an export imported into an empty database (SQLite or PostgreSQL)
// exports again byte for byte:
//
//   - locations by path: the names from the root down joined by "/" (a "/"
//     or "\" inside a name is escaped with "\"), e.g.
//     "Frankfurt DC1/Building A/Hall 1/Rack A01";
//   - owners, vendors and services by name (unique in the schema);
//   - contracts by vendor name and number (numbers are unique per vendor);
//   - change records by number;
//   - assets by the ref of their configuration item;
//   - configuration items by ref: the CI's name when no other CI has that
//     name, otherwise name + "@" + its strongest identifier (FQDN,
//     hostname, serial number, asset tag, then the first cloud ID, MAC or
//     IP), and if that is still ambiguous a "#n" suffix numbered in the
//     document's order. Refs are local to one document: on import they only
//     tie elements together; existing CIs are found by their identifiers.
//
// Elements are sorted by their key. Times are RFC 3339 in UTC, at
// microsecond precision (what PostgreSQL keeps). Money is a decimal string
// next to an ISO 4217 currency. Identifier rows that a CI's own fields imply
// (source "record" for its hostname, FQDN, serial number and asset tag) are
// not listed; every other identifier (IPs, MACs, cloud IDs, identifiers
// asserted by imports or discovery) is listed under its CI with its source.
// Created/updated timestamps and the audit trail are not part of the
// document.
//
// exportedAt is left out unless asked for (ExportOptions.Timestamp, `cairn
// export --timestamp`), so that two exports of the same estate are equal;
// import ignores it.
package estate

import "time"

// Version is the document format version Export writes and Import accepts.
const Version = 1

// Document is a whole estate.
type Document struct {
	Version            int            `json:"version"`
	ExportedAt         *time.Time     `json:"exportedAt,omitempty"`
	Locations          []Location     `json:"locations"`
	Owners             []Owner        `json:"owners"`
	Vendors            []Vendor       `json:"vendors"`
	ConfigurationItems []CI           `json:"configurationItems"`
	Relationships      []Relationship `json:"relationships"`
	Services           []Service      `json:"services"`
	Contracts          []Contract     `json:"contracts"`
	Assets             []Asset        `json:"assets"`
	ChangeRecords      []ChangeRecord `json:"changeRecords"`
}

// Location is a site, building, room, rack or cloud region. Parent is the
// path of the parent location.
type Location struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Parent   string `json:"parent,omitempty"`
	Address  string `json:"address,omitempty"`
	Provider string `json:"provider,omitempty"`
	Region   string `json:"region,omitempty"`
}

// Owner is a team or a person. Team names the person's team.
type Owner struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Email         string `json:"email,omitempty"`
	OncallContact string `json:"oncallContact,omitempty"`
	Escalation    string `json:"escalation,omitempty"`
	ChatChannel   string `json:"chatChannel,omitempty"`
	Team          string `json:"team,omitempty"`
}

// Vendor sold or supports CIs.
type Vendor struct {
	Name          string `json:"name"`
	Website       string `json:"website,omitempty"`
	SupportEmail  string `json:"supportEmail,omitempty"`
	SupportPhone  string `json:"supportPhone,omitempty"`
	AccountNumber string `json:"accountNumber,omitempty"`
	Notes         string `json:"notes,omitempty"`
}

// CI is a configuration item. Owner, Vendor and Location name other
// elements (owner name, vendor name, location path).
type CI struct {
	Ref          string         `json:"ref,omitempty"`
	Name         string         `json:"name"`
	Kind         string         `json:"kind,omitempty"`
	Status       string         `json:"status,omitempty"`
	Environment  string         `json:"environment,omitempty"`
	Criticality  string         `json:"criticality,omitempty"`
	Hostname     string         `json:"hostname,omitempty"`
	FQDN         string         `json:"fqdn,omitempty"`
	SerialNumber string         `json:"serialNumber,omitempty"`
	AssetTag     string         `json:"assetTag,omitempty"`
	Description  string         `json:"description,omitempty"`
	Tags         []string       `json:"tags,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	Facts        map[string]any `json:"facts,omitempty"`
	LastSeenAt   *time.Time     `json:"lastSeenAt,omitempty"`
	Owner        string         `json:"owner,omitempty"`
	Vendor       string         `json:"vendor,omitempty"`
	Location     string         `json:"location,omitempty"`
	Identifiers  []Identifier   `json:"identifiers,omitempty"`
}

// Identifier is an identifier of a CI beyond those its fields imply.
type Identifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Scope is the network scope (site, VRF, VPC, datacenter) of a private
	// IP address; empty is global. A public address is always global.
	Scope  string `json:"scope,omitempty"`
	Source string `json:"source,omitempty"`
}

// Relationship is a typed edge between two CIs (by ref): From depends on To.
type Relationship struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Type        string `json:"type"`
	Source      string `json:"source,omitempty"`
	Description string `json:"description,omitempty"`
	// Attributes describe the edge itself, such as the local_port and
	// remote_port of a CONNECTS_TO (relationships.CheckAttributes).
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Service is a business or technical service. DependsOn names services,
// Members are CI refs.
type Service struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Tier        *int     `json:"tier,omitempty"`
	SLOTarget   *float64 `json:"sloTarget,omitempty"`
	RTOMinutes  *int     `json:"rtoMinutes,omitempty"`
	RPOMinutes  *int     `json:"rpoMinutes,omitempty"`
	RunbookURL  string   `json:"runbookURL,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	DependsOn   []string `json:"dependsOn,omitempty"`
	Members     []string `json:"members,omitempty"`
}

// Contract is a support, warranty, maintenance, lease, license or
// subscription agreement. Covers are CI refs.
type Contract struct {
	Number             string     `json:"number"`
	Vendor             string     `json:"vendor,omitempty"`
	Name               string     `json:"name,omitempty"`
	Kind               string     `json:"kind"`
	StartDate          *time.Time `json:"startDate"`
	EndDate            *time.Time `json:"endDate"`
	Cost               string     `json:"cost,omitempty"`
	Currency           string     `json:"currency,omitempty"`
	SLAResponseMinutes *int       `json:"slaResponseMinutes,omitempty"`
	SupportContact     string     `json:"supportContact,omitempty"`
	NoticePeriodDays   *int       `json:"noticePeriodDays,omitempty"`
	AutoRenew          *bool      `json:"autoRenew,omitempty"`
	Notes              string     `json:"notes,omitempty"`
	Covers             []string   `json:"covers,omitempty"`
}

// Asset is the financial record of a CI (by ref).
type Asset struct {
	ConfigurationItem  string     `json:"configurationItem"`
	PurchaseDate       *time.Time `json:"purchaseDate,omitempty"`
	InServiceDate      *time.Time `json:"inServiceDate,omitempty"`
	Cost               string     `json:"cost,omitempty"`
	SalvageValue       string     `json:"salvageValue,omitempty"`
	Currency           string     `json:"currency,omitempty"`
	UsefulLifeMonths   *int       `json:"usefulLifeMonths,omitempty"`
	DepreciationMethod string     `json:"depreciationMethod,omitempty"`
	DecliningRate      *float64   `json:"decliningRate,omitempty"`
	Convention         string     `json:"convention,omitempty"`
	CostCenter         string     `json:"costCenter,omitempty"`
	DisposalDate       *time.Time `json:"disposalDate,omitempty"`
	DisposalProceeds   string     `json:"disposalProceeds,omitempty"`
	WarrantyEnd        *time.Time `json:"warrantyEnd,omitempty"`
	PONumber           string     `json:"poNumber,omitempty"`
	InvoiceNumber      string     `json:"invoiceNumber,omitempty"`
}

// ChangeRecord is a change with a window and the CIs (by ref) it covers.
type ChangeRecord struct {
	Number             string     `json:"number"`
	Title              string     `json:"title"`
	Description        string     `json:"description,omitempty"`
	Status             string     `json:"status,omitempty"`
	WindowStart        *time.Time `json:"windowStart"`
	WindowEnd          *time.Time `json:"windowEnd"`
	Requester          string     `json:"requester"`
	Approver           string     `json:"approver,omitempty"`
	ConfigurationItems []string   `json:"configurationItems,omitempty"`
}
