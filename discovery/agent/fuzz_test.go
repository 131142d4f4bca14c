package agent

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecodeBody checks that DecodeBody never panics and never returns
// more than the limit.
func FuzzDecodeBody(f *testing.F) {
	plain := []byte(prolog)
	for _, seed := range [][]byte{plain, zlibOf(f, plain), gzipOf(f, plain), zlibOf(f, bytes.Repeat([]byte("A"), 5000)), {0x78}, {0x1f, 0x8b}, nil} {
		for _, ct := range []string{"", "application/x-compress-zlib", "application/x-compress", "application/xml", "text/plain; charset=x"} {
			f.Add(seed, ct, int64(1000))
		}
	}
	if b, err := os.ReadFile("testdata/prolog-ocs.zlib"); err == nil {
		f.Add(b, "application/x-compress", int64(100))
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string, limit int64) {
		if limit <= 0 || limit > 1<<20 {
			limit = 1 << 16
		}
		got, _, err := DecodeBody(bytes.NewReader(body), contentType, limit)
		if int64(len(got)) > limit {
			t.Fatalf("DecodeBody returned %d bytes, more than the limit %d", len(got), limit)
		}
		if err == nil && len(got) == 0 {
			t.Fatal("DecodeBody returned an empty body without an error")
		}
	})
}

// FuzzParseRequest checks that ParseRequest never panics and that any
// INVENTORY it accepts maps to observations that pass Check.
func FuzzParseRequest(f *testing.F) {
	for _, name := range []string{"testdata/physical.xml", "testdata/placeholders.xml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		prolog,
		`<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>x</DEVICEID><CONTENT><HARDWARE><NAME>h</NAME><MEMORY>1</MEMORY></HARDWARE><VIRTUALMACHINES><NAME>g</NAME></VIRTUALMACHINES><VIRTUALMACHINES><NAME>g</NAME></VIRTUALMACHINES></CONTENT></REQUEST>`,
		`<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>x</DEVICEID><CONTENT><NETWORKS><DESCRIPTION>e</DESCRIPTION><MACADDR>01:00:5e:00:00:01</MACADDR><IPADDRESS>::1</IPADDRESS><IPMASK>ffff::</IPMASK></NETWORKS><SOFTWARES><NAME>p</NAME><VERSION>1</VERSION></SOFTWARES></CONTENT></REQUEST>`,
		`<REQUEST><QUERY>SNMPQUERY</QUERY><CONTENT><DEVICE/></CONTENT></REQUEST>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		if err != nil {
			return
		}
		if r.Query != "INVENTORY" {
			return
		}
		obs, _, err := r.Observations(testNow)
		if err != nil {
			t.Fatalf("an accepted INVENTORY does not map: %v", err)
		}
		if len(obs) == 0 {
			t.Fatal("no observation")
		}
		keys := map[string]bool{}
		for i := range obs {
			if err := obs[i].Check(); err != nil {
				t.Fatalf("observation %d: %v", i, err)
			}
			if keys[obs[i].Key] {
				t.Fatalf("two observations with key %q", obs[i].Key)
			}
			keys[obs[i].Key] = true
		}
	})
}
