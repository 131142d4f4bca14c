// Package storetest gives tests fresh, isolated databases on every backend.
//
// SQLite databases are new files in t.TempDir(). PostgreSQL databases are new
// schemas (cairn_t_<random hex>) in the database named by the environment
// variable CAIRN_TEST_POSTGRES_DSN, dropped when the test ends. Without that
// variable PostgreSQL tests are skipped, unless CAIRN_LAB=1 or CI=true, where
// they fail instead.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvPostgresDSN names the environment variable with the PostgreSQL server
// tests use.
const EnvPostgresDSN = "CAIRN_TEST_POSTGRES_DSN"

const exampleDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backends lists every backend, in the order Run runs them.
func Backends() []store.Backend { return []store.Backend{store.SQLite, store.Postgres} }

// Run runs fn as the subtests "sqlite" and "postgres", each with a fresh DSN.
func Run(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(string(b), func(t *testing.T) {
			fn(t, DSN(t, b))
		})
	}
}

// RunBackend is Run for tests that also need to know the backend.
func RunBackend(t *testing.T, fn func(t *testing.T, b store.Backend, dsn string)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(string(b), func(t *testing.T) {
			fn(t, b, DSN(t, b))
		})
	}
}

// RunB runs fn as the sub-benchmarks "sqlite" and "postgres", each with a
// fresh DSN.
func RunB(b *testing.B, fn func(b *testing.B, dsn string)) {
	b.Helper()
	for _, be := range Backends() {
		b.Run(string(be), func(b *testing.B) {
			fn(b, DSN(b, be))
		})
	}
}

// DSN returns a fresh DSN for backend b.
func DSN(t testing.TB, b store.Backend) string {
	t.Helper()
	switch b {
	case store.SQLite:
		return SQLiteDSN(t)
	case store.Postgres:
		return PostgresDSN(t)
	default:
		t.Fatalf("storetest: unknown backend %q", b)
		return ""
	}
}

// SQLiteDSN returns the path of a new SQLite file in t.TempDir().
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "cairn.db")
}

// PostgresDSN creates a fresh schema in the server named by
// CAIRN_TEST_POSTGRES_DSN and returns a DSN whose search_path is that schema.
// The schema is dropped when the test ends. Without the variable it skips
// the test, or fails it when CAIRN_LAB=1 or CI=true.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresDSN)
	if base == "" {
		if os.Getenv("CAIRN_LAB") == "1" || os.Getenv("CI") == "true" {
			t.Fatal("CAIRN_TEST_POSTGRES_DSN is not set but CAIRN_LAB=1: PostgreSQL tests must run (start PostgreSQL and set CAIRN_TEST_POSTGRES_DSN=" + exampleDSN + ")")
		}
		t.Skip("PostgreSQL tests skipped: set CAIRN_TEST_POSTGRES_DSN=" + exampleDSN + " to run them")
	}
	schema, err := randomSchema()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := execOnce(ctx, base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := execOnce(ctx, base, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	return dsn
}

func randomSchema() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random schema name: %w", err)
	}
	return "cairn_t_" + hex.EncodeToString(b[:]), nil
}

func withSearchPath(base, schema string) (string, error) {
	lower := strings.ToLower(base)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return "", fmt.Errorf("%s must be a postgres:// url, got %q", EnvPostgresDSN, redact(base))
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvPostgresDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// execOnce runs one statement on a short-lived connection to dsn.
func execOnce(ctx context.Context, dsn, stmt string) (err error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", redact(dsn), err)
	}
	return nil
}
