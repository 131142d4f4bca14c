package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/loadgen"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// BenchmarkTwoProcessesPostgres: the lookup at 8 clients against one
// `cairn serve` process, then against two on the same PostgreSQL database
// with the clients spread over both (client c to process c%2), in
// interleaved rounds (CAIRN_BENCH_ROUNDS, default 3). It reports the median
// req/s of each and their ratio, and the servers' CPU per request. The
// processes are the built binary with serve's defaults (its GC target
// included) and --no-scheduler; the load generator runs in this process.
// It needs the 100,000-CI estate in CAIRN_BENCH_POSTGRES_DSN (seeded by
// the other PostgreSQL benchmarks, or `cairn seed --synthetic 100000`).
func BenchmarkTwoProcessesPostgres(b *testing.B) {
	dsn := os.Getenv("CAIRN_BENCH_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("set CAIRN_BENCH_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/cairnbench?sslmode=disable (holding the synthetic estate) to run it")
	}
	ctx := context.Background()
	n := estateSize()
	token := mpToken(b, ctx, dsn, n)
	bin := mpBuild(b)
	procs := []*mpServe{mpStart(b, bin, dsn, "A"), mpStart(b, bin, dsn, "B")}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	const clients = 8
	body := func(c, i int) []byte {
		return loadgen.Body(lookupQuery, map[string]any{"h": estate.SyntheticHostname((c*7919 + i*104729) % n)})
	}
	load := func(b *testing.B, urls []string, d time.Duration) loadgen.Result {
		b.Helper()
		res, err := loadgen.Run(ctx, loadgen.Options{URLs: urls, Token: token, Clients: clients, Duration: d, Body: body})
		if err != nil {
			b.Fatal(err)
		}
		if res.Errors > 0 {
			b.Fatalf("%d errors, first: %s", res.Errors, res.FirstErr)
		}
		return res
	}
	// run warms up for a second, then measures for d: req/s and the
	// servers' CPU per request.
	run := func(b *testing.B, urls []string, d time.Duration) (loadgen.Result, time.Duration) {
		b.Helper()
		load(b, urls, time.Second)
		cpu0 := mpCPU(b, procs)
		res := load(b, urls, d)
		return res, (mpCPU(b, procs) - cpu0) / time.Duration(max(1, res.Requests))
	}
	one := []string{procs[0].url}
	two := []string{procs[0].url, procs[1].url}
	for b.Loop() {
		// Both processes warmed: statement caches, pools, the heap.
		load(b, two, 3*time.Second)
		var ones, twos []float64
		for r := range rounds {
			res1, cpu1 := run(b, one, loadDuration())
			res2, cpu2 := run(b, two, loadDuration())
			ones, twos = append(ones, res1.PerSecond), append(twos, res2.PerSecond)
			b.Logf("round %d: one process %.0f req/s (p50 %s, p99 %s, server CPU %s/req); two processes %.0f req/s (p50 %s, p99 %s, server CPU %s/req); ratio %.2f",
				r+1, res1.PerSecond, res1.P50, res1.P99, cpu1.Round(time.Microsecond), res2.PerSecond, res2.P50, res2.P99, cpu2.Round(time.Microsecond), res2.PerSecond/res1.PerSecond)
		}
		m1, m2 := median(ones), median(twos)
		b.ReportMetric(m1, "one-req/s")
		b.ReportMetric(m2, "two-req/s")
		b.ReportMetric(m2/m1, "ratio")
		b.Logf("lookup, %d clients, medians of %d rounds: one process %.0f req/s, two processes %.0f req/s, ratio %.2f", clients, rounds, m1, m2, m2/m1)
	}
}

// median of xs (not empty).
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// mpToken checks that dsn holds the n-CI estate and creates a viewer token
// in it, deleted when the benchmark ends.
func mpToken(b *testing.B, ctx context.Context, dsn string, n int) string {
	b.Helper()
	db, err := app.Open(ctx, dsn, app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	have, err := db.Client.ConfigurationItem.Query().Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if have != n {
		b.Fatalf("CAIRN_BENCH_POSTGRES_DSN holds %d CIs, not the %d-CI estate: seed it first (cairn seed --synthetic %d)", have, n, n)
	}
	name := fmt.Sprintf("bench-multiprocess-%d", time.Now().UnixNano())
	secret, _, err := auth.CreateToken(audit.WithActor(ctx, "bench"), db.Client, name, apitoken.RoleViewer, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		db, err := app.Open(context.Background(), dsn, app.Options{})
		if err != nil {
			b.Errorf("removing token %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx := audit.WithActor(context.Background(), "bench")
		if err := txn.Do(ctx, db.Client, func(tx *ent.Client) error {
			_, err := tx.APIToken.Delete().Where(apitoken.Name(name)).Exec(ctx)
			return err
		}); err != nil {
			b.Errorf("removing token %s: %v", name, err)
		}
	})
	return secret
}

// mpBuild builds the cairn command.
func mpBuild(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "cairn")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cairn-cmdb/cairn/cmd/cairn").CombinedOutput()
	if err != nil {
		b.Fatalf("building cairn: %v\n%s", err, out)
	}
	return bin
}

// mpServe is a `cairn serve` process.
type mpServe struct {
	name string
	url  string
	pid  int
}

// mpStart starts `cairn serve` on dsn with its defaults, its environment
// without GOGC or CAIRN_* settings and its log in a file, and waits until
// it is ready.
func mpStart(b *testing.B, bin, dsn, name string) *mpServe {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logPath := filepath.Join(b.TempDir(), "serve-"+name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--db", dsn, "serve", "--addr", addr, "--no-scheduler")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAIRN_") && !strings.HasPrefix(kv, "GOGC=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Dir = b.TempDir()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting cairn serve %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	log := func() string { out, _ := os.ReadFile(logPath); return string(out) }
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			b.Errorf("cairn serve %s did not stop on SIGTERM; its log:\n%s", name, log())
		}
	})
	p := &mpServe{name: name, url: "http://" + addr + "/graphql", pid: cmd.Process.Pid}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-exited:
			b.Fatalf("cairn serve %s exited: %v\n%s", name, err, log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("cairn serve %s not ready after 60 s (%v)\n%s", name, err, log())
		}
	}
}

// mpCPU is the CPU time (user and system) the processes used so far, from
// /proc/PID/stat; 0 where /proc is missing.
func mpCPU(b *testing.B, procs []*mpServe) time.Duration {
	b.Helper()
	var total time.Duration
	for _, p := range procs {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		if err != nil {
			return 0
		}
		// The command name, in parentheses, may hold spaces: fields count
		// from after its closing parenthesis (utime, stime are 14 and 15).
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 13 {
			b.Fatalf("/proc/%d/stat: %q", p.pid, s)
		}
		for _, f := range fields[11:13] {
			ticks, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				b.Fatalf("/proc/%d/stat: %v", p.pid, err)
			}
			total += time.Duration(ticks) * time.Second / 100 // USER_HZ
		}
	}
	return total
}
