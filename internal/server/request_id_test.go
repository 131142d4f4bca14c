package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestHostileRequestIDNeverReachesTheAudit: a client's X-Request-ID is
// stored nowhere; the audit trail records the server's own ID, and only a
// strict [A-Za-z0-9._-]{1,64} client ID is even echoed (control
// characters, 500 bytes and bidi overrides were stored as the audit
// request ID before).
func TestHostileRequestIDNeverReachesTheAudit(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{})
	hostile := []string{
		"\x1b[31mred\x1b[0m",
		strings.Repeat("a", 500),
		"\u202eevil\u202c",
		"id with spaces",
		`"><script>alert(1)</script>`,
		"tab\there",
		strings.Repeat("b", 65),
		"ünïcode",
	}
	for i, v := range hostile {
		t.Run(fmt.Sprintf("%q", shortName(v)), func(t *testing.T) {
			// Raw, so that the bytes reach the server as written.
			body := fmt.Sprintf(`{"query":"mutation { createOwner(input: {name: \"hostile-%d\", kind: TEAM}) { id } }"}`, i)
			conn, err := net.Dial("tcp", env.HTTP.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: cairn\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nX-Request-ID: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
				env.Editor, v, len(body), body)
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return // refused by net/http itself (400): nothing was written
			}
			id := resp.Header.Get("X-Request-ID")
			if !hex16Re.MatchString(id) {
				t.Errorf("X-Request-ID %q, want the server's own ID", id)
			}
			if c := resp.Header.Get("X-Client-Request-ID"); c != "" {
				t.Errorf("X-Client-Request-ID %q echoed", c)
			}
			evs := events(t, env, `{entityType: "Owner", actor: $sactor, requestID: $sreq}`, map[string]any{"sactor": servertest.EditorName, "sreq": id})
			if len(evs) != 1 || evs[0].Action != "CREATE" {
				t.Errorf("audit events under the server's ID %s: %+v, want the owner's creation", id, evs)
			}
		})
	}
	var trail struct {
		AuditEvents struct{ Edges []struct{ Node auditEvent } }
	}
	env.Do(t, env.Admin, `{ auditEvents(first: 1000) { edges { node { requestID actor } } } }`, nil).OK(t).Decode(t, &trail)
	for _, e := range trail.AuditEvents.Edges {
		if e.Node.RequestID != "" && !hex16Re.MatchString(e.Node.RequestID) {
			t.Errorf("audit request ID %q by %s is not a server ID", e.Node.RequestID, e.Node.Actor)
		}
	}
	// A well-formed client ID is echoed, and logged, but not stored.
	r := env.DoRequest(t, servertest.Request{Token: env.Editor, Header: http.Header{"X-Request-ID": {"proxy-7f3a.42_x"}},
		Query: `mutation { createOwner(input: {name: "traced", kind: TEAM}) { id } }`}).OK(t)
	if r.Header.Get("X-Client-Request-ID") != "proxy-7f3a.42_x" || !hex16Re.MatchString(serverID(r)) {
		t.Errorf("headers %v", r.Header)
	}
	if evs := events(t, env, `{requestID: $sreq}`, map[string]any{"sreq": "proxy-7f3a.42_x"}); len(evs) != 0 {
		t.Errorf("the client's ID reached the audit trail: %+v", evs)
	}
}

// shortName keeps a subtest name short.
func shortName(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}
