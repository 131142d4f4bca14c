package snmp_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery/snmp"
)

// FuzzFromPDUs feeds FromPDUs walks decoded from a JSON list of
// {oid, type, value}, seeded with the recorded walks: it must never panic,
// whatever it accepts must pass Check, and the same walk must always give
// the same observation.
func FuzzFromPDUs(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.pdus.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		fx, _, err := readFixture(file)
		if err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(fx.PDUs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("127.0.0.3", b)
	}
	f.Add("h", []byte(`[{"oid":".1.3.6.1.2.1.1.5.0","type":"OctetString","value":"a.b"},
{"oid":".1.3.6.1.2.1.2.2.1.6.1","type":"OctetString","hex":"001122334455"},
{"oid":".1.3.6.1.2.1.4.34.1.5.2.16.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1","type":"ObjectIdentifier","value":".1.3.6.1.2.1.4.32.1.5.1.2.16.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.128"},
{"oid":".1.3.6.1.2.1.25.2.3.1.5.1","type":"Integer","value":-5},
{"oid":".1.3.6.1.2.1.47.1.1.1.1.5.1","type":"Integer","value":3},
{"oid":".1.3.6.1.2.1.47.1.1.1.1.11.1","type":"OctetString","value":"\u0000SN\u200b1"}]`))
	f.Fuzz(func(t *testing.T, host string, in []byte) {
		pdus, err := decodePDUs(in, false)
		if err != nil {
			return
		}
		o, err := snmp.FromPDUs(host, pdus)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "snmp") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			return
		}
		if err := o.Check(); err != nil {
			t.Fatal(err)
		}
		if o.Key != "snmp "+host {
			t.Fatalf("key %q for host %q", o.Key, host)
		}
		again, err := snmp.FromPDUs(host, pdus)
		if err != nil || !reflect.DeepEqual(o, again) {
			t.Fatalf("second mapping differs: %v", err)
		}
		if _, err := json.Marshal(o); err != nil {
			t.Fatal(err)
		}
	})
}
