//go:build unix

package mockserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests of this file run ListenAndServeWith on real loopback sockets,
// with short timeouts, and act as misbehaving clients.

// listening is a server started by listen.
type listening struct {
	srv       *Server
	addr      string
	adminAddr string
	cancel    context.CancelFunc
	done      chan error
}

// listen serves cfg with the options o (Addr defaults to a free loopback
// port) until stop is called or the test ends.
func listen(t *testing.T, cfg Config, o ListenOptions) *listening {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	ready := make(chan [2]string, 1)
	o.Ready = func(addr, adminAddr string) { ready <- [2]string{addr, adminAddr} }
	ctx, cancel := context.WithCancel(context.Background())
	l := &listening{srv: s, cancel: cancel, done: make(chan error, 1)}
	go func() { l.done <- s.ListenAndServeWith(ctx, o) }()
	select {
	case a := <-ready:
		l.addr, l.adminAddr = a[0], a[1]
	case err := <-l.done:
		cancel()
		t.Fatalf("ListenAndServeWith: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not become ready")
	}
	t.Cleanup(func() {
		if err := l.stop(); err != nil {
			t.Errorf("ListenAndServeWith: %v", err)
		}
	})
	return l
}

// stop shuts the server down and returns what ListenAndServeWith returned.
func (l *listening) stop() error {
	l.cancel()
	select {
	case err, ok := <-l.done:
		if ok {
			close(l.done)
		}
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the server did not stop")
	}
}

// endpoint returns the endpoint's path and signed query string.
func (l *listening) endpoint(t *testing.T) string {
	t.Helper()
	app := l.srv.cfg.Apps[0]
	sig, err := l.srv.UserSig(app.SDKAppID, app.Admins[0], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return EndpointPath + "?" + Query(app.SDKAppID, app.Admins[0], sig, 42)
}

// closedAfter reads conn until the server closes it, and returns how long
// that took from start; past limit it returns limit.
func closedAfter(conn net.Conn, start time.Time, limit time.Duration) time.Duration {
	conn.SetReadDeadline(start.Add(limit))
	io.Copy(io.Discard, conn)
	return time.Since(start)
}

// TestSlowlorisIsCutOff: a client sending its headers one byte at a time is
// cut off by ReadHeaderTimeout, long before it completes them, and does not
// keep the server from serving others.
func TestSlowlorisIsCutOff(t *testing.T) {
	t.Parallel()
	const headerTimeout = time.Second
	l := listen(t, DefaultConfig(), ListenOptions{ReadHeaderTimeout: headerTimeout, ReadTimeout: time.Minute})
	head := "POST " + l.endpoint(t) + " HTTP/1.1\r\nHost: deskmock\r\nContent-Type: application/json\r\nX-Slow: " + strings.Repeat("x", 400) + "\r\n\r\n"

	conn, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		closed <- closedAfter(conn, start, 20*time.Second)
	}()
	sent := 0
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
trickle:
	for sent < len(head) {
		select {
		case took := <-closed:
			closed <- took
			break trickle
		case <-tick.C:
			if _, err := conn.Write([]byte{head[sent]}); err != nil {
				break trickle // the server is gone: reset
			}
			sent++
		}
		// Meanwhile, another client is served.
		if sent == 3 {
			if rep := post(t, "http://"+l.addr+l.endpoint(t), `{"SessionId":"`+testSession+`","Chunk":"hi"}`); rep.ErrorCode != 0 {
				t.Errorf("another client got %+v", rep)
			}
		}
	}
	took := <-closed
	if sent == len(head) {
		t.Fatalf("the whole header (%d bytes) was accepted one byte at a time", sent)
	}
	if took < headerTimeout-100*time.Millisecond || took > headerTimeout+2*time.Second {
		t.Errorf("cut off after %v (%d bytes sent), want about %v", took, sent, headerTimeout)
	}
}

// TestSlowBodyIsCutOff: a client sending its body one byte at a time is cut
// off by ReadTimeout.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	const readTimeout = time.Second
	l := listen(t, DefaultConfig(), ListenOptions{ReadHeaderTimeout: readTimeout, ReadTimeout: readTimeout})
	body := `{"SessionId":"` + testSession + `","Chunk":"` + strings.Repeat("x", 200) + `"}`
	conn, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: deskmock\r\nContent-Length: %d\r\n\r\n", l.endpoint(t), len(body))
	done := make(chan time.Duration, 1)
	go func() {
		done <- closedAfter(conn, start, 20*time.Second)
	}()
	var took time.Duration
	sent := 0
trickle:
	for ; sent < len(body); sent++ {
		select {
		case took = <-done:
			break trickle
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{body[sent]}); err != nil {
			took = <-done
			break
		}
	}
	if sent == len(body) {
		took = <-done
		t.Fatalf("the whole body was read one byte at a time, over %v", took)
	}
	if took > readTimeout+2*time.Second {
		t.Errorf("cut off after %v, want about %v", took, readTimeout)
	}
}

// TestHugeQueryGetsACleanError: 1 MiB of query string gets 431 Request
// Header Fields Too Large from MaxHeaderBytes, without the server reading
// it all, and the server serves the next client.
func TestHugeQueryGetsACleanError(t *testing.T) {
	t.Parallel()
	l := listen(t, DefaultConfig(), ListenOptions{})
	conn, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "POST %s&pad=", l.endpoint(t))
		w.WriteString(strings.Repeat("a", 1<<20))
		w.WriteString(" HTTP/1.1\r\nHost: deskmock\r\nContent-Length: 2\r\n\r\n{}")
		w.Flush() // fails once the server closes: expected
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no HTTP reply to a 1 MiB query string: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %s %q, want 431", resp.Status, b)
	}
	if got := l.srv.Requests(ExchangeFilter{}); len(got) != 0 {
		t.Errorf("the refused request reached the endpoint: %+v", got[0].Check)
	}
	if rep := post(t, "http://"+l.addr+l.endpoint(t), `{"SessionId":"`+testSession+`","Chunk":"hi"}`); rep.ErrorCode != 0 {
		t.Errorf("the next client got %+v", rep)
	}
}

// raiseFileLimit makes room for n more open files, or skips the test.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur >= n+256 {
		return
	}
	want := lim
	want.Cur = min(lim.Max, n+1024)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil || want.Cur < n+256 {
		t.Skipf("the open file limit is %d (hard %d), %d are needed: %v", lim.Cur, lim.Max, n+256, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
}

// TestIdleKeepAliveConnections: 1,000 idle keep-alive connections do not
// stop a new client, and IdleTimeout closes them.
func TestIdleKeepAliveConnections(t *testing.T) {
	const idle = 1000
	const idleTimeout = 4 * time.Second
	raiseFileLimit(t, 2*idle+64) // both ends live in this process
	l := listen(t, DefaultConfig(), ListenOptions{IdleTimeout: idleTimeout, ReadTimeout: time.Minute})

	// Open the connections, each with one request answered, then idle.
	conns := make([]net.Conn, idle)
	var wg sync.WaitGroup
	errs := make(chan error, idle)
	sem := make(chan struct{}, 50)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := net.Dial("tcp", l.addr)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			fmt.Fprintf(c, "GET /__admin/health HTTP/1.1\r\nHost: deskmock\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Close {
				errs <- errors.New("the server did not keep the connection alive")
			}
		}()
	}
	wg.Wait()
	opened := time.Now()
	close(errs)
	for err := range errs {
		t.Fatalf("opening the idle connections: %v", err)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	// A new client is served at once.
	start := time.Now()
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Post("http://"+l.addr+l.endpoint(t), "application/json", strings.NewReader(`{"SessionId":"`+testSession+`","Chunk":"hi"}`))
	if err != nil {
		t.Fatalf("a new client beside %d idle connections: %v", idle, err)
	}
	if rep := decodeReply(t, readAll(t, resp)); rep.ErrorCode != 0 {
		t.Errorf("the new client got %+v", rep)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the new client waited %v", took)
	}

	// IdleTimeout closes the idle connections.
	for i, c := range conns {
		c.SetReadDeadline(opened.Add(idleTimeout + 10*time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil || n > 0 {
			t.Fatalf("connection %d: read %d bytes, %v", i, n, err)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection %d still open %v after it went idle (IdleTimeout %v)", i, time.Since(opened), idleTimeout)
		}
	}
}

// TestDelayLongerThanWriteTimeout: the write timeout counts from the
// reply's first byte, so a delay fault longer than it still answers.
func TestDelayLongerThanWriteTimeout(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Faults = []Fault{{Match: FaultMatch{ChunkContains: "slow"}, Action: FaultAction{DelayMS: 1500}}}
	l := listen(t, cfg, ListenOptions{WriteTimeout: 300 * time.Millisecond})
	for _, chunk := range []string{"fast", "slow"} {
		start := time.Now()
		resp, err := (&http.Client{Transport: &http.Transport{}}).Post("http://"+l.addr+l.endpoint(t), "application/json",
			strings.NewReader(`{"SessionId":"`+testSession+`","Chunk":"`+chunk+`"}`))
		if err != nil {
			t.Fatalf("%s: no reply after %v: %v", chunk, time.Since(start), err)
		}
		if rep := decodeReply(t, readAll(t, resp)); rep.ErrorCode != 0 || rep.MsgKey == "" {
			t.Errorf("%s: %+v", chunk, rep)
		}
	}
	for _, e := range l.srv.Requests(ExchangeFilter{}) {
		if e.Status != http.StatusOK {
			t.Errorf("journal: %s status %d", e.Chunk, e.Status)
		}
	}
}

// TestSlowReaderIsCutOff: a client that stops reading a long reply is cut
// off WriteTimeout after the reply started; the handler does not hang.
func TestSlowReaderIsCutOff(t *testing.T) {
	t.Parallel()
	const writeTimeout = 500 * time.Millisecond
	cfg := DefaultConfig()
	cfg.Limits.MaxStreamBytes = 16 << 20
	l := listen(t, cfg, ListenOptions{WriteTimeout: writeTimeout})
	// One stream of 1000 chunks of 12 KiB: a 12 MiB reply, which the
	// server starts writing at once (a page of the journal takes a while
	// to build under the race detector, so the client would be reading
	// again before it started).
	h := l.srv.Handler()
	chunk := strings.Repeat("x", defaultMaxBodyBytes-200)
	target := l.endpoint(t)
	key := ""
	for i := range 1000 {
		body := `{"SessionId":"` + testSession + `","Chunk":"` + chunk + `"`
		if key != "" {
			body += `,"MsgKey":"` + key + `"`
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", target, strings.NewReader(body+"}")))
		var rep struct {
			ErrorCode int
			MsgKey    string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rep.ErrorCode != 0 {
			t.Fatalf("chunk %d: %s", i, rec.Body.String())
		}
		if key == "" {
			key = rep.MsgKey
		}
	}
	if st, _ := l.srv.Stream(key); st.TextBytes < 8<<20 {
		t.Fatalf("the stream's text is %d bytes, too short to fill the socket buffers", st.TextBytes)
	}

	d := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	conn, err := d.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /__admin/streams/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", key)
	time.Sleep(writeTimeout + 2*time.Second) // read nothing
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return // cut off before the headers were read: fine
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Errorf("a client that read nothing for %v after the reply started got all %d bytes; WriteTimeout is %v", writeTimeout+2*time.Second, n, writeTimeout)
	}
}

// TestAdminAddr: with AdminAddr the admin API has a listener of its own,
// and the endpoint's listener keeps only health.
func TestAdminAddr(t *testing.T) {
	t.Parallel()
	l := listen(t, DefaultConfig(), ListenOptions{AdminAddr: "127.0.0.1:0"})
	if l.adminAddr == "" || l.adminAddr == l.addr {
		t.Fatalf("admin address %q, endpoint %q", l.adminAddr, l.addr)
	}
	get := func(addr, method, path string) int {
		req, _ := http.NewRequest(method, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if rep := post(t, "http://"+l.addr+l.endpoint(t), `{"SessionId":"`+testSession+`","Chunk":"hi"}`); rep.ErrorCode != 0 {
		t.Errorf("endpoint: %+v", rep)
	}
	tests := []struct {
		addr         string
		method, path string
		status       int
	}{
		{l.addr, "GET", "/__admin/health", 200},
		{l.addr, "GET", "/__admin/requests", 404},
		{l.addr, "GET", "/__admin/streams", 404},
		{l.addr, "POST", "/__admin/reset", 404},
		{l.addr, "DELETE", "/__admin/faults", 404},
		{l.adminAddr, "GET", "/__admin/health", 200},
		{l.adminAddr, "GET", "/__admin/requests", 200},
		{l.adminAddr, "GET", "/__admin/streams", 200},
		{l.adminAddr, "POST", EndpointPath, 404},
		{l.adminAddr, "POST", "/v4/other", 404},
	}
	for _, tt := range tests {
		if got := get(tt.addr, tt.method, tt.path); got != tt.status {
			which := "endpoint"
			if tt.addr == l.adminAddr {
				which = "admin"
			}
			t.Errorf("%s listener: %s %s: %d, want %d", which, tt.method, tt.path, got, tt.status)
		}
	}
}

// slowSink is a journal sink that takes its time, like a file on a slow
// disk.
type slowSink struct {
	mu    sync.Mutex
	delay time.Duration
	lines int
}

func (s *slowSink) Write(p []byte) (int, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

func (s *slowSink) Lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// TestShutdownFinishesRequestsInFlight: a shutdown stops accepting, lets a
// request in flight finish, and returns once it is journaled; past
// ShutdownTimeout it cuts a long delay short and still journals it, even
// when the journal's sink is slow.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	sink := &slowSink{delay: 300 * time.Millisecond}
	cfg.Journal = sink
	cfg.Faults = []Fault{
		{Match: FaultMatch{ChunkContains: "short"}, Action: FaultAction{DelayMS: 800}},
		{Match: FaultMatch{ChunkContains: "long"}, Action: FaultAction{DelayMS: 600_000}},
	}
	l := listen(t, cfg, ListenOptions{ShutdownTimeout: 2 * time.Second})
	send := func(chunk string) chan error {
		done := make(chan error, 1)
		go func() {
			resp, err := (&http.Client{Transport: &http.Transport{}}).Post("http://"+l.addr+l.endpoint(t), "application/json",
				strings.NewReader(`{"SessionId":"`+testSession+`","Chunk":"`+chunk+`"}`))
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != 200 {
					err = errors.New(resp.Status)
				}
			}
			done <- err
		}()
		return done
	}
	short, long := send("short"), send("long")
	waitFor(t, func() bool { return l.srv.nth.Load() == 2 }) // both arrived
	start := time.Now()
	l.cancel()
	time.Sleep(200 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", l.addr, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted during the shutdown")
	}
	if err := <-short; err != nil {
		t.Errorf("the request in flight got no reply: %v", err)
	}
	if err := <-long; err == nil {
		t.Error("the 10-minute delay answered")
	}
	if err := l.stop(); err != nil {
		t.Errorf("ListenAndServeWith: %v", err)
	}
	if n := sink.Lines(); n != 2 {
		t.Errorf("when ListenAndServeWith returned, the journal sink had %d lines, want 2", n)
	}
	if took := time.Since(start); took > 2*time.Second+forcedShutdownWait+time.Second {
		t.Errorf("the shutdown took %v", took)
	}
	got := map[string]int{}
	for _, e := range l.srv.Requests(ExchangeFilter{}) {
		got[e.Chunk] = e.Status
	}
	if want := map[string]int{"short": 200, "long": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("journal statuses %v, want %v", got, want)
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
