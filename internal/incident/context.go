package incident

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/costs"
	"github.com/cairn-cmdb/cairn/internal/finance"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/money"
)

// Depth bounds of the blast radius in a context.
const (
	DefaultContextDepth = 3
	MaxContextDepth     = 50
)

// recentChanges is how many audit events a context shows.
const recentChanges = 10

// Request names the CI and the moment of a context.
type Request struct {
	// Identifier is what was typed: a host name, FQDN, IP, MAC, serial,
	// asset tag, cloud ID, CI name or the start of one.
	Identifier string
	// AsOf is the moment contracts, warranty, book value and changes are
	// evaluated at; nil means now.
	AsOf *time.Time
	// Depth bounds the dependents and dependencies walks (1 to 50); nil
	// means DefaultContextDepth.
	Depth *int
	// Scope is the network scope (a site, VRF, VPC or datacenter) of a
	// private address typed; nil looks in every scope, so that an address
	// held in several is ambiguous. "" is the global scope.
	Scope *string
	// CI, when set, names the CI by its ID instead of Identifier (and
	// Scope): the match is then RuleID by HOSTNAME with the ID as value.
	CI *int
}

// Parts says which parts of a Context to fill and how to shape each. A nil
// Select (or false) leaves the part out, except for CI and Alternatives,
// which are always loaded and which a nil Select leaves as plain rows.
type Parts struct {
	CI, Alternatives Select[*ent.ConfigurationItemQuery]

	Owner, Team      Select[*ent.OwnerQuery]
	Services         Select[*ent.ServiceQuery]
	Dependents       *ImpactParts
	Dependencies     *ImpactParts
	Vendor           Select[*ent.VendorQuery]
	SupportContracts Select[*ent.ContractQuery]
	Warranty         bool
	BookValue        bool
	OpenDrifts       Select[*ent.DriftQuery]
	RecentChanges    Select[*ent.AuditEventQuery]

	// PartFailed hears of a nullable part (owner, team, vendor, warranty,
	// bookValue, named so) that failed: the part stays nil and the rest of
	// the context is still filled. Without it such a failure fails the
	// context. A failing list part always fails the context.
	PartFailed func(part string, err error)
}

// Context is everything about one CI for an incident.
type Context struct {
	CI           *ent.ConfigurationItem
	MatchedBy    identifier.Kind
	Rule         MatchRule
	MatchedValue string
	// MatchedScope is the network scope of the address that matched; ""
	// when global or not an address.
	MatchedScope string
	// Alternatives are the other CIs the input matched, in name order.
	Alternatives []*ent.ConfigurationItem
	Ambiguous    bool
	AsOf         time.Time
	Depth        int

	Owner *ent.Owner
	// Team is the team of the owner, when the owner is a person.
	Team *ent.Owner
	// Services the CI belongs to, most critical first.
	Services     []*ent.Service
	Dependents   *Impact
	Dependencies *Impact
	Vendor       *ent.Vendor
	// SupportContracts are the support, maintenance and warranty contracts
	// covering the CI in force at AsOf, soonest end first.
	SupportContracts []*ent.Contract
	Warranty         *Warranty
	BookValue        *money.Money
	// OpenDrifts are open or acknowledged, last seen first.
	OpenDrifts []*ent.Drift
	// RecentChanges are the CI's last audit events up to AsOf, newest first.
	RecentChanges []*ent.AuditEvent
}

// Context resolves what was typed into the context of one CI, filling the
// parts asked for one after another on this goroutine (run side by side,
// SQLite's deep call stacks cost more than they save). It returns nil when
// nothing matches.
func (e *Engine) Context(ctx context.Context, req Request, parts Parts) (*Context, error) {
	// Validate before matching, so that a bad depth is refused whether or
	// not the identifier matches.
	d := DefaultContextDepth
	if req.Depth != nil {
		if *req.Depth < 1 || *req.Depth > MaxContextDepth {
			return nil, apperr.Invalid("depth", "depth must be between 1 and %d, got %d", MaxContextDepth, *req.Depth)
		}
		d = *req.Depth
	}
	m, err := e.requested(ctx, req)
	if err != nil || m == nil {
		return nil, err
	}
	ic := &Context{MatchedBy: m.MatchedBy, Rule: m.Rule, MatchedValue: m.Value, MatchedScope: m.Scope, AsOf: time.Now().UTC(), Depth: d}
	if req.AsOf != nil {
		ic.AsOf = *req.AsOf
	}
	if e.pipelines(ctx) {
		return e.contextPipelined(ctx, m, ic, parts)
	}
	cis, err := e.LoadCIs(ctx, m.IDs[:1], parts.CI)
	if err != nil {
		return nil, err
	}
	if ic.CI = cis[m.IDs[0]]; ic.CI == nil {
		return nil, nil
	}
	ic.Alternatives = []*ent.ConfigurationItem{}
	if len(m.IDs) > 1 {
		ic.Ambiguous = true
		alts, err := e.LoadCIs(ctx, m.IDs[1:], parts.Alternatives)
		if err != nil {
			return nil, err
		}
		for _, id := range m.IDs[1:] {
			if c := alts[id]; c != nil {
				ic.Alternatives = append(ic.Alternatives, c)
			}
		}
	}
	if err := e.fill(ctx, ic, parts); err != nil {
		return nil, err
	}
	return ic, nil
}

// requested is the match a request names: the CI of its ID, or what its
// identifier matches. Pipelined, the match's statements go through a
// pipeline of their own, one at a time, for its generic plans: PostgreSQL
// otherwise plans the identifier query afresh on every execution (its
// generic plan's estimate, with prefix ranges of unknown bounds, loses to
// each custom one), 0.2 ms a match, more than executing it.
func (e *Engine) requested(ctx context.Context, req Request) (*Match, error) {
	if req.CI == nil && e.pipelines(ctx) {
		p := newPipeline(e.db.Reader())
		var m *Match
		if err := p.run(ctx, func() (err error) {
			m, err = e.on(p).Match(ctx, req.Identifier, req.Scope)
			return err
		})[0]; err != nil {
			return nil, err
		}
		return m, nil
	}
	if req.CI == nil {
		return e.Match(ctx, req.Identifier, req.Scope)
	}
	return &Match{MatchedBy: identifier.KindHostname, Rule: RuleID, Value: strconv.Itoa(*req.CI), IDs: []int{*req.CI}}, nil
}

// part is one part of a context: its loads, which are independent of each
// other, and what combines them once they are all done.
type part struct {
	name     string
	nullable bool
	loads    []func() error
	finish   func() error
}

// parts are the parts of ic asked for, in the order of the fields of
// Parts, loading through le (e, or e on a pipeline); ic.CI.ID is the CI.
// pipelined splits the walks into their statements.
func (e *Engine) parts(ctx context.Context, le *Engine, ic *Context, p Parts, id int, pipelined bool) ([]part, error) {
	var out []part
	add := func(name string, wanted, nullable bool, load func() error) {
		if wanted {
			out = append(out, part{name: name, nullable: nullable, loads: []func() error{load}})
		}
	}
	add("owner", p.Owner != nil, true, func() (err error) {
		ic.Owner, err = one(ctx, le.client.Owner.Query().Where(ownerOfCI(id)), p.Owner)
		return err
	})
	add("team", p.Team != nil, true, func() (err error) {
		ic.Team, err = one(ctx, le.client.Owner.Query().Where(owner.HasMembersWith(ownerOfCI(id))), p.Team)
		return err
	})
	add("services", p.Services != nil, false, func() (err error) {
		ic.Services, err = all(ctx, le.client.Service.Query().Where(service.HasMembersWith(configurationitem.ID(id))).
			Order(service.ByTier(), service.ByName()), p.Services)
		return err
	})
	for _, w := range []struct {
		name  string
		parts *ImpactParts
		dir   graphwalk.Direction
		to    **Impact
	}{{"dependents", p.Dependents, graphwalk.Dependents, &ic.Dependents}, {"dependencies", p.Dependencies, graphwalk.Dependencies, &ic.Dependencies}} {
		if w.parts == nil {
			continue
		}
		o := ImpactOptions{Direction: w.dir, MaxDepth: &ic.Depth}
		if !pipelined {
			add(w.name, true, false, func() (err error) {
				*w.to, err = e.Impact(ctx, id, o, *w.parts)
				return err
			})
			continue
		}
		loads, finish, err := e.impactLoads(ctx, le, id, o, *w.parts, true, w.to)
		if err != nil {
			return nil, err
		}
		out = append(out, part{name: w.name, loads: loads, finish: finish})
	}
	add("vendor", p.Vendor != nil, true, func() (err error) {
		ic.Vendor, err = one(ctx, le.client.Vendor.Query().Where(vendorOfCI(id)), p.Vendor)
		return err
	})
	add("supportContracts", p.SupportContracts != nil, false, func() (err error) {
		ic.SupportContracts, err = all(ctx, le.client.Contract.Query().Where(
			contract.HasCoveredCisWith(configurationitem.ID(id)),
			contract.KindIn(contract.KindSupport, contract.KindMaintenance, contract.KindWarranty),
			contract.StartDateLTE(ic.AsOf), contract.EndDateGTE(ic.AsOf),
		).Order(contract.ByEndDate(), contract.ByID()), p.SupportContracts)
		return err
	})
	if p.Warranty {
		loads, finish := le.warranty(ctx, id, ic.AsOf, &ic.Warranty)
		out = append(out, part{name: "warranty", nullable: true, loads: loads, finish: finish})
	}
	add("bookValue", p.BookValue, true, func() (err error) { ic.BookValue, err = le.BookValue(ctx, id, ic.AsOf); return err })
	add("openDrifts", p.OpenDrifts != nil, false, func() (err error) {
		ic.OpenDrifts, err = all(ctx, le.client.Drift.Query().Where(
			drift.ConfigurationItemID(id), drift.StatusIn(drift.StatusOpen, drift.StatusAcknowledged),
		).Order(drift.ByLastSeenAt(sql.OrderDesc())), p.OpenDrifts)
		return err
	})
	add("recentChanges", p.RecentChanges != nil, false, func() (err error) {
		ic.RecentChanges, err = all(ctx, le.client.AuditEvent.Query().Where(
			auditevent.EntityType(ent.TypeConfigurationItem), auditevent.EntityID(id), auditevent.AtLTE(ic.AsOf),
		).Order(auditevent.ByAt(sql.OrderDesc()), auditevent.ByID(sql.OrderDesc())).Limit(recentChanges), p.RecentChanges)
		return err
	})
	return out, nil
}

// fill computes the parts of ic asked for, one after another.
func (e *Engine) fill(ctx context.Context, ic *Context, p Parts) error {
	parts, err := e.parts(ctx, e, ic, p, ic.CI.ID, false)
	if err != nil {
		return err
	}
	errs := make([]error, len(parts))
	for i, pt := range parts {
		errs[i] = pt.run()
	}
	return report(parts, errs, p)
}

// run runs a part's loads, then its finish.
func (pt part) run() error {
	for _, load := range pt.loads {
		if err := load(); err != nil {
			return err
		}
	}
	if pt.finish != nil {
		return pt.finish()
	}
	return nil
}

// report hands the failures of nullable parts to p.PartFailed, in order,
// and returns the first failure of another part (or of any part without
// PartFailed).
func report(parts []part, errs []error, p Parts) error {
	for i, pt := range parts {
		if errs[i] == nil {
			continue
		}
		if !pt.nullable || p.PartFailed == nil {
			return fmt.Errorf("incident context, %s: %w", pt.name, errs[i])
		}
		p.PartFailed(pt.name, errs[i])
	}
	return nil
}

// entQuery is what one and all need of an ent query.
type entQuery[Q, T any] interface {
	Only(context.Context) (T, error)
	All(context.Context) ([]T, error)
	*Q
}

// one runs q shaped by sel for at most one row; none is nil.
func one[Q any, T any, P entQuery[Q, T]](ctx context.Context, q P, sel Select[P]) (T, error) {
	var zero T
	q, err := apply(q, sel)
	if err != nil {
		return zero, err
	}
	v, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return zero, nil
	}
	return v, err
}

// all runs q shaped by sel.
func all[Q any, T any, P entQuery[Q, T]](ctx context.Context, q P, sel Select[P]) ([]T, error) {
	q, err := apply(q, sel)
	if err != nil {
		return nil, err
	}
	return q.All(ctx)
}

// idFromCI is the condition "column = the CI's ciColumn" as an uncorrelated
// subquery: a primary-key lookup in both tables. (ent's HasXWith on an
// edge held by the CI is a correlated EXISTS that probes the CI table once
// per owner or vendor.)
func idFromCI(column, ciColumn string, ciID int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C(column), sql.Select(ciColumn).From(sql.Table(configurationitem.Table)).Where(sql.EQ(configurationitem.FieldID, ciID))))
	}
}

// ownerOfCI selects the owner of the CI.
func ownerOfCI(ciID int) predicate.Owner {
	return idFromCI(owner.FieldID, configurationitem.FieldOwnerID, ciID)
}

// vendorOfCI selects the vendor of the CI.
func vendorOfCI(ciID int) predicate.Vendor {
	return idFromCI(vendor.FieldID, configurationitem.FieldVendorID, ciID)
}

// Warranty is a CI's warranty at a moment.
type Warranty struct {
	// Active until the end of EndDate's instant.
	Active  bool
	EndDate time.Time
	// DaysLeft is finance.DaysLeft from the moment to EndDate: negative
	// once ended.
	DaysLeft int
	// Contract is the WARRANTY contract it comes from, nil when it comes
	// from the asset record.
	Contract *ent.Contract
}

// Warranty combines the warranty end of the CI's asset with the WARRANTY
// contracts covering the CI: the one in force at asOf, else the latest that
// had started by then; whichever ends later wins. nil when there is none.
func (e *Engine) Warranty(ctx context.Context, ciID int, asOf time.Time) (*Warranty, error) {
	var w *Warranty
	loads, finish := e.warranty(ctx, ciID, asOf, &w)
	if err := (part{loads: loads, finish: finish}).run(); err != nil {
		return nil, err
	}
	return w, nil
}

// warranty is Warranty as two independent loads and what combines them
// into *out.
func (e *Engine) warranty(ctx context.Context, ciID int, asOf time.Time, out **Warranty) (loads []func() error, finish func() error) {
	var ws *ent.Contract
	var a *ent.Asset
	loads = []func() error{
		func() (err error) {
			ws, err = e.client.Contract.Query().Where(
				contract.HasCoveredCisWith(configurationitem.ID(ciID)),
				contract.KindEQ(contract.KindWarranty),
				contract.StartDateLTE(asOf),
			).Order(contract.ByEndDate(sql.OrderDesc())).First(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return fmt.Errorf("loading warranty contracts: %w", err)
			}
			return nil
		},
		func() (err error) {
			a, err = e.client.Asset.Query().Where(asset.ConfigurationItemID(ciID)).Select(asset.FieldWarrantyEnd).Only(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return fmt.Errorf("loading asset: %w", err)
			}
			return nil
		},
	}
	finish = func() error {
		var end *time.Time
		var from *ent.Contract
		if ws != nil {
			end, from = &ws.EndDate, ws
		}
		if a != nil && a.WarrantyEnd != nil && (end == nil || a.WarrantyEnd.After(*end)) {
			end, from = a.WarrantyEnd, nil
		}
		if end == nil {
			*out = nil
			return nil
		}
		*out = &Warranty{Active: !asOf.After(*end), EndDate: *end, DaysLeft: finance.DaysLeft(asOf, *end), Contract: from}
		return nil
	}
	return loads, finish
}

// BookValue is the book value at asOf of the CI's asset, from the
// depreciation engine; nil when the CI has no asset record. An asset the
// engine refuses gives its *finance.FieldError.
func (e *Engine) BookValue(ctx context.Context, ciID int, asOf time.Time) (*money.Money, error) {
	a, err := e.client.Asset.Query().Where(asset.ConfigurationItemID(ciID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading asset: %w", err)
	}
	v, err := finance.BookValue(costs.FinanceAsset(a), asOf)
	if err != nil {
		return nil, err
	}
	return &money.Money{Minor: v, Currency: a.Currency}, nil
}
