// Package install builds the registry of every discovery source kind this
// binary carries. Adding a source means adding it here.
package install

import (
	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/agent"
	"github.com/cairn-cmdb/cairn/discovery/aws"
	"github.com/cairn-cmdb/cairn/discovery/file"
	"github.com/cairn-cmdb/cairn/discovery/local"
	"github.com/cairn-cmdb/cairn/discovery/nmap"
	"github.com/cairn-cmdb/cairn/discovery/nodeexporter"
	"github.com/cairn-cmdb/cairn/discovery/push"
	"github.com/cairn-cmdb/cairn/discovery/snmp"
	"github.com/cairn-cmdb/cairn/discovery/ssh"
	"github.com/cairn-cmdb/cairn/discovery/tcpscan"
	"github.com/cairn-cmdb/cairn/discovery/terraform"
	"github.com/cairn-cmdb/cairn/discovery/vsphere"
)

// Registry returns a registry of all built-in source kinds.
func Registry() *discovery.Registry {
	r, err := discovery.NewRegistry(agent.Kind(), aws.Kind(), file.Kind(), local.Kind(), nmap.Kind(), nmap.ScanKind(), nodeexporter.Kind(), push.Kind(), snmp.Kind(), ssh.Kind(), tcpscan.Kind(), terraform.Kind(), vsphere.Kind())
	if err != nil {
		// The kinds above have distinct names; a duplicate is a programming
		// error caught by TestRegistry.
		panic(err)
	}
	return r
}
