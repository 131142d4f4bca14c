package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSlotReleasedOnAbort: a /graphql response that passes the size limit
// after part of it was written aborts the handler (panic
// http.ErrAbortHandler); its execution slot is still given back, so aborted
// requests cannot use the slots up (the slot was released after the
// handler without defer).
func TestSlotReleasedOnAbort(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{AllowAnonymousRead: true, MaxInFlight: 1, MaxResponseBytes: 64}
	cfg.defaults()
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: m,
		inflight: newSlots(cfg.MaxInFlight, 0), bodyReads: newSlots(cfg.MaxBodyReads, 1)}
	var calls atomic.Int32
	s.mux.Handle("/graphql", s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, `{"data":`)
		_, _ = io.WriteString(w, strings.Repeat(" ", 100)) // past the limit: aborts
	})))
	srv := httptest.NewServer(s)
	defer srv.Close()
	for i := range 3 {
		resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				t.Fatalf("request %d: 503 %s: the aborted request kept its slot", i, b)
			}
		}
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("handler ran %d times, want 3", got)
	}
	s.inflight.mu.Lock()
	defer s.inflight.mu.Unlock()
	if s.inflight.used != 0 {
		t.Errorf("%d slots held after the aborted requests ended", s.inflight.used)
	}
}
