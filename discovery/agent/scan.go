package agent

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanXML is parseXML's fast path. encoding/xml reads a 250 KB inventory
// at about 35 MB/s (7 ms, 70,000 allocations), too slow for the 20
// inventories a second the server must take on two cores, so the common
// shape of the agents' XML (elements without attributes or namespaces,
// text with the predefined entities and character references, CDATA,
// comments, the XML declaration) is read here, with the text as
// substrings of one copy of the body.
//
// It is conservative: it reports ok only for a document encoding/xml
// accepts and reads to the same tree (FuzzScanXML checks this), and false
// on anything else (a DOCTYPE, an attribute, a malformed or unusual
// document), for which parseXML runs encoding/xml, which then gives the
// result or the error.
func scanXML(body []byte) (root *Node, ok bool) {
	s := string(body)
	type open struct {
		name  string
		kids  int // index in kids of the first child
		text  int // start of the element's text in s, or -1 when built in buf
		start int
	}
	var (
		stack []open
		kids  = make([]Node, 0, 256)
		buf   []byte // the text of an element being decoded (entities, CDATA)
		// text of the innermost open element: s[textStart:textEnd] while
		// it is one plain run, else buf.
		textStart, textEnd = -1, -1
		inBuf              bool
	)
	resetText := func() { textStart, textEnd, inBuf = -1, -1, false; buf = buf[:0] }
	addText := func(from, to int) {
		if from == to {
			return
		}
		switch {
		case inBuf:
			buf = append(buf, s[from:to]...)
		case textStart < 0:
			textStart, textEnd = from, to
		case textEnd == from:
			textEnd = to
		default:
			buf = append(buf[:0], s[textStart:textEnd]...)
			buf = append(buf, s[from:to]...)
			inBuf = true
		}
	}
	addDecoded := func(b []byte) {
		if !inBuf {
			buf = buf[:0]
			if textStart >= 0 {
				buf = append(buf, s[textStart:textEnd]...)
			}
			inBuf = true
		}
		buf = append(buf, b...)
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if c != '<' {
			// Character data.
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s)
			} else {
				j += i
			}
			if len(stack) == 0 {
				if !blank(s[i:j]) {
					return nil, false
				}
				i = j
				continue
			}
			run := s[i:j]
			if !plainText(run) {
				dec, ok := decodeText(run)
				if !ok {
					return nil, false
				}
				addDecoded(dec)
			} else {
				addText(i, j)
			}
			i = j
			continue
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<?"):
			end := strings.Index(rest[2:], "?>")
			if end < 0 || !xmlDecl(rest[2:2+end], i == 0) {
				return nil, false
			}
			i += 2 + end + 2
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "--")
			if end < 0 || !strings.HasPrefix(rest[4+end:], "-->") {
				return nil, false
			}
			i += 4 + end + 3
		case strings.HasPrefix(rest, "<![CDATA["):
			if len(stack) == 0 {
				return nil, false
			}
			end := strings.Index(rest[9:], "]]>")
			if end < 0 {
				return nil, false
			}
			end += 9
			data := rest[9:end]
			if !validChars(data) {
				return nil, false
			}
			if strings.IndexByte(data, '\r') >= 0 {
				addDecoded([]byte(normalizeCR(data)))
			} else {
				addText(i+9, i+end)
			}
			i += end + 3
		case strings.HasPrefix(rest, "</"):
			j := 2
			for j < len(rest) && nameByte(rest[j], j == 2) {
				j++
			}
			name := rest[2:j]
			for j < len(rest) && isSpace(rest[j]) {
				j++
			}
			if len(stack) == 0 || j >= len(rest) || rest[j] != '>' || name != stack[len(stack)-1].name {
				return nil, false
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n := Node{Name: o.name}
			if nk := len(kids) - o.kids; nk > 0 {
				n.Children = make([]Node, nk)
				copy(n.Children, kids[o.kids:])
				kids = kids[:o.kids]
			} else if inBuf {
				n.Text = string(bytes.TrimSpace(buf))
			} else if textStart >= 0 {
				n.Text = strings.TrimSpace(s[textStart:textEnd])
			}
			resetText()
			kids = append(kids, n)
			i += j + 1
		case strings.HasPrefix(rest, "<!"):
			return nil, false // DOCTYPE and other declarations: encoding/xml says what is wrong
		default:
			j := 1
			for j < len(rest) && nameByte(rest[j], j == 1) {
				j++
			}
			if j == 1 {
				return nil, false
			}
			name := rest[1:j]
			for j < len(rest) && isSpace(rest[j]) {
				j++
			}
			empty := false
			if strings.HasPrefix(rest[j:], "/>") {
				empty = true
				j++
			}
			if j >= len(rest) || rest[j] != '>' {
				return nil, false // attributes, or a malformed tag
			}
			if len(stack) == 0 && len(kids) > 0 {
				return nil, false // a second root
			}
			if len(stack) >= maxDepth {
				return nil, false
			}
			resetText()
			if empty {
				kids = append(kids, Node{Name: name})
			} else {
				stack = append(stack, open{name: name, kids: len(kids)})
			}
			i += j + 1
		}
	}
	if len(stack) > 0 || len(kids) != 1 {
		return nil, false
	}
	return &kids[0], true
}

// nameByte reports whether c may be in an element name of the fast path
// (ASCII letters, digits, '_', '-', '.'; no namespaces).
func nameByte(c byte, first bool) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', c == '_':
		return true
	case '0' <= c && c <= '9', c == '-', c == '.':
		return !first
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

// plainText reports whether s can be used as is: printable ASCII, tab and
// newline, without '&', '\r' or "]]>".
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f || c == '&' || c == ']' {
			return false
		}
	}
	return true
}

// validChars reports whether s is UTF-8 of characters XML allows.
func validChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !xmlChar(r) {
			return false
		}
		i += size
	}
	return true
}

// xmlChar is XML 1.0's Char production, as encoding/xml checks it.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func normalizeCR(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// decodeText decodes character data with entities, carriage returns or
// non-ASCII characters; false for anything the fast path leaves to
// encoding/xml.
func decodeText(s string) ([]byte, bool) {
	if !validChars(s) || strings.Contains(s, "]]>") {
		return nil, false
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			continue
		case '&':
		default:
			out = append(out, c)
			continue
		}
		end := strings.IndexByte(s[i:], ';')
		if end < 2 || end > 12 {
			return nil, false
		}
		ent := s[i+1 : i+end]
		i += end
		switch ent {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if ent[0] != '#' || len(ent) < 2 {
				return nil, false
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				if len(ent) < 3 || !allHex(ent[2:]) {
					return nil, false
				}
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				if !allDigits(ent[1:]) {
					return nil, false
				}
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			if err != nil || !xmlChar(rune(n)) {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(n))
		}
	}
	return out, true
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// xmlDecl reports whether a processing instruction's content is one of
// the XML declarations the agents write, at the start of the document.
func xmlDecl(content string, atStart bool) bool {
	if !atStart {
		return false
	}
	switch strings.TrimRight(content, " ") {
	case `xml version="1.0" encoding="UTF-8"`, `xml version="1.0" encoding="utf-8"`, `xml version="1.0"`:
		return true
	}
	return false
}
