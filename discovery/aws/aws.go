// Package aws is a discovery source that reads an AWS account through the
// AWS APIs (aws-sdk-go-v2): EC2 instances, EBS volumes, VPCs and subnets,
// ELBv2 load balancers with their target groups and registered targets,
// RDS DB instances, S3 buckets and Lambda functions, in each configured
// region.
//
// # Observations
//
// Every resource is one observation keyed by its ARN (StableKey), with the
// ARN and, where the resource has one, its ID as CLOUD_ID identifiers: the
// same values the Terraform state source (discovery/terraform) gives the
// same resource, so that state and the live account converge on one CI.
// Kinds, the fact "cloud.type" (the Terraform resource type) and the
// shared facts follow the Terraform source too:
//
//	resource           kind            cloud.type            identifiers besides the ARN
//	EC2 instance       VM              aws_instance          instance ID, IPs (private, public, IPv6 of every ENI), FQDNs (private and public DNS), MAC of every ENI
//	EBS volume         STORAGE         aws_ebs_volume        volume ID
//	VPC                CLOUD_RESOURCE  aws_vpc               VPC ID
//	subnet             CLOUD_RESOURCE  aws_subnet            subnet ID
//	ELBv2 LB           LOAD_BALANCER   aws_lb                DNS name (FQDN)
//	RDS DB instance    DATABASE        aws_db_instance       DbiResourceId, endpoint address (FQDN)
//	S3 bucket          STORAGE         aws_s3_bucket         -
//	Lambda function    APPLICATION     aws_lambda_function   -
//
// Facts: "cloud.provider" (aws), "cloud.account", "cloud.region",
// "cloud.zone" (where the resource sits in one zone), "cloud.type";
// "instance.type", "image", "state" (instances; "state" also for volumes,
// load balancers and DB instances), "engine" and "engine_version" (RDS),
// "lb.type" (application, network, gateway), "runtime" (Lambda), "cidr"
// (VPCs, subnets); "aws.vpc", "aws.subnet", "aws.security_groups" (sorted
// group IDs, comma-separated) and a few more under "aws."; "tag.<Key>" for
// every tag, reported in full (CompleteFacts "tag."), and the tag mapping's
// "owner", "service", "environment" and "cost_centre" (see TagMapping).
// Terminated instances and deleted volumes are not observed. Buckets are
// listed per region (ListBuckets with BucketRegion). The tags of buckets
// and functions are not read (they take one call per resource), so those
// carry no tag facts and claim none in full.
//
// Relationships: instance USES volume (attribute "device", such as
// "/dev/xvda"), instance MEMBER_OF subnet, subnet MEMBER_OF VPC, DB
// instance MEMBER_OF VPC, Lambda function MEMBER_OF each of its subnets,
// load balancer DEPENDS_ON each registered target (attributes "port" and
// "target_group"): an instance by its ID, another load balancer, a Lambda
// function, or an IP address (the instance of the load balancer's VPC that
// has it, else a Reference observation of the address). A resource that a
// relationship names but the run did not read (its service not selected,
// or its listing failed) is a Reference observation.
//
// # Result
//
// Regions are read concurrently (Concurrency), each service of a region
// at once. A region whose every service failed (or whose STS
// GetCallerIdentity failed) is a host error named by the region; a service
// that failed in a region that otherwise answered is a host error of the
// region too, and the other services' observations stand. Either makes
// the run partial; when every region fails the run fails. The SDK retries
// throttling (RequestLimitExceeded, Throttling) and transient errors up to
// MaxRetries times. Coverage has one entry per region and resource type
// read in full ({cloud.provider, cloud.account, cloud.region, cloud.type}),
// so that a resource type this job does not read is never concluded
// missing; ExpectedIn holds "discovery:<job>" for each of ExpectedIn.
package aws

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// KindName is the job source kind this package implements.
const KindName = "aws"

// The defaults of Config.
const (
	DefaultConcurrency = 4
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRetries  = 5
	DefaultMaxBackoff  = 20 * time.Second
)

// The services (resource families) a job may read.
const (
	ServiceEC2    = "ec2"    // EC2 instances
	ServiceEBS    = "ebs"    // EBS volumes
	ServiceELBv2  = "elbv2"  // ELBv2 load balancers, target groups, target health
	ServiceRDS    = "rds"    // RDS DB instances
	ServiceS3     = "s3"     // S3 buckets
	ServiceLambda = "lambda" // Lambda functions
	ServiceVPC    = "vpc"    // VPCs and subnets
)

// AllServices returns every service, the default of Config.Services.
func AllServices() []string {
	return []string{ServiceEC2, ServiceEBS, ServiceELBv2, ServiceRDS, ServiceS3, ServiceLambda, ServiceVPC}
}

// The tag mapping's roles (Config.TagMapping keys) and the facts they set.
var mappingFacts = map[string]string{
	"owner":       "owner",
	"service":     "service",
	"environment": "environment",
	"costCentre":  "cost_centre",
}

// DefaultTagMapping returns the documented default tag mapping: for each
// role, the tag keys that give it, first match winning.
func DefaultTagMapping() map[string][]string {
	return map[string][]string{
		"owner":       {"Owner", "owner", "team"},
		"service":     {"Service", "service", "app"},
		"environment": {"Environment", "env", "Env"},
		"costCentre":  {"CostCenter", "cost-center", "CostCentre"},
	}
}

// Config is the configuration of an AWS source, decoded from the job's
// JSON settings.
//
// Credentials come from the job's sealed credentials: "access_key_id",
// "secret_access_key" and optionally "session_token". Only with
// UseEnvironment does the source use the SDK's default chain (environment
// variables, shared files, the instance's role) of the server it runs on.
type Config struct {
	// Regions to read, such as ["eu-west-1", "us-east-1"]. Required.
	Regions []string `json:"regions" validate:"required,min=1,max=64"`
	// Endpoint overrides the base endpoint of every service (a VPC
	// endpoint, a test server), as an http or https URL. Default none: the
	// SDK's regional endpoints.
	Endpoint string `json:"endpoint"`
	// AssumeRoleARN is a role to assume (through STS, with the job's
	// credentials) before reading. Default none.
	AssumeRoleARN string `json:"assumeRoleArn"`
	// ExternalID is the external ID to assume the role with. Default none.
	ExternalID string `json:"externalId" validate:"max=1224"`
	// UseEnvironment takes credentials from the SDK's default chain instead
	// of the job's credentials. Default false.
	UseEnvironment bool `json:"useEnvironment"`
	// Concurrency is how many regions are read at once. Default 4.
	Concurrency int `json:"concurrency" validate:"min=1,max=32"`
	// Timeout bounds each API call (each page), retries included, as a
	// Go duration such as "30s". Default "30s".
	Timeout discovery.Duration `json:"timeout"`
	// MaxRetries is how many times a throttled or failed call is retried.
	// Default 5.
	MaxRetries int `json:"maxRetries" validate:"min=0,max=20"`
	// MaxBackoff bounds the SDK's exponential back-off between retries.
	// Default "20s".
	MaxBackoff discovery.Duration `json:"maxBackoff"`
	// Services are the resource families read: ec2, ebs, elbv2, rds, s3,
	// lambda, vpc. Default all.
	Services []string `json:"services" validate:"min=1,dive,oneof=ec2 ebs elbv2 rds s3 lambda vpc"`
	// TagMapping maps the roles "owner", "service", "environment" and
	// "costCentre" to the tag keys that give them, first match winning,
	// reported as the facts "owner", "service", "environment" and
	// "cost_centre". A job's mapping replaces the default of each role it
	// names (an empty list turns a role off) and keeps the others. Default
	// owner: Owner, owner, team; service: Service, service, app;
	// environment: Environment, env, Env; costCentre: CostCenter,
	// cost-center, CostCentre.
	TagMapping map[string][]string `json:"tagMapping"`
	// ExpectedIn names the discovery jobs (Terraform state of this
	// account) that should record every resource this job observes: one
	// none of them has seen is drift, "running but not in state". Default
	// none.
	ExpectedIn []string `json:"expectedIn" validate:"max=64,dive,required,max=256"`
}

// Interface guards.
var (
	_ discovery.Config = (*Config)(nil)
	_ discovery.Source = (*Source)(nil)
)

// DefaultConfig returns the documented defaults (Regions has none: a job
// must name them).
func DefaultConfig() *Config {
	return &Config{
		Concurrency: DefaultConcurrency,
		Timeout:     discovery.Duration(DefaultTimeout),
		MaxRetries:  DefaultMaxRetries,
		MaxBackoff:  discovery.Duration(DefaultMaxBackoff),
		Services:    AllServices(),
		TagMapping:  DefaultTagMapping(),
	}
}

// Kind describes the AWS source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// regionRE is the shape of an AWS region name: "us-east-1",
// "us-gov-west-1", "cn-north-1", "eu-isoe-west-1".
var regionRE = regexp.MustCompile(`^[a-z]{2,3}(-[a-z]+)+-[0-9]{1,2}$`)

// tagKeyOK reports whether k can be an AWS tag key (1 to 128 characters,
// no control characters).
func tagKeyOK(k string) bool {
	return k != "" && len(k) <= 128 && !strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Build returns the source c describes. It checks what the validator
// cannot: region names, the endpoint, the role ARN, durations and the tag
// mapping.
func (c *Config) Build() (discovery.Source, error) {
	if err := discovery.Validate(c); err != nil {
		return nil, err
	}
	regions := make([]string, 0, len(c.Regions))
	for i, r := range c.Regions {
		r = strings.TrimSpace(r)
		if !regionRE.MatchString(r) {
			return nil, fmt.Errorf("regions[%d]: %q is not an AWS region name such as \"eu-west-1\"", i, textclip.Message(r))
		}
		if slices.Contains(regions, r) {
			return nil, fmt.Errorf("regions[%d]: %q is listed twice", i, r)
		}
		regions = append(regions, r)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil:
			return nil, fmt.Errorf("endpoint: %w", err)
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, fmt.Errorf("endpoint %q: scheme must be http or https", textclip.Message(u.Redacted()))
		case u.Host == "":
			return nil, fmt.Errorf("endpoint %q: no host", textclip.Message(u.Redacted()))
		case u.User != nil:
			return nil, fmt.Errorf("endpoint %q: put credentials in the job's credentials, not in the URL", textclip.Message(u.Redacted()))
		}
	}
	if c.AssumeRoleARN != "" {
		a, err := ParseARN(c.AssumeRoleARN)
		if err != nil {
			return nil, fmt.Errorf("assumeRoleArn: %w", err)
		}
		if a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			return nil, fmt.Errorf("assumeRoleArn %q: not an IAM role ARN such as arn:aws:iam::123456789012:role/cairn-discovery", textclip.Message(c.AssumeRoleARN))
		}
	}
	if c.ExternalID != "" && c.AssumeRoleARN == "" {
		return nil, errors.New("externalId: set only with assumeRoleArn")
	}
	if c.Timeout <= 0 {
		return nil, errors.New("timeout: must be a positive duration such as \"30s\"")
	}
	if c.MaxBackoff <= 0 {
		return nil, errors.New("maxBackoff: must be a positive duration such as \"20s\"")
	}
	services := map[string]bool{}
	for _, s := range c.Services {
		services[s] = true
	}
	roles := make([]string, 0, len(c.TagMapping))
	for role := range c.TagMapping {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	mapping := make([]tagRole, 0, len(roles))
	for _, role := range roles {
		fact, ok := mappingFacts[role]
		if !ok {
			return nil, fmt.Errorf("tagMapping: unknown role %q (known: costCentre, environment, owner, service)", textclip.Message(role))
		}
		keys := c.TagMapping[role]
		for i, k := range keys {
			if !tagKeyOK(k) {
				return nil, fmt.Errorf("tagMapping.%s[%d]: %q is not a tag key (1 to 128 characters)", role, i, textclip.Message(k))
			}
		}
		if len(keys) > 0 {
			mapping = append(mapping, tagRole{fact: fact, keys: slices.Clone(keys)})
		}
	}
	expected := make([]string, 0, len(c.ExpectedIn))
	for i, j := range c.ExpectedIn {
		if strings.TrimSpace(j) != j || strings.ContainsFunc(j, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, fmt.Errorf("expectedIn[%d]: %q is not a job name", i, textclip.Message(j))
		}
		expected = append(expected, "discovery:"+j)
	}
	return &Source{
		regions:        regions,
		endpoint:       strings.TrimRight(c.Endpoint, "/"),
		roleARN:        c.AssumeRoleARN,
		externalID:     c.ExternalID,
		useEnvironment: c.UseEnvironment,
		concurrency:    c.Concurrency,
		timeout:        time.Duration(c.Timeout),
		maxRetries:     c.MaxRetries,
		maxBackoff:     time.Duration(c.MaxBackoff),
		services:       services,
		tags:           mapping,
		expectedIn:     expected,
	}, nil
}

// Source reads an AWS account.
type Source struct {
	regions        []string
	endpoint       string
	roleARN        string
	externalID     string
	useEnvironment bool
	concurrency    int
	timeout        time.Duration
	maxRetries     int
	maxBackoff     time.Duration
	services       map[string]bool
	tags           []tagRole
	expectedIn     []string
}
