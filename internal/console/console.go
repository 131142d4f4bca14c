// Package console serves the Cairn web console: a single-page application
// built from src/ (TypeScript, Preact, Cytoscape.js) into dist/ by
// `go generate` and embedded here. It talks only to /graphql, like any other
// client, so it obeys the same auth and limits; it has no endpoint of its
// own.
//
// Paths under /assets/ are content-hashed files, served gzip-compressed
// when the client accepts it and cached for a year; every other path is a
// page of the application and gets index.html, never cached, so that links
// to /ci/123 or /drifts?kind=MISSING work when pasted.
package console

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// SecurityPolicy is the Content-Security-Policy of every console response:
// nothing loads from or talks to another origin.
const SecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

type asset struct {
	body, gz    []byte
	contentType string
	etag        string
}

// Handler serves the console.
type Handler struct {
	index  asset
	assets map[string]asset // by path under /assets/
}

// New loads the embedded build. It fails when the build is missing, which
// means `go generate ./internal/console` has not run.
func New() (*Handler, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	h := &Handler{assets: map[string]asset{}}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		return nil, fmt.Errorf("console: the build has no index.html (run go generate ./internal/console): %w", err)
	}
	if h.index, err = newAsset("index.html", index); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(sub, "assets")
	if err != nil {
		return nil, fmt.Errorf("console: reading assets: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, "assets/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("console: reading %s: %w", e.Name(), err)
		}
		a, err := newAsset(e.Name(), b)
		if err != nil {
			return nil, err
		}
		h.assets[e.Name()] = a
	}
	return h, nil
}

func newAsset(name string, body []byte) (asset, error) {
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	a := asset{body: body, contentType: ct, etag: `"` + strconv.Itoa(len(body)) + "-" + checksum(body) + `"`}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return asset{}, fmt.Errorf("console: compressing %s: %w", name, err)
	}
	if _, err := zw.Write(body); err != nil {
		return asset{}, fmt.Errorf("console: compressing %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return asset{}, fmt.Errorf("console: compressing %s: %w", name, err)
	}
	if buf.Len() < len(body) {
		a.gz = buf.Bytes()
	}
	return a, nil
}

func checksum(b []byte) string {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return strconv.FormatUint(uint64(h), 36)
}

// ServeHTTP serves an asset or, for any other path, the application.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the console answers GET and HEAD; the API is POST /graphql", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", SecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	if name, ok := strings.CutPrefix(r.URL.Path, "/assets/"); ok {
		a, found := h.assets[name]
		if !found {
			http.Error(w, "no such console asset: "+name, http.StatusNotFound)
			return
		}
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.write(w, r, a)
		return
	}
	hdr.Set("Cache-Control", "no-cache")
	h.write(w, r, h.index)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, a asset) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	hdr.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && match == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hdr.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func acceptsGzip(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") || strings.TrimSpace(enc) == "*" {
			q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
			if !ok {
				return true
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
			return err == nil && v > 0
		}
	}
	return false
}
