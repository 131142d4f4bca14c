package discovery

import (
	"bytes"
	"unicode/utf8"
)

// Clip shortens s to at most 64 bytes for an error message, cutting at a
// rune boundary and marking the cut with "…".
func Clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// JSONKind names the JSON type of a raw value for an error message:
// "an object", "an array", "a string", "a boolean", "null", "a number", or
// "nothing" when raw is empty.
func JSONKind(raw []byte) string {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 {
		return "nothing"
	}
	switch s[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
