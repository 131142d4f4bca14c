package tcpscan

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// maxBannerRead is how many bytes are read after connecting.
	maxBannerRead = 256
	// maxBanner is how many characters of a banner are kept.
	maxBanner = 100
)

// volatilePattern matches where a banner's volatile part starts: a date
// with a weekday ("Tue, 14 May 2024", "Tue May 14"), a day and month
// ("14 May 2024"), an ISO or slashed date, a time of day, or "<" (a POP3
// APOP nonce such as "<1896.697170952@host>").
const volatilePattern = `(?i)` +
	`\b(?:mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?\s+(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)` +
	`|\b\d{1,2}[ -](?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[ -]\d{2,4}\b` +
	`|\b\d{4}[-/]\d{1,2}[-/]\d{1,2}` +
	`|(?:^|[^:\w])\d{1,2}:\d{2}:\d{2}(?:[^:\w]|$)` +
	`|<`

// probe tries one port. It returns open with the cleaned banner, not open
// with no error when the port refused, reset or did not answer (or the host
// is unreachable), and an error for any other failure.
func (sc *scan) probe(ctx context.Context, ap netip.AddrPort) (open bool, banner string, err error) {
	d := net.Dialer{Timeout: sc.src.connectTimeout}
	conn, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		if ctx.Err() != nil {
			return false, "", context.Cause(ctx)
		}
		if notOpen(err) {
			return false, "", nil
		}
		return false, "", err
	}
	defer conn.Close()
	if sc.src.bannerTimeout <= 0 {
		return true, "", nil
	}
	return true, cleanBanner(readBanner(ctx, conn, sc.src.bannerTimeout), sc.src.volatile), nil
}

// notOpen reports whether a dial error is an answer about the port: refused
// or reset (closed), timed out (filtered, or no such host), or host
// unreachable (no such host on the local network).
func notOpen(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.EHOSTDOWN) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readBanner reads what the service sends within timeout: up to
// maxBannerRead bytes, stopping after the first non-blank line.
func readBanner(ctx context.Context, conn net.Conn, timeout time.Duration) []byte {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return nil
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, maxBannerRead)
	n := 0
	for n < len(buf) {
		m, err := conn.Read(buf[n:])
		n += m
		if err != nil || bytes.IndexByte(bytes.TrimLeft(buf[:n], " \t\r\n"), '\n') >= 0 {
			break
		}
	}
	return buf[:n]
}

// cleanBanner returns the first non-blank line of b when it is printable
// text, cut before volatile content, with white space collapsed and clipped
// to maxBanner characters; "" for binary data or nothing.
func cleanBanner(b []byte, volatile *regexp.Regexp) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	whole := false // b holds the whole line
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b, whole = b[:i], true
	}
	b = bytes.TrimRight(b, "\r")
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if !whole && !utf8.FullRune(b[i:]) {
				b = b[:i] // a character cut by the read limit
				break
			}
			return ""
		}
		if r != '\t' && !unicode.IsPrint(r) {
			return ""
		}
		i += size
	}
	s := string(b)
	if loc := volatile.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxBanner {
		s = string([]rune(s)[:maxBanner])
	}
	return strings.TrimRight(s, " ,;:-([{/")
}
