package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsRequestsAndErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("Authorization = %q, want Bearer tok", r.Header.Get("Authorization"))
		}
		if n.Add(1)%2 == 0 || strings.Contains(string(b), `"fail"`) {
			_, _ = io.WriteString(w, `{"errors":[{"message":"boom"}]}`)
			return
		}
		_, _ = io.WriteString(w, `{"data":{}}`)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{
		URL: srv.URL, Token: "tok", Clients: 2, Duration: 200 * time.Millisecond,
		Body: func(c, i int) []byte { return Body("{ x }", map[string]any{"c": c, "i": i}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 10 {
		t.Fatalf("Requests = %d, want at least 10", res.Requests)
	}
	if res.Errors == 0 || res.Errors == res.Requests {
		t.Fatalf("Errors = %d of %d, want about half", res.Errors, res.Requests)
	}
	if !strings.Contains(res.FirstErr, "boom") {
		t.Fatalf("FirstErr = %q, want the GraphQL error", res.FirstErr)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("percentiles out of order: %v", res)
	}
}

func TestGraphQLNoErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"data":{"a":1}}`, true},
		{`{"data":{"run":{"errors":[]}}}`, true}, // a field named errors, no GraphQL error
		{`{"errors":[{"message":"boom"}],"data":null}`, false},
		{`{"data":{"a":1}`, false}, // cut short
		{`<html>bad gateway</html>`, false},
		{`[]`, false},
		{`null`, false},
	} {
		if err := GraphQLNoErrors([]byte(tc.body)); (err == nil) != tc.ok {
			t.Errorf("GraphQLNoErrors(%s) = %v, want ok %v", tc.body, err, tc.ok)
		}
	}
}
