package estate

import "fmt"

// addDocument validates every element and indexes it by natural key.
func (im *importer) addDocument(doc *Document) {
	im.addLocations(doc.Locations)
	im.addOwners(doc.Owners)
	im.addVendors(doc.Vendors)
	for i := range doc.ConfigurationItems {
		im.addCI(&doc.ConfigurationItems[i], jsonLoc("configurationItems", i), nil)
	}
	im.addRelationships(doc.Relationships)
	im.addServices(doc.Services)
	im.addContracts(doc.Contracts)
	im.addAssets(doc.Assets)
	im.addChangeRecords(doc.ChangeRecords)
}

// element is a document element of any entity.
type element interface{ base() *elem }

func (e *elem) base() *elem { return e }

// admit records the checker's problems on in, or indexes in under key
// unless another element has it (dup describes the key for the message).
func admit[T element](im *importer, in T, c *checker, index map[string]T, key, field string, dup func() string) {
	el := in.base()
	if !c.ok() {
		im.fail(el, c.problems...)
		return
	}
	if prev, ok := index[key]; ok {
		im.failf(el, field, "duplicate %s (also %s)", dup(), prev.base().loc.prefix)
		return
	}
	index[key] = in
}

func (im *importer) addLocations(es []Location) {
	for i := range es {
		e := &es[i]
		in := &locIn{elem: elem{loc: jsonLoc("locations", i)}, e: e}
		c := &checker{loc: in.loc}
		checkLocation(c, e)
		in.path = joinPath(e.Parent, e.Name)
		admit(im, in, c, im.locByPath, in.path, "name", func() string { return fmt.Sprintf("location %q", in.path) })
		im.locs = append(im.locs, in)
	}
}

func (im *importer) addOwners(es []Owner) {
	for i := range es {
		e := &es[i]
		in := &ownerIn{elem: elem{loc: jsonLoc("owners", i)}, e: e}
		c := &checker{loc: in.loc}
		checkOwner(c, e)
		admit(im, in, c, im.ownerByName, e.Name, "name", func() string { return fmt.Sprintf("owner %q", e.Name) })
		im.owners = append(im.owners, in)
	}
}

func (im *importer) addVendors(es []Vendor) {
	for i := range es {
		e := &es[i]
		in := &vendorIn{elem: elem{loc: jsonLoc("vendors", i)}, e: e}
		c := &checker{loc: in.loc}
		checkVendor(c, e)
		admit(im, in, c, im.vendorByName, e.Name, "name", func() string { return fmt.Sprintf("vendor %q", e.Name) })
		im.vendors = append(im.vendors, in)
	}
}

func (im *importer) addRelationships(es []Relationship) {
	for i := range es {
		e := &es[i]
		in := &relIn{elem: elem{loc: jsonLoc("relationships", i)}, e: e}
		c := &checker{loc: in.loc}
		checkRelationship(c, e, im.src)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		}
		im.rels = append(im.rels, in)
	}
}

func (im *importer) addServices(es []Service) {
	for i := range es {
		e := &es[i]
		in := &svcIn{elem: elem{loc: jsonLoc("services", i)}, e: e}
		c := &checker{loc: in.loc}
		checkService(c, e)
		admit(im, in, c, im.svcByName, e.Name, "name", func() string { return fmt.Sprintf("service %q", e.Name) })
		im.svcs = append(im.svcs, in)
	}
}

func (im *importer) addContracts(es []Contract) {
	seen := map[string]*contractIn{}
	for i := range es {
		e := &es[i]
		in := &contractIn{elem: elem{loc: jsonLoc("contracts", i)}, e: e}
		c := &checker{loc: in.loc}
		in.cost = checkContract(c, e)
		admit(im, in, c, seen, contractKey(e.Vendor, e.Number), "number", func() string {
			return fmt.Sprintf("contract %q of vendor %q", e.Number, e.Vendor)
		})
		im.contracts = append(im.contracts, in)
	}
}

func (im *importer) addAssets(es []Asset) {
	for i := range es {
		e := &es[i]
		in := &assetIn{elem: elem{loc: jsonLoc("assets", i)}, e: e}
		c := &checker{loc: in.loc}
		in.m = checkAsset(c, e)
		if !c.ok() {
			im.fail(&in.elem, c.problems...)
		}
		im.assets = append(im.assets, in)
	}
}

func (im *importer) addChangeRecords(es []ChangeRecord) {
	seen := map[string]*crIn{}
	for i := range es {
		e := &es[i]
		in := &crIn{elem: elem{loc: jsonLoc("changeRecords", i)}, e: e}
		c := &checker{loc: in.loc}
		checkChangeRecord(c, e)
		admit(im, in, c, seen, e.Number, "number", func() string { return fmt.Sprintf("change record %q", e.Number) })
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
