//go:build unix

package deskmock

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// endpointURL is the URL of a version's endpoint at base (with a valid
// UserSig of the default app), for the request numbered random.
func endpointURL(t *testing.T, base, path string, random uint32) string {
	t.Helper()
	app := mockserver.DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return base + path + "?" + mockserver.Query(app.SDKAppID, app.Admins[0], sig, random)
}

// clientTimeout is how long a request may take before the server counts
// as blocked.
const clientTimeout = 10 * time.Second

// sendFirstChunks sends n first chunks, each on a session of its own, over
// workers keep-alive connections, and returns the slowest answer. It fails
// the test, and stops, at the first request that gets no 200 within
// clientTimeout.
func sendFirstChunks(t *testing.T, base string, n, workers int) time.Duration {
	t.Helper()
	url := endpointURL(t, base, mockserver.EndpointPath, 1)
	var next, failed atomic.Int64
	var mu sync.Mutex
	var slowest time.Duration
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{}, Timeout: clientTimeout}
			defer client.CloseIdleConnections()
			for failed.Load() == 0 {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				session := fmt.Sprintf("00000000-1111-4222-8333-%012d", i)
				start := time.Now()
				resp, err := client.Post(url, "application/json", strings.NewReader(mockserver.ChunkBody(session, "", "hi", false)))
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				took := time.Since(start)
				if err != nil {
					if failed.Add(1) == 1 {
						t.Errorf("request %d of %d: %v after %v", i, n, err, took)
					}
					return
				}
				mu.Lock()
				slowest = max(slowest, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	return slowest
}

// adminHealth returns the status and the problems /__admin/health answers.
func adminHealth(t *testing.T, base string) (int, []string) {
	t.Helper()
	client := &http.Client{Timeout: clientTimeout}
	resp, err := client.Get(base + "/__admin/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status   string
		Problems []string
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h.Problems
}

var droppedRE = regexp.MustCompile(`^log: (\d+) lines dropped`)

// logProblem returns the log's problem that /__admin/health at base
// names and the number of lines it says were dropped, failing the test
// when health is not degraded by the log.
func logProblem(t *testing.T, base string) (string, int) {
	t.Helper()
	status, problems := adminHealth(t, base)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("health: status %d %q, want 503 degraded", status, problems)
	}
	for _, p := range problems {
		if m := droppedRE.FindStringSubmatch(p); m != nil {
			n, _ := strconv.Atoi(m[1])
			return p, n
		}
	}
	t.Fatalf("health names no dropped log lines: %q", problems)
	return "", 0
}

// With stderr on a pipe that nobody reads, serve still answers every
// request promptly, counts the log lines it drops, says so in health, and
// exits 1 on SIGTERM instead of hanging.
func TestServeStderrNotRead(t *testing.T) {
	bin := buildDeskmock(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() // open, never read: writes to it block once it is full
	p := startBinaryTo(t, bin, nil, w, "serve", "--addr", "127.0.0.1:0")
	w.Close()
	base := "http://" + p.addr

	const n = 10000 // more lines than the pipe and the log's buffer hold
	slowest := sendFirstChunks(t, base, n, 4)
	problem, dropped := logProblem(t, base)
	if dropped < 1 || dropped > n+10 {
		t.Errorf("health says %d lines dropped after %d requests", dropped, n)
	}
	if !strings.Contains(problem, "buffer was full") {
		t.Errorf("the problem %q does not say the buffer was full", problem)
	}

	signalled := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 20*time.Second); code != ExitFailure {
		t.Errorf("exit %d, want %d: log lines were lost", code, ExitFailure)
	}
	t.Logf("%d requests answered with stderr unread, the slowest in %v; health: %q; exit after %v",
		n, slowest, problem, time.Since(signalled))
}

// When the reader of stderr goes away, serve is not killed by SIGPIPE: it
// keeps answering, says in health that lines are dropped and why, and exits
// 1 on SIGTERM.
func TestServeStderrClosed(t *testing.T) {
	bin := buildDeskmock(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := startBinaryTo(t, bin, nil, w, "serve", "--addr", "127.0.0.1:0")
	w.Close()
	if err := r.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading stderr for the listening line: %v", err)
		}
		if strings.Contains(line, "msg=listening") {
			break
		}
	}
	r.Close() // the reader goes away
	base := "http://" + p.addr

	const n = 500
	slowest := sendFirstChunks(t, base, n, 2)
	select {
	case <-p.exited:
		t.Fatalf("serve exited: %v", p.waitErr)
	default:
	}
	// Every line is lost, once its batch is written: within a delay.
	problem, dropped := logProblem(t, base)
	for deadline := time.Now().Add(5 * time.Second); dropped < n && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		problem, dropped = logProblem(t, base)
	}
	if dropped < n || !strings.Contains(problem, "broken pipe") {
		t.Errorf("health says %q after %d requests, want them all dropped for a broken pipe", problem, n)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 20*time.Second); code != ExitFailure { // exitCode fails if a signal killed it
		t.Errorf("exit %d, want %d: log lines were lost", code, ExitFailure)
	}
	t.Logf("%d requests answered after stderr closed, the slowest in %v; health: %q", n, slowest, problem)
}

// A log line stays within mockserver.MaxLogLine whatever a request holds,
// in text and JSON: 12 KB SessionIds (ASCII, control characters, Chinese),
// a 260 KB one on v2, a 12 KB MsgKey, a fault rule with a 60 KB id. Values
// are cut on a UTF-8 boundary.
func TestServeLogLinesBounded(t *testing.T) {
	bin := buildDeskmock(t)
	const (
		session = "00000000-1111-4222-8333-00000000beef"
		flood   = 300 // requests of each kind of long SessionId
	)
	kinds := []struct {
		name string
		id   string // as written in the body
	}{
		{"ascii", strings.Repeat("a", 12000)},
		{"control", strings.Repeat(`\u0001`, 2000)},
		{"chinese", strings.Repeat("中", 4000)},
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			p := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--log-format", format)
			base := "http://" + p.addr
			client := &http.Client{Timeout: clientTimeout}
			post := func(url, body string) {
				t.Helper()
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			v1 := endpointURL(t, base, mockserver.EndpointPath, 1)
			for _, k := range kinds {
				body := `{"SessionId":"` + k.id + `","Chunk":"hi"}`
				for range flood {
					post(v1, body)
				}
			}
			v2Body := `{"SessionId":"` + strings.Repeat("b", 260000) + `","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"x","Chunks":[{"EventType":"data","Index":1,"Markdown":"hi","IsLast":false}]}}]}`
			post(endpointURL(t, base, mockserver.EndpointV2Path, 2), v2Body)
			post(v1, mockserver.ChunkBody(session, strings.Repeat("k", 12000), "hi", false))
			fault := `{"id":"` + strings.Repeat("f", 60000) + `","match":{"session_id":"` + session + `"},"action":{"error_code":20004}}`
			resp, err := client.Post(base+"/__admin/faults", "application/json", strings.NewReader(fault))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
				t.Fatalf("adding the fault: %s", resp.Status)
			}
			post(v1, mockserver.ChunkBody(session, "", "hi", false))

			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := p.exitCode(t, 20*time.Second); code != ExitOK {
				t.Fatalf("exit %d, want 0\nstderr:\n%.2000s", code, p.stderr)
			}

			stderr := p.stderr.String()
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			longest, requests, over, badCuts := 0, 0, 0, 0
			floodBytes := map[string]int{}
			for _, line := range lines {
				longest = max(longest, len(line))
				if len(line) > mockserver.MaxLogLine {
					over++
				}
				if !strings.Contains(line, "send_stream_msg") {
					continue
				}
				requests++
				for _, k := range kinds {
					if strings.Contains(line, "sessionid-malformed") && strings.Contains(line, kindMark(format, k.name)) {
						floodBytes[k.name] += len(line) + 1
					}
				}
				if format == "json" && strings.Contains(line, "中") {
					var v struct {
						SessionID string `json:"session_id"`
					}
					if err := json.Unmarshal([]byte(line), &v); err != nil {
						t.Fatalf("line %.300s: %v", line, err)
					}
					if !utf8.ValidString(v.SessionID) || strings.ContainsRune(v.SessionID, utf8.RuneError) ||
						!strings.HasPrefix(v.SessionID, "中中") || !strings.HasSuffix(v.SessionID, "...[cut: 12000 bytes]") {
						if badCuts++; badCuts == 1 {
							t.Errorf("session_id %q is not cut between characters, with its length", v.SessionID)
						}
					}
				}
			}
			if over > 0 {
				t.Errorf("%d lines over the bound of %d bytes, the longest %d", over, mockserver.MaxLogLine, longest)
			}
			if want := len(kinds)*flood + 3; requests != want {
				t.Errorf("%d request lines, want %d", requests, want)
			}
			for _, mark := range []string{"[cut: 260000 bytes]", "[cut: 12000 bytes]", "[cut: 60000 bytes]"} {
				if !strings.Contains(stderr, mark) {
					t.Errorf("no value is marked %q", mark)
				}
			}
			for _, k := range kinds {
				perRequest := floodBytes[k.name] / flood
				if perRequest == 0 || perRequest > 2048 {
					t.Errorf("%s: %d bytes of stderr per request with a 12 KB SessionId", k.name, perRequest)
				}
				t.Logf("%s: %d bytes of stderr per request with a 12 KB %s SessionId", format, perRequest, k.name)
			}
			t.Logf("%s: %d bytes of stderr in all, %d lines, the longest %d bytes", format, len(stderr), len(lines), longest)
		})
	}
}

// kindMark is what a line of the flood of that kind holds in a format.
func kindMark(format, kind string) string {
	switch {
	case kind == "ascii":
		return "aaaa"
	case kind == "control" && format == "json":
		return `\u0001`
	case kind == "control":
		return `\x01`
	}
	return "中"
}

// failingStderr fails every write with EPIPE until it heals, then keeps
// what it is given.
type failingStderr struct {
	syncBuffer
	healed atomic.Bool
}

func (f *failingStderr) Write(p []byte) (int, error) {
	if !f.healed.Load() {
		return 0, &os.PathError{Op: "write", Path: "/dev/stderr", Err: syscall.EPIPE}
	}
	return f.syncBuffer.Write(p)
}

// Lines lost while stderr failed make serve exit 1, after a last message
// that says how many, when stderr works again by then.
func TestServeSaysLogLinesWereLost(t *testing.T) {
	stderr := new(failingStderr)
	s := startServeTo(t, stderr, nil, "--addr", "127.0.0.1:0")
	base := "http://" + s.addr
	sendFirstChunks(t, base, 3, 1)
	// "listening" and three request lines, once their batch is written.
	const lost = 4
	problem, dropped := "", 0
	for deadline := time.Now().Add(5 * time.Second); dropped < lost; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("health: %q, want %d lines dropped for a broken pipe", problem, lost)
		}
		if status, _ := adminHealth(t, base); status == http.StatusServiceUnavailable {
			problem, dropped = logProblem(t, base)
		}
	}
	stderr.healed.Store(true)
	if code := s.stop(t); code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	out := stderr.String()
	last := regexp.MustCompile(`msg=stopped\ndeskmock serve: log: (\d+) lines dropped; the last because writing failed: write /dev/stderr: broken pipe\n$`)
	if m := last.FindStringSubmatch(out); m == nil {
		t.Errorf("stderr does not end with the stop line and the count of lines lost:\n%s", out)
	} else if n, _ := strconv.Atoi(m[1]); n < dropped {
		// Health is a snapshot: a line may still be lost after it (a
		// slow machine's server warnings), never fewer than it said.
		t.Errorf("%d lines lost in all, fewer than the %d health said", n, dropped)
	}
}
