package backupfile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type recorder struct {
	header *Header
	tables []TableHeader
	counts map[string]int
	rows   [][]any
}

func (r *recorder) Header(h *Header) error { r.header = h; return nil }
func (r *recorder) Table(th *TableHeader) error {
	r.tables = append(r.tables, *th)
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	return nil
}
func (r *recorder) Row(v []any) error {
	r.rows = append(r.rows, append([]any(nil), v...))
	r.counts[r.tables[len(r.tables)-1].Table]++
	return nil
}
func (r *recorder) EndTable(*TableEnd) error { return nil }

var allKinds = [][2]string{{"id", "int"}, {"f", "float"}, {"b", "bool"}, {"s", "string"}, {"at", "time"}, {"j", "json"}, {"x", "bytes"}}

// sampleRows are values of every kind, edge cases included.
var sampleRows = [][]any{
	{int64(1), 1.5, true, "plain", time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), json.RawMessage(`{"a":[1,2]}`), []byte{0, 1, 2}},
	{int64(math.MaxInt64), math.NaN(), false, "quote \" backslash \\ newline \n tab \t nul \x00 bell \x07 bidi \u202e é 😀", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), json.RawMessage(`null`), []byte{}},
	{int64(math.MinInt64), math.Inf(-1), nil, "not utf-8: \xff\xfe", nil, json.RawMessage(`"x"`), nil},
	{int64(0), math.Inf(1), true, "", time.Date(2026, 6, 1, 0, 0, 0, 1, time.UTC), nil, []byte("bytes")},
	{int64(-5), math.Copysign(0, -1), nil, nil, nil, json.RawMessage(" { \"spaced\" : 1 } "), nil},
}

// sample is a backup of one table holding sampleRows and one empty table.
func sample(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, 0, Header{Engine: "sqlite", Schema: "sha256:test", CreatedAt: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.BeginTable(TableHeader{Table: "t", Columns: allKinds, Sequence: 9}); err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleRows {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.EndTable(); err != nil {
		t.Fatal(err)
	}
	if err := w.BeginTable(TableHeader{Table: "empty", Columns: [][2]string{{"id", "int"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.EndTable(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzip(t testing.TB, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestRoundTrip: every kind's values, NULLs, NaN and infinities, strings
// that are not UTF-8, control characters, empty bytes (not NULL) and JSON
// text as stored read back exactly as written.
func TestRoundTrip(t *testing.T) {
	file := sample(t)
	rec := &recorder{}
	m, err := Read(bytes.NewReader(file), rec)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != int64(len(sampleRows)) || len(m.Tables) != 2 || m.Tables[1].Rows != 0 {
		t.Fatalf("manifest %+v", m.Trailer)
	}
	if rec.tables[0].Sequence != 9 || m.Engine != "sqlite" || m.Format != Format || m.Version != Version {
		t.Errorf("headers %+v %+v", rec.tables[0], m.Header)
	}
	for i, want := range sampleRows {
		got := rec.rows[i]
		for j := range want {
			w, g := want[j], got[j]
			if f, ok := w.(float64); ok && math.IsNaN(f) {
				if gf, ok := g.(float64); !ok || !math.IsNaN(gf) {
					t.Errorf("row %d col %s: %#v, want NaN", i, allKinds[j][0], g)
				}
				continue
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("row %d col %s: %#v, want %#v", i, allKinds[j][0], g, w)
			}
		}
	}
	// -0 keeps its sign.
	if f := rec.rows[4][1].(float64); !math.Signbit(f) {
		t.Errorf("-0 read back as %v", f)
	}
	text := gunzip(t, file)
	for _, want := range []string{`"NaN"`, `"-Inf"`, `{"utf8":false,"base64":`, `"\u0000`[:2], `\u0007`, `"2026-01-02T03:04:05.123456789Z"`, `"{\"a\":[1,2]}"`, `""`} {
		if !strings.Contains(text, want) {
			t.Errorf("the file does not contain %s:\n%s", want, text)
		}
	}
}

// TestValuesRefused: a value of the wrong shape for its column is an error
// that names the column, on reading and on writing.
func TestValuesRefused(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		raw  string
		want string
	}{
		{KindInt, `1.5`, "want an integer"},
		{KindInt, `"1"`, "want an integer"},
		{KindFloat, `"Infinity"`, "want a number"},
		{KindBool, `1`, "want true or false"},
		{KindString, `{"utf8":true,"base64":""}`, "want a string"},
		{KindString, `{"utf8":false,"base64":"!!"}`, "bad base64"},
		{KindTime, `"2026-01-02 03:04:05"`, "want an RFC 3339 time"},
		{KindJSON, `{"a":1}`, "want JSON text as a string"},
		{KindBytes, `"%%"`, "bad base64"},
		{Kind("blob"), `"x"`, "unknown column kind"},
	} {
		_, err := DecodeValue(c.kind, json.RawMessage(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeValue(%s, %s) = %v, want an error saying %q", c.kind, c.raw, err, c.want)
		}
	}
	var b bytes.Buffer
	w, err := NewWriter(&b, 0, Header{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.BeginTable(TableHeader{Table: "t", Columns: [][2]string{{"n", "int"}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Row([]any{"seven"}); err == nil || !strings.Contains(err.Error(), "column n") {
		t.Errorf("Row of a string for an int column: %v, want an error naming column n", err)
	}
}
