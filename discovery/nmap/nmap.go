// Package nmap is a discovery source that reads nmap's XML output (the file
// written by "nmap -oX FILE").
//
// Every host nmap reports up becomes one observation keyed
// "host <address>": its addresses and host names are identifiers, its open
// ports are facts ("port.tcp.22" = "ssh OpenSSH 9.2p1 ..."), and the scan is
// taken to report open ports in full, so a recorded port fact the scan lacks
// has closed. See Parse for the exact mapping.
//
// The source never runs nmap itself: it reads a file that a scheduled scan
// wrote. Parse is exported so that a source which runs nmap can share the
// mapping.
package nmap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

// KindName is the job source kind this package implements.
const KindName = "nmap"

// Config is the configuration of an nmap source, decoded from the job's JSON
// settings.
type Config struct {
	// File is the path of an nmap XML output file ("nmap -oX FILE"), read
	// on every run. A saved job's file must lie in a discovery directory
	// (--discovery-dir), where a relative path is taken (see
	// discovery.Confinement); a one-off run's relative path is relative to
	// the working directory. Required; there is no default.
	File string `json:"file" validate:"required"`
}

// Interface guards.
var (
	_ discovery.Config   = (*Config)(nil)
	_ discovery.Confined = (*Config)(nil)
	_ discovery.Source   = (*Source)(nil)
)

// Confine implements discovery.Confined: File must be a regular file in
// the discovery directories; the source reads the file it resolves to.
func (c *Config) Confine(cf *discovery.Confinement) error {
	real, err := cf.Input("file", c.File)
	if err != nil {
		return err
	}
	c.File = real
	return nil
}

// DefaultConfig returns the documented defaults: every setting empty, which
// does not validate until File is set.
func DefaultConfig() *Config { return &Config{} }

// Kind describes the nmap source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Build returns the source that reads c.File.
func (c *Config) Build() (discovery.Source, error) {
	if c.File == "" {
		return nil, errors.New("file: is required")
	}
	return &Source{file: c.File}, nil
}

// Source reads one nmap XML file per run.
type Source struct {
	file string
}

// Discover reads the configured file and returns one observation per host
// that was up. A scan nmap reports as failed, or that scanned no address,
// fails the run; hosts whose status the file lacks make it partial (see
// Parse). An observation whose scan recorded no time at all is stamped
// with env.Now (or the current time when env.Now is zero). Env.Targets are
// ignored: the file decides what was scanned.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.file)
	if err != nil {
		return nil, fmt.Errorf("nmap source: %w", err)
	}
	defer f.Close()
	res, err := Parse(ctxReader{ctx: ctx, r: f}, s.file)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	for i := range res.Observations {
		if res.Observations[i].SeenAt.IsZero() {
			res.Observations[i].SeenAt = now.UTC()
		}
	}
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "nmap scan read", "file", s.file, "hosts", len(res.Observations), "partial", res.Partial)
	}
	return res, nil
}

// ctxReader stops a long parse when the run is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
