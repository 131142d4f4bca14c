// Package secret seals credentials at rest with AES-256-GCM. The key comes
// from CAIRN_SECRET_KEY (64 hex digits or base64 of 32 bytes) or from a key
// file (mode 0600). Load never makes a key; CreateKeyFile does, and
// internal/sealed decides when that is safe (no sealed value exists yet).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvKey is the environment variable holding the key.
const EnvKey = "CAIRN_SECRET_KEY"

// version prefixes every sealed value, so the format can change later.
const version byte = 1

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating GCM: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey reads a key written as 64 hex digits or as base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("secret key must be 64 hex digits or base64 of 32 bytes")
}

// ErrNoKey is the error (wrapped) of Load when CAIRN_SECRET_KEY is unset and
// the key file does not exist.
var ErrNoKey = errors.New("no secret key")

// Load returns the Box for the key in env (when set) or in keyFile. It never
// creates a key: a missing key file is an error that wraps ErrNoKey and
// names the file, because a new key silently put in place of a lost one
// opens none of the values sealed under the old (see CreateKeyFile and
// internal/sealed, which decides when a new key may be made).
func Load(env, keyFile string) (*Box, error) {
	if env != "" {
		k, err := ParseKey(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		return New(k)
	}
	k, err := ReadKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	return New(k)
}

// ReadKeyFile reads the key in path. A missing file wraps ErrNoKey and
// os.ErrNotExist.
func ReadKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: %s is unset and no key file is named", ErrNoKey, EnvKey)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is unset and the key file %s does not exist: %w", ErrNoKey, EnvKey, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading key file %s: %w", path, err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// GenerateKey returns a new random 32-byte key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generating secret key: %w", err)
	}
	return k, nil
}

// EncodeKey is the text of a key file holding k: 64 hex digits and a line
// break.
func EncodeKey(k []byte) []byte { return []byte(hex.EncodeToString(k) + "\n") }

// CreateKeyFile writes a new random key to path (its directory created
// 0700), mode 0600, and returns its Box. An existing file is never
// replaced: that is an error.
func CreateKeyFile(path string) (*Box, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating key file %s: %w", path, err)
	}
	_, werr := f.Write(EncodeKey(k))
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("writing key file %s: %w", path, werr)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return New(k)
}

// WriteKeyFile writes k to path atomically: a temporary file (mode 0600)
// in the same directory, synced, renamed over path, and the directory
// synced. A reader sees the old key or the new one, never a part.
func WriteKeyFile(path string, k []byte) error {
	if len(k) != 32 {
		return fmt.Errorf("secret key must be 32 bytes, got %d", len(k))
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating key directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(EncodeKey(k))
	if werr == nil {
		werr = f.Chmod(0o600)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing key file %s: %w", path, werr)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing key directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing key directory %s: %w", dir, err)
	}
	return nil
}

// Seal encrypts plain.
func (b *Box) Seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generating nonce: %w", err)
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plain, []byte{version}), nil
}

// Open decrypts what Seal produced. A wrong key or a tampered value is an
// error that names neither.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns || sealed[0] != version {
		return nil, errors.New("sealed value is malformed")
	}
	plain, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte{version})
	if err != nil {
		return nil, errors.New("sealed value does not open with this key (wrong CAIRN_SECRET_KEY?)")
	}
	return plain, nil
}

// SealMap seals a string map as JSON.
func (b *Box) SealMap(m map[string]string) ([]byte, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding credentials: %w", err)
	}
	return b.Seal(raw)
}

// OpenMap opens a map sealed by SealMap.
func (b *Box) OpenMap(sealed []byte) (map[string]string, error) {
	raw, err := b.Open(sealed)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decoding credentials: %w", err)
	}
	return m, nil
}
