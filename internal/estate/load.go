package estate

import (
	"context"
	"fmt"
	"slices"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
)

// dbState is what an import needs to know of the database, read once at the
// start of the import transaction.
type dbState struct {
	locByPath      map[string]*ent.Location
	locByName      map[string][]*ent.Location
	ownerByName    map[string]*ent.Owner
	vendorByName   map[string]*ent.Vendor
	svcByName      map[string]*ent.Service // with member and depends-on IDs
	contractByK    map[string]*ent.Contract
	assetByCI      map[int]*ent.Asset
	crByNumber     map[string]*ent.ChangeRecord
	ownerNameByID  map[int]string
	vendorNameByID map[int]string

	cis      map[int]*ent.ConfigurationItem
	index    map[ident.Kind]map[string][]int // identifier index: kind → value → CI IDs
	byName   map[string][]int                // CI name → IDs
	ciIdents map[int]map[string]bool         // CI ID → "KIND\x00value"
}

func identKey(kind, value string) string { return kind + "\x00" + value }

// loadState reads the database. CIs and identifiers are always read (the
// identifier index is one query); the other entities only when the import
// refers to them.
func loadState(ctx context.Context, c *ent.Client, full bool) (*dbState, error) {
	s := &dbState{
		locByPath: map[string]*ent.Location{}, locByName: map[string][]*ent.Location{},
		ownerByName: map[string]*ent.Owner{}, vendorByName: map[string]*ent.Vendor{},
		svcByName: map[string]*ent.Service{}, contractByK: map[string]*ent.Contract{},
		assetByCI: map[int]*ent.Asset{}, crByNumber: map[string]*ent.ChangeRecord{},
		ownerNameByID: map[int]string{}, vendorNameByID: map[int]string{},
		cis: map[int]*ent.ConfigurationItem{}, index: map[ident.Kind]map[string][]int{},
		byName: map[string][]int{}, ciIdents: map[int]map[string]bool{},
	}
	locs, err := c.Location.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading locations: %w", err)
	}
	paths, err := locationPaths(locs)
	if err != nil {
		return nil, err
	}
	for _, l := range locs {
		s.locByPath[paths[l.ID]] = l
		s.locByName[l.Name] = append(s.locByName[l.Name], l)
	}
	owners, err := c.Owner.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading owners: %w", err)
	}
	for _, o := range owners {
		s.ownerByName[o.Name] = o
		s.ownerNameByID[o.ID] = o.Name
	}
	vendors, err := c.Vendor.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading vendors: %w", err)
	}
	for _, v := range vendors {
		s.vendorByName[v.Name] = v
		s.vendorNameByID[v.ID] = v.Name
	}
	svcs, err := c.Service.Query().
		WithMembers(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).
		WithDependsOn().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading services: %w", err)
	}
	for _, sv := range svcs {
		s.svcByName[sv.Name] = sv
	}
	if full {
		contracts, err := c.Contract.Query().
			WithCoveredCis(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading contracts: %w", err)
		}
		for _, k := range contracts {
			v := ""
			if k.VendorID != nil {
				v = s.vendorNameByID[*k.VendorID]
			}
			s.contractByK[contractKey(v, k.Number)] = k
		}
		assets, err := c.Asset.Query().All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading assets: %w", err)
		}
		for _, a := range assets {
			s.assetByCI[a.ConfigurationItemID] = a
		}
		crs, err := c.ChangeRecord.Query().
			WithConfigurationItems(func(q *ent.ConfigurationItemQuery) { q.Select(configurationitem.FieldID) }).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading change records: %w", err)
		}
		for _, r := range crs {
			s.crByNumber[r.Number] = r
		}
	}
	cis, err := c.ConfigurationItem.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading configuration items: %w", err)
	}
	for _, ci := range cis {
		s.cis[ci.ID] = ci
		s.byName[ci.Name] = append(s.byName[ci.Name], ci.ID)
	}
	var ids []struct {
		Kind  string  `json:"kind"`
		Value string  `json:"value"`
		Scope *string `json:"scope"`
		CI    int     `json:"configuration_item_id"`
	}
	if err := c.Identifier.Query().
		Select(identifier.FieldKind, identifier.FieldValue, identifier.FieldScope, identifier.FieldConfigurationItemID).
		Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("reading identifiers: %w", err)
	}
	for _, id := range ids {
		s.addIdent(ident.Kind(id.Kind), id.Value, deref(id.Scope), id.CI)
	}
	return s, nil
}

// matchValue is the index key of an identifier: its value, and for an
// address the scope it identifies in (identity.AddressScope), so that an
// address matches only within its scope.
func matchValue(kind ident.Kind, value, scope string) string {
	if kind != ident.IP {
		return value
	}
	return value + "@" + identity.AddressScope(value, scope)
}

func (s *dbState) addIdent(kind ident.Kind, value, scope string, ci int) {
	m := s.index[kind]
	if m == nil {
		m = map[string][]int{}
		s.index[kind] = m
	}
	// Values that are not identity are kept but never matched on.
	if _, bad := identity.NotIdentity(kind, value); !bad {
		k := matchValue(kind, value, scope)
		if !slices.Contains(m[k], ci) {
			m[k] = append(m[k], ci)
		}
	}
	set := s.ciIdents[ci]
	if set == nil {
		set = map[string]bool{}
		s.ciIdents[ci] = set
	}
	set[identKey(string(kind), value)] = true
}

// relationshipSet returns the existing (from, to, type) keys of the
// relationships whose FROM CI is one of ids.
func relationshipSet(ctx context.Context, c *ent.Client, ids []int) (map[relKey]*ent.Relationship, error) {
	out := map[relKey]*ent.Relationship{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rels, err := c.Relationship.Query().Where(relationship.FromIDIn(chunk...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading relationships: %w", err)
		}
		for _, r := range rels {
			out[relKey{r.FromID, r.ToID, string(r.Type)}] = r
		}
	}
	return out, nil
}

type relKey struct {
	from, to int
	typ      string
}

// primaryOf returns a stored CI's own identifier fields, for the
// consistency check of a match.
func primaryOf(ci *ent.ConfigurationItem) map[ident.Kind]string {
	return map[ident.Kind]string{
		ident.Serial:   deref(ci.SerialNumber),
		ident.FQDN:     deref(ci.Fqdn),
		ident.Hostname: deref(ci.Hostname),
		ident.AssetTag: deref(ci.AssetTag),
	}
}

// consistent reports whether a candidate CI with primary identifiers cand,
// found by an identifier of kind by, can be the element with identifiers
// keys: no identifier stronger than by that both have may differ. (A server
// found by its serial number may have been renamed; a host found by its
// hostname but with another serial number or FQDN is another machine.)
func consistent(cand map[ident.Kind]string, keys ciKeys, by ident.Kind) bool {
	for _, kind := range ident.Kinds() {
		if kind == by {
			return true
		}
		v := cand[kind]
		if v == "" || len(keys[kind]) == 0 {
			continue
		}
		if !slices.Contains(keys[kind], v) {
			return false
		}
	}
	return true
}
