// Package backupfile is the file format of Cairn's backups (see package
// backup for what goes in them): a gzip stream of JSON lines, a header,
// each table's typed rows between a table header and an end line with the
// table's row count and SHA-256, and a trailer with the checksum of every
// byte before it. Writer writes one; Read parses one, checking everything,
// for a Visitor. It knows nothing of databases, so the parser of files
// that come from outside is small enough to fuzz.
package backupfile

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Format and Version name the file format. A reader refuses other formats
// and newer versions.
const (
	Format  = "cairn-backup"
	Version = 1
)

// Kind is a column's type in a backup, the same on every engine.
type Kind string

// The column kinds and how a row line writes them.
const (
	KindInt    Kind = "int"    // a JSON number
	KindFloat  Kind = "float"  // a JSON number, or "NaN", "+Inf", "-Inf"
	KindBool   Kind = "bool"   // true or false
	KindString Kind = "string" // a JSON string, or {"utf8":false,"base64":…} for bytes that are not UTF-8
	KindTime   Kind = "time"   // RFC 3339 with nanoseconds, in UTC
	KindJSON   Kind = "json"   // the stored JSON text, as a JSON string (SQL NULL and JSON null stay apart)
	KindBytes  Kind = "bytes"  // standard base64
)

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindInt, KindFloat, KindBool, KindString, KindTime, KindJSON, KindBytes:
		return true
	}
	return false
}

// Header is the first line of a backup.
type Header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// CreatedAt is when the snapshot was taken.
	CreatedAt time.Time `json:"createdAt"`
	// Engine is the database the backup was taken from: sqlite or postgres.
	Engine string `json:"engine"`
	// Cairn is the version of the binary that wrote it.
	Cairn string `json:"cairn,omitempty"`
	// Schema fingerprints the tables and columns (names and kinds) of the
	// schema the writer migrates to; a restore checks columns by name, so
	// the fingerprint tells, it does not gate.
	Schema string `json:"schema"`
	// SecretKeyID identifies the key that sealed the credentials in the
	// backup (when the writer had one); it does not reveal the key.
	SecretKeyID string `json:"secretKeyId,omitempty"`
	// SecretKey is the key itself (hex), only with --include-key.
	SecretKey string `json:"secretKey,omitempty"`
}

// TableHeader opens a table's section.
type TableHeader struct {
	Table   string      `json:"table"`
	Columns [][2]string `json:"columns"` // [name, kind]
	// Sequence is the largest ID the table's sequence had handed out (0
	// when none or unknown), so a restore never hands out an ID again that
	// the audit trail may name.
	Sequence int64 `json:"sequence,omitempty"`
}

// TableEnd closes a table's section.
type TableEnd struct {
	End    string `json:"end"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"` // of the table's row lines, newlines included
}

// TableSummary is one table in the Manifest.
type TableSummary struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// Trailer is the last line: the summary and the checksum of every byte
// before it.
type Trailer struct {
	Tables []TableSummary `json:"tables"`
	Rows   int64          `json:"rows"`
	SHA256 string         `json:"sha256"`
}

type trailerLine struct {
	Trailer *Trailer `json:"trailer"`
}

// Manifest describes a backup: its header and its trailer.
type Manifest struct {
	Header
	Trailer
}

// Table returns the summary of the named table.
func (m *Manifest) Table(name string) (TableSummary, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return TableSummary{}, false
}

// appendValue appends v, a value scanned for a column of kind k, to a row
// line. nil is SQL NULL.
func appendValue(b []byte, k Kind, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch k {
	case KindInt:
		n, ok := v.(int64)
		if !ok {
			break
		}
		return strconv.AppendInt(b, n, 10), nil
	case KindFloat:
		f, ok := v.(float64)
		if !ok {
			break
		}
		switch {
		case math.IsNaN(f):
			return append(b, `"NaN"`...), nil
		case math.IsInf(f, 1):
			return append(b, `"+Inf"`...), nil
		case math.IsInf(f, -1):
			return append(b, `"-Inf"`...), nil
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64), nil
	case KindBool:
		x, ok := v.(bool)
		if !ok {
			break
		}
		return strconv.AppendBool(b, x), nil
	case KindString:
		s, ok := v.(string)
		if !ok {
			break
		}
		if !utf8.ValidString(s) {
			b = append(b, `{"utf8":false,"base64":"`...)
			b = base64.StdEncoding.AppendEncode(b, []byte(s))
			return append(b, `"}`...), nil
		}
		return appendString(b, s), nil
	case KindTime:
		t, ok := v.(time.Time)
		if !ok {
			break
		}
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	case KindJSON:
		raw, ok := asBytes(v)
		if !ok {
			break
		}
		if !utf8.Valid(raw) {
			return nil, errors.New("stored JSON is not UTF-8")
		}
		return appendString(b, string(raw)), nil
	case KindBytes:
		raw, ok := asBytes(v)
		if !ok {
			break
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"'), nil
	}
	return nil, fmt.Errorf("a %T value for a %s column", v, k)
}

func asBytes(v any) ([]byte, bool) {
	switch b := v.(type) {
	case []byte:
		return b, true
	case json.RawMessage:
		return b, true
	}
	return nil, false
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, everything else as it is (s is valid UTF-8).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// DecodeValue reads one value of a row line for a column of kind k into
// the Go value a restore binds: int64, float64, bool, string, time.Time,
// json.RawMessage, []byte, or nil.
func DecodeValue(k Kind, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	switch k {
	case KindInt:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %s", clip(raw))
		}
		return n, nil
	case KindFloat:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			switch s {
			case "NaN":
				return math.NaN(), nil
			case "+Inf":
				return math.Inf(1), nil
			case "-Inf":
				return math.Inf(-1), nil
			}
			return nil, fmt.Errorf("want a number, got %s", clip(raw))
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", clip(raw))
		}
		return f, nil
	case KindBool:
		switch string(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", clip(raw))
	case KindString:
		if len(raw) > 0 && raw[0] == '{' {
			var o struct {
				UTF8   *bool  `json:"utf8"`
				Base64 string `json:"base64"`
			}
			if err := json.Unmarshal(raw, &o); err != nil || o.UTF8 == nil || *o.UTF8 {
				return nil, fmt.Errorf("want a string, got %s", clip(raw))
			}
			b, err := base64.StdEncoding.DecodeString(o.Base64)
			if err != nil {
				return nil, fmt.Errorf("bad base64 in a string that is not UTF-8: %w", err)
			}
			return string(b), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("want a string, got %s", clip(raw))
		}
		return s, nil
	case KindTime:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("want a time, got %s", clip(raw))
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("want an RFC 3339 time, got %q", s)
		}
		return t.UTC(), nil
	case KindJSON:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("want JSON text as a string, got %s", clip(raw))
		}
		return json.RawMessage(s), nil
	case KindBytes:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("want base64 as a string, got %s", clip(raw))
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("bad base64: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown column kind %q", k)
}

// clip shortens a value quoted in an error.
func clip(raw []byte) string { return textclip.Message(string(raw)) }

// Summary is a manifest in a few lines, for the CLI.
func (m *Manifest) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "format %s version %d, taken %s from %s", m.Format, m.Version, m.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), m.Engine)
	if m.Cairn != "" {
		fmt.Fprintf(&b, " by cairn %s", m.Cairn)
	}
	fmt.Fprintf(&b, ", schema %s\n", m.Schema)
	fmt.Fprintf(&b, "%d rows in %d tables, sha256 %s\n", m.Rows, len(m.Tables), m.SHA256)
	for _, t := range m.Tables {
		if t.Rows > 0 {
			fmt.Fprintf(&b, "  %-34s %9d\n", t.Name, t.Rows)
		}
	}
	return b.String()
}
