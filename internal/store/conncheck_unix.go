//go:build linux || darwin || freebsd || netbsd || openbsd

package store

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// peerSpoke reports whether an idle connection has something to read: the
// server's FATAL before it ended the session (a restart, or
// pg_terminate_backend), or the end of the stream. It peeks without
// blocking (one recv syscall, MSG_PEEK|MSG_DONTWAIT), so it costs
// microseconds where pgconn's CheckConn waits a millisecond. It reports
// false when it cannot tell.
func peerSpoke(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	// Control, not Read: Read takes the descriptor's read lock and waits for
	// it, and pgx may hold it with a background reader on a connection it
	// handed back (a request then hung here, seen under 8 clients);
	// MSG_DONTWAIT keeps the peek itself from ever waiting, and MSG_PEEK
	// takes nothing from whoever reads.
	var spoke bool
	_ = raw.Control(func(fd uintptr) {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			spoke = true // a byte of a message, or the end of the stream
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
		default:
			spoke = true // reset or another error: let the ping find out
		}
	})
	return spoke
}
