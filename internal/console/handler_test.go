package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestHandler: pages get index.html (never cached), hashed assets are
// cached for a year and gzip-compressed for clients that accept it, every
// answer carries the CSP, and other methods or missing assets are refused.
func TestHandler(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	index := get("/", "").Body.String()
	m := regexp.MustCompile(`src="/assets/([^"]+\.js)"`).FindStringSubmatch(index)
	if m == nil {
		t.Fatalf("index.html names no entry script: %s", index)
	}
	entry := m[1]
	for _, c := range []struct {
		path, accept, wantType, wantCache, wantEncoding string
		wantStatus                                      int
	}{
		{"/", "", "text/html; charset=utf-8", "no-cache", "", 200},
		{"/ci/17179869194", "gzip", "text/html; charset=utf-8", "no-cache", "gzip", 200},
		{"/drifts?kind=MISSING", "", "text/html; charset=utf-8", "no-cache", "", 200},
		{"/assets/" + entry, "gzip, deflate, br", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "gzip", 200},
		{"/assets/" + entry, "br", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "", 200},
		{"/assets/" + entry, "gzip;q=0", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "", 200},
		{"/assets/" + entry, "gzip;q=0.5", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "gzip", 200},
		{"/assets/nope.js", "", "text/plain; charset=utf-8", "public, max-age=31536000, immutable", "", 404},
	} {
		w := get(c.path, c.accept)
		if w.Code != c.wantStatus {
			t.Errorf("GET %s: %d, want %d", c.path, w.Code, c.wantStatus)
			continue
		}
		if w.Code != 200 {
			continue
		}
		if got := w.Header().Get("Content-Type"); got != c.wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.wantType)
		}
		if got := w.Header().Get("Cache-Control"); got != c.wantCache {
			t.Errorf("GET %s: Cache-Control %q, want %q", c.path, got, c.wantCache)
		}
		if got := w.Header().Get("Content-Encoding"); got != c.wantEncoding {
			t.Errorf("GET %s (Accept-Encoding %q): Content-Encoding %q, want %q", c.path, c.accept, got, c.wantEncoding)
		}
		if got := w.Header().Get("Content-Security-Policy"); got != SecurityPolicy || !strings.Contains(got, "connect-src 'self'") {
			t.Errorf("GET %s: CSP %q", c.path, got)
		}
		body := w.Body.Bytes()
		if c.wantEncoding == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("GET %s: %v", c.path, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if strings.HasPrefix(c.path, "/assets/") {
			if !bytes.Equal(body, h.assets[entry].body) {
				t.Errorf("GET %s: body differs from the embedded asset", c.path)
			}
		} else if string(body) != index {
			t.Errorf("GET %s is not index.html", c.path)
		}
	}
	// A conditional GET of an unchanged asset answers 304.
	r := httptest.NewRequest(http.MethodGet, "/assets/"+entry, nil)
	r.Header.Set("If-None-Match", h.assets[entry].etag)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", w.Code)
	}
	// The console has no endpoint of its own.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/ci/1", strings.NewReader("{}")))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	// Nothing in the build loads from another origin.
	for name, a := range h.assets {
		if m := regexp.MustCompile(`(?:src|href)=["']?(?:https?:)?//`).Find(a.body); m != nil {
			t.Errorf("asset %s references another origin: %s", name, m)
		}
	}
}
