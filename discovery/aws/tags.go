package aws

import (
	"strings"
	"unicode/utf8"
)

// tagRole is one role of the tag mapping: the fact it sets and the tag
// keys that give it, first match winning.
type tagRole struct {
	fact string
	keys []string
}

// Tag is one AWS tag.
type Tag struct{ Key, Value string }

// MaxTags bounds the tags read from one resource (AWS allows 50 user tags
// plus the aws: ones).
const MaxTags = 256

// tagFacts returns the facts of a resource's tags: "tag.<Key>" for every
// tag with a usable key, and the fact of each role of mapping whose first
// present tag key has a non-blank value. Tags with an empty key, a key or
// value that is not UTF-8 or holds control characters, or beyond MaxTags
// are skipped and counted in skipped. A later tag with the same key wins,
// as AWS keys are unique.
func tagFacts(mapping []tagRole, tags []Tag) (facts map[string]string, skipped int) {
	facts = map[string]string{}
	byKey := map[string]string{}
	for i, t := range tags {
		if i >= MaxTags || !tagText(t.Key, 128) || t.Key == "" || !tagText(t.Value, 256) {
			skipped++
			continue
		}
		byKey[t.Key] = t.Value
		facts["tag."+t.Key] = t.Value
	}
	for _, r := range mapping {
		for _, k := range r.keys {
			if v, ok := byKey[k]; ok && strings.TrimSpace(v) != "" {
				facts[r.fact] = strings.TrimSpace(v)
				break
			}
		}
	}
	return facts, skipped
}

// tagText reports whether s is valid UTF-8 of at most max characters
// without control characters.
func tagText(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max &&
		!strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
