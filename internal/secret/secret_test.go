package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := Load(strings.Repeat("ab", 32), "")
	if err != nil {
		t.Fatal(err)
	}
	s1, err := b.SealMap(map[string]string{"password": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.SealMap(map[string]string{"password": "hunter2"})
	if bytes.Equal(s1, s2) {
		t.Error("two seals of the same value are equal: nonce reused")
	}
	if bytes.Contains(s1, []byte("hunter2")) {
		t.Error("sealed value contains the plain text")
	}
	m, err := b.OpenMap(s1)
	if err != nil || m["password"] != "hunter2" {
		t.Fatalf("OpenMap = %v, %v", m, err)
	}
	other, _ := Load(strings.Repeat("cd", 32), "")
	if _, err := other.Open(s1); err == nil || !strings.Contains(err.Error(), "does not open with this key") {
		t.Errorf("Open with the wrong key: %v", err)
	}
	s1[len(s1)-1] ^= 1
	if _, err := b.Open(s1); err == nil {
		t.Error("tampered value opened")
	}
	if _, err := b.Open([]byte{9}); err == nil || err.Error() != "sealed value is malformed" {
		t.Errorf("Open(short) = %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "secret.key")
	b1, err := Load("", path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	sealed, _ := b1.Seal([]byte("x"))
	b2, err := Load("", path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(sealed); err != nil || string(got) != "x" {
		t.Fatalf("reopening with the key file: %q %v", got, err)
	}
	if _, err := Load("not-a-key", ""); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("bad env key: %v", err)
	}
}
