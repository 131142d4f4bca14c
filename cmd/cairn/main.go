// Command cairn is the Cairn CMDB: one binary that serves the GraphQL API
// and runs every administrative task. It is thin: each subcommand parses its
// flags and calls into internal/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cairn:", err)
		os.Exit(1)
	}
}

// globals are the flags every command shares.
type globals struct {
	db        string
	logFormat string
	logLevel  string
	// secretKeyFile holds the credentials key when CAIRN_SECRET_KEY is unset.
	secretKeyFile string
	// conf bounds what saved jobs and report schedules touch (serve and
	// discover run take its flags).
	conf confinement
	// dbf tunes the PostgreSQL pools (dbflags.go).
	dbf    dbFlags
	stdout io.Writer
	stderr io.Writer
}

func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(g.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(g.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", g.logFormat)
}

// open opens the database named by --db (or CAIRN_DB) and migrates it.
func (g *globals) open(ctx context.Context) (*app.DB, error) {
	if strings.TrimSpace(g.db) == "" {
		return nil, errors.New("--db is empty: give a SQLite file path or a postgres:// DSN")
	}
	po, err := g.dbf.options()
	if err != nil {
		return nil, err
	}
	ro, err := g.dbf.replica(g.db)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, g.db, app.Options{Store: store.Options{Postgres: po, Replica: ro}})
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "cairn",
		Short:         "Cairn: a CMDB and IT asset inventory in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.db, "db", envOr("CAIRN_DB", "./cairn.db"), "SQLite file path or postgres:// DSN (env CAIRN_DB)")
	g.dbf.flags(pf)
	pf.StringVar(&g.logFormat, "log-format", envOr("CAIRN_LOG_FORMAT", "text"), "log format: text or json (env CAIRN_LOG_FORMAT)")
	pf.StringVar(&g.secretKeyFile, "secret-key-file", envOr("CAIRN_SECRET_KEY_FILE", ""), "file with the key that seals discovery credentials and webhook secrets, made on the first start while nothing is sealed (a missing key is refused once something is: see cairn secret rotate); CAIRN_SECRET_KEY overrides it (env CAIRN_SECRET_KEY_FILE) [cairn-secret.key next to the SQLite file]")
	pf.StringVar(&g.logLevel, "log-level", envOr("CAIRN_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env CAIRN_LOG_LEVEL)")
	root.AddCommand(
		serveCmd(g),
		migrateCmd(g),
		tokenCmd(g),
		lookupCmd(g),
		reportCmd(g),
		discoverCmd(g),
		secretCmd(g),
		backupCmd(g),
		restoreCmd(g),
		alertsCmd(g),
	)
	root.AddCommand(estateCommands(g)...)
	return root
}

func migrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema, then exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(g.stdout, "schema of %s is up to date\n", redactDSN(g.db))
			return nil
		},
	}
}

// redactDSN hides a password in a postgres DSN.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.Index(dsn[i+3:], "@"); at >= 0 {
			cred := dsn[i+3 : i+3+at]
			if user, _, hasPw := strings.Cut(cred, ":"); hasPw {
				return dsn[:i+3] + user + ":***" + dsn[i+3+at:]
			}
		}
	}
	return dsn
}

// userError turns an apperr into a message naming the field.
func userError(err error) error {
	if ae, ok := apperr.As(err); ok && ae.Field != "" {
		return fmt.Errorf("--%s: %s", ae.Field, ae.Msg)
	}
	return err
}
