package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenListIsSafe: a token name with control or bidi characters is
// refused when the token is created, and a database that holds one anyway
// (written before the rule, or by hand) lists it with the characters shown
// as escapes: the terminal is not steered and the columns stay aligned.
func TestTokenListIsSafe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tokens.db")
	if _, err := runCairn(t, "token", "create", "--name", "ci\u202ebot", "--db", db); err == nil ||
		!strings.Contains(err.Error(), "--name") || !strings.Contains(err.Error(), "U+202E") {
		t.Fatalf("token create with U+202E: err = %v, want a refusal naming --name and U+202E", err)
	}
	for _, name := range []string{"alice", "bob"} {
		if _, err := runCairn(t, "token", "create", "--name", name, "--db", db); err != nil {
			t.Fatal(err)
		}
	}
	// Rename bob behind the hooks' back, as an old database could hold it.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	evil := "bob\t\x1b[2J\u202eevil\nADMIN"
	if _, err := raw.ExecContext(context.Background(), `UPDATE api_tokens SET name = ? WHERE name = 'bob'`, evil); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := runCairn(t, "token", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "\t\x1b\u202e") {
		t.Errorf("token list passes control or bidi characters through:\n%q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("token list has %d lines, want a header and 2 tokens:\n%s", len(lines), out)
	}
	if want := `bob\t\x1b[2J\u202eevil\nADMIN`; !strings.Contains(lines[2], want) {
		t.Errorf("token list line %q does not show the name as %s", lines[2], want)
	}
	if strings.Index(lines[1], "VIEWER") != strings.Index(lines[2], "VIEWER") {
		t.Errorf("role columns not aligned:\n%s", out)
	}
}

// TestTokenRoles: every role --role takes, in any case, is stored as the
// enum value; an unknown one is refused naming the flag and the roles.
func TestTokenRoles(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tokens.db")
	for _, tt := range []struct{ name, role, want string }{
		{"monitoring", "ingest", "INGEST"},
		{"grafana", "VIEWER", "VIEWER"},
		{"ops", "Editor", "EDITOR"},
		{"root", "admin", "ADMIN"},
	} {
		out, err := runCairn(t, "token", "create", "--name", tt.name, "--role", tt.role, "--db", db)
		if err != nil {
			t.Fatalf("token create --role %s: %v", tt.role, err)
		}
		if !strings.HasPrefix(strings.TrimSpace(out), "cairn_") {
			t.Errorf("token create --role %s printed %q, want the secret", tt.role, out)
		}
	}
	out, err := runCairn(t, "token", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"monitoring  INGEST", "grafana     VIEWER", "ops         EDITOR", "root        ADMIN"} {
		if !strings.Contains(out, want) {
			t.Errorf("token list does not show %q:\n%s", want, out)
		}
	}
	_, err = runCairn(t, "token", "create", "--name", "x", "--role", "reader", "--db", db)
	if err == nil || !strings.Contains(err.Error(), `--role "reader": want ingest, viewer, editor or admin`) {
		t.Errorf("token create --role reader: err = %v, want a refusal naming the roles", err)
	}
}
