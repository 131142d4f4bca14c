package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// The lab's exporters listen on their own loopback addresses (the lab's
// fixed node_exporter is 127.0.0.4): the CIs are known by these addresses,
// which Prometheus's instance label carries with the port.
var labExporterIPs = []string{"127.0.0.11", "127.0.0.12"}

const labPromConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%[1]q]
alerting:
  alertmanagers:
  - static_configs:
    - targets: [%[2]q]
scrape_configs:
- job_name: node
  static_configs:
  - targets: [%[3]q, %[4]q]
`

const labRules = `groups:
- name: lab
  interval: 1s
  rules:
  - alert: InstanceDown
    expr: up == 0
    for: 0s
    labels:
      severity: page
    annotations:
      summary: '{{ $labels.instance }} is down'
`

const labAMConfig = `global:
  resolve_timeout: 5s
route:
  receiver: cairn
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: cairn
  webhook_configs:
  - url: %[1]s/api/v1/alerts/alertmanager
    send_resolved: true
    http_config:
      authorization:
        credentials: %[2]s
`

// TestAlertsLab is the deployment on loopback: Debian's
// prometheus-node-exporter twice, prometheus scraping both every second
// with an up == 0 rule, prometheus-alertmanager posting to a real
// `cairn serve` (in this process, on SQLite) with an INGEST token. Stopping
// one exporter opens an incident bound to its CI by the instance label;
// starting it again resolves the alert and the incident. The other CI
// never alerts.
func TestAlertsLab(t *testing.T) {
	if testing.Short() {
		t.Skip("the alert lab starts four daemons; not in -short")
	}
	lab.Need(t, "prometheus, prometheus-alertmanager and prometheus-node-exporter for the alert intake lab",
		"prometheus", "prometheus-alertmanager", "prometheus-node-exporter")
	bins := map[string]string{}
	for _, b := range []string{"prometheus", "prometheus-alertmanager", "prometheus-node-exporter"} {
		p, err := lab.LookPath(b)
		if err != nil {
			t.Fatal(err)
		}
		bins[b] = p
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()

	// The database: a CI per exporter, known by its address, and the
	// token Alertmanager sends.
	dbPath := filepath.Join(dir, "cairn.db")
	token, cis := seedAlertLab(t, ctx, dbPath)

	// The exporters, each on its own loopback address.
	exporters := make([]*labDaemon, len(labExporterIPs))
	addrs := make([]string, len(labExporterIPs))
	for i, ip := range labExporterIPs {
		addrs[i] = freeAddrOn(t, ip)
		exporters[i] = startExporter(t, ctx, bins["prometheus-node-exporter"], addrs[i])
	}

	// cairn serve, as an operator runs it.
	cairnAddr := freeAddrOn(t, "127.0.0.1")
	serveLog := &labBuffer{}
	sctx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() {
		root := newRoot(&labBuffer{}, serveLog)
		root.SetArgs([]string{"serve", "--db", dbPath, "--addr", cairnAddr, "--no-scheduler", "--log-level", "debug"})
		served <- root.ExecuteContext(sctx)
	}()
	t.Cleanup(func() {
		stopServe()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("cairn serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("cairn serve did not stop in 20 s")
		}
		if t.Failed() {
			t.Logf("cairn serve's log:\n%s", serveLog.String())
		}
	})
	waitHTTP(t, ctx, "http://"+cairnAddr+"/readyz", "cairn serve", serveLog)

	// Alertmanager, then Prometheus.
	amAddr := freeAddrOn(t, "127.0.0.1")
	amCfg := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, amCfg, fmt.Sprintf(labAMConfig, "http://"+cairnAddr, token))
	am := startDaemon(t, ctx, "alertmanager", bins["prometheus-alertmanager"], "--config.file="+amCfg,
		"--storage.path="+filepath.Join(dir, "am"), "--web.listen-address="+amAddr, "--cluster.listen-address=", "--log.level=warn")
	waitHTTP(t, ctx, "http://"+amAddr+"/-/ready", "alertmanager", am.out)

	promAddr := freeAddrOn(t, "127.0.0.1")
	rules := filepath.Join(dir, "rules.yml")
	writeFile(t, rules, labRules)
	promCfg := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promCfg, fmt.Sprintf(labPromConfig, rules, amAddr, addrs[0], addrs[1]))
	prom := startDaemon(t, ctx, "prometheus", bins["prometheus"], "--config.file="+promCfg,
		"--storage.tsdb.path="+filepath.Join(dir, "prom"), "--web.listen-address="+promAddr,
		"--rules.alert.resend-delay=1s", "--log.level=warn")
	waitHTTP(t, ctx, "http://"+promAddr+"/-/ready", "prometheus", prom.out)
	// Both targets up before anything is stopped.
	waitFor(t, ctx, 20*time.Second, "prometheus to scrape both exporters", func() (bool, string) {
		n, err := promUp(ctx, promAddr)
		return err == nil && n == 2, fmt.Sprintf("%d targets up (%v)", n, err)
	}, prom.out)

	db, err := app.Open(ctx, dbPath, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Stop the first exporter: an incident opens, bound to its CI.
	start := time.Now()
	exporters[0].stop()
	var inc *ent.Incident
	waitFor(t, ctx, 30*time.Second, "an OPEN incident on "+addrs[0], func() (bool, string) {
		al, err := db.Client.Alert.Query().Where(alert.ConfigurationItemID(cis[0]), alert.StatusEQ(alert.StatusFiring)).
			WithIncident().Only(ctx)
		if err != nil {
			return false, fmt.Sprintf("no firing alert on the CI: %v", err)
		}
		if al.BoundBy == nil || *al.BoundBy != alert.BoundByInstance || al.Labels["instance"] != addrs[0] {
			t.Fatalf("alert %d bound by %v with instance %q, want INSTANCE %s", al.ID, al.BoundBy, al.Labels["instance"], addrs[0])
		}
		if al.Edges.Incident == nil || al.Edges.Incident.Status != incident.StatusOpen {
			return false, fmt.Sprintf("alert %d has incident %v", al.ID, al.Edges.Incident)
		}
		inc = al.Edges.Incident
		return true, ""
	}, am.out)
	t.Logf("incident %d %q opened %v after the exporter stopped", inc.ID, inc.Title, time.Since(start).Round(100*time.Millisecond))
	if ids, err := inc.QueryConfigurationItems().IDs(ctx); err != nil || len(ids) != 1 || ids[0] != cis[0] {
		t.Errorf("incident %d is on CIs %v (%v), want only %d", inc.ID, ids, err, cis[0])
	}

	// Start it again: the alert resolves and so does the incident.
	start = time.Now()
	exporters[0] = startExporter(t, ctx, bins["prometheus-node-exporter"], addrs[0])
	waitFor(t, ctx, 30*time.Second, "incident to resolve", func() (bool, string) {
		got, err := db.Client.Incident.Get(ctx, inc.ID)
		if err != nil {
			return false, err.Error()
		}
		return got.Status == incident.StatusResolved, "status " + string(got.Status)
	}, am.out)
	t.Logf("incident %d resolved %v after the exporter started", inc.ID, time.Since(start).Round(100*time.Millisecond))
	firing, err := db.Client.Alert.Query().Where(alert.StatusEQ(alert.StatusFiring)).Count(ctx)
	if err != nil || firing != 0 {
		t.Errorf("%d alerts still firing (%v), want none", firing, err)
	}
	if n, err := db.Client.Alert.Query().Where(alert.ConfigurationItemID(cis[1])).Count(ctx); err != nil || n != 0 {
		t.Errorf("%d alerts on the exporter that never stopped (%v)", n, err)
	}
}

// seedAlertLab makes the database: one server CI per exporter address and
// an INGEST token, whose secret it returns with the CIs' IDs.
func seedAlertLab(t *testing.T, ctx context.Context, path string) (string, []int) {
	t.Helper()
	db, err := app.Open(ctx, path, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	actx := audit.WithActor(ctx, "lab")
	var ids []int
	err = txn.Do(actx, db.Client, func(tx *ent.Client) error {
		for i, ip := range labExporterIPs {
			ci, err := tx.ConfigurationItem.Create().SetName(fmt.Sprintf("lab-node-%d", i+1)).SetKind(configurationitem.KindServer).Save(actx)
			if err != nil {
				return err
			}
			if err := tx.Identifier.Create().SetConfigurationItemID(ci.ID).SetKind(identifier.KindIP).SetValue(ip).Exec(actx); err != nil {
				return err
			}
			ids = append(ids, ci.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := auth.CreateToken(actx, db.Client, "alertmanager", auth.Ingest, nil)
	if err != nil {
		t.Fatal(err)
	}
	return secret, ids
}

// labDaemon is a process of the lab, killed when the test ends.
type labDaemon struct {
	name string
	cmd  *exec.Cmd
	out  *labBuffer
	once sync.Once
	done chan struct{}
}

func startDaemon(t *testing.T, ctx context.Context, name, bin string, args ...string) *labDaemon {
	t.Helper()
	d := &labDaemon{name: name, cmd: exec.CommandContext(ctx, bin, args...), out: &labBuffer{}, done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, d.out.String())
		}
	})
	return d
}

// stop kills the daemon and waits for it to exit, so its address refuses
// connections when stop returns.
func (d *labDaemon) stop() {
	d.once.Do(func() {
		_ = d.cmd.Process.Kill()
		<-d.done
	})
}

func startExporter(t *testing.T, ctx context.Context, bin, addr string) *labDaemon {
	t.Helper()
	d := startDaemon(t, ctx, "node-exporter "+addr, bin, "--web.listen-address="+addr,
		"--collector.disable-defaults", "--log.level=warn")
	waitHTTP(t, ctx, "http://"+addr+"/metrics", d.name, d.out)
	return d
}

// promUp counts the targets Prometheus last scraped up.
func promUp(ctx context.Context, addr string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/query?query="+url.QueryEscape("sum(up)"), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if len(r.Data.Result) != 1 {
		return 0, nil
	}
	var n int
	_, err = fmt.Sscan(fmt.Sprint(r.Data.Result[0].Value[1]), &n)
	return n, err
}

// freeAddrOn is a free TCP address on the loopback address ip.
func freeAddrOn(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("no free port on %s: %v", ip, err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, ctx context.Context, url, what string, log *labBuffer) {
	t.Helper()
	waitFor(t, ctx, 20*time.Second, what+" to answer "+url, func() (bool, string) {
		resp, err := http.Get(url)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	}, log)
}

// waitFor polls cond every 200 ms for up to limit, failing with what it
// last said and log.
func waitFor(t *testing.T, ctx context.Context, limit time.Duration, what string, cond func() (bool, string), log *labBuffer) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waited %s for %s: %s\nlog:\n%s", limit, what, last, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// labBuffer is output written while the test may read it.
type labBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *labBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *labBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
