package deliver

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook defaults and limits.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 4
	DefaultBackoff     = time.Second

	maxBackoff    = 30 * time.Second
	maxRetryAfter = 60 * time.Second
	drainLimit    = 64 << 10
)

// Headers set on every webhook request. They take precedence over headers
// passed to Post.
const (
	HeaderSignature = "X-Cairn-Signature"
	HeaderDelivery  = "X-Cairn-Delivery"
	UserAgent       = "cairn-report/1"
)

// Webhook posts JSON payloads to a URL, signed and retried.
//
// Each Post makes up to MaxAttempts attempts, each bounded by Timeout. It
// retries network errors, timeouts and responses 408, 425, 429 and 5xx,
// waiting Backoff before the first retry and doubling the wait each time, up
// to 30s, with ±20% jitter; a Retry-After on 429 or 503 is honoured instead,
// up to 60s. Other statuses are final: 2xx succeeds, 3xx (redirects are
// never followed) and other 4xx fail at once.
//
// Every connection is checked where it is made, after DNS resolution, by
// Egress (see Egress.Check): a name that resolves to a loopback,
// link-local or unspecified address is refused like the address itself,
// whatever it resolved to when the schedule was saved, and so is any
// connection a redirect would make. No proxy from the environment is used:
// a proxy would make the connection the check sees.
//
// Error messages and log records name only the scheme and host of URL,
// since webhook URLs often carry a token in their path or query, and of a
// reply only its status (StatusError): the body is never kept.
type Webhook struct {
	// URL is the http or https endpoint.
	URL string
	// Secret keys the X-Cairn-Signature header; empty omits the header.
	Secret []byte
	// Timeout bounds each attempt, reading the response included; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts bounds the attempts; zero or less means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the wait before the first retry; zero or less means
	// DefaultBackoff.
	Backoff time.Duration
	// Rand is the jitter source. nil means a source seeded from
	// crypto/rand for each Post. A *rand.Rand is not safe for concurrent
	// use: do not share one between concurrent Posts.
	Rand *rand.Rand
	// Egress says which addresses the webhook may reach; its zero value
	// refuses loopback, link-local, unspecified, multicast and broadcast
	// addresses.
	Egress Egress
	// Logger receives a record per failed attempt; nil discards.
	Logger *slog.Logger
}

// Result describes a Post.
type Result struct {
	// Attempts is the number of requests sent (or tried).
	Attempts int
	// Status is the HTTP status of the last response, 0 if there was none.
	Status int
	// Err describes the last failure; empty on success.
	Err string
	// Delivery is the X-Cairn-Delivery id, the same for every attempt.
	Delivery string
}

// StatusError is an attempt's failure by HTTP status. It holds the status
// code only: the reply's body, reason phrase and headers are the receiver's
// words, which a delivery error (read by whoever reads report runs) never
// repeats.
type StatusError struct {
	Code int
}

// Error is the status line as Go names the code, "status 500 Internal
// Server Error", and for a redirect that it was not followed.
func (e *StatusError) Error() string {
	msg := "status " + strconv.Itoa(e.Code)
	if text := http.StatusText(e.Code); text != "" {
		msg += " " + text
	}
	if e.Code >= 300 && e.Code < 400 {
		msg += " (redirect not followed)"
	}
	return msg
}

// Post sends payload with Content-Type application/json and the given extra
// headers, retrying as described on Webhook. It returns the Result in every
// case, and an error if no attempt succeeded: the last failure (a
// *StatusError or the network error), or ctx's error if ctx ended first.
func (h Webhook) Post(ctx context.Context, payload []byte, headers map[string]string) (Result, error) {
	var res Result
	target, err := parseWebhookURL(h.URL)
	if err != nil {
		return res, fmt.Errorf("post webhook: %w", err)
	}
	site := target.Scheme + "://" + target.Host
	header, err := buildHeader(headers)
	if err != nil {
		return res, fmt.Errorf("post webhook %s: %w", site, err)
	}
	res.Delivery = newDeliveryID()
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", UserAgent)
	header.Set(HeaderDelivery, res.Delivery)
	if len(h.Secret) > 0 {
		header.Set(HeaderSignature, Sign(h.Secret, payload))
	}

	timeout := orDefault(h.Timeout, DefaultTimeout)
	maxAttempts := orDefault(h.MaxAttempts, DefaultMaxAttempts)
	backoff := orDefault(h.Backoff, DefaultBackoff)
	rng := h.Rand
	if rng == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // never fails
		rng = rand.New(rand.NewChaCha8(seed))
	}
	client := h.Egress.client()
	defer client.CloseIdleConnections()
	log := logger(h.Logger).With("webhook", site, "delivery", res.Delivery)

	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		out := attemptPost(ctx, client, target.String(), payload, header, timeout)
		res.Status = out.status
		if out.err == nil {
			res.Err = ""
			log.DebugContext(ctx, "webhook delivered", "attempts", attempt, "status", out.status)
			return res, nil
		}
		res.Err = out.err.Error()
		if ctx.Err() != nil {
			return res, fmt.Errorf("post webhook %s: attempt %d: %w", site, attempt, out.err)
		}
		if !out.retry {
			return res, fmt.Errorf("post webhook %s: attempt %d, not retried: %w", site, attempt, out.err)
		}
		if attempt >= maxAttempts {
			return res, fmt.Errorf("post webhook %s: giving up after %d attempts: %w", site, attempt, out.err)
		}
		wait := out.retryAfter
		if wait < 0 {
			wait = backoffDelay(backoff, attempt, rng)
		}
		log.WarnContext(ctx, "webhook attempt failed, retrying",
			"attempt", attempt, "status", out.status, "err", out.err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fmt.Errorf("post webhook %s: stopped waiting after %d attempts (last: %v): %w",
				site, attempt, out.err, ctx.Err())
		case <-t.C:
		}
	}
}

// outcome is the result of one attempt.
type outcome struct {
	status int
	err    error
	retry  bool
	// retryAfter is the server's requested wait, or negative for none.
	retryAfter time.Duration
}

// attemptPost sends one request bounded by timeout and classifies the result.
func attemptPost(ctx context.Context, client *http.Client, target string, payload []byte, header http.Header, timeout time.Duration) outcome {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return outcome{err: fmt.Errorf("build request: %w", err), retryAfter: -1}
	}
	req.Header = header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		// Drop the *url.Error wrapper: its message repeats the full URL.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		var refused *RefusedError
		switch {
		case errors.As(err, &refused):
			return outcome{err: refused, retryAfter: -1}
		case ctx.Err() != nil:
			return outcome{err: err, retryAfter: -1}
		case errors.Is(actx.Err(), context.DeadlineExceeded):
			return outcome{err: fmt.Errorf("no response within %s: %w", timeout, err), retry: true, retryAfter: -1}
		}
		return outcome{err: err, retry: true, retryAfter: -1}
	}
	defer resp.Body.Close()

	out := outcome{status: resp.StatusCode, retryAfter: -1}
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		return out
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	out.err = &StatusError{Code: code}
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code >= 500 && code < 600:
		out.retry = true
	case code == http.StatusTooManyRequests:
		out.retry = true
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			out.retryAfter = d
		}
	}
	return out
}

// parseRetryAfter parses a Retry-After value, delay-seconds or an HTTP date,
// capped at 60s.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// backoffDelay is the wait after the attempt'th failure: base doubled per
// earlier retry, with ±20% jitter, capped at 30s.
func backoffDelay(base time.Duration, attempt int, rng *rand.Rand) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	jittered := time.Duration(float64(d) * (0.8 + 0.4*rng.Float64()))
	return min(jittered, maxBackoff)
}

// parseWebhookURL accepts absolute http and https URLs only.
func parseWebhookURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors quote the URL; do not repeat it.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("invalid url: %w", err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, fmt.Errorf("url scheme %q not supported: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("url has no host")
	}
	return u, nil
}

// buildHeader validates caller-supplied headers so that a malformed one
// fails at once instead of being retried as a transport error.
func buildHeader(headers map[string]string) (http.Header, error) {
	h := make(http.Header, len(headers)+4)
	for k, v := range headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("invalid header name %q", k)
		}
		if !validHeaderValue(v) {
			return nil, fmt.Errorf("invalid value for header %s", k)
		}
		h.Set(k, v)
	}
	return h, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// newDeliveryID returns a random version 4 UUID.
func newDeliveryID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// orDefault returns v if positive, else def.
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
