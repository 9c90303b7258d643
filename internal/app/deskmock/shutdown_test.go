//go:build unix

package deskmock

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// buildDeskmock builds the deskmock binary into a temporary directory.
func buildDeskmock(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "deskmock")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/deskmock/deskmock/cmd/deskmock")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the deskmock binary running serve.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	addr           string
	exited         chan struct{}
	waitErr        error
}

// startBinary runs bin with args and waits for serve's banner.
func startBinary(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	return startBinaryTo(t, bin, env, nil, args...)
}

// startBinaryTo is startBinary with the process's stderr going to stderr
// (such as a pipe) instead of p.stderr, unless it is nil.
func startBinaryTo(t *testing.T, bin string, env []string, stderr io.Writer, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stdout: new(syncBuffer), stderr: new(syncBuffer), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if stderr != nil {
		p.cmd.Stderr = stderr
	}
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.After(15 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(p.stdout.String()); m != nil {
			p.addr = m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("deskmock exited before it was ready: %v\nstdout:\n%s\nstderr:\n%s", p.waitErr, p.stdout, p.stderr)
		case <-deadline:
			t.Fatalf("deskmock printed no banner\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// exitCode waits up to limit for the process to exit and returns its exit
// code.
func (p *process) exitCode(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		t.Fatalf("deskmock did not exit within %v\nstderr:\n%s", limit, p.stderr)
	}
	var ee *exec.ExitError
	switch {
	case p.waitErr == nil:
		return 0
	case errors.As(p.waitErr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("deskmock was killed by %v\nstderr:\n%s", ws.Signal(), p.stderr)
		}
		return ee.ExitCode()
	}
	t.Fatal(p.waitErr)
	return -1
}

// loadResult is one request of the load and what its client got.
type loadResult struct {
	random  uint32
	chunk   string
	start   time.Time
	end     time.Time
	status  int    // 0: no reply
	body    string // the reply
	replied bool
}

// readJournal reads a JSON-lines journal file, by the random parameter of
// each exchange.
func readJournal(t *testing.T, path string) map[string][]mockserver.Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]mockserver.Exchange{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e mockserver.Exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Bytes(), err)
		}
		q, _ := url.ParseQuery(e.Query)
		out[q.Get("random")] = append(out[q.Get("random")], e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServeShutdownUnderLoad runs the real binary, signals it while
// clients stream into it, and checks that it stops accepting connections,
// finishes the requests in flight (and cuts a 10-minute delay short after
// --shutdown-timeout), exits 0, and that every request that got a reply is
// in the journal file, as answered.
func TestServeShutdownUnderLoad(t *testing.T) {
	bin := buildDeskmock(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.jsonl")
			config := filepath.Join(dir, "deskmock.yaml")
			key := "shutdown-test-key"
			const shutdownTimeout = 2 * time.Second
			err := os.WriteFile(config, []byte(`
apps:
  - {sdkappid: 1400000001, secret_key: `+key+`, admins: [administrator]}
faults:
  - {match: {chunk_contains: slow}, action: {delay_ms: 400}}
  - {match: {chunk_contains: forever}, action: {delay_ms: 600000}}
`), 0o600)
			if err != nil {
				t.Fatal(err)
			}
			p := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--config", config, "--journal", journal,
				"--shutdown-timeout", shutdownTimeout.String(), "--log-level", "debug")
			userSig, err := usersig.Generate(key, 1400000001, "administrator", 3600, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var random atomic.Uint32
			send := func(client *http.Client, session, chunk, msgKey string) loadResult {
				r := loadResult{random: random.Add(1), chunk: chunk, start: time.Now()}
				u := "http://" + p.addr + mockserver.EndpointPath + "?" + mockserver.Query(1400000001, "administrator", userSig, r.random)
				body := `{"SessionId":"` + session + `","Chunk":"` + chunk + `"`
				if msgKey != "" {
					body += `,"MsgKey":"` + msgKey + `"`
				}
				resp, err := client.Post(u, "application/json", strings.NewReader(body+"}"))
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if rerr == nil {
						r.status, r.body, r.replied = resp.StatusCode, string(b), true
					}
				}
				r.end = time.Now()
				return r
			}

			var mu sync.Mutex
			var results []loadResult
			stop := make(chan struct{})
			var wg sync.WaitGroup
			forever := make(chan loadResult, 1)
			go func() {
				forever <- send(&http.Client{Transport: &http.Transport{}}, "f0000000-0000-4000-8000-000000000000", "forever", "")
			}()
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
					defer client.CloseIdleConnections()
					session := fmt.Sprintf("%08x-0000-4000-8000-000000000000", w+1)
					key := ""
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						chunk := fmt.Sprintf("w%d-%d", w, i)
						if i%4 == 3 {
							chunk += "-slow"
						}
						r := send(client, session, chunk, key)
						mu.Lock()
						results = append(results, r)
						mu.Unlock()
						if !r.replied {
							time.Sleep(20 * time.Millisecond) // the server is going away
							continue
						}
						var rep struct{ MsgKey string }
						json.Unmarshal([]byte(r.body), &rep)
						if key == "" {
							key = rep.MsgKey
						}
					}
				}()
			}

			time.Sleep(700 * time.Millisecond) // load, with slow requests in flight
			signalled := time.Now()
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for !strings.Contains(p.stderr.String(), "shutting down") {
				if time.Since(signalled) > 5*time.Second {
					t.Fatalf("no shutdown logged\nstderr:\n%s", p.stderr)
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			// The 10-minute delay keeps the process alive: it must refuse
			// new connections meanwhile.
			if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
				c.Close()
				select {
				case <-p.exited:
				default:
					t.Error("a new connection was accepted during the shutdown")
				}
			}
			code := p.exitCode(t, shutdownTimeout+10*time.Second)
			took := time.Since(signalled)
			close(stop)
			wg.Wait()
			if code != ExitOK {
				t.Fatalf("exit %d, want 0\nstderr:\n%s", code, p.stderr)
			}
			if took > shutdownTimeout+5*time.Second {
				t.Errorf("the shutdown took %v, --shutdown-timeout %v", took, shutdownTimeout)
			}

			got := readJournal(t, journal)
			replied, inFlight := 0, 0
			fr := <-forever
			for _, r := range append(results, fr) {
				entries := got[fmt.Sprint(r.random)]
				if !r.replied {
					if len(entries) > 1 || len(entries) == 1 && entries[0].Status != 0 {
						t.Errorf("request %d (%s) got no reply, yet the journal says %+v", r.random, r.chunk, entries)
					}
					// A request sent well before the signal was being
					// served (in its delay) when it came: it must finish.
					if r.chunk != "forever" && r.start.Before(signalled.Add(-100*time.Millisecond)) {
						t.Errorf("request %d (%s), in flight at the signal, got no reply", r.random, r.chunk)
					}
					continue
				}
				replied++
				if r.start.Before(signalled) && r.end.After(signalled) {
					inFlight++
				}
				if len(entries) != 1 {
					t.Errorf("request %d (%s) got %d %q, but the journal has %d entries for it", r.random, r.chunk, r.status, r.body, len(entries))
					continue
				}
				if e := entries[0]; e.Status != r.status || e.Reply != r.body || e.Chunk != r.chunk {
					t.Errorf("request %d: got %d %q, journaled %d %q (%s)", r.random, r.status, r.body, e.Status, e.Reply, e.Chunk)
				}
			}
			if replied < 20 {
				t.Errorf("only %d requests got a reply: no load", replied)
			}
			if inFlight == 0 {
				t.Error("no request was in flight at the signal: the test shows nothing")
			}
			if f := got[fmt.Sprint(fr.random)]; fr.replied || len(f) != 1 || f[0].Chunk != "forever" || f[0].Status != 0 {
				t.Errorf("the request cut short by the shutdown is journaled as %+v, want status 0", f)
			}
			for _, s := range []string{p.stdout.String(), p.stderr.String()} {
				if strings.Contains(s, key) || strings.Contains(s, userSig) {
					t.Errorf("the secret key or the clients' UserSig was printed:\n%s", s)
				}
			}
			t.Logf("%v: %d requests answered, %d of them in flight at the signal; exit after %v", sig, replied, inFlight, took)
		})
	}
}
