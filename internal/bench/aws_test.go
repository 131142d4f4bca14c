package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	awsdisc "github.com/cairn-cmdb/cairn/discovery/aws"
	"github.com/cairn-cmdb/cairn/discovery/aws/awstest"
)

// awsAccount generates an account of n EC2 instances in one region (each
// with two ENIs and two EBS volumes), with 4 VPCs of 3 subnets, a load
// balancer per 50 instances with two target groups (instance and IP
// targets), an RDS instance and 5 buckets per 20 instances, and a Lambda
// function per 5 instances. It is served in pages of 100, so every list
// takes several calls, as a large account does.
func awsAccount(n int) *awstest.Account {
	const region = "eu-west-1"
	r := &awstest.Region{}
	zones := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	for v := 0; v < 4; v++ {
		vpc := fmt.Sprintf("vpc-%017x", v+1)
		r.VPCs = append(r.VPCs, awstest.VPC{ID: vpc, CIDR: fmt.Sprintf("10.%d.0.0/16", v), Tags: []awstest.Tag{{Key: "Name", Value: fmt.Sprintf("vpc-%d", v)}}})
		for z := range zones {
			r.Subnets = append(r.Subnets, awstest.Subnet{ID: fmt.Sprintf("subnet-%017x", v*3+z+1), VPC: vpc, CIDR: fmt.Sprintf("10.%d.%d.0/24", v, z), Zone: zones[z]})
		}
	}
	launch := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		sn := r.Subnets[i%len(r.Subnets)]
		v, z := (i%len(r.Subnets))/3, i%3
		ip := func(k int) string { return fmt.Sprintf("10.%d.%d.%d", v, z, 10+(i/len(r.Subnets))*2+k) }
		id := fmt.Sprintf("i-%017x", i+1)
		vol1, vol2 := fmt.Sprintf("vol-%017x", 2*i+1), fmt.Sprintf("vol-%017x", 2*i+2)
		in := awstest.Instance{
			ID: id, ImageID: "ami-0abcdef1234567890", Type: "m5.large", State: "running", Zone: sn.Zone, VPC: sn.VPC, Subnet: sn.ID,
			PrivateIP: ip(0), PrivateDNS: "ip-" + ip(0) + ".eu-west-1.compute.internal", LaunchTime: launch, Platform: "Linux/UNIX",
			SecurityGroups: []awstest.SecurityGroup{{ID: "sg-00000000000000001", Name: "web"}},
			ENIs: []awstest.ENI{
				{ID: fmt.Sprintf("eni-%017x", 2*i+1), MAC: fmt.Sprintf("02:00:00:%02x:%02x:01", i>>8&0xff, i&0xff), PrivateIPs: []string{ip(0)}},
				{ID: fmt.Sprintf("eni-%017x", 2*i+2), MAC: fmt.Sprintf("02:00:00:%02x:%02x:02", i>>8&0xff, i&0xff), PrivateIPs: []string{ip(1)}},
			},
			Devices: []awstest.Device{{Name: "/dev/xvda", VolumeID: vol1}, {Name: "/dev/sdf", VolumeID: vol2}},
			Tags: []awstest.Tag{{Key: "Name", Value: fmt.Sprintf("web-%04d", i)}, {Key: "Owner", Value: "team-" + fmt.Sprint(i%7)},
				{Key: "Service", Value: "svc-" + fmt.Sprint(i%13)}, {Key: "Environment", Value: "production"}, {Key: "CostCenter", Value: "CC-1"}},
		}
		if i%4 == 0 {
			in.PublicIP = fmt.Sprintf("34.240.%d.%d", i>>8&0xff, i&0xff)
			in.ENIs[0].PublicIP = in.PublicIP
		}
		r.Instances = append(r.Instances, in)
		for k, vol := range []string{vol1, vol2} {
			r.Volumes = append(r.Volumes, awstest.Volume{ID: vol, Zone: sn.Zone, Type: "gp3", State: "in-use", SizeGiB: 20 + 80*k, Encrypted: true,
				Attachments: []awstest.Attach{{InstanceID: id, Device: in.Devices[k].Name}}})
		}
	}
	for l := 0; l*50 < n; l++ {
		vpc := r.VPCs[l%len(r.VPCs)].ID
		lb := awstest.LoadBalancer{Name: fmt.Sprintf("lb-%03d", l), Type: "application", Scheme: "internal", VPC: vpc,
			Tags: []awstest.Tag{{Key: "Service", Value: fmt.Sprintf("svc-%d", l)}}}
		r.LoadBalancers = append(r.LoadBalancers, lb)
		inst := awstest.TargetGroup{Name: fmt.Sprintf("tg-%03d-i", l), Protocol: "HTTP", Port: 80, VPC: vpc, TargetType: "instance", LoadBalancers: []string{lb.Name}}
		ips := awstest.TargetGroup{Name: fmt.Sprintf("tg-%03d-ip", l), Protocol: "HTTP", Port: 8080, VPC: vpc, TargetType: "ip", LoadBalancers: []string{lb.Name}}
		for i := l * 50; i < min(n, l*50+50); i++ {
			in := r.Instances[i]
			if i%2 == 0 {
				inst.Targets = append(inst.Targets, awstest.Target{ID: in.ID, Port: 80, State: "healthy"})
			} else {
				ips.Targets = append(ips.Targets, awstest.Target{ID: in.ENIs[1].PrivateIPs[0], Port: 8080, State: "healthy"})
			}
		}
		r.TargetGroups = append(r.TargetGroups, inst, ips)
	}
	for d := 0; d*20 < n; d++ {
		sn := r.Subnets[d%len(r.Subnets)]
		r.DBInstances = append(r.DBInstances, awstest.DBInstance{ID: fmt.Sprintf("db-%03d", d), ResourceID: fmt.Sprintf("db-%026X", d+1), Class: "db.r6g.large",
			Engine: "postgres", EngineVersion: "16.4", Status: "available", Zone: sn.Zone, VPC: sn.VPC, Subnets: []string{sn.ID},
			Tags: []awstest.Tag{{Key: "Owner", Value: "team-data"}}})
		for k := 0; k < 5; k++ {
			r.Buckets = append(r.Buckets, awstest.Bucket{Name: fmt.Sprintf("bucket-%03d-%d", d, k), Created: launch})
		}
	}
	for f := 0; f*5 < n; f++ {
		fn := awstest.Function{Name: fmt.Sprintf("fn-%04d", f), Runtime: "python3.12", Handler: "app.handler", MemoryMB: 256, TimeoutS: 30}
		if f%2 == 0 {
			sn := r.Subnets[f%len(r.Subnets)]
			fn.VPC, fn.Subnets = sn.VPC, []string{sn.ID}
		}
		r.Functions = append(r.Functions, fn)
	}
	return &awstest.Account{ID: "123456789012", PageSize: 100, Regions: map[string]*awstest.Region{region: r}}
}

// BenchmarkAWSDiscover1000 is a full Discover of a 1,000-instance account
// (one region: 1,000 instances, 2,000 volumes, 20 load balancers with 40
// target groups, 50 DB instances, 250 buckets, 200 functions, VPCs and
// subnets) through the real SDK against the loopback server, in pages of
// 100. Goal (issue 16): at most 10 s.
func BenchmarkAWSDiscover1000(b *testing.B) {
	s := awstest.NewServer(awsAccount(1000))
	defer s.Close()
	raw, _ := json.Marshal(map[string]any{"regions": []string{"eu-west-1"}, "endpoint": s.URL})
	reg, err := discovery.NewRegistry(awsdisc.Kind())
	if err != nil {
		b.Fatal(err)
	}
	src, err := reg.Build("aws", raw)
	if err != nil {
		b.Fatal(err)
	}
	env := discovery.Env{Credentials: map[string]string{
		awsdisc.CredAccessKeyID: awstest.AccessKeyID, awsdisc.CredSecretAccessKey: awstest.SecretAccessKey,
	}}
	var res *discovery.Result
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err = src.Discover(context.Background(), env)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := time.Since(start) / time.Duration(b.N)
	if res.Partial || len(res.Observations) < 3500 {
		b.Fatalf("partial %v %v, %d observations", res.Partial, res.HostErrors, len(res.Observations))
	}
	rels := 0
	for _, o := range res.Observations {
		rels += len(o.Relationships)
	}
	b.ReportMetric(float64(len(res.Observations)), "observations")
	b.ReportMetric(float64(rels), "relationships")
	b.ReportMetric(float64(len(s.Requests()))/float64(b.N), "requests/op")
	b.ReportMetric(per.Seconds(), "s/discover")
	if per > 10*time.Second {
		b.Errorf("Discover took %s, goal 10 s", per)
	}
}
