package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// relInventory picks, from the synthetic estate of n CIs, the CIs of a
// virtualisation inventory: vms VMs, hosts ESXi hosts (servers), clusters
// of ten hosts, datastores (storage) and one distributed switch (a network
// device), by their synthetic indexes.
type relInventory struct {
	vms, hosts, clusters, datastores []int
	dvs                              int
}

func pickInventory(b *testing.B, n, vms, hosts int) relInventory {
	b.Helper()
	var inv relInventory
	want := map[string]int{"VM": vms, "SERVER": hosts, "CLUSTER": hosts / 10, "STORAGE": 100, "NETWORK_DEVICE": 1}
	for i := range n {
		k := estate.SyntheticKind(i)
		if want[k] == 0 {
			continue
		}
		want[k]--
		switch k {
		case "VM":
			inv.vms = append(inv.vms, i)
		case "SERVER":
			inv.hosts = append(inv.hosts, i)
		case "CLUSTER":
			inv.clusters = append(inv.clusters, i)
		case "STORAGE":
			inv.datastores = append(inv.datastores, i)
		case "NETWORK_DEVICE":
			inv.dvs = i
		}
	}
	for k, left := range want {
		if left > 0 {
			b.Fatalf("the estate of %d CIs has %d %s CIs too few for the inventory", n, left, k)
		}
	}
	return inv
}

// observations of the inventory as a vSphere run reports them: each VM
// RUNS_ON its host (shift moves every tenth VM to the next host),
// MEMBER_OF its host's cluster and USES one or two datastores (attribute
// disk); each host MEMBER_OF its cluster and CONNECTS_TO the distributed
// switch (attribute local_port). CIs are identified by host name.
func (inv relInventory) observations(shift bool) []discovery.Observation {
	key := func(prefix string, i int) string { return fmt.Sprintf("vsphere:bench:%s-%d", prefix, i) }
	ob := func(k, kind string, i int) discovery.Observation {
		return discovery.Observation{Key: k, Kind: kind, Name: estate.SyntheticHostname(i),
			Fields: map[string]string{"hostname": estate.SyntheticHostname(i)}}
	}
	var out []discovery.Observation
	for h, i := range inv.hosts {
		o := ob(key("host", i), discovery.KindServer, i)
		o.Relationships = []discovery.Relationship{
			{Type: "MEMBER_OF", To: key("domain-c", inv.clusters[h/10])},
			{Type: "CONNECTS_TO", To: key("dvs", inv.dvs), Attributes: map[string]string{"local_port": "vmnic0"}},
		}
		out = append(out, o)
	}
	for _, i := range inv.clusters {
		out = append(out, ob(key("domain-c", i), discovery.KindCluster, i))
	}
	for _, i := range inv.datastores {
		out = append(out, ob(key("datastore", i), discovery.KindStorage, i))
	}
	out = append(out, ob(key("dvs", inv.dvs), discovery.KindNetworkDevice, inv.dvs))
	for v, i := range inv.vms {
		h := v % len(inv.hosts)
		if shift && v%10 == 0 {
			h = (h + 1) % len(inv.hosts)
		}
		o := ob(key("vm", i), discovery.KindVM, i)
		o.Relationships = []discovery.Relationship{
			{Type: "RUNS_ON", To: key("host", inv.hosts[h])},
			{Type: "MEMBER_OF", To: key("domain-c", inv.clusters[h/10])},
			{Type: "USES", To: key("datastore", inv.datastores[v%len(inv.datastores)]), Attributes: map[string]string{"disk": "Hard disk 1"}},
		}
		if v%2 == 0 {
			o.Relationships = append(o.Relationships, discovery.Relationship{Type: "USES",
				To: key("datastore", inv.datastores[(v+7)%len(inv.datastores)]), Attributes: map[string]string{"disk": "Hard disk 2"}})
		}
		out = append(out, o)
	}
	return out
}

// BenchmarkReconcileRelationships2k reconciles the relationships of a
// 2,000-VM vSphere inventory (50 hosts, 5 clusters, 100 datastores, a
// distributed switch: 2,156 observations, about 5,100 edges) against the
// 100,000-CI estate, every run one transaction through the runner: a
// baseline update-mode run records the edges (untimed), then a tenth of
// the VMs move to another host and a report-mode run opens the drifts,
// then an update-mode run creates the new RUNS_ON edges, deletes the old
// ones and accepts the drifts. Goal: each at most 5 s. Run it with
// -benchtime 1x.
func BenchmarkReconcileRelationships2k(b *testing.B) {
	for range b.N {
		db := reconcileDB(b)
		ctx := audit.WithActor(context.Background(), "bench")
		inv := pickInventory(b, estateSize(), 2000, 50)
		var obs []discovery.Observation
		reg, err := discovery.NewRegistry(discovery.Kind{Name: "static", NewConfig: func() discovery.Config { return &staticConfig{obs: obs} }})
		if err != nil {
			b.Fatal(err)
		}
		var job *ent.DiscoveryJob
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			job, err = tx.DiscoveryJob.Create().SetName("vsphere-bench").SetSourceKind("static").Save(ctx)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		setMode := func(mode string) {
			if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
				return tx.DiscoveryJob.UpdateOneID(job.ID).SetMode(discoveryjob.Mode(mode)).Exec(ctx)
			}); err != nil {
				b.Fatal(err)
			}
		}
		rn := &runner.Runner{Client: db.Client, Registry: reg, Dialect: db.Store.Dialect()}
		timed := func(label string, in []discovery.Observation) (*runner.Result, time.Duration) {
			obs = in
			runtime.GC()
			start := time.Now()
			res, err := rn.RunJob(ctx, job.ID, false, "bench")
			d := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if res.Run.Error != nil {
				b.Fatalf("%s: %s", label, *res.Run.Error)
			}
			c := res.Run.Counts
			b.Logf("%s: %d observations in %s: matched %d, filled %d, updated %d, drifts opened %d",
				label, len(in), d.Round(time.Millisecond), c.Matched, c.Filled, c.Updated, c.DriftsOpened)
			return res, d
		}
		b.StopTimer()
		setMode("UPDATE")
		timed("baseline (edges recorded)", inv.observations(false))
		runsOn := func() int {
			n, err := db.Client.Relationship.Query().Where(relationship.TypeEQ(relationship.TypeRunsOn), relationship.Source("discovery:vsphere-bench")).Count(ctx)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
		if n := runsOn(); n != len(inv.vms) {
			b.Fatalf("baseline recorded %d RUNS_ON edges, want %d", n, len(inv.vms))
		}
		moved := inv.observations(true)
		setMode("REPORT")
		b.StartTimer()
		rep, dRep := timed("report run (a tenth moved)", moved)
		b.StopTimer()
		if got, want := rep.Run.Counts.DriftsOpened, 2*len(inv.vms)/10; got != want {
			b.Fatalf("report run opened %d drifts, want %d (two per moved VM)", got, want)
		}
		setMode("UPDATE")
		b.StartTimer()
		upd, dUpd := timed("update run (edges replaced)", moved)
		b.StopTimer()
		if got, want := upd.Run.Counts.Updated, 2*len(inv.vms)/10; got != want {
			b.Fatalf("update run made %d updates, want %d (one edge created, one deleted per moved VM)", got, want)
		}
		if n := runsOn(); n != len(inv.vms) {
			b.Fatalf("after the update run %d RUNS_ON edges, want %d: one per VM", n, len(inv.vms))
		}
		b.ReportMetric(dRep.Seconds(), "report-s")
		b.ReportMetric(dUpd.Seconds(), "update-s")
		b.StartTimer()
	}
}
