package discovery

import (
	"bytes"
)

// JSONKind names the JSON type of a raw value for an error message:
// "an object", "an array", "a string", "a boolean", "null", "a number", or
// "nothing" when raw is empty.
func JSONKind(raw []byte) string {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 {
		return "nothing"
	}
	switch s[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
