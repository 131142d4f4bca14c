// Package ident validates and normalises the identifiers that name a
// configuration item in the real world: host names, addresses, serial
// numbers, cloud resource IDs and the like.
//
// Every function in this package is pure: no I/O and no mutable state.
// Normalised values are what the CMDB stores and compares, so two spellings
// of the same identifier (for example "AA-BB-CC-DD-EE-FF" and
// "aabb.ccdd.eeff") always normalise to the same string.
package ident

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Kind is the kind of an identifier. The values are also GraphQL enum values
// and are stored in the database, so they must never change.
type Kind string

// The identifier kinds.
const (
	Hostname Kind = "HOSTNAME"
	FQDN     Kind = "FQDN"
	IP       Kind = "IP"
	MAC      Kind = "MAC"
	Serial   Kind = "SERIAL"
	AssetTag Kind = "ASSET_TAG"
	CloudID  Kind = "CLOUD_ID"
	UUID     Kind = "UUID"
	// SourceKey is a discovery source's own stable name for what it
	// observed (a Terraform resource address, a vSphere managed-object ID),
	// namespaced by who recorded it (see discovery.SourceKey). It is the
	// strongest kind, matched only by the source that recorded it, and
	// never typed by a person (Guess does not offer it).
	SourceKey Kind = "SOURCE_KEY"
)

// Kinds returns every identifier kind, strongest first: the order in which
// reconciliation trusts a match. The caller owns the returned slice.
func Kinds() []Kind {
	return []Kind{SourceKey, Serial, CloudID, UUID, MAC, FQDN, Hostname, AssetTag, IP}
}

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case Hostname, FQDN, IP, MAC, Serial, AssetTag, CloudID, UUID, SourceKey:
		return true
	}
	return false
}

// Normalize trims surrounding whitespace from raw and returns the canonical
// form of an identifier of the given kind, or an error that says what is
// wrong with it.
//
// Normalize is idempotent: normalising a normalised value returns it
// unchanged.
func Normalize(kind Kind, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch kind {
	case Hostname:
		return normalizeHostname(s)
	case FQDN:
		return normalizeFQDN(s)
	case IP:
		return normalizeIP(s)
	case MAC:
		return normalizeMAC(s)
	case Serial:
		return normalizeSerial(s)
	case AssetTag:
		return normalizeAssetTag(s)
	case CloudID:
		return normalizeCloudID(s)
	case UUID:
		return normalizeUUID(s)
	case SourceKey:
		return normalizeSourceKey(s)
	}
	return "", fmt.Errorf("unknown identifier kind %q", textclip.Message(string(kind)))
}

// MaxSourceKeyLen is the longest SOURCE_KEY value, in bytes.
const MaxSourceKeyLen = 2048

// normalizeSourceKey accepts any non-empty text of at most MaxSourceKeyLen
// bytes without control or format characters, exactly as given (after
// trimming): a source key is compared byte for byte.
func normalizeSourceKey(s string) (string, error) {
	if len(s) > MaxSourceKeyLen {
		return "", fmt.Errorf("invalid source key %q: is %d bytes long, want at most %d", textclip.Message(s), len(s), MaxSourceKeyLen)
	}
	if p := checkText(s, MaxSourceKeyLen); p != "" {
		return "", fmt.Errorf("invalid source key %q: %s", textclip.Message(s), p)
	}
	return s, nil
}

// lowerASCII lower-cases the ASCII letters of s and leaves every other byte
// alone. Unlike strings.ToLower it never turns a non-ASCII rune (such as the
// Kelvin sign) into an ASCII one.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkText rejects empty values, invalid UTF-8, control and invisible
// format characters (which would let two identical-looking values differ) and
// values longer than max runes. It returns the reason, or "" if s is fine.
func checkText(s string, max int) string {
	if s == "" {
		return "must not be empty"
	}
	if !utf8.ValidString(s) {
		return "contains invalid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("is %d characters long, want at most %d", n, max)
	}
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Sprintf("contains control or format character %U", r)
		}
	}
	return ""
}

// hasPrefixFold reports whether s starts with the ASCII string prefix,
// ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && lowerASCII(s[:len(prefix)]) == prefix
}
