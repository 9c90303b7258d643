//go:build linux || darwin

package mockserver

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/rawhttp"
)

// BenchmarkDashboards measures the endpoint's throughput over loopback with
// two dashboards following its events, against none:
//
//	go test -run '^$' -bench Dashboards -benchtime 3s ./mockserver/
//
// x-without is the requests per second with two dashboards over those
// without, measured before and after each of four rounds with them for half
// as many requests each; the goal is at least 0.9. On a machine that other
// work keeps busy, wall time is noisy: cpu-x-without compares instead the
// process's CPU time per request (server, clients and dashboards alike),
// which other processes do not inflate.
func BenchmarkDashboards(b *testing.B) {
	ts := NewTestServer(b)
	host := ts.URL[len("http://"):]
	target := ts.EndpointURL()[len(ts.URL):]
	continuation := loopbackCase{"continuation", host, func(b *testing.B, c *rawhttp.Conn, w int) []byte {
		rep, err := c.Do(rawhttp.Request(host, target, benchBody(w, "")))
		key, ok := msgKeyOf(rep)
		if err != nil || !ok {
			b.Fatalf("opening a stream: %q, %v", rep, err)
		}
		return rawhttp.Request(host, target, benchBody(w, `,"MsgKey":"`+key+`"`))
	}, "0"}
	b.StopTimer()
	// Rounds alternate without and with, so that both see the same moments
	// of a busy machine.
	const rounds = 4
	var with, without, cpuWith, cpuWithout time.Duration
	measure := func(wall, cpu *time.Duration, n int, timed bool) {
		c := processCPU(b)
		*wall += drive(b, continuation, n, timed)
		*cpu += processCPU(b) - c
	}
	for i := range rounds {
		n := b.N/rounds + boolInt(i < b.N%rounds)
		measure(&without, &cpuWithout, n/2, false)
		stop := followEvents(b, ts, 2)
		measure(&with, &cpuWith, n, true)
		stop()
		measure(&without, &cpuWithout, n-n/2, false)
	}
	b.ReportMetric(float64(b.N)/with.Seconds(), "req/s")
	b.ReportMetric(without.Seconds()/with.Seconds(), "x-without")
	b.ReportMetric(cpuWithout.Seconds()/cpuWith.Seconds(), "cpu-x-without")
}

// followEvents connects n readers of the dashboard's event stream, as
// browsers would, and returns once each is subscribed. The returned
// function disconnects them and waits until the hub has none.
func followEvents(tb testing.TB, ts *TestServer, n int) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+uiAPI+"/events", nil)
		if err != nil {
			tb.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		if _, err := br.ReadString('\n'); err != nil { // subscribed: the hello is on its way
			tb.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			io.Copy(io.Discard, br)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
		for deadline := time.Now().Add(5 * time.Second); ts.ui.hub.count.Load() > 0; {
			if time.Now().After(deadline) {
				tb.Fatal("the event streams did not end")
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// processCPU returns the CPU time the process used so far, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
