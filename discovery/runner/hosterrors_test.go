package runner_test

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// silentPort returns a loopback UDP port that takes requests and never
// answers, as an SNMP agent does when the community is wrong.
func silentPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestFailedSingleHostRunRecordsHostError: a job whose only host fails
// (an SNMP agent that does not answer) fails, and its run names the host's
// error in hostErrors rather than leaving them empty (issue 18, defect 8).
func TestFailedSingleHostRunRecordsHostError(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		box, err := secret.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := box.SealMap(map[string]string{"community": "wrong"})
		if err != nil {
			t.Fatal(err)
		}
		actx := audit.WithActor(ctx, "test")
		tx, err := db.Client.Tx(actx)
		if err != nil {
			t.Fatal(err)
		}
		job, err := tx.Client().DiscoveryJob.Create().SetName("snmp-one").SetSourceKind(snmp.KindName).
			SetConfig(map[string]any{"hosts": []string{"127.0.0.1"}, "port": silentPort(t), "timeout": "50ms", "retries": 0}).
			SetCredentialsSealed(sealed).Save(ent.NewTxContext(actx, tx))
		if err != nil {
			_ = tx.Rollback()
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		reg, err := discovery.NewRegistry(snmp.Kind())
		if err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: reg, Secrets: box, Dialect: db.Store.Dialect(), Holder: "test"}
		res, err := rn.RunJob(ctx, job.ID, false, "manual")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"127.0.0.1": "no answer (wrong community or host down)"}
		if res.Run.Status != discoveryrun.StatusFailed || len(res.Run.HostErrors) != 1 || res.Run.HostErrors["127.0.0.1"] != want["127.0.0.1"] {
			t.Fatalf("run %s, host errors %q, want FAILED with %q", res.Run.Status, res.Run.HostErrors, want)
		}
		stored, err := db.Client.DiscoveryRun.Get(ctx, res.Run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := stored.HostErrors["127.0.0.1"]; got != want["127.0.0.1"] {
			t.Errorf("stored host errors %q, want %q", stored.HostErrors, want)
		}
		if got, want := *stored.Error, "every host failed; first: 127.0.0.1: "+want["127.0.0.1"]; got != want {
			t.Errorf("stored error %q, want %q", got, want)
		}
	})
}
