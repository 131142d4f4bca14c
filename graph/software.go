package graph

import (
	"context"
	"fmt"
	"sort"

	"entgo.io/contrib/entgql"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/softwareinstallation"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/pkgversion"
)

// installationKey is what softwareInstallations reads of every installation
// of the package before paging: enough to filter by version and to order.
type installationKey struct {
	ID      int     `sql:"id"`
	Version string  `sql:"version"`
	Manager *string `sql:"manager"`
	CIName  string  `sql:"ci_name"`
}

// before reports whether k sorts before the cursor position (name, id).
func (k installationKey) before(name string, id int) bool {
	if k.CIName != name {
		return k.CIName < name
	}
	return k.ID < id
}

// past reports whether k sorts after the cursor position (name, id).
func (k installationKey) past(name string, id int) bool {
	if k.CIName != name {
		return k.CIName > name
	}
	return k.ID > id
}

// softwareInstallations answers Query.softwareInstallations: one indexed
// statement reads every installation of the package with its CI's name,
// versionBelow filters them by the CI's package manager's ordering
// (internal/pkgversion), they are ordered by CI name (bytes) then ID, and
// the page's nodes load in one statement with what the query selects under
// edges.node (its CIs in one more).
func (r *Resolver) softwareInstallations(ctx context.Context, name string, versionBelow *string, first *int, after *entgql.Cursor[int]) (*ent.SoftwareInstallationConnection, error) {
	if name == "" {
		return nil, apperr.Invalid("name", "name must be a package name, got an empty string")
	}
	if versionBelow != nil && *versionBelow == "" {
		return nil, apperr.Invalid("versionBelow", "versionBelow must be a version, got an empty string: leave it out for every version")
	}
	n := DefaultPageSize
	if first != nil {
		if *first < 0 || *first > MaxPageSize {
			return nil, apperr.Invalid("first", "first must be between 0 and %d, got %d", MaxPageSize, *first)
		}
		n = *first
	}
	var afterName string
	if after != nil {
		s, ok := after.Value.(string)
		if !ok {
			return nil, apperr.Invalid("after", "after is not a cursor of softwareInstallations")
		}
		afterName = s
	}

	var keys []installationKey
	err := r.client.SoftwareInstallation.Query().
		Where(softwareinstallation.Name(name)).
		Modify(func(s *entsql.Selector) {
			ci := entsql.Table(configurationitem.Table)
			s.Join(ci).On(s.C(softwareinstallation.FieldConfigurationItemID), ci.C(configurationitem.FieldID))
			s.Select(
				s.C(softwareinstallation.FieldID),
				s.C(softwareinstallation.FieldVersion),
				s.C(softwareinstallation.FieldManager),
				entsql.As(ci.C(configurationitem.FieldName), "ci_name"),
			)
		}).
		Scan(ctx, &keys)
	if err != nil {
		return nil, fmt.Errorf("reading installations of %q: %w", name, err)
	}
	if versionBelow != nil {
		kept := keys[:0]
		for _, k := range keys {
			manager := ""
			if k.Manager != nil {
				manager = *k.Manager
			}
			if pkgversion.Compare(manager, k.Version, *versionBelow) < 0 {
				kept = append(kept, k)
			}
		}
		keys = kept
	}
	// Go's byte order, not the database's collation, so that the cursor
	// compares as the order does on both engines.
	sort.Slice(keys, func(i, j int) bool { return keys[i].before(keys[j].CIName, keys[j].ID) })

	conn := &ent.SoftwareInstallationConnection{TotalCount: len(keys), Edges: []*ent.SoftwareInstallationEdge{}}
	start := 0
	if after != nil {
		// The first installation past the cursor (the cursor's own row may
		// have gone since).
		start = sort.Search(len(keys), func(i int) bool { return keys[i].past(afterName, after.ID) })
	}
	end := min(start+n, len(keys))
	conn.PageInfo.HasPreviousPage = start > 0
	conn.PageInfo.HasNextPage = end < len(keys)
	page := keys[start:end]
	if len(page) == 0 {
		return conn, nil
	}
	ids := make([]int, len(page))
	for i, k := range page {
		ids[i] = k.ID
	}
	byID := map[int]*ent.SoftwareInstallation{}
	if sel := subField(ctx, "edges", "node"); sel != nil {
		q, err := r.client.SoftwareInstallation.Query().Where(softwareinstallation.IDIn(ids...)).CollectFields(sel)
		if err != nil {
			return nil, fmt.Errorf("selecting installations of %q: %w", name, err)
		}
		nodes, err := q.All(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading installations of %q: %w", name, err)
		}
		for _, nd := range nodes {
			byID[nd.ID] = nd
		}
	}
	for _, k := range page {
		cur := entgql.Cursor[int]{ID: k.ID, Value: k.CIName}
		e := &ent.SoftwareInstallationEdge{Cursor: cur}
		if nd, ok := byID[k.ID]; ok {
			e.Node = nd
		}
		conn.Edges = append(conn.Edges, e)
	}
	conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
	conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	return conn, nil
}
