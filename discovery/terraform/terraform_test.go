package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/discovery/terraform")

// fixtureDir holds the state files and their golden observations.
var fixtureDir = filepath.Join("..", "..", "testdata", "discovery", "terraform")

var fixtures = []string{"aws", "mixed", "module-deps-0.12.0", "module-deps-1.7"}

// now is the env.Now of the golden runs.
var now = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func TestGolden(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(fixtureDir, name+".tfstate")
			src, err := (&Config{File: file}).Build()
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Discover(context.Background(), discovery.Env{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			checkObservations(t, res.Observations)
			for _, o := range res.Observations {
				if !o.SeenAt.Equal(now) {
					t.Errorf("%s: SeenAt %v, want env.Now", o.Key, o.SeenAt)
				}
			}
			got, err := json.MarshalIndent(res.Observations, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(fixtureDir, name+".golden.json"), append(got, '\n'))
		})
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
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

// checkObservations checks what must hold of any Parse result: every
// observation passes Check, keys are unique, identifiers validate,
// relationships point at observations of the same file and facts are
// reported in full only under "tag.".
func checkObservations(t testing.TB, obs []discovery.Observation) {
	t.Helper()
	keys := map[string]bool{}
	for _, o := range obs {
		if err := o.Check(); err != nil {
			t.Fatalf("%v", err)
		}
		if keys[o.Key] {
			t.Fatalf("key %q appears twice", o.Key)
		}
		keys[o.Key] = true
		if o.Name == "" {
			t.Fatalf("%s: no name", o.Key)
		}
		for _, id := range o.Identifiers {
			if _, err := ident.Normalize(id.Kind, id.Value); err != nil {
				t.Fatalf("%s: identifier %v: %v", o.Key, id, err)
			}
		}
		for _, p := range o.CompleteFacts {
			if p != "tag." {
				t.Fatalf("%s: complete facts %q", o.Key, p)
			}
		}
	}
	for _, o := range obs {
		for _, r := range o.Relationships {
			if !keys[r.To] || r.To == o.Key || r.Type != "DEPENDS_ON" {
				t.Fatalf("%s: relationship %+v", o.Key, r)
			}
		}
	}
}

func parseString(t *testing.T, state string) []discovery.Observation {
	t.Helper()
	obs, err := Parse(strings.NewReader(state), "test.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	checkObservations(t, obs)
	return obs
}

func byKey(obs []discovery.Observation) map[string]discovery.Observation {
	m := map[string]discovery.Observation{}
	for _, o := range obs {
		m[o.Key] = o
	}
	return m
}

func TestParseLeavesSeenAtZero(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtureDir, "aws.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := Parse(f, "aws.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) == 0 {
		t.Fatal("no observations")
	}
	for _, o := range obs {
		if !o.SeenAt.IsZero() {
			t.Fatalf("%s: SeenAt %v, want zero", o.Key, o.SeenAt)
		}
	}
}

// TestFixtureFacts spells out what the golden files hold for a few
// resources, so that a careless -update does not slip a regression by.
func TestFixtureFacts(t *testing.T) {
	read := func(name string) map[string]discovery.Observation {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name+".tfstate"))
		if err != nil {
			t.Fatal(err)
		}
		return byKey(parseString(t, string(data)))
	}
	aws, mixed := read("aws"), read("mixed")

	web := aws["aws_instance.web[1]"]
	if web.Kind != discovery.KindVM || web.Name != "web-1" {
		t.Errorf("web[1]: kind %s name %q", web.Kind, web.Name)
	}
	wantIDs := []discovery.Identifier{
		{Kind: ident.CloudID, Value: "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60002"},
		{Kind: ident.CloudID, Value: "i-0a1b2c3d4e5f60002"},
		{Kind: ident.IP, Value: "10.20.1.12"},
		{Kind: ident.IP, Value: "54.210.7.41"},
		{Kind: ident.FQDN, Value: "ip-10-20-1-12.ec2.internal"},
		{Kind: ident.FQDN, Value: "ec2-54-210-7-41.compute-1.amazonaws.com"},
	}
	if !reflect.DeepEqual(web.Identifiers, wantIDs) {
		t.Errorf("web[1] identifiers:\n got %v\nwant %v", web.Identifiers, wantIDs)
	}
	for k, v := range map[string]string{
		"cloud.provider": "aws", "cloud.type": "aws_instance", "cloud.region": "us-east-1",
		"cloud.zone": "us-east-1b", "cloud.account": "123456789012", "instance.type": "t3.medium",
		"image": "ami-0c7217cdde317cfec", "state": "running", "tag.Name": "web-1",
		"tag.ManagedBy": "terraform",
	} {
		if web.Facts[k] != v {
			t.Errorf("web[1] fact %s = %q, want %q", k, web.Facts[k], v)
		}
	}
	if web.Fields["fqdn"] != "ip-10-20-1-12.ec2.internal" {
		t.Errorf("web[1] fields %v", web.Fields)
	}

	db := aws["aws_db_instance.main"]
	if db.Kind != discovery.KindDatabase || db.Name != "storefront-prod" ||
		db.Facts["engine"] != "postgres" || db.Facts["engine_version"] != "15.5" {
		t.Errorf("db: %+v", db)
	}
	for _, o := range []discovery.Observation{db, aws["aws_rds_cluster.analytics"]} {
		for k, v := range o.Facts {
			if strings.Contains(v, "not-to-be-copied") || strings.Contains(v, "hunter2") {
				t.Errorf("%s: secret copied into fact %s", o.Key, k)
			}
		}
	}

	// A dependency on a resource with count stands for each instance; one
	// on a data source or an unsupported type is dropped.
	worker := aws[`aws_instance.worker["batch"]`]
	wantRel := []string{
		"aws_db_instance.main", "aws_security_group.web",
		"module.network.aws_subnet.private[0]", "module.network.aws_subnet.private[1]",
	}
	if got := targets(worker); !reflect.DeepEqual(got, wantRel) {
		t.Errorf("worker relationships %v, want %v", got, wantRel)
	}
	// Within a module instance, the module's own resources are that
	// instance's.
	resize := aws[`module.edge["eu-west-1"].aws_lambda_function.resize`]
	if got, want := targets(resize), []string{`module.edge["eu-west-1"].aws_s3_bucket.assets`}; !reflect.DeepEqual(got, want) {
		t.Errorf("resize relationships %v, want %v", got, want)
	}
	if resize.Facts["cloud.region"] != "eu-west-1" {
		t.Errorf("resize region %q", resize.Facts["cloud.region"])
	}
	if _, ok := aws["aws_iam_role.eks"]; ok {
		t.Error("unsupported type observed")
	}

	vm := mixed[`azurerm_linux_virtual_machine.api["green"]`]
	if vm.Facts["image"] != "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest" ||
		vm.Facts["cloud.region"] != "westeurope" || vm.Facts["cloud.zone"] != "2" ||
		vm.Facts["cloud.account"] != "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f" || vm.Fields["hostname"] != "api-green" {
		t.Errorf("azure vm: %+v", vm)
	}
	if dc := mixed["azurerm_windows_virtual_machine.dc"]; len(dc.Identifiers) != 3 || dc.Identifiers[1].Value != "10.40.2.10" {
		t.Errorf("deposed object not skipped: %+v", dc.Identifiers)
	}
	gce := mixed["google_compute_instance.app[0]"]
	if gce.Facts["cloud.region"] != "europe-west1" || gce.Facts["cloud.zone"] != "europe-west1-b" ||
		gce.Facts["tag.goog-ops-agent-policy"] == "" || gce.Facts["tag.role"] != "app" {
		t.Errorf("gce: %+v", gce.Facts)
	}
	sql := mixed["google_sql_database_instance.main"]
	if sql.Facts["engine"] != "postgres" || sql.Facts["engine_version"] != "15" || sql.Facts["tag.tier"] != "data" {
		t.Errorf("cloud sql: %+v", sql.Facts)
	}
	if b := mixed["google_storage_bucket.assets"]; b.Facts["cloud.region"] != "eu" || b.Kind != discovery.KindStorage {
		t.Errorf("bucket: %+v", b)
	}
	web1 := mixed["module.onprem.vsphere_virtual_machine.web[1]"]
	for _, id := range web1.Identifiers {
		if id.Kind == ident.Hostname || id.Kind == ident.FQDN {
			t.Errorf("invalid host name became %v", id)
		}
	}
	if web1.Name != "Legacy web (do not touch)" || web1.Facts["cpu"] != "1" || web1.Facts["memory_mb"] != "2048" {
		t.Errorf("vsphere web[1]: %+v", web1)
	}
	db01 := mixed["module.onprem.vsphere_virtual_machine.db"]
	for _, id := range db01.Identifiers {
		if strings.HasPrefix(id.Value, "fe80") {
			t.Errorf("link-local address kept: %v", id)
		}
	}
	if db01.CompleteFacts != nil {
		t.Errorf("vsphere VM claims complete tags")
	}
}

func targets(o discovery.Observation) []string {
	var out []string
	for _, r := range o.Relationships {
		out = append(out, r.To)
	}
	return out
}

// state wraps resources in a version 4 state.
func state(resources string) string {
	return `{"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", "resources": [` + resources + `]}`
}

func TestAddresses(t *testing.T) {
	obs := parseString(t, state(`
		{"mode": "managed", "type": "aws_s3_bucket", "name": "single", "instances": [{"attributes": {"bucket": "b1"}}]},
		{"mode": "managed", "type": "aws_s3_bucket", "name": "counted", "instances": [
			{"index_key": 0, "attributes": {}}, {"index_key": 12, "attributes": {}}]},
		{"mode": "managed", "type": "aws_s3_bucket", "name": "each", "instances": [
			{"index_key": "a", "attributes": {}},
			{"index_key": "with \"quotes\" and ${x} and \\", "attributes": {}}]},
		{"module": "module.net[\"eu\"].module.sub[0]", "mode": "managed", "type": "aws_vpc", "name": "this",
		 "instances": [{"attributes": {"tags": null}}]}`))
	var keys []string
	for _, o := range obs {
		keys = append(keys, o.Key)
	}
	want := []string{
		"aws_s3_bucket.single",
		"aws_s3_bucket.counted[0]", "aws_s3_bucket.counted[12]",
		`aws_s3_bucket.each["a"]`, `aws_s3_bucket.each["with \"quotes\" and $${x} and \\"]`,
		`module.net["eu"].module.sub[0].aws_vpc.this`,
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys\n got %q\nwant %q", keys, want)
	}
	if obs[0].Name != "b1" || obs[1].Name != "aws_s3_bucket.counted[0]" {
		t.Errorf("names %q, %q", obs[0].Name, obs[1].Name)
	}
	if got := obs[5].CompleteFacts; !reflect.DeepEqual(got, []string{"tag."}) {
		t.Errorf("null tags: complete facts %v, want tags reported (as none)", got)
	}
	if got := obs[1].CompleteFacts; got != nil {
		t.Errorf("absent tags: complete facts %v, want none", got)
	}
}

func TestDependencies(t *testing.T) {
	obs := byKey(parseString(t, state(`
		{"mode": "managed", "type": "aws_vpc", "name": "main", "instances": [{"attributes": {}}]},
		{"mode": "managed", "type": "aws_subnet", "name": "a", "instances": [
			{"index_key": 0, "attributes": {}, "dependencies": ["aws_vpc.main"]},
			{"index_key": 1, "attributes": {}, "dependencies": ["aws_vpc.main"]}]},
		{"mode": "managed", "type": "aws_iam_role", "name": "r", "instances": [{"attributes": {}}]},
		{"module": "module.app", "mode": "managed", "type": "aws_instance", "name": "x", "instances": [
			{"attributes": {}, "dependencies": ["aws_subnet.a", "aws_iam_role.r", "data.aws_ami.x", "aws_vpc.gone",
			                                   "aws_subnet.a", "module.app.aws_instance.x"]}]},
		{"mode": "managed", "type": "aws_instance", "name": "old", "instances": [
			{"attributes": {}, "depends_on": ["aws_subnet.a[1]"]}]}`)))
	if got, want := targets(obs["module.app.aws_instance.x"]), []string{"aws_subnet.a[0]", "aws_subnet.a[1]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("x → %v, want %v", got, want)
	}
	if got, want := targets(obs["aws_instance.old"]), []string{"aws_subnet.a[1]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("old → %v, want %v", got, want)
	}
	if got := targets(obs["aws_vpc.main"]); got != nil {
		t.Errorf("vpc → %v", got)
	}
}

func TestSkipped(t *testing.T) {
	st, err := parse(strings.NewReader(state(`
		{"mode": "data", "type": "aws_ami", "name": "a", "instances": [{"attributes": {}}]},
		{"mode": "managed", "type": "aws_iam_role", "name": "r", "instances": [{"attributes": {}}, {"attributes": {}}]},
		{"mode": "managed", "type": "aws_instance", "name": "i", "instances": [{"attributes": {}}, {"deposed": "abcd1234", "attributes": {}}]},
		{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {}}]}`)),
		"t", map[string]bool{"aws_instance": true})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.obs) != 1 || st.obs[0].Key != "aws_instance.i" {
		t.Errorf("observations %+v", st.obs)
	}
	if got, want := st.skipped.String(), "aws_iam_role=2, aws_vpc=1, data source=1, deposed=1"; got != want {
		t.Errorf("skipped %q, want %q", got, want)
	}
}

func TestAttributesFlat(t *testing.T) {
	obs := parseString(t, state(`{"mode": "managed", "type": "aws_instance", "name": "old", "instances": [
		{"attributes_flat": {"id": "i-0123456789abcdef0", "private_ip": "10.0.0.5", "tags.%": "1", "tags.Name": "legacy"}}]}`))
	o := obs[0]
	if o.Name != "legacy" || len(o.Identifiers) != 2 || o.Facts["tag.Name"] != "legacy" {
		t.Errorf("%+v", o)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", ``, "test.tfstate:1:1: not JSON"},
		{"not JSON", "{\n  \"version\": 4,\n  \"resources\": [}\n", "test.tfstate:3:17: not JSON: invalid character '}'"},
		{"truncated", `{"version": 4, "resources": [`, "test.tfstate:1:29: not JSON: unexpected end of JSON input"},
		{"array", `[1, 2]`, "test.tfstate:1:1: not a Terraform state: want a JSON object, got array"},
		{"null", `null`, "not a Terraform state: want a JSON object, got null"},
		{"no version", `{"resources": []}`, `not a Terraform state: no "version"`},
		{"version 3", `{"version": 3, "terraform_version": "0.11.14", "modules": []}`, "state format version 3 is not supported: want version 4"},
		{"version 5", `{"version": 5, "resources": []}`, "state format version 5 is not supported"},
		{"version string", `{"version": "4", "resources": []}`, `version: want an integer, got "4"`},
		{"missing resources", `{"version": 4, "terraform_version": "1.6.0"}`, `no "resources" list`},
		{"null resources", `{"version": 4, "resources": null}`, `no "resources" list`},
		{"resources object", `{"version": 4, "resources": {}}`, "resources: want a list, got an object"},
		{"serial string", `{"version": 4, "serial": "1", "resources": []}`, "serial: want a whole number"},
		{"resource string", state(`"aws_instance.web"`), "resources[0]: want an object, got a string"},
		{"mode", state(`{"mode": "import", "type": "aws_instance", "name": "x", "instances": []}`), `resource aws_instance.x: mode "import"`},
		{"type number", state(`{"mode": "managed", "type": 7, "name": "x", "instances": []}`), "resources[0]: type: want a string, got number"},
		{"instances object", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": {}}`),
			"resource aws_instance.web: instances: want a list, got object"},
		{"no instances", state(`{"mode": "managed", "type": "aws_instance", "name": "web"}`), "resource aws_instance.web: no instances list"},
		{"bad name", state(`{"mode": "managed", "type": "aws_instance", "name": "web server", "instances": []}`), "not a Terraform identifier"},
		{"bad module", state(`{"module": "net", "mode": "managed", "type": "aws_instance", "name": "web", "instances": []}`), `module "net"`},
		{"attributes list", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"index_key": 0, "attributes": []}]}`),
			"resource aws_instance.web[0]: attribute attributes: want an object, got a list"},
		{"private_ip number", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"attributes": {"private_ip": 10}}]}`),
			"resource aws_instance.web: attribute private_ip: want a string or a list of strings, got a number"},
		{"tags list", state(`{"module": "module.a", "mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"index_key": "k", "attributes": {"tags": ["a"]}}]}`),
			`resource module.a.aws_instance.web["k"]: attribute tags: want an object, got a list`},
		{"tag value", state(`{"mode": "managed", "type": "aws_s3_bucket", "name": "b", "instances": [{"attributes": {"tags": {"n": 1}}}]}`),
			"resource aws_s3_bucket.b: attribute tags.n: want a string, got a number"},
		{"nested", state(`{"mode": "managed", "type": "google_compute_instance", "name": "vm", "instances": [{"attributes": {"network_interface": [{"network_ip": true}]}}]}`),
			"resource google_compute_instance.vm: attribute network_interface.0.network_ip: want a string or a list of strings, got a boolean"},
		{"fact object", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"attributes": {"instance_type": {}}}]}`),
			"resource aws_instance.web: attribute instance_type: want a string, number or boolean, got an object"},
		{"index key", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"index_key": 1.5, "attributes": {}}]}`),
			"resource aws_instance.web: instances[0]: index_key 1.5: want a whole number or a string"},
		{"index key bool", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"index_key": true, "attributes": {}}]}`),
			"index_key: want a number or a string, got a boolean"},
		{"dependencies", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"attributes": {}, "dependencies": "aws_vpc.x"}]}`),
			"resource aws_instance.web: instances[0]: dependencies: want a list, got string"},
		{"duplicate", state(`{"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"index_key": 0, "attributes": {}}, {"index_key": 0, "attributes": {}}]}`),
			"instance aws_instance.web[0] appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Parse(strings.NewReader(tc.in), "test.tfstate")
			if err == nil {
				t.Fatalf("no error; observations %+v", obs)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "test.tfstate") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	reg, err := discovery.NewRegistry(Kind())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Build(KindName, nil); err == nil || !strings.Contains(err.Error(), "file: is required") {
		t.Errorf("no file: %v", err)
	}
	if _, err := reg.Build(KindName, []byte(`{"file": "x.tfstate", "types": ["aws_instance", "aws_iam_role"]}`)); err == nil ||
		!strings.Contains(err.Error(), `unsupported resource type "aws_iam_role"`) {
		t.Errorf("unsupported type: %v", err)
	}
	if _, err := reg.Build(KindName, []byte(`{"file": "x.tfstate", "typo": 1}`)); err == nil {
		t.Error("unknown setting accepted")
	}
	cfg, err := reg.Decode(KindName, []byte(`{"file": "x.tfstate"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.(*Config); c.File != "x.tfstate" || c.Types != nil {
		t.Errorf("decoded %+v", c)
	}

	// A types filter drops the other types and relationships to them.
	src, err := reg.Build(KindName, []byte(`{"file": "`+filepath.ToSlash(filepath.Join(fixtureDir, "aws.tfstate"))+`", "types": ["aws_instance", "aws_db_instance"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res, err := src.Discover(context.Background(), discovery.Env{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	checkObservations(t, res.Observations)
	if len(res.Observations) != 5 {
		t.Errorf("%d observations, want 5", len(res.Observations))
	}
	for _, o := range res.Observations {
		if o.SeenAt.IsZero() {
			t.Errorf("%s: SeenAt zero without env.Now", o.Key)
		}
	}
	if !strings.Contains(logs.String(), "skipped_resources=") || !strings.Contains(logs.String(), "aws_iam_role=1") {
		t.Errorf("debug log %q", logs.String())
	}

	if _, err := (&Config{File: filepath.Join(t.TempDir(), "none.tfstate")}).Build(); err != nil {
		t.Fatal(err)
	}
	src, _ = (&Config{File: filepath.Join(t.TempDir(), "none.tfstate")}).Build()
	if _, err := src.Discover(context.Background(), discovery.Env{}); err == nil {
		t.Error("missing file: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Discover(ctx, discovery.Env{}); err == nil {
		t.Error("cancelled: no error")
	}
}

func TestSupportedTypes(t *testing.T) {
	types := SupportedTypes()
	table := specs()
	for _, typ := range types {
		sp := table[typ]
		if !discovery.ValidKind(sp.kind) {
			t.Errorf("%s: kind %q", typ, sp.kind)
		}
		switch sp.provider {
		case providerAWS, providerGCP, providerAzure, providerVSphere:
		default:
			t.Errorf("%s: provider %q", typ, sp.provider)
		}
	}
	for _, want := range []string{
		"aws_instance", "aws_db_instance", "aws_rds_cluster", "aws_lb", "aws_alb", "aws_elb",
		"aws_s3_bucket", "aws_ebs_volume", "aws_efs_file_system", "aws_eks_cluster", "aws_ecs_cluster",
		"aws_lambda_function", "aws_elasticache_cluster", "aws_vpc", "aws_subnet", "aws_security_group",
		"google_compute_instance", "google_sql_database_instance", "google_container_cluster",
		"google_storage_bucket", "google_compute_forwarding_rule",
		"azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine",
		"azurerm_kubernetes_cluster", "azurerm_mssql_server", "azurerm_postgresql_flexible_server",
		"azurerm_mysql_flexible_server", "azurerm_storage_account", "azurerm_lb",
		"vsphere_virtual_machine",
	} {
		if _, ok := table[want]; !ok {
			t.Errorf("%s is not supported", want)
		}
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"us-east-1a": "us-east-1", "us-gov-west-1b": "us-gov-west-1", "us-west-2-lax-1a": "",
		"eu-central-1": "", "": "", "a": "",
	} {
		if got := awsZoneRegion(in); got != want {
			t.Errorf("awsZoneRegion(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"us-central1-a": "us-central1", "europe-west1": "", "eu": "", "-a": "", "us-central1-ab": "",
	} {
		if got := gcpZoneRegion(in); got != want {
			t.Errorf("gcpZoneRegion(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"":                                   "",
		"module.a":                           "module.a",
		`module.a["x.y"].module.b[3]`:        "module.a.module.b",
		`module.a["]"]`:                      "module.a",
		`module.a["\"]"].module.b`:           "module.a.module.b",
		"module.a.":                          "!",
		"module.a[x]":                        "!",
		"module.a[]":                         "!",
		`module.a["x"`:                       "!",
		"module.":                            "!",
		"foo.a":                              "!",
		"module.a.module.b.aws_instance.web": "!",
	} {
		got, err := parseModule(in)
		if err != nil {
			got = "!"
		}
		if got != want {
			t.Errorf("parseModule(%q) = %q (%v), want %q", in, got, err, want)
		}
	}
}
