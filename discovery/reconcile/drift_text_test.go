package reconcile_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestMissingTextCountsRuns: the missing drift says "1 complete run", then
// "2 complete runs" (issue 18, defect 9).
func TestMissingTextCountsRuns(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		cis := e.seed(ciSpec{Name: "web01", Hostname: "web01"}, ciSpec{Name: "web02", Hostname: "web02"})
		j := e.job("scan", nil)
		e.reconcile(e.opts(j), withFields(obs("web01"), "hostname", "web01"), withFields(obs("web02"), "hostname", "web02"))
		for _, want := range []string{"not seen by 1 complete run", "not seen by 2 complete runs"} {
			e.tick(time.Hour)
			e.reconcile(e.opts(j), withFields(obs("web01"), "hostname", "web01"))
			checkDrifts(t, e.driftsOf(cis[1].ID), driftView{Kind: drift.KindMissing, Status: drift.StatusOpen, CI: cis[1].ID,
				Field: "discovery:scan", Recorded: "present", Observed: want})
		}
	})
}

// TestSysNameNotAHostNameNamesCI: an SNMP device whose sysName is not a
// valid host name ("core_sw_01") is created under that name with the name
// kept as a fact, identified by its MAC, and no host name identifier is
// derived from it (issue 18, defect 9); a later run matches it by the MAC.
func TestSysNameNotAHostNameNamesCI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		j := e.job("snmp", nil)
		o := withFacts(obs("snmp 10.0.0.7", id(ident.IP, "10.0.0.7"), id(ident.MAC, "aa:bb:cc:00:00:07")), "snmp.sysName", "core_sw_01")
		o.Name = "core_sw_01"
		o.Kind = discovery.KindNetworkDevice
		opts := e.opts(j)
		opts.CreateUnregistered = true
		out, _ := e.reconcile(opts, o)
		if out.Counts.Created != 1 {
			t.Fatalf("created %d CIs, want 1", out.Counts.Created)
		}
		ci, err := e.c.ConfigurationItem.Query().Only(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ci.Name != "core_sw_01" || ci.Hostname != nil || ci.Fqdn != nil || ci.Facts["snmp.sysName"] != "core_sw_01" {
			t.Fatalf("CI name %q hostname %v fqdn %v facts %v", ci.Name, ci.Hostname, ci.Fqdn, ci.Facts)
		}
		want := []string{"IP=10.0.0.7(discovery:snmp)", "MAC=aa:bb:cc:00:00:07(discovery:snmp)"}
		if got := identifiersOf(t, e, ci.ID); !slices.Equal(got, want) {
			t.Fatalf("identifiers %q, want %q", got, want)
		}
		e.tick(time.Hour)
		out, _ = e.reconcile(opts, o)
		if out.Counts.Created != 0 || out.Counts.Matched != 1 {
			t.Fatalf("second run: counts %+v, want one matched and none created", out.Counts)
		}
	})
}
