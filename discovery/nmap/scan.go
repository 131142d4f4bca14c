package nmap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/tcpscan"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// ScanKindName is the job source kind of the source that runs nmap.
const ScanKindName = "nmap-scan"

// DefaultScanPorts is the port list an nmap-scan job scans unless it sets
// one: SSH, HTTP, HTTPS, MySQL, PostgreSQL, Redis, HTTP alternate and
// Prometheus' node exporter.
const DefaultScanPorts = "22,80,443,3306,5432,6379,8080,9100"

// maxStderr is how much of nmap's standard error is kept, and
// maxStderrMessage how much of it an error message quotes.
const (
	maxStderr        = 64 << 10
	maxStderrMessage = 1000
)

// waitKill is how long a killed nmap (or anything it started) may keep its
// output open before the run stops waiting for it.
const waitKill = 5 * time.Second

// ScanConfig is the configuration of an nmap-scan source, decoded from the
// job's JSON settings. DefaultScanConfig holds the defaults named below.
//
// The source runs nmap once per run (twice when the targets hold IPv6
// addresses, which nmap scans only with -6) as
//
//	nmap -sT [-sV] [-6] -p <ports> -oX - --noninteractive -iL -
//
// and reads nmap's XML output with Parse, so its observations are those of
// the nmap file source (see Parse). -sT is a TCP connect scan, which needs
// no root. Host discovery is left on (no -Pn): without root nmap finds hosts
// by connecting to ports 80 and 443, and a host it finds down is left out,
// where with -Pn every address of a range would be reported up, as a
// SERVER with no open ports. A host that drops connections to 80 and 443 is
// therefore not scanned.
//
// No setting reaches nmap's command line as written: the port list is
// parsed and passed in its normalised form, and the targets (the job's
// scope plus Hosts, ranges expanded by discovery.ExpandTargets, each an IP
// address or a host name of letters, digits, '.', '-' and '_' that does not
// start with '-') are written to nmap's standard input, one a line, where
// nothing is read as an option and no command line grows with the scope.
// nmap runs with a minimal environment (PATH, HOME, NMAPDIR, TMPDIR and the
// locale), not Cairn's, which may hold secrets.
type ScanConfig struct {
	// Ports is the list of TCP ports to scan, in nmap's basic syntax
	// ("22,80,443,8000-8100", see tcpscan.PortList). Default
	// DefaultScanPorts.
	Ports tcpscan.PortList `json:"ports" validate:"required"`
	// ServiceDetection runs nmap's version detection (-sV), which names
	// the service, product and version behind each open port; without it
	// a port's fact is only the service name nmap guesses from the port
	// number. Default true.
	ServiceDetection bool `json:"serviceDetection"`
	// Timeout bounds the whole scan; nmap is killed when it runs out and
	// the run fails. Default "10m".
	Timeout discovery.Duration `json:"timeout" validate:"gt=0"`
	// Hosts are more targets, scanned with the job's scope: IPv4 or IPv6
	// addresses, CIDR ranges and host names, as discovery.ExpandTargets
	// reads them. Default none.
	Hosts []string `json:"hosts"`
	// Binary is the nmap program. A saved job may run only the programs
	// the operator allows (--nmap-binary, default /usr/bin/nmap and
	// /usr/local/bin/nmap), named by their absolute path, each an
	// executable regular file named nmap; "nmap" is the first of them that
	// exists (see discovery.Confinement.Program). Without a confinement
	// (one-off runs) it is a path, or a name looked up in PATH, whose file
	// name must be "nmap". Default "nmap".
	Binary string `json:"binary" validate:"required"`
}

// Interface guards.
var (
	_ discovery.Config        = (*ScanConfig)(nil)
	_ discovery.Confined      = (*ScanConfig)(nil)
	_ discovery.TargetChecker = (*ScanConfig)(nil)
	_ discovery.Source        = (*ScanSource)(nil)
)

// Confine implements discovery.Confined: Binary must be one of the nmap
// programs the operator allows.
func (c *ScanConfig) Confine(cf *discovery.Confinement) error {
	bin, err := cf.Program("binary", c.Binary)
	if err != nil {
		return err
	}
	c.Binary = bin
	return nil
}

// CheckTargets implements discovery.TargetChecker: the job's scope targets
// must be what Discover writes to nmap (addresses, ranges, host names; no
// ports), so a job is refused when it is saved, not when it runs.
func (c *ScanConfig) CheckTargets(targets []string) error {
	hosts, err := discovery.ExpandTargets(targets, 0)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if err := checkTarget(h); err != nil {
			return err
		}
	}
	return nil
}

// DefaultScanConfig returns the documented defaults.
func DefaultScanConfig() *ScanConfig {
	return &ScanConfig{
		Ports:            DefaultScanPorts,
		ServiceDetection: true,
		Timeout:          discovery.Duration(10 * time.Minute),
		Binary:           "nmap",
	}
}

// ScanKind describes the nmap-scan source for the registry (see package
// discovery/install).
func ScanKind() discovery.Kind {
	return discovery.Kind{
		Name:      ScanKindName,
		NewConfig: func() discovery.Config { return DefaultScanConfig() },
	}
}

// Build checks c, finds the nmap program and returns the source.
func (c *ScanConfig) Build() (discovery.Source, error) {
	ports, err := tcpscan.ParsePorts(string(c.Ports))
	if err != nil {
		return nil, fmt.Errorf("ports: %w", err)
	}
	if c.Timeout <= 0 {
		return nil, fmt.Errorf("timeout: must be positive, got %s", c.Timeout)
	}
	hosts, err := discovery.ExpandTargets(c.Hosts, 0)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	for _, h := range hosts {
		if err := checkTarget(h); err != nil {
			return nil, fmt.Errorf("hosts: %w", err)
		}
	}
	bin, err := lookNmap(c.Binary)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	return &ScanSource{
		bin:     bin,
		ports:   ports.String(),
		version: c.ServiceDetection,
		timeout: time.Duration(c.Timeout),
		hosts:   slices.Clone(c.Hosts),
	}, nil
}

// lookNmap finds the nmap program named by binary.
func lookNmap(binary string) (string, error) {
	if binary == "" {
		return "", errors.New("is required")
	}
	base := filepath.Base(binary)
	if base != "nmap" && base != "nmap.exe" {
		return "", fmt.Errorf("%q is not nmap: the program's file name must be nmap", textclip.Message(binary))
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		if binary == "nmap" {
			return "", fmt.Errorf("nmap is not installed (not found in PATH): install it or set binary to its path: %w", err)
		}
		return "", fmt.Errorf("cannot run %s: %w", textclip.Message(binary), err)
	}
	return path, nil
}

// checkTarget accepts an IP address or a host name that nmap cannot take
// for anything else.
func checkTarget(t string) error {
	if strings.HasPrefix(t, "-") {
		return fmt.Errorf("target %q starts with '-'", textclip.Message(t))
	}
	if _, err := netip.ParseAddr(t); err == nil {
		return nil
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("target %q is neither an IP address nor a host name", textclip.Message(t))
		}
	}
	return nil
}

// ScanSource runs nmap on every Discover.
type ScanSource struct {
	bin     string
	ports   string // normalised
	version bool
	timeout time.Duration
	hosts   []string
}

// Args returns the command line (after the program) the source runs nmap
// with; ipv6 adds -6. The targets go to standard input.
func (s *ScanSource) Args(ipv6 bool) []string {
	args := []string{"-sT"}
	if s.version {
		args = append(args, "-sV")
	}
	if ipv6 {
		args = append(args, "-6")
	}
	return append(args, "-p", s.ports, "-oX", "-", "--noninteractive", "-iL", "-")
}

// Discover runs nmap on env.Targets and the configured hosts and returns
// one observation per host nmap reports up, as Parse maps it; an
// observation without a scan time is stamped with env.Now (or the current
// time). A host name nmap could not resolve is that host's error and makes
// the result partial. No targets at all is an error, so that an empty scope
// never reads as "every host has gone"; so is a failed or timed-out nmap.
func (s *ScanSource) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	hosts, err := discovery.ExpandTargets(append(slices.Clone(env.Targets), s.hosts...), 0)
	if err != nil {
		return nil, fmt.Errorf("nmap scan: %w", err)
	}
	if len(hosts) == 0 {
		return nil, errors.New("nmap scan: no hosts to scan: the job's scope has no targets and hosts is empty")
	}
	var v4, v6 []string
	for _, h := range hosts {
		if err := checkTarget(h); err != nil {
			return nil, fmt.Errorf("nmap scan: %w", err)
		}
		if a, err := netip.ParseAddr(h); err == nil && a.Is6() && !a.Is4In6() {
			v6 = append(v6, h)
		} else {
			v4 = append(v4, h)
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, fmt.Errorf("nmap scan timed out after %s", s.timeout))
	defer cancel()
	res := &discovery.Result{HostErrors: map[string]string{}}
	nUnresolved := 0
	for _, group := range []struct {
		targets []string
		ipv6    bool
	}{{v4, false}, {v6, true}} {
		if len(group.targets) == 0 {
			continue
		}
		got, unresolved, err := s.run(ctx, env, group.targets, group.ipv6)
		if err != nil {
			return nil, err
		}
		res.Observations = append(res.Observations, got.Observations...)
		for host, msg := range got.HostErrors {
			res.HostErrors[host] = msg
		}
		res.Partial = res.Partial || got.Partial
		for _, name := range unresolved {
			res.HostErrors[name] = "nmap could not resolve the host name"
		}
		nUnresolved += len(unresolved)
	}
	if len(res.HostErrors) > 0 {
		if nUnresolved == len(hosts) {
			return nil, fmt.Errorf("nmap scan: no target resolved, first: %s", hosts[0])
		}
		res.Partial = true
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
	return res, nil
}

// run runs nmap once on targets and parses its output; unresolved lists
// the targets nmap said it could not resolve.
func (s *ScanSource) run(ctx context.Context, env discovery.Env, targets []string, ipv6 bool) (res *discovery.Result, unresolved []string, err error) {
	args := s.Args(ipv6)
	cmdCtx, kill := context.WithCancel(ctx)
	defer kill()
	cmd := exec.CommandContext(cmdCtx, s.bin, args...)
	cmd.Stdin = strings.NewReader(strings.Join(targets, "\n") + "\n")
	cmd.Env = s.environ()
	cmd.WaitDelay = waitKill
	stderr := &capped{max: maxStderr}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("nmap scan: %w", err)
	}
	name := "nmap " + strings.Join(args, " ")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("nmap scan: starting %s: %w", s.bin, err)
	}
	res, perr := Parse(stdout, "output of "+name)
	if perr != nil {
		kill() // bad output: do not wait for the rest of the scan
	}
	_, _ = io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	exited := cmd.ProcessState != nil && cmd.ProcessState.Exited() // not killed
	if perr != nil && errors.Is(werr, context.Canceled) {
		// Our own kill after bad output (the process may have exited just
		// before it): the bad output is the error.
		werr = nil
	}
	unresolved = failedToResolve(stderr.buf.String(), targets)
	if errors.Is(perr, ErrNothingScanned) && len(unresolved) > 0 && werr == nil {
		// Every target failed to resolve: each is a host error, and
		// Discover decides whether anything was scanned at all.
		perr, werr, res = nil, nil, &discovery.Result{}
	}
	switch {
	case ctx.Err() != nil:
		return nil, nil, fmt.Errorf("nmap scan: %w", context.Cause(ctx))
	case werr != nil && exited:
		// nmap failed, and its output stopped short or was empty: say why.
		return nil, nil, fmt.Errorf("nmap scan: %s: %v%s", name, werr, stderr.quote())
	case perr != nil:
		return nil, nil, fmt.Errorf("nmap scan: %w%s", perr, stderr.quote())
	case werr != nil:
		return nil, nil, fmt.Errorf("nmap scan: %s: %v%s", name, werr, stderr.quote())
	}
	if env.Logger != nil {
		env.Logger.DebugContext(ctx, "nmap scan done", "args", name, "targets", len(targets), "hosts", len(res.Observations), "elapsed", time.Since(start))
		if msg := strings.TrimSpace(stderr.buf.String()); msg != "" {
			env.Logger.WarnContext(ctx, "nmap scan warnings", "args", name, "stderr", textclip.BytesMarked(oneLine(msg), maxStderrMessage))
		}
	}
	return res, unresolved, nil
}

// environ returns the environment nmap runs with: only what it needs, so
// that none of Cairn's own settings (database passwords, tokens) reach it.
func (s *ScanSource) environ() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "NMAPDIR", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// failedToResolve returns the targets nmap's standard error reports as
// `Failed to resolve "name".`, in target order.
func failedToResolve(stderr string, targets []string) []string {
	failed := map[string]bool{}
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), `Failed to resolve "`)
		if !ok {
			continue
		}
		if name, ok := strings.CutSuffix(rest, `".`); ok {
			failed[strings.ToLower(name)] = true
		}
	}
	var out []string
	for _, t := range targets {
		if failed[t] {
			out = append(out, t)
		}
	}
	return out
}

// capped is a buffer that keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// quote returns ": nmap says: <stderr>" with the text clipped, or "" when
// nmap wrote nothing.
func (c *capped) quote() string {
	msg := strings.TrimSpace(c.buf.String())
	if msg == "" {
		return ""
	}
	return "; nmap says: " + textclip.BytesMarked(oneLine(msg), maxStderrMessage)
}

// oneLine joins the non-blank lines of s with " | ", invalid UTF-8
// replaced.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.ToValidUTF8(strings.Join(lines, " | "), "\uFFFD")
}
