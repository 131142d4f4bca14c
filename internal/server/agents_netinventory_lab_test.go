package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryrun"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/lab"
	"github.com/cairn-cmdb/cairn/internal/server"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// The FusionInventory network inventory tools: fusioninventory-netinventory
// (Debian package fusioninventory-agent-task-network) walks a device and
// prints the SNMPQUERY message the agent would send; fusioninventory-injector
// (package fusioninventory-agent) posts a saved message to a server.
const (
	netInventoryBin = "fusioninventory-netinventory"
	injectorBin     = "fusioninventory-injector"
)

// runTool runs a lab binary within timeout and returns its standard output
// (and standard error in the error).
func runTool(t *testing.T, timeout time.Duration, bin string, args ...string) []byte {
	t.Helper()
	path, err := lab.LookPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "no_proxy=*")
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v (within %s)\nstdout: %s\nstderr: %s", bin, err, timeout, tail(string(out), 2000), tail(stderr.String(), 2000))
	}
	return out
}

// TestNetInventoryLab runs Debian's fusioninventory-netinventory 2.6
// against the lab's snmpd (udp 127.0.0.3:1161, v2c) and posts its
// SNMPQUERY with fusioninventory-injector to the agent route of a server
// on loopback, twice: the first post records the walked device (a Linux
// host, TYPE COMPUTER: SERVER) with its interface facts, the snmp source's
// names, in a succeeded run of trigger agent; the second changes nothing.
// Needs snmpd and snmp, fusioninventory-agent-task-network and
// fusioninventory-agent (skipped without them, failed under CAIRN_LAB=1).
func TestNetInventoryLab(t *testing.T) {
	lab.Need(t, "fusioninventory-netinventory (Debian package fusioninventory-agent-task-network) and fusioninventory-injector (fusioninventory-agent)",
		netInventoryBin, injectorBin)
	n := lab.StartSNMPD(t, "ops@example.com")
	host, port, ok := strings.Cut(n.Addr, ":")
	if !ok {
		t.Fatalf("lab snmpd address %q", n.Addr)
	}
	start := time.Now()
	xml := runTool(t, 30*time.Second, netInventoryBin, "--host", host, "--port", port,
		"--credentials", "version:2c,community:"+n.Community, "--timeout", "5")
	t.Logf("fusioninventory-netinventory: %d bytes in %s", len(xml), time.Since(start).Round(time.Millisecond))
	if !strings.Contains(string(xml), "<QUERY>SNMPQUERY</QUERY>") || !strings.Contains(string(xml), "<INFO>") {
		t.Fatalf("fusioninventory-netinventory printed no device:\n%s", tail(string(xml), 2000))
	}
	file := filepath.Join(t.TempDir(), "netinventory.xml")
	if err := os.WriteFile(file, xml, 0o600); err != nil {
		t.Fatal(err)
	}

	a := startAgentEnv(t, storetest.SQLiteDSN(t))
	u, err := url.Parse(a.URL(server.AgentRoutePrefix + "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	// The injector (LWP) answers the 401 challenge with the URL's user
	// information, as the agents answer it with --user and --password.
	u.User = url.UserPassword("agent", a.Ingest)
	post := func(n int) *ent.DiscoveryRun {
		t.Helper()
		start := time.Now()
		out := runTool(t, 20*time.Second, injectorBin, "--verbose", "--url", u.String(), "--file", file)
		t.Logf("injector post %d: %s in %s", n, strings.TrimSpace(string(out)), time.Since(start).Round(time.Millisecond))
		if !strings.Contains(string(out), "OK") {
			t.Fatalf("the injector was refused: %s", out)
		}
		runs := agentRuns(t, a.Env, "fleet")
		if len(runs) != n {
			t.Fatalf("%d runs of job fleet after %d posts", len(runs), n)
		}
		r := runs[n-1]
		if r.Status != discoveryrun.StatusSucceeded || r.Trigger != "agent" {
			t.Fatalf("run %d: %s trigger %q error %q", n, r.Status, r.Trigger, derefString(r.Error))
		}
		return r
	}
	first := post(1)
	if first.Counts.Created != 1 || first.Counts.Observed != 1 {
		t.Errorf("first run counts %+v, want the one device observed and created", first.Counts)
	}
	cis, err := a.DB.Client.ConfigurationItem.Query().WithIdentifiers().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cis) != 1 {
		t.Fatalf("%d CIs, want the walked device only", len(cis))
	}
	ci := cis[0]
	t.Logf("CI %q (%s): %d facts, %d identifiers", ci.Name, ci.Kind, len(ci.Facts), len(ci.Edges.Identifiers))
	if ci.Name != n.SysName || string(ci.Kind) != "SERVER" {
		t.Errorf("CI %q kind %s, want %q SERVER (net-snmp on Linux: TYPE COMPUTER)", ci.Name, ci.Kind, n.SysName)
	}
	for k, want := range map[string]string{
		"snmp.sysName":        n.SysName,
		"snmp.sysContact":     "ops@example.com",
		"snmp.sysLocation":    n.SysLocation,
		"if.lo.type":          "softwareLoopback",
		"if.lo.oper_status":   "up",
		"ip.127.0.0.1.ifname": "lo",
		"netinventory.type":   "COMPUTER",
	} {
		if got, _ := ci.Facts[k].(string); got != want {
			t.Errorf("fact %s = %v, want %q", k, ci.Facts[k], want)
		}
	}
	macFacts, macIDs := 0, 0
	for k := range ci.Facts {
		if strings.HasPrefix(k, "if.") && strings.HasSuffix(k, ".mac") {
			macFacts++
		}
		if strings.Contains(k, "uptime") || strings.Contains(k, "octets") {
			t.Errorf("volatile fact %s", k)
		}
	}
	for _, id := range ci.Edges.Identifiers {
		if string(id.Kind) == string(ident.MAC) {
			macIDs++
		}
	}
	if macFacts == 0 || macIDs == 0 {
		t.Errorf("%d if.*.mac facts and %d MAC identifiers, want the interfaces' MACs", macFacts, macIDs)
	}
	drifts := driftCount(t, a.Env)

	second := post(2)
	if c := second.Counts; c.Created != 0 || c.Updated != 0 || c.DriftsOpened != 0 || c.Matched != c.Observed {
		t.Errorf("second run counts %+v, want everything matched and nothing changed", c)
	}
	if d := driftCount(t, a.Env); d != drifts {
		t.Errorf("the second post opened drifts: %d -> %d", drifts, d)
	}

	// The snmp source walking the same agent finds the same CI (by its
	// MACs and host name) and disagrees with none of its facts; a third
	// post then changes nothing either.
	snmpPort, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		CreateDiscoveryJob struct{ ID string } `json:"createDiscoveryJob"`
	}
	a.Do(t, a.Admin, createJobMutation, map[string]any{"in": map[string]any{
		"name": "walk", "sourceKind": "snmp", "config": map[string]any{"port": snmpPort},
		"credentials": map[string]any{"community": n.Community},
		"scope":       map[string]any{"targets": []string{host}},
	}}).OK(t).Decode(t, &job)
	walk := runJob(t, a.Env, job.CreateDiscoveryJob.ID, false)
	t.Logf("snmp source run: %s %+v", walk.Status, walk.Counts)
	if walk.Status != "SUCCEEDED" || walk.Counts.Observed != 1 || walk.Counts.Matched != 1 || walk.Counts.Created != 0 || walk.Counts.DriftsOpened != 0 {
		t.Errorf("snmp source run %s error %q counts %+v, want the netinventory CI matched, nothing created, no drift", walk.Status, derefString(walk.Error), walk.Counts)
	}
	if n, err := a.DB.Client.ConfigurationItem.Query().Count(context.Background()); err != nil || n != 1 {
		t.Errorf("%d CIs after the snmp source's walk (%v), want 1", n, err)
	}
	third := post(3)
	if c := third.Counts; c.Created != 0 || c.Updated != 0 || c.DriftsOpened != 0 || c.Matched != c.Observed {
		t.Errorf("post after the snmp source's walk: counts %+v, want nothing changed", c)
	}
}

// TestNetInventoryRoute posts SNMPQUERY messages as fusioninventory-agent's
// NetInventory task sends them (zlib, application/x-compress-zlib): a
// batch's START message is answered <REPLY> and records nothing; the
// synthetic switch of discovery/agent/testdata (two LLDP/CDP neighbours,
// one over a port-channel) records the switch with its interface facts,
// its two neighbours and one CONNECTS_TO to each, and a second post
// changes nothing; a device the agent could not reach is answered
// <REPLY> and fails a run that says why.
func TestNetInventoryRoute(t *testing.T) {
	sw, err := os.ReadFile(filepath.Join("..", "..", "discovery", "agent", "testdata", "netinventory-switch.xml"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := startAgentEnv(t, dsn)
		zl := "application/x-compress-zlib"
		post := func(body string) string {
			t.Helper()
			resp := a.agentPost(t, "fleet", "", a.Ingest, zl, encodeAs(t, zl, []byte(body)))
			reply := decodeReply(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(reply, "<REPLY>") {
				t.Fatalf("HTTP %d: %s", resp.StatusCode, reply)
			}
			return reply
		}
		mustNotWrite(t, a.Env, func() {
			post(`<?xml version="1.0" encoding="UTF-8" ?><REQUEST><CONTENT><AGENT><AGENTVERSION>2.6</AGENTVERSION><START>1</START></AGENT><MODULEVERSION>4.2</MODULEVERSION><PROCESSNUMBER>1</PROCESSNUMBER></CONTENT><DEVICEID>foo</DEVICEID><QUERY>SNMPQUERY</QUERY></REQUEST>`)
		})
		if runs := agentRuns(t, a.Env, "fleet"); len(runs) != 0 {
			t.Fatalf("a START message recorded %d runs", len(runs))
		}

		post(string(sw))
		runs := agentRuns(t, a.Env, "fleet")
		if len(runs) != 1 || runs[0].Status != discoveryrun.StatusSucceeded {
			t.Fatalf("runs %+v, want one succeeded", runs)
		}
		if c := runs[0].Counts; c.Observed != 3 || c.Created != 3 {
			t.Errorf("counts %+v, want the switch and its two neighbours observed and created", c)
		}
		ctx := context.Background()
		cis, err := a.DB.Client.ConfigurationItem.Query().WithIdentifiers().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*ent.ConfigurationItem{}
		for _, c := range cis {
			byName[c.Name] = c
		}
		s := byName["sw-access-1.example.net"]
		if s == nil || len(cis) != 3 || byName["dist-1.example.net"] == nil || byName["db-1.example.net"] == nil {
			t.Fatalf("CIs %v, want the switch and its neighbours dist-1 and db-1", byName)
		}
		if string(s.Kind) != "NETWORK_DEVICE" || s.SerialNumber == nil || *s.SerialNumber != "FOC1234X0AB" {
			t.Errorf("switch kind %s serial %v", s.Kind, s.SerialNumber)
		}
		for k, want := range map[string]string{
			"if.Gi1/0/1.speed_bps": "1000000000", "if.Te1/1/1.speed_bps": "10000000000",
			"if.Gi1/0/1.mac": "00:1b:54:c2:50:01", "if.Po1.type": "propVirtual", "entity.1000.serial": "FOC1234X0AB",
		} {
			if got, _ := s.Facts[k].(string); got != want {
				t.Errorf("switch fact %s = %v, want %q", k, s.Facts[k], want)
			}
		}
		rels, err := s.QueryOutgoing().WithTo().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ports := map[string]string{}
		for _, r := range rels {
			if r.Type == "CONNECTS_TO" {
				ports[r.Edges.To.Name] = r.Attributes["local_port"]
			}
		}
		if ports["dist-1.example.net"] != "Te1/1/1, Te1/1/2" || ports["db-1.example.net"] != "Gi1/0/1" || len(ports) != 2 {
			t.Errorf("CONNECTS_TO local ports %v, want dist-1 over Te1/1/1, Te1/1/2 and db-1 on Gi1/0/1", ports)
		}
		drifts := driftCount(t, a.Env)
		post(string(sw))
		runs = agentRuns(t, a.Env, "fleet")
		if c := runs[len(runs)-1].Counts; len(runs) != 2 || c.Created != 0 || c.Updated != 0 || c.DriftsOpened != 0 {
			t.Errorf("second post: %d runs, counts %+v, want nothing changed", len(runs), c)
		}
		if d := driftCount(t, a.Env); d != drifts {
			t.Errorf("the second post opened drifts: %d -> %d", drifts, d)
		}

		post(`<REQUEST><CONTENT><DEVICE><ERROR><ID>0</ID><MESSAGE>no response from host</MESSAGE></ERROR></DEVICE><PROCESSNUMBER>1</PROCESSNUMBER></CONTENT><DEVICEID>foo</DEVICEID><QUERY>SNMPQUERY</QUERY></REQUEST>`)
		runs = agentRuns(t, a.Env, "fleet")
		last := runs[len(runs)-1]
		if len(runs) != 3 || last.Status != discoveryrun.StatusFailed || !strings.Contains(derefString(last.Error), "no response from host") {
			t.Errorf("after a device error: %d runs, last %s %q, want a failed run saying why", len(runs), last.Status, derefString(last.Error))
		}
	})
}
