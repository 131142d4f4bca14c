package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// fixture is a small estate the validation, money and audit tests start from.
type fixture struct {
	ci, other, asset, person, team, contract, change, service, vendor int
}

func seedFixture(t *testing.T, env *servertest.Env) fixture {
	t.Helper()
	var f fixture
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		team, err := tx.Owner.Create().SetName("ops").SetKind(owner.KindTeam).Save(ctx)
		if err != nil {
			return err
		}
		person, err := tx.Owner.Create().SetName("alice").SetKind(owner.KindPerson).SetTeamID(team.ID).Save(ctx)
		if err != nil {
			return err
		}
		vendor, err := tx.Vendor.Create().SetName("Acme").Save(ctx)
		if err != nil {
			return err
		}
		svc, err := tx.Service.Create().SetName("billing").Save(ctx)
		if err != nil {
			return err
		}
		ci, err := tx.ConfigurationItem.Create().SetName("web01").SetKind(configurationitem.KindServer).
			SetHostname("web01").SetOwnerID(team.ID).Save(ctx)
		if err != nil {
			return err
		}
		other, err := tx.ConfigurationItem.Create().SetName("db01").SetKind(configurationitem.KindDatabase).Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.Relationship.Create().SetFromID(ci.ID).SetToID(other.ID).SetType(relationship.TypeDependsOn).Exec(ctx); err != nil {
			return err
		}
		a, err := tx.Asset.Create().SetConfigurationItemID(ci.ID).SetCostMinor(1250).SetCurrency("EUR").Save(ctx)
		if err != nil {
			return err
		}
		c, err := tx.Contract.Create().SetNumber("C-1").SetKind("SUPPORT").
			SetStartDate(day("2024-01-01")).SetEndDate(day("2025-01-01")).Save(ctx)
		if err != nil {
			return err
		}
		cr, err := tx.ChangeRecord.Create().SetNumber("CHG-1").SetTitle("patch").SetRequester("alice").
			SetWindowStart(day("2024-03-01")).SetWindowEnd(day("2024-03-02")).Save(ctx)
		if err != nil {
			return err
		}
		f = fixture{ci: ci.ID, other: other.ID, asset: a.ID, person: person.ID, team: team.ID,
			contract: c.ID, change: cr.ID, service: svc.ID, vendor: vendor.ID}
		return nil
	})
	return f
}

// missing is a CI ID nothing has: the CI type's ID range, far beyond any row.
func missingCI(f fixture) int { return f.ci + 1_000_000 }

type errCase struct {
	name  string
	query string
	vars  map[string]any
	code  string
	field string
	msg   string
}

func TestValidationErrors(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := seedFixture(t, env)
		ciInput := func(extra string) string {
			return `mutation { createConfigurationItem(input: {name: "x1", kind: SERVER` + extra + `}) { id } }`
		}
		asset := func(fields string) string {
			return `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci` + fields + `}) { id } }`
		}
		// A second CI for createAsset cases (the fixture CI has an asset).
		freeCI := data(t, env.Do(t, env.Editor, ciInput(`, hostname: "free01"`), nil))["createConfigurationItem"].(map[string]any)["id"]
		ciVars := map[string]any{"ci": freeCI}
		ids := map[string]any{"ci": f.ci, "other": f.other, "person": f.person, "team": f.team,
			"asset": f.asset, "contract": f.contract, "change": f.change, "missing": missingCI(f), "vendor": f.vendor}

		cases := []errCase{
			{"bad hostname", ciInput(`, hostname: "bad_host!"`), nil, "BAD_USER_INPUT", "hostname", `invalid host name "bad_host!"`},
			{"hostname too long", ciInput(`, hostname: "` + fmt.Sprintf("%070d", 1) + `"`), nil, "BAD_USER_INPUT", "hostname", "invalid host name"},
			{"bad FQDN", ciInput(`, fqdn: "web..example.com"`), nil, "BAD_USER_INPUT", "fqdn", `invalid FQDN "web..example.com"`},
			{"bad hostname on update", `mutation($ci: ID!) { updateConfigurationItem(id: $ci, input: {hostname: "-web"}) { id } }`, ids, "BAD_USER_INPUT", "hostname", "invalid host name"},
			{"blank CI name", `mutation { createConfigurationItem(input: {name: "   ", kind: SERVER}) { id } }`, nil, "BAD_USER_INPUT", "name", "must not be blank"},
			{"empty owner name", `mutation { createOwner(input: {name: "", kind: TEAM}) { id } }`, nil, "BAD_USER_INPUT", "name", "must not be blank"},
			{"bad IP", `mutation($ci: ID!) { createIdentifier(input: {configurationItemID: $ci, kind: IP, value: "300.1.2.3"}) { id } }`, ids, "BAD_USER_INPUT", "value", `invalid IP address "300.1.2.3"`},
			{"IP with prefix", `mutation($ci: ID!) { createIdentifier(input: {configurationItemID: $ci, kind: IP, value: "10.0.0.1/24"}) { id } }`, ids, "BAD_USER_INPUT", "value", "a prefix length is not allowed"},
			{"bad MAC", `mutation($ci: ID!) { createIdentifier(input: {configurationItemID: $ci, kind: MAC, value: "aa:bb:cc:dd:ee"}) { id } }`, ids, "BAD_USER_INPUT", "value", `invalid MAC address "aa:bb:cc:dd:ee"`},
			{"MAC with mixed separators", `mutation($ci: ID!) { createIdentifier(input: {configurationItemID: $ci, kind: MAC, value: "aa:bb-cc:dd:ee:ff"}) { id } }`, ids, "BAD_USER_INPUT", "value", "mixes separators"},
			{"bad e-mail", `mutation { createOwner(input: {name: "sre", kind: TEAM, email: "sre-at-example.com"}) { id } }`, nil, "BAD_USER_INPUT", "email", `invalid e-mail address "sre-at-example.com"`},
			{"bad e-mail on update", `mutation($person: ID!) { updateOwner(id: $person, input: {email: "Alice <alice@example.com>"}) { id } }`, ids, "BAD_USER_INPUT", "email", "invalid e-mail address"},
			{"bad runbook URL", `mutation { createService(input: {name: "search", runbookURL: "ftp://example.com/runbook"}) { id } }`, nil, "BAD_USER_INPUT", "runbookURL", `invalid URL "ftp://example.com/runbook"`},
			{"bad vendor website", `mutation { createVendor(input: {name: "Initech", website: "initech.example"}) { id } }`, nil, "BAD_USER_INPUT", "website", `invalid URL "initech.example"`},
			{"unknown currency", asset(`, currency: "XYZ", cost: "10"`), ciVars, "BAD_USER_INPUT", "currency", `unknown currency`},
			{"unknown contract currency", `mutation { createContract(input: {number: "C-2", kind: SUPPORT, startDate: "2024-01-01T00:00:00Z", endDate: "2025-01-01T00:00:00Z", currency: "EURO"}) { id } }`, nil, "BAD_USER_INPUT", "currency", "unknown currency"},
			{"negative cost", asset(`, cost: "-5"`), ciVars, "BAD_USER_INPUT", "cost", `amount must not be negative, got "-5"`},
			{"too many decimals", asset(`, cost: "12.345", currency: "EUR"`), ciVars, "BAD_USER_INPUT", "cost", `amount "12.345" has more decimals than EUR allows (2)`},
			{"malformed cost", asset(`, cost: "1,000.00"`), ciVars, "BAD_USER_INPUT", "cost", `invalid amount "1,000.00"`},
			{"negative contract cost", `mutation { createContract(input: {number: "C-3", kind: SUPPORT, startDate: "2024-01-01T00:00:00Z", endDate: "2025-01-01T00:00:00Z", cost: "-0.01"}) { id } }`, nil, "BAD_USER_INPUT", "cost", "must not be negative"},
			{"salvage above cost", asset(`, cost: "100", salvageValue: "100.01"`), ciVars, "BAD_USER_INPUT", "salvageValue", "salvage value 100.01 must not exceed cost 100.00"},
			{"salvage above stored cost", `mutation($asset: ID!) { updateAsset(id: $asset, input: {salvageValue: "13"}) { id } }`, ids, "BAD_USER_INPUT", "salvageValue", "salvage value 13.00 must not exceed cost 12.50"},
			{"declining rate zero", asset(`, depreciationMethod: DECLINING_BALANCE, decliningRate: 0`), ciVars, "BAD_USER_INPUT", "decliningRate", "declining rate must be in (0, 1], got 0"},
			{"declining rate above one", asset(`, depreciationMethod: DECLINING_BALANCE, decliningRate: 1.5`), ciVars, "BAD_USER_INPUT", "decliningRate", "got 1.5"},
			{"declining balance without rate", asset(`, depreciationMethod: DECLINING_BALANCE`), ciVars, "BAD_USER_INPUT", "decliningRate", "DECLINING_BALANCE needs a declining rate"},
			{"in service before purchase", asset(`, purchaseDate: "2024-05-01T00:00:00Z", inServiceDate: "2024-04-30T00:00:00Z"`), ciVars, "BAD_USER_INPUT", "inServiceDate", "inServiceDate (2024-04-30) must not be before purchaseDate (2024-05-01)"},
			{"contract ends before it starts", `mutation { createContract(input: {number: "C-4", kind: SUPPORT, startDate: "2024-06-01T00:00:00Z", endDate: "2024-05-01T00:00:00Z"}) { id } }`, nil, "BAD_USER_INPUT", "endDate", "endDate (2024-05-01T00:00:00Z) must be after startDate (2024-06-01T00:00:00Z)"},
			{"contract end moved before stored start", `mutation($contract: ID!) { updateContract(id: $contract, input: {endDate: "2023-12-31T00:00:00Z"}) { id } }`, ids, "BAD_USER_INPUT", "endDate", "must be after startDate"},
			{"change window ends before it starts", `mutation { createChangeRecord(input: {number: "CHG-2", title: "t", requester: "bob", windowStart: "2024-03-02T10:00:00Z", windowEnd: "2024-03-02T09:00:00Z"}) { id } }`, nil, "BAD_USER_INPUT", "windowEnd", "windowEnd (2024-03-02T09:00:00Z) must be after windowStart (2024-03-02T10:00:00Z)"},
			{"change window end moved before stored start", `mutation($change: ID!) { updateChangeRecord(id: $change, input: {windowEnd: "2024-02-01T00:00:00Z"}) { id } }`, ids, "BAD_USER_INPUT", "windowEnd", "must be after windowStart"},
			{"team that is a person", `mutation($person: ID!) { createOwner(input: {name: "bob", kind: PERSON, teamID: $person}) { id } }`, ids, "BAD_USER_INPUT", "teamID", `"alice" is a PERSON, not a TEAM`},
			{"own team", `mutation($team: ID!) { updateOwner(id: $team, input: {teamID: $team}) { id } }`, ids, "BAD_USER_INPUT", "teamID", "cannot be its own team"},
			{"relationship to itself", `mutation($ci: ID!) { addRelationship(from: $ci, to: $ci, type: DEPENDS_ON) { id } }`, ids, "BAD_USER_INPUT", "to", "a CI cannot depend on itself"},
			{"duplicate relationship", `mutation($ci: ID!, $other: ID!) { addRelationship(from: $ci, to: $other, type: DEPENDS_ON) { id } }`, ids, "CONFLICT", "type", "already has a DEPENDS_ON relationship to CI"},
			{"relationship to unknown CI", `mutation($ci: ID!, $missing: ID!) { addRelationship(from: $ci, to: $missing, type: USES) { id } }`, ids, "NOT_FOUND", "to", fmt.Sprintf("configuration item %d does not exist", missingCI(f))},
			{"relationship from unknown CI", `mutation($ci: ID!, $missing: ID!) { addRelationship(from: $missing, to: $ci, type: USES) { id } }`, ids, "NOT_FOUND", "from", "does not exist"},
			{"update of unknown CI", `mutation($missing: ID!) { updateConfigurationItem(id: $missing, input: {name: "ghost"}) { id } }`, ids, "NOT_FOUND", "", "configuration_item not found"},
			{"update of unknown asset", `mutation($missing: ID!) { updateAsset(id: $missing, input: {cost: "1"}) { id } }`, ids, "NOT_FOUND", "", "not found"},
			{"delete of unknown CI", `mutation($missing: ID!) { deleteConfigurationItem(id: $missing) }`, ids, "NOT_FOUND", "", "not found"},
			{"remove unknown relationship", `mutation($missing: ID!) { removeRelationship(id: $missing) }`, ids, "NOT_FOUND", "", "not found"},
			{"update with an ID of another type", `mutation($person: ID!) { updateConfigurationItem(id: $person, input: {name: "ghost"}) { id } }`, ids, "NOT_FOUND", "", "not found"},
			{"duplicate owner name", `mutation { createOwner(input: {name: "ops", kind: TEAM}) { id } }`, nil, "CONFLICT", "name", "another owner already has this name"},
			{"duplicate service name", `mutation { createService(input: {name: "billing"}) { id } }`, nil, "CONFLICT", "name", "another service already has this name"},
			{"setup: a second vendor", `mutation { createVendor(input: {name: "Globex"}) { id } }`, nil, "", "", ""},
			{"duplicate vendor name on update", `mutation($vendor: ID!) { updateVendor(id: $vendor, input: {name: "Globex"}) { id } }`, ids, "CONFLICT", "name", "another vendor already has this name"},
			{"unknown owner ID", `mutation($missing: ID!) { createConfigurationItem(input: {name: "orphan", kind: VM, ownerID: $missing}) { id } }`, ids, "BAD_USER_INPUT", "ownerID", "does not exist"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.code == "" { // setup step
					data(t, env.Do(t, env.Editor, c.query, c.vars))
					return
				}
				mustNotWrite(t, env, func() {
					r := env.Do(t, env.Editor, c.query, c.vars)
					if r.Status != 200 {
						t.Errorf("HTTP %d, want 200", r.Status)
					}
					if string(r.Data) != "null" {
						t.Errorf("data = %s, want null", r.Data)
					}
					wantErr(t, r, c.code, c.field, c.msg)
				})
			})
		}
	})
}

// TestIdentifierNormalisation checks that createIdentifier stores MACs in
// every usual notation as aa:bb:cc:dd:ee:ff and IPs in canonical form, and
// that a CI's host name and FQDN are stored lower-case.
func TestIdentifierNormalisation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		cases := []struct{ kind, in, want string }{
			{"MAC", "AA:BB:CC:DD:EE:0F", "aa:bb:cc:dd:ee:0f"},
			{"MAC", "aa-bb-cc-dd-ee-0f", "aa:bb:cc:dd:ee:0f"},
			{"MAC", "AA-BB-CC-DD-EE-0F", "aa:bb:cc:dd:ee:0f"},
			{"MAC", "aabb.ccdd.ee0f", "aa:bb:cc:dd:ee:0f"},
			{"MAC", "AABBCCDDEE0F", "aa:bb:cc:dd:ee:0f"},
			{"MAC", "aabbcc-ddee0f", "aa:bb:cc:dd:ee:0f"},
			{"MAC", "a:b:c:d:e:f", "0a:0b:0c:0d:0e:0f"},
			{"MAC", "  aa:bb:cc:dd:ee:0f  ", "aa:bb:cc:dd:ee:0f"},
			{"IP", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
			{"IP", "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"},
			{"IP", "[fe80::1]", "fe80::1"},
			{"IP", "::ffff:192.0.2.10", "192.0.2.10"},
			{"IP", " 192.0.2.1 ", "192.0.2.1"},
			{"HOSTNAME", "WEB-01", "web-01"},
			{"FQDN", "Web-01.Example.COM.", "web-01.example.com"},
		}
		for i, c := range cases {
			t.Run(fmt.Sprintf("%s %q", c.kind, c.in), func(t *testing.T) {
				ci := data(t, env.Do(t, env.Editor, `mutation($n: String!) { createConfigurationItem(input: {name: $n, kind: SERVER}) { id } }`,
					map[string]any{"n": fmt.Sprintf("norm-%02d", i)}))
				id := str(t, ci, "createConfigurationItem.id")
				out := data(t, env.Do(t, env.Editor, `mutation($ci: ID!, $k: IdentifierKind!, $v: String!) {
					createIdentifier(input: {configurationItemID: $ci, kind: $k, value: $v}) { kind value configurationItem { name } } }`,
					map[string]any{"ci": id, "k": c.kind, "v": c.in}))
				if got := str(t, out, "createIdentifier.value"); got != c.want {
					t.Errorf("stored %q, want %q", got, c.want)
				}
				// The normalised value is what lookups by (kind, value) find.
				found := data(t, env.Do(t, env.Viewer, `query($k: IdentifierKind!, $v: String!, $ci: ID!) {
					identifiers(where: {kind: $k, value: $v, hasConfigurationItemWith: {id: $ci}}) { totalCount } }`,
					map[string]any{"k": c.kind, "v": c.want, "ci": id}))
				if n := get(t, found, "identifiers.totalCount"); n != float64(1) {
					t.Errorf("lookup by %s %q found %v identifiers, want 1", c.kind, c.want, n)
				}
			})
		}
		t.Run("updateIdentifier", func(t *testing.T) {
			ci := str(t, data(t, env.Do(t, env.Editor, `mutation { createConfigurationItem(input: {name: "upd-ident", kind: SERVER}) { id } }`, nil)), "createConfigurationItem.id")
			id := str(t, data(t, env.Do(t, env.Editor, `mutation($ci: ID!) { createIdentifier(input: {configurationItemID: $ci, kind: MAC, value: "02:00:00:00:00:01"}) { id } }`,
				map[string]any{"ci": ci})), "createIdentifier.id")
			got := data(t, env.Do(t, env.Editor, `mutation($id: ID!) { updateIdentifier(id: $id, input: {value: "0200.0000.00FF"}) { kind value } }`, map[string]any{"id": id}))
			if v := str(t, got, "updateIdentifier.value"); v != "02:00:00:00:00:ff" {
				t.Errorf("updated MAC stored as %q", v)
			}
			mustNotWrite(t, env, func() {
				wantErr(t, env.Do(t, env.Editor, `mutation($id: ID!) { updateIdentifier(id: $id, input: {value: "02:00"}) { value } }`, map[string]any{"id": id}),
					"BAD_USER_INPUT", "value", "invalid MAC address")
				// Changing the kind alone must re-check the stored value against it.
				wantErr(t, env.Do(t, env.Editor, `mutation($id: ID!) { updateIdentifier(id: $id, input: {kind: IP}) { kind value } }`, map[string]any{"id": id}),
					"BAD_USER_INPUT", "value", `invalid IP address "02:00:00:00:00:ff"`)
			})
		})
		t.Run("CI host name and FQDN fields", func(t *testing.T) {
			out := data(t, env.Do(t, env.Editor, `mutation { createConfigurationItem(input: {name: "Mail", kind: SERVER, hostname: "MAIL01.Corp.Example.com."}) {
				hostname fqdn identifiers { kind value } } }`, nil))
			if h, f := str(t, out, "createConfigurationItem.hostname"), str(t, out, "createConfigurationItem.fqdn"); h != "mail01" || f != "mail01.corp.example.com" {
				t.Errorf("hostname %q fqdn %q, want mail01 and mail01.corp.example.com", h, f)
			}
			goldenJSON(t, "ci_identifiers_from_dotted_hostname", out)
			// Updating the primary identifiers keeps the Identifier table in step.
			id := str(t, data(t, env.Do(t, env.Viewer, `{ configurationItems(where: {name: "Mail"}) { edges { node { id } } } }`, nil)), "configurationItems.edges.0.node.id")
			got := data(t, env.Do(t, env.Editor, `mutation($id: ID!) { updateConfigurationItem(id: $id, input: {hostname: "MAIL02", clearFqdn: true, serialNumber: "sn-123"}) {
				hostname fqdn serialNumber identifiers { kind value } } }`, map[string]any{"id": id}))
			goldenJSON(t, "ci_identifiers_after_update", got)
		})
	})
}

// TestMultiFieldMutationIsAtomic: one failing field of a mutation operation
// rolls back the fields before it (one transaction per operation).
func TestMultiFieldMutationIsAtomic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := seedFixture(t, env)
		mustNotWrite(t, env, func() {
			r := env.Do(t, env.Editor, `mutation($ci: ID!) {
				a: createOwner(input: {name: "sre", kind: TEAM, email: "sre@example.com"}) { id }
				b: updateConfigurationItem(id: $ci, input: {name: "renamed", description: "changed"}) { id }
				c: createVendor(input: {name: "Initech", website: "not a url"}) { id }
				d: createService(input: {name: "never"}) { id }
			}`, map[string]any{"ci": f.ci})
			if len(r.Errors) == 0 {
				t.Fatalf("want an error, got %s", r)
			}
			e := r.Errors[0]
			if e.Code() != "BAD_USER_INPUT" || e.Field() != "website" || fmt.Sprint(e.Path) != "[c]" {
				t.Errorf("first error %+v, want BAD_USER_INPUT on website at path c", e)
			}
		})
		name := data(t, env.Do(t, env.Viewer, `query($id: ID!) { node(id: $id) { ... on ConfigurationItem { name description } } }`, map[string]any{"id": f.ci}))
		if n := str(t, name, "node.name"); n != "web01" {
			t.Errorf("CI renamed to %q by a rolled-back mutation", n)
		}
		// The same operation without the bad field commits all of it.
		r := env.Do(t, env.Editor, `mutation($ci: ID!) {
			a: createOwner(input: {name: "sre", kind: TEAM}) { name }
			b: updateConfigurationItem(id: $ci, input: {name: "renamed"}) { name }
		}`, map[string]any{"ci": f.ci})
		if got := string(r.OK(t).Data); got != `{"a":{"name":"sre"},"b":{"name":"renamed"}}` {
			t.Errorf("data = %s", got)
		}
	})
}

// TestEmptyFilterInAnd: an empty filter object inside and/or is bad input
// naming the field, not an internal error.
func TestEmptyFilterInAnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		for _, q := range []string{
			`{ drifts(first: 1, where: {and: [{}]}) { totalCount } }`,
			`{ configurationItems(first: 1, where: {or: [{}, {name: "x"}]}) { totalCount } }`,
		} {
			r := env.Do(t, env.Viewer, q, nil)
			field := "where.and"
			if strings.Contains(q, "or:") {
				field = "where.or"
			}
			wantErr(t, r, "BAD_USER_INPUT", field, "filters nothing")
		}
	})
}
