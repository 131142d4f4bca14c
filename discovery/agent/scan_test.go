package agent

import (
	"os"
	"reflect"
	"testing"
)

var scanSeeds = []string{
	`<REQUEST><QUERY>PROLOG</QUERY></REQUEST>`,
	"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REQUEST>\n  <A> x </A>\n  <B/>\n  <C></C>\n</REQUEST>\n",
	`<REQUEST><A>a&amp;b&lt;c&gt;d&quot;e&apos;f&#65;&#x42;</A></REQUEST>`,
	"<REQUEST><A>line\r\nnext\rlast</A></REQUEST>",
	`<REQUEST><A>x<!-- c -->y</A><B><![CDATA[<not a tag> & ]]></B></REQUEST>`,
	`<REQUEST><A>é ü 日本</A></REQUEST>`,
	`<REQUEST><A>text<B>inner</B>tail</A></REQUEST>`,
	`<REQUEST><A>&#0;</A></REQUEST>`,
	`<REQUEST><A>&unknown;</A></REQUEST>`,
	`<REQUEST><A x="1">v</A></REQUEST>`,
	`<REQUEST><a:B>v</a:B></REQUEST>`,
	`<REQUEST><A>v</B></REQUEST>`,
	`<!DOCTYPE REQUEST><REQUEST/>`,
	`<REQUEST/><REQUEST/>`,
	`<REQUEST>]]></REQUEST>`,
	"<REQUEST><A>\xff</A></REQUEST>",
	`<?xml version="1.1"?><REQUEST/>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><REQUEST/>`,
	`<REQUEST><!-- a -- b --></REQUEST>`,
	`text<REQUEST/>`,
	`<REQUEST ></REQUEST >`,
}

// checkScan checks that scanXML accepts only what encoding/xml reads to
// the same tree.
func checkScan(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := scanXML(body)
	if !ok {
		return
	}
	std, err := parseXMLStd(body)
	if err != nil {
		t.Fatalf("scanXML accepted %q, encoding/xml refuses it: %v", clip(string(body)), err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("scanXML and encoding/xml read %q differently:\nfast %+v\nstd  %+v", clip(string(body)), fast, std)
	}
}

func TestScanXMLMatchesEncodingXML(t *testing.T) {
	for _, name := range []string{"fusion.xml", "ocs.xml", "physical.xml", "placeholders.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := scanXML(b); !ok {
			t.Errorf("scanXML leaves %s to encoding/xml: the fast path should read the agents' XML", name)
		}
		checkScan(t, b)
	}
	accepted := 0
	for _, s := range scanSeeds {
		checkScan(t, []byte(s))
		if _, ok := scanXML([]byte(s)); ok {
			accepted++
		}
	}
	if accepted < 8 {
		t.Errorf("scanXML accepted only %d of the seeds", accepted)
	}
}

// FuzzScanXML checks that the fast path never accepts a document that
// encoding/xml refuses or reads differently, and never panics.
func FuzzScanXML(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/physical.xml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScan(t, body)
	})
}
