package estate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseMapping(f *testing.F) {
	for _, s := range []string{
		"name=Name,hostname=Host,ip=IP Address,serialNumber=Serial,kind=Type",
		`attr.rack=Rack,"attr.note=Notes, misc",owner=Owner`,
		"SERIAL_NUMBER=sn", "name=", "=x", "bogus=x", "name=a\nkind=b", `"name=a`, "attr.=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseMapping(spec)
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(spec) {
				t.Fatalf("error message is not UTF-8: %q", err)
			}
			return
		}
		if len(m.Entries) == 0 {
			t.Fatal("a mapping without entries parsed")
		}
		for _, e := range m.Entries {
			if canonicalField(e.Field) != e.Field || e.Column == "" || e.Column != strings.TrimSpace(e.Column) {
				t.Fatalf("entry %+v is not canonical", e)
			}
		}
		again, err := ParseMapping(m.String())
		if err != nil {
			t.Fatalf("re-parsing %q (from %q): %v", m.String(), spec, err)
		}
		if again.String() != m.String() {
			t.Fatalf("round trip: %q → %q", m.String(), again.String())
		}
	})
}

func FuzzParseRow(f *testing.F) {
	f.Add("name,kind,hostname,ip,tags,attr.x", "web01,Server,web01,10.0.0.1;10.0.0.2,a;b,v")
	f.Add("hostname,fqdn,mac,cloudId", "bad_host,x.example.com,zz,arn:aws:s3:::b")
	f.Add("name", "")
	f.Fuzz(func(t *testing.T, header, row string) {
		hdr := strings.Split(header, ",")
		rec := strings.Split(row, ",")
		m, _ := DefaultMapping(hdr)
		cols, _, err := m.resolve(hdr)
		if err != nil {
			t.Fatalf("the default mapping of %q does not resolve: %v", hdr, err)
		}
		r := parseRow(cols, rec, 7, len(hdr))
		c := &checker{loc: lineLoc(7), problems: r.problems}
		keys := checkCI(c, &r.ci, "import:f.csv")
		for _, p := range c.problems {
			if !strings.HasPrefix(p.Path, "line 7") {
				t.Fatalf("problem %q does not name the line", p)
			}
		}
		if c.ok() {
			// A valid row is normalised: checking it again changes nothing.
			before := r.ci
			c2 := &checker{loc: lineLoc(7)}
			checkCI(c2, &r.ci, "import:f.csv")
			if !c2.ok() || before.Hostname != r.ci.Hostname || before.FQDN != r.ci.FQDN || before.SerialNumber != r.ci.SerialNumber {
				t.Fatalf("normalising twice differs: %+v vs %+v (%v)", before, r.ci, c2.problems)
			}
			for kind, vs := range keys {
				for _, v := range vs {
					if v == "" {
						t.Fatalf("empty %s key", kind)
					}
				}
			}
		}
	})
}

// FuzzDecode feeds arbitrary bytes to the estate document decoder and, when
// they decode, to the per-element checks an import runs before writing:
// neither may panic, and every problem names its element.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"version":1}`,
		`{"version":1,"configurationItems":[{"ref":"a","name":"a","kind":"SERVER","hostname":"bad_host"}]}`,
		`{"version":1,"owners":[{"name":"x","kind":"PERSON","email":"nope"}]}`,
		`{"version":2,"bogus":true}`, `[]`, `{`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		doc, err := Decode(strings.NewReader(in))
		if err != nil {
			return
		}
		for i := range doc.ConfigurationItems {
			c := &checker{loc: jsonLoc("configurationItems", i)}
			checkCI(c, &doc.ConfigurationItems[i], "import")
			for _, p := range c.problems {
				if !strings.HasPrefix(p.Path, "configurationItems[") {
					t.Fatalf("problem %+v does not name its element", p)
				}
			}
		}
		for i := range doc.Owners {
			checkOwner(&checker{loc: jsonLoc("owners", i)}, &doc.Owners[i])
		}
		for i := range doc.Locations {
			checkLocation(&checker{loc: jsonLoc("locations", i)}, &doc.Locations[i])
		}
	})
}
