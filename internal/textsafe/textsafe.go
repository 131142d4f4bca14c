// Package textsafe is the one rule for text that Cairn stores as a name and
// writes for people and their tools: which characters a name may not hold
// (CheckName, applied by internal/hooks to every write path), and how a
// value is escaped on the way out to a terminal (Display), a CSV cell
// (CSVCell) or a Markdown table cell (MarkdownCell). Every CSV and Markdown
// writer in the project goes through these functions, so a value that is
// safe in one report is safe in all of them. It is a leaf package (standard
// library only) so that every layer can use it.
//
// # Names
//
// A name, host name, serial number, asset tag, cost centre and the like is
// one line of visible text. Refused (Unsafe): invalid UTF-8; every control
// character (Unicode Cc: C0 including NUL, tab, CR and LF; DEL; C1); every
// format character (Cf) but the joiners U+200C and U+200D that scripts and
// emoji need: the bidirectional formatting characters (U+061C, U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069), which reorder what a terminal or a
// report shows around them, the invisible U+200B (zero-width space), U+2060
// (word joiner), U+00AD (soft hyphen) and U+FEFF (byte order mark), which
// make two different names look the same, and the tag characters
// U+E0000–U+E007F, which carry hidden text; and the line and paragraph
// separators U+2028 and U+2029 (Zl, Zp). Identifiers (internal/ident) are
// stricter still and refuse the joiners too.
//
// # CSV
//
// The OWASP rule against formula injection: a cell whose first character
// after any leading spaces is =, +, -, @, tab, carriage return or line feed
// is written with a leading apostrophe, so that a spreadsheet shows it as
// text instead of running it. A cell that is a plain decimal number (an
// optional sign, digits, an optional fraction: -12.50, +3, 1000.00) is left
// as it is, so that amounts, negative ones included, stay numbers an
// accountant can add up. encoding/csv does the quoting.
//
// # Markdown
//
// A table cell is one line: CR, LF and tab become spaces, other unsafe
// characters become visible escapes (as Display), and every character that
// could start markup is backslash-escaped: \ | ` * _ [ ] < > ~ & $. An
// underscore between two letters or digits (ATTRIBUTE_CHANGED, db_01)
// cannot open or close emphasis and is left as it is.
package textsafe

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether r may not appear in a name: a control character
// (Unicode Cc), a format character (Cf: the bidirectional controls, the
// zero-width space, the byte order mark, tags, the soft hyphen …) other
// than the joiners U+200C and U+200D, or a line or paragraph separator (Zl,
// Zp). See the package documentation.
func Unsafe(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7f: // printable ASCII, the common case
		return false
	case r == 0x200c, r == 0x200d: // ZWNJ, ZWJ: scripts and emoji need them
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// NameError is why a name was refused: the first unsafe character and its
// position (in characters, from 1).
type NameError struct {
	Rune     rune
	Position int
	Invalid  bool // the bytes are not UTF-8
}

func (e *NameError) Error() string {
	if e.Invalid {
		return fmt.Sprintf("is not valid UTF-8 (at character %d)", e.Position)
	}
	return fmt.Sprintf("must be one line of visible text: it holds the %s character %U at character %d",
		kindOf(e.Rune), e.Rune, e.Position)
}

func kindOf(r rune) string {
	switch {
	case unicode.IsControl(r):
		return "control"
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return "bidirectional formatting"
	case r == 0x2028, r == 0x2029:
		return "line separator"
	}
	return "invisible formatting"
}

// CheckName returns a *NameError for the first character of s that a name
// may not hold, or nil.
func CheckName(s string) error {
	pos := 0
	for i, r := range s {
		pos++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return &NameError{Position: pos, Invalid: true}
			}
		}
		if Unsafe(r) {
			return &NameError{Rune: r, Position: pos}
		}
	}
	return nil
}

// Display returns s with every unsafe character replaced by a visible
// escape (\x00, \t, \n, \u202e, \U000e0041; a byte that is not UTF-8 as
// \xff), so that a terminal, a table or a log shows what is there instead
// of being steered by it. Safe text is returned as it is.
func Display(s string) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	writeEscaped(&b, s, false)
	return b.String()
}

func isSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if Unsafe(r) {
			return false
		}
	}
	return true
}

// writeEscaped writes s with unsafe characters escaped; with oneLine, CR, LF
// and tab become spaces instead.
func writeEscaped(b *strings.Builder, s string, oneLine bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case oneLine && (r == '\r' || r == '\n' || r == '\t'):
			b.WriteByte(' ')
		case Unsafe(r):
			q := strconv.QuoteRuneToASCII(r) // '\u202e', '\x00', '\t'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// CSVCell returns s as a CSV cell that a spreadsheet shows as text: see the
// package documentation.
func CSVCell(s string) string {
	t := strings.TrimLeft(s, " ")
	if t == "" {
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		if t == s && isDecimal(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// CSVRow applies CSVCell to every cell of row, in place, and returns it.
func CSVRow(row []string) []string {
	for i := range row {
		row[i] = CSVCell(row[i])
	}
	return row
}

// isDecimal reports whether s is an optional sign, digits and an optional
// fraction of digits.
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	intPart, frac, dotted := strings.Cut(s, ".")
	return allDigits(intPart) && (!dotted || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MarkdownCell returns s escaped for a Markdown table cell (or any one line
// of Markdown text): see the package documentation.
func MarkdownCell(s string) string {
	var line strings.Builder
	line.Grow(len(s))
	writeEscaped(&line, s, true)
	rs := []rune(line.String())
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range rs {
		switch r {
		case '_':
			if i > 0 && i+1 < len(rs) && alnum(rs[i-1]) && alnum(rs[i+1]) {
				b.WriteRune(r)
				break
			}
			b.WriteString(`\_`)
		case '\\', '|', '`', '*', '[', ']', '<', '>', '~', '&', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func alnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
