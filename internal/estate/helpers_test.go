package estate

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files and testdata/demo/estate.json")

func openDB(t testing.TB, dsn string) *app.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openSQLite(t testing.TB) *app.DB {
	t.Helper()
	return openDB(t, storetest.SQLiteDSN(t))
}

// repoPath is a path relative to the repository root.
func repoPath(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the output (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
