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

	cis map[int]*ent.ConfigurationItem
	// idx is the stored identifiers as the one matcher reads them
	// (identity.Index), with their scopes, as they were when the import
	// began: rows are matched against the stored estate, not one another.
	idx      *identity.Index
	byName   map[string][]int        // CI name → IDs
	ciIdents map[int]map[string]bool // CI ID → "KIND\x00value"
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
		cis:    map[int]*ent.ConfigurationItem{},
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
	s.idx = identity.NewIndex(len(ids))
	for _, id := range ids {
		s.idx.Add(id.CI, ident.Kind(id.Kind), id.Value, deref(id.Scope))
		s.hold(ident.Kind(id.Kind), id.Value, id.CI)
	}
	return s, nil
}

// hold records that CI ci has the identifier (kind, value), so that an
// import does not create it twice.
func (s *dbState) hold(kind ident.Kind, value string, ci int) {
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

// primary is a CI's own identifier fields, strongest first (the order of
// ident.Kinds).
type primary [4]struct {
	kind  ident.Kind
	value string
}

// primaryOf returns a stored CI's own identifier fields.
func primaryOf(ci *ent.ConfigurationItem) primary {
	return primaryFields(deref(ci.SerialNumber), deref(ci.Fqdn), deref(ci.Hostname), deref(ci.AssetTag))
}

// primaryOfElem returns a CI element's own identifier fields.
func primaryOfElem(e *CI) primary {
	return primaryFields(e.SerialNumber, e.FQDN, e.Hostname, e.AssetTag)
}

func primaryFields(serial, fqdn, hostname, assetTag string) primary {
	var p primary
	p[0].kind, p[0].value = ident.Serial, serial
	p[1].kind, p[1].value = ident.FQDN, fqdn
	p[2].kind, p[2].value = ident.Hostname, hostname
	p[3].kind, p[3].value = ident.AssetTag, assetTag
	return p
}

// contradicts reports whether a CI with primary identifiers p, named by an
// identifier of kind by, contradicts the element with identifiers keys: an
// own identifier field stronger than by that both have and that differs (a
// host named by its host name or address but with another serial number
// or FQDN is another machine; one found by its serial number may have been
// renamed). This is the import's rule on top of the matcher's: a row states
// its primary identifiers, so a disagreement is evidence. The domain and
// scope rules are identity's (Decide), not repeated here.
func contradicts(p primary, keys ciKeys, by ident.Kind) bool {
	rank := kindRank(by)
	for _, f := range p {
		if kindRank(f.kind) >= rank {
			return false
		}
		if f.value != "" && len(keys[f.kind]) > 0 && !slices.Contains(keys[f.kind], f.value) {
			return true
		}
	}
	return false
}

// kindRank is k's position in ident.Kinds (strongest first; a test
// checks), without allocating; an unknown kind ranks last.
func kindRank(k ident.Kind) int {
	switch k {
	case ident.SourceKey:
		return 0
	case ident.Serial:
		return 1
	case ident.CloudID:
		return 2
	case ident.UUID:
		return 3
	case ident.MAC:
		return 4
	case ident.FQDN:
		return 5
	case ident.Hostname:
		return 6
	case ident.AssetTag:
		return 7
	case ident.IP:
		return 8
	}
	return 9
}
