// Package terraform is a discovery source that reads a Terraform state file:
// the JSON document Terraform 0.12 through 1.x writes (state format version
// 4), such as terraform.tfstate or the output of "terraform state pull".
//
// Every instance of a managed resource of a supported type becomes one
// observation (see SupportedTypes): a VM, database, load balancer, storage,
// cluster, function or network resource of AWS, Google Cloud, Azure or
// vSphere. Data sources, deposed objects and resources of other types are
// skipped. The source never runs terraform and never reaches a cloud API: it
// believes the state, which is as fresh as the last apply or refresh.
//
// # Keys and names
//
// An observation's key is the instance's resource address in Terraform's
// own syntax: "aws_instance.web", "aws_instance.web[0]",
// `aws_instance.web["a"]`, `module.net["eu"].aws_subnet.private[1]`. Its
// name is the resource's own name where the provider has one (the bucket,
// the DB identifier, the function name, the VM name), for AWS resources
// without one the "Name" tag, and otherwise the address.
//
// # Identifiers
//
//   - SOURCE_KEY: every observation's key is the resource address (with
//     its count or for_each key: aws_instance.web[0],
//     module.vpc.aws_lb.front["eu"]), Terraform's stable name for the
//     instance, so every observation sets StableKey and reconciliation
//     records discovery.SourceKey(actor, address). A resource whose state
//     carries nothing else Cairn knows (an aws_lb without DNS name, a GCP
//     instance with only its id) is thus found again on the next run.
//   - CLOUD_ID: the provider's canonical ID, as written: the AWS ARN (and
//     the resource ID where it is unique, such as "i-0abc…", "vol-…",
//     "sg-…", or an RDS resource ID), the Google self_link (and the id when
//     it is a "projects/…" resource name), the Azure resource ID (which
//     ident.Normalize lower-cases).
//   - UUID: the vSphere VM's BIOS UUID; MAC: its network adapters.
//   - IP: a VM's private and public addresses (private_ip, public_ip,
//     network_interface addresses, private_ip_address(es),
//     public_ip_address(es), default_ip_address, guest_ip_addresses), a
//     load balancer's frontend address (Google forwarding rule, Azure load
//     balancer), a Cloud SQL instance's addresses, a GKE cluster's
//     endpoint. Loopback, link-local, multicast and unspecified addresses
//     are dropped.
//   - FQDN and HOSTNAME: a VM's private_dns and public_dns (AWS),
//     hostname and name (Google), computer_name (Azure), name (vSphere),
//     each as FQDN when it is a dotted name and HOSTNAME when it is a
//     single label; and the DNS name of a service endpoint (an RDS address,
//     a load balancer's dns_name, an Azure server's fqdn).
//
// Every value is checked with ident.Normalize and dropped when it does not
// validate. A VM's first HOSTNAME and FQDN are also reported as the record
// fields "hostname" and "fqdn".
//
// # Facts
//
//	cloud.provider     aws, gcp, azure or vsphere
//	cloud.type         the resource type, such as aws_instance
//	cloud.region       the resource's region attribute (AWS provider 6
//	                   writes one on every resource), else the ARN's
//	                   region, else the availability zone without its
//	                   letter; Google: region, else location, else zone
//	                   without its suffix; Azure: location
//	cloud.zone         availability_zone, zone, a zonal location, zones
//	cloud.account      AWS account from the ARN, Google project, Azure
//	                   subscription from the resource ID
//	instance.type      instance_type, machine_type, size, vm_size,
//	                   instance_class, node_type, sku_name, tier
//	image              ami, the boot disk image, the Azure image reference
//	                   (publisher:offer:sku:version) or image ID
//	state              instance_state, status, current_status,
//	                   power_state, life_cycle_state
//	engine             database engine ("postgres", "mysql", "sqlserver", …)
//	engine_version     the engine version actually running when the state
//	                   records it (engine_version_actual), else the one
//	                   configured
//	kubernetes.version the cluster's Kubernetes version
//	cpu, memory_mb     a vSphere VM's virtual CPUs and memory in MiB
//	cidr               a VPC's or subnet's IPv4 CIDR block
//	runtime            a Lambda function's runtime
//	lb.type            a load balancer's type or load-balancing scheme
//	storage.class      a Google bucket's storage class
//	tag.<Key>          each tag (AWS tags, Azure tags, Google labels)
//
// AWS tags are the union of tags_all (which adds the provider's
// default_tags, real tags on the resource) and tags, tags winning; Google
// labels likewise of effective_labels and labels. When the state records a
// resource's tag map at all, the observation reports tags in full
// (CompleteFacts "tag."), so a tag removed in Terraform goes from the record.
// No other attribute is copied: secrets in the state (database passwords,
// keys) never reach an observation.
//
// VPCs, subnets and security groups are CLOUD_RESOURCE, not
// NETWORK_DEVICE: they are software constructs of the cloud's network, not
// devices that forward traffic.
//
// # Relationships
//
// An instance's "dependencies" and the "depends_on" of early 0.12 states
// become DEPENDS_ON relationships, to every instance of the named resource
// that yields an observation in the same file; within an instance of a
// module with count or for_each, a dependency on a resource of the same
// module stands for that module instance's resource only. As in
// Terraform's own state reader, "dependencies" are absolute addresses
// (module.vpc.aws_subnet.a) and "depends_on" references are relative to the
// dependent's module: aws_subnet.a in module.vpc is
// module.vpc.aws_subnet.a. Dependencies on data sources and on skipped
// types make no edge (counted at debug level); references that name no
// resource in the file are counted and logged as a warning, never dropped
// silently.
//
// # Warnings
//
// A run says what it read but could not use, with counts, in
// Result.Warnings (the first lines of the run's log) and at warning level:
//
//   - managed resources of types Cairn does not map, by type, largest
//     count first: "12 resources of types Cairn does not map were skipped:
//     scaleway_instance_server ×9, scaleway_instance_ip ×3" (types a job's
//     Types leave out, data sources and deposed objects are not counted);
//   - a state whose managed resources are all of such types (an OpenStack,
//     FlexibleEngine or Scaleway state) adds "nothing observed: …" first;
//   - dependency references that name no resource in the state.
//
// A state read in full is a complete run even when it observed nothing:
// the file says what exists of the types Cairn maps, which may be nothing
// (a destroyed stack). The run does not become PARTIAL for it: that would
// keep a job from ever marking missing what was destroyed. What protects a
// job's CIs from a state that suddenly holds none of them is the missing
// guard (the job's maxMissingPercent), which holds such a run as PARTIAL.
//
// # Time
//
// A state file records no time of observation (only a serial number), so
// Parse leaves SeenAt zero and Discover stamps every observation with
// env.Now.
package terraform

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

// KindName is the job source kind this package implements.
const KindName = "terraform"

// Config is the configuration of a Terraform state source, decoded from the
// job's JSON settings.
type Config struct {
	// File is the path of the state file (terraform.tfstate, or the output
	// of "terraform state pull" saved by a scheduled job), read on every
	// run. A saved job's file must lie in a discovery directory
	// (--discovery-dir), where a relative path is taken (see
	// discovery.Confinement); a one-off run's relative path is relative to
	// the working directory. Required; there is no default.
	File string `json:"file" validate:"required"`
	// Types limits discovery to these resource types, such as
	// "aws_instance"; each must be one of SupportedTypes. Default (absent
	// or empty): every supported type.
	Types []string `json:"types"`
}

// Interface guards.
var (
	_ discovery.Config   = (*Config)(nil)
	_ discovery.Confined = (*Config)(nil)
	_ discovery.Source   = (*Source)(nil)
)

// Confine implements discovery.Confined: File must be a regular file in
// the discovery directories; the source reads the file it resolves to.
func (c *Config) Confine(cf *discovery.Confinement) error {
	real, err := cf.Input("file", c.File)
	if err != nil {
		return err
	}
	c.File = real
	return nil
}

// DefaultConfig returns the documented defaults: File empty, which does not
// validate until it is set, and Types empty, meaning every supported type.
func DefaultConfig() *Config { return &Config{} }

// Kind describes the Terraform source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Build returns the source that reads c.File. A type in c.Types that is not
// supported is an error.
func (c *Config) Build() (discovery.Source, error) {
	if err := discovery.Validate(c); err != nil {
		return nil, err
	}
	s := &Source{file: c.File}
	if len(c.Types) > 0 {
		table := specs()
		s.types = map[string]bool{}
		var unknown []string
		for _, t := range c.Types {
			if _, ok := table[t]; !ok {
				unknown = append(unknown, fmt.Sprintf("%q", t))
				continue
			}
			s.types[t] = true
		}
		if len(unknown) > 0 {
			return nil, fmt.Errorf("types: unsupported resource type %s (supported: %s)",
				strings.Join(unknown, ", "), strings.Join(SupportedTypes(), ", "))
		}
	}
	return s, nil
}

// Source reads one Terraform state file per run.
type Source struct {
	file  string
	types map[string]bool // nil: every supported type
}

// Discover reads the configured state file and returns one observation per
// instance of a supported managed resource, stamped with env.Now (the
// current time when env.Now is zero): the state records no time of its own.
// Env.Targets are ignored. Skipped resources are logged at debug level;
// resources of types Cairn does not map and dependency references that name
// no resource in the state are counted, logged at warning level and
// returned in Result.Warnings (see the package doc's Warnings).
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.file)
	if err != nil {
		return nil, fmt.Errorf("terraform source: %w", err)
	}
	defer f.Close()
	st, err := parse(ctxReader{ctx: ctx, r: f}, s.file, s.types)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	for i := range st.obs {
		st.obs[i].SeenAt = now
	}
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "terraform state read",
			"file", s.file,
			"terraform_version", st.terraformVersion,
			"serial", st.serial,
			"lineage", st.lineage,
			"observations", len(st.obs),
			"skipped", st.skipped.total(),
			"skipped_resources", st.skipped.String(),
			"dependencies_unresolved", len(st.unresolved),
			"dependencies_on_skipped", st.onSkipped)
		for _, w := range st.warnings() {
			env.Logger.WarnContext(ctx, "terraform source: "+w, "file", s.file)
		}
	}
	return &discovery.Result{Observations: st.obs, Warnings: st.warnings()}, nil
}

// ctxReader stops a long read when the run is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// skipCounts counts skipped resource instances by reason ("data source",
// "deposed", or the unsupported resource type).
type skipCounts map[string]int

func (s skipCounts) total() int {
	n := 0
	for _, c := range s {
		n += c
	}
	return n
}

// byCount lists the counts, largest first and then by name, as
// "scaleway_instance_server ×9, openstack_compute_instance_v2 ×3"; past
// maxListed entries it says how many more there are.
func (s skipCounts) byCount() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if s[keys[i]] != s[keys[j]] {
			return s[keys[i]] > s[keys[j]]
		}
		return keys[i] < keys[j]
	})
	more := ""
	if len(keys) > maxListed {
		rest := 0
		for _, k := range keys[maxListed:] {
			rest += s[k]
		}
		more = fmt.Sprintf(" and %d more of %d other types", rest, len(keys)-maxListed)
		keys = keys[:maxListed]
	}
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s ×%d", k, s[k])
	}
	return b.String() + more
}

// String lists the counts sorted by reason: "aws_iam_role=2, data source=1".
func (s skipCounts) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%d", k, s[k])
	}
	return b.String()
}
