package snmp_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// walks holds recorded walks of real devices: snmprec files (snmpsim's
// "OID|type|value" lines, LibreNMS's test data) and `snmpwalk -On -Ox`
// output (".walk"), each with a header of "#" lines naming where it comes
// from, and what the neighbour mapping makes of them ("*.golden.json").
var walks = filepath.Join("testdata", "walks")

// readWalkFile reads a recorded walk by its extension: ".snmprec" or
// ".walk".
func readWalkFile(path string) ([]gosnmp.SnmpPDU, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pdus []gosnmp.SnmpPDU
	switch filepath.Ext(path) {
	case ".snmprec":
		pdus, err = parseSnmprec(b)
	case ".walk":
		pdus, err = parseSnmpwalk(b)
	default:
		return nil, fmt.Errorf("%s: not a .snmprec or .walk file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pdus, nil
}

// parseSnmprec turns snmpsim's snmprec lines ("OID|type|value", type the
// ASN.1 tag number, with an "x" suffix when the value is in hex) into
// values of the Go types gosnmp decodes them to. Lines starting with "#"
// and empty lines are skipped.
func parseSnmprec(b []byte) ([]gosnmp.SnmpPDU, error) {
	var out []gosnmp.SnmpPDU
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("line %d: not OID|type|value", n)
		}
		oid, typ, val := parts[0], parts[1], parts[2]
		hexed := strings.HasSuffix(typ, "x")
		typ = strings.TrimSuffix(typ, "x")
		var raw []byte
		if hexed {
			var err error
			if raw, err = hex.DecodeString(val); err != nil {
				return nil, fmt.Errorf("line %d: %s: bad hex: %w", n, oid, err)
			}
		} else {
			raw = []byte(val)
		}
		p := gosnmp.SnmpPDU{Name: "." + strings.TrimPrefix(oid, ".")}
		var err error
		switch typ {
		case "2":
			p.Type = gosnmp.Integer
			p.Value, err = strconv.Atoi(string(raw))
		case "4":
			p.Type, p.Value = gosnmp.OctetString, raw
		case "5":
			p.Type = gosnmp.Null
		case "6":
			p.Type, p.Value = gosnmp.ObjectIdentifier, "."+strings.TrimPrefix(string(raw), ".")
		case "64":
			p.Type = gosnmp.IPAddress
			if hexed && len(raw) == 4 {
				p.Value = fmt.Sprintf("%d.%d.%d.%d", raw[0], raw[1], raw[2], raw[3])
			} else {
				p.Value = string(raw)
			}
		case "65", "66":
			p.Type = map[string]gosnmp.Asn1BER{"65": gosnmp.Counter32, "66": gosnmp.Gauge32}[typ]
			var v uint64
			v, err = strconv.ParseUint(string(raw), 10, 32)
			p.Value = uint(v)
		case "67":
			p.Type = gosnmp.TimeTicks
			var v uint64
			v, err = strconv.ParseUint(string(raw), 10, 32)
			p.Value = uint32(v)
		case "70":
			p.Type = gosnmp.Counter64
			p.Value, err = strconv.ParseUint(string(raw), 10, 64)
		default:
			return nil, fmt.Errorf("line %d: %s: unknown type %q", n, oid, parts[1])
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, oid, err)
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// parseSnmpwalk reads `snmpwalk -On -Ox` output (numeric OIDs, every OCTET
// STRING in hex): ".OID = TYPE: value" lines, a Hex-STRING continuing on
// the lines that follow. Lines starting with "#" are skipped.
func parseSnmpwalk(b []byte) ([]gosnmp.SnmpPDU, error) {
	var out []gosnmp.SnmpPDU
	lines := strings.Split(string(b), "\n")
	for n := 0; n < len(lines); n++ {
		line := strings.TrimRight(lines[n], "\r ")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		oid, rest, ok := strings.Cut(line, " = ")
		if !ok || !strings.HasPrefix(oid, ".") {
			return nil, fmt.Errorf("line %d: not \".OID = TYPE: value\"", n+1)
		}
		typ, val, _ := strings.Cut(rest, ": ")
		p := gosnmp.SnmpPDU{Name: oid}
		var err error
		switch typ {
		case "Hex-STRING", "STRING", `""`:
			if typ == `""` {
				p.Type, p.Value = gosnmp.OctetString, []byte{}
				break
			}
			if typ == "STRING" {
				p.Type, p.Value = gosnmp.OctetString, []byte(strings.Trim(val, `"`))
				break
			}
			h := val
			for n+1 < len(lines) && lines[n+1] != "" && !strings.HasPrefix(lines[n+1], ".") {
				n++
				h += " " + lines[n]
			}
			var raw []byte
			raw, err = hex.DecodeString(strings.Join(strings.Fields(h), ""))
			p.Type, p.Value = gosnmp.OctetString, raw
		case "INTEGER":
			p.Type = gosnmp.Integer
			p.Value, err = strconv.Atoi(val)
		case "OID":
			p.Type, p.Value = gosnmp.ObjectIdentifier, val
		case "IpAddress":
			p.Type, p.Value = gosnmp.IPAddress, val
		case "Gauge32", "Counter32":
			p.Type = map[string]gosnmp.Asn1BER{"Gauge32": gosnmp.Gauge32, "Counter32": gosnmp.Counter32}[typ]
			var v uint64
			v, err = strconv.ParseUint(val, 10, 32)
			p.Value = uint(v)
		case "Counter64":
			p.Type = gosnmp.Counter64
			p.Value, err = strconv.ParseUint(val, 10, 64)
		case "Timeticks":
			p.Type = gosnmp.TimeTicks
			num := strings.TrimPrefix(strings.SplitN(val, ")", 2)[0], "(")
			var v uint64
			v, err = strconv.ParseUint(num, 10, 32)
			p.Value = uint32(v)
		default:
			return nil, fmt.Errorf("line %d: %s: unknown type %q", n+1, oid, typ)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n+1, oid, err)
		}
		out = append(out, p)
	}
	return out, nil
}
