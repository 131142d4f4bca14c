package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// withRequestID sends query as token with the client's X-Request-ID
// header; the answer gives it back in X-Client-Request-ID and the server's
// own ID, the one the audit trail records, in X-Request-ID (serverID).
func withRequestID(t *testing.T, env *servertest.Env, token, reqID, query string, vars map[string]any) servertest.Response {
	t.Helper()
	r := env.DoRequest(t, servertest.Request{Token: token, Query: query, Variables: vars, Header: http.Header{"X-Request-ID": {reqID}}})
	if got := r.Header.Get("X-Client-Request-ID"); got != reqID {
		t.Errorf("X-Client-Request-ID echoed as %q, want %q", got, reqID)
	}
	if id := serverID(r); !hex16Re.MatchString(id) {
		t.Errorf("X-Request-ID %q, want the server's own 16 hex digits", id)
	}
	return r
}

// serverID is the server's request ID of r, the one audit events record.
func serverID(r servertest.Response) string { return r.Header.Get("X-Request-ID") }

type auditEvent struct {
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	EntityType string `json:"entityType"`
	EntityID   string `json:"entityID"`
	RequestID  string `json:"requestID"`
	Changes    []struct {
		Field  string `json:"field"`
		Before any    `json:"before"`
		After  any    `json:"after"`
	} `json:"changes"`
}

// events lists audit events matching where (a GraphQL AuditEventWhereInput
// literal), oldest first.
func events(t *testing.T, env *servertest.Env, where string, vars map[string]any) []auditEvent {
	t.Helper()
	decl := ""
	if len(vars) > 0 {
		var parts []string
		for k, v := range vars {
			typ := "ID!"
			switch v.(type) {
			case string:
				if strings.HasPrefix(k, "s") {
					typ = "String!"
				}
			case time.Time:
				typ = "Time!"
			}
			parts = append(parts, "$"+k+": "+typ)
		}
		sort.Strings(parts)
		decl = "(" + strings.Join(parts, ", ") + ")"
	}
	var out struct {
		AuditEvents struct {
			TotalCount int
			Edges      []struct{ Node auditEvent }
		}
	}
	env.Do(t, env.Viewer, `query`+decl+` { auditEvents(first: 500, where: `+where+`, orderBy: [{field: AT}]) {
		totalCount edges { node { actor action entityType entityID requestID changes { field before after } } } } }`, vars).OK(t).Decode(t, &out)
	var evs []auditEvent
	for _, e := range out.AuditEvents.Edges {
		evs = append(evs, e.Node)
	}
	if out.AuditEvents.TotalCount != len(evs) {
		t.Errorf("totalCount %d for %d events", out.AuditEvents.TotalCount, len(evs))
	}
	return evs
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func changedFields(e auditEvent) string {
	var f []string
	for _, c := range e.Changes {
		f = append(f, c.Field)
	}
	return strings.Join(f, ",")
}

// TestAuditPerEntity: create, update and delete of each entity write
// exactly one audit event each, with the token's name as actor, the request
// ID of the request, and field-level changes (an update lists only what
// changed, with before and after).
func TestAuditPerEntity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := seedFixture(t, env)
		cases := []struct {
			entity, create, update, delete string
			updateFields                   string
			// before and after of the first changed field
			before, after any
		}{
			{"ConfigurationItem",
				`mutation { createConfigurationItem(input: {name: "app01", kind: APPLICATION, tags: ["blue"]}) { id } }`,
				`mutation($id: ID!) { updateConfigurationItem(id: $id, input: {criticality: CRITICAL, description: "billing API", name: "app01"}) { id } }`,
				`mutation($id: ID!) { deleteConfigurationItem(id: $id) }`,
				"criticality,description", "MEDIUM", "CRITICAL"},
			{"Service",
				`mutation { createService(input: {name: "search", tier: 2}) { id } }`,
				`mutation($id: ID!) { updateService(id: $id, input: {tier: 1, runbookURL: "https://runbooks.example.com/search"}) { id } }`,
				`mutation($id: ID!) { deleteService(id: $id) }`,
				"runbook_url,tier", nil, "https://runbooks.example.com/search"},
			{"Owner",
				`mutation { createOwner(input: {name: "dba", kind: TEAM}) { id } }`,
				`mutation($id: ID!) { updateOwner(id: $id, input: {email: "dba@example.com", oncallContact: "+1 555 0100"}) { id } }`,
				`mutation($id: ID!) { deleteOwner(id: $id) }`,
				"email,oncall_contact", nil, "dba@example.com"},
			{"Vendor",
				`mutation { createVendor(input: {name: "Initech", website: "https://initech.example"}) { id } }`,
				`mutation($id: ID!) { updateVendor(id: $id, input: {website: "https://www.initech.example"}) { id } }`,
				`mutation($id: ID!) { deleteVendor(id: $id) }`,
				"website", "https://initech.example", "https://www.initech.example"},
			{"Contract",
				`mutation { createContract(input: {number: "C-9", kind: WARRANTY, startDate: "2024-01-01T00:00:00Z", endDate: "2027-01-01T00:00:00Z", cost: "300"}) { id } }`,
				`mutation($id: ID!) { updateContract(id: $id, input: {cost: "450.50"}) { id } }`,
				`mutation($id: ID!) { deleteContract(id: $id) }`,
				"cost_minor", float64(30000), float64(45050)},
		}
		for _, c := range cases {
			t.Run(c.entity, func(t *testing.T) {
				lc := strings.ToLower(c.entity)
				r := withRequestID(t, env, env.Editor, "req-"+lc+"-create", c.create, nil)
				var created map[string]map[string]string
				r.OK(t).Decode(t, &created)
				var id string
				for _, v := range created {
					id = v["id"]
				}
				reqs := []string{serverID(r)}
				r = withRequestID(t, env, env.Admin, "req-"+lc+"-update", c.update, map[string]any{"id": id})
				r.OK(t)
				reqs = append(reqs, serverID(r))
				r = withRequestID(t, env, env.Editor, "req-"+lc+"-delete", c.delete, map[string]any{"id": id})
				if got := string(r.OK(t).Data); !strings.Contains(got, `"`+id+`"`) {
					t.Errorf("delete returned %s, want the ID %s", got, id)
				}
				reqs = append(reqs, serverID(r))
				evs := events(t, env, `{entityType: "`+c.entity+`", entityID: $id}`, map[string]any{"id": id})
				if len(evs) != 3 {
					t.Fatalf("want 3 audit events for %s %s, got %+v", c.entity, id, evs)
				}
				for i, want := range []struct{ action, actor, req string }{
					{"CREATE", servertest.EditorName, reqs[0]},
					{"UPDATE", servertest.AdminName, reqs[1]},
					{"DELETE", servertest.EditorName, reqs[2]},
				} {
					e := evs[i]
					if e.Action != want.action || e.Actor != want.actor || e.RequestID != want.req || e.EntityID != id || e.EntityType != c.entity {
						t.Errorf("event %d = %s by %s (request %q) on %s %s, want %s by %s (request %q)",
							i, e.Action, e.Actor, e.RequestID, e.EntityType, e.EntityID, want.action, want.actor, want.req)
					}
				}
				if got := changedFields(evs[1]); got != c.updateFields {
					t.Errorf("update changed fields %q, want %q", got, c.updateFields)
				} else if ch := evs[1].Changes[0]; fmt.Sprint(ch.Before) != fmt.Sprint(c.before) || fmt.Sprint(ch.After) != fmt.Sprint(c.after) {
					t.Errorf("update of %s: before %v after %v, want %v and %v", ch.Field, ch.Before, ch.After, c.before, c.after)
				}
				for _, ch := range evs[0].Changes {
					if ch.Before != nil {
						t.Errorf("create: %s has a before value %v", ch.Field, ch.Before)
					}
				}
				for _, ch := range evs[2].Changes {
					if ch.After != nil {
						t.Errorf("delete: %s has an after value %v", ch.Field, ch.After)
					}
				}
				goldenJSON(t, "audit_"+lc, evs)
			})
		}

		t.Run("edges and no-op updates", func(t *testing.T) {
			r := withRequestID(t, env, env.Editor, "req-members", `mutation($s: ID!, $ci: ID!) { updateService(id: $s, input: {addMemberIDs: [$ci]}) { id } }`,
				map[string]any{"s": f.service, "ci": f.ci})
			r.OK(t)
			evs := events(t, env, `{requestID: $sreq}`, map[string]any{"sreq": serverID(r)})
			if len(evs) != 1 || changedFields(evs[0]) != "members.added" || jsonOf(evs[0].Changes[0].After) != fmt.Sprintf("[%d]", f.ci) {
				t.Errorf("adding a member: events %+v, want one UPDATE of Service with members.added [%d]", evs, f.ci)
			}
			before := rowCounts(t, env)
			withRequestID(t, env, env.Editor, "req-noop", `mutation($ci: ID!) { updateConfigurationItem(id: $ci, input: {name: "web01"}) { id } }`,
				map[string]any{"ci": f.ci}).OK(t)
			if d := before.diff(rowCounts(t, env)); d != "" {
				t.Errorf("an update that changes nothing wrote %s", d)
			}
		})

		t.Run("filters", func(t *testing.T) {
			byAdmin := events(t, env, `{actor: $sactor}`, map[string]any{"sactor": servertest.AdminName})
			if len(byAdmin) != 5 {
				t.Errorf("actor filter: %d events by %s, want the 5 updates", len(byAdmin), servertest.AdminName)
			}
			for _, e := range byAdmin {
				if e.Actor != servertest.AdminName || e.Action != "UPDATE" {
					t.Errorf("actor filter returned %+v", e)
				}
			}
			setup := events(t, env, `{actor: $sactor, entityTypeIn: ["Owner"]}`, map[string]any{"sactor": servertest.SetupActor})
			if len(setup) != 2 {
				t.Errorf("actor and entity type: %d events, want the fixture's 2 owners", len(setup))
			}
		})
	})
}

// TestAuditTimeRangeAndSnapshots replays a CI's life and rebuilds it with
// configurationItemAt at each moment, relationships included.
func TestAuditTimeRangeAndSnapshots(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := seedFixture(t, env)
		var moments []time.Time
		mark := func() {
			time.Sleep(3 * time.Millisecond)
			moments = append(moments, time.Now())
			time.Sleep(3 * time.Millisecond)
		}
		mark() // 0: before creation
		// The server's request ID of each step, by the client's label.
		ids := map[string]string{}
		step := func(token, label, query string, vars map[string]any) servertest.Response {
			t.Helper()
			r := withRequestID(t, env, token, label, query, vars)
			ids[label] = serverID(r)
			return r
		}
		ci := str(t, data(t, step(env.Editor, "life-1", `mutation($o: ID!) { createConfigurationItem(input: {name: "app02", kind: APPLICATION,
			hostname: "app02", ownerID: $o, tags: ["a", "b"], attributes: {port: 8080}}) { id } }`, map[string]any{"o": f.team})), "createConfigurationItem.id")
		mark() // 1: created
		data(t, step(env.Admin, "life-2", `mutation($id: ID!) { updateConfigurationItem(id: $id, input: {name: "app02-renamed", status: MAINTENANCE, clearOwner: true}) { id } }`,
			map[string]any{"id": ci}))
		mark() // 2: updated
		out := data(t, step(env.Editor, "life-3", `mutation($id: ID!, $db: ID!, $web: ID!) {
			a: addRelationship(from: $id, to: $db, type: DEPENDS_ON) { id }
			b: addRelationship(from: $web, to: $id, type: USES) { id } }`, map[string]any{"id": ci, "db": f.other, "web": f.ci}))
		relA, relB := str(t, out, "a.id"), str(t, out, "b.id")
		mark() // 3: two relationships
		if got := string(step(env.Editor, "life-4", `mutation($r: ID!) { removeRelationship(id: $r) }`, map[string]any{"r": relA}).OK(t).Data); got != `{"removeRelationship":"`+relA+`"}` {
			t.Errorf("removeRelationship returned %s", got)
		}
		mark() // 4: one relationship left
		data(t, step(env.Editor, "life-5", `mutation($id: ID!) { deleteConfigurationItem(id: $id) }`, map[string]any{"id": ci}))
		mark() // 5: deleted

		// One event per entity per request; the delete cascades, audited.
		for req, want := range map[string]string{
			"life-1": "CREATE ConfigurationItem,CREATE Identifier",
			"life-2": "UPDATE ConfigurationItem",
			"life-3": "CREATE Relationship,CREATE Relationship",
			"life-4": "DELETE Relationship",
			"life-5": "DELETE ConfigurationItem,DELETE Identifier,DELETE Relationship",
		} {
			var got []string
			for _, e := range events(t, env, `{requestID: $sreq}`, map[string]any{"sreq": ids[req]}) {
				got = append(got, e.Action+" "+e.EntityType)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != want {
				t.Errorf("request %s wrote %v, want %s", req, got, want)
			}
		}
		upd := events(t, env, `{requestID: $sreq}`, map[string]any{"sreq": ids["life-2"]})
		if len(upd) == 1 && changedFields(upd[0]) != "name,owner_id,status" {
			t.Errorf("update changes %q, want name,owner_id,status", changedFields(upd[0]))
		}

		// Time range: exactly the update happened between moments 1 and 2.
		between := events(t, env, `{atGTE: $from, atLT: $to}`, map[string]any{"from": moments[1], "to": moments[2]})
		if len(between) != 1 || between[0].Action != "UPDATE" || between[0].EntityID != ci {
			t.Errorf("events between moments 1 and 2: %+v, want the one update", between)
		}
		trail := events(t, env, `{entityID: $id, atGTE: $from}`, map[string]any{"id": ci, "from": moments[0]})
		if len(trail) != 3 {
			t.Errorf("the CI's trail since moment 0 has %d events, want 3", len(trail))
		}
		if none := events(t, env, `{atGT: $from}`, map[string]any{"from": moments[5]}); len(none) != 0 {
			t.Errorf("%d events after the last moment", len(none))
		}

		const snap = `query($id: ID!, $at: Time!) { configurationItemAt(id: $id, at: $at) {
			existed name kind status environment criticality hostname fqdn tags attributes ownerID
			relationships { id type fromID toID } lastChange { action actor requestID } } }`
		var snaps []any
		for i, at := range moments {
			s := data(t, env.Do(t, env.Viewer, snap, map[string]any{"id": ci, "at": at}))["configurationItemAt"]
			snaps = append(snaps, s)
			if i == 0 {
				if s != nil {
					t.Errorf("before creation: %v, want null", s)
				}
				continue
			}
			m, _ := s.(map[string]any)
			if m == nil {
				t.Fatalf("moment %d: null snapshot", i)
			}
			rels, _ := m["relationships"].([]any)
			wantName, wantRels, wantExisted := "app02-renamed", 0, true
			switch i {
			case 1:
				wantName = "app02"
			case 3:
				wantRels = 2
			case 4:
				wantRels = 1
				if got := get(t, m, "relationships.0.id"); got != relB {
					t.Errorf("moment 4: relationship %v left, want %s", got, relB)
				}
			case 5:
				wantExisted = false
			}
			if m["name"] != wantName || len(rels) != wantRels || m["existed"] != wantExisted {
				t.Errorf("moment %d: name %v, %d relationships, existed %v; want %s, %d, %v", i, m["name"], len(rels), m["existed"], wantName, wantRels, wantExisted)
			}
		}
		if got := get(t, snaps[1], "ownerID"); got != fmt.Sprint(f.team) {
			t.Errorf("moment 1: ownerID %v, want %d", got, f.team)
		}
		if got := get(t, snaps[2], "ownerID"); got != nil {
			t.Errorf("moment 2: ownerID %v, want null after clearOwner", got)
		}
		goldenJSON(t, "ci_snapshots", snaps)
	})
}
