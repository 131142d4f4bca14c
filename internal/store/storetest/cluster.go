package storetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvPostgresBin names the environment variable with the directory of the
// PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) clusters are
// started from. Unset, the newest /usr/lib/postgresql/*/bin is used, then
// PATH.
const EnvPostgresBin = "CAIRN_PG_BIN"

// Cluster is a PostgreSQL cluster of the test's own (initdb in a temporary
// directory, listening on a free 127.0.0.1 port, trust authentication),
// for tests that restart the server or replicate from it. It is stopped
// and removed when the test ends. When root runs the tests the cluster runs
// as the OS user postgres, since PostgreSQL refuses to run as root.
type Cluster struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Dir is the data directory.
	Dir string
	// Log is the server's log file.
	Log string

	bin      string
	runAs    string // OS user, or "" for the current one
	settings []string
}

// DSN returns a DSN for database (e.g. "postgres") on the cluster.
func (c *Cluster) DSN(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, database)
}

// StartCluster initdb's a new cluster and starts it with the given server
// settings ("wal_level=replica", ...). Without the PostgreSQL binaries it
// skips the test, or fails it when CAIRN_LAB=1 or CI=true.
func StartCluster(t testing.TB, settings ...string) *Cluster {
	t.Helper()
	bin := postgresBin(t)
	c := &Cluster{bin: bin, settings: settings}
	root := clusterRoot(t, c)
	c.Dir = filepath.Join(root, "data")
	c.Log = filepath.Join(root, "server.log")
	c.run(t, "initdb", "-D", c.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N")
	c.start(t)
	return c
}

// StartStandby makes a streaming replica of c with pg_basebackup -R and
// starts it on its own port (hot_standby, the default, lets it answer
// reads). c must run with wal_level=replica (the default) and allow
// replication connections (initdb's trust does).
func (c *Cluster) StartStandby(t testing.TB) *Cluster {
	t.Helper()
	s := &Cluster{bin: c.bin, settings: c.settings}
	root := clusterRoot(t, s)
	s.Dir = filepath.Join(root, "data")
	s.Log = filepath.Join(root, "server.log")
	s.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres",
		"-D", s.Dir, "-R", "-X", "stream", "-c", "fast")
	s.start(t)
	return s
}

// Restart restarts the server (pg_ctl restart -m fast: sessions are ended
// with FATAL 57P01, the server checkpoints and starts again on the same
// port) and returns once it accepts connections.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	c.run(t, "pg_ctl", "restart", "-D", c.Dir, "-m", "fast", "-w", "-t", "60", "-l", c.Log)
}

func clusterRoot(t testing.TB, c *Cluster) string {
	t.Helper()
	// Not t.TempDir(): its parent is 0700 and owned by root, where the
	// postgres user cannot reach.
	root, err := os.MkdirTemp("", "cairn-pg-")
	if err != nil {
		t.Fatalf("storetest: cluster directory: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("storetest: running as root, PostgreSQL must run as the user postgres, which does not exist (apt-get install postgresql creates it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatalf("storetest: %v", err)
		}
		c.runAs = "postgres"
	}
	if err := os.Chmod(root, 0o700); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return root
}

func (c *Cluster) start(t testing.TB) {
	t.Helper()
	c.Port = freePort(t)
	opts := []string{"-p", strconv.Itoa(c.Port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + filepath.Dir(c.Dir)}
	for _, s := range c.settings {
		opts = append(opts, "-c", s)
	}
	c.run(t, "pg_ctl", "start", "-D", c.Dir, "-w", "-t", "60", "-l", c.Log, "-o", strings.Join(opts, " "))
	t.Cleanup(func() {
		// Immediate: the data directory is removed next.
		_, _ = c.output("pg_ctl", "stop", "-D", c.Dir, "-m", "immediate", "-w", "-t", "30")
	})
}

func (c *Cluster) output(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = "/"
	return cmd.CombinedOutput()
}

func (c *Cluster) run(t testing.TB, tool string, args ...string) {
	t.Helper()
	start := time.Now()
	out, err := c.output(tool, args...)
	if err != nil {
		logTail, _ := os.ReadFile(c.Log)
		if len(logTail) > 4000 {
			logTail = logTail[len(logTail)-4000:]
		}
		t.Fatalf("storetest: %s %s: %v\n%s\nserver log:\n%s", tool, strings.Join(args, " "), err, out, logTail)
	}
	t.Logf("storetest: %s %s (%s)", tool, args[0], time.Since(start).Round(time.Millisecond))
}

// postgresBin finds the directory of initdb, pg_ctl and pg_basebackup.
func postgresBin(t testing.TB) string {
	t.Helper()
	tools := []string{"initdb", "pg_ctl", "pg_basebackup"}
	has := func(dir string) bool {
		for _, tool := range tools {
			if fi, err := os.Stat(filepath.Join(dir, tool)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv(EnvPostgresBin); dir != "" {
		if !has(dir) {
			t.Fatalf("storetest: %s=%s holds no %s", EnvPostgresBin, dir, strings.Join(tools, ", "))
		}
		return dir
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if has(d) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p)
	}
	const how = "install them (apt-get install postgresql-15) or set " + EnvPostgresBin + " to their directory"
	if os.Getenv("CAIRN_LAB") == "1" || os.Getenv("CI") == "true" {
		t.Fatal("storetest: the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed but CAIRN_LAB=1 or CI=true, so tests that start their own cluster must run: " + how)
	}
	t.Skip("storetest: the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed: " + how + ", then CAIRN_LAB=1 make test")
	return ""
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("storetest: free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
