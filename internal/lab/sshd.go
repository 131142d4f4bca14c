package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHD is an OpenSSH server on 127.0.0.2:2222 that accepts public-key logins
// for the current user with a throwaway ed25519 key.
type SSHD struct {
	Addr string // "127.0.0.2:2222"
	Host string // "127.0.0.2"
	Port int    // 2222
	User string // the current user, e.g. root

	ClientKeyPEM   []byte        // the user's OpenSSH private key (ed25519, unencrypted)
	ClientKeyFile  string        // ClientKeyPEM written to a file (mode 0600), for ssh -i
	Signer         ssh.Signer    // the same key, ready for ssh.PublicKeys
	HostKey        ssh.PublicKey // the server's host key
	KnownHostsFile string        // a known_hosts file with HostKey for [127.0.0.2]:2222
	Dir            string        // sshd_config, keys, pid file, authorized_keys

	proc *process
}

// ClientConfig returns an ssh.ClientConfig that logs in as s.User with
// s.Signer and accepts only s.HostKey.
func (s *SSHD) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.Signer)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         10 * time.Second,
	}
}

// StartSSHD starts sshd on 127.0.0.2:2222 and stops it when the test ends.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	Need(t, "sshd for the ssh lab", "sshd")
	s, err := testEnv(t).StartSSHD()
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return s
}

// StartSSHD starts sshd on 127.0.0.2:2222; e.Close stops it.
func (e *Env) StartSSHD() (_ *SSHD, err error) {
	bin, err := LookPath("sshd")
	if err != nil {
		return nil, err
	}
	if bin, err = filepath.Abs(bin); err != nil { // sshd re-execs itself: it needs an absolute path
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("sshd: current user: %w", err)
	}
	lk, err := acquireLock("sshd", "sshd", e.lockTimeout(), e.logf)
	if err != nil {
		return nil, err
	}
	e.addCleanup(lk.release)

	dir, err := e.mkdir("sshd")
	if err != nil {
		return nil, err
	}
	host, portStr, _ := net.SplitHostPort(SSHDAddr)
	port, _ := strconv.Atoi(portStr)
	s := &SSHD{Addr: SSHDAddr, Host: host, Port: port, User: u.Username, Dir: dir}

	// Keys.
	hostPub, hostPEM, _, err := newEd25519Key("cairn-lab host key")
	if err != nil {
		return nil, err
	}
	s.HostKey = hostPub
	var clientPub ssh.PublicKey
	clientPub, s.ClientKeyPEM, s.Signer, err = newEd25519Key("cairn-lab client key")
	if err != nil {
		return nil, err
	}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	s.ClientKeyFile = filepath.Join(dir, "id_ed25519")
	authKeys := filepath.Join(dir, "authorized_keys")
	s.KnownHostsFile = filepath.Join(dir, "known_hosts")
	pidFile := filepath.Join(dir, "sshd.pid")
	config := filepath.Join(dir, "sshd_config")
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{hostKeyFile, hostPEM, 0o600},
		{hostKeyFile + ".pub", ssh.MarshalAuthorizedKey(hostPub), 0o644},
		{s.ClientKeyFile, s.ClientKeyPEM, 0o600},
		{s.ClientKeyFile + ".pub", ssh.MarshalAuthorizedKey(clientPub), 0o644},
		{authKeys, ssh.MarshalAuthorizedKey(clientPub), 0o600},
		{s.KnownHostsFile, []byte(knownhosts.Line([]string{knownhosts.Normalize(SSHDAddr)}, hostPub) + "\n"), 0o644},
		{config, []byte(fmt.Sprintf(`# cairn lab sshd: loopback only, throwaway keys, public-key logins only.
Port %d
ListenAddress %s
AddressFamily inet
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
ChallengeResponseAuthentication no
HostbasedAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
MaxStartups 100:30:200
MaxSessions 100
MaxAuthTries 10
LoginGraceTime 30
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
LogLevel ERROR
Subsystem sftp internal-sftp
# bash sources ~/.bashrc for commands run over ssh when it is a top-level
# shell; a heavy .bashrc (pyenv, nvm...) makes every command slow. SHLVL=1
# makes the login shell level 2, so commands start as fast as on a host
# whose .bashrc does nothing.
SetEnv SHLVL=1
`, port, host, hostKeyFile, pidFile, authKeys)), 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return nil, fmt.Errorf("sshd: %w", err)
		}
	}
	// The privilege separation directory; sshd refuses to start without it.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil && os.Geteuid() == 0 {
		return nil, fmt.Errorf("sshd: %w", err)
	}

	p, err := startProcess("sshd", os.Environ(), bin, "-D", "-e", "-f", config)
	if err != nil {
		return nil, err
	}
	s.proc = p
	lk.setPID(p.pid())
	e.addCleanup(p.stop)
	if err := s.waitReady(StartTimeout); err != nil {
		return nil, err
	}
	return s, nil
}

// waitReady waits until sshd accepts TCP and a public-key login succeeds.
func (s *SSHD) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := ssh.Dial("tcp", s.Addr, s.ClientConfig())
		if err == nil {
			return c.Close()
		}
		if s.proc.exited() {
			return fmt.Errorf("sshd exited: %s", s.proc.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd on %s: login as %s failed for %v: %v; output: %s", s.Addr, s.User, timeout, err, s.proc.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newEd25519Key makes a key pair: the public key, the private key as an
// OpenSSH PEM, and a signer.
func newEd25519Key(comment string) (ssh.PublicKey, []byte, ssh.Signer, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, nil, err
	}
	return sshPub, pem.EncodeToMemory(block), signer, nil
}
