// Package loadgen is a small closed-loop HTTP load generator for Cairn's
// benchmarks: C clients, each on its own keep-alive connection, send
// GraphQL requests back to back for a duration and record every latency.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Request builds the i-th request body of client c.
type Request func(client, i int) []byte

// Check inspects a response body; an error counts the request as failed.
type Check func(body []byte) error

// Options configure Run.
type Options struct {
	URL string
	// URLs, when not empty, replaces URL: client c sends to URLs[c %
	// len(URLs)], spreading the clients over several servers (the
	// processes of one database) round-robin.
	URLs     []string
	Token    string
	Clients  int
	Duration time.Duration
	// Warmup runs before measuring and is not counted.
	Warmup time.Duration
	Body   Request
	Check  Check
	// Interval paces each client to at most one request per Interval
	// (0: back to back), for latency at a given rate rather than at
	// saturation.
	Interval time.Duration
}

// Result is what a run measured.
type Result struct {
	Requests  int64
	Errors    int64
	FirstErr  string
	Elapsed   time.Duration
	PerSecond float64
	P50, P90  time.Duration
	P99, Max  time.Duration
	// CPU is the CPU time this process (server and load generator, when
	// they share it) used during the measured phase.
	CPU time.Duration
}

// CPUPerRequest is CPU divided by Requests.
func (r Result) CPUPerRequest() time.Duration {
	return r.CPU / time.Duration(max(1, r.Requests))
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f req/s, p50 %s, p90 %s, p99 %s, max %s, %d errors, %s CPU per request",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.P50, r.P90, r.P99, r.Max, r.Errors, r.CPUPerRequest().Round(time.Microsecond))
}

// GraphQLNoErrors fails a response that carries GraphQL errors. A body
// without the key "errors" anywhere has none and is not decoded, which
// keeps the load generator's share of the CPU it shares with the server
// small.
func GraphQLNoErrors(body []byte) error {
	if !bytes.Contains(body, []byte(`"errors"`)) {
		if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
			return fmt.Errorf("response is not a JSON object: %.200s", body)
		}
		return nil
	}
	var resp struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decoding response: %w", err)
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("graphql error: %s", resp.Errors[0])
	}
	return nil
}

// Body encodes a GraphQL request.
func Body(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// Run drives the load and returns the measurements.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Clients <= 0 {
		o.Clients = 1
	}
	if o.Check == nil {
		o.Check = GraphQLNoErrors
	}
	if len(o.URLs) == 0 {
		if o.URL == "" {
			return Result{}, errors.New("loadgen: no URL")
		}
		o.URLs = []string{o.URL}
	}
	tr := &http.Transport{MaxIdleConns: o.Clients * 2, MaxIdleConnsPerHost: o.Clients * 2, MaxConnsPerHost: o.Clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	if o.Warmup > 0 {
		if _, err := phase(ctx, hc, o, o.Warmup, false); err != nil {
			return Result{}, err
		}
	}
	return phase(ctx, hc, o, o.Duration, true)
}

func phase(ctx context.Context, hc *http.Client, o Options, d time.Duration, record bool) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errs     atomic.Int64
		mu       sync.Mutex
		firstErr string
		lats     = make([][]time.Duration, o.Clients)
	)
	start := time.Now()
	cpu0 := cpuTime()
	for c := 0; c < o.Clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<16)
			// Paced clients start spread over one interval.
			next := start.Add(o.Interval * time.Duration(c) / time.Duration(o.Clients))
			for i := 0; ctx.Err() == nil; i++ {
				if o.Interval > 0 {
					if wait := time.Until(next); wait > 0 {
						select {
						case <-ctx.Done():
						case <-time.After(wait):
						}
						if ctx.Err() != nil {
							break
						}
					} else {
						// Behind schedule (a slow response): no burst to
						// catch up; the measured rate shows the shortfall.
						next = time.Now()
					}
					next = next.Add(o.Interval)
				}
				t0 := time.Now()
				body, err := post(ctx, hc, o, o.URLs[c%len(o.URLs)], o.Body(c, i))
				el := time.Since(t0)
				if ctx.Err() != nil {
					break
				}
				if err == nil {
					err = o.Check(body)
				}
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
				}
				local = append(local, el)
			}
			lats[c] = local
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Requests: int64(len(all)), Errors: errs.Load(), FirstErr: firstErr, Elapsed: elapsed, CPU: cpu}
	if len(all) > 0 {
		r.PerSecond = float64(len(all)) / elapsed.Seconds()
		r.P50 = all[len(all)*50/100]
		r.P90 = all[len(all)*90/100]
		r.P99 = all[len(all)*99/100]
		r.Max = all[len(all)-1]
	}
	return r, nil
}

func post(ctx context.Context, hc *http.Client, o Options, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return b, nil
}
