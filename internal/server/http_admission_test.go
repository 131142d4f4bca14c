package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// dialFrom connects to env from the loopback address local (127.0.0.2 is
// another client than 127.0.0.1).
func dialFrom(t *testing.T, env *servertest.Env, local string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", env.HTTP.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// getHealthz sends GET /healthz on conn (kept alive) and reads the whole
// answer within d; it reports the status, 0 when none came.
func getHealthz(conn net.Conn, br *bufio.Reader, d time.Duration) int {
	_ = conn.SetDeadline(time.Now().Add(d))
	defer func() { _ = conn.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: cairn\r\n\r\n"); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// idleConns opens n kept-alive connections from local, each having been
// answered once and now idle.
func idleConns(t *testing.T, env *servertest.Env, local string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = dialFrom(t, env, local)
		if st := getHealthz(conns[i], bufio.NewReader(conns[i]), 5*time.Second); st != http.StatusOK {
			t.Fatalf("idle connection %d from %s: status %d", i, local, st)
		}
		// The server marks a connection idle once its answer is written,
		// which the client may read first: a pause between them keeps
		// their idle times in the order they were made, under load too
		// (CI once saw the first two marked in the other order).
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	return conns
}

// served dials from local and reports how long GET /healthz took to be
// answered 200 (within 3 s; the test fails otherwise).
func served(t *testing.T, env *servertest.Env, local string) time.Duration {
	t.Helper()
	start := time.Now()
	conn := dialFrom(t, env, local)
	if st := getHealthz(conn, bufio.NewReader(conn), 3*time.Second); st != http.StatusOK {
		t.Fatalf("a new client from %s was not served within 3s (status %d)", local, st)
	}
	return time.Since(start)
}

// closedBy reports how many of conns the server has closed (a read ends at
// once with EOF or a reset).
func closedBy(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var b [1]byte
		if _, err := c.Read(b[:]); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				n++
			}
		}
	}
	return n
}

// TestIdleConnectionsDoNotLockOut: kept-alive idle connections held open by
// one client cannot lock new clients out (1,024 idle connections locked
// out every new client for the 120 s idle timeout: Accept waited for one to
// close). Past the per-address cap a client's own longest idle connection
// is closed; past the total cap, the longest idle one of anyone's.
func TestIdleConnectionsDoNotLockOut(t *testing.T) {
	t.Run("per address", func(t *testing.T) {
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
			HTTP: server.HTTPConfig{MaxConns: 4, MaxConnsPerIP: 2},
		})
		held := idleConns(t, env, "127.0.0.1", 2)
		// The same client opening more closes its own idle ones and never
		// holds more than 2: 6 connections more from it are each served.
		for range 6 {
			served(t, env, "127.0.0.1")
		}
		if n := closedBy(held); n != 2 {
			t.Errorf("%d of the first client's 2 first idle connections closed, want both", n)
		}
		if d := served(t, env, "127.0.0.2"); d > time.Second {
			t.Errorf("a new client from 127.0.0.2 was served after %s", d)
		}
	})
	t.Run("per address, none idle", func(t *testing.T) {
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
			HTTP: server.HTTPConfig{MaxConns: 8, MaxConnsPerIP: 2},
		})
		for range 2 {
			if _, err := io.WriteString(dialFrom(t, env, "127.0.0.1"), "GET /healthz HTTP/1.1\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond)
		conn := dialFrom(t, env, "127.0.0.1")
		resp, ok := readStatus(conn, 3*time.Second)
		if !ok || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("a third busy connection from one address: %v, want 503 with Retry-After", resp)
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), "too many connections from 127.0.0.1 (limit 2)") {
			t.Errorf("body %s", b)
		}
		if d := served(t, env, "127.0.0.2"); d > time.Second {
			t.Errorf("a new client from 127.0.0.2 was served after %s", d)
		}
	})
	t.Run("total", func(t *testing.T) {
		env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
			HTTP: server.HTTPConfig{MaxConns: 4, MaxConnsPerIP: 4},
		})
		held := idleConns(t, env, "127.0.0.1", 4)
		if d := served(t, env, "127.0.0.2"); d > time.Second {
			t.Errorf("a new client from 127.0.0.2 was served after %s with 4 idle connections at the cap", d)
		}
		if n := closedBy(held); n != 1 {
			t.Errorf("%d idle connections closed to make room, want 1 (the oldest)", n)
		}
		if n := closedBy(held[:1]); n != 1 {
			t.Error("the connection closed is not the one idle the longest")
		}
	})
}

// TestSlowBodiesDoNotLockOutTokenHolders: request bodies are read before a
// request takes an execution slot, under their own deadline, so bodies
// trickling in hold no execution slot (32 slow anonymous bodies locked
// everyone, admins included, out for the 30 s read timeout); anonymous
// callers cannot take the body reads kept for token holders; a body too
// slow is answered 400 without naming the connection's addresses.
func TestSlowBodiesDoNotLockOutTokenHolders(t *testing.T) {
	env := servertest.Start(t, storetest.DSN(t, store.SQLite), servertest.Options{
		Config: server.Config{AllowAnonymousRead: true, MaxInFlight: 2, MaxBodyReads: 16, BodyReadTimeout: 2 * time.Second},
	})
	// 6 anonymous bodies (more than the 2 execution slots) trickling in
	// from two addresses: each may hold 2 body reads (16/8), so 4 are
	// read and 2 shed.
	const n = 6
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = dialFrom(t, env, fmt.Sprintf("127.0.0.%d", 1+i%2))
		if _, err := fmt.Fprintf(conns[i], "POST /graphql HTTP/1.1\r\nHost: cairn\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{\"query\":"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	env.Do(t, env.Admin, `{ __typename }`, nil).OK(t)
	env.Do(t, env.Viewer, `{ viewer { name } }`, nil).OK(t)
	if d := time.Since(start); d > time.Second {
		t.Errorf("two token holders' queries took %s with slow bodies in flight", d)
	}
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, ok := readStatus(c, 5*time.Second); ok {
				statuses[i] = resp.StatusCode
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
				bodies[i] = string(b)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the slow bodies were answered after %s, want about the 2s body read timeout", d)
	}
	count := map[int]int{}
	for i, st := range statuses {
		count[st]++
		switch st {
		case http.StatusBadRequest:
			if !strings.Contains(bodies[i], "the request body arrived too slowly: it must arrive within 2s") ||
				strings.Contains(bodies[i], "127.0.0") || strings.Contains(bodies[i], "tcp") {
				t.Errorf("slow body %d answered %s", i, bodies[i])
			}
		case http.StatusServiceUnavailable:
			if !strings.Contains(bodies[i], "the server is busy (16 request bodies being received)") {
				t.Errorf("shed body %d answered %s", i, bodies[i])
			}
		}
	}
	if count[http.StatusBadRequest] != 4 || count[http.StatusServiceUnavailable] != 2 {
		t.Errorf("slow bodies answered %v, want 4 400 (too slow) and 2 503 (two per address)", count)
	}
	// Capacity is back.
	env.Do(t, "", `{ viewer { name } }`, nil).OK(t)
}
