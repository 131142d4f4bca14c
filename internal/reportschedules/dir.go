package reportschedules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Directory is where a schedule's directory setting puts its reports: with
// a report root (Runner.Root, --report-root), a relative directory is taken
// inside it and any directory must lie inside it once symbolic links are
// resolved (the root itself included), so no schedule writes elsewhere;
// without one (tests, library use) the directory is used as given. The
// error says what is wrong with the setting.
func (r *Runner) Directory(dir string) (string, error) {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return "", errors.New("is empty")
	}
	if strings.ContainsRune(dir, 0) {
		return "", fmt.Errorf("%q is not a path", textclip.Message(dir))
	}
	if r.Root == "" {
		return dir, nil
	}
	root, err := filepath.Abs(r.Root)
	if err != nil {
		return "", fmt.Errorf("report root %s: %w", r.Root, err)
	}
	realRoot, err := resolveExisting(root)
	if err != nil {
		return "", fmt.Errorf("report root %s: %w", r.Root, err)
	}
	p := dir
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	real, err := resolveExisting(filepath.Clean(p))
	if err != nil {
		return "", fmt.Errorf("%q: %w", textclip.Message(dir), err)
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%q is outside the report root %s: give a directory inside it (a relative one is taken there), or start cairn with another --report-root",
			textclip.Message(dir), r.Root)
	}
	if fi, err := os.Stat(real); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("%q is not a directory", textclip.Message(dir))
	}
	return real, nil
}

// resolveExisting resolves the symbolic links of the longest part of p that
// exists and appends the rest, so a directory not created yet is judged
// by where it will be.
func resolveExisting(p string) (string, error) {
	rest := ""
	for cur := p; ; {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", err
		}
		if _, lerr := os.Lstat(cur); lerr == nil {
			return "", errors.New("holds a symbolic link that leads to nothing")
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
