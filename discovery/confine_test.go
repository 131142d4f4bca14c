package discovery

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// confinedTree is a discovery directory holding an inventory, a link to a
// file outside it, a link within it, a dangling link, a FIFO and a
// subdirectory; and a file outside.
func confinedTree(t *testing.T) (dir, outside string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "discovery")
	outside = filepath.Join(root, "shadow")
	for _, d := range []string{dir, filepath.Join(dir, "sub")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{outside, filepath.Join(dir, "inv.csv"), filepath.Join(dir, "sub", "known_hosts")} {
		if err := os.WriteFile(f, []byte("name\nweb01\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{
		"escape.csv":   outside,
		"alias.csv":    "inv.csv",
		"dangling.csv": filepath.Join(root, "nothing-here"),
		"subdir-link":  root, // a directory link leading out
	} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, outside
}

func TestConfinementPaths(t *testing.T) {
	dir, outside := confinedTree(t)
	c, err := NewConfinement([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	real := func(p string) string {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		path   string
		create bool
		want   string // resolved path, or "" for an error
		err    string
	}{
		{"relative in the first directory", "inv.csv", false, real(filepath.Join(dir, "inv.csv")), ""},
		{"absolute inside", filepath.Join(dir, "sub", "known_hosts"), false, real(filepath.Join(dir, "sub", "known_hosts")), ""},
		{"link within", "alias.csv", false, real(filepath.Join(dir, "inv.csv")), ""},
		{"outside", outside, false, "", "is outside the discovery directories"},
		{"system file", "/etc/passwd", false, "", "is outside the discovery directories"},
		{"dot-dot out", "../shadow", false, "", "is outside the discovery directories"},
		{"link out", "escape.csv", false, "", "leads (through a symbolic link) outside"},
		{"directory link out", "subdir-link/shadow", false, "", "leads (through a symbolic link) outside"},
		{"dangling link", "dangling.csv", true, "", "symbolic link that leads to no file"},
		{"fifo", "fifo.csv", false, "", "is not a regular file"},
		{"directory", "sub", false, "", "is not a regular file"},
		{"the directory itself", ".", false, "", "outside the discovery directories"},
		{"missing input", "nothing.csv", false, "", "does not exist"},
		{"new output inside", "sub/new_known_hosts", true, filepath.Join(real(filepath.Join(dir, "sub")), "new_known_hosts"), ""},
		{"existing empty file outside for output", outside, true, "", "is outside the discovery directories"},
		{"new output outside", filepath.Join(filepath.Dir(outside), "new"), true, "", "is outside the discovery directories"},
		{"new output through a link out", "subdir-link/new", true, "", "is outside the discovery directories"},
		{"output in a missing directory", "nowhere/known_hosts", true, "", "directory of"},
		{"empty", "", false, "", "is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var err error
			if tc.create {
				got, err = c.Output("file", tc.path)
			} else {
				got, err = c.Input("file", tc.path)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("(%q) = %q, %v; want an error containing %q", tc.path, got, err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "file: ") {
					t.Errorf("error %q does not name the setting", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
}

func TestNewConfinement(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		dirs, bins []string
		err        string
	}{
		{"no directory", nil, nil, "no discovery directory"},
		{"missing directory", []string{filepath.Join(dir, "missing")}, nil, "no such file"},
		{"a file", []string{file}, nil, "is not a directory"},
		{"relative program", []string{dir}, []string{"nmap"}, "absolute, clean path"},
		{"program not named nmap", []string{dir}, []string{"/bin/sh"}, "must be nmap"},
	} {
		if _, err := NewConfinement(tc.dirs, tc.bins); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: NewConfinement = %v, want %q", tc.name, err, tc.err)
		}
	}
	c, err := NewConfinement([]string{dir, dir + "/", " "}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Dirs()) != 1 || strings.Join(c.Binaries(), ",") != "/usr/bin/nmap,/usr/local/bin/nmap" {
		t.Errorf("dirs %q, binaries %q", c.Dirs(), c.Binaries())
	}
}

func TestConfinementProgram(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "bin", "nmap")
	if err := os.MkdirAll(filepath.Dir(fake), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	noexec := filepath.Join(dir, "noexec", "nmap")
	if err := os.MkdirAll(filepath.Dir(noexec), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noexec, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dirAsProgram := filepath.Join(dir, "d", "nmap")
	if err := os.MkdirAll(dirAsProgram, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other", "nmap")
	if err := os.MkdirAll(filepath.Dir(other), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	c, err := NewConfinement([]string{dir}, []string{filepath.Join(dir, "missing", "nmap"), fake, noexec, dirAsProgram})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		binary, want, err string
	}{
		{"nmap", fake, ""}, // the first allowed program that exists
		{"", fake, ""},
		{fake, fake, ""},
		{other, "", "is not an nmap program this server allows"},
		{"/bin/sh", "", "is not an nmap program this server allows"},
		{"bin/nmap", "", "want the absolute path"},
		{noexec, "", "not executable"},
		{dirAsProgram, "", "not a regular file"},
		{filepath.Join(dir, "missing", "nmap"), "", "cannot run"},
	} {
		got, err := c.Program("binary", tc.binary)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Program(%q) = %q, %v; want an error containing %q", tc.binary, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Program(%q) = %q, %v; want %q", tc.binary, got, err, tc.want)
		}
	}
	none, err := NewConfinement([]string{dir}, []string{filepath.Join(dir, "missing", "nmap")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Program("binary", "nmap"); err == nil || !strings.Contains(err.Error(), "nmap is not installed at") {
		t.Errorf("no nmap installed: %v", err)
	}
}
