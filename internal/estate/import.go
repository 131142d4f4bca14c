package estate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/ident"
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

// addDocument validates every element and indexes it by natural key.
func (im *importer) addDocument(doc *Document) {
	for i := range doc.Locations {
		e := &doc.Locations[i]
		in := &locIn{elem: elem{loc: jsonLoc("locations", i)}, e: e}
		c := &checker{loc: in.loc}
		checkLocation(c, e)
		in.path = joinPath(e.Parent, e.Name)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		} else if prev, dup := im.locByPath[in.path]; dup {
			im.failf(&in.elem, "name", "duplicate location %q (also %s)", in.path, prev.loc.prefix)
		} else {
			im.locByPath[in.path] = in
		}
		im.locs = append(im.locs, in)
	}
	for i := range doc.Owners {
		e := &doc.Owners[i]
		in := &ownerIn{elem: elem{loc: jsonLoc("owners", i)}, e: e}
		c := &checker{loc: in.loc}
		checkOwner(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		} else if prev, dup := im.ownerByName[e.Name]; dup {
			im.failf(&in.elem, "name", "duplicate owner %q (also %s)", e.Name, prev.loc.prefix)
		} else {
			im.ownerByName[e.Name] = in
		}
		im.owners = append(im.owners, in)
	}
	for i := range doc.Vendors {
		e := &doc.Vendors[i]
		in := &vendorIn{elem: elem{loc: jsonLoc("vendors", i)}, e: e}
		c := &checker{loc: in.loc}
		checkVendor(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		} else if prev, dup := im.vendorByName[e.Name]; dup {
			im.failf(&in.elem, "name", "duplicate vendor %q (also %s)", e.Name, prev.loc.prefix)
		} else {
			im.vendorByName[e.Name] = in
		}
		im.vendors = append(im.vendors, in)
	}
	for i := range doc.ConfigurationItems {
		im.addCI(&doc.ConfigurationItems[i], jsonLoc("configurationItems", i), nil)
	}
	for i := range doc.Relationships {
		e := &doc.Relationships[i]
		in := &relIn{elem: elem{loc: jsonLoc("relationships", i)}, e: e}
		c := &checker{loc: in.loc}
		checkRelationship(c, e, im.src)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		}
		im.rels = append(im.rels, in)
	}
	for i := range doc.Services {
		e := &doc.Services[i]
		in := &svcIn{elem: elem{loc: jsonLoc("services", i)}, e: e}
		c := &checker{loc: in.loc}
		checkService(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		} else if prev, dup := im.svcByName[e.Name]; dup {
			im.failf(&in.elem, "name", "duplicate service %q (also %s)", e.Name, prev.loc.prefix)
		} else {
			im.svcByName[e.Name] = in
		}
		im.svcs = append(im.svcs, in)
	}
	seenContract := map[string]*contractIn{}
	for i := range doc.Contracts {
		e := &doc.Contracts[i]
		in := &contractIn{elem: elem{loc: jsonLoc("contracts", i)}, e: e}
		c := &checker{loc: in.loc}
		in.cost = checkContract(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		} else if prev, dup := seenContract[contractKey(e.Vendor, e.Number)]; dup {
			im.failf(&in.elem, "number", "duplicate contract %q of vendor %q (also %s)", e.Number, e.Vendor, prev.loc.prefix)
		} else {
			seenContract[contractKey(e.Vendor, e.Number)] = in
		}
		im.contracts = append(im.contracts, in)
	}
	for i := range doc.Assets {
		e := &doc.Assets[i]
		in := &assetIn{elem: elem{loc: jsonLoc("assets", i)}, e: e}
		c := &checker{loc: in.loc}
		in.m = checkAsset(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		}
		im.assets = append(im.assets, in)
	}
	seenCR := map[string]*crIn{}
	for i := range doc.ChangeRecords {
		e := &doc.ChangeRecords[i]
		in := &crIn{elem: elem{loc: jsonLoc("changeRecords", i)}, e: e}
		c := &checker{loc: in.loc}
		checkChangeRecord(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		} else if prev, dup := seenCR[e.Number]; dup {
			im.failf(&in.elem, "number", "duplicate change record %q (also %s)", e.Number, prev.loc.prefix)
		} else {
			seenCR[e.Number] = in
		}
		im.crs = append(im.crs, in)
	}
}

// addCI validates a CI element; problems already found (CSV parsing) come
// in pre.
func (im *importer) addCI(e *CI, loc locator, pre []Problem) *ciIn {
	in := &ciIn{elem: elem{loc: loc}, e: e}
	c := &checker{loc: loc, problems: pre}
	in.keys = checkCI(c, e, im.src)
	if !c.ok() {
		im.fail(&in.elem, c.problems...)
	}
	ref := e.Ref
	if ref == "" {
		ref = e.Name
	}
	if e.Ref != "" {
		for _, prev := range im.ciByRef[ref] {
			if prev.e.Ref == ref {
				im.failf(&in.elem, "ref", "duplicate ref %q (also %s)", ref, prev.loc.prefix)
			}
		}
	}
	if ref != "" {
		im.ciByRef[ref] = append(im.ciByRef[ref], in)
	}
	im.cis = append(im.cis, in)
	return in
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

// ---- resolution ----

func (im *importer) resolveLocation(r string) (target, string) {
	if in, ok := im.locByPath[r]; ok {
		if in.bad {
			return target{}, fmt.Sprintf("refers to invalid location %q (%s)", r, in.loc.prefix)
		}
		return target{el: &in.elem}, ""
	}
	if l, ok := im.db.locByPath[r]; ok {
		return target{dbID: l.ID}, ""
	}
	// A bare name: the one location with that name.
	name := lastPathName(r)
	var docHits []*locIn
	for _, in := range im.locs {
		if !in.bad && in.e.Name == name && r == escapeName(name) {
			docHits = append(docHits, in)
		}
	}
	dbHits := im.db.locByName[name]
	if r != escapeName(name) {
		dbHits = nil
	}
	switch {
	case len(docHits) == 1 && len(dbHits) <= 1:
		return target{el: &docHits[0].elem}, ""
	case len(docHits) == 0 && len(dbHits) == 1:
		return target{dbID: dbHits[0].ID}, ""
	case len(docHits)+len(dbHits) > 1:
		return target{}, fmt.Sprintf("ambiguous location %q: %d locations have that name, give its path", r, len(docHits)+len(dbHits))
	}
	return target{}, fmt.Sprintf("unknown location %q", r)
}

func (im *importer) resolveOwner(name string) (target, string) {
	if in, ok := im.ownerByName[name]; ok {
		if in.bad {
			return target{}, fmt.Sprintf("refers to invalid owner %q (%s)", name, in.loc.prefix)
		}
		return target{el: &in.elem}, ""
	}
	if o, ok := im.db.ownerByName[name]; ok {
		return target{dbID: o.ID}, ""
	}
	return target{}, fmt.Sprintf("unknown owner %q", name)
}

func (im *importer) ownerKind(name string) string {
	if in, ok := im.ownerByName[name]; ok {
		return in.e.Kind
	}
	if o, ok := im.db.ownerByName[name]; ok {
		return string(o.Kind)
	}
	return ""
}

func (im *importer) resolveVendor(name string) (target, string) {
	if in, ok := im.vendorByName[name]; ok {
		if in.bad {
			return target{}, fmt.Sprintf("refers to invalid vendor %q (%s)", name, in.loc.prefix)
		}
		return target{el: &in.elem}, ""
	}
	if v, ok := im.db.vendorByName[name]; ok {
		return target{dbID: v.ID}, ""
	}
	return target{}, fmt.Sprintf("unknown vendor %q", name)
}

func (im *importer) resolveService(name string) (target, string) {
	if in, ok := im.svcByName[name]; ok {
		if in.bad {
			return target{}, fmt.Sprintf("refers to invalid service %q (%s)", name, in.loc.prefix)
		}
		return target{el: &in.elem}, ""
	}
	if s, ok := im.db.svcByName[name]; ok {
		return target{dbID: s.ID}, ""
	}
	return target{}, fmt.Sprintf("unknown service %q", name)
}

// resolveCI finds a CI by document ref, or else by a name that exactly one
// stored CI has.
func (im *importer) resolveCI(ref string) (target, string) {
	if ins := im.ciByRef[ref]; len(ins) > 0 {
		if len(ins) > 1 {
			return target{}, fmt.Sprintf("ambiguous configuration item %q: %d elements have that name, give them distinct refs", ref, len(ins))
		}
		if ins[0].bad {
			return target{}, fmt.Sprintf("refers to invalid configuration item %q (%s)", ref, ins[0].loc.prefix)
		}
		return target{el: &ins[0].elem}, ""
	}
	switch ids := im.db.byName[ref]; len(ids) {
	case 0:
		return target{}, fmt.Sprintf("unknown configuration item %q", ref)
	case 1:
		return target{dbID: ids[0]}, ""
	default:
		return target{}, fmt.Sprintf("ambiguous configuration item %q: %d stored CIs have that name", ref, len(ids))
	}
}

// resolveList resolves a list of references; bad entries are reported and
// dropped (the element stays valid unless partial is off, which aborts).
func (im *importer) resolveList(el *elem, field string, refs []string, fn func(string) (target, string)) []target {
	var out []target
	seen := map[string]bool{}
	for j, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		t, msg := fn(r)
		if msg != "" {
			im.rep.Problems = append(im.rep.Problems, Problem{Path: el.loc.at(fmt.Sprintf("%s[%d]", field, j)), Msg: msg})
			continue
		}
		out = append(out, t)
	}
	return out
}

func (im *importer) resolve(ctx context.Context, tx *ent.Client) error {
	// Locations, parents first (a location with an invalid parent is invalid).
	var resolveLoc func(in *locIn)
	resolveLoc = func(in *locIn) {
		if in.done || in.bad {
			return
		}
		in.done = true
		if in.e.Parent != "" {
			if p, ok := im.locByPath[in.e.Parent]; ok {
				resolveLoc(p)
			}
			switch p, inDoc := im.locByPath[in.e.Parent]; {
			case inDoc && p.bad:
				im.failf(&in.elem, "parent", "refers to invalid location %q (%s)", in.e.Parent, p.loc.prefix)
				return
			case inDoc:
				in.parent = target{el: &p.elem}
			case im.db.locByPath[in.e.Parent] != nil:
				in.parent = target{dbID: im.db.locByPath[in.e.Parent].ID}
			default:
				im.failf(&in.elem, "parent", "unknown location %q (a parent is given by its full path)", in.e.Parent)
				return
			}
		}
		if l, ok := im.db.locByPath[in.path]; ok {
			in.id = l.ID
		}
	}
	for _, in := range im.locs {
		resolveLoc(in)
	}
	for _, in := range im.owners {
		if in.bad {
			continue
		}
		if o, ok := im.db.ownerByName[in.e.Name]; ok {
			in.id = o.ID
		}
	}
	for _, in := range im.owners {
		if in.bad || in.e.Team == "" {
			continue
		}
		t, msg := im.resolveOwner(in.e.Team)
		if msg == "" && im.ownerKind(in.e.Team) != string(owner.KindTeam) {
			msg = fmt.Sprintf("%q is a %s, not a TEAM: persons belong to teams", in.e.Team, im.ownerKind(in.e.Team))
		}
		if msg != "" {
			im.failf(&in.elem, "team", "%s", msg)
			continue
		}
		in.team = t
	}
	// An owner whose team is invalid is invalid too.
	for changed := true; changed; {
		changed = false
		for _, in := range im.owners {
			if !in.bad && in.team.el != nil {
				if t := im.ownerByName[in.e.Team]; t != nil && t.bad {
					im.failf(&in.elem, "team", "refers to invalid owner %q (%s)", in.e.Team, t.loc.prefix)
					changed = true
				}
			}
		}
	}
	for _, in := range im.vendors {
		if v, ok := im.db.vendorByName[in.e.Name]; ok && !in.bad {
			in.id = v.ID
		}
	}
	if err := im.resolveCIs(); err != nil {
		return err
	}
	if err := im.resolveRelationships(ctx, tx); err != nil {
		return err
	}
	for _, in := range im.svcs {
		if in.bad {
			continue
		}
		if in.e.Owner != "" {
			t, msg := im.resolveOwner(in.e.Owner)
			if msg != "" {
				im.failf(&in.elem, "owner", "%s", msg)
				continue
			}
			in.owner = t
		}
		if s, ok := im.db.svcByName[in.e.Name]; ok {
			in.match, in.id = s, s.ID
		}
	}
	for _, in := range im.svcs {
		if in.bad {
			continue
		}
		in.dependsOn = im.resolveList(&in.elem, "dependsOn", in.e.DependsOn, im.resolveService)
		in.members = im.resolveList(&in.elem, "members", in.e.Members, im.resolveCI)
	}
	for _, in := range im.contracts {
		if in.bad {
			continue
		}
		if in.e.Vendor != "" {
			t, msg := im.resolveVendor(in.e.Vendor)
			if msg != "" {
				im.failf(&in.elem, "vendor", "%s", msg)
				continue
			}
			in.vendor = t
		}
		in.covers = im.resolveList(&in.elem, "covers", in.e.Covers, im.resolveCI)
		if k, ok := im.db.contractByK[contractKey(in.e.Vendor, in.e.Number)]; ok {
			in.match, in.id = k, k.ID
		}
	}
	seenAsset := map[string]*assetIn{}
	for _, in := range im.assets {
		if in.bad {
			continue
		}
		t, msg := im.resolveCI(in.e.ConfigurationItem)
		if msg != "" {
			im.failf(&in.elem, "configurationItem", "%s", msg)
			continue
		}
		if prev, dup := seenAsset[in.e.ConfigurationItem]; dup {
			im.failf(&in.elem, "configurationItem", "duplicate asset of %q (also %s)", in.e.ConfigurationItem, prev.loc.prefix)
			continue
		}
		seenAsset[in.e.ConfigurationItem] = in
		in.ci = t
		if id := t.id(); id != 0 {
			if a, ok := im.db.assetByCI[id]; ok {
				in.match, in.id = a, a.ID
			}
		}
	}
	for _, in := range im.crs {
		if in.bad {
			continue
		}
		in.cis = im.resolveList(&in.elem, "configurationItems", in.e.ConfigurationItems, im.resolveCI)
		if r, ok := im.db.crByNumber[in.e.Number]; ok {
			in.match, in.id = r, r.ID
		}
	}
	return nil
}

// resolveCIs resolves the references of CI elements and matches them with
// stored CIs.
func (im *importer) resolveCIs() error {
	claimed := map[int]*ciIn{}
	type docKey struct {
		kind ident.Kind
		v    string
	}
	newByKey := map[docKey]*ciIn{}
	strong := []ident.Kind{ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.AssetTag}
	for _, in := range im.cis {
		if in.bad {
			continue
		}
		e := in.e
		if e.Owner != "" {
			t, msg := im.resolveOwner(e.Owner)
			if msg != "" {
				im.failf(&in.elem, "owner", "%s", msg)
			}
			in.owner = t
		}
		if e.Vendor != "" {
			t, msg := im.resolveVendor(e.Vendor)
			if msg != "" {
				im.failf(&in.elem, "vendor", "%s", msg)
			}
			in.vendor = t
		}
		if e.Location != "" {
			t, msg := im.resolveLocation(e.Location)
			if msg != "" {
				im.failf(&in.elem, "location", "%s", msg)
			}
			in.location = t
		}
		for _, s := range in.services {
			t, msg := im.resolveService(s)
			if msg != "" || t.dbID == 0 {
				if msg == "" {
					msg = fmt.Sprintf("unknown service %q", s)
				}
				im.failf(&in.elem, "service", "%s", msg)
				continue
			}
			in.svcIDs = append(in.svcIDs, t.dbID)
		}
		if in.bad {
			continue
		}
		id, msg := im.matchCI(in, claimed)
		if msg != "" {
			im.failf(&in.elem, "", "%s", msg)
			continue
		}
		if id != 0 {
			if prev, ok := claimed[id]; ok {
				im.failf(&in.elem, "", "matches the same configuration item (%q) as %s", im.db.cis[id].Name, prev.loc.prefix)
				continue
			}
			claimed[id] = in
			in.match, in.id = im.db.cis[id], id
			continue
		}
		if e.Kind == "" {
			im.failf(&in.elem, "kind", "is required for a new configuration item")
			continue
		}
		dup := false
		for _, k := range strong {
			for _, v := range in.keys[k] {
				if prev, ok := newByKey[docKey{k, v}]; ok && consistent(primaryOfElem(prev.e), in.keys, k) {
					im.failf(&in.elem, "", "duplicates %s (same %s %q)", prev.loc.prefix, kindLabel(k), v)
					dup = true
				}
			}
			if dup {
				break
			}
		}
		if dup {
			continue
		}
		for _, k := range strong {
			for _, v := range in.keys[k] {
				if _, ok := newByKey[docKey{k, v}]; !ok {
					newByKey[docKey{k, v}] = in
				}
			}
		}
	}
	return nil
}

func kindLabel(k ident.Kind) string {
	switch k {
	case ident.Serial:
		return "serial number"
	case ident.CloudID:
		return "cloud ID"
	case ident.AssetTag:
		return "asset tag"
	case ident.Hostname:
		return "hostname"
	}
	return string(k)
}

func primaryOfElem(e *CI) map[ident.Kind]string {
	return map[ident.Kind]string{ident.Serial: e.SerialNumber, ident.FQDN: e.FQDN, ident.Hostname: e.Hostname, ident.AssetTag: e.AssetTag}
}

// matchCI finds the stored CI that element in describes: 0 when none.
func (im *importer) matchCI(in *ciIn, claimed map[int]*ciIn) (int, string) {
	sameName := func(ids []int) []int {
		var out []int
		for _, id := range ids {
			ci := im.db.cis[id]
			if ci.Name == in.e.Name && (in.e.Kind == "" || string(ci.Kind) == in.e.Kind) {
				if _, taken := claimed[id]; !taken {
					out = append(out, id)
				}
			}
		}
		sort.Ints(out)
		return out
	}
	for _, kind := range ident.Kinds() {
		for _, v := range in.keys[kind] {
			var cands []int
			for _, id := range im.db.index[kind][v] {
				if ci := im.db.cis[id]; ci != nil && consistent(primaryOf(ci), in.keys, kind) {
					cands = append(cands, id)
				}
			}
			switch {
			case len(cands) == 0:
				continue
			case len(cands) == 1:
				return cands[0], ""
			case kind == ident.IP:
				continue
			}
			if same := sameName(cands); len(same) > 0 {
				return same[0], ""
			}
			return 0, fmt.Sprintf("ambiguous: %s %q names %d configuration items", kindLabel(kind), v, len(cands))
		}
	}
	if in.keys.empty() {
		if same := sameName(im.db.byName[in.e.Name]); len(same) > 0 {
			return same[0], ""
		}
	}
	return 0, ""
}

func (im *importer) resolveRelationships(ctx context.Context, tx *ent.Client) error {
	seen := map[string]*relIn{}
	for _, in := range im.rels {
		if in.bad {
			continue
		}
		f, msg := im.resolveCI(in.e.From)
		if msg != "" {
			im.failf(&in.elem, "from", "%s", msg)
			continue
		}
		t, msg := im.resolveCI(in.e.To)
		if msg != "" {
			im.failf(&in.elem, "to", "%s", msg)
			continue
		}
		if f.id() != 0 && f.id() == t.id() {
			im.failf(&in.elem, "to", "a CI cannot depend on itself (%q and %q are the same configuration item)", in.e.From, in.e.To)
			continue
		}
		k := in.e.From + "\x00" + in.e.To + "\x00" + in.e.Type
		if prev, dup := seen[k]; dup {
			im.failf(&in.elem, "", "duplicate relationship (also %s)", prev.loc.prefix)
			continue
		}
		seen[k] = in
		in.from, in.to = f, t
	}
	return nil
}

// ---- apply ----

func nz(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (im *importer) apply(ctx context.Context, tx *ent.Client) error {
	for _, step := range []func(context.Context, *ent.Client) error{
		im.applyLocations, im.applyOwners, im.applyVendors, im.applyCIs, im.applyRelationships,
		im.applyServices, im.applyContracts, im.applyAssets, im.applyChangeRecords,
	} {
		if err := step(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

func wrapAt(el *elem, err error) error {
	return fmt.Errorf("%s: %w", el.loc.prefix, err)
}

func (im *importer) applyLocations(ctx context.Context, tx *ent.Client) error {
	// Parents first: a path sorts before the paths under it when sorted by
	// depth.
	order := slices.Clone(im.locs)
	sort.SliceStable(order, func(i, j int) bool { return depth(order[i].path) < depth(order[j].path) })
	for _, in := range order {
		if in.bad {
			continue
		}
		e := in.e
		var parent *int
		if in.parent.set() {
			parent = ptr(in.parent.id())
		}
		if in.id == 0 {
			l, err := tx.Location.Create().SetName(e.Name).SetKind(location.Kind(e.Kind)).
				SetNillableAddress(nz(e.Address)).SetNillableProvider(nz(e.Provider)).SetNillableRegion(nz(e.Region)).
				SetNillableParentID(parent).Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = l.ID
			im.rep.created(EntLocations, in.path)
			continue
		}
		cur := im.db.locByPath[in.path]
		u := tx.Location.UpdateOneID(in.id)
		changed := false
		if string(cur.Kind) != e.Kind {
			u.SetKind(location.Kind(e.Kind))
			changed = true
		}
		changed = setStr(e.Address, cur.Address, u.SetAddress) || changed
		changed = setStr(e.Provider, cur.Provider, u.SetProvider) || changed
		changed = setStr(e.Region, cur.Region, u.SetRegion) || changed
		if err := im.finish(ctx, &in.elem, EntLocations, in.path, changed, u.Exec); err != nil {
			return err
		}
	}
	return nil
}

func depth(path string) int {
	n := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '/':
			n++
		}
	}
	return n
}

// setStr sets a nillable string field when the element gives a value that
// differs from the stored one.
func setStr[U any](v string, cur *string, set func(string) U) bool {
	if v == "" || (cur != nil && *cur == v) {
		return false
	}
	set(v)
	return true
}

func setInt[U any](v *int, cur *int, set func(int) U) bool {
	if v == nil || (cur != nil && *cur == *v) {
		return false
	}
	set(*v)
	return true
}

func setTime[U any](v *time.Time, cur *time.Time, set func(time.Time) U) bool {
	if v == nil || (cur != nil && cur.Equal(*v)) {
		return false
	}
	set(v.UTC())
	return true
}

func setRef[U any](t target, cur *int, set func(int) U) bool {
	if !t.set() || (cur != nil && *cur == t.id()) {
		return false
	}
	set(t.id())
	return true
}

// finish runs an update when something changed and counts the element.
func (im *importer) finish(ctx context.Context, el *elem, entity, name string, changed bool, exec func(context.Context) error) error {
	if !changed {
		im.rep.unchanged(entity)
		return nil
	}
	if err := exec(ctx); err != nil {
		return wrapAt(el, err)
	}
	im.rep.updated(entity, name)
	return nil
}

func (im *importer) applyOwners(ctx context.Context, tx *ent.Client) error {
	var ensure func(in *ownerIn) error
	ensure = func(in *ownerIn) error {
		if in.done || in.bad {
			return nil
		}
		if in.busy {
			return wrapAt(&in.elem, fmt.Errorf("team: owner %q is its own team through a cycle", in.e.Name))
		}
		in.busy = true
		if t := im.ownerByName[in.e.Team]; t != nil && in.team.el != nil {
			if err := ensure(t); err != nil {
				return err
			}
		}
		in.done = true
		e := in.e
		var team *int
		if in.team.set() {
			team = ptr(in.team.id())
		}
		if in.id == 0 {
			o, err := tx.Owner.Create().SetName(e.Name).SetKind(owner.Kind(e.Kind)).SetNillableEmail(nz(e.Email)).
				SetNillableOncallContact(nz(e.OncallContact)).SetNillableEscalation(nz(e.Escalation)).
				SetNillableChatChannel(nz(e.ChatChannel)).SetNillableTeamID(team).Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = o.ID
			im.rep.created(EntOwners, e.Name)
			return nil
		}
		cur := im.db.ownerByName[e.Name]
		u := tx.Owner.UpdateOneID(in.id)
		changed := false
		if string(cur.Kind) != e.Kind {
			u.SetKind(owner.Kind(e.Kind))
			changed = true
		}
		changed = setStr(e.Email, cur.Email, u.SetEmail) || changed
		changed = setStr(e.OncallContact, cur.OncallContact, u.SetOncallContact) || changed
		changed = setStr(e.Escalation, cur.Escalation, u.SetEscalation) || changed
		changed = setStr(e.ChatChannel, cur.ChatChannel, u.SetChatChannel) || changed
		changed = setRef(in.team, cur.TeamID, u.SetTeamID) || changed
		return im.finish(ctx, &in.elem, EntOwners, e.Name, changed, u.Exec)
	}
	for _, in := range im.owners {
		if err := ensure(in); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) applyVendors(ctx context.Context, tx *ent.Client) error {
	for _, in := range im.vendors {
		if in.bad {
			continue
		}
		e := in.e
		if in.id == 0 {
			v, err := tx.Vendor.Create().SetName(e.Name).SetNillableWebsite(nz(e.Website)).
				SetNillableSupportEmail(nz(e.SupportEmail)).SetNillableSupportPhone(nz(e.SupportPhone)).
				SetNillableAccountNumber(nz(e.AccountNumber)).SetNillableNotes(nz(e.Notes)).Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = v.ID
			im.rep.created(EntVendors, e.Name)
			continue
		}
		cur := im.db.vendorByName[e.Name]
		u := tx.Vendor.UpdateOneID(in.id)
		changed := setStr(e.Website, cur.Website, u.SetWebsite)
		changed = setStr(e.SupportEmail, cur.SupportEmail, u.SetSupportEmail) || changed
		changed = setStr(e.SupportPhone, cur.SupportPhone, u.SetSupportPhone) || changed
		changed = setStr(e.AccountNumber, cur.AccountNumber, u.SetAccountNumber) || changed
		changed = setStr(e.Notes, cur.Notes, u.SetNotes) || changed
		if err := im.finish(ctx, &in.elem, EntVendors, e.Name, changed, u.Exec); err != nil {
			return err
		}
	}
	return nil
}

func ciName(in *ciIn) string {
	if in.e.Ref != "" {
		return in.e.Ref
	}
	return in.e.Name
}

func mergeMap(cur, add map[string]any) (map[string]any, bool) {
	if add == nil {
		return cur, false
	}
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, add)
	a, _ := json.Marshal(cur)
	b, _ := json.Marshal(out)
	return out, string(a) != string(b) && !(len(cur) == 0 && len(out) == 0)
}

// ciChunk is how many CIs one bulk INSERT creates. The hooks still run for
// every CI (identifier rows, audit events); only the CI rows themselves and
// the extra identifiers are inserted in batches.
const ciChunk = 200

func (im *importer) applyCIs(ctx context.Context, tx *ent.Client) error {
	members := map[int]map[int]bool{} // service → member CI IDs
	for _, s := range im.db.svcByName {
		set := map[int]bool{}
		for _, m := range s.Edges.Members {
			set[m.ID] = true
		}
		members[s.ID] = set
	}
	var creates []*ciIn
	for _, in := range im.cis {
		if in.bad {
			continue
		}
		if in.match == nil {
			creates = append(creates, in)
			continue
		}
		if err := im.updateCI(ctx, tx, in, members); err != nil {
			return err
		}
	}
	for start := 0; start < len(creates); start += ciChunk {
		chunk := creates[start:min(start+ciChunk, len(creates))]
		builders := make([]*ent.ConfigurationItemCreate, len(chunk))
		for i, in := range chunk {
			builders[i] = im.ciCreate(tx, in)
		}
		cis, err := tx.ConfigurationItem.CreateBulk(builders...).Save(ctx)
		if err != nil {
			if len(chunk) == 1 {
				return wrapAt(&chunk[0].elem, err)
			}
			return fmt.Errorf("%s to %s: %w", chunk[0].loc.prefix, chunk[len(chunk)-1].loc.prefix, err)
		}
		for i, ci := range cis {
			in := chunk[i]
			in.id = ci.ID
			for kind, v := range primaryOf(ci) {
				if v != "" {
					im.db.addIdent(kind, v, ci.ID)
				}
			}
			im.rep.created(EntConfigurationItems, ciName(in))
		}
		if err := im.addIdentifiers(ctx, tx, chunk); err != nil {
			return err
		}
	}
	var updated []*ciIn
	for _, in := range im.cis {
		if !in.bad && in.match != nil {
			updated = append(updated, in)
		}
	}
	return im.addIdentifiers(ctx, tx, updated)
}

// addIdentifiers creates the listed identifiers the CIs do not have yet.
func (im *importer) addIdentifiers(ctx context.Context, tx *ent.Client, cis []*ciIn) error {
	var builders []*ent.IdentifierCreate
	var owners []*ciIn
	for _, in := range cis {
		for _, id := range in.e.Identifiers {
			if im.db.ciIdents[in.id][identKey(id.Kind, id.Value)] {
				continue
			}
			builders = append(builders, tx.Identifier.Create().SetConfigurationItemID(in.id).
				SetKind(identifier.Kind(id.Kind)).SetValue(id.Value).SetSource(id.Source))
			owners = append(owners, in)
			im.db.addIdent(ident.Kind(id.Kind), id.Value, in.id)
			im.rep.created(EntIdentifiers, id.Value)
		}
	}
	for start := 0; start < len(builders); start += ciChunk {
		end := min(start+ciChunk, len(builders))
		if err := tx.Identifier.CreateBulk(builders[start:end]...).Exec(ctx); err != nil {
			if end-start == 1 {
				return wrapAt(&owners[start].elem, err)
			}
			return fmt.Errorf("identifiers of %s to %s: %w", owners[start].loc.prefix, owners[end-1].loc.prefix, err)
		}
	}
	return nil
}

func (im *importer) ciCreate(tx *ent.Client, in *ciIn) *ent.ConfigurationItemCreate {
	e := in.e
	b := tx.ConfigurationItem.Create().SetName(e.Name).SetKind(configurationitem.Kind(e.Kind)).
		SetNillableHostname(nz(e.Hostname)).SetNillableFqdn(nz(e.FQDN)).
		SetNillableSerialNumber(nz(e.SerialNumber)).SetNillableAssetTag(nz(e.AssetTag)).
		SetNillableDescription(nz(e.Description)).SetNillableLastSeenAt(e.LastSeenAt)
	if e.Status != "" {
		b.SetStatus(configurationitem.Status(e.Status))
	}
	if e.Environment != "" {
		b.SetEnvironment(configurationitem.Environment(e.Environment))
	}
	if e.Criticality != "" {
		b.SetCriticality(configurationitem.Criticality(e.Criticality))
	}
	if e.Tags != nil {
		b.SetTags(e.Tags)
	}
	if e.Attributes != nil {
		b.SetAttributes(e.Attributes)
	}
	if e.Facts != nil {
		b.SetFacts(e.Facts)
	}
	if in.owner.set() {
		b.SetOwnerID(in.owner.id())
	}
	if in.vendor.set() {
		b.SetVendorID(in.vendor.id())
	}
	if in.location.set() {
		b.SetLocationID(in.location.id())
	}
	if len(in.svcIDs) > 0 {
		b.AddServiceIDs(in.svcIDs...)
	}
	return b
}

func (im *importer) updateCI(ctx context.Context, tx *ent.Client, in *ciIn, members map[int]map[int]bool) error {
	e := in.e
	cur := in.match
	u := tx.ConfigurationItem.UpdateOneID(in.id)
	changed := false
	if e.Name != cur.Name {
		u.SetName(e.Name)
		changed = true
	}
	if e.Kind != "" && e.Kind != string(cur.Kind) {
		u.SetKind(configurationitem.Kind(e.Kind))
		changed = true
	}
	if e.Status != "" && e.Status != string(cur.Status) {
		u.SetStatus(configurationitem.Status(e.Status))
		changed = true
	}
	if e.Environment != "" && e.Environment != string(cur.Environment) {
		u.SetEnvironment(configurationitem.Environment(e.Environment))
		changed = true
	}
	if e.Criticality != "" && e.Criticality != string(cur.Criticality) {
		u.SetCriticality(configurationitem.Criticality(e.Criticality))
		changed = true
	}
	changed = setStr(e.Hostname, cur.Hostname, u.SetHostname) || changed
	changed = setStr(e.FQDN, cur.Fqdn, u.SetFqdn) || changed
	changed = setStr(e.SerialNumber, cur.SerialNumber, u.SetSerialNumber) || changed
	changed = setStr(e.AssetTag, cur.AssetTag, u.SetAssetTag) || changed
	changed = setStr(e.Description, cur.Description, u.SetDescription) || changed
	changed = setTime(e.LastSeenAt, cur.LastSeenAt, u.SetLastSeenAt) || changed
	if e.Tags != nil && !slices.Equal(e.Tags, cur.Tags) && !(len(e.Tags) == 0 && len(cur.Tags) == 0) {
		u.SetTags(e.Tags)
		changed = true
	}
	if m, diff := mergeMap(cur.Attributes, e.Attributes); diff {
		u.SetAttributes(m)
		changed = true
	}
	if m, diff := mergeMap(cur.Facts, e.Facts); diff {
		u.SetFacts(m)
		changed = true
	}
	changed = setRef(in.owner, cur.OwnerID, u.SetOwnerID) || changed
	changed = setRef(in.vendor, cur.VendorID, u.SetVendorID) || changed
	changed = setRef(in.location, cur.LocationID, u.SetLocationID) || changed
	for _, s := range in.svcIDs {
		if !members[s][in.id] {
			u.AddServiceIDs(s)
			changed = true
		}
	}
	if err := im.finish(ctx, &in.elem, EntConfigurationItems, ciName(in), changed, u.Exec); err != nil {
		return err
	}
	if changed {
		for kind, v := range map[ident.Kind]string{ident.Hostname: e.Hostname, ident.FQDN: e.FQDN, ident.Serial: e.SerialNumber, ident.AssetTag: e.AssetTag} {
			if v != "" {
				im.db.addIdent(kind, v, in.id)
			}
		}
	}
	return nil
}

func (im *importer) applyRelationships(ctx context.Context, tx *ent.Client) error {
	if len(im.rels) == 0 {
		return nil
	}
	var from []int
	for _, in := range im.rels {
		if !in.bad && in.from.id() != 0 {
			from = append(from, in.from.id())
		}
	}
	existing, err := relationshipSet(ctx, tx, from)
	if err != nil {
		return err
	}
	for _, in := range im.rels {
		if in.bad {
			continue
		}
		name := in.e.From + " " + in.e.Type + " " + in.e.To
		k := relKey{in.from.id(), in.to.id(), in.e.Type}
		if cur, ok := existing[k]; ok {
			u := tx.Relationship.UpdateOneID(cur.ID)
			changed := setStr(in.e.Description, cur.Description, u.SetDescription)
			if err := im.finish(ctx, &in.elem, EntRelationships, name, changed, u.Exec); err != nil {
				return err
			}
			continue
		}
		r, err := tx.Relationship.Create().SetFromID(k.from).SetToID(k.to).SetType(relationship.Type(in.e.Type)).
			SetSource(in.e.Source).SetNillableDescription(nz(in.e.Description)).Save(ctx)
		if err != nil {
			return wrapAt(&in.elem, err)
		}
		existing[k] = r
		im.rep.created(EntRelationships, name)
	}
	return nil
}

func missingIDs(targets []target, have []int) []int {
	set := map[int]bool{}
	for _, h := range have {
		set[h] = true
	}
	var out []int
	for _, t := range targets {
		if id := t.id(); id != 0 && !set[id] {
			set[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (im *importer) applyServices(ctx context.Context, tx *ent.Client) error {
	for _, in := range im.svcs {
		if in.bad {
			continue
		}
		e := in.e
		var ownerID *int
		if in.owner.set() {
			ownerID = ptr(in.owner.id())
		}
		if in.match == nil {
			s, err := tx.Service.Create().SetName(e.Name).SetNillableDescription(nz(e.Description)).
				SetNillableTier(e.Tier).SetNillableSloTarget(e.SLOTarget).SetNillableRtoMinutes(e.RTOMinutes).
				SetNillableRpoMinutes(e.RPOMinutes).SetNillableRunbookURL(nz(e.RunbookURL)).
				SetNillableOwnerID(ownerID).AddMemberIDs(missingIDs(in.members, nil)...).Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = s.ID
			im.rep.created(EntServices, e.Name)
			continue
		}
		cur := in.match
		u := tx.Service.UpdateOneID(in.id)
		changed := setStr(e.Description, cur.Description, u.SetDescription)
		if e.Tier != nil && *e.Tier != cur.Tier {
			u.SetTier(*e.Tier)
			changed = true
		}
		if e.SLOTarget != nil && (cur.SloTarget == nil || *cur.SloTarget != *e.SLOTarget) {
			u.SetSloTarget(*e.SLOTarget)
			changed = true
		}
		changed = setInt(e.RTOMinutes, cur.RtoMinutes, u.SetRtoMinutes) || changed
		changed = setInt(e.RPOMinutes, cur.RpoMinutes, u.SetRpoMinutes) || changed
		changed = setStr(e.RunbookURL, cur.RunbookURL, u.SetRunbookURL) || changed
		changed = setRef(in.owner, cur.OwnerID, u.SetOwnerID) || changed
		var have []int
		for _, m := range cur.Edges.Members {
			have = append(have, m.ID)
		}
		if add := missingIDs(in.members, have); len(add) > 0 {
			u.AddMemberIDs(add...)
			changed = true
		}
		in.updated = changed
		if changed {
			if err := u.Exec(ctx); err != nil {
				return wrapAt(&in.elem, err)
			}
		}
	}
	// Dependencies once every service exists.
	for _, in := range im.svcs {
		if in.bad {
			continue
		}
		var have []int
		if in.match != nil {
			for _, d := range in.match.Edges.DependsOn {
				have = append(have, d.ID)
			}
		}
		if add := missingIDs(in.dependsOn, have); len(add) > 0 {
			if err := tx.Service.UpdateOneID(in.id).AddDependsOnIDs(add...).Exec(ctx); err != nil {
				return wrapAt(&in.elem, err)
			}
			in.updated = in.match != nil
		}
		switch {
		case in.match == nil:
		case in.updated:
			im.rep.updated(EntServices, in.e.Name)
		default:
			im.rep.unchanged(EntServices)
		}
	}
	return nil
}

func (im *importer) applyContracts(ctx context.Context, tx *ent.Client) error {
	for _, in := range im.contracts {
		if in.bad {
			continue
		}
		e := in.e
		name := e.Number
		var vendorID *int
		if in.vendor.set() {
			vendorID = ptr(in.vendor.id())
		}
		if in.match == nil {
			k, err := tx.Contract.Create().SetNumber(e.Number).SetNillableName(nz(e.Name)).SetKind(contract.Kind(e.Kind)).
				SetStartDate(e.StartDate.UTC()).SetEndDate(e.EndDate.UTC()).SetCostMinor(in.cost).SetCurrency(e.Currency).
				SetNillableSLAResponseMinutes(e.SLAResponseMinutes).SetNillableSupportContact(nz(e.SupportContact)).
				SetNillableNoticePeriodDays(e.NoticePeriodDays).SetNillableAutoRenew(e.AutoRenew).
				SetNillableNotes(nz(e.Notes)).SetNillableVendorID(vendorID).
				AddCoveredCiIDs(missingIDs(in.covers, nil)...).Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = k.ID
			im.rep.created(EntContracts, name)
			continue
		}
		cur := in.match
		u := tx.Contract.UpdateOneID(in.id)
		changed := setStr(e.Name, cur.Name, u.SetName)
		if e.Kind != string(cur.Kind) {
			u.SetKind(contract.Kind(e.Kind))
			changed = true
		}
		changed = setTime(e.StartDate, &cur.StartDate, u.SetStartDate) || changed
		changed = setTime(e.EndDate, &cur.EndDate, u.SetEndDate) || changed
		if e.Cost != "" && (in.cost != cur.CostMinor || e.Currency != cur.Currency) {
			u.SetCostMinor(in.cost).SetCurrency(e.Currency)
			changed = true
		}
		changed = setInt(e.SLAResponseMinutes, cur.SLAResponseMinutes, u.SetSLAResponseMinutes) || changed
		changed = setStr(e.SupportContact, cur.SupportContact, u.SetSupportContact) || changed
		changed = setInt(e.NoticePeriodDays, &cur.NoticePeriodDays, u.SetNoticePeriodDays) || changed
		if e.AutoRenew != nil && *e.AutoRenew != cur.AutoRenew {
			u.SetAutoRenew(*e.AutoRenew)
			changed = true
		}
		changed = setStr(e.Notes, cur.Notes, u.SetNotes) || changed
		var have []int
		for _, m := range cur.Edges.CoveredCis {
			have = append(have, m.ID)
		}
		if add := missingIDs(in.covers, have); len(add) > 0 {
			u.AddCoveredCiIDs(add...)
			changed = true
		}
		if err := im.finish(ctx, &in.elem, EntContracts, name, changed, u.Exec); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) applyAssets(ctx context.Context, tx *ent.Client) error {
	for _, in := range im.assets {
		if in.bad {
			continue
		}
		e := in.e
		name := e.ConfigurationItem
		ciID := in.ci.id()
		if in.match == nil {
			if a, ok := im.db.assetByCI[ciID]; ok {
				in.match, in.id = a, a.ID
			}
		}
		var proceeds *int64
		if e.DisposalProceeds != "" {
			proceeds = &in.m.proceeds
		}
		if in.match == nil {
			b := tx.Asset.Create().SetConfigurationItemID(ciID).SetNillablePurchaseDate(e.PurchaseDate).
				SetNillableInServiceDate(e.InServiceDate).SetCostMinor(in.m.cost).SetSalvageMinor(in.m.salvage).
				SetCurrency(e.Currency).SetNillableUsefulLifeMonths(e.UsefulLifeMonths).
				SetNillableDecliningRate(e.DecliningRate).SetNillableCostCenter(nz(e.CostCenter)).
				SetNillableDisposalDate(e.DisposalDate).SetNillableDisposalProceedsMinor(proceeds).
				SetNillableWarrantyEnd(e.WarrantyEnd).SetNillablePoNumber(nz(e.PONumber)).
				SetNillableInvoiceNumber(nz(e.InvoiceNumber))
			if e.DepreciationMethod != "" {
				b.SetDepreciationMethod(asset.DepreciationMethod(e.DepreciationMethod))
			}
			if e.Convention != "" {
				b.SetConvention(asset.Convention(e.Convention))
			}
			a, err := b.Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = a.ID
			im.db.assetByCI[ciID] = a
			im.rep.created(EntAssets, name)
			continue
		}
		cur := in.match
		u := tx.Asset.UpdateOneID(in.id)
		changed := setTime(e.PurchaseDate, cur.PurchaseDate, u.SetPurchaseDate)
		changed = setTime(e.InServiceDate, cur.InServiceDate, u.SetInServiceDate) || changed
		if (e.Cost != "" && in.m.cost != cur.CostMinor) || (e.SalvageValue != "" && in.m.salvage != cur.SalvageMinor) || e.Currency != cur.Currency {
			u.SetCostMinor(in.m.cost).SetSalvageMinor(in.m.salvage).SetCurrency(e.Currency)
			changed = true
		}
		changed = setInt(e.UsefulLifeMonths, &cur.UsefulLifeMonths, u.SetUsefulLifeMonths) || changed
		if e.DepreciationMethod != "" && e.DepreciationMethod != string(cur.DepreciationMethod) {
			u.SetDepreciationMethod(asset.DepreciationMethod(e.DepreciationMethod))
			changed = true
		}
		if e.DecliningRate != nil && (cur.DecliningRate == nil || *cur.DecliningRate != *e.DecliningRate) {
			u.SetDecliningRate(*e.DecliningRate)
			changed = true
		}
		if e.Convention != "" && e.Convention != string(cur.Convention) {
			u.SetConvention(asset.Convention(e.Convention))
			changed = true
		}
		changed = setStr(e.CostCenter, cur.CostCenter, u.SetCostCenter) || changed
		changed = setTime(e.DisposalDate, cur.DisposalDate, u.SetDisposalDate) || changed
		if proceeds != nil && (cur.DisposalProceedsMinor == nil || *cur.DisposalProceedsMinor != *proceeds) {
			u.SetDisposalProceedsMinor(*proceeds)
			changed = true
		}
		changed = setTime(e.WarrantyEnd, cur.WarrantyEnd, u.SetWarrantyEnd) || changed
		changed = setStr(e.PONumber, cur.PoNumber, u.SetPoNumber) || changed
		changed = setStr(e.InvoiceNumber, cur.InvoiceNumber, u.SetInvoiceNumber) || changed
		if err := im.finish(ctx, &in.elem, EntAssets, name, changed, u.Exec); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) applyChangeRecords(ctx context.Context, tx *ent.Client) error {
	for _, in := range im.crs {
		if in.bad {
			continue
		}
		e := in.e
		if in.match == nil {
			b := tx.ChangeRecord.Create().SetNumber(e.Number).SetTitle(e.Title).SetNillableDescription(nz(e.Description)).
				SetWindowStart(e.WindowStart.UTC()).SetWindowEnd(e.WindowEnd.UTC()).SetRequester(e.Requester).
				SetNillableApprover(nz(e.Approver)).AddConfigurationItemIDs(missingIDs(in.cis, nil)...)
			if e.Status != "" {
				b.SetStatus(changerecord.Status(e.Status))
			}
			r, err := b.Save(ctx)
			if err != nil {
				return wrapAt(&in.elem, err)
			}
			in.id = r.ID
			im.rep.created(EntChangeRecords, e.Number)
			continue
		}
		cur := in.match
		u := tx.ChangeRecord.UpdateOneID(in.id)
		changed := false
		if e.Title != cur.Title {
			u.SetTitle(e.Title)
			changed = true
		}
		changed = setStr(e.Description, cur.Description, u.SetDescription) || changed
		if e.Status != "" && e.Status != string(cur.Status) {
			u.SetStatus(changerecord.Status(e.Status))
			changed = true
		}
		changed = setTime(e.WindowStart, &cur.WindowStart, u.SetWindowStart) || changed
		changed = setTime(e.WindowEnd, &cur.WindowEnd, u.SetWindowEnd) || changed
		if e.Requester != cur.Requester {
			u.SetRequester(e.Requester)
			changed = true
		}
		changed = setStr(e.Approver, cur.Approver, u.SetApprover) || changed
		var have []int
		for _, m := range cur.Edges.ConfigurationItems {
			have = append(have, m.ID)
		}
		if add := missingIDs(in.cis, have); len(add) > 0 {
			u.AddConfigurationItemIDs(add...)
			changed = true
		}
		if err := im.finish(ctx, &in.elem, EntChangeRecords, e.Number, changed, u.Exec); err != nil {
			return err
		}
	}
	return nil
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
