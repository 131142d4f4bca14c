// Package costs turns asset and contract records into money: each asset's
// depreciation through internal/finance, cost roll-ups per service, owner,
// vendor, cost centre and location (per currency, no FX), and the asset
// report.
package costs

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/finance"
)

// FinanceAsset converts a stored asset for the depreciation engine. Dates
// are taken in UTC, as they are stored (drivers may return them in the
// local time zone, where midnight UTC can fall on the day before). Disposal
// proceeds recorded ahead of a disposal date are left out until there is
// one: they change nothing before it.
func FinanceAsset(a *ent.Asset) finance.Asset {
	fa := finance.Asset{
		Cost: a.CostMinor, Salvage: a.SalvageMinor, Currency: a.Currency,
		UsefulLifeMonths: a.UsefulLifeMonths, Method: finance.Method(a.DepreciationMethod),
		Convention: finance.Convention(a.Convention), PurchaseDate: utc(a.PurchaseDate),
		DisposalDate: utc(a.DisposalDate),
	}
	if a.DisposalDate != nil {
		fa.DisposalProceeds = a.DisposalProceedsMinor
	}
	if a.DecliningRate != nil {
		fa.DecliningRate = *a.DecliningRate
	}
	if a.InServiceDate != nil {
		fa.InServiceDate = a.InServiceDate.UTC()
	}
	return fa
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Key is what a roll-up groups by.
type Key string

// Roll-up keys.
const (
	ByService    Key = "SERVICE"
	ByOwner      Key = "OWNER"
	ByVendor     Key = "VENDOR"
	ByCostCenter Key = "COST_CENTER"
	ByLocation   Key = "LOCATION"
)

// None names the group of assets without a service, owner, … .
const None = "(none)"

// Row is one group's costs in one currency, in minor units.
type Row struct {
	Key                  Key
	Group                string
	Currency             string
	AssetCount           int
	PurchaseCost         int64
	BookValue            int64
	DepreciationThisYear int64
	ContractCostPerYear  int64
	TotalCostOfOwnership int64
}

// PerYear is a contract's value per year: its cost spread over its period.
func PerYear(c *ent.Contract) int64 {
	days := c.EndDate.Sub(c.StartDate).Hours() / 24
	if days <= 0 {
		return c.CostMinor
	}
	return int64(float64(c.CostMinor)*365.0/days + 0.5)
}

// Rollup computes the cost roll-up at asOf. It reads every asset with its
// CI's services, owner, vendor and location, and every contract with the
// CIs it covers: two queries plus ent's eager loads.
func Rollup(ctx context.Context, c *ent.Client, key Key, asOf time.Time) ([]Row, error) {
	assets, err := c.Asset.Query().WithConfigurationItem(func(q *ent.ConfigurationItemQuery) {
		q.WithServices().WithOwner().WithVendor().WithLocation()
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading assets: %w", err)
	}
	contracts, err := c.Contract.Query().WithCoveredCis(func(q *ent.ConfigurationItemQuery) {
		q.WithServices().WithOwner().WithVendor().WithLocation().WithAsset()
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading contracts: %w", err)
	}
	type gk struct{ group, cur string }
	rows := map[gk]*Row{}
	row := func(group, cur string) *Row {
		k := gk{group, cur}
		if rows[k] == nil {
			rows[k] = &Row{Key: key, Group: group, Currency: cur}
		}
		return rows[k]
	}
	yearStart := time.Date(asOf.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	lifeYears := map[gk]float64{} // sum of useful lives, for TCO's contract share
	// The same per group in every currency, for rows of contracts in a
	// currency none of the group's assets is in.
	groupLife, groupAssets := map[string]float64{}, map[string]int{}
	for _, a := range assets {
		fa := FinanceAsset(a)
		bv, err := finance.BookValue(fa, asOf)
		if err != nil {
			return nil, fmt.Errorf("asset %d: %w", a.ID, err)
		}
		dep, err := finance.DepreciationBetween(fa, yearStart, asOf)
		if err != nil {
			return nil, fmt.Errorf("asset %d: %w", a.ID, err)
		}
		for _, g := range groupsOf(key, a.Edges.ConfigurationItem, a) {
			r := row(g, a.Currency)
			r.AssetCount++
			r.PurchaseCost += a.CostMinor
			r.BookValue += bv
			r.DepreciationThisYear += dep
			lifeYears[gk{g, a.Currency}] += float64(a.UsefulLifeMonths) / 12
			groupLife[g] += float64(a.UsefulLifeMonths) / 12
			groupAssets[g]++
		}
	}
	for _, k := range contracts {
		if k.StartDate.After(asOf) || k.EndDate.Before(asOf) {
			continue
		}
		seen := map[string]bool{}
		for _, ci := range k.Edges.CoveredCis {
			for _, g := range groupsOf(key, ci, ci.Edges.Asset) {
				if !seen[g] {
					seen[g] = true
					row(g, k.Currency).ContractCostPerYear += PerYear(k)
				}
			}
		}
	}
	out := make([]Row, 0, len(rows))
	for k, r := range rows {
		var years float64 // the average useful life of the row's assets
		switch {
		case r.AssetCount > 0:
			years = lifeYears[k] / float64(r.AssetCount)
		case groupAssets[k.group] > 0:
			years = groupLife[k.group] / float64(groupAssets[k.group])
		}
		r.TotalCostOfOwnership = r.PurchaseCost + int64(float64(r.ContractCostPerYear)*years+0.5)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Currency < out[j].Currency
	})
	return out, nil
}

// groupsOf names the groups a CI (and its asset) belongs to for key.
func groupsOf(key Key, ci *ent.ConfigurationItem, a *ent.Asset) []string {
	if ci == nil {
		return []string{None}
	}
	switch key {
	case ByService:
		var out []string
		for _, s := range ci.Edges.Services {
			out = append(out, s.Name)
		}
		if len(out) == 0 {
			return []string{None}
		}
		return out
	case ByOwner:
		if ci.Edges.Owner != nil {
			return []string{ci.Edges.Owner.Name}
		}
	case ByVendor:
		if ci.Edges.Vendor != nil {
			return []string{ci.Edges.Vendor.Name}
		}
	case ByLocation:
		if ci.Edges.Location != nil {
			return []string{ci.Edges.Location.Name}
		}
	case ByCostCenter:
		if a != nil && a.CostCenter != nil && *a.CostCenter != "" {
			return []string{*a.CostCenter}
		}
	}
	return []string{None}
}
