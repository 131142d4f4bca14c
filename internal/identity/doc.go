// Package identity is the one matcher: it decides which configuration
// items an input names, for every path that asks (incidentContext, the
// search box, cairn lookup, reconciliation, imports, alert binding,
// neighbours). It is pure: no database and no mutable state. Callers fetch
// the stored identifier rows that share a value with the input's
// candidates (Keys says which), fill in each CI's known domains, and call
// Decide; Index does the same over an in-memory index for reconciliation.
//
// Normalising one identifier of a known kind is internal/ident's job; this
// package reads inputs of unknown shape (Parse), says which values are not
// identity at all (NotIdentity), which addresses are scoped (AddressScope)
// and how candidates and stored rows make a match (Decide).
//
// # Input shapes
//
// Parse reads any input the same way. Each row below is a test case
// (TestInputShapes reads this table): a Go-quoted input and the candidates
// it yields, strongest first; "HOSTNAME x@d" is the weaker short name of an
// FQDN input in domain d.
//
//	shape                       | input                                              | candidates
//	host name, case and space   | "  Web01 "                                         | HOSTNAME web01, SERIAL WEB01, ASSET_TAG WEB01, CLOUD_ID Web01
//	trailing root dot (short)   | "web01."                                           | HOSTNAME web01
//	FQDN and its short name     | "Web01.Example.COM."                               | FQDN web01.example.com, HOSTNAME web01@example.com, SERIAL WEB01.EXAMPLE.COM., ASSET_TAG WEB01.EXAMPLE.COM., CLOUD_ID Web01.Example.COM.
//	host:port                   | "db01.eu.example.org:5432"                         | FQDN db01.eu.example.org, HOSTNAME db01@eu.example.org, SERIAL DB01.EU.EXAMPLE.ORG:5432, ASSET_TAG DB01.EU.EXAMPLE.ORG:5432, CLOUD_ID db01.eu.example.org:5432
//	IPv4:port                   | "10.0.0.5:22"                                      | IP 10.0.0.5, SERIAL 10.0.0.5:22, ASSET_TAG 10.0.0.5:22, CLOUD_ID 10.0.0.5:22
//	[IPv6]:port                 | "[2001:DB8::1]:443"                                | IP 2001:db8::1, SERIAL [2001:DB8::1]:443, ASSET_TAG [2001:DB8::1]:443, CLOUD_ID [2001:DB8::1]:443
//	URL, any scheme             | "https://LON3-WEB01.lon3.example.org:8443/x?y#z"   | FQDN lon3-web01.lon3.example.org, HOSTNAME lon3-web01@lon3.example.org
//	URL with user               | "ssh://root@db01.eu.example.org"                   | FQDN db01.eu.example.org, HOSTNAME db01@eu.example.org
//	URL to an address           | "tcp://10.0.0.5:5432"                              | IP 10.0.0.5
//	URL to [IPv6]               | "http://[fe80::1%25eth0]:80/"                      | IP fe80::1
//	IPv6 expanded               | "2001:0db8:0000:0000:0000:0000:0000:0001"          | IP 2001:db8::1, SERIAL 2001:0DB8:0000:0000:0000:0000:0000:0001, ASSET_TAG 2001:0DB8:0000:0000:0000:0000:0000:0001, CLOUD_ID 2001:0db8:0000:0000:0000:0000:0000:0001
//	IPv6 zone                   | "fe80::1%eth0"                                     | IP fe80::1, SERIAL FE80::1, ASSET_TAG FE80::1, CLOUD_ID fe80::1
//	IPv4-mapped IPv6            | "::ffff:10.0.0.1"                                  | IP 10.0.0.1, SERIAL ::FFFF:10.0.0.1, ASSET_TAG ::FFFF:10.0.0.1, CLOUD_ID ::ffff:10.0.0.1
//	MAC, dashes                 | "AA-BB-CC-00-00-01"                                | MAC aa:bb:cc:00:00:01, HOSTNAME aa-bb-cc-00-00-01, SERIAL AA-BB-CC-00-00-01, ASSET_TAG AA-BB-CC-00-00-01, CLOUD_ID AA-BB-CC-00-00-01
//	MAC, Cisco dots             | "aabb.cc00.0001"                                   | MAC aa:bb:cc:00:00:01, SERIAL AABB.CC00.0001, ASSET_TAG AABB.CC00.0001, CLOUD_ID aabb.cc00.0001
//	MAC, bare hex               | "AABBCC000001"                                     | MAC aa:bb:cc:00:00:01, HOSTNAME aabbcc000001, SERIAL AABBCC000001, ASSET_TAG AABBCC000001, CLOUD_ID AABBCC000001
//	UUID                        | "{123E4567-E89B-12D3-A456-426614174000}"           | UUID 123e4567-e89b-12d3-a456-426614174000, CLOUD_ID {123E4567-E89B-12D3-A456-426614174000}
//	cloud ID                    | "i-0abc123"                                        | CLOUD_ID i-0abc123, HOSTNAME i-0abc123, SERIAL I-0ABC123, ASSET_TAG I-0ABC123
//	placeholder serial          | "To Be Filled By O.E.M."                           | -
//	empty                       | "   "                                              | -
//
// A URL (scheme://…) yields its host alone, never a serial, asset tag or
// cloud ID. A host:port without a scheme yields the host's network
// candidates first and still offers the whole text as a serial, asset tag
// or cloud ID. A zone (%eth0) names an interface of the asking machine, not
// a network, so it is dropped; network scope is a separate argument.
//
// # Not identity
//
// NotIdentity names the values that are kept as facts but never matched
// on, with the rule that excludes them: placeholder serials, asset tags and
// UUIDs (the lists in internal/ident), the all-zero, broadcast and other
// multicast MACs, the virtual router MACs of VRRP and CARP
// (00:00:5e:00:01:xx, 00:00:5e:00:02:xx), HSRP (00:00:0c:07:ac:xx,
// 00:00:0c:9f:fx:xx) and GLBP (00:07:b4:00:xx:xx), 127.0.0.1 and ::1, unspecified,
// multicast and broadcast addresses, and the host names localhost and
// localhost.localdomain.
//
// # Scopes
//
// A private or otherwise non-global address (RFC 1918, RFC 6598
// 100.64.0.0/10, link-local 169.254.0.0/16 and fe80::/10, IPv6 ULA
// fc00::/7, loopback) means something only within a network scope: a
// site, VRF, VPC or datacenter. AddressScope keeps the given scope for
// such an address and answers "" (global) for a public one.
//
// # Decision
//
// Decide walks the identifier kinds strongest first (SOURCE_KEY, SERIAL,
// CLOUD_ID, UUID, MAC, FQDN, HOSTNAME, ASSET_TAG, IP) and answers the CIs
// of the first kind that matches; several CIs are ambiguous. A SOURCE_KEY
// is a discovery source's own stable name for a thing, namespaced by the
// actor that recorded it (discovery.SourceKey), so only that source ever
// produces it; Parse never yields one (a person does not type it) and
// Expand derives nothing from it. Exact matches of
// every kind but HOSTNAME answer rule IDENTIFIER; a HOSTNAME candidate
// (a short-name input, or the first label of an FQDN input) matching a
// stored host name or the first label of a stored FQDN answers SHORT_NAME.
//
//   - An FQDN identifies within its domain. The weaker kinds (HOSTNAME,
//     ASSET_TAG, IP) match a CI only when the input has no domain, the CI
//     has no known domain, or they share one: a CI whose known FQDN is in a
//     different domain is a different host, whatever else agrees.
//   - A scoped address matches only rows of the input's scope when a scope
//     is given (Input.AnyScope false; "" is the global scope); without one
//     (a lookup that names no scope) every scope is considered, and several
//     CIs are ambiguous. A public address matches whatever scope it was
//     stored with.
//   - Values that are not identity never match, stored or given.
//   - SOURCE_KEY, SERIAL, CLOUD_ID, UUID and MAC name a source's record,
//     hardware or a cloud resource and match whatever the domains say; they are how a host that moved
//     domain is still found.
//
// Each row below is a test case (TestDecisionTable reads this table),
// decided over this estate (CI: kind value[@scope] …):
//
//	lon3-web01: HOSTNAME lon3-web01, FQDN lon3-web01.lon3.example.org, IP 10.0.0.5@lon3, IP 203.0.113.10@lon3, SERIAL CZ123
//	x-db01:     HOSTNAME db01, FQDN db01.eu.example.org, IP 10.50.0.9@eu1
//	app01:      HOSTNAME app01, IP 10.0.0.5@fra1
//	mail:       FQDN mail.example.com
//	web-eu:     HOSTNAME web02, FQDN web02.eu.example.org
//	web-us:     HOSTNAME web02, FQDN web02.us.example.org
//	router-a:   MAC 00:00:5e:00:01:01, MAC aa:bb:cc:00:00:01, UUID 03000200-0400-0500-0006-000700080009
//	router-b:   MAC 00:00:5e:00:01:01
//
// Inputs joined by " + " are one observation carrying several identifiers;
// scope "-" means none given (every scope), "global" means "".
//
//	input                                         | scope  | rule that decides                              | result
//	lon3-web01.lon3.example.org                   | -      | FQDN, exact                                    | lon3-web01 IDENTIFIER FQDN lon3-web01.lon3.example.org
//	lon3-web01.staging.example.org                | -      | CI's FQDN is in another domain                 | none
//	db01.us.example.org                           | -      | CI's FQDN is in another domain                 | none
//	db01.us.example.org + db01 + 10.50.0.9        | eu1    | the address's CI is in another domain          | none
//	db01.eu.example.org + 10.50.0.9               | eu1    | FQDN before IP                                 | x-db01 IDENTIFIER FQDN db01.eu.example.org
//	db01                                          | -      | short name, input has no domain                | x-db01 SHORT_NAME HOSTNAME db01
//	app01.lon3.example.org                        | -      | FQDN input, CI has no domain                   | app01 SHORT_NAME HOSTNAME app01
//	mail                                          | -      | short name, first label of a stored FQDN       | mail SHORT_NAME FQDN mail.example.com
//	mail.other.net                                | -      | CI's FQDN is in another domain                 | none
//	web02                                         | -      | short name in two domains                      | web-eu,web-us SHORT_NAME HOSTNAME web02
//	web02.us.example.org                          | -      | FQDN, exact                                    | web-us IDENTIFIER FQDN web02.us.example.org
//	10.0.0.5                                      | -      | private address, no scope: every scope         | app01,lon3-web01 IDENTIFIER IP 10.0.0.5
//	10.0.0.5                                      | lon3   | private address in its scope                   | lon3-web01 IDENTIFIER IP 10.0.0.5
//	::ffff:10.0.0.5                               | fra1   | private address in its scope                   | app01 IDENTIFIER IP 10.0.0.5
//	10.0.0.5                                      | global | private address, global scope holds none       | none
//	203.0.113.10                                  | fra1   | public address is global                       | lon3-web01 IDENTIFIER IP 203.0.113.10
//	https://LON3-WEB01.lon3.example.org:8443/path | -      | URL: its host                                  | lon3-web01 IDENTIFIER FQDN lon3-web01.lon3.example.org
//	cz123 + lon3-web01.staging.example.org        | -      | serial before the domain rule                  | lon3-web01 IDENTIFIER SERIAL CZ123
//	aabb.cc00.0001                                | -      | MAC in any notation                            | router-a IDENTIFIER MAC aa:bb:cc:00:00:01
//	00-00-5E-00-01-01                             | -      | VRRP MAC is not identity                       | none
//	03000200-0400-0500-0006-000700080009          | -      | placeholder UUID is not identity               | none
package identity
