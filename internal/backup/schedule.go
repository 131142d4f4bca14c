package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/scheduler"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Scheduled backups: one job on the shared scheduler, under its lease, so
// one process of a cluster sharing a database writes each backup.
const (
	// KeyPrefix is the scheduler's prefix for backup jobs.
	KeyPrefix = "backup:"
	// JobKey is the scheduled backup's job (and lease) key.
	JobKey = KeyPrefix + "scheduled"
	// FilePrefix and FileExt name scheduled backups:
	// cairn-backup-YYYYMMDD-HHMMSS.jsonl.gz (UTC).
	FilePrefix = "cairn-backup"
	FileExt    = "jsonl.gz"
	// DefaultKeep is how many scheduled backups are kept.
	DefaultKeep = 7
	// DefaultTimeout bounds one scheduled backup.
	DefaultTimeout = time.Hour
)

// Scheduled writes backups of Store into Dir on a cron schedule, keeping
// the newest Keep. It is a scheduler.Participant.
type Scheduled struct {
	Store *store.DB
	// Spec is a cron spec in UTC, as scheduler.ParseSchedule takes it.
	Spec string
	Dir  string
	Keep int
	// Options for each backup (the secret key is never included).
	Options Options
	// Timeout bounds one backup [DefaultTimeout].
	Timeout time.Duration
	Logger  *slog.Logger
}

// Check says what is wrong with the settings, naming the serve flag.
func (s *Scheduled) Check() error {
	if _, err := scheduler.ParseSchedule(s.Spec, "UTC"); err != nil {
		return fmt.Errorf("--backup-schedule: %w", err)
	}
	if strings.TrimSpace(s.Dir) == "" {
		return errors.New("--backup-dir: give the directory scheduled backups go to")
	}
	if s.Keep < 1 {
		return fmt.Errorf("--backup-keep %d: keep at least one backup", s.Keep)
	}
	return nil
}

func (s *Scheduled) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Source implements scheduler.Participant: one job, JobKey.
func (s *Scheduled) Source() scheduler.Source {
	return scheduler.Source{Prefix: KeyPrefix, Lister: s, Run: func(ctx context.Context, _ scheduler.Job) error {
		_, _, err := s.Run(ctx)
		return err
	}}
}

// Attach implements scheduler.Participant; the schedule is fixed at start.
func (s *Scheduled) Attach(string, func(context.Context)) {}

// Jobs implements scheduler.Lister.
func (s *Scheduled) Jobs(context.Context) ([]scheduler.Job, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return []scheduler.Job{{Key: JobKey, Name: "scheduled backup", Spec: s.Spec, TZ: "UTC", Timeout: timeout, Enabled: true}}, nil
}

var _ scheduler.Participant = (*Scheduled)(nil)

// Run writes one backup into Dir and deletes the oldest beyond Keep. It
// returns the new file's path and manifest.
func (s *Scheduled) Run(ctx context.Context) (path string, m *Manifest, err error) {
	start := time.Now()
	opts := s.Options
	opts.IncludeKey = false
	d := deliver.Directory{Path: s.Dir, Retain: s.Keep, FileMode: FileMode, DirMode: 0o700, Logger: s.Logger}
	path, size, err := d.Write(ctx, FilePrefix, FileExt, func(w io.Writer) (err error) {
		m, err = Write(ctx, s.Store, w, opts)
		return err
	})
	if err != nil {
		s.logger().Error("scheduled backup failed", "dir", s.Dir, "err", err)
		return "", nil, fmt.Errorf("scheduled backup: %w", err)
	}
	s.logger().Info("backup written", "file", path, "bytes", size, "rows", m.Rows, "tables", len(m.Tables),
		"elapsed", time.Since(start).Round(time.Millisecond))
	return path, m, nil
}
