package snmp_test

import (
	"context"
	"flag"
	"maps"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/lab"
)

var record = flag.Bool("record", false, "rewrite testdata/discovery/snmp/lab*.pdus.json from the lab's snmpd (needs snmpd), then run with -update")

// The sysContact values the lab agent is started and restarted with.
const (
	labContact      = "ops@example.com"
	labContactAfter = "noc@example.com"
)

// labSource builds a source for the lab agent with the given extra settings
// (JSON members, without braces).
func labSource(t testing.TB, n *lab.SNMPD, extra string) *snmp.Source {
	t.Helper()
	_, port, err := net.SplitHostPort(n.Addr)
	if err != nil {
		t.Fatal(err)
	}
	raw := `{"port": ` + port
	if extra != "" {
		raw += ", " + extra
	}
	r, err := discovery.NewRegistry(snmp.Kind())
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.Build("snmp", []byte(raw+"}"))
	if err != nil {
		t.Fatal(err)
	}
	return src.(*snmp.Source)
}

func labHost(t testing.TB, n *lab.SNMPD) string {
	t.Helper()
	host, _, err := net.SplitHostPort(n.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return host
}

func v2cCreds(n *lab.SNMPD) map[string]string { return map[string]string{"community": n.Community} }

func v3Creds(n *lab.SNMPD) map[string]string {
	return map[string]string{"user": n.User, "auth_password": n.AuthPass, "priv_password": n.PrivPass}
}

// discoverOne walks the lab agent and returns its observation.
func discoverOne(t *testing.T, s *snmp.Source, host string, creds map[string]string) discovery.Observation {
	t.Helper()
	start := time.Now()
	res, err := s.Discover(context.Background(), discovery.Env{Targets: []string{host}, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	t.Logf("walk of %s: %d facts in %v", host, len(res.Observations[0].Facts), elapsed)
	if elapsed > time.Second {
		t.Errorf("walk took %v, want at most 1s", elapsed)
	}
	if res.Partial || len(res.HostErrors) > 0 || len(res.Observations) != 1 {
		t.Fatalf("result: partial %v, errors %v, %d observations", res.Partial, res.HostErrors, len(res.Observations))
	}
	o := res.Observations[0]
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	if o.SeenAt.IsZero() || time.Since(o.SeenAt) > time.Minute {
		t.Errorf("SeenAt %v", o.SeenAt)
	}
	return o
}

func TestLabV2c(t *testing.T) {
	if *record {
		t.Run("record", recordFixture)
	}
	n := lab.StartSNMPD(t, labContact)
	host := labHost(t, n)
	o := discoverOne(t, labSource(t, n, ""), host, v2cCreds(n))

	if o.Key != "snmp "+host || o.Kind != discovery.KindServer || o.Name != n.SysName {
		t.Errorf("key %q kind %q name %q", o.Key, o.Kind, o.Name)
	}
	if o.Fields["hostname"] != n.SysName {
		t.Errorf("hostname field %q, want %q", o.Fields["hostname"], n.SysName)
	}
	for k, want := range map[string]string{
		"snmp.sysContact":     labContact,
		"snmp.sysName":        n.SysName,
		"snmp.sysLocation":    n.SysLocation,
		"snmp.sysObjectID":    ".1.3.6.1.4.1.8072.3.2.10",
		"if.lo.type":          "softwareLoopback",
		"if.lo.oper_status":   "up",
		"ip.127.0.0.1.ifname": "lo",
	} {
		if got := o.Facts[k]; got != want {
			t.Errorf("fact %s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(o.Facts["snmp.sysDescr"], "Linux ") {
		t.Errorf("sysDescr %q", o.Facts["snmp.sysDescr"])
	}
	var storage, devices int
	for k := range o.Facts {
		switch {
		case strings.HasPrefix(k, "storage."):
			storage++
		case strings.HasPrefix(k, "device."):
			devices++
		}
	}
	if storage == 0 || devices == 0 {
		t.Errorf("%d storage and %d device facts, want some of each", storage, devices)
	}
	for _, id := range o.Identifiers {
		if id.Kind == ident.IP && strings.HasPrefix(id.Value, "127.") {
			t.Errorf("loopback identifier %v", id)
		}
	}
}

func TestLabV3(t *testing.T) {
	n := lab.StartSNMPD(t, labContact)
	host := labHost(t, n)
	v2 := discoverOne(t, labSource(t, n, ""), host, v2cCreds(n))
	v3 := discoverOne(t, labSource(t, n, `"version": "3"`), host, v3Creds(n))
	if !maps.Equal(v2.Facts, v3.Facts) || !maps.Equal(v2.Fields, v3.Fields) || !reflect.DeepEqual(v2.Identifiers, v3.Identifiers) {
		t.Errorf("v3 authPriv sees a different agent than v2c:\nv2c %v\nv3  %v", v2.Facts, v3.Facts)
	}

	short := labSource(t, n, `"version": "3", "timeout": "300ms", "retries": 0`)
	bad := func(change map[string]string) map[string]string {
		c := v3Creds(n)
		for k, v := range change {
			if v == "" {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	tests := []struct {
		name  string
		creds map[string]string
		want  string
	}{
		{"wrong auth password", bad(map[string]string{"auth_password": "not-the-password"}), "authentication failed (check user and passwords)"},
		{"wrong priv password", bad(map[string]string{"priv_password": "not-the-password"}), "authentication failed (check user and passwords)"},
		{"unknown user", bad(map[string]string{"user": "nobody"}), "authentication failed (check user and passwords)"},
		{"wrong auth protocol", bad(map[string]string{"auth_protocol": "SHA256"}), "authentication failed (check user and passwords)"},
		{"authNoPriv for an authPriv user", bad(map[string]string{"priv_password": ""}), "access denied at security level authNoPriv (check user and passwords)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := short.Walk(context.Background(), host, tt.creds)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), n.AuthPass) || strings.Contains(err.Error(), n.PrivPass)) {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

func TestLabWrongCommunity(t *testing.T) {
	n := lab.StartSNMPD(t, labContact)
	host := labHost(t, n)
	s := labSource(t, n, `"timeout": "200ms", "retries": 0`)
	wrong := map[string]string{"community": "not-" + n.Community}

	start := time.Now()
	_, err := s.Walk(context.Background(), host, wrong)
	if err == nil || err.Error() != "no answer (wrong community or host down)" {
		t.Errorf("Walk: err = %v, want exactly %q", err, "no answer (wrong community or host down)")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a wrong community took %v to fail with a 200ms timeout", d)
	}
	_, err = s.Discover(context.Background(), discovery.Env{Targets: []string{host}, Credentials: wrong})
	if want := "every host failed; first: " + host + ": no answer (wrong community or host down)"; err == nil || err.Error() != want {
		t.Errorf("Discover: err = %v, want %q", err, want)
	}
}

// TestLabPartial: one target answers, another has no agent: the result is
// partial and names the failure.
func TestLabPartial(t *testing.T) {
	n := lab.StartSNMPD(t, labContact)
	host := labHost(t, n)
	const absent = "127.0.0.6" // nothing listens there
	s := labSource(t, n, `"timeout": "300ms", "retries": 0, "hosts": ["`+absent+`"]`)
	res, err := s.Discover(context.Background(), discovery.Env{Targets: []string{host}, Credentials: v2cCreds(n)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || len(res.Observations) != 1 || res.Observations[0].Key != "snmp "+host {
		t.Fatalf("partial %v, %d observations", res.Partial, len(res.Observations))
	}
	got := res.HostErrors[absent]
	if got != "no SNMP agent (port 1161/udp closed)" && got != "no answer (wrong community or host down)" {
		t.Errorf("host errors %v", res.HostErrors)
	}
	if len(res.HostErrors) != 1 {
		t.Errorf("host errors %v", res.HostErrors)
	}
}

// TestLabRestart: a restart with a new sysContact changes that fact and
// nothing else.
func TestLabRestart(t *testing.T) {
	n := lab.StartSNMPD(t, labContact)
	host := labHost(t, n)
	s := labSource(t, n, "")
	before := discoverOne(t, s, host, v2cCreds(n))
	again := discoverOne(t, s, host, v2cCreds(n))
	if !maps.Equal(before.Facts, again.Facts) {
		t.Errorf("two walks of an idle agent differ: %v", diff(before.Facts, again.Facts))
	}
	n.Restart(t, labContactAfter)
	after := discoverOne(t, s, host, v2cCreds(n))
	if before.Facts["snmp.sysContact"] != labContact || after.Facts["snmp.sysContact"] != labContactAfter {
		t.Errorf("sysContact before %q after %q", before.Facts["snmp.sysContact"], after.Facts["snmp.sysContact"])
	}
	if d := diff(before.Facts, after.Facts); !slices.Equal(d, []string{"snmp.sysContact"}) {
		t.Errorf("facts that changed: %v, want only snmp.sysContact", d)
	}
	if !maps.Equal(before.Fields, after.Fields) || !reflect.DeepEqual(before.Identifiers, after.Identifiers) {
		t.Errorf("fields or identifiers changed across a restart")
	}
}

// diff returns the keys whose values differ between a and b, sorted.
func diff(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestRecordedRestart checks the recorded pair of walks offline: they differ
// in sysContact only.
func TestRecordedRestart(t *testing.T) {
	_, p1, err := readFixture(filepath.Join(fixtures, "lab.pdus.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, p2, err := readFixture(filepath.Join(fixtures, "lab-restarted.pdus.json"))
	if err != nil {
		t.Fatal(err)
	}
	o1, err := snmp.FromPDUs("127.0.0.3", p1)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := snmp.FromPDUs("127.0.0.3", p2)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(o1.Facts, o2.Facts); !slices.Equal(d, []string{"snmp.sysContact"}) {
		t.Errorf("facts that differ: %v, want only snmp.sysContact", d)
	}
	if o1.Facts["snmp.sysContact"] != labContact || o2.Facts["snmp.sysContact"] != labContactAfter {
		t.Errorf("sysContact %q then %q", o1.Facts["snmp.sysContact"], o2.Facts["snmp.sysContact"])
	}
}

// recordFixture (run by the lab test with -record) rewrites lab.pdus.json and lab-restarted.pdus.json with
// -record: a v2c walk of the lab agent, then one after a restart with a new
// sysContact.
func recordFixture(t *testing.T) {
	n := lab.StartSNMPD(t, labContact)
	host := labHost(t, n)
	s := labSource(t, n, "")
	save := func(name, how string) {
		pdus, err := s.Walk(context.Background(), host, v2cCreds(n))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := toRecorded(pdus)
		if err != nil {
			t.Fatal(err)
		}
		f := fixture{Host: host, Recorded: how, PDUs: recs}
		if err := writeJSON(filepath.Join(fixtures, name), f); err != nil {
			t.Fatal(err)
		}
	}
	const how = "(*snmp.Source).Walk, v2c, of the lab's Net-SNMP 5.9.3 agent (internal/lab) on 127.0.0.3:1161 on Debian 12, started with sysContact "
	save("lab.pdus.json", how+labContact)
	n.Restart(t, labContactAfter)
	save("lab-restarted.pdus.json", how+labContact+", then restarted with sysContact "+labContactAfter)
}

// BenchmarkWalkLab walks the lab agent over v2c and reports the time of one
// full walk (target: at most 1s).
func BenchmarkWalkLab(b *testing.B) {
	n := lab.StartSNMPD(b, labContact)
	host := labHost(b, n)
	s := labSource(b, n, "")
	env := discovery.Env{Targets: []string{host}, Credentials: v2cCreds(n)}
	start := time.Now()
	walks := 0
	for b.Loop() {
		if _, err := s.Discover(context.Background(), env); err != nil {
			b.Fatal(err)
		}
		walks++
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(walks), "ms/walk")
}
