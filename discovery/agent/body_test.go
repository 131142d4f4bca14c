package agent

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

const prolog = `<?xml version="1.0" encoding="UTF-8" ?>
<REQUEST><DEVICEID>h-1</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>`

func zlibOf(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeBody(&buf, Zlib, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeBody(&buf, Gzip, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeBody(t *testing.T) {
	plain := []byte(prolog)
	z, g := zlibOf(t, plain), gzipOf(t, plain)
	corrupt := bytes.Clone(z)
	corrupt[len(corrupt)-1] ^= 0xff // the Adler-32 checksum
	capturedFusion, err := os.ReadFile("testdata/prolog-fusion.zlib")
	if err != nil {
		t.Fatal(err)
	}
	capturedOCS, err := os.ReadFile("testdata/prolog-ocs.zlib")
	if err != nil {
		t.Fatal(err)
	}
	exact := []byte("<" + strings.Repeat("x", 98) + ">") // 100 bytes
	over := []byte("<" + strings.Repeat("x", 99) + ">")  // 101 bytes
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		limit             int64
		want              string // the inflated body's start, or the error's text
		enc               Encoding
		err               error // wrapped
		wantErr           bool
	}{
		{name: "plain by header", contentType: "application/xml", body: plain, want: "<?xml", enc: Plain},
		{name: "plain with parameters", contentType: "application/xml; charset=UTF-8", body: plain, want: "<?xml", enc: Plain},
		{name: "text/xml", contentType: "text/xml", body: plain, want: "<?xml", enc: Plain},
		{name: "plain by magic", body: plain, want: "<?xml", enc: Plain},
		{name: "JSON by header", contentType: "application/json", body: []byte(`{"action":"inventory"}`), want: "{", enc: Plain},
		{name: "JSON by magic", body: []byte(` {"action":"inventory"}`), want: " {", enc: Plain},
		{name: "zlib JSON", contentType: "application/x-compress-zlib", body: zlibOf(t, []byte(`{"action":"inventory"}`)), want: "{", enc: Zlib},
		{name: "plain with BOM by magic", contentType: "application/octet-stream", body: append([]byte("\xef\xbb\xbf\n"), plain...), want: "\xef\xbb\xbf\n<?xml", enc: Plain},
		{name: "zlib by header", contentType: "application/x-compress-zlib", body: z, want: "<?xml", enc: Zlib},
		{name: "zlib by magic", body: z, want: "<?xml", enc: Zlib},
		{name: "zlib labelled x-compress (OCS)", contentType: "application/x-compress", body: z, want: "<?xml", enc: Zlib},
		{name: "captured fusioninventory-agent PROLOG", contentType: "application/x-compress-zlib", body: capturedFusion, want: "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REQUEST>", enc: Zlib},
		{name: "captured ocsinventory-agent PROLOG", contentType: "application/x-compress", body: capturedOCS, want: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REQUEST>", enc: Zlib},
		{name: "gzip by x-compress", contentType: "application/x-compress", body: g, want: "<?xml", enc: Gzip},
		{name: "gzip by x-compress-gzip", contentType: "application/x-compress-gzip", body: g, want: "<?xml", enc: Gzip},
		{name: "gzip by x-gzip", contentType: "application/x-gzip", body: g, want: "<?xml", enc: Gzip},
		{name: "gzip by magic", body: g, want: "<?xml", enc: Gzip},
		{name: "truncated zlib", contentType: "application/x-compress-zlib", body: z[:len(z)/2], want: "truncated stream", wantErr: true},
		{name: "truncated zlib header", contentType: "application/x-compress-zlib", body: z[:1], want: "truncated stream", wantErr: true},
		{name: "truncated gzip", contentType: "application/x-compress-gzip", body: g[:len(g)-6], want: "truncated stream", wantErr: true},
		{name: "bad zlib header", contentType: "application/x-compress-zlib", body: plain, want: "bad zlib header", wantErr: true},
		{name: "bad gzip header", contentType: "application/x-gzip", body: plain, want: "bad gzip header", wantErr: true},
		{name: "checksum", contentType: "application/x-compress-zlib", body: corrupt, want: "checksum mismatch", wantErr: true},
		{name: "unknown format", body: []byte("hello"), want: "unknown request body format", wantErr: true},
		{name: "empty", contentType: "application/xml", body: nil, err: ErrEmpty, wantErr: true},
		{name: "plain at the limit", body: exact, limit: 100, want: string(exact), enc: Plain},
		{name: "plain past the limit", body: over, limit: 100, err: ErrTooLarge, wantErr: true},
		{name: "zlib inflating to the limit", contentType: "application/x-compress-zlib", body: zlibOf(t, exact), limit: 100, want: string(exact), enc: Zlib},
		{name: "zlib inflating past the limit", contentType: "application/x-compress-zlib", body: zlibOf(t, over), limit: 100, err: ErrTooLarge, wantErr: true},
		{name: "gzip inflating past the limit", contentType: "application/x-compress", body: gzipOf(t, over), limit: 100, err: ErrTooLarge, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = DefaultMaxBodyBytes
			}
			got, enc, err := DecodeBody(bytes.NewReader(tc.body), tc.contentType, limit)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("DecodeBody = %q, want an error", got)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Errorf("DecodeBody error %q does not wrap %q", err, tc.err)
				}
				if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
					t.Errorf("DecodeBody error %q, want it to say %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeBody: %v", err)
			}
			if !bytes.HasPrefix(got, []byte(tc.want)) || enc != tc.enc {
				t.Errorf("DecodeBody = %q, %s; want %q…, %s", clip(string(got)), enc, tc.want, tc.enc)
			}
		})
	}
}

// zerosBomb returns a zlib stream of n MiB of zeros, about 1 KiB of
// stream per MiB, built without compressing all of it: a deflate block of
// 1 MiB of zeros that only refers back into the window decodes the same
// after any earlier block of zeros, so the steady-state block is repeated.
func zerosBomb(t testing.TB, n int) []byte {
	t.Helper()
	chunk := make([]byte, 1<<20)
	var buf bytes.Buffer
	buf.Write([]byte{0x78, 0x9c})
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]byte
	for i := 0; i < 3; i++ {
		start := buf.Len()
		fw.Write(chunk)
		fw.Flush()
		blocks = append(blocks, bytes.Clone(buf.Bytes()[start:]))
	}
	if !bytes.Equal(blocks[1], blocks[2]) {
		t.Fatal("the deflate blocks of zeros do not repeat")
	}
	for i := 3; i < n; i++ {
		buf.Write(blocks[2])
	}
	fw.Close()
	// Adler-32 of n MiB of zeros: a = 1, b = n MiB mod 65521.
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], uint32((uint64(n)<<20)%65521)<<16|1)
	buf.Write(sum[:])
	return buf.Bytes()
}

// TestDecodeBodyBomb checks that 1 GiB of zeros compressed to about 1 MiB
// is refused after the limit, quickly, without inflating the rest.
func TestDecodeBodyBomb(t *testing.T) {
	bomb := zerosBomb(t, 1024)
	if len(bomb) > 2<<20 {
		t.Fatalf("the bomb is %d bytes, want about 1 MiB", len(bomb))
	}
	// The bomb is a valid stream: its first MiBs inflate to zeros.
	zr, err := zlib.NewReader(bytes.NewReader(bomb))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 3<<20)
	if _, err := zr.Read(head[:1]); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(make([]byte, 16<<20))
	gw.Close()
	// Concatenated gzip members are one stream: 64 × 16 MiB.
	gbomb := bytes.Repeat(gz.Bytes(), 64)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"zlib, 1 GiB", "application/x-compress-zlib", bomb},
		{"zlib by magic, 1 GiB", "", bomb},
		{"gzip members, 1 GiB", "application/x-compress", gbomb},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			got, _, err := DecodeBody(bytes.NewReader(tc.body), tc.contentType, DefaultMaxBodyBytes)
			took := time.Since(start)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodeBody of a %d-byte bomb = %d bytes, %v; want ErrTooLarge", len(tc.body), len(got), err)
			}
			if took > 2*time.Second {
				t.Errorf("refusing the bomb took %v: it inflated more than the limit", took)
			}
			t.Logf("%d-byte bomb refused in %v: %v", len(tc.body), took, err)
		})
	}
}

// TestDecodeBodyCompressedLimit checks that the compressed body is bounded
// too.
func TestDecodeBodyCompressedLimit(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i>>3)
	}
	z := zlibOf(t, random)
	_, _, err := DecodeBody(bytes.NewReader(z), "application/x-compress-zlib", int64(len(z)-1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeBody of %d compressed bytes with limit %d: %v, want ErrTooLarge", len(z), len(z)-1, err)
	}
}

func TestEncodeBody(t *testing.T) {
	body := PrologReply(24)
	for _, enc := range []Encoding{Plain, Zlib, Gzip} {
		var buf bytes.Buffer
		if err := EncodeBody(&buf, enc, body); err != nil {
			t.Fatal(err)
		}
		if enc == Zlib && !bytes.HasPrefix(buf.Bytes(), []byte{0x78, 0x9c}) {
			t.Errorf("zlib reply starts % x, want 78 9c (FusionInventory looks for it)", buf.Bytes()[:2])
		}
		got, genc, err := DecodeBody(&buf, enc.ContentType(), DefaultMaxBodyBytes)
		if err != nil || !bytes.Equal(got, body) || genc != enc {
			t.Errorf("EncodeBody(%s) does not decode back: %q, %s, %v", enc, got, genc, err)
		}
	}
	for enc, want := range map[Encoding]string{Plain: "application/xml", Zlib: "application/x-compress-zlib", Gzip: "application/x-compress"} {
		if got := enc.ContentType(); got != want {
			t.Errorf("%s.ContentType() = %q, want %q", enc, got, want)
		}
	}
}

func TestConfigLimit(t *testing.T) {
	for _, tc := range []struct {
		c    *Config
		want int64
	}{{nil, DefaultMaxBodyBytes}, {&Config{}, DefaultMaxBodyBytes}, {&Config{MaxBodyBytes: 1 << 20}, 1 << 20}} {
		if got := tc.c.Limit(); got != tc.want {
			t.Errorf("%+v.Limit() = %d, want %d", tc.c, got, tc.want)
		}
	}
	src, err := (&Config{}).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Discover(t.Context(), discoveryEnv()); !errors.Is(err, ErrAgentOnly) {
		t.Errorf("Discover = %v, want ErrAgentOnly", err)
	}
	if Kind().Name != "agent" {
		t.Errorf("Kind().Name = %q", Kind().Name)
	}
}
