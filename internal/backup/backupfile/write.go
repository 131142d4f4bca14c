package backupfile

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
)

// DefaultLevel is the gzip level of Writer: gzip's default. The rows are
// repetitive text that deflates cheaply: on the 100,000-CI estate
// BestSpeed saved about a tenth of the backup's CPU time for a file a
// quarter larger (BENCHMARKS.md, issue 13).
const DefaultLevel = gzip.DefaultCompression

// Writer writes a backup: NewWriter (the header), then for each table
// BeginTable, Row for each row, EndTable; then Close (the trailer).
type Writer struct {
	gz   *gzip.Writer
	bw   *bufio.Writer
	all  hash.Hash
	th   hash.Hash // the open table's rows
	line []byte

	table   *TableHeader
	kinds   []Kind
	rows    int64
	trailer Trailer
}

// NewWriter writes h (Format and Version filled in) to w, gzip-compressed
// at level (0: DefaultLevel).
func NewWriter(w io.Writer, level int, h Header) (*Writer, error) {
	if level == 0 {
		level = DefaultLevel
	}
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, err
	}
	out := &Writer{gz: gz, bw: bufio.NewWriterSize(gz, 256<<10), all: sha256.New()}
	h.Format, h.Version = Format, Version
	if err := out.object(h); err != nil {
		return nil, err
	}
	return out, nil
}

// write writes one line (without its newline) and hashes it.
func (w *Writer) write(line []byte) error {
	line = append(line, '\n')
	w.all.Write(line)
	if w.th != nil {
		w.th.Write(line)
	}
	if _, err := w.bw.Write(line); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func (w *Writer) object(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return w.write(b)
}

// BeginTable opens a table's section.
func (w *Writer) BeginTable(th TableHeader) error {
	if w.table != nil {
		return fmt.Errorf("table %s is still open", w.table.Table)
	}
	w.kinds = w.kinds[:0]
	for _, c := range th.Columns {
		k := Kind(c[1])
		if !k.Valid() {
			return fmt.Errorf("table %s: column %s has no kind %q", th.Table, c[0], c[1])
		}
		w.kinds = append(w.kinds, k)
	}
	if err := w.object(th); err != nil {
		return err
	}
	w.table, w.rows, w.th = &th, 0, sha256.New()
	return nil
}

// Row writes one row of the open table: one value per column, of the Go
// type its kind reads (int64, float64, bool, string, time.Time, []byte for
// json and bytes) or nil for NULL.
func (w *Writer) Row(values []any) error {
	if w.table == nil {
		return errors.New("a row outside a table")
	}
	if len(values) != len(w.kinds) {
		return fmt.Errorf("table %s: %d values for %d columns", w.table.Table, len(values), len(w.kinds))
	}
	line := append(w.line[:0], '[')
	for i, v := range values {
		if i > 0 {
			line = append(line, ',')
		}
		var err error
		if line, err = appendValue(line, w.kinds[i], v); err != nil {
			return fmt.Errorf("table %s, row %d, column %s: %w", w.table.Table, w.rows+1, w.table.Columns[i][0], err)
		}
	}
	w.line = append(line, ']')
	if err := w.write(w.line); err != nil {
		return err
	}
	w.rows++
	return nil
}

// EndTable closes the open table and returns its summary.
func (w *Writer) EndTable() (TableSummary, error) {
	if w.table == nil {
		return TableSummary{}, errors.New("no table is open")
	}
	s := TableSummary{Name: w.table.Table, Rows: w.rows, SHA256: hex.EncodeToString(w.th.Sum(nil))}
	w.th = nil
	if err := w.object(TableEnd{End: s.Name, Rows: s.Rows, SHA256: s.SHA256}); err != nil {
		return TableSummary{}, err
	}
	w.trailer.Tables = append(w.trailer.Tables, s)
	w.trailer.Rows += s.Rows
	w.table = nil
	return s, nil
}

// Close writes the trailer and ends the gzip stream (not the underlying
// writer), and returns the trailer.
func (w *Writer) Close() (*Trailer, error) {
	if w.table != nil {
		return nil, fmt.Errorf("table %s is still open", w.table.Table)
	}
	w.trailer.SHA256 = hex.EncodeToString(w.all.Sum(nil))
	tr := w.trailer
	if err := w.object(trailerLine{Trailer: &tr}); err != nil {
		return nil, err
	}
	if err := w.bw.Flush(); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	if err := w.gz.Close(); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return &tr, nil
}

// KeyID names a secret key without revealing it: the first 16 hex digits
// of a SHA-256 of the key under a fixed label.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("cairn secret key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
