package sealed_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/sealed"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func open(t *testing.T, dsn string) *app.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// seed stores a job with sealed credentials, one without, and a schedule
// with a signed and an unsigned webhook, all sealed with box.
func seed(t *testing.T, db *app.DB, box *secret.Box) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test")
	creds, err := box.SealMap(map[string]string{"password": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	hookSecret, err := box.Seal([]byte("hmac-key"))
	if err != nil {
		t.Fatal(err)
	}
	err = txn.Do(ctx, db.Client, func(tx *ent.Client) error {
		if err := tx.DiscoveryJob.Create().SetName("ssh-prod").SetSourceKind("ssh").SetConfig(map[string]any{"user": "u"}).
			SetCredentialsSealed(creds).Exec(ctx); err != nil {
			return err
		}
		if err := tx.DiscoveryJob.Create().SetName("scan").SetSourceKind("nmap").SetConfig(map[string]any{"file": "a.xml"}).Exec(ctx); err != nil {
			return err
		}
		return tx.ReportSchedule.Create().SetName("morning").SetSchedule("@daily").SetFormats([]string{"json"}).
			SetWebhooks([]schematype.WebhookDestination{{URL: "https://hooks.example/a", SecretSealed: hookSecret}, {URL: "https://hooks.example/b"}}).Exec(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeKey(t *testing.T, path string) *secret.Box {
	t.Helper()
	box, err := secret.CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// TestOpen (issue 13): a key file is made only while nothing is sealed; a
// missing key with sealed values in the database is refused, naming the
// file looked for, and no key is made; a key that opens none of them is
// refused too.
func TestOpen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "cairn-secret.key")
		db := open(t, dsn)

		// Nothing sealed: the first start makes the key.
		box, st, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile})
		if err != nil || !st.Created || st.Sealed != 0 {
			t.Fatalf("first start: %+v %v", st, err)
		}
		seed(t, db, box)
		if _, st, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile}); err != nil || st.Created || st.Sealed != 2 || len(st.Unreadable) != 0 {
			t.Fatalf("restart with the key: %+v %v", st, err)
		}

		// The key file is lost.
		if err := os.Rename(keyFile, keyFile+".lost"); err != nil {
			t.Fatal(err)
		}
		_, _, err = sealed.Open(ctx, db.Client, sealed.Key{File: keyFile})
		if !errors.Is(err, secret.ErrNoKey) {
			t.Fatalf("start without the key: %v, want ErrNoKey", err)
		}
		for _, want := range []string{keyFile, "2 sealed value(s)", `discovery job "ssh-prod" credentials`, `report schedule "morning" webhooks[0] secret`, "--discard-unreadable"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a new key file was made in place of the lost one: %v", err)
		}

		// Another key is there: refused as the wrong key.
		writeKey(t, keyFile)
		if _, _, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile}); err == nil || !strings.Contains(err.Error(), "opens none of the 2 sealed value(s)") {
			t.Fatalf("start with another key: %v", err)
		}
		// CAIRN_SECRET_KEY holding the wrong key is named as such.
		other, _ := secret.GenerateKey()
		if _, _, err := sealed.Open(ctx, db.Client, sealed.Key{Env: hex.EncodeToString(other), File: keyFile}); err == nil || !strings.Contains(err.Error(), secret.EnvKey) {
			t.Fatalf("start with a wrong %s: %v", secret.EnvKey, err)
		}
		if err := os.Rename(keyFile+".lost", keyFile); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile}); err != nil {
			t.Fatalf("start with the key restored: %v", err)
		}
	})
}

// TestRotate (issue 13): cairn secret rotate re-seals every sealed value
// under a new key in one transaction, writes the new key in place of the
// old, and keeps the old key as a backup file.
func TestRotate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "cairn-secret.key")
		db := open(t, dsn)
		oldBox := writeKey(t, keyFile)
		oldKey, _ := secret.ReadKeyFile(keyFile)
		seed(t, db, oldBox)
		before, _ := sealed.All(ctx, db.Client)
		now := func() time.Time { return time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC) }

		res, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if res.Resealed != 2 || len(res.Discarded) != 0 || res.KeyFile != keyFile || res.Backup != keyFile+".old-20261124T070000Z" {
			t.Fatalf("rotate = %+v", res)
		}
		if b, err := secret.ReadKeyFile(res.Backup); err != nil || string(b) != string(oldKey) {
			t.Fatalf("backup holds %x, %v; want the old key", b, err)
		}
		for _, f := range []string{keyFile, res.Backup} {
			if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v, want 0600", f, fi.Mode().Perm(), err)
			}
		}
		if _, err := os.Stat(sealed.PendingFile(keyFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the pending key file is left: %v", err)
		}
		newBox, st, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile})
		if err != nil || len(st.Unreadable) != 0 {
			t.Fatalf("open after rotate: %+v %v", st, err)
		}
		after, _ := sealed.All(ctx, db.Client)
		if len(after) != len(before) || len(sealed.Unreadable(oldBox, after)) != len(after) {
			t.Fatalf("values after rotate still open with the old key")
		}
		j := db.Client.DiscoveryJob.Query().Where(discoveryjob.Name("ssh-prod")).OnlyX(ctx)
		if m, err := newBox.OpenMap(*j.CredentialsSealed); err != nil || m["password"] != "hunter2" {
			t.Fatalf("credentials after rotate: %v %v", m, err)
		}
		s := db.Client.ReportSchedule.Query().OnlyX(ctx)
		if p, err := newBox.Open(s.Webhooks[0].SecretSealed); err != nil || string(p) != "hmac-key" || len(s.Webhooks[1].SecretSealed) != 0 || s.Webhooks[1].URL != "https://hooks.example/b" {
			t.Fatalf("webhooks after rotate: %+v %v", s.Webhooks, err)
		}

		// --new-key-file: the operator's key is put in place.
		given := filepath.Join(dir, "given.key")
		k, _ := secret.GenerateKey()
		if err := os.WriteFile(given, secret.EncodeKey(k), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}, NewKeyFile: given}); err != nil {
			t.Fatal(err)
		}
		if got, _ := secret.ReadKeyFile(keyFile); string(got) != string(k) {
			t.Fatal("--new-key-file's key is not the key file's now")
		}
		if _, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}, NewKeyFile: given}); err == nil || !strings.Contains(err.Error(), "already") {
			t.Errorf("rotating to the key in use: %v", err)
		}
		// The key from the environment: a new key file is required, and no
		// file is written.
		if _, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{Env: hex.EncodeToString(k), File: keyFile}}); err == nil || !strings.Contains(err.Error(), "--new-key-file") {
			t.Errorf("rotate with %s and no new key file: %v", secret.EnvKey, err)
		}
	})
}

// TestRotateRefusesUnreadable: a value the current key does not open stops
// the rotation with nothing changed, unless --discard-unreadable, which
// drops it (a key lost for good: every value).
func TestRotateRefusesUnreadable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "cairn-secret.key")
		db := open(t, dsn)
		lostBox, err := secret.New(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		seed(t, db, lostBox)
		before, _ := sealed.All(ctx, db.Client)

		// No key at all.
		if _, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}}); !errors.Is(err, secret.ErrNoKey) {
			t.Fatalf("rotate without a key: %v", err)
		}
		// A key that opens nothing.
		writeKey(t, keyFile)
		_, err = sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}})
		if err == nil || !strings.Contains(err.Error(), "does not open 2 of the 2") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("rotate with a key that opens nothing: %v", err)
		}
		after, _ := sealed.All(ctx, db.Client)
		if len(after) != len(before) || string(after[0].Sealed) != string(before[0].Sealed) {
			t.Fatal("a refused rotation changed the database")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("a refused rotation left %d files", len(ents))
		}

		// The key is lost for good: drop what it sealed.
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		res, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}, DiscardUnreadable: true})
		if err != nil || res.Resealed != 0 || len(res.Discarded) != 2 || res.Backup != "" {
			t.Fatalf("rotate --discard-unreadable: %+v %v", res, err)
		}
		if vals, _ := sealed.All(ctx, db.Client); len(vals) != 0 {
			t.Fatalf("%d sealed values left", len(vals))
		}
		s := db.Client.ReportSchedule.Query().OnlyX(ctx)
		if len(s.Webhooks) != 2 {
			t.Fatalf("webhooks %+v: discarding a secret keeps the webhook", s.Webhooks)
		}
		if _, st, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile}); err != nil || st.Created {
			t.Fatalf("start after discarding: %+v %v", st, err)
		}
	})
}

// TestInterruptedRotation: the database re-sealed but the new key not yet
// in place (a crash between the commit and the rename): Open names the
// pending key file.
func TestInterruptedRotation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "cairn-secret.key")
		db := open(t, dsn)
		writeKey(t, keyFile)
		pendingBox := writeKey(t, sealed.PendingFile(keyFile))
		seed(t, db, pendingBox)
		_, _, err := sealed.Open(ctx, db.Client, sealed.Key{File: keyFile})
		if err == nil || !strings.Contains(err.Error(), "rotation stopped") || !strings.Contains(err.Error(), sealed.PendingFile(keyFile)) {
			t.Fatalf("open after an interrupted rotation: %v", err)
		}
	})
}

// TestRotateIsOneTransaction: a failure after some values were re-sealed
// (here the schedule's update, refused by its hook because its stored cron
// spec became invalid) rolls everything back: the job's credentials still
// open with the old key, which stays in the key file.
func TestRotateIsOneTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "cairn-secret.key")
		db := open(t, dsn)
		oldBox := writeKey(t, keyFile)
		oldKey, _ := secret.ReadKeyFile(keyFile)
		seed(t, db, oldBox)
		if _, err := db.Store.Writer().ExecContext(ctx, `UPDATE report_schedules SET schedule = '61 * * * *'`); err != nil {
			t.Fatal(err)
		}
		_, err := sealed.Rotate(ctx, db.Client, sealed.RotateOptions{Key: sealed.Key{File: keyFile}})
		if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("rotate = %v, want the schedule's update refused", err)
		}
		j := db.Client.DiscoveryJob.Query().Where(discoveryjob.Name("ssh-prod")).OnlyX(ctx)
		if _, err := oldBox.OpenMap(*j.CredentialsSealed); err != nil {
			t.Fatalf("the job's credentials were re-sealed by a rotation that failed: %v", err)
		}
		if k, _ := secret.ReadKeyFile(keyFile); string(k) != string(oldKey) {
			t.Fatal("the key file changed")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("a failed rotation left %d files (pending key, backup)", len(ents))
		}
	})
}
