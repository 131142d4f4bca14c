package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/sealed"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// confinement holds the flags that bound what the jobs and report
// schedules an admin saves may touch on this machine and reach on the
// network. serve and discover run take them, with the same defaults and
// environment variables, so a job runs alike from either.
type confinement struct {
	discoveryDirs  []string
	nmapBinaries   []string
	webhookAllow   []string
	reportRoot     string
	reportFileMode string
	reportDirMode  string
}

// envList splits a comma-separated environment variable; def when unset.
func envList(key string, def []string) []string {
	v, ok := os.LookupEnv(key)
	if !ok {
		return def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// flags adds the confinement flags to f.
func (c *confinement) flags(f *pflag.FlagSet) {
	f.StringSliceVar(&c.discoveryDirs, "discovery-dir", envList("CAIRN_DISCOVERY_DIR", nil),
		"directory a discovery job's files (inventories, scans, states, known_hosts) must lie in; repeat or comma-separate for several, relative paths in jobs are taken in the first (env CAIRN_DISCOVERY_DIR) [cairn-discovery/ next to a SQLite database, made if missing]")
	f.StringSliceVar(&c.nmapBinaries, "nmap-binary", envList("CAIRN_NMAP_BINARY", discovery.DefaultNmapBinaries),
		"absolute path of an nmap program nmap-scan jobs may run; repeat or comma-separate (env CAIRN_NMAP_BINARY)")
	f.StringSliceVar(&c.webhookAllow, "webhook-allow", envList("CAIRN_WEBHOOK_ALLOW", nil),
		"CIDR range or address webhooks may reach although it is loopback, link-local, unspecified or multicast, e.g. 127.0.0.0/8; repeat or comma-separate (env CAIRN_WEBHOOK_ALLOW)")
	f.StringVar(&c.reportRoot, "report-root", envOr("CAIRN_REPORT_ROOT", ""),
		"directory report schedules' directories must lie in, relative ones taken there (env CAIRN_REPORT_ROOT) [cairn-reports/ next to a SQLite database]")
	f.StringVar(&c.reportFileMode, "report-file-mode", envOr("CAIRN_REPORT_FILE_MODE", "0600"), "mode of report files, octal (env CAIRN_REPORT_FILE_MODE)")
	f.StringVar(&c.reportDirMode, "report-dir-mode", envOr("CAIRN_REPORT_DIR_MODE", "0700"), "mode of the report directories Cairn makes, octal (env CAIRN_REPORT_DIR_MODE)")
}

// besideDB is name in the directory of the SQLite database --db names, or
// in the working directory for PostgreSQL.
func (g *globals) besideDB(name string) string {
	dir := "."
	if path, ok := store.SQLitePath(g.db); ok {
		dir = filepath.Dir(path)
	}
	return filepath.Join(dir, name)
}

// discovery returns the confinement of saved jobs: --discovery-dir, or
// cairn-discovery/ next to the database, made (0700) when missing (not
// discovery/: next to a database in the repository that is a Go package).
func (c *confinement) discovery(g *globals) (*discovery.Confinement, error) {
	dirs := c.discoveryDirs
	if len(dirs) == 0 {
		def := g.besideDB("cairn-discovery")
		if err := os.Mkdir(def, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("making the discovery directory %s: %w", def, err)
		}
		dirs = []string{def}
	}
	conf, err := discovery.NewConfinement(dirs, c.nmapBinaries)
	if err != nil {
		return nil, fmt.Errorf("--discovery-dir / --nmap-binary: %w", err)
	}
	return conf, nil
}

// egress returns what webhooks may reach.
func (c *confinement) egress() (deliver.Egress, error) {
	allow, err := deliver.ParseAllow(c.webhookAllow)
	if err != nil {
		return deliver.Egress{}, fmt.Errorf("--webhook-allow: %w", err)
	}
	return deliver.Egress{Allow: allow}, nil
}

// reports returns the report root and the modes of files and directories.
func (c *confinement) reports(g *globals) (root string, file, dir os.FileMode, err error) {
	root = c.reportRoot
	if root == "" {
		root = g.besideDB("cairn-reports")
	}
	if root, err = filepath.Abs(root); err != nil {
		return "", 0, 0, fmt.Errorf("--report-root: %w", err)
	}
	if file, err = parseMode("--report-file-mode", c.reportFileMode); err != nil {
		return "", 0, 0, err
	}
	if dir, err = parseMode("--report-dir-mode", c.reportDirMode); err != nil {
		return "", 0, 0, err
	}
	if dir&0o700 != 0o700 {
		return "", 0, 0, fmt.Errorf("--report-dir-mode %s: the owner needs rwx (0700 at least)", c.reportDirMode)
	}
	return root, file, dir, nil
}

func parseMode(flag, s string) (os.FileMode, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || n == 0 || n > 0o777 {
		return 0, fmt.Errorf("%s %q: want octal permission bits such as 0600", flag, s)
	}
	return os.FileMode(n), nil
}

// keyFile is the key file of --db: --secret-key-file, else
// cairn-secret.key next to a SQLite database (in the working directory for
// PostgreSQL).
func (g *globals) keyFile() string {
	if g.secretKeyFile != "" {
		return g.secretKeyFile
	}
	return g.besideDB("cairn-secret.key")
}

// key returns the key that opens db's sealed values (sealed.Open): made on
// the first start while nothing is sealed, refused when it is missing or
// wrong while something is.
func (g *globals) key(ctx context.Context, db *app.DB, log *slog.Logger) (*secret.Box, error) {
	k := sealed.Key{Env: os.Getenv(secret.EnvKey), File: g.keyFile()}
	box, st, err := sealed.Open(ctx, db.Client, k)
	if err != nil {
		return nil, err
	}
	if st.Created {
		log.Info("made a new secret key file; back it up with the database", "file", k.File)
	}
	if len(st.Unreadable) > 0 {
		log.Warn("some sealed values do not open with the secret key; enter them again", "values", st.Unreadable)
	}
	return box, nil
}
