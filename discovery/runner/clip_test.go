package runner

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// TestExcerptKeepsUTF8 checks that the log excerpt and error messages are
// clipped to their columns' byte limits on a character boundary.
func TestExcerptKeepsUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want int // bytes kept
	}{
		{"abc", 5, 3},
		{"abcdef", 3, 3},
		{"aé", 2, 1},  // é is two bytes: not split
		{"a€b", 3, 1}, // € is three
		{"a€b", 4, 4}, // a€ fits
		{"😀😀", 5, 4},  // four-byte runes
		{"éé", 0, 0},
	} {
		got := textclip.Bytes(tc.in, tc.n)
		if len(got) != tc.want || !utf8.ValidString(got) || !strings.HasPrefix(tc.in, got) {
			t.Errorf("textclip.Bytes(%q, %d) = %q, want its first %d bytes", tc.in, tc.n, got, tc.want)
		}
	}
	lines := make([]string, 300)
	for i := range lines {
		lines[i] = "x" + strings.Repeat("é", 40)
	}
	ex := excerpt(lines)
	if len(ex) > 16000 || len(ex) < 15990 || !utf8.ValidString(ex) {
		t.Fatalf("excerpt of %d bytes, valid UTF-8 %v", len(ex), utf8.ValidString(ex))
	}
}
