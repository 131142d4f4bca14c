package estate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/relationships"
)

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

// resolve resolves every element's references, entity by entity in
// dependency order, and matches elements with stored rows.
func (im *importer) resolve(ctx context.Context, tx *ent.Client) error {
	im.resolveLocations()
	im.resolveOwners()
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
	im.resolveServices()
	im.resolveContracts()
	im.resolveAssets()
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

// resolveLocations resolves locations, parents first (a location with an
// invalid parent is invalid).
func (im *importer) resolveLocations() {
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
}

// resolveOwners matches owners and resolves their teams; an owner whose
// team is invalid is invalid too.
func (im *importer) resolveOwners() {
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
}

// resolveServices resolves services' owners, dependencies and members.
func (im *importer) resolveServices() {
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
}

// resolveContracts resolves contracts' vendors and covered CIs.
func (im *importer) resolveContracts() {
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
}

// resolveAssets resolves each asset's CI (one asset per CI).
func (im *importer) resolveAssets() {
	seen := map[string]*assetIn{}
	for _, in := range im.assets {
		if in.bad {
			continue
		}
		t, msg := im.resolveCI(in.e.ConfigurationItem)
		if msg != "" {
			im.failf(&in.elem, "configurationItem", "%s", msg)
			continue
		}
		if prev, dup := seen[in.e.ConfigurationItem]; dup {
			im.failf(&in.elem, "configurationItem", "duplicate asset of %q (also %s)", in.e.ConfigurationItem, prev.loc.prefix)
			continue
		}
		seen[in.e.ConfigurationItem] = in
		in.ci = t
		if id := t.id(); id != 0 {
			if a, ok := im.db.assetByCI[id]; ok {
				in.match, in.id = a, a.ID
			}
		}
	}
}

// resolveCIs resolves the references of CI elements and matches them with
// stored CIs; a new CI must not share a strong identifier with another.
func (im *importer) resolveCIs() error {
	claimed := map[int]*ciIn{}
	newByKey := map[docKey]*ciIn{}
	for _, in := range im.cis {
		if in.bad {
			continue
		}
		im.resolveCIRefs(in)
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
		if in.e.Kind == "" {
			im.failf(&in.elem, "kind", "is required for a new configuration item")
			continue
		}
		im.admitNewCI(in, newByKey)
	}
	return nil
}

// resolveCIRefs resolves a CI element's owner, vendor, location and
// services.
func (im *importer) resolveCIRefs(in *ciIn) {
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
}

// docKey is a strong identifier of a new CI element.
type docKey struct {
	kind ident.Kind
	v    string
}

// strongKinds are the identifier kinds two new CIs may not share.
func strongKinds() []ident.Kind {
	return []ident.Kind{ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.AssetTag}
}

// admitNewCI fails a new CI element that duplicates an earlier one (same
// strong identifier, consistent primary keys), and otherwise indexes its
// strong identifiers.
func (im *importer) admitNewCI(in *ciIn, newByKey map[docKey]*ciIn) {
	strong := strongKinds()
	for _, k := range strong {
		dup := false
		for _, v := range in.keys[k] {
			if prev, ok := newByKey[docKey{k, v}]; ok && !contradicts(primaryOfElem(prev.e), in.keys, k) {
				im.failf(&in.elem, "", "duplicates %s (same %s %q)", prev.loc.prefix, kindLabel(k), v)
				dup = true
			}
		}
		if dup {
			return
		}
	}
	for _, k := range strong {
		for _, v := range in.keys[k] {
			if _, ok := newByKey[docKey{k, v}]; !ok {
				newByKey[docKey{k, v}] = in
			}
		}
	}
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

// matcher holds the buffers matchCI reuses from row to row.
type matcher struct {
	cands  []identity.Candidate
	rows   []identity.Row
	ids    []int
	scopes []string
	union  []int
}

// matchCI finds the stored CI that element in describes: 0 when none.
//
// The one matcher decides (identity.Decide over the rows of
// identity.Index): the row's identifiers, strongest kind first, within the
// domain rule (a CI whose FQDN is in another domain than the row's is
// another host) and the scope rule (a private address matches only within
// the scope the row gives it). Before deciding, the stored rows of CIs the
// element contradicts (contradicts: another serial number, FQDN, host name
// or asset tag, stronger than the kind that would match) are dropped, so a
// weaker kind may still decide. An IP matches only when it names one CI;
// several CIs by another kind are ambiguous unless one of them has the
// element's name (and kind), and no CI matches an element without
// identifiers but the one of its name.
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
	if in.keys.empty() {
		if same := sameName(im.db.byName[in.e.Name]); len(same) > 0 {
			return same[0], ""
		}
		return 0, ""
	}
	m := &im.m
	m.cands = m.cands[:0]
	for _, kind := range ident.Kinds() {
		if kind == ident.IP {
			continue
		}
		for _, v := range in.keys[kind] {
			m.cands = identity.Expand(m.cands, kind, v)
		}
	}
	// The element's addresses, decided scope by scope (an element's
	// scoped addresses normally share one; a public address is global
	// and goes with each).
	m.scopes = m.scopes[:0]
	for _, id := range in.e.Identifiers {
		if ident.Kind(id.Kind) == ident.IP && identity.IsScoped(id.Value) && !slices.Contains(m.scopes, id.Scope) {
			m.scopes = append(m.scopes, id.Scope)
		}
	}
	if len(m.scopes) == 0 {
		m.scopes = append(m.scopes, "")
	}
	named := len(m.cands)
	m.union = m.union[:0]
	for _, scope := range m.scopes {
		m.cands = m.cands[:named]
		for _, id := range in.e.Identifiers {
			if ident.Kind(id.Kind) == ident.IP && (id.Scope == scope || !identity.IsScoped(id.Value)) {
				m.cands = identity.Expand(m.cands, ident.IP, id.Value)
			}
		}
		res := im.decide(in, identity.Input{Candidates: m.cands, Scope: scope})
		switch {
		case !res.Matched():
			continue
		case res.By == ident.IP:
			for _, id := range res.IDs {
				if !slices.Contains(m.union, id) {
					m.union = append(m.union, id)
				}
			}
			continue
		case !res.Ambiguous():
			return res.IDs[0], ""
		}
		if same := sameName(res.IDs); len(same) > 0 {
			return same[0], ""
		}
		kind, v := res.By, res.Value
		if res.Rule == identity.RuleShortName {
			// A short name, maybe the first label of a stored FQDN.
			kind = ident.Hostname
			v, _, _ = strings.Cut(v, ".")
		}
		return 0, fmt.Sprintf("ambiguous: %s %q names %d configuration items", kindLabel(kind), v, len(res.IDs))
	}
	if len(m.union) == 1 {
		return m.union[0], ""
	}
	return 0, ""
}

// decide is identity's decision over the stored rows the input may match,
// without the rows of CIs element in contradicts. The result's IDs live in
// im.m.ids.
func (im *importer) decide(in *ciIn, input identity.Input) identity.Result {
	m := &im.m
	m.rows = im.db.idx.Rows(input, m.rows[:0])
	keep := m.rows[:0]
	for _, r := range m.rows {
		ci := im.db.cis[r.CI]
		if ci == nil {
			continue
		}
		by := r.Kind
		if by == ident.FQDN && !slices.Contains(in.keys[ident.FQDN], r.Value) {
			by = ident.Hostname // its first label matched a short name
		}
		if !contradicts(primaryOf(ci), in.keys, by) {
			keep = append(keep, r)
		}
	}
	m.rows = keep
	res := identity.Decide(input, keep, m.ids)
	m.ids = res.IDs
	return res
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
		if (f.el != nil && f.el == t.el) || (f.id() != 0 && relationships.CheckEnds(f.id(), t.id()) != nil) {
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
