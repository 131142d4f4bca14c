package estate

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// csvFields are the CI fields a CSV column can feed, besides "attr.<key>".
func csvFields() []string {
	return []string{"name", "kind", "status", "environment", "criticality", "hostname", "fqdn", "serialNumber",
		"assetTag", "description", "tags", "owner", "vendor", "location", "service", "ip", "mac", "cloudId", "scope"}
}

// attrPrefix starts a mapping field that feeds an attribute.
const attrPrefix = "attr."

// foldName is how field names and headers are compared: case-insensitive,
// ignoring spaces, hyphens, underscores and dots.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '-', '_', '.':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// canonicalField returns the canonical spelling of a mapping field name, or
// "" if it names no field.
func canonicalField(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > len(attrPrefix) && strings.EqualFold(s[:len(attrPrefix)], attrPrefix) {
		key := strings.TrimSpace(s[len(attrPrefix):])
		if key == "" {
			return ""
		}
		return attrPrefix + key
	}
	f := foldName(s)
	if f == "" {
		return ""
	}
	for _, c := range csvFields() {
		if foldName(c) == f {
			return c
		}
	}
	return ""
}

// MapEntry says which CSV column feeds a CI field.
type MapEntry struct {
	Field  string // canonical field name: "serialNumber", "attr.rack"
	Column string // CSV header
}

// Mapping maps CSV columns to CI fields, as given to --map.
type Mapping struct {
	Entries []MapEntry
}

// ParseMapping parses a --map value: comma-separated field=Column pairs
// such as `name=Name,hostname=Host,ip=IP Address,attr.rack=Rack`. Field
// names are case-insensitive; a column name with a comma or quote is
// written in double quotes, CSV style (`"attr.note=Notes, misc"`).
func ParseMapping(spec string) (*Mapping, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty mapping: want field=Column pairs separated by commas")
	}
	r := csv.NewReader(strings.NewReader(spec))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("parsing mapping: %w", err)
	}
	if _, err := r.Read(); err != io.EOF {
		return nil, errors.New("mapping must be one line")
	}
	m := &Mapping{}
	seen := map[string]bool{}
	for _, pair := range rec {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		f, col, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("mapping entry %q: want field=Column", pair)
		}
		field := canonicalField(f)
		if field == "" {
			return nil, fmt.Errorf("mapping entry %q: unknown field %q (want one of %s, or attr.<key>)", pair, strings.TrimSpace(f), strings.Join(csvFields(), ", "))
		}
		col = strings.TrimSpace(col)
		if col == "" {
			return nil, fmt.Errorf("mapping entry %q: empty column name", pair)
		}
		if seen[field] {
			return nil, fmt.Errorf("mapping entry %q: field %q is mapped twice", pair, field)
		}
		seen[field] = true
		m.Entries = append(m.Entries, MapEntry{Field: field, Column: col})
	}
	if len(m.Entries) == 0 {
		return nil, errors.New("empty mapping: want field=Column pairs separated by commas")
	}
	return m, nil
}

// String returns the mapping in the form ParseMapping reads.
func (m *Mapping) String() string {
	rec := make([]string, len(m.Entries))
	for i, e := range m.Entries {
		rec[i] = e.Field + "=" + e.Column
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(rec) // writing to a strings.Builder cannot fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// column is a resolved mapping entry.
type column struct {
	field string
	index int
}

// DefaultMapping maps every header that names a field (case-insensitively,
// ignoring spaces, hyphens and underscores, or attr.<key>) to that field.
// It returns the mapping and the headers it leaves out.
func DefaultMapping(header []string) (*Mapping, []string) {
	m := &Mapping{}
	var ignored []string
	seen := map[string]bool{}
	for _, h := range header {
		f := canonicalField(h)
		if f == "" || seen[f] {
			ignored = append(ignored, h)
			continue
		}
		seen[f] = true
		m.Entries = append(m.Entries, MapEntry{Field: f, Column: strings.TrimSpace(h)})
	}
	return m, ignored
}

// resolve finds the column of every entry in header.
func (m *Mapping) resolve(header []string) ([]column, []string, error) {
	var cols []column
	used := map[int]bool{}
	for _, e := range m.Entries {
		idx := -1
		for i, h := range header {
			if strings.TrimSpace(h) == e.Column {
				idx = i
				break
			}
		}
		if idx < 0 {
			for i, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), e.Column) {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			return nil, nil, fmt.Errorf("--map: column %q (for %s) is not in the header (columns: %s)", e.Column, e.Field, quoteList(header))
		}
		used[idx] = true
		cols = append(cols, column{field: e.Field, index: idx})
	}
	var ignored []string
	for i, h := range header {
		if !used[i] {
			ignored = append(ignored, h)
		}
	}
	return cols, ignored, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// csvRow is one parsed CSV row.
type csvRow struct {
	ci       CI
	services []string
	problems []Problem
}

// parseRow turns one CSV record into a CI element. It only splits cells;
// checkCI validates the values.
func parseRow(cols []column, rec []string, line, width int) csvRow {
	var row csvRow
	loc := lineLoc(line)
	if len(rec) != width {
		row.problems = append(row.problems, Problem{Path: loc.at(""), Msg: fmt.Sprintf("has %d fields, the header has %d", len(rec), width)})
	}
	e := &row.ci
	scope := "" // the network scope of the row's IP addresses
	for _, c := range cols {
		if c.index >= len(rec) {
			continue
		}
		v := strings.TrimSpace(rec[c.index])
		if v == "" {
			continue
		}
		switch c.field {
		case "name":
			e.Name = v
		case "kind":
			e.Kind = v
		case "status":
			e.Status = v
		case "environment":
			e.Environment = v
		case "criticality":
			e.Criticality = v
		case "hostname":
			e.Hostname = v
		case "fqdn":
			e.FQDN = v
		case "serialNumber":
			e.SerialNumber = v
		case "assetTag":
			e.AssetTag = v
		case "description":
			e.Description = v
		case "tags":
			e.Tags = splitList(v)
		case "owner":
			e.Owner = v
		case "vendor":
			e.Vendor = v
		case "location":
			e.Location = v
		case "service":
			row.services = splitList(v)
		case "scope":
			scope = v
		case "ip", "mac", "cloudId":
			kind := map[string]ident.Kind{"ip": ident.IP, "mac": ident.MAC, "cloudId": ident.CloudID}[c.field]
			for _, x := range splitList(v) {
				e.Identifiers = append(e.Identifiers, Identifier{Kind: string(kind), Value: x})
			}
		default:
			if key, ok := strings.CutPrefix(c.field, attrPrefix); ok {
				if e.Attributes == nil {
					e.Attributes = map[string]any{}
				}
				e.Attributes[key] = v
			}
		}
	}
	for i := range e.Identifiers {
		if e.Identifiers[i].Kind == string(ident.IP) {
			e.Identifiers[i].Scope = scope
		}
	}
	if e.Name == "" {
		// A row without a name is named after its host (checkCI reports a
		// row with neither).
		if e.FQDN != "" {
			e.Name = e.FQDN
		} else {
			e.Name = e.Hostname
		}
	}
	return row
}

// identifierField is the CSV field name of an identifier kind, for problems.
func identifierField(kind string) string {
	switch ident.Kind(kind) {
	case ident.IP:
		return "ip"
	case ident.MAC:
		return "mac"
	case ident.CloudID:
		return "cloudId"
	}
	return strings.ToLower(kind)
}

// ImportCSV imports configuration items from CSV with a header row. m says
// which column feeds which field; nil maps the headers that name fields.
// Rows are matched to stored CIs by identifier (see Import) and written in
// one transaction through ent. Invalid rows are listed by line number; then
// nothing is written and the error wraps ErrInvalid, unless opts.Partial.
func ImportCSV(ctx context.Context, c *ent.Client, r io.Reader, m *Mapping, opts ImportOptions) (*ImportResult, error) {
	start := time.Now()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file: want a header row", opts.Source)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Source, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var ignored []string
	if m == nil {
		m, ignored = DefaultMapping(header)
		if len(m.Entries) == 0 {
			return nil, fmt.Errorf("%s: no column names a CI field (columns: %s): give --map", opts.Source, quoteList(header))
		}
	}
	cols, unmapped, err := m.resolve(header)
	if err != nil {
		return nil, err
	}
	if ignored == nil {
		ignored = unmapped
	}
	if !slices.ContainsFunc(cols, func(c column) bool {
		return c.field == "name" || c.field == "hostname" || c.field == "fqdn"
	}) {
		return nil, fmt.Errorf("%s: no column feeds name, hostname or fqdn: a CI needs a name", opts.Source)
	}
	im := newImporter(opts)
	im.rep.Ignored = ignored
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", opts.Source, err)
		}
		line, _ := cr.FieldPos(0)
		row := parseRow(cols, rec, line, len(header))
		in := im.addCI(&row.ci, lineLoc(line), row.problems)
		in.services = row.services
	}
	return im.run(ctx, c, start)
}
