package mockserver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

// BenchmarkServeStartup builds the deskmock command once, then starts
// `deskmock serve` 10 times per iteration and measures, each time, from the
// process's start to the first 200 answer to GET /__admin/health. It
// reports the median and the slowest start, in milliseconds:
//
//	go test -run '^$' -bench ServeStartup -benchtime=1x ./mockserver/
func BenchmarkServeStartup(b *testing.B) {
	bin := buildDeskmock(b)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range 10 {
			took = append(took, startOnce(b, bin, client))
		}
	}
	b.StopTimer()
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(took[len(took)/2]), "ms-to-health-median")
	b.ReportMetric(ms(took[len(took)-1]), "ms-to-health-max")
}

// startOnce starts `deskmock serve` on a free loopback port and returns how
// long it took to answer GET /__admin/health with 200.
func startOnce(b *testing.B, bin string, client *http.Client) time.Duration {
	addr := freeAddr(b)
	cmd := exec.Command(bin, "serve", "--addr", addr)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	url := "http://" + addr + "/__admin/health"
	for deadline := start.Add(10 * time.Second); time.Now().Before(deadline); {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
			b.Fatalf("health: status %d", resp.StatusCode)
		}
		time.Sleep(200 * time.Microsecond)
	}
	b.Fatalf("deskmock serve --addr %s did not answer health within 10s", strconv.Quote(addr))
	return 0
}

// buildDeskmock builds the deskmock command into a temporary directory, or
// skips when there is no go command.
func buildDeskmock(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command to build deskmock with")
	}
	bin := filepath.Join(tb.TempDir(), "deskmock")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/deskmock/deskmock/cmd/deskmock").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe starts bin as `serve` on port 0 of the loopback interface,
// with the embedded default configuration and no environment but PATH, and
// returns the process, the address from its banner (no other test can take
// it), its stderr, and a channel closed once its stdout is read to its end.
func startServe(t testing.TB, bin string) (cmd *exec.Cmd, addr string, stderr *bytes.Buffer, copied chan struct{}) {
	t.Helper()
	cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stderr = new(bytes.Buffer)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	banner, err := bufio.NewReader(stdout).ReadString('\n')
	_, addr, ok := strings.Cut(strings.TrimSpace(banner), " listening on ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("banner %q, %v", banner, err)
	}
	copied = make(chan struct{})
	go func() { io.Copy(io.Discard, stdout); close(copied) }()
	return cmd, addr, stderr, copied
}

// freeAddr returns a loopback address whose port was free just now.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The log is buffered while requests come fast; SIGTERM right after them
// loses none of their lines.
func TestServeLogsEveryRequestDespiteSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the deskmock command")
	}
	cmd, addr, stderr, copied := startServe(t, buildDeskmock(t))
	defer cmd.Process.Kill()
	client := &http.Client{Timeout: 5 * time.Second}
	base := "http://" + addr
	app := DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := base + EndpointPath + "?" + Query(app.SDKAppID, app.Admins[0], sig, 1)
	const n = 500
	for i := range n {
		body := fmt.Sprintf(`{"SessionId":"00000000-1111-4222-8333-%012d","Chunk":"Hello, "}`, i)
		resp, err := client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-copied // the pipe is read to its end before Wait closes it
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	lines := strings.Count(stderr.String(), " msg=send_stream_msg ")
	if lines != n {
		t.Errorf("%d request lines on stderr, want %d", lines, n)
	}
	if !strings.HasSuffix(stderr.String(), "msg=stopped\n") {
		t.Errorf("the log does not end with the stop line:\n…%s", stderr.String()[max(0, stderr.Len()-300):])
	}
}
