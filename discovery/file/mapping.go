package file

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// targetKind is what a column feeds.
type targetKind int

const (
	tKey targetKind = iota
	tName
	tKind
	tField // arg: the record field
	tIdent // arg: the identifier kind
	tFact  // arg: the fact key
	tRel   // arg: the relationship type
)

// target is a parsed mapping target.
type target struct {
	kind targetKind
	arg  string
}

const (
	identPrefix = "identifier."
	factPrefix  = "fact."
	relPrefix   = "relationship."
	dependsOn   = "DEPENDS_ON"
)

// String returns the target's canonical spelling.
func (t target) String() string {
	switch t.kind {
	case tKey:
		return "key"
	case tName:
		return "name"
	case tKind:
		return "kind"
	case tField:
		return t.arg
	case tIdent:
		return identPrefix + t.arg
	case tFact:
		return factPrefix + t.arg
	}
	if t.arg == dependsOn {
		return "depends_on"
	}
	return relPrefix + t.arg
}

// multi reports whether several columns may feed t.
func (t target) multi() bool { return t.kind == tIdent || t.kind == tRel }

// relTypes are Cairn's relationship types (ent's relationship.Type values).
func relTypes() []string {
	return []string{"DEPENDS_ON", "RUNS_ON", "HOSTED_ON", "CONNECTS_TO", "MEMBER_OF", "USES", "BACKS_UP_TO", "REPLICATES_TO"}
}

func identKinds() []string {
	var out []string
	for _, k := range []ident.Kind{ident.Hostname, ident.FQDN, ident.IP, ident.MAC, ident.Serial, ident.AssetTag, ident.CloudID, ident.UUID} {
		out = append(out, string(k))
	}
	return out
}

const targetList = "key, name, kind, hostname, fqdn, serial_number, description, identifier.<KIND>, fact.<key>, depends_on or relationship.<TYPE>"

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// parseTarget parses a mapping target. Fixed targets, identifier kinds and
// relationship types ignore case; fact keys keep theirs.
func parseTarget(s string) (target, error) {
	s = strings.TrimSpace(s)
	if rest, ok := cutPrefixFold(s, identPrefix); ok {
		k := upperASCII(strings.TrimSpace(rest))
		if !ident.Kind(k).Valid() {
			return target{}, fmt.Errorf("unknown identifier kind %q (want one of %s)", textclip.Message(rest), strings.Join(identKinds(), ", "))
		}
		return target{tIdent, k}, nil
	}
	if rest, ok := cutPrefixFold(s, factPrefix); ok {
		key := strings.TrimSpace(rest)
		if key == "" {
			return target{}, fmt.Errorf("target %q: want fact.<key>", textclip.Message(s))
		}
		if msg := badText(key); msg != "" {
			return target{}, fmt.Errorf("fact key %q %s", textclip.Message(key), msg)
		}
		return target{tFact, key}, nil
	}
	if rest, ok := cutPrefixFold(s, relPrefix); ok {
		typ := upperASCII(strings.TrimSpace(rest))
		for _, r := range relTypes() {
			if typ == r {
				return target{tRel, typ}, nil
			}
		}
		return target{}, fmt.Errorf("unknown relationship type %q (want one of %s)", textclip.Message(rest), strings.Join(relTypes(), ", "))
	}
	switch lowerASCII(s) {
	case "key":
		return target{kind: tKey}, nil
	case "name":
		return target{kind: tName}, nil
	case "kind":
		return target{kind: tKind}, nil
	case "hostname", "fqdn", "serial_number", "description":
		return target{tField, lowerASCII(s)}, nil
	case "depends_on":
		return target{tRel, dependsOn}, nil
	}
	return target{}, fmt.Errorf("unknown target %q (want %s)", textclip.Message(s), targetList)
}

// defaultTarget is the target a column feeds without a mapping.
func defaultTarget(col string) (target, bool) {
	col = strings.TrimSpace(col)
	for _, p := range []string{identPrefix, factPrefix, relPrefix} {
		if _, ok := cutPrefixFold(col, p); ok {
			t, err := parseTarget(col)
			return t, err == nil
		}
	}
	folded := lowerASCII(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, col))
	switch folded {
	case "ip":
		return target{tIdent, string(ident.IP)}, true
	case "mac":
		return target{tIdent, string(ident.MAC)}, true
	case "asset_tag":
		return target{tIdent, string(ident.AssetTag)}, true
	case "uuid":
		return target{tIdent, string(ident.UUID)}, true
	case "cloud_id":
		return target{tIdent, string(ident.CloudID)}, true
	case "key", "name", "kind", "hostname", "fqdn", "serial_number", "description", "depends_on":
		t, err := parseTarget(folded)
		return t, err == nil
	}
	return target{}, false
}

// binding is a column and the target it feeds.
type binding struct {
	column string
	target target
}

// checkBindings reports two columns feeding a single-valued target.
func checkBindings(bs []binding) error {
	seen := map[target]string{}
	for _, b := range bs {
		if b.target.multi() {
			continue
		}
		if prev, dup := seen[b.target]; dup {
			return fmt.Errorf("columns %q and %q both map to %s", textclip.Message(prev), textclip.Message(b.column), b.target)
		}
		seen[b.target] = b.column
	}
	return nil
}

// formatOf is the format of a file called name.
func formatOf(name string) (string, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, true
	case ".json":
		return FormatJSON, true
	case ".jsonl", ".ndjson":
		return FormatJSONL, true
	}
	return "", false
}

// compile checks cfg and returns the source reading file name.
func compile(cfg *Config, name string) (*Source, error) {
	s := &Source{file: cfg.File, format: cfg.Format, delim: ','}
	switch s.format {
	case "":
		f, ok := formatOf(name)
		if !ok {
			return nil, errorf("format", "cannot tell the format of %q from its extension: set csv, json or jsonl", textclip.Message(name))
		}
		s.format = f
	case FormatCSV, FormatJSON, FormatJSONL:
	default:
		return nil, errorf("format", "must be one of csv json jsonl")
	}
	if s.format == FormatCSV && cfg.Delimiter != "" {
		r, size := utf8.DecodeRuneInString(cfg.Delimiter)
		if size != len(cfg.Delimiter) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' || r == 0 {
			return nil, errorf("delimiter", "want one character other than a quote or line break, got %q", textclip.Message(cfg.Delimiter))
		}
		s.delim = r
	}
	s.kind = discovery.KindServer
	if strings.TrimSpace(cfg.Kind) != "" {
		k, ok := normalizeKind(cfg.Kind)
		if !ok {
			return nil, errorf("kind", "unknown kind %q (want one of %s)", textclip.Message(strings.TrimSpace(cfg.Kind)), strings.Join(kinds(), ", "))
		}
		s.kind = k
	}
	if len(cfg.Mapping) > 0 {
		cols := make([]string, 0, len(cfg.Mapping))
		for c := range cfg.Mapping {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		for _, c := range cols {
			col := strings.TrimSpace(c)
			if col == "" {
				return nil, errorf("mapping", "empty column name")
			}
			t, err := parseTarget(cfg.Mapping[c])
			if err != nil {
				return nil, errorf("mapping", "column %q: %v", textclip.Message(col), err)
			}
			s.bindings = append(s.bindings, binding{column: col, target: t})
		}
		if err := checkBindings(s.bindings); err != nil {
			return nil, errorf("mapping", "%v", err)
		}
	}
	return s, nil
}

// kinds lists the CI kinds.
func kinds() []string {
	return []string{discovery.KindServer, discovery.KindVM, discovery.KindContainer, discovery.KindNetworkDevice,
		discovery.KindStorage, discovery.KindDatabase, discovery.KindApplication, discovery.KindLoadBalancer,
		discovery.KindCloudResource, discovery.KindCluster}
}

// normalizeKind returns the CI kind s spells: ASCII case is ignored and
// runs of spaces, hyphens and underscores are one underscore.
func normalizeKind(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	sep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '-' || c == '_' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	k := b.String()
	return k, discovery.ValidKind(k)
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// badText says what is wrong with a fact key or value that is not text,
// or returns "".
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return ""
}
