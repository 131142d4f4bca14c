package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/cairn-cmdb/cairn/internal/store"
)

// TestDBFlagErrors (issue 17): a bad PostgreSQL pool flag, or environment
// variable, stops the command before the database is opened, with an error
// naming the flag or variable.
func TestDBFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"zero open", []string{"--db-max-open-conns", "0"}, nil, "--db-max-open-conns 0: want 1 or more"},
		{"negative idle", []string{"--db-max-idle-conns", "-1"}, nil, "--db-max-idle-conns -1: want 0"},
		{"idle above open", []string{"--db-max-open-conns", "4", "--db-max-idle-conns", "5"}, nil, "--db-max-idle-conns 5: more than --db-max-open-conns 4"},
		{"negative lifetime", []string{"--db-conn-max-lifetime", "-1s"}, nil, "--db-conn-max-lifetime -1s: want 0 (never) or more"},
		{"negative idle time", []string{"--db-conn-max-idle-time", "-5m"}, nil, "--db-conn-max-idle-time -5m0s: want 0 (never) or more"},
		{"negative statement timeout", []string{"--db-statement-timeout", "-1s"}, nil, "--db-statement-timeout -1s: want 0 (none) or more"},
		{"sub-millisecond statement timeout", []string{"--db-statement-timeout", "500us"}, nil, "--db-statement-timeout 500µs: PostgreSQL counts it in milliseconds"},
		{"not a number", []string{"--db-max-open-conns", "many"}, nil, `invalid argument "many" for "--db-max-open-conns" flag`},
		{"not a duration", []string{"--db-statement-timeout", "5"}, nil, `invalid argument "5" for "--db-statement-timeout" flag`},
		{"env not a number", nil, map[string]string{"CAIRN_DB_MAX_OPEN_CONNS": "lots"}, `CAIRN_DB_MAX_OPEN_CONNS="lots": want a whole number`},
		{"env not a duration", nil, map[string]string{"CAIRN_DB_STATEMENT_TIMEOUT": "30"}, `CAIRN_DB_STATEMENT_TIMEOUT="30": want a duration`},
		{"env value checked too", nil, map[string]string{"CAIRN_DB_MAX_OPEN_CONNS": "0"}, "--db-max-open-conns 0: want 1 or more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			dbPath := filepath.Join(t.TempDir(), "cairn.db")
			var out, errOut bytes.Buffer
			root := newRoot(&out, &errOut)
			root.SetArgs(append(append([]string{"--db", dbPath}, tc.args...), "migrate"))
			err := root.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(out.String(), "up to date") {
				t.Errorf("the database was migrated despite the bad flag: %s", out.String())
			}
		})
	}
}

// TestDBFlagDefaults: the flags' defaults are the store's documented ones,
// environment variables set them, and the flags' 0 (never) reaches the store
// as "never", not as "the default".
func TestDBFlagDefaults(t *testing.T) {
	fs := newRoot(&bytes.Buffer{}, &bytes.Buffer{}).PersistentFlags()
	for name, want := range map[string]string{
		"db-max-open-conns":     "16",
		"db-max-idle-conns":     "0",
		"db-conn-max-lifetime":  "1h0m0s",
		"db-conn-max-idle-time": "10m0s",
		"db-statement-timeout":  "0s",
	} {
		if got := fs.Lookup(name).DefValue; got != want {
			t.Errorf("--%s default %s, want %s", name, got, want)
		}
	}
	t.Setenv("CAIRN_DB_MAX_OPEN_CONNS", "7")
	t.Setenv("CAIRN_DB_CONN_MAX_LIFETIME", "0")
	t.Setenv("CAIRN_DB_STATEMENT_TIMEOUT", "2s")
	var d dbFlags
	d.flags(pflag.NewFlagSet("test", pflag.ContinueOnError))
	got, err := d.options()
	if err != nil {
		t.Fatal(err)
	}
	want := store.PostgresOptions{MaxOpenConns: 7, ConnMaxLifetime: -1, ConnMaxIdleTime: 10 * time.Minute, StatementTimeout: 2 * time.Second}
	if got != want {
		t.Errorf("options %+v, want %+v", got, want)
	}
}

// TestDBReadFlagErrors: serve's read replica flags are checked before the
// database is opened, naming the flag.
func TestDBReadFlagErrors(t *testing.T) {
	sqlite := filepath.Join(t.TempDir(), "cairn.db")
	const pg = "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not postgres", []string{"--db", pg, "serve", "--db-read", "replica.db"}, "--db-read replica.db: want a postgres:// DSN"},
		{"sqlite primary", []string{"--db", sqlite, "serve", "--db-read", pg}, "--db-read: a read replica needs a PostgreSQL --db"},
		{"zero lag", []string{"--db", pg, "serve", "--db-read", pg, "--db-read-max-lag", "0s"}, "--db-read-max-lag 0s: want more than 0"},
		{"bad lag", []string{"--db", pg, "serve", "--db-read", pg, "--db-read-max-lag", "soon"}, `invalid argument "soon" for "--db-read-max-lag" flag`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
			root.SetArgs(append(tc.args, "--addr", "127.0.0.1:0"))
			err := root.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Setenv("CAIRN_DB_READ_MAX_LAG", "1 minute")
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	root.SetArgs([]string{"--db", pg, "serve", "--db-read", pg, "--addr", "127.0.0.1:0"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), `CAIRN_DB_READ_MAX_LAG="1 minute": want a duration`) {
		t.Errorf("bad CAIRN_DB_READ_MAX_LAG: %v", err)
	}
}
