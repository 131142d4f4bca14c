package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var errBoom = errors.New("boom")

func text(s string) Body {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDirectoryWriteNames(t *testing.T) {
	plus5 := time.FixedZone("+05", 5*3600)
	at := time.Date(2024, 3, 5, 19, 7, 9, 0, plus5) // 14:07:09 UTC
	tests := []struct {
		name, prefix, ext, want string
	}{
		{"utc stamp", "inventory", "csv", "inventory-20240305-140709.csv"},
		{"leading dot in ext", "inventory", ".json", "inventory-20240305-140709.json"},
		{"compound ext", "costs", "csv.gz", "costs-20240305-140709.csv.gz"},
		{"spaces and non-ascii", "Weekly Costs €", "csv", "Weekly-Costs---20240305-140709.csv"},
		{"path separators", "../../etc/passwd", "txt", "-.-..-etc-passwd-20240305-140709.txt"},
		{"leading dot", ".hidden", "csv", "-hidden-20240305-140709.csv"},
		{"allowed punctuation", "a.b_c-D9", "csv", "a.b_c-D9-20240305-140709.csv"},
		{"empty", "", "csv", "report-20240305-140709.csv"},
		{"long", strings.Repeat("x", 300), "csv", strings.Repeat("x", 100) + "-20240305-140709.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "missing", "reports")
			d := Directory{Path: dir, Now: fixedNow(at)}
			path, size, err := d.Write(t.Context(), tt.prefix, tt.ext, text("hello\n"))
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.want); path != want {
				t.Errorf("path = %q, want %q", path, want)
			}
			if size != 6 {
				t.Errorf("size = %d, want 6", size)
			}
			if got := readFile(t, path); got != "hello\n" {
				t.Errorf("content = %q", got)
			}
			if got := listDir(t, dir); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("directory holds %q, want only %q", got, tt.want)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// Issue 13: reports are the operator's, 0600 in 0700
			// directories unless the operator says otherwise.
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
			}
			di, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{dir, filepath.Dir(dir)} {
				if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
					t.Errorf("created directory %s: mode %v, %v; want 0700", d, fi.Mode().Perm(), err)
				}
			}
			if !di.IsDir() {
				t.Errorf("%s is not a directory", dir)
			}
		})
	}
}

func TestDirectoryWriteLarge(t *testing.T) {
	dir := t.TempDir()
	want := bytes.Repeat([]byte("0123456789abcdef"), 50_000) // 800 kB, many buffer flushes
	body := func(w io.Writer) error {
		for chunk := range slices.Chunk(want, 1000) {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	}
	path, size, err := Directory{Path: dir}.Write(t.Context(), "big", "bin", body)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(want)) {
		t.Errorf("size = %d, want %d", size, len(want))
	}
	if got := readFile(t, path); got != string(want) {
		t.Errorf("content differs (%d bytes read)", len(got))
	}
}

func TestDirectoryWriteInvalid(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		d    Directory
		ext  string
		body Body
		want string
	}{
		{"no path", Directory{}, "csv", text("x"), "directory path is empty"},
		{"nil body", Directory{Path: dir}, "csv", nil, "body is nil"},
		{"empty ext", Directory{Path: dir}, "", text("x"), "invalid file extension"},
		{"dot ext", Directory{Path: dir}, ".", text("x"), "invalid file extension"},
		{"separator in ext", Directory{Path: dir}, "c/sv", text("x"), "invalid file extension"},
		{"double dot ext", Directory{Path: dir}, "csv..gz", text("x"), "invalid file extension"},
		{"space in ext", Directory{Path: dir}, "c sv", text("x"), "invalid file extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.d.Write(t.Context(), "r", tt.ext, tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if got := listDir(t, dir); len(got) != 0 {
				t.Errorf("directory holds %q, want nothing", got)
			}
		})
	}
}

func TestDirectoryWriteAtomic(t *testing.T) {
	half := bytes.Repeat([]byte("x"), 100_000) // beyond the buffer: reaches the temporary file
	tests := []struct {
		name    string
		body    func(cancel context.CancelFunc) Body
		wantErr error
	}{
		{
			name: "body fails halfway",
			body: func(context.CancelFunc) Body {
				return func(w io.Writer) error {
					if _, err := w.Write(half); err != nil {
						return err
					}
					return errBoom
				}
			},
			wantErr: errBoom,
		},
		{
			name: "cancelled halfway",
			body: func(cancel context.CancelFunc) Body {
				return func(w io.Writer) error {
					if _, err := w.Write(half); err != nil {
						return err
					}
					cancel()
					_, err := w.Write(half)
					return err
				}
			},
			wantErr: context.Canceled,
		},
		{
			name: "cancelled after body, errors ignored",
			body: func(cancel context.CancelFunc) Body {
				return func(w io.Writer) error {
					_, _ = w.Write(half)
					cancel()
					_, _ = w.Write(half)
					return nil
				}
			},
			wantErr: context.Canceled,
		},
		{
			name: "cancelled before",
			body: func(cancel context.CancelFunc) Body {
				cancel()
				return text("never")
			},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			path, size, err := Directory{Path: dir}.Write(ctx, "r", "csv", tt.body(cancel))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if path != "" || size != 0 {
				t.Errorf("got path %q size %d with error", path, size)
			}
			if got := listDir(t, dir); len(got) != 0 {
				t.Errorf("directory holds %q, want nothing", got)
			}
		})
	}
}

func TestDirectoryWritePanicLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic did not propagate")
			}
		}()
		_, _, _ = Directory{Path: dir}.Write(t.Context(), "r", "csv", func(w io.Writer) error {
			_, _ = io.WriteString(w, "partial")
			panic("renderer bug")
		})
	}()
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("directory holds %q, want nothing", got)
	}
}

func TestDirectoryCollision(t *testing.T) {
	dir := t.TempDir()
	d := Directory{Path: dir, Now: fixedNow(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}
	want := []string{
		"r-20240102-030405.csv",
		"r-20240102-030405-2.csv",
		"r-20240102-030405-3.csv",
	}
	for i, name := range want {
		path, _, err := d.Write(t.Context(), "r", "csv", text(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(path) != name {
			t.Errorf("write %d: name = %q, want %q", i, filepath.Base(path), name)
		}
	}
	for i, name := range want {
		if got := readFile(t, filepath.Join(dir, name)); got != fmt.Sprint(i) {
			t.Errorf("%s = %q, want %q", name, got, fmt.Sprint(i))
		}
	}
}

func TestDirectoryRetention(t *testing.T) {
	dir := t.TempDir()
	unrelated := []string{
		".r-123456.tmp",                              // someone's temporary file
		"notes.txt",                                  // plain file
		"r-latest.csv",                               // prefix but no stamp
		"r-20200101-000000.json",                     // other extension
		"r-20200101-000000.csv.bak",                  // other extension
		"r-extra-20200101-000000.csv",                // longer prefix
		"other-20200101-000000.csv",                  // other prefix
		"r-20200101-000000-01.csv",                   // non-canonical sequence
		"r-20200101-000000-1.csv",                    // sequence 1 is never written
		"r-20201301-000000.csv",                      // month 13
		"r-2020010-1000000.csv",                      // misplaced dash
		"R-20200101-000000.csv",                      // case differs
		"r-20200101-000000.csvx",                     // ext is a prefix of this one
		"xr-20200101-000000.csv",                     // prefix is a suffix of this one
		"r-20200101-000000-2-3.csv",                  // two sequences
		"r-20200101-000000.tar.csv.gz",               // other extension
		"r-20200101-000000-2.csv.orig",               // other extension
		"r-20200101-000000-abc.csv",                  // sequence not a number
		"r-20200101-000000--2.csv",                   // double dash
		"r-20200101-000000 .csv",                     // trailing space
		"r-20200101-000000-2 .csv",                   // trailing space
		"r-99999999-999999.csv",                      // not a time
		"r-20200101-000000-0.csv",                    // sequence 0
		"r-20200101-000000-+2.csv",                   // signed
		"r-20200101-000000-\u0662.csv",               // non-ASCII digit
		"r--20200101-000000.csv",                     // empty middle part
		"r-20200101-000000-99999999999999999999.csv", // overflow
	}
	for _, name := range unrelated {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory shaped like a report is not a report.
	if err := os.Mkdir(filepath.Join(dir, "r-20190101-000000.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	unrelated = append(unrelated, "r-20190101-000000.csv")
	// Old reports from an earlier run are subject to retention.
	for _, name := range []string{"r-20200101-000000.csv", "r-20200101-000000-2.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var written []string
	for i := range 6 {
		d := Directory{Path: dir, Retain: 3, Now: fixedNow(base.Add(time.Duration(i) * time.Hour))}
		path, _, err := d.Write(t.Context(), "r", "csv", text(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, filepath.Base(path))
	}
	want := append(slices.Clone(unrelated), written[3:]...)
	slices.Sort(want)
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds\n%q\nwant\n%q", got, want)
	}
}

func TestDirectoryRetentionCounts(t *testing.T) {
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	hours := func(hs ...int) []time.Time {
		var ts []time.Time
		for _, h := range hs {
			ts = append(ts, base.Add(time.Duration(h)*time.Hour))
		}
		return ts
	}
	tests := []struct {
		name   string
		retain int
		writes []time.Time
		want   []string
	}{
		{
			name:   "default keeps 30",
			writes: hours(upTo(33)...),
			want: func() []string {
				var names []string
				for i := 3; i < 33; i++ {
					names = append(names, "r-"+base.Add(time.Duration(i)*time.Hour).Format(stampLayout)+".csv")
				}
				return names
			}(),
		},
		{
			name:   "negative keeps all",
			retain: -1,
			writes: hours(0, 1, 2),
			want:   []string{"r-20240601-000000.csv", "r-20240601-010000.csv", "r-20240601-020000.csv"},
		},
		{
			name:   "retain one",
			retain: 1,
			writes: hours(0, 1, 2),
			want:   []string{"r-20240601-020000.csv"},
		},
		{
			name:   "same stamp: newest by mod time",
			retain: 2,
			writes: hours(5, 5, 5),
			want:   []string{"r-20240601-050000-2.csv", "r-20240601-050000-3.csv"},
		},
		{
			name:   "clock went back: the report just written is kept",
			retain: 2,
			writes: hours(3, 2, 1),
			want:   []string{"r-20240601-010000.csv", "r-20240601-030000.csv"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, at := range tt.writes {
				d := Directory{Path: dir, Retain: tt.retain, Now: fixedNow(at)}
				if _, _, err := d.Write(t.Context(), "r", "csv", text("x")); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond) // distinct mod times
			}
			if got := listDir(t, dir); !slices.Equal(got, tt.want) {
				t.Errorf("directory holds\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// upTo returns 0, 1, …, n-1.
func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestDirectoryConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	d := Directory{Path: dir, Retain: 100, Now: fixedNow(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}
	const n = 24
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := strings.Repeat(fmt.Sprintf("writer %d\n", i), 2000)
			paths[i], _, errs[i] = d.Write(t.Context(), "same", "txt", text(body))
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if j, dup := seen[paths[i]]; dup {
			t.Fatalf("writers %d and %d both got %s", j, i, paths[i])
		}
		seen[paths[i]] = i
		want := strings.Repeat(fmt.Sprintf("writer %d\n", i), 2000)
		if got := readFile(t, paths[i]); got != want {
			t.Errorf("writer %d: %s holds another writer's report", i, paths[i])
		}
	}
	if got := listDir(t, dir); len(got) != n {
		t.Errorf("directory holds %d files, want %d: %q", len(got), n, got)
	}
}

func TestParseReportName(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		seq     int
		stamped string
	}{
		{"r-20240102-030405.csv", true, 1, "20240102-030405"},
		{"r-20240102-030405-2.csv", true, 2, "20240102-030405"},
		{"r-20240102-030405-123.csv", true, 123, "20240102-030405"},
		{"r-20240102-030405-1.csv", false, 0, ""},
		{"r-20240102-030405-02.csv", false, 0, ""},
		{"r-20240102-030405.csv.gz", false, 0, ""},
		{"r-x-20240102-030405.csv", false, 0, ""},
		{"r-20240230-030405.csv", false, 0, ""},
		{"r-20240102-250405.csv", false, 0, ""},
		{"r-20240102-030405", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stamp, seq, ok := parseReportName(tt.name, "r", "csv")
			if ok != tt.ok || seq != tt.seq {
				t.Fatalf("parse = (%v, %d, %v), want (_, %d, %v)", stamp, seq, ok, tt.seq, tt.ok)
			}
			if ok && stamp.Format(stampLayout) != tt.stamped {
				t.Errorf("stamp = %s, want %s", stamp.Format(stampLayout), tt.stamped)
			}
		})
	}
}

// TestDirectoryModes: the operator's modes apply to files and the
// directories Write creates (issue 13: --report-file-mode, --report-dir-mode).
func TestDirectoryModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared", "reports")
	d := Directory{Path: dir, FileMode: 0o640, DirMode: 0o750}
	path, _, err := d.Write(t.Context(), "r", "csv", text("x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v, %v; want 0640", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&^0o022 != 0o750&^0o022 {
		t.Errorf("directory mode %v, %v; want 0750 (less the umask)", fi.Mode().Perm(), err)
	}
}
