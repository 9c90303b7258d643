package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkDashboards measures the endpoint's throughput over loopback with
// two dashboards following its events, against none:
//
//	go test -run '^$' -bench Dashboards -benchtime 3s ./mockserver/
//
// x-without is the requests per second with two dashboards over those
// without, measured before and after for half as many requests each; the
// goal is at least 0.9.
func BenchmarkDashboards(b *testing.B) {
	ts := NewTestServer(b)
	host := ts.URL[len("http://"):]
	target := ts.EndpointURL()[len(ts.URL):]
	continuation := loopbackCase{"continuation", host, func(b *testing.B, c *rawConn, w int) []byte {
		rep, err := c.do(rawRequest(host, target, benchBody(w, "")))
		key, ok := bytes.CutPrefix(rep, []byte(replyWithKeyPrefix))
		if err != nil || !ok {
			b.Fatalf("opening a stream: %q, %v", rep, err)
		}
		return rawRequest(host, target, benchBody(w, `,"MsgKey":"`+string(key[:len(key)-2])+`"`))
	}, "0"}
	b.StopTimer()
	without := drive(b, continuation, b.N/2, false)
	stop := followEvents(b, ts, 2)
	with := drive(b, continuation, b.N, true)
	stop()
	without += drive(b, continuation, b.N-b.N/2, false)
	b.ReportMetric(float64(b.N)/with.Seconds(), "req/s")
	b.ReportMetric(without.Seconds()/with.Seconds(), "x-without")
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
