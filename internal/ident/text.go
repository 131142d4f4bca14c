package ident

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

const (
	maxSerialLen   = 128
	maxAssetTagLen = 64
	maxCloudIDLen  = 2048
)

// isPlaceholder reports whether s is one of the values that firmware (DMI /
// SMBIOS) and vendor tools report in a serial number or asset tag field that
// was never filled in. Such a value names no machine in particular, so it
// must never be used to reconcile two records into one.
//
// The comparison ignores case, surrounding whitespace and runs of inner
// whitespace ("To be filled by  O.E.M."), since vendor tools pad these
// fields.
func isPlaceholder(s string, assetTag bool) bool {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "  ") || strings.ContainsAny(s, "\t\n\r\v\f") {
		s = strings.Join(strings.Fields(s), " ") // rare; keeps the common path free of allocations
	}
	s = strings.ToUpper(s)
	if s != "" && strings.Trim(s, "0") == "" {
		return true // "0", "0000000000", ...
	}
	if len(s) >= 3 && strings.Trim(s, "X") == "" {
		return true // "XXXXXXXXXX", the pattern of unfilled template fields
	}
	switch s {
	case "TO BE FILLED BY O.E.M.", "TO BE FILLED BY O.E.M", "TO BE FILLED BY OEM",
		"DEFAULT STRING", "DEFAULT", "NONE", "NOT SPECIFIED", "NOT AVAILABLE",
		"NOT APPLICABLE", "N/A", "NA", "UNKNOWN", "EMPTY", "OEM", "O.E.M.", "-",
		"SYSTEM SERIAL NUMBER", "CHASSIS SERIAL NUMBER", "BASE BOARD SERIAL NUMBER",
		"SERIAL NUMBER", "0123456789", "123456789", "1234567890",
		"INVALID", "NULL", "NOT SET", "TBD",
		// The field's own name, left in by vendors and image builders.
		"SERIAL", "SERIALNUMBER", "SERIAL NO", "SERIAL#", "SYSTEM SERIAL", "CHASSIS SERIAL",
		"NO SERIAL", "NO SERIAL NUMBER", "NOT PRESENT",
		// What privacy-preserving tools (macOS's unified log, redacting
		// collectors) write in place of the real value.
		"<PRIVATE>", "PRIVATE", "<REDACTED>", "REDACTED", "[REDACTED]":
		return true
	}
	if assetTag {
		switch s {
		case "NO ASSET TAG", "NO ASSET INFORMATION", "ASSET TAG", "ASSET-1234567890":
			return true
		}
	}
	return false
}

// IsPlaceholderSerial reports whether s is a placeholder that firmware
// reports when a machine has no serial number, such as
// "To Be Filled By O.E.M." or "Default string". The comparison ignores case
// and surrounding whitespace.
func IsPlaceholderSerial(s string) bool {
	return isPlaceholder(s, false)
}

// IsPlaceholderAssetTag reports whether s is a placeholder that firmware
// reports when a machine has no asset tag, such as "No Asset Tag" or any
// of the placeholder serial numbers. The comparison ignores case and
// surrounding whitespace.
func IsPlaceholderAssetTag(s string) bool {
	return isPlaceholder(s, true)
}

func normalizeSerial(s string) (string, error) {
	if p := checkText(s, maxSerialLen); p != "" {
		return "", fmt.Errorf("invalid serial number %q: %s", textclip.Message(s), p)
	}
	if IsPlaceholderSerial(s) {
		return "", fmt.Errorf("placeholder serial number %q", s)
	}
	return strings.ToUpper(s), nil
}

func normalizeAssetTag(s string) (string, error) {
	if p := checkText(s, maxAssetTagLen); p != "" {
		return "", fmt.Errorf("invalid asset tag %q: %s", textclip.Message(s), p)
	}
	if IsPlaceholderAssetTag(s) {
		return "", fmt.Errorf("placeholder asset tag %q", s)
	}
	return strings.ToUpper(s), nil
}

// isAzureID reports whether s looks like an Azure resource ID, which Azure
// compares case-insensitively.
func isAzureID(s string) bool {
	return hasPrefixFold(s, "/subscriptions/") || hasPrefixFold(s, "/providers/")
}

func normalizeCloudID(s string) (string, error) {
	p := checkText(s, maxCloudIDLen)
	if p == "" && strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		p = "contains whitespace"
	}
	if p != "" {
		return "", fmt.Errorf("invalid cloud ID %q: %s", textclip.Message(s), p)
	}
	if isAzureID(s) {
		return strings.ToLower(s), nil
	}
	return s, nil
}
