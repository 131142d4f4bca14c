package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/discovery/file")

// fixtureDir holds the fixtures, relative to this package.
var fixtureDir = filepath.Join("..", "..", "testdata", "discovery", "file")

// fixtures are the inventories with a <name>.config.json (without "file")
// and a <name>.golden.json.
func fixtures() []string {
	return []string{"inventory.csv", "hosts.csv", "hypervisor.json", "containers.jsonl"}
}

func registry(t testing.TB) *discovery.Registry {
	t.Helper()
	reg, err := discovery.NewRegistry(Kind())
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// fixtureConfig returns the fixture's configuration JSON with "file" set.
func fixtureConfig(t testing.TB, name string) []byte {
	t.Helper()
	base := strings.TrimSuffix(name, filepath.Ext(name))
	raw, err := os.ReadFile(filepath.Join(fixtureDir, base+".config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["file"] = filepath.Join(fixtureDir, name)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// checkObservations checks what every parse must return: observations
// that pass Check, unique keys and relationships to keys of the run.
func checkObservations(t *testing.T, obs []discovery.Observation) {
	t.Helper()
	keys := map[string]bool{}
	for i := range obs {
		o := &obs[i]
		if err := o.Check(); err != nil {
			t.Fatalf("observation %d: %v", i, err)
		}
		if keys[o.Key] {
			t.Fatalf("key %q twice", o.Key)
		}
		keys[o.Key] = true
		if strings.TrimSpace(o.Name) == "" {
			t.Fatalf("observation %q has no name", o.Key)
		}
		for _, id := range o.Identifiers {
			if id.Value == "" || id.Value != strings.TrimSpace(id.Value) {
				t.Fatalf("observation %q: identifier %+v is empty or untrimmed", o.Key, id)
			}
		}
		for k, v := range o.Facts {
			if v == "" || v != strings.TrimSpace(v) {
				t.Fatalf("observation %q: fact %q=%q is empty or untrimmed", o.Key, k, v)
			}
		}
		for k, v := range o.Fields {
			if v == "" || v != strings.TrimSpace(v) {
				t.Fatalf("observation %q: field %q=%q is empty or untrimmed", o.Key, k, v)
			}
		}
	}
	for _, o := range obs {
		for _, r := range o.Relationships {
			if !keys[r.To] || r.To == o.Key {
				t.Fatalf("observation %q: relationship %+v to no other observation", o.Key, r)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, name := range fixtures() {
		t.Run(name, func(t *testing.T) {
			src, err := registry(t).Build("file", fixtureConfig(t, name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Discover(context.Background(), discovery.Env{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial || len(res.HostErrors) > 0 {
				t.Errorf("result is partial: %+v", res)
			}
			checkObservations(t, res.Observations)
			for _, o := range res.Observations {
				if !o.SeenAt.Equal(now) {
					t.Errorf("%s: seen at %v, want env.Now", o.Key, o.SeenAt)
				}
			}
			got, err := json.MarshalIndent(res.Observations, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(name, filepath.Ext(name))
			golden(t, filepath.Join(fixtureDir, base+".golden.json"), append(got, '\n'))
		})
	}
}

func TestDiscoverMissingFile(t *testing.T) {
	src, err := (&Config{File: filepath.Join(t.TempDir(), "gone.csv")}).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Discover(context.Background(), discovery.Env{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}

func TestDiscoverCancelled(t *testing.T) {
	src, err := registry(t).Build("file", fixtureConfig(t, "inventory.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Discover(ctx, discovery.Env{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	k := Kind()
	if k.Name != "file" {
		t.Errorf("kind name %q", k.Name)
	}
	cfg, ok := k.NewConfig().(*Config)
	if !ok {
		t.Fatalf("NewConfig returned %T", k.NewConfig())
	}
	want := Config{Delimiter: ",", Kind: "SERVER"}
	if cfg.File != want.File || cfg.Format != want.Format || cfg.Delimiter != want.Delimiter || cfg.Kind != want.Kind || cfg.Mapping != nil {
		t.Errorf("default config %+v, want %+v", *cfg, want)
	}
	if err := discovery.Validate(cfg); err == nil || err.Error() != "file: is required" {
		t.Errorf("validating the default config: %v", err)
	}
	cfg.File, cfg.Format = "x.csv", "xml"
	if err := discovery.Validate(cfg); err == nil || err.Error() != "format: must be one of csv json jsonl" {
		t.Errorf("validating format xml: %v", err)
	}
}

// TestConfigErrors checks what the registry says about bad configurations.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"file": "x.csv", "bogus": 1}`, `file source config: json: unknown field "bogus"`},
		{`{"file": "x.txt"}`, `file source config: format: cannot tell the format of "x.txt" from its extension: set csv, json or jsonl`},
		{`{"file": "x.csv", "delimiter": ";;"}`, `file source config: delimiter: want one character other than a quote or line break, got ";;"`},
		{`{"file": "x.csv", "delimiter": "\""}`, `file source config: delimiter: want one character other than a quote or line break, got "\""`},
		{`{"file": "x.csv", "delimiter": "\n"}`, `file source config: delimiter: want one character other than a quote or line break, got "\n"`},
		{`{"file": "x.csv", "kind": "toaster"}`, `file source config: kind: unknown kind "toaster" (want one of SERVER, VM, CONTAINER, NETWORK_DEVICE, STORAGE, DATABASE, APPLICATION, LOAD_BALANCER, CLOUD_RESOURCE, CLUSTER)`},
		{`{"file": "x.csv", "mapping": {"Serial": "serial"}}`, `file source config: mapping: column "Serial": unknown target "serial" (want key, name, kind, hostname, fqdn, serial_number, description, identifier.<KIND>, fact.<key>, depends_on or relationship.<TYPE>)`},
		{`{"file": "x.csv", "mapping": {"Id": "identifier.SERIALNO"}}`, `file source config: mapping: column "Id": unknown identifier kind "SERIALNO" (want one of HOSTNAME, FQDN, IP, MAC, SERIAL, ASSET_TAG, CLOUD_ID, UUID)`},
		{`{"file": "x.csv", "mapping": {"Host": "relationship.LIVES_ON"}}`, `file source config: mapping: column "Host": unknown relationship type "LIVES_ON" (want one of DEPENDS_ON, RUNS_ON, HOSTED_ON, CONNECTS_TO, MEMBER_OF, USES, BACKS_UP_TO, REPLICATES_TO)`},
		{`{"file": "x.csv", "mapping": {"Rack": "fact. "}}`, `file source config: mapping: column "Rack": target "fact.": want fact.<key>`},
		{`{"file": "x.csv", "mapping": {" ": "name"}}`, `file source config: mapping: empty column name`},
		{`{"file": "x.csv", "mapping": {"Host": "name", "Name": "NAME"}}`, `file source config: mapping: columns "Host" and "Name" both map to name`},
		{`{"file": "x.csv", "mapping": {"a": "fact.x", "b": "fact.x"}}`, `file source config: mapping: columns "a" and "b" both map to fact.x`},
		{`{"file": "x.csv", "mapping": {"a": "identifier.ip"}, "delimiter": 1}`, `file source config: delimiter: want string`},
	} {
		_, err := registry(t).Build("file", []byte(tc.raw))
		if err == nil || err.Error() != tc.want {
			t.Errorf("config %s:\n got %v\nwant %s", tc.raw, err, tc.want)
		}
	}
}

// TestConfigOK checks configurations that must build.
func TestConfigOK(t *testing.T) {
	for _, raw := range []string{
		`{"file": "x.CSV"}`,
		`{"file": "x.ndjson"}`,
		`{"file": "x.txt", "format": "csv", "delimiter": "\t"}`,
		`{"file": "x.json", "delimiter": ";;"}`, // ignored for JSON
		`{"file": "x.csv", "kind": "network device"}`,
		`{"file": "x.csv", "mapping": {"ip1": "identifier.IP", "ip2": "Identifier.ip", "up": "depends_on", "up2": "relationship.depends_on"}}`,
	} {
		if _, err := registry(t).Build("file", []byte(raw)); err != nil {
			t.Errorf("config %s: %v", raw, err)
		}
	}
}

func TestParse(t *testing.T) {
	cfg := &Config{Mapping: map[string]string{"Host": "name", "Addr": "identifier.ip", "Up": "depends_on", "Type": "kind"}}
	obs, err := Parse(strings.NewReader("\ufeff\"Host\",Addr,Type,Up\n"+
		"a, 10.0.0.1 10.0.0.2;10.0.0.1 ,network device,\n"+
		"b,,Load-Balancer,\"a,a;  a\"\n"), "x.csv", cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkObservations(t, obs)
	got, _ := json.Marshal(obs)
	want := `[{"key":"10.0.0.1","kind":"NETWORK_DEVICE","name":"a","identifiers":[{"kind":"IP","value":"10.0.0.1"},{"kind":"IP","value":"10.0.0.2"}],"fields":{"name":"a"},"seenAt":"0001-01-01T00:00:00Z"},` +
		`{"key":"b","kind":"LOAD_BALANCER","name":"b","fields":{"name":"b"},"relationships":[{"type":"DEPENDS_ON","to":"10.0.0.1"}],"seenAt":"0001-01-01T00:00:00Z"}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestBadInputs checks the error for each kind of bad input.
func TestBadInputs(t *testing.T) {
	custom := map[string]string{"Host": "name", "Serial": "serial_number", "Type": "kind", "IP": "identifier.IP", "Up": "depends_on", "Key": "key"}
	nested := map[string]string{"vm.name": "name", "vm.type": "kind", "ips": "identifier.IP", "up": "depends_on", "rack": "fact.rack"}
	for _, tc := range []struct {
		name    string
		file    string
		mapping map[string]string
		in      string
		want    string
	}{
		{"empty csv", "inventory.csv", nil, "", `inventory.csv line 1: empty file: want a header row`},
		{"bom only", "inventory.csv", nil, "\ufeff", `inventory.csv line 1: empty file: want a header row`},
		{"no mapped column", "inventory.csv", nil, "a,b\n1,2\n", `inventory.csv line 1: no column maps to a target (the header has 2 columns, none named like one): give a mapping`},
		{"default mapping clash", "inventory.csv", nil, "name,Name\na,b\n", `inventory.csv line 1: columns "name" and "Name" both map to name`},
		{"mapped column missing", "inventory.csv", custom, "Host,Type\na,VM\n", `inventory.csv line 1: column "IP" is not in the header (of 2 columns)`},
		{"mapped column twice", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up,Host\n", `inventory.csv line 1: column "Host" is in the header twice`},
		{"bad kind", "inventory.csv", nil, "name,kind\na,VM\nb,server\nc,SRVER\n", `inventory.csv line 4: column "kind": unknown kind (want one of SERVER, VM, CONTAINER, NETWORK_DEVICE, STORAGE, DATABASE, APPLICATION, LOAD_BALANCER, CLOUD_RESOURCE, CLUSTER)`},
		{"bad kind custom", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up\na,,,,Toaster,\n", `inventory.csv line 2: column "Type": unknown kind (want one of SERVER, VM, CONTAINER, NETWORK_DEVICE, STORAGE, DATABASE, APPLICATION, LOAD_BALANCER, CLOUD_RESOURCE, CLUSTER)`},
		{"ragged row", "inventory.csv", nil, "name,kind,ip\na,VM,10.0.0.1\nb,VM\n", `inventory.csv line 3: has 2 fields, the header has 3`},
		{"long row", "inventory.csv", nil, "name,kind\na,VM,x\n", `inventory.csv line 2: has 3 fields, the header has 2`},
		{"bare quote", "inventory.csv", nil, "name,kind\na\"b,VM\n", `inventory.csv line 2: bare " in non-quoted-field`},
		{"unterminated quote", "inventory.csv", nil, "name,kind\n\"a,VM\nb,VM\n", `inventory.csv line 3: extraneous or missing " in quoted-field`},
		{"no name no identifier", "inventory.csv", nil, "name,kind,description\na,VM,x\n,VM,y\n", `inventory.csv line 3: no name and no identifier`},
		{"duplicate key", "inventory.csv", nil, "name,ip\na,10.0.0.1\nb,10.0.0.2\nc,10.0.0.1\n", `inventory.csv line 4: duplicate key (first on line 2)`},
		{"duplicate key after multi-line", "inventory.csv", nil, "name,description\na,\"x\ny\"\nb,\na,z\n", `inventory.csv line 5: duplicate key (first on line 2)`},
		{"duplicate explicit key", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up\na,,k,,,\nb,,k,,,\n", `inventory.csv line 3: duplicate key (first on line 2)`},
		{"unknown dependency", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up\na,,,,,\nb,,,,,c\n", `inventory.csv line 3: column "Up": reference 1 names no row (by key or name)`},
		{"ambiguous dependency", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up\na,,k1,,,\na,,k2,,,\nb,,,,,a\n", `inventory.csv line 4: column "Up": reference 1 names several rows (on line 2 and line 3)`},
		{"second reference unknown", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up\na,,,,,\nb,,,,,\"a; zz\"\n", `inventory.csv line 3: column "Up": reference 2 names no row (by key or name)`},
		{"self dependency", "inventory.csv", custom, "Host,IP,Key,Serial,Type,Up\na,,,,,\nb,,,S1,,S1\n", `inventory.csv line 3: column "Up": reference 1 names this row itself`},
		{"invalid utf-8", "inventory.csv", nil, "name,kind\na\xff,VM\n", `inventory.csv line 2: column "name": value is not valid UTF-8`},
		{"semicolon delimiter ignored", "inventory.csv", nil, "name;kind\na;VM\n", `inventory.csv line 1: no column maps to a target (the header has 1 column, none named like one): give a mapping`},

		{"empty json", "vms.json", nested, "  \n", `vms.json line 1: empty file: want a JSON array of objects`},
		{"json not array", "vms.json", nested, "\n{\"vm\": {}}", `vms.json line 2: want a JSON array of objects, got an object`},
		{"json string", "vms.json", nested, `"x"`, `vms.json line 1: want a JSON array of objects, got a string`},
		{"json element not object", "vms.json", nested, "[\n {\"vm\": {\"name\": \"a\"}},\n 42\n]", `vms.json line 3 (element 1): want an object, got a number`},
		{"json bad kind", "vms.json", nested, "[\n {\"vm\": {\"name\": \"a\"}},\n {\n  \"vm\": {\"name\": \"b\", \"type\": \"SRVER\"}\n }\n]", `vms.json line 3 (element 1): column "vm.type": unknown kind (want one of SERVER, VM, CONTAINER, NETWORK_DEVICE, STORAGE, DATABASE, APPLICATION, LOAD_BALANCER, CLOUD_RESOURCE, CLUSTER)`},
		{"json object value", "vms.json", nested, `[{"vm": {"name": "a"}, "rack": {"row": 1}}]`, `vms.json line 1 (element 0): column "rack": want a value or a list of values, got an object`},
		{"json nested list", "vms.json", nested, `[{"vm": {"name": "a"}, "ips": [["10.0.0.1"]]}]`, `vms.json line 1 (element 0): column "ips": want a value or a list of values, got a list holding a list`},
		{"json list for one value", "vms.json", nested, `[{"vm": {"name": ["a", "b"]}}]`, `vms.json line 1 (element 0): column "vm.name": want one value, got a list of 2`},
		{"json no name", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}},\n{\"vm\": {\"name\": \"  \"}, \"rack\": \"R1\"}]", `vms.json line 3 (element 1): no name and no identifier`},
		{"json duplicate key", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}},\n\n{\"vm\": {\"name\": \"a\"}}]", `vms.json line 4 (element 1): duplicate key (first on line 2 (element 0))`},
		{"json syntax", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}},\n{\"vm\": {\"name\": \"b\",}}]", `vms.json line 3 (element 1): not valid JSON`},
		{"json missing comma", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}}\n{\"vm\": {\"name\": \"b\"}}]", `vms.json line 3 (element 1): not valid JSON`},
		{"json truncated", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}},\n{\"vm\": {\"name\": ", `vms.json line 3 (element 1): unexpected end of file`},
		{"json unclosed array", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}}\n", `vms.json line 3: unexpected end of file`},
		{"json trailing data", "vms.json", nested, "[{\"vm\": {\"name\": \"a\"}}]\n[]", `vms.json line 2: unexpected "[" after the array`},
		{"json unknown dependency", "vms.json", nested, "[\n{\"vm\": {\"name\": \"a\"}, \"up\": [\"a2\"]}]", `vms.json line 2 (element 0): column "up": reference 1 names no row (by key or name)`},
		{"json default clash", "vms.json", nil, `[{"name": "a", "Name": "b"}]`, `vms.json line 1 (element 0): columns "Name" and "name" both map to name`},
		{"json default bad kind", "vms.json", nil, `[{"name": "a", "kind": 7}]`, `vms.json line 1 (element 0): column "kind": unknown kind (want one of SERVER, VM, CONTAINER, NETWORK_DEVICE, STORAGE, DATABASE, APPLICATION, LOAD_BALANCER, CLOUD_RESOURCE, CLUSTER)`},

		{"jsonl not object", "vms.jsonl", nested, "{\"vm\": {\"name\": \"a\"}}\n\n[1]\n", `vms.jsonl line 3: want an object, got an array`},
		{"jsonl syntax", "vms.jsonl", nested, "{\"vm\": {\"name\": \"a\"}}\n{\"vm\": {\"name\": \"b\"}\n", `vms.jsonl line 2: unexpected end of file`},
		{"jsonl duplicate key", "vms.jsonl", nil, "{\"name\": \"a\"}\n{\"name\": \"b\"}\n{\"name\": \"a\"}\n", `vms.jsonl line 3: duplicate key (first on line 1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Parse(strings.NewReader(tc.in), tc.file, &Config{Mapping: tc.mapping})
			if err == nil {
				t.Fatalf("no error; observations %+v", obs)
			}
			if err.Error() != tc.want {
				t.Errorf("\n got %s\nwant %s", err, tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.File != tc.file || fe.Line < 1 {
				t.Errorf("error %#v is not a *Error naming %s and a line", err, tc.file)
			}
		})
	}
}

// TestJSONLines checks line numbers over a large array, past the decoder's
// buffer.
func TestJSONLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("[\n")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, "  {\n    \"name\": \"host-%d\",\n    \"ip\": \"10.%d.%d.%d\"\n  },\n", i, i>>16&255, i>>8&255, i&255)
	}
	b.WriteString("  {\"name\": \"host-0\", \"ip\": \"10.0.0.0\"}\n]\n")
	_, err := Parse(strings.NewReader(b.String()), "big.json", &Config{})
	want := fmt.Sprintf(`big.json line %d (element %d): duplicate key (first on line 2 (element 0))`, 2+4*n, n)
	if err == nil || err.Error() != want {
		t.Fatalf("\n got %v\nwant %s", err, want)
	}
}

func TestEmptyInventories(t *testing.T) {
	for name, in := range map[string]string{"a.csv": "name,ip\n", "b.csv": "name,ip\n,\n  ,  \n", "c.json": " [ ] ", "d.jsonl": "\n\n"} {
		obs, err := Parse(strings.NewReader(in), name, &Config{})
		if err != nil || len(obs) != 0 {
			t.Errorf("%s: got %v, %v; want no observations", name, obs, err)
		}
	}
}

// TestErrorsNeverQuoteTheFile: a run's error is read by more people than
// the file is (issue 13: a job pointed at /etc/shadow had its first line in
// the run error). Whatever is wrong, the error says where (line) and what,
// never what the file holds.
func TestErrorsNeverQuoteTheFile(t *testing.T) {
	const secret = "s3cr3tH4sh"
	custom := map[string]string{"Host": "name", "Type": "kind", "Up": "depends_on", "Key": "key"}
	for _, tc := range []struct {
		name, file string
		mapping    map[string]string
		in         string
	}{
		{"shadow as csv", "shadow.csv", nil, "root:$6$" + secret + ":19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"},
		{"shadow with a mapping", "shadow.csv", custom, "root:$6$" + secret + ":19000\n"},
		{"shadow as json", "shadow.json", nil, "root:$6$" + secret + ":19000:0:99999:7:::\n"},
		{"shadow as jsonl", "shadow.jsonl", nil, "root:$6$" + secret + "\n"},
		{"json syntax in a value", "x.json", nil, `[{"name": "a", "kind": "` + secret + `",}]`},
		{"bad kind", "x.csv", custom, "Host,Type,Up,Key\na," + secret + ",,\n"},
		{"duplicate key", "x.csv", custom, "Host,Type,Up,Key\na,,," + secret + "\nb,,," + secret + "\n"},
		{"unknown reference", "x.csv", custom, "Host,Type,Up,Key\na,,b;" + secret + ",\nb,,,\n"},
		{"ambiguous reference", "x.csv", custom, "Host,Type,Up,Key\n" + secret + ",,,k1\n" + secret + ",,,k2\nc,,x;" + secret + ",\nx,,,\n"},
		{"self reference", "x.csv", custom, "Host,Type,Up,Key\n" + secret + ",,x;" + secret + ",\nx,,,\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), tc.file, &Config{Mapping: tc.mapping})
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "root:") {
				t.Errorf("error quotes the file: %v", err)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Line < 1 {
				t.Errorf("error %v names no line", err)
			}
		})
	}
}
