package ident

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", " ", "web01", "Web01.Example.COM.", "10.0.0.1", "10.0.0.01", "::ffff:10.0.0.1",
	"[2001:db8::1]", "fe80::1%eth0", "AA:BB:CC:DD:EE:FF", "aabb.ccdd.eeff", "0:1a:2b:3:4:5",
	"001a2bfffe3c4d5e", "urn:uuid:{123E4567-E89B-12D3-A456-426614174000}",
	"To Be Filled By O.E.M.", "i-0abc123", "arn:aws:ec2:eu-west-1:1:instance/i-1",
	"/SUBSCRIPTIONS/X/resourceGroups/Y", "projects/p/zones/z", "\u212a", "a\x00b", "\xff",
}

// FuzzNormalize checks that Normalize never panics, that its result is
// idempotent and well-formed, and that the Valid helpers agree with it.
func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, k := range Kinds() {
			got, err := Normalize(k, raw)
			if err != nil {
				if got != "" {
					t.Fatalf("Normalize(%s, %q) = %q with error %v, want empty result", k, raw, got, err)
				}
				if msg := err.Error(); msg == "" || strings.ToLower(msg[:1]) != msg[:1] {
					t.Fatalf("Normalize(%s, %q) error %q does not start lower-case", k, raw, msg)
				}
				continue
			}
			if got == "" || got != strings.TrimSpace(got) || !utf8.ValidString(got) {
				t.Fatalf("Normalize(%s, %q) = %q, want non-empty trimmed UTF-8", k, raw, got)
			}
			again, err := Normalize(k, got)
			if err != nil || again != got {
				t.Fatalf("Normalize(%s, %q) = %q, %v; want %q unchanged (from %q)", k, got, again, err, got, raw)
			}
		}
		s := strings.TrimSpace(raw)
		// Normalize reads a host name written as an absolute name ("web01.")
		// as the host name; ValidHostname takes the name exactly as given.
		hs := s
		if t := strings.TrimSuffix(s, "."); t != "" {
			hs = t
		}
		if _, err := Normalize(Hostname, s); (err == nil) != ValidHostname(hs) {
			t.Fatalf("ValidHostname(%q) = %v, but Normalize(%q) error = %v", hs, ValidHostname(hs), s, err)
		}
		if _, err := Normalize(FQDN, s); (err == nil) != ValidFQDN(s) {
			t.Fatalf("ValidFQDN(%q) = %v, but Normalize error = %v", s, ValidFQDN(s), err)
		}
	})
}

// FuzzGuess checks that Guess never panics, returns no duplicates, and only
// returns normalised values.
func FuzzGuess(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := Guess(in)
		if strings.TrimSpace(in) == "" && got != nil {
			t.Fatalf("Guess(%q) = %v, want nil", in, got)
		}
		if got != nil && len(got) == 0 {
			t.Fatalf("Guess(%q) = empty non-nil slice, want nil", in)
		}
		seen := map[Candidate]bool{}
		for _, c := range got {
			if seen[c] {
				t.Fatalf("Guess(%q) = %v, duplicate %v", in, got, c)
			}
			seen[c] = true
			if v, err := Normalize(c.Kind, c.Value); err != nil || v != c.Value {
				t.Fatalf("Guess(%q) candidate %v is not normalised: Normalize = %q, %v", in, c, v, err)
			}
		}
	})
}
