package aws

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

// Discover reads every configured region and returns the observations of
// the account's resources, stamped with env.Now (or the current time).
// See the package documentation for what is observed and when the result
// is partial.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	base, err := s.baseConfig(ctx, env.Credentials)
	if err != nil {
		return nil, fmt.Errorf("aws source: %w", err)
	}
	var (
		mu      sync.Mutex
		regions = map[string]*regionData{}
	)
	opts := discovery.HostOptions{Concurrency: s.concurrency}
	res, err := discovery.ForEachHost(ctx, s.regions, opts, func(ctx context.Context, region string) ([]discovery.Observation, error) {
		d, err := s.readRegion(ctx, base, region)
		if err != nil {
			return nil, err
		}
		b := newBuilder(d, s.tags, now)
		b.build()
		if b.skipped > 0 {
			d.warnings = append(d.warnings, fmt.Sprintf("%d tags skipped (empty key, control characters, too long or too many)", b.skipped))
		}
		mu.Lock()
		regions[region] = d
		mu.Unlock()
		return b.obs, nil
	})
	if err != nil {
		return nil, fmt.Errorf("aws source: %w", err)
	}

	// A service that failed in a region that otherwise answered.
	for _, region := range s.regions {
		d := regions[region]
		if d == nil || len(d.errs) == 0 {
			continue
		}
		res.Partial = true
		res.HostErrors[region] = d.errorText().Error()
	}
	// Keys are ARNs; a bucket listed by two regions (an endpoint that
	// ignores the region filter) is kept once, the first, and a Reference
	// observation gives way to the observation of the same thing.
	res.Observations = dedupe(res.Observations)
	sort.Slice(res.Observations, func(i, j int) bool { return res.Observations[i].Key < res.Observations[j].Key })

	for _, region := range s.regions {
		d := regions[region]
		if d == nil {
			continue
		}
		for _, w := range d.warnings {
			res.Warnings = append(res.Warnings, region+": "+w)
		}
		for _, typ := range d.coveredTypes() {
			res.Coverage = append(res.Coverage, discovery.Coverage{Facts: map[string]string{
				"cloud.provider": "aws",
				"cloud.account":  d.account,
				"cloud.region":   region,
				"cloud.type":     typ,
			}})
		}
	}
	res.ExpectedIn = append([]string(nil), s.expectedIn...)
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "aws discovery done", "regions", len(s.regions), "observed", len(res.Observations), "failed", len(res.HostErrors))
	}
	return res, nil
}

// dedupe keeps one observation per key: the first non-reference one, else
// the first.
func dedupe(obs []discovery.Observation) []discovery.Observation {
	at := map[string]int{}
	out := obs[:0]
	for _, o := range obs {
		i, seen := at[o.Key]
		switch {
		case !seen:
			at[o.Key] = len(out)
			out = append(out, o)
		case out[i].Reference && !o.Reference:
			out[i] = o
		}
	}
	return out
}
