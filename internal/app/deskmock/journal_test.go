//go:build unix

package deskmock

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// journalClient sends requests to a deskmock process, each with its own
// random parameter, signed with the embedded test key.
type journalClient struct {
	t      *testing.T
	p      *process
	sig    string
	mu     sync.Mutex
	random uint32
	client *http.Client
}

func newJournalClient(t *testing.T, p *process) *journalClient {
	app := mockserver.DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := &journalClient{t: t, p: p, sig: sig, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}}
	t.Cleanup(c.client.CloseIdleConnections)
	return c
}

// send sends one chunk, finishing its own stream, and returns the random
// parameter it carried; the reply must be a success.
func (c *journalClient) send() uint32 {
	c.mu.Lock()
	c.random++
	r := c.random
	c.mu.Unlock()
	app := mockserver.DefaultConfig().Apps[0]
	u := "http://" + c.p.addr + mockserver.EndpointPath + "?" + mockserver.Query(app.SDKAppID, app.Admins[0], c.sig, r)
	session := fmt.Sprintf("%08x-0000-4000-8000-000000000000", r)
	resp, err := c.client.Post(u, "application/json", strings.NewReader(`{"SessionId":"`+session+`","Chunk":"chunk","Finish":1}`))
	if err != nil {
		c.t.Errorf("request %d: %v", r, err)
		return r
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"ActionStatus":"OK"`) {
		c.t.Errorf("request %d: %d %s", r, resp.StatusCode, b)
	}
	return r
}

// get returns the status and body of a GET of path.
func (c *journalClient) get(path string) (int, string) {
	resp, err := c.client.Get("http://" + c.p.addr + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and returns the exit code.
func (c *journalClient) stop() int {
	if err := c.p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	return c.p.exitCode(c.t, 15*time.Second)
}

// randomsIn returns the random parameters of the exchanges of a journal
// file (every line must be a whole exchange), sorted, with repeats.
func randomsIn(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for r, entries := range readJournal(t, path) {
		for range entries {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// TestServeJournalFileFailures runs the real binary with a journal file
// that fails or changes under it: a file that cannot be written turns
// health degraded and the exit status 1 while every request is still
// answered; a file removed or replaced is reopened at its path; rotation
// under a flood keeps --journal-keep files holding every exchange.
func TestServeJournalFileFailures(t *testing.T) {
	bin := buildDeskmock(t)

	t.Run("dev-full", func(t *testing.T) {
		t.Parallel()
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		p := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--journal", "/dev/full")
		c := newJournalClient(t, p)
		const n = 5
		for range n {
			c.send()
		}
		code, body := c.get("/__admin/health")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"degraded"`) ||
			!strings.Contains(body, "journal file /dev/full: cannot write") || !strings.Contains(body, "no space left on device") {
			t.Errorf("health: %d %s; want 503 degraded with the reason", code, body)
		}
		t.Logf("health: %d %s", code, body)
		if _, list := c.get("/__admin/requests?limit=100"); strings.Count(list, `"seq":`) != n {
			t.Errorf("the in-memory journal misses exchanges: %s", list)
		}
		exit := c.stop()
		if exit != ExitFailure {
			t.Errorf("exit %d, want %d\nstderr:\n%s", exit, ExitFailure, p.stderr)
		}
		stderr := p.stderr.String()
		if n := strings.Count(stderr, "journal file: cannot write"); n != 1 {
			t.Errorf("the failure is logged %d times for one spell, want once:\n%s", n, stderr)
		}
		if !strings.Contains(stderr, fmt.Sprintf("deskmock serve: --journal /dev/full: %d exchange(s) could not be written", n)) {
			t.Errorf("stderr does not say how many exchanges were lost:\n%s", stderr)
		}
		t.Logf("exit %d", exit)
	})

	for _, change := range []string{"removed", "replaced"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.jsonl")
			p := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--journal", journal)
			c := newJournalClient(t, p)
			c.send()
			var want []string
			switch change {
			case "removed":
				if err := os.Remove(journal); err != nil {
					t.Fatal(err)
				}
			case "replaced":
				other := filepath.Join(dir, "other.jsonl")
				if err := os.WriteFile(other, []byte(`{"seq":0,"query":"random=0"}`+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(other, journal); err != nil {
					t.Fatal(err)
				}
				want = append(want, "0")
			}
			// The file is compared with its path at most every 100 ms:
			// a line written later than that reaches the path.
			time.Sleep(150 * time.Millisecond)
			for range 3 {
				want = append(want, fmt.Sprint(c.send()))
			}
			sort.Strings(want)
			if got := randomsIn(t, journal); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("the file at the path holds the exchanges %q, want %q", got, want)
			}
			if code, body := c.get("/__admin/health"); code != http.StatusOK {
				t.Errorf("health: %d %s", code, body)
			}
			if exit := c.stop(); exit != ExitOK {
				t.Errorf("exit %d\nstderr:\n%s", exit, p.stderr)
			}
			if !strings.Contains(p.stderr.String(), "journal file was removed or replaced; reopened it") {
				t.Errorf("no warning:\n%s", p.stderr)
			}
		})
	}

	// Health recovers once the file can be written again, but the exit
	// status still says that exchanges were lost.
	t.Run("recovers", func(t *testing.T) {
		t.Parallel()
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		p := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--journal", journal)
		c := newJournalClient(t, p)
		c.send()
		if err := os.Remove(journal); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(journal, 0o755); err != nil { // cannot be opened for writing
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond) // past the 100 ms between checks of the path
		c.send()
		c.send()
		if code, body := c.get("/__admin/health"); code != http.StatusServiceUnavailable || !strings.Contains(body, "2 line(s) lost") {
			t.Errorf("health while the path is a directory: %d %s", code, body)
		}
		if err := os.Remove(journal); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
		last := fmt.Sprint(c.send())
		if code, body := c.get("/__admin/health"); code != http.StatusOK {
			t.Errorf("health once the file is reopened: %d %s", code, body)
		}
		if got := randomsIn(t, journal); len(got) != 1 || got[0] != last {
			t.Errorf("the reopened file holds %q, want [%s]", got, last)
		}
		if exit := c.stop(); exit != ExitFailure || !strings.Contains(p.stderr.String(), "2 exchange(s) could not be written") {
			t.Errorf("exit %d, want %d and the count\nstderr:\n%s", exit, ExitFailure, p.stderr)
		}
	})

	// A flood past what the files hold keeps exactly --journal-keep old
	// files, each within the size; one that fits keeps every exchange.
	floods := []struct {
		name     string
		keep     int
		maxBytes int
		requests int
		all      bool // every exchange must be kept
	}{
		{"keep-3", 3, 4096, 200, false},
		{"keep-all", mockserver.MaxJournalFiles, 16384, 400, true},
	}
	for _, tt := range floods {
		t.Run("flood-"+tt.name, func(t *testing.T) {
			t.Parallel()
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			p := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--journal", journal,
				"--journal-max-bytes", fmt.Sprint(tt.maxBytes), "--journal-keep", fmt.Sprint(tt.keep), "--log-level", "error")
			c := newJournalClient(t, p)
			var wg sync.WaitGroup
			work := make(chan struct{})
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						c.send()
					}
				}()
			}
			for range tt.requests - 1 {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			last := fmt.Sprint(c.send()) // after the flood: in FILE
			if exit := c.stop(); exit != ExitOK {
				t.Fatalf("exit %d\nstderr:\n%s", exit, p.stderr)
			}
			seen := map[string]int{}
			lines, files := 0, 0
			for i := 0; ; i++ {
				name := journal
				if i > 0 {
					name = fmt.Sprintf("%s.%d", journal, i)
				}
				fi, err := os.Stat(name)
				if err != nil {
					break
				}
				files++
				if fi.Size() > int64(tt.maxBytes) {
					t.Errorf("%s holds %d bytes, more than %d", name, fi.Size(), tt.maxBytes)
				}
				for _, r := range randomsIn(t, name) {
					seen[r]++
					lines++
				}
			}
			if !tt.all && files != tt.keep+1 {
				t.Errorf("%d files: FILE and %d rotated ones, want FILE and %d", files, files-1, tt.keep)
			}
			if tt.all && files < 3 {
				t.Errorf("%d files: the flood did not rotate", files)
			}
			for r, n := range seen {
				if n != 1 {
					t.Errorf("exchange random=%s is in the files %d times", r, n)
				}
			}
			if tt.all && (lines != tt.requests || len(seen) != tt.requests) {
				t.Errorf("%d lines (%d exchanges) in the files for %d answered requests", lines, len(seen), tt.requests)
			}
			if seen[last] != 1 {
				t.Errorf("the last exchange (random=%s) is not kept", last)
			}
			t.Logf("%d answered requests, %d journal lines in %d files (--journal-keep %d, --journal-max-bytes %d)", tt.requests, lines, files, tt.keep, tt.maxBytes)
		})
	}
}
