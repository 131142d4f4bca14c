package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/backup"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store"
)

func serveCmd(g *globals) *cobra.Command {
	var (
		addr     string
		anon     bool
		timeout  time.Duration
		maxBody  int64
		maxCost  int
		maxToken int
		maxSel   int
		maxAlias int
		maxErrs  int
		maxResp  int64
		statsInt time.Duration
		inFlight int
		bodyTO   time.Duration
		bodyRds  int
		hcfg     server.HTTPConfig
		grace    time.Duration
		gcPct    int

		noScheduler bool

		backupSpec, backupDir string
		backupKeep            int

		alertCfg alertFlags
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web console (/), the GraphQL API (/graphql), GraphiQL (/graphiql), health and metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if _, set := os.LookupEnv("GOGC"); !set && gcPct > 0 {
				// A GraphQL request allocates many short-lived objects; a
				// higher GC target buys ~30% more throughput (BENCHMARKS.md)
				// for a larger heap. GOGC in the environment wins.
				debug.SetGCPercent(gcPct)
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			// The alert flags are checked before the database is opened.
			egress, err := g.conf.egress()
			if err != nil {
				return err
			}
			acfg, err := alertCfg.config(egress, log)
			if err != nil {
				return err
			}
			db, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			secret, created, err := auth.Bootstrap(ctx, db.Client)
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintf(g.stderr, "\nNo API tokens existed, so Cairn created an admin token named \"admin\".\n"+
					"It is shown this once and never again; keep it somewhere safe:\n\n    %s\n\n", secret)
			}
			backups, err := g.scheduledBackups(db, log, backupSpec, backupDir, backupKeep, noScheduler)
			if err != nil {
				return err
			}
			svc, err := g.services(ctx, db, log, backups...)
			if err != nil {
				return err
			}
			if !noScheduler {
				if err := svc.scheduler.Start(ctx); err != nil {
					return fmt.Errorf("starting the discovery scheduler: %w", err)
				}
				defer func() {
					sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
					defer cancel()
					if err := svc.scheduler.Stop(sctx); err != nil {
						log.Warn("stopping the discovery scheduler", "err", err)
					}
				}()
			}
			// Built after the flags are checked and before the server
			// listens: New rebuilds the correlation from stored alerts.
			alertSvc, stopAlerts, err := startAlerts(ctx, db, acfg, log)
			if err != nil {
				return err
			}
			// After the server has stopped taking alerts.
			defer stopAlerts()
			srv, err := server.New(db, server.Config{
				Alerts:             alertSvc,
				MaxAlertBodyBytes:  alertCfg.maxBody,
				Discovery:          svc.jobs,
				Reports:            svc.reports,
				AllowAnonymousRead: anon,
				RequestTimeout:     timeout,
				MaxBodyBytes:       maxBody,
				ComplexityLimit:    maxCost,
				ParserTokenLimit:   maxToken,
				MaxSelections:      maxSel,
				MaxAliases:         maxAlias,
				MaxErrors:          maxErrs,
				MaxResponseBytes:   maxResp,
				StatsInterval:      statsInt,
				MaxInFlight:        inFlight,
				BodyReadTimeout:    bodyTO,
				MaxBodyReads:       bodyRds,
				Logger:             log,
				Registry:           prometheus.NewRegistry(),
			})
			if err != nil {
				return err
			}
			if db.Store.Backend() == store.Postgres {
				// Tokens revoked through another process (or the CLI)
				// are refused here on the next request: the cache of
				// valid tokens is dropped on their notification, and
				// off while it cannot be heard.
				authn := srv.Authenticator()
				authn.SetCaching(false)
				go db.Store.Listen(ctx, auth.TokensChannel, store.Listener{
					Ready:   func() { authn.ForgetAll(); authn.SetCaching(true) },
					Changed: authn.ForgetAll,
					Lost: func(err error) {
						authn.SetCaching(false)
						log.Warn("not hearing token revocations from other processes; tokens are checked on every request until it is back", "err", err)
					},
				})
			}
			log.Info("cairn starting", "db", redactDSN(g.db), "db_read", redactDSN(g.dbf.readDSN), "backend", db.Store.Backend(), "anonymous_read", anon,
				"alert_hops", acfg.Settings.Hops, "alert_window", acfg.Settings.Window, "alert_quiet", acfg.Settings.Quiet,
				"incident_webhooks", len(acfg.Webhooks))
			if hcfg.WriteTimeout == 0 {
				hcfg.WriteTimeout = timeout + 15*time.Second // room to answer a request that timed out
			}
			return server.ListenAndServe(ctx, addr, srv, hcfg, grace, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", envOr("CAIRN_ADDR", ":8080"), "listen address (env CAIRN_ADDR)")
	f.BoolVar(&anon, "allow-anonymous-read", envOr("CAIRN_ALLOW_ANONYMOUS_READ", "") == "true", "let callers without a token query; mutations always need one (env CAIRN_ALLOW_ANONYMOUS_READ=true)")
	f.DurationVar(&timeout, "request-timeout", 30*time.Second, "per-request timeout")
	f.Int64Var(&maxBody, "max-body-bytes", 1<<20, "largest accepted request body")
	f.IntVar(&maxCost, "max-complexity", 250_000, "largest accepted operation cost (rows asked for times fields)")
	f.IntVar(&maxToken, "max-query-tokens", 15_000, "largest accepted query document, in parser tokens")
	f.IntVar(&maxSel, "max-selections", 500, "largest accepted query document, in fields, fragment spreads and inline fragments (checked before validation)")
	f.IntVar(&maxAlias, "max-aliases", 200, "most aliased fields in one query document")
	f.IntVar(&maxErrs, "max-errors", 20, "most errors one response lists (a last one says more were found)")
	f.Int64Var(&maxResp, "max-response-bytes", 16<<20, "largest GraphQL response body; an operation that grows past it is cancelled")
	f.DurationVar(&statsInt, "cost-stats-interval", 5*time.Minute, "how often the cost model measures the estate (row counts, list fan-outs) to price queries")
	f.IntVar(&inFlight, "max-in-flight", 32, "GraphQL requests executed at once, each once its body is read; past it a request is answered 503 with Retry-After; a quarter is kept for callers with a token")
	f.DurationVar(&bodyTO, "body-read-timeout", 10*time.Second, "time a client has to send a GraphQL request's body; a slower body is answered 400")
	f.IntVar(&bodyRds, "max-body-reads", 128, "GraphQL request bodies received at once; past it a request is answered 503 with Retry-After; anonymous callers get three quarters, one address an eighth")
	f.IntVar(&hcfg.MaxConns, "max-conns", 1024, "open connections; past it the longest idle kept-alive connection is closed (a new client waits only while none is idle)")
	f.IntVar(&hcfg.MaxConnsPerIP, "max-conns-per-ip", 64, "open connections of one client address; past it its longest idle one is closed, or the new one is answered 503")
	f.DurationVar(&hcfg.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client has to send a request's headers")
	f.DurationVar(&hcfg.ReadTimeout, "read-timeout", 30*time.Second, "time a client has to send a whole request, body included")
	f.DurationVar(&hcfg.WriteTimeout, "write-timeout", 0, "time from a request's headers to the end of its response (0: --request-timeout plus 15s)")
	f.DurationVar(&hcfg.IdleTimeout, "idle-timeout", 120*time.Second, "how long a kept-alive connection may wait for its next request")
	f.IntVar(&gcPct, "gc-percent", 400, "Go GC target percentage (GOGC in the environment overrides it)")
	f.BoolVar(&noScheduler, "no-scheduler", false, "do not run discovery jobs on their schedules (runDiscoveryJob still works)")
	f.StringVar(&backupSpec, "backup-schedule", envOr("CAIRN_BACKUP_SCHEDULE", ""), "cron spec (UTC) of scheduled backups, e.g. \"0 3 * * *\"; one process of those sharing the database writes each (env CAIRN_BACKUP_SCHEDULE)")
	f.StringVar(&backupDir, "backup-dir", envOr("CAIRN_BACKUP_DIR", ""), "directory of scheduled backups, made 0700 (env CAIRN_BACKUP_DIR) [backups/ next to the database]")
	f.IntVar(&backupKeep, "backup-keep", backup.DefaultKeep, "how many scheduled backups to keep")
	f.DurationVar(&grace, "shutdown-grace", 15*time.Second, "how long in-flight requests may finish on SIGTERM")
	alertCfg.flags(f)
	g.conf.flags(f)
	g.dbf.replicaFlags(f)
	return cmd
}
