package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzConfig returns the configuration of fixture name (without "file").
func fuzzConfig(t testing.TB, name string) *Config {
	t.Helper()
	base := strings.TrimSuffix(name, filepath.Ext(name))
	raw, err := os.ReadFile(filepath.Join(fixtureDir, base+".config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := json.Unmarshal(raw, cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fuzzParse parses data with cfg and checks the result: no error without
// a file and line, observations that pass Check, the same result twice.
func fuzzParse(t *testing.T, data []byte, name string, cfg *Config) {
	obs, err := Parse(bytes.NewReader(data), name, cfg)
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) || fe.File != name || fe.Line < 1 {
			t.Fatalf("error %q does not name the file and a line", err)
		}
		if !strings.HasPrefix(err.Error(), name+" line ") {
			t.Fatalf("error %q does not start with the file and line", err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Fatalf("error %q is not UTF-8", err)
		}
		return
	}
	checkObservations(t, obs)
	again, err := Parse(bytes.NewReader(data), name, cfg)
	if err != nil || !reflect.DeepEqual(obs, again) {
		t.Fatalf("a second parse differs: %v", err)
	}
}

func fuzzSeeds(f *testing.F, names ...string) {
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i))
	}
}

func FuzzParseCSV(f *testing.F) {
	names := []string{"inventory.csv", "hosts.csv"}
	fuzzSeeds(f, names...)
	f.Add([]byte("name,kind,ip,depends_on\na,vm,10.0.0.1 10.0.0.2,b\nb,server,,\n"), uint8(2))
	f.Add([]byte("\ufeffName;Kind\n\"a;b\";VM\n;\n"), uint8(1))
	cfgs := []*Config{fuzzConfig(f, names[0]), fuzzConfig(f, names[1]), DefaultConfig()}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		fuzzParse(t, data, "fuzz.csv", cfgs[int(which)%len(cfgs)])
	})
}

func FuzzParseJSON(f *testing.F) {
	names := []string{"hypervisor.json", "containers.jsonl"}
	fuzzSeeds(f, names...)
	f.Add([]byte(`[{"name": "a", "fact": {"x": 1, "y": [true]}, "ip": ["10.0.0.1", null]}, {"key": "k", "name": "b", "depends_on": "a;k"}]`), uint8(2))
	f.Add([]byte("{\"name\": \"a\"}\n{\"name\": \"b\", \"depends_on\": [\"a\"]}\n"), uint8(3))
	type variant struct {
		name string
		cfg  *Config
	}
	hyper := fuzzConfig(f, names[0])
	variants := []variant{
		{"fuzz.json", hyper},
		{"fuzz.jsonl", fuzzConfig(f, names[1])},
		{"fuzz.json", DefaultConfig()},
		{"fuzz.jsonl", DefaultConfig()},
		{"fuzz.jsonl", hyper},
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		v := variants[int(which)%len(variants)]
		fuzzParse(t, data, v.name, v.cfg)
	})
}
