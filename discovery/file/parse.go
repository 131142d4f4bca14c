package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Error is a problem at one place of an inventory file.
type Error struct {
	File string
	// Line is the line the row starts on, counting from 1.
	Line int
	// Element is the row's index in a JSON array, counting from 0, or -1.
	Element int
	// Column is the mapped column at fault, or "".
	Column string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteString(" ")
	b.WriteString(pos{e.Line, e.Element}.String())
	b.WriteString(": ")
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", textclip.Message(e.Column))
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// pos is where a row starts.
type pos struct {
	line int
	elem int // -1 outside a JSON array
}

func (p pos) String() string {
	if p.elem >= 0 {
		return fmt.Sprintf("line %d (element %d)", p.line, p.elem)
	}
	return fmt.Sprintf("line %d", p.line)
}

// parser reads one file.
type parser struct {
	*Source
	name    string
	ignored []string // columns the default mapping of a CSV header left out

	rows  []row
	byKey map[string]int // key → index in rows
}

// row is one observation being built.
type row struct {
	pos  pos
	obs  discovery.Observation
	refs []ref
}

// ref is a relationship to a row named by key or name: the n-th (from 1)
// of its column's cell, which errors name instead of the value.
type ref struct {
	column, typ, to string
	n               int
}

func (s *Source) newParser(name string) *parser {
	return &parser{Source: s, name: name, byKey: map[string]int{}}
}

func (p *parser) errAt(at pos, column string, err error) error {
	return &Error{File: p.name, Line: at.line, Element: at.elem, Column: column, Err: err}
}

// checkEvery is how many rows are read between looks at the context.
const checkEvery = 256

// parse reads r and returns its observations.
func (p *parser) parse(ctx context.Context, r io.Reader) ([]discovery.Observation, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	var err error
	switch p.format {
	case FormatCSV:
		err = p.parseCSV(ctx, br)
	default:
		err = p.parseJSON(ctx, br)
	}
	if err != nil {
		return nil, err
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	out := make([]discovery.Observation, len(p.rows))
	for i := range p.rows {
		out[i] = p.rows[i].obs
	}
	return out, nil
}

// csvError rewrites an encoding/csv error to name the file and line.
func (p *parser) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return p.errAt(pos{pe.Line, -1}, "", pe.Err)
	}
	return fmt.Errorf("%s: %w", p.name, err)
}

func (p *parser) parseCSV(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.Comma = p.delim
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return p.errAt(pos{1, -1}, "", errors.New("empty file: want a header row"))
	}
	if err != nil {
		return p.csvError(err)
	}
	headerLine, _ := cr.FieldPos(0)
	cols, err := p.csvColumns(header)
	if err != nil {
		return p.errAt(pos{headerLine, -1}, "", err)
	}
	cr.ReuseRecord = true
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.csvError(err)
		}
		line, _ := cr.FieldPos(0)
		at := pos{line, -1}
		if blank(rec) {
			continue
		}
		if len(rec) != len(header) {
			return p.errAt(at, "", fmt.Errorf("has %d fields, the header has %d", len(rec), len(header)))
		}
		rw := row{pos: at}
		for _, c := range cols {
			v := strings.TrimSpace(rec[c.index])
			if v == "" {
				continue
			}
			if msg := badText(v); msg != "" {
				return p.errAt(at, c.column, fmt.Errorf("value %s", msg))
			}
			if err := rw.set(c.column, c.target, []string{v}); err != nil {
				return p.errAt(at, c.column, err)
			}
		}
		if err := p.add(&rw); err != nil {
			return err
		}
	}
}

// blank reports whether every cell of rec is empty.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvColumn is a binding resolved to a header index.
type csvColumn struct {
	binding
	index int
}

// csvColumns resolves the mapping against header, in header order.
func (p *parser) csvColumns(header []string) ([]csvColumn, error) {
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	var cols []csvColumn
	if p.bindings == nil {
		var bs []binding
		for i, h := range header {
			t, ok := defaultTarget(h)
			if !ok {
				if h != "" {
					p.ignored = append(p.ignored, h)
				}
				continue
			}
			b := binding{column: h, target: t}
			bs = append(bs, b)
			cols = append(cols, csvColumn{b, i})
		}
		if len(cols) == 0 {
			return nil, fmt.Errorf("no column maps to a target (the header has %s, none named like one): give a mapping", columns(len(header)))
		}
		if err := checkBindings(bs); err != nil {
			return nil, err
		}
		return cols, nil
	}
	used := map[int]bool{}
	for _, b := range p.bindings {
		idx, err := headerIndex(header, b.column)
		if err != nil {
			return nil, err
		}
		used[idx] = true
		cols = append(cols, csvColumn{b, idx})
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].index < cols[j].index })
	for i, h := range header {
		if !used[i] && h != "" {
			p.ignored = append(p.ignored, h)
		}
	}
	return cols, nil
}

// headerIndex finds column in header: exactly, else ignoring case.
func headerIndex(header []string, column string) (int, error) {
	for _, eq := range []func(a, b string) bool{func(a, b string) bool { return a == b }, strings.EqualFold} {
		idx := -1
		for i, h := range header {
			if eq(h, column) {
				if idx >= 0 {
					return 0, fmt.Errorf("column %q is in the header twice", textclip.Message(column))
				}
				idx = i
			}
		}
		if idx >= 0 {
			return idx, nil
		}
	}
	return 0, fmt.Errorf("column %q is not in the header (of %s)", textclip.Message(column), columns(len(header)))
}

// columns says how many columns a header has; errors never list them: a
// header is the file's content.
func columns(n int) string {
	if n == 1 {
		return "1 column"
	}
	return strconv.Itoa(n) + " columns"
}

// lineCounter counts the lines of what the JSON decoder reads, so that an
// offset can be turned into a line. It keeps only the newlines past the last
// offset asked about.
type lineCounter struct {
	r       io.Reader
	n       int64   // bytes read
	lines   int     // newlines before the last offset asked about
	pending []int64 // offsets of the newlines after it
}

func (lc *lineCounter) Read(b []byte) (int, error) {
	n, err := lc.r.Read(b)
	for i := 0; i < n; {
		j := bytes.IndexByte(b[i:n], '\n')
		if j < 0 {
			break
		}
		lc.pending = append(lc.pending, lc.n+int64(i+j))
		i += j + 1
	}
	lc.n += int64(n)
	return n, err
}

// lineAt returns the line of offset off. Offsets must not decrease.
func (lc *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(lc.pending) && lc.pending[i] < off {
		i++
	}
	lc.lines += i
	lc.pending = lc.pending[i:]
	return lc.lines + 1
}

// nextOffset is the offset of the decoder's next byte that is neither space
// nor a comma between array elements (or of the end of what it has read).
func nextOffset(dec *json.Decoder) int64 {
	off := dec.InputOffset()
	r := dec.Buffered()
	var b [256]byte
	for {
		n, err := r.Read(b[:])
		for _, c := range b[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' {
				return off
			}
			off++
		}
		if err != nil || n == 0 {
			return off
		}
	}
}

// jsonError rewrites a decoder error to name the file and line, and says
// what is wrong without quoting the file (the decoder's messages do).
func (p *parser) jsonError(lc *lineCounter, dec *json.Decoder, elem int, err error) error {
	var se *json.SyntaxError
	isSyntax := errors.As(err, &se)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || isSyntax && strings.Contains(se.Error(), "unexpected end") {
		off := nextOffset(dec)
		if off >= lc.n {
			elem = -1 // no element had begun
		}
		return p.errAt(pos{lc.lineAt(off), elem}, "", errors.New("unexpected end of file"))
	}
	if isSyntax {
		// Offset counts the bytes read up to and including the bad one.
		return p.errAt(pos{lc.lineAt(max(se.Offset-1, 0)), elem}, "", errors.New("not valid JSON"))
	}
	return p.errAt(pos{lc.lineAt(nextOffset(dec)), elem}, "", errors.New("not valid JSON"))
}

func (p *parser) parseJSON(ctx context.Context, r io.Reader) error {
	lc := &lineCounter{r: r}
	dec := json.NewDecoder(lc)
	dec.UseNumber()
	elem := -1
	if p.format == FormatJSON {
		tok, err := dec.Token()
		if err == io.EOF {
			return p.errAt(pos{1, -1}, "", errors.New("empty file: want a JSON array of objects"))
		}
		if err != nil {
			return p.jsonError(lc, dec, -1, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return p.errAt(pos{lc.lineAt(dec.InputOffset()), -1}, "", fmt.Errorf("want a JSON array of objects, got %s", tokenKind(tok)))
		}
		elem = 0
	}
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if p.format == FormatJSON && !dec.More() {
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF && p.format == FormatJSONL {
				return nil
			}
			return p.jsonError(lc, dec, elem, err)
		}
		at := pos{lc.lineAt(dec.InputOffset() - int64(len(raw))), elem}
		if raw[0] != '{' {
			return p.errAt(at, "", fmt.Errorf("want an object, got %s", discovery.JSONKind(raw)))
		}
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil {
			return p.errAt(at, "", errors.New("not valid JSON"))
		}
		if err := p.jsonRow(at, obj); err != nil {
			return err
		}
		if elem >= 0 {
			elem++
		}
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return p.jsonError(lc, dec, -1, err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		at := pos{lc.lineAt(dec.InputOffset() - 1), -1}
		if err != nil {
			return p.jsonError(lc, dec, -1, err)
		}
		return p.errAt(at, "", fmt.Errorf("unexpected %s after the array", tokenKind(tok)))
	}
	return nil
}

// tokenKind describes a JSON token for an error message.
func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// leaf is a dotted path of a JSON object and its value.
type leaf struct {
	path  string
	value any
}

// flatten lists the non-object values of obj by dotted path.
func flatten(prefix string, obj map[string]any, out []leaf) []leaf {
	for k, v := range obj {
		if sub, ok := v.(map[string]any); ok {
			out = flatten(prefix+k+".", sub, out)
			continue
		}
		out = append(out, leaf{prefix + k, v})
	}
	return out
}

// lookup finds the value at column: a key of obj or a dotted path into
// nested objects.
func lookup(obj map[string]any, column string) (any, bool) {
	if v, ok := obj[column]; ok {
		return v, true
	}
	for i := 0; i < len(column); i++ {
		if column[i] != '.' {
			continue
		}
		if sub, ok := obj[column[:i]].(map[string]any); ok {
			if v, ok := lookup(sub, column[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

func (p *parser) jsonRow(at pos, obj map[string]any) error {
	rw := row{pos: at}
	if p.bindings == nil {
		leaves := flatten("", obj, nil)
		sort.Slice(leaves, func(i, j int) bool { return leaves[i].path < leaves[j].path })
		var bs []binding
		var vals [][]string
		for _, l := range leaves {
			t, ok := defaultTarget(l.path)
			if !ok {
				continue
			}
			v, err := jsonValues(l.value)
			if err != nil {
				return p.errAt(at, l.path, err)
			}
			bs = append(bs, binding{column: l.path, target: t})
			vals = append(vals, v)
		}
		if err := checkBindings(bs); err != nil {
			return p.errAt(at, "", err)
		}
		for i, b := range bs {
			if err := rw.set(b.column, b.target, vals[i]); err != nil {
				return p.errAt(at, b.column, err)
			}
		}
	} else {
		for _, b := range p.bindings {
			v, ok := lookup(obj, b.column)
			if !ok {
				continue
			}
			vals, err := jsonValues(v)
			if err != nil {
				return p.errAt(at, b.column, err)
			}
			if err := rw.set(b.column, b.target, vals); err != nil {
				return p.errAt(at, b.column, err)
			}
		}
	}
	return p.add(&rw)
}

// jsonValues returns the trimmed, non-empty values of a JSON value: a
// scalar, or an array of scalars.
func jsonValues(v any) ([]string, error) {
	if list, ok := v.([]any); ok {
		var out []string
		for _, x := range list {
			s, err := jsonScalar(x)
			if err != nil {
				return nil, fmt.Errorf("want a value or a list of values, got a list holding %s", err)
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	s, err := jsonScalar(v)
	if err != nil {
		return nil, fmt.Errorf("want a value or a list of values, got %s", err)
	}
	if s == "" {
		return nil, nil
	}
	return []string{s}, nil
}

// jsonScalar returns a scalar's text, trimmed; the error describes a
// non-scalar.
func jsonScalar(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(x), nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case map[string]any:
		return "", errors.New("an object")
	case []any:
		return "", errors.New("a list")
	}
	return "", fmt.Errorf("a %T", v)
}

// splitAny splits s at spaces, commas and semicolons.
func splitAny(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// splitList splits s at commas and semicolons, trimming each part.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// set feeds vals (trimmed, non-empty) to t.
func (r *row) set(column string, t target, vals []string) error {
	if len(vals) == 0 {
		return nil
	}
	if !t.multi() && len(vals) > 1 {
		return fmt.Errorf("want one value, got a list of %d", len(vals))
	}
	o := &r.obs
	switch t.kind {
	case tKey:
		o.Key = vals[0]
	case tName:
		o.Name = vals[0]
		r.field("name", vals[0])
	case tKind:
		k, ok := normalizeKind(vals[0])
		if !ok {
			return fmt.Errorf("unknown kind (want one of %s)", strings.Join(kinds(), ", "))
		}
		o.Kind = k
	case tField:
		r.field(t.arg, vals[0])
	case tFact:
		if o.Facts == nil {
			o.Facts = map[string]string{}
		}
		o.Facts[t.arg] = vals[0]
	case tIdent:
		k := ident.Kind(t.arg)
		for _, v := range vals {
			parts := []string{v}
			if k == ident.IP || k == ident.MAC {
				parts = splitAny(v)
			}
			for _, x := range parts {
				o.Identifiers = append(o.Identifiers, discovery.Identifier{Kind: k, Value: x})
			}
		}
	case tRel:
		n := 0
		for _, v := range vals {
			for _, to := range splitList(v) {
				n++
				r.refs = append(r.refs, ref{column: column, typ: t.arg, to: to, n: n})
			}
		}
	}
	return nil
}

func (r *row) field(name, v string) {
	if r.obs.Fields == nil {
		r.obs.Fields = map[string]string{}
	}
	r.obs.Fields[name] = v
}

// add completes a row and appends it.
func (p *parser) add(r *row) error {
	o := &r.obs
	// The record fields that are identifiers as well.
	for _, fi := range [...]struct {
		field string
		kind  ident.Kind
	}{{"hostname", ident.Hostname}, {"fqdn", ident.FQDN}, {"serial_number", ident.Serial}} {
		if v := o.Fields[fi.field]; v != "" {
			o.Identifiers = append(o.Identifiers, discovery.Identifier{Kind: fi.kind, Value: v})
		}
	}
	if o.Name == "" && len(o.Identifiers) == 0 {
		return p.errAt(r.pos, "", errors.New("no name and no identifier"))
	}
	o.Identifiers = sortIdentifiers(o.Identifiers)
	if o.Kind == "" {
		o.Kind = p.kind
	}
	if o.Key == "" {
		if len(o.Identifiers) > 0 {
			o.Key = o.Identifiers[0].Value
		} else {
			o.Key = o.Name
		}
	}
	if o.Name == "" {
		switch {
		case o.Fields["fqdn"] != "":
			o.Name = o.Fields["fqdn"]
		case o.Fields["hostname"] != "":
			o.Name = o.Fields["hostname"]
		default:
			o.Name = o.Key
		}
	}
	if i, dup := p.byKey[o.Key]; dup {
		return p.errAt(r.pos, "", fmt.Errorf("duplicate key (first on %s)", p.rows[i].pos))
	}
	p.byKey[o.Key] = len(p.rows)
	p.rows = append(p.rows, *r)
	return nil
}

// sortIdentifiers orders ids strongest kind first, keeping the order within
// a kind, and drops repeats.
func sortIdentifiers(ids []discovery.Identifier) []discovery.Identifier {
	rank := map[ident.Kind]int{}
	for i, k := range ident.Kinds() {
		rank[k] = i
	}
	sort.SliceStable(ids, func(i, j int) bool { return rank[ids[i].Kind] < rank[ids[j].Kind] })
	seen := map[discovery.Identifier]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// resolve turns every row's references into relationships to keys.
func (p *parser) resolve() error {
	byName := map[string][]int{}
	for i := range p.rows {
		n := p.rows[i].obs.Name
		byName[n] = append(byName[n], i)
	}
	for i := range p.rows {
		r := &p.rows[i]
		seen := map[[2]string]bool{} // type, target key
		for _, rf := range r.refs {
			j, ok := p.byKey[rf.to]
			if !ok {
				switch idx := byName[rf.to]; len(idx) {
				case 0:
					return p.errAt(r.pos, rf.column, fmt.Errorf("reference %d names no row (by key or name)", rf.n))
				case 1:
					j = idx[0]
				default:
					return p.errAt(r.pos, rf.column, fmt.Errorf("reference %d names several rows (on %s and %s)", rf.n, p.rows[idx[0]].pos, p.rows[idx[1]].pos))
				}
			}
			if j == i {
				return p.errAt(r.pos, rf.column, fmt.Errorf("reference %d names this row itself", rf.n))
			}
			rel := discovery.Relationship{Type: rf.typ, To: p.rows[j].obs.Key}
			if !seen[[2]string{rel.Type, rel.To}] {
				seen[[2]string{rel.Type, rel.To}] = true
				r.obs.Relationships = append(r.obs.Relationships, rel)
			}
		}
		r.refs = nil
	}
	return nil
}
