package costs

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/internal/finance"
	"github.com/cairn-cmdb/cairn/internal/money"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

// AssetLine is one row of the asset register.
type AssetLine struct {
	CI           string `json:"ci"`
	Kind         string `json:"kind"`
	Method       string `json:"method"`
	Currency     string `json:"currency"`
	Cost         string `json:"cost"`
	Accumulated  string `json:"accumulatedDepreciation"`
	BookValue    string `json:"bookValue"`
	WarrantyEnd  string `json:"warrantyEnd"`
	Owner        string `json:"owner"`
	Services     string `json:"services"`
	CostCenter   string `json:"costCenter"`
	InService    string `json:"inServiceDate"`
	UsefulLife   int    `json:"usefulLifeMonths"`
	DisposalDate string `json:"disposalDate,omitempty"`
}

// AssetRegister computes the asset register at asOf: one line per asset
// (cost, depreciation, book value, warranty, owner, services), ordered by CI
// name.
func AssetRegister(ctx context.Context, c *ent.Client, asOf time.Time) ([]AssetLine, error) {
	assets, err := c.Asset.Query().WithConfigurationItem(func(q *ent.ConfigurationItemQuery) {
		q.WithOwner().WithServices()
	}).Order(asset.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading assets: %w", err)
	}
	lines := make([]AssetLine, 0, len(assets))
	for _, a := range assets {
		fa := FinanceAsset(a)
		bv, err := finance.BookValue(fa, asOf)
		if err != nil {
			return nil, fmt.Errorf("asset %d: %w", a.ID, err)
		}
		acc, err := finance.AccumulatedDepreciation(fa, asOf)
		if err != nil {
			return nil, fmt.Errorf("asset %d: %w", a.ID, err)
		}
		l := AssetLine{
			Method: string(a.DepreciationMethod), Currency: a.Currency,
			Cost: money.Format(a.CostMinor, a.Currency), Accumulated: money.Format(acc, a.Currency),
			BookValue: money.Format(bv, a.Currency), UsefulLife: a.UsefulLifeMonths,
			WarrantyEnd: date(a.WarrantyEnd), InService: date(a.InServiceDate), DisposalDate: date(a.DisposalDate),
		}
		if a.CostCenter != nil {
			l.CostCenter = *a.CostCenter
		}
		if ci := a.Edges.ConfigurationItem; ci != nil {
			l.CI, l.Kind = ci.Name, string(ci.Kind)
			if ci.Edges.Owner != nil {
				l.Owner = ci.Edges.Owner.Name
			}
			var svcs []string
			for _, s := range ci.Edges.Services {
				svcs = append(svcs, s.Name)
			}
			sort.Strings(svcs)
			l.Services = strings.Join(svcs, "; ")
		}
		lines = append(lines, l)
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].CI < lines[j].CI })
	return lines, nil
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// WriteAssetRegister writes the register lines as csv, md or json. CSV and
// Markdown cells go through textsafe (CSVCell: no formulas, numbers stay
// numbers; MarkdownCell: one line, markup escaped).
func WriteAssetRegister(w io.Writer, format string, asOf time.Time, lines []AssetLine) error {
	header := []string{"ci", "kind", "method", "currency", "cost", "accumulated", "book_value", "warranty_end", "owner", "services", "cost_center", "in_service", "useful_life_months", "disposal_date"}
	cells := func(l AssetLine) []string {
		return []string{l.CI, l.Kind, l.Method, l.Currency, l.Cost, l.Accumulated, l.BookValue, l.WarrantyEnd, l.Owner, l.Services, l.CostCenter, l.InService, fmt.Sprint(l.UsefulLife), l.DisposalDate}
	}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, l := range lines {
			if err := cw.Write(textsafe.CSVRow(cells(l))); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"asOf": asOf.UTC().Format(time.DateOnly), "assets": lines})
	case "md":
		if _, err := fmt.Fprintf(w, "# Assets as of %s\n\n%d assets.\n\n| %s |\n|%s\n", asOf.UTC().Format(time.DateOnly), len(lines),
			strings.Join(header, " | "), strings.Repeat(" --- |", len(header))); err != nil {
			return err
		}
		for _, l := range lines {
			c := cells(l)
			for i := range c {
				c[i] = textsafe.MarkdownCell(c[i])
			}
			if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | ")); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown format %q: want csv, md or json", format)
}
