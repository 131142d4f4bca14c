// Package tcpscan is a discovery source that finds open TCP ports by
// connecting to them: a TCP connect scan in pure Go, which needs no root
// and no nmap.
//
// The source visits every host of the job's scope (plus Config.Hosts),
// tries to connect to each configured port, and for each port that accepts
// reads what the service says first (its banner, such as
// "SSH-2.0-OpenSSH_9.2p1"). A port that refuses the connection, or does not
// answer within the connect timeout, is not open; the source does not tell
// "closed" from "filtered".
//
// # Observations
//
// Every host with at least one open port becomes one SERVER observation:
//
//   - Key "tcpscan <ip>", Name the IP address, or the host name when the
//     target was given as one;
//   - Identifiers: the IP address (IP); for a host name target also the
//     name, as FQDN and its first label as HOSTNAME when it is dotted, as
//     HOSTNAME otherwise, with the record fields "fqdn" and "hostname" to
//     match (as the nmap source does for user-supplied names);
//   - Facts "open.tcp.<n>" = "open", or "open <banner>" when the service
//     spoke first (see Banners);
//   - CompleteFacts: the exact key of every scanned port (CompletePrefixes)
//     (see Closed ports);
//   - SeenAt: when the host's scan finished.
//
// A host with no open port, whether it refused every port, timed out on
// every port or does not exist, gives no observation and no error. A host
// name target is resolved, and the lowest of its addresses scanned (IPv4
// before IPv6), so the key stays the same from run to run; a name that does
// not resolve is that host's error, as is any connection failure other than
// refused, timed out, reset or host unreachable (for example "too many open
// files" or "network is unreachable", which say nothing about the port).
// Such errors make the run partial. Two targets that are the same address
// (a name and its address) give one observation.
//
// # Banners
//
// After a connection succeeds the source reads for up to
// Config.BannerTimeout, stopping at 256 bytes or the end of the first
// non-blank line, and keeps that line only when it is printable text: a
// binary greeting (MySQL's handshake, which carries a random salt; telnet
// negotiation) is not kept and the fact is plain "open". Because a fact
// that changes on every connection would be drift on every run, the line is
// also cut at the first sign of volatile content: a date ("Tue, 14 May
// 2024", "14 May 2024", "2024-05-14"), a time of day ("12:00:00"), or a
// "<", which starts the nonce of a POP3 APOP greeting. White space is
// collapsed, trailing punctuation left by a cut dropped, and the rest
// clipped to 100 characters. A service that waits for the client (HTTP,
// PostgreSQL, Redis) reads as plain "open". Other volatile banners will
// drift; set BannerTimeout to "0s" to keep no banners at all.
//
// # Closed ports
//
// CompleteFacts never claims a port the scan did not cover: a recorded
// "open.tcp.3000" fact of a host scanned only on port 22 says nothing about
// port 3000. So the observation lists the exact key of every scanned port
// (or the prefix "open.tcp." when the list is 1-65535); for those, a
// recorded open port the scan lacks is a port that closed.
package tcpscan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// KindName is the job source kind this package implements.
const KindName = "tcpscan"

// DefaultPorts is the port list scanned when a job sets none: SSH, HTTP,
// HTTPS, MySQL, PostgreSQL, Redis, HTTP alternate and Prometheus' node
// exporter.
const DefaultPorts = "22,80,443,3306,5432,6379,8080,9100"

// MaxConcurrency bounds Config.Concurrency; every attempt in flight holds a
// socket (a file descriptor).
const MaxConcurrency = 4096

// Config is the configuration of a TCP connect scan, decoded from the job's
// JSON settings. DefaultConfig holds the defaults named below.
type Config struct {
	// Ports is the list of TCP ports tried on every host, in nmap's basic
	// syntax ("22,80,443,8000-8100", see PortList). Default DefaultPorts.
	Ports PortList `json:"ports" validate:"required"`
	// Concurrency is how many connection attempts may be in flight at
	// once, over all hosts; an attempt keeps its slot while it reads a
	// banner. Default 256; 1 to MaxConcurrency.
	Concurrency int `json:"concurrency" validate:"min=1,max=4096"`
	// Rate is how many connection attempts may start per second, over all
	// hosts; 0, the default, is no limit.
	Rate float64 `json:"rate" validate:"gte=0"`
	// ConnectTimeout is how long an attempt waits for the connection to be
	// accepted before the port counts as not open. Default "1s"; must be
	// positive.
	ConnectTimeout discovery.Duration `json:"connectTimeout" validate:"gt=0"`
	// BannerTimeout is how long the source waits, after connecting, for
	// the service to say something (see the package documentation); "0s"
	// reads no banners. Default "500ms".
	BannerTimeout discovery.Duration `json:"bannerTimeout"`
	// Hosts are more targets, scanned with the job's scope: IPv4 or IPv6
	// addresses, CIDR ranges and host names, as discovery.ExpandTargets
	// reads them. Default none.
	Hosts []string `json:"hosts"`
}

// Interface guards.
var (
	_ discovery.Config = (*Config)(nil)
	_ discovery.Source = (*Source)(nil)
)

// DefaultConfig returns the documented defaults.
func DefaultConfig() *Config {
	return &Config{
		Ports:          DefaultPorts,
		Concurrency:    256,
		ConnectTimeout: discovery.Duration(time.Second),
		BannerTimeout:  discovery.Duration(500 * time.Millisecond),
	}
}

// Kind describes the tcpscan source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Build checks c and returns the scan it describes.
func (c *Config) Build() (discovery.Source, error) {
	ports, err := ParsePorts(string(c.Ports))
	if err != nil {
		return nil, fmt.Errorf("ports: %w", err)
	}
	switch {
	case c.Concurrency < 1 || c.Concurrency > MaxConcurrency:
		return nil, fmt.Errorf("concurrency: must be from 1 to %d, got %d", MaxConcurrency, c.Concurrency)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return nil, fmt.Errorf("rate: must be a number of attempts per second, 0 or more, got %v", c.Rate)
	case c.ConnectTimeout <= 0:
		return nil, fmt.Errorf("connectTimeout: must be positive, got %s", c.ConnectTimeout)
	case c.BannerTimeout < 0:
		return nil, fmt.Errorf("bannerTimeout: must not be negative, got %s", c.BannerTimeout)
	}
	if _, err := discovery.ExpandTargets(c.Hosts, 0); err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	return &Source{
		ports:          ports,
		complete:       CompletePrefixes(ports),
		concurrency:    c.Concurrency,
		rate:           c.Rate,
		connectTimeout: time.Duration(c.ConnectTimeout),
		bannerTimeout:  time.Duration(c.BannerTimeout),
		hosts:          slices.Clone(c.Hosts),
		volatile:       regexp.MustCompile(volatilePattern),
	}, nil
}

// Source is a built TCP connect scan. It is safe for concurrent use; each
// Discover call has its own concurrency and rate budget.
type Source struct {
	ports          PortSet
	complete       []string
	concurrency    int
	rate           float64
	connectTimeout time.Duration
	bannerTimeout  time.Duration
	hosts          []string
	volatile       *regexp.Regexp
}

// Discover scans env.Targets and the configured hosts and returns one
// observation per host with an open port (see the package documentation).
// No targets at all is an error, so that an empty scope never reads as
// "every host has gone".
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	targets := append(slices.Clone(env.Targets), s.hosts...)
	hosts, err := discovery.ExpandTargets(targets, 0)
	if err != nil {
		return nil, fmt.Errorf("tcpscan: %w", err)
	}
	if len(hosts) == 0 {
		return nil, errors.New("tcpscan: no hosts to scan: the job's scope has no targets and hosts is empty")
	}
	start := time.Now()
	sc := &scan{src: s, jobs: make(chan func())}
	if s.rate > 0 {
		sc.limit = rate.NewLimiter(rate.Limit(s.rate), 1)
	}
	// A fixed set of workers makes the attempts: an unbuffered channel
	// hands each a job only when it is free, so they bound the attempts
	// in flight, and their stacks, already grown, are reused.
	var workers sync.WaitGroup
	for range min(s.concurrency, len(hosts)*s.ports.Len()) {
		workers.Go(func() {
			for job := range sc.jobs {
				job()
			}
		})
	}
	// Hosts are visited together so that their attempts interleave and the
	// workers stay busy; the workers, not the host count, bound the
	// attempts in flight.
	res, err := discovery.ForEachHost(ctx, hosts, discovery.HostOptions{Concurrency: s.concurrency}, sc.host)
	close(sc.jobs)
	workers.Wait()
	if err != nil {
		return nil, fmt.Errorf("tcpscan: %w", err)
	}
	res.Observations = mergeSameKey(res.Observations)
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "tcp scan done", "hosts", len(hosts), "ports", s.ports.String(),
			"observations", len(res.Observations), "hostErrors", len(res.HostErrors), "elapsed", time.Since(start))
	}
	return res, nil
}

// scan is one Discover call's shared budget.
type scan struct {
	src   *Source
	jobs  chan func()   // attempts, to the workers
	limit *rate.Limiter // nil: no rate limit
}

// host scans one target and returns its observation, if any.
func (sc *scan) host(ctx context.Context, target string) ([]discovery.Observation, error) {
	addr, name, err := resolve(ctx, target)
	if err != nil {
		return nil, err
	}
	open, err := sc.ports(ctx, addr)
	if err != nil {
		return nil, err
	}
	if len(open) == 0 {
		return nil, nil
	}
	return []discovery.Observation{sc.src.observation(addr, name, open, time.Now().UTC())}, nil
}

// resolve returns the address to scan for target and, when target is a
// host name, the name.
func resolve(ctx context.Context, target string) (netip.Addr, string, error) {
	if a, err := netip.ParseAddr(target); err == nil {
		return a.Unmap(), "", nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", target)
	if err != nil {
		return netip.Addr{}, "", fmt.Errorf("resolving %s: %w", target, err)
	}
	if len(addrs) == 0 {
		return netip.Addr{}, "", fmt.Errorf("resolving %s: no addresses", target)
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	// netip orders IPv4 before IPv6; the lowest address keeps the key
	// stable whatever order DNS answers in.
	slices.SortFunc(addrs, netip.Addr.Compare)
	return addrs[0], strings.TrimSuffix(target, "."), nil
}

// ports tries every configured port of addr and returns the open ones with
// their banners ("" for none). The first connection failure that is not an
// answer about the port stops the host and is returned.
func (sc *scan) ports(ctx context.Context, addr netip.Addr) (map[uint16]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		open = map[uint16]string{}
		wg   sync.WaitGroup
	)
loop:
	for port := range sc.src.ports.All() {
		if sc.limit != nil {
			if err := sc.limit.Wait(ctx); err != nil {
				cancel(err) // the run's deadline comes before the next turn
				break loop
			}
		}
		wg.Add(1)
		job := func() {
			defer wg.Done()
			isOpen, banner, err := sc.probe(ctx, netip.AddrPortFrom(addr, port))
			switch {
			case err != nil:
				cancel(fmt.Errorf("port %d: %w", port, err))
			case isOpen:
				mu.Lock()
				open[port] = banner
				mu.Unlock()
			}
		}
		select {
		case sc.jobs <- job:
		case <-ctx.Done():
			wg.Done()
			break loop
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return open, nil
}

// observation builds the observation of a host with open ports.
func (s *Source) observation(addr netip.Addr, name string, open map[uint16]string, seen time.Time) discovery.Observation {
	ip := addr.String()
	o := discovery.Observation{
		Key:         "tcpscan " + ip,
		Kind:        discovery.KindServer,
		Name:        ip,
		Identifiers: []discovery.Identifier{{Kind: ident.IP, Value: ip}},
		Facts:       make(map[string]string, len(open)),
		SeenAt:      seen,
	}
	if len(s.complete) > 0 {
		o.CompleteFacts = slices.Clone(s.complete)
	}
	if name != "" {
		o.Name = name
		o.AddHostName(name)
	}
	for port, banner := range open {
		v := "open"
		if banner != "" {
			v += " " + banner
		}
		o.Facts[FactPrefix+strconv.Itoa(int(port))] = v
	}
	return o
}

// mergeSameKey folds observations of the same address (a host name and its
// address both in scope) into the first, preferring a host name as Name.
func mergeSameKey(obs []discovery.Observation) []discovery.Observation {
	index := make(map[string]int, len(obs))
	out := obs[:0]
	for _, o := range obs {
		i, dup := index[o.Key]
		if !dup {
			index[o.Key] = len(out)
			out = append(out, o)
			continue
		}
		m := &out[i]
		for _, id := range o.Identifiers {
			if !slices.Contains(m.Identifiers, id) {
				m.Identifiers = append(m.Identifiers, id)
			}
		}
		for k, v := range o.Fields {
			if m.Fields == nil {
				m.Fields = map[string]string{}
			}
			if _, ok := m.Fields[k]; !ok {
				m.Fields[k] = v
			}
		}
		for k, v := range o.Facts {
			if old, ok := m.Facts[k]; !ok || old == "closed" {
				m.Facts[k] = v // an open port wins over a closed one
			}
		}
		if m.Name == strings.TrimPrefix(m.Key, "tcpscan ") {
			m.Name = o.Name
		}
		if o.SeenAt.After(m.SeenAt) {
			m.SeenAt = o.SeenAt
		}
	}
	return out
}
