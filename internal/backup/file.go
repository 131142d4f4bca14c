package backup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/cairn-cmdb/cairn/internal/store"
)

// FileMode is the mode of backup files: they hold token hashes and sealed
// credentials (and, with --include-key, the key that opens them).
const FileMode os.FileMode = 0o600

// WriteFile writes path atomically: write streams the content into a new
// hidden temporary file in the same directory (.<name>.tmp-*), which is
// synced, given perm and renamed over path; then the directory is synced.
// Whenever the process stops, killed or not, path holds its old content
// or the new one, never a part; a kill can leave the temporary file
// behind, never a file under path.
func WriteFile(ctx context.Context, path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	if err := syncDir(dir); err != nil {
		// The file is complete under its name; only its durability across
		// a power cut is in doubt.
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// ToFile writes a backup of st to path atomically (WriteFile, mode
// FileMode).
func ToFile(ctx context.Context, st *store.DB, path string, opts Options) (m *Manifest, err error) {
	err = WriteFile(ctx, path, FileMode, func(w io.Writer) error {
		m, err = Write(ctx, st, w, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// BuildVersion is this binary's version for a backup's header: the main
// module's version and, when built from a checkout, its commit.
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}
