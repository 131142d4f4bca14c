package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/reportschedule"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/store"
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
	// Level is the gzip level [gzip.BestSpeed].
	Level int
}

// compressionLevel: backups are written while the server runs, on the
// same cores; BestSpeed costs a fifth more bytes than the default level
// and writes about three times as fast (BENCHMARKS.md, issue 13).
const compressionLevel = gzip.BestSpeed

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
func write(ctx context.Context, st *store.DB, w io.Writer, opts Options, tables []*table, fingerprint string) (m *Manifest, err error) {
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
		Format:    Format,
		Version:   Version,
		CreatedAt: now().UTC(),
		Engine:    string(st.Backend()),
		Cairn:     opts.Cairn,
		Schema:    fingerprint,
	}
	if len(opts.SecretKey) > 0 {
		h.SecretKeyID = KeyID(opts.SecretKey)
		if opts.IncludeKey {
			h.SecretKey = hex.EncodeToString(opts.SecretKey)
		}
	} else if opts.IncludeKey {
		return nil, errors.New("backup: the secret key is to be included, but there is none")
	}
	level := opts.Level
	if level == 0 {
		level = compressionLevel
	}
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	e := newEncoder(gz)
	if err := e.object(h); err != nil {
		return nil, err
	}
	tr := Trailer{}
	for _, t := range tables {
		sum, sealed, err := e.table(ctx, tx, t, seqs[t.Name])
		if err != nil {
			return nil, err
		}
		tr.Tables = append(tr.Tables, sum)
		tr.Rows += sum.Rows
		tr.Sealed += sealed
	}
	tr.SHA256 = hex.EncodeToString(e.all.Sum(nil))
	if err := e.object(trailerLine{Trailer: &tr}); err != nil {
		return nil, err
	}
	if err := e.bw.Flush(); err != nil {
		return nil, fmt.Errorf("backup: write: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("backup: write: %w", err)
	}
	return &Manifest{Header: h, Trailer: tr}, nil
}

// encoder writes lines and hashes them: all is every byte so far, for the
// trailer's checksum.
type encoder struct {
	bw   *bufio.Writer
	all  hash.Hash
	line []byte
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{bw: bufio.NewWriterSize(w, 256<<10), all: sha256.New()}
}

// write writes one line (without its newline) to the file and to the
// running hashes.
func (e *encoder) write(line []byte, hashes ...hash.Hash) error {
	line = append(line, '\n')
	e.all.Write(line)
	for _, h := range hashes {
		h.Write(line)
	}
	if _, err := e.bw.Write(line); err != nil {
		return fmt.Errorf("backup: write: %w", err)
	}
	return nil
}

func (e *encoder) object(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("backup: encode: %w", err)
	}
	return e.write(b)
}

// table writes one table's section: header, rows in primary key order,
// end. It returns the table's summary and how many sealed credentials it
// holds.
func (e *encoder) table(ctx context.Context, tx *sql.Tx, t *table, seq int64) (TableSummary, int64, error) {
	th := TableHeader{Table: t.Name, Sequence: seq}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		th.Columns = append(th.Columns, [2]string{c.Name, string(c.Kind)})
		names[i] = quote(c.Name)
	}
	if err := e.object(th); err != nil {
		return TableSummary{}, 0, err
	}
	order := make([]string, len(t.PK))
	for i, c := range t.PK {
		order[i] = quote(c)
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + quote(t.Name) + " ORDER BY " + strings.Join(order, ", ")
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return TableSummary{}, 0, fmt.Errorf("backup: read table %s: %w", t.Name, err)
	}
	defer rows.Close()
	sealed := sealedCounter(t.Name)
	sc := newScanner(t.Columns)
	th256 := sha256.New()
	var n int64
	for rows.Next() {
		if err := rows.Scan(sc.dest...); err != nil {
			return TableSummary{}, 0, fmt.Errorf("backup: read table %s, row %d: %w", t.Name, n+1, err)
		}
		line := append(e.line[:0], '[')
		for i, c := range t.Columns {
			if i > 0 {
				line = append(line, ',')
			}
			v := sc.value(i)
			if line, err = appendValue(line, c.Kind, v); err != nil {
				return TableSummary{}, 0, fmt.Errorf("backup: table %s, row %d, column %s: %w", t.Name, n+1, c.Name, err)
			}
			if sealed != nil {
				sealed.see(c.Name, v)
			}
		}
		line = append(line, ']')
		e.line = line
		if err := e.write(line, th256); err != nil {
			return TableSummary{}, 0, err
		}
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return TableSummary{}, 0, fmt.Errorf("backup: table %s: %w", t.Name, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return TableSummary{}, 0, fmt.Errorf("backup: read table %s: %w", t.Name, err)
	}
	sum := TableSummary{Name: t.Name, Rows: n, SHA256: hex.EncodeToString(th256.Sum(nil))}
	if err := e.object(TableEnd{End: t.Name, Rows: n, SHA256: sum.SHA256}); err != nil {
		return TableSummary{}, 0, err
	}
	var s int64
	if sealed != nil {
		s = sealed.n
	}
	return sum, s, nil
}

// sealed counts the sealed credentials of a table's rows.
type sealed struct {
	column string
	count  func(v any) int64
	n      int64
}

func (s *sealed) see(column string, v any) {
	if column == s.column && v != nil {
		s.n += s.count(v)
	}
}

// sealedCounter returns the counter for the tables that hold sealed
// values, nil for the others.
func sealedCounter(table string) *sealed {
	switch table {
	case discoveryjob.Table:
		return &sealed{column: discoveryjob.FieldCredentialsSealed, count: func(v any) int64 {
			if b, _ := v.([]byte); len(b) > 0 {
				return 1
			}
			return 0
		}}
	case reportschedule.Table:
		return &sealed{column: reportschedule.FieldWebhooks, count: func(v any) int64 {
			b, _ := v.([]byte)
			var hooks []schematype.WebhookDestination
			if json.Unmarshal(b, &hooks) != nil {
				return 0
			}
			var n int64
			for _, h := range hooks {
				if len(h.SecretSealed) > 0 {
					n++
				}
			}
			return n
		}}
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
		case KindInt:
			s.dest[i] = new(sql.NullInt64)
		case KindFloat:
			s.dest[i] = new(sql.NullFloat64)
		case KindBool:
			s.dest[i] = new(sql.NullBool)
		case KindString:
			s.dest[i] = new(sql.NullString)
		case KindTime:
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

// KeyID names a secret key without revealing it: the first 16 hex digits
// of a SHA-256 of the key under a fixed label.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("cairn secret key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
