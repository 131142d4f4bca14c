package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// lifeT0 is the fixed clock of the lifecycle tests.
var lifeT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// lifeFixture is a small estate with incidents and alerts written straight
// through ent (not through Ingest), and a Service over it whose clock is
// fixed at lifeT0 plus whatever the test adds to clock.
type lifeFixture struct {
	t     *testing.T
	db    *app.DB
	svc   *Service
	ctx   context.Context // actor "alice"
	clock atomic.Int64    // a time.Duration after lifeT0; Run reads it

	ci    map[string]int
	svcID map[string]int
	chg   int
}

func newLifeFixture(t *testing.T, dsn string, cfg Config) *lifeFixture {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	f := &lifeFixture{t: t, db: db, ctx: audit.WithActor(context.Background(), "alice"),
		ci: map[string]int{}, svcID: map[string]int{}}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return lifeT0.Add(time.Duration(f.clock.Load())) }
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = &Service{client: db.Client, db: db.Store, cfg: cfg, log: log, incidentOf: map[int]int{}}
	f.tx(func(tx *ent.Client) error {
		team, err := tx.Owner.Create().SetName("netops").SetKind(owner.KindTeam).SetEmail("netops@example.com").
			SetOncallContact("+44 20 7946 0000").SetEscalation("page the network lead after 15 minutes").
			SetChatChannel("#netops").Save(f.ctx)
		if err != nil {
			return err
		}
		person, err := tx.Owner.Create().SetName("bob").SetKind(owner.KindPerson).SetEmail("bob@example.com").
			SetOncallContact("bob's pager").SetTeamID(team.ID).Save(f.ctx)
		if err != nil {
			return err
		}
		vendor, err := tx.Vendor.Create().SetName("Switchco").Save(f.ctx)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			name string
			kind configurationitem.Kind
		}{{"sw-core", configurationitem.KindNetworkDevice}, {"web-01", configurationitem.KindServer}, {"web-02", configurationitem.KindServer}, {"db-01", configurationitem.KindDatabase}} {
			b := tx.ConfigurationItem.Create().SetName(c.name).SetKind(c.kind).SetHostname(c.name)
			if c.name == "sw-core" {
				b.SetOwnerID(person.ID).SetVendorID(vendor.ID)
			}
			ci, err := b.Save(f.ctx)
			if err != nil {
				return err
			}
			f.ci[c.name] = ci.ID
		}
		for _, s := range []struct {
			name    string
			tier    int
			slo     float64
			members []string
		}{{"shop", 0, 99.95, []string{"web-01", "web-02"}}, {"reporting", 2, 99.5, []string{"db-01"}}} {
			b := tx.Service.Create().SetName(s.name).SetTier(s.tier).SetSloTarget(s.slo)
			for _, m := range s.members {
				b.AddMemberIDs(f.ci[m])
			}
			sv, err := b.Save(f.ctx)
			if err != nil {
				return err
			}
			f.svcID[s.name] = sv.ID
		}
		// portal depends on reporting: hit through it.
		portal, err := tx.Service.Create().SetName("portal").SetTier(1).AddDependsOnIDs(f.svcID["reporting"]).Save(f.ctx)
		if err != nil {
			return err
		}
		f.svcID["portal"] = portal.ID
		if err := tx.Contract.Create().SetNumber("SUP-7").SetName("Switch support").SetKind(contract.KindSupport).
			SetVendorID(vendor.ID).SetStartDate(lifeT0.AddDate(-1, 0, 0)).SetEndDate(lifeT0.AddDate(1, 0, 0)).
			SetSLAResponseMinutes(240).SetSupportContact("support@switchco.example").AddCoveredCiIDs(f.ci["sw-core"]).Exec(f.ctx); err != nil {
			return err
		}
		if err := tx.Contract.Create().SetNumber("WAR-3").SetKind(contract.KindWarranty).
			SetVendorID(vendor.ID).SetStartDate(lifeT0.AddDate(-2, 0, 0)).SetEndDate(lifeT0.AddDate(0, 0, 40)).
			AddCoveredCiIDs(f.ci["sw-core"]).Exec(f.ctx); err != nil {
			return err
		}
		chg, err := tx.ChangeRecord.Create().SetNumber("CHG-1").SetTitle("switch firmware").SetRequester("carol").
			SetWindowStart(lifeT0.Add(-2 * time.Hour)).SetWindowEnd(lifeT0.Add(-time.Hour)).Save(f.ctx)
		if err != nil {
			return err
		}
		f.chg = chg.ID
		return nil
	})
	return f
}

// tx runs fn in one transaction as the test's actor, failing the test on
// error.
func (f *lifeFixture) tx(fn func(tx *ent.Client) error) {
	f.t.Helper()
	if err := txn.Do(f.ctx, f.db.Client, fn); err != nil {
		f.t.Fatal(err)
	}
}

// fakeAlert is an alert of a test incident.
type fakeAlert struct {
	fp      string
	ci      string // "" unbound
	start   time.Duration
	ended   time.Duration // 0: firing
	service string
}

// incidentWith stores an incident as correlation would have (status,
// counts, CIs, services, top candidate) with its alerts.
func (f *lifeFixture) incidentWith(title string, status entincident.Status, top string, alerts ...fakeAlert) int {
	f.t.Helper()
	var id int
	f.tx(func(tx *ent.Client) error {
		firing := 0
		first, last := lifeT0.Add(24*time.Hour), time.Time{}
		var cis []int
		var lastEnd time.Time
		for _, a := range alerts {
			if a.ended == 0 {
				firing++
			} else if e := lifeT0.Add(a.ended); e.After(lastEnd) {
				lastEnd = e
			}
			s := lifeT0.Add(a.start)
			if s.Before(first) {
				first = s
			}
			if s.After(last) {
				last = s
			}
			if a.ci != "" && !slices.Contains(cis, f.ci[a.ci]) {
				cis = append(cis, f.ci[a.ci])
			}
		}
		b := tx.Incident.Create().SetTitle(title).SetStatus(status).SetOpenedAt(first.Add(30 * time.Second)).
			SetFirstAlertAt(first).SetLastAlertAt(last).SetAlertCount(len(alerts)).SetFiringCount(firing).
			AddConfigurationItemIDs(cis...)
		if status == entincident.StatusResolved {
			b.SetResolvedAt(lastEnd)
		}
		if top != "" {
			b.SetTopCandidateID(f.ci[top]).SetCandidates([]schematype.CauseCandidate{
				{CI: f.ci[top], Score: 1, Reasons: []string{"explains 2 of 2 origins (web-01, web-02)", "the shared dependency of every alerted CI, silent itself"},
					Paths: [][]int{{f.ci["web-01"], f.ci[top]}}, PathCount: 2},
			})
		}
		if len(cis) > 0 {
			b.AddServiceIDs(f.svcID["shop"])
		}
		inc, err := b.Save(f.ctx)
		if err != nil {
			return err
		}
		id = inc.ID
		for _, a := range alerts {
			ab := tx.Alert.Create().SetFingerprint(a.fp).SetName("NodeDown").SetLabels(map[string]string{"alertname": "NodeDown"}).
				SetStartsAt(lifeT0.Add(a.start)).SetSource(alert.SourceAPI).SetIncidentID(id).SetStatus(alert.StatusFiring)
			if a.ended != 0 {
				ab.SetStatus(alert.StatusResolved).SetEndsAt(lifeT0.Add(a.ended))
			}
			if a.ci != "" {
				ab.SetConfigurationItemID(f.ci[a.ci])
			}
			if err := ab.Exec(f.ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return id
}

func (f *lifeFixture) alertID(fp string) int {
	f.t.Helper()
	a, err := f.db.Client.Alert.Query().Where(alert.Fingerprint(fp)).Only(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

func (f *lifeFixture) incident(id int) *ent.Incident {
	f.t.Helper()
	inc, err := f.db.Client.Incident.Query().Where(entincident.ID(id)).WithConfigurationItems().WithServices().Only(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return inc
}

// auditNotes are the notes the audit trail of incident id recorded, oldest
// first, as "actor: note" (only events that changed the note).
func (f *lifeFixture) auditChanges(id int) []schematype.FieldChange {
	f.t.Helper()
	evs, err := f.db.Client.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeIncident), auditevent.EntityID(id)).
		Order(auditevent.ByID()).All(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []schematype.FieldChange
	for _, e := range evs {
		if e.Action != auditevent.ActionUpdate {
			continue
		}
		for _, c := range e.Changes {
			c.Field = e.Actor + ":" + c.Field
			out = append(out, c)
		}
	}
	return out
}

// lastChange is the After (Before for an edge's ".removed") of the latest
// audit change of field on incident id by actor, and whether there is one.
func (f *lifeFixture) lastChange(id int, actor, field string) (any, bool) {
	f.t.Helper()
	var got any
	ok := false
	for _, c := range f.auditChanges(id) {
		if c.Field == actor+":"+field {
			got, ok = c.After, true
			if strings.HasSuffix(field, ".removed") {
				got = c.Before
			}
		}
	}
	return got, ok
}

func wantCode(t *testing.T, what string, err error, code apperr.Code, field, msg string) {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok {
		t.Errorf("%s: err = %v, want %s", what, err, code)
		return
	}
	if ae.Code != code || ae.Field != field || !strings.Contains(ae.Error(), msg) {
		t.Errorf("%s: err = %s %q (field %q), want %s on %q containing %q", what, ae.Code, ae.Error(), ae.Field, code, field, msg)
	}
}

func TestTransitions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		f := newLifeFixture(t, dsn, Config{})
		id := f.incidentWith("sw-core: 2 alerts on 2 CIs", entincident.StatusOpen, "sw-core",
			fakeAlert{fp: "a1", ci: "web-01"}, fakeAlert{fp: "a2", ci: "web-02", start: time.Minute})
		type step struct {
			name   string
			do     func() (*ent.Incident, error)
			code   apperr.Code // "" succeeds
			msg    string
			status entincident.Status
			check  func(t *testing.T, inc *ent.Incident)
		}
		bob := audit.WithActor(context.Background(), "bob")
		steps := []step{
			{name: "reopen an open incident", do: func() (*ent.Incident, error) { return f.svc.Reopen(f.ctx, id, "") },
				code: apperr.Conflict, msg: "incident " + fmt.Sprint(id) + " is OPEN, not resolved"},
			{name: "acknowledge", do: func() (*ent.Incident, error) {
				f.clock.Store(int64(5 * time.Minute))
				return f.svc.Acknowledge(f.ctx, id, "  looking at the switch  ")
			}, status: entincident.StatusAcknowledged, check: func(t *testing.T, inc *ent.Incident) {
				if !inc.AcknowledgedAt.Equal(lifeT0.Add(5*time.Minute)) || deref(inc.AcknowledgedBy) != "alice" || deref(inc.Note) != "looking at the switch" {
					t.Errorf("acknowledged at %v by %s, note %q; want %v by alice, note %q", inc.AcknowledgedAt, deref(inc.AcknowledgedBy), deref(inc.Note), lifeT0.Add(5*time.Minute), "looking at the switch")
				}
			}},
			{name: "acknowledge twice", do: func() (*ent.Incident, error) { return f.svc.Acknowledge(bob, id, "") },
				code: apperr.Conflict, msg: "already acknowledged (by alice)"},
			{name: "resolve", do: func() (*ent.Incident, error) {
				f.clock.Store(int64(20 * time.Minute))
				return f.svc.Resolve(bob, id, "rebooted sw-core")
			}, status: entincident.StatusResolved, check: func(t *testing.T, inc *ent.Incident) {
				if !inc.ResolvedAt.Equal(lifeT0.Add(20*time.Minute)) || deref(inc.ResolvedBy) != "bob" || deref(inc.Note) != "rebooted sw-core" {
					t.Errorf("resolved at %v by %s, note %q", inc.ResolvedAt, deref(inc.ResolvedBy), deref(inc.Note))
				}
				if inc.AcknowledgedAt == nil || inc.FiringCount != 2 {
					t.Errorf("resolving lost acknowledged_at (%v) or changed firing_count (%d, want 2)", inc.AcknowledgedAt, inc.FiringCount)
				}
			}},
			{name: "resolve twice", do: func() (*ent.Incident, error) { return f.svc.Resolve(f.ctx, id, "") },
				code: apperr.Conflict, msg: "already resolved (by bob)"},
			{name: "acknowledge a resolved incident", do: func() (*ent.Incident, error) { return f.svc.Acknowledge(f.ctx, id, "") },
				code: apperr.Conflict, msg: "is resolved: reopen it"},
			{name: "reopen", do: func() (*ent.Incident, error) {
				f.clock.Store(int64(30 * time.Minute))
				return f.svc.Reopen(f.ctx, id, "")
			}, status: entincident.StatusOpen, check: func(t *testing.T, inc *ent.Incident) {
				if inc.ResolvedAt != nil || inc.ResolvedBy != nil || inc.Note != nil {
					t.Errorf("reopened incident keeps resolved_at %v, resolved_by %v, note %v; want all null", inc.ResolvedAt, inc.ResolvedBy, inc.Note)
				}
				if inc.AcknowledgedAt == nil {
					t.Errorf("reopening cleared acknowledged_at")
				}
			}},
			{name: "unknown incident", do: func() (*ent.Incident, error) { return f.svc.Acknowledge(f.ctx, id+1000, "") },
				code: apperr.NotFound, msg: fmt.Sprintf("incident %d not found", id+1000)},
			{name: "note too long", do: func() (*ent.Incident, error) { return f.svc.Resolve(f.ctx, id, strings.Repeat("x", 8001)) },
				code: apperr.BadUserInput, msg: "at most 8000"},
			{name: "note with a control character", do: func() (*ent.Incident, error) { return f.svc.Resolve(f.ctx, id, "ok\x1b[31m") },
				code: apperr.BadUserInput, msg: "U+001B"},
		}
		for _, st := range steps {
			inc, err := st.do()
			if st.code != "" {
				field := ""
				if st.code == apperr.NotFound {
					field = "id"
				} else if st.code == apperr.BadUserInput {
					field = "note"
				}
				wantCode(t, st.name, err, st.code, field, st.msg)
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if inc.Status != st.status {
				t.Errorf("%s: status %s, want %s", st.name, inc.Status, st.status)
			}
			if st.check != nil {
				st.check(t, inc)
			}
		}
		// The audit trail: who did what, in order; refused actions wrote
		// nothing.
		var got []string
		for _, c := range f.auditChanges(id) {
			if strings.HasSuffix(c.Field, ":status") {
				got = append(got, fmt.Sprintf("%s %v→%v", c.Field, c.Before, c.After))
			}
		}
		want := []string{"alice:status OPEN→ACKNOWLEDGED", "bob:status ACKNOWLEDGED→RESOLVED", "alice:status RESOLVED→OPEN"}
		if !slices.Equal(got, want) {
			t.Errorf("audited status changes = %q, want %q", got, want)
		}
		if by, _ := f.lastChange(id, "bob", "resolved_by"); by != "bob" {
			t.Errorf("audit of resolve: resolved_by = %v, want bob", by)
		}
	})
}

func TestActionInsideARequestTransactionIsRefused(t *testing.T) {
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{})
	id := f.incidentWith("x", entincident.StatusOpen, "", fakeAlert{fp: "a1", ci: "web-01"})
	tx, err := f.db.Client.Tx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	ctx := ent.NewTxContext(ent.NewContext(f.ctx, tx.Client()), tx)
	_, err = f.svc.Acknowledge(ctx, id, "")
	wantCode(t, "acknowledge in a transaction", err, apperr.Internal, "", "outside a request transaction")
}

func TestMerge(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		f := newLifeFixture(t, dsn, Config{})
		keep := f.incidentWith("sw-core: 2 alerts on 2 CIs", entincident.StatusOpen, "sw-core",
			fakeAlert{fp: "k1", ci: "web-01"}, fakeAlert{fp: "k2", ci: "web-02", start: time.Minute, ended: 3 * time.Minute})
		remove := f.incidentWith("db-01 down", entincident.StatusAcknowledged, "",
			fakeAlert{fp: "r1", ci: "db-01", start: -2 * time.Minute}, fakeAlert{fp: "r2", ci: "web-01", start: 4 * time.Minute}, fakeAlert{fp: "r3", start: 5 * time.Minute})
		f.tx(func(tx *ent.Client) error {
			return tx.Incident.UpdateOneID(remove).SetImpactStartedAt(lifeT0.Add(-5 * time.Minute)).SetCausedByChangeID(f.chg).
				ClearServices().AddServiceIDs(f.svcID["reporting"]).Exec(f.ctx)
		})
		f.svc.incidentOf = map[int]int{1: keep, 2: remove, 3: remove, 4: 999}

		_, err := f.svc.Merge(f.ctx, keep, keep)
		wantCode(t, "merge into itself", err, apperr.Conflict, "remove", fmt.Sprintf("cannot merge incident %d into itself", keep))
		_, err = f.svc.Merge(f.ctx, keep, 123456)
		wantCode(t, "merge an unknown incident", err, apperr.NotFound, "remove", "incident 123456 not found")
		_, err = f.svc.Merge(f.ctx, 123456, remove)
		wantCode(t, "merge into an unknown incident", err, apperr.NotFound, "keep", "incident 123456 not found")

		f.clock.Store(int64(10 * time.Minute))
		got, err := f.svc.Merge(f.ctx, keep, remove)
		if err != nil {
			t.Fatal(err)
		}
		k, r := f.incident(keep), f.incident(remove)
		if got.ID != keep || k.AlertCount != 5 || k.FiringCount != 4 || !k.Manual || k.Status != entincident.StatusOpen {
			t.Errorf("kept incident: id %d, %d alerts, %d firing, manual %v, %s; want %d, 5, 4, true, OPEN", got.ID, k.AlertCount, k.FiringCount, k.Manual, k.Status, keep)
		}
		if !k.FirstAlertAt.Equal(lifeT0.Add(-2*time.Minute)) || !k.LastAlertAt.Equal(lifeT0.Add(5*time.Minute)) {
			t.Errorf("kept incident's alerts span %v to %v, want %v to %v", k.FirstAlertAt, k.LastAlertAt, lifeT0.Add(-2*time.Minute), lifeT0.Add(5*time.Minute))
		}
		if k.ImpactStartedAt == nil || !k.ImpactStartedAt.Equal(lifeT0.Add(-5*time.Minute)) || k.CausedByChangeID == nil || *k.CausedByChangeID != f.chg {
			t.Errorf("kept incident: impact start %v, cause %v; want the removed one's %v and change %d", k.ImpactStartedAt, k.CausedByChangeID, lifeT0.Add(-5*time.Minute), f.chg)
		}
		if got, want := ids(k.Edges.ConfigurationItems), sorted(f.ci["web-01"], f.ci["web-02"], f.ci["db-01"]); !slices.Equal(got, want) {
			t.Errorf("kept incident's CIs = %v, want %v", got, want)
		}
		if got, want := svcIDs(k.Edges.Services), sorted(f.svcID["shop"], f.svcID["reporting"]); !slices.Equal(got, want) {
			t.Errorf("kept incident's services = %v, want %v", got, want)
		}
		if r.AlertCount != 0 || r.FiringCount != 0 || r.Status != entincident.StatusResolved || deref(r.ResolvedBy) != "alice" ||
			!r.ResolvedAt.Equal(lifeT0.Add(10*time.Minute)) || len(r.Edges.ConfigurationItems) != 0 || len(r.Edges.Services) != 0 || !r.Manual {
			t.Errorf("removed incident: %d alerts, %d firing, %s by %s at %v, %d CIs, %d services, manual %v; want empty, resolved by alice at %v, manual",
				r.AlertCount, r.FiringCount, r.Status, deref(r.ResolvedBy), r.ResolvedAt, len(r.Edges.ConfigurationItems), len(r.Edges.Services), r.Manual, lifeT0.Add(10*time.Minute))
		}
		if r.MergedIntoID == nil || *r.MergedIntoID != keep || k.MergedIntoID != nil {
			t.Errorf("merged_into: removed incident %v, kept %v; want %d and none", r.MergedIntoID, k.MergedIntoID, keep)
		}
		// Nothing merges or moves into an incident merged away.
		other := f.incidentWith("other", entincident.StatusOpen, "", fakeAlert{fp: "o1", ci: "web-02", start: 6 * time.Minute})
		_, err = f.svc.Merge(f.ctx, remove, other)
		wantCode(t, "merge into a merged incident", err, apperr.Conflict, "keep", fmt.Sprintf("incident %d was merged into incident %d", remove, keep))
		o1, err := f.db.Client.Alert.Query().Where(alert.Fingerprint("o1")).OnlyID(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.MoveAlert(f.ctx, o1, &remove)
		wantCode(t, "move into a merged incident", err, apperr.Conflict, "to", fmt.Sprintf("incident %d was merged into incident %d", remove, keep))
		n, err := f.db.Client.Alert.Query().Where(alert.IncidentID(keep)).Count(f.ctx)
		if err != nil || n != 5 {
			t.Errorf("alerts in the kept incident = %d (%v), want 5", n, err)
		}
		// The audit trails say what moved.
		for _, tc := range []struct {
			id          int
			field, want string
		}{
			{keep, "note", fmt.Sprintf("merged incident %d (3 alerts) into this one", remove)},
			{remove, "note", fmt.Sprintf("merged into incident %d (3 alerts moved)", keep)},
		} {
			if got, _ := f.lastChange(tc.id, "alice", tc.field); got != tc.want {
				t.Errorf("audit of incident %d: %s = %v, want %q", tc.id, tc.field, got, tc.want)
			}
		}
		if got, _ := f.lastChange(keep, "alice", "alert_count"); fmt.Sprint(got) != "5" {
			t.Errorf("audit of the kept incident: alert_count = %v, want 5", got)
		}
		if got, _ := f.lastChange(remove, "alice", "alert_count"); fmt.Sprint(got) != "0" {
			t.Errorf("audit of the removed incident: alert_count = %v, want 0", got)
		}
		if got, ok := f.lastChange(keep, "alice", "configuration_items.added"); !ok || !slices.Equal(intList(got), []int{f.ci["db-01"]}) {
			t.Errorf("audit of the kept incident: configuration_items.added = %v, want [%d]", got, f.ci["db-01"])
		}
		// The engine's incidents that fed remove feed keep.
		if want := map[int]int{1: keep, 2: keep, 3: keep, 4: 999}; fmt.Sprint(f.svc.incidentOf) != fmt.Sprint(want) {
			t.Errorf("incidentOf = %v, want %v", f.svc.incidentOf, want)
		}
	})
}

// TestMergeStatus covers the statuses a merge leaves.
func TestMergeStatus(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		f := newLifeFixture(t, dsn, Config{})
		firing := func(fp string) fakeAlert { return fakeAlert{fp: fp, ci: "web-01"} }
		ended := func(fp string) fakeAlert { return fakeAlert{fp: fp, ci: "web-02", ended: 2 * time.Minute} }
		byPerson := func(id int) int {
			f.tx(func(tx *ent.Client) error { return tx.Incident.UpdateOneID(id).SetResolvedBy("bob").Exec(f.ctx) })
			return id
		}
		tests := []struct {
			name         string
			keep, remove func() int
			code         apperr.Code
			msg          string
			keepStatus   entincident.Status
		}{
			{"firing alerts reopen an incident their alerts resolved",
				func() int { return f.incidentWith("k", entincident.StatusResolved, "", ended("a1")) },
				func() int { return f.incidentWith("r", entincident.StatusOpen, "", firing("a2")) },
				"", "", entincident.StatusOpen},
			{"a person's resolution stands against a resolved incident",
				func() int { return byPerson(f.incidentWith("k", entincident.StatusResolved, "", ended("b1"))) },
				func() int { return f.incidentWith("r", entincident.StatusResolved, "", ended("b2")) },
				"", "", entincident.StatusResolved},
			{"an open incident does not go into one a person resolved",
				func() int { return byPerson(f.incidentWith("k", entincident.StatusResolved, "", ended("c1"))) },
				func() int { return f.incidentWith("r", entincident.StatusOpen, "", firing("c2")) },
				apperr.Conflict, "reopen it before merging", ""},
			{"an acknowledged incident stays acknowledged",
				func() int { return f.incidentWith("k", entincident.StatusAcknowledged, "", firing("d1")) },
				func() int { return f.incidentWith("r", entincident.StatusOpen, "", firing("d2")) },
				"", "", entincident.StatusAcknowledged},
		}
		for _, tc := range tests {
			keep, remove := tc.keep(), tc.remove()
			_, err := f.svc.Merge(f.ctx, keep, remove)
			if tc.code != "" {
				wantCode(t, tc.name, err, tc.code, "", tc.msg)
				if r := f.incident(remove); r.AlertCount != 1 {
					t.Errorf("%s: a refused merge moved alerts (remove has %d)", tc.name, r.AlertCount)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if k := f.incident(keep); k.Status != tc.keepStatus {
				t.Errorf("%s: kept incident is %s, want %s", tc.name, k.Status, tc.keepStatus)
			}
		}
	})
}

func TestMoveAlert(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		f := newLifeFixture(t, dsn, Config{})
		src := f.incidentWith("sw-core: 3 alerts on 3 CIs", entincident.StatusOpen, "sw-core",
			fakeAlert{fp: "m1", ci: "web-01"}, fakeAlert{fp: "m2", ci: "web-02", start: time.Minute}, fakeAlert{fp: "m3", ci: "db-01", start: 2 * time.Minute})
		dst := f.incidentWith("web-02 slow", entincident.StatusResolved, "", fakeAlert{fp: "d1", ci: "web-02", start: -time.Hour, ended: -50 * time.Minute})
		f.clock.Store(int64(15 * time.Minute))

		// Errors.
		_, err := f.svc.MoveAlert(f.ctx, 987654, nil)
		wantCode(t, "unknown alert", err, apperr.NotFound, "alert", "alert 987654 not found")
		_, err = f.svc.MoveAlert(f.ctx, f.alertID("m1"), &src)
		wantCode(t, "into its own incident", err, apperr.Conflict, "to", fmt.Sprintf("alert %d is already in incident %d", f.alertID("m1"), src))
		missing := 987654
		_, err = f.svc.MoveAlert(f.ctx, f.alertID("m1"), &missing)
		wantCode(t, "into an unknown incident", err, apperr.NotFound, "to", "incident 987654 not found")

		// Out to a new incident.
		fresh, err := f.svc.MoveAlert(f.ctx, f.alertID("m3"), nil)
		if err != nil {
			t.Fatal(err)
		}
		nw := f.incident(fresh.ID)
		if nw.Title != "NodeDown" || nw.Status != entincident.StatusOpen || !nw.Manual || nw.AlertCount != 1 || nw.FiringCount != 1 ||
			nw.TopCandidateID == nil || *nw.TopCandidateID != f.ci["db-01"] || !nw.OpenedAt.Equal(lifeT0.Add(15*time.Minute)) ||
			!nw.FirstAlertAt.Equal(lifeT0.Add(2*time.Minute)) {
			t.Errorf("new incident: %q %s manual %v, %d alerts (%d firing), top %v, opened %v, first alert %v",
				nw.Title, nw.Status, nw.Manual, nw.AlertCount, nw.FiringCount, nw.TopCandidateID, nw.OpenedAt, nw.FirstAlertAt)
		}
		if got := ids(nw.Edges.ConfigurationItems); !slices.Equal(got, []int{f.ci["db-01"]}) {
			t.Errorf("new incident's CIs = %v, want [%d]", got, f.ci["db-01"])
		}
		if got, want := svcIDs(nw.Edges.Services), sorted(f.svcID["reporting"], f.svcID["portal"]); !slices.Equal(got, want) {
			t.Errorf("new incident's services = %v, want reporting and portal %v", got, want)
		}
		s := f.incident(src)
		if s.AlertCount != 2 || s.FiringCount != 2 || !s.Manual || s.Status != entincident.StatusOpen || !s.LastAlertAt.Equal(lifeT0.Add(time.Minute)) {
			t.Errorf("source: %d alerts (%d firing), manual %v, %s, last alert %v; want 2 (2), true, OPEN, %v",
				s.AlertCount, s.FiringCount, s.Manual, s.Status, s.LastAlertAt, lifeT0.Add(time.Minute))
		}
		if got := ids(s.Edges.ConfigurationItems); !slices.Equal(got, sorted(f.ci["web-01"], f.ci["web-02"])) {
			t.Errorf("source's CIs = %v, want web-01 and web-02", got)
		}
		if got := svcIDs(s.Edges.Services); !slices.Equal(got, []int{f.svcID["shop"]}) {
			t.Errorf("source's services = %v, want it keeps shop [%d]", got, f.svcID["shop"])
		}
		if got, _ := f.lastChange(src, "alice", "note"); got != fmt.Sprintf("alert m3 (NodeDown) moved to incident %d", fresh.ID) {
			t.Errorf("audit of the source: note = %v", got)
		}
		if got, _ := f.lastChange(src, "alice", "configuration_items.removed"); !slices.Equal(intList(got), []int{f.ci["db-01"]}) {
			t.Errorf("audit of the source: configuration_items.removed = %v, want [%d]", got, f.ci["db-01"])
		}

		// A firing alert into an incident its alerts resolved reopens it.
		got, err := f.svc.MoveAlert(f.ctx, f.alertID("m2"), &dst)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != dst || got.Status != entincident.StatusOpen || got.ResolvedAt != nil || got.AlertCount != 2 || got.FiringCount != 1 || !got.Manual {
			t.Errorf("target: id %d %s resolved %v, %d alerts (%d firing), manual %v; want %d OPEN, 2 (1), manual", got.ID, got.Status, got.ResolvedAt, got.AlertCount, got.FiringCount, got.Manual, dst)
		}
		if note, _ := f.lastChange(dst, "alice", "note"); note != fmt.Sprintf("alert m2 (NodeDown) moved here from incident %d", src) {
			t.Errorf("audit of the target: note = %v", note)
		}
		if c, _ := f.lastChange(dst, "alice", "alert_count"); fmt.Sprint(c) != "2" {
			t.Errorf("audit of the target: alert_count = %v, want 2", c)
		}

		// The last alert out: the source resolves, by the person.
		if _, err := f.svc.MoveAlert(f.ctx, f.alertID("m1"), &dst); err != nil {
			t.Fatal(err)
		}
		s = f.incident(src)
		if s.AlertCount != 0 || s.Status != entincident.StatusResolved || deref(s.ResolvedBy) != "alice" || !s.ResolvedAt.Equal(lifeT0.Add(15*time.Minute)) ||
			deref(s.Note) != fmt.Sprintf("alert m1 (NodeDown) moved to incident %d; no alerts left", dst) || len(s.Edges.ConfigurationItems) != 0 {
			t.Errorf("emptied source: %d alerts, %s by %s at %v, note %q, %d CIs", s.AlertCount, s.Status, deref(s.ResolvedBy), s.ResolvedAt, deref(s.Note), len(s.Edges.ConfigurationItems))
		}

		// Into an incident a person resolved: refused while it fires.
		f.tx(func(tx *ent.Client) error {
			return tx.Incident.UpdateOneID(fresh.ID).SetStatus(entincident.StatusResolved).SetResolvedAt(lifeT0).SetResolvedBy("bob").Exec(f.ctx)
		})
		fid := fresh.ID
		_, err = f.svc.MoveAlert(f.ctx, f.alertID("m1"), &fid)
		wantCode(t, "into a resolved incident", err, apperr.Conflict, "", "reopen it before moving firing alert")
	})
}

func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		f := newLifeFixture(t, dsn, Config{})
		id := f.incidentWith("x", entincident.StatusOpen, "", fakeAlert{fp: "u1", ci: "web-01"})
		p := func(s string) *string { return &s }
		at := lifeT0.Add(-10 * time.Minute)
		future := lifeT0.Add(time.Hour)
		chg, missing := f.chg, 987654
		bad := []struct {
			name  string
			u     IncidentUpdate
			code  apperr.Code
			field string
			msg   string
		}{
			{"blank title", IncidentUpdate{Title: p("  ")}, apperr.BadUserInput, "title", "must not be blank"},
			{"long title", IncidentUpdate{Title: p(strings.Repeat("t", 501))}, apperr.BadUserInput, "title", "at most 500"},
			{"title with a bidi control", IncidentUpdate{Title: p("evil\u202etitle")}, apperr.BadUserInput, "title", "bidirectional"},
			{"impact start and clear", IncidentUpdate{ImpactStartedAt: &at, ClearImpactStartedAt: true}, apperr.BadUserInput, "impactStartedAt", "not both"},
			{"impact start in the future", IncidentUpdate{ImpactStartedAt: &future}, apperr.BadUserInput, "impactStartedAt", "in the future"},
			{"change and clear", IncidentUpdate{CausedByChange: &chg, ClearCausedByChange: true}, apperr.BadUserInput, "causedByChangeID", "not both"},
			{"unknown change", IncidentUpdate{CausedByChange: &missing}, apperr.NotFound, "causedByChangeID", "change record 987654 not found"},
		}
		for _, tc := range bad {
			_, err := f.svc.Update(f.ctx, id, tc.u)
			wantCode(t, tc.name, err, tc.code, tc.field, tc.msg)
		}
		_, err := f.svc.Update(f.ctx, 987654, IncidentUpdate{Title: p("y")})
		wantCode(t, "unknown incident", err, apperr.NotFound, "id", "incident 987654 not found")

		inc, err := f.svc.Update(f.ctx, id, IncidentUpdate{Title: p(" core switch down "), ImpactStartedAt: &at, CausedByChange: &chg})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Title != "core switch down" || inc.ImpactStartedAt == nil || !inc.ImpactStartedAt.Equal(at) || inc.CausedByChangeID == nil || *inc.CausedByChangeID != chg {
			t.Errorf("updated: %q, impact %v, change %v", inc.Title, inc.ImpactStartedAt, inc.CausedByChangeID)
		}
		if got, _ := f.lastChange(id, "alice", "title"); got != "core switch down" {
			t.Errorf("audit: title = %v", got)
		}
		inc, err = f.svc.Update(f.ctx, id, IncidentUpdate{ClearImpactStartedAt: true, ClearCausedByChange: true})
		if err != nil {
			t.Fatal(err)
		}
		if inc.ImpactStartedAt != nil || inc.CausedByChangeID != nil || inc.Title != "core switch down" {
			t.Errorf("cleared: impact %v, change %v, title %q", inc.ImpactStartedAt, inc.CausedByChangeID, inc.Title)
		}
	})
}

// intList reads a list of IDs as the audit trail's JSON gives it back.
func intList(v any) []int {
	l, _ := v.([]any)
	out := make([]int, 0, len(l))
	for _, x := range l {
		if n, ok := x.(float64); ok {
			out = append(out, int(n))
		}
	}
	return out
}

func ids(cis []*ent.ConfigurationItem) []int {
	out := make([]int, 0, len(cis))
	for _, c := range cis {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func svcIDs(svcs []*ent.Service) []int {
	out := make([]int, 0, len(svcs))
	for _, s := range svcs {
		out = append(out, s.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(v ...int) []int {
	slices.Sort(v)
	return v
}
