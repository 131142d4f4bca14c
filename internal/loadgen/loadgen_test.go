package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// TestRunSpreadsClientsOverURLs: with URLs, client c sends every request to
// URLs[c % len(URLs)], and each server gets the clients it should.
func TestRunSpreadsClientsOverURLs(t *testing.T) {
	const servers, clients = 3, 5
	var mu sync.Mutex
	seen := make([]map[int]int, servers) // server -> client -> requests
	urls := make([]string, servers)
	for s := range servers {
		seen[s] = map[int]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				Variables struct {
					C int `json:"c"`
				} `json:"variables"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				t.Errorf("server %d: decoding request: %v", s, err)
			}
			mu.Lock()
			seen[s][req.Variables.C]++
			mu.Unlock()
			_, _ = io.WriteString(w, `{"data":{}}`)
		}))
		defer srv.Close()
		urls[s] = srv.URL
	}
	res, err := Run(context.Background(), Options{
		URL: "http://127.0.0.1:1/never", URLs: urls, Clients: clients, Duration: 200 * time.Millisecond,
		Body: func(c, i int) []byte { return Body("{ x }", map[string]any{"c": c}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("%d errors (URL was used instead of URLs?): %s", res.Errors, res.FirstErr)
	}
	mu.Lock()
	defer mu.Unlock()
	for s := range servers {
		for c, n := range seen[s] {
			if c%servers != s {
				t.Errorf("server %d got %d requests from client %d, which belongs to server %d", s, n, c, c%servers)
			}
		}
		for c := s; c < clients; c += servers {
			if seen[s][c] == 0 {
				t.Errorf("server %d got no request from client %d", s, c)
			}
		}
	}
}

func TestRunNeedsAURL(t *testing.T) {
	_, err := Run(context.Background(), Options{Clients: 1, Duration: 10 * time.Millisecond,
		Body: func(int, int) []byte { return nil }})
	if err == nil || !strings.Contains(err.Error(), "no URL") {
		t.Fatalf("Run without URL or URLs = %v, want the no URL error", err)
	}
}
