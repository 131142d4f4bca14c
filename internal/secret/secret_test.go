package secret

import (
	"bytes"
	"errors"
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

// TestKeyFile: Load never makes a key (issue 13: a lost key file was
// silently replaced by a new key, which opens nothing sealed under the
// old); CreateKeyFile does, 0600, and never over an existing file;
// WriteKeyFile replaces one atomically.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "secret.key")
	if _, err := Load("", path); !errors.Is(err, ErrNoKey) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load of a missing key file = %v, want ErrNoKey naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load made a key file: %v", err)
	}
	b1, err := CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	if _, err := CreateKeyFile(path); err == nil {
		t.Fatal("CreateKeyFile replaced an existing key file")
	}
	sealed, _ := b1.Seal([]byte("x"))
	b2, err := Load("", path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(sealed); err != nil || string(got) != "x" {
		t.Fatalf("reopening with the key file: %q %v", got, err)
	}
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadKeyFile(path); err != nil || !bytes.Equal(got, k) {
		t.Fatalf("ReadKeyFile after WriteKeyFile = %x, %v", got, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("rewritten key file mode: %v %v", st, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("WriteKeyFile left %d files", len(ents))
	}
	if err := WriteKeyFile(path, k[:3]); err == nil {
		t.Error("WriteKeyFile took a short key")
	}
	if _, err := Load("not-a-key", ""); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("bad env key: %v", err)
	}
	if _, err := Load("", ""); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key at all: %v", err)
	}
}
