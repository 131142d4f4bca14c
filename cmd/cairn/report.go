package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/costs"
	"github.com/cairn-cmdb/cairn/internal/report"
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
			lines, err := costs.AssetRegister(cmd.Context(), db.Client, at)
			if err != nil {
				return err
			}
			return costs.WriteAssetRegister(g.stdout, format, at, lines)
		},
	}
	assets.Flags().StringVar(&asOf, "as-of", "", "value the assets at this date (YYYY-MM-DD or RFC 3339; default now)")
	assets.Flags().StringVar(&format, "format", "csv", "csv, md or json")
	cmd.AddCommand(assets, reportDriftCmd(g))
	return cmd
}

func reportDriftCmd(g *globals) *cobra.Command {
	var (
		since, format, out    string
		services, envs, kinds []string
	)
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "The drift and CMDB health report for a window: what changed without an approved change, what vanished, what appeared",
		Long: `Writes the drift and CMDB health report of a window ending now:

  cairn report drift --since 24h --format md
  cairn report drift --since 2026-11-01 --format html --out drift.html
  cairn report drift --since 168h --format csv --service shop --environment PRODUCTION`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now().UTC()
			from, err := parseSince(since, now)
			if err != nil {
				return fmt.Errorf("--since %q: %w", since, err)
			}
			f := strings.ToLower(format)
			switch f {
			case "md":
				f = "markdown"
			case "markdown", "html", "json", "csv":
			default:
				return fmt.Errorf("--format %q: want md, html, json or csv", format)
			}
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := report.Build(cmd.Context(), db.Client, report.Options{
				Since: from, Until: now, Dialect: db.Store.Dialect(), Title: "Drift report",
				Scope: report.Scope{Services: services, Environments: upper(envs), Kinds: upper(kinds)},
			})
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				return report.Write(g.stdout, rep, f)
			}
			// Atomic: a reader never sees half a report.
			tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			defer os.Remove(tmp.Name())
			if err := report.Write(tmp, rep, f); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
			if err := os.Chmod(tmp.Name(), 0o644); err != nil {
				return err
			}
			return os.Rename(tmp.Name(), out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "24h", "start of the window: a duration before now (24h, 168h) or a date (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&format, "format", "md", "md, html, json or csv")
	fl.StringVar(&out, "out", "", "write to this file (atomically) instead of standard output")
	fl.StringSliceVar(&services, "service", nil, "only CIs of these services (repeatable)")
	fl.StringSliceVar(&envs, "environment", nil, "only these environments (PRODUCTION, STAGING, …)")
	fl.StringSliceVar(&kinds, "kind", nil, "only these CI kinds (SERVER, VM, …)")
	return cmd
}

func upper(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToUpper(strings.TrimSpace(s))
	}
	return out
}

// parseSince reads a duration before now or a date.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("the duration must be positive")
		}
		return now.Add(-d), nil
	}
	t, err := parseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a duration such as 24h or a date: %w", err)
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("the start is in the future")
	}
	return t, nil
}
