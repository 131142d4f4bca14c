package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// goodBackup is a backup of a database with rows in every table.
func goodBackup(t testing.TB) []byte {
	t.Helper()
	src := openDB(t, storetest.SQLiteDSN(t))
	fill(t, src)
	var b bytes.Buffer
	if _, err := Write(context.Background(), src.Store, &b, Options{SecretKey: testKey}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzip(t testing.TB, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVerifyFindsDamage: a flipped byte anywhere in the file, an edited
// value, a dropped row or a cut file fails --verify with an error that
// says what failed; the intact file passes.
func TestVerifyFindsDamage(t *testing.T) {
	ctx := context.Background()
	good := goodBackup(t)
	if _, err := Verify(ctx, bytes.NewReader(good), t.TempDir()); err != nil {
		t.Fatalf("Verify of an intact backup: %v", err)
	}
	text := gunzip(t, good)
	// A CI's row: edit its name.
	ciRow := regexp.MustCompile(`(?m)^(\[\d+,"[^"]*","[^"]*",")fra1-db01"`)
	if !ciRow.MatchString(text) {
		t.Fatal("the backup has no row for fra1-db01")
	}
	lines := strings.SplitAfter(text, "\n")
	dropRow := func() string {
		for i, l := range lines {
			if strings.HasPrefix(l, `{"table":"vendors"`) {
				return strings.Join(append(append([]string{}, lines[:i+1]...), lines[i+2:]...), "")
			}
		}
		t.Fatal("no vendors table")
		return ""
	}()
	cases := []struct {
		name string
		file []byte
		want string // a regexp the error must match
	}{
		{"edited value", gz(t, ciRow.ReplaceAllString(text, `${1}fra1-db99"`)), `table configuration_items: checksum mismatch`},
		{"edited value and its table checksum", gz(t, editEnd(t, ciRow.ReplaceAllString(text, `${1}fra1-db99"`))), `trailer: checksum mismatch`},
		{"dropped row", gz(t, dropRow), `table vendors: the file says \d+ rows, it holds \d+`},
		{"no trailer", gz(t, strings.Join(lines[:len(lines)-2], "")), `ends before its trailer: it is truncated`},
		{"cut in a line", gz(t, text[:len(text)/2]), `ends inside a line: it is truncated`},
		{"cut gzip stream", good[:len(good)*2/3], `unexpected EOF`},
		{"not gzip", []byte("hello\n"), `not a cairn backup`},
		{"another format", gz(t, `{"format":"other","version":1}`+"\n"), `not a cairn backup`},
		{"newer version", gz(t, `{"format":"cairn-backup","version":99}`+"\n"), `format version 99`},
		{"empty", gz(t, ""), `the file is empty`},
	}
	// A flipped byte at ten places through the compressed data.
	for i := 1; i <= 10; i++ {
		pos := 10 + (len(good)-18)*i/11
		bad := bytes.Clone(good)
		bad[pos] ^= 0x20
		cases = append(cases, struct {
			name string
			file []byte
			want string
		}{name: "flipped byte " + string(rune('0'+i-1)), file: bad, want: `(checksum mismatch|damaged|corrupt|truncated|invalid|not a row|a row|column|not a cairn backup|line \d+)`})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(ctx, bytes.NewReader(c.file), t.TempDir())
			if err == nil {
				t.Fatal("Verify passed a damaged backup")
			}
			if !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("Verify: %v\nwant an error matching %q", err, c.want)
			}
			t.Logf("%v", err)
		})
	}
}

// editEnd recomputes the checksum on configuration_items' end line, so
// only the trailer's file checksum can tell.
func editEnd(t testing.TB, text string) string {
	t.Helper()
	lines := strings.SplitAfter(text, "\n")
	var rows strings.Builder
	in := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, `{"table":"configuration_items"`):
			in = true
		case in && strings.HasPrefix(l, `{"end":`):
			sum := sha256Hex(rows.String())
			lines[i] = regexp.MustCompile(`"sha256":"[0-9a-f]+"`).ReplaceAllString(l, `"sha256":"`+sum+`"`)
			return strings.Join(lines, "")
		case in:
			rows.WriteString(l)
		}
	}
	t.Fatal("no configuration_items section")
	return ""
}
