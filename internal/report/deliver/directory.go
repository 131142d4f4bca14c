package deliver

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultRetain is how many reports a Directory keeps per (prefix,
	// extension) when Retain is zero.
	DefaultRetain = 30

	stampLayout  = "20060102-150405"
	maxPrefixLen = 100
	maxSuffix    = 10000
)

// Directory writes reports as files in a local directory.
//
// A report is named <prefix>-<YYYYMMDD-HHMMSS>.<ext> after the UTC time the
// delivery started, with -2, -3, … appended to the stamp when the name is
// taken. It is written to a hidden temporary file in the same directory,
// synced and then published under its final name, so readers never see a
// partial report. Publishing uses a hard link, which fails rather than
// replacing an existing file, so concurrent writers never clobber each
// other; where hard links are unsupported it falls back to a rename after
// checking that the name is free.
//
// After publishing, the oldest reports of the same prefix and extension
// beyond Retain are deleted. Only names of exactly that shape are
// considered; other files in the directory are never touched.
type Directory struct {
	// Path is the directory; it is created (DirMode) if missing.
	Path string
	// FileMode is the mode of each report file; zero means 0600.
	FileMode os.FileMode
	// DirMode is the mode of the directories created for Path; zero
	// means 0700. Existing directories keep theirs.
	DirMode os.FileMode
	// Retain is how many reports to keep per (prefix, extension): zero
	// means DefaultRetain, a negative value keeps every report.
	Retain int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives retention problems, which do not fail a write; nil
	// discards.
	Logger *slog.Logger
}

// Write writes the report produced by body and returns its path and size in
// bytes. prefix is sanitised to [A-Za-z0-9._-] (see sanitizePrefix); ext is
// the file extension, with or without a leading dot, made of letters, digits
// and inner dots ("csv", "csv.gz").
//
// On error no file is left behind: the temporary file is removed. The one
// exception is a failure to sync the directory after publishing, when the
// complete report exists; its path and size are returned with the error.
func (d Directory) Write(ctx context.Context, prefix, ext string, body Body) (path string, size int64, err error) {
	if d.Path == "" {
		return "", 0, errors.New("write report: directory path is empty")
	}
	if body == nil {
		return "", 0, errors.New("write report: body is nil")
	}
	ext, err = cleanExt(ext)
	if err != nil {
		return "", 0, fmt.Errorf("write report: %w", err)
	}
	prefix = sanitizePrefix(prefix)
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("write report %s: %w", prefix, err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	stamp := now().UTC().Format(stampLayout)

	if err := os.MkdirAll(d.Path, orMode(d.DirMode, 0o700)); err != nil {
		return "", 0, fmt.Errorf("write report %s: create directory: %w", prefix, err)
	}
	tmp, size, err := d.writeTemp(ctx, prefix, body)
	if err != nil {
		return "", 0, fmt.Errorf("write report %s: %w", prefix, err)
	}
	name, err := d.publish(ctx, tmp, prefix, stamp, ext)
	if err != nil {
		_ = os.Remove(tmp)
		return "", 0, fmt.Errorf("write report %s: %w", prefix, err)
	}
	path = filepath.Join(d.Path, name)
	if err := syncDir(d.Path); err != nil {
		return path, size, fmt.Errorf("write report %s: sync directory %s: %w", prefix, d.Path, err)
	}
	if err := d.prune(ctx, prefix, ext, name); err != nil {
		logger(d.Logger).WarnContext(ctx, "report retention failed",
			"dir", d.Path, "prefix", prefix, "ext", ext, "err", err)
	}
	return path, size, nil
}

// writeTemp streams body into a new hidden temporary file in the directory,
// syncs and closes it, and returns its path and size. On any failure, a
// panic in body included, the temporary file is removed.
func (d Directory) writeTemp(ctx context.Context, prefix string, body Body) (name string, size int64, err error) {
	f, err := os.CreateTemp(d.Path, "."+prefix+"-*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("create temporary file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()

	bw := bufio.NewWriterSize(f, 64<<10)
	cw := &ctxWriter{ctx: ctx, w: bw}
	if err := body(cw); err != nil {
		return "", 0, fmt.Errorf("render body: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	if err := bw.Flush(); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Chmod(f.Name(), orMode(d.FileMode, 0o600)); err != nil {
		return "", 0, fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	done = true
	return f.Name(), cw.n, nil
}

// publish gives the temporary file tmp its final name, the first free one of
// <prefix>-<stamp>.<ext>, <prefix>-<stamp>-2.<ext>, …, and returns that name.
func (d Directory) publish(ctx context.Context, tmp, prefix, stamp, ext string) (string, error) {
	for seq := 1; seq <= maxSuffix; seq++ {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		name := reportName(prefix, stamp, ext, seq)
		dst := filepath.Join(d.Path, name)
		lerr := os.Link(tmp, dst)
		if lerr == nil {
			if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				// The report is complete under its final name; only the
				// second name of the same file is left over.
				logger(d.Logger).WarnContext(ctx, "remove temporary report file", "file", tmp, "err", err)
			}
			return name, nil
		}
		if errors.Is(lerr, fs.ErrExist) {
			continue
		}
		// Hard links are not available here: rename after checking that the
		// name is free. This is not atomic against other writers.
		if _, err := os.Lstat(dst); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("check %s: %w", dst, err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return "", fmt.Errorf("rename to %s: %w (link: %v)", dst, err, lerr)
		}
		return name, nil
	}
	return "", fmt.Errorf("no free name for %s", reportName(prefix, stamp, ext, 1))
}

// prune deletes the oldest reports of prefix and ext beyond the retention
// count. The report just written, keep, always counts as kept.
func (d Directory) prune(ctx context.Context, prefix, ext, keep string) error {
	retain := d.Retain
	if retain == 0 {
		retain = DefaultRetain
	}
	if retain < 0 {
		return nil
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return fmt.Errorf("list %s: %w", d.Path, err)
	}
	type report struct {
		name  string
		stamp time.Time
		seq   int
		mod   time.Time
	}
	var reports []report
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		stamp, seq, ok := parseReportName(e.Name(), prefix, ext)
		if !ok {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by a concurrent writer
		}
		if err != nil {
			return fmt.Errorf("stat %s: %w", e.Name(), err)
		}
		reports = append(reports, report{name: e.Name(), stamp: stamp, seq: seq, mod: info.ModTime()})
	}
	if len(reports) <= retain {
		return nil
	}
	// Newest first.
	slices.SortFunc(reports, func(a, b report) int {
		return cmp.Or(
			b.stamp.Compare(a.stamp),
			b.mod.Compare(a.mod),
			cmp.Compare(b.seq, a.seq),
			strings.Compare(b.name, a.name),
		)
	})
	kept := 0
	if slices.ContainsFunc(reports, func(r report) bool { return r.name == keep }) {
		kept = 1
	}
	var errs []error
	for _, r := range reports {
		if r.name == keep {
			continue
		}
		if kept < retain {
			kept++
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if err := os.Remove(filepath.Join(d.Path, r.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", r.name, err))
		}
	}
	return errors.Join(errs...)
}

// reportName is the file name of the seq'th report of prefix with stamp.
func reportName(prefix, stamp, ext string, seq int) string {
	if seq <= 1 {
		return prefix + "-" + stamp + "." + ext
	}
	return prefix + "-" + stamp + "-" + strconv.Itoa(seq) + "." + ext
}

// parseReportName reports whether name is exactly a report name of prefix
// and ext, as reportName makes them, and returns its stamp and sequence.
func parseReportName(name, prefix, ext string) (stamp time.Time, seq int, ok bool) {
	rest, ok := strings.CutPrefix(name, prefix+"-")
	if !ok {
		return time.Time{}, 0, false
	}
	rest, ok = strings.CutSuffix(rest, "."+ext)
	if !ok || len(rest) < len(stampLayout) {
		return time.Time{}, 0, false
	}
	s, tail := rest[:len(stampLayout)], rest[len(stampLayout):]
	stamp, err := time.Parse(stampLayout, s)
	if err != nil || stamp.Format(stampLayout) != s {
		return time.Time{}, 0, false
	}
	seq = 1
	if tail != "" {
		digits, ok := strings.CutPrefix(tail, "-")
		if !ok {
			return time.Time{}, 0, false
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 2 || strconv.Itoa(n) != digits {
			return time.Time{}, 0, false
		}
		seq = n
	}
	return stamp, seq, true
}

// sanitizePrefix maps every character outside [A-Za-z0-9._-] to '-', and a
// leading '.' too, so reports are never hidden files and never collide with
// temporary files. An empty prefix becomes "report"; a long one is cut to
// 100 bytes.
func sanitizePrefix(prefix string) string {
	var b strings.Builder
	for _, r := range prefix {
		if b.Len() >= maxPrefixLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "report"
	}
	return b.String()
}

// cleanExt validates a file extension and strips a leading dot.
func cleanExt(ext string) (string, error) {
	e := strings.TrimPrefix(ext, ".")
	valid := e != "" && len(e) <= 16 && e[0] != '.' && e[len(e)-1] != '.' && !strings.Contains(e, "..")
	for i := 0; valid && i < len(e); i++ {
		c := e[i]
		valid = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.'
	}
	if !valid {
		return "", fmt.Errorf("invalid file extension %q", ext)
	}
	return e, nil
}

// syncDir fsyncs a directory so a rename or link in it is durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// ctxWriter counts bytes and stops writing once ctx is done, so a
// cancelled delivery stops a streaming renderer.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
	n   int64
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// orMode returns m's permission bits, or def when m has none.
func orMode(m, def os.FileMode) os.FileMode {
	if m.Perm() == 0 {
		return def
	}
	return m.Perm()
}
