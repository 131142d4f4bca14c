package alerts_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// t0 is when the tests' alerts start.
var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// fixture is a small estate:
//
//	h1 h2 h3 h4 → sw1 (DEPENDS_ON); app1 → h1, app2 → h2 (RUNS_ON)
//	h1: host name h1, IP 10.1.0.1, MAC 00:aa:bb:cc:dd:01; h2: host name h2;
//	h3: serial SN-H3; h4: host name h4
//	dupA, dupB share IP 10.9.9.9; lone (FQDN lone.example.com), maint (host name maint)
//	services: Shop {app1}; Portal depends on Shop; Billing {}
//	change CHG-1 APPROVED on maint, window t0-1h … t0+1h
type fixture struct {
	db  *app.DB
	ids map[string]int
	ctx context.Context
	now time.Time
}

func (f *fixture) id(name string) int { return f.ids[name] }

func (f *fixture) service(t *testing.T) *alerts.Service {
	t.Helper()
	s, err := alerts.New(f.ctx, f.db.Client, f.db.Store, alerts.Config{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, fn func(t *testing.T, f *fixture)) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := audit.WithActor(context.Background(), "test")
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f := &fixture{db: db, ids: map[string]int{}, ctx: ctx, now: t0.Add(time.Minute)}
		f.seed(t)
		fn(t, f)
	})
}

func (f *fixture) seed(t *testing.T) {
	t.Helper()
	err := txn.Do(f.ctx, f.db.Client, func(tx *ent.Client) error {
		var err error
		ci := func(name string, kind configurationitem.Kind, set func(*ent.ConfigurationItemCreate)) {
			if err != nil {
				return
			}
			c := tx.ConfigurationItem.Create().SetName(name).SetKind(kind)
			if set != nil {
				set(c)
			}
			v, e := c.Save(f.ctx)
			if e != nil {
				err = fmt.Errorf("CI %s: %w", name, e)
				return
			}
			f.ids[name] = v.ID
		}
		ci("sw1", configurationitem.KindNetworkDevice, nil)
		ci("h1", configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) { c.SetHostname("h1") })
		ci("h2", configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) { c.SetHostname("h2") })
		ci("h3", configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) { c.SetSerialNumber("SN-H3") })
		ci("h4", configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) { c.SetHostname("h4") })
		ci("app1", configurationitem.KindApplication, nil)
		ci("app2", configurationitem.KindApplication, nil)
		ci("dupA", configurationitem.KindServer, nil)
		ci("dupB", configurationitem.KindServer, nil)
		ci("lone", configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) { c.SetFqdn("lone.example.com") })
		ci("maint", configurationitem.KindServer, func(c *ent.ConfigurationItemCreate) { c.SetHostname("maint") })
		if err != nil {
			return err
		}
		for _, x := range []struct {
			ci   string
			kind identifier.Kind
			v    string
		}{
			{"h1", identifier.KindIP, "10.1.0.1"}, {"h1", identifier.KindMAC, "00:aa:bb:cc:dd:01"},
			{"dupA", identifier.KindIP, "10.9.9.9"}, {"dupB", identifier.KindIP, "10.9.9.9"},
		} {
			if err := tx.Identifier.Create().SetConfigurationItemID(f.id(x.ci)).SetKind(x.kind).SetValue(x.v).Exec(f.ctx); err != nil {
				return err
			}
		}
		for _, r := range []struct {
			from, to string
			typ      relationship.Type
		}{
			{"h1", "sw1", relationship.TypeDependsOn}, {"h2", "sw1", relationship.TypeDependsOn},
			{"h3", "sw1", relationship.TypeDependsOn}, {"h4", "sw1", relationship.TypeDependsOn},
			{"app1", "h1", relationship.TypeRunsOn}, {"app2", "h2", relationship.TypeRunsOn},
		} {
			if err := tx.Relationship.Create().SetFromID(f.id(r.from)).SetToID(f.id(r.to)).SetType(r.typ).Exec(f.ctx); err != nil {
				return err
			}
		}
		shop, err := tx.Service.Create().SetName("Shop").AddMemberIDs(f.id("app1")).Save(f.ctx)
		if err != nil {
			return err
		}
		portal, err := tx.Service.Create().SetName("Portal").AddDependsOnIDs(shop.ID).Save(f.ctx)
		if err != nil {
			return err
		}
		billing, err := tx.Service.Create().SetName("Billing").Save(f.ctx)
		if err != nil {
			return err
		}
		f.ids["Shop"], f.ids["Portal"], f.ids["Billing"] = shop.ID, portal.ID, billing.ID
		chg, err := tx.ChangeRecord.Create().SetNumber("CHG-1").SetTitle("patching").SetStatus(changerecord.StatusApproved).
			SetWindowStart(t0.Add(-time.Hour)).SetWindowEnd(t0.Add(time.Hour)).SetRequester("alice").
			AddConfigurationItemIDs(f.id("maint")).Save(f.ctx)
		if err != nil {
			return err
		}
		f.ids["CHG-1"] = chg.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fire is a firing alert; resolve the same alert resolved at end.
func fire(name string, start time.Time, labels ...string) intake.Alert {
	l := map[string]string{"alertname": name}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return intake.Alert{Status: intake.StatusFiring, Labels: l, StartsAt: start, Key: intake.Fingerprint(l, nil),
		Annotations: map[string]string{"summary": name}}
}

func resolve(a intake.Alert, end time.Time) intake.Alert {
	a.Status, a.EndsAt = intake.StatusResolved, end
	return a
}

func refire(a intake.Alert, start time.Time) intake.Alert {
	a.Status, a.StartsAt, a.EndsAt = intake.StatusFiring, start, time.Time{}
	return a
}

func ingest(t *testing.T, f *fixture, s *alerts.Service, as ...intake.Alert) alerts.IngestResult {
	t.Helper()
	res, err := s.Ingest(f.ctx, alerts.Batch{Source: alert.SourceAlertmanager, Receiver: "cairn", Alerts: as})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) alert(t *testing.T, key string) *ent.Alert {
	t.Helper()
	a, err := f.db.Client.Alert.Query().Where(alert.Fingerprint(key)).Only(f.ctx)
	if err != nil {
		t.Fatalf("alert %s: %v", key, err)
	}
	return a
}

func (f *fixture) incident(t *testing.T, id int) *ent.Incident {
	t.Helper()
	inc, err := f.db.Client.Incident.Query().Where(entincident.ID(id)).
		WithConfigurationItems().WithServices().WithTopCandidate().Only(f.ctx)
	if err != nil {
		t.Fatalf("incident %d: %v", id, err)
	}
	return inc
}

func (f *fixture) count(t *testing.T) (alerts, incidents int) {
	t.Helper()
	a, err := f.db.Client.Alert.Query().Count(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.db.Client.Incident.Query().Count(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a, i
}

func ptr(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// TestBinding binds one batch by every rule and stores each alert's rule
// and note; unbound alerts are kept.
func TestBinding(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		s := f.service(t)
		far := t0.Add(-48 * time.Hour) // away from the change window
		cases := []struct {
			labels  []string
			ci      string
			svc     string
			boundBy string
			note    string
		}{
			{[]string{"cairn_ci", "APP1"}, "app1", "", "CAIRN_CI", `cairn_ci="APP1" (NAME)`},
			{[]string{"cairn_ci", "h1"}, "h1", "", "CAIRN_CI", `cairn_ci="h1" (SHORT_NAME)`},
			{[]string{"cairn_ci", "CIID:h2"}, "h2", "", "CAIRN_CI", `(ID)`},
			{[]string{"instance", "h2:9100"}, "h2", "", "INSTANCE", `instance="h2" (SHORT_NAME)`},
			{[]string{"host", "h4"}, "h4", "", "HOST", `host="h4" (SHORT_NAME)`},
			{[]string{"hostname", "lone.example.com"}, "lone", "", "HOSTNAME", `(IDENTIFIER)`},
			// a short name against a recorded FQDN's first label
			{[]string{"nodename", "lone"}, "lone", "", "NODENAME", `nodename="lone" (SHORT_NAME)`},
			// an FQDN whose short name matches a host name: the domain rule
			// reads the CI's domains (internal/incident's matcher)
			{[]string{"fqdn", "h4.example.com"}, "h4", "", "FQDN", `fqdn="h4.example.com" (SHORT_NAME)`},
			// … and a short name of another domain is not that CI
			{[]string{"fqdn", "lone.other.org"}, "", "", "", `no CI matches fqdn="lone.other.org"`},
			{[]string{"ip", "10.1.0.1"}, "h1", "", "IP", `ip="10.1.0.1" (IDENTIFIER)`},
			{[]string{"mac", "00-AA-BB-CC-DD-01"}, "h1", "", "MAC", `(IDENTIFIER)`},
			{[]string{"serial", "SN-H3"}, "h3", "", "SERIAL", `serial="SN-H3" (IDENTIFIER)`},
			{[]string{"instance", "nowhere:9100", "host", "h4"}, "h4", "", "HOST", `host="h4"`},
			{[]string{"service", "billing"}, "", "Billing", "SERVICE", `service="billing" (service)`},
			{[]string{"instance", "h1:9100", "service", "Shop"}, "h1", "Shop", "INSTANCE", `instance="h1"`},
			{[]string{"ip", "10.9.9.9"}, "", "", "", `ip="10.9.9.9" matched 2 CIs (dupA, dupB)`},
			{[]string{"host", "nowhere"}, "", "", "", `no CI matches host="nowhere"`},
			{[]string{"job", "node"}, "", "", "", `no label names a CI or service`},
		}
		var batch []intake.Alert
		for i, c := range cases {
			l := append([]string(nil), c.labels...)
			for j := range l {
				l[j] = strings.ReplaceAll(l[j], "CIID:h2", fmt.Sprint(f.id("h2")))
			}
			batch = append(batch, fire(fmt.Sprintf("Bind%d", i), far.Add(time.Duration(i)*time.Hour), l...))
		}
		res := ingest(t, f, s, batch...)
		if res.Created != len(cases) || res.Unbound != 4 {
			t.Errorf("result %+v, want %d created, 4 unbound", res, len(cases))
		}
		for i, c := range cases {
			a := f.alert(t, batch[i].Key)
			gotBy := ""
			if a.BoundBy != nil {
				gotBy = string(*a.BoundBy)
			}
			note := ""
			if a.BindingNote != nil {
				note = *a.BindingNote
			}
			if ptr(a.ConfigurationItemID) != f.ids[c.ci] || ptr(a.ServiceID) != f.ids[c.svc] || gotBy != c.boundBy || !strings.Contains(note, c.note) {
				t.Errorf("%v: CI %d service %d by %q note %q; want CI %s service %s by %q note containing %q",
					c.labels, ptr(a.ConfigurationItemID), ptr(a.ServiceID), gotBy, note, c.ci, c.svc, c.boundBy, c.note)
			}
		}
	})
}

// TestLifecycle: dedup, resolution, auto-resolve, re-fire and reopening,
// flapping, suppression by a change window.
func TestLifecycle(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		s := f.service(t)
		a := fire("NodeDown", t0, "instance", "h1:9100")
		res := ingest(t, f, s, a)
		if len(res.Opened) != 1 || res.Created != 1 {
			t.Fatalf("first batch %+v, want one alert created and one incident opened", res)
		}
		id := res.Opened[0]
		inc := f.incident(t, id)
		if inc.Title != "NodeDown on h1" || inc.Status != entincident.StatusOpen || inc.AlertCount != 1 || inc.FiringCount != 1 ||
			len(inc.Edges.ConfigurationItems) != 1 || inc.Edges.ConfigurationItems[0].ID != f.id("h1") {
			t.Errorf("incident %+v (CIs %v), want OPEN 'NodeDown on h1' with 1 firing alert on h1", inc, inc.Edges.ConfigurationItems)
		}
		if len(inc.Candidates) < 2 || inc.Candidates[0].CI != f.id("h1") || ptr(inc.TopCandidateID) != f.id("h1") ||
			inc.Candidates[1].CI != f.id("sw1") || !equalInts(inc.Candidates[1].Paths[0], []int{f.id("h1"), f.id("sw1")}) {
			t.Errorf("candidates %+v top %v, want h1 (the alerted origin) then sw1 by h1 → sw1", inc.Candidates, ptr(inc.TopCandidateID))
		}
		// The same again: one row.
		res = ingest(t, f, s, a)
		if res.Created != 0 || res.Updated != 1 || len(res.Opened) != 0 {
			t.Errorf("repeat %+v, want 1 updated, nothing opened", res)
		}
		if n, _ := f.count(t); n != 1 {
			t.Errorf("%d alerts stored after a repeat, want 1", n)
		}
		// Resolved: the alert closes, the incident resolves itself.
		end := t0.Add(5 * time.Minute)
		res = ingest(t, f, s, resolve(a, end))
		if res.Resolved != 1 || len(res.Changed) != 1 || res.Changed[0] != id {
			t.Errorf("resolution %+v, want 1 resolved, incident %d changed", res, id)
		}
		row := f.alert(t, a.Key)
		inc = f.incident(t, id)
		if row.Status != alert.StatusResolved || row.EndsAt == nil || !row.EndsAt.Equal(end) ||
			inc.Status != entincident.StatusResolved || inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(end) || inc.ResolvedBy != nil || inc.FiringCount != 0 {
			t.Errorf("after resolution alert %s ends %v, incident %s resolved %v by %v firing %d; want RESOLVED at %s by nobody",
				row.Status, row.EndsAt, inc.Status, inc.ResolvedAt, inc.ResolvedBy, inc.FiringCount, end)
		}
		// Re-fire: rejoins and reopens.
		res = ingest(t, f, s, refire(a, t0.Add(10*time.Minute)))
		row = f.alert(t, a.Key)
		inc = f.incident(t, id)
		if len(res.Opened) != 0 || row.Refires != 1 || ptr(row.IncidentID) != id || inc.Status != entincident.StatusOpen ||
			inc.ResolvedAt != nil || inc.FiringCount != 1 || inc.AlertCount != 1 {
			t.Errorf("re-fire %+v: alert refires %d incident %d; incident %s resolved %v firing %d; want it back in %d, reopened",
				res, row.Refires, ptr(row.IncidentID), inc.Status, inc.ResolvedAt, inc.FiringCount, id)
		}
		// Flapping: resolve and fire again twice more (4 transitions in 15m).
		ingest(t, f, s, resolve(refire(a, t0.Add(10*time.Minute)), t0.Add(11*time.Minute)))
		res = ingest(t, f, s, refire(a, t0.Add(12*time.Minute)))
		if row = f.alert(t, a.Key); !row.Flapping || res.Flapping != 1 || len(row.Transitions) != 4 {
			t.Errorf("after 4 transitions flapping %v (result %d), transitions %v", row.Flapping, res.Flapping, row.Transitions)
		}
		// The incident dies (resolved, quiet passed): the flapping alert
		// firing again opens nothing.
		ingest(t, f, s, resolve(refire(a, t0.Add(12*time.Minute)), t0.Add(13*time.Minute)))
		f.now = t0.Add(2 * time.Hour)
		res = ingest(t, f, s, refire(a, t0.Add(2*time.Hour)))
		row = f.alert(t, a.Key)
		if len(res.Opened) != 0 || row.IncidentID != nil || !row.Flapping {
			t.Errorf("a flapping alert after its incident died: %+v, incident %v flapping %v; want no incident", res, row.IncidentID, row.Flapping)
		}
		// Suppressed by the change window on maint.
		m := fire("DiskFull", t0, "host", "maint")
		res = ingest(t, f, s, m)
		row = f.alert(t, m.Key)
		if res.Suppressed != 1 || len(res.Opened) != 0 || ptr(row.SuppressedByID) != f.id("CHG-1") || row.IncidentID != nil {
			t.Errorf("in the change window: %+v, suppressed by %v incident %v; want CHG-1, no incident", res, row.SuppressedByID, row.IncidentID)
		}
		// Outside the window it is not.
		m2 := fire("DiskFull", t0.Add(3*time.Hour), "host", "maint", "device", "sdb")
		f.now = t0.Add(3 * time.Hour)
		res = ingest(t, f, s, m2)
		if row = f.alert(t, m2.Key); res.Suppressed != 0 || row.SuppressedByID != nil || len(res.Opened) != 1 {
			t.Errorf("outside the change window: %+v, suppressed by %v; want an incident", res, row.SuppressedByID)
		}
	})
}

// TestStorm: alerts on the switch's dependents become one incident with
// the switch on top, its paths, the alerted CIs and the impacted services
// (Portal through its dependency on Shop); it resolves when all resolve,
// reopens on a re-fire, and a restart continues it.
func TestStorm(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		s := f.service(t)
		first := []intake.Alert{
			fire("NodeDown", t0, "instance", "h1:9100"),
			fire("NodeDown", t0.Add(2*time.Second), "instance", "h2:9100"),
			fire("AppDown", t0.Add(5*time.Second), "cairn_ci", "app1"),
		}
		res := ingest(t, f, s, first...)
		if len(res.Opened) != 1 {
			t.Fatalf("first storm batch %+v, want one incident", res)
		}
		id := res.Opened[0]
		// A restart in the middle of the storm continues the same incident.
		s = f.service(t)
		second := []intake.Alert{
			fire("NodeDown", t0.Add(20*time.Second), "serial", "SN-H3"),
			fire("NodeDown", t0.Add(21*time.Second), "host", "h4"),
			fire("AppDown", t0.Add(30*time.Second), "cairn_ci", "app2"),
			fire("Noise", t0.Add(30*time.Second), "host", "nowhere"),
		}
		res = ingest(t, f, s, second...)
		if len(res.Opened) != 1 || !equalInts(res.Changed, []int{id}) {
			t.Errorf("second batch after a restart %+v, want incident %d changed and one opened (the unbound alert)", res, id)
		}
		inc := f.incident(t, id)
		var cis, svcs []string
		for _, c := range inc.Edges.ConfigurationItems {
			cis = append(cis, c.Name)
		}
		for _, s := range inc.Edges.Services {
			svcs = append(svcs, s.Name)
		}
		sort.Strings(cis)
		sort.Strings(svcs)
		if inc.AlertCount != 6 || inc.FiringCount != 6 || strings.Join(cis, ",") != "app1,app2,h1,h2,h3,h4" ||
			strings.Join(svcs, ",") != "Portal,Shop" || inc.Edges.TopCandidate == nil || inc.Edges.TopCandidate.Name != "sw1" ||
			inc.Title != "sw1: 6 alerts on 6 CIs" || !inc.FirstAlertAt.Equal(t0) || !inc.LastAlertAt.Equal(t0.Add(30*time.Second)) {
			t.Errorf("storm incident %q: %d alerts (%d firing) on %v, services %v, top %v, alerts %s…%s",
				inc.Title, inc.AlertCount, inc.FiringCount, cis, svcs, inc.Edges.TopCandidate, inc.FirstAlertAt, inc.LastAlertAt)
		}
		top := inc.Candidates[0]
		if top.CI != f.id("sw1") || top.Alerted || top.PathCount != 6 || len(top.Paths) != 6 || len(top.Reasons) == 0 {
			t.Errorf("top candidate %+v, want silent sw1 with 6 paths and reasons", top)
		}
		wantPath := []int{f.id("app1"), f.id("h1"), f.id("sw1")}
		found := false
		for _, p := range top.Paths {
			found = found || equalInts(p, wantPath)
		}
		if !found {
			t.Errorf("paths %v lack app1 → h1 → sw1 %v", top.Paths, wantPath)
		}
		// All resolve: the incident resolves itself at the last end.
		all := append(append([]intake.Alert(nil), first...), second[:3]...)
		var resolved []intake.Alert
		for i, a := range all {
			resolved = append(resolved, resolve(a, t0.Add(time.Duration(3+i)*time.Minute)))
		}
		res = ingest(t, f, s, resolved...)
		inc = f.incident(t, id)
		if inc.Status != entincident.StatusResolved || inc.FiringCount != 0 || inc.ResolvedAt == nil || !inc.ResolvedAt.Equal(t0.Add(8*time.Minute)) {
			t.Errorf("all resolved: %s firing %d resolved at %v, want RESOLVED at %s", inc.Status, inc.FiringCount, inc.ResolvedAt, t0.Add(8*time.Minute))
		}
		// A re-fire reopens it.
		res = ingest(t, f, s, refire(first[1], t0.Add(10*time.Minute)))
		if inc = f.incident(t, id); inc.Status != entincident.StatusOpen || inc.FiringCount != 1 || len(res.Opened) != 0 {
			t.Errorf("re-fire after resolution: %+v, incident %s firing %d; want it reopened", res, inc.Status, inc.FiringCount)
		}
		// Resolved by a person: new alerts open a new incident.
		if err := txn.Do(f.ctx, f.db.Client, func(tx *ent.Client) error {
			return tx.Incident.UpdateOneID(id).SetStatus(entincident.StatusResolved).SetResolvedAt(t0.Add(11 * time.Minute)).
				SetResolvedBy("alice").Exec(f.ctx)
		}); err != nil {
			t.Fatal(err)
		}
		res = ingest(t, f, s, fire("NodeDown", t0.Add(12*time.Minute), "ip", "10.1.0.1"))
		if len(res.Opened) != 1 || res.Opened[0] == id {
			t.Errorf("after a person resolved %d: %+v, want a new incident", id, res)
		}
	})
}

// TestBadBatch: a batch that fails midway (a value the schema refuses,
// after the incident was created in the transaction; a cancelled context)
// stores nothing, and the next batch works.
func TestBadBatch(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		s := f.service(t)
		good := fire("NodeDown", t0, "instance", "h1:9100")
		bad := fire(strings.Repeat("x", 600), t0, "instance", "h2:9100")
		_, err := s.Ingest(f.ctx, alerts.Batch{Source: alert.SourceAPI, Alerts: []intake.Alert{good, bad}})
		if err == nil {
			t.Fatal("a batch with a 600-byte alertname was stored")
		}
		if a, i := f.count(t); a != 0 || i != 0 {
			t.Errorf("after a failed batch %d alerts and %d incidents stored, want none", a, i)
		}
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		if _, err := s.Ingest(ctx, alerts.Batch{Source: alert.SourceAPI, Alerts: []intake.Alert{good}}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v, want context.Canceled", err)
		}
		if a, i := f.count(t); a != 0 || i != 0 {
			t.Errorf("after a cancelled batch %d alerts and %d incidents stored, want none", a, i)
		}
		if _, err := s.Ingest(f.ctx, alerts.Batch{Source: "SNMP", Alerts: []intake.Alert{good}}); err == nil || !strings.Contains(err.Error(), "source") {
			t.Errorf("bad source: %v", err)
		}
		res := ingest(t, f, s, good)
		if res.Created != 1 || len(res.Opened) != 1 {
			t.Errorf("the next batch %+v, want it stored with one incident", res)
		}
		if a, i := f.count(t); a != 1 || i != 1 {
			t.Errorf("%d alerts, %d incidents, want 1 and 1", a, i)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPersonTitle: a title a person set is intake's no longer, in the same
// process and after a restart, even when it reads like intake's own; an
// incident intake titled is retitled as alerts join.
func TestPersonTitle(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		s := f.service(t)
		res := ingest(t, f, s,
			fire("NodeDown", t0, "instance", "h1:9100"),
			fire("NodeDown", t0.Add(2*time.Second), "instance", "h2:9100"))
		if len(res.Opened) != 1 {
			t.Fatalf("first batch %+v, want one incident", res)
		}
		id := res.Opened[0]
		if got := f.incident(t, id).Title; got != "sw1: 2 alerts on 2 CIs" {
			t.Fatalf("intake's title %q, want sw1: 2 alerts on 2 CIs", got)
		}
		const mine = "sw1 uplink: 2 alerts on 2 CIs"
		upd, err := s.Update(f.ctx, id, alerts.IncidentUpdate{Title: ptrTo(mine)})
		if err != nil {
			t.Fatal(err)
		}
		if !upd.TitleSetByPerson {
			t.Errorf("after Update with a title, title_set_by_person is false")
		}
		// Another alert joins: the person's title stays.
		res = ingest(t, f, s, fire("NodeDown", t0.Add(10*time.Second), "serial", "SN-H3"))
		if !equalInts(res.Changed, []int{id}) {
			t.Fatalf("second batch %+v, want incident %d changed", res, id)
		}
		inc := f.incident(t, id)
		if inc.Title != mine || inc.AlertCount != 3 {
			t.Errorf("after an alert joined: %q with %d alerts, want %q with 3", inc.Title, inc.AlertCount, mine)
		}
		// After a restart too.
		s = f.service(t)
		res = ingest(t, f, s, fire("NodeDown", t0.Add(20*time.Second), "host", "h4"))
		if !equalInts(res.Changed, []int{id}) {
			t.Fatalf("batch after a restart %+v, want incident %d changed", res, id)
		}
		inc = f.incident(t, id)
		if inc.Title != mine || inc.AlertCount != 4 || !inc.TitleSetByPerson {
			t.Errorf("after a restart and an alert: %q with %d alerts (set by a person %v), want %q with 4, true", inc.Title, inc.AlertCount, inc.TitleSetByPerson, mine)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
