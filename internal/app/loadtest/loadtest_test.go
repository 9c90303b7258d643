package loadtest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/rawhttp"
)

func TestHistogramQuantile(t *testing.T) {
	var h histogram
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond / 10) // 0.1 ms … 10 ms
	}
	h.add(20 * time.Second)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 100 * time.Microsecond},
		{0.5, 5100 * time.Microsecond},
		{0.9, 9100 * time.Microsecond},
		{0.99, 10 * time.Millisecond},
		{1, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := h.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %s, want %s", tt.q, got, tt.want)
		}
	}
}

func TestProcFigures(t *testing.T) {
	pid := os.Getpid()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	start := time.Now()
	for time.Since(start) < 50*time.Millisecond { // burn CPU the clock ticks can see
	}
	use, err := procUsage(pid)
	if err != nil || use.cpu <= 0 || use.faults <= 0 {
		t.Errorf("procUsage = %+v, %v; want some CPU and some page faults", use, err)
	}
	rss, err := peakRSS(pid)
	if err != nil || rss < 1<<20 {
		t.Errorf("peakRSS = %d, %v; want at least 1 MiB", rss, err)
	}
}

func TestSpread(t *testing.T) {
	for _, tt := range []struct {
		xs          []float64
		lo, med, hi float64
	}{
		{[]float64{3, 1, 2}, 1, 2, 3},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
		{[]float64{7}, 7, 7, 7},
	} {
		if lo, med, hi := spread(tt.xs); lo != tt.lo || med != tt.med || hi != tt.hi {
			t.Errorf("spread(%v) = %v %v %v, want %v %v %v", tt.xs, lo, med, hi, tt.lo, tt.med, tt.hi)
		}
	}
}

// Every case's requests get the codes the case expects from deskmock's
// Handler(), at serve's default log level and at --log-level error, and
// allocate something there.
func TestCasesAnswerExpectedCodes(t *testing.T) {
	for _, c := range cases {
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError} {
			t.Run(c.name+"/"+level.String(), func(t *testing.T) {
				allocs, failed, err := inProcessAllocs(c, level)
				if err != nil {
					t.Fatal(err)
				}
				if failed > 0 {
					t.Errorf("%d of %d replies without the expected code", failed, allocCount)
				}
				if allocs <= 0 {
					t.Errorf("allocs/req = %v, want some", allocs)
				}
			})
		}
	}
}

// The scripts that open streams send what they are meant to: v2
// continuations nearly all continue a stream, and the mix holds first
// chunks, continuations and last chunks on both endpoints and both kinds
// of refusal, with 3 to 15 chunks a stream.
func TestScriptsSendTheirMix(t *testing.T) {
	tests := []struct {
		name string
		want map[string][2]float64 // share of requests: min, max
	}{
		{"v2-continuation", map[string][2]float64{
			"v2": {1, 1}, "continuation": {0.95, 1}, "last": {0, 0}, "refused": {0, 0},
		}},
		{"mix", map[string][2]float64{
			"v1": {0.4, 0.6}, "v2": {0.4, 0.6}, "first": {0.06, 0.2}, "continuation": {0.6, 0.9},
			"last": {0.06, 0.2}, "70009": {0.04, 0.06}, "141006": {0.04, 0.06},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := caseNamed(tt.name)
			clock := &virtualClock{base: time.Now()}
			h, err := handlerAt(slog.LevelError, clock.now)
			if err != nil {
				t.Fatal(err)
			}
			rw := &replyWriter{header: http.Header{}}
			sc, err := c.start(conn{host: inProcessHost, w: 1, now: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			const n = 4000
			count := map[string]int{}
			chunks := map[string]int{} // per session
			ended := map[string]bool{}
			for i := 0; i < n; i++ {
				clock.offset.Add(int64(inProcessStep))
				raw, want := sc.next()
				r, err := parseRequest(raw)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				rw.reset()
				h.ServeHTTP(rw, r)
				if !bytes.Contains(rw.body, want) {
					t.Fatalf("request %d: reply %s, want %s\n%s", i, rw.body, want, body)
				}
				sc.got(rw.body)
				switch {
				case bytes.Contains(want, []byte("70009")):
					count["70009"]++
				case bytes.Contains(want, []byte("141006")):
					count["141006"]++
				case bytes.Contains(body, []byte(`"MsgKey"`)):
					count["continuation"]++
				default:
					count["first"]++
				}
				if strings.Contains(r.URL.Path, "_v2") {
					count["v2"]++
				} else {
					count["v1"]++
				}
				if bytes.Contains(body, []byte(`"Finish":1`)) || bytes.Contains(body, []byte(`"IsLast":true`)) {
					count["last"]++
				}
				if bytes.Equal(want, codeOK) {
					var b struct{ SessionId string }
					json.Unmarshal(body, &b)
					chunks[b.SessionId]++
					ended[b.SessionId] = count["last"] > 0 && (bytes.Contains(body, []byte(`"Finish":1`)) || bytes.Contains(body, []byte(`"IsLast":true`)))
				}
			}
			t.Logf("%v", count)
			for k, r := range tt.want {
				if share := float64(count[k]) / n; share < r[0] || share > r[1] {
					t.Errorf("%s: %.3f of the requests, want %.2f to %.2f (%v)", k, share, r[0], r[1], count)
				}
			}
			if tt.name == "mix" {
				for s, k := range chunks {
					// Streams still open at the end may have sent fewer.
					if k > 15 || ended[s] && k < 3 {
						t.Errorf("session %s: %d chunks (ended %v), want 3 to 15", s, k, ended[s])
					}
				}
			}
		})
	}
}

// The report gives the ratios to bare and to the ceiling of the same
// round, medians with their spread, and the in-process allocations.
func TestReport(t *testing.T) {
	r := func(reqs float64) result {
		return result{reqs: reqs, p50: time.Millisecond, p90: 2 * time.Millisecond, p99: 5 * time.Millisecond, cpuPer: 30 * time.Microsecond, faults: 0.25, peakRSS: 20 << 20}
	}
	tests := []struct {
		name    string
		servers []string
		res     map[string][]result
		allocs  map[string]inProcess
		want    []string // lines, fields split by spaces
	}{
		{"all four", []string{"bare", "ceiling", "deskmock", "deskmock-quiet"},
			map[string][]result{
				"bare":           {r(1000), r(2000), r(1000)},
				"ceiling":        {r(800), r(1000), r(900)},
				"deskmock":       {r(720), r(900), r(450)},
				"deskmock-quiet": {r(800), r(1000), r(900)},
			},
			map[string]inProcess{"deskmock": {42.25, true}, "deskmock-quiet": {40, true}},
			[]string{
				"bare 1000 [1000-2000] - 1.25 [1.11-2.00] 1000 2000 5000 30.0 0.25 20.0 MiB -",
				"ceiling 900 [800-1000] 0.80 [0.50-0.90] - 1000 2000 5000 30.0 0.25 20.0 MiB -",
				"deskmock 720 [450-900] 0.45 [0.45-0.72] 0.90 [0.50-0.90] 1000 2000 5000 30.0 0.25 20.0 MiB 42.2",
				"deskmock-quiet 900 [800-1000] 0.80 [0.50-0.90] 1.00 [1.00-1.00] 1000 2000 5000 30.0 0.25 20.0 MiB 40.0",
			}},
		{"no bare, failures", []string{"ceiling", "deskmock"},
			map[string][]result{
				"ceiling":  {r(1000)},
				"deskmock": {{reqs: 500, failures: 3}},
			},
			nil,
			[]string{
				"ceiling 1000 [1000-1000] - - 1000 2000 5000 30.0 0.25 20.0 MiB -",
				"deskmock 500 [500-500] - 0.50 [0.50-0.50] 0 0 0 0.0 0.00 0.0 MiB - (3 replies without the expected code)",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var servers []*server
			for _, n := range tt.servers {
				servers = append(servers, &server{name: n})
			}
			var out strings.Builder
			report(&out, "case", servers, tt.res, tt.allocs)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2+len(tt.want) || lines[0] != "case" {
				t.Fatalf("report:\n%s", out.String())
			}
			if h := strings.Join(strings.Fields(lines[1]), " "); h != "server req/s [min-max] x bare [min-max] x ceiling [min-max] p50 µs p90 µs p99 µs CPU µs/req faults/req peak RSS allocs/req" {
				t.Errorf("header %q", h)
			}
			for i, want := range tt.want {
				if got := strings.Join(strings.Fields(lines[2+i]), " "); got != want {
					t.Errorf("line %d:\n got %s\nwant %s", i, got, want)
				}
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for a process's output and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// The built ceiling answers every request with the vendor's success
// envelope, its keys in deskmock's order, and logs one line per request
// shaped like serve's default line for a first chunk.
func TestCeilingAnswersAndLogsLikeServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "ceiling")
	if out, err := exec.Command("go", "build", "-o", bin, "./ceiling").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd := exec.Command(bin, "--addr", addr)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := waitHealthy(addr); err != nil {
		t.Fatal(err)
	}
	h, err := handlerAt(slog.LevelError, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(reply []byte) []string {
		var out []string
		d := json.NewDecoder(bytes.NewReader(reply))
		d.Token()
		for d.More() {
			k, _ := d.Token()
			var v any
			d.Decode(&v)
			out = append(out, k.(string))
		}
		return out
	}
	for i, tt := range []struct {
		name string
		ep   endpointCalls
		msg  string
	}{{"v1", v1, "send_stream_msg"}, {"v2", v2, "send_stream_msg_v2"}} {
		t.Run(tt.name, func(t *testing.T) {
			// The ceiling writes a request's line after its answer, so a line
			// may come late: the lines before this request's are counted,
			// not read, one for the health probe that answered and one for
			// each subtest before.
			before := 1 + i
			c, err := rawhttp.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			req := rawhttp.Request(addr, target(tt.ep.path, goodKey), tt.ep.body(chunk{session: session(1, 0), index: 1}))
			reply, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var env struct {
				ActionStatus, ErrorInfo, MsgKey, RequestId string
				ErrorCode                                  *int
			}
			if err := json.Unmarshal(reply, &env); err != nil || env.ActionStatus != "OK" || env.ErrorInfo != "" || env.ErrorCode == nil || *env.ErrorCode != 0 || env.MsgKey == "" || env.RequestId == "" {
				t.Errorf("reply %s (%v): want the vendor's success envelope", reply, err)
			}
			r, _ := parseRequest(rawhttp.Request(inProcessHost, target(tt.ep.path, goodKey), tt.ep.body(chunk{session: session(1, 0), index: 1})))
			rw := &replyWriter{header: http.Header{}}
			h.ServeHTTP(rw, r)
			if got, want := keys(reply), keys(rw.body); !slices.Equal(got, want) {
				t.Errorf("keys %v, deskmock's %v (%s)", got, want, rw.body)
			}
			var lines []string
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if lines = strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) > before {
					break
				}
			}
			if len(lines) != before+1 {
				t.Fatalf("%d log lines, want %d (one for the health probe, one a request):\n%s", len(lines), before+1, stderr.String())
			}
			re := regexp.MustCompile(`^time=\S+ level=INFO msg=` + tt.msg + ` code=0 session_id=[0-9a-f-]{36} msg_key=\S+ request_id=Id-[0-9a-f]{32}-O-Seq-\d+ took=\S+$`)
			if !re.MatchString(lines[before]) {
				t.Errorf("line\n%s\ndoes not match serve's\n%s", lines[before], re)
			}
		})
	}
}
