package estate

import (
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql/schema"
	"strings"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/money"
	"github.com/cairn-cmdb/cairn/internal/relationships"
)

// locator names an element in problems: a JSON path or a CSV line.
type locator struct {
	prefix string // "configurationItems[3]" or "line 17"
	csv    bool
}

func jsonLoc(list string, i int) locator { return locator{prefix: fmt.Sprintf("%s[%d]", list, i)} }

func lineLoc(line int) locator { return locator{prefix: fmt.Sprintf("line %d", line), csv: true} }

// at returns the path of field of the element ("" for the element itself).
func (l locator) at(field string) string {
	switch {
	case field == "":
		return l.prefix
	case l.csv:
		return l.prefix + ": " + field
	default:
		return l.prefix + "." + field
	}
}

// checker collects the problems of one element.
type checker struct {
	loc      locator
	problems []Problem
}

func (c *checker) add(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: c.loc.at(field), Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) err(field string, err error) {
	if err != nil {
		c.problems = append(c.problems, Problem{Path: c.loc.at(field), Msg: err.Error()})
	}
}

func (c *checker) ok() bool { return len(c.problems) == 0 }

// str trims s and checks it with the generated ent validator v, if any.
func (c *checker) str(field string, s *string, v func(string) error) {
	*s = strings.TrimSpace(*s)
	if *s != "" && v != nil {
		c.err(field, v(*s))
	}
}

func (c *checker) required(field, s string) {
	if strings.TrimSpace(s) == "" {
		c.add(field, "must not be blank")
	}
}

func (c *checker) maxLen(field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		c.add(field, "is %d characters long, want at most %d", utf8.RuneCountInString(s), n)
	}
}

// enum normalises *s with enumValue and checks it against the allowed
// values; empty stays empty.
func (c *checker) enum(field string, s *string, allowed []string, aliases map[string]string) {
	if strings.TrimSpace(*s) == "" {
		*s = ""
		return
	}
	v := enumValue(*s)
	if a, ok := aliases[v]; ok {
		v = a
	}
	for _, a := range allowed {
		if v == a {
			*s = v
			return
		}
	}
	c.add(field, "unknown %s %q (want one of %s)", field, *s, strings.Join(allowed, ", "))
}

func (c *checker) nonNegative(field string, p *int) {
	if p != nil && *p < 0 {
		c.add(field, "must not be negative, got %d", *p)
	}
}

// currency normalises the currency *s as the API does, or sets def when
// it is left out (blank).
func (c *checker) currency(s *string, def string) {
	var in *string
	if t := strings.TrimSpace(*s); t != "" {
		in = &t
	}
	cur, err := money.CurrencyOr(in, def)
	if err != nil {
		c.err("currency", err)
		return
	}
	*s = cur
}

// money parses an amount in currency as the API does; left out ("") is 0.
func (c *checker) money(field, amount, currency string) int64 {
	v, err := money.ParseOptional(nz(amount), currency)
	if err != nil {
		c.add(field, "%v", err)
		return 0
	}
	if v == nil {
		return 0
	}
	return *v
}

// enumsOf returns the allowed values of an enum column, from the generated
// migration schema (the one source of truth).
func enumsOf(t *schema.Table, column string) []string {
	for _, c := range t.Columns {
		if c.Name == column {
			return c.Enums
		}
	}
	return nil
}

func envAliases() map[string]string {
	return map[string]string{"DISASTER_RECOVERY": "DR", "PROD": "PRODUCTION", "DEV": "DEVELOPMENT", "STAGE": "STAGING"}
}

func ciKindAliases() map[string]string {
	return map[string]string{"VIRTUAL_MACHINE": "VM", "NETWORK": "NETWORK_DEVICE", "SWITCH": "NETWORK_DEVICE", "ROUTER": "NETWORK_DEVICE",
		"FIREWALL": "NETWORK_DEVICE", "DB": "DATABASE", "APP": "APPLICATION", "LB": "LOAD_BALANCER", "CLOUD": "CLOUD_RESOURCE"}
}

// ciKeys are the normalised identifiers of a CI element, by kind.
type ciKeys map[ident.Kind][]string

func (k ciKeys) add(kind ident.Kind, v string) {
	for _, x := range k[kind] {
		if x == v {
			return
		}
	}
	k[kind] = append(k[kind], v)
}

func (k ciKeys) empty() bool {
	for _, v := range k {
		if len(v) > 0 {
			return false
		}
	}
	return true
}

// checkCI normalises e in place the way the ent hooks would and returns its
// identifiers.
func checkCI(c *checker, e *CI, defaultSource string) ciKeys {
	keys := ciKeys{}
	c.str("name", &e.Name, configurationitem.NameValidator)
	c.required("name", e.Name)
	e.Ref = strings.TrimSpace(e.Ref)
	c.enum("kind", &e.Kind, enumsOf(migrate.ConfigurationItemsTable, "kind"), ciKindAliases())
	c.enum("status", &e.Status, enumsOf(migrate.ConfigurationItemsTable, "status"), nil)
	c.enum("environment", &e.Environment, enumsOf(migrate.ConfigurationItemsTable, "environment"), envAliases())
	c.enum("criticality", &e.Criticality, enumsOf(migrate.ConfigurationItemsTable, "criticality"), nil)
	checkCINames(c, e)
	checkCIID(c, "serialNumber", ident.Serial, &e.SerialNumber)
	checkCIID(c, "assetTag", ident.AssetTag, &e.AssetTag)
	c.str("description", &e.Description, configurationitem.DescriptionValidator)
	e.Tags = trimTags(e.Tags)
	e.Owner = strings.TrimSpace(e.Owner)
	e.Vendor = strings.TrimSpace(e.Vendor)
	e.Location = strings.TrimSpace(e.Location)
	if e.Hostname != "" && c.ok() {
		keys.add(ident.Hostname, e.Hostname)
	}
	if e.FQDN != "" {
		keys.add(ident.FQDN, e.FQDN)
	}
	if e.SerialNumber != "" {
		keys.add(ident.Serial, e.SerialNumber)
	}
	if e.AssetTag != "" {
		keys.add(ident.AssetTag, e.AssetTag)
	}
	checkCIIdentifiers(c, e, defaultSource, keys)
	sortIdentifiers(e.Identifiers)
	return keys
}

// checkCINames normalises the host name and FQDN: a dotted host name is
// split into both, and a missing host name comes from the FQDN.
func checkCINames(c *checker, e *CI) {
	if h := strings.TrimSuffix(strings.TrimSpace(e.Hostname), "."); h != "" {
		if short, _, dotted := strings.Cut(h, "."); dotted && ident.ValidFQDN(h) {
			if strings.TrimSpace(e.FQDN) == "" {
				e.FQDN = h
			}
			h = short
		}
		if err := configurationitem.HostnameValidator(h); err != nil {
			c.err("hostname", err)
		}
		e.Hostname = strings.ToLower(h)
	} else {
		e.Hostname = ""
	}
	if f := strings.TrimSuffix(strings.TrimSpace(e.FQDN), "."); f != "" {
		if err := configurationitem.FqdnValidator(f); err != nil {
			c.err("fqdn", err)
		}
		e.FQDN = strings.ToLower(f)
		if e.Hostname == "" && ident.ValidFQDN(f) {
			e.Hostname = strings.ToLower(ident.ShortName(f))
		}
	} else {
		e.FQDN = ""
	}
}

// checkCIID normalises a primary identifier field (serial number, asset
// tag) of kind, when set.
func checkCIID(c *checker, field string, kind ident.Kind, s *string) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		return
	}
	n, err := ident.Normalize(kind, *s)
	if err != nil {
		c.err(field, err)
		return
	}
	*s = n
}

// trimTags trims the tags and drops empty ones; a list given empty stays
// empty rather than absent.
func trimTags(in []string) []string {
	var tags []string
	for _, t := range in {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	if in != nil && tags == nil {
		tags = []string{}
	}
	return tags
}

// checkCIIdentifiers normalises e's extra identifiers and adds them to keys;
// one without a source gets defaultSource.
func checkCIIdentifiers(c *checker, e *CI, defaultSource string, keys ciKeys) {
	for j := range e.Identifiers {
		id := &e.Identifiers[j]
		f := fmt.Sprintf("identifiers[%d]", j)
		if c.loc.csv {
			f = identifierField(enumValue(id.Kind))
		}
		kind := enumValue(id.Kind)
		if identifier.KindValidator(identifier.Kind(kind)) != nil {
			c.add(f+".kind", "unknown identifier kind %q (want one of %s)", id.Kind, strings.Join(enumsOf(migrate.IdentifiersTable, "kind"), ", "))
			continue
		}
		id.Kind = kind
		n, err := ident.Normalize(ident.Kind(kind), id.Value)
		if err != nil {
			if c.loc.csv {
				c.err(f, err)
			} else {
				c.err(f+".value", err)
			}
			continue
		}
		id.Value = n
		vf := f + ".value"
		if c.loc.csv {
			vf = f
		}
		if reason, bad := identity.NotIdentity(ident.Kind(kind), n); bad {
			c.add(vf, "%s %q is not an identity: %s (keep it as a fact instead)", kind, n, reason)
			continue
		}
		sf := f + ".scope"
		if c.loc.csv {
			sf = "scope"
		}
		scope, err := identity.NormalizeScope(id.Scope)
		if err != nil {
			c.err(sf, err)
			continue
		}
		if scope != "" && ident.Kind(kind) != ident.IP {
			c.add(sf, "only an IP address has a network scope, not a %s", kind)
			continue
		}
		id.Scope = identity.AddressScope(n, scope)
		id.Source = strings.TrimSpace(id.Source)
		if id.Source == "" {
			id.Source = defaultSource
		}
		// An address's scope stays on the identifier (id.Scope): matchCI
		// decides each scope's addresses within it.
		keys.add(ident.Kind(kind), n)
	}
}

func checkLocation(c *checker, e *Location) {
	c.str("name", &e.Name, location.NameValidator)
	c.required("name", e.Name)
	c.enum("kind", &e.Kind, enumsOf(migrate.LocationsTable, "kind"), map[string]string{"REGION": "CLOUD_REGION"})
	c.required("kind", e.Kind)
	e.Parent = strings.TrimSpace(e.Parent)
	c.str("address", &e.Address, location.AddressValidator)
	c.str("provider", &e.Provider, location.ProviderValidator)
	c.str("region", &e.Region, location.RegionValidator)
}

func checkOwner(c *checker, e *Owner) {
	c.str("name", &e.Name, owner.NameValidator)
	c.required("name", e.Name)
	c.enum("kind", &e.Kind, enumsOf(migrate.OwnersTable, "kind"), nil)
	c.required("kind", e.Kind)
	c.str("email", &e.Email, owner.EmailValidator)
	c.str("oncallContact", &e.OncallContact, owner.OncallContactValidator)
	c.str("escalation", &e.Escalation, owner.EscalationValidator)
	c.str("chatChannel", &e.ChatChannel, owner.ChatChannelValidator)
	e.Team = strings.TrimSpace(e.Team)
	if e.Team != "" && e.Team == e.Name {
		c.add("team", "an owner cannot be its own team")
	}
}

func checkVendor(c *checker, e *Vendor) {
	c.str("name", &e.Name, vendor.NameValidator)
	c.required("name", e.Name)
	c.str("website", &e.Website, vendor.WebsiteValidator)
	c.str("supportEmail", &e.SupportEmail, vendor.SupportEmailValidator)
	c.str("supportPhone", &e.SupportPhone, vendor.SupportPhoneValidator)
	c.str("accountNumber", &e.AccountNumber, vendor.AccountNumberValidator)
	c.str("notes", &e.Notes, vendor.NotesValidator)
}

func checkRelationship(c *checker, e *Relationship, defaultSource string) {
	e.From, e.To = strings.TrimSpace(e.From), strings.TrimSpace(e.To)
	c.required("from", e.From)
	c.required("to", e.To)
	c.enum("type", &e.Type, enumsOf(migrate.RelationshipsTable, "type"), nil)
	c.required("type", e.Type)
	if e.From != "" && e.From == e.To {
		c.add("to", "a CI cannot depend on itself (from and to are both %q)", e.From)
	}
	e.Source = strings.TrimSpace(e.Source)
	if e.Source == "" {
		e.Source = defaultSource
	}
	c.maxLen("description", e.Description, 1000)
	var bad *apperr.Error
	if err := relationships.CheckAttributes(e.Attributes); errors.As(err, &bad) {
		c.add("attributes", "%s", bad.Msg)
	}
}

func checkService(c *checker, e *Service) {
	c.str("name", &e.Name, service.NameValidator)
	c.required("name", e.Name)
	c.str("description", &e.Description, service.DescriptionValidator)
	if e.Tier != nil {
		c.err("tier", service.TierValidator(*e.Tier))
	}
	if e.SLOTarget != nil {
		c.err("sloTarget", service.SloTargetValidator(*e.SLOTarget))
	}
	c.nonNegative("rtoMinutes", e.RTOMinutes)
	c.nonNegative("rpoMinutes", e.RPOMinutes)
	c.str("runbookURL", &e.RunbookURL, service.RunbookURLValidator)
	e.Owner = strings.TrimSpace(e.Owner)
	for j, d := range e.DependsOn {
		if strings.TrimSpace(d) == e.Name {
			c.add(fmt.Sprintf("dependsOn[%d]", j), "a service cannot depend on itself")
		}
	}
}

func checkContract(c *checker, e *Contract) (cost int64) {
	c.str("number", &e.Number, contract.NumberValidator)
	c.required("number", e.Number)
	c.str("name", &e.Name, contract.NameValidator)
	c.enum("kind", &e.Kind, enumsOf(migrate.ContractsTable, "kind"), nil)
	c.required("kind", e.Kind)
	e.Vendor = strings.TrimSpace(e.Vendor)
	if e.StartDate == nil {
		c.add("startDate", "is required")
	}
	if e.EndDate == nil {
		c.add("endDate", "is required")
	}
	if e.StartDate != nil && e.EndDate != nil && !e.EndDate.After(*e.StartDate) {
		c.add("endDate", "endDate (%s) must be after startDate (%s)", e.EndDate.UTC().Format("2006-01-02T15:04:05Z07:00"), e.StartDate.UTC().Format("2006-01-02T15:04:05Z07:00"))
	}
	c.currency(&e.Currency, contract.DefaultCurrency)
	if c.ok() {
		cost = c.money("cost", e.Cost, e.Currency)
	}
	c.nonNegative("slaResponseMinutes", e.SLAResponseMinutes)
	c.nonNegative("noticePeriodDays", e.NoticePeriodDays)
	c.str("supportContact", &e.SupportContact, contract.SupportContactValidator)
	c.str("notes", &e.Notes, contract.NotesValidator)
	return cost
}

type assetMoney struct{ cost, salvage, proceeds int64 }

func checkAsset(c *checker, e *Asset) (m assetMoney) {
	e.ConfigurationItem = strings.TrimSpace(e.ConfigurationItem)
	c.required("configurationItem", e.ConfigurationItem)
	c.currency(&e.Currency, asset.DefaultCurrency)
	if c.ok() {
		m.cost = c.money("cost", e.Cost, e.Currency)
		m.salvage = c.money("salvageValue", e.SalvageValue, e.Currency)
		m.proceeds = c.money("disposalProceeds", e.DisposalProceeds, e.Currency)
		if m.salvage > m.cost {
			c.add("salvageValue", "salvage value %s must not exceed cost %s", money.Format(m.salvage, e.Currency), money.Format(m.cost, e.Currency))
		}
	}
	if e.UsefulLifeMonths != nil {
		c.err("usefulLifeMonths", asset.UsefulLifeMonthsValidator(*e.UsefulLifeMonths))
	}
	c.enum("depreciationMethod", &e.DepreciationMethod, enumsOf(migrate.AssetsTable, "depreciation_method"), nil)
	c.enum("convention", &e.Convention, enumsOf(migrate.AssetsTable, "convention"), nil)
	if e.DecliningRate != nil && (*e.DecliningRate <= 0 || *e.DecliningRate > 1) {
		c.add("decliningRate", "declining rate must be in (0, 1], got %g", *e.DecliningRate)
	}
	if e.DepreciationMethod == string(asset.DepreciationMethodDecliningBalance) && e.DecliningRate == nil {
		c.add("decliningRate", "DECLINING_BALANCE needs a declining rate in (0, 1]")
	}
	if e.PurchaseDate != nil && e.InServiceDate != nil && e.InServiceDate.Before(*e.PurchaseDate) {
		c.add("inServiceDate", "inServiceDate must not be before purchaseDate")
	}
	if e.InServiceDate != nil && e.DisposalDate != nil && e.DisposalDate.Before(*e.InServiceDate) {
		c.add("disposalDate", "disposalDate must not be before inServiceDate")
	}
	c.str("costCenter", &e.CostCenter, asset.CostCenterValidator)
	c.str("poNumber", &e.PONumber, asset.PoNumberValidator)
	c.str("invoiceNumber", &e.InvoiceNumber, asset.InvoiceNumberValidator)
	return m
}

func checkChangeRecord(c *checker, e *ChangeRecord) {
	c.str("number", &e.Number, changerecord.NumberValidator)
	c.required("number", e.Number)
	c.str("title", &e.Title, changerecord.TitleValidator)
	c.required("title", e.Title)
	c.str("description", &e.Description, changerecord.DescriptionValidator)
	c.enum("status", &e.Status, enumsOf(migrate.ChangeRecordsTable, "status"), nil)
	if e.WindowStart == nil {
		c.add("windowStart", "is required")
	}
	if e.WindowEnd == nil {
		c.add("windowEnd", "is required")
	}
	if e.WindowStart != nil && e.WindowEnd != nil && !e.WindowEnd.After(*e.WindowStart) {
		c.add("windowEnd", "windowEnd must be after windowStart")
	}
	c.str("requester", &e.Requester, changerecord.RequesterValidator)
	c.required("requester", e.Requester)
	c.str("approver", &e.Approver, changerecord.ApproverValidator)
}
