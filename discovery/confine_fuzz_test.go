package discovery

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExpandTargets: whatever a job's targets hold, expanding them never
// panics and never yields a host that a program could read as an option.
func FuzzExpandTargets(f *testing.F) {
	for _, s := range []string{"10.0.0.0/30", "db01", "db01:2222", "[::1]:22", "-iL/etc/shadow", "--script=x", "a b", "::1/127", "10.0.0.0/8", "\x00", "ⅰ.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hosts, err := ExpandTargets(strings.Split(s, "\n"), 256)
		if err != nil {
			return
		}
		for _, h := range hosts {
			if strings.HasPrefix(h, "-") {
				t.Fatalf("ExpandTargets(%q) yields %q", s, h)
			}
		}
	})
}

// FuzzConfinementInput: a path the confinement accepts resolves to a
// regular file inside the directory, whatever the path says.
func FuzzConfinementInput(f *testing.F) {
	root := f.TempDir()
	dir := filepath.Join(root, "d")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o700); err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "sub", "b.csv"), filepath.Join(root, "secret")} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "secret"), filepath.Join(dir, "out")); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(dir, "up")); err != nil {
		f.Fatal(err)
	}
	c, err := NewConfinement([]string{dir}, nil)
	if err != nil {
		f.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	for _, s := range []string{"a.csv", "sub/../a.csv", "../secret", "out", "up/secret", "up/d/a.csv", "/etc/passwd", "", ".", "sub"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := c.Input("file", p)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, real+string(filepath.Separator)) {
			t.Fatalf("Input(%q) = %q, outside %s", p, got, real)
		}
		if fi, err := os.Lstat(got); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("Input(%q) = %q, not a regular file: %v", p, got, err)
		}
	})
}
