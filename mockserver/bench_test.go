package mockserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmock/deskmock/internal/rawhttp"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// The benchmarks compare, in one run, a bare net/http handler that writes
// the vendor's fixed success reply (the baseline) with deskmock's full
// pipeline, over real loopback HTTP with concurrent keep-alive clients:
//
//	go test -run '^$' -bench Loopback -count 5 ./mockserver/
//
// Each sub-benchmark of BenchmarkLoopback reports req/s and x-baseline, its
// requests per second over the baseline's, measured around it in the same
// run. The client's work is part of every figure, the baseline's included;
// it is kept small. BenchmarkHandler
// measures the handler alone, in memory, and reports own-allocs/op: its
// allocations per request beyond those of a bare handler under the same
// harness. BenchmarkSoakMillionStreams (run it with -benchtime=1x) opens and
// finishes a million streams and reports the heap left in use.

// fixedReply is the vendor's success reply, as the baseline writes it.
const fixedReply = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"124_1600045926_716f784b2bbd6ce9415027715"}`

// benchBody is the body of a first chunk on session w.
func benchBody(w int, fields string) string {
	return `{"SessionId":"` + benchSession(w) + `","Chunk":"Hello, "` + fields + `}`
}

func benchSession(w int) string {
	return fmt.Sprintf("00000000-1111-4222-8333-%012d", w)
}

// bareHandler is the baseline: it reads the body and writes the fixed
// reply, nothing else.
func bareHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, fixedReply)
}

// Loopback load generator: each client goroutine owns one keep-alive TCP
// connection, writes a request built once, and reads the reply with no
// allocation, so that nearly all the CPU a request costs beyond the
// kernel's is the server's.

// loopbackClients is how many connections each core drives.
const loopbackClients = 4

// loopbackCase is one kind of request.
type loopbackCase struct {
	name string
	addr string
	// prepare returns the request a client sends; it may send requests of
	// its own first, on c.
	prepare func(b *testing.B, c *rawhttp.Conn, worker int) []byte
	// wantCode is the ErrorCode every reply must carry.
	wantCode string
}

// drive sends n requests of lc from loopbackClients×GOMAXPROCS keep-alive
// connections, each client waiting for a reply before its next request,
// and returns how long they took. With timed, the benchmark's timer runs
// while they do (and only then): the connections and whatever prepare
// sends are set up first.
func drive(b *testing.B, lc loopbackCase, n int, timed bool) time.Duration {
	clients := loopbackClients * runtime.GOMAXPROCS(0)
	conns := make([]*rawhttp.Conn, clients)
	reqs := make([][]byte, clients)
	for w := range conns {
		c, err := rawhttp.Dial(lc.addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[w], reqs[w] = c, lc.prepare(b, c, w+1)
	}
	want := []byte(`"ErrorCode":` + lc.wantCode)
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	if timed {
		b.StartTimer()
	}
	start := time.Now()
	for w, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				body, err := c.Do(reqs[w])
				if err != nil {
					b.Error(err)
					return
				}
				if !bytes.Contains(body, want) {
					b.Errorf("reply %q, want code %s", body, lc.wantCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if timed {
		b.StopTimer()
	}
	return took
}

// BenchmarkLoopback measures each kind of request over loopback HTTP: its
// requests per second (req/s) and their ratio to the baseline's
// (x-baseline). The baseline is measured around each case, for half as
// many requests before and after it, so that the ratio compares two
// measures of the same moment of the machine.
func BenchmarkLoopback(b *testing.B) {
	base := httptest.NewServer(http.HandlerFunc(bareHandler))
	defer base.Close()
	cfg := DefaultConfig()
	cfg.Limits.MaxStreamBytes = maxStreamBytesLimit // continuations must not reach it
	ts := NewTestServer(b, WithConfig(cfg))
	host := ts.URL[len("http://"):]
	target := ts.EndpointURL()[len(ts.URL):]
	badSig, err := usersig.Generate("not-the-key", ts.App.SDKAppID, ts.Identifier, 86400, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	badTarget := EndpointPath + "?" + Query(ts.App.SDKAppID, ts.Identifier, badSig, 1)

	fixed := func(host, target, body string) func(*testing.B, *rawhttp.Conn, int) []byte {
		req := rawhttp.Request(host, target, body)
		return func(*testing.B, *rawhttp.Conn, int) []byte { return req }
	}
	// The baseline gets the same request as deskmock: signed query, body.
	baseline := loopbackCase{"baseline", base.URL[len("http://"):], fixed(base.URL[len("http://"):], target, benchBody(0, "")), "0"}
	cases := []loopbackCase{
		baseline,
		{"first-chunk", host, func(_ *testing.B, _ *rawhttp.Conn, w int) []byte {
			return rawhttp.Request(host, target, benchBody(w, ""))
		}, "0"},
		{"continuation", host, func(b *testing.B, c *rawhttp.Conn, w int) []byte {
			// Each client opens a stream, then continues it.
			rep, err := c.Do(rawhttp.Request(host, target, benchBody(w, "")))
			key, ok := msgKeyOf(rep)
			if err != nil || !ok {
				b.Fatalf("opening a stream: %q, %v", rep, err)
			}
			return rawhttp.Request(host, target, benchBody(w, `,"MsgKey":"`+key+`"`))
		}, "0"},
		{"rejected-bad-signature", host, fixed(host, badTarget, benchBody(0, "")), "70009"},
		{"trigger-session", host, fixed(host, target, `{"SessionId":"`+TriggerSessionID(20004, 0)+`","Chunk":"Hello, "}`), "20004"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.StopTimer()
			b.ReportAllocs()
			var around time.Duration
			if c.name != "baseline" {
				around += drive(b, baseline, b.N/2, false)
			}
			took := drive(b, c, b.N, true)
			if c.name != "baseline" {
				around += drive(b, baseline, b.N-b.N/2, false)
			}
			b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
			if around > 0 {
				b.ReportMetric(around.Seconds()/took.Seconds(), "x-baseline")
			}
		})
	}
}

// Handler harness: a request and a response writer reused from one call to
// the next, so that what it allocates per request is the handler's own.

// benchWriter is a reusable http.ResponseWriter.
type benchWriter struct {
	h      http.Header
	status int
	body   []byte
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }
func (w *benchWriter) Write(p []byte) (int, error) { w.body = append(w.body, p...); return len(p), nil }
func (w *benchWriter) WriteString(s string) (int, error) {
	w.body = append(w.body, s...)
	return len(s), nil
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.body = 0, w.body[:0]
}

// benchBodyReader is a reusable request body.
type benchBodyReader struct {
	bytes.Reader
}

func (*benchBodyReader) Close() error { return nil }

// benchRequest is a reusable request.
type benchRequest struct {
	r    *http.Request
	body benchBodyReader
	raw  []byte
}

func newBenchRequest(target, body string) *benchRequest {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		panic(err)
	}
	br := &benchRequest{raw: []byte(body)}
	br.r = &http.Request{Method: "POST", URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Host: "deskmock", RequestURI: target}
	br.r.Body = &br.body
	br.setBody(body)
	return br
}

func (br *benchRequest) setBody(body string) {
	br.raw = append(br.raw[:0], body...)
	br.r.ContentLength = int64(len(br.raw))
	br.body.Reset(br.raw)
}

// serve sends the request through h and returns the reply's body.
func (br *benchRequest) serve(h http.Handler, w *benchWriter) []byte {
	w.reset()
	br.body.Reset(br.raw)
	h.ServeHTTP(w, br.r)
	return w.body
}

// benchHandler runs h on req b.N times and reports the allocations per
// request beyond bareAllocs.
func benchHandler(b *testing.B, h http.Handler, req *benchRequest, wantCode string, bareAllocs float64) {
	w := &benchWriter{h: http.Header{}}
	want := []byte(`"ErrorCode":` + wantCode)
	if rep := req.serve(h, w); !bytes.Contains(rep, want) {
		b.Fatalf("reply %q, want code %s", rep, wantCode)
	}
	var before, after runtime.MemStats
	b.ReportAllocs()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.serve(h, w)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if !bytes.Contains(w.body, want) {
		b.Fatalf("reply %q, want code %s", w.body, wantCode)
	}
	allocs := float64(after.Mallocs-before.Mallocs) / float64(b.N)
	b.ReportMetric(allocs-bareAllocs, "own-allocs/op")
}

// newBenchServer builds a server with the default configuration, but for
// a per-stream cap that a continuation run of millions of chunks cannot
// reach, and the endpoint's request target for its administrator, with a
// signed query.
func newBenchServer(b *testing.B) (s *Server, target string) {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Limits.MaxStreamBytes = maxStreamBytesLimit
	off := 0
	cfg.Endpoints = map[string]EndpointConfig{}
	for _, v := range []string{Chatbot, CreateRobot, DeleteRobot, GetAllRobots} {
		cfg.Endpoints[v] = EndpointConfig{AppCallsPerSecond: &off}
	}
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	// The same UserSig in every run, so that runs compare; its '*' is
	// escaped in the query, as in about one token in five.
	sig, err := usersig.Generate(cfg.Apps[0].SecretKey, 1400000001, "administrator", 20*365*86400, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	return s, EndpointPath + "?" + Query(1400000001, "administrator", sig, 1)
}

func BenchmarkHandler(b *testing.B) {
	s, target := newBenchServer(b)
	badSig, err := usersig.Generate("not-the-key", 1400000001, "administrator", 20*365*86400, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	open := func() string {
		w := &benchWriter{h: http.Header{}}
		rep := newBenchRequest(target, benchBody(1, "")).serve(h, w)
		key, ok := msgKeyOf(rep)
		if !ok {
			b.Fatalf("opening a stream: %q", rep)
		}
		return key
	}

	// What the harness and a bare handler allocate per request.
	bareReq, bareW := newBenchRequest(target, benchBody(0, "")), &benchWriter{h: http.Header{}}
	bare := testing.AllocsPerRun(1000, func() { bareReq.serve(http.HandlerFunc(bareHandler), bareW) })
	b.Run("bare", func(b *testing.B) {
		benchHandler(b, http.HandlerFunc(bareHandler), bareReq, "0", bare)
	})
	constant := func(body string) func() string { return func() string { return body } }
	cases := []struct {
		name, target string
		body         func() string
		wantCode     string
	}{
		{"first-chunk", target, constant(benchBody(0, "")), "0"},
		{"continuation", target, func() string { return benchBody(1, `,"MsgKey":"`+open()+`"`) }, "0"},
		{"rejected-bad-signature", EndpointPath + "?" + Query(1400000001, "administrator", badSig, 1), constant(benchBody(0, "")), "70009"},
		{"trigger-session", target, constant(`{"SessionId":"` + TriggerSessionID(20004, 0) + `","Chunk":"Hello, "}`), "20004"},
	}
	// The first chunk, or a call that passes the body's checks, on every
	// other endpoint: what reading and checking each body costs.
	query := target[len(EndpointPath):]
	for _, c := range []struct{ name, path, body, wantCode string }{
		{"v2-first-chunk", EndpointV2Path, v2Body(benchSession(0), "", v2Chunk{1, "Hello, ", false}), "0"},
		{"c2c-first-chunk", EndpointC2CPath, c2cBody("", "user01", "", v2Chunk{1, "Hello, ", false}), "0"},
		{"group-first-chunk", EndpointGroupPath, groupBody("@TGS#2C5SZEAEF", "", "", v2Chunk{1, "Hello, ", false}), "0"},
		{"chatbot-first-chunk", EndpointChatbotPath, `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"Hello, "}`, "0"},
		{"create_robot", CreateRobotPath, `{"UserID":"@RBT#my_bot","Nick":"MyRobot","FaceUrl":"http://www.qq.com","SelfSignature":"MyRobot"}`, "0"},
		{"get_session_state", SessionStatePath, `{"SessionId":"` + benchSession(0) + `"}`, "0"},
		{"describe_im_cdr_list", CDRListPath, `{"StartTimestamp":0,"EndTimestamp":1764244800,"Limit":20}`, "0"},
	} {
		cases = append(cases, struct {
			name, target string
			body         func() string
			wantCode     string
		}{c.name, c.path + query, constant(c.body), c.wantCode})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchHandler(b, h, newBenchRequest(c.target, c.body()), c.wantCode, bare)
		})
	}
}
