package discoveryjobs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestSaveConfinesWhatAJobTouches (issue 13): a saved job's files must lie
// in the discovery directories (symlinks resolved), nmap-scan may run only
// an nmap program the operator allows, and targets must be addresses,
// ranges or host names. Each is refused when the job is SAVED, created or
// updated, as BAD_USER_INPUT naming the field, and nothing is written.
func TestSaveConfinesWhatAJobTouches(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "discovery")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(path, body string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	scan, err := filepath.Abs("../../testdata/discovery/nmap/loopback.xml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(scan)
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, "scan.xml"), string(b), 0o600)
	write(filepath.Join(dir, "known_hosts"), "", 0o600)
	outsideEmpty := filepath.Join(root, "authorized_keys") // an existing, empty file
	write(outsideEmpty, "", 0o600)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.csv")); err != nil {
		t.Fatal(err)
	}
	fakeNmap := filepath.Join(root, "bin", "nmap") // named nmap, not allowed
	write(fakeNmap, "#!/bin/sh\ncat /etc/passwd\n", 0o700)
	allowedNmap := filepath.Join(root, "allowed", "nmap")
	write(allowedNmap, "#!/bin/sh\nexit 0\n", 0o700)

	conf, err := discovery.NewConfinement([]string{dir}, []string{allowedNmap})
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		box, err := secret.Load(testKey, "")
		if err != nil {
			t.Fatal(err)
		}
		rn := &runner.Runner{Client: db.Client, Registry: install.Registry().Confine(conf), Secrets: box, Dialect: db.Store.Dialect()}
		svc := discoveryjobs.New(rn, nil)
		ctx := audit.WithActor(context.Background(), "test")
		n := 0
		job := func(kind string, config map[string]any, targets ...string) discoveryjobs.Input {
			n++
			in := discoveryjobs.Input{Name: ptr(fmt.Sprintf("j%d-%s", n, kind)), SourceKind: ptr(kind), Config: config}
			if targets != nil {
				in.Scope = &schematype.DiscoveryScope{Targets: targets}
			}
			return in
		}
		for _, tc := range []struct {
			name  string
			in    discoveryjobs.Input
			field string
			msg   string
		}{
			{"file source reading a system file", job("file", map[string]any{"file": "/etc/passwd", "format": "csv"}), "config", "outside the discovery directories"},
			{"file source through a link out", job("file", map[string]any{"file": "passwd.csv"}), "config", "through a symbolic link"},
			{"file source climbing out", job("file", map[string]any{"file": "../authorized_keys", "format": "csv"}), "config", "outside the discovery directories"},
			{"nmap file outside", job("nmap", map[string]any{"file": scan}), "config", "outside the discovery directories"},
			{"terraform state outside", job("terraform", map[string]any{"file": "/etc/hostname"}), "config", "outside the discovery directories"},
			{"ssh appending to an empty file outside", job("ssh", map[string]any{"user": "u", "knownHostsFile": outsideEmpty, "trustOnFirstUse": true}), "config", "knownHostsFile: "},
			{"ssh known_hosts in a home directory", job("ssh", map[string]any{"user": "u", "knownHostsFile": "~/.ssh/known_hosts"}), "config", "knownHostsFile: "},
			{"nmap-scan running another program named nmap", job("nmap-scan", map[string]any{"binary": fakeNmap}), "config", "is not an nmap program this server allows"},
			{"nmap-scan running a shell", job("nmap-scan", map[string]any{"binary": "/bin/sh"}), "config", "is not an nmap program this server allows"},
			{"nmap-scan relative program", job("nmap-scan", map[string]any{"binary": "bin/nmap"}), "config", "absolute path"},
			{"nmap-scan option as a host", job("nmap-scan", map[string]any{"hosts": []string{"-iL/etc/shadow"}}), "config", "starts with '-'"},
			{"nmap-scan option as a scope target", job("nmap-scan", nil, "-iL/etc/shadow"), "scope", "starts with '-'"},
			{"nmap-scan short option target", job("nmap-scan", nil, "10.0.0.1", "-iR"), "scope", "starts with '-'"},
			{"nmap-scan target with a port", job("nmap-scan", nil, "db01:22"), "scope", "neither an IP address nor a host name"},
			{"ssh option target", job("ssh", map[string]any{"user": "u"}, "--oProxyCommand=x"), "scope", "starts with '-'"},
			{"tcp scan odd target", job("tcpscan", nil, "a|b"), "scope", "neither an IP address nor a host name"},
		} {
			_, err := svc.Save(ctx, 0, tc.in)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field || !strings.Contains(ae.Error(), tc.msg) {
				t.Errorf("%s: err = %v, want BAD_USER_INPUT on %s containing %q", tc.name, err, tc.field, tc.msg)
			}
		}
		if n := db.Client.DiscoveryJob.Query().CountX(ctx); n != 0 {
			t.Fatalf("%d jobs written by refused saves", n)
		}

		// What lies inside is saved, relative paths taken in the directory.
		for _, in := range []discoveryjobs.Input{
			job("nmap", map[string]any{"file": "scan.xml"}),
			job("ssh", map[string]any{"user": "u", "knownHostsFile": "known_hosts"}, "db01:2222", "10.0.0.0/30"),
			job("nmap-scan", map[string]any{"binary": allowedNmap, "hosts": []string{"127.0.0.1"}}, "db01", "10.0.0.0/30"),
			job("nmap-scan", nil), // "nmap": the first allowed program
		} {
			if _, err := svc.Save(ctx, 0, in); err != nil {
				t.Fatalf("saving %s: %v", *in.SourceKind, err)
			}
		}
		// An update is checked the same way, on what the job will be.
		scanJob, err := db.Client.DiscoveryJob.Query().All(ctx)
		if err != nil || len(scanJob) != 4 {
			t.Fatalf("saved jobs: %d, %v", len(scanJob), err)
		}
		var nmapScan int
		for _, j := range scanJob {
			if j.SourceKind == "nmap-scan" && len(j.Config) == 0 {
				nmapScan = j.ID
			}
		}
		for _, tc := range []struct {
			name  string
			in    discoveryjobs.Input
			field string
		}{
			{"update to a bad program", discoveryjobs.Input{Config: map[string]any{"binary": fakeNmap}}, "config"},
			{"update to an option target", discoveryjobs.Input{Scope: &schematype.DiscoveryScope{Targets: []string{"-iL/etc/shadow"}}}, "scope"},
		} {
			_, err := svc.Save(ctx, nmapScan, tc.in)
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field {
				t.Errorf("%s: err = %v, want BAD_USER_INPUT on %s", tc.name, err, tc.field)
			}
		}
		j, err := db.Client.DiscoveryJob.Get(ctx, nmapScan)
		if err != nil || len(j.Config) != 0 || len(j.Scope.Targets) != 0 {
			t.Fatalf("refused updates changed the job: %+v %v", j, err)
		}
	})
}

// TestSaveTakesEachSourcesTargets: a source that reads scope targets its
// own way (node_exporter: full URLs, host:port) is checked by its own rule
// when the job is saved.
func TestSaveTakesEachSourcesTargets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		svc := newService(t, db)
		ctx := audit.WithActor(context.Background(), "test")
		in := discoveryjobs.Input{Name: ptr("ne"), SourceKind: ptr("node_exporter"),
			Scope: &schematype.DiscoveryScope{Targets: []string{"https://web01:9100/metrics", "10.0.0.5:9200", "[::1]:9100", "db01"}}}
		if _, err := svc.Save(ctx, 0, in); err != nil {
			t.Fatalf("node_exporter targets: %v", err)
		}
		in.Name, in.Scope.Targets = ptr("ne2"), []string{"ftp://web01/"}
		if _, err := svc.Save(ctx, 0, in); err == nil || !strings.Contains(err.Error(), "scheme must be http or https") {
			t.Fatalf("node_exporter ftp target: %v", err)
		}
	})
}
