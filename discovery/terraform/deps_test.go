package terraform

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
)

// edges lists every DEPENDS_ON relationship of obs as "FROM → TO", in
// the order of the file.
func edges(obs []discovery.Observation) []string {
	var out []string
	for _, o := range obs {
		for _, r := range o.Relationships {
			out = append(out, o.Key+" → "+r.To)
		}
	}
	return out
}

func parseFixture(t *testing.T, name string) *parsed {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, name+".tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := parse(f, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkObservations(t, st.obs)
	return st
}

// TestModuleRelativeDependsOn is the regression test of issue 18's third
// defect: a state written by Terraform 0.12.0 lists, in "depends_on", the
// dependencies of a resource in a module relative to that module
// (aws_vpc.main in module.vpc). Read as absolute addresses they named
// nothing and every edge inside a module was dropped. The same
// infrastructure written by Terraform 1.7 (absolute "dependencies") must
// give the same edges, and a reference that names nothing in the file is
// counted, not dropped silently.
func TestModuleRelativeDependsOn(t *testing.T) {
	want := []string{
		"module.app.aws_instance.web → module.app.aws_ebs_volume.data",
		"module.vpc.aws_security_group.web → module.vpc.aws_vpc.main",
		"module.vpc.aws_subnet.a[0] → module.vpc.aws_vpc.main",
		"module.vpc.aws_subnet.a[1] → module.vpc.aws_vpc.main",
	}
	for _, tc := range []struct {
		fixture   string
		onSkipped int // the IAM role (an unsupported type), and in 0.12.0 the data source
	}{
		{"module-deps-0.12.0", 2},
		{"module-deps-1.7", 1},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			st := parseFixture(t, tc.fixture)
			if got := edges(st.obs); !reflect.DeepEqual(got, want) {
				t.Errorf("edges\n got %q\nwant %q", got, want)
			}
			if got, want := st.unresolved, []string{"aws_s3_bucket.logs (from aws_lb.front)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("unresolved %q, want %q", got, want)
			}
			if st.onSkipped != tc.onSkipped {
				t.Errorf("references to skipped resources %d, want %d", st.onSkipped, tc.onSkipped)
			}
			if got, want := st.warnings(), []string{
				"1 resource of types Cairn does not map was skipped: aws_iam_role ×1",
				"1 dependency reference unresolved (no such resource in the state): aws_s3_bucket.logs (from aws_lb.front)",
			}; !reflect.DeepEqual(got, want) {
				t.Errorf("warnings %q, want %q", got, want)
			}
		})
	}
}

// TestDependsOnRelativeToModuleInstance checks the rest of Terraform's
// reading of "depends_on": references to instances and references inside
// an instance of a module with count or for_each stay in that instance,
// and a root module's references are its own absolute addresses.
func TestDependsOnRelativeToModuleInstance(t *testing.T) {
	st, err := parse(strings.NewReader(state(`
		{"module": "module.net[\"eu\"]", "mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {}}]},
		{"module": "module.net[\"us\"]", "mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {}}]},
		{"module": "module.net[\"eu\"]", "mode": "managed", "type": "aws_subnet", "name": "s", "instances": [
			{"index_key": 0, "attributes": {}, "depends_on": ["aws_vpc.v"]},
			{"index_key": 1, "attributes": {}, "depends_on": ["aws_subnet.s[0]", "aws_vpc.v"]}]},
		{"module": "module.net[\"us\"]", "mode": "managed", "type": "aws_subnet", "name": "s", "instances": [
			{"attributes": {}, "depends_on": ["aws_vpc.v", "module.net.aws_vpc.v", "aws_vpc.v[3]"]}]},
		{"mode": "managed", "type": "aws_instance", "name": "i", "instances": [
			{"attributes": {}, "depends_on": ["aws_vpc.v"]}]}`)), "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkObservations(t, st.obs)
	want := []string{
		`module.net["eu"].aws_subnet.s[0] → module.net["eu"].aws_vpc.v`,
		`module.net["eu"].aws_subnet.s[1] → module.net["eu"].aws_subnet.s[0]`,
		`module.net["eu"].aws_subnet.s[1] → module.net["eu"].aws_vpc.v`,
		`module.net["us"].aws_subnet.s → module.net["us"].aws_vpc.v`,
	}
	if got := edges(st.obs); !reflect.DeepEqual(got, want) {
		t.Errorf("edges\n got %q\nwant %q", got, want)
	}
	// Terraform parses depends_on as a reference, which cannot name another
	// module's resource; an instance the file does not hold names nothing.
	if got, want := st.unresolved, []string{
		`module.net.aws_vpc.v (from module.net["us"].aws_subnet.s)`,
		`aws_vpc.v (from aws_instance.i)`,
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("unresolved %q, want %q", got, want)
	}
	if st.onSkipped != 1 { // aws_vpc.v[3]: the resource is there, that instance is not
		t.Errorf("references to skipped resources %d, want 1", st.onSkipped)
	}
}

// TestUnresolvedWarning checks that Discover says how many references it
// could not resolve, at warning level, and says nothing when all resolve.
func TestUnresolvedWarning(t *testing.T) {
	clean := filepath.Join(t.TempDir(), "clean.tfstate")
	if err := os.WriteFile(clean, []byte(state(`
		{"module": "module.vpc", "mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {}}]},
		{"module": "module.vpc", "mode": "managed", "type": "aws_subnet", "name": "s", "instances": [
			{"attributes": {}, "dependencies": ["module.vpc.aws_vpc.v"]}]}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, want string
	}{
		{"0.12.0", filepath.Join(fixtureDir, "module-deps-0.12.0.tfstate"),
			`level=WARN msg="terraform source: 1 dependency reference unresolved (no such resource in the state): aws_s3_bucket.logs (from aws_lb.front)"`},
		// The AWS fixture depends on a subnet group and a role that its
		// author left out of the file.
		{"aws", filepath.Join(fixtureDir, "aws.tfstate"),
			`level=WARN msg="terraform source: 2 dependency references unresolved (no such resource in the state): aws_elasticache_subnet_group.cache (from aws_elasticache_cluster.sessions), aws_iam_role.lambda (from aws_lambda_function.thumbnail)"`},
		{"clean", clean, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
			src, err := (&Config{File: tc.file}).Build()
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Discover(context.Background(), discovery.Env{Now: now, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("log %q, want %q", got, tc.want)
			}
			if tc.name == "clean" && len(edges(res.Observations)) != 1 {
				t.Errorf("clean state edges %q, want one", edges(res.Observations))
			}
		})
	}
}

func TestStripKey(t *testing.T) {
	for in, want := range map[string]string{
		"aws_vpc.v":                    "aws_vpc.v",
		"aws_vpc.v[0]":                 "aws_vpc.v",
		`aws_vpc.v["a[1]"]`:            "aws_vpc.v",
		`module.m["x"].aws_vpc.v`:      `module.m["x"].aws_vpc.v`,
		`module.m["x"].aws_vpc.v["y"]`: `module.m["x"].aws_vpc.v`,
		"aws_vpc.v]":                   "aws_vpc.v]",
	} {
		if got := stripKey(in); got != want {
			t.Errorf("stripKey(%q) = %q, want %q", in, got, want)
		}
	}
}
