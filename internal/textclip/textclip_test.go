package textclip_test

import (
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("a", 70)
	tests := []struct {
		name string
		fn   func(string, int) string
		s    string
		n    int
		want string
	}{
		{"runes short", textclip.Runes, "abc", 3, "abc"},
		{"runes cut", textclip.Runes, "abcd", 3, "ab…"},
		{"runes multibyte kept", textclip.Runes, "ééé", 3, "ééé"},
		{"runes multibyte cut", textclip.Runes, "éééé", 3, "éé…"},
		{"runes zero", textclip.Runes, "abc", 0, ""},
		{"bytes short", textclip.Bytes, "abc", 5, "abc"},
		{"bytes cut", textclip.Bytes, "abcdef", 4, "abcd"},
		{"bytes at a rune boundary", textclip.Bytes, "aé", 2, "a"},
		{"bytes marked short", textclip.BytesMarked, "abc", 3, "abc"},
		{"bytes marked cut", textclip.BytesMarked, "aéb", 2, "a…"},
		{"message", func(s string, _ int) string { return textclip.Message(s) }, long, 0, strings.Repeat("a", 64) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.s, tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
