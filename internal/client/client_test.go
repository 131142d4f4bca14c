package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const runAnswer = `{"data":{"submitObservations":{"id":"42","status":"PARTIAL","dryRun":false,"error":null,
"hostErrors":[{"host":"db01","error":"timeout"}],"counts":{"observed":2,"filled":1}}}}`

func TestSubmitObservations(t *testing.T) {
	var gotAuth, gotAgent, gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotAgent, gotType = r.Header.Get("Authorization"), r.Header.Get("User-Agent"), r.Header.Get("Content-Type")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(runAnswer))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := SubmitObservations(ctx, New(srv.URL+"/graphql", "tok", nil), "agents",
		[]ObservationInput{{Key: "k", Kind: ConfigurationItemKindServer, Name: "web01"}}, false)
	if err != nil {
		t.Fatalf("SubmitObservations: %v", err)
	}
	run := resp.SubmitObservations
	if run == nil || run.Id != "42" || run.Status != DiscoveryRunStatusPartial || run.Counts.Observed != 2 || run.Counts.Filled != 1 ||
		len(run.HostErrors) != 1 || run.HostErrors[0].Host != "db01" || run.Error != nil {
		t.Errorf("run = %+v", run)
	}
	if gotAuth != "Bearer tok" || gotAgent != userAgent || gotType != "application/json" {
		t.Errorf("headers Authorization=%q User-Agent=%q Content-Type=%q", gotAuth, gotAgent, gotType)
	}
}

func TestErrors(t *testing.T) {
	huge := `{"data":{"submitObservations":{"id":"` + strings.Repeat("x", MaxResponseBytes) + `"}}}`
	tests := []struct {
		name      string
		status    int
		body      string
		want      string   // the error's text contains this
		wantCodes []string // nil: the error is not an *Error
	}{
		{"graphql error with code and field", http.StatusOK,
			`{"errors":[{"message":"hostname: invalid host name","extensions":{"code":"BAD_USER_INPUT","field":"hostname"}}],"data":null}`,
			"server: hostname: invalid host name (BAD_USER_INPUT) [field hostname]", []string{"BAD_USER_INPUT"}},
		{"two errors", http.StatusOK,
			`{"errors":[{"message":"a","extensions":{"code":"NOT_FOUND"}},{"message":"b"}],"data":null}`,
			"server: a (NOT_FOUND); b", []string{"NOT_FOUND", ""}},
		{"http status with graphql errors", http.StatusUnauthorized,
			`{"errors":[{"message":"the API token is not valid","extensions":{"code":"UNAUTHENTICATED"}}]}`,
			"server answered 401 Unauthorized: the API token is not valid (UNAUTHENTICATED)", []string{"UNAUTHENTICATED"}},
		{"http status with html", http.StatusBadGateway, `<html>bad gateway</html>`,
			"server answered 502 Bad Gateway: <html>bad gateway</html>", []string{""}},
		{"not json", http.StatusOK, `<html>hello</html>`, "is not GraphQL JSON", nil},
		{"too large", http.StatusOK, huge, "larger than 16777216 bytes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := SubmitObservations(context.Background(), New(srv.URL, "tok", nil), "agents", nil, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			var cerr *Error
			if got := errors.As(err, &cerr); got != (tt.wantCodes != nil) {
				t.Fatalf("errors.As(%v, *Error) = %v, want %v", err, got, tt.wantCodes != nil)
			}
			if cerr != nil && !reflect.DeepEqual(cerr.Codes(), tt.wantCodes) {
				t.Errorf("Codes() = %q, want %q", cerr.Codes(), tt.wantCodes)
			}
			if cerr != nil && cerr.Status != tt.status {
				t.Errorf("Status = %d, want %d", cerr.Status, tt.status)
			}
		})
	}
}
