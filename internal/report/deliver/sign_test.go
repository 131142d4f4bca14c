package deliver

import (
	"strings"
	"testing"
)

func TestSign(t *testing.T) {
	// RFC-style reference vector for HMAC-SHA256.
	got := Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog"))
	want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"a":1}`)
	good := Sign(secret, body)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   bool
	}{
		{"valid", secret, body, good, true},
		{"upper-case hex", secret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"body changed", secret, []byte(`{"a":2}`), good, false},
		{"body whitespace", secret, []byte(`{"a":1} `), good, false},
		{"wrong secret", []byte("other"), body, good, false},
		{"empty secret", nil, body, Sign(nil, body), false},
		{"no prefix", secret, body, strings.TrimPrefix(good, "sha256="), false},
		{"other algorithm", secret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"truncated", secret, body, good[:len(good)-2], false},
		{"odd length", secret, body, good[:len(good)-1], false},
		{"not hex", secret, body, "sha256=zz" + good[9:], false},
		{"empty", secret, body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.body, tt.header); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}
