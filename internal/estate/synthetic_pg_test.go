package estate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestSeedSyntheticCopyMatchesInsert seeds the same estate into two fresh
// PostgreSQL schemas, once with COPY (the default there) and once with the
// INSERT path, then adds to each with Force (where COPY keeps the indexes),
// and compares every table row by row, IDs and times included, the ID
// sequences, and the indexes and constraints that the COPY path dropped
// and made again.
func TestSeedSyntheticCopyMatchesInsert(t *testing.T) {
	const n, more = 2000, 300
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 21, 30, 15, 123456000, time.UTC)
	viaCopy, viaInsert := openDB(t, storetest.PostgresDSN(t)), openDB(t, storetest.PostgresDSN(t))
	schemaBefore := pgSchema(t, viaCopy)
	for _, step := range []struct {
		n    int
		opts SyntheticOptions
	}{{n, SyntheticOptions{now: now}}, {more, SyntheticOptions{now: now.Add(time.Hour), Force: true}}} {
		stCopy, err := SeedSyntheticWith(ctx, viaCopy, step.n, step.opts)
		if err != nil {
			t.Fatalf("COPY seed of %d: %v", step.n, err)
		}
		insertOpts := step.opts
		insertOpts.insert = true
		stInsert, err := SeedSyntheticWith(ctx, viaInsert, step.n, insertOpts)
		if err != nil {
			t.Fatalf("INSERT seed of %d: %v", step.n, err)
		}
		stCopy.Elapsed, stInsert.Elapsed = 0, 0
		if stCopy != stInsert || stCopy.ConfigurationItems != step.n {
			t.Fatalf("seed of %d: COPY stats %+v, INSERT stats %+v", step.n, stCopy, stInsert)
		}
	}
	compared := 0
	for _, tb := range migrate.Tables {
		a, b := pgRows(t, viaCopy, tb.Name), pgRows(t, viaInsert, tb.Name)
		if !slices.Equal(a, b) {
			t.Errorf("table %s: %d rows with COPY, %d with INSERT; first difference:\n%s", tb.Name, len(a), len(b), firstRowDiff(a, b))
		}
		if len(a) > 0 {
			compared++
		}
	}
	// configuration_items, identifiers, relationships, service_members,
	// owners, vendors, services, assets and audit_events hold rows.
	if compared != 9 {
		t.Errorf("%d tables hold rows, want the 9 the seed writes", compared)
	}
	var cis, firstCI int
	if err := viaCopy.Store.Writer().QueryRowContext(ctx, `SELECT COUNT(*), MIN(id) FROM configuration_items`).Scan(&cis, &firstCI); err != nil {
		t.Fatal(err)
	}
	if ct := tableOf("configuration_items"); cis != n+more || firstCI != ct.start+1 {
		t.Errorf("%d CIs from ID %d, want %d from %d (the table's global-ID range)", cis, firstCI, n+more, ct.start+1)
	}
	for _, tb := range seededTables() {
		a, b := pgSequence(t, viaCopy, tb), pgSequence(t, viaInsert, tb)
		if a != b || !strings.HasSuffix(a, "max") {
			t.Errorf("sequence of %s: %s with COPY, %s with INSERT, want it at the largest ID", tb, a, b)
		}
	}
	if a, b := pgSchema(t, viaCopy), pgSchema(t, viaInsert); !slices.Equal(a, b) || !slices.Equal(a, schemaBefore) {
		t.Errorf("indexes and constraints differ after the COPY seed:\n%s\nbefore:\n%s", firstRowDiff(a, b), firstRowDiff(a, schemaBefore))
	}
}

// TestSeedSyntheticCopyFailureLeavesNothing makes PostgreSQL refuse a row
// in the middle of the COPY seed (a trigger on relationships, which are
// copied after the CIs, identifiers, memberships and assets), and checks
// that the error names the table and that every table, index and foreign
// key is as before.
func TestSeedSyntheticCopyFailureLeavesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, storetest.PostgresDSN(t))
	w := db.Store.Writer()
	for _, q := range []string{
		`CREATE FUNCTION refuse_relationship() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.from_id % 1000 = 777 THEN RAISE EXCEPTION 'refused relationship from %', NEW.from_id; END IF;
  RETURN NEW;
END $$`,
		`CREATE TRIGGER refuse BEFORE INSERT ON relationships FOR EACH ROW EXECUTE FUNCTION refuse_relationship()`,
	} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	before := pgSchema(t, db)
	_, err := SeedSynthetic(ctx, db, 3000)
	if err == nil || !strings.Contains(err.Error(), "into relationships") || !strings.Contains(err.Error(), "refused relationship from") {
		t.Fatalf("seed with a refused relationship: %v, want the COPY into relationships refused", err)
	}
	for _, tb := range migrate.Tables {
		if rows := pgRows(t, db, tb.Name); len(rows) != 0 {
			t.Errorf("table %s holds %d rows after the failed seed, first %s", tb.Name, len(rows), rows[0])
		}
	}
	if after := pgSchema(t, db); !slices.Equal(before, after) {
		t.Errorf("indexes and constraints changed by the failed seed:\n%s", firstRowDiff(after, before))
	}
	if _, err := w.ExecContext(ctx, `DROP TRIGGER refuse ON relationships`); err != nil {
		t.Fatal(err)
	}
	if st, err := SeedSynthetic(ctx, db, 3000); err != nil || st.Relationships != 9000 {
		t.Fatalf("seed after the failed one: %+v, %v", st, err)
	}
}

// pgRows returns the rows of table as JSON text, sorted.
func pgRows(t *testing.T, db *app.DB, table string) []string {
	t.Helper()
	return pgStrings(t, db, fmt.Sprintf(`SELECT row_to_json(x)::text FROM %q x`, table))
}

// pgSchema returns the indexes and constraints of the test's schema.
func pgSchema(t *testing.T, db *app.DB) []string {
	t.Helper()
	return pgStrings(t, db, `
SELECT tablename || ' ' || indexname || ': ' || replace(indexdef, schemaname || '.', '') FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL
SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END
  FROM pg_constraint WHERE connamespace = current_schema()::regnamespace`)
}

// pgSequence describes the ID sequence of table: its last value, and "max"
// when that is the table's largest ID.
func pgSequence(t *testing.T, db *app.DB, table string) string {
	t.Helper()
	var last, maxID sql.NullInt64
	q := fmt.Sprintf(`SELECT pg_sequence_last_value(pg_get_serial_sequence('%s', 'id')::regclass), (SELECT MAX(id) FROM %q)`, table, table)
	if err := db.Store.Writer().QueryRowContext(context.Background(), q).Scan(&last, &maxID); err != nil {
		t.Fatalf("sequence of %s: %v", table, err)
	}
	s := fmt.Sprint(last.Int64)
	if last == maxID && last.Valid {
		s += " max"
	}
	return s
}

func pgStrings(t *testing.T, db *app.DB, q string) []string {
	t.Helper()
	rows, err := db.Store.Writer().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// firstRowDiff shows the first line where a and b (sorted) differ.
func firstRowDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("  first: %s\n  other: %s", x, y)
		}
	}
	return "(none)"
}
