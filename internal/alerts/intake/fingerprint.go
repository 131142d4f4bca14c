package intake

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// FNV-1a 64, as prometheus/common's model/fnv.go.
const (
	offset64      uint64 = 14695981039346656037
	prime64       uint64 = 1099511628211
	separatorByte byte   = 0xff
)

// Fingerprint is Alertmanager's fingerprint of labels (prometheus/common
// model.LabelSet.Fingerprint, written as model.Fingerprint.String does)
// with the volatile label names left out.
func Fingerprint(labels map[string]string, volatile []string) string {
	sum := offset64
	for _, name := range sortedNames(labels) {
		if slices.Contains(volatile, name) {
			continue
		}
		sum = hashAdd(sum, name)
		sum = hashByte(sum, separatorByte)
		sum = hashAdd(sum, labels[name])
		sum = hashByte(sum, separatorByte)
	}
	return fmt.Sprintf("%016x", sum)
}

func hashAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = hashByte(h, s[i])
	}
	return h
}

func hashByte(h uint64, b byte) uint64 {
	h ^= uint64(b)
	h *= prime64
	return h
}

// sortedNames are a set's names in byte order (Go's string order, as
// model.LabelNames sorts).
func sortedNames(set map[string]string) []string {
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// parseTime reads an RFC 3339 time; Alertmanager's zero time
// "0001-01-01T00:00:00Z" is the zero time.Time.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil || strings.TrimSpace(s) != s {
		return time.Time{}, apperr.Invalid(field, "%q is not an RFC 3339 time", textclip.Message(s))
	}
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}
