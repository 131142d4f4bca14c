package tcpscan

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanBanner(t *testing.T) {
	volatile := regexp.MustCompile(volatilePattern)
	// The MySQL 8 greeting: a length, protocol 10, the version, a thread
	// id and a random salt.
	mysql := "J\x00\x00\x00\x0a8.0.35\x00\x1b\x00\x00\x00Z7!k@q\x1e\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00G]k)4%&a9-yC\x00mysql_native_password\x00"
	tests := []struct{ in, want string }{
		{"", ""},
		{"\r\n", ""},
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2"},
		{"SSH-2.0-OpenSSH_9.2p1\r\nrest of the stream", "SSH-2.0-OpenSSH_9.2p1"},
		{"\r\n\r\n  SSH-2.0-dropbear\r\n", "SSH-2.0-dropbear"},
		{"220 (vsFTPd 3.0.5)\r\n", "220 (vsFTPd 3.0.5)"},
		{"220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n", "220 mail.example.com ESMTP Postfix (Debian/GNU)"},
		{"220 mx.example.com ESMTP Exim 4.96 Tue, 14 May 2024 12:00:00 +0000\r\n", "220 mx.example.com ESMTP Exim 4.96"},
		{"220 host.example.com ESMTP Sendmail 8.15.2/8.15.2; Tue, 14 May 2024 12:00:00 +0200\r\n", "220 host.example.com ESMTP Sendmail 8.15.2/8.15.2"},
		{"220 mail.example.com Microsoft ESMTP MAIL Service ready at Tue, 14 May 2024 12:00:00 +0000\r\n", "220 mail.example.com Microsoft ESMTP MAIL Service ready at"},
		{"220 ftp.example.com FTP server ready Tue May 14 12:00:00 2024\r\n", "220 ftp.example.com FTP server ready"},
		{"220 box FTP ready 14 May 2024 at noon\r\n", "220 box FTP ready"},
		{"* OK server ready 2024-05-14T12:00:00Z\r\n", "* OK server ready"},
		{"200 news.example.com 12:00:01 ready\r\n", "200 news.example.com"},
		{"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", "+OK POP3 server ready"},
		{"220 host [2001:db8::10:20:30] ready\r\n", "220 host [2001:db8::10:20:30] ready"},
		{"Welcome to Monitor 5 Sunday\n", "Welcome to Monitor 5 Sunday"},
		{"RFB 003.008\n", "RFB 003.008"},
		{"a\tb   c \r\n", "a b c"},
		{"Grüße vom Server\n", "Grüße vom Server"},
		{mysql, ""},
		{"\xff\xfd\x18\xff\xfd\x20", ""}, // telnet negotiation
		{"ok\x00\n", ""},
		{"bad \xc3\x28 utf8\n", ""},
		{strings.Repeat("x", 150) + "\n", strings.Repeat("x", 100)},
		{strings.Repeat("é", 150), strings.Repeat("é", 100)},
		// A read cut in the middle of a character keeps what came before.
		{strings.Repeat("a", 255) + "\xc3", strings.Repeat("a", 100)},
		{"abc \xc3", "abc"},
	}
	for _, tt := range tests {
		if got := cleanBanner([]byte(tt.in), volatile); got != tt.want {
			t.Errorf("cleanBanner(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzCleanBanner: whatever a service sends, the banner is one printable,
// trimmed line of at most maxBanner characters.
func FuzzCleanBanner(f *testing.F) {
	volatile := regexp.MustCompile(volatilePattern)
	for _, s := range []string{"SSH-2.0-OpenSSH_9.2p1\r\n", "220 x Tue, 14 May 2024 12:00:00\r\n", "\x00\x01", "é\xc3", "<x>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := cleanBanner(b, volatile)
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxBanner {
			t.Fatalf("cleanBanner(%q) = %q: invalid or too long", b, s)
		}
		if s != strings.TrimSpace(s) || strings.Contains(s, "  ") {
			t.Fatalf("cleanBanner(%q) = %q: not trimmed", b, s)
		}
		for _, r := range s {
			if !unicode.IsPrint(r) {
				t.Fatalf("cleanBanner(%q) = %q: holds %q", b, s, r)
			}
		}
		if again := cleanBanner([]byte(s), volatile); again != s {
			t.Fatalf("cleanBanner is not stable: %q → %q → %q", b, s, again)
		}
	})
}

func TestNotOpen(t *testing.T) {
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	for _, err := range []error{
		op(syscall.ECONNREFUSED), op(syscall.ECONNRESET), op(syscall.ETIMEDOUT),
		op(syscall.EHOSTUNREACH), op(syscall.EHOSTDOWN), &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded},
	} {
		if !notOpen(err) {
			t.Errorf("notOpen(%v) = false, want true", err)
		}
	}
	for _, err := range []error{
		op(syscall.EMFILE), op(syscall.ENFILE), op(syscall.EADDRNOTAVAIL), op(syscall.ENETUNREACH),
		op(syscall.EACCES), op(syscall.EPERM), errors.New("something else"), fmt.Errorf("wrapped: %w", op(syscall.EMFILE)),
	} {
		if notOpen(err) {
			t.Errorf("notOpen(%v) = true, want false", err)
		}
	}
}
