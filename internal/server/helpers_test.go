package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// counts is the number of rows of every entity type.
type counts map[string]int

// rowCounts counts the rows of every entity table, audit events included.
func rowCounts(t *testing.T, env *servertest.Env) counts {
	t.Helper()
	ctx := context.Background()
	c := env.DB.Client
	out := counts{}
	for name, f := range map[string]func() (int, error){
		"ConfigurationItem": func() (int, error) { return c.ConfigurationItem.Query().Count(ctx) },
		"Identifier":        func() (int, error) { return c.Identifier.Query().Count(ctx) },
		"Relationship":      func() (int, error) { return c.Relationship.Query().Count(ctx) },
		"Service":           func() (int, error) { return c.Service.Query().Count(ctx) },
		"Owner":             func() (int, error) { return c.Owner.Query().Count(ctx) },
		"Vendor":            func() (int, error) { return c.Vendor.Query().Count(ctx) },
		"Contract":          func() (int, error) { return c.Contract.Query().Count(ctx) },
		"Asset":             func() (int, error) { return c.Asset.Query().Count(ctx) },
		"Location":          func() (int, error) { return c.Location.Query().Count(ctx) },
		"ChangeRecord":      func() (int, error) { return c.ChangeRecord.Query().Count(ctx) },
		"APIToken":          func() (int, error) { return c.APIToken.Query().Count(ctx) },
		"AuditEvent":        func() (int, error) { return c.AuditEvent.Query().Count(ctx) },
	} {
		n, err := f()
		if err != nil {
			t.Fatalf("counting %s: %v", name, err)
		}
		out[name] = n
	}
	return out
}

func (c counts) diff(o counts) string {
	var out []string
	for k, v := range c {
		if o[k] != v {
			out = append(out, fmt.Sprintf("%s %d → %d", k, v, o[k]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// mustNotWrite runs fn and fails when any row count changed.
func mustNotWrite(t *testing.T, env *servertest.Env, fn func()) {
	t.Helper()
	before := rowCounts(t, env)
	fn()
	if d := before.diff(rowCounts(t, env)); d != "" {
		t.Errorf("a refused request wrote rows: %s", d)
	}
}

// wantErr checks that r failed with exactly one error of code (and field,
// when field is not empty) whose message contains msg.
func wantErr(t *testing.T, r servertest.Response, code, field, msg string) servertest.Error {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want one %s error, got %s", code, r)
	}
	e := r.Errors[0]
	if e.Code() != code {
		t.Errorf("extensions.code = %q, want %q (%s)", e.Code(), code, r)
	}
	if field != "" && e.Field() != field {
		t.Errorf("extensions.field = %q, want %q (%s)", e.Field(), field, r)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message %q does not contain %q", e.Message, msg)
	}
	return e
}

// get walks decoded JSON along a dotted path ("a.b.0.c").
func get(t *testing.T, v any, path string) any {
	t.Helper()
	cur := v
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = c[p]; !ok {
				t.Fatalf("no %q in %v (path %s)", p, c, path)
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(c) {
				t.Fatalf("bad index %q into list of %d (path %s)", p, len(c), path)
			}
			cur = c[i]
		default:
			t.Fatalf("cannot walk %q into %T (path %s)", p, cur, path)
		}
	}
	return cur
}

// data decodes r's data into generic JSON after checking it succeeded.
func data(t *testing.T, r servertest.Response) map[string]any {
	t.Helper()
	r.OK(t)
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// str is get for string values.
func str(t *testing.T, v any, path string) string {
	t.Helper()
	s, ok := get(t, v, path).(string)
	if !ok {
		t.Fatalf("%s is %T, want a string", path, get(t, v, path))
	}
	return s
}

var (
	hex16Re       = regexp.MustCompile(`^[0-9a-f]{16}$`)
	tokenPrefixRe = regexp.MustCompile(`^cairn_[A-Za-z0-9_-]{6}$`)
	secretRe      = regexp.MustCompile(`^cairn_[A-Za-z0-9_-]{43}$`)
)

// idKeys hold global IDs in responses.
var idKeys = map[string]bool{
	"id": true, "entityID": true, "ownerID": true, "vendorID": true, "locationID": true,
	"fromID": true, "toID": true, "configurationItemID": true, "teamID": true,
}

// unorderedKeys name plain (unpaginated) edge lists: ent loads them without
// an ORDER BY, so SQLite and PostgreSQL return them in different orders.
// normalize sorts them.
var unorderedKeys = map[string]bool{
	"identifiers": true, "incoming": true, "outgoing": true, "services": true, "members": true,
	"contracts": true,
}

// normalize makes a JSON document deterministic for golden files: global
// IDs become ID#n in order of first appearance (wherever the same value
// shows up again, as a string or a number), timestamps near now become
// <now>, cursors <cursor>, generated request IDs <request-id> and token
// prefixes <token-prefix>. Dates set by the tests are kept.
func normalize(t *testing.T, raw []byte) []byte {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("normalize: %v", err)
	}
	var sortLists func(k string, v any)
	sortLists = func(k string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for kk, vv := range x {
				sortLists(kk, vv)
			}
		case []any:
			for _, e := range x {
				sortLists(k, e)
			}
			if unorderedKeys[k] {
				sort.SliceStable(x, func(i, j int) bool {
					a, _ := json.Marshal(x[i])
					b, _ := json.Marshal(x[j])
					return string(a) < string(b)
				})
			}
		}
	}
	sortLists("", v)
	ids := map[string]string{}
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := x[k].(string); ok && idKeys[k] {
					if _, seen := ids[s]; !seen {
						ids[s] = fmt.Sprintf("ID#%d", len(ids)+1)
					}
				}
				collect(x[k])
			}
		case []any:
			for _, e := range x {
				collect(e)
			}
		}
	}
	collect(v)
	now := time.Now()
	var rewrite func(k string, v any) any
	rewrite = func(k string, v any) any {
		switch x := v.(type) {
		case map[string]any:
			for kk, vv := range x {
				x[kk] = rewrite(kk, vv)
			}
			return x
		case []any:
			for i, e := range x {
				x[i] = rewrite(k, e)
			}
			return x
		case json.Number:
			if id, ok := ids[x.String()]; ok {
				return id
			}
			return x
		case string:
			if id, ok := ids[x]; ok {
				return id
			}
			switch {
			case k == "cursor" || k == "startCursor" || k == "endCursor":
				return "<cursor>"
			case k == "requestID" && hex16Re.MatchString(x):
				return "<request-id>"
			case tokenPrefixRe.MatchString(x):
				return "<token-prefix>"
			case secretRe.MatchString(x):
				return "<secret>"
			}
			if ts, err := time.Parse(time.RFC3339Nano, x); err == nil && ts.Sub(now).Abs() < 24*time.Hour {
				return "<now>"
			}
			return x
		}
		return v
	}
	v = rewrite("", v)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return out.Bytes()
}

// golden compares got (JSON) after normalize with testdata/name.golden, or
// rewrites the file with -update. Every backend compares with the same file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = normalize(t, got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("response differs from %s (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// goldenJSON marshals v and compares it with the golden file.
func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name, b)
}

// day parses a YYYY-MM-DD date as midnight UTC.
func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
