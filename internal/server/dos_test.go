package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// anonymousEnv is a server with anonymous read on, as `make run` serves.
func anonymousEnv(t *testing.T, cfg server.Config) *servertest.Env {
	t.Helper()
	cfg.AllowAnonymousRead = true
	return servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{Config: cfg})
}

// timed sends query anonymously and fails when the answer took longer than
// limit (generous: the machine is shared) or its body is larger than
// maxBody bytes.
func timed(t *testing.T, env *servertest.Env, query string, limit time.Duration, maxBody int) servertest.Response {
	t.Helper()
	start := time.Now()
	r := env.Do(t, "", query, nil)
	if d := time.Since(start); d > limit {
		t.Errorf("%d-byte query answered in %s, want under %s", len(query), d, limit)
	}
	if len(r.Body) > maxBody {
		t.Errorf("answer of %d bytes, want at most %d: %.300s", len(r.Body), maxBody, r.Body)
	}
	return r
}

// TestValidationCost: documents whose validation time grows with the square
// of their fields are refused before gqlparser validates them (14,000
// copies of one field ran 32 s; 1,000 differently-argued aliases ran 23 s
// and answered 117 MB of errors), and no response lists more than 20
// errors.
func TestValidationCost(t *testing.T) {
	env := anonymousEnv(t, server.Config{})
	t.Run("14,000 copies of one field", func(t *testing.T) {
		r := timed(t, env, "{"+strings.Repeat(" __typename", 14_000)+" }", 2*time.Second, 2048)
		e := wantErr(t, r, "BAD_USER_INPUT", "", "the query selects more than 500 fields and fragments: ask for fewer fields, or split it into several requests")
		if e.Extensions["limit"] != float64(500) {
			t.Errorf("extensions %v, want limit 500", e.Extensions)
		}
	})
	t.Run("1,000 differently-argued aliases", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 1000 {
			fmt.Fprintf(&q, " c%d: configurationItems(first: %d) { totalCount }", i, i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "the query uses more than 200 aliases")
	})
	t.Run("one field name with different arguments", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 1000 {
			fmt.Fprintf(&q, " configurationItems(first: %d) { totalCount }", i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "the query selects more than 500 fields")
	})
	t.Run("1,000 fragments that only spread another", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 1000 {
			fmt.Fprintf(&q, " ...F%d", i)
		}
		q.WriteString(" }")
		for i := range 1000 {
			fmt.Fprintf(&q, " fragment F%d on Query { ...Z }", i)
		}
		q.WriteString(" fragment Z on Query { __typename }")
		r := timed(t, env, q.String(), 2*time.Second, 2048)
		wantErr(t, r, "BAD_USER_INPUT", "", "the query selects more than 500 fields and fragments")
	})
	t.Run("many conflicts under the field limit", func(t *testing.T) {
		// 100 fields of one response name with different arguments: 4,950
		// conflicting pairs; the answer lists 20 and says there are more.
		var q strings.Builder
		q.WriteString("{")
		for i := range 100 {
			fmt.Fprintf(&q, " configurationItems(first: %d) { totalCount }", i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 16<<10)
		if len(r.Errors) != 21 {
			t.Fatalf("%d errors, want 20 and a last one saying there are more: %.500s", len(r.Errors), r.Body)
		}
		if e := r.Errors[0]; e.Code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(e.Message, "configurationItems") {
			t.Errorf("first error %+v, want the field conflict", e)
		}
		if last := r.Errors[20]; last.Code() != "GRAPHQL_VALIDATION_FAILED" || last.Message != "more errors were found and are not shown: a response lists at most 20" {
			t.Errorf("last error %+v", last)
		}
	})
	t.Run("unknown fields", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 300 {
			fmt.Fprintf(&q, " nope%d", i)
		}
		q.WriteString(" }")
		r := timed(t, env, q.String(), 2*time.Second, 16<<10)
		if len(r.Errors) != 21 || !strings.Contains(r.Errors[0].Message, `Cannot query field "nope0"`) {
			t.Errorf("%d errors, want 20 and a note: %.500s", len(r.Errors), r.Body)
		}
	})
	t.Run("error messages are clipped", func(t *testing.T) {
		name := "x" + strings.Repeat("y", 5000)
		r := timed(t, env, "{ "+name+" }", 2*time.Second, 4096)
		if len(r.Errors) != 1 || len(r.Errors[0].Message) > 1100 || !strings.HasSuffix(r.Errors[0].Message, "…") {
			t.Errorf("want one clipped message, got %.300s", r.Body)
		}
	})
	t.Run("limits are settable and a cached document passes again", func(t *testing.T) {
		small := anonymousEnv(t, server.Config{MaxSelections: 4, MaxAliases: 1})
		small.Do(t, "", `{ a: viewer { name } viewer { role } }`, nil).OK(t)
		small.Do(t, "", `{ a: viewer { name } viewer { role } }`, nil).OK(t)
		wantErr(t, small.Do(t, "", `{ viewer { name role authenticated } a: viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 4 fields and fragments")
		wantErr(t, small.Do(t, "", `{ a: viewer { name } b: viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 1 aliases")
		// Fields in fragments count once each, where they are written, and
		// so do spreads and inline fragments.
		wantErr(t, small.Do(t, "", `{ ...V } fragment V on Query { viewer { name role } x: viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 4 fields and fragments")
		wantErr(t, small.Do(t, "", `{ ...V ...V ...V ... on Query { ...V } } fragment V on Query { viewer { name } }`, nil), "BAD_USER_INPUT", "", "more than 4 fields and fragments")
	})
}
