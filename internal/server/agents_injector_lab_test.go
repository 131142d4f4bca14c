package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// fusionInjector replays captured inventories as FusionInventory sends
// them (Debian's fusioninventory-agent package).
const fusionInjector = "fusioninventory-injector"

// injectedCI is what a golden file holds of a CI an inventory recorded.
type injectedCI struct {
	Name          string         `json:"name"`
	Kind          string         `json:"kind"`
	Status        string         `json:"status"`
	Hostname      string         `json:"hostname,omitempty"`
	FQDN          string         `json:"fqdn,omitempty"`
	Serial        string         `json:"serialNumber,omitempty"`
	Identifiers   []string       `json:"identifiers"`
	Facts         map[string]any `json:"facts"`
	Relationships []string       `json:"relationships,omitempty"`
}

// TestAgentInjectorGolden replays the captured inventories of
// discovery/agent/testdata (Debian's FusionInventory 2.6 and OCS 2.10 on
// this project's machine, a physical host with guests, a host of
// placeholders) with Debian's fusioninventory-injector, compressed and
// not, into an agent job, and compares the CIs recorded with golden files
// (-update rewrites them): the mapping through the real HTTP route, as an
// agent's inventory arrives. Each replay again changes nothing.
func TestAgentInjectorGolden(t *testing.T) {
	lab.Need(t, "fusioninventory-injector", fusionInjector)
	for _, name := range []string{"fusion", "ocs", "physical", "placeholders"} {
		capture := filepath.Join("..", "..", "discovery", "agent", "testdata", name+".xml")
		t.Run(name, func(t *testing.T) {
			a := startAgentEnv(t, storetest.SQLiteDSN(t))
			u, err := url.Parse(a.URL(server.AgentRoutePrefix + "fleet"))
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.UserPassword("agent", a.Ingest)
			inject := func(compress bool) {
				t.Helper()
				args := []string{"--file", capture, "--url", u.String()}
				if !compress {
					args = append(args, "--no-compression")
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				out, err := exec.CommandContext(ctx, fusionInjector, args...).CombinedOutput()
				if err != nil || strings.Contains(string(out), "ERROR") || strings.Contains(string(out), "error") {
					t.Fatalf("fusioninventory-injector %s: %v\n%s", name, err, out)
				}
			}
			inject(true)
			got := injected(t, a.DB.Client)
			raw, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, '\n')
			golden := filepath.Join("testdata", "agents", "injected", name+".golden.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if string(want) != string(raw) {
				t.Errorf("%s: the recorded CIs differ from %s (-update rewrites it):\n%s", name, golden, raw)
			}
			runs := agentRuns(t, a.Env, "fleet")
			if len(runs) != 1 || runs[0].Counts.Created != len(got) {
				t.Fatalf("%d runs, first %+v; want 1 creating %d CIs", len(runs), runs[0].Counts, len(got))
			}
			drifts := driftCount(t, a.Env)
			// Replayed plain: the same inventory changes nothing.
			inject(false)
			runs = agentRuns(t, a.Env, "fleet")
			if c := runs[len(runs)-1].Counts; len(runs) != 2 || c.Created != 0 || c.Updated != 0 || c.Filled != 0 || c.DriftsOpened != 0 || c.Matched != c.Observed {
				t.Errorf("the replay: %d runs, counts %+v; want everything matched and nothing changed", len(runs), c)
			}
			if d := driftCount(t, a.Env); d != drifts {
				t.Errorf("the replay opened drifts: %d -> %d", drifts, d)
			}
			again, _ := json.MarshalIndent(injected(t, a.DB.Client), "", "  ")
			if string(again)+"\n" != string(raw) {
				t.Errorf("the replay changed the CIs:\n%s", again)
			}
		})
	}
}

// injected is every CI of the database as a golden file holds it, by name.
func injected(t *testing.T, c *ent.Client) []injectedCI {
	t.Helper()
	ctx := context.Background()
	cis, err := c.ConfigurationItem.Query().WithIdentifiers().Order(ent.Asc(configurationitem.FieldName)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[int]string{}
	for _, ci := range cis {
		names[ci.ID] = ci.Name
	}
	rels, err := c.Relationship.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]injectedCI, 0, len(cis))
	for _, ci := range cis {
		g := injectedCI{Name: ci.Name, Kind: string(ci.Kind), Status: string(ci.Status), Facts: ci.Facts, Identifiers: []string{}}
		if ci.Hostname != nil {
			g.Hostname = *ci.Hostname
		}
		if ci.Fqdn != nil {
			g.FQDN = *ci.Fqdn
		}
		if ci.SerialNumber != nil {
			g.Serial = *ci.SerialNumber
		}
		for _, id := range ci.Edges.Identifiers {
			g.Identifiers = append(g.Identifiers, string(id.Kind)+" "+id.Value)
		}
		sort.Strings(g.Identifiers)
		for _, r := range rels {
			if r.FromID == ci.ID {
				g.Relationships = append(g.Relationships, string(r.Type)+" "+names[r.ToID])
			}
		}
		sort.Strings(g.Relationships)
		out = append(out, g)
	}
	return out
}
