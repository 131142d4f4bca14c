package estate

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/money"
)

// ExportOptions tune Export.
type ExportOptions struct {
	// Timestamp, when not zero, is written as exportedAt.
	Timestamp time.Time
}

// Export reads the whole estate from c. Give it the client of a read-only
// transaction (ExportDB does) for a consistent document.
func Export(ctx context.Context, c *ent.Client, opts ExportOptions) (*Document, error) {
	doc := &Document{Version: Version}
	if !opts.Timestamp.IsZero() {
		t := opts.Timestamp.UTC().Truncate(time.Second)
		doc.ExportedAt = &t
	}
	x := &exportPass{c: c, doc: doc}
	for _, step := range []func(context.Context) error{
		x.locations, x.owners, x.vendors, x.configurationItems, x.relationships,
		x.services, x.contracts, x.assets, x.changeRecords,
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// exportPass fills a document one entity at a time; later steps name rows
// read by earlier ones (locations by path, owners and vendors by name, CIs
// by reference).
type exportPass struct {
	c          *ent.Client
	doc        *Document
	locPath    map[int]string
	ownerName  map[int]string
	vendorName map[int]string
	ciRef      map[int]string
}

// locations reads the locations, each named by the path of its parents.
func (x *exportPass) locations(ctx context.Context) error {
	locs, err := x.c.Location.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading locations: %w", err)
	}
	x.locPath, err = locationPaths(locs)
	if err != nil {
		return err
	}
	for _, l := range locs {
		e := Location{Name: l.Name, Kind: string(l.Kind), Address: deref(l.Address), Provider: deref(l.Provider), Region: deref(l.Region)}
		if l.ParentID != nil {
			e.Parent = x.locPath[*l.ParentID]
		}
		x.doc.Locations = append(x.doc.Locations, e)
	}
	sort.Slice(x.doc.Locations, func(i, j int) bool {
		return joinPath(x.doc.Locations[i].Parent, x.doc.Locations[i].Name) < joinPath(x.doc.Locations[j].Parent, x.doc.Locations[j].Name)
	})
	return nil
}

// owners reads the owners and teams.
func (x *exportPass) owners(ctx context.Context) error {
	owners, err := x.c.Owner.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading owners: %w", err)
	}
	x.ownerName = map[int]string{}
	for _, o := range owners {
		x.ownerName[o.ID] = o.Name
	}
	for _, o := range owners {
		e := Owner{Name: o.Name, Kind: string(o.Kind), Email: deref(o.Email), OncallContact: deref(o.OncallContact),
			Escalation: deref(o.Escalation), ChatChannel: deref(o.ChatChannel)}
		if o.TeamID != nil {
			e.Team = x.ownerName[*o.TeamID]
		}
		x.doc.Owners = append(x.doc.Owners, e)
	}
	sort.Slice(x.doc.Owners, func(i, j int) bool { return x.doc.Owners[i].Name < x.doc.Owners[j].Name })
	return nil
}

// vendors reads the vendors.
func (x *exportPass) vendors(ctx context.Context) error {
	vendors, err := x.c.Vendor.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading vendors: %w", err)
	}
	x.vendorName = map[int]string{}
	for _, v := range vendors {
		x.vendorName[v.ID] = v.Name
		x.doc.Vendors = append(x.doc.Vendors, Vendor{Name: v.Name, Website: deref(v.Website), SupportEmail: deref(v.SupportEmail),
			SupportPhone: deref(v.SupportPhone), AccountNumber: deref(v.AccountNumber), Notes: deref(v.Notes)})
	}
	sort.Slice(x.doc.Vendors, func(i, j int) bool { return x.doc.Vendors[i].Name < x.doc.Vendors[j].Name })
	return nil
}

// configurationItems reads the configuration items with their identifiers (those a field implies left out) and gives each its reference.
func (x *exportPass) configurationItems(ctx context.Context) error {
	cis, err := x.c.ConfigurationItem.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading configuration items: %w", err)
	}
	// Identifiers in one query (eager loading would put every CI ID in one
	// IN list, more than SQLite accepts for a large estate).
	idents, err := x.c.Identifier.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading identifiers: %w", err)
	}
	identsOf := map[int][]*ent.Identifier{}
	for _, id := range idents {
		identsOf[id.ConfigurationItemID] = append(identsOf[id.ConfigurationItemID], id)
	}
	elems := make([]CI, len(cis))
	for i, ci := range cis {
		e := CI{
			Name: ci.Name, Kind: string(ci.Kind), Status: string(ci.Status), Environment: string(ci.Environment),
			Criticality: string(ci.Criticality), Hostname: deref(ci.Hostname), FQDN: deref(ci.Fqdn),
			SerialNumber: deref(ci.SerialNumber), AssetTag: deref(ci.AssetTag), Description: deref(ci.Description),
			Tags: ci.Tags, Attributes: ci.Attributes, Facts: ci.Facts, LastSeenAt: docTimePtr(ci.LastSeenAt),
		}
		if len(e.Tags) == 0 {
			e.Tags = nil
		}
		if len(e.Attributes) == 0 {
			e.Attributes = nil
		}
		if len(e.Facts) == 0 {
			e.Facts = nil
		}
		if ci.OwnerID != nil {
			e.Owner = x.ownerName[*ci.OwnerID]
		}
		if ci.VendorID != nil {
			e.Vendor = x.vendorName[*ci.VendorID]
		}
		if ci.LocationID != nil {
			e.Location = x.locPath[*ci.LocationID]
		}
		for _, id := range identsOf[ci.ID] {
			if impliedIdentifier(ci, id) {
				continue
			}
			if _, bad := identity.NotIdentity(ident.Kind(id.Kind), id.Value); bad {
				// Stored before such values were refused: written as the
				// fact discovery keeps them in, so that the import (which
				// refuses them as identifiers) reads the export back.
				e.Facts = addNotIdentityFact(e.Facts, ident.Kind(id.Kind), id.Value)
				continue
			}
			e.Identifiers = append(e.Identifiers, Identifier{Kind: string(id.Kind), Value: id.Value, Scope: deref(id.Scope), Source: id.Source})
		}
		sortIdentifiers(e.Identifiers)
		elems[i] = e
	}
	refs := assignRefs(elems)
	x.ciRef = map[int]string{}
	for i, ci := range cis {
		elems[i].Ref = refs[i]
		x.ciRef[ci.ID] = refs[i]
	}
	sort.Slice(elems, func(i, j int) bool { return elems[i].Ref < elems[j].Ref })
	x.doc.ConfigurationItems = elems
	return nil
}

// relationships reads the relationships, ordered by from, type and to.
func (x *exportPass) relationships(ctx context.Context) error {
	rels, err := x.c.Relationship.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading relationships: %w", err)
	}
	for _, r := range rels {
		x.doc.Relationships = append(x.doc.Relationships, Relationship{From: x.ciRef[r.FromID], To: x.ciRef[r.ToID], Type: string(r.Type),
			Source: r.Source, Description: deref(r.Description), Attributes: r.Attributes})
	}
	sort.Slice(x.doc.Relationships, func(i, j int) bool {
		a, b := x.doc.Relationships[i], x.doc.Relationships[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.To < b.To
	})
	return nil
}

// services reads the services with their dependencies and members.
func (x *exportPass) services(ctx context.Context) error {
	svcs, err := x.c.Service.Query().
		WithMembers(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).
		WithDependsOn().All(ctx)
	if err != nil {
		return fmt.Errorf("reading services: %w", err)
	}
	for _, s := range svcs {
		e := Service{Name: s.Name, Description: deref(s.Description), Tier: ptr(s.Tier), SLOTarget: s.SloTarget,
			RTOMinutes: s.RtoMinutes, RPOMinutes: s.RpoMinutes, RunbookURL: deref(s.RunbookURL)}
		if s.OwnerID != nil {
			e.Owner = x.ownerName[*s.OwnerID]
		}
		for _, d := range s.Edges.DependsOn {
			e.DependsOn = append(e.DependsOn, d.Name)
		}
		for _, m := range s.Edges.Members {
			e.Members = append(e.Members, x.ciRef[m.ID])
		}
		sort.Strings(e.DependsOn)
		sort.Strings(e.Members)
		x.doc.Services = append(x.doc.Services, e)
	}
	sort.Slice(x.doc.Services, func(i, j int) bool { return x.doc.Services[i].Name < x.doc.Services[j].Name })
	return nil
}

// contracts reads the contracts with the CIs they cover.
func (x *exportPass) contracts(ctx context.Context) error {
	contracts, err := x.c.Contract.Query().
		WithCoveredCis(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).All(ctx)
	if err != nil {
		return fmt.Errorf("reading contracts: %w", err)
	}
	for _, k := range contracts {
		e := Contract{Number: k.Number, Name: deref(k.Name), Kind: string(k.Kind), StartDate: docTime(k.StartDate),
			EndDate: docTime(k.EndDate), Cost: money.Format(k.CostMinor, k.Currency), Currency: k.Currency,
			SLAResponseMinutes: k.SLAResponseMinutes, SupportContact: deref(k.SupportContact),
			NoticePeriodDays: ptr(k.NoticePeriodDays), AutoRenew: ptr(k.AutoRenew), Notes: deref(k.Notes)}
		if k.VendorID != nil {
			e.Vendor = x.vendorName[*k.VendorID]
		}
		for _, m := range k.Edges.CoveredCis {
			e.Covers = append(e.Covers, x.ciRef[m.ID])
		}
		sort.Strings(e.Covers)
		x.doc.Contracts = append(x.doc.Contracts, e)
	}
	sort.Slice(x.doc.Contracts, func(i, j int) bool {
		return contractKey(x.doc.Contracts[i].Vendor, x.doc.Contracts[i].Number) < contractKey(x.doc.Contracts[j].Vendor, x.doc.Contracts[j].Number)
	})
	return nil
}

// assets reads the asset records.
func (x *exportPass) assets(ctx context.Context) error {
	assets, err := x.c.Asset.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("reading assets: %w", err)
	}
	for _, a := range assets {
		e := Asset{ConfigurationItem: x.ciRef[a.ConfigurationItemID], PurchaseDate: docTimePtr(a.PurchaseDate),
			InServiceDate: docTimePtr(a.InServiceDate), Cost: money.Format(a.CostMinor, a.Currency),
			SalvageValue: money.Format(a.SalvageMinor, a.Currency), Currency: a.Currency,
			UsefulLifeMonths: ptr(a.UsefulLifeMonths), DepreciationMethod: string(a.DepreciationMethod),
			DecliningRate: a.DecliningRate, Convention: string(a.Convention), CostCenter: deref(a.CostCenter),
			DisposalDate: docTimePtr(a.DisposalDate), WarrantyEnd: docTimePtr(a.WarrantyEnd),
			PONumber: deref(a.PoNumber), InvoiceNumber: deref(a.InvoiceNumber)}
		if a.DisposalProceedsMinor != nil {
			e.DisposalProceeds = money.Format(*a.DisposalProceedsMinor, a.Currency)
		}
		x.doc.Assets = append(x.doc.Assets, e)
	}
	sort.Slice(x.doc.Assets, func(i, j int) bool { return x.doc.Assets[i].ConfigurationItem < x.doc.Assets[j].ConfigurationItem })
	return nil
}

// changeRecords reads the change records with their CIs.
func (x *exportPass) changeRecords(ctx context.Context) error {
	crs, err := x.c.ChangeRecord.Query().
		WithConfigurationItems(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).All(ctx)
	if err != nil {
		return fmt.Errorf("reading change records: %w", err)
	}
	for _, r := range crs {
		e := ChangeRecord{Number: r.Number, Title: r.Title, Description: deref(r.Description), Status: string(r.Status),
			WindowStart: docTime(r.WindowStart), WindowEnd: docTime(r.WindowEnd), Requester: r.Requester, Approver: deref(r.Approver)}
		for _, m := range r.Edges.ConfigurationItems {
			e.ConfigurationItems = append(e.ConfigurationItems, x.ciRef[m.ID])
		}
		sort.Strings(e.ConfigurationItems)
		x.doc.ChangeRecords = append(x.doc.ChangeRecords, e)
	}
	sort.Slice(x.doc.ChangeRecords, func(i, j int) bool { return x.doc.ChangeRecords[i].Number < x.doc.ChangeRecords[j].Number })
	return nil
}

// Encode writes doc as indented JSON followed by a newline. Empty lists are
// written as [] so that every document has every key.
func Encode(w io.Writer, doc *Document) error {
	d := *doc
	nonNil(&d.Locations)
	nonNil(&d.Owners)
	nonNil(&d.Vendors)
	nonNil(&d.ConfigurationItems)
	nonNil(&d.Relationships)
	nonNil(&d.Services)
	nonNil(&d.Contracts)
	nonNil(&d.Assets)
	nonNil(&d.ChangeRecords)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&d); err != nil {
		return fmt.Errorf("encoding estate: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing estate: %w", err)
	}
	return nil
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// impliedIdentifier reports whether id is the record row of one of the CI's
// own identifier fields.
func impliedIdentifier(ci *ent.ConfigurationItem, id *ent.Identifier) bool {
	if id.Source != "record" {
		return false
	}
	var field *string
	switch id.Kind {
	case identifier.KindHostname:
		field = ci.Hostname
	case identifier.KindFQDN:
		field = ci.Fqdn
	case identifier.KindSerial:
		field = ci.SerialNumber
	case identifier.KindAssetTag:
		field = ci.AssetTag
	default:
		return false
	}
	return field != nil && *field == id.Value
}

func sortIdentifiers(ids []Identifier) {
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.Kind != b.Kind {
			return kindRank(ident.Kind(a.Kind)) < kindRank(ident.Kind(b.Kind))
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.Source < b.Source
	})
}

// locationPaths computes the path of every location.
func locationPaths(locs []*ent.Location) (map[int]string, error) {
	byID := map[int]*ent.Location{}
	for _, l := range locs {
		byID[l.ID] = l
	}
	paths := map[int]string{}
	var path func(id int, depth int) (string, error)
	path = func(id int, depth int) (string, error) {
		if p, ok := paths[id]; ok {
			return p, nil
		}
		l, ok := byID[id]
		if !ok {
			return "", fmt.Errorf("location %d does not exist", id)
		}
		if depth > len(locs) {
			return "", fmt.Errorf("location %q is its own ancestor", l.Name)
		}
		parent := ""
		if l.ParentID != nil {
			var err error
			if parent, err = path(*l.ParentID, depth+1); err != nil {
				return "", err
			}
		}
		p := joinPath(parent, l.Name)
		paths[id] = p
		return p, nil
	}
	for _, l := range locs {
		if _, err := path(l.ID, 0); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// disambiguator is the strongest identifier of a CI element, used to tell
// apart CIs that share a name.
func disambiguator(e *CI) string {
	for _, s := range []string{e.FQDN, e.Hostname, e.SerialNumber, e.AssetTag} {
		if s != "" {
			return s
		}
	}
	for _, k := range []string{string(ident.CloudID), string(ident.MAC), string(ident.IP)} {
		for _, id := range e.Identifiers {
			if id.Kind == k {
				return id.Value
			}
		}
	}
	return ""
}

// assignRefs returns the ref of every CI element (see the package comment).
func assignRefs(elems []CI) []string {
	byName := map[string][]int{}
	for i := range elems {
		byName[elems[i].Name] = append(byName[elems[i].Name], i)
	}
	refs := make([]string, len(elems))
	used := map[string]bool{}
	for i := range elems {
		if len(byName[elems[i].Name]) == 1 {
			refs[i] = elems[i].Name
			used[refs[i]] = true
		}
	}
	// Shared names: name@identifier, then #n in the order of the elements'
	// content, which does not depend on database IDs.
	names := make([]string, 0, len(byName))
	for n, idx := range byName {
		if len(idx) > 1 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		idx := byName[n]
		keys := make(map[int]string, len(idx))
		for _, i := range idx {
			b, _ := json.Marshal(elems[i])
			keys[i] = string(b)
		}
		sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
		cand := map[string]int{}
		for _, i := range idx {
			r := n
			if d := disambiguator(&elems[i]); d != "" {
				r = n + "@" + d
			}
			refs[i] = r
			cand[r]++
		}
		seen := map[string]int{}
		for _, i := range idx {
			base := refs[i]
			r := base
			if cand[base] > 1 || used[base] {
				for {
					seen[base]++
					nr := base + "#" + strconv.Itoa(seen[base])
					if !used[nr] && cand[nr] == 0 {
						r = nr
						break
					}
				}
			}
			refs[i] = r
			used[r] = true
		}
	}
	return refs
}

// ExportDB exports the estate of db from one read-only transaction, so the
// document is a consistent snapshot.
func ExportDB(ctx context.Context, db *app.DB, opts ExportOptions) (*Document, error) {
	tx, err := db.Client.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("starting read transaction: %w", err)
	}
	doc, err := Export(ctx, tx.Client(), opts)
	if rerr := tx.Rollback(); err == nil && rerr != nil {
		err = fmt.Errorf("ending read transaction: %w", rerr)
	}
	return doc, err
}

// addNotIdentityFact adds value to the CI's fact of kind's values that are
// not identity (identity.NotIdentityFact), kept sorted and unique.
func addNotIdentityFact(facts map[string]any, kind ident.Kind, value string) map[string]any {
	k := identity.NotIdentityFact(kind)
	out := make(map[string]any, len(facts)+1)
	for fk, fv := range facts {
		out[fk] = fv
	}
	var vs []string
	if have, ok := out[k].(string); ok && have != "" {
		vs = strings.Fields(have)
	}
	if !slices.Contains(vs, value) {
		vs = append(vs, value)
	}
	sort.Strings(vs)
	out[k] = strings.Join(vs, " ")
	return out
}
