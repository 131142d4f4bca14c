package incident_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	estates "github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/incident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// ruleTable is the decision table of internal/identity's package doc: the
// estate ("name: KIND value[@scope], …") and the rows (input, scope, rule,
// result), read from doc.go so that the documented table is the one the
// DB-backed lookup is tested against.
type ruleTable struct {
	estate [][2]string
	rows   [][4]string
}

func readRuleTable(t *testing.T) ruleTable {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "identity", "doc.go"))
	if err != nil {
		t.Fatalf("reading internal/identity's package doc: %v", err)
	}
	var rt ruleTable
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(l, "// # "); ok {
			section = h
			continue
		}
		row, ok := strings.CutPrefix(l, "//\t")
		if !ok || section != "Decision" {
			continue
		}
		cols := strings.Split(row, " | ")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		switch {
		case len(cols) == 1:
			name, ids, ok := strings.Cut(cols[0], ":")
			if !ok {
				t.Fatalf("estate line %q: want name: identifiers", row)
			}
			rt.estate = append(rt.estate, [2]string{name, strings.TrimSpace(ids)})
		case len(cols) == 4 && cols[0] != "input":
			rt.rows = append(rt.rows, [4]string(cols))
		}
	}
	if len(rt.estate) < 5 || len(rt.rows) < 15 {
		t.Fatalf("identity doc tables: %d estate lines, %d rows; the doc format changed", len(rt.estate), len(rt.rows))
	}
	return rt
}

// openDB opens a fresh database on each backend.
func openDB(t *testing.T, fn func(t *testing.T, db *app.DB)) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	})
}

// addIdentifiers records "KIND value[@scope], …" on CI id; values that are
// not identity are refused by the write path (createIdentifier's rule) or
// kept: either way they never match, so a refusal is skipped.
func addIdentifiers(ctx context.Context, t *testing.T, tx *ent.Client, id int, list string) error {
	t.Helper()
	for _, one := range strings.Split(list, ", ") {
		kind, val, _ := strings.Cut(one, " ")
		val, scope, _ := strings.Cut(val, "@")
		c := tx.Identifier.Create().SetConfigurationItemID(id).SetKind(identifier.Kind(kind)).SetValue(val)
		if scope != "" {
			c.SetScope(scope)
		}
		if err := c.Exec(ctx); err != nil {
			if _, bad := identity.NotIdentity(ident.Kind(kind), val); bad {
				continue
			}
			return err
		}
	}
	return nil
}

// TestRuleTable runs internal/identity's decision table through the
// DB-backed lookup (Match: one identifier statement, domains, Decide) on
// SQLite and PostgreSQL. Rows that combine several identifiers (" + ")
// are observations, decided by reconciliation, not typed lookups.
func TestRuleTable(t *testing.T) {
	rt := readRuleTable(t)
	openDB(t, func(t *testing.T, db *app.DB) {
		ctx := audit.WithActor(context.Background(), "test")
		names := map[int]string{}
		err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			for _, l := range rt.estate {
				ci, err := tx.ConfigurationItem.Create().SetName(l[0]).SetKind(configurationitem.KindServer).Save(ctx)
				if err != nil {
					return err
				}
				names[ci.ID] = l[0]
				if err := addIdentifiers(ctx, t, tx, ci.ID, l[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seeding the rule table's estate: %v", err)
		}
		e := incident.New(db.Client, db.Store)
		ran := 0
		for _, row := range rt.rows {
			if strings.Contains(row[0], " + ") {
				continue
			}
			ran++
			t.Run(row[0]+"@"+row[1], func(t *testing.T) {
				var scope *string
				switch row[1] {
				case "-":
				case "global":
					scope = new(string)
				default:
					scope = &row[1]
				}
				m, err := e.Match(ctx, row[0], scope)
				if err != nil {
					t.Fatal(err)
				}
				got := "none"
				if m != nil {
					ns := make([]string, len(m.IDs))
					for i, id := range m.IDs {
						ns[i] = names[id]
					}
					slices.Sort(ns)
					got = strings.Join(ns, ",") + " " + string(m.Rule) + " " + string(m.MatchedBy) + " " + m.Value
				}
				if got != row[3] {
					t.Errorf("Match(%q, scope %s) = %q, want (identity doc, %s) %q", row[0], row[1], got, row[2], row[3])
				}
			})
		}
		if ran < 15 {
			t.Fatalf("only %d rows of the rule table ran", ran)
		}
	})
}

// TestWrongHostRegression is the first finding of issue 20, on the demo
// estate plus lon3-web01 (FQDN lon3-web01.lon3.example.org) and x-db01
// (host db01, FQDN db01.eu.example.org): an FQDN in another domain named
// the production host by its short name (IDENTIFIER, not ambiguous). It
// names nothing now, while the short name alone still finds the host.
func TestWrongHostRegression(t *testing.T) {
	openDB(t, func(t *testing.T, db *app.DB) {
		ctx := audit.WithActor(context.Background(), "test")
		if _, err := estates.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estates.ImportOptions{}); err != nil {
			t.Fatalf("seeding the demo: %v", err)
		}
		err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			if err := tx.ConfigurationItem.Create().SetName("lon3-web01").SetKind(configurationitem.KindServer).
				SetHostname("lon3-web01").SetFqdn("lon3-web01.lon3.example.org").Exec(ctx); err != nil {
				return err
			}
			return tx.ConfigurationItem.Create().SetName("x-db01").SetKind(configurationitem.KindServer).
				SetHostname("db01").SetFqdn("db01.eu.example.org").Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		e := incident.New(db.Client, db.Store)
		for _, c := range []struct {
			input string
			want  string // "CI RULE KIND value", or "" for null
		}{
			{"lon3-web01.staging.example.org", ""},
			{"db01.us.example.org", ""},
			{"https://lon3-web01.staging.example.org/health", ""},
			{"lon3-web01", "lon3-web01 SHORT_NAME HOSTNAME lon3-web01"},
			{"db01", "x-db01 SHORT_NAME HOSTNAME db01"},
			{"lon3-web01.lon3.example.org", "lon3-web01 IDENTIFIER FQDN lon3-web01.lon3.example.org"},
			{"DB01.EU.example.org.", "x-db01 IDENTIFIER FQDN db01.eu.example.org"},
		} {
			ic, err := e.Context(ctx, incident.Request{Identifier: c.input}, incident.Parts{})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ic != nil {
				got = ic.CI.Name + " " + string(ic.Rule) + " " + string(ic.MatchedBy) + " " + ic.MatchedValue
				if ic.Ambiguous {
					got += " ambiguous"
				}
			}
			if got != c.want {
				t.Errorf("incidentContext(%q) = %q, want %q", c.input, got, c.want)
			}
		}
		why, err := e.WhyNoMatch(ctx, "lon3-web01.staging.example.org", nil)
		if want := "no host is recorded as lon3-web01.staging.example.org; lon3-web01 (lon3-web01.lon3.example.org) of the same short name is in another domain, so a different host"; err != nil || why != want {
			t.Errorf("WhyNoMatch(staging FQDN) = %q, %v; want %q", why, err, want)
		}
		// The search box follows the same rule: no identifier hit on the
		// production host for the staging FQDN.
		hits, err := e.Lookup(ctx, "lon3-web01.staging.example.org", nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.CI != nil && (h.MatchedBy == incident.ByIdentifier || h.MatchedBy == incident.ByShortName) {
				t.Errorf("lookup of the staging FQDN hit %s by %s %s", h.CI.Name, h.MatchedBy, h.MatchedValue)
			}
		}
	})
}

// TestScopedAddress: the same private address in two scopes is ambiguous
// without a scope and names one CI with it; the search box agrees; a bad
// scope is BAD_USER_INPUT on "scope".
func TestScopedAddress(t *testing.T) {
	openDB(t, func(t *testing.T, db *app.DB) {
		ctx := audit.WithActor(context.Background(), "test")
		ids := map[string]int{}
		err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			for _, c := range []struct{ name, idents string }{
				{"fra1-app05", "IP 10.0.0.5@fra1"},
				{"lon3-app05", "IP 10.0.0.5@lon3"},
				{"edge", "IP 203.0.113.7"},
				// Named after an address that 10.0.0.5 is the start of.
				{"10.0.0.50", "IP 10.0.0.50@ams2"},
			} {
				ci, err := tx.ConfigurationItem.Create().SetName(c.name).SetKind(configurationitem.KindServer).Save(ctx)
				if err != nil {
					return err
				}
				ids[c.name] = ci.ID
				if err := addIdentifiers(ctx, t, tx, ci.ID, c.idents); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e := incident.New(db.Client, db.Store)
		str := func(s string) *string { return &s }
		for _, c := range []struct {
			input string
			scope *string
			want  string // "CI [alternatives…]", "" for null
		}{
			{"10.0.0.5", nil, "fra1-app05 ambiguous lon3-app05"},
			{"10.0.0.5", str("LON3 "), "lon3-app05"},
			{"tcp://10.0.0.5:5432", str("fra1"), "fra1-app05"},
			{"10.0.0.5", str("ams2"), ""},
			{"10.0.0.5", str(""), ""},
			{"203.0.113.7", str("fra1"), "edge"},
			// An address is an identifier or nothing: never a name prefix.
			{"10.0.0.6", str("fra1"), ""},
		} {
			ic, err := e.Context(ctx, incident.Request{Identifier: c.input, Scope: c.scope}, incident.Parts{})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ic != nil {
				got = ic.CI.Name
				if ic.Ambiguous {
					got += " ambiguous"
				}
				for _, a := range ic.Alternatives {
					got += " " + a.Name
				}
				if ic.Rule != incident.RuleIdentifier {
					t.Errorf("%s: rule %s, want IDENTIFIER", c.input, ic.Rule)
				}
			}
			if got != c.want {
				t.Errorf("incidentContext(%q, scope %v) = %q, want %q", c.input, c.scope, got, c.want)
			}
		}
		hits, err := e.Lookup(ctx, "10.0.0.5", nil, str("lon3"), nil)
		if err != nil || len(hits) != 1 || hits[0].CI.Name != "lon3-app05" || hits[0].MatchedValue != "IP 10.0.0.5" {
			t.Errorf("lookup 10.0.0.5 in lon3 = %+v, %v; want lon3-app05 alone", hits, err)
		}
		hits, err = e.Lookup(ctx, "10.0.0.5", nil, nil, nil)
		if err != nil || len(hits) != 2 {
			t.Errorf("lookup 10.0.0.5 in every scope = %d hits, %v; want both", len(hits), err)
		}
		why, err := e.WhyNoMatch(ctx, "10.0.0.5", str("ams2"))
		if want := "10.0.0.5 is a private address recorded in network scope fra1, lon3, not in ams2"; err != nil || why != want {
			t.Errorf("WhyNoMatch(10.0.0.5 in ams2) = %q, %v; want %q", why, err, want)
		}
		bad := "lon3\x00"
		if _, err := e.Context(ctx, incident.Request{Identifier: "10.0.0.5", Scope: &bad}, incident.Parts{}); !isInvalid(err, "scope") {
			t.Errorf("context with a bad scope: %v, want BAD_USER_INPUT on scope", err)
		}
		if _, err := e.Lookup(ctx, "10.0.0.5", nil, &bad, nil); !isInvalid(err, "scope") {
			t.Errorf("lookup with a bad scope: %v, want BAD_USER_INPUT on scope", err)
		}
	})
}

func isInvalid(err error, field string) bool {
	ae, ok := apperr.As(err)
	return ok && ae.Code == apperr.BadUserInput && ae.Field == field
}

func TestNotIdentity(t *testing.T) {
	for _, c := range []struct{ input, want string }{
		{"00-00-5E-00-01-01", "MAC 00:00:5e:00:01:01: a VRRP or CARP virtual router MAC"},
		{"To Be Filled By O.E.M.", "SERIAL To Be Filled By O.E.M.: a placeholder serial number"},
		{"web01", ""},
	} {
		if got := incident.NotIdentity(c.input); !strings.HasPrefix(got, c.want) || (c.want == "") != (got == "") {
			t.Errorf("NotIdentity(%q) = %q, want %q…", c.input, got, c.want)
		}
	}
}
