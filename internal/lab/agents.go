package lab

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The inventory agents Debian ships, run once against a Cairn agent route
// (POST /api/v1/agents/ocs/{job}); they need root (their DEVICEID lives
// under /var/lib) and exit 0 even when the server refused them, so a test
// checks the server side.
const (
	FusionInventoryAgent = "fusioninventory-agent"
	OCSInventoryAgent    = "ocsinventory-agent"
)

// AgentRealm is the realm of Cairn's Basic challenge on the agent route
// (internal/server.AgentRealm), which ocsinventory-agent must be told.
const AgentRealm = "Cairn agent intake"

// NeedRoot skips the test (or fails it under CAIRN_LAB=1 or CI=true) when
// it does not run as root.
func NeedRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if Required() {
		t.Fatalf("lab: %s needs root but CAIRN_LAB=1 or CI=true", what)
	}
	t.Skipf("lab: %s needs root; run the tests as root with CAIRN_LAB=1", what)
}

// FusionInventoryArgs is the command line (without the binary) that sends
// one inventory to url now: --force skips the wait for PROLOG_FREQ, an empty
// configuration file keeps the machine's own (/etc/fusioninventory) out of
// it, and no embedded web server is started.
func FusionInventoryArgs(url, password, confFile string) []string {
	return []string{"--server", url, "--user", "agent", "--password", password,
		"--tasks", "inventory", "--no-httpd", "--conf-file=" + confFile, "--force",
		"--logger=stderr", "--debug"}
}

// OCSInventoryArgs is ocsinventory-agent's command line (without the
// binary) that sends one inventory to url now: --nolocal overrides the
// local= of Debian's /etc/ocsinventory/ocsinventory-agent.cfg, --realm is
// Cairn's challenge's (the agent sends its credentials to that realm only),
// --force sends without waiting for PROLOG_FREQ, basevardir keeps its state
// out of /var/lib. ocsinventory-agent 2.10 decodes its --user and
// --password from base64 (Ocsinventory::Agent::Encrypt), so they are given
// encoded.
func OCSInventoryArgs(url, password, basevardir string) []string {
	b64 := base64.StdEncoding.EncodeToString
	return []string{"--nolocal", "--server", url, "--user", b64([]byte("agent")), "--password", b64([]byte(password)),
		"--realm", AgentRealm, "--basevardir", basevardir, "--force", "--debug"}
}

// RunAgent runs an inventory agent binary (FusionInventoryAgent or
// OCSInventoryAgent, which must be installed: see Need) against url with
// password as the Basic password, within timeout, and returns its combined
// output. The error is a failure to run it or a non-zero exit; the agents
// exit 0 when the server refused them, so it says nothing about the
// server.
func RunAgent(ctx context.Context, t testing.TB, binary, url, password string, timeout time.Duration) (string, error) {
	t.Helper()
	path, err := LookPath(binary)
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	var args []string
	switch binary {
	case FusionInventoryAgent:
		conf := filepath.Join(dir, "agent.cfg")
		if err := os.WriteFile(conf, nil, 0o600); err != nil {
			return "", fmt.Errorf("writing %s: %w", conf, err)
		}
		args = FusionInventoryArgs(url, password, conf)
	case OCSInventoryAgent:
		args = OCSInventoryArgs(url, password, dir)
	default:
		return "", fmt.Errorf("unknown agent %q", binary)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	// No proxy between the agent and the loopback server.
	cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "no_proxy=*")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s did not finish within %s: %w", binary, timeout, ctx.Err())
	}
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w", binary, strings.Join(redact(args, password), " "), err)
	}
	return string(out), nil
}

// redact hides the password in a command line shown in errors.
func redact(args []string, password string) []string {
	if password == "" {
		return args
	}
	enc := base64.StdEncoding.EncodeToString([]byte(password))
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(a, password, "…"), enc, "…")
	}
	return out
}
