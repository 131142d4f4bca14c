// Package vsphere is a discovery source that reads a VMware vCenter (or a
// standalone ESXi host) through its SOAP API with govmomi.
//
// A run logs in with the job's credentials "username" and "password"
// (never in the configuration, never logged), lists the datacenters, and
// reads each datacenter (Datacenters in parallel, Concurrency at once) with
// ONE property-collector retrieval over a container view of the
// datacenter: clusters, ESXi hosts, virtual machines, datastores,
// distributed switches, networks and resource pools, each with only the
// properties the observations use (see the props* variables), paged by
// PageSize objects and bounded by MaxObjects. It then logs out.
//
// What becomes what (see FromInventory for the exact mapping):
//
//	vSphere object                 CI kind          relationships
//	ClusterComputeResource         CLUSTER
//	HostSystem (ESXi)              SERVER           MEMBER_OF its cluster, CONNECTS_TO each distributed switch it is a member of
//	VirtualMachine (not templates) VM               RUNS_ON its host, USES each datastore it has files on ("disk": its disks there)
//	Datastore                      STORAGE
//	DistributedVirtualSwitch       NETWORK_DEVICE
//
// Port groups (standard and distributed) and resource pools are not CIs:
// a VM's networks are facts of its NICs and its resource pool a fact. A
// template is not a running machine and is left out.
//
// Every observation's key is "vsphere:<vCenter instance UUID>:<managed
// object ID>" (such as "vsphere:8f1c…:vm-123"), the source's own stable
// name (StableKey): a VM moved to another host by vMotion keeps its key and
// its identifiers, and only its RUNS_ON target changes.
//
// A datacenter whose retrieval fails is named in HostErrors and makes the
// run partial; a configured datacenter that does not exist likewise. When
// every datacenter fails, or the login fails (wrong password, bad URL,
// untrusted certificate), the run fails with an error that names the URL
// and the user, never the password.
package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// KindName is the job source kind this package implements.
const KindName = "vsphere"

// The defaults of Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultConcurrency = 4
	DefaultPageSize    = 1000
	DefaultMaxObjects  = 200000
)

// The settings' bounds.
const (
	minTimeout = time.Second
	maxTimeout = 10 * time.Minute
)

// Config is the configuration of a vSphere source, decoded from the job's
// JSON settings. Credentials are not settings: the job's credentials
// "username" and "password" are used to log in.
type Config struct {
	// URL is the SDK endpoint, such as "https://vcenter.example.com/sdk"
	// ("/sdk" is added when the URL has no path). Required. It may not
	// carry a user or password.
	URL string `json:"url" validate:"required"`
	// Insecure skips the verification of the server's certificate. Default
	// false. Prefer CAFile or Thumbprint.
	Insecure bool `json:"insecure"`
	// CAFile is a PEM file of the certificate authorities (or the server's
	// own certificate) to trust instead of the system's. Default none.
	CAFile string `json:"caFile"`
	// Thumbprint pins the server's certificate by its SHA-1 or SHA-256
	// fingerprint, hexadecimal bytes separated by colons (as vCenter and
	// govc print it): a certificate that no authority vouches for is
	// accepted when its fingerprint is this one. Default none.
	Thumbprint string `json:"thumbprint"`
	// Timeout bounds each request to the server, as a duration string
	// such as "30s" (1s to 10m). Default "30s".
	Timeout discovery.Duration `json:"timeout"`
	// Datacenters are the names of the datacenters to read; empty (the
	// default) reads every datacenter.
	Datacenters []string `json:"datacenters" validate:"dive,required"`
	// Concurrency is how many datacenters are read at once. Default 4.
	Concurrency int `json:"concurrency" validate:"min=1,max=64"`
	// PageSize is how many objects the server returns per page of a
	// retrieval (RetrievePropertiesEx maxObjects). Default 1000.
	PageSize int `json:"pageSize" validate:"min=1,max=100000"`
	// MaxObjects bounds the objects read from one datacenter: a
	// datacenter with more fails (is partial) rather than exhaust memory.
	// Default 200000.
	MaxObjects int `json:"maxObjects" validate:"min=1,max=10000000"`
}

// Interface guards.
var (
	_ discovery.Config   = (*Config)(nil)
	_ discovery.Confined = (*Config)(nil)
	_ discovery.Source   = (*Source)(nil)
)

// DefaultConfig returns the documented defaults: certificate verified
// against the system's authorities, timeout "30s", every datacenter, 4 at
// once, pages of 1000 objects, at most 200000 objects per datacenter.
func DefaultConfig() *Config {
	return &Config{
		Timeout:     discovery.Duration(DefaultTimeout),
		Concurrency: DefaultConcurrency,
		PageSize:    DefaultPageSize,
		MaxObjects:  DefaultMaxObjects,
	}
}

// Kind describes the vSphere source for the registry (see package
// discovery/install).
func Kind() discovery.Kind {
	return discovery.Kind{
		Name:      KindName,
		NewConfig: func() discovery.Config { return DefaultConfig() },
	}
}

// Confine implements discovery.Confined: CAFile, when set, must be a
// regular file inside the operator's discovery directories.
func (c *Config) Confine(cf *discovery.Confinement) error {
	if c.CAFile == "" {
		return nil
	}
	p, err := cf.Input("caFile", c.CAFile)
	if err != nil {
		return err
	}
	c.CAFile = p
	return nil
}

// thumbprintRE is a SHA-1 (20 bytes) or SHA-256 (32 bytes) fingerprint.
var thumbprintRE = regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){19}$|^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`)

// NormalizeThumbprint returns a certificate fingerprint in the form govmomi
// compares (upper-case hexadecimal bytes joined by colons): it accepts
// upper or lower case, and bytes separated by colons, spaces, dashes or
// nothing.
func NormalizeThumbprint(s string) (string, error) {
	hex := strings.Map(func(r rune) rune {
		switch r {
		case ':', ' ', '-':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	var b strings.Builder
	for i := 0; i+1 < len(hex); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex[i : i+2])
	}
	if len(hex)%2 != 0 || !thumbprintRE.MatchString(b.String()) {
		return "", fmt.Errorf("%q is not a SHA-1 or SHA-256 fingerprint (20 or 32 hexadecimal bytes such as \"AB:CD:…\")", textclip.Message(s))
	}
	return b.String(), nil
}

// parseURL checks the SDK URL: https (or http) with a host and no user
// information; "https://" is added to a bare host and "/sdk" to an empty
// path, as govc does.
func parseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", textclip.Message(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q: put the user and password in the job's credentials, not in the URL", textclip.Message(u.Redacted()))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%q: scheme must be https (or http)", textclip.Message(raw))
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%q: no host", textclip.Message(raw))
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	return u, nil
}

// Build checks c and returns the source it describes.
func (c *Config) Build() (discovery.Source, error) {
	if err := discovery.Validate(c); err != nil {
		return nil, err
	}
	u, err := parseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if t := time.Duration(c.Timeout); t < minTimeout || t > maxTimeout {
		return nil, fmt.Errorf("timeout: %s is not between %s and %s", t, minTimeout, maxTimeout)
	}
	s := &Source{
		url:         u,
		insecure:    c.Insecure,
		caFile:      c.CAFile,
		timeout:     time.Duration(c.Timeout),
		concurrency: c.Concurrency,
		pageSize:    c.PageSize,
		maxObjects:  c.MaxObjects,
		datacenters: append([]string(nil), c.Datacenters...),
	}
	if c.Thumbprint != "" {
		if s.thumbprint, err = NormalizeThumbprint(c.Thumbprint); err != nil {
			return nil, fmt.Errorf("thumbprint: %w", err)
		}
	}
	if c.Insecure && (c.CAFile != "" || c.Thumbprint != "") {
		return nil, errors.New("insecure: skipping verification and caFile or thumbprint exclude each other")
	}
	if s.url.Scheme == "http" && (c.CAFile != "" || c.Thumbprint != "") {
		return nil, errors.New("url: caFile and thumbprint need an https URL")
	}
	return s, nil
}

// Source reads one vCenter.
type Source struct {
	url         *url.URL
	insecure    bool
	caFile      string
	thumbprint  string
	timeout     time.Duration
	concurrency int
	pageSize    int
	maxObjects  int
	datacenters []string
}

// Discover logs in, reads the datacenters and returns one observation per
// cluster, host, VM, datastore and distributed switch, stamped with env.Now
// (or the current time).
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	c, err := s.Connect(ctx, env.Credentials)
	if err != nil {
		return nil, err
	}
	defer s.logout(c)
	inv, res, err := s.Collect(ctx, c)
	if err != nil {
		return nil, err
	}
	res.Observations = FromInventory(inv, now.UTC())
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "vsphere inventory read", "url", s.url.String(), "datacenters", len(inv.Datacenters),
			"observed", len(res.Observations), "failed", len(res.HostErrors))
	}
	return res, nil
}

// Connect opens a session on the server with the credentials "username"
// and "password". The error names the URL and user, never the password.
func (s *Source) Connect(ctx context.Context, creds map[string]string) (*vim25.Client, error) {
	user, pass := creds["username"], creds["password"]
	if user == "" {
		return nil, errors.New("vsphere source: credentials: username is required (set the job's credentials username and password)")
	}
	sc := soap.NewClient(s.url, s.insecure)
	sc.Timeout = s.timeout
	if s.caFile != "" {
		if err := sc.SetRootCAs(s.caFile); err != nil {
			return nil, fmt.Errorf("vsphere source: caFile: %w", err)
		}
	}
	if s.thumbprint != "" {
		sc.SetThumbprint(s.url.Host, s.thumbprint)
	}
	if tr := sc.DefaultTransport(); tr != nil {
		tr.Proxy = nil // talk to the server itself, never through an environment proxy
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.MinVersion = tls.VersionTLS12
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		var ua x509.UnknownAuthorityError
		var he x509.HostnameError
		if errors.As(err, &ua) || errors.As(err, &he) {
			return nil, fmt.Errorf("vsphere source: connecting to %s: %w (trust the server's certificate with caFile, or pin it with thumbprint)", s.url, err)
		}
		return nil, fmt.Errorf("vsphere source: connecting to %s: %w", s.url, err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(user, pass)); err != nil {
		if fault.Is(err, &types.InvalidLogin{}) {
			return nil, fmt.Errorf("vsphere source: login to %s as %q: incorrect user name or password: %w", s.url, textclip.Message(user), ErrLogin)
		}
		return nil, fmt.Errorf("vsphere source: login to %s as %q: %w", s.url, textclip.Message(user), scrub(err, pass))
	}
	return c, nil
}

// ErrLogin is wrapped by the error of a login the server refused for its
// user name or password.
var ErrLogin = errors.New("login refused")

// scrub replaces any occurrence of the password in err's text: no server
// should echo it, but a run's error is stored and shown.
func scrub(err error, pass string) error {
	if pass == "" || !strings.Contains(err.Error(), pass) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pass, "[redacted]"))
}

// logout ends the session, on its own short deadline: the run's context
// may have ended.
func (s *Source) logout(c *vim25.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), min(s.timeout, 10*time.Second))
	defer cancel()
	_ = session.NewManager(c).Logout(ctx)
}
