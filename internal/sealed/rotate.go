package sealed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/reportschedule"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// RotateActor is the audit actor of the re-sealing writes.
const RotateActor = "secret-rotate"

// RotateOptions tune Rotate.
type RotateOptions struct {
	// Key is where the current key is.
	Key Key
	// NewKeyFile holds the new key; "" generates one. Required when the
	// current key comes from CAIRN_SECRET_KEY (no file is written then:
	// the operator sets CAIRN_SECRET_KEY to the new key).
	NewKeyFile string
	// DiscardUnreadable drops the sealed values the current key does not
	// open (all of them when the key is missing) instead of refusing: job
	// credentials are cleared and webhooks lose their secret, to be
	// entered again.
	DiscardUnreadable bool
	// Now stamps the backup of the old key file [time.Now].
	Now func() time.Time
}

// RotateResult is what Rotate did.
type RotateResult struct {
	// Resealed counts the values sealed again under the new key.
	Resealed int
	// Discarded names the values dropped (DiscardUnreadable).
	Discarded []string
	// KeyFile is where the new key is now ("" when CAIRN_SECRET_KEY holds
	// the key and the operator must change it).
	KeyFile string
	// Backup is the copy of the old key file ("" when there was none).
	Backup string
}

// Rotate re-seals every sealed value of c under a new key, in one
// transaction, and puts the new key in the key file. Nothing changes unless
// every value opens with the current key (or DiscardUnreadable).
//
// With a key file the order is: copy the old key file to
// <file>.old-<UTC stamp> (kept), write the new key to PendingFile(file),
// commit the re-sealed values, then rename the pending file over the key
// file. A failure before the commit leaves the old key in force; an
// interruption after it leaves the new key in the pending file, which Open
// names.
func Rotate(ctx context.Context, c *ent.Client, o RotateOptions) (*RotateResult, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.Key.Env != "" && o.NewKeyFile == "" {
		return nil, fmt.Errorf("the key comes from %s: give the new key with --new-key-file, then set %s to it", secret.EnvKey, secret.EnvKey)
	}
	if o.Key.Env == "" && o.Key.File == "" {
		return nil, errors.New("no key file is named")
	}
	oldBox, err := secret.Load(o.Key.Env, o.Key.File)
	if errors.Is(err, secret.ErrNoKey) && o.DiscardUnreadable {
		oldBox, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the current key: %w", err)
	}
	var newKey []byte
	if o.NewKeyFile != "" {
		if newKey, err = secret.ReadKeyFile(o.NewKeyFile); err != nil {
			return nil, fmt.Errorf("--new-key-file: %w", err)
		}
	} else if newKey, err = secret.GenerateKey(); err != nil {
		return nil, err
	}
	if o.Key.Env == "" {
		if cur, err := secret.ReadKeyFile(o.Key.File); err == nil && bytes.Equal(cur, newKey) {
			return nil, fmt.Errorf("the new key is the key in %s already", o.Key.File)
		}
	} else if cur, err := secret.ParseKey(o.Key.Env); err == nil && bytes.Equal(cur, newKey) {
		return nil, fmt.Errorf("the new key is the key in %s already", secret.EnvKey)
	}
	newBox, err := secret.New(newKey)
	if err != nil {
		return nil, err
	}
	vals, err := All(ctx, c)
	if err != nil {
		return nil, err
	}
	if bad := Unreadable(oldBox, vals); len(bad) > 0 && !o.DiscardUnreadable {
		return nil, fmt.Errorf("the current key does not open %d of the %d sealed value(s) (%s); nothing was changed: "+
			"use the right key, or --discard-unreadable to drop them", len(bad), len(vals), summary(bad))
	}

	res := &RotateResult{}
	pending := ""
	if o.Key.Env == "" {
		if fileExists(o.Key.File) {
			res.Backup = fmt.Sprintf("%s.old-%s", o.Key.File, now().UTC().Format("20060102T150405Z"))
			if err := copyFile(o.Key.File, res.Backup); err != nil {
				return nil, fmt.Errorf("keeping the old key: %w", err)
			}
		}
		pending = PendingFile(o.Key.File)
		if err := secret.WriteKeyFile(pending, newKey); err != nil {
			return nil, err
		}
	}
	actx := audit.WithActor(ctx, RotateActor)
	err = txn.Do(actx, c, func(tx *ent.Client) error {
		r, err := reseal(actx, tx, oldBox, newBox)
		if err != nil {
			return err
		}
		res.Resealed, res.Discarded = r.resealed, r.discarded
		return nil
	})
	if err != nil {
		// The old key stays in force: neither the pending key nor its
		// backup is needed.
		for _, f := range []string{pending, res.Backup} {
			if f != "" {
				_ = os.Remove(f)
			}
		}
		return nil, fmt.Errorf("re-sealing (nothing was changed): %w", err)
	}
	if pending == "" {
		return res, nil
	}
	if err := os.Rename(pending, o.Key.File); err != nil {
		return nil, fmt.Errorf("the database is sealed under the new key, which is in %s: move it to %s: %w", pending, o.Key.File, err)
	}
	if err := syncDir(filepath.Dir(o.Key.File)); err != nil {
		return nil, err
	}
	res.KeyFile = o.Key.File
	return res, nil
}

type resealed struct {
	resealed  int
	discarded []string
}

// reseal opens every sealed value with oldBox (nil: none opens) and seals
// it with newBox, through tx; a value that does not open is dropped (the
// caller has checked that this is wanted).
func reseal(ctx context.Context, tx *ent.Client, oldBox, newBox *secret.Box) (resealed, error) {
	var r resealed
	open := func(v []byte) ([]byte, bool) {
		if oldBox == nil {
			return nil, false
		}
		p, err := oldBox.Open(v)
		return p, err == nil
	}
	jobs, err := tx.DiscoveryJob.Query().Where(discoveryjob.CredentialsSealedNotNil()).
		Order(ent.Asc(discoveryjob.FieldID)).All(ctx)
	if err != nil {
		return r, fmt.Errorf("reading sealed job credentials: %w", err)
	}
	for _, j := range jobs {
		if j.CredentialsSealed == nil || len(*j.CredentialsSealed) == 0 {
			continue
		}
		up := tx.DiscoveryJob.UpdateOneID(j.ID)
		if plain, ok := open(*j.CredentialsSealed); ok {
			s, err := newBox.Seal(plain)
			if err != nil {
				return r, err
			}
			up.SetCredentialsSealed(s)
			r.resealed++
		} else {
			up.ClearCredentialsSealed()
			r.discarded = append(r.discarded, fmt.Sprintf("discovery job %q credentials", j.Name))
		}
		if err := up.Exec(ctx); err != nil {
			return r, fmt.Errorf("re-sealing the credentials of discovery job %q: %w", j.Name, err)
		}
	}
	schedules, err := tx.ReportSchedule.Query().Order(ent.Asc(reportschedule.FieldID)).All(ctx)
	if err != nil {
		return r, fmt.Errorf("reading sealed webhook secrets: %w", err)
	}
	for _, s := range schedules {
		changed := false
		dests := make([]schematype.WebhookDestination, len(s.Webhooks))
		copy(dests, s.Webhooks)
		for i, w := range dests {
			if len(w.SecretSealed) == 0 {
				continue
			}
			changed = true
			if plain, ok := open(w.SecretSealed); ok {
				sealed, err := newBox.Seal(plain)
				if err != nil {
					return r, err
				}
				dests[i].SecretSealed = sealed
				r.resealed++
			} else {
				dests[i].SecretSealed = nil
				r.discarded = append(r.discarded, fmt.Sprintf("report schedule %q webhooks[%d] secret", s.Name, i))
			}
		}
		if !changed {
			continue
		}
		if err := tx.ReportSchedule.UpdateOneID(s.ID).SetWebhooks(dests).Exec(ctx); err != nil {
			return r, fmt.Errorf("re-sealing the webhook secrets of report schedule %q: %w", s.Name, err)
		}
	}
	return r, nil
}

// copyFile copies src to a new file dst (mode 0600, never replacing one),
// synced.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(dst)
		return werr
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
