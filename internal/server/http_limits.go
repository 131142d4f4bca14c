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
	// ReadTimeout bounds reading a whole request; the /graphql body has
	// its own, shorter bound (Config.BodyReadTimeout) [30s].
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its response; keep it above the handler's RequestTimeout so that
	// a timed-out request still gets its answer [45s].
	WriteTimeout time.Duration
	// IdleTimeout bounds a kept-alive connection between requests [120s].
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers [64 KiB].
	MaxHeaderBytes int
	// MaxConns bounds the open connections. A new connection past it
	// closes the kept-alive connection idle the longest; only when none is
	// idle does it wait for one to close or fall idle [1024].
	MaxConns int
	// MaxConnsPerIP bounds the open connections of one client address. A
	// new connection past it closes that client's own longest idle
	// connection, or is answered 503 and closed when none is idle [64].
	MaxConnsPerIP int
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
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = 64
	}
}

// NewHTTPServer is the one http.Server Cairn serves h with: every timeout
// of cfg set, and the connection state hook that lets LimitListener close
// idle connections. Serve it on a listener from LimitListener to cap
// connections (Serve and ListenAndServe do both).
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
		ConnState:         trackConnState,
	}
}

// trackConnState tells a connection of a LimitListener whether it is idle
// (kept alive between requests), which it learns from the http.Server.
func trackConnState(c net.Conn, st http.ConnState) {
	if lc, ok := c.(*limitConn); ok {
		lc.l.setIdle(lc, st == http.StateIdle)
	}
}

// LimitListener caps the connections of ln at cfg.MaxConns in all and
// cfg.MaxConnsPerIP per client address (defaults as in HTTPConfig). Idle
// kept-alive connections make room: a new connection past a cap closes the
// longest idle one (the client's own for the per-address cap), so clients
// holding connections open cannot lock others out for the idle timeout.
// Past the per-address cap with none idle, the new connection is answered
// 503 and closed; past the total cap with none idle, Accept waits for a
// connection to close or fall idle (every request is bounded by the
// timeouts). The idle state comes from NewHTTPServer's ConnState hook.
func LimitListener(ln net.Listener, cfg HTTPConfig) net.Listener {
	cfg.defaults()
	return &limitListener{Listener: ln, max: cfg.MaxConns, perIP: cfg.MaxConnsPerIP,
		byIP: map[string]int{}, idle: map[*limitConn]time.Time{},
		changed: make(chan struct{}, 1), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	max, perIP int

	mu    sync.Mutex
	total int
	byIP  map[string]int
	// idle holds the connections kept alive between requests, with the
	// time each fell idle.
	idle map[*limitConn]time.Time

	// changed is signalled when a connection closes or falls idle.
	changed   chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
		select {
		case <-l.done:
			return nil, net.ErrClosed
		default:
		}
	}
}

// admit counts c in, closing idle connections to make room, or refuses it
// (nil) past the per-address cap. It waits only while the total cap is
// reached with no connection idle.
func (l *limitListener) admit(c net.Conn) *limitConn {
	ip := clientIP(c.RemoteAddr())
	l.mu.Lock()
	if l.byIP[ip] >= l.perIP {
		victim := l.oldestIdle(ip)
		if victim == nil {
			l.mu.Unlock()
			go refuseConn(c, fmt.Sprintf("too many connections from %s (limit %d): reuse or close some", ip, l.perIP))
			return nil
		}
		l.evict(victim)
	}
	for l.total >= l.max {
		if victim := l.oldestIdle(""); victim != nil {
			l.evict(victim)
			continue
		}
		l.mu.Unlock()
		select {
		case <-l.changed:
		case <-l.done:
			_ = c.Close()
			return nil
		}
		l.mu.Lock()
	}
	l.total++
	l.byIP[ip]++
	l.mu.Unlock()
	return &limitConn{Conn: c, l: l, ip: ip}
}

// oldestIdle is the connection idle the longest (of ip, when not empty).
// Callers hold l.mu.
func (l *limitListener) oldestIdle(ip string) *limitConn {
	var oldest *limitConn
	var since time.Time
	for c, t := range l.idle {
		if (ip == "" || c.ip == ip) && (oldest == nil || t.Before(since)) {
			oldest, since = c, t
		}
	}
	return oldest
}

// evict closes an idle connection and counts it out at once. Callers hold
// l.mu.
func (l *limitListener) evict(c *limitConn) {
	delete(l.idle, c)
	l.release(c)
	// The server's goroutine serving c sees its read fail and ends.
	_ = c.Conn.Close()
}

// release counts c out, once. Callers hold l.mu.
func (l *limitListener) release(c *limitConn) {
	if c.released {
		return
	}
	c.released = true
	l.total--
	if l.byIP[c.ip]--; l.byIP[c.ip] <= 0 {
		delete(l.byIP, c.ip)
	}
	l.signal()
}

func (l *limitListener) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *limitListener) setIdle(c *limitConn, idle bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case c.released:
	case idle:
		l.idle[c] = time.Now()
		l.signal()
	default:
		delete(l.idle, c)
	}
}

func (l *limitListener) closed(c *limitConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.idle, c)
	l.release(c)
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	l  *limitListener
	ip string
	// released is guarded by l.mu.
	released bool
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.l.closed(c)
	return err
}

// clientIP is the address part of a connection's remote address.
func clientIP(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// refuseConn answers a connection refused by LimitListener with a 503 (its
// request unread) and closes it, giving the client a second at most.
func refuseConn(c net.Conn, msg string) {
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	body := fmt.Sprintf(`{"errors":[{"message":%q,"extensions":{"code":%q}}],"data":null}`+"\n", msg, apperr.Internal)
	_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		retryAfterSeconds, len(body), body)
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
	go func() { errc <- srv.Serve(LimitListener(ln, cfg)) }()
	log.Info("serving", "addr", ln.Addr().String(), "max_conns", cfg.MaxConns, "max_conns_per_ip", cfg.MaxConnsPerIP,
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

// retryAfterSeconds is what a shed request is told to wait.
const retryAfterSeconds = 1

// slots bounds work done at once: total in all, of which anonymous callers
// may take three quarters (a quarter is kept for token holders, so that
// anonymous load never locks them out) and one client address at most
// perClient of those (0: no such bound). Nothing waits for a slot.
type slots struct {
	total, anonMax, perClient int

	mu       sync.Mutex
	used     int
	anon     int
	byClient map[string]int
}

func newSlots(total, perClient int) *slots {
	reserve := total / 4
	if reserve == 0 && total > 1 {
		reserve = 1
	}
	return &slots{total: total, anonMax: total - reserve, perClient: perClient, byClient: map[string]int{}}
}

// acquire takes a slot for a caller (anonymous ones by client address),
// or reports false when none is left to it.
func (s *slots) acquire(client string, anonymous bool) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.total {
		return nil, false
	}
	if anonymous {
		if s.anon >= s.anonMax || (s.perClient > 0 && s.byClient[client] >= s.perClient) {
			return nil, false
		}
		s.anon++
		s.byClient[client]++
	}
	s.used++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.used--
			if anonymous {
				s.anon--
				if s.byClient[client]--; s.byClient[client] <= 0 {
					delete(s.byClient, client)
				}
			}
		})
	}, true
}

// shed answers 503 with Retry-After (through fail): load is shed rather
// than queued.
func shed(w http.ResponseWriter, what string, fail errorWriter) {
	w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds))
	fail(w, http.StatusServiceUnavailable, apperr.Internal,
		fmt.Sprintf("the server is busy (%s): retry in %d s", what, retryAfterSeconds))
}

// admit takes one of the execution slots for a /graphql or alert intake
// request whose body is in memory, or answers 503 with Retry-After (through
// fail) and reports false when none is left to the caller. Only those are
// admitted: the other routes serve files from memory, probes and metrics.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, anonymous bool, fail errorWriter) (release func(), ok bool) {
	if release, ok = s.inflight.acquire(remoteIP(r), anonymous); !ok {
		shed(w, fmt.Sprintf("%d requests in progress", s.inflight.total), fail)
	}
	return release, ok
}

// remoteIP is the address part of r's remote address.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
