package discoveryjobs_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/install"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/discoveryjobs"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/secret"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

func open(t *testing.T, dsn string) *app.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func newService(t *testing.T, db *app.DB) *discoveryjobs.Service {
	t.Helper()
	box, err := secret.Load(testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	rn := &runner.Runner{Client: db.Client, Registry: install.Registry(), Secrets: box, Dialect: db.Store.Dialect()}
	return discoveryjobs.New(rn, nil)
}

func ptr[T any](v T) *T { return &v }

// TestSave saves jobs through the service outside any request: each bad
// input is BAD_USER_INPUT naming its field (whether the service or the hook
// checks it), credentials are sealed, and Changed runs once per committed
// change.
func TestSave(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		svc := newService(t, db)
		changes := 0
		svc.Changed = func(context.Context) { changes++ }
		ctx := audit.WithActor(context.Background(), "test")
		nmap := func(in discoveryjobs.Input) discoveryjobs.Input {
			in.Name, in.SourceKind = ptr("x"), ptr("nmap")
			if in.Config == nil {
				in.Config = map[string]any{"file": "a.xml"}
			}
			return in
		}
		bad := []struct {
			name  string
			in    discoveryjobs.Input
			field string
			msg   string
		}{
			{"unknown kind", discoveryjobs.Input{Name: ptr("x"), SourceKind: ptr("ftp")}, "sourceKind", `unknown source kind "ftp"`},
			{"missing file", discoveryjobs.Input{Name: ptr("x"), SourceKind: ptr("nmap"), Config: map[string]any{}}, "config", "file: is required"},
			{"bad cron", nmap(discoveryjobs.Input{Schedule: ptr("61 * * * *")}), "schedule", "61"},
			{"bad zone", nmap(discoveryjobs.Input{Schedule: ptr("@daily"), TimeZone: ptr("Mars/Base")}), "timeZone", "Mars/Base"},
			{"priority not a number", nmap(discoveryjobs.Input{FieldPriorities: map[string]any{"facts.*": "high"}}), "fieldPriorities", "must be a number"},
			{"priority not whole", nmap(discoveryjobs.Input{FieldPriorities: map[string]any{"facts.*": 1.5}}), "fieldPriorities", "whole number"},
			{"priority out of range", nmap(discoveryjobs.Input{FieldPriorities: map[string]any{"facts.*": float64(2000)}}), "fieldPriorities", "between 0 and 1000"},
			{"credential not a string", nmap(discoveryjobs.Input{Credentials: map[string]any{"password": 7}}), "credentials", `"password" must be a string`},
			{"network scope too long", nmap(discoveryjobs.Input{NetworkScope: ptr(strings.Repeat("s", 256))}), "networkScope", "at most 255"},
			{"network scope with a control character", nmap(discoveryjobs.Input{NetworkScope: ptr("site\x00a")}), "networkScope", "control"},
			{"missing guard below 0", nmap(discoveryjobs.Input{MaxMissingPercent: ptr(-1)}), "maxMissingPercent", "from 0 (no guard) to 100, got -1"},
			{"missing guard above 100", nmap(discoveryjobs.Input{MaxMissingPercent: ptr(101)}), "maxMissingPercent", "got 101"},
		}
		for _, tc := range bad {
			_, err := svc.Save(ctx, 0, tc.in)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field || !strings.Contains(ae.Error(), tc.msg) {
				t.Errorf("%s: err = %v, want BAD_USER_INPUT on %s containing %q", tc.name, err, tc.field, tc.msg)
			}
		}
		if changes != 0 {
			t.Fatalf("Changed ran %d times for refused saves", changes)
		}
		j, err := svc.Save(ctx, 0, nmap(discoveryjobs.Input{Name: ptr("  scan  "), Schedule: ptr(" @daily "), TimeZone: ptr(""),
			Credentials: map[string]any{"password": "s3cret"}, FieldPriorities: map[string]any{"facts.*": float64(70)}}))
		if err != nil {
			t.Fatal(err)
		}
		if j.Name != "x" || j.Schedule != "@daily" || j.TimeZone != "UTC" || j.FieldPriorities["facts.*"] != 70 ||
			j.CredentialsSealed == nil || strings.Contains(string(*j.CredentialsSealed), "s3cret") || changes != 1 {
			t.Fatalf("saved job = %+v (changes %d)", j, changes)
		}
		if j.NetworkScope != nil {
			t.Fatalf("network scope %q, want global (null) by default", *j.NetworkScope)
		}
		// The network scope is normalised, kept by updates that do not name
		// it and cleared by "".
		j, err = svc.Save(ctx, j.ID, discoveryjobs.Input{NetworkScope: ptr("  VPC-0abc ")})
		if err != nil {
			t.Fatal(err)
		}
		if j.NetworkScope == nil || *j.NetworkScope != "vpc-0abc" {
			t.Fatalf("network scope %v, want vpc-0abc", j.NetworkScope)
		}
		j, err = svc.Save(ctx, j.ID, discoveryjobs.Input{Priority: ptr(60)})
		if err != nil || j.NetworkScope == nil || *j.NetworkScope != "vpc-0abc" {
			t.Fatalf("update without a scope: %v, scope %v", err, j.NetworkScope)
		}
		j, err = svc.Save(ctx, j.ID, discoveryjobs.Input{NetworkScope: ptr(" ")})
		if err != nil || j.NetworkScope != nil {
			t.Fatalf("clearing the scope: %v, scope %v", err, j.NetworkScope)
		}
		changes -= 3
		// An update keeps what it does not name and checks the result.
		j, err = svc.Save(ctx, j.ID, discoveryjobs.Input{TimeZone: ptr("Europe/Berlin"), ClearCredentials: true})
		if err != nil {
			t.Fatal(err)
		}
		if j.Schedule != "@daily" || j.TimeZone != "Europe/Berlin" || (j.CredentialsSealed != nil && len(*j.CredentialsSealed) > 0) || j.Config["file"] != "a.xml" || changes != 2 {
			t.Fatalf("updated job = %+v (changes %d)", j, changes)
		}
		if err := svc.Delete(ctx, j.ID); err != nil || changes != 3 {
			t.Fatalf("delete: %v (changes %d)", err, changes)
		}
		if _, err := svc.RunNow(ctx, j.ID, true); !ent.IsNotFound(err) {
			t.Fatalf("running a deleted job: %v, want not found", err)
		}
	})
}

func TestObservations(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	seen := time.Date(2026, 11, 23, 11, 0, 0, 0, time.FixedZone("CET", 3600))
	host := func(key string) discoveryjobs.Observation {
		return discoveryjobs.Observation{Key: key, Kind: "SERVER", Name: key,
			Identifiers: []discovery.Identifier{{Kind: ident.Hostname, Value: key}},
			Facts:       map[string]any{"cpu.cores": "4"}}
	}
	withFacts := func(o discoveryjobs.Observation, f map[string]any) discoveryjobs.Observation { o.Facts = f; return o }
	withFields := func(o discoveryjobs.Observation, f map[string]any) discoveryjobs.Observation { o.Fields = f; return o }
	bad := []struct {
		name  string
		in    []discoveryjobs.Observation
		field string
	}{
		{"none", nil, "observations"},
		{"too many", make([]discoveryjobs.Observation, discoveryjobs.MaxSubmittedObservations+1), "observations"},
		{"fact not a string", []discoveryjobs.Observation{withFacts(host("a"), map[string]any{"cpu.cores": 4})}, "observations[0].facts"},
		{"field not a string", []discoveryjobs.Observation{host("a"), withFields(host("b"), map[string]any{"name": true})}, "observations[1].fields"},
		{"duplicate key", []discoveryjobs.Observation{host("a"), host("a")}, "observations[1].key"},
		{"no key", []discoveryjobs.Observation{host("")}, "observations[0]"},
	}
	for _, tc := range bad {
		_, err := discoveryjobs.Observations(tc.in, now)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != tc.field {
			t.Errorf("Observations(%s) = %v, want BAD_USER_INPUT on %s", tc.name, err, tc.field)
		}
	}
	a, b := host("a"), host("b")
	b.SeenAt = &seen
	got, err := discoveryjobs.Observations([]discoveryjobs.Observation{a, b}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].SeenAt.Equal(now) || got[1].SeenAt != seen.UTC() || got[0].Facts["cpu.cores"] != "4" {
		t.Fatalf("Observations = %+v", got)
	}
}

// TestNetworkScopeChangeKeepsHosts: a job that knew a host only by a
// private address is given a network scope; the addresses it recorded move
// into the scope with it, so the next run finds the same host instead of
// recording it again (and marking the first one missing). Addresses another
// source recorded keep their scope.
func TestNetworkScopeChangeKeepsHosts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		svc := newService(t, db)
		ctx := audit.WithActor(context.Background(), "test")
		inv := t.TempDir() + "/inventory.csv"
		if err := os.WriteFile(inv, []byte("key,identifier.IP\nbox,10.1.2.3\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		job, err := svc.Save(ctx, 0, discoveryjobs.Input{Name: ptr("inventory"), SourceKind: ptr("file"),
			Config: map[string]any{"file": inv}, CreateUnregistered: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		run := func() {
			t.Helper()
			if _, err := svc.RunNow(ctx, job.ID, false); err != nil {
				t.Fatal(err)
			}
		}
		run()
		// Another source records the same address on another CI, globally.
		if err := txnDo(ctx, db, func(c *ent.Client) error {
			other, err := c.ConfigurationItem.Create().SetName("elsewhere").SetKind("SERVER").Save(ctx)
			if err != nil {
				return err
			}
			return c.Identifier.Create().SetConfigurationItemID(other.ID).SetKind("IP").SetValue("10.1.2.3").SetSource("import:x.csv").Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Save(ctx, job.ID, discoveryjobs.Input{NetworkScope: ptr("Site-A")}); err != nil {
			t.Fatal(err)
		}
		run()
		n, err := db.Client.ConfigurationItem.Query().Count(ctx)
		if err != nil || n != 2 {
			t.Errorf("CIs after the scope change = %d, %v; want 2 (the job's host and the other source's)", n, err)
		}
		ids, err := db.Client.Identifier.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		scopes := map[string]string{}
		for _, id := range ids {
			if id.Kind == "IP" {
				scopes[id.Source] = deref(id.Scope)
			}
		}
		if scopes["discovery:inventory"] != "site-a" || scopes["import:x.csv"] != "" {
			t.Errorf("address scopes by source = %v, want the job's in site-a and the import's global", scopes)
		}
	})
}

func txnDo(ctx context.Context, db *app.DB, fn func(*ent.Client) error) error {
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
