package backup

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/backup/backupfile"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/scheduler/dblease"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestScheduledRetention: each run writes a whole backup named by its
// time, mode 0600, and keeps the newest Keep; other files stay.
func TestScheduledRetention(t *testing.T) {
	ctx := context.Background()
	src := openDB(t, storetest.SQLiteDSN(t))
	fill(t, src)
	dir := filepath.Join(t.TempDir(), "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Scheduled{Store: src.Store, Spec: "@daily", Dir: dir, Keep: 2, Options: Options{SecretKey: testKey, IncludeKey: true}}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for range 3 {
		p, m, err := s.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.SecretKey != "" {
			t.Error("a scheduled backup holds the secret key")
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != FileMode {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), FileMode)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := backupfile.ReadManifest(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		paths = append(paths, p)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	want := []string{filepath.Base(paths[1]), filepath.Base(paths[2]), "notes.txt"}
	sort.Strings(want)
	if len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Errorf("the directory holds %v, want %v (the newest two backups and the other file)", names, want)
	}
	if !regexp.MustCompile(`^cairn-backup-\d{8}-\d{6}(-\d+)?\.jsonl\.gz$`).MatchString(filepath.Base(paths[0])) {
		t.Errorf("backup named %s", filepath.Base(paths[0]))
	}
}

// TestScheduledOnePerCluster: two schedulers (two processes' worth)
// sharing one database and its lease each run the backup job every
// second; each tick gives one backup, not two.
func TestScheduledOnePerCluster(t *testing.T) {
	src := openDB(t, storetest.SQLiteDSN(t))
	fill(t, src)
	dir := t.TempDir()
	var scheds []*scheduler.Scheduler
	for i := range 2 {
		bk := &Scheduled{Store: src.Store, Spec: "@every 1s", Dir: dir, Keep: 100}
		s := scheduler.NewShared(scheduler.Options{Leaser: &dblease.Leaser{Client: src.Client}, Holder: []string{"a", "b"}[i]}, bk)
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	time.Sleep(3500 * time.Millisecond)
	for _, s := range scheds {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		cancel()
	}
	files, err := filepath.Glob(filepath.Join(dir, "cairn-backup-*.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	seconds := map[string]int{}
	for _, f := range files {
		seconds[regexp.MustCompile(`\d{8}-\d{6}`).FindString(filepath.Base(f))]++
	}
	if len(files) < 2 || len(files) > 4 {
		t.Errorf("%d backups in 3.5 s of a job every second: %v", len(files), files)
	}
	for s, n := range seconds {
		if n > 1 {
			t.Errorf("%d backups at %s: both schedulers ran the tick", n, s)
		}
	}
}
