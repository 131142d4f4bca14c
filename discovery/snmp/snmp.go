// Package snmp is a discovery source that walks SNMP agents (v2c, or v3
// with or without authentication and privacy) over UDP.
//
// Every target that answers becomes one observation keyed "snmp <host>":
// its system group, interfaces, IP addresses, storage areas, devices and
// physical entities become fields, identifiers and facts (see FromPDUs for
// the exact mapping). Only numeric OIDs are used, so the source needs no MIB
// files, and only the columns it maps are walked, with GETBULK.
//
// Unless the setting "neighbours" is false, the source also reads LLDP-MIB
// (lldpLocChassisId, lldpLocPortTable, lldpRemTable, lldpRemManAddrTable)
// and CISCO-CDP-MIB (cdpGlobalRun, cdpCacheTable): every device connected
// to a port becomes a Reference observation keyed "neighbour <identity>",
// and the walked device gets a CONNECTS_TO relationship to it with the
// ports as attributes (see Observations and Neighbour). A neighbour seen
// by several walked devices of one run is one observation.
//
// Credentials come from the job's credentials, never from the
// configuration, and are never logged:
//
//   - v2c: "community";
//   - v3: "user"; "auth_password" and "auth_protocol" (MD5, SHA, SHA224,
//     SHA256, SHA384 or SHA512; default SHA); "priv_password" and
//     "priv_protocol" (DES, AES, AES192, AES256, AES192C or AES256C; default
//     AES). The security level follows from the passwords given:
//     noAuthNoPriv (neither), authNoPriv (auth_password) or authPriv (both).
//
// An agent stays silent when the community is wrong, exactly as a host that
// is down: such a target fails with "no answer (wrong community or host
// down)" after Timeout × (Retries+1). A v3 agent that rejects the user or
// its passwords fails the target with "authentication failed (check user
// and passwords)".
package snmp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/discovery"
)

// KindName is the job source kind this package implements.
const KindName = "snmp"

// The settings' bounds.
const (
	minTimeout = time.Millisecond
	maxTimeout = time.Minute
)

// Config is the configuration of an SNMP source, decoded from the job's
// JSON settings. A setting left out of the JSON keeps its default (see
// DefaultConfig); credentials are not settings (see the package
// documentation).
type Config struct {
	// Port is the agents' UDP port. Default 161.
	Port int `json:"port" validate:"min=1,max=65535"`
	// Version is the SNMP version: "2c" (community) or "3" (user-based
	// security). Default "2c".
	Version string `json:"version" validate:"oneof=2c 3"`
	// Timeout bounds each request, as a duration string such as "2s" or
	// "500ms" (1ms to 1m). A target that does not answer takes
	// Timeout × (Retries+1) to fail. Default "2s".
	Timeout discovery.Duration `json:"timeout"`
	// Retries is how many times a request that timed out is sent again.
	// Default 1.
	Retries int `json:"retries" validate:"min=0,max=10"`
	// Concurrency is how many targets are walked at once. Default 10.
	Concurrency int `json:"concurrency" validate:"min=1,max=1000"`
	// Rate is how many target walks may start per second; 0 means no
	// limit. Default 0.
	Rate float64 `json:"rate" validate:"min=0"`
	// MaxRepetitions is the number of rows asked for in each GETBULK
	// request. Default 25.
	MaxRepetitions int `json:"maxRepetitions" validate:"min=1,max=255"`
	// Neighbours says whether LLDP-MIB and CISCO-CDP-MIB are read too, to
	// report the devices connected to each port (Reference observations)
	// and the CONNECTS_TO relationships to them, with the ports as
	// attributes (see Observations). Default true.
	Neighbours bool `json:"neighbours"`
	// Hosts are targets (host names, addresses or CIDR ranges) walked in
	// addition to the job's scope. Default none.
	Hosts []string `json:"hosts"`
}

// Interface guards.
var (
	_ discovery.Config = (*Config)(nil)
	_ discovery.Source = (*Source)(nil)
)

// DefaultConfig returns the documented defaults: port 161, version "2c",
// timeout "2s", 1 retry, 10 targets at once, no rate limit, 25 repetitions,
// neighbours read, no extra hosts.
func DefaultConfig() *Config {
	return &Config{
		Port:           161,
		Version:        "2c",
		Timeout:        discovery.Duration(2 * time.Second),
		Retries:        1,
		Concurrency:    10,
		MaxRepetitions: 25,
		Neighbours:     true,
	}
}

// Kind describes the SNMP source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Build checks c and returns the source it describes.
func (c *Config) Build() (discovery.Source, error) {
	if err := discovery.Validate(c); err != nil {
		return nil, err
	}
	if t := time.Duration(c.Timeout); t < minTimeout || t > maxTimeout {
		return nil, fmt.Errorf("timeout: %s is not between %s and %s", t, minTimeout, maxTimeout)
	}
	if _, err := discovery.ExpandTargets(c.Hosts, 0); err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	cfg := *c
	cfg.Hosts = append([]string(nil), c.Hosts...)
	return &Source{cfg: cfg}, nil
}

// Source walks SNMP agents.
type Source struct {
	cfg Config
}

// Discover walks every target of env.Targets and the configured hosts and
// returns one observation per agent that answered, stamped with the time
// its walk ended. A target that fails is named in HostErrors and makes the
// result partial; when every target fails, or the credentials are missing
// or invalid, or there is no target, the run fails.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	sec, err := credentials(s.cfg.Version, env.Credentials)
	if err != nil {
		return nil, fmt.Errorf("snmp source: credentials: %w", err)
	}
	targets := append(append([]string(nil), env.Targets...), s.cfg.Hosts...)
	hosts, err := discovery.ExpandTargets(targets, 0)
	if err != nil {
		return nil, fmt.Errorf("snmp source: %w", err)
	}
	if len(hosts) == 0 {
		return nil, errors.New("snmp source: no targets: give the job a scope or set hosts")
	}
	opts := discovery.HostOptions{Concurrency: s.cfg.Concurrency, Rate: s.cfg.Rate}
	res, err := discovery.ForEachHost(ctx, hosts, opts, func(ctx context.Context, host string) ([]discovery.Observation, error) {
		start := time.Now()
		pdus, err := s.walk(ctx, host, sec)
		if err != nil {
			if env.Logger != nil {
				env.Logger.DebugContext(ctx, "snmp walk failed", "host", host, "version", s.cfg.Version, "security", sec.levelName(), "error", err)
			}
			return nil, err
		}
		obs, err := Observations(host, pdus, s.cfg.Neighbours)
		if err != nil {
			return nil, err
		}
		now := time.Now().UTC()
		for i := range obs {
			obs[i].SeenAt = now
		}
		if env.Logger != nil {
			env.Logger.DebugContext(ctx, "snmp walk", "host", host, "version", s.cfg.Version, "security", sec.levelName(),
				"values", len(pdus), "facts", len(obs[0].Facts), "neighbours", len(obs)-1, "elapsed", time.Since(start))
		}
		return obs, nil
	})
	if err != nil {
		return nil, err
	}
	res.Observations = MergeReferences(res.Observations)
	return res, nil
}

// Walk returns the values the source reads from one agent, in walk order.
// It is what Discover does for each target before FromPDUs; credentials
// are read as in Discover.
func (s *Source) Walk(ctx context.Context, host string, creds map[string]string) ([]gosnmp.SnmpPDU, error) {
	sec, err := credentials(s.cfg.Version, creds)
	if err != nil {
		return nil, fmt.Errorf("snmp source: credentials: %w", err)
	}
	return s.walk(ctx, host, sec)
}
