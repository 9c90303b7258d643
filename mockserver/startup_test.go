package mockserver

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkServeStartup builds the deskmock command once, then starts
// `deskmock serve` 10 times per iteration and measures, each time, from the
// process's start to the first 200 answer to GET /__admin/health. It
// reports the median and the slowest start, in milliseconds:
//
//	go test -run '^$' -bench ServeStartup -benchtime=1x ./mockserver/
func BenchmarkServeStartup(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command to build deskmock with")
	}
	bin := filepath.Join(b.TempDir(), "deskmock")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/deskmock/deskmock/cmd/deskmock").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
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
