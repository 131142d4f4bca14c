package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Page sizes asked for: each API's maximum, so that a large account takes
// few calls.
const (
	pageInstances = 1000 // DescribeInstances MaxResults, 5..1000
	pageVolumes   = 500  // DescribeVolumes MaxResults, 5..500
	pageVPCs      = 1000 // DescribeVpcs MaxResults, 5..1000
	pageSubnets   = 1000 // DescribeSubnets MaxResults, 5..1000
	pageELB       = 400  // DescribeLoadBalancers/TargetGroups PageSize, 1..400
	pageRDS       = 100  // DescribeDBInstances MaxRecords, 20..100
	pageBuckets   = 1000 // ListBuckets MaxBuckets, 1..10000
	pageFunctions = 1000 // ListFunctions MaxItems, 1..10000
	elbTagBatch   = 20   // DescribeTags ResourceArns, at most 20
	// targetHealthConcurrency bounds the DescribeTargetHealth calls of a
	// region in flight at once.
	targetHealthConcurrency = 8
)

// reservedInstance is an instance with its reservation's owner.
type reservedInstance struct {
	ec2types.Instance
	owner string
}

// regionData is what one region answered.
type regionData struct {
	region    string
	account   string
	partition string

	instances []reservedInstance
	volumes   []ec2types.Volume
	vpcs      []ec2types.Vpc
	subnets   []ec2types.Subnet
	lbs       []elbtypes.LoadBalancer
	lbTags    map[string][]elbtypes.Tag // by load balancer ARN; nil when not read
	tgs       []elbtypes.TargetGroup
	targets   map[string][]elbtypes.TargetHealthDescription // by target group ARN
	dbs       []rdstypes.DBInstance
	buckets   []s3types.Bucket
	functions []lambdatypes.FunctionConfiguration

	// ok holds the services read in full; errs the others' errors.
	ok   map[string]bool
	errs map[string]error
	// warnings are things read but not usable.
	warnings []string
}

// readRegion reads every selected service of one region, each at once.
// It fails only when the caller's identity cannot be read or every
// service failed; a failed service is in errs.
func (s *Source) readRegion(ctx context.Context, base sdk.Config, region string) (*regionData, error) {
	c := newClients(base, region, s.endpoint != "")
	d := &regionData{region: region, ok: map[string]bool{}, errs: map[string]error{}}
	var id *sts.GetCallerIdentityOutput
	err := s.call(ctx, func(ctx context.Context) (err error) {
		id, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sts GetCallerIdentity: %w", err)
	}
	d.account = sdk.ToString(id.Account)
	if !accountID(d.account) {
		return nil, fmt.Errorf("sts GetCallerIdentity: account %q is not 12 digits", d.account)
	}
	d.partition = partitionOf(region)
	if a, err := ParseARN(sdk.ToString(id.Arn)); err == nil {
		d.partition = a.Partition
	}

	readers := map[string]func(context.Context, clients, *regionData) error{
		ServiceEC2:    s.readInstances,
		ServiceEBS:    s.readVolumes,
		ServiceVPC:    s.readNetworks,
		ServiceELBv2:  s.readLoadBalancers,
		ServiceRDS:    s.readDatabases,
		ServiceS3:     s.readBuckets,
		ServiceLambda: s.readFunctions,
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, svc := range AllServices() {
		if !s.services[svc] {
			continue
		}
		// Each reader writes only its own fields of d.
		wg.Go(func() {
			err := readers[svc](ctx, c, d)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				d.errs[svc] = err
			} else {
				d.ok[svc] = true
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(d.ok) == 0 {
		return nil, d.errorText()
	}
	return d, nil
}

// errorText joins the failed services' errors, in service order.
func (d *regionData) errorText() error {
	var errs []error
	for _, svc := range AllServices() {
		if err, ok := d.errs[svc]; ok {
			errs = append(errs, fmt.Errorf("%s: %w", svc, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Source) readInstances(ctx context.Context, c clients, d *regionData) error {
	p := ec2.NewDescribeInstancesPaginator(c.ec2, &ec2.DescribeInstancesInput{MaxResults: sdk.Int32(pageInstances)})
	var out []reservedInstance
	for p.HasMorePages() {
		var page *ec2.DescribeInstancesOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeInstances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				out = append(out, reservedInstance{Instance: in, owner: sdk.ToString(r.OwnerId)})
			}
		}
	}
	d.instances = out
	return nil
}

func (s *Source) readVolumes(ctx context.Context, c clients, d *regionData) error {
	p := ec2.NewDescribeVolumesPaginator(c.ec2, &ec2.DescribeVolumesInput{MaxResults: sdk.Int32(pageVolumes)})
	var out []ec2types.Volume
	for p.HasMorePages() {
		var page *ec2.DescribeVolumesOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeVolumes: %w", err)
		}
		out = append(out, page.Volumes...)
	}
	d.volumes = out
	return nil
}

func (s *Source) readNetworks(ctx context.Context, c clients, d *regionData) error {
	pv := ec2.NewDescribeVpcsPaginator(c.ec2, &ec2.DescribeVpcsInput{MaxResults: sdk.Int32(pageVPCs)})
	var vpcs []ec2types.Vpc
	for pv.HasMorePages() {
		var page *ec2.DescribeVpcsOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = pv.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeVpcs: %w", err)
		}
		vpcs = append(vpcs, page.Vpcs...)
	}
	ps := ec2.NewDescribeSubnetsPaginator(c.ec2, &ec2.DescribeSubnetsInput{MaxResults: sdk.Int32(pageSubnets)})
	var subnets []ec2types.Subnet
	for ps.HasMorePages() {
		var page *ec2.DescribeSubnetsOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = ps.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeSubnets: %w", err)
		}
		subnets = append(subnets, page.Subnets...)
	}
	d.vpcs, d.subnets = vpcs, subnets
	return nil
}

func (s *Source) readLoadBalancers(ctx context.Context, c clients, d *regionData) error {
	pl := elb.NewDescribeLoadBalancersPaginator(c.elb, &elb.DescribeLoadBalancersInput{PageSize: sdk.Int32(pageELB)})
	var lbs []elbtypes.LoadBalancer
	for pl.HasMorePages() {
		var page *elb.DescribeLoadBalancersOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = pl.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeLoadBalancers: %w", err)
		}
		lbs = append(lbs, page.LoadBalancers...)
	}
	tags := map[string][]elbtypes.Tag{}
	for start := 0; start < len(lbs); start += elbTagBatch {
		arns := make([]string, 0, elbTagBatch)
		for _, lb := range lbs[start:min(start+elbTagBatch, len(lbs))] {
			arns = append(arns, sdk.ToString(lb.LoadBalancerArn))
		}
		var out *elb.DescribeTagsOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) {
			out, err = c.elb.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
			return err
		}); err != nil {
			return fmt.Errorf("DescribeTags: %w", err)
		}
		for _, td := range out.TagDescriptions {
			tags[sdk.ToString(td.ResourceArn)] = td.Tags
		}
	}
	pt := elb.NewDescribeTargetGroupsPaginator(c.elb, &elb.DescribeTargetGroupsInput{PageSize: sdk.Int32(pageELB)})
	var tgs []elbtypes.TargetGroup
	for pt.HasMorePages() {
		var page *elb.DescribeTargetGroupsOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = pt.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeTargetGroups: %w", err)
		}
		tgs = append(tgs, page.TargetGroups...)
	}
	targets, err := s.readTargets(ctx, c, tgs)
	if err != nil {
		return err
	}
	d.lbs, d.lbTags, d.tgs, d.targets = lbs, tags, tgs, targets
	return nil
}

// readTargets asks each target group attached to a load balancer for its
// registered targets, targetHealthConcurrency at a time; the first error
// stops the rest.
func (s *Source) readTargets(ctx context.Context, c clients, tgs []elbtypes.TargetGroup) (map[string][]elbtypes.TargetHealthDescription, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		out      = map[string][]elbtypes.TargetHealthDescription{}
		firstErr error
		sem      = make(chan struct{}, targetHealthConcurrency)
	)
	for _, tg := range tgs {
		if len(tg.LoadBalancerArns) == 0 {
			continue // no load balancer sends it traffic
		}
		arn := sdk.ToString(tg.TargetGroupArn)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			var res *elb.DescribeTargetHealthOutput
			err := s.call(ctx, func(ctx context.Context) (err error) {
				res, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: sdk.String(arn)})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("DescribeTargetHealth %s: %w", arn, err)
					cancel()
				}
				return
			}
			out[arn] = res.TargetHealthDescriptions
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Source) readDatabases(ctx context.Context, c clients, d *regionData) error {
	p := rds.NewDescribeDBInstancesPaginator(c.rds, &rds.DescribeDBInstancesInput{MaxRecords: sdk.Int32(pageRDS)})
	var out []rdstypes.DBInstance
	for p.HasMorePages() {
		var page *rds.DescribeDBInstancesOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("DescribeDBInstances: %w", err)
		}
		out = append(out, page.DBInstances...)
	}
	d.dbs = out
	return nil
}

// readBuckets lists the buckets of the region (ListBuckets with
// BucketRegion): each bucket is read in the region it lives in.
func (s *Source) readBuckets(ctx context.Context, c clients, d *regionData) error {
	p := s3.NewListBucketsPaginator(c.s3, &s3.ListBucketsInput{BucketRegion: sdk.String(d.region), MaxBuckets: sdk.Int32(pageBuckets)})
	var out []s3types.Bucket
	for p.HasMorePages() {
		var page *s3.ListBucketsOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("ListBuckets: %w", err)
		}
		for _, b := range page.Buckets {
			// An endpoint that ignores the filter lists every bucket; keep
			// those of this region (or of none said).
			if r := sdk.ToString(b.BucketRegion); r == "" || r == d.region {
				out = append(out, b)
			}
		}
	}
	d.buckets = out
	return nil
}

func (s *Source) readFunctions(ctx context.Context, c clients, d *regionData) error {
	p := lambda.NewListFunctionsPaginator(c.lambda, &lambda.ListFunctionsInput{MaxItems: sdk.Int32(pageFunctions)})
	var out []lambdatypes.FunctionConfiguration
	for p.HasMorePages() {
		var page *lambda.ListFunctionsOutput
		if err := s.call(ctx, func(ctx context.Context) (err error) { page, err = p.NextPage(ctx); return err }); err != nil {
			return fmt.Errorf("ListFunctions: %w", err)
		}
		out = append(out, page.Functions...)
	}
	d.functions = out
	return nil
}

// coveredTypes returns the Terraform resource types ("cloud.type") that
// the services read in full in d answer for, sorted.
func (d *regionData) coveredTypes() []string {
	var out []string
	for svc := range d.ok {
		out = append(out, serviceTypes[svc]...)
	}
	sort.Strings(out)
	return out
}

// serviceTypes are the Terraform resource types each service reads.
var serviceTypes = map[string][]string{
	ServiceEC2:    {typeInstance},
	ServiceEBS:    {typeVolume},
	ServiceVPC:    {typeVPC, typeSubnet},
	ServiceELBv2:  {typeLB, "aws_alb"},
	ServiceRDS:    {typeDB},
	ServiceS3:     {typeBucket},
	ServiceLambda: {typeFunction},
}

// The "cloud.type" of each observed resource: the Terraform type.
const (
	typeInstance = "aws_instance"
	typeVolume   = "aws_ebs_volume"
	typeVPC      = "aws_vpc"
	typeSubnet   = "aws_subnet"
	typeLB       = "aws_lb"
	typeDB       = "aws_db_instance"
	typeBucket   = "aws_s3_bucket"
	typeFunction = "aws_lambda_function"
)

// joinSorted joins the non-empty values sorted (numbers by value) and
// without repeats.
func joinSorted(vs []string) string {
	set := map[string]bool{}
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		a, errA := strconv.Atoi(out[i])
		b, errB := strconv.Atoi(out[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return out[i] < out[j]
	})
	return strings.Join(out, ",")
}
