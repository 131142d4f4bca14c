package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// received is one request as a test server saw it.
type received struct {
	header http.Header
	body   string
}

// recorder is a test receiver on 127.0.0.1 that answers with the given
// handlers in turn, repeating the last one.
type recorder struct {
	mu       sync.Mutex
	requests []received
	replies  []http.HandlerFunc
	srv      *httptest.Server
}

func newRecorder(t *testing.T, replies ...http.HandlerFunc) *recorder {
	t.Helper()
	rec := &recorder{replies: replies}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		n := len(rec.requests)
		rec.requests = append(rec.requests, received{header: r.Header.Clone(), body: string(body)})
		reply := rec.replies[min(n, len(rec.replies)-1)]
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body)) // for the reply to read again
		reply(w, r)
	}))
	if host, _, _ := net.SplitHostPort(rec.srv.Listener.Addr().String()); host != "127.0.0.1" {
		t.Fatalf("test server listens on %s, want loopback 127.0.0.1", host)
	}
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func withHeader(k, v string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(k, v)
		next(w, r)
	}
}

// testHook is a Webhook with test-sized waits and a seeded jitter source.
func testHook(t *testing.T, url string) Webhook {
	return Webhook{
		URL:         url,
		Secret:      []byte("s3cret"),
		Timeout:     2 * time.Second,
		MaxAttempts: 4,
		Backoff:     time.Millisecond,
		Rand:        rand.New(rand.NewPCG(1, 2)),
		Logger:      slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		// The test servers listen on loopback, which webhooks may not
		// reach unless the operator allows it.
		Egress: Egress{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	}
}

func TestWebhookRetriesThenSucceeds(t *testing.T) {
	secret := []byte("s3cret")
	var bad []string
	var mu sync.Mutex
	verify := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if !Verify(secret, body, r.Header.Get(HeaderSignature)) {
				mu.Lock()
				bad = append(bad, r.Header.Get(HeaderSignature))
				mu.Unlock()
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next(w, r)
		}
	}
	rec := newRecorder(t,
		verify(status(500, "down")),
		verify(status(500, "still down")),
		verify(status(202, "ok")),
	)

	payload := []byte(`{"report":"inventory","rows":3}`)
	res, err := testHook(t, rec.srv.URL+"/hook").Post(t.Context(), payload, map[string]string{"X-Report": "inventory"})
	if err != nil {
		t.Fatalf("Post: %v (%+v)", err, res)
	}
	if res.Attempts != 3 || res.Status != 202 || res.Err != "" {
		t.Errorf("result = %+v, want 3 attempts, status 202, no error", res)
	}
	if len(bad) > 0 {
		t.Errorf("signatures failed to verify: %q", bad)
	}
	reqs := rec.got()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.body != string(payload) {
			t.Errorf("request %d body = %q, want %q", i, r.body, payload)
		}
		if got := r.header.Get(HeaderDelivery); got != res.Delivery || got == "" {
			t.Errorf("request %d %s = %q, want %q", i, HeaderDelivery, got, res.Delivery)
		}
		for k, want := range map[string]string{
			"Content-Type":  "application/json",
			"User-Agent":    "cairn-report/1",
			HeaderSignature: Sign(secret, payload),
			"X-Report":      "inventory",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("request %d %s = %q, want %q", i, k, got, want)
			}
		}
	}
}

func TestWebhookStatuses(t *testing.T) {
	long := strings.Repeat("e", 300)
	tests := []struct {
		name         string
		replies      []http.HandlerFunc
		wantAttempts int
		wantStatus   int
		wantErr      []string // substrings; none means success
	}{
		{"200", []http.HandlerFunc{status(200, "")}, 1, 200, nil},
		{"204", []http.HandlerFunc{status(204, "")}, 1, 204, nil},
		{"400 not retried", []http.HandlerFunc{status(400, "bad payload")}, 1, 400,
			[]string{"status 400 Bad Request", "not retried"}},
		{"401 not retried", []http.HandlerFunc{status(401, "")}, 1, 401, []string{"401", "not retried"}},
		{"404 not retried", []http.HandlerFunc{status(404, "")}, 1, 404, []string{"404", "not retried"}},
		{"422 not retried", []http.HandlerFunc{status(422, "")}, 1, 422, []string{"422", "not retried"}},
		{"408 retried", []http.HandlerFunc{status(408, ""), status(200, "")}, 2, 200, nil},
		{"425 retried", []http.HandlerFunc{status(425, ""), status(200, "")}, 2, 200, nil},
		{"429 retried", []http.HandlerFunc{status(429, ""), status(200, "")}, 2, 200, nil},
		{"502 retried", []http.HandlerFunc{status(502, ""), status(503, ""), status(504, ""), status(200, "")}, 4, 200, nil},
		{"500 until max attempts", []http.HandlerFunc{status(500, long)}, 4, 500,
			[]string{"giving up after 4 attempts", "status 500 Internal Server Error"}},
		{"last failure reported", []http.HandlerFunc{status(500, "a"), status(429, "b"), status(503, "c"), status(502, "last")}, 4, 502,
			[]string{"status 502 Bad Gateway"}},
		{"retry then permanent", []http.HandlerFunc{status(503, ""), status(403, "no")}, 2, 403,
			[]string{"attempt 2, not retried", "403"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.replies...)
			res, err := testHook(t, rec.srv.URL).Post(t.Context(), []byte(`{}`), nil)
			if res.Attempts != tt.wantAttempts || res.Status != tt.wantStatus {
				t.Errorf("result = %+v, want %d attempts, status %d", res, tt.wantAttempts, tt.wantStatus)
			}
			if n := len(rec.got()); n != tt.wantAttempts {
				t.Errorf("server saw %d requests, want %d", n, tt.wantAttempts)
			}
			if tt.wantErr == nil {
				if err != nil || res.Err != "" {
					t.Fatalf("err = %v, res.Err = %q", err, res.Err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			for _, body := range []string{"eeeeeeee", "bad payload", "last"} {
				if strings.Contains(err.Error(), body) {
					t.Errorf("error %q carries the reply's body", err)
				}
			}
			if res.Err == "" || !strings.Contains(err.Error(), res.Err) {
				t.Errorf("res.Err = %q, not the last failure of %q", res.Err, err)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.wantStatus {
				t.Errorf("error %v is not a *StatusError with code %d", err, tt.wantStatus)
			}
		})
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	rec := newRecorder(t,
		withHeader("Retry-After", "1", status(http.StatusTooManyRequests, "slow down")),
		status(200, ""))
	start := time.Now()
	res, err := testHook(t, rec.srv.URL).Post(t.Context(), []byte(`{}`), nil)
	elapsed := time.Since(start)
	if err != nil || res.Attempts != 2 {
		t.Fatalf("Post = %+v, %v; want success on attempt 2", res, err)
	}
	if elapsed < 950*time.Millisecond {
		t.Errorf("retried after %v, want Retry-After's 1s", elapsed)
	}
	if elapsed > 5*time.Second {
		t.Errorf("retried after %v, far beyond Retry-After's 1s", elapsed)
	}
}

func TestWebhookAttemptTimeout(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	t.Run("retried", func(t *testing.T) {
		rec := newRecorder(t, hang, status(200, ""))
		h := testHook(t, rec.srv.URL)
		h.Timeout = 100 * time.Millisecond
		res, err := h.Post(t.Context(), []byte(`{}`), nil)
		if err != nil || res.Attempts != 2 || res.Status != 200 {
			t.Fatalf("Post = %+v, %v; want success on attempt 2", res, err)
		}
	})
	t.Run("every attempt", func(t *testing.T) {
		rec := newRecorder(t, hang)
		h := testHook(t, rec.srv.URL)
		h.Timeout = 100 * time.Millisecond
		h.MaxAttempts = 2
		start := time.Now()
		res, err := h.Post(t.Context(), []byte(`{}`), nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a deadline error", err)
		}
		if !strings.Contains(err.Error(), "no response within 100ms") {
			t.Errorf("error %q does not say the attempt timed out", err)
		}
		if res.Attempts != 2 || res.Status != 0 {
			t.Errorf("result = %+v, want 2 attempts, no status", res)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("took %v, want about 2×100ms", elapsed)
		}
	})
}

// closedPort returns a loopback address that refuses connections.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestWebhookUnreachable(t *testing.T) {
	addr := closedPort(t)
	h := testHook(t, "http://"+addr+"/hooks/T0KEN-IN-PATH?token=QUERYSECRET")
	h.MaxAttempts = 3
	res, err := h.Post(t.Context(), []byte(`{}`), nil)
	if err == nil {
		t.Fatal("no error")
	}
	if res.Attempts != 3 || res.Status != 0 {
		t.Errorf("result = %+v, want 3 attempts, no status", res)
	}
	msg := err.Error()
	for _, want := range []string{"post webhook http://" + addr, "giving up after 3 attempts", "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v does not wrap ECONNREFUSED", err)
	}
	for _, secret := range []string{"T0KEN-IN-PATH", "QUERYSECRET"} {
		if strings.Contains(msg, secret) || strings.Contains(res.Err, secret) {
			t.Errorf("error %q leaks the URL's %s", msg, secret)
		}
	}
}

func TestWebhookCancelWhileWaiting(t *testing.T) {
	arrived := make(chan struct{}, 10)
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		w.WriteHeader(500)
	})
	h := testHook(t, rec.srv.URL)
	h.Backoff = 20 * time.Second
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-arrived
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	res, err := h.Post(ctx, []byte(`{}`), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("returned after %v; cancellation did not stop the wait", elapsed)
	}
	if res.Attempts != 1 || res.Status != 500 {
		t.Errorf("result = %+v, want 1 attempt, status 500", res)
	}
	if !strings.Contains(err.Error(), "status 500") {
		t.Errorf("error %q does not report the last failure", err)
	}
}

func TestWebhookCancelledBeforehand(t *testing.T) {
	rec := newRecorder(t, status(200, ""))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := testHook(t, rec.srv.URL).Post(ctx, []byte(`{}`), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res.Attempts != 1 || len(rec.got()) != 0 {
		t.Errorf("result = %+v, server saw %d requests; want one failed attempt, none received", res, len(rec.got()))
	}
}

func TestWebhookRedirectNotFollowed(t *testing.T) {
	for _, code := range []int{301, 302, 307, 308} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			target := newRecorder(t, status(200, ""))
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.srv.URL+"/elsewhere", code)
			})
			h := testHook(t, rec.srv.URL)
			res, err := h.Post(t.Context(), []byte(`{}`), nil)
			if err == nil {
				t.Fatal("redirect counted as success")
			}
			if res.Attempts != 1 || res.Status != code {
				t.Errorf("result = %+v, want 1 attempt, status %d", res, code)
			}
			if n := len(target.got()); n != 0 {
				t.Errorf("redirect target saw %d requests", n)
			}
			if !strings.Contains(err.Error(), "redirect not followed") || strings.Contains(err.Error(), "/elsewhere") {
				t.Errorf("error %q does not explain the redirect, or repeats its Location", err)
			}
		})
	}
}

func TestWebhookHeaders(t *testing.T) {
	rec := newRecorder(t, status(200, ""))
	h := testHook(t, rec.srv.URL)
	h.Secret = nil
	res, err := h.Post(t.Context(), []byte(`{"a":1}`), map[string]string{
		"x-tenant":      "acme",
		"Authorization": "Bearer tok",
		"Content-Type":  "text/plain", // reserved: ours wins
		HeaderDelivery:  "forged",     // reserved: ours wins
	})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.got()[0].header
	for k, want := range map[string]string{
		"X-Tenant":      "acme",
		"Authorization": "Bearer tok",
		"Content-Type":  "application/json",
		"User-Agent":    UserAgent,
		HeaderDelivery:  res.Delivery,
	} {
		if got.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want)
		}
	}
	if v, ok := got[HeaderSignature]; ok {
		t.Errorf("signature %q sent without a secret", v)
	}
	if len(res.Delivery) != 36 || res.Delivery[14] != '4' {
		t.Errorf("delivery id %q is not a v4 UUID", res.Delivery)
	}
}

func TestWebhookRejectsBadInput(t *testing.T) {
	rec := newRecorder(t, status(200, ""))
	tests := []struct {
		name    string
		url     string
		headers map[string]string
		want    string
	}{
		{"empty url", "", nil, "url is empty"},
		{"ftp", "ftp://127.0.0.1/x", nil, `scheme "ftp" not supported`},
		{"file", "file:///etc/passwd", nil, `scheme "file" not supported`},
		{"no scheme", "127.0.0.1:8080/hook", nil, "invalid url"},
		{"no host", "http:///hook", nil, "no host"},
		{"opaque", "mailto:ops@example.com", nil, `scheme "mailto" not supported`},
		{"bad header name", rec.srv.URL, map[string]string{"X Bad": "v"}, `invalid header name "X Bad"`},
		{"header injection", rec.srv.URL, map[string]string{"X-Ok": "v\r\nX-Evil: 1"}, "invalid value for header X-Ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := testHook(t, tt.url).Post(t.Context(), []byte(`{}`), tt.headers)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if res.Attempts != 0 {
				t.Errorf("attempts = %d, want 0", res.Attempts)
			}
		})
	}
	if n := len(rec.got()); n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

func TestBackoffDelay(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tests := []struct {
		base    time.Duration
		attempt int
		nominal time.Duration
	}{
		{time.Second, 1, time.Second},
		{time.Second, 2, 2 * time.Second},
		{time.Second, 3, 4 * time.Second},
		{time.Second, 5, 16 * time.Second},
		{time.Second, 6, 30 * time.Second},
		{time.Second, 60, 30 * time.Second},
		{time.Minute, 1, 30 * time.Second},
		{time.Millisecond, 4, 8 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v×%d", tt.base, tt.attempt), func(t *testing.T) {
			lo := time.Duration(float64(tt.nominal) * 0.8)
			hi := min(time.Duration(float64(tt.nominal)*1.2), 30*time.Second)
			var distinct = map[time.Duration]bool{}
			for range 200 {
				d := backoffDelay(tt.base, tt.attempt, rng)
				if d < lo || d > hi {
					t.Fatalf("delay %v outside [%v, %v]", d, lo, hi)
				}
				distinct[d] = true
			}
			if len(distinct) < 10 {
				t.Errorf("only %d distinct delays: no jitter", len(distinct))
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"0", 0, true},
		{"60", time.Minute, true},
		{"61", time.Minute, true},
		{"99999999999999999", time.Minute, true},
		{"Mon, 01 Jan 2024 12:00:10 GMT", 10 * time.Second, true},
		{"Mon, 01 Jan 2024 13:00:00 GMT", time.Minute, true},
		{"Mon, 01 Jan 2024 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
