package vsphere

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/discovery/vsphere")

// fixtureDir holds the golden observations.
var fixtureDir = filepath.Join("..", "..", "testdata", "discovery", "vsphere")

// now is the env.Now of the test runs.
var now = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// build returns the source of cfg, failing the test on an error.
func build(t testing.TB, cfg *Config) *Source {
	t.Helper()
	src, err := cfg.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return src.(*Source)
}

// insecureConfig is a config of the simulator that skips verification.
func insecureConfig(s *sim) *Config {
	cfg := DefaultConfig()
	cfg.URL = s.url()
	cfg.Insecure = true
	return cfg
}

func discover(t testing.TB, src *Source) *discovery.Result {
	t.Helper()
	res, err := src.Discover(context.Background(), discovery.Env{Credentials: simCreds(), Now: now})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return res
}

// tempDirRE matches the simulator's temporary datastore directory, which
// differs on every run.
var tempDirRE = regexp.MustCompile(`/[^"]*?govcsim-[^/"]*`)

func TestGolden(t *testing.T) {
	s := newSim(t, smallModel())
	res := discover(t, build(t, insecureConfig(s)))
	if res.Partial || len(res.HostErrors) > 0 {
		t.Fatalf("partial result: %v", res.HostErrors)
	}
	checkObservations(t, res.Observations)
	count := map[string]int{}
	for _, o := range res.Observations {
		count[o.Kind]++
		if !o.SeenAt.Equal(now) {
			t.Errorf("%s: SeenAt %v, want env.Now", o.Key, o.SeenAt)
		}
		if !o.StableKey || !strings.HasPrefix(o.Key, "vsphere:"+simInstance+":") {
			t.Errorf("%s: want a stable key vsphere:%s:<moref>", o.Key, simInstance)
		}
	}
	// 2 clusters; 2×3 cluster hosts and a standalone one; 3 VMs per
	// cluster and on the standalone host; 1 datastore; 1 switch.
	want := map[string]int{discovery.KindCluster: 2, discovery.KindServer: 7, discovery.KindVM: 9, discovery.KindStorage: 1, discovery.KindNetworkDevice: 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s observations, want %d (all: %v)", count[k], k, n, count)
		}
	}
	got, err := json.MarshalIndent(res.Observations, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = tempDirRE.ReplaceAll(got, []byte("/VCSIM"))
	golden(t, filepath.Join(fixtureDir, "small.golden.json"), append(got, '\n'))
}

// TestObservedValues asserts, beyond the golden file, the values the
// simulator was given: tools' host names and addresses, serial numbers,
// the relationships' targets.
func TestObservedValues(t *testing.T) {
	s := newSim(t, smallModel())
	res := discover(t, build(t, insecureConfig(s)))
	byKey := map[string]discovery.Observation{}
	for _, o := range res.Observations {
		byKey[o.Key] = o
	}
	reg := s.model.Map()
	var vm0 discovery.Observation
	first := sortedEntities(reg, "VirtualMachine")[0].(*simulator.VirtualMachine)
	vm0 = byKey[Key(simInstance, first.Self.Value)]
	var diskLabel string
	for _, d := range first.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			diskLabel = disk.DeviceInfo.GetDescription().Label
		}
	}
	if vm0.Key == "" {
		t.Fatal("the first VM was not observed")
	}
	if !hasID(vm0, ident.FQDN, "app01.prod.example.com") || !hasID(vm0, ident.Hostname, "app01") {
		t.Errorf("VM %s: want the guest host name as FQDN and HOSTNAME: %v", vm0.Key, vm0.Identifiers)
	}
	if !hasID(vm0, ident.IP, "10.20.0.11") || !hasID(vm0, ident.IP, "2001:db8::11") {
		t.Errorf("VM %s: want the guest addresses as IPs: %v", vm0.Key, vm0.Identifiers)
	}
	if hasID(vm0, ident.IP, "fe80::250:56ff:fe00:1") {
		t.Errorf("VM %s: a link-local address is no identifier: %v", vm0.Key, vm0.Identifiers)
	}
	if vm0.Facts["vsphere.tools_status"] != "toolsOk" || vm0.Facts["vsphere.guest_os"] != "Debian GNU/Linux 12 (64-bit)" {
		t.Errorf("VM %s: facts %v", vm0.Key, vm0.Facts)
	}
	var uuids, macs int
	for _, id := range vm0.Identifiers {
		switch id.Kind {
		case ident.UUID:
			uuids++
		case ident.MAC:
			macs++
		}
	}
	if uuids != 2 || macs != 1 {
		t.Errorf("VM %s: %d UUIDs and %d MACs, want instance and BIOS UUID and 1 MAC: %v", vm0.Key, uuids, macs, vm0.Identifiers)
	}
	var runsOn, uses int
	for _, r := range vm0.Relationships {
		target, ok := byKey[r.To]
		switch {
		case !ok:
			t.Errorf("VM %s: %s to %s, which is not observed", vm0.Key, r.Type, r.To)
		case r.Type == "RUNS_ON" && target.Kind == discovery.KindServer:
			runsOn++
		case r.Type == "USES" && target.Kind == discovery.KindStorage:
			uses++
			if r.Attributes["disk"] != diskLabel || diskLabel == "" {
				t.Errorf("VM %s USES %s: disk attribute %q, want %q", vm0.Key, r.To, r.Attributes["disk"], diskLabel)
			}
		}
	}
	if runsOn != 1 || uses != 1 {
		t.Errorf("VM %s: %d RUNS_ON a host and %d USES a datastore, want 1 and 1: %v", vm0.Key, runsOn, uses, vm0.Relationships)
	}

	serials := map[string]bool{}
	var members, connects int
	for _, o := range res.Observations {
		if o.Kind != discovery.KindServer {
			continue
		}
		sn := o.Fields["serial_number"]
		if !strings.HasPrefix(sn, "czj8") && !strings.HasPrefix(sn, "CZJ8") || serials[sn] {
			t.Errorf("host %s: serial_number %q, want a distinct CZJ8… serial", o.Key, sn)
		}
		serials[sn] = true
		if !hasKind(o, ident.UUID) {
			t.Errorf("host %s: no UUID identifier: %v", o.Key, o.Identifiers)
		}
		for _, r := range o.Relationships {
			switch {
			case r.Type == "MEMBER_OF" && byKey[r.To].Kind == discovery.KindCluster:
				members++
			case r.Type == "CONNECTS_TO" && byKey[r.To].Kind == discovery.KindNetworkDevice:
				connects++
			default:
				t.Errorf("host %s: unexpected relationship %s to %s", o.Key, r.Type, r.To)
			}
		}
	}
	// Six cluster hosts are members; every host joined the switch.
	if members != 6 || connects != 7 {
		t.Errorf("%d MEMBER_OF a cluster and %d CONNECTS_TO the switch, want 6 and 7", members, connects)
	}
}

func hasID(o discovery.Observation, k ident.Kind, v string) bool {
	for _, id := range o.Identifiers {
		if id.Kind == k && id.Value == v {
			return true
		}
	}
	return false
}

func hasKind(o discovery.Observation, k ident.Kind) bool {
	for _, id := range o.Identifiers {
		if id.Kind == k {
			return true
		}
	}
	return false
}

// TestVMotion moves a VM to another host of its cluster with
// RelocateVM_Task: the next run observes it under the same key with the
// same identifiers, and only its RUNS_ON target changes.
func TestVMotion(t *testing.T) {
	s := newSim(t, smallModel())
	src := build(t, insecureConfig(s))
	before := discover(t, src)

	reg := s.model.Map()
	// The first VM on a cluster's host.
	var (
		vmRef   types.ManagedObjectReference
		from    discovery.Observation
		oldHost string
	)
	for _, e := range sortedEntities(reg, "VirtualMachine") {
		vmRef = e.Reference()
		from = byKeyOf(before)[Key(simInstance, vmRef.Value)]
		oldHost = target(from, "RUNS_ON")
		if target(byKeyOf(before)[oldHost], "MEMBER_OF") != "" {
			break
		}
	}
	if oldHost == "" {
		t.Fatalf("VM %s has no RUNS_ON before the move", vmRef.Value)
	}
	// Another host of the same cluster.
	var newHost types.ManagedObjectReference
	for _, o := range before.Observations {
		if o.Kind == discovery.KindServer && o.Key != oldHost && target(o, "MEMBER_OF") != "" &&
			target(o, "MEMBER_OF") == target(byKeyOf(before)[oldHost], "MEMBER_OF") {
			newHost = types.ManagedObjectReference{Type: "HostSystem", Value: o.Facts["vsphere.moref"]}
			break
		}
	}
	if newHost.Value == "" {
		t.Fatal("no other host in the VM's cluster")
	}

	ctx := context.Background()
	c, err := src.Connect(ctx, simCreds())
	if err != nil {
		t.Fatal(err)
	}
	task, err := object.NewVirtualMachine(c, vmRef).Relocate(ctx, types.VirtualMachineRelocateSpec{Host: &newHost}, types.VirtualMachineMovePriorityDefaultPriority)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatalf("RelocateVM_Task: %v", err)
	}

	after := discover(t, src)
	to, ok := byKeyOf(after)[from.Key]
	if !ok {
		t.Fatalf("after the move, no observation keyed %s", from.Key)
	}
	if got, want := target(to, "RUNS_ON"), Key(simInstance, newHost.Value); got != want {
		t.Errorf("after the move RUNS_ON %s, want %s (was %s)", got, want, oldHost)
	}
	if !equalJSON(t, from.Identifiers, to.Identifiers) {
		t.Errorf("identifiers changed with the move:\nbefore %v\nafter  %v", from.Identifiers, to.Identifiers)
	}
	if len(after.Observations) != len(before.Observations) {
		t.Errorf("%d observations after the move, %d before", len(after.Observations), len(before.Observations))
	}
}

func byKeyOf(res *discovery.Result) map[string]discovery.Observation {
	m := map[string]discovery.Observation{}
	for _, o := range res.Observations {
		m[o.Key] = o
	}
	return m
}

// target returns the To of o's only relationship of type typ.
func target(o discovery.Observation, typ string) string {
	for _, r := range o.Relationships {
		if r.Type == typ {
			return r.To
		}
	}
	return ""
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

func TestLoginErrors(t *testing.T) {
	s := newSim(t, smallModel())
	src := build(t, insecureConfig(s))
	for _, tc := range []struct {
		name  string
		creds map[string]string
		want  string
		login bool
	}{
		{"wrong password", map[string]string{"username": simUser, "password": "wrong-Pa55"}, "incorrect user name or password", true},
		{"wrong user", map[string]string{"username": "root", "password": simPassword}, "incorrect user name or password", true},
		{"no username", map[string]string{"password": simPassword}, "username is required", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := src.Discover(context.Background(), discovery.Env{Credentials: tc.creds, Now: now})
			if err == nil {
				t.Fatal("Discover succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if errors.Is(err, ErrLogin) != tc.login {
				t.Errorf("errors.Is(err, ErrLogin) = %v, want %v", !tc.login, tc.login)
			}
			for _, p := range []string{simPassword, "wrong-Pa55"} {
				if strings.Contains(err.Error(), p) {
					t.Errorf("error %q holds a password", err)
				}
			}
			if tc.login && !strings.Contains(err.Error(), s.url()) {
				t.Errorf("error %q does not name the URL %s", err, s.url())
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	// Nothing listens on port 1 of the loopback address.
	cfg := DefaultConfig()
	cfg.URL = "https://127.0.0.1:1/sdk"
	cfg.Timeout = discovery.Duration(2 * time.Second)
	_, err := build(t, cfg).Discover(context.Background(), discovery.Env{Credentials: simCreds()})
	if err == nil || !strings.Contains(err.Error(), "connecting to https://127.0.0.1:1/sdk") {
		t.Errorf("error %v, want one naming the URL it could not connect to", err)
	}
	if err != nil && strings.Contains(err.Error(), simPassword) {
		t.Errorf("error %q holds the password", err)
	}
}

// TestTLS checks the certificate: refused by default (vcsim's is
// self-signed), trusted through caFile, or pinned by thumbprint.
func TestTLS(t *testing.T) {
	s := newSim(t, smallModel())
	cert := s.server.Certificate()
	caFile := filepath.Join(t.TempDir(), "vcsim.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	sha1Print := fingerprint(sha1.Sum(cert.Raw))
	sha256Sum := sha256.Sum256(cert.Raw)
	sha256Print := strings.ToLower(strings.ReplaceAll(fingerprint(sha256Sum), ":", ""))
	otherPrint := fingerprint(sha1.Sum([]byte("another certificate")))

	for _, tc := range []struct {
		name    string
		set     func(*Config)
		wantErr string
	}{
		{"verified, untrusted", func(*Config) {}, "certificate"},
		{"caFile", func(c *Config) { c.CAFile = caFile }, ""},
		{"SHA-1 thumbprint", func(c *Config) { c.Thumbprint = sha1Print }, ""},
		{"SHA-256 thumbprint, lower case without colons", func(c *Config) { c.Thumbprint = sha256Print }, ""},
		{"wrong thumbprint", func(c *Config) { c.Thumbprint = otherPrint }, "thumbprint"},
		{"insecure", func(c *Config) { c.Insecure = true }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.URL = s.url()
			tc.set(cfg)
			res, err := build(t, cfg).Discover(context.Background(), discovery.Env{Credentials: simCreds(), Now: now})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Discover: %v", err)
				}
				if len(res.Observations) == 0 {
					t.Error("no observations")
				}
				return
			}
			if err == nil {
				t.Fatal("Discover succeeded")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not say %q", err, tc.wantErr)
			}
		})
	}
}

func fingerprint[T [20]byte | [32]byte](sum T) string {
	var parts []string
	switch s := any(sum).(type) {
	case [20]byte:
		for _, b := range s {
			parts = append(parts, fmt.Sprintf("%02X", b))
		}
	case [32]byte:
		for _, b := range s {
			parts = append(parts, fmt.Sprintf("%02X", b))
		}
	}
	return strings.Join(parts, ":")
}

// TestDatacenters reads named datacenters: a name that does not exist
// makes the run partial, naming it; when none exists the run fails.
func TestDatacenters(t *testing.T) {
	m := smallModel()
	m.Datacenter = 2
	s := newSim(t, m)

	cfg := insecureConfig(s)
	cfg.Datacenters = []string{"DC1"}
	res := discover(t, build(t, cfg))
	if res.Partial {
		t.Errorf("partial: %v", res.HostErrors)
	}
	for _, o := range res.Observations {
		if o.Facts["vsphere.datacenter"] != "DC1" {
			t.Errorf("%s: datacenter %q, want only DC1", o.Key, o.Facts["vsphere.datacenter"])
		}
	}
	if len(res.Observations) != 20 {
		t.Errorf("%d observations of DC1, want 20", len(res.Observations))
	}

	cfg.Datacenters = []string{"DC0", "Nowhere"}
	res = discover(t, build(t, cfg))
	if !res.Partial || !strings.Contains(res.HostErrors["Nowhere"], "no such datacenter (known: DC0, DC1)") {
		t.Errorf("partial %v, host errors %v: want Nowhere named", res.Partial, res.HostErrors)
	}
	if len(res.Observations) != 20 {
		t.Errorf("%d observations of DC0, want 20", len(res.Observations))
	}

	cfg.Datacenters = []string{"Nowhere"}
	_, err := build(t, cfg).Discover(context.Background(), discovery.Env{Credentials: simCreds()})
	if err == nil || !strings.Contains(err.Error(), "none of the configured datacenters exists") {
		t.Errorf("error %v, want none of the configured datacenters exists", err)
	}
}

// TestPartial makes one datacenter's retrieval fail (more objects than
// maxObjects, read in pages of 5): the run is partial, names it, and keeps
// the other datacenter. When both fail the run fails.
func TestPartial(t *testing.T) {
	m := smallModel()
	m.Datacenter = 2
	s := newSim(t, m)
	cfg := insecureConfig(s)
	src := build(t, cfg)
	ctx := context.Background()
	c, err := src.Connect(ctx, simCreds())
	if err != nil {
		t.Fatal(err)
	}
	// Empty DC0 of its VMs.
	reg := s.model.Map()
	for _, e := range reg.All("VirtualMachine") {
		if !strings.HasPrefix(e.Entity().Name, "DC0_") {
			continue
		}
		vm := object.NewVirtualMachine(c, e.Reference())
		if task, err := vm.PowerOff(ctx); err == nil {
			_ = task.Wait(ctx)
		}
		task, err := vm.Destroy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cfg.PageSize = 5
	cfg.MaxObjects = 22
	res := discover(t, build(t, cfg))
	if !res.Partial || !strings.Contains(res.HostErrors["DC1"], "more than 22 objects (maxObjects)") {
		t.Fatalf("partial %v, host errors %v: want DC1 failed for its objects", res.Partial, res.HostErrors)
	}
	if _, ok := res.HostErrors["DC0"]; ok {
		t.Errorf("DC0 failed: %v", res.HostErrors)
	}
	var vms, hosts int
	for _, o := range res.Observations {
		if o.Facts["vsphere.datacenter"] != "DC0" {
			t.Errorf("%s of %s observed", o.Key, o.Facts["vsphere.datacenter"])
		}
		switch o.Kind {
		case discovery.KindVM:
			vms++
		case discovery.KindServer:
			hosts++
		}
	}
	if vms != 0 || hosts != 7 {
		t.Errorf("%d VMs and %d hosts of DC0, want 0 and 7", vms, hosts)
	}

	cfg.MaxObjects = 3
	_, err = build(t, cfg).Discover(ctx, discovery.Env{Credentials: simCreds()})
	var hf *discovery.HostsFailedError
	if !errors.As(err, &hf) || len(hf.HostErrors) != 2 {
		t.Errorf("error %v, want every datacenter failed with both named", err)
	}
}

func TestConfig(t *testing.T) {
	r, err := discovery.NewRegistry(Kind())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		json string
		want string // "" for valid
	}{
		{`{"url": "https://vc.example.com/sdk"}`, ""},
		{`{"url": "vc.example.com"}`, ""},
		{`{"url": "https://vc.example.com", "thumbprint": "ab:cd"}`, "thumbprint"},
		{`{"url": "https://vc.example.com", "insecure": true, "thumbprint": "` + strings.Repeat("AB:", 19) + `AB"}`, "exclude each other"},
		{`{}`, "url: is required"},
		{`{"url": "https://user:pw@vc.example.com/sdk"}`, "credentials"},
		{`{"url": "ftp://vc.example.com/sdk"}`, "scheme"},
		{`{"url": "https://vc.example.com", "timeout": "0s"}`, "timeout"},
		{`{"url": "https://vc.example.com", "concurrency": 0}`, "concurrency"},
		{`{"url": "https://vc.example.com", "datacenters": [""]}`, "datacenters"},
		{`{"url": "https://vc.example.com", "password": "x"}`, "unknown field"},
	} {
		err := r.Check(KindName, []byte(tc.json), nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.json, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.json, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: error %q shows the URL's password", tc.json, err)
		}
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (run with -update to accept):\n--- got ---\n%s", path, got)
	}
}

// checkObservations checks what must hold of any result: every observation
// passes Check, keys are unique, identifiers are normalised, and
// relationships point at observations of the same run.
func checkObservations(t testing.TB, obs []discovery.Observation) {
	t.Helper()
	keys := map[string]bool{}
	for _, o := range obs {
		if keys[o.Key] {
			t.Errorf("duplicate key %s", o.Key)
		}
		keys[o.Key] = true
	}
	for _, o := range obs {
		if err := o.Check(); err != nil {
			t.Error(err)
		}
		for _, id := range o.Identifiers {
			if v, err := ident.Normalize(id.Kind, id.Value); err != nil || v != id.Value {
				t.Errorf("%s: identifier %s %q is not normalised (%v)", o.Key, id.Kind, id.Value, err)
			}
		}
		for _, r := range o.Relationships {
			if !keys[r.To] {
				t.Errorf("%s: %s to %s, not an observation of the run", o.Key, r.Type, r.To)
			}
		}
	}
}

// TestWithheld: a property the server withholds (no permission) leaves the
// value empty and is counted, with the first named, rather than failing
// the datacenter.
func TestWithheld(t *testing.T) {
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-12"}
	objs := []types.ObjectContent{{
		Obj:     vm,
		PropSet: []types.DynamicProperty{{Name: "name", Val: "web01"}},
		MissingSet: []types.MissingProperty{
			{Path: "guest.net", Fault: types.LocalizedMethodFault{Fault: &types.NoPermission{}}},
			{Path: "config.uuid", Fault: types.LocalizedMethodFault{Fault: &types.NoPermission{}}},
		},
	}}
	dc, wh, err := fromObjects("datacenter-2", "DC0", objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(dc.VMs) != 1 || dc.VMs[0].Name != "web01" || dc.VMs[0].BIOSUUID != "" {
		t.Errorf("VMs %+v, want web01 without UUID", dc.VMs)
	}
	if wh.n != 2 || wh.first != "VirtualMachine vm-12 guest.net: NoPermission" {
		t.Errorf("withheld %d, first %q", wh.n, wh.first)
	}
}

// TestStandaloneESXi reads an ESXi host directly (vcsim's ESX model): it
// has no vCenter instance UUID, so keys are qualified by the host's
// address, and its one datacenter is "ha-datacenter".
func TestStandaloneESXi(t *testing.T) {
	m := simulator.ESX()
	s := newSim(t, m)
	s.model.Map().Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content.About.InstanceUuid = ""
	res := discover(t, build(t, insecureConfig(s)))
	checkObservations(t, res.Observations)
	host := strings.ToLower(s.server.URL.Host)
	var hosts, vms int
	for _, o := range res.Observations {
		if !strings.HasPrefix(o.Key, "vsphere:"+host+":") {
			t.Errorf("key %s, want vsphere:%s:<moref>", o.Key, host)
		}
		if o.Facts["vsphere.datacenter"] != "ha-datacenter" {
			t.Errorf("%s: datacenter %q", o.Key, o.Facts["vsphere.datacenter"])
		}
		switch o.Kind {
		case discovery.KindServer:
			hosts++
		case discovery.KindVM:
			vms++
			if target(o, "RUNS_ON") != "vsphere:"+host+":ha-host" {
				t.Errorf("%s RUNS_ON %q, want the ESXi host", o.Key, target(o, "RUNS_ON"))
			}
		}
	}
	if hosts != 1 || vms != 2 {
		t.Errorf("%d hosts and %d VMs, want 1 and 2", hosts, vms)
	}
}

func TestUnescapeName(t *testing.T) {
	for in, want := range map[string]string{
		"web01":             "web01",
		"prod%2fweb":        "prod/web",
		"a%5Cb%252f":        `a\b%2f`,
		"100%":              "100%",
		"50%2":              "50%2",
		"%2F%25%5c":         `/%\`,
		"%zz is left alone": "%zz is left alone",
	} {
		if got := UnescapeName(in); got != want {
			t.Errorf("UnescapeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSwitchUUID(t *testing.T) {
	for in, want := range map[string]string{
		"50 2a 1f 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8": "502a1f3c-4d5e-6f70-8192-a3b4c5d6e7f8",
		"a86ec114-1915-5fba-b48e-5c2b06075be0":            "a86ec114-1915-5fba-b48e-5c2b06075be0",
		"50 2a":                                           "50 2a",
	} {
		if got := switchUUID(in); got != want {
			t.Errorf("switchUUID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTemplates: a template is not a running machine and is not observed.
func TestTemplates(t *testing.T) {
	s := newSim(t, smallModel())
	src := build(t, insecureConfig(s))
	ctx := context.Background()
	c, err := src.Connect(ctx, simCreds())
	if err != nil {
		t.Fatal(err)
	}
	e := sortedEntities(s.model.Map(), "VirtualMachine")[0]
	vm := object.NewVirtualMachine(c, e.Reference())
	if task, err := vm.PowerOff(ctx); err == nil {
		_ = task.Wait(ctx)
	}
	if err := vm.MarkAsTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	res := discover(t, src)
	var vms int
	for _, o := range res.Observations {
		if o.Key == Key(simInstance, e.Reference().Value) {
			t.Errorf("template %s observed", o.Key)
		}
		if o.Kind == discovery.KindVM {
			vms++
		}
	}
	if vms != 8 {
		t.Errorf("%d VMs, want the 8 that are not templates", vms)
	}
}

// TestConfine: a saved job's caFile must lie in the discovery directories.
func TestConfine(t *testing.T) {
	inside, outside := t.TempDir(), t.TempDir()
	for _, d := range []string{inside, outside} {
		if err := os.WriteFile(filepath.Join(d, "ca.pem"), []byte("-"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := discovery.NewConfinement([]string{inside}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := discovery.NewRegistry(Kind())
	if err != nil {
		t.Fatal(err)
	}
	r = r.Confine(cf)
	if _, err := r.Decode(KindName, []byte(`{"url": "https://vc", "caFile": "ca.pem"}`)); err != nil {
		t.Errorf("caFile inside the directory: %v", err)
	}
	if _, err := r.Decode(KindName, []byte(`{"url": "https://vc", "caFile": "`+filepath.Join(outside, "ca.pem")+`"}`)); err == nil || !strings.Contains(err.Error(), "caFile") {
		t.Errorf("caFile outside the directories: error %v, want one naming caFile", err)
	}
	if _, err := r.Decode(KindName, []byte(`{"url": "https://vc"}`)); err != nil {
		t.Errorf("no caFile: %v", err)
	}
}
