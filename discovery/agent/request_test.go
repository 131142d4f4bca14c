package agent

import (
	"os"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	body, _, err := DecodeBody(mustOpen(t, "testdata/prolog-fusion.zlib"), "application/x-compress-zlib", DefaultMaxBodyBytes)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Query != "PROLOG" || r.DeviceID != "vm-2026-12-08-01-19-30" || r.Token != "12345678" || r.Content != nil {
		t.Errorf("captured PROLOG = %+v", r)
	}
	for _, tc := range []struct{ body, query, deviceID string }{
		{`<REQUEST><QUERY>prolog</QUERY><DEVICEID> h-1 </DEVICEID></REQUEST>`, "PROLOG", "h-1"},
		{`<?xml version="1.0"?><!-- hi --><REQUEST><DEVICEID>h-1</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT><HARDWARE><NAME>a&amp;b</NAME></HARDWARE></CONTENT></REQUEST>`, "INVENTORY", "h-1"},
		{`<REQUEST><QUERY>SNMPQUERY</QUERY><CONTENT><DEVICE><INFO><NAME>sw1</NAME></INFO></DEVICE></CONTENT></REQUEST>`, "SNMPQUERY", ""},
		{`<REQUEST><DEVICEID>h-1</DEVICEID><QUERY><![CDATA[PROLOG]]></QUERY></REQUEST>`, "PROLOG", "h-1"},
	} {
		r, err := ParseRequest([]byte(tc.body))
		if err != nil {
			t.Errorf("ParseRequest(%q): %v", tc.body, err)
			continue
		}
		if r.Query != tc.query || r.DeviceID != tc.deviceID {
			t.Errorf("ParseRequest(%q) = %q %q, want %q %q", tc.body, r.Query, r.DeviceID, tc.query, tc.deviceID)
		}
	}
	r, err = ParseRequest([]byte(`<REQUEST><DEVICEID>h-1</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT><HARDWARE><NAME>a&amp;b &#x41;</NAME></HARDWARE></CONTENT></REQUEST>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Content.Child("HARDWARE").Get("NAME"); got != "a&b A" {
		t.Errorf("HARDWARE/NAME = %q, want %q", got, "a&b A")
	}
}

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseRequestErrors(t *testing.T) {
	long := strings.Repeat("A", 5000)
	for _, tc := range []struct{ name, body, want string }{
		{"empty", ``, "no root element"},
		{"not XML", `hello`, "malformed XML"},
		{"unclosed", `<REQUEST><QUERY>PROLOG</QUERY>`, "REQUEST is not closed"},
		{"mismatched", `<REQUEST><QUERY>PROLOG</DEVICEID></REQUEST>`, "malformed XML"},
		{"unknown root", `<REPLY><RESPONSE>SEND</RESPONSE></REPLY>`, `the root element is "REPLY": want REQUEST`},
		{"two roots", `<REQUEST><QUERY>PROLOG</QUERY><DEVICEID>a</DEVICEID></REQUEST><REQUEST/>`, "a second root element"},
		{"DOCTYPE", `<?xml version="1.0"?><!DOCTYPE REQUEST [<!ENTITY x SYSTEM "file:///etc/passwd">]><REQUEST><QUERY>&x;</QUERY></REQUEST>`, "DOCTYPE"},
		{"entity expansion", `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><REQUEST/>`, "DOCTYPE"},
		{"undefined entity", `<REQUEST><QUERY>&xxe;</QUERY></REQUEST>`, "malformed XML"},
		{"no query", `<REQUEST><DEVICEID>a</DEVICEID></REQUEST>`, "REQUEST/QUERY: missing"},
		{"bad query", `<REQUEST><QUERY>PRO LOG</QUERY></REQUEST>`, `REQUEST/QUERY: "PRO LOG" is not a query name`},
		{"PROLOG without DEVICEID", `<REQUEST><QUERY>PROLOG</QUERY></REQUEST>`, "REQUEST/DEVICEID: missing"},
		{"control characters", "<REQUEST><QUERY>PROLOG</QUERY><DEVICEID>a&#x1b;[31m</DEVICEID></REQUEST>", "malformed XML"},
		{"INVENTORY without CONTENT", `<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>a</DEVICEID></REQUEST>`, "REQUEST/CONTENT: missing"},
		{"bad memory", `<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>a</DEVICEID><CONTENT><HARDWARE><MEMORY>abc</MEMORY></HARDWARE></CONTENT></REQUEST>`,
			`REQUEST/CONTENT/HARDWARE/MEMORY: "abc" is not a number`},
		{"bad capacity", `<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>a</DEVICEID><CONTENT><MEMORIES><CAPACITY>-1</CAPACITY></MEMORIES></CONTENT></REQUEST>`,
			`REQUEST/CONTENT/MEMORIES/CAPACITY: "-1" is not a number`},
		{"long bad number is clipped", `<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>a</DEVICEID><CONTENT><DRIVES><TOTAL>` + long + `</TOTAL></DRIVES></CONTENT></REQUEST>`,
			`REQUEST/CONTENT/DRIVES/TOTAL: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…" is not a number`},
		{"too deep", `<REQUEST>` + strings.Repeat("<A>", 40) + strings.Repeat("</A>", 40) + `</REQUEST>`, "nested more than 32 deep"},
		{"long DEVICEID", `<REQUEST><QUERY>PROLOG</QUERY><DEVICEID>` + long + `</DEVICEID></REQUEST>`, "REQUEST/DEVICEID: longer than 255 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(tc.body))
			if err == nil {
				t.Fatalf("ParseRequest = %+v, want an error", r)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseRequest error %q, want it to say %q", err, tc.want)
			}
			if len(err.Error()) > 200 {
				t.Errorf("the error is %d bytes long: %q", len(err.Error()), err)
			}
		})
	}
}

func TestReplies(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{string(PrologReply(24)), "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REPLY><RESPONSE>SEND</RESPONSE><PROLOG_FREQ>24</PROLOG_FREQ></REPLY>"},
		{string(PrologReply(0)), "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REPLY><RESPONSE>SEND</RESPONSE><PROLOG_FREQ>1</PROLOG_FREQ></REPLY>"},
		{string(InventoryReply()), "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>"},
	} {
		if tc.got != tc.want {
			t.Errorf("reply = %q, want %q", tc.got, tc.want)
		}
	}
}
