// Package nodeexporter is a discovery source that scrapes the /metrics page
// of Prometheus node_exporter on each target host.
//
// Every exporter that answers becomes one SERVER observation keyed
// "node_exporter <target>": the machine's node name, MAC addresses, DMI
// UUID and serial number are identifiers; its operating system, kernel,
// memory, CPU count, file systems and network interfaces are facts. Only
// values that stay the same on an idle machine are kept: no free memory, no
// free disk space, no counters. See FromMetrics for the exact mapping.
//
// FromMetrics and Parse are exported so that any other way of getting an
// exporter's metrics (a file, a Prometheus federation endpoint) can share
// the mapping.
package nodeexporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// KindName is the job source kind this package implements.
const KindName = "node_exporter"

// MaxBody bounds the size of a /metrics page. A node_exporter page is
// typically 100–500 KiB; a larger one is refused rather than read whole.
const MaxBody = 32 << 20

// The defaults of Config.
const (
	DefaultPort        = 9100
	DefaultPath        = "/metrics"
	DefaultScheme      = "http"
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 10
)

// Config is the configuration of a node_exporter source, decoded from the
// job's JSON settings. Every setting has a default; the job's scope (or
// Hosts) names the machines.
type Config struct {
	// Port is the exporter's TCP port for targets that name no port.
	// Default 9100.
	Port int `json:"port" validate:"min=1,max=65535"`
	// Path is the metrics page for targets that are not full URLs.
	// Default "/metrics".
	Path string `json:"path" validate:"required,startswith=/"`
	// Scheme is "http" or "https" for targets that are not full URLs.
	// Default "http".
	Scheme string `json:"scheme" validate:"oneof=http https"`
	// Timeout bounds each host's scrape, as a Go duration string such as
	// "10s" or "1m30s". Default "10s".
	Timeout discovery.Duration `json:"timeout"`
	// Concurrency is how many hosts are scraped at once. Default 10.
	Concurrency int `json:"concurrency" validate:"min=1,max=1000"`
	// Rate is how many scrapes may start per second; 0, the default, means
	// no limit.
	Rate float64 `json:"rate" validate:"min=0"`
	// Hosts are scraped in addition to the job's scope targets. A host is
	// a name or address ("web01", "10.0.0.5", "::1"), a CIDR range of
	// addresses, a "host:port" ("10.0.0.5:9200", "[::1]:9100") or a full
	// URL ("https://web01:9100/metrics"), which overrides Port, Path and
	// Scheme. Default none.
	Hosts []string `json:"hosts"`
}

// Interface guards.
var (
	_ discovery.Config        = (*Config)(nil)
	_ discovery.TargetChecker = (*Config)(nil)
	_ discovery.Source        = (*Source)(nil)
)

// DefaultConfig returns the documented defaults.
func DefaultConfig() *Config {
	return &Config{
		Port:        DefaultPort,
		Path:        DefaultPath,
		Scheme:      DefaultScheme,
		Timeout:     discovery.Duration(DefaultTimeout),
		Concurrency: DefaultConcurrency,
	}
}

// Kind describes the node_exporter source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// CheckTargets implements discovery.TargetChecker: a job's scope targets
// are read like Hosts, full URLs and "host:port" included.
func (c *Config) CheckTargets(targets []string) error {
	src, err := c.Build()
	if err != nil {
		return err
	}
	_, err = src.(*Source).endpoints(targets)
	return err
}

// Build returns the source c describes. It checks what the validator
// cannot: the timeout, and that every configured host is usable.
func (c *Config) Build() (discovery.Source, error) {
	if err := discovery.Validate(c); err != nil {
		return nil, err
	}
	if c.Timeout <= 0 {
		return nil, errors.New("timeout: must be a positive duration such as \"10s\"")
	}
	s := &Source{
		port:        c.Port,
		path:        c.Path,
		scheme:      c.Scheme,
		timeout:     time.Duration(c.Timeout),
		concurrency: c.Concurrency,
		rate:        c.Rate,
		hosts:       append([]string(nil), c.Hosts...),
	}
	if _, err := s.endpoints(nil); err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // scrape the host itself, never through an environment proxy
	s.client = &http.Client{Transport: tr}
	return s, nil
}

// Source scrapes node_exporter on each target.
type Source struct {
	port        int
	path        string
	scheme      string
	timeout     time.Duration
	concurrency int
	rate        float64
	hosts       []string
	client      *http.Client
}

// endpoint is one exporter to scrape: the target as named and its URL.
type endpoint struct {
	target string
	url    string
}

// Discover scrapes every target of env.Targets and the configured Hosts
// and returns one observation per exporter that answered, stamped with
// env.Now (or the current time). A target that does not answer, answers
// with an error status or with a page that is not node_exporter's is a
// host error and makes the result partial; when every target fails the run
// fails. Credentials "username" and "password" are sent as HTTP basic
// authentication, a credential "token" as a bearer token.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	eps, err := s.endpoints(env.Targets)
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		return nil, errors.New("node_exporter source: no targets: give the job a scope or set hosts")
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	byTarget := make(map[string]string, len(eps))
	targets := make([]string, len(eps))
	for i, ep := range eps {
		byTarget[ep.target] = ep.url
		targets[i] = ep.target
	}
	opts := discovery.HostOptions{Concurrency: s.concurrency, Rate: s.rate, Timeout: s.timeout}
	res, err := discovery.ForEachHost(ctx, targets, opts, func(ctx context.Context, target string) ([]discovery.Observation, error) {
		fams, err := s.scrape(ctx, byTarget[target], env.Credentials)
		if err != nil {
			return nil, err
		}
		o, err := FromMetrics(target, fams)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", byTarget[target], err)
		}
		o.SeenAt = now.UTC()
		return []discovery.Observation{o}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("node_exporter source: %w", err)
	}
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "node_exporter scrape done", "targets", len(targets), "observed", len(res.Observations), "failed", len(res.HostErrors))
	}
	return res, nil
}

// endpoints resolves the configured hosts and then the targets into URLs,
// in order and without duplicates (two spellings of one URL are scraped
// once, under the first).
func (s *Source) endpoints(targets []string) ([]endpoint, error) {
	var (
		out  []endpoint
		seen = map[string]bool{}
	)
	add := func(target, u string) error {
		if seen[u] {
			return nil
		}
		if len(out) >= discovery.MaxTargets {
			return fmt.Errorf("targets expand to more than %d hosts", discovery.MaxTargets)
		}
		seen[u] = true
		out = append(out, endpoint{target: target, url: u})
		return nil
	}
	for _, t := range append(append([]string(nil), s.hosts...), targets...) {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if strings.Contains(t, "://") {
			u, err := checkURL(t)
			if err != nil {
				return nil, err
			}
			if err := add(t, u); err != nil {
				return nil, err
			}
			continue
		}
		// "host:port" and "[v6]:port" name their port; anything else
		// (names, addresses, ranges) gets the configured one.
		host, port := t, strconv.Itoa(s.port)
		explicit := false
		if h, p, ok := splitHostPort(t); ok {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("target %q: port must be a number from 1 to 65535", textclip.Message(t))
			}
			host, port, explicit = h, strconv.FormatUint(n, 10), true
		}
		hosts, err := discovery.ExpandTargets([]string{host}, 0)
		if err != nil {
			return nil, err
		}
		for _, h := range hosts {
			hostport := net.JoinHostPort(h, port)
			target := h
			if explicit {
				target = hostport
			}
			u := (&url.URL{Scheme: s.scheme, Host: hostport, Path: s.path}).String()
			if err := add(target, u); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// splitHostPort splits "host:port" and "[v6]:port"; a bare IPv6 address is
// not a host and port.
func splitHostPort(t string) (host, port string, ok bool) {
	if _, err := netip.ParseAddr(t); err == nil {
		return "", "", false
	}
	if strings.Contains(t, "/") {
		return "", "", false
	}
	h, p, err := net.SplitHostPort(t)
	if err != nil {
		return "", "", false
	}
	return h, p, true
}

// checkURL accepts an http or https URL with a host.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", textclip.Message(raw), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("target %q: scheme must be http or https", textclip.Message(raw))
	}
	if u.Host == "" {
		return "", fmt.Errorf("target %q: no host", textclip.Message(raw))
	}
	if u.User != nil {
		return "", fmt.Errorf("target %q: put credentials in the job's credentials, not in the URL", textclip.Message(u.Redacted()))
	}
	return u.String(), nil
}

// accept asks for the text format, the one every exporter speaks; the
// delimited protocol-buffer format is also understood.
const accept = `text/plain;version=0.0.4;q=1,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,*/*;q=0.1`

// scrape fetches and decodes one exporter's metrics.
func (s *Source) scrape(ctx context.Context, u string, creds map[string]string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "cairn-discovery")
	switch {
	case creds["token"] != "":
		req.Header.Set("Authorization", "Bearer "+creds["token"])
	case creds["username"] != "" || creds["password"] != "":
		req.SetBasicAuth(creds["username"], creds["password"])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body := &limitedReader{r: resp.Body, n: MaxBody}
	fams, err := decode(body, resp.Header)
	if body.over {
		return nil, fmt.Errorf("GET %s: metrics page larger than %d bytes", u, MaxBody)
	}
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return fams, nil
}

// decode reads metric families in the format the response declares.
func decode(r io.Reader, h http.Header) (map[string]*dto.MetricFamily, error) {
	ct := h.Get("Content-Type")
	switch expfmt.ResponseFormat(h).FormatType() {
	case expfmt.TypeProtoDelim:
		fams := map[string]*dto.MetricFamily{}
		dec := expfmt.NewDecoder(r, expfmt.NewFormat(expfmt.TypeProtoDelim))
		for {
			mf := &dto.MetricFamily{}
			if err := dec.Decode(mf); err != nil {
				if errors.Is(err, io.EOF) {
					return fams, nil
				}
				return nil, fmt.Errorf("decoding protocol-buffer metrics: %w", err)
			}
			if old, dup := fams[mf.GetName()]; dup {
				old.Metric = append(old.Metric, mf.Metric...)
				continue
			}
			fams[mf.GetName()] = mf
		}
	case expfmt.TypeTextPlain:
		return parseText(r)
	}
	// ResponseFormat knows only text version 0.0.4; text/plain of another
	// version (1.0.0 adds quoted UTF-8 names) or without a Content-Type is
	// read as text too.
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err == nil && mt == "text/plain" {
		return parseText(r)
	}
	return nil, fmt.Errorf("unsupported Content-Type %q: want Prometheus text format (text/plain)", textclip.Message(ct))
}

// parseText reads the Prometheus text exposition format.
func parseText(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return fams, nil
}

// limitedReader reads at most n bytes and records an attempt to read more.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One byte more tells a page of exactly n bytes from a longer one.
		var b [1]byte
		k, err := l.r.Read(b[:])
		if k > 0 {
			l.over = true
			return 0, errors.New("metrics page too large")
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}
