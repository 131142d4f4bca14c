package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// seenAt replaces the times the demo seed stamps its audit events with (the
// time the test ran), so that the golden files do not change with the clock.
var seenAt = []*regexp.Regexp{
	regexp.MustCompile(`("at": ")[^"]+(")`),
	regexp.MustCompile(`("field": "created_at",\s+"before": null,\s+"after": ")[^"]+(")`),
	regexp.MustCompile(`(?m)^(change +)\d{4}-\d\d-\d\d \d\d:\d\d( )`),
}

func stable(s string) string {
	for _, re := range seenAt {
		s = re.ReplaceAllString(s, "${1}SEED-TIME${2}")
	}
	return s
}

// TestLookup runs `cairn lookup` on the demo estate and compares its output,
// as text and as --json, with testdata/lookup/*.golden.
func TestLookup(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if out, err := runCairn(t, "seed", "--demo", "--db", db); err != nil {
		t.Fatalf("seed --demo: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"hostname-contract-warranty", []string{"fra1-db01", "--as-of", "2026-01-15"}},
		{"fqdn-asset-warranty-expired", []string{"ams2-bkp01.ams2.example.net", "--as-of", "2025-06-01"}},
		{"ip", []string{"10.20.21.11", "--as-of", "2026-01-15"}},
		{"prefix-ambiguous", []string{"ams2-app", "--as-of", "2026-01-15"}},
		{"service-member-depth-1", []string{"checkout-web", "--as-of", "2026-01-15", "--depth", "1"}},
		{"recent-changes", []string{"fra1-lb01", "--as-of", "2099-01-01T00:00:00Z"}},
	} {
		for _, format := range []string{"text", "json"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				args := append([]string{"lookup", "--db", db}, c.args...)
				if format == "json" {
					args = append(args, "--json")
				}
				out, err := runCairn(t, args...)
				if err != nil {
					t.Fatalf("cairn %s: %v", strings.Join(args, " "), err)
				}
				golden(t, filepath.Join("testdata", "lookup", c.name+"."+format+".golden"), stable(out))
			})
		}
	}
	if _, err := runCairn(t, "lookup", "--db", db, "no-such-host-zz"); err == nil ||
		err.Error() != `nothing matches "no-such-host-zz" (tried identifiers, CI names and name prefixes)` {
		t.Errorf("lookup of an unknown identifier: %v", err)
	}
	if out, err := runCairn(t, "lookup", "--db", db, "no-such-host-zz", "--json"); err != nil || out != "{\n  \"incidentContext\": null\n}\n" {
		t.Errorf("lookup --json of an unknown identifier: %v\n%s", err, out)
	}
	// Issue 20: an FQDN in another domain is another host, not the
	// production one of the same short name.
	if out, err := runCairn(t, "lookup", "--db", db, "fra1-db01.staging.example.com", "--json"); err != nil || out != "{\n  \"incidentContext\": null\n}\n" {
		t.Errorf("lookup --json of an FQDN in another domain: %v\n%s", err, out)
	}
	if _, err := runCairn(t, "lookup", "--db", db, "fra1-db01.staging.example.com"); err == nil || err.Error() != `nothing matches "fra1-db01.staging.example.com" `+
		`(tried identifiers, CI names and name prefixes): no host is recorded as fra1-db01.staging.example.com; `+
		`fra1-db01 (fra1-db01.fra1.example.com) of the same short name is in another domain, so a different host` {
		t.Errorf("lookup of an FQDN in another domain: %v", err)
	}
	if _, err := runCairn(t, "lookup", "--db", db, "00-00-5E-00-01-01"); err == nil ||
		!strings.Contains(err.Error(), "MAC 00:00:5e:00:01:01: a VRRP or CARP virtual router MAC") ||
		!strings.Contains(err.Error(), "never matched as an identifier") {
		t.Errorf("lookup of a VRRP MAC: %v, want the reason it is not identity", err)
	}
	// The demo's addresses are global (scope null): the global scope
	// finds them, another scope does not.
	if out, err := runCairn(t, "lookup", "--db", db, "10.20.21.11", "--scope", "", "--json"); err != nil || !strings.Contains(out, `"name": "ams2-app01"`) {
		t.Errorf("lookup --scope '' of a global address: %v\n%s", err, out)
	}
	if out, err := runCairn(t, "lookup", "--db", db, "10.20.21.11", "--scope", "AMS2-VRF", "--json"); err != nil || out != "{\n  \"incidentContext\": null\n}\n" {
		t.Errorf("lookup --scope of an address recorded in no such scope: %v\n%s", err, out)
	}
	if _, err := runCairn(t, "lookup", "--db", db, "10.20.21.11", "--scope", "a\x01b"); err == nil || !strings.Contains(err.Error(), "invalid network scope") {
		t.Errorf("lookup --scope with a control character: %v", err)
	}
	if _, err := runCairn(t, "lookup", "--db", db, "fra1-db01", "--depth", "0"); err == nil ||
		!strings.Contains(err.Error(), "depth must be between 1 and 50, got 0") {
		t.Errorf("lookup --depth 0: %v", err)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestLookupJSONIsTheGraphQLAnswer checks that `cairn lookup --json` prints,
// byte for byte, what a real server answers to lookupQuery (indented), so
// that the command's own JSON shape cannot drift from the API's.
func TestLookupJSONIsTheGraphQLAnswer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if out, err := runCairn(t, "seed", "--demo", "--db", db); err != nil {
		t.Fatalf("seed --demo: %v\n%s", err, out)
	}
	env := servertest.Start(t, db, servertest.Options{})
	for _, c := range []struct {
		id, asOf string
		depth    int
		scope    *string
	}{
		{"fra1-db01", "2026-01-15T00:00:00Z", 3, nil},
		{"ams2-bkp01.ams2.example.net", "2025-06-01T00:00:00Z", 3, nil},
		{"10.20.21.11", "2026-01-15T00:00:00Z", 3, nil},
		{"ams2-app", "2026-01-15T00:00:00Z", 3, nil},
		{"checkout-web", "2026-01-15T00:00:00Z", 1, nil},
		{"fra1-lb01", "2099-01-01T00:00:00Z", 3, nil},
		{"no-such-host-zz", "2026-01-15T00:00:00Z", 3, nil},
		{"fra1-db01.staging.example.com", "2026-01-15T00:00:00Z", 3, nil},
		{"10.20.21.11", "2026-01-15T00:00:00Z", 3, new(string)},
	} {
		t.Run(c.id, func(t *testing.T) {
			args := []string{"lookup", "--db", db, c.id, "--as-of", c.asOf, "--depth", strconv.Itoa(c.depth), "--json"}
			vars := map[string]any{"id": c.id, "asOf": c.asOf, "depth": c.depth}
			if c.scope != nil {
				args = append(args, "--scope", *c.scope)
				vars["scope"] = *c.scope
			}
			cli, _ := runCairn(t, args...)
			res := env.Do(t, env.Viewer, lookupQuery, vars).OK(t)
			var want bytes.Buffer
			if err := json.Indent(&want, res.Data, "", "  "); err != nil {
				t.Fatal(err)
			}
			want.WriteString("\n")
			if cli != want.String() {
				t.Errorf("cairn lookup --json %s differs from the GraphQL answer:\n--- cli\n%s\n--- graphql\n%s", c.id, cli, want.String())
			}
		})
	}
	// A bad scope is the API's BAD_USER_INPUT on scope, for both queries.
	for _, q := range []string{
		`query($s: String) { incidentContext(identifier: "10.20.21.11", scope: $s) { ci { name } } }`,
		`query($s: String) { lookup(query: "10.20.21.11", scope: $s) { ci { name } } }`,
	} {
		e := env.Do(t, env.Viewer, q, map[string]any{"s": "a\x01b"}).Err(t)
		if e.Code() != "BAD_USER_INPUT" || e.Field() != "scope" || !strings.Contains(e.Message, "invalid network scope") {
			t.Errorf("%s with a bad scope: %+v, want BAD_USER_INPUT on scope", q, e)
		}
	}
	res := env.Do(t, env.Viewer, `{ lookup(query: "fra1-db01") { ci { name } matchedBy matchedValue score } }`, nil).OK(t)
	if string(res.Data) != `{"lookup":[{"ci":{"name":"fra1-db01"},"matchedBy":"SHORT_NAME","matchedValue":"HOSTNAME fra1-db01","score":92}]}` {
		t.Errorf("lookup of a short name: %s", res.Data)
	}
}
