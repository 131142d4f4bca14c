package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/alerts"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/server"
)

// alertEnv serves the alert intake of the alert service over a writable
// copy of the synthetic estate (SQLite only), with an INGEST token.
type alertEnv struct {
	db    *app.DB
	svc   *alerts.Service
	url   string // the Alertmanager route
	token string
	n     int
}

func setupAlerts(b *testing.B) *alertEnv {
	b.Helper()
	if os.Getenv("CAIRN_BENCH_POSTGRES_DSN") != "" {
		b.Skip("the alert benchmarks copy the SQLite estate; CAIRN_BENCH_POSTGRES_DSN is set")
	}
	db := reconcileDB(b) // a copy of the cached estate: the runs write alerts and incidents
	ctx := context.Background()
	secret, _, err := auth.CreateToken(audit.WithActor(ctx, "bench"), db.Client,
		fmt.Sprintf("bench-ingest-%d", time.Now().UnixNano()), auth.Ingest, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := alerts.New(ctx, db.Client, db.Store, alerts.Config{Settings: correlate.DefaultSettings()})
	if err != nil {
		b.Fatal(err)
	}
	// errors only, to the test log
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := server.New(db, server.Config{Alerts: svc, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	return &alertEnv{db: db, svc: svc, url: ts.URL + server.AlertmanagerRoute, token: secret, n: estateSize()}
}

// amAlert is one alert of an Alertmanager webhook payload (version 4).
type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

func amPayload(as []amAlert) []byte {
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "cairn",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager.bench:9093", "alerts": as,
	})
	return body
}

// nodeDown is a firing NodeDown alert on the host, bound by its instance label.
func nodeDown(host, name string, start time.Time) amAlert {
	return amAlert{
		Status:      "firing",
		Labels:      map[string]string{"alertname": name, "instance": host + ":9100", "job": "node"},
		Annotations: map[string]string{"summary": name + " on " + host},
		StartsAt:    start,
	}
}

// post sends one payload and checks the answer.
func (e *alertEnv) post(client *http.Client, body []byte) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("answer is not JSON: %.200s", raw)
	}
	return out, nil
}

// BenchmarkAlertIntake: sustained intake with correlation through the real
// HTTP route POST /api/v1/alerts/alertmanager on the 100,000-CI SQLite
// estate, for CAIRN_BENCH_DURATION: two senders (Alertmanager sends each
// group on its own connection) post batches of 100 NodeDown alerts bound by
// instance label to random hosts of the estate (every CI has a host name),
// each alert new; every tenth batch also resolves the alerts of an earlier
// batch. Goal: at least 2,000 alerts/s.
func BenchmarkAlertIntake(b *testing.B) {
	e := setupAlerts(b)
	const senders, batch = 2, 100
	for b.Loop() {
		var sent, resolved, secondHalf atomic.Int64
		var firstErr error
		var errOnce sync.Once
		deadline := time.Now().Add(loadDuration())
		half := time.Now().Add(loadDuration() / 2)
		base := time.Now().Add(-time.Minute).UTC()
		var wg sync.WaitGroup
		start := time.Now()
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(s), 15))
				client := &http.Client{}
				var past [][]amAlert
				for k := 0; time.Now().Before(deadline); k++ {
					as := make([]amAlert, 0, batch+batch)
					for i := range batch {
						h := estate.SyntheticHostname(rng.IntN(e.n))
						as = append(as, nodeDown(h, fmt.Sprintf("NodeDown-%d-%d-%d", s, k, i), base.Add(time.Duration(k)*time.Millisecond)))
					}
					if k%10 == 9 && len(past) > 0 {
						for _, a := range past[0] {
							a.Status, a.EndsAt = "resolved", a.StartsAt.Add(30*time.Second)
							as = append(as, a)
						}
						resolved.Add(int64(len(past[0])))
						past = past[1:]
					}
					past = append(past, as[:batch])
					if _, err := e.post(client, amPayload(as)); err != nil {
						errOnce.Do(func() { firstErr = err })
						return
					}
					sent.Add(int64(len(as)))
					if time.Now().After(half) {
						secondHalf.Add(int64(len(as)))
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		if firstErr != nil {
			b.Fatal(firstErr)
		}
		ctx := context.Background()
		nAlerts, err := e.db.Client.Alert.Query().Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		nInc, err := e.db.Client.Incident.Query().Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rate := float64(sent.Load()) / elapsed.Seconds()
		// the engine caches what it reads of the graph (neighbourhoods,
		// dependents' counts): the second half shows the warm rate
		warm := float64(secondHalf.Load()) / time.Since(half).Seconds()
		b.ReportMetric(rate, "alerts/s")
		b.ReportMetric(warm, "second-half-alerts/s")
		b.ReportMetric(float64(nInc), "incidents")
		b.Logf("%d alerts (%d of them resolutions) in %s by %d senders in batches of %d: %.0f alerts/s (second half %.0f alerts/s); %d alerts and %d incidents stored",
			sent.Load(), resolved.Load(), elapsed.Round(time.Millisecond), senders, batch, rate, warm, nAlerts, nInc)
	}
}

// BenchmarkAlertStorm: 10,000 alerts on the dependents within H of the
// estate's first core switch (its mesh peers left out: they are its
// dependencies too), two or more alert names per CI, sent through the
// Alertmanager route in batches of 500 as fast as intake takes them.
// Reported: the time from sending the last batch to the incident existing
// with the switch as top candidate (goal at most 5 s), the incidents
// holding the storm's alerts (goal 1), and the whole storm's rate.
func BenchmarkAlertStorm(b *testing.B) {
	const total, batch = 10_000, 500
	for range b.N {
		b.StopTimer()
		e := setupAlerts(b)
		ctx := context.Background()
		core := -1
		for i := 0; i < e.n; i++ {
			if estate.SyntheticKind(i) == "NETWORK_DEVICE" { // the first network device is a core (every 50th)
				core = i
				break
			}
		}
		coreID, err := e.db.Client.ConfigurationItem.Query().Where(configurationitem.Hostname(estate.SyntheticHostname(core))).OnlyID(ctx)
		if err != nil {
			b.Fatal(err)
		}
		w := graphwalk.New(e.db.Store)
		deps, err := w.Walk(ctx, coreID, graphwalk.Options{MaxDepth: correlate.DefaultHops, Limit: 1_000_000})
		if err != nil {
			b.Fatal(err)
		}
		peers, err := w.Walk(ctx, coreID, graphwalk.Options{Direction: graphwalk.Dependencies, MaxDepth: 1})
		if err != nil {
			b.Fatal(err)
		}
		isPeer := map[int]bool{}
		for _, p := range peers.Nodes {
			isPeer[p.ID] = true
		}
		var ids []int
		for _, n := range deps.Nodes {
			if !isPeer[n.ID] {
				ids = append(ids, n.ID)
			}
		}
		sort.Ints(ids)
		hosts := map[int]string{}
		for i := 0; i < len(ids); i += 5000 {
			cis, err := e.db.Client.ConfigurationItem.Query().Where(configurationitem.IDIn(ids[i:min(i+5000, len(ids))]...)).
				Select(configurationitem.FieldID, configurationitem.FieldHostname).All(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range cis {
				if c.Hostname != nil {
					hosts[c.ID] = *c.Hostname
				}
			}
		}
		if len(hosts) != len(ids) {
			b.Fatalf("%d of the core's %d dependents have a host name", len(hosts), len(ids))
		}
		base := time.Now().Add(-5 * time.Minute).UTC()
		as := make([]amAlert, 0, total)
		for k := 0; len(as) < total; k++ {
			id := ids[k%len(ids)]
			as = append(as, nodeDown(hosts[id], fmt.Sprintf("Down-%d", k/len(ids)), base))
		}
		// starts spread over five minutes, sent in start order
		for i := range as {
			as[i].StartsAt = base.Add(time.Duration(i) * 300 * time.Second / total)
		}
		client := &http.Client{}
		b.StartTimer()
		start := time.Now()
		var lastSent time.Time
		for i := 0; i < len(as); i += batch {
			if i+batch >= len(as) {
				lastSent = time.Now()
			}
			if _, err := e.post(client, amPayload(as[i:min(i+batch, len(as))])); err != nil {
				b.Fatal(err)
			}
		}
		// The intake answers once the batch is stored: the incident exists.
		incs, err := e.db.Client.Incident.Query().Where(incident.HasAlerts()).Order(incident.ByID()).All(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ready := time.Since(lastSent)
		all := time.Since(start)
		if len(incs) == 0 || incs[0].TopCandidateID == nil || *incs[0].TopCandidateID != coreID {
			top := 0
			if len(incs) > 0 && incs[0].TopCandidateID != nil {
				top = *incs[0].TopCandidateID
			}
			b.Errorf("%d incidents, the first's top candidate %d; want one with the core %d on top", len(incs), top, coreID)
		}
		b.ReportMetric(float64(ready.Milliseconds()), "last-batch-to-incident-ms")
		b.ReportMetric(float64(len(incs)), "incidents")
		b.ReportMetric(float64(total)/all.Seconds(), "alerts/s")
		b.Logf("core %s (CI %d): %d dependents within %d hops (%d peers left out); %d alerts in batches of %d: all in %s, last batch sent to incident %s; %d incident(s)",
			estate.SyntheticHostname(core), coreID, len(ids), correlate.DefaultHops, len(isPeer), total, batch, all.Round(time.Millisecond), ready.Round(time.Millisecond), len(incs))
	}
}
