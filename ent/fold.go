// Hand-written (not produced by entc): a configuration item query's eager
// loads of plain edges are folded into its own statement.

package ent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
)

// FoldEdges is an interceptor of ConfigurationItem queries. It loads the
// edges a GraphQL request (or any caller) eager-loads most often — owner,
// vendor, location, services and identifiers — as JSON in the items' own
// statement instead of one statement per edge: a lookup with owner, vendor,
// services and identifiers takes one statement instead of five. On
// PostgreSQL each statement saved is a round trip; on SQLite it is a
// statement prepared, stepped and scanned through database/sql (and ent's
// IN lists of more than 64 IDs, which the store does not keep prepared,
// disappear). Only queries limited to foldMaxRows items fold (lookups,
// First, Only, short pages). An edge is folded only when its query is plain (a field
// selection: no predicates, order, limit, nested eager loads, modifiers or
// interceptors); anything else takes ent's own path unchanged. The answers equal ent's path (fold_test.go, both
// engines through GraphQL in internal/server).
func FoldEdges() Interceptor {
	return InterceptFunc(func(next Querier) Querier {
		return QuerierFunc(func(ctx context.Context, q Query) (Value, error) {
			ciq, ok := q.(*ConfigurationItemQuery)
			// A query modified by its caller (FOR UPDATE, grouping, its
			// own selections) keeps ent's path: a join could change it.
			if !ok || !foldableOp(ctx) || ciq.ctx.Limit == nil || *ciq.ctx.Limit > foldMaxRows || len(ciq.modifiers) > 0 {
				return next.Query(ctx, q)
			}
			d := ciq.driver.Dialect()
			if d != dialect.Postgres && d != dialect.SQLite {
				return next.Query(ctx, q)
			}
			plan := ciq.takeFoldable()
			if len(plan) == 0 {
				return next.Query(ctx, q)
			}
			ciq.modifiers = append(ciq.modifiers, func(s *sql.Selector) {
				for _, f := range plan {
					s.AppendSelectExprAs(sql.Raw(f.selectSQL(s, d)), f.column)
				}
			})
			v, err := next.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			nodes, ok := v.([]*ConfigurationItem)
			if !ok {
				return nil, fmt.Errorf("folding edges: unexpected result %T", v)
			}
			for _, n := range nodes {
				for _, f := range plan {
					if err := f.assign(n); err != nil {
						return nil, fmt.Errorf("folding edge %s of configuration item %d: %w", f.edge, n.ID, err)
					}
				}
			}
			return nodes, nil
		})
	})
}

// foldMaxRows is the largest limit of a query whose loads are folded. Per
// item, a folded edge costs more than a share of ent's one statement per
// edge (the JSON, and ent's scan of a column it does not know, which asks
// the driver for every column's type on every row): measured on the 100k
// estate (BenchmarkFoldEdges in internal/app), a lookup folded takes 0.36
// ms on PostgreSQL against 0.53–0.64 and 0.12–0.20 on SQLite against 0.16,
// but 100 VMs with owner and vendor 2.1 ms against 1.3 and 1.13 against
// 0.85. Lookups, First and Only (limits 1 and 2) and short pages fold; long
// lists and unlimited queries keep ent's path.
const foldMaxRows = 10

// foldableOp reports whether the query loads nodes (All, First, Only), the
// operations whose eager loads run.
func foldableOp(ctx context.Context) bool {
	qc := ent.QueryFromContext(ctx)
	if qc == nil {
		return false
	}
	switch qc.Op {
	case ent.OpQueryAll, ent.OpQueryFirst, ent.OpQueryOnly:
		return true
	}
	return false
}

// foldedEdge is one edge loaded as a sub-select.
type foldedEdge struct {
	edge   string // edge name, and the alias for named lists
	column string // the result column holding its JSON
	// table, columns: the edge's table and the columns it selects.
	table   string
	columns []string
	// fk: a to-one edge's foreign key column in the item's table. where:
	// a list's condition given the item table's qualified column function;
	// join: its join table, for many-to-many.
	fk    string
	where func(c func(string) string) string
	join  string
	many  bool
	// set assigns the decoded rows (nil row for an absent to-one edge).
	set func(n *ConfigurationItem, rows [][]json.RawMessage) error
}

// takeFoldable removes the plain edge loads from q and returns them as
// sub-selects.
func (_q *ConfigurationItemQuery) takeFoldable() []*foldedEdge {
	var plan []*foldedEdge
	if sub := _q.withOwner; sub != nil && plainQuery(sub, sub.ctx) {
		_q.withOwner = nil
		plan = append(plan, toOne("owner", owner.Table, fieldsOr(sub.ctx, owner.Columns), configurationitem.OwnerColumn,
			func(n *ConfigurationItem, cols []string, row []json.RawMessage) error {
				n.Edges.loadedTypes[0] = true
				if row == nil {
					return nil
				}
				e := &Owner{config: _q.config}
				if err := decodeFolded(cols, row, e.scanValues, e.assignValues); err != nil {
					return err
				}
				n.Edges.Owner = e
				return nil
			}))
	}
	if sub := _q.withVendor; sub != nil && plainQuery(sub, sub.ctx) {
		_q.withVendor = nil
		plan = append(plan, toOne("vendor", vendor.Table, fieldsOr(sub.ctx, vendor.Columns), configurationitem.VendorColumn,
			func(n *ConfigurationItem, cols []string, row []json.RawMessage) error {
				n.Edges.loadedTypes[1] = true
				if row == nil {
					return nil
				}
				e := &Vendor{config: _q.config}
				if err := decodeFolded(cols, row, e.scanValues, e.assignValues); err != nil {
					return err
				}
				n.Edges.Vendor = e
				return nil
			}))
	}
	if sub := _q.withLocation; sub != nil && plainQuery(sub, sub.ctx) {
		_q.withLocation = nil
		plan = append(plan, toOne("location", location.Table, fieldsOr(sub.ctx, location.Columns), configurationitem.LocationColumn,
			func(n *ConfigurationItem, cols []string, row []json.RawMessage) error {
				n.Edges.loadedTypes[2] = true
				if row == nil {
					return nil
				}
				e := &Location{config: _q.config}
				if err := decodeFolded(cols, row, e.scanValues, e.assignValues); err != nil {
					return err
				}
				n.Edges.Location = e
				return nil
			}))
	}
	services := func(name string, sub *ServiceQuery, named bool) *foldedEdge {
		cols := fieldsOr(sub.ctx, service.Columns)
		f := &foldedEdge{edge: name, table: service.Table, columns: cols, many: true,
			join: fmt.Sprintf(`JOIN %s AS "fj" ON "fj".%s = "f"."id"`, quote(configurationitem.ServicesTable), quote(configurationitem.ServicesPrimaryKey[0])),
			where: func(c func(string) string) string {
				return fmt.Sprintf(`"fj".%s = %s`, quote(configurationitem.ServicesPrimaryKey[1]), c(configurationitem.FieldID))
			},
		}
		f.set = func(n *ConfigurationItem, rows [][]json.RawMessage) error {
			list := make([]*Service, 0, len(rows))
			for _, row := range rows {
				e := &Service{config: _q.config}
				if err := decodeFolded(cols, row, e.scanValues, e.assignValues); err != nil {
					return err
				}
				list = append(list, e)
			}
			if named {
				n.appendNamedServices(name, list...)
			} else {
				n.Edges.Services = list
				n.Edges.loadedTypes[3] = true
			}
			return nil
		}
		return f
	}
	identifiers := func(name string, sub *IdentifierQuery, named bool) *foldedEdge {
		// ent's own load selects the foreign key too.
		cols := fieldsOr(sub.ctx, identifier.Columns, identifier.FieldConfigurationItemID)
		f := &foldedEdge{edge: name, table: identifier.Table, columns: cols, many: true,
			where: func(c func(string) string) string {
				return fmt.Sprintf(`"f".%s = %s`, quote(configurationitem.IdentifiersColumn), c(configurationitem.FieldID))
			},
		}
		f.set = func(n *ConfigurationItem, rows [][]json.RawMessage) error {
			list := make([]*Identifier, 0, len(rows))
			for _, row := range rows {
				e := &Identifier{config: _q.config}
				if err := decodeFolded(cols, row, e.scanValues, e.assignValues); err != nil {
					return err
				}
				list = append(list, e)
			}
			if named {
				n.appendNamedIdentifiers(name, list...)
			} else {
				n.Edges.Identifiers = list
				n.Edges.loadedTypes[4] = true
			}
			return nil
		}
		return f
	}
	if sub := _q.withServices; sub != nil && plainQuery(sub, sub.ctx) {
		_q.withServices = nil
		plan = append(plan, services("services", sub, false))
	}
	for name, sub := range _q.withNamedServices {
		if plainQuery(sub, sub.ctx) {
			delete(_q.withNamedServices, name)
			plan = append(plan, services(name, sub, true))
		}
	}
	if sub := _q.withIdentifiers; sub != nil && plainQuery(sub, sub.ctx) {
		_q.withIdentifiers = nil
		plan = append(plan, identifiers("identifiers", sub, false))
	}
	for name, sub := range _q.withNamedIdentifiers {
		if plainQuery(sub, sub.ctx) {
			delete(_q.withNamedIdentifiers, name)
			plan = append(plan, identifiers(name, sub, true))
		}
	}
	for i, f := range plan {
		f.column = "__fold_" + strconv.Itoa(i)
	}
	return plan
}

// toOne is a to-one edge held by the item's foreign key column fk.
func toOne(edge, table string, cols []string, fk string, set func(*ConfigurationItem, []string, []json.RawMessage) error) *foldedEdge {
	return &foldedEdge{edge: edge, table: table, columns: cols, fk: fk,
		set: func(n *ConfigurationItem, rows [][]json.RawMessage) error {
			if len(rows) == 0 {
				return set(n, cols, nil)
			}
			return set(n, cols, rows[0])
		},
	}
}

// selectSQL adds the edge to s and returns the expression of its column:
// a JSON array per row, as text. A to-one edge joins its table (at most one
// row: the foreign key's target) and gives one array, or NULL (” on
// SQLite) when absent; a list is a sub-select aggregating its rows (NULL or
// [] when there are none).
func (f *foldedEdge) selectSQL(s *sql.Selector, d string) string {
	array, agg, text, none := "json_build_array", "json_agg", "::text", "NULL"
	if d == dialect.SQLite {
		// modernc reports a NULL in an expression column as having no
		// type, which ent's scan cannot take: an absent edge is ''.
		array, agg, text, none = "json_array", "json_group_array", "", "''"
	}
	alias := f.column + "_t"
	row := func(alias string) string {
		var b strings.Builder
		b.WriteString(array + "(")
		for i, c := range f.columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(alias) + "." + quote(c))
		}
		b.WriteString(")")
		return b.String()
	}
	if !f.many {
		t := sql.Table(f.table).As(alias)
		s.LeftJoin(t).On(s.C(f.fk), t.C("id"))
		return fmt.Sprintf(`CASE WHEN %s."id" IS NULL THEN %s ELSE %s%s END`, quote(alias), none, row(alias), text)
	}
	// No ORDER BY: the rows come in the order of the plan ent's own load
	// gets (the same index), so folding changes no answer's order.
	var b strings.Builder
	fmt.Fprintf(&b, `(SELECT %s(%s)%s FROM %s AS "f"`, agg, row("f"), text, quote(f.table))
	if f.join != "" {
		b.WriteString(" " + f.join)
	}
	b.WriteString(" WHERE " + f.where(s.C) + ")")
	return b.String()
}

// assign decodes the edge's column of n and sets the edge.
func (f *foldedEdge) assign(n *ConfigurationItem) error {
	v, err := n.Value(f.column)
	if err != nil {
		return err
	}
	var raw []byte
	switch v := v.(type) {
	case nil:
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		return fmt.Errorf("unexpected %T", v)
	}
	var rows [][]json.RawMessage
	switch {
	case len(raw) == 0:
	case f.many:
		elems, err := splitJSONArray(raw)
		if err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		for _, e := range elems {
			row, err := splitJSONArray(e)
			if err != nil {
				return fmt.Errorf("decoding: %w", err)
			}
			rows = append(rows, row)
		}
	default:
		row, err := splitJSONArray(raw)
		if err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		rows = [][]json.RawMessage{row}
	}
	n.selectValues.Set(f.column, nil)
	return f.set(n, rows)
}

// decodeFolded fills an entity from one JSON row through its own
// scanValues/assignValues, so its field conversions stay ent's.
func decodeFolded(cols []string, row []json.RawMessage, scan func([]string) ([]any, error), assign func([]string, []any) error) error {
	if len(row) != len(cols) {
		return fmt.Errorf("%d values for %d columns", len(row), len(cols))
	}
	values, err := scan(cols)
	if err != nil {
		return err
	}
	for i, raw := range row {
		if err := scanJSON(values[i], raw); err != nil {
			return fmt.Errorf("column %s: %w", cols[i], err)
		}
	}
	return assign(cols, values)
}

// scanJSON sets a scan holder from PostgreSQL's JSON rendering of a value.
func scanJSON(dst any, raw json.RawMessage) error {
	isNull := string(raw) == "null"
	switch d := dst.(type) {
	case *sql.NullString:
		if isNull {
			*d = sql.NullString{}
			return nil
		}
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		*d = sql.NullString{String: s, Valid: true}
	case *sql.NullInt64:
		if isNull {
			*d = sql.NullInt64{}
			return nil
		}
		i, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return err
		}
		*d = sql.NullInt64{Int64: i, Valid: true}
	case *sql.NullFloat64:
		if isNull {
			*d = sql.NullFloat64{}
			return nil
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return err
		}
		*d = sql.NullFloat64{Float64: f, Valid: true}
	case *sql.NullBool:
		if isNull {
			*d = sql.NullBool{}
			return nil
		}
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		*d = sql.NullBool{Bool: b, Valid: true}
	case *sql.NullTime:
		if isNull {
			*d = sql.NullTime{}
			return nil
		}
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			// SQLite keeps times as text in the store's layout
			// (internal/store SQLiteTimeLayout).
			if t, err = time.Parse(sqliteTimeLayout, s); err != nil {
				return err
			}
		}
		// pgx and modernc hand times over in the process's zone.
		*d = sql.NullTime{Time: t.Local(), Valid: true}
	case *[]byte:
		if isNull {
			*d = nil
			return nil
		}
		*d = append([]byte(nil), raw...)
	default:
		return fmt.Errorf("no JSON decoding for %T", dst)
	}
	return nil
}

// splitJSONArray returns the raw elements of a JSON array, checking only
// what it needs to find their ends (the elements are checked as they are
// decoded). encoding/json's generic decoding was a fifth of a folded query's
// cost.
func splitJSONArray(raw []byte) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return nil, fmt.Errorf("not a JSON array: %.40q", raw)
	}
	var (
		out   []json.RawMessage
		depth int
		inStr bool
		start = -1
	)
	for i := 1; i < len(raw)-1; i++ {
		c := raw[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inStr = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced JSON array: %.40q", raw)
			}
		case ',':
			if depth == 0 {
				if start < 0 {
					return nil, fmt.Errorf("empty element in JSON array: %.40q", raw)
				}
				out = append(out, bytes.TrimSpace(raw[start:i]))
				start = -1
				continue
			}
		}
		if start < 0 {
			start = i
		}
	}
	if inStr || depth != 0 {
		return nil, fmt.Errorf("unterminated JSON array: %.40q", raw)
	}
	if start >= 0 {
		out = append(out, bytes.TrimSpace(raw[start:len(raw)-1]))
	} else if len(out) > 0 {
		return nil, fmt.Errorf("trailing comma in JSON array: %.40q", raw)
	}
	return out, nil
}

// jsonString decodes a JSON string, without encoding/json when it holds no
// escapes.
func jsonString(raw json.RawMessage) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		s := raw[1 : len(raw)-1]
		if bytes.IndexByte(s, '"') < 0 && utf8.Valid(s) {
			return string(s), nil
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
}

// fieldsOr is the query's selected fields and extra, or all columns; the
// ID first.
func fieldsOr(qc *QueryContext, all []string, extra ...string) []string {
	if len(qc.Fields) == 0 {
		return all
	}
	cols := []string{"id"}
	for _, f := range append(append([]string(nil), qc.Fields...), extra...) {
		if !slices.Contains(cols, f) {
			cols = append(cols, f)
		}
	}
	return cols
}

// plainQuery reports whether an edge query only selects fields: every
// field of the query struct but its config, context and (empty)
// interceptors is zero, and the context sets no limit or offset. Reflection
// keeps this true when entc adds edges (a new with* field is non-zero when
// used, so it is never folded away unseen).
func plainQuery(q any, qc *QueryContext) bool {
	if qc == nil || qc.Limit != nil || qc.Offset != nil || (qc.Unique != nil && *qc.Unique) {
		return false
	}
	v := reflect.ValueOf(q).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		switch t.Field(i).Name {
		case "config", "ctx":
			continue
		}
		if f.Kind() == reflect.Slice || f.Kind() == reflect.Map {
			if f.Len() != 0 {
				return false
			}
			continue
		}
		if !f.IsZero() {
			return false
		}
	}
	return true
}

// sqliteTimeLayout is internal/store's SQLiteTimeLayout (ent cannot import
// internal packages that import it; TestFoldEdgesEqualsEntPath fails if
// they part).
const sqliteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }
