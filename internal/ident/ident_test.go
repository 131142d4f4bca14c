package ident

import (
	"slices"
	"strings"
	"testing"
)

type normCase struct {
	name    string
	in      string
	want    string
	wantErr string // substring of the error; "" means no error expected
}

func runNormalize(t *testing.T, kind Kind, cases []normCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(kind, tc.in)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Normalize(%s, %q) = %q, want error containing %q", kind, tc.in, got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Normalize(%s, %q) error = %q, want it to contain %q", kind, tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%s, %q) error = %v, want %q", kind, tc.in, err, tc.want)
			}
			if got != tc.want {
				t.Fatalf("Normalize(%s, %q) = %q, want %q", kind, tc.in, got, tc.want)
			}
			again, err := Normalize(kind, got)
			if err != nil || again != got {
				t.Fatalf("Normalize(%s, %q) = %q, %v; want it unchanged (idempotent)", kind, got, again, err)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	want := []Kind{"SOURCE_KEY", "SERIAL", "CLOUD_ID", "UUID", "MAC", "FQDN", "HOSTNAME", "ASSET_TAG", "IP"}
	got := Kinds()
	if !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %v, want %v", got, want)
	}
	for _, k := range got {
		if !k.Valid() {
			t.Errorf("Kind(%q).Valid() = false, want true", k)
		}
	}
	got[0] = "MUTATED"
	if Kinds()[0] != SourceKey {
		t.Fatalf("Kinds() returned shared state: mutation leaked")
	}
	for _, k := range []Kind{"", "hostname", "SERIAL ", "EMAIL"} {
		if k.Valid() {
			t.Errorf("Kind(%q).Valid() = true, want false", k)
		}
		if _, err := Normalize(k, "x"); err == nil || !strings.Contains(err.Error(), "unknown identifier kind") {
			t.Errorf("Normalize(%q, \"x\") error = %v, want unknown identifier kind", k, err)
		}
	}
}

func TestNormalizeHostname(t *testing.T) {
	runNormalize(t, Hostname, []normCase{
		{name: "simple", in: "web01", want: "web01"},
		{name: "upper case", in: "  WEB-01\t", want: "web-01"},
		{name: "single char", in: "a", want: "a"},
		{name: "all digits", in: "1234", want: "1234"},
		{name: "63 chars", in: strings.Repeat("a", 63), want: strings.Repeat("a", 63)},
		{name: "64 chars", in: strings.Repeat("a", 64), wantErr: "at most 63"},
		{name: "empty", in: "  ", wantErr: "must not be empty"},
		{name: "dotted suggests FQDN", in: "web01.example.com", wantErr: "FQDN"},
		{name: "trailing dot", in: "web01.", want: "web01"},
		{name: "leading hyphen", in: "-web", wantErr: "hyphen"},
		{name: "trailing hyphen", in: "web-", wantErr: "hyphen"},
		{name: "underscore", in: "web_01", wantErr: `contains '_'`},
		{name: "inner space", in: "web 01", wantErr: `contains ' '`},
		{name: "kelvin sign not folded", in: "\u212aube", wantErr: "contains"},
		{name: "non ascii", in: "café", wantErr: `contains 'é'`},
		{name: "error message", in: "a_b", wantErr: `invalid hostname "a_b": `},
	})
}

func TestNormalizeFQDN(t *testing.T) {
	long := strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("b", 61) // 253
	runNormalize(t, FQDN, []normCase{
		{name: "simple", in: "web01.example.com", want: "web01.example.com"},
		{name: "upper case and trailing dot", in: " Web01.Example.COM. ", want: "web01.example.com"},
		{name: "two labels", in: "example.com", want: "example.com"},
		{name: "numeric labels ok", in: "10.0.0.example", want: "10.0.0.example"},
		{name: "253 chars", in: long, want: long},
		{name: "254 chars", in: long + "b", wantErr: "at most 253"},
		{name: "single label", in: "web01", wantErr: "HOSTNAME"},
		{name: "numeric tld", in: "example.123", wantErr: "all-numeric"},
		{name: "ipv4 is not a name", in: "10.0.0.1", wantErr: "all-numeric"},
		{name: "empty label", in: "web01..example.com", wantErr: "empty label"},
		{name: "two trailing dots", in: "example.com..", wantErr: "empty label"},
		{name: "leading dot", in: ".example.com", wantErr: "empty label"},
		{name: "only dot", in: ".", wantErr: "must not be empty"},
		{name: "long label", in: strings.Repeat("a", 64) + ".com", wantErr: "at most 63"},
		{name: "hyphen end", in: "web-.example.com", wantErr: "hyphen"},
		{name: "underscore", in: "_dmarc.example.com", wantErr: "contains '_'"},
		{name: "empty", in: "", wantErr: `invalid FQDN "": must not be empty`},
	})
}

func TestNormalizeIP(t *testing.T) {
	runNormalize(t, IP, []normCase{
		{name: "ipv4", in: "10.0.0.1", want: "10.0.0.1"},
		{name: "ipv4 spaces", in: " 192.168.1.254\n", want: "192.168.1.254"},
		{name: "ipv6 compressed", in: "2001:DB8:0:0:0:0:0:1", want: "2001:db8::1"},
		{name: "ipv6 rfc5952 longest run", in: "2001:db8:0:0:1:0:0:1", want: "2001:db8::1:0:0:1"},
		{name: "ipv6 loopback", in: "::1", want: "::1"},
		{name: "ipv6 unspecified", in: "::", want: "::"},
		{name: "bracketed ipv6", in: "[2001:db8::1]", want: "2001:db8::1"},
		{name: "ipv4 mapped", in: "::ffff:10.0.0.1", want: "10.0.0.1"},
		{name: "ipv4 mapped hex", in: "::FFFF:0a00:0001", want: "10.0.0.1"},
		{name: "bracketed ipv4 mapped", in: "[::ffff:10.0.0.1]", want: "10.0.0.1"},
		{name: "leading zero", in: "10.0.0.01", wantErr: "leading zero"},
		{name: "zone", in: "fe80::1%eth0", want: "fe80::1"},
		{name: "bracketed zone", in: "[FE80::1%25]", want: "fe80::1"},
		{name: "empty zone", in: "fe80::1%", wantErr: "empty zone"},
		{name: "bracketed ipv4", in: "[10.0.0.1]", wantErr: "only allowed around an IPv6"},
		{name: "port", in: "[::1]:22", wantErr: "brackets"},
		{name: "unbalanced", in: "[::1", wantErr: "brackets"},
		{name: "prefix", in: "10.0.0.0/8", wantErr: "prefix length"},
		{name: "too few octets", in: "10.0.1", wantErr: `invalid IP address "10.0.1": `},
		{name: "octet out of range", in: "10.0.0.256", wantErr: "invalid IP address"},
		{name: "hostname", in: "web01", wantErr: "invalid IP address"},
		{name: "empty", in: "", wantErr: "must not be empty"},
	})
}

func TestNormalizeMAC(t *testing.T) {
	runNormalize(t, MAC, []normCase{
		{name: "colons upper", in: "AA:BB:CC:DD:EE:FF", want: "aa:bb:cc:dd:ee:ff"},
		{name: "canonical", in: "00:1a:2b:3c:4d:5e", want: "00:1a:2b:3c:4d:5e"},
		{name: "dashes", in: "aa-bb-cc-dd-ee-01", want: "aa:bb:cc:dd:ee:01"},
		{name: "cisco dotted", in: "aabb.ccdd.ee02", want: "aa:bb:cc:dd:ee:02"},
		{name: "hp dash", in: "aabbcc-ddee03", want: "aa:bb:cc:dd:ee:03"},
		{name: "bare", in: "AABBCCDDEE04", want: "aa:bb:cc:dd:ee:04"},
		{name: "mixed case", in: "aA:Bb:cC:dD:eE:05", want: "aa:bb:cc:dd:ee:05"},
		{name: "single digit groups", in: "0:1a:2b:3:4:5", want: "00:1a:2b:03:04:05"},
		{name: "surrounding space", in: "\t00:1a:2b:3c:4d:5e ", want: "00:1a:2b:3c:4d:5e"},
		{name: "eui64 colons", in: "00:1a:2b:ff:fe:3c:4d:5e", wantErr: "EUI-64"},
		{name: "eui64 bare", in: "001a2bfffe3c4d5e", wantErr: "EUI-64"},
		{name: "eui64 cisco", in: "001a.2bff.fe3c.4d5e", wantErr: "EUI-64"},
		{name: "five octets", in: "aa:bb:cc:dd:ee", wantErr: "six hex octets"},
		{name: "seven octets", in: "aa:bb:cc:dd:ee:ff:00", wantErr: "six hex octets"},
		{name: "three digit group", in: "aaa:bb:cc:dd:ee:ff", wantErr: "six hex octets"},
		{name: "uneven groups", in: "aabb.ccddee.ff", wantErr: "six hex octets"},
		{name: "odd group width", in: "aab.bcc.dde.eff", wantErr: "six hex octets"},
		{name: "mixed separators", in: "aa:bb-cc:dd:ee:ff", wantErr: "mixes separators"},
		{name: "empty group", in: "aa::cc:dd:ee:ff", wantErr: "empty group"},
		{name: "not hex", in: "zz:bb:cc:dd:ee:ff", wantErr: `invalid MAC address "zz:bb:cc:dd:ee:ff": contains 'z'`},
		{name: "bare too short", in: "aabbccddee", wantErr: "six hex octets"},
		{name: "all zero", in: "00:00:00:00:00:00", wantErr: "placeholder MAC address"},
		{name: "broadcast", in: "FF-FF-FF-FF-FF-FF", wantErr: "placeholder MAC address"},
		{name: "empty", in: "", wantErr: "must not be empty"},
	})
}

func TestNormalizeUUID(t *testing.T) {
	const want = "123e4567-e89b-12d3-a456-426614174000"
	runNormalize(t, UUID, []normCase{
		{name: "canonical", in: want, want: want},
		{name: "upper", in: "123E4567-E89B-12D3-A456-426614174000", want: want},
		{name: "braces", in: "{123e4567-e89b-12d3-a456-426614174000}", want: want},
		{name: "no dashes", in: "123E4567E89B12D3A456426614174000", want: want},
		{name: "braces no dashes", in: "{123e4567e89b12d3a456426614174000}", want: want},
		{name: "urn", in: "urn:uuid:123e4567-e89b-12d3-a456-426614174000", want: want},
		{name: "urn upper with braces", in: " URN:UUID:{123e4567-e89b-12d3-a456-426614174000} ", want: want},
		{name: "unbalanced brace", in: "{123e4567-e89b-12d3-a456-426614174000", wantErr: "unbalanced braces"},
		{name: "brace only", in: "}", wantErr: "unbalanced braces"},
		{name: "dashes misplaced", in: "123e4567e-89b-12d3-a456-426614174000", wantErr: "8-4-4-4-12"},
		{name: "too short", in: "123e4567-e89b-12d3-a456-42661417400", wantErr: "32 hex digits"},
		{name: "not hex", in: "g23e4567-e89b-12d3-a456-426614174000", wantErr: "contains 'g'"},
		{name: "nil uuid", in: "00000000-0000-0000-0000-000000000000", wantErr: "placeholder UUID"},
		{name: "max uuid", in: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", wantErr: "placeholder UUID"},
		{name: "bogus smbios uuid", in: "03000200-0400-0500-0006-000700080009", wantErr: "placeholder UUID"},
		{name: "bogus smbios uuid swapped", in: "00020003-0004-0005-0006-000700080009", wantErr: "placeholder UUID"},
		{name: "repeated digit uuid", in: "11111111-1111-1111-1111-111111111111", wantErr: "placeholder UUID"},
		{name: "empty", in: "", wantErr: `invalid UUID "": `},
	})
}

func TestNormalizeSerial(t *testing.T) {
	runNormalize(t, Serial, []normCase{
		{name: "simple", in: "abc123", want: "ABC123"},
		{name: "trimmed", in: "  CZ1234567X \n", want: "CZ1234567X"},
		{name: "inner space kept", in: "VMware-42 1a 2b", want: "VMWARE-42 1A 2B"},
		{name: "unicode upper", in: "straße", want: "STRAßE"},
		{name: "128 chars", in: strings.Repeat("xy", 64), want: strings.Repeat("XY", 64)},
		{name: "129 chars", in: strings.Repeat("x", 129), wantErr: "at most 128"},
		{name: "128 runes multibyte", in: strings.Repeat("é", 128), want: strings.Repeat("É", 128)},
		{name: "empty", in: " \t ", wantErr: "must not be empty"},
		{name: "control char", in: "ab\x00c", wantErr: "control"},
		{name: "inner tab", in: "ab\tc", wantErr: "control"},
		{name: "zero width space", in: "ab\u200bc", wantErr: "format character"},
		{name: "invalid utf8", in: "ab\xffc", wantErr: "invalid UTF-8"},
		{name: "placeholder oem", in: "To Be Filled By O.E.M.", wantErr: `placeholder serial number "To Be Filled By O.E.M."`},
		{name: "placeholder default", in: "default STRING", wantErr: "placeholder serial number"},
		{name: "placeholder zero", in: "0", wantErr: "placeholder serial number"},
		{name: "placeholder zeros", in: "00000000", wantErr: "placeholder serial number"},
		{name: "placeholder none", in: "None", wantErr: "placeholder serial number"},
		{name: "placeholder not specified", in: "Not Specified", wantErr: "placeholder serial number"},
		{name: "placeholder system", in: "System Serial Number", wantErr: "placeholder serial number"},
		{name: "placeholder digits", in: "0123456789", wantErr: "placeholder serial number"},
		{name: "placeholder na", in: "N/A", wantErr: "placeholder serial number"},
		{name: "placeholder not available", in: " not available ", wantErr: "placeholder serial number"},
	})
}

func TestIsPlaceholderSerial(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"To Be Filled By O.E.M.", true},
		{"to be filled by o.e.m.", true},
		{"Default string", true},
		{"0", true},
		{"000", true},
		{"None", true},
		{"Not Specified", true},
		{"System Serial Number", true},
		{"0123456789", true},
		{"N/A", true},
		{"Not Available", true},
		{"  none  ", true},
		{"XXXXXXXXXX", true},
		{"Invalid", true},
		{"null", true},
		// The values vendors were seen reporting (issue 18), in the
		// spellings and paddings they come in.
		{"serial", true},
		{"Serial", true},
		{" SERIAL ", true},
		{"<private>", true},
		{"<PRIVATE>", true},
		{"To be filled by O.E.M.", true},
		{"  To be filled by O.E.M.  ", true},
		{"To Be Filled By  O.E.M.", true},
		{"TO BE FILLED BY OEM", true},
		{"Not Specified", true},
		{"not specified\n", true},
		{"Default string", true},
		{"\tDEFAULT STRING", true},
		{"0123456789", true},
		{"System Serial Number", true},
		{"Chassis Serial Number", true},
		{"chassis serial number", true},
		{"NONE", true},
		{"n/a", true},
		{" N/A ", true},
		{"00000000000000000000", true},
		{"", false},
		{"   ", false},
		{"SERIAL-7Q2", false},
		{"private-rack-4", false},
		{"0123456788", false},
		{"XX", false},
		{"CZ1234567X", false},
		{"01", false},
		{"No Asset Tag", false},
	} {
		if got := IsPlaceholderSerial(tc.in); got != tc.want {
			t.Errorf("IsPlaceholderSerial(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !IsPlaceholderAssetTag("No Asset Tag") || !IsPlaceholderAssetTag("Default string") || IsPlaceholderAssetTag("A-1234") {
		t.Errorf("IsPlaceholderAssetTag disagrees with its documented list")
	}
}

// TestIsPlaceholderAssetTag checks that an asset tag field takes every
// placeholder serial and its own ones, ignoring case and padding.
func TestIsPlaceholderAssetTag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"No Asset Tag", true},
		{" no asset tag ", true},
		{"No Asset Information", true},
		{"Asset-1234567890", true},
		{"<private>", true},
		{"To be filled by O.E.M.", true},
		{"Not Specified", true},
		{"Default string", true},
		{"0123456789", true},
		{"None", true},
		{"N/A", true},
		{"serial", true},
		{"A-1234", false},
		{"IT 4711", false},
		{"", false},
	} {
		if got := IsPlaceholderAssetTag(tc.in); got != tc.want {
			t.Errorf("IsPlaceholderAssetTag(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeAssetTag(t *testing.T) {
	runNormalize(t, AssetTag, []normCase{
		{name: "simple", in: "a-001234", want: "A-001234"},
		{name: "trimmed", in: "  it 4711 ", want: "IT 4711"},
		{name: "64 chars", in: strings.Repeat("t", 64), want: strings.Repeat("T", 64)},
		{name: "65 chars", in: strings.Repeat("t", 65), wantErr: "at most 64"},
		{name: "empty", in: "", wantErr: `invalid asset tag "": must not be empty`},
		{name: "control", in: "A\x7f1", wantErr: "control"},
		{name: "placeholder", in: "No Asset Tag", wantErr: `placeholder asset tag "No Asset Tag"`},
		{name: "placeholder default", in: "Default string", wantErr: "placeholder asset tag"},
	})
}

func TestNormalizeCloudID(t *testing.T) {
	long := "arn:" + strings.Repeat("x", 2044)
	runNormalize(t, CloudID, []normCase{
		{name: "aws instance", in: "i-0abc123def4567890", want: "i-0abc123def4567890"},
		{name: "arn case kept", in: " arn:aws:ec2:eu-west-1:123456789012:instance/i-0ABC ", want: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0ABC"},
		{name: "azure lower-cased", in: "/subscriptions/ABC/resourceGroups/RG-Prod/providers/Microsoft.Compute/virtualMachines/VM1", want: "/subscriptions/abc/resourcegroups/rg-prod/providers/microsoft.compute/virtualmachines/vm1"},
		{name: "azure upper prefix", in: "/SUBSCRIPTIONS/ABC", want: "/subscriptions/abc"},
		{name: "azure tenant level", in: "/providers/Microsoft.Management/managementGroups/MG1", want: "/providers/microsoft.management/managementgroups/mg1"},
		{name: "gcp", in: "projects/My-Proj/zones/europe-west1-b/instances/VM", want: "projects/My-Proj/zones/europe-west1-b/instances/VM"},
		{name: "2048 chars", in: long, want: long},
		{name: "2049 chars", in: long + "x", wantErr: "at most 2048"},
		{name: "inner space", in: "i-0abc 123", wantErr: "contains whitespace"},
		{name: "inner nbsp", in: "i-0abc\u00a0123", wantErr: "contains whitespace"},
		{name: "newline", in: "i-0abc\n123", wantErr: "control"},
		{name: "empty", in: "", wantErr: `invalid cloud ID "": must not be empty`},
	})
}

func TestNormalizeSourceKey(t *testing.T) {
	runNormalize(t, SourceKey, []normCase{
		{name: "terraform address", in: "discovery:tf-prod|module.vpc.aws_lb.front", want: "discovery:tf-prod|module.vpc.aws_lb.front"},
		{name: "trimmed, case kept", in: "  discovery:x|AWS_LB.Front[\"a b\"] \n", want: "discovery:x|AWS_LB.Front[\"a b\"]"},
		{name: "2048 bytes", in: strings.Repeat("k", 2048), want: strings.Repeat("k", 2048)},
		{name: "2049 bytes", in: strings.Repeat("k", 2049), wantErr: "at most 2048"},
		{name: "multibyte over 2048 bytes", in: strings.Repeat("é", 1025), wantErr: "at most 2048"},
		{name: "empty", in: " \t ", wantErr: `invalid source key "": must not be empty`},
		{name: "control char", in: "a\x00b", wantErr: "control"},
		{name: "newline", in: "a\nb", wantErr: "control"},
		{name: "invalid utf8", in: "a\xffb", wantErr: "invalid UTF-8"},
	})
}

func TestGuessNeverSourceKey(t *testing.T) {
	for _, in := range []string{"discovery:tf-prod|module.vpc.aws_lb.front", "aws_lb.front", "x"} {
		for _, c := range Guess(in) {
			if c.Kind == SourceKey {
				t.Errorf("Guess(%q) offers %v, want no SOURCE_KEY", in, c)
			}
		}
	}
}

func TestErrorMessagesClipLongInput(t *testing.T) {
	in := strings.Repeat("z", 10000)
	for _, k := range Kinds() {
		_, err := Normalize(k, in)
		if err == nil {
			continue
		}
		if len(err.Error()) > 400 {
			t.Errorf("Normalize(%s, 10000×z) error is %d bytes long, want it clipped", k, len(err.Error()))
		}
	}
}

func TestValidHostnameFQDN(t *testing.T) {
	for _, tc := range []struct {
		in           string
		host, fqdn   bool
		short        string
		wantShortErr bool
	}{
		{in: "web01", host: true, fqdn: false, short: "web01"},
		{in: "WEB01", host: true, fqdn: false, short: "WEB01"},
		{in: "web01.example.com", host: false, fqdn: true, short: "web01"},
		{in: "web01.example.com.", host: false, fqdn: true, short: "web01"},
		{in: " web01", host: false, fqdn: false, short: " web01"},
		{in: "", host: false, fqdn: false, short: ""},
		{in: "10.0.0.1", host: false, fqdn: false, short: "10"},
		{in: "a_b.example.com", host: false, fqdn: false, short: "a_b"},
	} {
		if got := ValidHostname(tc.in); got != tc.host {
			t.Errorf("ValidHostname(%q) = %v, want %v", tc.in, got, tc.host)
		}
		if got := ValidFQDN(tc.in); got != tc.fqdn {
			t.Errorf("ValidFQDN(%q) = %v, want %v", tc.in, got, tc.fqdn)
		}
		if got := ShortName(tc.in); got != tc.short {
			t.Errorf("ShortName(%q) = %q, want %q", tc.in, got, tc.short)
		}
	}
}

func TestGuess(t *testing.T) {
	c := func(k Kind, v string) Candidate { return Candidate{Kind: k, Value: v} }
	for _, tc := range []struct {
		name string
		in   string
		want []Candidate
	}{
		{name: "empty", in: "", want: nil},
		{name: "whitespace", in: " \t\n", want: nil},
		{name: "nothing fits", in: "Default string", want: nil},
		{name: "mac", in: "AA:BB:CC:DD:EE:FF", want: []Candidate{
			c(MAC, "aa:bb:cc:dd:ee:ff"), c(Serial, "AA:BB:CC:DD:EE:FF"), c(AssetTag, "AA:BB:CC:DD:EE:FF"), c(CloudID, "AA:BB:CC:DD:EE:FF")}},
		{name: "dashed mac is also a hostname", in: "AA-BB-CC-DD-EE-FF", want: []Candidate{
			c(MAC, "aa:bb:cc:dd:ee:ff"), c(Hostname, "aa-bb-cc-dd-ee-ff"), c(Serial, "AA-BB-CC-DD-EE-FF"), c(AssetTag, "AA-BB-CC-DD-EE-FF"), c(CloudID, "AA-BB-CC-DD-EE-FF")}},
		{name: "bare mac is also a hostname", in: "aabbccddeeff", want: []Candidate{
			c(MAC, "aa:bb:cc:dd:ee:ff"), c(Hostname, "aabbccddeeff"), c(Serial, "AABBCCDDEEFF"), c(AssetTag, "AABBCCDDEEFF"), c(CloudID, "aabbccddeeff")}},
		{name: "cisco mac is also an fqdn", in: "aabb.ccdd.eeff", want: []Candidate{
			c(MAC, "aa:bb:cc:dd:ee:ff"), c(FQDN, "aabb.ccdd.eeff"), c(Hostname, "aabb"), c(Serial, "AABB.CCDD.EEFF"), c(AssetTag, "AABB.CCDD.EEFF"), c(CloudID, "aabb.ccdd.eeff")}},
		{name: "ipv4", in: " 10.0.0.1 ", want: []Candidate{
			c(IP, "10.0.0.1"), c(Serial, "10.0.0.1"), c(AssetTag, "10.0.0.1"), c(CloudID, "10.0.0.1")}},
		{name: "ipv6", in: "2001:DB8::1", want: []Candidate{
			c(IP, "2001:db8::1"), c(Serial, "2001:DB8::1"), c(AssetTag, "2001:DB8::1"), c(CloudID, "2001:DB8::1")}},
		{name: "uuid", in: "123E4567-E89B-12D3-A456-426614174000", want: []Candidate{
			c(UUID, "123e4567-e89b-12d3-a456-426614174000"), c(CloudID, "123E4567-E89B-12D3-A456-426614174000")}},
		{name: "fqdn", in: "Web01.Example.com", want: []Candidate{
			c(FQDN, "web01.example.com"), c(Hostname, "web01"), c(Serial, "WEB01.EXAMPLE.COM"), c(AssetTag, "WEB01.EXAMPLE.COM"), c(CloudID, "Web01.Example.com")}},
		{name: "single label", in: "web01", want: []Candidate{
			c(Hostname, "web01"), c(Serial, "WEB01"), c(AssetTag, "WEB01"), c(CloudID, "web01")}},
		{name: "aws instance", in: "i-0abc123", want: []Candidate{
			c(CloudID, "i-0abc123"), c(Hostname, "i-0abc123"), c(Serial, "I-0ABC123"), c(AssetTag, "I-0ABC123")}},
		{name: "arn", in: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", want: []Candidate{
			c(CloudID, "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc"),
			c(Serial, "ARN:AWS:EC2:EU-WEST-1:123456789012:INSTANCE/I-0ABC"),
			c(AssetTag, "ARN:AWS:EC2:EU-WEST-1:123456789012:INSTANCE/I-0ABC")}},
		{name: "azure id too long for tag", in: "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1", want: []Candidate{
			c(CloudID, "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"),
			c(Serial, "/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM1")}},
		{name: "gcp", in: "projects/p/zones/z/instances/vm", want: []Candidate{
			c(CloudID, "projects/p/zones/z/instances/vm"), c(Serial, "PROJECTS/P/ZONES/Z/INSTANCES/VM"), c(AssetTag, "PROJECTS/P/ZONES/Z/INSTANCES/VM")}},
		{name: "serial with space", in: "VMware-42 1a", want: []Candidate{
			c(Serial, "VMWARE-42 1A"), c(AssetTag, "VMWARE-42 1A")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Guess(tc.in)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Guess(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestPlaceholderMACAndUUID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"00:00:00:00:00:00", true}, {"FFFF.FFFF.FFFF", true}, {"000000000000", true},
		{" 00-00-00-00-00-00 ", true}, {"0000.0000.0000", true}, {"ff:ff:ff:ff:ff:ff", true},
		{"00:1a:2b:3c:4d:5e", false}, {"not a mac", false},
	} {
		if got := IsPlaceholderMAC(tc.in); got != tc.want {
			t.Errorf("IsPlaceholderMAC(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"03000200-0400-0500-0006-000700080009", true}, {"{00000000-0000-0000-0000-000000000000}", true},
		{"00000000-0000-0000-0000-000000000000", true}, {" 00000000000000000000000000000000 ", true},
		{"urn:uuid:00000000-0000-0000-0000-000000000000", true}, {"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", true},
		{"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", true}, {"123e4567-e89b-12d3-a456-426614174000", false}, {"x", false},
	} {
		if got := IsPlaceholderUUID(tc.in); got != tc.want {
			t.Errorf("IsPlaceholderUUID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if o, ok := MACOctets("AABB.CCDD.EE0F"); !ok || o != [6]byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f} {
		t.Errorf("MACOctets(AABB.CCDD.EE0F) = %x, %v", o, ok)
	}
	if _, ok := MACOctets("aa:bb"); ok {
		t.Errorf("MACOctets(aa:bb) ok, want not a MAC")
	}
}
