// Command cairnlab (`make lab`) starts the discovery lab on loopback
// addresses: sshd on 127.0.0.2:2222, snmpd on udp 127.0.0.3:1161 and
// prometheus-node-exporter on 127.0.0.4:9100, prints how to reach them, and
// stops them on Ctrl-C. These are the daemons the integration tests start
// (see internal/lab); while cairnlab runs, lab tests wait for it to exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cairn-cmdb/cairn/internal/lab"
)

func main() {
	contact := flag.String("contact", "lab@cairn.example", "sysContact the SNMP agent reports")
	lockWait := flag.Duration("lock-wait", 10*time.Second, "how long to wait for lab tests that are using a daemon")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, *contact, *lockWait); err != nil {
		fmt.Fprintln(os.Stderr, "cairnlab:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, contact string, lockWait time.Duration) (err error) {
	for _, b := range []string{"sshd", "snmpd", "snmpget", "prometheus-node-exporter"} {
		if _, err := lab.LookPath(b); err != nil {
			return fmt.Errorf("%w; install the lab: apt-get install %s", err, lab.Packages)
		}
	}
	dir, err := os.MkdirTemp("", "cairnlab-")
	if err != nil {
		return err
	}
	env := lab.NewEnv(dir)
	env.LockTimeout = lockWait
	env.Logf = func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	defer func() {
		fmt.Fprintln(w, "stopping the lab")
		err = errors.Join(err, env.Close(), os.RemoveAll(dir))
	}()

	t0 := time.Now()
	s, err := env.StartSSHD()
	if err != nil {
		return err
	}
	dSSH := time.Since(t0)
	t0 = time.Now()
	n, err := env.StartSNMPD(contact)
	if err != nil {
		return err
	}
	dSNMP := time.Since(t0)
	t0 = time.Now()
	ne, err := env.StartNodeExporter()
	if err != nil {
		return err
	}
	dNE := time.Since(t0)

	fmt.Fprintf(w, `Cairn lab is running (files in %s).

sshd (ready in %v)
  address      %s
  user         %s
  key          %s
  known_hosts  %s
  try          ssh -i %s -o UserKnownHostsFile=%s -p %d %s@%s hostname

snmpd (ready in %v)
  address      udp %s
  v2c          community %q
  v3           user %q, SHA auth %q, AES priv %q (authPriv)
  sysContact   %s
  try          snmpget -v2c -c %s %s %s
               snmpget -v3 -l authPriv -u %s -a SHA -A %s -x AES -X %s %s %s

node_exporter (ready in %v)
  metrics      %s
  try          curl -s %s | grep node_uname_info

The keys are throwaway: they are deleted when the lab stops.
Press Ctrl-C to stop.
`,
		dir,
		dSSH.Round(time.Millisecond), s.Addr, s.User, s.ClientKeyFile, s.KnownHostsFile,
		s.ClientKeyFile, s.KnownHostsFile, s.Port, s.User, s.Host,
		dSNMP.Round(time.Millisecond), n.Addr, n.Community, n.User, n.AuthPass, n.PrivPass, n.SysContact,
		n.Community, n.Addr, lab.OIDSysContact,
		n.User, n.AuthPass, n.PrivPass, n.Addr, lab.OIDSysContact,
		dNE.Round(time.Millisecond), ne.URL, ne.URL,
	)
	<-ctx.Done()
	return nil
}
