package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

const (
	readQuery   = `{ configurationItems { totalCount } }`
	createQuery = `mutation($n: String!) { createConfigurationItem(input: {name: $n, kind: VM}) { id name } }`
)

// want401 checks an authentication refusal: HTTP 401, a WWW-Authenticate
// challenge, UNAUTHENTICATED and a message containing msg.
func want401(t *testing.T, r servertest.Response, msg string) {
	t.Helper()
	if r.Status != http.StatusUnauthorized {
		t.Errorf("HTTP %d, want 401: %s", r.Status, r.Body)
	}
	if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", h)
	}
	wantErr(t, r, "UNAUTHENTICATED", "", msg)
}

func TestAuthentication(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		t.Run("no token", func(t *testing.T) {
			want401(t, env.Do(t, "", readQuery, nil), "an API token is needed: send Authorization: Bearer <token>")
		})
		t.Run("unknown token", func(t *testing.T) {
			want401(t, env.Do(t, "cairn_not-a-real-token", readQuery, nil), "unknown or revoked API token")
		})
		t.Run("not a bearer header", func(t *testing.T) {
			r := env.DoRequest(t, servertest.Request{Query: readQuery, Header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}})
			want401(t, r, `the Authorization header must be "Bearer <token>"`)
		})
		t.Run("expired token", func(t *testing.T) {
			secret, err := auth.NewSecret()
			if err != nil {
				t.Fatal(err)
			}
			env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
				return tx.APIToken.Create().SetName("old").SetRole(auth.Admin).SetTokenHash(auth.Hash(secret)).
					SetPrefix(secret[:12]).SetExpiresAt(time.Now().Add(-time.Hour)).Exec(ctx)
			})
			want401(t, env.Do(t, secret, readQuery, nil), `API token "old" expired at`)
		})
		t.Run("token expiring while cached", func(t *testing.T) {
			secret, _, err := auth.CreateToken(context.Background(), env.DB.Client, "short-lived", auth.Viewer, ptr(time.Now().Add(1500*time.Millisecond)))
			if err != nil {
				t.Fatal(err)
			}
			env.Do(t, secret, readQuery, nil).OK(t)
			time.Sleep(1600 * time.Millisecond)
			want401(t, env.Do(t, secret, readQuery, nil), `API token "short-lived" expired at`)
		})
	})
}

func ptr[T any](v T) *T { return &v }

func TestAnonymousRead(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{Config: server.Config{AllowAnonymousRead: true}})
		seedFixture(t, env)
		got := data(t, env.Do(t, "", `{ viewer { name role authenticated } configurationItems(orderBy: [{field: NAME}]) { totalCount edges { node { name } } } }`, nil))
		goldenJSON(t, "anonymous_read", got)
		mustNotWrite(t, env, func() {
			wantErr(t, env.Do(t, "", createQuery, map[string]any{"n": "anon"}), "UNAUTHENTICATED", "",
				"this needs an API token with role EDITOR or higher")
		})
		t.Run("bad token is still refused", func(t *testing.T) {
			want401(t, env.Do(t, "cairn_wrong", readQuery, nil), "unknown or revoked API token")
		})
		t.Run("introspection needs a token", func(t *testing.T) {
			for _, q := range []string{`{ __schema { types { name } } }`, `{ __type(name: "ConfigurationItem") { name fields { name } } }`} {
				r := env.Do(t, "", q, nil)
				if strings.Contains(string(r.Data), "ConfigurationItem") {
					t.Errorf("anonymous introspection answered: %s", r.Data)
				}
				wantErr(t, r, "UNAUTHENTICATED", "", "introspection (__schema, __type) needs an API token")
			}
			// __typename is not introspection and stays available.
			if got := string(env.Do(t, "", `{ __typename }`, nil).OK(t).Data); got != `{"__typename":"Query"}` {
				t.Errorf("__typename: %s", got)
			}
		})
		t.Run("introspection with a token", func(t *testing.T) {
			checkIntrospection(t, env, env.Viewer)
		})
		t.Run("API tokens are not readable anonymously", func(t *testing.T) {
			// apiTokens needs ADMIN; node and nodes must not be a way around it.
			wantErr(t, env.Do(t, "", `{ apiTokens { totalCount } }`, nil), "UNAUTHENTICATED", "", "")
			tokenID := firstTokenID(t, env)
			for _, q := range []string{
				`query($id: ID!) { node(id: $id) { __typename ... on APIToken { name role prefix } } }`,
				`query($id: ID!) { nodes(ids: [$id]) { __typename ... on APIToken { name role prefix } } }`,
			} {
				r := env.Do(t, "", q, map[string]any{"id": tokenID})
				if strings.Contains(string(r.Data), servertest.AdminName) || len(r.Errors) == 0 {
					t.Errorf("anonymous caller read an API token through node(s): %s", r)
				}
			}
		})
	})
}

func firstTokenID(t *testing.T, env *servertest.Env) int {
	t.Helper()
	id, err := env.DB.Client.APIToken.Query().FirstID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func checkIntrospection(t *testing.T, env *servertest.Env, token string) {
	t.Helper()
	var got struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	env.Do(t, token, `{ __schema { types { name } } }`, nil).OK(t).Decode(t, &got)
	names := map[string]bool{}
	for _, ty := range got.Schema.Types {
		names[ty.Name] = true
	}
	for _, want := range []string{"ConfigurationItem", "ConfigurationItemConnection", "Money", "AuditEvent", "FieldChange", "Node", "PageInfo", "Relationship", "CreatedAPIToken"} {
		if !names[want] {
			t.Errorf("introspection lacks type %s", want)
		}
	}
}

func TestRoles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		f := seedFixture(t, env)

		t.Run("viewer", func(t *testing.T) {
			data(t, env.Do(t, env.Viewer, readQuery, nil))
			got := data(t, env.Do(t, env.Viewer, `{ viewer { name role authenticated } }`, nil))
			if b, _ := json.Marshal(got); string(b) != `{"viewer":{"authenticated":true,"name":"test-viewer","role":"VIEWER"}}` {
				t.Errorf("viewer = %s", b)
			}
			checkIntrospection(t, env, env.Viewer)
			for name, q := range map[string]string{
				"create CI":     createQuery,
				"delete CI":     `mutation($ci: ID!) { deleteConfigurationItem(id: $ci) }`,
				"create token":  `mutation { createAPIToken(name: "v2", role: ADMIN) { token } }`,
				"add relation":  `mutation($ci: ID!, $other: ID!) { addRelationship(from: $other, to: $ci, type: USES) { id } }`,
				"update vendor": `mutation($v: ID!) { updateVendor(id: $v, input: {notes: "x"}) { id } }`,
			} {
				t.Run(name, func(t *testing.T) {
					mustNotWrite(t, env, func() {
						wantErr(t, env.Do(t, env.Viewer, q, map[string]any{"n": "v", "ci": f.ci, "other": f.other, "v": f.vendor}),
							"FORBIDDEN", "", `token "test-viewer" has role VIEWER; this needs EDITOR or higher`)
					})
				})
			}
			wantErr(t, env.Do(t, env.Viewer, `{ apiTokens { totalCount } }`, nil), "FORBIDDEN", "", "this needs ADMIN or higher")
			for _, q := range []string{
				`query($id: ID!) { node(id: $id) { ... on APIToken { name prefix } } }`,
				`query($id: ID!) { nodes(ids: [$id]) { ... on APIToken { name prefix } } }`,
			} {
				r := env.Do(t, env.Viewer, q, map[string]any{"id": firstTokenID(t, env)})
				if len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
					t.Errorf("a viewer read an API token through node(s) although apiTokens needs ADMIN: %s", r)
				}
			}
		})

		t.Run("editor", func(t *testing.T) {
			got := data(t, env.Do(t, env.Editor, createQuery, map[string]any{"n": "edited"}))
			if str(t, got, "createConfigurationItem.name") != "edited" {
				t.Errorf("create: %v", got)
			}
			mustNotWrite(t, env, func() {
				wantErr(t, env.Do(t, env.Editor, `mutation { createAPIToken(name: "e2", role: ADMIN) { token } }`, nil),
					"FORBIDDEN", "", `token "test-editor" has role EDITOR; this needs ADMIN or higher`)
				wantErr(t, env.Do(t, env.Editor, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": firstTokenID(t, env)}),
					"FORBIDDEN", "", "this needs ADMIN or higher")
			})
			wantErr(t, env.Do(t, env.Editor, `{ apiTokens { totalCount } }`, nil), "FORBIDDEN", "", `token "test-editor" has role EDITOR; this needs ADMIN or higher`)
		})

		t.Run("admin token lifecycle", func(t *testing.T) {
			before := rowCounts(t, env)
			r := env.DoRequest(t, servertest.Request{Token: env.Admin, Header: http.Header{"X-Request-ID": {"req-token-1"}},
				Query: `mutation { createAPIToken(name: "deploy-bot", role: EDITOR) { token apiToken { id name role prefix expiresAt lastUsedAt createdBy } } }`})
			got := data(t, r)
			secret := str(t, got, "createAPIToken.token")
			tokID := str(t, got, "createAPIToken.apiToken.id")
			if !strings.HasPrefix(secret, auth.TokenPrefix) || len(secret) != len(auth.TokenPrefix)+43 {
				t.Errorf("secret %q: want %s and 32 bytes of base64url", secret, auth.TokenPrefix)
			}
			if p := str(t, got, "createAPIToken.apiToken.prefix"); !strings.HasPrefix(secret, p) || len(p) >= len(secret) {
				t.Errorf("prefix %q is not a strict prefix of the secret", p)
			}
			goldenJSON(t, "create_api_token", got)
			after := rowCounts(t, env)
			if after["APIToken"] != before["APIToken"]+1 || after["AuditEvent"] != before["AuditEvent"]+1 {
				t.Errorf("createAPIToken wrote %s, want one token and one audit event", before.diff(after))
			}

			// The new secret works, as an editor named deploy-bot.
			who := data(t, env.Do(t, secret, `{ viewer { name role } }`, nil))
			if str(t, who, "viewer.name") != "deploy-bot" || str(t, who, "viewer.role") != "EDITOR" {
				t.Errorf("viewer with the new token: %v", who)
			}
			data(t, env.Do(t, secret, createQuery, map[string]any{"n": "by-bot"}))

			list := env.Do(t, env.Admin, `{ apiTokens(orderBy: [{field: NAME}]) { totalCount edges { node { name role createdBy } } } }`, nil)
			goldenJSON(t, "api_tokens", data(t, list))

			// The secret and its hash appear in no response and no audit event.
			hash := auth.Hash(secret)
			trail := env.Do(t, env.Admin, `{ auditEvents(first: 1000) { edges { node { actor action entityType entityID changes { field before after } requestID } } } }`, nil)
			for _, body := range [][]byte{list.Body, trail.Body} {
				if strings.Contains(string(body), secret) || strings.Contains(string(body), hash) {
					t.Errorf("a response contains the token secret or its hash: %s", body)
				}
			}
			ev := data(t, env.Do(t, env.Admin, `query($id: ID!) { auditEvents(where: {entityType: "APIToken", entityID: $id}) {
				edges { node { actor action requestID changes { field before after } } } } }`, map[string]any{"id": tokID}))
			goldenJSON(t, "api_token_audit", ev)
			if hashChange := findChange(t, ev, "token_hash"); hashChange == nil || hashChange["after"] != "[redacted]" {
				t.Errorf("token_hash in the audit event = %v, want [redacted]", hashChange)
			}
			rows, err := env.DB.Client.AuditEvent.Query().All(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range rows {
				b, _ := json.Marshal(e.Changes)
				if strings.Contains(string(b), hash) || strings.Contains(string(b), secret) {
					t.Errorf("stored audit event %d holds the secret or its hash: %s", e.ID, b)
				}
			}

			// Deleting the token revokes it at once.
			data(t, env.Do(t, env.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tokID}))
			want401(t, env.Do(t, secret, `{ viewer { name } }`, nil), "unknown or revoked API token")
			wantErr(t, env.Do(t, env.Admin, `mutation { createAPIToken(name: "test-viewer", role: VIEWER) { token } }`, nil),
				"CONFLICT", "name", `a token named "test-viewer" already exists`)
			wantErr(t, env.Do(t, env.Admin, `mutation { createAPIToken(name: "late", role: VIEWER, expiresAt: "2001-01-01T00:00:00Z") { token } }`, nil),
				"BAD_USER_INPUT", "expiresAt", "expiry 2001-01-01T00:00:00Z is in the past")
		})

		t.Run("audit actor is the token name", func(t *testing.T) {
			for token, name := range map[string]string{env.Editor: servertest.EditorName, env.Admin: servertest.AdminName} {
				id := str(t, data(t, env.Do(t, token, createQuery, map[string]any{"n": "by-" + name})), "createConfigurationItem.id")
				ev := data(t, env.Do(t, env.Viewer, `query($id: ID!) { auditEvents(where: {entityType: "ConfigurationItem", entityID: $id}) { edges { node { actor action } } } }`, map[string]any{"id": id}))
				if a := str(t, ev, "auditEvents.edges.0.node.actor"); a != name {
					t.Errorf("actor %q, want %q", a, name)
				}
			}
		})
	})
}

// findChange returns the change of field in the first audit event of a
// decoded auditEvents connection.
func findChange(t *testing.T, v map[string]any, field string) map[string]any {
	t.Helper()
	changes, _ := get(t, v, "auditEvents.edges.0.node.changes").([]any)
	for _, c := range changes {
		if m, _ := c.(map[string]any); m["field"] == field {
			return m
		}
	}
	return nil
}
