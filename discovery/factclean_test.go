package discovery

import (
	"strings"
	"testing"
)

func TestCleanFact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"  Debian GNU/Linux 12 ", "Debian GNU/Linux 12"},
		{"a\tb\nc\x7fd", "a b c d"},
		{"bidi\u202eevil\u200b", "bidi evil"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"line\u2028sep", "line sep"},
		{strings.Repeat("é", 3000), strings.Repeat("é", MaxFactValue/2)},
		{"", ""},
	} {
		if got := CleanFactValue(tt.in); got != tt.want {
			t.Errorf("CleanFactValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for k, want := range map[string]bool{
		"package.libc6": true, "fs./srv/data.size_bytes": true, "net.café.mac": true,
		"": false, "a\tb": false, "x\u202ey": false, "bad\xff": false, strings.Repeat("k", MaxFactKey+1): false,
	} {
		if got := CleanFactKey(k); got != want {
			t.Errorf("CleanFactKey(%q) = %v, want %v", k, got, want)
		}
	}
}

// FuzzCleanFact: a cleaned value is a fact value (idempotent, within the
// limit, valid UTF-8 without the characters it removes).
func FuzzCleanFact(f *testing.F) {
	for _, s := range []string{"", "a\tb", "\xff", "\u202e", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CleanFactValue(s)
		if len(c) > MaxFactValue || CleanFactValue(c) != c || strings.ContainsFunc(c, badFactRune) {
			t.Fatalf("CleanFactValue(%q) = %q", s, c)
		}
	})
}
