package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// attrs are an instance's attributes as decoded JSON: map[string]any,
// []any, string, json.Number, bool or nil.
type attrs map[string]any

// attrError is an attribute of an unexpected JSON type.
type attrError struct {
	path string
	want string
	got  any
}

func (e *attrError) Error() string {
	return fmt.Sprintf("attribute %s: want %s, got %s", e.path, e.want, jsonType(e.got))
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// decodeAttrs decodes an instance's "attributes" object. Absent or null
// attributes are empty.
func decodeAttrs(raw json.RawMessage) (attrs, error) {
	if len(raw) == 0 {
		return attrs{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	switch v := v.(type) {
	case nil:
		return attrs{}, nil
	case map[string]any:
		return attrs(v), nil
	}
	return nil, &attrError{path: "attributes", want: "an object", got: v}
}

// flatAttrs turns the "attributes_flat" of a resource whose schema
// Terraform could not upgrade (flatmap keys such as "tags.Name" and
// "tags.%") into attrs: top-level strings, and the tag and label maps.
func flatAttrs(flat map[string]string) attrs {
	a := attrs{}
	for k, v := range flat {
		prefix, rest, dotted := strings.Cut(k, ".")
		if !dotted {
			a[k] = v
			continue
		}
		switch prefix {
		case "tags", "tags_all", "labels":
			if rest == "%" || rest == "" {
				continue
			}
			m, _ := a[prefix].(map[string]any)
			if m == nil {
				m = map[string]any{}
				a[prefix] = m
			}
			m[rest] = v
		}
	}
	return a
}

// walk calls fn with every value at path (see spec) and the concrete path
// to it, such as "network_interface.0.network_ip". A value the path passes
// through that is null yields nothing; one of the wrong type is an error.
// The value passed to fn may be null.
func (a attrs) walk(path string, fn func(at string, v any) error) error {
	return walk(map[string]any(a), strings.Split(path, "."), "", fn)
}

func walk(v any, segs []string, at string, fn func(at string, v any) error) error {
	if len(segs) == 0 {
		return fn(at, v)
	}
	if v == nil {
		return nil
	}
	seg := segs[0]
	if seg == "*" {
		list, ok := v.([]any)
		if !ok {
			return &attrError{path: at, want: "a list", got: v}
		}
		for i, e := range list {
			if err := walk(e, segs[1:], at+"."+strconv.Itoa(i), fn); err != nil {
				return err
			}
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return &attrError{path: at, want: "an object", got: v}
	}
	child, ok := m[seg]
	if !ok {
		return nil
	}
	if at != "" {
		seg = at + "." + seg
	}
	return walk(child, segs[1:], seg, fn)
}

// strs returns the non-blank strings at path: each value must be a string
// or a list of strings.
func (a attrs) strs(path string) ([]string, error) {
	var out []string
	add := func(at string, v any) error {
		switch v := v.(type) {
		case nil:
		case string:
			if strings.TrimSpace(v) != "" {
				out = append(out, v)
			}
		default:
			return &attrError{path: at, want: "a string or a list of strings", got: v}
		}
		return nil
	}
	err := a.walk(path, func(at string, v any) error {
		if list, ok := v.([]any); ok {
			for i, e := range list {
				if err := add(at+"."+strconv.Itoa(i), e); err != nil {
					return err
				}
			}
			return nil
		}
		return add(at, v)
	})
	return out, err
}

// first returns the first non-blank string of the first path that has one.
func (a attrs) first(paths ...string) (string, error) {
	for _, p := range paths {
		vs, err := a.strs(p)
		if err != nil {
			return "", err
		}
		if len(vs) > 0 {
			return strings.TrimSpace(vs[0]), nil
		}
	}
	return "", nil
}

// scalar returns the first value of the first path that has one, as text:
// a string (trimmed; blank counts as absent), a number as written, or a
// boolean.
func (a attrs) scalar(paths ...string) (string, error) {
	for _, p := range paths {
		found := ""
		err := a.walk(p, func(at string, v any) error {
			if found != "" {
				return nil
			}
			switch v := v.(type) {
			case nil:
			case string:
				found = strings.TrimSpace(v)
			case json.Number:
				found = v.String()
			case bool:
				found = strconv.FormatBool(v)
			default:
				return &attrError{path: at, want: "a string, number or boolean", got: v}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		if found != "" {
			return found, nil
		}
	}
	return "", nil
}

// stringMap merges into m the string maps at path and reports whether the
// path is present at all (even as null or as an empty map).
func (a attrs) stringMap(path string, m map[string]string) (present bool, err error) {
	err = a.walk(path, func(at string, v any) error {
		present = true
		switch v := v.(type) {
		case nil:
			return nil
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys) // the first bad value is always the same one
			for _, k := range keys {
				switch e := v[k].(type) {
				case nil:
				case string:
					m[k] = e
				default:
					return &attrError{path: at + "." + k, want: "a string", got: e}
				}
			}
			return nil
		}
		return &attrError{path: at, want: "an object of strings", got: v}
	})
	return present, err
}
