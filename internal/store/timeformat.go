package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// How times are stored on SQLite.
//
// SQLite has no time type: modernc.org/sqlite stores a time.Time parameter
// as text and parses it back when the column is declared DATETIME (ent's
// time columns are). Left to its default it writes time.Time.String(),
// "2026-12-07 15:16:32.127110687 +0000 UTC m=+0.081652216": the zone name
// and, for a time read from the clock, the monotonic clock reading. Text
// in that form does not compare as the instants do: the same instant sent
// back as a parameter (a cursor, a filter) lacks the " m=…" and compares
// smaller, and times in other offsets sort by their wall clock. So every
// connection is opened with _time_format=sqlite and _timezone=UTC (see
// sqliteParams): times are written in UTC as SQLiteTimeLayout, whose text
// order is the instants' order (the fraction loses its trailing zeros and
// '+' sorts before '.' and the digits), and read back in UTC. Databases
// written before keep the old text until CanonicalizeTimes rewrites it; the
// driver still reads it.
const (
	// SQLiteTimeLayout is the layout of every time stored on SQLite, always
	// in UTC: "2026-12-07 15:16:32.127110687+00:00".
	SQLiteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"
	// legacyTimeLayout is time.Time.String()'s without the zone's name
	// and the monotonic clock reading that follow: what modernc wrote
	// before SQLiteTimeLayout.
	legacyTimeLayout = "2006-01-02 15:04:05.999999999 -0700"
)

// sqliteReservedParams are the DSN parameters that decide how times are
// written and read: sqliteParams sets them and Open refuses a DSN that sets
// them otherwise.
var sqliteReservedParams = [...]string{"_time_format", "_timezone", "_time_integer_format", "_inttotime"}

// Patterns (GLOB) of the legacy text. legacyUTCGlobs match the legacy form
// of a time in UTC, with or without the monotonic reading, whose canonical
// text is its text up to " +0000 UTC" followed by "+00:00" (both layouts
// write the fraction the same way); legacyAnyGlob matches the legacy form
// in any offset (a space before the numeric offset, which the canonical
// form never has).
const (
	globDateTime  = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
	legacyUTCMark = " +0000 UTC"
	legacyAnyGlob = "*[0-9] [+-][0-9][0-9][0-9][0-9] *"
)

var legacyUTCGlobs = []string{
	globDateTime + legacyUTCMark,
	globDateTime + legacyUTCMark + " m=*",
	globDateTime + ".[0-9]*" + legacyUTCMark,
	globDateTime + ".[0-9]*" + legacyUTCMark + " m=*",
}

// TimeColumn names a column that holds times.
type TimeColumn struct{ Table, Column string }

// timesCanonicalVersion is SQLite's PRAGMA user_version once
// CanonicalizeTimes has rewritten every legacy time (Cairn sets no other
// user_version).
const timesCanonicalVersion = 1

// CanonicalizeTimes rewrites, on SQLite, every value of cols still in the
// legacy time.String() text into SQLiteTimeLayout in UTC, the same instant
// to the nanosecond, in one transaction, and returns how many rows it
// rewrote (a row with legacy values both in UTC and in other offsets counts
// twice). Values already canonical (and NULLs) are left alone, so running
// it again rewrites nothing. Legacy values in UTC (what a server in UTC wrote) are
// rewritten by one UPDATE per table; others are parsed in Go. A value that
// looks legacy but does not parse is left as it is and logged. On
// PostgreSQL (timestamptz) it does nothing.
//
// A database it has rewritten is marked (PRAGMA user_version), so that
// later starts do not scan every table: they only look at each table's
// newest row, which an older Cairn writing to the database again (every
// write adds an audit event) would leave in the legacy form, and rewrite
// everything if one is.
func (d *DB) CanonicalizeTimes(ctx context.Context, cols []TimeColumn) (n int64, err error) {
	if d.backend != SQLite || len(cols) == 0 {
		return 0, nil
	}
	start := time.Now()
	byTable := map[string][]string{}
	var tables []string
	for _, c := range cols {
		if _, ok := byTable[c.Table]; !ok {
			tables = append(tables, c.Table)
		}
		byTable[c.Table] = append(byTable[c.Table], c.Column)
	}
	if done, err := timesCanonical(ctx, d.writer, tables, byTable); err != nil || done {
		return 0, err
	}
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: canonical times: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	// Another process may have done it while this one waited for the lock.
	done, err := timesCanonical(ctx, tx, tables, byTable)
	if err != nil {
		return 0, err
	}
	if done {
		return 0, tx.Rollback()
	}
	for _, t := range tables {
		m, err := canonicalizeUTC(ctx, tx, t, byTable[t])
		if err != nil {
			return 0, err
		}
		n += m
		if m, err = d.canonicalizeOther(ctx, tx, t, byTable[t]); err != nil {
			return 0, err
		}
		n += m
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(timesCanonicalVersion)); err != nil {
		return 0, fmt.Errorf("store: canonical times: mark the database: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: canonical times: commit: %w", err)
	}
	level := slog.LevelInfo
	if n == 0 {
		level = slog.LevelDebug // a new database
	}
	d.logger.LogAttrs(ctx, level, "store: times stored in the canonical SQLite form",
		slog.Int64("rows_rewritten", n), slog.Duration("elapsed", time.Since(start)))
	return n, nil
}

// timesCanonical reports whether the database is marked as rewritten and
// the newest row of every table holds no legacy time.
func timesCanonical(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, tables []string, byTable map[string][]string) (bool, error) {
	var version int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("store: canonical times: read user_version: %w", err)
	}
	if version != timesCanonicalVersion {
		return false, nil
	}
	exists := make([]string, len(tables))
	for i, t := range tables {
		cols := byTable[t]
		quoted := make([]string, len(cols))
		legacy := make([]string, len(cols))
		for j, c := range cols {
			quoted[j] = quoteIdent(c)
			legacy[j] = quoted[j] + " GLOB '" + legacyAnyGlob + "'"
		}
		exists[i] = "EXISTS (SELECT 1 FROM (SELECT " + strings.Join(quoted, ", ") + " FROM " + quoteIdent(t) +
			" ORDER BY rowid DESC LIMIT 1) WHERE " + strings.Join(legacy, " OR ") + ")"
	}
	var stale bool
	if err := q.QueryRowContext(ctx, "SELECT "+strings.Join(exists, " OR ")).Scan(&stale); err != nil {
		return false, fmt.Errorf("store: canonical times: check the newest rows: %w", err)
	}
	return !stale, nil
}

// canonicalizeUTC rewrites the legacy UTC values of table's columns in SQL,
// one pass over the table.
func canonicalizeUTC(ctx context.Context, tx *sql.Tx, table string, cols []string) (int64, error) {
	var set, where []string
	for _, c := range cols {
		q := quoteIdent(c)
		cond := legacyUTCCond(q)
		set = append(set, fmt.Sprintf("%s = CASE WHEN %s THEN substr(%s, 1, instr(%s, '%s') - 1) || '+00:00' ELSE %s END",
			q, cond, q, q, legacyUTCMark, q))
		where = append(where, cond)
	}
	stmt := "UPDATE " + quoteIdent(table) + " SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(where, " OR ")
	res, err := tx.ExecContext(ctx, stmt)
	if err != nil {
		return 0, fmt.Errorf("store: canonical times: table %s: %w", table, err)
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: canonical times: table %s: %w", table, err)
	}
	return rows, nil
}

func legacyUTCCond(col string) string {
	ors := make([]string, len(legacyUTCGlobs))
	for i, g := range legacyUTCGlobs {
		ors[i] = col + " GLOB '" + g + "'"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// canonicalizeOther rewrites the legacy values of table's columns that the
// UTC pass left (other offsets, zones not named UTC), parsing each in Go:
// one pass over the table, then one UPDATE per value. It returns the
// number of rows changed.
func (d *DB) canonicalizeOther(ctx context.Context, tx *sql.Tx, table string, cols []string) (int64, error) {
	sel := make([]string, len(cols))
	where := make([]string, len(cols))
	for i, c := range cols {
		q := quoteIdent(c)
		// CAST: an expression has no declared type, so the driver hands
		// the text over as it is instead of parsing it.
		where[i] = q + " GLOB '" + legacyAnyGlob + "'"
		sel[i] = "CAST(" + q + " AS TEXT), " + where[i]
	}
	rows, err := tx.QueryContext(ctx, "SELECT rowid, "+strings.Join(sel, ", ")+" FROM "+quoteIdent(table)+
		" WHERE "+strings.Join(where, " OR "))
	if err != nil {
		return 0, fmt.Errorf("store: canonical times: table %s: %w", table, err)
	}
	type fix struct {
		rowid int64
		col   int
		text  string
	}
	var fixes []fix
	var changed int64
	vals := make([]sql.NullString, len(cols))
	legacy := make([]sql.NullBool, len(cols))
	dest := make([]any, 1+2*len(cols))
	for i := range vals {
		dest[1+2*i], dest[2+2*i] = &vals[i], &legacy[i]
	}
	for rows.Next() {
		var rowid int64
		dest[0] = &rowid
		if err := rows.Scan(dest...); err != nil {
			return 0, errors.Join(fmt.Errorf("store: canonical times: table %s: %w", table, err), rows.Close())
		}
		n := len(fixes)
		for i, v := range vals {
			if !v.Valid || !legacy[i].Bool {
				continue
			}
			t, err := ParseLegacyTime(v.String)
			if err != nil {
				d.logger.LogAttrs(ctx, slog.LevelWarn, "store: a time in the legacy form does not parse; left as it is",
					slog.String("table", table), slog.String("column", cols[i]), slog.Int64("rowid", rowid), slog.String("error", err.Error()))
				continue
			}
			fixes = append(fixes, fix{rowid, i, t.UTC().Format(SQLiteTimeLayout)})
		}
		if len(fixes) > n {
			changed++
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("store: canonical times: table %s: %w", table, err)
	}
	stmts := make([]*sql.Stmt, len(cols))
	defer func() {
		for _, st := range stmts {
			if st != nil {
				_ = st.Close()
			}
		}
	}()
	for _, f := range fixes {
		if stmts[f.col] == nil {
			st, err := tx.PrepareContext(ctx, "UPDATE "+quoteIdent(table)+" SET "+quoteIdent(cols[f.col])+" = ? WHERE rowid = ?")
			if err != nil {
				return 0, fmt.Errorf("store: canonical times: %s.%s: %w", table, cols[f.col], err)
			}
			stmts[f.col] = st
		}
		if _, err := stmts[f.col].ExecContext(ctx, f.text, f.rowid); err != nil {
			return 0, fmt.Errorf("store: canonical times: %s.%s row %d: %w", table, cols[f.col], f.rowid, err)
		}
	}
	return changed, nil
}

// ParseLegacyTime parses the text time.Time.String() writes, with or
// without the monotonic clock reading (" m=+0.081652216"), keeping its
// instant and numeric offset. The zone's name after the offset is not
// read: the offset alone fixes the instant, and time.Parse refuses some
// names Go writes (an unnamed zone's "+0530").
func ParseLegacyTime(s string) (time.Time, error) {
	v := s
	if i := strings.Index(v, " m="); i >= 0 {
		v = v[:i]
	}
	if i := strings.LastIndexByte(v, ' '); i >= 0 {
		v = v[:i]
	}
	t, err := time.Parse(legacyTimeLayout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: %q is not a time in the form %q: %w", s, legacyTimeLayout+" MST", err)
	}
	return t, nil
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
