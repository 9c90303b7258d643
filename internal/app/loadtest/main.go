// Package loadtest is the end-to-end benchmark: it builds deskmock, a
// bare net/http handler and the ceiling (an empty request path behind
// serve's timeouts, write deadline and log line), starts each as its own
// process on loopback (deskmock as the README starts it, its log read as a
// terminal would), and drives each case from N keep-alive connections for
// a fixed time, one server at a time, the bare handler first in each
// round. For every case and server it prints requests per second, latency
// percentiles, CPU per request (utime+stime from /proc), peak RSS (VmHWM),
// the ratios to the bare handler and to the ceiling of the same round, and
// deskmock's allocations per request, counted in this process through its
// Handler(); each figure is the median over the rounds, with the spread.
//
//	go run ./cmd/loadtest -runs 5 -duration 3s
//
// It needs Linux (/proc) and the go command.
package loadtest

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/deskmock/deskmock/internal/cmdline"
	"github.com/deskmock/deskmock/internal/cpuprofile"
	"github.com/deskmock/deskmock/internal/rawhttp"
)

// Main runs the benchmark with the command line args (after the program's
// name) and returns the exit status: 0 done, 1 a failure, 2 usage.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := cmdline.New("loadtest", "[flags]", description, "go run ./cmd/loadtest -h", stdout, stderr)
	runs := fs.Int("runs", 3, "rounds: every server runs every case once per round")
	duration := fs.Duration("duration", 3*time.Second, "how long each case is measured")
	warmup := fs.Duration("warmup", 500*time.Millisecond, "load before measuring, not counted")
	conns := fs.Int("conns", 32, "keep-alive connections")
	caseList := fs.String("cases", strings.Join(caseNames(), ","), "comma-separated cases")
	serverList := fs.String("servers", "bare,ceiling,deskmock,deskmock-quiet", "comma-separated servers: bare, ceiling (an empty request path behind serve's), deskmock (default logging), deskmock-quiet (--log-level error)")
	deskmockBin := fs.String("deskmock", "", "a deskmock `binary` to run instead of building ./cmd/deskmock")
	profileDir := fs.String("cpuprofile", "", "write a CPU profile of each server's measured time in each case and round into `dir` (CASE-SERVER-ROUND.pprof; the servers are built with -tags cpuprofile, and a -deskmock binary must be too)")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fs.UsageError("unexpected argument %q", pos[0])
	}
	if err := run(stdout, stderr, *runs, *duration, *warmup, *conns, split(*caseList), split(*serverList), *deskmockBin, *profileDir); err != nil {
		return fs.Failure("%v", err)
	}
	return cmdline.ExitOK
}

const description = `
The end-to-end benchmark: builds deskmock, a bare net/http handler and the
ceiling (an empty request path behind serve's timeouts and log line), starts
each as its own process on loopback and drives each case from keep-alive
connections, one server at a time; prints each figure's median over the
rounds with its spread, the ratios to the bare handler and to the ceiling,
and deskmock's allocations per request counted in this process. Run it from
the module's root; it needs Linux (/proc) and the go command.`

func split(s string) []string { return strings.Split(s, ",") }

// server is a process the benchmark starts.
type server struct {
	name string
	// args start it on an address (after the binary).
	args func(addr string) []string
	bin  string
	// checked servers must answer each case's code; the bare handler and
	// the ceiling answer every request alike.
	checked bool
	// level, for deskmock, is its log level, at which its Handler() is
	// also measured in this process.
	level *slog.Level
}

// result is one server's figures on one case in one round.
type result struct {
	reqs     float64 // per second
	p50      time.Duration
	p90      time.Duration
	p99      time.Duration
	cpuPer   time.Duration // CPU per request
	faults   float64       // minor page faults per request
	peakRSS  int64
	failures int64
}

func run(stdout, stderr io.Writer, runs int, duration, warmup time.Duration, conns int, chosenCases, serverNames []string, deskmockBin, profileDir string) error {
	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	defer os.RemoveAll(dir)
	var tags []string
	if profileDir != "" {
		if err := os.MkdirAll(profileDir, 0o755); err != nil {
			return fmt.Errorf("loadtest: %w", err)
		}
		tags = []string{"-tags", "cpuprofile"}
	}
	bare, ceiling := filepath.Join(dir, "bare"), filepath.Join(dir, "ceiling")
	if err := build(bare, "./internal/app/loadtest/bare", tags...); err != nil {
		return err
	}
	if err := build(ceiling, "./internal/app/loadtest/ceiling", tags...); err != nil {
		return err
	}
	if deskmockBin == "" {
		deskmockBin = filepath.Join(dir, "deskmock")
		if err := build(deskmockBin, "./cmd/deskmock", tags...); err != nil {
			return err
		}
	}
	info, quiet := slog.LevelInfo, slog.LevelError
	known := map[string]*server{
		"bare":     {name: "bare", bin: bare, args: func(a string) []string { return []string{"--addr", a} }},
		"ceiling":  {name: "ceiling", bin: ceiling, args: func(a string) []string { return []string{"--addr", a} }},
		"deskmock": {name: "deskmock", bin: deskmockBin, checked: true, level: &info, args: func(a string) []string { return append([]string{"serve", "--addr", a}, serveRules...) }},
		"deskmock-quiet": {name: "deskmock-quiet", bin: deskmockBin, checked: true, level: &quiet, args: func(a string) []string {
			return append([]string{"serve", "--addr", a, "--log-level", "error"}, serveRules...)
		}},
	}
	var servers []*server
	for _, n := range serverNames {
		s, ok := known[n]
		if !ok {
			return fmt.Errorf("loadtest: no server %q", n)
		}
		servers = append(servers, s)
	}
	var cases []*loadCase
	for _, n := range chosenCases {
		c, ok := caseNamed(n)
		if !ok {
			return fmt.Errorf("loadtest: no case %q; cases: %s", n, strings.Join(caseNames(), ", "))
		}
		cases = append(cases, c)
	}
	out := make(map[string]map[string][]result) // case, server
	for r := 0; r < runs; r++ {
		for _, c := range cases {
			if out[c.name] == nil {
				out[c.name] = map[string][]result{}
			}
			for _, s := range servers {
				profile := ""
				if profileDir != "" {
					profile = filepath.Join(profileDir, fmt.Sprintf("%s-%s-%d.pprof", c.name, s.name, r+1))
				}
				res, err := measure(s, c, conns, warmup, duration, profile)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", c.name, s.name, err)
				}
				out[c.name][s.name] = append(out[c.name][s.name], res)
				fmt.Fprintf(stderr, "round %d/%d %-13s %-15s %8.0f req/s\n", r+1, runs, c.name, s.name, res.reqs)
			}
		}
	}
	// The allocations of deskmock's request path, which another process
	// does not show: its Handler() serving the same requests here.
	allocs := map[string]map[string]inProcess{} // case, server
	for _, c := range cases {
		allocs[c.name] = map[string]inProcess{}
		for _, s := range servers {
			if s.level == nil {
				continue
			}
			a, failed, err := inProcessAllocs(c, *s.level)
			if err != nil {
				return fmt.Errorf("%s on %s in process: %w", c.name, s.name, err)
			}
			if failed > 0 {
				return fmt.Errorf("%s on %s in process: %d replies without the expected code", c.name, s.name, failed)
			}
			allocs[c.name][s.name] = inProcess{allocs: a, ok: true}
		}
	}
	fmt.Fprintf(stdout, "%d rounds of %s per case and server (after %s of warm-up), %d keep-alive connections, GOMAXPROCS of the servers: all %d cores\n",
		runs, duration, warmup, conns, runtime.NumCPU())
	fmt.Fprintf(stdout, "allocs/req: deskmock's Handler() in this process, over %d requests of the case after %d\n", allocCount, allocWarm)
	for _, c := range cases {
		report(stdout, c.name, servers, out[c.name], allocs[c.name])
	}
	return nil
}

// build compiles a main package of this module into bin, with flags
// before the package.
func build(bin, pkg string, flags ...string) error {
	cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, flags...), pkg)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("loadtest: go build %s: %w", pkg, err)
	}
	return nil
}

// measure starts s, drives c against it and stops it; with a profile
// path, the server profiles its CPU while measured into that file.
func measure(s *server, c *loadCase, conns int, warmup, duration time.Duration, profile string) (result, error) {
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(s.bin, s.args(addr)...)
	if profile != "" {
		cmd.Env = append(os.Environ(), cpuprofile.EnvVar+"="+profile)
	}
	// The log is read as a terminal reads it: every byte, promptly.
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return result{}, fmt.Errorf("loadtest: %w", err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	if err := waitHealthy(addr); err != nil {
		return result{}, err
	}
	cs := make([]*rawhttp.Conn, conns)
	scripts := make([]script, conns)
	for i := range cs {
		if cs[i], err = rawhttp.Dial(addr); err != nil {
			return result{}, err
		}
		defer cs[i].Close()
		if scripts[i], err = c.start(conn{do: cs[i].Do, host: addr, w: i + 1, now: time.Now}); err != nil {
			return result{}, err
		}
	}
	var stage atomic.Int32 // 0 warm-up, 1 measuring, 2 done
	var count, failures atomic.Int64
	hists := make([]histogram, conns)
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	for i := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				st := stage.Load()
				if st == 2 {
					return
				}
				req, want := scripts[i].next()
				var body []byte
				var err error
				if st == 1 {
					body, err = timedDo(cs[i], req, &hists[i])
				} else {
					body, err = cs[i].Do(req)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				scripts[i].got(body)
				if stage.Load() == 1 && st == 1 {
					count.Add(1)
					if s.checked && !bytes.Contains(body, want) {
						failures.Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(warmup)
	use0, err := procUsage(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	if profile != "" {
		cmd.Process.Signal(syscall.SIGUSR1)
	}
	stage.Store(1)
	start := time.Now()
	time.Sleep(duration)
	stage.Store(2)
	took := time.Since(start)
	use1, err := procUsage(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	if profile != "" {
		if err := stopProfile(cmd.Process, profile); err != nil {
			return result{}, err
		}
	}
	wg.Wait()
	if firstErr != nil {
		return result{}, firstErr
	}
	rss, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	var h histogram
	for i := range hists {
		h.merge(&hists[i])
	}
	n := count.Load()
	if n == 0 {
		return result{}, fmt.Errorf("loadtest: no request completed")
	}
	return result{
		reqs:    float64(n) / took.Seconds(),
		p50:     h.quantile(0.50),
		p90:     h.quantile(0.90),
		p99:     h.quantile(0.99),
		cpuPer:  (use1.cpu - use0.cpu) / time.Duration(n),
		faults:  float64(use1.faults-use0.faults) / float64(n),
		peakRSS: rss, failures: failures.Load(),
	}, nil
}

// stopProfile asks a server to stop profiling and waits until it wrote
// the profile whole.
func stopProfile(p *os.Process, profile string) error {
	p.Signal(syscall.SIGUSR2)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := os.Remove(profile + ".done"); err == nil {
			return nil
		}
	}
	return fmt.Errorf("loadtest: no profile written to %s (was the server built with -tags cpuprofile?)", profile)
}

// freeAddr returns a loopback address with a port free just now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("loadtest: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHealthy waits for GET /__admin/health to answer 200.
func waitHealthy(addr string) error {
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		resp, err := client.Get("http://" + addr + "/__admin/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("loadtest: %s did not answer health within 10s", addr)
}

// inProcess is a server's allocations per request measured in this
// process; ok is false for a server not measured so.
type inProcess struct {
	allocs float64
	ok     bool
}

// report prints one case's table: medians over the rounds, spread of
// req/s and of the ratios as min–max, the ratios to the bare handler and
// to the ceiling of the same round, and the in-process allocations.
func report(w io.Writer, name string, servers []*server, res map[string][]result, allocs map[string]inProcess) {
	fmt.Fprintf(w, "\n%s\n", name)
	fmt.Fprintf(w, "%-15s %22s %18s %19s %8s %8s %8s %10s %11s %9s %11s\n", "server", "req/s [min-max]", "x bare [min-max]", "x ceiling [min-max]", "p50 µs", "p90 µs", "p99 µs", "CPU µs/req", "faults/req", "peak RSS", "allocs/req")
	ratio := func(rs, base []result, same bool) string {
		if base == nil || same {
			return "-"
		}
		rt := make([]float64, len(rs))
		for i := range rs {
			rt[i] = rs[i].reqs / base[i].reqs
		}
		lo, med, hi := spread(rt)
		return fmt.Sprintf("%.2f [%.2f-%.2f]", med, lo, hi)
	}
	for _, s := range servers {
		rs := res[s.name]
		lo, med, hi := spread(pick(rs, func(r result) float64 { return r.reqs }))
		us := func(f func(result) time.Duration) float64 {
			_, m, _ := spread(pick(rs, func(r result) float64 { return float64(f(r)) / 1e3 }))
			return m
		}
		_, rss, _ := spread(pick(rs, func(r result) float64 { return float64(r.peakRSS) / (1 << 20) }))
		_, faults, _ := spread(pick(rs, func(r result) float64 { return r.faults }))
		a := "-"
		if ip := allocs[s.name]; ip.ok {
			a = fmt.Sprintf("%.1f", ip.allocs)
		}
		fmt.Fprintf(w, "%-15s %22s %18s %19s %8.0f %8.0f %8.0f %10.1f %11.2f %5.1f MiB %11s",
			s.name, fmt.Sprintf("%.0f [%.0f-%.0f]", med, lo, hi),
			ratio(rs, res["bare"], s.name == "bare"), ratio(rs, res["ceiling"], s.name == "ceiling"),
			us(func(r result) time.Duration { return r.p50 }), us(func(r result) time.Duration { return r.p90 }),
			us(func(r result) time.Duration { return r.p99 }), us(func(r result) time.Duration { return r.cpuPer }), faults, rss, a)
		var failed int64
		for _, r := range rs {
			failed += r.failures
		}
		if failed > 0 {
			fmt.Fprintf(w, "  (%d replies without the expected code)", failed)
		}
		fmt.Fprintln(w)
	}
}

func pick(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// spread returns the smallest, the median and the largest of xs.
func spread(xs []float64) (lo, med, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}
