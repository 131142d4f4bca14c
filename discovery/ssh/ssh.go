// Package ssh is an agentless discovery source: it logs in to each target
// host over SSH, runs one fixed, read-only POSIX sh script (the embedded
// inventory.sh, sent on standard input to "sh -s") and maps what the script
// prints to one observation per host. Nothing is installed on the host and
// nothing there is changed.
//
// # Targets, credentials and host keys
//
// The hosts visited are the job's scope targets plus Config.Hosts: host
// names, IPv4/IPv6 addresses and CIDR ranges (see discovery.ExpandTargets),
// or "host:port" to reach one host on a port other than Config.Port.
//
// The login credentials come from the job's sealed credentials (Env.Credentials),
// never from the configuration: "private_key" (a PEM or OpenSSH private
// key) with an optional "passphrase", and/or "password" (tried after the key,
// as password and as keyboard-interactive authentication). They are never
// logged and never appear in an error.
//
// Every host key is checked against Config.KnownHostsFile, which is read at
// the start of each run. A host whose key is not there is an error that names
// the host and the key's fingerprint, unless Config.TrustOnFirstUse is set:
// then the key is appended to the file and accepted. A key that differs from
// the recorded one, or a revoked key, is always an error.
//
// # Observations
//
// See Parse for the mapping of the script's output to an observation: one
// SERVER (or VM) per host, keyed "ssh <host>", with the host's names, machine
// and firmware UUIDs, serial number, MAC and global IP addresses as
// identifiers, and facts about its OS, kernel, CPU, memory, disks, file
// systems, network, listening ports and installed packages.
//
// A host that cannot be reached, refuses the login or times out is reported
// in Result.HostErrors and makes the run partial; the run fails only when
// every host fails.
package ssh

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/cairn-cmdb/cairn/discovery"
)

// KindName is the job source kind this package implements.
const KindName = "ssh"

//go:embed inventory.sh
var script string

// Script returns the inventory script run on every host as
// "sh -s -- NONCE", where NONCE is a random word that marks the sections of
// its output (see Parse). It only reads.
func Script() string { return script }

// Default settings.
const (
	DefaultPort           = 22
	DefaultConcurrency    = 10
	DefaultTimeout        = 30 * time.Second
	DefaultKnownHostsFile = "known_hosts"
)

// maxTimeout bounds Config.Timeout.
const maxTimeout = 24 * time.Hour

// Config is the configuration of an SSH inventory source, decoded from the
// job's JSON settings.
type Config struct {
	// Port is the TCP port of the hosts' SSH servers. A target written
	// "host:port" uses its own port instead. Default 22.
	Port int `json:"port" validate:"min=1,max=65535"`
	// User is the login name on every host. Required.
	User string `json:"user" validate:"required,max=256"`
	// Concurrency is how many hosts are inventoried at once. Default 10.
	Concurrency int `json:"concurrency" validate:"min=1,max=1000"`
	// Rate is how many host connections may start per second; 0 (the
	// default) means no limit.
	Rate float64 `json:"rate" validate:"min=0"`
	// Timeout bounds each host's visit (connect, log in, run the script,
	// read its output), as a duration such as "30s" or "2m", or a number
	// of seconds. Default "30s".
	Timeout discovery.Duration `json:"timeout" validate:"gt=0"`
	// KnownHostsFile is the OpenSSH known_hosts file the host keys are
	// checked against. A saved job's file must lie in a discovery
	// directory (--discovery-dir), where a relative path is taken (see
	// discovery.Confinement); a leading "~/" is the home directory of the
	// user Cairn runs as. Default "known_hosts" (in the first discovery
	// directory).
	KnownHostsFile string `json:"knownHostsFile" validate:"required"`
	// TrustOnFirstUse accepts the key of a host the known_hosts file does
	// not know and appends it to the file (creating the file if needed).
	// Default false: an unknown host key is an error naming the host and
	// the key's fingerprint. A changed key is an error either way.
	TrustOnFirstUse bool `json:"trustOnFirstUse"`
	// Hosts are targets added to the job's scope targets: host names,
	// addresses, CIDR ranges or "host:port". Default none.
	Hosts []string `json:"hosts" validate:"max=65536,dive,required"`
}

// Interface guards.
var (
	_ discovery.Config   = (*Config)(nil)
	_ discovery.Confined = (*Config)(nil)
	_ discovery.Source   = (*Source)(nil)
)

// DefaultConfig returns the documented defaults. It does not validate until
// User is set.
func DefaultConfig() *Config {
	return &Config{
		Port:           DefaultPort,
		Concurrency:    DefaultConcurrency,
		Timeout:        discovery.Duration(DefaultTimeout),
		KnownHostsFile: DefaultKnownHostsFile,
	}
}

// Kind describes the SSH source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Confine implements discovery.Confined: KnownHostsFile must lie in the
// discovery directories, an existing one a regular file; with
// TrustOnFirstUse a missing one may be created there (its directory must
// exist). The source uses the file it resolves to.
func (c *Config) Confine(cf *discovery.Confinement) error {
	file, err := expandHome(c.KnownHostsFile)
	if err != nil {
		return fmt.Errorf("knownHostsFile: %w", err)
	}
	if c.TrustOnFirstUse {
		file, err = cf.Output("knownHostsFile", file)
	} else {
		file, err = cf.Input("knownHostsFile", file)
	}
	if err != nil {
		return err
	}
	c.KnownHostsFile = file
	return nil
}

// Build checks c and returns the source it describes: the settings'
// ranges, the user name, the hosts (which must expand, see
// discovery.ExpandTargets), and the known_hosts file, which must exist
// unless TrustOnFirstUse is set (then its directory must).
func (c *Config) Build() (discovery.Source, error) {
	if err := discovery.Validate(c); err != nil {
		return nil, err
	}
	if strings.IndexFunc(c.User, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return nil, errors.New("user: must not contain white space or control characters")
	}
	if c.Timeout <= 0 || time.Duration(c.Timeout) > maxTimeout {
		return nil, fmt.Errorf("timeout: must be positive and at most %s", maxTimeout)
	}
	if _, err := discovery.ExpandTargets(c.Hosts, 0); err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	file, err := expandHome(c.KnownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("knownHostsFile: %w", err)
	}
	if fi, err := os.Stat(file); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("knownHostsFile: %s is a directory", file)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("knownHostsFile: %w", err)
	} else if !c.TrustOnFirstUse {
		return nil, fmt.Errorf("knownHostsFile: %s does not exist; record the hosts' keys there (ssh-keyscan) or set trustOnFirstUse", file)
	} else if fi, err := os.Stat(filepath.Dir(file)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("knownHostsFile: directory %s does not exist", filepath.Dir(file))
	}
	cfg := *c
	cfg.KnownHostsFile = file
	cfg.Hosts = append([]string(nil), c.Hosts...)
	return &Source{cfg: cfg, mu: &sync.Mutex{}, now: time.Now}, nil
}

// expandHome resolves a leading "~/" (or a lone "~") to the home directory.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot resolve %q: %w", p, err)
	}
	return filepath.Join(home, strings.TrimPrefix(p[1:], "/")), nil
}
