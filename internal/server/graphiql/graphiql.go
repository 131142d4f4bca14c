// Package graphiql serves a self-contained GraphiQL IDE for Cairn's GraphQL
// API.
//
// Everything the browser needs (React 18, ReactDOM 18, GraphiQL 3 and a small
// bootstrap script) is embedded in the binary, so the IDE works without any
// internet access: the served HTML, JS and CSS reference no CDN. See
// assets/VERSIONS for the exact upstream versions and how to update them.
//
// A single [http.Handler] owns two URL spaces:
//
//	/graphiql              the GraphiQL HTML page (GET/HEAD only; /graphiql/ redirects to it)
//	/graphiql/assets/*     the embedded static assets (long-lived cache headers)
//
// Every other path gets 404. Mount it for both patterns (the web console
// owns "/"):
//
//	h := graphiql.Handler("/graphql")
//	mux.Handle("/graphiql", h)
//	mux.Handle("/graphiql/", h)
//
// The page is served with a strict Content-Security-Policy (script-src
// 'self'; there is no inline script, the bootstrap lives in
// /graphiql/assets/init.js and reads its configuration from data-* attributes).
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
)

// AssetPrefix is the URL path prefix under which the embedded assets are
// served. It always ends in a slash.
const AssetPrefix = "/graphiql/assets/"

// PagePath is where the GraphiQL page is served (with or without a
// trailing slash).
const PagePath = "/graphiql"

// DefaultQuery is the query pre-filled in the editor the first time a user
// opens the IDE (GraphiQL remembers edits in localStorage afterwards).
const DefaultQuery = `# Welcome to Cairn GraphQL.
#
# To authenticate, open the "Headers" tab below and paste:
#   {"Authorization": "Bearer <token>"}

{
  configurationItems(first: 5) {
    totalCount
    edges {
      node {
        id
        name
        kind
        hostname
      }
    }
  }
}
`

//go:embed assets/*.js assets/*.css assets/LICENSE.* assets/VERSIONS
var embedded embed.FS

// assetsFS is embedded rooted at the assets directory.
var assetsFS = mustSub(embedded, "assets")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// pageAssets are the files the page loads, in order. Paths are relative to
// the assets directory.
var (
	pageStyles  = []string{"graphiql.min.css", "cairn.css"}
	pageScripts = []string{
		"react.production.min.js",
		"react-dom.production.min.js",
		"graphiql.min.js",
		"init.js",
	}
)

// Asset versions (short content hashes) are appended as ?v=... to the URLs
// on the page, so the one-year cache on assets is busted when an asset
// changes. They are computed lazily on first use.
var (
	versionsOnce sync.Once
	versions     map[string]string // asset name -> short hash
)

func assetVersions() map[string]string {
	versionsOnce.Do(func() {
		versions = make(map[string]string)
		_ = fs.WalkDir(assetsFS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(assetsFS, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			versions[p] = hex.EncodeToString(sum[:8])
			return nil
		})
	})
	return versions
}

// assetURL returns the page-relative URL for an asset. It is relative
// ("graphiql/assets/...", which resolves to /graphiql/assets/... from the
// page at /graphiql; /graphiql/ redirects there) so the IDE keeps working
// behind a reverse proxy that mounts Cairn under a path prefix.
func assetURL(name string) string {
	u := strings.TrimPrefix(AssetPrefix, "/") + name
	if v := assetVersions()[name]; v != "" {
		u += "?v=" + v
	}
	return u
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Cairn GraphQL</title>
{{- range .Styles}}
<link rel="stylesheet" href="{{.}}">
{{- end}}
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-default-query="{{.DefaultQuery}}">Loading Cairn GraphQL&hellip;</div>
{{- range .Scripts}}
<script src="{{.}}"></script>
{{- end}}
</body>
</html>
`))

type pageData struct {
	Endpoint     string
	DefaultQuery string
	Styles       []string
	Scripts      []string
}

// Handler returns an http.Handler serving the GraphiQL page at "/" and its
// embedded assets under [AssetPrefix] ("/graphiql/assets/"). The IDE sends
// its GraphQL requests to endpoint (for example "/graphql"; an absolute
// http(s) URL also works and is added to the page's connect-src). Any other
// path gets 404.
//
// Register the returned handler for both "/" and "/graphiql/" on the mux.
func Handler(endpoint string) http.Handler {
	return &handler{
		endpoint: endpoint,
		csp:      contentSecurityPolicy(endpoint),
		assets:   http.FileServerFS(assetsFS),
	}
}

type handler struct {
	endpoint string
	csp      string
	assets   http.Handler

	pageOnce sync.Once
	page     []byte
	pageErr  error
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch {
	case r.URL.Path == PagePath:
		h.servePage(w, r)
	case r.URL.Path == PagePath+"/":
		// The page's asset URLs are relative to /graphiql; from /graphiql/
		// they would resolve one level too deep.
		target := PagePath
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	case strings.HasPrefix(r.URL.Path, AssetPrefix):
		h.serveAsset(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) renderPage() ([]byte, error) {
	h.pageOnce.Do(func() {
		data := pageData{Endpoint: h.endpoint, DefaultQuery: DefaultQuery}
		for _, s := range pageStyles {
			data.Styles = append(data.Styles, assetURL(s))
		}
		for _, s := range pageScripts {
			data.Scripts = append(data.Scripts, assetURL(s))
		}
		var buf bytes.Buffer
		h.pageErr = pageTmpl.Execute(&buf, data)
		h.page = buf.Bytes()
	})
	return h.page, h.pageErr
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	page, err := h.renderPage()
	if err != nil {
		http.Error(w, "graphiql: rendering page failed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), AssetPrefix)
	// Only regular files; no directory listings.
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	if st, err := fs.Stat(assetsFS, name); err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	// Asset URLs on the page carry a content hash (?v=), so they can be
	// cached for a year.
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	if v := assetVersions()[name]; v != "" {
		hdr.Set("ETag", `"`+v+`"`) // lets ServeContent answer If-None-Match with 304
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = "/" + name
	u.RawPath = ""
	r2.URL = &u
	h.assets.ServeHTTP(w, r2)
}

// contentSecurityPolicy builds the page CSP. Scripts only from 'self' (no
// inline script, no eval). Styles need 'unsafe-inline' because GraphiQL and
// CodeMirror inject <style> elements and style attributes at runtime; fonts
// and icons are data: URLs inside graphiql.min.css.
func contentSecurityPolicy(endpoint string) string {
	connect := "'self'"
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" &&
		(u.Scheme == "http" || u.Scheme == "https") {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}
