package server

import (
	"crypto/rand"
	"encoding/hex"
)

// Request IDs. Every request gets the server's own ID (16 hex digits): it
// is answered in X-Request-ID, named in error messages and logs, and
// stored as the audit trail's request ID, so nothing a client sends
// reaches the audit trail. A client's own X-Request-ID (a proxy's, say) is
// accepted only in a strict format (clientRequestIDMax characters of
// letters, digits, '.', '_' and '-'), then logged as client_request_id and
// answered in X-Client-Request-ID; any other value is ignored.

// clientRequestIDMax is the longest client request ID accepted.
const clientRequestIDMax = 64

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientRequestID returns the client's X-Request-ID when it has the strict
// format, and "" otherwise.
func clientRequestID(v string) string {
	if len(v) == 0 || len(v) > clientRequestIDMax {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return ""
		}
	}
	return v
}
