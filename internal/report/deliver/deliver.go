// Package deliver hands rendered reports to their destinations: a directory
// on local disk, written atomically and pruned to a retention count, or a
// webhook, signed with HMAC-SHA256 and retried with backoff.
//
// The package knows nothing of the database or of report formats. A report
// arrives as a Body that streams itself into a writer; a webhook payload
// arrives as bytes.
package deliver

import (
	"io"
	"log/slog"
)

// Body writes one rendered report to w. The renderer streams into w; an error
// aborts the delivery.
type Body func(w io.Writer) error

// logger returns l, or a logger that discards everything when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
