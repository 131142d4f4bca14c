package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/reconcile"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/reportschedules"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
)

// services are the discovery job and report schedule services of one
// database, on one scheduler (not started).
type services struct {
	jobs      *discoveryjobs.Service
	reports   *reportschedules.Service
	scheduler *scheduler.Scheduler
}

// services builds the discovery runner, the two services and their shared
// scheduler for db, with the jobs of extra (scheduled backups) on it too.
// Saved jobs and schedules are confined by g.conf (--discovery-dir,
// --nmap-binary, --webhook-allow, --report-root and the report modes); the
// key is refused when it is missing or wrong while values are sealed.
func (g *globals) services(ctx context.Context, db *app.DB, log *slog.Logger, extra ...scheduler.Participant) (*services, error) {
	box, err := g.key(ctx, db, log)
	if err != nil {
		return nil, err
	}
	dc, err := g.conf.discovery(g)
	if err != nil {
		return nil, err
	}
	egress, err := g.conf.egress()
	if err != nil {
		return nil, err
	}
	root, fileMode, dirMode, err := g.conf.reports(g)
	if err != nil {
		return nil, err
	}
	rn := &runner.Runner{Client: db.Client, Registry: install.Registry().Confine(dc), Secrets: box, Dialect: db.Store.Dialect(), Logger: log}
	s := &services{
		jobs: discoveryjobs.New(rn, log),
		reports: reportschedules.New(&reportschedules.Runner{Client: db.Client, Secrets: box, Dialect: db.Store.Dialect(), Logger: log,
			Webhook: deliver.Webhook{Egress: egress}, Root: root, FileMode: fileMode, DirMode: dirMode}),
	}
	s.scheduler = scheduler.NewShared(scheduler.Options{Leaser: s.jobs.Leaser, Logger: log.With("component", "scheduler")},
		append([]scheduler.Participant{s.jobs, s.reports}, extra...)...)
	return s, nil
}

func discoverCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "discover",
		Short: "Run discovery jobs, or one-off discovery from a file",
	}
	cmd.AddCommand(discoverRunCmd(g), discoverListCmd(g), discoverLocalCmd(g))
	return cmd
}

func discoverRunCmd(g *globals) *cobra.Command {
	var (
		source, file, mode, config string
		networkScope               string
		createUnregistered, dryRun bool
		asJSON                     bool
	)
	cmd := &cobra.Command{
		Use:   "run [JOB]",
		Short: "Run a discovery job (by name or ID) or, with --source and --file, a one-off discovery",
		Long: `Run a discovery job now, by name or ID, or a one-off discovery of a file:

  cairn discover run nightly-scan
  cairn discover run --source nmap --file scan.xml --mode report --dry-run
  cairn discover run --source file --file servers.csv --config '{"kind":"VM"}'

Prints the run's status, its error, each host's error, what the source
read but could not use (its warnings, such as resources of types Cairn does
not map) and the run's counts; --json prints the same as one object
("warnings", "hostErrors"). Exits non-zero when the run failed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			log, err := g.logger()
			if err != nil {
				return err
			}
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			svc, err := g.services(ctx, db, log)
			if err != nil {
				return err
			}
			if networkScope != "" && source == "" {
				return errors.New("--network-scope is for one-off runs (--source); a job has its own networkScope")
			}
			var res *runner.Result
			switch {
			case len(args) == 1 && source == "":
				job, err := findJob(ctx, db.Client, args[0])
				if err != nil {
					return err
				}
				res, err = svc.jobs.RunNow(ctx, job.ID, dryRun)
				if err != nil {
					return err
				}
			case len(args) == 0 && source != "":
				if networkScope, err = identity.NormalizeScope(networkScope); err != nil {
					return fmt.Errorf("--network-scope: %w", err)
				}
				if file == "" {
					return errors.New("--file is required with --source")
				}
				cfg := map[string]any{}
				if config != "" {
					if err := json.Unmarshal([]byte(config), &cfg); err != nil {
						return fmt.Errorf("--config: %w", err)
					}
				}
				cfg["file"] = file
				raw, _ := json.Marshal(cfg)
				m := reconcile.Mode(strings.ToUpper(mode))
				if m != reconcile.ModeReport && m != reconcile.ModeUpdate {
					return fmt.Errorf("--mode must be report or update, not %q", mode)
				}
				// A one-off run reads the file the operator names in
				// their own shell: the registry is not confined.
				oneOff := *svc.jobs.Runner
				oneOff.Registry = install.Registry()
				res, err = oneOff.Run(ctx, runner.Spec{
					SourceKind: source, Config: raw, Mode: m,
					CreateUnregistered: createUnregistered, NetworkScope: networkScope, DryRun: dryRun, Trigger: "cli",
				})
				if err != nil {
					return err
				}
			default:
				return errors.New("give a job name or ID, or --source and --file (not both)")
			}
			if err := printRun(g, res, asJSON); err != nil {
				return err
			}
			switch res.Run.Status {
			case discoveryrun.StatusFailed, discoveryrun.StatusTimedOut, discoveryrun.StatusCancelled:
				return fmt.Errorf("discovery run %s: %s", strings.ToLower(string(res.Run.Status)), deref(res.Run.Error))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", "", "source kind for a one-off run: file, nmap, terraform")
	f.StringVar(&file, "file", "", "input file for a one-off run")
	f.StringVar(&config, "config", "", "extra source settings for a one-off run, as JSON")
	f.StringVar(&mode, "mode", "report", "report (differences become drifts) or update (the record takes observed values)")
	f.BoolVar(&createUnregistered, "create-unregistered", false, "create unseen things as CIs with status DISCOVERED")
	f.StringVar(&networkScope, "network-scope", "", "for a one-off run: the network scope (site, VRF, VPC) of the private addresses in the file; default global")
	f.BoolVar(&dryRun, "dry-run", false, "show what the run would fill, update, open and resolve; write nothing")
	f.BoolVar(&asJSON, "json", false, "print the run as JSON")
	g.conf.flags(f)
	return cmd
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func findJob(ctx context.Context, c *ent.Client, nameOrID string) (*ent.DiscoveryJob, error) {
	j, err := c.DiscoveryJob.Query().Where(discoveryjob.Name(nameOrID)).Only(ctx)
	if err == nil {
		return j, nil
	}
	if id, perr := strconv.Atoi(nameOrID); perr == nil {
		if j, err := c.DiscoveryJob.Get(ctx, id); err == nil {
			return j, nil
		}
	}
	return nil, fmt.Errorf("no discovery job named %q", nameOrID)
}

func printRun(g *globals, res *runner.Result, asJSON bool) error {
	run := res.Run
	if asJSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		hostErrors := run.HostErrors
		if hostErrors == nil {
			hostErrors = map[string]string{}
		}
		warnings := res.Warnings
		if warnings == nil {
			warnings = []string{}
		}
		return enc.Encode(map[string]any{
			"id": run.ID, "status": run.Status, "dryRun": run.DryRun, "source": run.SourceKind,
			"error": run.Error, "warnings": warnings, "hostErrors": hostErrors, "counts": run.Counts, "changes": run.Changes,
		})
	}
	w := tabwriter.NewWriter(g.stdout, 0, 2, 2, ' ', 0)
	title := fmt.Sprintf("run %d", run.ID)
	if run.DryRun {
		title = "dry run (nothing written)"
	}
	fmt.Fprintf(w, "%s\t%s\t%s\n", title, run.SourceKind, run.Status)
	if run.Error != nil {
		fmt.Fprintf(w, "error\t%s\n", *run.Error)
	}
	for _, he := range runner.SortedHostErrors(run.HostErrors) {
		fmt.Fprintf(w, "host %s\t%s\n", he[0], he[1])
	}
	for _, warning := range res.Warnings {
		fmt.Fprintf(w, "warning\t%s\n", warning)
	}
	c := run.Counts
	for _, kv := range []struct {
		k string
		v int
	}{
		{"observed", c.Observed}, {"matched", c.Matched}, {"created", c.Created}, {"filled", c.Filled},
		{"updated", c.Updated}, {"unchanged", c.Unchanged}, {"drifts opened", c.DriftsOpened},
		{"drifts updated", c.DriftsUpdated}, {"drifts resolved", c.DriftsResolved}, {"drifts ignored", c.DriftsIgnored},
		{"missing", c.Missing}, {"retired", c.Retired}, {"ambiguous", c.Ambiguous}, {"unregistered", c.Unregistered},
	} {
		fmt.Fprintf(w, "%s\t%d\n", kv.k, kv.v)
	}
	if run.DryRun && len(run.Changes) > 0 {
		fmt.Fprintln(w, "\nwould\tCI\tfield\tbefore\tafter")
		for _, ch := range run.Changes {
			target := ch.ObservationKey
			if ch.CI != 0 {
				target = strconv.Itoa(ch.CI)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", ch.Action, target, ch.Field, ch.Before, ch.After)
		}
	}
	return w.Flush()
}

func discoverListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "jobs",
		Short: "List discovery jobs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			jobs, err := db.Client.DiscoveryJob.Query().Order(ent.Asc(discoveryjob.FieldName)).All(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(g.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tSOURCE\tSCHEDULE\tMODE\tENABLED\tLAST RUN")
			for _, j := range jobs {
				last := "-"
				if j.LastRunAt != nil {
					last = j.LastRunAt.Format("2006-01-02 15:04:05Z")
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%t\t%s\n", j.ID, j.Name, j.SourceKind, orDash(j.Schedule), j.Mode, j.Enabled, last)
			}
			return w.Flush()
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
