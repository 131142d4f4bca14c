// Package sealed knows every value the database holds sealed under the
// server's secret key (internal/secret): discovery job credentials and
// report webhook secrets. It decides when the key may be made (only while
// nothing is sealed: a new key opens nothing sealed under a lost one),
// refuses to hand out a key that is missing or opens none of the sealed
// values, and re-seals everything under a new key in one transaction
// (Rotate).
package sealed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/reportschedule"
	"github.com/cairn-cmdb/cairn/internal/secret"
)

// Value is one sealed value: where it is, for people, and its bytes.
type Value struct {
	// Where names the value: `discovery job "nightly" credentials`,
	// `report schedule "morning" webhooks[0] secret`.
	Where string
	// Sealed is the sealed value.
	Sealed []byte
}

// All returns every sealed value in c, discovery jobs (by ID) first.
func All(ctx context.Context, c *ent.Client) ([]Value, error) {
	var out []Value
	jobs, err := c.DiscoveryJob.Query().Where(discoveryjob.CredentialsSealedNotNil()).
		Order(ent.Asc(discoveryjob.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading sealed job credentials: %w", err)
	}
	for _, j := range jobs {
		if j.CredentialsSealed != nil && len(*j.CredentialsSealed) > 0 {
			out = append(out, Value{Where: fmt.Sprintf("discovery job %q credentials", j.Name), Sealed: *j.CredentialsSealed})
		}
	}
	schedules, err := c.ReportSchedule.Query().Order(ent.Asc(reportschedule.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading sealed webhook secrets: %w", err)
	}
	for _, s := range schedules {
		for i, w := range s.Webhooks {
			if len(w.SecretSealed) > 0 {
				out = append(out, Value{Where: fmt.Sprintf("report schedule %q webhooks[%d] secret", s.Name, i), Sealed: w.SecretSealed})
			}
		}
	}
	return out, nil
}

// Unreadable returns the values of vals that box does not open.
func Unreadable(box *secret.Box, vals []Value) []Value {
	var bad []Value
	for _, v := range vals {
		if box == nil {
			bad = append(bad, v)
			continue
		}
		if _, err := box.Open(v.Sealed); err != nil {
			bad = append(bad, v)
		}
	}
	return bad
}

// Key names where the server's key is: CAIRN_SECRET_KEY's value (Env,
// "" when unset), else the key file File.
type Key struct {
	Env  string
	File string
}

func (k Key) where() string {
	if k.Env != "" {
		return secret.EnvKey
	}
	return "the key file " + k.File
}

// PendingFile is where Rotate keeps the new key between re-sealing the
// database and putting the key in place: a rotation interrupted there
// leaves the database sealed under the key in this file.
func PendingFile(keyFile string) string { return keyFile + ".new" }

// Status says what Open did.
type Status struct {
	// Created is true when Open made a new key file (nothing was sealed).
	Created bool
	// Sealed is how many sealed values the database holds.
	Sealed int
	// Unreadable names the sealed values the key does not open, when it
	// opens some others (a key that opens none is an error).
	Unreadable []string
}

// Open returns the server's key for the database c. When neither
// CAIRN_SECRET_KEY nor the key file holds one, it makes a new key file only
// if the database holds no sealed value; otherwise it refuses, naming the
// file it looked for, since a new key would open none of them. A key that
// opens none of the sealed values is refused too (a wrong key file, or a
// rotation interrupted after the database was re-sealed: the error says
// so).
func Open(ctx context.Context, c *ent.Client, k Key) (*secret.Box, Status, error) {
	var st Status
	vals, err := All(ctx, c)
	if err != nil {
		return nil, st, err
	}
	st.Sealed = len(vals)
	box, err := secret.Load(k.Env, k.File)
	if errors.Is(err, secret.ErrNoKey) {
		if len(vals) > 0 {
			return nil, st, fmt.Errorf("%w; the database holds %d sealed value(s) (%s) that only the key they were sealed with opens: "+
				"restore the key file %s from a backup (or name it with --secret-key-file, or set %s); "+
				"if the key is lost for good, \"cairn secret rotate --discard-unreadable\" drops those values so they can be entered again",
				err, len(vals), summary(vals), k.File, secret.EnvKey)
		}
		box, err = secret.CreateKeyFile(k.File)
		if err != nil {
			return nil, st, err
		}
		st.Created = true
		return box, st, nil
	}
	if err != nil {
		return nil, st, err
	}
	bad := Unreadable(box, vals)
	if len(vals) > 0 && len(bad) == len(vals) {
		msg := fmt.Sprintf("the key in %s opens none of the %d sealed value(s) in the database (%s): wrong key?", k.where(), len(vals), summary(vals))
		if k.Env == "" {
			if pk, perr := secret.ReadKeyFile(PendingFile(k.File)); perr == nil {
				if pbox, perr := secret.New(pk); perr == nil && len(Unreadable(pbox, vals)) == 0 {
					msg += fmt.Sprintf(" A key rotation stopped after re-sealing the database: its new key is in %s; move that file to %s",
						PendingFile(k.File), k.File)
				}
			}
		}
		return nil, st, errors.New(msg)
	}
	for _, v := range bad {
		st.Unreadable = append(st.Unreadable, v.Where)
	}
	return box, st, nil
}

// summary names up to three values.
func summary(vals []Value) string {
	names := make([]string, 0, 3)
	for i, v := range vals {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(vals)-3))
			break
		}
		names = append(names, v.Where)
	}
	return strings.Join(names, ", ")
}

// fileExists reports whether path names anything.
func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
