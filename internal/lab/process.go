package lab

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one daemon run in the foreground.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *capped
	done chan struct{}
	err  error // set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// startProcess runs argv with output captured for error messages. The child
// gets SIGTERM if this process dies first.
func startProcess(name string, env []string, argv ...string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	out := &capped{max: 64 << 10}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) output() string {
	s := strings.TrimSpace(p.out.String())
	if s == "" {
		return "(no output)"
	}
	return s
}

// stop sends SIGTERM and waits for the process to exit (SIGKILL after 10s).
// It is safe to call more than once.
func (p *process) stop() error {
	p.stopOnce.Do(func() {
		if p.exited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("%s (pid %d) ignored SIGTERM for 10s and was killed", p.name, p.pid())
		}
	})
	return p.stopErr
}

// capped is a goroutine-safe buffer that keeps the first max bytes.
type capped struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (c *capped) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		if len(b) > room {
			c.buf.Write(b[:room])
		} else {
			c.buf.Write(b)
		}
	}
	return len(b), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// lock is an exclusive flock on /tmp/cairn-lab-<name>.lock. The file also
// holds the pid of the daemon started under it, so that a daemon left over by
// a test process that was killed can be stopped by the next holder.
type lock struct {
	name string
	f    *os.File
	comm string // the daemon's /proc/<pid>/comm prefix
}

// LockPath is the lock file serialising daemon name ("sshd", "snmpd",
// "node-exporter") across processes.
func LockPath(name string) string {
	return filepath.Join(os.TempDir(), "cairn-lab-"+name+".lock")
}

// acquireLock takes the lock for name, polling until timeout. comm is the
// command name of the daemon, used to recognise a stale one.
func acquireLock(name, comm string, timeout time.Duration, logf func(string, ...any)) (*lock, error) {
	path := LockPath(name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		f, err = os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	} else {
		_ = f.Chmod(0o666) // share with other users despite the umask
	}
	start := time.Now()
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			_ = f.Close()
			return nil, fmt.Errorf("flock %s: %w", path, err)
		}
		if time.Since(start) > timeout {
			_ = f.Close()
			return nil, fmt.Errorf("%s is in use by another test (lock %s still held after %v)", name, path, timeout)
		}
		if !logged && logf != nil {
			logf("lab: waiting for %s: another test holds %s", name, path)
			logged = true
		}
		time.Sleep(50 * time.Millisecond)
	}
	l := &lock{name: name, f: f, comm: comm}
	l.killStale()
	return l, nil
}

// killStale stops a daemon whose pid the previous holder left in the lock
// file: the holder's process is gone, but the daemon may not be.
func (l *lock) killStale() {
	b := make([]byte, 32)
	n, _ := l.f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 1 {
		return
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), l.comm) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 100; i++ {
		if err := syscall.Kill(pid, 0); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	l.setPID(0)
}

// setPID records the daemon's pid in the lock file (0 clears it).
func (l *lock) setPID(pid int) {
	_ = l.f.Truncate(0)
	if pid > 0 {
		_, _ = l.f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	}
}

func (l *lock) release() error {
	l.setPID(0)
	return l.f.Close() // closing the descriptor releases the flock
}
