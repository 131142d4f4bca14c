// Package textclip shortens text without splitting a UTF-8 character: for
// error messages that repeat a user's value, for display cells, and for
// database columns whose limits count bytes (PostgreSQL refuses invalid
// UTF-8). It is a leaf package so that every layer can use it.
package textclip

import "unicode/utf8"

// Ellipsis marks a cut.
const Ellipsis = "…"

// MessageRunes is how much of a value an error message repeats (the marker
// included).
const MessageRunes = 65

// Message shortens a user's value for an error message: at most
// MessageRunes runes, the cut marked with "…".
func Message(s string) string { return Runes(s, MessageRunes) }

// Runes returns s if it has at most n runes, and otherwise its first n-1
// runes followed by "…" (n runes in all).
func Runes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + Ellipsis
}

// Bytes returns at most the first n bytes of s, cut at a character
// boundary, without a marker: for columns whose limits count bytes.
func Bytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// BytesMarked is Bytes followed by "…" when s was cut.
func BytesMarked(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Bytes(s, n) + Ellipsis
}
