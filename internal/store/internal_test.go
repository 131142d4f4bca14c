package store

import "testing"

func TestRebind(t *testing.T) {
	pg := &DB{backend: Postgres}
	lite := &DB{backend: SQLite}
	tests := []struct {
		name, in, want string
	}{
		{"none", "SELECT 1", "SELECT 1"},
		{"one", "SELECT * FROM ci WHERE id = ?", "SELECT * FROM ci WHERE id = $1"},
		{"many", "INSERT INTO t (a, b, c) VALUES (?, ?, ?)", "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"},
		{"quoted", "SELECT '?' , ? FROM t WHERE s = 'a?b' AND x = ?", "SELECT '?' , $1 FROM t WHERE s = 'a?b' AND x = $2"},
		{"escaped quote", "SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"identifier", `SELECT "what?" FROM t WHERE a = ?`, `SELECT "what?" FROM t WHERE a = $1`},
		{"line comment", "SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{"block comment", "SELECT /* ? */ ?", "SELECT /* ? */ $1"},
		{"unterminated", "SELECT ?, 'abc?", "SELECT $1, 'abc?"},
		{"ten", "?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pg.Rebind(tc.in); got != tc.want {
				t.Errorf("postgres Rebind(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := lite.Rebind(tc.in); got != tc.in {
				t.Errorf("sqlite Rebind(%q) = %q, want it unchanged", tc.in, got)
			}
		})
	}
}

func TestReadOnlyQuery(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"SELECT 1", true},
		{"  select * from ci where id = ?", true},
		{"/* hint */ SELECT 1", true},
		{"-- c\nSELECT 1", true},
		{"(SELECT 1) UNION (SELECT 2)", true},
		{"VALUES (1)", true},
		{"EXPLAIN QUERY PLAN SELECT 1", true},
		{"WITH RECURSIVE r(id) AS (SELECT 1 UNION SELECT id+1 FROM r WHERE id < 5) SELECT id FROM ci WHERE id IN (SELECT id FROM r)", true},
		{`WITH x AS (SELECT 'delete' AS "update") SELECT * FROM x`, true},
		{"SELECT `insert` FROM [replace]", true},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", false},
		{"WITH x AS (SELECT 1) DELETE FROM t WHERE id IN x", false},
		{"INSERT INTO t (a) VALUES (?) RETURNING id", false},
		{"UPDATE t SET a = 1 RETURNING id", false},
		{"DELETE FROM t RETURNING id", false},
		{"REPLACE INTO t VALUES (1)", false},
		{"PRAGMA foreign_keys", false},
		{"", false},
		{"   ", false},
	}
	for _, tc := range tests {
		if got := readOnlyQuery(tc.q); got != tc.want {
			t.Errorf("readOnlyQuery(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestParseSQLiteDSN(t *testing.T) {
	tests := []struct {
		dsn, base, query, path string
		wantErr                bool
	}{
		{dsn: "/tmp/x.db", base: "/tmp/x.db", path: "/tmp/x.db"},
		{dsn: "x.db?_pragma=foo(1)", base: "x.db", query: "_pragma=foo(1)", path: "x.db"},
		{dsn: "file:/tmp/x.db", base: "file:/tmp/x.db", path: "/tmp/x.db"},
		{dsn: "file:///tmp/a%20b.db?cache=private", base: "file:///tmp/a%20b.db", query: "cache=private", path: "/tmp/a b.db"},
		{dsn: "file:rel.db", base: "file:rel.db", path: "rel.db"},
		{dsn: ":memory:", wantErr: true},
		{dsn: "file::memory:?cache=shared", wantErr: true},
		{dsn: "file:x.db?mode=memory", wantErr: true},
		{dsn: "file:/x.db?vfs=memdb", wantErr: true},
		{dsn: "", wantErr: true},
		{dsn: "file:", wantErr: true},
	}
	for _, tc := range tests {
		base, query, path, err := parseSQLiteDSN(tc.dsn)
		if tc.wantErr {
			if err == nil {
				t.Errorf("parseSQLiteDSN(%q): want error, got path %q", tc.dsn, path)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseSQLiteDSN(%q): %v", tc.dsn, err)
			continue
		}
		if base != tc.base || query != tc.query || path != tc.path {
			t.Errorf("parseSQLiteDSN(%q) = %q, %q, %q; want %q, %q, %q", tc.dsn, base, query, path, tc.base, tc.query, tc.path)
		}
	}
}
