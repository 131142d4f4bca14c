package lab

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// NodeExporter is prometheus-node-exporter on 127.0.0.4:9100.
type NodeExporter struct {
	Addr string // "127.0.0.4:9100"
	URL  string // "http://127.0.0.4:9100/metrics"

	proc *process
}

// StartNodeExporter starts prometheus-node-exporter on 127.0.0.4:9100 and
// stops it when the test ends (unless Stop stopped it earlier).
func StartNodeExporter(t testing.TB) *NodeExporter {
	t.Helper()
	Need(t, "prometheus-node-exporter for the node_exporter lab", "prometheus-node-exporter")
	n, err := testEnv(t).StartNodeExporter()
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return n
}

// Stop stops the exporter now, so that its address refuses connections; the
// test's cleanup then has nothing left to stop. Stop may be called more than
// once.
func (n *NodeExporter) Stop() {
	if n.proc != nil {
		_ = n.proc.stop()
	}
}

// StartNodeExporter starts prometheus-node-exporter on 127.0.0.4:9100;
// e.Close stops it.
func (e *Env) StartNodeExporter() (*NodeExporter, error) {
	bin, err := LookPath("prometheus-node-exporter")
	if err != nil {
		return nil, err
	}
	lk, err := acquireLock("node-exporter", "prometheus-node", e.lockTimeout(), e.logf)
	if err != nil {
		return nil, err
	}
	e.addCleanup(lk.release)
	dir, err := e.mkdir("node-exporter")
	if err != nil {
		return nil, err
	}
	n := &NodeExporter{Addr: NodeExporterAddr, URL: "http://" + NodeExporterAddr + "/metrics"}
	p, err := startProcess("prometheus-node-exporter", os.Environ(), bin,
		"--web.listen-address="+n.Addr,
		"--collector.textfile.directory="+dir,
		// Collectors that fail or log on every scrape without systemd/udev.
		"--no-collector.systemd",
		"--no-collector.logind",
		"--log.level=warn",
	)
	if err != nil {
		return nil, err
	}
	n.proc = p
	lk.setPID(p.pid())
	e.addCleanup(p.stop)
	if err := n.waitReady(StartTimeout); err != nil {
		return nil, err
	}
	return n, nil
}

// waitReady waits until /metrics answers 200.
func (n *NodeExporter) waitReady(timeout time.Duration) error {
	if err := waitTCP(n.Addr, n.proc, timeout); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		err := func() error {
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, n.URL, nil)
			if err != nil {
				return err
			}
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			_, _ = io.Copy(io.Discard, res.Body)
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %s", n.URL, res.Status)
			}
			return nil
		}()
		if err == nil {
			return nil
		}
		if n.proc.exited() {
			return fmt.Errorf("prometheus-node-exporter exited: %s", n.proc.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus-node-exporter: %v; output: %s", err, n.proc.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
