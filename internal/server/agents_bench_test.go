package server_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// benchInventory is the captured fusioninventory-agent 2.6 inventory of
// discovery/agent's tests (874 packages) made the inventory of host i: its
// name, FQDN, DEVICEID and MACs replaced, zlib-compressed as the agent
// sends it.
func benchInventory(b *testing.B, template string, i int) []byte {
	b.Helper()
	host := fmt.Sprintf("bench-%05d", i)
	mac := func(prefix string) string {
		return fmt.Sprintf("%s:%02x:%02x:%02x", prefix, i>>16&0xff, i>>8&0xff, i&0xff)
	}
	s := strings.NewReplacer(
		"<NAME>vm</NAME>", "<NAME>"+host+"</NAME>",
		"<FQDN>vm</FQDN>", "<FQDN>"+host+"</FQDN>",
		"<DEVICEID>vm-2026-12-08-01-12-22</DEVICEID>", "<DEVICEID>"+host+"-2026-12-08-01-12-22</DEVICEID>",
		"02:fc:00:00:00:01", mac("02:fc:00"),
		"1a:87:b5:20:a8:b0", mac("1a:87:b5"),
		"66:a3:21:06:e2:27", mac("66:a3:21"),
	).Replace(template)
	var buf bytes.Buffer
	z := zlib.NewWriter(&buf)
	if _, err := z.Write([]byte(s)); err != nil {
		b.Fatal(err)
	}
	if err := z.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkAgentInventory posts agent inventories (874 packages each) to
// the agent route of a server on SQLite, as fusioninventory-agent does
// (zlib, Basic with an INGEST token), through HTTP and reconciliation:
// "new" sends a new host each time (a CI created with its identifiers and
// facts), "again" hosts already recorded sending the same inventory (the
// daily steady state: nothing changes). clients posts at once.
func BenchmarkAgentInventory(b *testing.B) {
	raw, err := os.ReadFile("../../discovery/agent/testdata/fusion.xml")
	if err != nil {
		b.Fatal(err)
	}
	template := string(raw)
	for _, bc := range []struct {
		name    string
		again   bool
		clients int
	}{
		{"new/clients=1", false, 1},
		{"new/clients=4", false, 4},
		{"again/clients=1", true, 1},
		{"again/clients=4", true, 4},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := servertest.Start(b, storetest.SQLiteDSN(b), servertest.Options{Discovery: true})
			env.Do(b, env.Admin, createJobMutation, map[string]any{"in": map[string]any{"name": "fleet", "sourceKind": "agent", "createUnregistered": true}}).OK(b)
			token, _, err := auth.CreateToken(audit.WithActor(context.Background(), servertest.SetupActor), env.DB.Client, "agents", auth.Ingest, nil)
			if err != nil {
				b.Fatal(err)
			}
			url := env.URL(server.AgentRoutePrefix + "fleet")
			post := func(body []byte) error {
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					return err
				}
				req.Header.Set("Content-Type", "application/x-compress-zlib")
				req.SetBasicAuth("agent", token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("HTTP %d", resp.StatusCode)
				}
				return nil
			}
			// The bodies are built before the clock starts (the agent's
			// work); "again" records its hosts first.
			const hosts = 50
			bodies := make([][]byte, 0, b.N)
			for i := range b.N {
				h := i
				if bc.again {
					h = i % hosts
				}
				bodies = append(bodies, benchInventory(b, template, h))
			}
			if bc.again {
				for i := range min(hosts, b.N) {
					if err := post(bodies[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for range bc.clients {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if err := post(bodies[i]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			want := min(hosts, b.N)
			if !bc.again {
				want = b.N
			}
			if n := env.DB.Client.ConfigurationItem.Query().CountX(context.Background()); n != want {
				b.Errorf("%d CIs after %d inventories of %d hosts", n, b.N, want)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inventories/s")
		})
	}
}
