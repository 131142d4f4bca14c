package estate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// ImportOptions tune Import and ImportCSV.
type ImportOptions struct {
	// Source is the file name the data came from, shown in the report. The
	// audit actor is "import:<base name of Source>" unless Actor is set.
	Source string
	// Actor overrides the audit actor (the demo seed uses "seed").
	Actor string
	// DryRun runs the import in a transaction and rolls it back: the report
	// says what would be created and updated.
	DryRun bool
	// Partial writes the valid elements when some are invalid; without it
	// nothing is written if any element is invalid. Elements that refer to
	// an invalid element are invalid too (list entries such as service
	// members are dropped one by one). Validation runs before anything is
	// written; an error the database still reports while writing aborts
	// the whole import, partial or not.
	Partial bool
	// Names is how many names per entity the report lists (default 5).
	Names int
}

func (o ImportOptions) actor() string {
	if o.Actor != "" {
		return o.Actor
	}
	if o.Source == "" {
		return "import"
	}
	return "import:" + filepath.Base(o.Source)
}

var errRollback = errors.New("rollback")

// Import writes doc into the database in one transaction through the ent
// client c, so every write goes through the hooks (normalisation,
// validation, identifier rows, one audit event per change, with the actor
// of opts).
//
// Existing entities are updated instead of duplicated: CIs are matched by
// identifier, strongest first (serial number, cloud ID, UUID, MAC, FQDN,
// hostname, asset tag, then an IP only when it names exactly one CI); a CI
// element without any identifier is matched by name (and kind). A candidate
// whose own serial number, FQDN, hostname or asset tag differs from the
// element's is not a match. Other entities are matched by their natural key.
// Updates are merges: fields the element leaves out, attributes it does not
// name, and relationships, members and identifiers it does not list are left
// alone; nothing is deleted.
//
// Invalid elements are listed in the report with their JSON path; then
// nothing is written and the error wraps ErrInvalid, unless opts.Partial.
func Import(ctx context.Context, c *ent.Client, doc *Document, opts ImportOptions) (*ImportResult, error) {
	start := time.Now()
	if doc.Version != Version {
		return nil, fmt.Errorf("version: unsupported document version %d (want %d)", doc.Version, Version)
	}
	im := newImporter(opts)
	im.full = len(doc.Contracts)+len(doc.Assets)+len(doc.ChangeRecords) > 0
	im.addDocument(doc)
	return im.run(ctx, c, start)
}

type elem struct {
	loc locator
	bad bool
	id  int // database ID once matched or created
}

// target is a resolved reference: a document element or a database row.
type target struct {
	el   *elem
	dbID int
}

func (t target) id() int {
	if t.el != nil {
		return t.el.id
	}
	return t.dbID
}

func (t target) set() bool { return t.el != nil || t.dbID != 0 }

type locIn struct {
	elem
	e      *Location
	path   string
	parent target
	done   bool
}

type ownerIn struct {
	elem
	e    *Owner
	team target
	busy bool
	done bool
}

type vendorIn struct {
	elem
	e *Vendor
}

type ciIn struct {
	elem
	e        *CI
	keys     ciKeys
	match    *ent.ConfigurationItem
	owner    target
	vendor   target
	location target
	services []string // CSV: service names
	svcIDs   []int
	updated  bool
}

type relIn struct {
	elem
	e        *Relationship
	from, to target
}

type svcIn struct {
	elem
	e         *Service
	owner     target
	dependsOn []target
	members   []target
	match     *ent.Service
	updated   bool
}

type contractIn struct {
	elem
	e      *Contract
	cost   int64
	vendor target
	covers []target
	match  *ent.Contract
}

type assetIn struct {
	elem
	e     *Asset
	m     assetMoney
	ci    target
	match *ent.Asset
}

type crIn struct {
	elem
	e     *ChangeRecord
	cis   []target
	match *ent.ChangeRecord
}

type importer struct {
	opts ImportOptions
	rep  *ImportResult
	src  string
	full bool

	locs      []*locIn
	owners    []*ownerIn
	vendors   []*vendorIn
	cis       []*ciIn
	rels      []*relIn
	svcs      []*svcIn
	contracts []*contractIn
	assets    []*assetIn
	crs       []*crIn

	locByPath    map[string]*locIn
	ownerByName  map[string]*ownerIn
	vendorByName map[string]*vendorIn
	ciByRef      map[string][]*ciIn
	svcByName    map[string]*svcIn

	db *dbState
	m  matcher
}

func newImporter(opts ImportOptions) *importer {
	return &importer{
		opts: opts, rep: newImportResult(opts.Source, opts.DryRun, opts.Names), src: opts.actor(),
		locByPath: map[string]*locIn{}, ownerByName: map[string]*ownerIn{}, vendorByName: map[string]*vendorIn{},
		ciByRef: map[string][]*ciIn{}, svcByName: map[string]*svcIn{},
	}
}

// fail marks el invalid with the problems of c.
func (im *importer) fail(el *elem, ps ...Problem) {
	el.bad = true
	im.rep.Problems = append(im.rep.Problems, ps...)
}

func (im *importer) failf(el *elem, field, format string, args ...any) {
	im.fail(el, Problem{Path: el.loc.at(field), Msg: fmt.Sprintf(format, args...)})
}

func (im *importer) run(ctx context.Context, c *ent.Client, start time.Time) (*ImportResult, error) {
	ctx = audit.WithActor(ctx, im.opts.actor())
	var invalid bool
	err := txn.Do(ctx, c, func(tx *ent.Client) error {
		var err error
		if im.db, err = loadState(ctx, tx, im.full); err != nil {
			return err
		}
		if err := im.resolve(ctx, tx); err != nil {
			return err
		}
		if len(im.rep.Problems) > 0 && !im.opts.Partial {
			invalid = true
			return errRollback
		}
		if err := im.apply(ctx, tx); err != nil {
			return err
		}
		if im.opts.DryRun {
			return errRollback
		}
		return nil
	})
	im.rep.Elapsed = time.Since(start)
	im.countSkipped()
	sortProblems(im.rep.Problems)
	switch {
	case invalid:
		im.rep.resetCounts()
		return im.rep, fmt.Errorf("%s: %d problem(s), nothing was written: %w", im.opts.Source, len(im.rep.Problems), ErrInvalid)
	case errors.Is(err, errRollback):
		return im.rep, nil
	case err != nil:
		im.rep.resetCounts()
		return im.rep, err
	}
	im.rep.Written = true
	return im.rep, nil
}

func (im *importer) countSkipped() {
	count := func(ent string, bad bool) {
		if bad {
			im.rep.Entity(ent).Skipped++
		}
	}
	for _, x := range im.locs {
		count(EntLocations, x.bad)
	}
	for _, x := range im.owners {
		count(EntOwners, x.bad)
	}
	for _, x := range im.vendors {
		count(EntVendors, x.bad)
	}
	for _, x := range im.cis {
		count(EntConfigurationItems, x.bad)
	}
	for _, x := range im.rels {
		count(EntRelationships, x.bad)
	}
	for _, x := range im.svcs {
		count(EntServices, x.bad)
	}
	for _, x := range im.contracts {
		count(EntContracts, x.bad)
	}
	for _, x := range im.assets {
		count(EntAssets, x.bad)
	}
	for _, x := range im.crs {
		count(EntChangeRecords, x.bad)
	}
}

// sortProblems orders problems by element: CSV line, or entity (in
// document order) and index; problems of one element keep their order.
func sortProblems(ps []Problem) {
	key := func(p Problem) (int, int) {
		if rest, ok := strings.CutPrefix(p.Path, "line "); ok {
			n, _ := strconv.Atoi(strings.SplitN(rest, ":", 2)[0])
			return 0, n
		}
		name, rest, _ := strings.Cut(p.Path, "[")
		idx, _ := strconv.Atoi(strings.SplitN(rest, "]", 2)[0])
		return slices.Index(entityOrder(), name) + 1, idx
	}
	sort.SliceStable(ps, func(i, j int) bool {
		ai, aj := key(ps[i])
		bi, bj := key(ps[j])
		if ai != bi {
			return ai < bi
		}
		return aj < bj
	})
}
