package graphiql

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

func do(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	scriptSrcRE = regexp.MustCompile(`<script[^>]*\ssrc="([^"]*)"`)
	linkHrefRE  = regexp.MustCompile(`<link[^>]*\shref="([^"]*)"`)
)

func pageRefs(t *testing.T, body string) (scripts, links []string) {
	t.Helper()
	for _, m := range scriptSrcRE.FindAllStringSubmatch(body, -1) {
		scripts = append(scripts, m[1])
	}
	for _, m := range linkHrefRE.FindAllStringSubmatch(body, -1) {
		links = append(links, m[1])
	}
	return scripts, links
}

func TestPage(t *testing.T) {
	h := Handler("/graphql")
	rec := get(t, h, "/graphiql")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "default-src 'none'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q missing %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("CSP too permissive: %q", csp)
	}

	body := rec.Body.String()
	for _, want := range []string{
		"<title>Cairn GraphQL</title>",
		`data-endpoint="/graphql"`,
		"configurationItems",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page missing %q", want)
		}
	}
	// No inline script: every <script> must have a src (CSP is script-src 'self').
	if n, m := strings.Count(body, "<script"), len(scriptSrcRE.FindAllString(body, -1)); n != m {
		t.Errorf("page has %d <script> tags but only %d with src (inline script would violate CSP)", n, m)
	}
	scripts, links := pageRefs(t, body)
	if len(scripts) != 4 || len(links) != 2 {
		t.Fatalf("scripts=%v links=%v; want 4 scripts and 2 stylesheets", scripts, links)
	}
	for _, ref := range append(scripts, links...) {
		if strings.Contains(ref, "//") || strings.HasPrefix(ref, "http") {
			t.Errorf("page references external URL %q", ref)
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("page contains an absolute http(s) URL:\n%s", body)
	}
}

func TestPageEscapesEndpoint(t *testing.T) {
	h := Handler(`/graphql"><script>alert(1)</script>`)
	body := get(t, h, "/graphiql").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("endpoint not escaped:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("escaped endpoint not found in page:\n%s", body)
	}
}

func TestAbsoluteEndpointAllowedByCSP(t *testing.T) {
	rec := get(t, Handler("https://api.example.com/graphql"), "/graphiql")
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://api.example.com") {
		t.Errorf("CSP = %q, want connect-src to include the endpoint origin", csp)
	}
}

func TestPageAssetsServed(t *testing.T) {
	h := Handler("/graphql")
	body := get(t, h, "/graphiql").Body.String()
	scripts, links := pageRefs(t, body)
	base, _ := url.Parse("http://cairn.test/")

	check := func(ref, wantCT string, minSize int) {
		t.Helper()
		u, err := base.Parse(strings.ReplaceAll(ref, "&amp;", "&"))
		if err != nil {
			t.Fatalf("bad ref %q: %v", ref, err)
		}
		if !strings.HasPrefix(u.Path, "/graphiql/assets/") {
			t.Errorf("asset %q resolves to %q, want under /graphiql/assets/", ref, u.Path)
		}
		rec := get(t, h, u.RequestURI())
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", u.RequestURI(), rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, wantCT) {
			t.Errorf("GET %s Content-Type = %q, want %s", u.RequestURI(), ct, wantCT)
		}
		if n := rec.Body.Len(); n < minSize {
			t.Errorf("GET %s: %d bytes, want >= %d", u.RequestURI(), n, minSize)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s Cache-Control = %q", u.RequestURI(), cc)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s X-Content-Type-Options = %q", u.RequestURI(), got)
		}
		if u.Query().Get("v") == "" {
			t.Errorf("asset %q has no cache-busting version", ref)
		}

		// Conditional request with the ETag gets 304.
		if etag := rec.Header().Get("ETag"); etag != "" {
			req := httptest.NewRequest(http.MethodGet, u.RequestURI(), nil)
			req.Header.Set("If-None-Match", etag)
			if rec2 := do(t, h, req); rec2.Code != http.StatusNotModified {
				t.Errorf("conditional GET %s = %d, want 304", u.RequestURI(), rec2.Code)
			}
		} else {
			t.Errorf("GET %s: no ETag", u.RequestURI())
		}
	}
	for _, s := range scripts {
		minSize := 5000
		if strings.Contains(s, "init.js") {
			minSize = 200
		}
		check(s, "text/javascript", minSize)
	}
	for _, l := range links {
		minSize := 5000
		if strings.Contains(l, "cairn.css") {
			minSize = 20
		}
		check(l, "text/css", minSize)
	}
}

func TestNotFound(t *testing.T) {
	h := Handler("/graphql")
	for _, p := range []string{
		"/",
		"/index.html",
		"/graphql",
		"/graphiql/index.html",
		"/graphiql/assets",
		"/graphiql/assets/", // no directory listing
		"/graphiql/assets/nope.js",
		"/graphiql/assets/../graphiql.go",
		"/graphiql/assets/%2e%2e/graphiql.go",
		"/favicon.ico",
	} {
		if rec := get(t, h, p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := Handler("/graphql")
	for _, p := range []string{"/graphiql", "/graphiql/assets/init.js"} {
		rec := do(t, h, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s = %d, want 405", p, rec.Code)
		}
	}
	rec := do(t, h, httptest.NewRequest(http.MethodHead, "/graphiql", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD /graphiql = %d with %d body bytes, want 200 and empty", rec.Code, rec.Body.Len())
	}
}

// TestMountedOnServeMux checks the documented way of mounting the handler.
func TestMountedOnServeMux(t *testing.T) {
	h := Handler("/graphql")
	mux := http.NewServeMux()
	mux.Handle("/graphiql", h)
	mux.Handle("/graphiql/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for path, want := range map[string]int{
		"/graphiql":                        200,
		"/graphiql/assets/graphiql.min.js": 200,
		"/graphiql/assets/nope.js":         404,
		"/elsewhere":                       404,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestNoExternalLoads makes sure no embedded asset pulls anything from a CDN
// or other remote origin at runtime, so the IDE works offline.
func TestNoExternalLoads(t *testing.T) {
	forbidden := []string{
		"unpkg.com",
		"cdn.jsdelivr",
		"jsdelivr.net",
		"cdnjs.cloudflare",
		"googleapis",
		"gstatic",
		"esm.sh",
		`<script src="http`,
		`<link href="http`,
	}
	cssRemote := regexp.MustCompile(`(?i)@import|url\(\s*['"]?(https?:)?//`)
	n := 0
	err := fs.WalkDir(assetsFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".css") {
			return nil
		}
		n++
		b, err := fs.ReadFile(assetsFS, p)
		if err != nil {
			return err
		}
		s := string(b)
		for _, f := range forbidden {
			if i := strings.Index(s, f); i >= 0 {
				t.Errorf("%s references %q near: %q", p, f, excerpt(s, i))
			}
		}
		if strings.HasSuffix(p, ".css") {
			if loc := cssRemote.FindStringIndex(s); loc != nil {
				t.Errorf("%s loads remote CSS/font near: %q", p, excerpt(s, loc[0]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 6 {
		t.Errorf("checked only %d JS/CSS files, want >= 6", n)
	}
}

func excerpt(s string, i int) string {
	lo, hi := max(0, i-60), min(len(s), i+60)
	return s[lo:hi]
}

func TestVersionsFileEmbedded(t *testing.T) {
	b, err := fs.ReadFile(assetsFS, "VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"graphiql", "react", "react-dom", "npm pack"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("VERSIONS missing %q", want)
		}
	}
	for _, lic := range []string{"LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"} {
		if _, err := fs.Stat(assetsFS, lic); err != nil {
			t.Errorf("missing %s: %v", lic, err)
		}
	}
}

// TestTrailingSlashRedirects: /graphiql/ redirects to /graphiql (keeping
// the query), where the page's relative asset URLs resolve; every asset
// the page names is served from there.
func TestTrailingSlashRedirects(t *testing.T) {
	h := Handler("/graphql")
	rec := get(t, h, "/graphiql/?query=%7Bviewer%7Bname%7D%7D")
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/graphiql?query=%7Bviewer%7Bname%7D%7D" {
		t.Fatalf("GET /graphiql/ = %d Location %q, want 301 to /graphiql?query=…", rec.Code, rec.Header().Get("Location"))
	}
	page := get(t, h, "/graphiql").Body.String()
	base, _ := url.Parse("http://cairn.test/graphiql")
	n := 0
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		u, err := base.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		if a := get(t, h, u.Path); a.Code != http.StatusOK {
			t.Errorf("asset %s resolves to %s: %d", m[1], u.Path, a.Code)
		}
		n++
	}
	if n < 3 {
		t.Errorf("the page names %d assets", n)
	}
}
