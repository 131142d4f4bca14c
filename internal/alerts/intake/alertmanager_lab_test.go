package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/lab"
)

// amConfig routes alertname=Storm to a receiver that keeps 3 alerts (so
// Alertmanager truncates), everything else to one that keeps all; both
// send resolved alerts with a bearer token, as the deployment does.
const amConfig = `route:
  receiver: cairn
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
  - receiver: cairn-truncated
    matchers: ['alertname="Storm"']
receivers:
- name: cairn
  webhook_configs:
  - url: %[1]s/api/v1/alerts/alertmanager
    send_resolved: true
    http_config:
      authorization:
        credentials: lab-token
- name: cairn-truncated
  webhook_configs:
  - url: %[1]s/api/v1/alerts/alertmanager
    send_resolved: true
    max_alerts: 3
    http_config:
      authorization:
        credentials: lab-token
`

type amPost struct {
	auth string
	body []byte
}

// TestAlertmanagerLab runs Debian's prometheus-alertmanager on loopback,
// posts alerts to it and reads the webhook payloads it sends to an
// httptest server: a firing group, a group of many, a truncated group, a
// resolved one and a mixed one. Every payload must parse, carry the
// bearer token, and every alert's fingerprint must equal the one this
// package computes from its labels. With -update the payloads become the
// golden inputs under testdata/.
func TestAlertmanagerLab(t *testing.T) {
	lab.Need(t, "prometheus-alertmanager for the alert intake tests", "prometheus-alertmanager")
	bin, err := lab.LookPath("prometheus-alertmanager")
	if err != nil {
		t.Fatal(err)
	}
	posts := make(chan amPost, 64)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select { // never block: hook.Close waits for its handlers
		case posts <- amPost{auth: r.Header.Get("Authorization"), body: b}:
		default:
		}
	}))
	defer hook.Close()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(amConfig, hook.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.path="+dir,
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	api := "http://" + addr + "/api/v2/alerts"
	waitReady(t, "http://"+addr+"/-/ready", out)

	now := time.Now().UTC().Truncate(time.Second)
	alert := func(name, instance string, ends time.Time) map[string]any {
		a := map[string]any{
			"labels":       map[string]string{"alertname": name, "instance": instance, "job": "node", "severity": "page"},
			"annotations":  map[string]string{"summary": instance + " is down", "description": "up == 0 for 1m\nsince " + now.Format(time.RFC3339)},
			"startsAt":     now.Add(-time.Minute).Format(time.RFC3339Nano),
			"generatorURL": "http://prometheus.lab:9090/graph?g0.expr=up+%3D%3D+0",
		}
		if !ends.IsZero() {
			a["endsAt"] = ends.Format(time.RFC3339Nano)
		}
		return a
	}
	send := func(alerts ...map[string]any) {
		t.Helper()
		b, _ := json.Marshal(alerts)
		resp, err := http.Post(api, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("alertmanager refused alerts: %s", resp.Status)
		}
	}
	future := now.Add(time.Hour)
	send(alert("InstanceDown", "db-01.lab:9100", future))
	send(alert("Mixed", "web-01:9100", future), alert("Mixed", "[2001:db8::7]:9100", future))
	var storm []map[string]any
	for i := range 5 {
		storm = append(storm, alert("Storm", fmt.Sprintf("10.20.0.%d:9100", i+1), future))
	}
	send(storm...)
	var many []map[string]any
	for i := range 12 {
		many = append(many, alert("Many", fmt.Sprintf("node-%02d:9100", i+1), future))
	}
	send(many...)

	got := map[string][]byte{} // golden name → payload
	wantNames := []string{"firing", "mixed", "truncated", "many", "resolved"}
	resolvedSent, mixedSent := false, false
	deadline := time.After(30 * time.Second)
	for len(got) < len(wantNames) {
		select {
		case p := <-posts:
			if p.auth != "Bearer lab-token" {
				t.Fatalf("Authorization %q, want the bearer token", p.auth)
			}
			n, err := ParseAlertmanager(p.body, Options{})
			if err != nil {
				t.Fatalf("a payload Alertmanager sent does not parse: %v\n%s", err, p.body)
			}
			for i, a := range n.Alerts {
				if a.Fingerprint == "" || a.Fingerprint != Fingerprint(a.Labels, nil) {
					t.Errorf("alerts[%d]: Alertmanager's fingerprint %q, ours %q", i, a.Fingerprint, Fingerprint(a.Labels, nil))
				}
			}
			name := ""
			firing, resolved := 0, 0
			for _, a := range n.Alerts {
				if a.Firing() {
					firing++
				} else {
					resolved++
				}
			}
			switch n.GroupLabels["alertname"] {
			case "InstanceDown":
				if resolved == 0 {
					name = "firing"
					if !resolvedSent {
						resolvedSent = true
						send(alert("InstanceDown", "db-01.lab:9100", time.Now().UTC().Add(-time.Second)))
					}
				} else {
					name = "resolved"
				}
			case "Mixed":
				if !mixedSent {
					mixedSent = true
					send(alert("Mixed", "web-01:9100", time.Now().UTC().Add(-time.Second)))
				} else if firing > 0 && resolved > 0 {
					name = "mixed"
				}
			case "Storm":
				if n.TruncatedAlerts != 2 || len(n.Alerts) != 3 {
					t.Errorf("Storm: %d alerts, %d truncated; want 3 and 2", len(n.Alerts), n.TruncatedAlerts)
				}
				name = "truncated"
			case "Many":
				if len(n.Alerts) != 12 {
					t.Errorf("Many: %d alerts, want 12", len(n.Alerts))
				}
				name = "many"
			}
			if name != "" && got[name] == nil {
				got[name] = p.body
			}
		case <-deadline:
			t.Fatalf("alertmanager sent %d of %d payloads in 30 s; its log:\n%s", len(got), len(wantNames), out.String())
		}
	}
	if *update {
		for name, b := range got {
			// Indented in Alertmanager's own field order.
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			if err := os.WriteFile(filepath.Join("testdata", "alertmanager_"+name+".json"), pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, url string, log *syncBuffer) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 15*time.Second; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("alertmanager not ready in 15 s: %s", strings.TrimSpace(log.String()))
}

// syncBuffer is the daemon's output, read while it may still write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
