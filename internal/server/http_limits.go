package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// HTTPConfig tunes the http.Server in front of the handler: how long a
// client may take over each part of a request, and how many connections it
// holds open. Zero values take the defaults in brackets.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers [10s].
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included, so a body
	// sent a byte at a time is cut off [30s].
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its response; keep it above the handler's RequestTimeout so that
	// a timed-out request still gets its answer [45s].
	WriteTimeout time.Duration
	// IdleTimeout bounds a kept-alive connection between requests [120s].
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers [64 KiB].
	MaxHeaderBytes int
	// MaxConns bounds the open connections; further clients wait to be
	// accepted [1024].
	MaxConns int
}

func (c *HTTPConfig) defaults() {
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 45 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1024
	}
}

// NewHTTPServer is the one http.Server Cairn serves h with: every timeout
// of cfg set. Serve it on a listener from LimitListener to cap connections
// (Serve and ListenAndServe do both).
func NewHTTPServer(addr string, h http.Handler, cfg HTTPConfig) *http.Server {
	cfg.defaults()
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
	}
}

// LimitListener accepts at most n connections at once: past that, Accept
// waits for one to close (the kernel's backlog holds new clients), as
// golang.org/x/net/netutil.LimitListener does.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// ListenAndServe serves h on addr until ctx is cancelled, then shuts down
// gracefully, giving in-flight requests up to grace to finish.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, cfg HTTPConfig, grace time.Duration, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	return Serve(ctx, ln, h, cfg, grace, log)
}

// Serve is ListenAndServe on an open listener.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, cfg HTTPConfig, grace time.Duration, log *slog.Logger) error {
	cfg.defaults()
	srv := NewHTTPServer(ln.Addr().String(), h, cfg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(LimitListener(ln, cfg.MaxConns)) }()
	log.Info("serving", "addr", ln.Addr().String(), "max_conns", cfg.MaxConns,
		"read_timeout", cfg.ReadTimeout, "write_timeout", cfg.WriteTimeout)
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shedExempt names the routes served whatever the load: probes and
// metrics.
func shedExempt(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// retryAfterSeconds is what a shed request is told to wait.
const retryAfterSeconds = 1

// admit takes one of the in-flight slots, or answers 503 with Retry-After
// and reports false when all are taken: load is shed rather than queued.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if shedExempt(r.URL.Path) {
		return func() {}, true
	}
	select {
	case s.inflight <- struct{}{}:
		return func() { <-s.inflight }, true
	default:
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds))
		writeGraphQLError(w, http.StatusServiceUnavailable, apperr.Internal,
			fmt.Sprintf("the server is busy (%d requests in progress): retry in %d s", cap(s.inflight), retryAfterSeconds))
		return nil, false
	}
}
