package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cairn-cmdb/cairn/internal/app"
)

// VerifyError is a difference Verify found between a backup and the
// database restored from it.
type VerifyError struct {
	Table string
	Msg   string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verify: table %s: %s", e.Table, e.Msg)
}

// Verify restores the backup in r into a scratch SQLite database in a new
// directory under dir (os.TempDir() when empty), removed afterwards, then
// reads every table back and compares its row count and checksum with the
// backup's manifest. It returns the manifest when the backup restores to
// exactly what it holds.
func Verify(ctx context.Context, r io.Reader, dir string) (m *Manifest, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	scratch, err := os.MkdirTemp(dir, "cairn-verify-*")
	if err != nil {
		return nil, fmt.Errorf("verify: scratch directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(scratch); rerr != nil {
			err = errors.Join(err, fmt.Errorf("verify: remove scratch directory: %w", rerr))
		}
	}()
	db, err := app.Open(ctx, filepath.Join(scratch, "verify.db"), app.Options{})
	if err != nil {
		return nil, fmt.Errorf("verify: scratch database: %w", err)
	}
	defer db.Close()

	cat, err := current()
	if err != nil {
		return nil, err
	}
	// The tables and columns as the backup has them, to read back.
	var tables []*table
	m, err = Restore(ctx, db.Store, r, RestoreOptions{OnTable: func(th *TableHeader) {
		t, ok := cat.table(th.Table)
		if !ok || skippedTables[t.Name] {
			return
		}
		bt := &table{Name: t.Name, PK: t.PK, byName: map[string]int{}}
		for _, c := range th.Columns {
			bt.byName[c[0]] = len(bt.Columns)
			bt.Columns = append(bt.Columns, column{Name: c[0], Kind: Kind(c[1])})
		}
		tables = append(tables, bt)
	}})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	back, err := write(ctx, db.Store, io.Discard, Options{}, tables, cat.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("verify: read back: %w", err)
	}
	var problems []error
	for _, want := range m.Tables {
		got, ok := back.Table(want.Name)
		switch {
		case skippedTables[want.Name]:
		case !ok:
			problems = append(problems, &VerifyError{Table: want.Name, Msg: "not restored"})
		case got.Rows != want.Rows:
			problems = append(problems, &VerifyError{Table: want.Name, Msg: fmt.Sprintf("the backup holds %d rows, the restored database %d", want.Rows, got.Rows)})
		case got.SHA256 != want.SHA256:
			problems = append(problems, &VerifyError{Table: want.Name, Msg: fmt.Sprintf("the restored rows hash to %s, the backup's to %s", got.SHA256, want.SHA256)})
		}
	}
	if len(problems) > 0 {
		return m, errors.Join(problems...)
	}
	return m, nil
}
