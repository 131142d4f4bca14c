package nmap_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nmap"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/discovery/nmap")

// fixtures is where the real nmap scans live (see README.md there).
const fixtures = "../../testdata/discovery/nmap"

func parseFile(t testing.TB, name string) []discovery.Observation {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := nmap.Parse(f, name)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	if res.Partial || len(res.HostErrors) > 0 {
		t.Fatalf("Parse(%s): partial %v, host errors %v; want a complete scan", name, res.Partial, res.HostErrors)
	}
	return res.Observations
}

// Each real scan, against its golden JSON and a few values checked by hand.
func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file   string
		keys   []string
		names  []string
		facts  map[string]string // facts of the first observation
		seenAt time.Time         // of the first observation
	}{
		{
			file:  "loopback.xml",
			keys:  []string{"host 127.0.0.1"},
			names: []string{"localhost"},
			facts: map[string]string{
				"port.tcp.1883": "mosquitto version 2.0.11",
				"port.tcp.3306": "mysql MySQL 5.5.5-10.11.19-MariaDB-0+deb12u1",
				"port.tcp.4222": "vrml-multi-use",
				"port.tcp.5432": "postgresql PostgreSQL DB 9.6.0 or later",
				"port.tcp.5672": "amqp RabbitMQ 3.10.8 0-9",
				"port.tcp.6379": "redis Redis key-value store 7.0.15",
			},
			seenAt: time.Unix(1795472988, 0).UTC(),
		},
		{
			file:  "loopback-port-opened.xml",
			keys:  []string{"host 127.0.0.1"},
			names: []string{"localhost"},
			facts: map[string]string{
				"port.tcp.1883": "mosquitto version 2.0.11",
				"port.tcp.3306": "mysql MySQL 5.5.5-10.11.19-MariaDB-0+deb12u1",
				"port.tcp.4222": "vrml-multi-use",
				"port.tcp.5432": "postgresql PostgreSQL DB 9.6.0 or later",
				"port.tcp.5672": "amqp RabbitMQ 3.10.8 0-9",
				"port.tcp.6379": "redis Redis key-value store 7.0.15",
				"port.tcp.8080": "http SimpleHTTPServer 0.6 Python 3.11.7",
			},
			seenAt: time.Unix(1795473013, 0).UTC(),
		},
		{
			file:   "loopback-ipv6.xml",
			keys:   []string{"host ::1"},
			names:  []string{"::1"},
			facts:  map[string]string{"port.tcp.6379": "redis Redis key-value store 7.0.15"},
			seenAt: time.Unix(1795473023, 0).UTC(),
		},
		{
			file:   "loopback-range.xml",
			keys:   []string{"host 127.0.0.1", "host 127.0.0.2", "host 127.0.0.3"},
			names:  []string{"localhost", "127.0.0.2", "127.0.0.3"},
			facts:  map[string]string{"port.tcp.6379": "redis Redis key-value store 7.0.15"},
			seenAt: time.Unix(1795473040, 0).UTC(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			obs := parseFile(t, tt.file)
			var keys, names []string
			for i := range obs {
				if err := obs[i].Check(); err != nil {
					t.Error(err)
				}
				if obs[i].Kind != discovery.KindServer {
					t.Errorf("%s: kind %q, want SERVER", obs[i].Key, obs[i].Kind)
				}
				if !reflect.DeepEqual(obs[i].CompleteFacts, []string{"port."}) {
					t.Errorf("%s: completeFacts %q, want [port.]", obs[i].Key, obs[i].CompleteFacts)
				}
				keys = append(keys, obs[i].Key)
				names = append(names, obs[i].Name)
			}
			if !reflect.DeepEqual(keys, tt.keys) {
				t.Fatalf("keys %q, want %q", keys, tt.keys)
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Errorf("names %q, want %q", names, tt.names)
			}
			if !reflect.DeepEqual(obs[0].Facts, tt.facts) {
				t.Errorf("facts\n got %q\nwant %q", obs[0].Facts, tt.facts)
			}
			if !obs[0].SeenAt.Equal(tt.seenAt) || obs[0].SeenAt.Location() != time.UTC {
				t.Errorf("seenAt %v, want %v UTC", obs[0].SeenAt, tt.seenAt)
			}
			// Every address is an IP identifier.
			addr := strings.TrimPrefix(obs[0].Key, "host ")
			if !hasIdent(obs[0], ident.IP, addr) {
				t.Errorf("identifiers %v lack IP %s", obs[0].Identifiers, addr)
			}

			got, err := json.MarshalIndent(obs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join(fixtures, strings.TrimSuffix(tt.file, ".xml")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("observations differ from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}

func hasIdent(o discovery.Observation, k ident.Kind, v string) bool {
	for _, id := range o.Identifiers {
		if id.Kind == k && id.Value == v {
			return true
		}
	}
	return false
}

// The two loopback scans were taken before and while a listener ran on
// 127.0.0.1:8080: the observations differ by that port's fact alone (and
// the time).
func TestPortOpenedDiffersByOnePort(t *testing.T) {
	before := parseFile(t, "loopback.xml")
	after := parseFile(t, "loopback-port-opened.xml")
	if len(before) != 1 || len(after) != 1 {
		t.Fatalf("got %d and %d observations, want 1 each", len(before), len(after))
	}
	b, a := before[0], after[0]
	if !a.SeenAt.After(b.SeenAt) {
		t.Errorf("second scan seen at %v, not after %v", a.SeenAt, b.SeenAt)
	}
	var added, removed, changed []string
	for k, v := range a.Facts {
		old, ok := b.Facts[k]
		switch {
		case !ok:
			added = append(added, k+"="+v)
		case old != v:
			changed = append(changed, k)
		}
	}
	for k := range b.Facts {
		if _, ok := a.Facts[k]; !ok {
			removed = append(removed, k)
		}
	}
	if want := []string{"port.tcp.8080=http SimpleHTTPServer 0.6 Python 3.11.7"}; !reflect.DeepEqual(added, want) {
		t.Errorf("added facts %q, want %q", added, want)
	}
	if len(removed) > 0 || len(changed) > 0 {
		t.Errorf("removed %q, changed %q; want none", removed, changed)
	}
	b.Facts, a.Facts, b.SeenAt, a.SeenAt = nil, nil, time.Time{}, time.Time{}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("observations differ beyond facts and time:\n%+v\n%+v", b, a)
	}
}

// scan wraps host elements in an <nmaprun> document. The hosts in these
// unit tests are hand-written inputs in the form nmap.dtd documents, for
// what a loopback scan cannot show (MAC addresses, OS detection, hosts
// that are down).
func scan(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -O 192.0.2.0/28" start="1700000000" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
` + body + `
</nmaprun>
`
}

const runstats = `<runstats><finished time="1700000100" timestr="Tue Nov 14 22:15:00 2023" elapsed="100" exit="success"/><hosts up="1" down="0" total="1"/></runstats>`

func TestParseUnit(t *testing.T) {
	t0 := time.Unix(1700000042, 0).UTC()
	tests := []struct {
		name string
		in   string
		want []discovery.Observation
	}{
		{
			name: "mac address and vendor",
			in: scan(`<host starttime="1700000000" endtime="1700000042"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.0.2.10" addrtype="ipv4"/>
<address addr="00:0C:29:5A:1B:2C" addrtype="mac" vendor="VMware"/>
<hostnames><hostname name="web01.example.com" type="PTR"/></hostnames>
<ports><extraports state="closed" count="999"><extrareasons reason="resets" count="999"/></extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" product="OpenSSH" version="9.2p1 Debian 2+deb12u3" extrainfo="protocol 2.0" ostype="Linux" method="probed" conf="10"/></port>
</ports></host>` + runstats),
			want: []discovery.Observation{{
				Key:  "host 192.0.2.10",
				Kind: "SERVER",
				Name: "web01.example.com",
				Identifiers: []discovery.Identifier{
					{Kind: ident.IP, Value: "192.0.2.10"},
					{Kind: ident.MAC, Value: "00:0c:29:5a:1b:2c"},
					{Kind: ident.FQDN, Value: "web01.example.com"},
					{Kind: ident.Hostname, Value: "web01"},
				},
				Fields: map[string]string{"hostname": "web01", "fqdn": "web01.example.com"},
				Facts: map[string]string{
					"mac.vendor":  "VMware",
					"port.tcp.22": "ssh OpenSSH 9.2p1 Debian 2+deb12u3 protocol 2.0",
				},
				CompleteFacts: []string{"port."},
				SeenAt:        t0,
			}},
		},
		{
			name: "os detection: most accurate match and its first class",
			in: scan(`<host endtime="1700000042"><status state="up"/>
<address addr="2001:DB8::1" addrtype="ipv6"/>
<hostnames><hostname name="db1" type="user"/><hostname name="db1.example.net." type="PTR"/></hostnames>
<ports><port protocol="udp" portid="161"><state state="open|filtered" reason="no-response"/><service name="snmp" method="table" conf="3"/></port>
<port protocol="tcp" portid="5432"><state state="open"/><service name="postgresql" product="PostgreSQL DB"/></port>
<port protocol="tcp" portid="9999"><state state="open"/></port>
<port protocol="tcp" portid="25"><state state="filtered"/><service name="smtp"/></port></ports>
<os><portused state="open" proto="tcp" portid="5432"/>
<osmatch name="Linux 4.15 - 5.8" accuracy="96" line="67775"><osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="4.X" accuracy="96"><cpe>cpe:/o:linux:linux_kernel:4</cpe></osclass></osmatch>
<osmatch name="Linux 5.0 - 5.4" accuracy="98" line="67800"><osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="5.X" accuracy="98"/><osclass type="general purpose" vendor="Other" osfamily="Other" accuracy="98"/></osmatch>
<osmatch name="FreeBSD 13" accuracy="98" line="1"><osclass vendor="FreeBSD" osfamily="FreeBSD"/></osmatch>
</os></host>` + runstats),
			want: []discovery.Observation{{
				Key:  "host 2001:db8::1",
				Kind: "SERVER",
				Name: "db1",
				Identifiers: []discovery.Identifier{
					{Kind: ident.IP, Value: "2001:db8::1"},
					{Kind: ident.Hostname, Value: "db1"},
					{Kind: ident.FQDN, Value: "db1.example.net"},
				},
				Fields: map[string]string{"hostname": "db1", "fqdn": "db1.example.net"},
				Facts: map[string]string{
					"os.name":       "Linux 5.0 - 5.4",
					"os.family":     "Linux",
					"os.vendor":     "Linux",
					"port.tcp.5432": "postgresql PostgreSQL DB",
					"port.tcp.9999": "unknown",
				},
				CompleteFacts: []string{"port."},
				SeenAt:        t0,
			}},
		},
		{
			name: "down hosts skipped, no endtime falls back to runstats",
			in: scan(`<host><status state="down" reason="no-response"/><address addr="192.0.2.1" addrtype="ipv4"/></host>
<host><status state="up" reason="echo-reply"/><address addr="192.0.2.2"/><hostnames/></host>
<host><status state="unknown"/><address addr="192.0.2.3" addrtype="ipv4"/></host>` + runstats),
			want: []discovery.Observation{{
				Key:           "host 192.0.2.2",
				Kind:          "SERVER",
				Name:          "192.0.2.2",
				Identifiers:   []discovery.Identifier{{Kind: ident.IP, Value: "192.0.2.2"}},
				Facts:         map[string]string{},
				CompleteFacts: []string{"port."},
				SeenAt:        time.Unix(1700000100, 0).UTC(),
			}},
		},
		{
			name: "no time at all leaves SeenAt zero",
			in:   scan(`<host><status state="up"/><address addr="192.0.2.2" addrtype="ipv4"/></host>`),
			want: []discovery.Observation{{
				Key:           "host 192.0.2.2",
				Kind:          "SERVER",
				Name:          "192.0.2.2",
				Identifiers:   []discovery.Identifier{{Kind: ident.IP, Value: "192.0.2.2"}},
				Facts:         map[string]string{},
				CompleteFacts: []string{"port."},
			}},
		},
		{
			name: "host listed twice is merged at its first position",
			in: scan(`<host endtime="1700000010"><status state="up"/><address addr="192.0.2.5" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open"/><service name="http" product="nginx"/></port></ports></host>
<host endtime="1700000020"><status state="up"/><address addr="192.0.2.6" addrtype="ipv4"/></host>
<host endtime="1700000030"><status state="up"/><address addr="192.0.2.5" addrtype="ipv4"/>
<hostnames><hostname name="www" type="user"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open"/><service name="http" product="nginx" version="1.22.1"/></port>
<port protocol="tcp" portid="443"><state state="open"/><service name="https"/></port></ports></host>`),
			want: []discovery.Observation{{
				Key:  "host 192.0.2.5",
				Kind: "SERVER",
				Name: "www",
				Identifiers: []discovery.Identifier{
					{Kind: ident.IP, Value: "192.0.2.5"},
					{Kind: ident.Hostname, Value: "www"},
				},
				Fields:        map[string]string{"hostname": "www"},
				Facts:         map[string]string{"port.tcp.80": "http nginx 1.22.1", "port.tcp.443": "https"},
				CompleteFacts: []string{"port."},
				SeenAt:        time.Unix(1700000030, 0).UTC(),
			}, {
				Key:           "host 192.0.2.6",
				Kind:          "SERVER",
				Name:          "192.0.2.6",
				Identifiers:   []discovery.Identifier{{Kind: ident.IP, Value: "192.0.2.6"}},
				Facts:         map[string]string{},
				CompleteFacts: []string{"port."},
				SeenAt:        time.Unix(1700000020, 0).UTC(),
			}},
		},
		{
			name: "invalid host names are not identifiers; white space collapsed",
			in: scan(`<host endtime="1700000042"><status state="up"/><address addr="192.0.2.7" addrtype="ipv4"/>
<hostnames><hostname name="_gateway" type="PTR"/><hostname name="GW.Example.COM" type="PTR"/></hostnames>
<ports><port protocol="sctp" portid="0036"><state state="open"/><service name=" x  " product="a&#9;b" extrainfo="  c "/></port></ports></host>`),
			want: []discovery.Observation{{
				Key:  "host 192.0.2.7",
				Kind: "SERVER",
				Name: "_gateway",
				Identifiers: []discovery.Identifier{
					{Kind: ident.IP, Value: "192.0.2.7"},
					{Kind: ident.FQDN, Value: "gw.example.com"},
					{Kind: ident.Hostname, Value: "gw"},
				},
				Fields:        map[string]string{"hostname": "gw", "fqdn": "gw.example.com"},
				Facts:         map[string]string{"port.sctp.36": "x a b c"},
				CompleteFacts: []string{"port."},
				SeenAt:        t0,
			}},
		},
		{
			name: "hosthint and other elements are ignored",
			in: scan(`<hosthint><status state="up"/><address addr="192.0.2.9" addrtype="ipv4"/></hosthint>
<taskbegin task="Ping Scan" time="1700000001"/><output type="interactive">x</output>`),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := nmap.Parse(strings.NewReader(tt.in), "unit.xml")
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial || len(res.HostErrors) > 0 {
				t.Errorf("partial %v, host errors %v; want a complete scan", res.Partial, res.HostErrors)
			}
			got := res.Observations
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	real, err := os.ReadFile(filepath.Join(fixtures, "loopback-range.xml"))
	if err != nil {
		t.Fatal(err)
	}
	mid := bytes.Index(real, []byte(`<address addr="127.0.0.2"`)) + 10
	between := bytes.Index(real, []byte("<runstats>"))
	up := `<status state="up"/><address addr="192.0.2.1" addrtype="ipv4"/>`
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"parsing nmap XML bad.xml: no <nmaprun> element"}},
		{"not XML", "Nmap scan report for localhost", []string{"bad.xml", "not XML"}},
		{"wrong root", `<?xml version="1.0"?><rss version="2.0"><channel/></rss>`, []string{"bad.xml", "root element is <rss> (line 1), want <nmaprun>"}},
		{"truncated inside a host", string(real[:mid]), []string{"bad.xml: host 2 (line 20):", "unexpected EOF"}},
		{"truncated between hosts", string(real[:between]), []string{"bad.xml", "<nmaprun> not closed (truncated scan?) after host 3"}},
		{"bad portid", scan(`<host>` + up + `<ports><port protocol="tcp" portid="ssh"><state state="open"/></port></ports></host>`),
			[]string{"bad.xml: host 1 (line 5):", `<port protocol="tcp" portid="ssh">`, "portid is not a number"}},
		{"portid out of range", scan(`<host>` + up + `<ports><port protocol="tcp" portid="65536"><state state="closed"/></port></ports></host>`),
			[]string{"host 1 (line 5):", `portid="65536"`}},
		{"bad protocol", scan(`<host>` + up + `<ports><port protocol="t.cp" portid="22"><state state="open"/></port></ports></host>`),
			[]string{"host 1 (line 5):", `<port protocol="t.cp" portid="22">`, "protocol"}},
		{"bad endtime", scan("\n\n<host endtime=\"yesterday\">" + up + `</host>`),
			[]string{"bad.xml: host 1 (line 7):", `endtime "yesterday": not a Unix time`}},
		{"endtime too late", scan(`<host endtime="99999999999999">` + up + `</host>`),
			[]string{"host 1 (line 5):", "endtime", "9999"}},
		{"bad finished time", scan(`<runstats><finished time="-5"/></runstats>`),
			[]string{"bad.xml: runstats (line 5):", `<finished time="-5">`}},
		{"bad address", scan(`<host><status state="up"/><address addr="999.1.1.1" addrtype="ipv4"/></host>`),
			[]string{"host 1 (line 5):", `<address addr="999.1.1.1" addrtype="ipv4">`, "invalid IP address"}},
		{"bad mac", scan(`<host><status state="up"/><address addr="00:11" addrtype="mac"/></host>`),
			[]string{"host 1 (line 5):", `addrtype="mac"`}},
		{"unknown addrtype", scan(`<host><status state="up"/><address addr="x" addrtype="ipx"/></host>`),
			[]string{"host 1 (line 5):", "unknown addrtype"}},
		{"no address", scan(`<host><status state="up"/></host>`), []string{"host 1 (line 5): no <address>"}},
		{"bad accuracy", scan(`<host>` + up + `<os><osmatch name="Linux" accuracy="high"/></os></host>`),
			[]string{"host 1 (line 5):", `<osmatch name="Linux" accuracy="high">`}},
		{"mismatched tags", scan(`<host>` + up + `</hosts>`), []string{"host 1 (line 5):", "syntax error"}},
		{"second root", scan("") + "<nmaprun/>", []string{"element <nmaprun> after </nmaprun>"}},
		{"text after root", scan("") + "junk", []string{"text after </nmaprun>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := nmap.Parse(strings.NewReader(tt.in), "bad.xml")
			if err == nil {
				t.Fatalf("Parse succeeded with %d observations, want an error", len(res.Observations))
			}
			if res != nil {
				t.Errorf("Parse returned a result with its error: %+v", res)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestTimedOutHostClaimsNothing(t *testing.T) {
	const x = `<?xml version="1.0"?><nmaprun><host starttime="1" endtime="2" timedout="true"><status state="up"/>` +
		`<address addr="127.0.0.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="22"><state state="open"/><service name="ssh"/></port></ports></host></nmaprun>`
	res, err := nmap.Parse(strings.NewReader(x), "t.xml")
	if err != nil {
		t.Fatal(err)
	}
	if obs := res.Observations; len(obs) != 1 || len(obs[0].CompleteFacts) != 0 || obs[0].Facts["port.tcp.22"] != "ssh" {
		t.Fatalf("timed-out host = %+v", res.Observations)
	}
}

// Real scans that went wrong (see the fixtures' README) are errors, never an
// empty, complete scan: a scheduled job fed one must not conclude that every
// host has gone.
func TestParseFailedScans(t *testing.T) {
	tests := []struct {
		file string
		is   error
		want string
	}{
		{"failed-script.xml", nmap.ErrScanFailed,
			`parsing nmap XML failed-script.xml: the nmap scan failed: nmap reports exit="error": NSE: failed to initialize the script engine: ` +
				`/usr/bin/../share/nmap/nse_main.lua:833: 'does-not-exist' did not match a category, filename, or directory stack traceback: [C]: in function 'error'`},
		{"unresolved.xml", nmap.ErrNothingScanned,
			`parsing nmap XML unresolved.xml: the nmap scan scanned nothing: nmap scanned no address (<hosts total="0">): no target was given, or none resolved`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(fixtures, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := nmap.Parse(f, tt.file)
			if err == nil {
				t.Fatalf("Parse = %d observations, want an error", len(res.Observations))
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n got %q\nwant prefix %q", err, tt.want)
			}
		})
	}
}

// A host without <status> is neither up nor down: the scan cannot speak for
// it, so the result is partial (nothing may be marked missing) and says which
// host.
func TestParseHostWithoutStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		keys    []string
		partial bool
		errs    map[string]string
	}{
		{
			name: "one of two hosts lacks a status",
			in: scan(`<host endtime="1700000042"><status state="up"/><address addr="192.0.2.10" addrtype="ipv4"/></host>
<host endtime="1700000042"><address addr="192.0.2.11" addrtype="ipv4"/></host>` + runstats),
			keys: []string{"host 192.0.2.10"}, partial: true,
			errs: map[string]string{"192.0.2.11": "nmap reports no <status> for the host: not known whether it is up"},
		},
		{
			name:    "no status and no address",
			in:      scan(`<host></host>`),
			partial: true,
			errs:    map[string]string{"host 1": "nmap reports no <status> for the host: not known whether it is up"},
		},
		{
			name: "down and unknown hosts are still complete",
			in: scan(`<host><status state="down"/><address addr="192.0.2.1" addrtype="ipv4"/></host>
<host><status state="unknown"/><address addr="192.0.2.3" addrtype="ipv4"/></host>` + runstats),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := nmap.Parse(strings.NewReader(tt.in), "unit.xml")
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range res.Observations {
				keys = append(keys, o.Key)
			}
			if !reflect.DeepEqual(keys, tt.keys) {
				t.Errorf("keys %q, want %q", keys, tt.keys)
			}
			if res.Partial != tt.partial || !reflect.DeepEqual(res.HostErrors, tt.errs) {
				t.Errorf("partial %v, host errors %q; want %v, %q", res.Partial, res.HostErrors, tt.partial, tt.errs)
			}
		})
	}
}
