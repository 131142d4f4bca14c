//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package store

import "net"

// peerSpoke cannot peek here: connections are pinged only after a second
// idle (pgx's default).
func peerSpoke(net.Conn) bool { return false }
