package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/backup"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/sealed"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// existingKey returns the secret key of --db without ever making one:
// CAIRN_SECRET_KEY, else the key file; nil when there is neither.
func (g *globals) existingKey() ([]byte, string, error) {
	if env := os.Getenv(secret.EnvKey); env != "" {
		k, err := secret.ParseKey(env)
		if err != nil {
			return nil, secret.EnvKey, fmt.Errorf("%s: %w", secret.EnvKey, err)
		}
		return k, secret.EnvKey, nil
	}
	path := g.keyFile()
	k, err := secret.ReadKeyFile(path)
	if errors.Is(err, secret.ErrNoKey) {
		return nil, path, nil
	}
	return k, path, err
}

func backupCmd(g *globals) *cobra.Command {
	var out, verify, scratch string
	var includeKey bool
	cmd := &cobra.Command{
		Use:   "backup (--out FILE | --verify FILE)",
		Short: "Back up the whole database to a file, or check a backup by restoring it",
		Long: `backup --out FILE writes every table of --db (the estate, the audit trail, drifts,
discovery runs, jobs with their sealed credentials, report schedules, token hashes) to FILE
while the server keeps running: one consistent snapshot, written to a temporary file in
FILE's directory and renamed into place only once complete, so FILE is never partial. The
file is a gzip'd JSON-lines stream that restores into SQLite or PostgreSQL alike ("cairn
restore"), with a manifest: format version, engine, schema, time, per-table row counts and
checksums.

The secret key that sealed discovery credentials and webhook secrets is not in the backup
unless --include-key; keep a copy of the key file apart from the backups.

backup --verify FILE restores FILE into a scratch SQLite database, reads every table back
and compares counts and checksums with the manifest; it exits non-zero, naming what
failed, when the file is damaged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if (out == "") == (verify == "") {
				return errors.New("give exactly one of --out FILE or --verify FILE")
			}
			if verify != "" {
				if includeKey {
					return errors.New("--include-key goes with --out")
				}
				return verifyBackup(ctx, g, verify, scratch)
			}
			return writeBackup(ctx, g, out, includeKey)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "write the backup to `FILE`")
	f.StringVar(&verify, "verify", "", "check the backup `FILE` by restoring it into a scratch database")
	f.BoolVar(&includeKey, "include-key", false, "put the secret key in the backup too (anyone with the file can then open the credentials)")
	f.StringVar(&scratch, "scratch-dir", "", "with --verify: the `DIR` the scratch database goes in [the system's temporary directory]")
	return cmd
}

func writeBackup(ctx context.Context, g *globals, out string, includeKey bool) error {
	if err := requireDatabase(g.db); err != nil {
		return err
	}
	// No migration: a backup reads, it never changes the schema.
	db, err := app.Open(ctx, g.db, app.Options{SkipMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	key, keyFrom, err := g.existingKey()
	if err != nil {
		return err
	}
	if includeKey && key == nil {
		return fmt.Errorf("--include-key: there is no secret key (%s is unset and %s does not exist)", secret.EnvKey, keyFrom)
	}
	m, err := backup.ToFile(ctx, db.Store, out, backup.Options{Cairn: backup.BuildVersion(), SecretKey: key, IncludeKey: includeKey})
	if err != nil {
		if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "no such column") ||
			strings.Contains(err.Error(), "does not exist (SQLSTATE") {
			return fmt.Errorf("%w (is %s a cairn database of this version? \"cairn migrate\" brings its schema up to date)", err, redactDSN(g.db))
		}
		return err
	}
	size := int64(0)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(g.stdout, "wrote %s (%d bytes): %d rows in %d tables, sha256 %s\n", out, size, m.Rows, len(m.Tables), m.SHA256)
	switch {
	case includeKey:
		fmt.Fprintf(g.stdout, "the backup holds the secret key (from %s): keep it as safe as the key itself\n", keyFrom)
	case key != nil:
		fmt.Fprintf(g.stdout, "the secret key (id %s, from %s) is not in the backup: sealed credentials restore only with it, so keep a copy apart\n", m.SecretKeyID, keyFrom)
	}
	return nil
}

// requireDatabase refuses a SQLite path that names no file, which opening
// would create empty.
func requireDatabase(dsn string) error {
	if strings.TrimSpace(dsn) == "" {
		return errors.New("--db is empty: give a SQLite file path or a postgres:// DSN")
	}
	if path, ok := store.SQLitePath(dsn); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--db %s: no such database file", path)
		}
	}
	return nil
}

func verifyBackup(ctx context.Context, g *globals, path, scratch string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--verify: %w", err)
	}
	defer f.Close()
	m, err := backup.Verify(ctx, f, scratch)
	if err != nil {
		return fmt.Errorf("%s is not a sound backup: %w", path, err)
	}
	fmt.Fprintf(g.stdout, "%s: verified: it restores to exactly its %d rows in %d tables\n", path, m.Rows, len(m.Tables))
	fmt.Fprint(g.stdout, m.Summary())
	return nil
}

func restoreCmd(g *globals) *cobra.Command {
	var writeKey string
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup into an empty database (SQLite or PostgreSQL)",
		Long: `restore FILE writes the backup FILE (made by "cairn backup") into --db, which must be
empty: a new SQLite file, or a new PostgreSQL database or schema. The schema is migrated
first, then every row is written in one transaction; any problem (a damaged file, a
database that is not empty) leaves the database as it was. A backup of either engine
restores into either, so restore also moves an install from SQLite to PostgreSQL.

Sealed credentials (discovery job credentials, webhook secrets) open only with the secret
key of the install that made the backup; restore says whether the key it finds opens them.
--write-key PATH writes the key a backup holds (made with --include-key) to PATH.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return restoreBackup(cmd.Context(), g, args[0], writeKey)
		},
	}
	cmd.Flags().StringVar(&writeKey, "write-key", "", "write the secret key the backup holds to `PATH` (mode 0600)")
	return cmd
}

func restoreBackup(ctx context.Context, g *globals, path, writeKey string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var key []byte
	onHeader := func(h *backup.Header) error {
		if writeKey == "" {
			return nil
		}
		if h.SecretKey == "" {
			return fmt.Errorf("--write-key: %s does not hold the secret key (it was written without --include-key)", path)
		}
		k, err := hex.DecodeString(h.SecretKey)
		if err != nil {
			return fmt.Errorf("--write-key: %w", err)
		}
		if _, err := os.Lstat(writeKey); err == nil {
			if have, err := secret.ReadKeyFile(writeKey); err != nil || !bytes.Equal(have, k) {
				return fmt.Errorf("--write-key: %s exists and does not hold this backup's key; it is never replaced: name a new file", writeKey)
			}
		}
		key = k
		return nil
	}
	db, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := backup.Restore(ctx, db.Store, f, backup.RestoreOptions{OnHeader: onHeader})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(g.stdout, "restored %s into %s: %d rows in %d tables (a backup of %s taken %s)\n",
		path, redactDSN(g.db), m.Rows, len(m.Tables), m.Engine, m.CreatedAt.Format("2006-01-02 15:04:05Z07:00"))
	if key != nil {
		if err := backup.WriteFile(ctx, writeKey, 0o600, func(w io.Writer) error {
			_, err := w.Write(secret.EncodeKey(key))
			return err
		}); err != nil {
			return fmt.Errorf("--write-key: %w", err)
		}
		fmt.Fprintf(g.stdout, "wrote the backup's secret key to %s\n", writeKey)
	}
	return reportSealed(ctx, g, db, m)
}

// reportSealed says whether the sealed values just restored open with the
// key --db's server will use.
func reportSealed(ctx context.Context, g *globals, db *app.DB, m *backup.Manifest) error {
	vals, err := sealed.All(ctx, db.Client)
	if err != nil {
		return err
	}
	if len(vals) == 0 {
		return nil
	}
	k, from, err := g.existingKey()
	if err != nil {
		return err
	}
	var box *secret.Box
	if k != nil {
		if box, err = secret.New(k); err != nil {
			return err
		}
	}
	bad := sealed.Unreadable(box, vals)
	if len(bad) == 0 {
		fmt.Fprintf(g.stdout, "the %d sealed credential(s) open with the secret key in %s\n", len(vals), from)
		return nil
	}
	id := ""
	if m.SecretKeyID != "" {
		id = " (key id " + m.SecretKeyID + ")"
	}
	fmt.Fprintf(g.stdout, "%d of %d sealed credential(s), %s among them, open only with the secret key of the install that made this backup%s: ",
		len(bad), len(vals), bad[0].Where, id)
	if k == nil {
		fmt.Fprintf(g.stdout, "put its key file at %s (or set %s) before cairn serve\n", from, secret.EnvKey)
	} else {
		fmt.Fprintf(g.stdout, "the key in %s is another one; put the right one there (or set %s) before cairn serve\n", from, secret.EnvKey)
	}
	if m.SecretKey != "" {
		fmt.Fprintln(g.stdout, "this backup holds that key: restore it into an empty database again with --write-key PATH to write it out")
	}
	return nil
}

// scheduledBackups is the scheduled backup job of serve's --backup-*
// flags (none without --backup-schedule), checked.
func (g *globals) scheduledBackups(db *app.DB, log *slog.Logger, spec, dir string, keep int, noScheduler bool) ([]scheduler.Participant, error) {
	if spec == "" {
		return nil, nil
	}
	if noScheduler {
		return nil, errors.New("--backup-schedule needs the scheduler: drop --no-scheduler")
	}
	if dir == "" {
		dir = g.besideDB("backups")
	}
	key, _, err := g.existingKey()
	if err != nil {
		return nil, err
	}
	s := &backup.Scheduled{
		Store: db.Store, Spec: spec, Dir: dir, Keep: keep,
		Options: backup.Options{Cairn: backup.BuildVersion(), SecretKey: key},
		Logger:  log.With("component", "backup"),
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	log.Info("scheduled backups", "schedule", spec, "dir", dir, "keep", keep)
	return []scheduler.Participant{s}, nil
}
