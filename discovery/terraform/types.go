package terraform

import (
	"sort"

	"github.com/cairn-cmdb/cairn/discovery"
)

// Providers, as reported in the fact "cloud.provider".
const (
	providerAWS     = "aws"
	providerGCP     = "gcp"
	providerAzure   = "azure"
	providerVSphere = "vsphere"
)

// fact is one fact read from the first of paths that holds a value.
type fact struct {
	key   string
	paths []string
}

// spec says how instances of one resource type become observations.
//
// A path is a dotted path into an instance's attributes: "private_ip",
// "tags.Name", and "*" for every element of a list, as in
// "network_interface.*.network_ip". A path whose value is absent or null
// yields nothing.
type spec struct {
	provider string
	kind     string
	// names: the observation's name is the first non-empty value; the
	// resource address when none has one.
	names []string
	// Identifier sources. Each path yields strings or lists of strings.
	cloudIDs []string
	uuids    []string
	macs     []string
	ips      []string
	// hosts are host names: FQDN when dotted, HOSTNAME otherwise; also the
	// record fields "fqdn" and "hostname".
	hosts []string
	// endpoints are DNS names of a service endpoint: FQDN only.
	endpoints []string
	// tags: tag maps, later ones winning on a shared key.
	tags []string
	// region, zone and location feed cloud.region and cloud.zone (see
	// placement).
	region, zone, location []string
	// engine is the database engine a type implies ("" when an attribute
	// says it).
	engine string
	facts  []fact
}

// specs returns the table of supported resource types. It is built afresh
// on every call, so that no caller can change another's.
func specs() map[string]spec {
	awsTags := []string{"tags_all", "tags"}
	awsName := []string{"tags.Name", "tags_all.Name"}
	gcpLabels := []string{"effective_labels", "labels"}
	azureTags := []string{"tags"}
	aws := func(kind string, s spec) spec {
		s.provider, s.kind = providerAWS, kind
		s.cloudIDs = append([]string{"arn"}, s.cloudIDs...)
		s.tags = awsTags
		s.region = []string{"region"}
		if s.zone == nil {
			s.zone = []string{"availability_zone"}
		}
		return s
	}
	gcp := func(kind string, s spec) spec {
		s.provider, s.kind = providerGCP, kind
		s.cloudIDs = append([]string{"self_link"}, s.cloudIDs...)
		if s.names == nil {
			s.names = []string{"name"}
		}
		if s.tags == nil {
			s.tags = gcpLabels
		}
		s.region, s.zone, s.location = []string{"region"}, []string{"zone"}, []string{"location"}
		return s
	}
	azure := func(kind string, s spec) spec {
		s.provider, s.kind = providerAzure, kind
		s.names = []string{"name"}
		s.cloudIDs = []string{"id"}
		s.tags = azureTags
		s.location = []string{"location"}
		if s.zone == nil {
			s.zone = []string{"zone"}
		}
		return s
	}
	dbInstanceVersion := fact{"engine_version", []string{"engine_version_actual", "engine_version"}}
	network := func(s spec) spec {
		s.facts = append(s.facts, fact{"cidr", []string{"cidr_block"}})
		return aws(discovery.KindCloudResource, s)
	}
	lb := aws(discovery.KindLoadBalancer, spec{
		names:     []string{"name"},
		endpoints: []string{"dns_name"},
		facts:     []fact{{"lb.type", []string{"load_balancer_type"}}},
	})
	azureVM := azure(discovery.KindVM, spec{
		ips:   []string{"private_ip_address", "private_ip_addresses", "public_ip_address", "public_ip_addresses"},
		hosts: []string{"computer_name"},
		facts: []fact{
			{"instance.type", []string{"size"}},
			{"image", []string{"source_image_id"}},
		},
	})
	azureFlexible := func(engine string) spec {
		return azure(discovery.KindDatabase, spec{
			engine:    engine,
			endpoints: []string{"fqdn"},
			facts: []fact{
				{"engine_version", []string{"version"}},
				{"instance.type", []string{"sku_name"}},
			},
		})
	}

	return map[string]spec{
		// AWS
		"aws_instance": aws(discovery.KindVM, spec{
			names:    awsName,
			cloudIDs: []string{"id"},
			ips:      []string{"private_ip", "public_ip", "secondary_private_ips", "ipv6_addresses"},
			hosts:    []string{"private_dns", "public_dns"},
			facts: []fact{
				{"instance.type", []string{"instance_type"}},
				{"image", []string{"ami"}},
				{"state", []string{"instance_state"}},
			},
		}),
		"aws_db_instance": aws(discovery.KindDatabase, spec{
			names:     []string{"identifier"},
			cloudIDs:  []string{"resource_id"},
			endpoints: []string{"address"},
			facts: []fact{
				{"instance.type", []string{"instance_class"}},
				{"engine", []string{"engine"}},
				dbInstanceVersion,
				{"state", []string{"status"}},
			},
		}),
		"aws_rds_cluster": aws(discovery.KindDatabase, spec{
			names:     []string{"cluster_identifier"},
			cloudIDs:  []string{"cluster_resource_id"},
			endpoints: []string{"endpoint"},
			zone:      []string{},
			facts: []fact{
				{"instance.type", []string{"db_cluster_instance_class"}},
				{"engine", []string{"engine"}},
				dbInstanceVersion,
			},
		}),
		"aws_elasticache_cluster": aws(discovery.KindDatabase, spec{
			names:     []string{"cluster_id"},
			endpoints: []string{"cluster_address", "cache_nodes.*.address"},
			facts: []fact{
				{"instance.type", []string{"node_type"}},
				{"engine", []string{"engine"}},
				dbInstanceVersion,
			},
		}),
		"aws_lb":  lb,
		"aws_alb": lb,
		"aws_elb": aws(discovery.KindLoadBalancer, spec{
			names:     []string{"name"},
			endpoints: []string{"dns_name"},
			zone:      []string{},
		}),
		"aws_s3_bucket": aws(discovery.KindStorage, spec{
			names: []string{"bucket"},
			zone:  []string{},
		}),
		"aws_ebs_volume": aws(discovery.KindStorage, spec{
			names:    awsName,
			cloudIDs: []string{"id"},
		}),
		"aws_efs_file_system": aws(discovery.KindStorage, spec{
			names:     append([]string{"name"}, awsName...),
			cloudIDs:  []string{"id"},
			endpoints: []string{"dns_name"},
			zone:      []string{"availability_zone_name"},
			facts:     []fact{{"state", []string{"life_cycle_state"}}},
		}),
		"aws_eks_cluster": aws(discovery.KindCluster, spec{
			names: []string{"name"},
			zone:  []string{},
			facts: []fact{
				{"kubernetes.version", []string{"version"}},
				{"state", []string{"status"}},
			},
		}),
		"aws_ecs_cluster": aws(discovery.KindCluster, spec{
			names: []string{"name"},
			zone:  []string{},
		}),
		"aws_lambda_function": aws(discovery.KindApplication, spec{
			names: []string{"function_name"},
			zone:  []string{},
			facts: []fact{{"runtime", []string{"runtime"}}},
		}),
		"aws_vpc": network(spec{
			names:    awsName,
			cloudIDs: []string{"id"},
			zone:     []string{},
		}),
		"aws_subnet": network(spec{
			names:    awsName,
			cloudIDs: []string{"id"},
		}),
		"aws_security_group": aws(discovery.KindCloudResource, spec{
			names:    []string{"name"},
			cloudIDs: []string{"id"},
			zone:     []string{},
		}),

		// Google Cloud
		"google_compute_instance": gcp(discovery.KindVM, spec{
			cloudIDs: []string{"id"},
			ips:      []string{"network_interface.*.network_ip", "network_interface.*.access_config.*.nat_ip"},
			hosts:    []string{"hostname", "name"},
			facts: []fact{
				{"instance.type", []string{"machine_type"}},
				{"image", []string{"boot_disk.*.initialize_params.*.image"}},
				{"state", []string{"current_status"}},
			},
		}),
		"google_sql_database_instance": gcp(discovery.KindDatabase, spec{
			ips:   []string{"ip_address.*.ip_address", "private_ip_address", "public_ip_address"},
			tags:  []string{"settings.*.user_labels"},
			facts: []fact{{"instance.type", []string{"settings.*.tier"}}},
		}),
		"google_container_cluster": gcp(discovery.KindCluster, spec{
			cloudIDs: []string{"id"},
			ips:      []string{"endpoint"},
			tags:     []string{"effective_labels", "resource_labels"},
			facts:    []fact{{"kubernetes.version", []string{"master_version"}}},
		}),
		"google_storage_bucket": gcp(discovery.KindStorage, spec{
			facts: []fact{{"storage.class", []string{"storage_class"}}},
		}),
		"google_compute_forwarding_rule": gcp(discovery.KindLoadBalancer, spec{
			cloudIDs: []string{"id"},
			ips:      []string{"ip_address"},
			facts:    []fact{{"lb.type", []string{"load_balancing_scheme"}}},
		}),

		// Azure
		"azurerm_linux_virtual_machine":   azureVM,
		"azurerm_windows_virtual_machine": azureVM,
		"azurerm_virtual_machine": azure(discovery.KindVM, spec{
			hosts: []string{"os_profile.*.computer_name"},
			zone:  []string{"zones"},
			facts: []fact{{"instance.type", []string{"vm_size"}}},
		}),
		"azurerm_kubernetes_cluster": azure(discovery.KindCluster, spec{
			endpoints: []string{"fqdn", "private_fqdn"},
			facts: []fact{
				{"kubernetes.version", []string{"current_kubernetes_version", "kubernetes_version"}},
			},
		}),
		"azurerm_mssql_server": azure(discovery.KindDatabase, spec{
			engine:    "sqlserver",
			endpoints: []string{"fully_qualified_domain_name"},
			facts:     []fact{{"engine_version", []string{"version"}}},
		}),
		"azurerm_postgresql_flexible_server": azureFlexible("postgres"),
		"azurerm_mysql_flexible_server":      azureFlexible("mysql"),
		"azurerm_storage_account": azure(discovery.KindStorage, spec{
			endpoints: []string{"primary_blob_host"},
		}),
		"azurerm_lb": azure(discovery.KindLoadBalancer, spec{
			ips:   []string{"frontend_ip_configuration.*.private_ip_address", "private_ip_addresses"},
			facts: []fact{{"lb.type", []string{"sku"}}},
		}),

		// vSphere
		"vsphere_virtual_machine": {
			provider: providerVSphere,
			kind:     discovery.KindVM,
			names:    []string{"name"},
			uuids:    []string{"uuid"},
			macs:     []string{"network_interface.*.mac_address"},
			ips:      []string{"default_ip_address", "guest_ip_addresses"},
			hosts:    []string{"name"},
			facts: []fact{
				{"cpu", []string{"num_cpus"}},
				{"memory_mb", []string{"memory"}},
				{"state", []string{"power_state"}},
			},
		},
	}
}

// SupportedTypes returns the resource types the source reads, sorted.
func SupportedTypes() []string {
	table := specs()
	out := make([]string, 0, len(table))
	for t := range table {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
