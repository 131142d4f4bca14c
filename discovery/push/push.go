// Package push is the source kind of jobs that receive observations from
// agents (cairn discover local) through the submitObservations mutation
// instead of collecting them on a schedule.
package push

import (
	"context"
	"errors"

	"github.com/cairn-cmdb/cairn/discovery"
)

// Name is the source kind.
const Name = "push"

// Config has no settings: agents bring their observations.
type Config struct{}

// Kind returns the registry entry of push jobs.
func Kind() discovery.Kind {
	return discovery.Kind{Name: Name, NewConfig: func() discovery.Config { return &Config{} }}
}

// Build returns a source that refuses to run: a push job's runs come from
// submitObservations.
func (*Config) Build() (discovery.Source, error) { return source{}, nil }

type source struct{}

var _ discovery.Source = source{}

// ErrPushOnly is the error of running a push job on a schedule or on demand.
var ErrPushOnly = errors.New("a push job receives observations from agents (submitObservations, cairn discover local); it cannot be run")

func (source) Discover(context.Context, discovery.Env) (*discovery.Result, error) {
	return nil, ErrPushOnly
}
