package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	awsdisc "github.com/cairn-cmdb/cairn/discovery/aws"
	"github.com/cairn-cmdb/cairn/discovery/aws/awstest"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

var update = flag.Bool("update", false, "rewrite the golden files under discovery/aws/testdata")

// now is the env.Now of the test runs.
var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

const account = "123456789012"

func registry(t *testing.T) *discovery.Registry {
	t.Helper()
	r, err := discovery.NewRegistry(awsdisc.Kind())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// serve starts the loopback server over the test account.
func serve(t *testing.T) *awstest.Server {
	t.Helper()
	a, err := awstest.Load(filepath.Join("testdata", "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := awstest.NewServer(a)
	t.Cleanup(s.Close)
	return s
}

// creds are the job's credentials the server accepts.
func creds() map[string]string {
	return map[string]string{awsdisc.CredAccessKeyID: awstest.AccessKeyID, awsdisc.CredSecretAccessKey: awstest.SecretAccessKey}
}

// run builds a source from the JSON settings (with the server's endpoint
// and short back-offs added) and discovers.
func run(t *testing.T, s *awstest.Server, settings string, c map[string]string) (*discovery.Result, error) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(settings), &m); err != nil {
		t.Fatal(err)
	}
	m["endpoint"] = s.URL
	if _, ok := m["maxBackoff"]; !ok {
		m["maxBackoff"] = "5ms"
	}
	raw, _ := json.Marshal(m)
	src, err := registry(t).Build("aws", raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return src.Discover(ctx, discovery.Env{Credentials: c, Now: now})
}

func TestKind(t *testing.T) {
	k := awsdisc.Kind()
	if k.Name != "aws" {
		t.Errorf("Kind().Name = %q, want aws", k.Name)
	}
	cfg, ok := k.NewConfig().(*awsdisc.Config)
	if !ok {
		t.Fatalf("NewConfig() is %T", k.NewConfig())
	}
	want := &awsdisc.Config{
		Concurrency: 4,
		Timeout:     discovery.Duration(30 * time.Second),
		MaxRetries:  5,
		MaxBackoff:  discovery.Duration(20 * time.Second),
		Services:    []string{"ec2", "ebs", "elbv2", "rds", "s3", "lambda", "vpc"},
		TagMapping: map[string][]string{
			"owner":       {"Owner", "owner", "team"},
			"service":     {"Service", "service", "app"},
			"environment": {"Environment", "env", "Env"},
			"costCentre":  {"CostCenter", "cost-center", "CostCentre"},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("NewConfig() = %+v, want the documented defaults %+v", cfg, want)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		field string
		want  string // substring of the error; "" for success
	}{
		{"minimal", `{"regions": ["eu-west-1"]}`, "", ""},
		{"everything", `{"regions": ["eu-west-1", "us-gov-west-1", "cn-north-1"], "endpoint": "https://vpce-1.ec2.eu-west-1.vpce.amazonaws.com", "assumeRoleArn": "arn:aws:iam::123456789012:role/cairn", "externalId": "x-42", "concurrency": 2, "timeout": "10s", "maxRetries": 0, "maxBackoff": "1s", "services": ["ec2", "vpc"], "tagMapping": {"owner": ["Team"], "costCentre": []}, "expectedIn": ["tf-prod"]}`, "", ""},
		{"no regions", `{}`, "regions", "is required"},
		{"empty regions", `{"regions": []}`, "regions", "must be at least 1"},
		{"bad region", `{"regions": ["Europe"]}`, "", `regions[0]: "Europe" is not an AWS region name`},
		{"region twice", `{"regions": ["eu-west-1", "eu-west-1"]}`, "", "listed twice"},
		{"endpoint scheme", `{"regions": ["eu-west-1"], "endpoint": "ftp://x"}`, "", "scheme must be http or https"},
		{"endpoint credentials", `{"regions": ["eu-west-1"], "endpoint": "https://AKIA:hunter2@x"}`, "", "put credentials in the job's credentials"},
		{"role not an ARN", `{"regions": ["eu-west-1"], "assumeRoleArn": "cairn"}`, "", "assumeRoleArn"},
		{"role of another service", `{"regions": ["eu-west-1"], "assumeRoleArn": "arn:aws:s3:::bucket"}`, "", "not an IAM role ARN"},
		{"external ID alone", `{"regions": ["eu-west-1"], "externalId": "x"}`, "", "externalId: set only with assumeRoleArn"},
		{"concurrency", `{"regions": ["eu-west-1"], "concurrency": 0}`, "concurrency", "must be at least 1"},
		{"timeout zero", `{"regions": ["eu-west-1"], "timeout": "0s"}`, "", "timeout: must be a positive duration"},
		{"retries", `{"regions": ["eu-west-1"], "maxRetries": 50}`, "maxRetries", "must be at most 20"},
		{"unknown service", `{"regions": ["eu-west-1"], "services": ["ec2", "dynamodb"]}`, "services[1]", "must be one of"},
		{"no services", `{"regions": ["eu-west-1"], "services": []}`, "services", "must be at least 1"},
		{"unknown role", `{"regions": ["eu-west-1"], "tagMapping": {"team": ["Team"]}}`, "", `tagMapping: unknown role "team"`},
		{"bad tag key", `{"regions": ["eu-west-1"], "tagMapping": {"owner": [""]}}`, "", "tagMapping.owner[0]"},
		{"blank job", `{"regions": ["eu-west-1"], "expectedIn": [""]}`, "expectedIn[0]", "is required"},
		{"unknown setting", `{"regions": ["eu-west-1"], "region": "eu-west-1"}`, "", `unknown field "region"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry(t).Build("aws", []byte(tt.raw))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%s) = %v, want an error containing %q", tt.raw, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats a password", err)
			}
			var ce *discovery.ConfigError
			if !errors.As(err, &ce) || ce.Kind != "aws" || ce.Field != tt.field {
				t.Errorf("error %#v is not an aws ConfigError for field %q", err, tt.field)
			}
		})
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
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
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update to accept):\n--- got ---\n%s", path, got)
	}
}

func find(t *testing.T, res *discovery.Result, key string) discovery.Observation {
	t.Helper()
	for _, o := range res.Observations {
		if o.Key == key {
			return o
		}
	}
	t.Fatalf("no observation %q", key)
	return discovery.Observation{}
}

func hasID(o discovery.Observation, k ident.Kind, v string) bool {
	return slices.Contains(o.Identifiers, discovery.Identifier{Kind: k, Value: v})
}

// TestDiscover reads the whole test account (two regions, pages of two)
// and compares with the golden observations; the values that matter are
// spelled out too, so that a careless -update does not slip by.
func TestDiscover(t *testing.T) {
	s := serve(t)
	res, err := run(t, s, `{"regions": ["eu-west-1", "us-east-1"], "expectedIn": ["tf-prod"]}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	if refused := s.Refused(); len(refused) > 0 {
		t.Fatalf("requests refused: %v", refused)
	}
	for _, r := range s.Requests() {
		if r.KeyID != awstest.AccessKeyID {
			t.Errorf("%s %s signed with %q, want the job's key", r.Region, r.Action, r.KeyID)
		}
	}
	golden(t, "observations.golden.json", res)
	for _, o := range res.Observations {
		if err := o.Check(); err != nil {
			t.Error(err)
		}
	}
	if res.Partial || len(res.HostErrors) > 0 {
		t.Errorf("Partial %v, HostErrors %v; want a complete run", res.Partial, res.HostErrors)
	}
	if !reflect.DeepEqual(res.ExpectedIn, []string{"discovery:tf-prod"}) {
		t.Errorf("ExpectedIn = %v", res.ExpectedIn)
	}
	// Paging: 3 reservations in pages of 2 in eu-west-1; 5 volumes in 3.
	for action, want := range map[string]int{"DescribeInstances": 2, "DescribeVolumes": 3, "DescribeSubnets": 2, "DescribeTargetGroups": 2, "ListBuckets": 2, "ListFunctions": 2, "DescribeLoadBalancers": 1, "DescribeTargetHealth": 3, "GetCallerIdentity": 1} {
		if got := s.Count("eu-west-1", action); got != want {
			t.Errorf("eu-west-1 %s called %d times, want %d", action, got, want)
		}
	}

	web1 := find(t, res, "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
	if web1.Kind != "VM" || web1.Name != "web-1" || !web1.StableKey {
		t.Errorf("web-1: kind %s name %q stable %v", web1.Kind, web1.Name, web1.StableKey)
	}
	for _, id := range []discovery.Identifier{
		{Kind: ident.CloudID, Value: "i-0123456789abcdef0"},
		{Kind: ident.CloudID, Value: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"},
		{Kind: ident.IP, Value: "10.10.1.10"}, {Kind: ident.IP, Value: "10.10.1.11"}, {Kind: ident.IP, Value: "10.10.1.12"},
		{Kind: ident.IP, Value: "34.240.1.10"}, {Kind: ident.IP, Value: "2a05:d018:1::10"},
		{Kind: ident.FQDN, Value: "ip-10-10-1-10.eu-west-1.compute.internal"},
		{Kind: ident.FQDN, Value: "ec2-34-240-1-10.eu-west-1.compute.amazonaws.com"},
		{Kind: ident.MAC, Value: "02:1a:2b:3c:4d:01"}, {Kind: ident.MAC, Value: "02:1a:2b:3c:4d:02"},
	} {
		if !hasID(web1, id.Kind, id.Value) {
			t.Errorf("web-1 lacks identifier %s %s: %v", id.Kind, id.Value, web1.Identifiers)
		}
	}
	for k, v := range map[string]string{
		"cloud.provider": "aws", "cloud.account": account, "cloud.region": "eu-west-1", "cloud.zone": "eu-west-1a",
		"cloud.type": "aws_instance", "instance.type": "m5.large", "image": "ami-0abcdef1234567890", "state": "running",
		"aws.vpc": "vpc-0a1b2c3d4e5f60001", "aws.subnet": "subnet-0aa0000000000001a",
		"aws.security_groups": "sg-0b000000000000001,sg-0b000000000000002",
		"owner":               "team-web", "service": "shop", "environment": "prod", "cost_centre": "CC-1234",
		"tag.Name": "web-1", "tag.team": "ignored, Owner wins",
	} {
		if web1.Facts[k] != v {
			t.Errorf("web-1 fact %s = %q, want %q", k, web1.Facts[k], v)
		}
	}
	wantRels := []discovery.Relationship{
		{Type: "USES", To: "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0d000000000000001", Attributes: map[string]string{"device": "/dev/xvda"}},
		{Type: "USES", To: "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0d000000000000002", Attributes: map[string]string{"device": "/dev/sdf"}},
		{Type: "MEMBER_OF", To: "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0aa0000000000001a"},
	}
	if !reflect.DeepEqual(web1.Relationships, wantRels) {
		t.Errorf("web-1 relationships = %+v, want %+v", web1.Relationships, wantRels)
	}
	for _, o := range res.Observations {
		if strings.Contains(o.Key, "i-0123456789abcdef3") {
			t.Errorf("terminated instance observed: %s", o.Key)
		}
	}

	// The ALB depends on both web instances through two target groups; the
	// NLB on web-1 through its secondary address and on an unknown address.
	alb := find(t, res, awstest.LoadBalancerARN(account, "eu-west-1", awstest.LoadBalancer{Name: "shop-alb", Type: "application"}))
	wantLB := []discovery.Relationship{
		{Type: "DEPENDS_ON", To: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0", Attributes: map[string]string{"port": "80,443", "target_group": "shop-web,shop-web-tls"}},
		{Type: "DEPENDS_ON", To: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef1", Attributes: map[string]string{"port": "80", "target_group": "shop-web"}},
	}
	if !reflect.DeepEqual(alb.Relationships, wantLB) {
		t.Errorf("ALB relationships = %+v, want %+v", alb.Relationships, wantLB)
	}
	if alb.Kind != "LOAD_BALANCER" || alb.Facts["lb.type"] != "application" || alb.Facts["service"] != "shop" || alb.Facts["tag.Environment"] != "production" {
		t.Errorf("ALB = %+v", alb)
	}
	nlb := find(t, res, awstest.LoadBalancerARN(account, "eu-west-1", awstest.LoadBalancer{Name: "shop-nlb", Type: "network"}))
	if len(nlb.Relationships) != 2 || nlb.Relationships[0].To != web1.Key || nlb.Relationships[1].To != "ip vpc-0a1b2c3d4e5f60001 10.10.9.99" {
		t.Errorf("NLB relationships = %+v", nlb.Relationships)
	}
	ipRef := find(t, res, "ip vpc-0a1b2c3d4e5f60001 10.10.9.99")
	if !ipRef.Reference || !hasID(ipRef, ident.IP, "10.10.9.99") || len(ipRef.Facts) != 0 {
		t.Errorf("IP target reference = %+v", ipRef)
	}

	db := find(t, res, "arn:aws:rds:eu-west-1:123456789012:db:shop-db")
	if db.Kind != "DATABASE" || !hasID(db, ident.CloudID, "db-ABCDEFGHIJKLMNOPQRSTUVWXY1") || !hasID(db, ident.FQDN, "shop-db.c9akciq32.eu-west-1.rds.amazonaws.com") ||
		db.Facts["engine"] != "postgres" || db.Facts["engine_version"] != "16.4" || db.Facts["instance.type"] != "db.r6g.large" || db.Facts["owner"] != "team-data" || db.Facts["cost_centre"] != "CC-9" {
		t.Errorf("DB = %+v", db)
	}
	bucket := find(t, res, "arn:aws:s3:::dr-backups-123456789012")
	if bucket.Kind != "STORAGE" || bucket.Facts["cloud.region"] != "us-east-1" {
		t.Errorf("bucket = %+v", bucket)
	}
	fn := find(t, res, "arn:aws:lambda:eu-west-1:123456789012:function:shop-db-rotator")
	if fn.Kind != "APPLICATION" || fn.Facts["runtime"] != "nodejs20.x" || len(fn.Relationships) != 2 {
		t.Errorf("function = %+v", fn)
	}
	subnet := find(t, res, "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0aa0000000000001a")
	if subnet.Kind != "CLOUD_RESOURCE" || subnet.Facts["cidr"] != "10.10.1.0/24" || subnet.Relationships[0].To != "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0a1b2c3d4e5f60001" {
		t.Errorf("subnet = %+v", subnet)
	}

	// Every type of both regions is covered.
	if len(res.Coverage) != 18 {
		t.Errorf("%d coverage entries, want 9 types (aws_alb too) × 2 regions: %v", len(res.Coverage), res.Coverage)
	}
	want := discovery.Coverage{Facts: map[string]string{"cloud.provider": "aws", "cloud.account": account, "cloud.region": "us-east-1", "cloud.type": "aws_instance"}}
	if !slices.ContainsFunc(res.Coverage, func(c discovery.Coverage) bool { return reflect.DeepEqual(c, want) }) {
		t.Errorf("coverage lacks %v", want)
	}
	for _, o := range res.Observations {
		if o.Reference && o.Key != "ip vpc-0a1b2c3d4e5f60001 10.10.9.99" {
			t.Errorf("unexpected reference observation %s", o.Key)
		}
	}
}

// TestThrottledOnce: a throttled call is retried by the SDK and the run
// completes with everything.
func TestThrottledOnce(t *testing.T) {
	s := serve(t)
	s.Throttle("eu-west-1", "DescribeInstances", 1)
	s.Throttle("eu-west-1", "DescribeLoadBalancers", 2)
	s.Throttle("us-east-1", "GetCallerIdentity", 1)
	s.Throttle("eu-west-1", "ListFunctions", 1)
	s.Throttle("eu-west-1", "ListBuckets", 1)
	res, err := run(t, s, `{"regions": ["eu-west-1", "us-east-1"]}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial || len(res.HostErrors) > 0 {
		t.Fatalf("Partial %v %v after throttling once", res.Partial, res.HostErrors)
	}
	for action, want := range map[string]int{"DescribeInstances": 3, "DescribeLoadBalancers": 3, "ListFunctions": 3, "ListBuckets": 3} {
		if got := s.Count("eu-west-1", action); got != want {
			t.Errorf("eu-west-1 %s: %d calls, want %d (pages + throttled)", action, got, want)
		}
	}
	if got := s.Count("us-east-1", "GetCallerIdentity"); got != 2 {
		t.Errorf("us-east-1 GetCallerIdentity: %d calls, want 2", got)
	}
	find(t, res, "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef2")
}

// TestThrottledForEver: a region whose instances stay throttled is
// partial (its other services stand, the instances' type is not
// covered); the other region is whole.
func TestThrottledForEver(t *testing.T) {
	s := serve(t)
	s.Throttle("us-east-1", "DescribeInstances", -1)
	res, err := run(t, s, `{"regions": ["eu-west-1", "us-east-1"], "maxRetries": 2}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || !strings.Contains(res.HostErrors["us-east-1"], "RequestLimitExceeded") || !strings.Contains(res.HostErrors["us-east-1"], "ec2: DescribeInstances") || len(res.HostErrors) != 1 {
		t.Fatalf("Partial %v, HostErrors %v; want us-east-1 throttled", res.Partial, res.HostErrors)
	}
	if got := s.Count("us-east-1", "DescribeInstances"); got != 3 {
		t.Errorf("DescribeInstances tried %d times, want 3 (maxRetries 2)", got)
	}
	find(t, res, "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
	find(t, res, "arn:aws:ec2:us-east-1:123456789012:volume/vol-0f000000000000001")
	for _, c := range res.Coverage {
		if c.Facts["cloud.region"] == "us-east-1" && c.Facts["cloud.type"] == "aws_instance" {
			t.Errorf("coverage claims the throttled instances: %v", c)
		}
	}
	if len(res.Coverage) != 17 {
		t.Errorf("%d coverage entries, want 17", len(res.Coverage))
	}

	// A region whose identity cannot be read fails whole; every region
	// failing fails the run.
	s2 := serve(t)
	s2.Throttle("us-east-1", "GetCallerIdentity", -1)
	res, err = run(t, s2, `{"regions": ["eu-west-1", "us-east-1"], "maxRetries": 1}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.HostErrors["us-east-1"], "Throttling") {
		t.Errorf("HostErrors = %v, want us-east-1 throttled", res.HostErrors)
	}
	for _, o := range res.Observations {
		if strings.Contains(o.Key, "us-east-1") {
			t.Errorf("observation %s of the failed region", o.Key)
		}
	}
	s3 := serve(t)
	s3.Throttle("*", "GetCallerIdentity", -1)
	_, err = run(t, s3, `{"regions": ["eu-west-1", "us-east-1"], "maxRetries": 1}`, creds())
	var hf *discovery.HostsFailedError
	if !errors.As(err, &hf) || len(hf.HostErrors) != 2 {
		t.Errorf("every region failing: err = %v, want a HostsFailedError of both", err)
	}
}

// TestAccessDenied: a service the credentials may not read is a host
// error of the region, not retried.
func TestAccessDenied(t *testing.T) {
	s := serve(t)
	s.Fail("*", "DescribeDBInstances", "AccessDenied", 403, -1)
	res, err := run(t, s, `{"regions": ["eu-west-1"]}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.HostErrors["eu-west-1"], "rds: DescribeDBInstances") || !strings.Contains(res.HostErrors["eu-west-1"], "AccessDenied") {
		t.Errorf("HostErrors = %v", res.HostErrors)
	}
	if got := s.Count("eu-west-1", "DescribeDBInstances"); got != 1 {
		t.Errorf("AccessDenied retried: %d calls", got)
	}
}

// TestCredentials: requests are signed with the job's key; a wrong key is
// refused by the server; no credentials is a clear error.
func TestCredentials(t *testing.T) {
	s := serve(t)
	_, err := run(t, s, `{"regions": ["eu-west-1"], "maxRetries": 0}`, map[string]string{awsdisc.CredAccessKeyID: "AKIAWRONGKEY", awsdisc.CredSecretAccessKey: "x"})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("wrong key: err = %v, want the server's 403", err)
	}
	if r := s.Refused(); len(r) == 0 || !strings.Contains(r[0], "AKIAWRONGKEY") {
		t.Errorf("refused = %v", r)
	}
	_, err = run(t, s, `{"regions": ["eu-west-1"]}`, nil)
	if err == nil || !strings.Contains(err.Error(), "access_key_id and secret_access_key") {
		t.Errorf("no credentials: err = %v", err)
	}
}

// TestAssumeRole: the job's key assumes the role (with the external ID)
// through STS, and every other request is signed with the role's
// temporary credentials.
func TestAssumeRole(t *testing.T) {
	s := serve(t)
	const role = "arn:aws:iam::123456789012:role/cairn-discovery"
	s.AllowRole(role, "ext-42")
	res, err := run(t, s, `{"regions": ["eu-west-1", "us-east-1"], "assumeRoleArn": "`+role+`", "externalId": "ext-42"}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	assumed := 0
	for _, r := range s.Requests() {
		if r.Action == "AssumeRole" {
			assumed++
			if r.KeyID != awstest.AccessKeyID || r.Params["RoleArn"] != role || r.Params["ExternalId"] != "ext-42" || r.Params["RoleSessionName"] != "cairn-discovery" {
				t.Errorf("AssumeRole request %+v", r)
			}
			continue
		}
		if r.KeyID != awstest.AssumedKeyID {
			t.Errorf("%s %s signed with %s, want the assumed role's key", r.Region, r.Action, r.KeyID)
		}
	}
	if assumed != 1 {
		t.Errorf("AssumeRole called %d times, want once (credentials cached)", assumed)
	}
	if len(res.Observations) < 20 {
		t.Errorf("%d observations", len(res.Observations))
	}

	s2 := serve(t)
	s2.AllowRole(role, "other")
	_, err = run(t, s2, `{"regions": ["eu-west-1"], "assumeRoleArn": "`+role+`", "externalId": "ext-42", "maxRetries": 0}`, creds())
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("wrong external ID: err = %v", err)
	}
}

// TestServices: reading EC2 alone names volumes and subnets through
// Reference observations, and covers instances only.
func TestServices(t *testing.T) {
	s := serve(t)
	res, err := run(t, s, `{"regions": ["eu-west-1"], "services": ["ec2"]}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range res.Observations {
		if !o.Reference {
			kinds = append(kinds, o.Facts["cloud.type"])
			continue
		}
		if len(o.Facts) != 0 || len(o.Relationships) != 0 {
			t.Errorf("reference %s carries facts or relationships", o.Key)
		}
	}
	sort.Strings(kinds)
	if !reflect.DeepEqual(kinds, []string{"aws_instance", "aws_instance", "aws_instance"}) {
		t.Errorf("observed %v, want the 3 live instances", kinds)
	}
	vol := find(t, res, "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0d000000000000001")
	if !vol.Reference || vol.Kind != "STORAGE" || !hasID(vol, ident.CloudID, "vol-0d000000000000001") {
		t.Errorf("volume reference = %+v", vol)
	}
	find(t, res, "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0aa0000000000002a")
	if len(res.Coverage) != 1 || res.Coverage[0].Facts["cloud.type"] != "aws_instance" {
		t.Errorf("coverage = %v", res.Coverage)
	}
	for _, r := range s.Requests() {
		if r.Service != "ec2" && r.Service != "sts" {
			t.Errorf("service %s asked though not selected", r.Service)
		}
	}
}

// TestTagMapping: a job's mapping replaces the roles it names.
func TestTagMapping(t *testing.T) {
	s := serve(t)
	res, err := run(t, s, `{"regions": ["eu-west-1"], "services": ["ec2"], "tagMapping": {"owner": ["team"], "costCentre": []}}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	web1 := find(t, res, "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
	if web1.Facts["owner"] != "ignored, Owner wins" || web1.Facts["service"] != "shop" {
		t.Errorf("owner %q service %q", web1.Facts["owner"], web1.Facts["service"])
	}
	if _, ok := web1.Facts["cost_centre"]; ok {
		t.Error("cost_centre set though the role is off")
	}
	if slices.Contains(web1.CompleteFacts, "cost_centre") || !slices.Contains(web1.CompleteFacts, "owner") {
		t.Errorf("CompleteFacts = %v", web1.CompleteFacts)
	}
}

// TestTerraformConvergence: the AWS source gives an instance the CLOUD_ID
// values and shared facts the Terraform source gives the same instance.
func TestTerraformConvergence(t *testing.T) {
	s := serve(t)
	res, err := run(t, s, `{"regions": ["eu-west-1"]}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	o := find(t, res, "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0d000000000000002")
	want := []string{"arn:aws:ec2:eu-west-1:123456789012:volume/vol-0d000000000000002", "vol-0d000000000000002"}
	var got []string
	for _, id := range o.Identifiers {
		if id.Kind == ident.CloudID {
			got = append(got, id.Value)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("volume CLOUD_IDs %v, want %v", got, want)
	}
	if o.Facts["cloud.type"] != "aws_ebs_volume" || o.Facts["cloud.zone"] != "eu-west-1a" || o.Facts["owner"] != "team-data" {
		t.Errorf("volume facts %v", o.Facts)
	}
}

// TestUseEnvironment: the server's own AWS environment is used only when
// the job says so.
func TestUseEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.SecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	s := serve(t)
	if _, err := run(t, s, `{"regions": ["eu-west-1"], "services": ["vpc"]}`, nil); err == nil || !strings.Contains(err.Error(), "access_key_id") {
		t.Errorf("without useEnvironment the environment's key was used: err = %v", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests sent without the job's credentials", n)
	}
	res, err := run(t, s, `{"regions": ["eu-west-1"], "services": ["vpc"], "useEnvironment": true}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observations) != 5 {
		t.Errorf("%d observations, want 2 VPCs and 3 subnets", len(res.Observations))
	}
}

// TestTimeout: a call slower than the timeout fails its service in that
// region; the rest of the run stands.
func TestTimeout(t *testing.T) {
	s := serve(t)
	s.Delay("eu-west-1", "ListFunctions", 5*time.Second)
	start := time.Now()
	res, err := run(t, s, `{"regions": ["eu-west-1", "us-east-1"], "timeout": "200ms", "maxRetries": 0}`, creds())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("run took %s; the timeout is 200ms", d)
	}
	if e := res.HostErrors["eu-west-1"]; !strings.Contains(e, "lambda: ListFunctions: timed out after 200ms") {
		t.Errorf("HostErrors = %v", res.HostErrors)
	}
	find(t, res, "arn:aws:rds:eu-west-1:123456789012:db:shop-db")
}
