package terraform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// maxStateSize bounds the state file, which is read into memory whole.
const maxStateSize = 512 << 20

// stateVersion is the only state format version the source reads.
const stateVersion = 4

// parsed is what one state file yields.
type parsed struct {
	obs     []discovery.Observation
	skipped skipCounts
	// unmapped counts the managed resource instances skipped because
	// Cairn maps no such type (not those a job's Types leave out);
	// managed counts every managed resource instance, deposed or not.
	unmapped         skipCounts
	managed          int
	terraformVersion string
	serial           uint64
	lineage          string
	// unresolved lists the dependency references that name no resource
	// in the file, as "REF (from ADDRESS)"; Discover warns of them.
	unresolved []string
	// onSkipped counts the references to resources the file holds but
	// that yield no observation (data sources, skipped types).
	onSkipped int
}

// maxListed bounds the items a warning lists by name.
const maxListed = 10

// warnings are the lines Discover logs at warning level and returns in
// Result.Warnings: what the file holds that Cairn could not make sense of,
// with counts, so that neither a skipped resource nor a dropped edge is
// silent. A state whose managed resources are all of types Cairn does not
// map says so first: the run succeeds (the file was read in full) but
// observed nothing.
func (st *parsed) warnings() []string {
	var out []string
	if n := st.unmapped.total(); n > 0 {
		if len(st.obs) == 0 && n == st.managed {
			out = append(out, fmt.Sprintf("nothing observed: all %d managed %s in the state %s of types Cairn does not map (it maps AWS, Google Cloud, Azure and vSphere types)",
				n, plural(n, "resource", "resources"), plural(n, "is", "are")))
		}
		out = append(out, fmt.Sprintf("%d %s of types Cairn does not map %s skipped: %s",
			n, plural(n, "resource", "resources"), plural(n, "was", "were"), st.unmapped.byCount()))
	}
	if len(st.unresolved) > 0 {
		list := st.unresolved
		more := ""
		if len(list) > maxListed {
			list, more = list[:maxListed], fmt.Sprintf(" and %d more", len(st.unresolved)-maxListed)
		}
		out = append(out, fmt.Sprintf("%d dependency %s unresolved (no such resource in the state): %s%s",
			len(st.unresolved), plural(len(st.unresolved), "reference", "references"), strings.Join(list, ", "), more))
	}
	return out
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Parse reads the Terraform state in r, called name in errors, and returns
// an observation for every instance of a managed resource of a supported
// type, in the order of the file. SeenAt is left zero: a state file records
// no time of observation.
//
// A state of a format version other than 4, a document that is not a
// state, and an attribute of an unexpected type are errors; an error names
// the line and column of a JSON syntax error, and otherwise the resource
// address.
func Parse(r io.Reader, name string) ([]discovery.Observation, error) {
	st, err := parse(r, name, nil)
	if err != nil {
		return nil, err
	}
	return st.obs, nil
}

// rawResource is one element of a state's "resources".
type rawResource struct {
	Module    string            `json:"module"`
	Mode      string            `json:"mode"`
	Type      string            `json:"type"`
	Name      string            `json:"name"`
	Provider  string            `json:"provider"`
	Instances []json.RawMessage `json:"instances"`
}

// rawInstance is one element of a resource's "instances".
type rawInstance struct {
	IndexKey       json.RawMessage   `json:"index_key"`
	Deposed        string            `json:"deposed"`
	Attributes     json.RawMessage   `json:"attributes"`
	AttributesFlat map[string]string `json:"attributes_flat"`
	Dependencies   []string          `json:"dependencies"` // absolute resource addresses
	DependsOn      []string          `json:"depends_on"`   // early 0.12 states: relative to the module
}

// node is an observation with what its relationships are resolved from.
type node struct {
	module       string   // module instance address: `module.edge["eu"]`
	configModule string   // module configuration address: module.edge
	resource     string   // absolute resource address: module keys, no instance key
	config       string   // configuration address: no keys at all
	deps         []string // absolute: "dependencies"
	relDeps      []string // relative to module: the "depends_on" of early 0.12 states
}

// parse is Parse limited to types (nil: every supported type), with what
// Discover logs.
func parse(r io.Reader, name string, types map[string]bool) (*parsed, error) {
	if name == "" {
		name = "terraform state"
	}
	data, err := io.ReadAll(io.LimitReader(r, maxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("%s: state file larger than %d MiB", name, maxStateSize>>20)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}

	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, syntaxError(name, data, err)
	}
	if top == nil {
		return nil, fail("not a Terraform state: want a JSON object, got null")
	}
	st := &parsed{skipped: skipCounts{}, unmapped: skipCounts{}}
	rawVersion, ok := top["version"]
	if !ok {
		return nil, fail(`not a Terraform state: no "version"`)
	}
	var version int64
	if err := json.Unmarshal(rawVersion, &version); err != nil {
		return nil, fail("version: want an integer, got %s", textclip.Message(string(rawVersion)))
	}
	if version != stateVersion {
		hint := ""
		if version >= 0 && version < stateVersion {
			hint = "; an older state is upgraded to version 4 by any terraform command of Terraform 0.12 or later that writes state, such as terraform apply -refresh-only"
		}
		return nil, fail("state format version %d is not supported: want version %d, written by Terraform 0.12 and later%s", version, stateVersion, hint)
	}
	for _, f := range []struct {
		key string
		dst any
	}{
		{"terraform_version", &st.terraformVersion},
		{"serial", &st.serial},
		{"lineage", &st.lineage},
	} {
		raw, ok := top[f.key]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return nil, fail("%s: want %s, got %s", f.key, want(reflect.TypeOf(f.dst).Elem()), textclip.Message(string(raw)))
		}
	}
	rawResources, ok := top["resources"]
	if !ok || string(rawResources) == "null" {
		return nil, fail(`not a Terraform state: no "resources" list`)
	}
	var resources []json.RawMessage
	if err := json.Unmarshal(rawResources, &resources); err != nil {
		return nil, fail("resources: want a list, got %s", discovery.JSONKind(rawResources))
	}

	table := specs()
	var nodes []node
	seen := map[string]bool{}
	known := map[string]bool{} // every resource address in the file, observed or not
	for i, raw := range resources {
		where := fmt.Sprintf("resources[%d]", i)
		var res rawResource
		err := json.Unmarshal(raw, &res)
		if res.Type != "" && res.Name != "" {
			where = "resource " + joinModule(res.Module, res.Type+"."+res.Name)
		}
		if err != nil {
			return nil, fail("%s: %s", where, typeError(err, raw))
		}
		switch res.Mode {
		case "managed":
			known[joinModule(res.Module, res.Type+"."+res.Name)] = true
			st.managed += len(res.Instances)
		case "data":
			known[joinModule(res.Module, "data."+res.Type+"."+res.Name)] = true
			st.skipped["data source"] += len(res.Instances)
			continue
		default:
			return nil, fail("%s: mode %q: want managed or data", where, textclip.Message(res.Mode))
		}
		if cm, err := parseModule(res.Module); err == nil && cm != res.Module {
			known[joinModule(cm, res.Type+"."+res.Name)] = true
		}
		sp, supported := table[res.Type]
		if !supported || (types != nil && !types[res.Type]) {
			st.skipped[res.Type] += len(res.Instances)
			if !supported {
				st.unmapped[res.Type] += len(res.Instances)
			}
			continue
		}
		if !validIdent(res.Name) {
			return nil, fail("resources[%d]: resource name %q is not a Terraform identifier", i, textclip.Message(res.Name))
		}
		configModule, err := parseModule(res.Module)
		if err != nil {
			return nil, fail("%s: module %q: %v", where, textclip.Message(res.Module), err)
		}
		resAddr := joinModule(res.Module, res.Type+"."+res.Name)
		cfgAddr := joinModule(configModule, res.Type+"."+res.Name)
		if res.Instances == nil {
			// Terraform writes "instances": [] for a resource with no
			// instances; a resource without the list is not from a state.
			return nil, fail("resource %s: no instances list", resAddr)
		}
		for j, rawInst := range res.Instances {
			var inst rawInstance
			if err := json.Unmarshal(rawInst, &inst); err != nil {
				return nil, fail("resource %s: instances[%d]: %s", resAddr, j, typeError(err, rawInst))
			}
			key, err := indexKey(inst.IndexKey)
			if err != nil {
				return nil, fail("resource %s: instances[%d]: %v", resAddr, j, err)
			}
			addr := resAddr + key
			if inst.Deposed != "" {
				st.skipped["deposed"]++
				continue
			}
			if seen[addr] {
				return nil, fail("resource %s: instance %s appears twice", resAddr, addr)
			}
			seen[addr] = true
			a, err := decodeAttrs(inst.Attributes)
			if err != nil {
				return nil, fail("resource %s: %v", addr, err)
			}
			if len(inst.Attributes) == 0 && inst.AttributesFlat != nil {
				a = flatAttrs(inst.AttributesFlat)
			}
			o, err := observe(sp, res.Type, addr, a)
			if err != nil {
				return nil, fail("resource %s: %v", addr, err)
			}
			st.obs = append(st.obs, o)
			nodes = append(nodes, node{
				module:       res.Module,
				configModule: configModule,
				resource:     resAddr,
				config:       cfgAddr,
				deps:         inst.Dependencies,
				relDeps:      inst.DependsOn,
			})
		}
	}
	st.unresolved, st.onSkipped = relate(st.obs, nodes, known)
	return st, nil
}

// relate turns dependencies into DEPENDS_ON relationships, the way
// Terraform's own state reader (states/statefile, version 4) reads them:
//
//   - "dependencies" (Terraform 0.12.x after the first releases, and every
//     later version) hold absolute resource addresses:
//     module.vpc.aws_subnet.a, or in 0.12 with module keys,
//     module.vpc["eu"].aws_subnet.a.
//   - "depends_on" (the first 0.12 releases) holds references as the
//     configuration wrote them, parsed by Terraform relative to the
//     resource's own module: in module.vpc, aws_subnet.a is
//     module.vpc.aws_subnet.a (and in module.vpc["eu"], that module
//     instance's resource). A reference may name an instance
//     (aws_subnet.a[0]) or a data source (data.aws_ami.x).
//
// A dependency names a resource (by its configuration address or its
// absolute address) or an instance, and stands for each of its instances
// that is an observation. A dependency on a resource of the dependent's own
// module stands for the instances in the same instance of that module: in
// module.edge["eu"], module.edge.aws_s3_bucket.assets is
// module.edge["eu"].aws_s3_bucket.assets.
//
// It returns the references that name no resource in the file (known holds
// every resource address the file has, observed or not), as "REF (from
// ADDRESS)" in the order of the file, and how many references named a
// resource that yields no observation, such as a data source.
func relate(obs []discovery.Observation, nodes []node, known map[string]bool) (unresolved []string, onSkipped int) {
	instances := map[string][]string{}
	type pair struct{ addr, key string }
	added := map[pair]bool{}
	add := func(addr, key string) {
		if !added[pair{addr, key}] {
			added[pair{addr, key}] = true
			instances[addr] = append(instances[addr], key)
		}
	}
	for i, n := range nodes {
		add(n.config, obs[i].Key)
		add(n.resource, obs[i].Key)
		add(obs[i].Key, obs[i].Key)
	}
	for i, n := range nodes {
		done := map[string]bool{obs[i].Key: true}
		link := func(raw, dep string, targets []string) {
			if len(targets) == 0 {
				if known[stripKey(dep)] {
					onSkipped++
				} else {
					unresolved = append(unresolved, fmt.Sprintf("%s (from %s)", textclip.Message(raw), obs[i].Key))
				}
				return
			}
			for _, to := range targets {
				if done[to] {
					continue
				}
				done[to] = true
				obs[i].Relationships = append(obs[i].Relationships, discovery.Relationship{Type: "DEPENDS_ON", To: to})
			}
		}
		for _, dep := range n.deps {
			targets := instances[dep]
			if n.module != n.configModule {
				if local, ok := strings.CutPrefix(dep, n.configModule+"."); ok && !strings.HasPrefix(local, "module.") {
					if own, ok := instances[n.module+"."+local]; ok {
						targets = own
					}
				}
			}
			link(dep, dep, targets)
		}
		for _, ref := range n.relDeps {
			abs := joinModule(n.module, ref)
			link(ref, abs, instances[abs])
		}
	}
	return unresolved, onSkipped
}

// stripKey returns addr without a trailing instance key: aws_subnet.a for
// aws_subnet.a[0] or aws_subnet.a["x"].
func stripKey(addr string) string {
	if !strings.HasSuffix(addr, "]") {
		return addr
	}
	for i := strings.LastIndexByte(addr, '['); i > 0; i = strings.LastIndexByte(addr[:i], '[') {
		if keyLen(addr[i:]) == len(addr)-i {
			return addr[:i]
		}
	}
	return addr
}

// joinModule returns the address of resource in module ("" for the root).
func joinModule(module, resource string) string {
	if module == "" {
		return resource
	}
	return module + "." + resource
}

// parseModule checks a module instance address such as
// `module.net["a"].module.sub[0]` and returns its configuration address,
// without instance keys: "module.net.module.sub".
func parseModule(s string) (string, error) {
	var b strings.Builder
	rest := s
	for rest != "" {
		after, ok := strings.CutPrefix(rest, "module.")
		if !ok {
			return "", errors.New(`want module.NAME steps, such as module.net or module.net["a"].module.sub[0]`)
		}
		n := 0
		for n < len(after) && after[n] != '.' && after[n] != '[' {
			n++
		}
		if !validIdent(after[:n]) {
			return "", fmt.Errorf("module name %q is not a Terraform identifier", textclip.Message(after[:n]))
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString("module." + after[:n])
		after = after[n:]
		if strings.HasPrefix(after, "[") {
			k := keyLen(after)
			if k == 0 {
				return "", errors.New("malformed instance key")
			}
			after = after[k:]
		}
		if after == "" {
			break
		}
		if after[0] != '.' || len(after) == 1 {
			return "", errors.New(`want "." between steps`)
		}
		rest = after[1:]
	}
	return b.String(), nil
}

// keyLen returns the length of the instance key that s starts with: `[0]`
// or `["a"]`, in Terraform's quoting; 0 if s does not start with one.
func keyLen(s string) int {
	if len(s) < 3 || s[0] != '[' {
		return 0
	}
	if s[1] == '"' {
		for i := 2; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				if i+1 < len(s) && s[i+1] == ']' {
					return i + 2
				}
				return 0
			}
		}
		return 0
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == ']' && i > 1:
			return i + 1
		case c < '0' || c > '9':
			return 0
		}
	}
	return 0
}

// indexKey returns an instance's key in address syntax: "" for a resource
// without count or for_each, "[0]" for count, `["a"]` for for_each.
func indexKey(raw json.RawMessage) (string, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s == "null" {
		return "", nil
	}
	switch s[0] {
	case '"':
		var k string
		if err := json.Unmarshal(raw, &k); err != nil {
			return "", fmt.Errorf("index_key: %v", err)
		}
		return "[" + quote(k) + "]", nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		n, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return "", fmt.Errorf("index_key %s: want a whole number or a string", textclip.Message(s))
		}
		return "[" + strconv.FormatUint(n, 10) + "]", nil
	}
	return "", fmt.Errorf("index_key: want a number or a string, got %s", discovery.JSONKind(raw))
}

// quote quotes a string instance key as Terraform writes it in an address:
// HCL string syntax, with template introducers ("${", "%{") doubled.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '$', '%':
			b.WriteRune(r)
			if strings.HasPrefix(s[i+1:], "{") {
				b.WriteRune(r)
			}
		default:
			switch {
			case unicode.IsPrint(r):
				b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// validIdent reports whether s is a Terraform (HCL) identifier: a letter or
// underscore, then letters, digits, underscores and hyphens.
func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r), r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '-'):
		default:
			return false
		}
	}
	return true
}

// syntaxError describes a document that does not decode as a JSON object,
// by line and column where the decoder says where.
func syntaxError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Errorf("%s:%d:%d: not JSON: %v", name, line, col, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := position(data, te.Offset)
		return fmt.Errorf("%s:%d:%d: not a Terraform state: want a JSON object, got %s", name, line, col, te.Value)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// position returns the 1-based line and column (in bytes) of offset in
// data. The decoder's offset is just past the offending byte.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset > 0 {
		offset-- // the offending byte itself
	}
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// typeError describes a decoding error of a resource or instance, whose
// JSON is known to be valid: a value of the wrong type.
func typeError(err error, raw json.RawMessage) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Sprintf("want an object, got %s", discovery.JSONKind(raw))
		}
		return fmt.Sprintf("%s: want %s, got %s", te.Field, want(te.Type), te.Value)
	}
	return err.Error()
}

// want names the JSON type a Go type decodes from.
func want(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
