package backup

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/backup/backupfile"
)

// Environment of the child process TestKillMidBackup starts: this test
// binary again, running killChild.
const (
	envKillChild = "CAIRN_BACKUP_KILL_CHILD_DB"
	envKillOut   = "CAIRN_BACKUP_KILL_CHILD_OUT"
)

// TestMain runs killChild in the child process instead of the tests, and
// checks that the tests leave no goroutine behind (schedulers, writers).
func TestMain(m *testing.M) {
	if db := os.Getenv(envKillChild); db != "" {
		killChild(db, os.Getenv(envKillOut))
		return
	}
	goleak.VerifyTestMain(m)
}

// killChild writes a backup of db to out through the real ToFile path,
// slowed down (each compressed chunk flushed to the file after a pause)
// so the parent can kill it halfway.
func killChild(db, out string) {
	ctx := context.Background()
	d, err := openForChild(db)
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(2)
	}
	err = WriteFile(ctx, out, FileMode, func(w io.Writer) error {
		_, err := Write(ctx, d.Store, &slowWriter{w: w}, Options{})
		return err
	})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(2)
	}
	os.Exit(0)
}

// slowWriter flushes every write through to the file and pauses.
type slowWriter struct{ w io.Writer }

func (s *slowWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if f, ok := s.w.(interface{ Flush() error }); ok && err == nil {
		err = f.Flush()
	}
	time.Sleep(20 * time.Millisecond)
	return n, err
}

// TestKillMidBackup kills (SIGKILL) a process while it writes a backup
// over an older one: the older backup is still there, whole, and no file
// but the hidden temporary one is left; without an older backup, there is
// no file under the name at all.
func TestKillMidBackup(t *testing.T) {
	good := goodBackup(t)
	for _, old := range []bool{true, false} {
		name := map[bool]string{true: "over an older backup", false: "no older backup"}[old]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			dbPath := filepath.Join(t.TempDir(), "cairn.db")
			src := openDB(t, dbPath)
			fill(t, src)
			out := filepath.Join(dir, "cairn.backup.gz")
			if old {
				if err := os.WriteFile(out, good, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envKillChild+"="+dbPath, envKillOut+"="+out)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// Wait until some of the new backup is on disk, wherever the
			// writer puts it.
			deadline := time.Now().Add(30 * time.Second)
			for !started(t, dir, out, good, old) {
				select {
				case err := <-exited:
					t.Fatalf("the child finished before it was killed (%v): %s", err, stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatal("no temporary file with data after 30s")
				}
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-exited
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var visible []string
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), ".") {
					visible = append(visible, e.Name())
				}
			}
			if !old {
				if len(visible) != 0 {
					t.Errorf("after the kill the directory shows %v, want nothing", visible)
				}
				return
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the older backup is gone: %v", err)
			}
			if !bytes.Equal(got, good) {
				t.Error("the older backup was changed by the killed backup")
			}
			if _, err := backupfile.ReadManifest(bytes.NewReader(got)); err != nil {
				t.Errorf("the older backup no longer reads: %v", err)
			}
			if len(visible) != 1 {
				t.Errorf("after the kill the directory shows %v, want only the older backup", visible)
			}
		})
	}
}

// started reports whether the child has written part of a backup: a
// temporary file with data, or a changed file under the name.
func started(t *testing.T, dir, out string, good []byte, old bool) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || fi.Size() == 0 {
			continue
		}
		if e.Name() != filepath.Base(out) {
			return true
		}
		if got, err := os.ReadFile(out); err == nil && (!old || !bytes.Equal(got, good)) {
			return true
		}
	}
	return false
}

func openForChild(path string) (*app.DB, error) {
	return app.Open(context.Background(), path, app.Options{SkipMigrate: true})
}
