package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// estateCommands are seed, import and export.
func estateCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{seedCmd(g), importCmd(g), exportCmd(g)}
}

func seedCmd(g *globals) *cobra.Command {
	var demo, force, dryRun bool
	var synthetic int
	cmd := &cobra.Command{
		Use:   "seed (--demo | --synthetic N)",
		Short: "Load the demo estate or a synthetic estate of N CIs",
		Long: `seed --demo imports the demo estate built into the binary (two data centres, an AWS
region, ~200 CIs, 15 services, owners, vendors, contracts, assets and changes) with audit
actor "seed". Seeding again changes nothing.

seed --synthetic N writes a deterministic estate of N CIs (3 relationships each, N/100
services, N/500 owners, N/2000 vendors, assets for hardware) for benchmarks, with bulk
INSERTs and one audit event per CI. It refuses a database that is not empty unless --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if demo == (synthetic > 0) {
				return errors.New("give exactly one of --demo or --synthetic N")
			}
			if cmd.Flags().Changed("synthetic") && synthetic <= 0 {
				return fmt.Errorf("--synthetic %d: want a positive number of CIs", synthetic)
			}
			ctx := cmd.Context()
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if demo {
				rep, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{DryRun: dryRun})
				return printReport(g.stdout, rep, err)
			}
			if dryRun {
				return errors.New("--dry-run works with --demo only")
			}
			st, err := estate.SeedSyntheticWith(ctx, db, synthetic, estate.SyntheticOptions{Force: force})
			if err != nil {
				return err
			}
			// Planner statistics for the bulk-loaded tables.
			if err := store.Optimize(ctx, db.Store); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "seeded a synthetic estate in %s:\n", st.Elapsed.Round(time.Millisecond))
			fmt.Fprintf(g.stdout, "  %d configuration items, %d identifiers, %d relationships\n", st.ConfigurationItems, st.Identifiers, st.Relationships)
			fmt.Fprintf(g.stdout, "  %d services (%d memberships), %d owners, %d vendors, %d assets, %d audit events\n",
				st.Services, st.ServiceMembers, st.Owners, st.Vendors, st.Assets, st.AuditEvents)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&demo, "demo", false, "import the built-in demo estate")
	f.IntVar(&synthetic, "synthetic", 0, "write a synthetic estate of `N` CIs")
	f.BoolVar(&force, "force", false, "with --synthetic: add to a database that is not empty")
	f.BoolVar(&dryRun, "dry-run", false, "with --demo: show what would be created, write nothing")
	return cmd
}

func importCmd(g *globals) *cobra.Command {
	var format, mapping string
	var dryRun, partial bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an estate document (JSON) or configuration items (CSV)",
		Long: `import reads FILE, a document written by "cairn export" (.json) or a CSV file of
configuration items with a header row (.csv), and writes it in one transaction with audit
actor "import:<file name>". Existing entities are updated, not duplicated: CIs are matched by
serial number, cloud ID, MAC, FQDN, hostname, then IP; others by name or number.

--map says which CSV column feeds which field, e.g.
  --map 'name=Name,hostname=Host,ip=IP Address,serialNumber=Serial,kind=Type,attr.rack=Rack'
Fields: name kind status environment criticality hostname fqdn serialNumber assetTag
description tags owner vendor location service ip mac cloudId attr.<key>. Lists (tags,
service, ip, mac, cloudId) are separated by ';'. Without --map, headers that name a field
are used.

If any element is invalid, the problems are listed (JSON path or CSV line) and nothing is
written, unless --partial.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if format == "" {
				switch strings.ToLower(filepath.Ext(path)) {
				case ".json":
					format = "json"
				case ".csv":
					format = "csv"
				default:
					return fmt.Errorf("cannot tell the format of %q from its extension: give --format json or --format csv", path)
				}
			}
			var m *estate.Mapping
			switch format {
			case "json":
				if mapping != "" {
					return errors.New("--map applies to CSV files only")
				}
			case "csv":
				if mapping != "" {
					var err error
					if m, err = estate.ParseMapping(mapping); err != nil {
						return fmt.Errorf("--map: %w", err)
					}
				}
			default:
				return fmt.Errorf("--format %q: want json or csv", format)
			}
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("opening %q: %w", path, err)
			}
			defer f.Close()
			ctx := cmd.Context()
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			opts := estate.ImportOptions{Source: filepath.Base(path), DryRun: dryRun, Partial: partial}
			c := estate.BulkClient(db)
			var rep *estate.ImportResult
			if format == "json" {
				doc, derr := estate.Decode(f)
				if derr != nil {
					return fmt.Errorf("%s: %w", path, derr)
				}
				rep, err = estate.Import(ctx, c, doc, opts)
			} else {
				rep, err = estate.ImportCSV(ctx, c, f, m, opts)
			}
			return printReport(g.stdout, rep, err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "json or csv (default: from the file extension)")
	f.StringVar(&mapping, "map", "", "CSV column mapping: field=Column,… (default: headers that name fields)")
	f.BoolVar(&dryRun, "dry-run", false, "show what would be created and updated, write nothing")
	f.BoolVar(&partial, "partial", false, "write the valid elements even if some are invalid")
	return cmd
}

// printReport prints an import report (also when the import failed, so the
// problems are listed) and returns err.
func printReport(w io.Writer, rep *estate.ImportResult, err error) error {
	if rep != nil {
		if werr := rep.WriteText(w); werr != nil {
			return errors.Join(err, werr)
		}
		fmt.Fprintf(w, "elapsed %s\n", rep.Elapsed.Round(time.Millisecond))
	}
	return err
}

func exportCmd(g *globals) *cobra.Command {
	var out string
	var timestamp bool
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the whole estate as a JSON document",
		Long: `export writes every location, owner, vendor, CI (with its identifiers), relationship,
service, contract, asset and change record as one versioned JSON document with stable
ordering and natural keys instead of database IDs. "cairn import" reads it back; an export
imported into an empty database exports identically. exportedAt is only written with
--timestamp, so that two exports of the same estate are equal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			opts := estate.ExportOptions{}
			if timestamp {
				opts.Timestamp = time.Now()
			}
			doc, err := estate.ExportDB(ctx, db, opts)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				return estate.Encode(g.stdout, doc)
			}
			return writeFileAtomic(ctx, out, func(w io.Writer) error { return estate.Encode(w, doc) })
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write to `FILE` instead of standard output")
	cmd.Flags().BoolVar(&timestamp, "timestamp", false, "include exportedAt (the current time) in the document")
	return cmd
}

// writeFileAtomic writes path through a temporary file in the same
// directory, so a failed export never leaves a truncated file.
func writeFileAtomic(ctx context.Context, path string, write func(io.Writer) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("creating %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}
