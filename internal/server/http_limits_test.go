package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// rawPost opens a connection to env and sends the headers of a POST
// /graphql declaring a body of length bytes (and a token when not empty),
// without the body.
func rawPost(t *testing.T, env *servertest.Env, length int, token string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", env.HTTP.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: cairn\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n", auth, length); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readStatus reads the status line and headers of the response on conn
// within d; ok is false when none came (or the connection closed first).
func readStatus(conn net.Conn, d time.Duration) (*http.Response, bool) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, false
	}
	return resp, true
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSlowBodyIsCutOff: a body sent one byte at a time is cut off by the
// body read timeout (it stayed open past 75 s before).
func TestSlowBodyIsCutOff(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
		Config: server.Config{AllowAnonymousRead: true, BodyReadTimeout: 500 * time.Millisecond},
	})
	const body = `{"query":"{ viewer { name } }"}`
	conn := rawPost(t, env, len(body)+40, "")
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// One byte every 100 ms would take 7 s for the whole body.
		for i := 0; i < len(body); i++ {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-t.Context().Done():
				return
			}
		}
	}()
	// Whatever the server answers (or not), the connection must end soon
	// after the 500 ms read timeout.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.Copy(io.Discard, conn)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the connection stayed open %s with a body trickling in, want it cut off after the 500ms body read timeout", d)
	}
	_ = conn.Close()
	<-done
}

// TestLoadIsShed: requests beyond MaxInFlight are answered 503 with
// Retry-After at once instead of queueing (1,500 stalled requests were all
// held before); anonymous callers get three quarters of the slots, the rest
// is kept for token holders; probes are still served; capacity returns when
// the stalled requests end.
func TestLoadIsShed(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
		Config: server.Config{AllowAnonymousRead: true, MaxInFlight: 4, RequestTimeout: 20 * time.Second},
		WrapDriver: func(d dialect.Driver) dialect.Driver {
			return &servertest.SlowDriver{Driver: d, Match: "configuration_items", Delay: 3 * time.Second}
		},
	})
	env.Do(t, "", `{ viewer { name } }`, nil).OK(t)
	// Three anonymous requests stalled in the database hold the anonymous
	// share (4 less the one kept for token holders).
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env.Do(t, "", `{ configurationItems { totalCount } }`, nil)
		}()
	}
	var r servertest.Response
	deadline := time.Now().Add(5 * time.Second)
	for {
		start := time.Now()
		r = env.Do(t, "", `{ viewer { name } }`, nil)
		if r.Status == http.StatusServiceUnavailable {
			if d := time.Since(start); d > time.Second {
				t.Errorf("the refusal took %s: it must not wait for a slot", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with the anonymous slots held: %s, want 503", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := r.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	wantErr(t, r, "INTERNAL", "", "the server is busy (4 requests in progress): retry in 1 s")
	// The slot kept for token holders serves a viewer.
	env.Do(t, env.Viewer, `{ viewer { name } }`, nil).OK(t)
	if h := httpGet(t, env, "/healthz", nil); h.Status != http.StatusOK {
		t.Errorf("/healthz while busy: %s", h)
	}
	wg.Wait()
	env.Do(t, "", `{ viewer { name } }`, nil).OK(t)
}

// unfinishedBodies opens n connections, each declaring a 1 MiB body and
// sending half of it, and returns the status each got within wait (0 for
// none) and the live heap growth measured while all are still open.
func unfinishedBodies(t *testing.T, env *servertest.Env, n int, wait time.Duration) (statuses []int, growth int64) {
	t.Helper()
	half := make([]byte, 512<<10)
	for i := range half {
		half[i] = ' '
	}
	before := liveHeap()
	statuses = make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		conn := rawPost(t, env, 1<<20, "")
		go func() { _, _ = conn.Write(half) }() // may block once the server stops reading
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, ok := readStatus(conn, wait); ok {
				statuses[i] = resp.StatusCode
			}
		}()
	}
	wg.Wait()
	growth = int64(liveHeap()) - int64(before)
	return statuses, growth
}

// TestAuthBeforeBody: without a token (and without anonymous read) a
// request is refused before its body is read: 150 unfinished 1 MiB bodies
// raised RSS from 47 to 223 MB before; now each is answered 401 while its
// body is still coming, and the heap does not grow. With anonymous read,
// MaxInFlight bounds the bodies held.
func TestAuthBeforeBody(t *testing.T) {
	t.Run("no token", func(t *testing.T) {
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{})
		statuses, growth := unfinishedBodies(t, env, 150, 5*time.Second)
		for i, s := range statuses {
			if s != http.StatusUnauthorized {
				t.Fatalf("connection %d: status %d, want 401 before the body is complete", i, s)
			}
		}
		t.Logf("live heap growth with 150 unfinished bodies: %d KiB", growth>>10)
		if growth > 16<<20 {
			t.Errorf("live heap grew %d MiB with 150 unfinished bodies", growth>>20)
		}
	})
	t.Run("no token, small body", func(t *testing.T) {
		// The answer does not wait for the rest of a small body (the server
		// would read it before answering, to keep the connection).
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{})
		conn := rawPost(t, env, 2000, "")
		if _, err := io.WriteString(conn, `{"query":`); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		resp, ok := readStatus(conn, 5*time.Second)
		if !ok || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no token, body unfinished: %v, want 401", resp)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("401 after %s: it waited for the body", d)
		}
	})
	t.Run("anonymous read", func(t *testing.T) {
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
			Config: server.Config{AllowAnonymousRead: true, MaxBodyReads: 8, BodyReadTimeout: 20 * time.Second},
			HTTP:   server.HTTPConfig{ReadTimeout: 20 * time.Second},
		})
		statuses, growth := unfinishedBodies(t, env, 150, 2*time.Second)
		shed := 0
		for _, s := range statuses {
			if s == http.StatusServiceUnavailable {
				shed++
			}
		}
		// Anonymous callers get 6 of the 8 body reads, one address 1.
		if shed < 144 {
			t.Errorf("%d of 150 shed, want all but the bodies being read", shed)
		}
		t.Logf("live heap growth with 150 unfinished bodies, 8 body reads: %d KiB", growth>>10)
		// 8 bodies of at most 1 MiB (read into a growing buffer).
		if growth > 40<<20 {
			t.Errorf("live heap grew %d MiB with 150 unfinished bodies, 8 body reads", growth>>20)
		}
	})
	t.Run("declared length above the limit", func(t *testing.T) {
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{Config: server.Config{MaxBodyBytes: 1024}})
		conn := rawPost(t, env, 1<<30, env.Viewer)
		resp, ok := readStatus(conn, 5*time.Second)
		if !ok || resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("a 1 GiB Content-Length: %v, want 413 without reading", resp)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if !strings.Contains(string(b), "request body too large: the limit is 1024 bytes") {
			t.Errorf("body %s", b)
		}
	})
}

// TestConnectionCap: past MaxConns with no connection idle, a new
// connection is not served until one closes or falls idle.
func TestConnectionCap(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
		Config: server.Config{AllowAnonymousRead: true},
		HTTP:   server.HTTPConfig{MaxConns: 2},
	})
	// Two connections busy sending their headers.
	var open []net.Conn
	for range 2 {
		conn := dialFrom(t, env, "127.0.0.1")
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\n"); err != nil {
			t.Fatal(err)
		}
		open = append(open, conn)
	}
	time.Sleep(100 * time.Millisecond)
	third := dialFrom(t, env, "127.0.0.1")
	if _, err := io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: cairn\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(third)
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("a third connection was served while two were busy")
	}
	_ = open[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("once a connection closed: %v, %v", resp, err)
	}
}

// TestNewHTTPServerTimeouts: the one constructor sets every timeout.
func TestNewHTTPServerTimeouts(t *testing.T) {
	s := server.NewHTTPServer(":0", http.NotFoundHandler(), server.HTTPConfig{})
	if s.ReadHeaderTimeout != 10*time.Second || s.ReadTimeout != 30*time.Second || s.WriteTimeout != 45*time.Second ||
		s.IdleTimeout != 120*time.Second || s.MaxHeaderBytes != 64<<10 {
		t.Errorf("defaults: %+v", s)
	}
	s = server.NewHTTPServer(":0", http.NotFoundHandler(), server.HTTPConfig{ReadTimeout: time.Second, WriteTimeout: 2 * time.Second})
	if s.ReadTimeout != time.Second || s.WriteTimeout != 2*time.Second {
		t.Errorf("set: read %s write %s", s.ReadTimeout, s.WriteTimeout)
	}
}
