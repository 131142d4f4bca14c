package report_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// The fixture's clock: the report runs at 06:00 UTC on 10 March 2026 and
// covers the 24 hours before.
var (
	until = time.Date(2026, 3, 10, 6, 0, 0, 0, time.UTC)
	since = until.Add(-24 * time.Hour)
)

// at is a time of the fixture: day of month (March 2026 unless month is
// given) and hour.
func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
}

// openMu serialises opening databases: ent's migration writes its global
// table descriptions.
var openMu sync.Mutex

type env struct {
	db    *app.DB
	c     *ent.Client
	count *store.CountingDriver
}

func open(t testing.TB, dsn string) *env {
	t.Helper()
	e := &env{}
	openMu.Lock()
	db, err := app.Open(context.Background(), dsn, app.Options{WrapDriver: func(d dialect.Driver) dialect.Driver {
		e.count = store.NewCountingDriver(d)
		return e.count
	}})
	openMu.Unlock()
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e.db, e.c = db, db.Client
	return e
}

// tx runs fn in one committed transaction as the test's actor.
func (e *env) tx(t testing.TB, fn func(ctx context.Context, c *ent.Client) error) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "test:report")
	tx, err := e.c.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// fixture is what seed created, by name.
type fixture struct {
	ci    map[string]int
	drift map[string]int
	job   map[string]int
}

// seed writes the fixture estate:
//
//   - owners Platform, Payments Team (with the person Dana Reyes, who has
//     no on-call contact of her own) and Storage|Ops;
//   - services checkout {app-01, lb-01}, payments-api {db-01}, storage
//     {san-01}, intranet {web-01, srv-01}, reporting {report-01};
//   - relationships (FROM depends on TO): app-01 → db-01, lb-01 → app-01,
//     db-01 → san-01, report-01 → lb-01, web-01 → srv-01; so report-01 is
//     4 hops from san-01, past the risk depth;
//   - orphans sw-01 and tmp-01 (no owner, no service), old-01 retired;
//   - IP 10.0.0.7 on srv-01 and srv-02 (a duplicate); serial SN-123 on sw-01
//     and on the retired old-01 (not a duplicate among live CIs);
//   - warranties of srv-01 (20 March) and san-01 (5 April) end within 30
//     days, srv-02's (1 May) and the retired old-01's do not count;
//   - contracts SUP-1001 (25 March) and MNT-4004 (1 April) end within 30
//     days; LIC-2002 later, WAR-3003 already ended;
//   - jobs nmap-dc1 (fine), ssh-fleet (last run FAILED), snmp-core (only run
//     TIMED_OUT), tf-state (running now, last finished fine), old-job
//     (disabled, failed);
//   - drifts of every kind and status (see the table in the code), web-01
//     covered by the approved change CHG-1001.
func seed(t testing.TB, e *env) *fixture {
	t.Helper()
	f := &fixture{ci: map[string]int{}, drift: map[string]int{}, job: map[string]int{}}
	e.tx(t, func(ctx context.Context, c *ent.Client) error {
		platform := c.Owner.Create().SetName("Platform").SetKind(owner.KindTeam).SetOncallContact("pager: platform-primary").SaveX(ctx)
		payments := c.Owner.Create().SetName("Payments Team").SetKind(owner.KindTeam).SetOncallContact("+44 20 7946 0000").SaveX(ctx)
		dana := c.Owner.Create().SetName("Dana Reyes").SetKind(owner.KindPerson).SetTeamID(payments.ID).SaveX(ctx)
		storage := c.Owner.Create().SetName("Storage|Ops").SetKind(owner.KindTeam).SetOncallContact("storage-rota").SaveX(ctx)
		dc1 := c.Location.Create().SetName("DC1").SetKind(location.KindSite).SaveX(ctx)
		vendor := c.Vendor.Create().SetName("Acme Support").SaveX(ctx)

		type spec struct {
			name, host string
			kind       configurationitem.Kind
			env        configurationitem.Environment
			status     configurationitem.Status
			owner      int
			loc        bool
			serial     string
		}
		for _, s := range []spec{
			{"db-01", "db-01", configurationitem.KindDatabase, "", "", payments.ID, true, ""},
			{"app-01", "app-01", configurationitem.KindApplication, "", "", dana.ID, false, ""},
			{"edge|lb <01>", "lb-01", configurationitem.KindLoadBalancer, "", "", platform.ID, false, ""},
			{"web-01", "web-01", configurationitem.KindVM, configurationitem.EnvironmentStaging, "", platform.ID, false, ""},
			{"san-01", "", configurationitem.KindStorage, "", "", storage.ID, true, ""},
			{"sw-01", "", configurationitem.KindNetworkDevice, "", "", 0, true, "SN-123"},
			{"srv-01", "srv-01", configurationitem.KindServer, "", "", platform.ID, true, ""},
			{"srv-02", "srv-02", configurationitem.KindServer, "", "", platform.ID, true, ""},
			{"report-01", "", configurationitem.KindApplication, "", "", payments.ID, false, ""},
			{"old-01", "", configurationitem.KindVM, "", configurationitem.StatusRetired, 0, false, "SN-123"},
			{"tmp-01", "tmp-01", configurationitem.KindContainer, configurationitem.EnvironmentDevelopment, configurationitem.StatusDiscovered, 0, false, ""},
		} {
			cr := c.ConfigurationItem.Create().SetName(s.name).SetKind(s.kind)
			if s.host != "" {
				cr.SetHostname(s.host)
			}
			if s.env != "" {
				cr.SetEnvironment(s.env)
			}
			if s.status != "" {
				cr.SetStatus(s.status)
			}
			if s.owner != 0 {
				cr.SetOwnerID(s.owner)
			}
			if s.loc {
				cr.SetLocationID(dc1.ID)
			}
			if s.serial != "" {
				cr.SetSerialNumber(s.serial)
			}
			f.ci[s.name] = cr.SaveX(ctx).ID
		}
		ci := f.ci
		for _, s := range []struct {
			name    string
			tier    int
			members []string
		}{
			{"checkout", 0, []string{"app-01", "edge|lb <01>"}},
			{"payments-api", 0, []string{"db-01"}},
			{"storage", 1, []string{"san-01"}},
			{"intranet", 3, []string{"web-01", "srv-01"}},
			{"reporting", 2, []string{"report-01"}},
		} {
			cr := c.Service.Create().SetName(s.name).SetTier(s.tier)
			for _, m := range s.members {
				cr.AddMemberIDs(ci[m])
			}
			cr.SaveX(ctx)
		}
		for _, r := range []struct {
			from, to string
			typ      relationship.Type
		}{
			{"app-01", "db-01", relationship.TypeUses},
			{"edge|lb <01>", "app-01", relationship.TypeUses},
			{"db-01", "san-01", relationship.TypeBacksUpTo},
			{"report-01", "edge|lb <01>", relationship.TypeDependsOn},
			{"web-01", "srv-01", relationship.TypeHostedOn},
		} {
			c.Relationship.Create().SetFromID(ci[r.from]).SetToID(ci[r.to]).SetType(r.typ).SaveX(ctx)
		}
		for _, name := range []string{"srv-01", "srv-02"} {
			c.Identifier.Create().SetConfigurationItemID(ci[name]).SetKind(identifier.KindIP).SetValue("10.0.0.7").SetSource("discovery:nmap-dc1").SaveX(ctx)
		}
		for _, a := range []struct {
			name string
			end  time.Time
		}{
			{"db-01", at(6, 1, 0, 0)},
			{"srv-01", at(3, 20, 0, 0)},
			{"srv-02", at(5, 1, 0, 0)},
			{"san-01", at(4, 5, 0, 0)},
			{"old-01", at(3, 15, 0, 0)},
		} {
			c.Asset.Create().SetConfigurationItemID(ci[a.name]).SetCostMinor(500000).SetCurrency("EUR").
				SetPurchaseDate(at(1, 10, 0, 0).AddDate(-3, 0, 0)).SetWarrantyEnd(a.end).SaveX(ctx)
		}
		for _, k := range []struct {
			number string
			kind   contract.Kind
			start  time.Time
			end    time.Time
			covers []string
			auto   bool
		}{
			{"SUP-1001", contract.KindSupport, at(3, 25, 0, 0).AddDate(-1, 0, 0), at(3, 25, 0, 0), []string{"db-01", "san-01"}, false},
			{"LIC-2002", contract.KindLicense, at(1, 1, 0, 0), at(12, 31, 0, 0), []string{"app-01"}, true},
			{"WAR-3003", contract.KindWarranty, at(2, 1, 0, 0).AddDate(-3, 0, 0), at(2, 1, 0, 0), []string{"sw-01"}, false},
			{"MNT-4004", contract.KindMaintenance, at(4, 1, 0, 0).AddDate(-1, 0, 0), at(4, 1, 0, 0), []string{"srv-02"}, true},
		} {
			cr := c.Contract.Create().SetNumber(k.number).SetName("Contract " + k.number).SetKind(k.kind).
				SetStartDate(k.start).SetEndDate(k.end).SetVendorID(vendor.ID).SetAutoRenew(k.auto).SetNoticePeriodDays(30)
			for _, m := range k.covers {
				cr.AddCoveredCiIDs(ci[m])
			}
			cr.SaveX(ctx)
		}
		c.ChangeRecord.Create().SetNumber("CHG-1001").SetTitle("Kernel update on web-01").SetStatus(changerecord.StatusApproved).
			SetWindowStart(at(3, 9, 9, 0)).SetWindowEnd(at(3, 9, 19, 0)).SetRequester("alice").SetApprover("bob").
			SetOutcome(changerecord.OutcomeSuccessful).AddConfigurationItemIDs(ci["web-01"]).SaveX(ctx)
		// Incidents: san-01's of 1 March makes the window's one recurring,
		// sw-01's of 5 March (still open) the other; CHG-1002 (failed)
		// caused san-01's.
		chg := c.ChangeRecord.Create().SetNumber("CHG-1002").SetTitle("Storage firmware").SetStatus(changerecord.StatusImplemented).
			SetWindowStart(at(3, 9, 20, 0)).SetWindowEnd(at(3, 9, 22, 0)).SetRequester("carol").
			SetOutcome(changerecord.OutcomeFailed).SaveX(ctx)
		for _, in := range []struct {
			title         string
			opened, first time.Time
			ack, resolved *time.Time
			top           string
			change        *int
		}{
			{"san-01 before", at(3, 1, 10, 0), at(3, 1, 10, 0), nil, ptrTime(at(3, 1, 11, 0)), "san-01", nil},
			{"sw-01 since 5 March", at(3, 5, 0, 0), at(3, 5, 0, 0), nil, nil, "sw-01", nil},
			{"san-01 again", at(3, 9, 22, 10), at(3, 9, 22, 8), ptrTime(at(3, 9, 22, 15)), ptrTime(at(3, 9, 23, 10)), "san-01", &chg.ID},
			{"sw-01 down", at(3, 10, 2, 0), at(3, 10, 2, 0), nil, nil, "sw-01", nil},
		} {
			status := incident.StatusOpen
			if in.resolved != nil {
				status = incident.StatusResolved
			}
			c.Incident.Create().SetTitle(in.title).SetStatus(status).SetOpenedAt(in.opened).SetFirstAlertAt(in.first).SetLastAlertAt(in.first).
				SetNillableAcknowledgedAt(in.ack).SetNillableResolvedAt(in.resolved).SetTopCandidateID(ci[in.top]).
				SetNillableCausedByChangeID(in.change).ExecX(ctx)
		}
		c.DriftIgnoreRule.Create().SetName("ignore-ports").SetFieldPattern("facts.port.*").SaveX(ctx)

		// Jobs and their runs.
		type run struct {
			status   discoveryrun.Status
			start    time.Time
			finished bool
			err      string
		}
		var lastRun int
		for _, j := range []struct {
			name, source string
			enabled      bool
			runs         []run
		}{
			{"nmap-dc1", "nmap", true, []run{{discoveryrun.StatusSucceeded, at(3, 9, 5, 0), true, ""}, {discoveryrun.StatusSucceeded, at(3, 10, 5, 0), true, ""}}},
			{"ssh-fleet", "ssh", true, []run{{discoveryrun.StatusSucceeded, at(3, 8, 4, 0), true, ""}, {discoveryrun.StatusFailed, at(3, 10, 4, 0), true, "ssh: handshake failed: connection refused (10.0.0.5:22) | <retry>"}}},
			{"snmp-core", "snmp", true, []run{{discoveryrun.StatusTimedOut, at(3, 10, 3, 0), true, "timed out after 600s"}}},
			{"tf-state", "terraform", true, []run{{discoveryrun.StatusSucceeded, at(3, 9, 5, 30), true, ""}, {discoveryrun.StatusRunning, at(3, 10, 5, 30), false, ""}}},
			{"old-job", "file", false, []run{{discoveryrun.StatusFailed, at(3, 1, 0, 0), true, "file not found"}}},
		} {
			job := c.DiscoveryJob.Create().SetName(j.name).SetSourceKind(j.source).SetEnabled(j.enabled).SaveX(ctx)
			f.job[j.name] = job.ID
			for _, r := range j.runs {
				cr := c.DiscoveryRun.Create().SetDiscoveryJobID(job.ID).SetSourceKind(j.source).SetStatus(r.status).
					SetStartedAt(r.start).SetCounts(schematype.RunCounts{}).SetTrigger("schedule")
				if r.finished {
					cr.SetFinishedAt(r.start.Add(2 * time.Minute))
				}
				if r.err != "" {
					cr.SetError(r.err)
				}
				lastRun = cr.SaveX(ctx).ID
			}
		}
		job := f.job
		for _, s := range []struct {
			job, ci string
			last    time.Time
		}{
			{"nmap-dc1", "db-01", at(3, 10, 5, 0)},
			{"ssh-fleet", "app-01", at(1, 20, 0, 0)},
			{"nmap-dc1", "app-01", at(2, 1, 0, 0)},
			{"nmap-dc1", "edge|lb <01>", at(3, 10, 5, 0)},
			{"ssh-fleet", "web-01", at(3, 8, 4, 0)},
			{"snmp-core", "san-01", at(2, 20, 0, 0)},
			{"nmap-dc1", "srv-01", at(3, 10, 5, 0)},
			{"nmap-dc1", "srv-02", at(1, 1, 0, 0)},
			{"nmap-dc1", "tmp-01", at(3, 10, 5, 0)},
		} {
			c.Sighting.Create().SetDiscoveryJobID(job[s.job]).SetConfigurationItemID(ci[s.ci]).SetLastSeenAt(s.last).SetLastRunID(lastRun).SaveX(ctx)
		}

		// Drifts: name, CI (or none), kind, status, authorised, field,
		// recorded, observed, first and last seen, resolved, job.
		type d struct {
			name       string
			ci         string
			kind       drift.Kind
			status     drift.Status
			authorized bool
			field      string
			rec, obs   string
			first      time.Time
			last       time.Time
			resolved   time.Time
			job        string
			key, idn   string
		}
		for _, x := range []d{
			{"D1", "db-01", drift.KindAttributeChanged, drift.StatusOpen, false, "facts.version", "15.4", "16.1", at(3, 9, 8, 0), at(3, 10, 5, 0), time.Time{}, "nmap-dc1", "", ""},
			{"D2", "web-01", drift.KindAttributeChanged, drift.StatusOpen, true, "facts.kernel", "6.1.0-17", "6.1.0-18", at(3, 9, 10, 0), at(3, 10, 4, 0), time.Time{}, "ssh-fleet", "", ""},
			{"D3", "edge|lb <01>", drift.KindAttributeChanged, drift.StatusAcknowledged, false, "description", "front|door", "front door <new> *beta*", at(3, 9, 11, 0), at(3, 10, 4, 0), time.Time{}, "ssh-fleet", "", ""},
			{"D4", "san-01", drift.KindRelationshipChanged, drift.StatusOpen, false, fmt.Sprintf("relationship.CONNECTS_TO.%d", ci["sw-01"]), "absent", "present", at(3, 9, 12, 30), at(3, 10, 3, 0), time.Time{}, "snmp-core", "", ""},
			{"D5", "srv-02", drift.KindMissing, drift.StatusOpen, false, "discovery:nmap-dc1", "present", "not seen by 2 complete runs", at(3, 9, 13, 0), at(3, 10, 5, 0), time.Time{}, "nmap-dc1", "", ""},
			{"D6", "", drift.KindUnregistered, drift.StatusOpen, false, "", "", `{"kind":"VM","name":"rogue-vm","identifiers":[{"kind":"IP","value":"10.0.0.99"},{"kind":"HOSTNAME","value":"rogue-vm"}]}`, at(3, 9, 14, 0), at(3, 10, 5, 0), time.Time{}, "nmap-dc1", "10.0.0.99", "IP:10.0.0.99"},
			{"D7", "app-01", drift.KindAttributeChanged, drift.StatusIgnored, false, "facts.port.8080", "", "open", at(3, 9, 15, 0), at(3, 10, 4, 0), time.Time{}, "ssh-fleet", "", ""},
			{"D8", "db-01", drift.KindAttributeChanged, drift.StatusResolved, false, "facts.memory", "64 GiB", "32 GiB", at(3, 1, 9, 0), at(3, 9, 5, 0), at(3, 9, 12, 0), "nmap-dc1", "", ""},
			{"D9", "app-01", drift.KindAttributeChanged, drift.StatusAccepted, false, "hostname", "app-01", "app-01a", at(2, 20, 10, 0), at(3, 9, 4, 0), at(3, 9, 20, 0), "ssh-fleet", "", ""},
			{"D10", "srv-01", drift.KindAttributeChanged, drift.StatusResolved, false, "facts.bios", "1.2", "1.3", at(3, 9, 7, 0), at(3, 9, 7, 0), at(3, 9, 9, 0), "nmap-dc1", "", ""},
			{"D11", "san-01", drift.KindAttributeChanged, drift.StatusOpen, false, "facts.firmware", "7.0", "7.2", at(2, 15, 8, 0), at(3, 10, 3, 0), time.Time{}, "snmp-core", "", ""},
			{"D12", "", drift.KindAmbiguous, drift.StatusOpen, false, "", "", "matches CIs srv-01, srv-02", at(3, 10, 1, 0), at(3, 10, 5, 0), time.Time{}, "nmap-dc1", "dup-host", "HOSTNAME:dup-host"},
			{"D13", "db-01", drift.KindAttributeChanged, drift.StatusOpen, false, "facts.extra", "", "1", at(3, 10, 7, 0), at(3, 10, 7, 0), time.Time{}, "nmap-dc1", "", ""},
			{"D14", "tmp-01", drift.KindUnregistered, drift.StatusOpen, false, "", "", `{"kind":"CONTAINER","name":"tmp-01"}`, at(3, 9, 16, 0), at(3, 10, 5, 0), time.Time{}, "nmap-dc1", "tmp-01", "HOSTNAME:tmp-01"},
			{"D15", "web-01", drift.KindMissing, drift.StatusOpen, true, "discovery:ssh-fleet", "present", "not seen by 1 complete runs", at(3, 9, 18, 0), at(3, 10, 4, 0), time.Time{}, "ssh-fleet", "", ""},
		} {
			cr := c.Drift.Create().SetKind(x.kind).SetStatus(x.status).SetAuthorized(x.authorized).
				SetFirstSeenAt(x.first).SetLastSeenAt(x.last).SetObserved(x.obs).
				SetDiscoveryJobID(job[x.job]).SetSource("discovery:" + x.job)
			if x.ci != "" {
				cr.SetConfigurationItemID(ci[x.ci]).SetRecorded(x.rec)
			}
			if x.field != "" {
				cr.SetFieldName(x.field)
			}
			if !x.resolved.IsZero() {
				cr.SetResolvedAt(x.resolved)
			}
			if x.key != "" {
				cr.SetObservationKey(x.key).SetIdentity(x.idn)
			}
			if x.status == drift.StatusIgnored {
				cr.SetIgnoredBy("ignore-ports")
			}
			if x.status == drift.StatusAcknowledged {
				cr.SetAcknowledgedBy("alice").SetAcknowledgedAt(at(3, 9, 12, 0)).SetNote("looking into it")
			}
			f.drift[x.name] = cr.SaveX(ctx).ID
		}
		return nil
	})
	return f
}

func ptrTime(t time.Time) *time.Time { return &t }
