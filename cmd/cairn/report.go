package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/costs"
)

func reportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Write reports"}
	var asOf, format string
	assets := &cobra.Command{
		Use:   "assets",
		Short: "One row per asset: CI, method, cost, accumulated depreciation, book value, warranty end, owner, services",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at := time.Now().UTC()
			if asOf != "" {
				t, err := parseDate(asOf)
				if err != nil {
					return fmt.Errorf("--as-of %q: %w", asOf, err)
				}
				at = t
			}
			switch format {
			case "csv", "md", "json":
			default:
				return fmt.Errorf("--format %q: want csv, md or json", format)
			}
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			lines, err := costs.AssetReport(cmd.Context(), db.Client, at)
			if err != nil {
				return err
			}
			return costs.WriteAssetReport(g.stdout, format, at, lines)
		},
	}
	assets.Flags().StringVar(&asOf, "as-of", "", "value the assets at this date (YYYY-MM-DD or RFC 3339; default now)")
	assets.Flags().StringVar(&format, "format", "csv", "csv, md or json")
	cmd.AddCommand(assets)
	return cmd
}
