package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// sealedJob gives the database at dbPath a discovery job whose credentials
// are sealed with a new key, written to keyFile.
func sealedJob(t *testing.T, dbPath, keyFile string) {
	t.Helper()
	key := bytes.Repeat([]byte{0x42}, 32)
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	box, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := box.SealMap(map[string]string{"password": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), "test")
	db, err := app.Open(ctx, dbPath, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
		return tx.DiscoveryJob.Create().SetName("nightly-ssh").SetSourceKind("ssh").
			SetConfig(map[string]any{"targets": []any{"10.0.0.1"}, "user": "cairn"}).
			SetCredentialsSealed(creds).SetMode(discoveryjob.ModeReport).Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBackupCommands: backup, --verify and restore as an operator runs
// them, the key file kept out of the backup unless asked, and each
// refusal naming what is wrong.
func TestBackupCommands(t *testing.T) {
	t.Setenv(secret.EnvKey, "")
	dir := t.TempDir()
	src := filepath.Join(dir, "src", "cairn.db")
	if err := os.MkdirAll(filepath.Dir(src), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := runCairn(t, "seed", "--demo", "--db", src); err != nil {
		t.Fatal(err)
	}
	sealedJob(t, src, filepath.Join(dir, "src", "cairn-secret.key"))
	file := filepath.Join(dir, "cairn.backup.gz")

	out, err := runCairn(t, "backup", "--db", src, "--out", file)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^wrote .*cairn\.backup\.gz \(\d+ bytes\): \d+ rows in \d+ tables, sha256 [0-9a-f]{64}\n`).MatchString(out) ||
		!strings.Contains(out, "is not in the backup") {
		t.Errorf("backup printed:\n%s", out)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	out, err = runCairn(t, "backup", "--verify", file)
	if err != nil || !strings.Contains(out, "verified: it restores to exactly its") || !strings.Contains(out, "configuration_items") {
		t.Errorf("backup --verify: %v\n%s", err, out)
	}

	// Into a new database without the key: restored, and told so.
	dst := filepath.Join(dir, "dst", "cairn.db")
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err = runCairn(t, "restore", file, "--db", dst)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	wantKey := filepath.Join(dir, "dst", "cairn-secret.key")
	if !strings.Contains(out, "restored "+file+" into "+dst) ||
		!strings.Contains(out, `1 of 1 sealed credential(s), discovery job "nightly-ssh" credentials among them, open only with the secret key`) ||
		!strings.Contains(out, "put its key file at "+wantKey) {
		t.Errorf("restore printed:\n%s", out)
	}
	if _, err := os.Stat(wantKey); err == nil {
		t.Error("restore made a key file")
	}
	a, _ := runCairn(t, "export", "--db", src)
	b, _ := runCairn(t, "export", "--db", dst)
	if a != b || !strings.Contains(a, "fra1-db01") {
		t.Error("the restored database exports differently")
	}
	if _, err := runCairn(t, "restore", file, "--db", dst); err == nil ||
		!regexp.MustCompile(`the database is not empty: table \w+ holds \d+ row\(s\)`).MatchString(err.Error()) {
		t.Errorf("restore into a non-empty database: %v", err)
	}

	// With the key: --include-key and --write-key.
	keyed := filepath.Join(dir, "keyed.backup.gz")
	if out, err := runCairn(t, "backup", "--db", src, "--out", keyed, "--include-key"); err != nil || !strings.Contains(out, "the backup holds the secret key") {
		t.Fatalf("backup --include-key: %v\n%s", err, out)
	}
	third := filepath.Join(dir, "third", "cairn.db")
	if err := os.MkdirAll(filepath.Dir(third), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := runCairn(t, "restore", file, "--db", third, "--write-key", filepath.Join(dir, "x.key")); err == nil ||
		!strings.Contains(err.Error(), "does not hold the secret key") {
		t.Errorf("--write-key with a backup made without the key: %v", err)
	}
	keyFile := filepath.Join(dir, "third", "cairn-secret.key")
	out, err = runCairn(t, "restore", keyed, "--db", third, "--write-key", keyFile)
	if err != nil || !strings.Contains(out, "wrote the backup's secret key to "+keyFile) ||
		!strings.Contains(out, "the 1 sealed credential(s) open with the secret key in "+keyFile) {
		t.Errorf("restore --write-key: %v\n%s", err, out)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, want mode 0600", err)
	}

	// Refusals.
	damaged, _ := os.ReadFile(file)
	damaged[len(damaged)/2] ^= 0x10
	bad := filepath.Join(dir, "damaged.backup.gz")
	if err := os.WriteFile(bad, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCairn(t, "backup", "--verify", bad); err == nil || !strings.Contains(err.Error(), bad+" is not a sound backup: verify: restore: backup") {
		t.Errorf("--verify of a damaged file: %v", err)
	}
	missing := filepath.Join(dir, "missing.db")
	if _, err := runCairn(t, "backup", "--db", missing, "--out", filepath.Join(dir, "m.gz")); err == nil || !strings.Contains(err.Error(), "no such database file") {
		t.Errorf("backup of a missing database: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("backup of a missing database made one")
	}
	if _, err := runCairn(t, "backup", "--db", src); err == nil || !strings.Contains(err.Error(), "exactly one of --out FILE or --verify FILE") {
		t.Errorf("backup without --out: %v", err)
	}
}

// TestServeScheduledBackups: serve --backup-schedule writes backups into
// --backup-dir on the shared scheduler, keeping --backup-keep of them; a
// bad schedule stops serve before it listens.
func TestServeScheduledBackups(t *testing.T) {
	t.Setenv(secret.EnvKey, "")
	dir := t.TempDir()
	db := filepath.Join(dir, "cairn.db")
	if _, err := runCairn(t, "seed", "--demo", "--db", db); err != nil {
		t.Fatal(err)
	}
	if _, err := runCairn(t, "serve", "--db", db, "--addr", "127.0.0.1:0", "--backup-schedule", "every day"); err == nil ||
		!strings.Contains(err.Error(), "--backup-schedule") {
		t.Fatalf("serve with a bad schedule: %v", err)
	}
	backups := filepath.Join(dir, "nightly")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out, errOut bytes.Buffer
		root := newRoot(&out, &errOut)
		root.SetArgs([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--backup-schedule", "@every 1s", "--backup-dir", backups, "--backup-keep", "2"})
		done <- root.ExecuteContext(ctx)
	}()
	deadline := time.Now().Add(20 * time.Second)
	var files []string
	for time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(backups, "cairn-backup-*.jsonl.gz"))
		if len(files) >= 2 {
			time.Sleep(2500 * time.Millisecond) // two more ticks: retention must hold
			files, _ = filepath.Glob(filepath.Join(backups, "cairn-backup-*.jsonl.gz"))
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if len(files) != 2 {
		t.Fatalf("%d scheduled backups in %s, want the 2 kept: %v", len(files), backups, files)
	}
	if fi, err := os.Stat(backups); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backup directory: %v, want mode 0700", err)
	}
	out, err := runCairn(t, "backup", "--verify", files[len(files)-1])
	if err != nil {
		t.Errorf("verify a scheduled backup: %v\n%s", err, out)
	}
}
