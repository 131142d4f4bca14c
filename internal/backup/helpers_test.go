package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/reportrun"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// testKey is the secret key the test databases seal with.
var testKey = bytes.Repeat([]byte{7}, 32)

func openDB(t testing.TB, dsn string) *app.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// fill gives db a row in every table a backup holds: the demo estate,
// then a token, a discovery job with sealed credentials, a run, a drift, a
// sighting, a drift ignore rule, a report schedule with a sealed webhook
// secret and its run, and references to the same table that point
// forwards (an owner whose team and a location whose parent were created
// after them), which a restore must set once both rows exist.
func fill(t testing.TB, db *app.DB) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test")
	if _, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	if _, _, err := auth.CreateToken(ctx, db.Client, "backup-test", apitoken.RoleEditor, nil); err != nil {
		t.Fatalf("token: %v", err)
	}
	box, err := secret.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := box.SealMap(map[string]string{"password": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	hookSecret, err := box.Seal([]byte("webhook-secret"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 10, 11, 12, 345678000, time.UTC)
	err = txn.Do(ctx, db.Client, func(tx *ent.Client) error {
		job, err := tx.DiscoveryJob.Create().SetName("nightly-ssh").SetSourceKind("ssh").
			SetConfig(map[string]any{"targets": []any{"10.0.0.1"}, "user": "cairn"}).
			SetCredentialsSealed(creds).SetSchedule("0 2 * * *").SetMode(discoveryjob.ModeReport).
			Save(ctx)
		if err != nil {
			return err
		}
		run, err := tx.DiscoveryRun.Create().SetJob(job).SetSourceKind("ssh").SetStatus(discoveryrun.StatusSucceeded).
			SetStartedAt(at).SetFinishedAt(at.Add(time.Minute)).SetCounts(schematype.RunCounts{Observed: 1, DriftsOpened: 1}).
			SetLog("line one\nline \"two\"\ttab\x01").Save(ctx)
		if err != nil {
			return err
		}
		ci, err := tx.ConfigurationItem.Query().Order(ent.Asc("id")).First(ctx)
		if err != nil {
			return err
		}
		// Installed software (its rows kept by the software hook).
		facts := map[string]any{}
		for k, v := range ci.Facts {
			facts[k] = v
		}
		facts["package.openssl"], facts["package_arch.openssl"], facts["packages.manager"] = "3.0.11-1~deb12u2", "amd64", "dpkg"
		if err := tx.ConfigurationItem.UpdateOne(ci).SetFacts(facts).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Drift.Create().SetKind(drift.KindAttributeChanged).SetFieldName("hostname").
			SetRecorded("a").SetObserved("b").SetFirstSeenAt(at).SetLastSeenAt(at).
			SetConfigurationItem(ci).SetJob(job).SetRun(run).Save(ctx); err != nil {
			return err
		}
		if _, err := tx.Sighting.Create().SetJob(job).SetConfigurationItem(ci).SetLastSeenAt(at).SetLastRunID(run.ID).Save(ctx); err != nil {
			return err
		}
		if _, err := tx.DriftIgnoreRule.Create().SetName("ignore-uptime").SetFieldPattern("facts.uptime*").Save(ctx); err != nil {
			return err
		}
		rs, err := tx.ReportSchedule.Create().SetName("morning").SetSchedule("0 7 * * *").SetFormats([]string{"markdown"}).
			SetWebhooks([]schematype.WebhookDestination{{URL: "https://hooks.example.com/x", SecretSealed: hookSecret}}).Save(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.ReportRun.Create().SetSchedule(rs).SetStatus(reportrun.StatusSucceeded).SetStartedAt(at).
			SetWindowStart(at.Add(-24 * time.Hour)).SetWindowEnd(at).SetSizes(map[string]int{"markdown": 10}).Save(ctx); err != nil {
			return err
		}
		svc, err := tx.Service.Query().Order(ent.Asc("id")).First(ctx)
		if err != nil {
			return err
		}
		// An incident merged into a later one: a forward reference within
		// the table.
		merged, err := tx.Incident.Create().SetTitle("merged away").SetOpenedAt(at).SetFirstAlertAt(at).SetLastAlertAt(at).
			SetStatus(incident.StatusResolved).SetResolvedAt(at).SetResolvedBy("alice").SetManual(true).Save(ctx)
		if err != nil {
			return err
		}
		inc, err := tx.Incident.Create().SetTitle("db-1: 1 alert").SetOpenedAt(at).SetFirstAlertAt(at).SetLastAlertAt(at).
			SetTitleSetByPerson(true).SetAlertCount(1).SetFiringCount(1).SetTopCandidateID(ci.ID).
			SetCandidates([]schematype.CauseCandidate{{CI: ci.ID, Score: 1.1, Alerted: true, Reasons: []string{"alerted"}, Paths: [][]int{{ci.ID}}, PathCount: 1}}).
			AddConfigurationItems(ci).AddServices(svc).Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.Incident.UpdateOne(merged).SetMergedIntoID(inc.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Alert.Create().SetFingerprint("0123456789abcdef").SetStatus(alert.StatusFiring).SetName("HostDown").
			SetLabels(map[string]string{"alertname": "HostDown", "instance": "db-1:9100"}).SetStartsAt(at).
			SetSource(alert.SourceAlertmanager).SetBoundBy(alert.BoundByInstance).SetLastReceivedAt(at).
			SetTransitions([]time.Time{at}).SetConfigurationItem(ci).SetIncident(inc).Save(ctx); err != nil {
			return err
		}
		// Forward references within one table.
		member, err := tx.Owner.Create().SetName("zz-early-member").SetKind(owner.KindPerson).Save(ctx)
		if err != nil {
			return err
		}
		team, err := tx.Owner.Create().SetName("zz-late-team").SetKind(owner.KindTeam).Save(ctx)
		if err != nil {
			return err
		}
		if err := tx.Owner.UpdateOne(member).SetTeam(team).Exec(ctx); err != nil {
			return err
		}
		rack, err := tx.Location.Create().SetName("zz-rack").SetKind(location.KindRack).Save(ctx)
		if err != nil {
			return err
		}
		room, err := tx.Location.Create().SetName("zz-room").SetKind(location.KindRoom).Save(ctx)
		if err != nil {
			return err
		}
		return tx.Location.UpdateOne(rack).SetParent(room).Exec(ctx)
	})
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
}

// counts returns every table's row count.
func counts(t testing.TB, db *app.DB) map[string]int64 {
	t.Helper()
	cat, err := current()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, tb := range cat.Tables {
		var n int64
		if err := db.Store.Reader().QueryRow("SELECT count(*) FROM " + quote(tb.Name)).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tb.Name, err)
		}
		out[tb.Name] = n
	}
	return out
}

// export is `cairn export` of db.
func export(t testing.TB, db *app.DB) []byte {
	t.Helper()
	doc, err := estate.ExportDB(context.Background(), db, estate.ExportOptions{})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var b bytes.Buffer
	if err := estate.Encode(&b, doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func maxCI(t testing.TB, db *app.DB) int {
	t.Helper()
	var n int
	if err := db.Store.Reader().QueryRow("SELECT max(id) FROM configuration_items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func newCI(t testing.TB, db *app.DB, name string) int {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test")
	var id int
	err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
		ci, err := tx.ConfigurationItem.Create().SetName(name).SetKind("VM").Save(ctx)
		if err != nil {
			return err
		}
		id = ci.ID
		return nil
	})
	if err != nil {
		t.Fatalf("create CI %s: %v", name, err)
	}
	return id
}

// firstDiff shows where two texts part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-200)
	return fmt.Sprintf("at byte %d:\n got …%s\nwant …%s", i, got[lo:min(len(got), i+200)], want[lo:min(len(want), i+200)])
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
