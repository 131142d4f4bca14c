package report

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// The report's SQL is written once for both engines: numbered placeholders
// ($1, $2, …; PostgreSQL's own, and accepted by SQLite), no engine-specific
// functions, no collation-dependent ORDER BY (names are sorted in Go, byte
// order), and times bound as parameters in UTC, which SQLite compares as
// the same text ent writes.

// args collects the parameters of one statement.
type args struct{ vals []any }

// p adds v and returns its placeholder.
func (a *args) p(v any) string {
	if t, ok := v.(time.Time); ok {
		v = t.UTC()
	}
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

// in returns "(…)" with one placeholder per value.
func (a *args) in(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.p(v)
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

// scopeSQL returns the conditions (each starting with " AND ") that keep
// only CIs (alias ci) inside s. A row without a CI fails every condition, so
// a scoped report leaves out drifts that name no CI.
func scopeSQL(s Scope, a *args) string {
	var b strings.Builder
	if len(s.Kinds) > 0 {
		b.WriteString(" AND ci.kind IN " + a.in(s.Kinds))
	}
	if len(s.Environments) > 0 {
		b.WriteString(" AND ci.environment IN " + a.in(s.Environments))
	}
	if len(s.Owners) > 0 {
		// A team's name also covers the CIs of the persons in it.
		l := a.in(s.Owners)
		b.WriteString(" AND ci.owner_id IN (SELECT so.id FROM owners so WHERE so.name IN " + l +
			" OR so.team_id IN (SELECT st.id FROM owners st WHERE st.name IN " + l + "))")
	}
	if len(s.Services) > 0 {
		b.WriteString(" AND ci.id IN (SELECT ssm.configuration_item_id FROM service_members ssm" +
			" JOIN services ss ON ss.id = ssm.service_id WHERE ss.name IN " + a.in(s.Services) + ")")
	}
	return b.String()
}

// validateScope refuses enum values that do not exist and names of
// services or owners that are not recorded: a scheduled report with a
// misspelt scope would otherwise say "No drift" forever.
func validateScope(ctx context.Context, c *ent.Client, s Scope) error {
	for _, k := range s.Kinds {
		if err := configurationitem.KindValidator(configurationitem.Kind(k)); err != nil {
			return fmt.Errorf("report scope: unknown CI kind %q", k)
		}
	}
	for _, e := range s.Environments {
		if err := configurationitem.EnvironmentValidator(configurationitem.Environment(e)); err != nil {
			return fmt.Errorf("report scope: unknown environment %q", e)
		}
	}
	if len(s.Services) > 0 {
		have, err := c.Service.Query().Where(service.NameIn(s.Services...)).Select(service.FieldName).Strings(ctx)
		if err != nil {
			return fmt.Errorf("report scope: reading services: %w", err)
		}
		if miss := missing(s.Services, have); len(miss) > 0 {
			return fmt.Errorf("report scope: no service named %s", quoted(miss))
		}
	}
	if len(s.Owners) > 0 {
		have, err := c.Owner.Query().Where(owner.NameIn(s.Owners...)).Select(owner.FieldName).Strings(ctx)
		if err != nil {
			return fmt.Errorf("report scope: reading owners: %w", err)
		}
		if miss := missing(s.Owners, have); len(miss) > 0 {
			return fmt.Errorf("report scope: no owner named %s", quoted(miss))
		}
	}
	return nil
}

func missing(want, have []string) []string {
	got := make(map[string]bool, len(have))
	for _, h := range have {
		got[h] = true
	}
	var out []string
	for _, w := range want {
		if !got[w] {
			out = append(out, w)
		}
	}
	return out
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// query runs q and calls fn for every row.
func query(ctx context.Context, c *ent.Client, what, q string, a *args, fn func(*sql.Rows) error) error {
	return store.EachRow(ctx, c, what, q, a.vals, fn)
}

// nullTime scans a time column, also when SQLite hands an aggregate
// (MAX(last_seen_at)) back as text.
type nullTime struct {
	Time  time.Time
	Valid bool
}

// timeLayouts are the text forms of times SQLite may return.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// Scan implements sql.Scanner.
func (t *nullTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = nullTime{}
		return nil
	case time.Time:
		*t = nullTime{Time: v.UTC(), Valid: true}
		return nil
	case []byte:
		return t.parse(string(v))
	case string:
		return t.parse(v)
	}
	return fmt.Errorf("cannot read %T as a time", src)
}

func (t *nullTime) parse(s string) error {
	s = strings.TrimSpace(s)
	// A monotonic clock reading ("m=+0.1") never belongs in storage, but
	// time.Time.String writes one.
	if i := strings.Index(s, " m="); i >= 0 {
		s = s[:i]
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			*t = nullTime{Time: v.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("cannot parse time %q", s)
}

func (t nullTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func str(s sql.NullString) string {
	if s.Valid {
		return s.String
	}
	return ""
}
