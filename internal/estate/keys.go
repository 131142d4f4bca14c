package estate

import (
	"strings"
	"time"
)

// escapeName escapes "\" and "/" in a location name so that names can be
// joined into a path with "/".
func escapeName(name string) string {
	if !strings.ContainsAny(name, `\/`) {
		return name
	}
	r := strings.NewReplacer(`\`, `\\`, `/`, `\/`)
	return r.Replace(name)
}

// joinPath returns the path of a location named name under parent (a path,
// "" for a root).
func joinPath(parent, name string) string {
	if parent == "" {
		return escapeName(name)
	}
	return parent + "/" + escapeName(name)
}

// lastPathName returns the unescaped name of the last element of path, used
// to resolve a bare location name.
func lastPathName(path string) string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\' && i+1 < len(path):
			i++
			b.WriteByte(path[i])
		case c == '/':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	parts = append(parts, b.String())
	return parts[len(parts)-1]
}

// docTime is the document form of a time: UTC at microsecond precision.
func docTime(t time.Time) *time.Time {
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func docTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return docTime(*t)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// contractKey is the natural key of a contract.
func contractKey(vendor, number string) string { return vendor + "\x00" + number }

// enumValue turns a user's spelling of an enum value ("Network Device",
// "network-device", "NETWORK_DEVICE") into the stored form.
func enumValue(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		case 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}
