package estate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
)

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
			u.SetCostMinor(in.m.cost).SetSalvageMinor(in.m.salvage)
			if e.Currency != cur.Currency { // the money hook reads the stored row only for a currency change
				u.SetCurrency(e.Currency)
			}
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
		if proceeds != nil && (cur.DisposalProceedsMinor == nil || *cur.DisposalProceedsMinor != *proceeds || e.Currency != cur.Currency) {
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
