package deliver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// signaturePrefix names the algorithm in X-Cairn-Signature.
const signaturePrefix = "sha256="

// Sign returns the X-Cairn-Signature value for body: "sha256=" followed by
// the lower-case hex HMAC-SHA256 of the exact body bytes keyed with secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header is a valid X-Cairn-Signature of body for
// secret, comparing in constant time. An empty secret never verifies, so a
// receiver without a configured secret cannot be satisfied by a signature
// anyone could compute.
func Verify(secret, body []byte, header string) bool {
	if len(secret) == 0 {
		return false
	}
	hexSig, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
