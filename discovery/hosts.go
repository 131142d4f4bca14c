package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// MaxTargets bounds how many addresses a scope may expand to.
const MaxTargets = 1 << 16

// ExpandTargets turns a scope's targets (host names, IPv4/IPv6 addresses and
// CIDR ranges; a host name may carry ":port", see CheckHostName) into the
// list of hosts to visit, in order and without duplicates. Network and broadcast addresses of IPv4 ranges wider than /31
// are left out. More than max hosts (MaxTargets when max <= 0) is an error.
func ExpandTargets(targets []string, max int) ([]string, error) {
	if max <= 0 {
		max = MaxTargets
	}
	var out []string
	seen := map[string]bool{}
	add := func(h string) error {
		if seen[h] {
			return nil
		}
		if len(out) >= max {
			return fmt.Errorf("targets expand to more than %d hosts", max)
		}
		seen[h] = true
		out = append(out, h)
		return nil
	}
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "-") {
			return nil, fmt.Errorf("target %q starts with '-'", textclip.Message(t))
		}
		if !strings.Contains(t, "/") {
			if a, err := netip.ParseAddr(t); err == nil {
				if err := add(a.String()); err != nil {
					return nil, err
				}
				continue
			}
			if err := CheckHostName(t); err != nil {
				return nil, err
			}
			if err := add(strings.ToLower(t)); err != nil {
				return nil, err
			}
			continue
		}
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", textclip.Message(t), err)
		}
		p = p.Masked()
		bits := p.Addr().BitLen() - p.Bits()
		if bits > 20 {
			return nil, fmt.Errorf("target %q: range too large (more than %d hosts)", t, 1<<20)
		}
		a := p.Addr()
		skipEnds := p.Addr().Is4() && p.Bits() < 31
		n := 1 << bits
		for i := 0; i < n; i, a = i+1, a.Next() {
			if skipEnds && (i == 0 || i == n-1) {
				continue
			}
			if err := add(a.String()); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// CheckHostName is the rule for a target that is not an address or a range:
// a host name of letters, digits, '.', '-' and '_' (at most 253 of them)
// that starts with a letter, digit or '_', optionally followed by ":port"
// (1 to 65535); "[v6]:port" is an IPv6 address with a port. Nothing that
// starts with '-' passes, so no target is ever read as a program's option.
func CheckHostName(t string) error {
	if strings.HasPrefix(t, "-") {
		return fmt.Errorf("target %q starts with '-'", textclip.Message(t))
	}
	name := t
	if h, p, err := net.SplitHostPort(t); err == nil {
		n, perr := strconv.ParseUint(p, 10, 16)
		if perr != nil || n == 0 {
			return fmt.Errorf("target %q: port must be a number from 1 to 65535", textclip.Message(t))
		}
		if _, aerr := netip.ParseAddr(h); aerr == nil {
			return nil
		}
		name = h
	}
	bad := name == "" || len(name) > 253 || name[0] == '.' || name[0] == '-' || strings.Contains(name, "..")
	for i := 0; i < len(name) && !bad; i++ {
		c := name[i]
		bad = !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_')
	}
	if bad {
		return fmt.Errorf("target %q is neither an IP address nor a host name", textclip.Message(t))
	}
	return nil
}

// HostOptions bound a per-host visit.
type HostOptions struct {
	// Concurrency is how many hosts are visited at once (at least 1).
	Concurrency int
	// Rate is how many host visits may start per second; 0 means no limit.
	Rate float64
	// Timeout bounds each host's visit; 0 means none.
	Timeout time.Duration
}

// ForEachHost calls visit for every host with the given concurrency, rate
// and per-host timeout, and gathers the observations. A host whose visit
// fails is recorded in HostErrors and makes the result Partial; the others
// still count. When every host fails the run fails with a *HostsFailedError,
// which carries every host's error (the runner records them in the run's
// hostErrors); when ctx ends, the error says so.
func ForEachHost(ctx context.Context, hosts []string, o HostOptions, visit func(ctx context.Context, host string) ([]Observation, error)) (*Result, error) {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	var lim *rate.Limiter
	if o.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(o.Rate), 1)
	}
	type outcome struct {
		obs []Observation
		err error
	}
	results := make([]outcome, len(hosts))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
loop:
	for i, h := range hosts {
		if lim != nil {
			if err := lim.Wait(ctx); err != nil {
				break loop
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			hctx := ctx
			if o.Timeout > 0 {
				var cancel context.CancelFunc
				hctx, cancel = context.WithTimeout(ctx, o.Timeout)
				defer cancel()
			}
			obs, err := visit(hctx, h)
			if err != nil && errors.Is(hctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
				err = fmt.Errorf("timed out after %s: %w", o.Timeout, err)
			}
			results[i] = outcome{obs, err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("visiting %d hosts: %w", len(hosts), err)
	}
	res := &Result{HostErrors: map[string]string{}}
	for i, r := range results {
		if r.err != nil {
			res.HostErrors[hosts[i]] = r.err.Error()
			continue
		}
		res.Observations = append(res.Observations, r.obs...)
	}
	if len(res.HostErrors) > 0 {
		res.Partial = true
		if len(res.HostErrors) == len(hosts) {
			return nil, &HostsFailedError{HostErrors: res.HostErrors}
		}
	}
	return res, nil
}

// HostsFailedError is the error of a per-host visit in which every host
// failed: a failed run whose hosts' errors are still worth recording, such
// as a single-host SNMP walk that got no answer.
type HostsFailedError struct {
	// HostErrors maps each host to its error; never empty.
	HostErrors map[string]string
}

// Error says that every host failed and names the first (by host).
func (e *HostsFailedError) Error() string {
	return "every host failed; first: " + firstError(e.HostErrors)
}

func firstError(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0] + ": " + m[keys[0]]
}
