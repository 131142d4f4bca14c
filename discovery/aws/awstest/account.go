// Package awstest serves an AWS account over real HTTP on 127.0.0.1 for
// the tests and benchmarks of discovery/aws: the real SDK signs, sends,
// retries and parses, and the server answers each API call the source
// makes with a response document that follows the AWS API reference (the
// templates under templates/, each naming the reference page it follows),
// rendered from an Account. It pages as AWS does (NextToken, Marker,
// ContinuationToken), can throttle or fail chosen calls, and checks that
// every request is signed with the expected access key.
//
// Routing: the region and service come from the SigV4 credential scope of
// the Authorization header ("AKID/20261207/eu-west-1/ec2/aws4_request"),
// the operation from the form's Action (EC2, ELBv2, RDS, STS: query
// protocol), from "GET /" (S3 ListBuckets) or from "GET
// /2015-03-31/functions/" (Lambda ListFunctions).
package awstest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"time"
)

// Account is what the server answers with.
type Account struct {
	// ID is the 12-digit account ID.
	ID string `json:"id"`
	// PageSize is the largest page the server gives, whatever the request
	// asks: small pages exercise paging. 0 means 1000.
	PageSize int                `json:"pageSize,omitempty"`
	Regions  map[string]*Region `json:"regions"`
}

// Region holds one region's resources.
type Region struct {
	Instances     []Instance     `json:"instances,omitempty"`
	Volumes       []Volume       `json:"volumes,omitempty"`
	VPCs          []VPC          `json:"vpcs,omitempty"`
	Subnets       []Subnet       `json:"subnets,omitempty"`
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`
	TargetGroups  []TargetGroup  `json:"targetGroups,omitempty"`
	DBInstances   []DBInstance   `json:"dbInstances,omitempty"`
	Buckets       []Bucket       `json:"buckets,omitempty"`
	Functions     []Function     `json:"functions,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Instance is an EC2 instance. Instances sharing a ReservationID are one
// reservation ("" is a reservation of its own).
type Instance struct {
	ID             string          `json:"id"`
	ReservationID  string          `json:"reservationId,omitempty"`
	ImageID        string          `json:"imageId"`
	Type           string          `json:"type"`
	State          string          `json:"state"`
	Zone           string          `json:"zone"`
	VPC            string          `json:"vpc"`
	Subnet         string          `json:"subnet"`
	PrivateIP      string          `json:"privateIp"`
	PublicIP       string          `json:"publicIp,omitempty"`
	PrivateDNS     string          `json:"privateDns"`
	PublicDNS      string          `json:"publicDns,omitempty"`
	Platform       string          `json:"platform,omitempty"`
	LaunchTime     time.Time       `json:"launchTime"`
	SecurityGroups []SecurityGroup `json:"securityGroups,omitempty"`
	ENIs           []ENI           `json:"enis,omitempty"`
	Devices        []Device        `json:"devices,omitempty"`
	Tags           []Tag           `json:"tags,omitempty"`
}

// SecurityGroup is a group an instance is in.
type SecurityGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ENI is a network interface of an instance, attached at its index in
// Instance.ENIs.
type ENI struct {
	ID         string   `json:"id"`
	MAC        string   `json:"mac"`
	PrivateIPs []string `json:"privateIps"`
	PublicIP   string   `json:"publicIp,omitempty"`
	IPv6       []string `json:"ipv6,omitempty"`
}

// Device is an EBS volume attached to an instance.
type Device struct {
	Name     string `json:"name"`
	VolumeID string `json:"volumeId"`
}

// Volume is an EBS volume.
type Volume struct {
	ID          string   `json:"id"`
	Zone        string   `json:"zone"`
	Type        string   `json:"type"`
	State       string   `json:"state"`
	SizeGiB     int      `json:"sizeGiB"`
	Encrypted   bool     `json:"encrypted"`
	Attachments []Attach `json:"attachments,omitempty"`
	Tags        []Tag    `json:"tags,omitempty"`
}

// Attach is a volume's attachment to an instance.
type Attach struct {
	InstanceID string `json:"instanceId"`
	Device     string `json:"device"`
}

// VPC is a virtual private cloud.
type VPC struct {
	ID      string `json:"id"`
	CIDR    string `json:"cidr"`
	Default bool   `json:"default,omitempty"`
	Tags    []Tag  `json:"tags,omitempty"`
}

// Subnet is a subnet of a VPC.
type Subnet struct {
	ID   string `json:"id"`
	VPC  string `json:"vpc"`
	CIDR string `json:"cidr"`
	Zone string `json:"zone"`
	Tags []Tag  `json:"tags,omitempty"`
}

// LoadBalancer is an ELBv2 load balancer ("application", "network").
type LoadBalancer struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Scheme  string   `json:"scheme"`
	VPC     string   `json:"vpc"`
	Subnets []string `json:"subnets,omitempty"`
	Tags    []Tag    `json:"tags,omitempty"`
}

// TargetGroup is an ELBv2 target group.
type TargetGroup struct {
	Name          string   `json:"name"`
	Protocol      string   `json:"protocol"`
	Port          int      `json:"port"`
	VPC           string   `json:"vpc"`
	TargetType    string   `json:"targetType"`
	LoadBalancers []string `json:"loadBalancers"` // names
	Targets       []Target `json:"targets,omitempty"`
}

// Target is a registered target: an instance ID or an IP address.
type Target struct {
	ID    string `json:"id"`
	Port  int    `json:"port"`
	State string `json:"state"`
}

// DBInstance is an RDS DB instance.
type DBInstance struct {
	ID            string   `json:"id"`
	ResourceID    string   `json:"resourceId"`
	Class         string   `json:"class"`
	Engine        string   `json:"engine"`
	EngineVersion string   `json:"engineVersion"`
	Status        string   `json:"status"`
	Zone          string   `json:"zone"`
	VPC           string   `json:"vpc"`
	Subnets       []string `json:"subnets,omitempty"`
	MultiAZ       bool     `json:"multiAz,omitempty"`
	Tags          []Tag    `json:"tags,omitempty"`
}

// Bucket is an S3 bucket of the region.
type Bucket struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Function is a Lambda function.
type Function struct {
	Name           string   `json:"name"`
	Runtime        string   `json:"runtime"`
	Handler        string   `json:"handler"`
	MemoryMB       int      `json:"memoryMb"`
	TimeoutS       int      `json:"timeoutS"`
	VPC            string   `json:"vpc,omitempty"`
	Subnets        []string `json:"subnets,omitempty"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
}

// Load reads an Account from a JSON file.
func Load(path string) (*Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a Account
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &a, nil
}

// hexID returns a stable 16-hex-digit ID for name, as AWS puts in load
// balancer and target group ARNs.
func hexID(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	return fmt.Sprintf("%016x", h.Sum64())
}

// Partition is the partition of the served ARNs.
const Partition = "aws"

// LoadBalancerARN returns the ARN the server gives a load balancer.
func LoadBalancerARN(account, region string, lb LoadBalancer) string {
	kind := "app"
	if lb.Type == "network" {
		kind = "net"
	}
	return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%s", Partition, region, account, kind, lb.Name, hexID(lb.Name))
}

// TargetGroupARN returns the ARN the server gives a target group.
func TargetGroupARN(account, region string, tg TargetGroup) string {
	return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:targetgroup/%s/%s", Partition, region, account, tg.Name, hexID(tg.Name))
}

// DNSName returns the DNS name the server gives a load balancer.
func DNSName(region string, lb LoadBalancer) string {
	prefix := ""
	if lb.Scheme == "internal" {
		prefix = "internal-"
	}
	if lb.Type == "network" {
		return fmt.Sprintf("%s%s-%s.elb.%s.amazonaws.com", prefix, lb.Name, hexID(lb.Name)[:10], region)
	}
	return fmt.Sprintf("%s%s-%d.%s.elb.amazonaws.com", prefix, lb.Name, fnv32(lb.Name), region)
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32() % 1000000000
}
