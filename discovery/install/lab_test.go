package install_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

func memTotalBytes(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return strconv.FormatInt(kb*1024, 10)
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return ""
}

// TestLabDiscovery discovers the real lab (sshd, snmpd, node_exporter and a
// banner port on loopback) into a fresh database with every infrastructure
// source, checks real values against this machine, then changes the lab —
// snmpd's sysContact, a new port, node_exporter stopped — and checks that the
// next runs open exactly the drifts those changes explain, and nothing else.
func TestLabDiscovery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		sshd := lab.StartSSHD(t)
		snmpd := lab.StartSNMPD(t, "ops@example.com")
		ne := lab.StartNodeExporter(t)
		lab.Listen(t, "127.0.0.5:2223")

		ctx := audit.WithActor(context.Background(), "lab-test")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		box, err := secret.Load(strings.Repeat("5a", 32), "")
		if err != nil {
			t.Fatal(err)
		}
		type jobSpec struct {
			name, kind string
			config     map[string]any
			creds      map[string]string
		}
		specs := []jobSpec{
			{"lab-ssh", "ssh", map[string]any{"hosts": []string{"127.0.0.2"}, "port": 2222, "user": sshd.User, "knownHostsFile": sshd.KnownHostsFile},
				map[string]string{"private_key": string(sshd.ClientKeyPEM)}},
			{"lab-node", "node_exporter", map[string]any{"hosts": []string{"127.0.0.4"}, "timeout": "5s"}, nil},
			{"lab-snmp", "snmp", map[string]any{"hosts": []string{"127.0.0.3"}, "port": 1161, "timeout": "2s"},
				map[string]string{"community": snmpd.Community}},
			{"lab-scan", "tcpscan", map[string]any{"hosts": []string{"127.0.0.5"}, "ports": "2223,8081"}, nil},
		}
		jobs := map[string]*ent.DiscoveryJob{}
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			for _, s := range specs {
				c := tx.DiscoveryJob.Create().SetName(s.name).SetSourceKind(s.kind).SetConfig(s.config).
					SetCreateUnregistered(true).SetMode(discoveryjob.ModeReport).SetTimeoutSeconds(120)
				if s.creds != nil {
					sealed, err := box.SealMap(s.creds)
					if err != nil {
						return err
					}
					c.SetCredentialsSealed(sealed)
				}
				j, err := c.Save(ctx)
				if err != nil {
					return err
				}
				jobs[s.name] = j
			}
			// Other tests open and close listeners on this machine while
			// this one runs; ssh reports every listening socket.
			return tx.DriftIgnoreRule.Create().SetName("local listeners").SetFieldPattern("facts.listen.*").Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: install.Registry(), Secrets: box, Dialect: db.Store.Dialect()}
		runAll := func(round string) map[string]*ent.DiscoveryRun {
			out := map[string]*ent.DiscoveryRun{}
			for _, s := range specs {
				res, err := rn.RunJob(ctx, jobs[s.name].ID, false, "test")
				if err != nil {
					t.Fatalf("%s: running %s: %v", round, s.name, err)
				}
				out[s.name] = res.Run
				b, _ := json.Marshal(res.Run.Counts)
				t.Logf("%s %s: %s %s %s %v", round, s.name, res.Run.Status, b, deref(res.Run.Error), res.Run.HostErrors)
			}
			return out
		}

		first := runAll("round 1")
		for name, run := range first {
			if run.Status != "SUCCEEDED" {
				t.Fatalf("round 1: %s %s: %s %v", name, run.Status, deref(run.Error), run.HostErrors)
			}
		}
		host, _ := os.Hostname()
		machine, err := db.Client.ConfigurationItem.Query().Where(configurationitem.Hostname(strings.ToLower(strings.Split(host, ".")[0]))).All(ctx)
		if err != nil || len(machine) != 1 {
			t.Fatalf("CIs with host name %q: %d (%v); ssh and node_exporter must converge on one", host, len(machine), err)
		}
		m := machine[0]
		if got, want := m.Facts["memory.total_bytes"], memTotalBytes(t); got != want {
			t.Errorf("memory.total_bytes = %v, want %s from /proc/meminfo", got, want)
		}
		if m.Facts["exporter.version"] == nil || m.Facts["kernel.release"] == nil {
			t.Errorf("node_exporter and ssh facts on the machine: %v", m.Facts)
		}
		by := map[string]bool{}
		for _, p := range m.Provenance {
			by[p.By] = true
		}
		if !by["discovery:lab-ssh"] || !by["discovery:lab-node"] {
			t.Errorf("the machine's fields were set by %v; want both lab-ssh and lab-node", by)
		}
		scanned, err := db.Client.ConfigurationItem.Query().Where(configurationitem.HasIdentifiersWith()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var scanCI *ent.ConfigurationItem
		for _, ci := range scanned {
			if _, ok := ci.Facts["open.tcp.2223"]; ok {
				scanCI = ci
			}
		}
		if scanCI == nil || !strings.Contains(fmt.Sprint(scanCI.Facts["open.tcp.2223"]), "CAIRN-LAB 1.0") {
			t.Fatalf("the banner port on 127.0.0.5:2223 was not recorded: %+v", scanCI)
		}
		var snmpCI *ent.ConfigurationItem
		for _, ci := range scanned {
			if ci.Facts["snmp.sysContact"] != nil {
				snmpCI = ci
			}
		}
		if snmpCI == nil || snmpCI.Facts["snmp.sysContact"] != "ops@example.com" {
			t.Fatalf("sysContact not recorded: %+v", snmpCI)
		}

		// The same lab again: nothing new.
		mark := time.Now()
		runAll("round 2")
		if got := openedSince(t, ctx, db.Client, mark); len(got) != 0 {
			t.Fatalf("an unchanged lab opened drifts:\n%s", strings.Join(got, "\n"))
		}

		// Change the lab.
		snmpd.Restart(t, "noc@example.com")
		lab.Listen(t, "127.0.0.5:8081")
		ne.Stop()
		mark = time.Now()
		third := runAll("round 3")
		got := openedSince(t, ctx, db.Client, mark)
		want := []string{
			fmt.Sprintf("ATTRIBUTE_CHANGED %d facts.open.tcp.8081 %q → %q", scanCI.ID, "", "open CAIRN-LAB 1.0"),
			fmt.Sprintf("ATTRIBUTE_CHANGED %d facts.snmp.sysContact %q → %q", snmpCI.ID, "ops@example.com", "noc@example.com"),
		}
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("drifts opened by the changed lab:\n%s\nwant exactly:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if r := third["lab-node"]; r.Status != "FAILED" || !strings.Contains(deref(r.Error), "127.0.0.4") {
			t.Errorf("node_exporter stopped: run %s %q, want FAILED naming 127.0.0.4", r.Status, deref(r.Error))
		}
		// A failed run marks nothing missing.
		if n, _ := db.Client.Drift.Query().Where(drift.KindEQ(drift.KindMissing)).Count(ctx); n != 0 {
			t.Errorf("%d missing drifts after a failed run", n)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// openedSince lists the open drifts first seen after t0, as
// "KIND ci field recorded → observed", sorted.
func openedSince(t *testing.T, ctx context.Context, c *ent.Client, t0 time.Time) []string {
	t.Helper()
	ds, err := c.Drift.Query().Where(drift.FirstSeenAtGTE(t0.Add(-time.Second)), drift.StatusEQ(drift.StatusOpen)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		if d.FirstSeenAt.Before(t0) {
			continue
		}
		ci := 0
		if d.ConfigurationItemID != nil {
			ci = *d.ConfigurationItemID
		}
		out = append(out, fmt.Sprintf("%s %d %s %q → %q", d.Kind, ci, deref(d.FieldName), deref(d.Recorded), deref(d.Observed)))
	}
	sort.Strings(out)
	return out
}
