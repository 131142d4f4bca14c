package agent

import (
	"context"
	"errors"

	"github.com/cairn-cmdb/cairn/discovery"
)

// Name is the source kind of jobs that receive FusionInventory and OCS
// Inventory agents' inventories.
const Name = "agent"

// DefaultMaxBodyBytes is the default limit on an inflated request body:
// 8 MiB, about ten times a Debian desktop's inventory with 1,000 packages.
const DefaultMaxBodyBytes = 8 << 20

// MaxMaxBodyBytes is the largest limit a job may set.
const MaxMaxBodyBytes = 1 << 30

// Config is an agent job's configuration, for example
// {"anonymous": false, "maxBodyBytes": 8388608}.
type Config struct {
	// Anonymous accepts inventories from agents that send no credentials.
	// Default false: an agent must authenticate with a token that may send
	// data. Anonymous intake lets anyone who reaches the server write CIs
	// and is unsafe outside a closed lab.
	Anonymous bool `json:"anonymous"`
	// MaxBodyBytes is the largest request body accepted once inflated;
	// 0 (the default) means DefaultMaxBodyBytes. A compressed body that
	// inflates past it is refused before more is inflated.
	MaxBodyBytes int64 `json:"maxBodyBytes" validate:"gte=0,lte=1073741824"`
}

// Limit returns the inflated-size limit: MaxBodyBytes, or
// DefaultMaxBodyBytes when it is not set.
func (c *Config) Limit() int64 {
	if c == nil || c.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return c.MaxBodyBytes
}

// Kind returns the registry entry of agent jobs.
func Kind() discovery.Kind {
	return discovery.Kind{Name: Name, NewConfig: func() discovery.Config { return &Config{} }}
}

// Build returns a source that refuses to run: an agent job's runs come
// from the agents, over HTTP.
func (*Config) Build() (discovery.Source, error) { return source{}, nil }

type source struct{}

var _ discovery.Source = source{}

// ErrAgentOnly is the error of running an agent job on a schedule or on
// demand.
var ErrAgentOnly = errors.New("an agent job receives inventories from FusionInventory and OCS Inventory agents over HTTP (/api/v1/agents/ocs/<job>); it cannot be run")

func (source) Discover(context.Context, discovery.Env) (*discovery.Result, error) {
	return nil, ErrAgentOnly
}
