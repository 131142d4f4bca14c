package money

import (
	"strings"
	"testing"
)

// FuzzRoundTrip checks that Parse(Format(m, c), c) == m for any int64 and
// every currency, and that Format's output is canonical.
func FuzzRoundTrip(f *testing.F) {
	for _, m := range []int64{0, 1, -1, 1250, -5, 1 << 62, -1 << 63, 1<<63 - 1} {
		f.Add(m)
	}
	codes := Currencies()
	f.Fuzz(func(t *testing.T, m int64) {
		for _, c := range codes {
			s := Format(m, c)
			got, err := Parse(s, c)
			if err != nil || got != m {
				t.Fatalf("Parse(Format(%d, %q) = %q) = %d, %v, want %d", m, c, s, got, err, m)
			}
		}
	})
}

// FuzzParse checks that Parse never panics on arbitrary input and that
// whatever it accepts formats back to an equivalent amount.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "12.50", "-0.05", "+1", "12.", ".5", "1e3", "1,000", "12.505",
		"92233720368547758.08", "-92233720368547758.08", "0.0000", "--1", "１", "\xff"} {
		f.Add(s, uint8(0))
	}
	codes := Currencies()
	f.Fuzz(func(t *testing.T, amount string, ci uint8) {
		c := codes[int(ci)%len(codes)]
		v, err := Parse(amount, c)
		if err != nil {
			if v != 0 {
				t.Fatalf("Parse(%q, %q) = %d with error %v, want 0", amount, c, v, err)
			}
			if msg := err.Error(); strings.ToLower(msg[:1]) != msg[:1] {
				t.Fatalf("Parse(%q, %q) error %q does not start lower-case", amount, c, msg)
			}
			return
		}
		s := Format(v, c)
		back, err := Parse(s, c)
		if err != nil || back != v {
			t.Fatalf("Parse(%q, %q) = %d, but Parse(Format) = %d, %v", amount, c, v, back, err)
		}
		nn, err := ParseNonNegative(amount, c)
		if (v < 0) != (err != nil) || (err == nil && nn != v) {
			t.Fatalf("ParseNonNegative(%q, %q) = %d, %v; Parse = %d", amount, c, nn, err, v)
		}
	})
}

// FuzzNormalizeCurrency checks that NormalizeCurrency never panics and only
// returns known codes.
func FuzzNormalizeCurrency(f *testing.F) {
	for _, s := range []string{"EUR", " eur ", "xau", "", "€", "\u0131nr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := NormalizeCurrency(s)
		if err != nil {
			return
		}
		if !ValidCurrency(c) || !strings.EqualFold(c, strings.TrimSpace(s)) {
			t.Fatalf("NormalizeCurrency(%q) = %q, want a known code equal to the input", s, c)
		}
	})
}
