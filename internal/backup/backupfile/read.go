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

// MaxLine bounds one line of a backup (a row with its JSON columns), so a
// damaged or hostile file cannot make a reader hold unbounded memory.
const MaxLine = 64 << 20

// Visitor receives a backup as Read parses it. Any error it returns stops
// the read and is returned, wrapped with where the reader was.
type Visitor interface {
	// Header is called once, first.
	Header(h *Header) error
	// Table opens a table's section; kinds are its columns' kinds.
	Table(th *TableHeader) error
	// Row is one row of the open table, one Go value per column (see
	// DecodeValue); values is reused for the next row.
	Row(values []any) error
	// EndTable closes the section after its count and checksum matched.
	EndTable(end *TableEnd) error
}

// Read parses a backup from r, checking as it goes: the format and
// version, each table's row count and checksum at its end, and the
// checksum of the whole file and the list of tables at the trailer. It
// returns the manifest once the whole file checked out; with any error the
// visitor must discard what it was given.
func Read(r io.Reader, v Visitor) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a cairn backup (no gzip stream): %w", err)
	}
	defer gz.Close()
	p := &parser{br: bufio.NewReaderSize(gz, 256<<10), all: sha256.New(), v: v}
	m, err := p.run()
	if err != nil {
		return nil, p.wrap(err)
	}
	return m, nil
}

type parser struct {
	br   *bufio.Reader
	all  hash.Hash
	v    Visitor
	line int64
	buf  []byte

	table   *TableHeader
	kinds   []Kind
	rows    int64
	th      hash.Hash
	seen    map[string]bool
	summary []TableSummary
	total   int64
	values  []any
	raw     []json.RawMessage
}

// wrap says where in the file an error happened.
func (p *parser) wrap(err error) error {
	if p.line == 0 {
		return fmt.Errorf("backup: %w", err)
	}
	where := fmt.Sprintf("line %d", p.line)
	if p.table != nil {
		where += fmt.Sprintf(" (table %s, row %d)", p.table.Table, p.rows+1)
	}
	return fmt.Errorf("backup %s: %w", where, err)
}

// next returns the next line without its newline, hashing it first. At
// the end of the data it returns io.EOF.
func (p *parser) next() ([]byte, error) {
	p.buf = p.buf[:0]
	for {
		chunk, err := p.br.ReadSlice('\n')
		p.buf = append(p.buf, chunk...)
		if len(p.buf) > MaxLine {
			return nil, fmt.Errorf("a line longer than %d bytes", MaxLine)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(p.buf) == 0 {
				return nil, io.EOF
			}
			return nil, errors.New("the file ends inside a line: it is truncated")
		}
		return nil, fmt.Errorf("reading: %w (the file is damaged)", err)
	}
	p.line++
	return p.buf[:len(p.buf)-1], nil
}

func (p *parser) run() (*Manifest, error) {
	line, err := p.next()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty")
	}
	if err != nil {
		return nil, err
	}
	var h Header
	if err := json.Unmarshal(line, &h); err != nil || h.Format != Format {
		return nil, errors.New("not a cairn backup: the first line is not its header")
	}
	if h.Version < 1 || h.Version > Version {
		return nil, fmt.Errorf("backup format version %d: this cairn reads versions 1 to %d", h.Version, Version)
	}
	if h.SecretKey != "" {
		if k, err := hex.DecodeString(h.SecretKey); err != nil || len(k) != 32 {
			return nil, errors.New("the header's secret key is not 64 hex digits")
		} else if h.SecretKeyID != "" && KeyID(k) != h.SecretKeyID {
			return nil, errors.New("the header's secret key does not match its key id")
		}
	}
	p.all.Write(line)
	p.all.Write([]byte{'\n'})
	if err := p.v.Header(&h); err != nil {
		return nil, err
	}
	p.seen = map[string]bool{}
	for {
		line, err := p.next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file ends before its trailer: it is truncated")
		}
		if err != nil {
			return nil, err
		}
		if p.table != nil && len(line) > 0 && line[0] == '[' {
			if err := p.row(line); err != nil {
				return nil, err
			}
			p.hash(line)
			continue
		}
		var obj struct {
			Table   *string     `json:"table"`
			End     *string     `json:"end"`
			Trailer *Trailer    `json:"trailer"`
			Columns [][2]string `json:"columns"`
		}
		if err := json.Unmarshal(line, &obj); err != nil {
			return nil, fmt.Errorf("not a row, table header or trailer: %w", err)
		}
		switch {
		case p.table == nil && obj.Table != nil:
			var th TableHeader
			if err := json.Unmarshal(line, &th); err != nil {
				return nil, fmt.Errorf("table header: %w", err)
			}
			p.hash(line) // in the file's checksum, not the table's
			if err := p.open(&th); err != nil {
				return nil, err
			}
		case p.table != nil && obj.End != nil:
			var end TableEnd
			if err := json.Unmarshal(line, &end); err != nil {
				return nil, fmt.Errorf("table end: %w", err)
			}
			if err := p.close(&end); err != nil {
				return nil, err
			}
			p.hash(line)
		case p.table == nil && obj.Trailer != nil:
			if err := p.trailer(obj.Trailer); err != nil {
				return nil, err
			}
			if _, err := p.next(); !errors.Is(err, io.EOF) {
				if err != nil {
					return nil, err
				}
				return nil, errors.New("data after the trailer")
			}
			// Reading to the end made gzip check its own CRC and length.
			return &Manifest{Header: h, Trailer: *obj.Trailer}, nil
		case p.table != nil:
			return nil, fmt.Errorf("table %s has no end line before the next section", p.table.Table)
		default:
			return nil, errors.New("a line outside any table that is neither a table header nor the trailer")
		}
	}
}

func (p *parser) hash(line []byte) {
	p.all.Write(line)
	p.all.Write([]byte{'\n'})
	if p.th != nil {
		p.th.Write(line)
		p.th.Write([]byte{'\n'})
	}
}

func (p *parser) open(th *TableHeader) error {
	if th.Table == "" {
		return errors.New("a table header without a table name")
	}
	if p.seen[th.Table] {
		return fmt.Errorf("table %s appears twice", th.Table)
	}
	if len(th.Columns) == 0 {
		return fmt.Errorf("table %s has no columns", th.Table)
	}
	p.kinds = p.kinds[:0]
	names := map[string]bool{}
	for _, c := range th.Columns {
		k := Kind(c[1])
		if c[0] == "" || !k.Valid() {
			return fmt.Errorf("table %s: column %q has kind %q, want one of int, float, bool, string, time, json, bytes", th.Table, c[0], c[1])
		}
		if names[c[0]] {
			return fmt.Errorf("table %s: column %s appears twice", th.Table, c[0])
		}
		names[c[0]] = true
		p.kinds = append(p.kinds, k)
	}
	p.seen[th.Table] = true
	p.table, p.rows = th, 0
	if err := p.v.Table(th); err != nil {
		return err
	}
	p.th = sha256.New()
	if cap(p.values) < len(p.kinds) {
		p.values = make([]any, len(p.kinds))
	}
	p.values = p.values[:len(p.kinds)]
	return nil
}

func (p *parser) row(line []byte) error {
	p.raw = p.raw[:0]
	if err := json.Unmarshal(line, &p.raw); err != nil {
		return fmt.Errorf("a damaged row (not a JSON array of values): %w", err)
	}
	if len(p.raw) != len(p.kinds) {
		return fmt.Errorf("a damaged row: %d values for %d columns", len(p.raw), len(p.kinds))
	}
	for i, raw := range p.raw {
		v, err := DecodeValue(p.kinds[i], raw)
		if err != nil {
			return fmt.Errorf("a damaged row: column %s: %w", p.table.Columns[i][0], err)
		}
		p.values[i] = v
	}
	if err := p.v.Row(p.values); err != nil {
		return err
	}
	p.rows++
	return nil
}

func (p *parser) close(end *TableEnd) error {
	t := p.table.Table
	if end.End != t {
		return fmt.Errorf("table %s ends with the end line of %q", t, end.End)
	}
	if end.Rows != p.rows {
		return fmt.Errorf("table %s: the file says %d rows, it holds %d: the file is damaged", t, end.Rows, p.rows)
	}
	sum := hex.EncodeToString(p.th.Sum(nil))
	if end.SHA256 != sum {
		return fmt.Errorf("table %s: checksum mismatch: its rows hash to %s, the file says %s: the file is damaged or was edited", t, sum, end.SHA256)
	}
	p.th = nil
	if err := p.v.EndTable(end); err != nil {
		return err
	}
	p.summary = append(p.summary, TableSummary{Name: t, Rows: p.rows, SHA256: sum})
	p.total += p.rows
	p.table = nil
	return nil
}

func (p *parser) trailer(tr *Trailer) error {
	sum := hex.EncodeToString(p.all.Sum(nil))
	if tr.SHA256 != sum {
		return fmt.Errorf("trailer: checksum mismatch: the file hashes to %s, its trailer says %s: the file is damaged or was edited", sum, tr.SHA256)
	}
	if len(tr.Tables) != len(p.summary) {
		return fmt.Errorf("trailer: lists %d tables, the file holds %d", len(tr.Tables), len(p.summary))
	}
	for i, s := range p.summary {
		if tr.Tables[i] != s {
			return fmt.Errorf("trailer: table %d is %s with %d rows (sha256 %s), the file holds %s with %d rows (sha256 %s)",
				i+1, tr.Tables[i].Name, tr.Tables[i].Rows, tr.Tables[i].SHA256, s.Name, s.Rows, s.SHA256)
		}
	}
	if tr.Rows != p.total {
		return fmt.Errorf("trailer: says %d rows in all, the file holds %d", tr.Rows, p.total)
	}
	return nil
}

// ReadManifest reads a whole backup, checking it, and returns its
// manifest.
func ReadManifest(r io.Reader) (*Manifest, error) {
	return Read(r, nopVisitor{})
}

type nopVisitor struct{}

func (nopVisitor) Header(*Header) error     { return nil }
func (nopVisitor) Table(*TableHeader) error { return nil }
func (nopVisitor) Row([]any) error          { return nil }
func (nopVisitor) EndTable(*TableEnd) error { return nil }
