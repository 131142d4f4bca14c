// Package hooks installs the ent hooks every write path goes through
// (GraphQL, CLI, import, discovery): normalisation, cross-field validation,
// keeping the Identifier table in step with a CI's primary identifiers,
// cascading deletes that are audited, and the audit trail itself.
package hooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/hook"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/money"
)

// Register installs the hooks on c. Type hooks are registered first so they
// run outside the audit hook: the audit trail sees normalised values.
func Register(c *ent.Client) {
	c.Use(storedMoney)
	c.ConfigurationItem.Use(normalizeCI, cascadeCI, syncIdentifiers, provenanceCI, syncSoftware)
	c.Identifier.Use(normalizeIdentifier)
	c.Relationship.Use(validateRelationship)
	c.Contract.Use(validateContract)
	c.ChangeRecord.Use(validateChangeRecord)
	c.Asset.Use(validateAsset)
	c.Owner.Use(validateOwner)
	c.Location.Use(validateLocation)
	c.Service.Use(validateService)
	c.DriftIgnoreRule.Use(validateDriftIgnoreRule)
	c.DiscoveryJob.Use(validateDiscoveryJob)
	c.ReportSchedule.Use(validateReportSchedule)
	c.Use(displayText, checkRefs, auditHook)
}

// primaryKinds are the CI fields mirrored in the Identifier table.
func primaryKinds() []struct {
	field string
	kind  identifier.Kind
} {
	return []struct {
		field string
		kind  identifier.Kind
	}{
		{configurationitem.FieldHostname, identifier.KindHostname},
		{configurationitem.FieldFqdn, identifier.KindFQDN},
		{configurationitem.FieldSerialNumber, identifier.KindSerial},
		{configurationitem.FieldAssetTag, identifier.KindAssetTag},
	}
}

func normalizeCI(next ent.Mutator) ent.Mutator {
	return hook.ConfigurationItemFunc(func(ctx context.Context, m *ent.ConfigurationItemMutation) (ent.Value, error) {
		if name, ok := m.Name(); ok {
			m.SetName(strings.TrimSpace(name))
		}
		if h, ok := m.Hostname(); ok {
			h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
			if short, _, dotted := strings.Cut(h, "."); dotted && ident.ValidFQDN(h) {
				// A dotted host name is an FQDN: keep both.
				if _, hasFQDN := m.Fqdn(); !hasFQDN {
					m.SetFqdn(h)
				}
				h = short
			}
			m.SetHostname(h)
		}
		if f, ok := m.Fqdn(); ok {
			f = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f)), ".")
			m.SetFqdn(f)
			if _, hasHost := m.Hostname(); !hasHost && m.Op().Is(ent.OpCreate) && ident.ValidFQDN(f) {
				m.SetHostname(ident.ShortName(f))
			}
		}
		if s, ok := m.SerialNumber(); ok {
			if n, err := ident.Normalize(ident.Serial, s); err == nil {
				m.SetSerialNumber(n)
			}
		}
		if s, ok := m.AssetTag(); ok {
			if n, err := ident.Normalize(ident.AssetTag, s); err == nil {
				m.SetAssetTag(n)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// syncIdentifiers keeps Identifier rows (source "record") in step with the
// CI's hostname, FQDN, serial number and asset tag.
func syncIdentifiers(next ent.Mutator) ent.Mutator {
	return hook.ConfigurationItemFunc(func(ctx context.Context, m *ent.ConfigurationItemMutation) (ent.Value, error) {
		touched := false
		for _, p := range primaryKinds() {
			_, set := m.Field(p.field)
			if set || m.FieldCleared(p.field) {
				touched = true
			}
		}
		switch {
		case !touched:
			return next.Mutate(ctx, m)
		case m.Op().Is(ent.OpCreate):
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			id, _ := m.ID()
			var creates []*ent.IdentifierCreate
			for _, p := range primaryKinds() {
				if val, ok := m.Field(p.field); ok {
					if s, _ := val.(string); s != "" && mirrored(p.kind, s) {
						creates = append(creates, m.Client().Identifier.Create().
							SetConfigurationItemID(id).SetKind(p.kind).SetValue(s).SetSource("record"))
					}
				}
			}
			for _, c := range creates {
				if err := c.Exec(ctx); err != nil {
					return nil, fmt.Errorf("recording identifiers of CI %d: %w", id, err)
				}
			}
			return v, nil
		case m.Op().Is(ent.OpUpdateOne):
			id, _ := m.ID()
			old := map[string]string{}
			for _, p := range primaryKinds() {
				_, set := m.Field(p.field)
				if !set && !m.FieldCleared(p.field) {
					continue
				}
				ov, err := m.OldField(ctx, p.field)
				if err != nil {
					return nil, fmt.Errorf("reading old %s of CI %d: %w", p.field, id, err)
				}
				if s, ok := ov.(*string); ok && s != nil {
					old[p.field] = *s
				} else {
					old[p.field] = ""
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			c := m.Client()
			for _, p := range primaryKinds() {
				ov, considered := old[p.field]
				if !considered {
					continue
				}
				nv := ""
				if val, ok := m.Field(p.field); ok {
					nv, _ = val.(string)
				}
				if nv == ov {
					continue
				}
				if ov != "" {
					if _, err := c.Identifier.Delete().Where(
						identifier.ConfigurationItemID(id), identifier.KindEQ(p.kind),
						identifier.Value(ov), identifier.Source("record"),
					).Exec(ctx); err != nil {
						return nil, fmt.Errorf("removing old %s identifier of CI %d: %w", p.kind, id, err)
					}
				}
				if nv != "" && mirrored(p.kind, nv) {
					exists, err := c.Identifier.Query().Where(
						identifier.ConfigurationItemID(id), identifier.KindEQ(p.kind), identifier.Value(nv),
					).Exist(ctx)
					if err != nil {
						return nil, fmt.Errorf("checking %s identifier of CI %d: %w", p.kind, id, err)
					}
					if !exists {
						if err := c.Identifier.Create().SetConfigurationItemID(id).SetKind(p.kind).
							SetValue(nv).SetSource("record").Exec(ctx); err != nil {
							return nil, fmt.Errorf("recording %s identifier of CI %d: %w", p.kind, id, err)
						}
					}
				}
			}
			return v, nil
		default:
			return nil, apperr.New(apperr.BadUserInput, "bulk updates of hostname, fqdn, serial number or asset tag are not supported: update each CI")
		}
	})
}

// mirrored reports whether a CI field's value is mirrored as an identifier:
// a value that is not identity (a placeholder serial or asset tag,
// localhost) stays on the CI's field as a fact but names nothing.
func mirrored(kind identifier.Kind, value string) bool {
	_, bad := identity.NotIdentity(ident.Kind(kind), value)
	return !bad
}

// cascadeCI deletes a CI's relationships, identifiers and asset through ent
// before the CI itself, so each of those deletions is audited too.
func cascadeCI(next ent.Mutator) ent.Mutator {
	return hook.ConfigurationItemFunc(func(ctx context.Context, m *ent.ConfigurationItemMutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpDelete) && !m.Op().Is(ent.OpDeleteOne) {
			return next.Mutate(ctx, m)
		}
		var ids []int
		if id, ok := m.ID(); ok {
			ids = []int{id}
		} else {
			var err error
			if ids, err = m.IDs(ctx); err != nil {
				return nil, fmt.Errorf("listing CIs to delete: %w", err)
			}
		}
		if len(ids) > 0 {
			c := m.Client()
			if _, err := c.Relationship.Delete().Where(relationship.Or(relationship.FromIDIn(ids...), relationship.ToIDIn(ids...))).Exec(ctx); err != nil {
				return nil, fmt.Errorf("deleting relationships of deleted CIs: %w", err)
			}
			if _, err := c.Identifier.Delete().Where(identifier.ConfigurationItemIDIn(ids...)).Exec(ctx); err != nil {
				return nil, fmt.Errorf("deleting identifiers of deleted CIs: %w", err)
			}
			if _, err := c.Asset.Delete().Where(asset.ConfigurationItemIDIn(ids...)).Exec(ctx); err != nil {
				return nil, fmt.Errorf("deleting assets of deleted CIs: %w", err)
			}
		}
		return next.Mutate(ctx, m)
	})
}

func normalizeIdentifier(next ent.Mutator) ent.Mutator {
	return hook.IdentifierFunc(func(ctx context.Context, m *ent.IdentifierMutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpCreate) && !m.Op().Is(ent.OpUpdateOne) && !m.Op().Is(ent.OpUpdate) {
			return next.Mutate(ctx, m)
		}
		_, kindSet := m.Kind()
		_, valueSet := m.Value()
		_, scopeSet := m.Scope()
		if m.Op().Is(ent.OpUpdate) {
			// Bulk updates (moving identifiers between CIs) keep kind,
			// value and scope as they are.
			if kindSet || valueSet || scopeSet {
				return nil, apperr.New(apperr.BadUserInput, "bulk updates of an identifier's kind, value or scope are not supported: update each identifier")
			}
			return next.Mutate(ctx, m)
		}
		if !kindSet && !valueSet && !scopeSet && !m.ScopeCleared() {
			return next.Mutate(ctx, m)
		}
		kind, value, scope, err := identifierState(ctx, m)
		if err != nil {
			return nil, err
		}
		if value != "" {
			n, err := ident.Normalize(ident.Kind(kind), value)
			if err != nil {
				return nil, apperr.InvalidErr("value", err)
			}
			if reason, bad := identity.NotIdentity(ident.Kind(kind), n); bad {
				return nil, apperr.Invalid("value", "%s %q is not an identity: %s (keep it as a fact instead)", kind, n, reason)
			}
			if kindSet || valueSet {
				m.SetValue(n)
			}
			value = n
		}
		scope, err = identity.NormalizeScope(scope)
		if err != nil {
			return nil, apperr.InvalidErr("scope", err)
		}
		if scope != "" && ident.Kind(kind) != ident.IP {
			return nil, apperr.Invalid("scope", "only an IP address has a network scope, not a %s", kind)
		}
		// A public address is global whatever scope it was given.
		if scope = identity.AddressScope(value, scope); scope == "" {
			if m.Op().Is(ent.OpCreate) {
				m.ResetScope()
			} else {
				m.ClearScope()
			}
		} else {
			m.SetScope(scope)
		}
		return next.Mutate(ctx, m)
	})
}

// identifierState returns the kind, value and scope an identifier will have
// after m: the mutation's values, else the stored ones (update).
func identifierState(ctx context.Context, m *ent.IdentifierMutation) (identifier.Kind, string, string, error) {
	kind, _ := m.Kind()
	value, hasValue := m.Value()
	scope, hasScope := m.Scope()
	if !m.Op().Is(ent.OpUpdateOne) {
		return kind, value, scope, nil
	}
	if _, ok := m.Kind(); !ok {
		old, err := m.OldKind(ctx)
		if err != nil {
			return "", "", "", fmt.Errorf("reading identifier kind: %w", err)
		}
		kind = old
	}
	if !hasValue {
		old, err := m.OldValue(ctx)
		if err != nil {
			return "", "", "", fmt.Errorf("reading identifier value: %w", err)
		}
		value = old
	}
	if !hasScope && !m.ScopeCleared() {
		old, err := m.OldScope(ctx)
		if err != nil {
			return "", "", "", fmt.Errorf("reading identifier scope: %w", err)
		}
		if old != nil {
			scope = *old
		}
	}
	return kind, value, scope, nil
}

// timeRange checks that end is after start, reading the stored value of the
// one that the mutation does not set.
func timeRange(ctx context.Context, m ent.Mutation, startField, endField string) error {
	start, err := timeValue(ctx, m, startField)
	if err != nil {
		return err
	}
	end, err := timeValue(ctx, m, endField)
	if err != nil {
		return err
	}
	if start != nil && end != nil && !end.After(*start) {
		return apperr.Invalid(apperr.GraphQLName(endField), "%s (%s) must be after %s (%s)",
			apperr.GraphQLName(endField), end.Format(time.RFC3339), apperr.GraphQLName(startField), start.Format(time.RFC3339))
	}
	return nil
}

func timeValue(ctx context.Context, m ent.Mutation, field string) (*time.Time, error) {
	if v, ok := m.Field(field); ok {
		t, _ := v.(time.Time)
		return &t, nil
	}
	if m.FieldCleared(field) || !m.Op().Is(ent.OpUpdateOne) {
		return nil, nil
	}
	old, err := m.OldField(ctx, field)
	if err != nil {
		return nil, fmt.Errorf("reading stored %s: %w", field, err)
	}
	switch t := old.(type) {
	case time.Time:
		return &t, nil
	case *time.Time:
		return t, nil
	}
	return nil, nil
}

func validateContract(next ent.Mutator) ent.Mutator {
	return hook.ContractFunc(func(ctx context.Context, m *ent.ContractMutation) (ent.Value, error) {
		if c, ok := m.Currency(); ok {
			m.SetCurrency(strings.ToUpper(strings.TrimSpace(c)))
		}
		if err := timeRange(ctx, m, "start_date", "end_date"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

func validateChangeRecord(next ent.Mutator) ent.Mutator {
	return hook.ChangeRecordFunc(func(ctx context.Context, m *ent.ChangeRecordMutation) (ent.Value, error) {
		if err := timeRange(ctx, m, "window_start", "window_end"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

func validateAsset(next ent.Mutator) ent.Mutator {
	return hook.AssetFunc(func(ctx context.Context, m *ent.AssetMutation) (ent.Value, error) {
		if c, ok := m.Currency(); ok {
			m.SetCurrency(strings.ToUpper(strings.TrimSpace(c)))
		}
		get := func(field string) (any, error) {
			if v, ok := m.Field(field); ok {
				return v, nil
			}
			if m.FieldCleared(field) || !m.Op().Is(ent.OpUpdateOne) {
				return nil, nil
			}
			return m.OldField(ctx, field)
		}
		costV, err := get(asset.FieldCostMinor)
		if err != nil {
			return nil, fmt.Errorf("reading stored cost: %w", err)
		}
		salvageV, err := get(asset.FieldSalvageMinor)
		if err != nil {
			return nil, fmt.Errorf("reading stored salvage value: %w", err)
		}
		cost, _ := costV.(int64)
		salvage, _ := salvageV.(int64)
		if salvage > cost {
			cur := "EUR"
			if cv, _ := get(asset.FieldCurrency); cv != nil {
				cur, _ = cv.(string)
			}
			return nil, apperr.Invalid("salvageValue", "salvage value %s must not exceed cost %s",
				money.Format(salvage, cur), money.Format(cost, cur))
		}
		if err := timeOrder(ctx, m, asset.FieldPurchaseDate, asset.FieldInServiceDate); err != nil {
			return nil, err
		}
		if err := timeOrder(ctx, m, asset.FieldInServiceDate, asset.FieldDisposalDate); err != nil {
			return nil, err
		}
		// Without an in-service date the chain above does not tie the
		// disposal to the purchase.
		if err := timeOrder(ctx, m, asset.FieldPurchaseDate, asset.FieldDisposalDate); err != nil {
			return nil, err
		}
		lifeV, err := get(asset.FieldUsefulLifeMonths)
		if err != nil {
			return nil, fmt.Errorf("reading stored useful life: %w", err)
		}
		// 1200 is finance.MaxUsefulLifeMonths: the engine refuses longer lives.
		if life, ok := lifeV.(int); ok && (life < 1 || life > 1200) {
			return nil, apperr.Invalid("usefulLifeMonths", "useful life must be between 1 and 1200 months, got %d", life)
		}
		methodV, err := get(asset.FieldDepreciationMethod)
		if err != nil {
			return nil, fmt.Errorf("reading stored depreciation method: %w", err)
		}
		rateV, err := get(asset.FieldDecliningRate)
		if err != nil {
			return nil, fmt.Errorf("reading stored declining rate: %w", err)
		}
		var rate *float64
		switch r := rateV.(type) {
		case float64:
			rate = &r
		case *float64:
			rate = r
		}
		if rate != nil && (*rate <= 0 || *rate > 1) {
			return nil, apperr.Invalid("decliningRate", "declining rate must be in (0, 1], got %g", *rate)
		}
		if method, _ := methodV.(asset.DepreciationMethod); method == asset.DepreciationMethodDecliningBalance && rate == nil {
			return nil, apperr.Invalid("decliningRate", "DECLINING_BALANCE needs a declining rate in (0, 1]")
		}
		return next.Mutate(ctx, m)
	})
}

// timeOrder checks that the later field, when both are set, is not before
// the earlier one.
func timeOrder(ctx context.Context, m ent.Mutation, earlier, later string) error {
	a, err := timeValue(ctx, m, earlier)
	if err != nil {
		return err
	}
	b, err := timeValue(ctx, m, later)
	if err != nil {
		return err
	}
	if a != nil && b != nil && b.Before(*a) {
		return apperr.Invalid(apperr.GraphQLName(later), "%s (%s) must not be before %s (%s)",
			apperr.GraphQLName(later), b.Format("2006-01-02"), apperr.GraphQLName(earlier), a.Format("2006-01-02"))
	}
	return nil
}

func validateOwner(next ent.Mutator) ent.Mutator {
	return hook.OwnerFunc(func(ctx context.Context, m *ent.OwnerMutation) (ent.Value, error) {
		if teamID, ok := m.TeamID(); ok {
			if id, self := m.ID(); self && id == teamID {
				return nil, apperr.Invalid("teamID", "an owner cannot be its own team")
			}
			t, err := m.Client().Owner.Query().Where(owner.ID(teamID)).Only(ctx)
			if ent.IsNotFound(err) {
				return nil, apperr.Invalid("teamID", "team %d does not exist", teamID)
			}
			if err != nil {
				return nil, fmt.Errorf("reading team %d: %w", teamID, err)
			}
			if t.Kind != owner.KindTeam {
				return nil, apperr.Invalid("teamID", "%q is a %s, not a TEAM: persons belong to teams", t.Name, t.Kind)
			}
		}
		if e, ok := m.Email(); ok {
			m.SetEmail(strings.TrimSpace(e))
		}
		return next.Mutate(ctx, m)
	})
}

func validateLocation(next ent.Mutator) ent.Mutator {
	return hook.LocationFunc(func(ctx context.Context, m *ent.LocationMutation) (ent.Value, error) {
		if p, ok := m.ParentID(); ok {
			if id, self := m.ID(); self && id == p {
				return nil, apperr.Invalid("parentID", "a location cannot be its own parent")
			}
		}
		return next.Mutate(ctx, m)
	})
}

func validateService(next ent.Mutator) ent.Mutator {
	return hook.ServiceFunc(func(ctx context.Context, m *ent.ServiceMutation) (ent.Value, error) {
		if id, ok := m.ID(); ok {
			for _, d := range m.DependsOnIDs() {
				if d == id {
					return nil, apperr.Invalid("addDependsOnIDs", "a service cannot depend on itself")
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// refFields are foreign-key fields whose target must exist, checked before
// the write so the error names the field (the database's own foreign-key
// error does not, on SQLite).
func refFields() map[string]string {
	return map[string]string{
		"owner_id":              ent.TypeOwner,
		"vendor_id":             ent.TypeVendor,
		"location_id":           ent.TypeLocation,
		"parent_id":             ent.TypeLocation,
		"configuration_item_id": ent.TypeConfigurationItem,
	}
}

// checkRefs fails with BAD_USER_INPUT naming the field when a mutation sets
// a reference to a row that does not exist.
func checkRefs(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		// Alerts are written in bulk by intake, with the CIs, services and
		// changes it has just read in the same transaction; their foreign
		// keys still refuse a reference that does not exist (one SELECT per
		// alert here would be intake's only per-alert statement).
		if m.Type() == ent.TypeAuditEvent || m.Type() == ent.TypeAlert || m.Op().Is(ent.OpDelete) || m.Op().Is(ent.OpDeleteOne) {
			return next.Mutate(ctx, m)
		}
		cm, ok := m.(interface{ Client() *ent.Client })
		if !ok {
			return next.Mutate(ctx, m)
		}
		for field, target := range refFields() {
			v, set := m.Field(field)
			if !set {
				continue
			}
			id, ok := v.(int)
			if !ok {
				continue
			}
			exists, err := refExists(ctx, cm.Client(), target, id)
			if err != nil {
				return nil, fmt.Errorf("checking %s %d: %w", field, id, err)
			}
			if !exists {
				return nil, apperr.Invalid(apperr.GraphQLName(field), "%s %d does not exist", strings.ToLower(target), id)
			}
		}
		return next.Mutate(ctx, m)
	})
}

func refExists(ctx context.Context, c *ent.Client, typ string, id int) (bool, error) {
	switch typ {
	case ent.TypeOwner:
		return c.Owner.Query().Where(owner.ID(id)).Exist(ctx)
	case ent.TypeVendor:
		return c.Vendor.Query().Where(vendor.ID(id)).Exist(ctx)
	case ent.TypeLocation:
		return c.Location.Query().Where(location.ID(id)).Exist(ctx)
	case ent.TypeConfigurationItem:
		return c.ConfigurationItem.Query().Where(configurationitem.ID(id)).Exist(ctx)
	}
	return true, nil
}

// PersonPriority is the precedence of values set by people and imports:
// above every discovery job's default, so discovery in report mode never
// overwrites them.
const PersonPriority = 100

// provenanceBookkeeping are CI fields that carry no provenance of their own.
func provenanceBookkeeping(f string) bool {
	switch f {
	case configurationitem.FieldCreatedAt, configurationitem.FieldUpdatedAt,
		configurationitem.FieldLastSeenAt, configurationitem.FieldProvenance:
		return true
	}
	return false
}

// provenanceCI records who set each field of a CI and when, for writers that
// do not set provenance themselves (discovery does, with its own priority).
// Facts and attributes are tracked per key.
func provenanceCI(next ent.Mutator) ent.Mutator {
	return hook.ConfigurationItemFunc(func(ctx context.Context, m *ent.ConfigurationItemMutation) (ent.Value, error) {
		if _, set := m.Provenance(); set {
			return next.Mutate(ctx, m)
		}
		var prov map[string]schematype.Provenance
		var oldFacts, oldAttrs map[string]any
		switch {
		case m.Op().Is(ent.OpCreate):
			prov = map[string]schematype.Provenance{}
		case m.Op().Is(ent.OpUpdateOne):
			old, err := m.OldProvenance(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading provenance: %w", err)
			}
			prov = make(map[string]schematype.Provenance, len(old)+4)
			for k, v := range old {
				prov[k] = v
			}
			if _, ok := m.Facts(); ok {
				if oldFacts, err = m.OldFacts(ctx); err != nil {
					return nil, fmt.Errorf("reading facts: %w", err)
				}
			}
			if _, ok := m.Attributes(); ok {
				if oldAttrs, err = m.OldAttributes(ctx); err != nil {
					return nil, fmt.Errorf("reading attributes: %w", err)
				}
			}
		default:
			return next.Mutate(ctx, m) // bulk updates keep their provenance
		}
		p := schematype.Provenance{By: audit.Actor(ctx), At: time.Now().UTC(), Priority: PersonPriority}
		mark := func(prefix string, before, after map[string]any) {
			for k, v := range after {
				if ov, ok := before[k]; !ok || !equalJSON(ov, v) {
					prov[prefix+k] = p
				}
			}
			for k := range before {
				if _, ok := after[k]; !ok {
					prov[prefix+k] = p
				}
			}
		}
		for _, f := range append(m.Fields(), m.ClearedFields()...) {
			switch {
			case provenanceBookkeeping(f):
			case f == configurationitem.FieldFacts:
				nf, _ := m.Facts()
				mark("facts.", oldFacts, nf)
			case f == configurationitem.FieldAttributes:
				na, _ := m.Attributes()
				mark("attributes.", oldAttrs, na)
			default:
				prov[f] = p
			}
		}
		m.SetProvenance(prov)
		return next.Mutate(ctx, m)
	})
}
