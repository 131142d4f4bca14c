// Package local is a discovery source that observes the machine it runs on,
// through gopsutil and a few files of /proc, /sys and /etc.
//
// It makes one SERVER observation keyed "local <hostname>", with the same
// fact names as the node_exporter source (and the ssh source) where they
// overlap, so that the record compares the same values whichever source saw
// the machine, and one observation per virtual machine or container it
// hosts (libvirt, Docker, Podman, LXC), each RUNS_ON the machine. It also
// reads the inventory the FusionInventory and OCS agents report: installed
// packages with their architectures (dpkg's status file, or rpm), BIOS,
// board and asset tag, memory modules (SMBIOS type 17), PCI devices and DNS
// servers. It is what the light agent ("cairn discover local") pushes to
// a Cairn server; a job of kind "local" observes the Cairn server's own
// host.
//
// Collect reads the machine into a Snapshot; (*Snapshot).Observation maps
// it. Both are exported so that the mapping can be tested with any machine.
package local

import (
	"context"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

// KindName is the job source kind this package implements.
const KindName = "local"

// KeyPrefix starts the observation's Key.
const KeyPrefix = "local "

// Config is the configuration of a local source. It has no settings: the
// machine is the one the source runs on. The only valid JSON is {} (or
// nothing).
type Config struct{}

// Interface guards.
var (
	_ discovery.Config = (*Config)(nil)
	_ discovery.Source = (*Source)(nil)
)

// DefaultConfig returns the (empty) configuration.
func DefaultConfig() *Config { return &Config{} }

// Kind describes the local source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Build returns the local source.
func (c *Config) Build() (discovery.Source, error) { return &Source{}, nil }

// Source observes the machine it runs on.
type Source struct{}

// Discover collects this machine's snapshot and returns the machine's
// observation and one per guest it hosts (see Snapshot.Observations),
// stamped with env.Now (or the current time). Env.Targets and
// Env.Credentials are ignored. A failure to read the host's identity, memory,
// mounts or network interfaces fails the run: a partial picture would make
// file systems or interfaces look gone.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	snap, err := Collect(ctx)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	obs := snap.Observations()
	for i := range obs {
		obs[i].SeenAt = now.UTC()
	}
	o := obs[0]
	if env.Logger != nil {
		for _, w := range snap.Warnings {
			env.Logger.WarnContext(ctx, "local source: "+w)
		}
		env.Logger.DebugContext(ctx, "local host observed", "key", o.Key, "facts", len(o.Facts), "identifiers", len(o.Identifiers), "guests", len(obs)-1)
	}
	return &discovery.Result{Observations: obs}, nil
}
