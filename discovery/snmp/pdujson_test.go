package snmp_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"unicode"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// fixtures holds recorded walks ("*.pdus.json") and what FromPDUs makes of
// them ("*.golden.json").
var fixtures = filepath.Join("..", "..", "testdata", "discovery", "snmp")

// fixture is a walk stored as JSON: the host it was read from, how, and its
// values.
type fixture struct {
	Host     string        `json:"host"`
	Recorded string        `json:"recorded,omitempty"`
	PDUs     []recordedPDU `json:"pdus"`
}

// recordedPDU is one value of a walk: its OID, its ASN.1 type by gosnmp
// name ("OctetString", "Integer", "ObjectIdentifier", ...) and its value
// (a JSON string or number), or for an OCTET STRING that is not printable
// text, its bytes in hex.
type recordedPDU struct {
	OID   string          `json:"oid"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value,omitempty"`
	Hex   *string         `json:"hex,omitempty"`
}

// asnTypes maps gosnmp's type names to types.
var asnTypes = func() map[string]gosnmp.Asn1BER {
	m := map[string]gosnmp.Asn1BER{}
	for i := 0; i < 256; i++ {
		t := gosnmp.Asn1BER(i)
		m[t.String()] = t
	}
	m["EndOfContents"] = gosnmp.EndOfContents
	return m
}()

// readFixture reads a fixture file.
func readFixture(path string) (*fixture, []gosnmp.SnmpPDU, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var f fixture
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	pdus, err := fromRecorded(f.PDUs, true)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, pdus, nil
}

// decodePDUs reads a JSON list of recorded PDUs. Unless strict, a value
// that does not fit its type is kept as whatever JSON made of it (the
// fuzz test wants FromPDUs to meet such values too).
func decodePDUs(b []byte, strict bool) ([]gosnmp.SnmpPDU, error) {
	var recs []recordedPDU
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, err
	}
	return fromRecorded(recs, strict)
}

func fromRecorded(recs []recordedPDU, strict bool) ([]gosnmp.SnmpPDU, error) {
	out := make([]gosnmp.SnmpPDU, 0, len(recs))
	for i, r := range recs {
		t, ok := asnTypes[r.Type]
		if !ok {
			return nil, fmt.Errorf("pdu %d (%s): unknown type %q", i, r.OID, r.Type)
		}
		v, err := decodeValue(t, r)
		if err != nil {
			if strict {
				return nil, fmt.Errorf("pdu %d (%s): %w", i, r.OID, err)
			}
			_ = json.Unmarshal(r.Value, &v)
		}
		out = append(out, gosnmp.SnmpPDU{Name: r.OID, Type: t, Value: v})
	}
	return out, nil
}

// decodeValue gives a value the Go type gosnmp decodes that ASN.1 type to.
func decodeValue(t gosnmp.Asn1BER, r recordedPDU) (any, error) {
	if r.Hex != nil {
		if t != gosnmp.OctetString {
			return nil, fmt.Errorf("hex for a %s", t)
		}
		return hex.DecodeString(*r.Hex)
	}
	switch t {
	case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return nil, nil
	case gosnmp.OctetString:
		var s string
		err := json.Unmarshal(r.Value, &s)
		return []byte(s), err
	case gosnmp.ObjectIdentifier, gosnmp.IPAddress:
		var s string
		err := json.Unmarshal(r.Value, &s)
		return s, err
	case gosnmp.Integer:
		var n int
		err := json.Unmarshal(r.Value, &n)
		return n, err
	case gosnmp.Counter32, gosnmp.Gauge32:
		var n uint32
		err := json.Unmarshal(r.Value, &n)
		return uint(n), err
	case gosnmp.TimeTicks, gosnmp.Uinteger32:
		var n uint32
		err := json.Unmarshal(r.Value, &n)
		return n, err
	case gosnmp.Counter64:
		var n uint64
		err := json.Unmarshal(r.Value, &n)
		return n, err
	}
	var v any
	err := json.Unmarshal(r.Value, &v)
	return v, err
}

// toRecorded turns a walk into its JSON form.
func toRecorded(pdus []gosnmp.SnmpPDU) ([]recordedPDU, error) {
	out := make([]recordedPDU, 0, len(pdus))
	for _, p := range pdus {
		r := recordedPDU{OID: p.Name, Type: p.Type.String()}
		switch v := p.Value.(type) {
		case nil:
		case []byte:
			if printable(v) {
				r.Value, _ = json.Marshal(string(v))
			} else {
				h := hex.EncodeToString(v)
				r.Hex = &h
			}
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
			r.Value = b
		}
		out = append(out, r)
	}
	return out, nil
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// writeJSON writes v as indented JSON.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
