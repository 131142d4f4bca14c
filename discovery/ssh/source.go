package ssh

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Limits of one host's session.
const (
	maxOutput = 64 << 20 // bytes of script output
	maxStderr = 4 << 10  // bytes of standard error kept for an error message
)

// Source inventories hosts over SSH. It is safe for concurrent use.
type Source struct {
	cfg Config // validated; KnownHostsFile expanded
	// mu serialises appends to the known_hosts file between the runs and
	// hosts of this source.
	mu  *sync.Mutex
	now func() time.Time
}

// Discover inventories every host of env.Targets and Config.Hosts. An error
// in the credentials, the known_hosts file or the targets fails the run; a
// host that fails makes it partial (see discovery.ForEachHost).
// Observations are stamped with the time their host's script finished.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	targets := append(append([]string(nil), env.Targets...), s.cfg.Hosts...)
	hosts, err := discovery.ExpandTargets(targets, 0)
	if err != nil {
		return nil, fmt.Errorf("ssh source: %w", err)
	}
	if len(hosts) == 0 {
		return nil, errors.New("ssh source: no hosts: set the job's scope targets or the hosts setting")
	}
	return s.discover(ctx, env, hosts)
}

// discover visits hosts as given, repeats included.
func (s *Source) discover(ctx context.Context, env discovery.Env, hosts []string) (*discovery.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	auth, err := authMethods(env.Credentials)
	if err != nil {
		return nil, fmt.Errorf("ssh source: %w", err)
	}
	keys, err := s.openKnownHosts()
	if err != nil {
		return nil, fmt.Errorf("ssh source: %w", err)
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	keys.log = log
	opts := discovery.HostOptions{
		Concurrency: s.cfg.Concurrency,
		Rate:        s.cfg.Rate,
		Timeout:     time.Duration(s.cfg.Timeout),
	}
	return discovery.ForEachHost(ctx, hosts, opts, func(ctx context.Context, host string) ([]discovery.Observation, error) {
		start := time.Now()
		obs, err := s.inventory(ctx, host, auth, keys)
		if err != nil {
			log.DebugContext(ctx, "ssh inventory failed", "host", host, "error", err)
			return nil, err
		}
		log.DebugContext(ctx, "ssh inventory", "host", host, "facts", len(obs[0].Facts),
			"identifiers", len(obs[0].Identifiers), "guests", len(obs)-1, "elapsed", time.Since(start).Round(time.Millisecond))
		return obs, nil
	})
}

// address returns the host and "host:port" to dial for a target, which may
// carry its own port.
func (s *Source) address(target string) string {
	if h, p, err := net.SplitHostPort(target); err == nil && h != "" {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			return net.JoinHostPort(h, p)
		}
	}
	return net.JoinHostPort(strings.Trim(target, "[]"), strconv.Itoa(s.cfg.Port))
}

// inventory runs the script on one host and parses its output: the
// host's observation, then its guests' (ParseAll).
func (s *Source) inventory(ctx context.Context, host string, auth []gossh.AuthMethod, keys *hostKeys) ([]discovery.Observation, error) {
	addr := s.address(host)
	d := net.Dialer{Timeout: time.Duration(s.cfg.Timeout)}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Closing the connection ends the handshake or session when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	cfg := &gossh.ClientConfig{
		User:              s.cfg.User,
		Auth:              auth,
		HostKeyCallback:   keys.check,
		HostKeyAlgorithms: keys.algorithms(addr),
		ClientVersion:     "SSH-2.0-Cairn",
		Timeout:           time.Duration(s.cfg.Timeout),
	}
	c, chans, reqs, err := gossh.NewClientConn(conn, addr, cfg)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	client := gossh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("opening a session: %w", err))
	}
	defer sess.Close()
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out, stderr := capped{max: maxOutput}, capped{max: maxStderr}
	sess.Stdin = strings.NewReader(script)
	sess.Stdout = &out
	sess.Stderr = &stderr
	if err := sess.Run("sh -s -- " + hex.EncodeToString(nonce)); err != nil {
		err = ctxErr(ctx, err)
		if msg := strings.TrimSpace(string(stderr.buf)); msg != "" {
			err = fmt.Errorf("running the inventory script: %w (stderr: %s)", err, textclip.Message(msg))
		} else {
			err = fmt.Errorf("running the inventory script: %w", err)
		}
		return nil, err
	}
	if out.over {
		return nil, fmt.Errorf("the inventory script printed more than %d MiB", maxOutput>>20)
	}
	obs, err := ParseAll(out.buf, host)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	for i := range obs {
		obs[i].SeenAt = now
	}
	return obs, nil
}

// ctxErr prefers ctx's error, when it has ended, to the error that closing
// the connection caused.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// capped is a buffer that keeps the first max bytes written to it and
// drops the rest (so that the remote command still runs to its end).
type capped struct {
	buf  []byte
	max  int
	over bool // bytes were dropped
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if len(p) > room {
		c.over = true
		c.buf = append(c.buf, p[:max(room, 0)]...)
		return len(p), nil
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// authMethods returns the SSH authentication methods of the job's
// credentials. Errors never repeat a credential.
func authMethods(creds map[string]string) ([]gossh.AuthMethod, error) {
	var methods []gossh.AuthMethod
	if pem := creds["private_key"]; strings.TrimSpace(pem) != "" {
		var signer gossh.Signer
		var err error
		if pass := creds["passphrase"]; pass != "" {
			signer, err = gossh.ParsePrivateKeyWithPassphrase([]byte(pem), []byte(pass))
		} else {
			signer, err = gossh.ParsePrivateKey([]byte(pem))
		}
		var missing *gossh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			return nil, errors.New(`credential "private_key" is encrypted: set "passphrase"`)
		case errors.Is(err, x509.IncorrectPasswordError):
			return nil, errors.New(`credential "passphrase" does not decrypt "private_key"`)
		case err != nil:
			return nil, fmt.Errorf(`credential "private_key" is not a PEM or OpenSSH private key (%s)`, keyParseReason(err))
		}
		methods = append(methods, gossh.PublicKeys(signer))
	}
	if pw := creds["password"]; pw != "" {
		methods = append(methods, gossh.Password(pw),
			gossh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range questions {
					if !echos[i] {
						answers[i] = pw
					}
				}
				return answers, nil
			}))
	}
	if len(methods) == 0 {
		return nil, errors.New(`no credentials: the job needs "private_key" (and "passphrase" if it is encrypted) or "password"`)
	}
	return methods, nil
}

// keyParseReason is the reason a key did not parse, without any of the key.
func keyParseReason(err error) string {
	msg := err.Error()
	if len(msg) > 80 || strings.Contains(msg, "\n") {
		return "unreadable key"
	}
	return msg
}

// hostKeys checks host keys against a known_hosts file for one run.
type hostKeys struct {
	file  string
	tofu  bool
	mu    *sync.Mutex // the Source's: guards the file and added
	db    gossh.HostKeyCallback
	probe gossh.PublicKey // a key no host has, to learn which keys a host has
	added map[string]gossh.PublicKey
	log   *slog.Logger
}

// openKnownHosts reads the known_hosts file, creating it when trusting on
// first use.
func (s *Source) openKnownHosts() (*hostKeys, error) {
	file := s.cfg.KnownHostsFile
	if s.cfg.TrustOnFirstUse {
		s.mu.Lock()
		err := createFile(file)
		s.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("known_hosts file: %w", err)
		}
	}
	db, err := knownhosts.New(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("known_hosts file %s does not exist; record the hosts' keys there (ssh-keyscan) or set trustOnFirstUse", file)
		}
		return nil, knownHostsError(file, err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	probe, err := gossh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &hostKeys{file: file, tofu: s.cfg.TrustOnFirstUse, mu: s.mu, db: db, probe: probe,
		added: map[string]gossh.PublicKey{}}, nil
}

// knownHostsLine finds the line number in a knownhosts parse error.
var knownHostsLine = regexp.MustCompile(`:(\d+): `)

// knownHostsError says which line of file did not parse, never what the
// line holds: the parser's messages quote it, and run errors are read by
// more people than the file is.
func knownHostsError(file string, err error) error {
	if m := knownHostsLine.FindAllStringSubmatch(err.Error(), -1); len(m) > 0 {
		return fmt.Errorf("known_hosts file %s line %s is not a known_hosts entry", file, m[len(m)-1][1])
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("known_hosts file %s: %w", file, pe.Err)
	}
	return fmt.Errorf("known_hosts file %s cannot be read as a known_hosts file", file)
}

// createFile creates file (and its directory) empty if it does not exist.
func createFile(file string) error {
	if _, err := os.Stat(file); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// algorithms returns the host key algorithms of the keys known for addr,
// so that the server presents one of those rather than another of its
// keys; nil (the defaults) when none is known.
func (h *hostKeys) algorithms(addr string) []string {
	var types []string
	var ke *knownhosts.KeyError
	if err := h.db(addr, &net.TCPAddr{IP: net.IPv4zero}, h.probe); errors.As(err, &ke) {
		for _, k := range ke.Want {
			types = append(types, k.Key.Type())
		}
	}
	h.mu.Lock()
	if k := h.added[knownhosts.Normalize(addr)]; k != nil {
		types = append(types, k.Type())
	}
	h.mu.Unlock()
	var algos []string
	seen := map[string]bool{}
	for _, t := range types {
		for _, a := range algorithmsOf(t) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

// algorithmsOf returns the signature algorithms a host key of type t
// signs with.
func algorithmsOf(t string) []string {
	if t == gossh.KeyAlgoRSA {
		return []string{gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA}
	}
	return []string{t}
}

// check is the HostKeyCallback: the key must be in the file, or be
// trusted on first use.
func (h *hostKeys) check(addr string, remote net.Addr, key gossh.PublicKey) error {
	err := h.db(addr, remote, key)
	if err == nil {
		return nil
	}
	fp := key.Type() + " " + gossh.FingerprintSHA256(key)
	var revoked *knownhosts.RevokedError
	if errors.As(err, &revoked) {
		return fmt.Errorf("host key of %s (%s) is revoked in %s:%d", addr, fp, revoked.Revoked.Filename, revoked.Revoked.Line)
	}
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return fmt.Errorf("checking the host key of %s: %w", addr, err)
	}
	if len(ke.Want) > 0 {
		known := make([]string, len(ke.Want))
		for i, k := range ke.Want {
			known[i] = fmt.Sprintf("%s %s at %s:%d", k.Key.Type(), gossh.FingerprintSHA256(k.Key), k.Filename, k.Line)
		}
		return fmt.Errorf("host key of %s has CHANGED: it presented %s, known_hosts has %s (possible man-in-the-middle; if the host was re-keyed, replace its line)",
			addr, fp, strings.Join(known, "; "))
	}
	name := knownhosts.Normalize(addr)
	h.mu.Lock()
	defer h.mu.Unlock()
	if k, ok := h.added[name]; ok {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return nil
		}
		return fmt.Errorf("host key of %s has CHANGED during the run: it presented %s, first %s %s",
			addr, fp, k.Type(), gossh.FingerprintSHA256(k))
	}
	if !h.tofu {
		return fmt.Errorf("unknown host key of %s: %s is not in %s; add it there or set trustOnFirstUse", addr, fp, h.file)
	}
	if err := appendLine(h.file, knownhosts.Line([]string{name}, key)); err != nil {
		return fmt.Errorf("recording the host key of %s (%s): %w", addr, fp, err)
	}
	h.added[name] = key
	if h.log != nil {
		h.log.Info("ssh host key trusted on first use", "host", addr, "key", fp, "file", h.file)
	}
	return nil
}

// appendLine appends a line to file, after a newline if the file does not
// end with one.
func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	prefix := ""
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			prefix = "\n"
		}
	}
	w := bufio.NewWriter(f)
	_, _ = io.WriteString(w, prefix+line+"\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
