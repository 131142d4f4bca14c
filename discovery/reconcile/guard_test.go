package reconcile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/nmap"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// nmapFixtures holds the real nmap scans (testdata/discovery/nmap/README.md).
const nmapFixtures = "../../testdata/discovery/nmap"

// A scheduled nmap job that saw a host is fed scans that went wrong: a scan
// nmap reports as failed, one whose only target did not resolve, one whose
// host has no status, and one that saw the host down. None may mark the
// host missing or retire it, though the job retires after one missed run.
func TestFailedNmapScanRetiresNothing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		lab, err := os.ReadFile(filepath.Join(nmapFixtures, "lab.xml"))
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "scan.xml")
		write := func(b []byte) {
			t.Helper()
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fixture := func(name string) []byte {
			t.Helper()
			b, err := os.ReadFile(filepath.Join(nmapFixtures, name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		reg, err := discovery.NewRegistry(nmap.Kind())
		if err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: e.c, Registry: reg, Dialect: e.dialect, Holder: "test", Now: func() time.Time { return e.now }}
		j := e.job("nightly-nmap", func(c *ent.DiscoveryJobCreate) {
			c.SetSourceKind(nmap.KindName).SetConfig(map[string]any{"file": file}).
				SetCreateUnregistered(true).SetMode(discoveryjob.ModeUpdate).SetMissingGrace(1).SetRetireAfter(1)
		})
		run := func() *ent.DiscoveryRun {
			t.Helper()
			e.tick(time.Hour)
			res, err := rn.RunJob(e.ctx, j.ID, false, "schedule")
			if err != nil {
				t.Fatal(err)
			}
			return res.Run
		}

		write(lab)
		if r := run(); r.Status != discoveryrun.StatusSucceeded || r.Counts.Created != 1 {
			t.Fatalf("good scan: %s, counts %+v; want SUCCEEDED with one CI created", r.Status, r.Counts)
		}
		host, err := e.c.ConfigurationItem.Query().Only(e.ctx)
		if err != nil {
			t.Fatal(err)
		}

		down := strings.ReplaceAll(string(lab), `<status state="up"`, `<status state="down"`)
		noStatus := strings.ReplaceAll(string(lab), `<status state="up" reason="localhost-response" reason_ttl="0"/>`, "")
		if noStatus == string(lab) {
			t.Fatal("lab.xml has no <status> element to drop")
		}
		tests := []struct {
			name   string
			scan   []byte
			status discoveryrun.Status
			err    string
		}{
			{"nmap says the scan failed", fixture("failed-script.xml"), discoveryrun.StatusFailed,
				`the nmap scan failed: nmap reports exit="error": NSE: failed to initialize the script engine`},
			{"no target resolved", fixture("unresolved.xml"), discoveryrun.StatusFailed, "nmap scanned no address"},
			{"host without status", []byte(noStatus), discoveryrun.StatusPartial, ""},
			{"every host down", []byte(down), discoveryrun.StatusPartial,
				"would mark 1 of 1 CIs (100%) missing, above the job's 50%: held as PARTIAL; a scan that saw nothing is more likely broken than the estate gone"},
		}
		for _, tt := range tests {
			write(tt.scan)
			r := run()
			if r.Status != tt.status {
				t.Errorf("%s: run %s (error %q), want %s", tt.name, r.Status, str(r.Error), tt.status)
			}
			if tt.err != "" && !strings.Contains(str(r.Error), tt.err) {
				t.Errorf("%s: run error %q lacks %q", tt.name, str(r.Error), tt.err)
			}
			if r.Counts.Missing != 0 || r.Counts.Retired != 0 {
				t.Errorf("%s: counts %+v, want nothing missing or retired", tt.name, r.Counts)
			}
			if got := e.ci(host.ID); got.Status != host.Status {
				t.Errorf("%s: host status %s, want %s", tt.name, got.Status, host.Status)
			}
			if ds := e.drifts(func(q *ent.DriftQuery) { q.Where(drift.KindEQ(drift.KindMissing)) }); len(ds) != 0 {
				t.Errorf("%s: missing drifts %v", tt.name, views(ds))
			}
		}

		// A good scan again is complete; with the guard off (0), empty
		// complete scans mark the host missing, then retire it: what the
		// runs above would have done.
		write(lab)
		if r := run(); r.Status != discoveryrun.StatusSucceeded {
			t.Fatalf("good scan again: %s %q", r.Status, str(r.Error))
		}
		e.tx("alice", func(ctx context.Context, tx *ent.Client) error {
			return tx.DiscoveryJob.UpdateOneID(j.ID).SetMaxMissingPercent(0).Exec(ctx)
		})
		write([]byte(down))
		if r := run(); r.Status != discoveryrun.StatusSucceeded || r.Counts.Missing != 1 {
			t.Fatalf("empty scan without the guard: %s, counts %+v; want the host missing", r.Status, r.Counts)
		}
		if r := run(); r.Status != discoveryrun.StatusSucceeded || r.Counts.Retired != 1 {
			t.Fatalf("second empty scan without the guard: %s, counts %+v; want the host retired", r.Status, r.Counts)
		}
	})
}

// Revive restores what was there: a CI this job retired after it went
// missing returns, when seen again, to the status it had before (read from
// the audit event of its retirement), not ACTIVE.
func TestReviveRestoresStatus(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		for _, before := range []configurationitem.Status{configurationitem.StatusDiscovered, configurationitem.StatusActive, configurationitem.StatusMaintenance} {
			e := newEnv(t, dsn)
			name := strings.ToLower(string(before))
			ci := e.seed(ciSpec{Name: name, Hostname: name, Status: before})[0]
			j := e.job("revive-"+name, func(c *ent.DiscoveryJobCreate) { c.SetRetireAfter(1) })
			o := e.opts(j)
			seen := withFields(obs(name, id(ident.Hostname, name)), "hostname", name)
			e.reconcile(o, seen)
			e.tick(time.Hour)
			o.Now = e.now
			e.reconcile(o) // missing
			e.tick(time.Hour)
			o.Now = e.now
			if out, _ := e.reconcile(o); out.Counts.Retired != 1 {
				t.Fatalf("%s: counts %+v, want the CI retired", before, out.Counts)
			}
			if got := e.ci(ci.ID).Status; got != configurationitem.StatusRetired {
				t.Fatalf("%s: status %s after retirement", before, got)
			}
			e.tick(time.Hour)
			o.Now = e.now
			out, _ := e.reconcile(o, seen)
			if got := e.ci(ci.ID).Status; got != before {
				t.Errorf("revived to %s, want %s (changes %+v)", got, before, out.Changes)
			}
			ev := e.lastEvent(ent.TypeConfigurationItem, ci.ID)
			if b, a := change(t, ev, "status"); b != "RETIRED" || a != string(before) {
				t.Errorf("%s: revive audited %v → %v", before, b, a)
			}
		}
	})
}
