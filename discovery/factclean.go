package discovery

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what one fact may hold, for every source that reads facts from
// text a machine wrote (the ssh inventory script, agents' inventories).
const (
	MaxFactKey   = 512
	MaxFactValue = 4096
)

// CleanFactValue makes s a fact value: valid UTF-8 (bad bytes become
// U+FFFD), control, format and line or paragraph separator characters
// replaced by spaces, trimmed, at most MaxFactValue bytes cut at a
// character boundary.
func CleanFactValue(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.ContainsFunc(s, badFactRune) {
		s = strings.Map(func(r rune) rune {
			if badFactRune(r) {
				return ' '
			}
			return r
		}, s)
	}
	s = strings.TrimSpace(s)
	if len(s) > MaxFactValue {
		cut := MaxFactValue
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// CleanFactKey reports whether k can be a fact key: not empty, at most
// MaxFactKey bytes, valid UTF-8 without the characters CleanFactValue
// replaces.
func CleanFactKey(k string) bool {
	if k == "" || len(k) > MaxFactKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c >= 0x7f {
			return utf8.ValidString(k) && !strings.ContainsFunc(k, badFactRune)
		}
	}
	return true
}

// badFactRune: control (C0, DEL, C1), format (Cf: bidi controls, zero
// widths) and line or paragraph separator characters; ASCII first, cheaply.
func badFactRune(r rune) bool {
	if r < 0x80 {
		return r < 0x20 || r == 0x7f
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
