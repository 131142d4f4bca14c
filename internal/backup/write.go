package backup

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/backup/backupfile"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// The file format's types, for callers of this package.
type (
	Header       = backupfile.Header
	TableHeader  = backupfile.TableHeader
	Manifest     = backupfile.Manifest
	TableSummary = backupfile.TableSummary
	Kind         = backupfile.Kind
)

// Options tune Write.
type Options struct {
	// Cairn is the writer's version, recorded in the header.
	Cairn string
	// SecretKey, when set, is the key that sealed the credentials: its ID
	// goes into the header always, the key itself only with IncludeKey.
	SecretKey  []byte
	IncludeKey bool
	// Now is the clock [time.Now].
	Now func() time.Time
	// Level is the gzip level [backupfile.DefaultLevel].
	Level int
}

// Write writes a backup of every table of st (leases excepted) to w: one
// consistent snapshot (a read transaction on SQLite, whose WAL snapshot
// writers do not disturb; REPEATABLE READ, READ ONLY on PostgreSQL). It
// returns the manifest of what it wrote. The server may keep writing
// meanwhile.
func Write(ctx context.Context, st *store.DB, w io.Writer, opts Options) (*Manifest, error) {
	cat, err := current()
	if err != nil {
		return nil, err
	}
	return write(ctx, st, w, opts, cat.Tables, cat.Fingerprint)
}

// write writes a backup of tables (their named columns) from one snapshot
// of st.
func write(ctx context.Context, st *store.DB, w io.Writer, opts Options, tables []*table, fingerprint string) (*Manifest, error) {
	txOpts := &sql.TxOptions{ReadOnly: true}
	if st.Backend() == store.Postgres {
		txOpts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := st.Reader().BeginTx(ctx, txOpts)
	if err != nil {
		return nil, fmt.Errorf("backup: begin snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read only: nothing to keep

	// The first read starts the snapshot (SQLite begins deferred).
	seqs, err := sequences(ctx, tx, st.Backend(), tables)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	h := Header{
		CreatedAt: now().UTC(),
		Engine:    string(st.Backend()),
		Cairn:     opts.Cairn,
		Schema:    fingerprint,
	}
	if len(opts.SecretKey) > 0 {
		h.SecretKeyID = backupfile.KeyID(opts.SecretKey)
		if opts.IncludeKey {
			h.SecretKey = hex.EncodeToString(opts.SecretKey)
		}
	} else if opts.IncludeKey {
		return nil, errors.New("backup: the secret key is to be included, but there is none")
	}
	bw, err := backupfile.NewWriter(w, opts.Level, h)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for _, t := range tables {
		if err := writeTable(ctx, tx, bw, t, seqs[t.Name]); err != nil {
			return nil, err
		}
	}
	tr, err := bw.Close()
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	h.Format, h.Version = backupfile.Format, backupfile.Version
	return &Manifest{Header: h, Trailer: *tr}, nil
}

// writeTable writes one table's section: its rows in primary key order.
func writeTable(ctx context.Context, tx *sql.Tx, bw *backupfile.Writer, t *table, seq int64) error {
	th := TableHeader{Table: t.Name, Sequence: seq}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		th.Columns = append(th.Columns, [2]string{c.Name, string(c.Kind)})
		names[i] = quote(c.Name)
	}
	if err := bw.BeginTable(th); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	order := make([]string, len(t.PK))
	for i, c := range t.PK {
		order[i] = quote(c)
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + quote(t.Name) + " ORDER BY " + strings.Join(order, ", ")
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("backup: read table %s: %w", t.Name, err)
	}
	defer rows.Close()
	sc := newScanner(t.Columns)
	values := make([]any, len(t.Columns))
	var n int64
	for rows.Next() {
		if err := rows.Scan(sc.dest...); err != nil {
			return fmt.Errorf("backup: read table %s, row %d: %w", t.Name, n+1, err)
		}
		for i := range values {
			values[i] = sc.value(i)
		}
		if err := bw.Row(values); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("backup: table %s: %w", t.Name, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: read table %s: %w", t.Name, err)
	}
	if _, err := bw.EndTable(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// scanner holds one row's scan destinations by column kind.
type scanner struct {
	kinds []Kind
	dest  []any
}

func newScanner(cols []column) *scanner {
	s := &scanner{kinds: make([]Kind, len(cols)), dest: make([]any, len(cols))}
	for i, c := range cols {
		s.kinds[i] = c.Kind
		switch c.Kind {
		case backupfile.KindInt:
			s.dest[i] = new(sql.NullInt64)
		case backupfile.KindFloat:
			s.dest[i] = new(sql.NullFloat64)
		case backupfile.KindBool:
			s.dest[i] = new(sql.NullBool)
		case backupfile.KindString:
			s.dest[i] = new(sql.NullString)
		case backupfile.KindTime:
			s.dest[i] = new(sql.NullTime)
		default:
			s.dest[i] = new(nullBytes)
		}
	}
	return s
}

// value returns column i of the row scanned last, nil for NULL.
func (s *scanner) value(i int) any {
	switch d := s.dest[i].(type) {
	case *sql.NullInt64:
		if d.Valid {
			return d.Int64
		}
	case *sql.NullFloat64:
		if d.Valid {
			return d.Float64
		}
	case *sql.NullBool:
		if d.Valid {
			return d.Bool
		}
	case *sql.NullString:
		if d.Valid {
			return d.String
		}
	case *sql.NullTime:
		if d.Valid {
			return d.Time
		}
	case *nullBytes:
		if d.valid {
			return d.b
		}
	}
	return nil
}

// nullBytes scans bytes and tells NULL from empty.
type nullBytes struct {
	b     []byte
	valid bool
}

func (n *nullBytes) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		n.b, n.valid = nil, false
	case []byte:
		n.b, n.valid = append(n.b[:0], v...), true
	case string:
		n.b, n.valid = append(n.b[:0], v...), true
	default:
		return fmt.Errorf("want bytes, got %T", src)
	}
	return nil
}

// sequences returns the largest ID each table's sequence has handed out.
func sequences(ctx context.Context, tx *sql.Tx, b store.Backend, tables []*table) (map[string]int64, error) {
	out := map[string]int64{}
	if b == store.Postgres {
		for _, t := range tables {
			if !t.Sequence {
				continue
			}
			var v sql.NullInt64
			if err := tx.QueryRowContext(ctx,
				`SELECT pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass)`, t.Name, t.PK[0]).Scan(&v); err != nil {
				return nil, fmt.Errorf("backup: read the sequence of %s: %w", t.Name, err)
			}
			if v.Valid {
				out[t.Name] = v.Int64
			}
		}
		return out, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("backup: look for sqlite_sequence: %w", err)
	}
	if n == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return nil, fmt.Errorf("backup: read sqlite_sequence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, fmt.Errorf("backup: read sqlite_sequence: %w", err)
		}
		out[name] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backup: read sqlite_sequence: %w", err)
	}
	return out, nil
}
