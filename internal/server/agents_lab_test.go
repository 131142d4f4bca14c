package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestAgentsLab runs Debian's real inventory agents, fusioninventory-agent
// 2.6 and ocsinventory-agent 2.10, against the agent route of a server on
// loopback, each with its own job and database, twice: the first run
// records a CI of this machine with its packages and OS in a succeeded run
// of trigger agent; the second changes nothing (no drift opened, nothing
// created or updated). The agents exit 0 even when refused, so the server
// side is what is checked. Needs root and the packages fusioninventory-agent
// and ocsinventory-agent (skipped without them, failed under CAIRN_LAB=1).
func TestAgentsLab(t *testing.T) {
	lab.Need(t, "the FusionInventory and OCS Inventory agents", lab.FusionInventoryAgent, lab.OCSInventoryAgent)
	lab.NeedRoot(t, "the inventory agents (they keep their DEVICEID under /var/lib)")
	for _, agentBin := range []string{lab.FusionInventoryAgent, lab.OCSInventoryAgent} {
		t.Run(agentBin, func(t *testing.T) {
			a := startAgentEnv(t, storetest.SQLiteDSN(t))
			url := a.URL(server.AgentRoutePrefix + "fleet")
			run := func(n int) *ent.DiscoveryRun {
				t.Helper()
				start := time.Now()
				out, err := lab.RunAgent(context.Background(), t, agentBin, url, a.Ingest, 45*time.Second)
				t.Logf("%s run %d took %s", agentBin, n, time.Since(start).Round(time.Millisecond))
				if err != nil {
					t.Fatalf("%v\n%s", err, tail(out, 4000))
				}
				runs := agentRuns(t, a.Env, "fleet")
				if len(runs) != n {
					t.Fatalf("%d runs of job fleet after %d agent runs; the agent said:\n%s", len(runs), n, tail(out, 4000))
				}
				r := runs[n-1]
				if r.Status != discoveryrun.StatusSucceeded || r.Trigger != "agent" {
					t.Fatalf("run %d: %s trigger %q error %q; the agent said:\n%s", n, r.Status, r.Trigger, derefString(r.Error), tail(out, 4000))
				}
				return r
			}
			first := run(1)
			if first.Counts.Created != 1 {
				t.Errorf("first run counts %+v, want one CI created", first.Counts)
			}
			// This machine's CI is the one with the packages (the agent
			// may also report the VMs and containers it runs).
			cis, err := a.DB.Client.ConfigurationItem.Query().WithIdentifiers().All(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var ci *ent.ConfigurationItem
			pkgs := 0
			for _, c := range cis {
				n := 0
				for k := range c.Facts {
					if strings.HasPrefix(k, "package.") {
						n++
					}
				}
				if ci == nil || n > pkgs {
					ci, pkgs = c, n
				}
			}
			if ci == nil {
				t.Fatal("no CI recorded")
			}
			t.Logf("%s: %d CIs; CI %q (%s), %d facts (%d package.*), %d identifiers", agentBin, len(cis), ci.Name, ci.Kind, len(ci.Facts), pkgs, len(ci.Edges.Identifiers))
			if pkgs < 100 {
				t.Errorf("the CI has %d package.* facts, want this machine's packages (hundreds)", pkgs)
			}
			if !hasFactPrefix(ci.Facts, "os.") {
				t.Errorf("the CI has no os.* fact: %v", ci.Facts)
			}
			drifts := driftCount(t, a.Env)

			second := run(2)
			if c := second.Counts; c.Created != 0 || c.Updated != 0 || c.DriftsOpened != 0 || c.Matched != c.Observed {
				t.Errorf("second run counts %+v, want everything matched and nothing changed", c)
			}
			if d := driftCount(t, a.Env); d != drifts {
				t.Errorf("the second run opened drifts: %d -> %d", drifts, d)
			}
		})
	}
}

// tail is the end of an agent's output.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
