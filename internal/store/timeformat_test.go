package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// canonicalRe is SQLiteTimeLayout in UTC: no trailing zeros in the
// fraction, no fraction at all for a whole second.
var canonicalRe = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d*[1-9])?\+00:00$`)

// legacyDB opens path with modernc's defaults, as Cairn did before
// _time_format: a time.Time parameter is stored as time.Time.String().
func legacyDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// rawTimes reads the stored text of events.at and events.done_at by name.
func rawTimes(t *testing.T, db *sql.DB) map[string][2]sql.NullString {
	t.Helper()
	rows, err := db.Query(`SELECT name, CAST(at AS TEXT), CAST(done_at AS TEXT) FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]sql.NullString{}
	for rows.Next() {
		var name string
		var v [2]sql.NullString
		if err := rows.Scan(&name, &v[0], &v[1]); err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCanonicalizeTimes: a SQLite table written the old way (times as
// time.String(), with the monotonic reading, in several offsets) is
// rewritten to SQLiteTimeLayout in UTC, every instant equal to the
// nanosecond, in text that sorts as the instants do; running it again
// changes nothing, and a legacy row written afterwards (by an older
// binary) is found through the newest-row check.
func TestCanonicalizeTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "legacy.db")
	plus2 := time.FixedZone("CEST", 2*60*60)
	cases := []struct {
		name string
		at   time.Time
		done *time.Time // nil: NULL
	}{
		{"clock", time.Now(), nil}, // monotonic reading: " m=+0.0…"
		{"utc-nanos", time.Date(2026, 12, 7, 15, 16, 32, 127110687, time.UTC), nil},
		{"utc-whole-second", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), nil},
		{"utc-trailing-zeros", time.Date(2026, 1, 2, 3, 4, 5, 100_000_000, time.UTC), nil},
		{"cest", time.Date(2026, 7, 1, 17, 0, 0, 5, plus2), ptr(time.Date(2026, 7, 1, 18, 0, 0, 0, plus2))},
		{"unnamed-zero", time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("", 0)), nil},
		{"minus-0330", time.Date(2026, 3, 4, 23, 59, 59, 999_999_999, time.FixedZone("", -(3*60*60+30*60))), nil},
		{"ist", time.Date(2026, 3, 5, 0, 0, 0, 1, time.FixedZone("IST", 5*60*60+30*60)), ptr(time.Now().Add(time.Hour))},
		{"unnamed-plus-0530", time.Date(2026, 3, 5, 0, 0, 0, 1, time.FixedZone("", 5*60*60+30*60)), nil},
		{"old-year", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), nil},
	}
	raw := legacyDB(t, path)
	if _, err := raw.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at DATETIME NOT NULL, done_at DATETIME)`); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		var done any
		if c.done != nil {
			done = *c.done
		}
		if _, err := raw.Exec(`INSERT INTO events (name, at, done_at) VALUES (?, ?, ?)`, c.name, c.at, done); err != nil {
			t.Fatal(err)
		}
	}
	// Looks legacy, is not a time (February 30th): left as it is.
	const bogus = "2026-02-30 10:00:00 +0200 CEST"
	if _, err := raw.Exec(`INSERT INTO events (name, at) VALUES ('bogus', ?)`, bogus); err != nil {
		t.Fatal(err)
	}
	before := rawTimes(t, raw)
	if s := before["clock"][0].String; !strings.Contains(s, " m=") {
		t.Fatalf("the legacy writer did not write time.String(): %q", s)
	}
	// Rows with a legacy value in UTC are rewritten by the SQL pass, rows
	// with one in another zone (time.Now() is in time.Local) by the Go
	// pass; a row with both counts twice.
	var wantRows int64
	for _, c := range cases {
		var utc, other bool
		for _, v := range before[c.name] {
			if v.Valid {
				utc = utc || strings.Contains(v.String, " +0000 UTC")
				other = other || !strings.Contains(v.String, " +0000 UTC")
			}
		}
		for _, b := range []bool{utc, other} {
			if b {
				wantRows++
			}
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := open(t, path, store.Options{})
	// A row written through the store is canonical already.
	already := time.Date(2026, 6, 1, 12, 0, 0, 42, time.FixedZone("", 9*60*60))
	if _, err := db.Writer().Exec(`INSERT INTO events (name, at) VALUES ('already', ?)`, already); err != nil {
		t.Fatal(err)
	}
	cols := []store.TimeColumn{{Table: "events", Column: "at"}, {Table: "events", Column: "done_at"}}
	n, err := db.CanonicalizeTimes(ctx, cols)
	if err != nil {
		t.Fatal(err)
	}
	if n != wantRows {
		t.Errorf("CanonicalizeTimes rewrote %d rows, want %d", n, wantRows)
	}
	check := func(when string) map[string][2]sql.NullString {
		t.Helper()
		after := rawTimes(t, db.Writer())
		for _, c := range cases {
			for i, want := range []*time.Time{&c.at, c.done} {
				got := after[c.name][i]
				if want == nil {
					if got.Valid {
						t.Errorf("%s: %s col %d = %q, want NULL", when, c.name, i, got.String)
					}
					continue
				}
				if !canonicalRe.MatchString(got.String) {
					t.Errorf("%s: %s col %d = %q, not canonical", when, c.name, i, got.String)
					continue
				}
				p, err := time.Parse(store.SQLiteTimeLayout, got.String)
				if err != nil {
					t.Fatal(err)
				}
				old, err := store.ParseLegacyTime(before[c.name][i].String)
				if err != nil {
					t.Fatalf("%s: parsing the legacy %q: %v", c.name, before[c.name][i].String, err)
				}
				if !p.Equal(*want) || !p.Equal(old) || p.UnixNano() != want.UnixNano() {
					t.Errorf("%s: %s col %d = %q (%v), want the instant %v", when, c.name, i, got.String, p, *want)
				}
			}
		}
		if got := after["bogus"][0].String; got != bogus {
			t.Errorf("%s: the unparsable value became %q", when, got)
		}
		if got, want := after["already"][0].String, already.UTC().Format(store.SQLiteTimeLayout); got != want {
			t.Errorf("%s: the canonical value became %q, want %q", when, got, want)
		}
		return after
	}
	first := check("first run")

	// The driver reads them back as the same instants, in UTC.
	var at time.Time
	if err := db.Reader().QueryRow(`SELECT at FROM events WHERE name = 'cest'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(cases[4].at) || at.Location() != time.UTC {
		t.Errorf("read back %v (%v), want %v in UTC", at, at.Location(), cases[4].at)
	}
	// The text sorts as the instants do.
	rows, err := db.Reader().Query(`SELECT name FROM events WHERE name NOT IN ('bogus') ORDER BY at, id`)
	if err != nil {
		t.Fatal(err)
	}
	var byText []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		byText = append(byText, s)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	type named struct {
		name string
		at   time.Time
	}
	var all []named
	for _, c := range cases {
		all = append(all, named{c.name, c.at})
	}
	all = append(all, named{"already", already})
	slices.SortStableFunc(all, func(a, b named) int { return a.at.Compare(b.at) })
	var byInstant []string
	for _, a := range all {
		byInstant = append(byInstant, a.name)
	}
	if !slices.Equal(byText, byInstant) {
		t.Errorf("ORDER BY at: %v, want %v", byText, byInstant)
	}

	// Again: nothing to do, nothing changed.
	if n, err := db.CanonicalizeTimes(ctx, cols); err != nil || n != 0 {
		t.Errorf("second run: %d rows, %v; want 0", n, err)
	}
	if again := check("second run"); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("second run changed the text:\n%v\n%v", first, again)
	}
	var version int
	if err := db.Writer().QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != 1 {
		t.Errorf("user_version = %d, %v; want 1", version, err)
	}

	// An older binary writes again: its row is the newest, so the next
	// run rewrites it.
	raw = legacyDB(t, path)
	late := time.Now()
	if _, err := raw.Exec(`INSERT INTO events (name, at) VALUES ('late', ?)`, late); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CanonicalizeTimes(ctx, cols); err != nil || n != 1 {
		t.Errorf("after a legacy write: %d rows, %v; want 1", n, err)
	}
	if got := rawTimes(t, db.Writer())["late"][0].String; got != late.UTC().Format(store.SQLiteTimeLayout) {
		t.Errorf("the late legacy row is %q", got)
	}
}

func ptr[T any](v T) *T { return &v }

// TestTimesStoredInUTC: on both backends a time in another offset, with a
// monotonic reading, is stored as its instant and read back in UTC; on
// SQLite the stored text is canonical, so the same instant given as a
// parameter finds it.
func TestTimesStoredInUTC(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T, b store.Backend, dsn string) {
		ctx := context.Background()
		db := open(t, dsn, store.Options{})
		ddl := `CREATE TABLE stamps (id INTEGER PRIMARY KEY, at DATETIME NOT NULL)`
		if b == store.Postgres {
			ddl = `CREATE TABLE stamps (id INTEGER PRIMARY KEY, at TIMESTAMPTZ NOT NULL)`
		}
		if _, err := db.Writer().ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
		// Microseconds: PostgreSQL keeps no more.
		at := time.Now().Round(time.Microsecond).In(time.FixedZone("", -7*60*60)).Add(time.Microsecond)
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO stamps (id, at) VALUES (1, $1)`, at); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := db.Reader().QueryRowContext(ctx, `SELECT at FROM stamps WHERE at = $1 AND at >= $2 AND at <= $3`,
			at.UTC(), at, at.In(time.FixedZone("", 5*60*60))).Scan(&got); err != nil {
			t.Fatalf("the row at its own instant: %v", err)
		}
		if !got.Equal(at) {
			t.Errorf("read back %v, want %v", got, at)
		}
		if b == store.SQLite {
			if got.Location() != time.UTC {
				t.Errorf("read back in %v, want UTC", got.Location())
			}
			var text string
			if err := db.Reader().QueryRowContext(ctx, `SELECT CAST(at AS TEXT) FROM stamps`).Scan(&text); err != nil {
				t.Fatal(err)
			}
			if want := at.UTC().Format(store.SQLiteTimeLayout); text != want || !canonicalRe.MatchString(text) {
				t.Errorf("stored %q, want %q", text, want)
			}
		}
		n, err := db.CanonicalizeTimes(ctx, []store.TimeColumn{{Table: "stamps", Column: "at"}})
		if err != nil || n != 0 {
			t.Errorf("CanonicalizeTimes: %d, %v; want 0 (nothing legacy; PostgreSQL has timestamptz)", n, err)
		}
	})
}

// TestOpenRefusesTimeParams: a DSN may not change how times are stored.
func TestOpenRefusesTimeParams(t *testing.T) {
	for _, p := range []string{"_time_format=datetime", "_timezone=Europe/Berlin", "_time_integer_format=unix", "_inttotime=1"} {
		dsn := "file:" + filepath.Join(t.TempDir(), "x.db") + "?" + p
		db, err := store.Open(context.Background(), dsn, store.Options{})
		if err == nil {
			_ = db.Close()
			t.Fatalf("Open(%q) succeeded, want an error", dsn)
		}
		name, _, _ := strings.Cut(p, "=")
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Open(%q): %v, want it to name %s", dsn, err, name)
		}
	}
}

// FuzzCanonicalTimeText: SQLiteTimeLayout text of UTC times sorts as the
// instants do and parses back to the same instant, and the legacy text of
// any time parses back to its instant and offset.
func FuzzCanonicalTimeText(f *testing.F) {
	f.Add(int64(1796656592), int64(127110687), int64(1796656592), int64(127110690), 120)
	f.Add(int64(0), int64(0), int64(0), int64(1), -210)
	f.Add(int64(1796656592), int64(100000000), int64(1796656592), int64(10000000), 0)
	f.Fuzz(func(t *testing.T, s1, n1, s2, n2 int64, offMin int) {
		// Years 1 to 9999 a day inside, so that in any offset the year
		// still has the four digits the layouts read.
		const lo, hi = -62135596800 + 86400, 253402300799 - 86400
		clamp := func(s, n int64) time.Time {
			s = lo + (s%(hi-lo)+(hi-lo))%(hi-lo)
			n = (n%1e9 + 1e9) % 1e9
			return time.Unix(s, n).UTC()
		}
		a, b := clamp(s1, n1), clamp(s2, n2)
		ta, tb := a.Format(store.SQLiteTimeLayout), b.Format(store.SQLiteTimeLayout)
		if c := strings.Compare(ta, tb); c != a.Compare(b) {
			t.Errorf("%q vs %q compares %d, the instants %d", ta, tb, c, a.Compare(b))
		}
		if p, err := time.Parse(store.SQLiteTimeLayout, ta); err != nil || !p.Equal(a) {
			t.Errorf("%q parses to %v, %v; want %v", ta, p, err, a)
		}
		offMin %= 24 * 60
		zone := time.FixedZone("", offMin*60)
		local := a.In(zone)
		p, err := store.ParseLegacyTime(local.String())
		if err != nil || !p.Equal(a) {
			t.Fatalf("legacy %q parses to %v, %v; want %v", local.String(), p, err, a)
		}
		if _, off := p.Zone(); off != offMin*60 {
			t.Errorf("legacy %q parses with offset %d, want %d", local.String(), off, offMin*60)
		}
	})
}
