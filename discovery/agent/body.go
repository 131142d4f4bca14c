package agent

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
)

// Encoding is how an agent's request body, and so the server's reply, is
// compressed.
type Encoding int

// The encodings the Debian agents use: FusionInventory compresses with
// Compress::Zlib (RFC 1950) when it is installed, else with the gzip
// command (RFC 1952), else not at all; OCS Inventory's agent compresses
// with Compress::Zlib too.
const (
	Plain Encoding = iota
	Zlib
	Gzip
)

// String names the encoding ("plain", "zlib", "gzip").
func (e Encoding) String() string {
	switch e {
	case Zlib:
		return "zlib"
	case Gzip:
		return "gzip"
	}
	return "plain"
}

// ContentType is the Content-Type of a body so encoded:
// application/x-compress-zlib, application/x-compress (gzip) or
// application/xml.
func (e Encoding) ContentType() string {
	switch e {
	case Zlib:
		return "application/x-compress-zlib"
	case Gzip:
		return "application/x-compress"
	}
	return "application/xml"
}

// ErrTooLarge is wrapped by DecodeBody's error when the body, compressed or
// inflated, passes the limit (HTTP 413).
var ErrTooLarge = errors.New("request body too large")

// ErrEmpty is wrapped by DecodeBody's error when the body is empty.
var ErrEmpty = errors.New("empty request body")

// DecodeBody reads an agent's request body from r and returns it inflated,
// with the encoding it came in.
//
// The Content-Type chooses the compression: application/x-compress-zlib is
// zlib (RFC 1950); application/x-compress-gzip, application/x-gzip and
// application/gzip are gzip; application/x-compress is gzip when the body
// starts with gzip's magic bytes and zlib otherwise (the OCS Inventory agent
// labels its zlib bodies so); application/xml, text/xml and
// application/json (GLPI Agent) are plain. A missing or other Content-Type
// falls back to the body's first bytes: 0x1f 0x8b gzip, 0x78 zlib, '<' or
// '{' (after a byte-order mark or white space) plain.
//
// At most limit bytes are read from r and at most limit+1 are inflated
// (the decompressor is read through an io.LimitReader), so a compression
// bomb is refused after limit bytes of output, not after all of it: a body
// of more than limit bytes, compressed or inflated, is an error wrapping
// ErrTooLarge. The errors say what is wrong: a bad zlib or gzip header, a
// truncated stream, a checksum mismatch.
func DecodeBody(r io.Reader, contentType string, limit int64) ([]byte, Encoding, error) {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, Plain, fmt.Errorf("reading the request body: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, Plain, fmt.Errorf("the request body is longer than %d bytes: %w", limit, ErrTooLarge)
	}
	if len(raw) == 0 {
		return nil, Plain, ErrEmpty
	}
	enc, err := chooseEncoding(contentType, raw)
	if err != nil {
		return nil, Plain, err
	}
	switch enc {
	case Zlib:
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, enc, fmt.Errorf("inflating the zlib request body: %w", streamError(err))
		}
		out, err := inflate(zr, limit, len(raw))
		if err != nil {
			return nil, enc, fmt.Errorf("inflating the zlib request body: %w", err)
		}
		return out, enc, nil
	case Gzip:
		gr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, enc, fmt.Errorf("inflating the gzip request body: %w", streamError(err))
		}
		out, err := inflate(gr, limit, len(raw))
		if err != nil {
			return nil, enc, fmt.Errorf("inflating the gzip request body: %w", err)
		}
		return out, enc, nil
	}
	return raw, Plain, nil
}

// inflate reads at most limit+1 bytes from the decompressor d.
func inflate(d io.ReadCloser, limit int64, compressed int) ([]byte, error) {
	defer d.Close()
	// Most inventories inflate 8 to 15 times; start there to spare the
	// copies of growing from nothing.
	hint := int64(compressed) * 12
	if hint > limit+1 {
		hint = limit + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint))
	n, err := buf.ReadFrom(io.LimitReader(d, limit+1))
	if err != nil {
		return nil, streamError(err)
	}
	if n > limit {
		return nil, fmt.Errorf("it inflates past %d bytes: %w", limit, ErrTooLarge)
	}
	return buf.Bytes(), nil
}

// streamError says what a decompressor's error means.
func streamError(err error) error {
	switch {
	case errors.Is(err, zlib.ErrHeader):
		return fmt.Errorf("bad zlib header: %w", err)
	case errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("bad gzip header: %w", err)
	case errors.Is(err, zlib.ErrChecksum), errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("checksum mismatch (corrupted stream): %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("truncated stream: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// chooseEncoding picks the body's encoding from its Content-Type and, when
// that does not say, its first bytes.
func chooseEncoding(contentType string, raw []byte) (Encoding, error) {
	mt := strings.ToLower(strings.TrimSpace(contentType))
	if m, _, err := mime.ParseMediaType(contentType); err == nil {
		mt = m
	} else if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	switch mt {
	case "application/x-compress-zlib":
		return Zlib, nil
	case "application/x-compress-gzip", "application/x-gzip", "application/gzip":
		return Gzip, nil
	case "application/x-compress":
		if isGzip(raw) {
			return Gzip, nil
		}
		return Zlib, nil
	case "application/xml", "text/xml", "application/json":
		return Plain, nil
	}
	switch {
	case isGzip(raw):
		return Gzip, nil
	case raw[0] == 0x78:
		return Zlib, nil
	case looksXML(raw):
		return Plain, nil
	}
	return Plain, fmt.Errorf("unknown request body format (Content-Type %q, first byte 0x%02x): want zlib, gzip or XML", clip(contentType), raw[0])
}

func isGzip(raw []byte) bool { return len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b }

// looksXML reports whether raw starts with '<' (or '{', a GLPI Agent's
// JSON), after a UTF-8 byte-order mark and white space.
func looksXML(raw []byte) bool {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && (raw[0] == '<' || raw[0] == '{')
}

// EncodeBody writes body to w compressed with enc, as the agent's request
// was: zlib at the default level (its stream starts 0x78 0x9c, which
// FusionInventory's client looks for), gzip, or as is.
func EncodeBody(w io.Writer, enc Encoding, body []byte) error {
	switch enc {
	case Zlib:
		zw := zlib.NewWriter(w)
		if _, err := zw.Write(body); err != nil {
			return fmt.Errorf("compressing the reply: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compressing the reply: %w", err)
		}
		return nil
	case Gzip:
		gw := gzip.NewWriter(w)
		if _, err := gw.Write(body); err != nil {
			return fmt.Errorf("compressing the reply: %w", err)
		}
		if err := gw.Close(); err != nil {
			return fmt.Errorf("compressing the reply: %w", err)
		}
		return nil
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("writing the reply: %w", err)
	}
	return nil
}
