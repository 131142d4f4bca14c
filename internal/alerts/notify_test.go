package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	entincident "github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/report/deliver"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under internal/alerts/testdata")

const hookSecret = "s3cret"

// delivery is one webhook request a receiver accepted.
type delivery struct {
	event string
	body  []byte
}

// receiver is a real HTTP server on loopback that takes incident
// notifications, refusing those whose X-Cairn-Signature does not verify.
type receiver struct {
	srv    *httptest.Server
	got    chan delivery
	mu     sync.Mutex
	status int // reply; 0 is 204
	bad    int // requests refused for their signature
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: make(chan delivery, 64)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if !deliver.Verify([]byte(hookSecret), body, req.Header.Get(deliver.HeaderSignature)) ||
			req.Header.Get("Content-Type") != "application/json" {
			r.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if r.status != 0 {
			w.WriteHeader(r.status)
			return
		}
		r.got <- delivery{event: req.Header.Get(HeaderEvent), body: body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) hook() deliver.Webhook {
	return deliver.Webhook{
		URL: r.srv.URL + "/hook?token=x", Secret: []byte(hookSecret), Timeout: 5 * time.Second,
		MaxAttempts: 2, Backoff: time.Millisecond,
		// The receiver listens on loopback, which webhooks may not reach
		// unless allowed.
		Egress: deliver.Egress{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	}
}

// next waits for the next delivery.
func (r *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
		return delivery{}
	}
}

// none checks that nothing more arrives for a while.
func (r *receiver) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case d := <-r.got:
		t.Errorf("unexpected notification %s: %s", d.event, d.body)
	case <-time.After(wait):
	}
}

// run starts s.Run until the test ends.
func run(t *testing.T, s *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// symbolic replaces the IDs of f's rows in a body by names, so one golden
// file serves both backends.
func (f *lifeFixture) symbolic(body []byte, incidents map[string]int) []byte {
	names := map[int]string{}
	for n, id := range f.ci {
		names[id] = "ci:" + n
	}
	for n, id := range f.svcID {
		names[id] = "service:" + n
	}
	for n, id := range incidents {
		names[id] = "incident:" + n
	}
	// A bare ID becomes a string, so the file stays JSON; one inside a
	// string (the incident's URL) is replaced in place.
	re := regexp.MustCompile(`(/incidents/)?\b(\d{6,})\b`)
	return re.ReplaceAllFunc(body, func(b []byte) []byte {
		m := re.FindSubmatch(b)
		id, _ := strconv.Atoi(string(m[2]))
		n, ok := names[id]
		switch {
		case !ok:
			return b
		case len(m[1]) > 0:
			return []byte(string(m[1]) + "<" + n + ">")
		}
		return []byte(`"<` + n + `>"`)
	})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestNotifications posts the events of a person's actions to a real
// webhook receiver on loopback, signed, with the incident, its top
// candidate and that candidate's context (golden file), on both backends.
func TestNotifications(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		rcv := newReceiver(t)
		f := newLifeFixture(t, dsn, Config{EscalateAfter: 24 * time.Hour})
		f.svc.cfg.Webhooks = []deliver.Webhook{rcv.hook()}
		id := f.incidentWith("sw-core: 2 alerts on 2 CIs", entincident.StatusOpen, "sw-core",
			fakeAlert{fp: "n1", ci: "web-01"}, fakeAlert{fp: "n2", ci: "web-02", start: time.Minute, ended: 4 * time.Minute})
		run(t, f.svc)

		f.clock.Store(int64(5 * time.Minute))
		if _, err := f.svc.Acknowledge(f.ctx, id, "on it"); err != nil {
			t.Fatal(err)
		}
		f.clock.Store(int64(12 * time.Minute))
		if _, err := f.svc.Resolve(f.ctx, id, "replaced the switch's PSU"); err != nil {
			t.Fatal(err)
		}
		d := rcv.next(t)
		if d.event != EventResolved {
			t.Fatalf("event %q, want %q (acknowledging sends nothing)", d.event, EventResolved)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, d.body, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		golden(t, "notification_resolved.golden.json", f.symbolic(pretty.Bytes(), map[string]int{"resolved": id}))

		f.clock.Store(int64(13 * time.Minute))
		if _, err := f.svc.Reopen(f.ctx, id, ""); err != nil {
			t.Fatal(err)
		}
		d = rcv.next(t)
		var n Notification
		if err := json.Unmarshal(d.body, &n); err != nil {
			t.Fatal(err)
		}
		if d.event != EventReopened || n.Event != EventReopened || n.Incident.ID != id || n.Incident.Status != "OPEN" ||
			!n.At.Equal(lifeT0.Add(13*time.Minute)) || n.Incident.ResolvedBy != nil {
			t.Errorf("reopened: event %q/%q, incident %d %s at %v, resolvedBy %v", d.event, n.Event, n.Incident.ID, n.Incident.Status, n.At, n.Incident.ResolvedBy)
		}

		// A merge sends the resolution of the incident merged away; a
		// move to a new incident sends its opening, and the source's
		// resolution when it is left empty.
		other := f.incidentWith("db-01 down", entincident.StatusOpen, "", fakeAlert{fp: "o1", ci: "db-01"})
		if _, err := f.svc.Merge(f.ctx, id, other); err != nil {
			t.Fatal(err)
		}
		d = rcv.next(t)
		if err := json.Unmarshal(d.body, &n); err != nil {
			t.Fatal(err)
		}
		if d.event != EventResolved || n.Incident.ID != other || n.TopCandidate != nil || n.Incident.AlertCount != 0 {
			t.Errorf("merge: event %q on incident %d (top %v, %d alerts), want %s on %d with no candidate and no alerts",
				d.event, n.Incident.ID, n.TopCandidate, n.Incident.AlertCount, EventResolved, other)
		}
		lone := f.incidentWith("web-02 slow", entincident.StatusOpen, "", fakeAlert{fp: "l1", ci: "web-02"})
		moved, err := f.svc.MoveAlert(f.ctx, f.alertID("l1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for range 2 {
			d := rcv.next(t)
			var n Notification
			if err := json.Unmarshal(d.body, &n); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %d %s", d.event, n.Incident.ID, n.Incident.Status))
		}
		slices.Sort(got)
		want := []string{fmt.Sprintf("%s %d OPEN", EventOpened, moved.ID), fmt.Sprintf("%s %d RESOLVED", EventResolved, lone)}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("move to a new incident sent %q, want %q", got, want)
		}
		rcv.none(t, 100*time.Millisecond)
		if rcv.bad != 0 {
			t.Errorf("%d requests failed the signature check", rcv.bad)
		}
	})
}

// TestNotificationFailures: a webhook that fails is retried and logged; it
// fails no action, and the other webhooks still get the event.
func TestNotificationFailures(t *testing.T) {
	good, broken := newReceiver(t), newReceiver(t)
	broken.status = http.StatusInternalServerError
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{EscalateAfter: 24 * time.Hour})
	unsigned := good.hook()
	unsigned.Secret = nil
	refused := good.hook()
	refused.Egress = deliver.Egress{} // loopback refused
	f.svc.cfg.Webhooks = []deliver.Webhook{broken.hook(), unsigned, refused, good.hook()}
	id := f.incidentWith("x", entincident.StatusOpen, "", fakeAlert{fp: "f1", ci: "web-01"})
	run(t, f.svc)
	if _, err := f.svc.Resolve(f.ctx, id, ""); err != nil {
		t.Fatalf("Resolve failed with failing webhooks: %v", err)
	}
	d := good.next(t)
	if d.event != EventResolved {
		t.Errorf("event %q, want %q", d.event, EventResolved)
	}
	good.none(t, 100*time.Millisecond)
	good.mu.Lock()
	defer good.mu.Unlock()
	if good.bad != 1 {
		t.Errorf("the receiver refused %d unsigned requests, want 1", good.bad)
	}
}

// TestNotifyQueue: without webhooks nothing is queued; before Run starts
// events wait in the queue, and past its bound they are dropped.
func TestNotifyQueue(t *testing.T) {
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{})
	f.svc.notify(f.ctx, EventOpened, 1, 2, 3)
	if n := len(f.svc.bg.ch()); n != 0 {
		t.Errorf("queued %d events without webhooks, want 0", n)
	}
	f.svc.cfg.Webhooks = []deliver.Webhook{{URL: "https://hooks.example.com/x"}}
	ids := make([]int, notifyQueue+7)
	f.svc.notify(f.ctx, EventOpened, ids...)
	if n := len(f.svc.bg.ch()); n != notifyQueue {
		t.Errorf("queued %d events, want the bound %d", n, notifyQueue)
	}
}

// TestRunStops: Run refuses a second Run, returns nil when its context
// ends, and leaves no goroutine behind.
func TestRunStops(t *testing.T) {
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{})
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f.svc.bg.tick = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !f.svc.bg.running.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := f.svc.Run(ctx); err != ErrRunning {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	time.Sleep(20 * time.Millisecond) // a few ticks
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if f.svc.bg.running.Load() {
		t.Error("Run still marked running after it returned")
	}
}

// TestNotificationNoCandidate: the candidate of a notification whose
// incident has none is null, its lists empty, not null.
func TestNotificationNoCandidate(t *testing.T) {
	f := newLifeFixture(t, storetest.SQLiteDSN(t), Config{})
	id := f.incidentWith("unbound", entincident.StatusOpen, "", fakeAlert{fp: "u1", service: "shop"})
	body, err := f.svc.notificationBody(f.ctx, notification{event: EventOpened, incident: id, at: lifeT0})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"topCandidate":null`) || !strings.Contains(string(body), `"configurationItems":[]`) ||
		!strings.Contains(string(body), `"impactedServices":[]`) {
		t.Errorf("body = %s; want a null candidate and empty lists", body)
	}
	if _, err := f.svc.notificationBody(f.ctx, notification{event: EventOpened, incident: 987654, at: lifeT0}); !ent.IsNotFound(err) {
		t.Errorf("body of a missing incident: err = %v, want not found", err)
	}
}

// TestIngestNotifies runs the whole path: alerts through Ingest (New's
// service, the real engine over the database graph) open an incident with
// sw-core, the silent switch both web servers depend on, as top candidate,
// and the webhook hears incident.opened with its context; their
// resolution sends incident.resolved.
func TestIngestNotifies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		rcv := newReceiver(t)
		f := newLifeFixture(t, dsn, Config{})
		f.tx(func(tx *ent.Client) error {
			for _, web := range []string{"web-01", "web-02"} {
				if err := tx.Relationship.Create().SetFromID(f.ci[web]).SetToID(f.ci["sw-core"]).SetType(relationship.TypeConnectsTo).Exec(f.ctx); err != nil {
					return err
				}
			}
			return nil
		})
		svc, err := New(f.ctx, f.db.Client, f.db.Store, Config{Now: f.svc.cfg.Now, EscalateAfter: 24 * time.Hour,
			Webhooks: []deliver.Webhook{rcv.hook()}, Logger: f.svc.log})
		if err != nil {
			t.Fatal(err)
		}
		run(t, svc)
		down := func(host string, start time.Time) intake.Alert {
			l := map[string]string{"alertname": "NodeDown", "instance": host + ":9100"}
			return intake.Alert{Status: intake.StatusFiring, Labels: l, StartsAt: start, Key: intake.Fingerprint(l, nil)}
		}
		a1, a2 := down("web-01", lifeT0.Add(-2*time.Minute)), down("web-02", lifeT0.Add(-time.Minute))
		res, err := svc.Ingest(f.ctx, Batch{Source: alert.SourceAlertmanager, Receiver: "cairn", Alerts: []intake.Alert{a1, a2}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Opened) != 1 {
			t.Fatalf("Ingest opened %v, want one incident", res.Opened)
		}
		d := rcv.next(t)
		var n Notification
		if err := json.Unmarshal(d.body, &n); err != nil {
			t.Fatal(err)
		}
		if d.event != EventOpened || n.Incident.ID != res.Opened[0] || n.Incident.AlertCount != 2 || n.Incident.FiringCount != 2 ||
			n.TopCandidate == nil || n.TopCandidate.ID != f.ci["sw-core"] || n.TopCandidate.Owner == nil || n.TopCandidate.Owner.Name != "bob" ||
			n.TopCandidate.Team == nil || deref(n.TopCandidate.Team.OncallContact) != "+44 20 7946 0000" ||
			len(n.TopCandidate.SupportContracts) != 2 || n.TopCandidate.Warranty == nil || len(n.TopCandidate.Reasons) == 0 {
			t.Errorf("opened notification = %s", d.body)
		}
		if got := svcNames(n.Incident.ImpactedServices); !slices.Equal(got, []string{"shop"}) {
			t.Errorf("impacted services %v, want [shop]", got)
		}
		f.clock.Store(int64(10 * time.Minute))
		a1.Status, a1.EndsAt = intake.StatusResolved, lifeT0.Add(8*time.Minute)
		a2.Status, a2.EndsAt = intake.StatusResolved, lifeT0.Add(9*time.Minute)
		if _, err := svc.Ingest(f.ctx, Batch{Source: alert.SourceAlertmanager, Receiver: "cairn", Alerts: []intake.Alert{a1, a2}}); err != nil {
			t.Fatal(err)
		}
		d = rcv.next(t)
		if err := json.Unmarshal(d.body, &n); err != nil {
			t.Fatal(err)
		}
		if d.event != EventResolved || n.Incident.ID != res.Opened[0] || n.Incident.Status != "RESOLVED" || n.Incident.ResolvedBy != nil ||
			n.Incident.ResolvedAt == nil || !n.Incident.ResolvedAt.Equal(lifeT0.Add(9*time.Minute)) {
			t.Errorf("resolved notification = %s", d.body)
		}
		rcv.none(t, 100*time.Millisecond)
	})
}

func svcNames(s []NotificationService) []string {
	out := []string{}
	for _, x := range s {
		out = append(out, x.Name)
	}
	return out
}
