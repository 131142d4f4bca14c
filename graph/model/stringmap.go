package model

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalStringMap writes the StringMap scalar (a JSON object of strings,
// such as a relationship's attributes), keys sorted.
func MarshalStringMap(m map[string]string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if m == nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		_, _ = io.WriteString(w, "{")
		for i, k := range keys {
			if i > 0 {
				_, _ = io.WriteString(w, ",")
			}
			kb, _ := json.Marshal(k)
			vb, _ := json.Marshal(m[k])
			_, _ = w.Write(kb)
			_, _ = io.WriteString(w, ":")
			_, _ = w.Write(vb)
		}
		_, _ = io.WriteString(w, "}")
	})
}

// UnmarshalStringMap reads the StringMap scalar: a JSON object whose values
// are all strings. A value of another type is refused, naming its key.
func UnmarshalStringMap(v any) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a StringMap is an object of strings, not %T", v)
	}
	out := make(map[string]string, len(obj))
	for k, x := range obj {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("a StringMap's values are strings: %q is %T", k, x)
		}
		out[k] = s
	}
	return out, nil
}
