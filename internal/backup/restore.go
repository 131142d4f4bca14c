package backup

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/backup/backupfile"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// NotEmptyError is Restore's refusal of a database that holds rows.
type NotEmptyError struct {
	Table string
	Rows  int64
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("the database is not empty: table %s holds %d row(s); restore needs an empty database (a new SQLite file, or a new PostgreSQL database or schema)", e.Table, e.Rows)
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// OnHeader, when set, sees the backup's header before anything is
	// written; an error stops the restore.
	OnHeader func(*Header) error
	// OnTable, when set, sees each table's header.
	OnTable func(*TableHeader)
}

// maxParams bounds the parameters of one INSERT (SQLite allows 32,766,
// PostgreSQL 65,535).
const maxParams = 4000

// Restore writes the backup read from r into st, whose schema must be
// migrated and whose tables must be empty (leases excepted): every row in
// one transaction, tables in the order the backup lists them (each after
// the tables it references), a table's references to itself set once its
// rows exist, and each table's ID sequence moved past the largest ID the
// backup had handed out. The whole file is checked (counts, checksums) as
// it is read; any problem rolls everything back.
func Restore(ctx context.Context, st *store.DB, r io.Reader, opts RestoreOptions) (m *Manifest, err error) {
	cat, err := current()
	if err != nil {
		return nil, err
	}
	tx, err := st.Writer().BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("restore: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := checkEmpty(ctx, tx, cat); err != nil {
		return nil, err
	}
	rv := &restorer{ctx: ctx, tx: tx, st: st, cat: cat, onHeader: opts.OnHeader, onTable: opts.OnTable, done: map[string]bool{}, seqs: map[string]int64{}}
	m, err = backupfile.Read(r, rv)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := rv.fixSequences(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("restore: commit: %w", err)
	}
	return m, nil
}

// checkEmpty refuses a database with rows in any table a backup holds.
func checkEmpty(ctx context.Context, tx *sql.Tx, cat *catalog) error {
	for _, t := range cat.Tables {
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+quote(t.Name)).Scan(&n); err != nil {
			return fmt.Errorf("restore: count the rows of %s: %w", t.Name, err)
		}
		if n > 0 {
			return &NotEmptyError{Table: t.Name, Rows: n}
		}
	}
	return nil
}

// restorer inserts what Read parses.
type restorer struct {
	ctx      context.Context
	tx       *sql.Tx
	st       *store.DB
	cat      *catalog
	onHeader func(*Header) error
	onTable  func(*TableHeader)
	done     map[string]bool  // tables restored so far
	seqs     map[string]int64 // backup's sequences, by table

	t       *table // nil: a table the backup skips (leases)
	cols    []column
	selfRef []int // indexes into cols of references to the table itself
	pk      int   // index into cols of the primary key, with selfRef
	later   [][2]any
	ins     *inserter
}

func (r *restorer) Header(h *Header) error {
	if r.onHeader != nil {
		return r.onHeader(h)
	}
	return nil
}

func (r *restorer) Table(th *TableHeader) error {
	if r.onTable != nil {
		r.onTable(th)
	}
	t, ok := r.cat.table(th.Table)
	if !ok {
		return fmt.Errorf("table %s is not in this cairn's schema: restore with the cairn version that wrote the backup", th.Table)
	}
	if skippedTables[t.Name] {
		r.t = nil
		return nil
	}
	r.t, r.cols, r.selfRef, r.later, r.pk = t, r.cols[:0], r.selfRef[:0], nil, -1
	names := make([]string, 0, len(th.Columns))
	for i, c := range th.Columns {
		col, ok := t.column(c[0])
		if !ok {
			return fmt.Errorf("table %s: column %s is not in this cairn's schema: restore with the cairn version that wrote the backup", t.Name, c[0])
		}
		if string(col.Kind) != c[1] {
			return fmt.Errorf("table %s: column %s is %s in the backup and %s in this cairn's schema", t.Name, c[0], c[1], col.Kind)
		}
		if ref, ok := t.Refs[col.Name]; ok && !r.done[ref] && !skippedTables[ref] {
			return fmt.Errorf("table %s comes before %s, which its column %s references: the backup's tables are out of order", t.Name, ref, col.Name)
		}
		if col.SelfRef {
			r.selfRef = append(r.selfRef, i)
		}
		if len(t.PK) == 1 && col.Name == t.PK[0] {
			r.pk = i
		}
		r.cols = append(r.cols, col)
		names = append(names, quote(col.Name))
	}
	for _, pk := range t.PK {
		if _, ok := t.byName[pk]; !ok || !containsColumn(th.Columns, pk) {
			return fmt.Errorf("table %s: the backup has no primary key column %s", t.Name, pk)
		}
	}
	if len(r.selfRef) > 0 && r.pk < 0 {
		return fmt.Errorf("table %s references itself without a single-column primary key", t.Name)
	}
	r.seqs[t.Name] = th.Sequence
	r.ins = newInserter(r.ctx, r.tx, r.st, t.Name, names)
	return nil
}

func containsColumn(cols [][2]string, name string) bool {
	for _, c := range cols {
		if c[0] == name {
			return true
		}
	}
	return false
}

func (r *restorer) Row(values []any) error {
	if r.t == nil {
		return nil
	}
	for _, i := range r.selfRef {
		if values[i] != nil {
			r.later = append(r.later, [2]any{values[r.pk], values[i]})
		}
	}
	return r.ins.add(values, r.selfRef)
}

func (r *restorer) EndTable(end *backupfile.TableEnd) error {
	if r.t == nil {
		return nil
	}
	n, err := r.ins.flush()
	if err != nil {
		return err
	}
	if n != end.Rows {
		return fmt.Errorf("table %s: inserted %d rows of %d", r.t.Name, n, end.Rows)
	}
	for _, i := range r.selfRef {
		col := r.cols[i].Name
		q := r.st.Rebind("UPDATE " + quote(r.t.Name) + " SET " + quote(col) + " = ? WHERE " + quote(r.cols[r.pk].Name) + " = ?")
		for _, l := range r.later {
			if _, err := r.tx.ExecContext(r.ctx, q, l[1], l[0]); err != nil {
				return fmt.Errorf("table %s: set %s of %v: %w", r.t.Name, col, l[0], err)
			}
		}
	}
	r.ins.close()
	r.done[r.t.Name] = true
	r.t = nil
	return nil
}

// fixSequences moves each table's ID sequence past both its largest ID and
// the largest the backup's sequence had handed out.
func (r *restorer) fixSequences() error {
	for _, t := range r.cat.Tables {
		if !t.Sequence || len(t.PK) != 1 {
			continue
		}
		var maxID sql.NullInt64
		if err := r.tx.QueryRowContext(r.ctx, "SELECT max("+quote(t.PK[0])+") FROM "+quote(t.Name)).Scan(&maxID); err != nil {
			return fmt.Errorf("restore: largest id of %s: %w", t.Name, err)
		}
		v := max(maxID.Int64, r.seqs[t.Name])
		if v <= 0 {
			continue
		}
		if r.st.Backend() == store.Postgres {
			if _, err := r.tx.ExecContext(r.ctx, `SELECT setval(pg_get_serial_sequence($1, $2), $3, true)`, t.Name, t.PK[0], v); err != nil {
				return fmt.Errorf("restore: set the sequence of %s: %w", t.Name, err)
			}
			continue
		}
		res, err := r.tx.ExecContext(r.ctx, `UPDATE sqlite_sequence SET seq = ? WHERE name = ? AND seq < ?`, v, t.Name, v)
		if err != nil {
			return fmt.Errorf("restore: set the sequence of %s: %w", t.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var have int
			if err := r.tx.QueryRowContext(r.ctx, `SELECT count(*) FROM sqlite_sequence WHERE name = ?`, t.Name).Scan(&have); err != nil {
				return fmt.Errorf("restore: read the sequence of %s: %w", t.Name, err)
			}
			if have == 0 {
				if _, err := r.tx.ExecContext(r.ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, t.Name, v); err != nil {
					return fmt.Errorf("restore: set the sequence of %s: %w", t.Name, err)
				}
			}
		}
	}
	return nil
}

// inserter writes a table's rows with multi-row INSERTs.
type inserter struct {
	ctx   context.Context
	tx    *sql.Tx
	st    *store.DB
	table string
	cols  []string
	per   int // rows per statement
	full  *sql.Stmt
	args  []any
	rows  int
	n     int64
}

func newInserter(ctx context.Context, tx *sql.Tx, st *store.DB, table string, cols []string) *inserter {
	return &inserter{ctx: ctx, tx: tx, st: st, table: table, cols: cols, per: max(1, maxParams/len(cols))}
}

func (in *inserter) query(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + quote(in.table) + " (" + strings.Join(in.cols, ", ") + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(in.cols)), ", ") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return in.st.Rebind(b.String())
}

// add queues one row; columns at the indexes in null are written NULL.
func (in *inserter) add(values []any, null []int) error {
	start := len(in.args)
	in.args = append(in.args, values...)
	for _, i := range null {
		in.args[start+i] = nil
	}
	in.rows++
	if in.rows < in.per {
		return nil
	}
	if in.full == nil {
		stmt, err := in.tx.PrepareContext(in.ctx, in.query(in.per))
		if err != nil {
			return fmt.Errorf("table %s: prepare insert: %w", in.table, err)
		}
		in.full = stmt
	}
	if _, err := in.full.ExecContext(in.ctx, in.args...); err != nil {
		return fmt.Errorf("table %s: insert rows %d to %d: %w", in.table, in.n+1, in.n+int64(in.rows), err)
	}
	in.n += int64(in.rows)
	in.args, in.rows = in.args[:0], 0
	return nil
}

// flush writes the queued rows and returns how many rows the table got.
func (in *inserter) flush() (int64, error) {
	if in.rows > 0 {
		if _, err := in.tx.ExecContext(in.ctx, in.query(in.rows), in.args...); err != nil {
			return in.n, fmt.Errorf("table %s: insert rows %d to %d: %w", in.table, in.n+1, in.n+int64(in.rows), err)
		}
		in.n += int64(in.rows)
		in.args, in.rows = in.args[:0], 0
	}
	return in.n, nil
}

func (in *inserter) close() {
	if in.full != nil {
		_ = in.full.Close()
		in.full = nil
	}
}
