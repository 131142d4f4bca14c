package snmp_test

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestLabLLDPRunner runs a saved snmp job (UPDATE, creating what it finds)
// through the runner and reconciliation against the LLDP lab, on every
// backend: the switch and its two neighbours become 3 CIs joined by 2
// CONNECTS_TO relationships whose attributes name the ports; after a cable
// moves, the next run finds the same 3 CIs and the moved neighbour's
// relationship says the new port.
func TestLabLLDPRunner(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		l := lab.StartLLDPLab(t, 1, "nb-b", "nb-c.example.net")
		b := l.Neighbours[0]
		s, host := lldpLabSource(t, l)
		keyB, keyC := "neighbour mac:"+b.MAC, "neighbour mac:"+l.Neighbours[1].MAC
		// Both neighbours known to the switch before the job runs.
		discoverUntil(t, s, host, l, "two neighbours", func(o []discovery.Observation) bool {
			m := byKey(o)
			return len(o) == 3 && m[keyB].Name == "nb-b" && m[keyC].Name == "nb-c.example.net"
		})

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
		sealed, err := box.SealMap(map[string]string{"community": l.Community})
		if err != nil {
			t.Fatal(err)
		}
		_, portStr, _ := net.SplitHostPort(l.Addr)
		port, err := strconv.Atoi(portStr)
		if err != nil {
			t.Fatal(err)
		}
		actx := audit.WithActor(ctx, "test")
		tx, err := db.Client.Tx(actx)
		if err != nil {
			t.Fatal(err)
		}
		job, err := tx.Client().DiscoveryJob.Create().SetName("lldp-switch").SetSourceKind(snmp.KindName).
			SetConfig(map[string]any{"port": port, "hosts": []string{host}}).
			SetMode(discoveryjob.ModeUpdate).SetCreateUnregistered(true).
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
		run := func() {
			t.Helper()
			res, err := rn.RunJob(ctx, job.ID, false, "manual")
			if err != nil {
				t.Fatal(err)
			}
			if res.Run.Status != discoveryrun.StatusSucceeded {
				msg := ""
				if res.Run.Error != nil {
					msg = *res.Run.Error
				}
				t.Fatalf("run %s: %s %v", res.Run.Status, msg, res.Run.HostErrors)
			}
		}
		ports := func() map[string]string {
			t.Helper()
			rels, err := db.Client.Relationship.Query().Where(relationship.TypeEQ(relationship.TypeConnectsTo)).WithTo().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, r := range rels {
				out[r.Edges.To.Name] = r.Attributes["local_port"] + " " + r.Attributes["remote_port"] + " " + r.Attributes["protocol"]
			}
			return out
		}

		run()
		cis, err := db.Client.ConfigurationItem.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]configurationitem.Kind{}
		for _, c := range cis {
			names[c.Name] = c.Kind
		}
		if len(cis) != 3 || names[l.SysName] != configurationitem.KindNetworkDevice ||
			names["nb-b"] != configurationitem.KindServer || names["nb-c.example.net"] != configurationitem.KindServer {
			t.Fatalf("CIs after the first run: %v, want the switch and the two neighbours", names)
		}
		want := map[string]string{"nb-b": "swp1 eth0 lldp", "nb-c.example.net": "swp2 eth0 lldp"}
		if got := ports(); !mapsEqual(got, want) {
			t.Fatalf("CONNECTS_TO after the first run: %v, want %v", got, want)
		}

		// Move nb-b's cable to swp3; wait until the switch sees it there.
		l.Replug(t, b, "swp3")
		discoverUntil(t, s, host, l, "nb-b on swp3", func(o []discovery.Observation) bool {
			return len(o) == 3 && relTo(o[0], keyB)["local_port"] == "swp3"
		})
		run()
		if n, err := db.Client.ConfigurationItem.Query().Count(ctx); err != nil || n != 3 {
			t.Errorf("%d CIs after the move (%v), want the same 3", n, err)
		}
		want["nb-b"] = "swp3 eth0 lldp"
		if got := ports(); !mapsEqual(got, want) {
			t.Errorf("CONNECTS_TO after the move: %v, want %v", got, want)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
