package discovery

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// DefaultNmapBinaries are the programs an nmap-scan job may run unless the
// operator names others.
var DefaultNmapBinaries = []string{"/usr/bin/nmap", "/usr/local/bin/nmap"}

// Confinement is what the operator lets a saved discovery job touch on the
// machine Cairn runs on: the directories its files must lie in (the file,
// nmap and terraform sources' inputs, ssh's known_hosts file) and the nmap
// programs nmap-scan may run. A registry with a confinement (Registry.Confine)
// checks every config it decodes against it, when a job is saved and again
// when it runs; one built without one (install.Registry) is for the
// operator's own one-off runs from a shell, which read what the operator
// names.
//
// A path is resolved to the file it names, every symbolic link followed
// (filepath.EvalSymlinks), and must then lie inside one of the directories,
// so a link that leads out of them is refused. A relative path is taken
// inside the first directory.
type Confinement struct {
	dirs     []string // absolute, symlinks resolved
	binaries []string // absolute, clean
}

// NewConfinement returns the confinement to dirs (each must exist and be a
// directory) and the nmap programs binaries (absolute paths; none given
// means DefaultNmapBinaries).
func NewConfinement(dirs, binaries []string) (*Confinement, error) {
	c := &Confinement{}
	for _, d := range dirs {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("discovery directory %s: %w", d, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("discovery directory %s: %w", d, err)
		}
		fi, err := os.Stat(real)
		if err != nil {
			return nil, fmt.Errorf("discovery directory %s: %w", d, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("discovery directory %s is not a directory", d)
		}
		if !slices.Contains(c.dirs, real) {
			c.dirs = append(c.dirs, real)
		}
	}
	if len(c.dirs) == 0 {
		return nil, errors.New("no discovery directory is named")
	}
	if len(binaries) == 0 {
		binaries = DefaultNmapBinaries
	}
	for _, b := range binaries {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if !filepath.IsAbs(b) || filepath.Clean(b) != b {
			return nil, fmt.Errorf("nmap program %q: want an absolute, clean path", b)
		}
		if filepath.Base(b) != "nmap" {
			return nil, fmt.Errorf("nmap program %q: its file name must be nmap", b)
		}
		c.binaries = append(c.binaries, b)
	}
	return c, nil
}

// Dirs returns the directories, symlinks resolved.
func (c *Confinement) Dirs() []string { return slices.Clone(c.dirs) }

// Binaries returns the nmap programs nmap-scan may run.
func (c *Confinement) Binaries() []string { return slices.Clone(c.binaries) }

// Confined is a Config that touches the machine: Confine checks its paths
// and programs against c and replaces them with what they resolve to (the
// source then opens exactly the file that was checked). The error names the
// setting ("file: ...").
type Confined interface {
	Confine(c *Confinement) error
}

// Input resolves the path p of an input file (setting field): the file must
// exist, be a regular file and lie inside a directory of c.
func (c *Confinement) Input(field, p string) (string, error) {
	return c.resolve(field, p, false)
}

// Output resolves the path p of a file the source may create or append to
// (ssh's known_hosts with trust on first use): an existing file must be a
// regular file; a missing one's directory must exist; either way inside a
// directory of c.
func (c *Confinement) Output(field, p string) (string, error) {
	return c.resolve(field, p, true)
}

func (c *Confinement) resolve(field, p string, create bool) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", fmt.Errorf("%s: is required", field)
	}
	shown := textclip.Message(p)
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%s: %q is not a path", field, shown)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dirs[0], p)
	}
	p = filepath.Clean(p)
	outside := fmt.Errorf("%s: %q is outside the discovery directories (%s): put the file there, or start cairn with --discovery-dir naming its directory",
		field, shown, strings.Join(c.dirs, ", "))
	lfi, lerr := os.Lstat(p)
	switch {
	case lerr == nil:
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			// A link that leads nowhere: creating the file would follow it.
			return "", fmt.Errorf("%s: %q is a symbolic link that leads to no file", field, shown)
		}
		if !c.inside(real) {
			if lfi.Mode()&fs.ModeSymlink != 0 || real != p {
				return "", fmt.Errorf("%s: %q leads (through a symbolic link) outside the discovery directories (%s)", field, shown, strings.Join(c.dirs, ", "))
			}
			return "", outside
		}
		fi, err := os.Stat(real)
		if err != nil {
			return "", fmt.Errorf("%s: %q: %w", field, shown, cause(err))
		}
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%s: %q is not a regular file", field, shown)
		}
		return real, nil
	case !errors.Is(lerr, fs.ErrNotExist):
		return "", fmt.Errorf("%s: %q cannot be read: %w", field, shown, cause(lerr))
	case !create:
		if !c.insideLexically(p) {
			return "", outside
		}
		return "", fmt.Errorf("%s: %q does not exist", field, shown)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		if !c.insideLexically(p) {
			return "", outside
		}
		return "", fmt.Errorf("%s: the directory of %q does not exist", field, shown)
	}
	real := filepath.Join(dir, filepath.Base(p))
	if !c.inside(real) {
		return "", outside
	}
	return real, nil
}

// inside reports whether real (symlinks resolved) lies strictly inside one
// of c's directories.
func (c *Confinement) inside(real string) bool {
	for _, d := range c.dirs {
		if rel, err := filepath.Rel(d, real); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// insideLexically is inside for a path that does not exist (yet): only to
// choose the better message.
func (c *Confinement) insideLexically(p string) bool { return c.inside(p) }

// Program checks the nmap program binary: "" or "nmap" is the first of the
// allowed programs that exists; anything else must be one of them by its
// absolute path, and must be an executable regular file.
func (c *Confinement) Program(field, binary string) (string, error) {
	if binary == "" || binary == "nmap" {
		for _, b := range c.binaries {
			if executable(b) == nil {
				return b, nil
			}
		}
		return "", fmt.Errorf("%s: nmap is not installed at %s: install it, or start cairn with --nmap-binary naming it", field, strings.Join(c.binaries, " or "))
	}
	if !filepath.IsAbs(binary) {
		return "", fmt.Errorf("%s: %q: want the absolute path of nmap, one of %s", field, textclip.Message(binary), strings.Join(c.binaries, ", "))
	}
	if !slices.Contains(c.binaries, filepath.Clean(binary)) {
		return "", fmt.Errorf("%s: %q is not an nmap program this server allows (%s; the operator names others with --nmap-binary)",
			field, textclip.Message(binary), strings.Join(c.binaries, ", "))
	}
	if err := executable(binary); err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return filepath.Clean(binary), nil
}

// executable checks that path (symlinks followed) is a regular file someone
// may execute.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot run %s: %w", path, cause(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("cannot run %s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("cannot run %s: not executable", path)
	}
	return nil
}

// cause drops the path from a *fs.PathError: messages name the path as the
// job wrote it, not what it resolved to.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
