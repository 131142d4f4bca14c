package aws

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// builder turns one region's answers into observations.
type builder struct {
	d       *regionData
	tags    []tagRole
	now     time.Time
	obs     []discovery.Observation
	index   map[string]int // observation key → index in obs
	skipped int            // tags skipped
	// instKeys maps instance IDs to their keys; byIP "<vpc> <ip>" to the
	// key of the instance with that address.
	instKeys map[string]string
	byIP     map[string]string
}

func newBuilder(d *regionData, tags []tagRole, now time.Time) *builder {
	return &builder{d: d, tags: tags, now: now, index: map[string]int{}, instKeys: map[string]string{}, byIP: map[string]string{}}
}

// arn returns the ARN of an EC2 resource of this region ("instance/i-…").
func (b *builder) arn(service, resource, account string) string {
	if account == "" {
		account = b.d.account
	}
	return ARN{Partition: b.d.partition, Service: service, Region: b.d.region, Account: account, Resource: resource}.String()
}

// base returns an observation with the facts every resource carries.
func (b *builder) base(key, kind, typ, name string) discovery.Observation {
	o := discovery.Observation{
		Key:       key,
		Kind:      kind,
		Name:      name,
		StableKey: true,
		SeenAt:    b.now,
		Facts: map[string]string{
			"cloud.provider": "aws",
			"cloud.type":     typ,
			"cloud.region":   b.d.region,
			"cloud.account":  b.d.account,
		},
	}
	o.AddNormalized(ident.CloudID, key)
	return o
}

// add records o, unless an observation with its key is already there.
func (b *builder) add(o discovery.Observation) {
	if _, dup := b.index[o.Key]; dup {
		return
	}
	b.index[o.Key] = len(b.obs)
	b.obs = append(b.obs, o)
}

// has reports whether an observation keyed key was made.
func (b *builder) has(key string) bool {
	_, ok := b.index[key]
	return ok
}

// reference makes sure key names an observation: when the run made none,
// it adds a Reference observation of kind with the given identifiers.
func (b *builder) reference(key, kind, name string, ids ...discovery.Identifier) {
	if b.has(key) {
		return
	}
	o := discovery.Observation{Key: key, Kind: kind, Name: name, Reference: true, StableKey: strings.HasPrefix(key, "arn:"), SeenAt: b.now}
	for _, id := range ids {
		o.AddNormalized(id.Kind, id.Value)
	}
	b.add(o)
}

// setTags adds the tag facts and says that tags are reported in full.
func (b *builder) setTags(o *discovery.Observation, tags []Tag) {
	facts, skipped := tagFacts(b.tags, tags)
	b.skipped += skipped
	for k, v := range facts {
		o.Facts[k] = v
	}
	o.CompleteFacts = append(o.CompleteFacts, "tag.")
	for _, r := range b.tags {
		o.CompleteFacts = append(o.CompleteFacts, r.fact)
	}
}

// nameTag returns the value of the tag "Name", or def.
func nameTag(tags []Tag, def string) string {
	for _, t := range tags {
		if t.Key == "Name" && strings.TrimSpace(t.Value) != "" && tagText(t.Value, 256) {
			return strings.TrimSpace(t.Value)
		}
	}
	return def
}

func ec2Tags(ts []ec2types.Tag) []Tag {
	out := make([]Tag, 0, len(ts))
	for _, t := range ts {
		out = append(out, Tag{sdk.ToString(t.Key), sdk.ToString(t.Value)})
	}
	return out
}

// addIP adds v as an IP identifier when it names one machine: not
// loopback, link-local, multicast or unspecified.
func addIP(o *discovery.Observation, v string) {
	ip, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return
	}
	o.AddNormalized(ident.IP, ip.String())
}

// addDNS adds a DNS name as an FQDN identifier (a single label as a
// HOSTNAME), and sets the "fqdn" field from the first, as the Terraform
// source does with private_dns and public_dns.
func addDNS(o *discovery.Observation, v string) {
	v = strings.TrimSuffix(strings.TrimSpace(v), ".")
	if v == "" {
		return
	}
	if norm, err := ident.Normalize(ident.FQDN, v); err == nil {
		o.AddIdentifier(ident.FQDN, norm)
		if _, set := o.Fields["fqdn"]; !set {
			o.SetField("fqdn", norm)
		}
		return
	}
	if norm, err := ident.Normalize(ident.Hostname, v); err == nil {
		o.AddIdentifier(ident.Hostname, norm)
		if _, set := o.Fields["hostname"]; !set {
			o.SetField("hostname", norm)
		}
	}
}

// build makes every observation of the region: resources first, then
// their relationships, which may add Reference observations.
func (b *builder) build() {
	d := b.d
	for _, v := range d.vpcs {
		b.vpc(v)
	}
	for _, s := range d.subnets {
		b.subnet(s)
	}
	for _, v := range d.volumes {
		b.volume(v)
	}
	for _, in := range d.instances {
		b.instance(in)
	}
	for _, db := range d.dbs {
		b.database(db)
	}
	for _, bk := range d.buckets {
		b.bucket(sdk.ToString(bk.Name), sdk.ToString(bk.BucketArn), sdk.ToString(bk.BucketRegion))
	}
	for _, f := range d.functions {
		b.function(f)
	}
	for _, lb := range d.lbs {
		b.loadBalancer(lb)
	}
	b.targets()
}

func (b *builder) vpcKey(id string) string    { return b.arn("ec2", "vpc/"+id, "") }
func (b *builder) subnetKey(id string) string { return b.arn("ec2", "subnet/"+id, "") }

// subnetRef returns the key of subnet id: its ARN as listed, or as built.
func (b *builder) subnetRef(id string) string {
	for _, s := range b.d.subnets {
		if sdk.ToString(s.SubnetId) == id && s.SubnetArn != nil {
			return *s.SubnetArn
		}
	}
	return b.subnetKey(id)
}

// ensureVPC and ensureSubnet return the key of a VPC or subnet, adding a
// Reference observation when the run did not observe it (VPCs and subnets
// are built first, so one listed is already there).
func (b *builder) ensureVPC(id string) string {
	key := b.vpcKey(id)
	b.reference(key, discovery.KindCloudResource, id, discovery.Identifier{Kind: ident.CloudID, Value: key}, discovery.Identifier{Kind: ident.CloudID, Value: id})
	return key
}

func (b *builder) ensureSubnet(id string) string {
	key := b.subnetRef(id)
	b.reference(key, discovery.KindCloudResource, id, discovery.Identifier{Kind: ident.CloudID, Value: key}, discovery.Identifier{Kind: ident.CloudID, Value: id})
	return key
}

func (b *builder) vpc(v ec2types.Vpc) {
	id := sdk.ToString(v.VpcId)
	if id == "" {
		return
	}
	tags := ec2Tags(v.Tags)
	o := b.base(b.arn("ec2", "vpc/"+id, sdk.ToString(v.OwnerId)), discovery.KindCloudResource, typeVPC, nameTag(tags, id))
	o.AddNormalized(ident.CloudID, id)
	o.SetFact("cidr", sdk.ToString(v.CidrBlock))
	o.SetFact("state", string(v.State))
	if v.IsDefault != nil {
		o.SetFact("aws.default", strconv.FormatBool(*v.IsDefault))
	}
	b.setTags(&o, tags)
	b.add(o)
}

func (b *builder) subnet(s ec2types.Subnet) {
	id := sdk.ToString(s.SubnetId)
	if id == "" {
		return
	}
	key := sdk.ToString(s.SubnetArn)
	if key == "" {
		key = b.arn("ec2", "subnet/"+id, sdk.ToString(s.OwnerId))
	}
	tags := ec2Tags(s.Tags)
	o := b.base(key, discovery.KindCloudResource, typeSubnet, nameTag(tags, id))
	o.AddNormalized(ident.CloudID, id)
	o.SetFact("cidr", sdk.ToString(s.CidrBlock))
	o.SetFact("cloud.zone", sdk.ToString(s.AvailabilityZone))
	o.SetFact("state", string(s.State))
	o.SetFact("aws.vpc", sdk.ToString(s.VpcId))
	b.setTags(&o, tags)
	if vpc := sdk.ToString(s.VpcId); vpc != "" {
		o.Relationships = append(o.Relationships, discovery.Relationship{Type: "MEMBER_OF", To: b.ensureVPC(vpc)})
	}
	b.add(o)
}

func (b *builder) volume(v ec2types.Volume) {
	id := sdk.ToString(v.VolumeId)
	if id == "" || v.State == ec2types.VolumeStateDeleted {
		return
	}
	key := sdk.ToString(v.VolumeArn)
	if key == "" {
		key = b.arn("ec2", "volume/"+id, sdk.ToString(v.OwnerId))
	}
	tags := ec2Tags(v.Tags)
	o := b.base(key, discovery.KindStorage, typeVolume, nameTag(tags, id))
	o.AddNormalized(ident.CloudID, id)
	o.SetFact("cloud.zone", sdk.ToString(v.AvailabilityZone))
	o.SetFact("state", string(v.State))
	o.SetFact("aws.volume_type", string(v.VolumeType))
	if v.Size != nil {
		o.SetFact("aws.size_gib", strconv.Itoa(int(*v.Size)))
	}
	if v.Encrypted != nil {
		o.SetFact("aws.encrypted", strconv.FormatBool(*v.Encrypted))
	}
	b.setTags(&o, tags)
	b.add(o)
}

// volumeKey returns the key of a volume: the observed one's, or a
// Reference observation's.
func (b *builder) volumeKey(id string) string {
	for _, v := range b.d.volumes {
		if sdk.ToString(v.VolumeId) == id && v.VolumeArn != nil {
			return *v.VolumeArn
		}
	}
	key := b.arn("ec2", "volume/"+id, "")
	b.reference(key, discovery.KindStorage, id, discovery.Identifier{Kind: ident.CloudID, Value: key}, discovery.Identifier{Kind: ident.CloudID, Value: id})
	return key
}

func (b *builder) instanceKey(id, owner string) string {
	return b.arn("ec2", "instance/"+id, owner)
}

func (b *builder) instance(in reservedInstance) {
	id := sdk.ToString(in.InstanceId)
	state := ""
	if in.State != nil {
		state = string(in.State.Name)
	}
	if id == "" || state == string(ec2types.InstanceStateNameTerminated) {
		return
	}
	tags := ec2Tags(in.Tags)
	o := b.base(b.instanceKey(id, in.owner), discovery.KindVM, typeInstance, nameTag(tags, id))
	o.AddNormalized(ident.CloudID, id)
	addIP(&o, sdk.ToString(in.PrivateIpAddress))
	addIP(&o, sdk.ToString(in.PublicIpAddress))
	addIP(&o, sdk.ToString(in.Ipv6Address))
	enis := append([]ec2types.InstanceNetworkInterface(nil), in.NetworkInterfaces...)
	sort.SliceStable(enis, func(i, j int) bool { return deviceIndex(enis[i]) < deviceIndex(enis[j]) })
	for _, eni := range enis {
		addIP(&o, sdk.ToString(eni.PrivateIpAddress))
		for _, p := range eni.PrivateIpAddresses {
			addIP(&o, sdk.ToString(p.PrivateIpAddress))
			if p.Association != nil {
				addIP(&o, sdk.ToString(p.Association.PublicIp))
			}
		}
		if eni.Association != nil {
			addIP(&o, sdk.ToString(eni.Association.PublicIp))
		}
		for _, v6 := range eni.Ipv6Addresses {
			addIP(&o, sdk.ToString(v6.Ipv6Address))
		}
	}
	addDNS(&o, sdk.ToString(in.PrivateDnsName))
	addDNS(&o, sdk.ToString(in.PublicDnsName))
	for _, eni := range enis {
		if mac, ok := discovery.MACFact(sdk.ToString(eni.MacAddress)); ok {
			if eid := sdk.ToString(eni.NetworkInterfaceId); eid != "" {
				o.SetFact("net."+eid+".mac", mac)
			}
			o.AddNormalized(ident.MAC, mac)
		}
	}
	if in.Placement != nil {
		o.SetFact("cloud.zone", sdk.ToString(in.Placement.AvailabilityZone))
	}
	o.SetFact("instance.type", string(in.InstanceType))
	o.SetFact("image", sdk.ToString(in.ImageId))
	o.SetFact("state", state)
	o.SetFact("aws.vpc", sdk.ToString(in.VpcId))
	o.SetFact("aws.subnet", sdk.ToString(in.SubnetId))
	o.SetFact("aws.platform", sdk.ToString(in.PlatformDetails))
	var groups []string
	for _, g := range in.SecurityGroups {
		groups = append(groups, sdk.ToString(g.GroupId))
	}
	o.SetFact("aws.security_groups", joinSorted(groups))
	b.setTags(&o, tags)

	for _, bd := range in.BlockDeviceMappings {
		if bd.Ebs == nil || sdk.ToString(bd.Ebs.VolumeId) == "" {
			continue
		}
		r := discovery.Relationship{Type: "USES", To: b.volumeKey(sdk.ToString(bd.Ebs.VolumeId))}
		if dev := sdk.ToString(bd.DeviceName); dev != "" && len(dev) <= discovery.MaxAttributeLen {
			r.Attributes = map[string]string{"device": dev}
		}
		o.Relationships = append(o.Relationships, r)
	}
	if sn := sdk.ToString(in.SubnetId); sn != "" {
		o.Relationships = append(o.Relationships, discovery.Relationship{Type: "MEMBER_OF", To: b.ensureSubnet(sn)})
	}
	b.add(o)
	b.instKeys[id] = o.Key
	vpc := sdk.ToString(in.VpcId)
	for _, idv := range o.Identifiers {
		if idv.Kind == ident.IP {
			b.byIP[vpc+" "+idv.Value] = o.Key
		}
	}
}

func deviceIndex(eni ec2types.InstanceNetworkInterface) int32 {
	if eni.Attachment == nil || eni.Attachment.DeviceIndex == nil {
		return 1 << 30
	}
	return *eni.Attachment.DeviceIndex
}

func (b *builder) database(db rdstypes.DBInstance) {
	key := sdk.ToString(db.DBInstanceArn)
	if _, err := ParseARN(key); err != nil {
		b.d.warnings = append(b.d.warnings, fmt.Sprintf("RDS DB instance %q skipped: %v", textclip.Message(sdk.ToString(db.DBInstanceIdentifier)), err))
		return
	}
	name := sdk.ToString(db.DBInstanceIdentifier)
	if name == "" {
		name = key
	}
	o := b.base(key, discovery.KindDatabase, typeDB, name)
	o.AddNormalized(ident.CloudID, sdk.ToString(db.DbiResourceId))
	if db.Endpoint != nil {
		if v, err := ident.Normalize(ident.FQDN, sdk.ToString(db.Endpoint.Address)); err == nil {
			o.AddIdentifier(ident.FQDN, v)
		}
	}
	o.SetFact("cloud.zone", sdk.ToString(db.AvailabilityZone))
	o.SetFact("instance.type", sdk.ToString(db.DBInstanceClass))
	o.SetFact("engine", sdk.ToString(db.Engine))
	o.SetFact("engine_version", sdk.ToString(db.EngineVersion))
	o.SetFact("state", sdk.ToString(db.DBInstanceStatus))
	if db.MultiAZ != nil {
		o.SetFact("aws.multi_az", strconv.FormatBool(*db.MultiAZ))
	}
	tags := make([]Tag, 0, len(db.TagList))
	for _, t := range db.TagList {
		tags = append(tags, Tag{sdk.ToString(t.Key), sdk.ToString(t.Value)})
	}
	b.setTags(&o, tags)
	if db.DBSubnetGroup != nil {
		if vpc := sdk.ToString(db.DBSubnetGroup.VpcId); vpc != "" {
			o.SetFact("aws.vpc", vpc)
			o.Relationships = append(o.Relationships, discovery.Relationship{Type: "MEMBER_OF", To: b.ensureVPC(vpc)})
		}
	}
	b.add(o)
}

func (b *builder) bucket(name, arn, region string) {
	if name == "" {
		return
	}
	if _, err := ParseARN(arn); err != nil {
		arn = ARN{Partition: b.d.partition, Service: "s3", Resource: name}.String()
	}
	o := b.base(arn, discovery.KindStorage, typeBucket, name)
	if region != "" && regionRE.MatchString(region) {
		o.Facts["cloud.region"] = region
	}
	b.add(o)
}

func (b *builder) function(f lambdatypes.FunctionConfiguration) {
	key := sdk.ToString(f.FunctionArn)
	if _, err := ParseARN(key); err != nil {
		b.d.warnings = append(b.d.warnings, fmt.Sprintf("Lambda function %q skipped: %v", textclip.Message(sdk.ToString(f.FunctionName)), err))
		return
	}
	name := sdk.ToString(f.FunctionName)
	if name == "" {
		name = key
	}
	o := b.base(key, discovery.KindApplication, typeFunction, name)
	o.SetFact("runtime", string(f.Runtime))
	o.SetFact("aws.package_type", string(f.PackageType))
	if f.MemorySize != nil {
		o.SetFact("aws.memory_mb", strconv.Itoa(int(*f.MemorySize)))
	}
	if f.VpcConfig != nil {
		o.SetFact("aws.vpc", sdk.ToString(f.VpcConfig.VpcId))
		subnets := append([]string(nil), f.VpcConfig.SubnetIds...)
		sort.Strings(subnets)
		for _, sn := range subnets {
			if sn != "" {
				o.Relationships = append(o.Relationships, discovery.Relationship{Type: "MEMBER_OF", To: b.ensureSubnet(sn)})
			}
		}
	}
	b.add(o)
}

func (b *builder) loadBalancer(lb elbtypes.LoadBalancer) {
	key := sdk.ToString(lb.LoadBalancerArn)
	if _, err := ParseARN(key); err != nil {
		b.d.warnings = append(b.d.warnings, fmt.Sprintf("load balancer %q skipped: %v", textclip.Message(sdk.ToString(lb.LoadBalancerName)), err))
		return
	}
	name := sdk.ToString(lb.LoadBalancerName)
	if name == "" {
		name = key
	}
	o := b.base(key, discovery.KindLoadBalancer, typeLB, name)
	if v, err := ident.Normalize(ident.FQDN, sdk.ToString(lb.DNSName)); err == nil {
		o.AddIdentifier(ident.FQDN, v)
	}
	o.SetFact("lb.type", string(lb.Type))
	o.SetFact("aws.scheme", string(lb.Scheme))
	o.SetFact("aws.vpc", sdk.ToString(lb.VpcId))
	if lb.State != nil {
		o.SetFact("state", string(lb.State.Code))
	}
	if b.d.lbTags != nil {
		if ts, ok := b.d.lbTags[key]; ok {
			tags := make([]Tag, 0, len(ts))
			for _, t := range ts {
				tags = append(tags, Tag{sdk.ToString(t.Key), sdk.ToString(t.Value)})
			}
			b.setTags(&o, tags)
		}
	}
	b.add(o)
}

// edge is one load balancer's relationship to one target, gathering the
// ports and target groups it goes through.
type edge struct {
	ports, groups []string
}

// targets adds each load balancer's DEPENDS_ON relationships to the
// registered targets of its target groups.
func (b *builder) targets() {
	edges := map[string]map[string]*edge{} // LB key → target key → edge
	for _, tg := range b.d.tgs {
		tgARN := sdk.ToString(tg.TargetGroupArn)
		descs := b.d.targets[tgARN]
		if len(descs) == 0 {
			continue
		}
		vpc := sdk.ToString(tg.VpcId)
		for _, lbARN := range tg.LoadBalancerArns {
			if !b.has(lbARN) {
				continue // listed by no DescribeLoadBalancers page
			}
			for _, th := range descs {
				if th.Target == nil {
					continue
				}
				to := b.targetKey(tg.TargetType, vpc, sdk.ToString(th.Target.Id))
				if to == "" || to == lbARN {
					continue
				}
				if edges[lbARN] == nil {
					edges[lbARN] = map[string]*edge{}
				}
				e := edges[lbARN][to]
				if e == nil {
					e = &edge{}
					edges[lbARN][to] = e
				}
				port := th.Target.Port
				if port == nil {
					port = tg.Port
				}
				if port != nil {
					e.ports = append(e.ports, strconv.Itoa(int(*port)))
				}
				e.groups = append(e.groups, sdk.ToString(tg.TargetGroupName))
			}
		}
	}
	for lbKey, byTarget := range edges {
		tos := make([]string, 0, len(byTarget))
		for to := range byTarget {
			tos = append(tos, to)
		}
		sort.Strings(tos)
		o := &b.obs[b.index[lbKey]]
		for _, to := range tos {
			e := byTarget[to]
			r := discovery.Relationship{Type: "DEPENDS_ON", To: to, Attributes: map[string]string{}}
			if v := joinSorted(e.ports); v != "" {
				r.Attributes["port"] = textclip.Bytes(v, discovery.MaxAttributeLen)
			}
			if v := joinSorted(e.groups); v != "" {
				r.Attributes["target_group"] = textclip.Bytes(v, discovery.MaxAttributeLen)
			}
			o.Relationships = append(o.Relationships, r)
		}
	}
}

// targetKey returns the key of a registered target, adding a Reference
// observation when the run did not observe it; "" for a target that names
// nothing usable.
func (b *builder) targetKey(typ elbtypes.TargetTypeEnum, vpc, id string) string {
	id = strings.TrimSpace(id)
	if id == "" {
		return ""
	}
	switch typ {
	case elbtypes.TargetTypeEnumIp:
		ip, err := netip.ParseAddr(id)
		if err != nil {
			return ""
		}
		norm, err := ident.Normalize(ident.IP, ip.String())
		if err != nil {
			return ""
		}
		if key, ok := b.byIP[vpc+" "+norm]; ok {
			return key
		}
		key := "ip " + vpc + " " + norm
		b.reference(key, discovery.KindServer, norm, discovery.Identifier{Kind: ident.IP, Value: norm})
		return key
	case elbtypes.TargetTypeEnumLambda, elbtypes.TargetTypeEnumAlb:
		if _, err := ParseARN(id); err != nil {
			return ""
		}
		kind := discovery.KindApplication
		if typ == elbtypes.TargetTypeEnumAlb {
			kind = discovery.KindLoadBalancer
		}
		b.reference(id, kind, id, discovery.Identifier{Kind: ident.CloudID, Value: id})
		return id
	default: // instance
		if key, ok := b.instKeys[id]; ok {
			return key
		}
		if !strings.HasPrefix(id, "i-") {
			return ""
		}
		key := b.instanceKey(id, "")
		b.reference(key, discovery.KindVM, id, discovery.Identifier{Kind: ident.CloudID, Value: key}, discovery.Identifier{Kind: ident.CloudID, Value: id})
		return key
	}
}
