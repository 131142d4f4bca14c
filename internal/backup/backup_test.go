package backup

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/backup/backupfile"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestRoundTripSQLite: a backup of a database with rows in every table
// restores into a new SQLite file with the same rows (every table's count
// and checksum), the same export, and reads back to the same manifest.
func TestRoundTripSQLite(t *testing.T) {
	ctx := context.Background()
	src := openDB(t, storetest.SQLiteDSN(t))
	fill(t, src)
	var buf bytes.Buffer
	m, err := Write(ctx, src.Store, &buf, Options{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	want := counts(t, src)
	for name, n := range want {
		if n == 0 {
			t.Errorf("the test database has no rows in %s: fill must cover every table", name)
		}
		if s, _ := m.Table(name); s.Rows != n {
			t.Errorf("manifest: %s has %d rows, want %d", name, s.Rows, n)
		}
	}
	if m.SecretKeyID != backupfile.KeyID(testKey) || m.SecretKey != "" {
		t.Errorf("header: key id %q key %q, want the id only", m.SecretKeyID, m.SecretKey)
	}
	dst := openDB(t, storetest.SQLiteDSN(t))
	got, err := Restore(ctx, dst.Store, bytes.NewReader(buf.Bytes()), RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != m.SHA256 {
		t.Errorf("restore's manifest sha256 %s, want %s", got.SHA256, m.SHA256)
	}
	if gc := counts(t, dst); !equalCounts(gc, want) {
		t.Errorf("restored counts %v, want %v", gc, want)
	}
	if a, b := export(t, src), export(t, dst); !bytes.Equal(a, b) {
		t.Errorf("export of the restored database differs from the original's")
	}
	var again bytes.Buffer
	m2, err := Write(ctx, dst.Store, &again, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Tables {
		if s2, _ := m2.Table(s.Name); s2 != s {
			t.Errorf("table %s backed up again: %+v, want %+v", s.Name, s2, s)
		}
	}
	if _, err := Verify(ctx, bytes.NewReader(buf.Bytes()), t.TempDir()); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRestoreRefusesNonEmpty: a database with a row anywhere is refused,
// naming the table, and nothing is written.
func TestRestoreRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	src := openDB(t, storetest.SQLiteDSN(t))
	fill(t, src)
	var buf bytes.Buffer
	if _, err := Write(ctx, src.Store, &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	dst := openDB(t, storetest.SQLiteDSN(t))
	if _, err := dst.Store.Writer().Exec(`INSERT INTO drift_ignore_rules (created_at, updated_at, name, enabled) VALUES (?, ?, 'x', true)`, "2026-01-01 00:00:00", "2026-01-01 00:00:00"); err != nil {
		t.Fatal(err)
	}
	before := counts(t, dst)
	_, err := Restore(ctx, dst.Store, bytes.NewReader(buf.Bytes()), RestoreOptions{})
	var ne *NotEmptyError
	if !errors.As(err, &ne) || ne.Table != "drift_ignore_rules" || ne.Rows != 1 {
		t.Fatalf("Restore into a non-empty database: %v, want a NotEmptyError naming drift_ignore_rules with 1 row", err)
	}
	if after := counts(t, dst); !equalCounts(before, after) {
		t.Errorf("the refused restore changed the database: %v, was %v", after, before)
	}
}

// TestSQLitePostgresSQLite moves an install from SQLite to PostgreSQL and
// back: each step's `cairn export` is the original's byte for byte, every
// table keeps its row count, and new rows get IDs past the restored ones
// (the sequences moved) on both engines.
func TestSQLitePostgresSQLite(t *testing.T) {
	ctx := context.Background()
	pgDSN := storetest.PostgresDSN(t)
	src := openDB(t, storetest.SQLiteDSN(t))
	fill(t, src)
	want := counts(t, src)
	wantExport := export(t, src)

	var b1 bytes.Buffer
	if _, err := Write(ctx, src.Store, &b1, Options{}); err != nil {
		t.Fatal(err)
	}
	pg := openDB(t, pgDSN)
	if _, err := Restore(ctx, pg.Store, bytes.NewReader(b1.Bytes()), RestoreOptions{}); err != nil {
		t.Fatalf("restore into PostgreSQL: %v", err)
	}
	if got := counts(t, pg); !equalCounts(got, want) {
		t.Errorf("PostgreSQL counts %v, want %v", got, want)
	}
	if got := export(t, pg); !bytes.Equal(got, wantExport) {
		t.Errorf("export from PostgreSQL differs from SQLite's:\n%s", firstDiff(got, wantExport))
	}
	var b2 bytes.Buffer
	m2, err := Write(ctx, pg.Store, &b2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m2.Engine != "postgres" {
		t.Errorf("engine %q, want postgres", m2.Engine)
	}
	back := openDB(t, storetest.SQLiteDSN(t))
	if _, err := Restore(ctx, back.Store, bytes.NewReader(b2.Bytes()), RestoreOptions{}); err != nil {
		t.Fatalf("restore into SQLite: %v", err)
	}
	if got := export(t, back); !bytes.Equal(got, wantExport) {
		t.Errorf("export after SQLite → PostgreSQL → SQLite differs:\n%s", firstDiff(got, wantExport))
	}
	if _, err := Verify(ctx, bytes.NewReader(b2.Bytes()), t.TempDir()); err != nil {
		t.Errorf("Verify of the PostgreSQL backup: %v", err)
	}
	for _, db := range []*app.DB{pg, back} {
		maxID := maxCI(t, db)
		ci := newCI(t, db, "zz-after-restore")
		if ci <= maxID || ci>>32 != maxID>>32 {
			t.Errorf("%s: a CI created after the restore got id %d, want one past %d in the same range", db.Store.Backend(), ci, maxID)
		}
	}
}
