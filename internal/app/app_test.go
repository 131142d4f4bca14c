package app

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/store"
)

// TestSQLiteFilesArePrivate (issue 13): a new SQLite database, and the
// -wal and -shm files SQLite makes beside it, are 0600 whatever the umask;
// an existing database keeps its mode.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which made them 0644
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, dsn := range []string{filepath.Join(dir, "cairn.db"), "file:" + filepath.Join(dir, "uri.db") + "?_pragma=busy_timeout(5000)"} {
		db, err := Open(context.Background(), dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// A write, so the WAL and its index exist.
		if _, err := db.Store.Writer().ExecContext(context.Background(), "CREATE TABLE IF NOT EXISTS probe (x int)"); err != nil {
			t.Fatal(err)
		}
		base := dsn
		if p, ok := store.SQLitePath(dsn); ok {
			base = p
		}
		for _, f := range []string{base, base + "-wal", base + "-shm"} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	shared := filepath.Join(dir, "shared.db")
	if err := os.WriteFile(shared, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), shared, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if fi, err := os.Stat(shared); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("an existing database's mode changed: %v %v", fi.Mode().Perm(), err)
	}
}
